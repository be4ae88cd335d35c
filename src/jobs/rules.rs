//! Retry timing: exponential backoff with full jitter, capped.

use std::time::Duration;

/// Delay before attempt `attempt + 1` after `attempt` failures (1-based): base × 2^(n−1),
/// capped, then "full jitter" (uniform in [cap/2, cap]) so that many failed jobs do not
/// retry in lockstep against a recovering receiver.
pub fn backoff(attempt: i32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let exp = attempt.clamp(1, 30) as u32 - 1;
    let raw = base.as_secs_f64() * f64::from(2u32.saturating_pow(exp));
    let capped = raw.min(cap.as_secs_f64());
    // jitter in [0, 1): the delay lands between half and all of the capped value.
    Duration::from_secs_f64(capped * (0.5 + 0.5 * jitter.clamp(0.0, 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_then_caps() {
        let base = Duration::from_secs(10);
        let cap = Duration::from_secs(3600);
        assert_eq!(backoff(1, base, cap, 1.0), Duration::from_secs(10));
        assert_eq!(backoff(2, base, cap, 1.0), Duration::from_secs(20));
        assert_eq!(backoff(4, base, cap, 1.0), Duration::from_secs(80));
        assert_eq!(backoff(20, base, cap, 1.0), cap);
        assert_eq!(backoff(1, base, cap, 0.0), Duration::from_secs(5));
        assert_eq!(backoff(0, base, cap, 1.0), Duration::from_secs(10), "clamped to the first attempt");
    }
}
