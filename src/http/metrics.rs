//! Prometheus text metrics: request counts and latency by route pattern (never by raw
//! path, to keep cardinality bounded), plus pool and process gauges rendered on demand.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct RouteStats {
    count: u64,
    sum_secs: f64,
    buckets: [u64; BUCKETS.len()],
}

#[derive(Default)]
pub struct Metrics {
    // (method, route, status) → count; (method, route) → latency stats.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), RouteStats>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut map) = self.requests.lock() {
            *map.entry((method.to_owned(), route.to_owned(), status)).or_default() += 1;
        }
        if let Ok(mut map) = self.latency.lock() {
            let stats = map.entry((method.to_owned(), route.to_owned())).or_default();
            let secs = elapsed.as_secs_f64();
            stats.count += 1;
            stats.sum_secs += secs;
            for (i, bound) in BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    stats.buckets[i] += 1;
                }
            }
        }
    }

    /// The exposition text; `gauges` are (name, help, value) read at scrape time.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP gonghui_http_requests_total HTTP requests by route pattern and status.\n");
        out.push_str("# TYPE gonghui_http_requests_total counter\n");
        if let Ok(map) = self.requests.lock() {
            for ((method, route, status), n) in map.iter() {
                let _ = writeln!(
                    out,
                    "gonghui_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP gonghui_http_request_duration_seconds Request latency by route pattern.\n");
        out.push_str("# TYPE gonghui_http_request_duration_seconds histogram\n");
        if let Ok(map) = self.latency.lock() {
            for ((method, route), s) in map.iter() {
                let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "gonghui_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                        s.buckets[i]
                    );
                }
                let _ =
                    writeln!(out, "gonghui_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
                let _ = writeln!(out, "gonghui_http_request_duration_seconds_sum{{{labels}}} {}", s.sum_secs);
                let _ = writeln!(out, "gonghui_http_request_duration_seconds_count{{{labels}}} {}", s.count);
            }
        }
        for (name, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Resident set size of this process in bytes (Linux), 0 elsewhere.
pub fn resident_bytes() -> f64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<f64>().ok()))
        .unwrap_or(0.0);
    pages * 4096.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.observe("GET", "/api/v1/members", 200, Duration::from_millis(3));
        m.observe("GET", "/api/v1/members", 200, Duration::from_millis(300));
        let text = m.render(&[("gonghui_db_pool_size", "Open connections.", 4.0)]);
        assert!(
            text.contains("gonghui_http_requests_total{method=\"GET\",route=\"/api/v1/members\",status=\"200\"} 2")
        );
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.5\"} 2"));
        assert!(text.contains("gonghui_db_pool_size 4"));
    }
}
