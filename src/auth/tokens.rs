//! Access tokens: EdDSA (Ed25519) JWTs with a `kid`, published as a JWKS.
//!
//! Verification pins the algorithm and checks `exp`, `nbf`, `iss` and `aud`; each token
//! purpose has its own audience, so a binding ticket can never be used as an access token.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::Config;

/// Claims of an access token. `sub` is `user:<id>`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub jti: String,
}

impl AccessClaims {
    pub fn user_id(&self) -> Option<i64> {
        self.sub.strip_prefix("user:")?.parse().ok()
    }
}

/// One key of the JWKS document (RFC 8037 OKP key).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Jwk {
    #[schema(example = "OKP")]
    pub kty: String,
    #[schema(example = "Ed25519")]
    pub crv: String,
    /// The public key, base64url.
    pub x: String,
    pub kid: String,
    #[schema(example = "EdDSA")]
    pub alg: String,
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub use_: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// Claims of an API client's token (client credentials). `sub` is `client:<id>`; `scope`
/// is space-separated (RFC 8693 style).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClientClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub jti: String,
    pub scope: String,
}

impl ClientClaims {
    pub fn client_id(&self) -> Option<i64> {
        self.sub.strip_prefix("client:")?.parse().ok()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token is malformed or its signature, algorithm, key, audience or times are wrong")]
    Invalid,
}

pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    jwk: Jwk,
    issuer: String,
    audience: String,
    access_ttl: Duration,
}

pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

impl TokenService {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        Self::new(
            config.jwt_private_key_pem.expose(),
            &config.jwt_issuer,
            &config.jwt_audience,
            config.access_token_ttl,
        )
    }

    pub fn new(pem: &str, issuer: &str, audience: &str, access_ttl: Duration) -> anyhow::Result<Self> {
        let signing = SigningKey::from_pkcs8_pem(pem).map_err(|_| anyhow::anyhow!("not an Ed25519 PKCS#8 key"))?;
        let public = signing.verifying_key().to_bytes();
        let x = URL_SAFE_NO_PAD.encode(public);
        // The key id is a short digest of the public key: stable across restarts and instances.
        let kid = hex::encode(&crate::crypto::sha256(&public)[..8]);
        let der = signing.to_pkcs8_der().map_err(|e| anyhow::anyhow!("cannot encode key: {e}"))?;
        Ok(TokenService {
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            decoding: DecodingKey::from_ed_components(&x)?,
            jwk: Jwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                x,
                kid: kid.clone(),
                alg: "EdDSA".into(),
                use_: "sig".into(),
            },
            kid,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            access_ttl,
        })
    }

    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    pub fn jwks(&self) -> Jwks {
        Jwks { keys: vec![self.jwk.clone()] }
    }

    /// Signs any claims under this service's key (purposes other than access use their own `aud`).
    pub fn sign<T: Serialize>(&self, claims: &T) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }

    pub fn issue_access(&self, user_id: i64) -> anyhow::Result<(String, AccessClaims)> {
        let now = now_secs();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: format!("user:{user_id}"),
            iat: now,
            nbf: now,
            exp: now + self.access_ttl.as_secs(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        Ok((self.sign(&claims)?, claims))
    }

    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, TokenError> {
        self.verify(token, &self.audience)
    }

    /// The audience of API-client tokens: distinct, so a client token never passes as a user's.
    pub fn client_audience(&self) -> String {
        format!("{}:clients", self.audience)
    }

    pub fn issue_client(&self, client_id: i64, scope: &str, ttl: Duration) -> anyhow::Result<(String, ClientClaims)> {
        let now = now_secs();
        let claims = ClientClaims {
            iss: self.issuer.clone(),
            aud: self.client_audience(),
            sub: format!("client:{client_id}"),
            iat: now,
            nbf: now,
            exp: now + ttl.as_secs(),
            jti: uuid::Uuid::new_v4().to_string(),
            scope: scope.to_owned(),
        };
        Ok((self.sign(&claims)?, claims))
    }

    pub fn verify_client(&self, token: &str) -> Result<ClientClaims, TokenError> {
        self.verify(token, &self.client_audience())
    }

    /// Verifies signature (EdDSA only, our `kid` only), `exp`, `nbf`, `iss` and `aud`.
    pub fn verify<T: for<'de> Deserialize<'de>>(&self, token: &str, audience: &str) -> Result<T, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::EdDSA || header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(TokenError::Invalid);
        }
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_nbf = true;
        validation.leeway = 5;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<T>(token, &self.decoding, &validation).map(|d| d.claims).map_err(|_| TokenError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> TokenService {
        TokenService::new(&crate::crypto::generate_ed25519_pem(), "gonghui", "gonghui-api", Duration::from_secs(900))
            .unwrap()
    }

    fn forge(service: &TokenService, f: impl FnOnce(&mut AccessClaims)) -> String {
        let (_, mut claims) = service.issue_access(7).unwrap();
        f(&mut claims);
        service.sign(&claims).unwrap()
    }

    #[test]
    fn issues_and_verifies() {
        let s = service();
        let (token, claims) = s.issue_access(42).unwrap();
        let back = s.verify_access(&token).unwrap();
        assert_eq!(back, claims);
        assert_eq!(back.user_id(), Some(42));
        assert_eq!(back.exp - back.iat, 900);
    }

    #[test]
    fn rejects_expired_future_wrong_issuer_and_audience() {
        let s = service();
        let now = now_secs();
        assert!(s.verify_access(&forge(&s, |c| c.exp = now - 60)).is_err());
        assert!(s.verify_access(&forge(&s, |c| c.nbf = now + 600)).is_err());
        assert!(s.verify_access(&forge(&s, |c| c.iss = "other".into())).is_err());
        assert!(s.verify_access(&forge(&s, |c| c.aud = "wechat-binding".into())).is_err());
    }

    #[test]
    fn rejects_other_keys_and_alg_none() {
        let s = service();
        let other = service();
        let (token, claims) = other.issue_access(1).unwrap();
        assert_eq!(s.verify_access(&token), Err(TokenError::Invalid));
        // alg=none: header {"alg":"none"} and an empty signature.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        assert_eq!(s.verify_access(&format!("{header}.{body}.")), Err(TokenError::Invalid));
        assert_eq!(s.verify_access("garbage"), Err(TokenError::Invalid));
        // A tampered payload fails the signature check.
        let (good, _) = s.issue_access(1).unwrap();
        let parts: Vec<&str> = good.split('.').collect();
        let mut c2 = claims.clone();
        c2.sub = "user:999".into();
        let forged = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c2).unwrap()), parts[2]);
        assert_eq!(s.verify_access(&forged), Err(TokenError::Invalid));
    }

    #[test]
    fn client_and_user_tokens_do_not_cross() {
        let s = service();
        let (client, claims) = s.issue_client(3, "reports:read", Duration::from_secs(60)).unwrap();
        assert_eq!(s.verify_client(&client).unwrap(), claims);
        assert_eq!(claims.client_id(), Some(3));
        assert!(s.verify_access(&client).is_err());
        let (user, _) = s.issue_access(3).unwrap();
        assert!(s.verify_client(&user).is_err());
    }

    #[test]
    fn jwks_publishes_the_key() {
        let s = service();
        let jwks = s.jwks();
        assert_eq!(jwks.keys.len(), 1);
        assert_eq!(jwks.keys[0].kid, s.kid);
        assert_eq!(URL_SAFE_NO_PAD.decode(&jwks.keys[0].x).unwrap().len(), 32);
    }
}
