//! Password hashing (argon2id, random salt, PHC string) and the password policy.
//! Hashing is CPU-heavy (tens of ms): callers run it on a blocking thread.

use argon2::Argon2;
use tokio::sync::OwnedSemaphorePermit;

use crate::error::ApiError;
use crate::state::AppState;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// A permit to hash or verify one password. Each argon2 run takes 19 MiB and a core for
/// tens of milliseconds; a burst of logins once took the process from 86 MiB to 887 MiB
/// (issue 14). At most `GONGHUI_PASSWORD_HASH_CONCURRENCY` run at once; a caller that cannot
/// get a permit within `GONGHUI_PASSWORD_HASH_WAIT_MS` gets 429 with `Retry-After: 1`.
pub async fn slot(state: &AppState) -> Result<OwnedSemaphorePermit, ApiError> {
    let wait = state.config.password_hash_wait;
    match actix_web::rt::time::timeout(wait, state.password_slots.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(closed)) => Err(ApiError::Internal(anyhow::anyhow!("password slots: {closed}"))),
        Err(_) => Err(ApiError::TooManyRequests(1)),
    }
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string (false for a malformed hash).
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
}

/// A hash of a random password, verified against when the user does not exist, so that
/// a login for an unknown name costs the same time as one with a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&generate_password()).unwrap_or_default())
}

/// At least 12 characters, with at least one letter and one digit, at most 128.
pub fn is_strong_enough(password: &str) -> bool {
    let n = password.chars().count();
    (12..=128).contains(&n)
        && password.chars().any(|c| c.is_alphabetic())
        && password.chars().any(|c| c.is_ascii_digit())
}

/// A random password for generated accounts: 16 characters from an unambiguous alphabet.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    loop {
        let p: String = (0..16).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
        if is_strong_enough(&p) {
            return p;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_password("correct horse 42").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse 42", &h));
        assert!(!verify_password("wrong horse 42", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(!verify_password("anything", dummy_hash()));
    }

    #[test]
    fn policy() {
        assert!(!is_strong_enough("short1"));
        assert!(!is_strong_enough("onlylettersherex"));
        assert!(!is_strong_enough("123456789012345"));
        assert!(is_strong_enough("union-2024-admin"));
        assert!(is_strong_enough(&generate_password()));
    }
}
