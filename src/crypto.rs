//! Field encryption (AES-256-GCM) and keyed hashes (HMAC-SHA256) for personal data
//! that must be found by exact value but never stored in clear (ID-card numbers).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

const NONCE_LEN: usize = 12;

/// The 32-byte master key from `GONGHUI_ENCRYPTION_KEY`. Sub-keys for encryption and
/// for lookup hashes are derived from it, so one key never serves two purposes.
#[derive(Clone)]
pub struct SecretKey {
    encryption: [u8; 32],
    lookup: [u8; 32],
}

impl SecretKey {
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| "is not valid base64".to_owned())?;
        let master: [u8; 32] =
            bytes.try_into().map_err(|b: Vec<u8>| format!("must decode to 32 bytes, got {}", b.len()))?;
        Ok(SecretKey { encryption: derive(&master, b"gonghui/encryption"), lookup: derive(&master, b"gonghui/lookup") })
    }

    pub fn generate_base64() -> String {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    /// `nonce || ciphertext` of `plain`.
    pub fn encrypt(&self, plain: &str) -> Vec<u8> {
        self.encrypt_bytes(plain.as_bytes())
    }

    /// Decrypts what [`encrypt`](Self::encrypt) produced; `None` when tampered with or under another key.
    pub fn decrypt(&self, sealed: &[u8]) -> Option<String> {
        String::from_utf8(self.decrypt_bytes(sealed)?).ok()
    }

    pub fn encrypt_bytes(&self, plain: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new(&self.encryption.into());
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        // Encryption with a valid key and a fresh nonce cannot fail for inputs of this size.
        let sealed = cipher.encrypt(&Nonce::from(nonce), plain).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(sealed);
        out
    }

    pub fn decrypt_bytes(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let cipher = Aes256Gcm::new(&self.encryption.into());
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        cipher.decrypt(&Nonce::from(nonce), body).ok()
    }

    /// A keyed hash for exact lookups; `purpose` separates hashes of different fields.
    pub fn lookup_hash(&self, purpose: &str, value: &str) -> Vec<u8> {
        hmac(&self.lookup, &[purpose.as_bytes(), b"\0", value.as_bytes()])
    }
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let out = hmac(master, &[label]);
    let mut key = [0u8; 32];
    key.copy_from_slice(&out);
    key
}

pub fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length; new_from_slice cannot fail for it.
    let Ok(mut mac) = <HmacSha256 as Mac>::new_from_slice(key) else { return Vec::new() };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// A random URL-safe token of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A new Ed25519 signing key in PKCS#8 PEM (the dev key for access tokens).
pub fn generate_ed25519_pem() -> String {
    use ed25519_dalek::pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding};
    let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    key.to_pkcs8_pem(LineEnding::LF).map(|pem| pem.to_string()).unwrap_or_default()
}

/// Whether `pem` is an Ed25519 private key in PKCS#8 PEM.
pub fn check_ed25519_pem(pem: &str) -> Result<(), String> {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
        .map(|_| ())
        .map_err(|_| "is not an Ed25519 private key in PKCS#8 PEM".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::from_base64(&SecretKey::generate_base64()).unwrap()
    }

    #[test]
    fn round_trip_and_tamper() {
        let k = key();
        let sealed = k.encrypt("42010219900307123X");
        assert_eq!(k.decrypt(&sealed).as_deref(), Some("42010219900307123X"));
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(k.decrypt(&bad), None);
        assert_eq!(key().decrypt(&sealed), None);
        assert_ne!(k.encrypt("same"), k.encrypt("same"), "nonces differ");
    }

    #[test]
    fn lookup_hash_is_stable_and_separated() {
        let k = key();
        assert_eq!(k.lookup_hash("id_card", "x"), k.lookup_hash("id_card", "x"));
        assert_ne!(k.lookup_hash("id_card", "x"), k.lookup_hash("id_last6", "x"));
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(SecretKey::from_base64("not base64!").is_err());
        assert!(SecretKey::from_base64(&STANDARD.encode([0u8; 16])).is_err());
    }
}
