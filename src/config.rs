//! Typed configuration, read once at start from `GONGHUI_*` environment variables
//! (and an optional `.env` file). Every variable is validated here; a bad one stops
//! the process with a message naming it. Nothing else in the crate reads the environment.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

use crate::crypto::SecretKey;

/// The whole configuration of one process.
/// A secret read from the configuration. It never prints (`Debug` shows `Secret(***)`), so a
/// config struct can derive `Debug` and be logged safely; the value is read with
/// [`Secret::expose`], which names every place that uses it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone)]
pub struct Config {
    pub bind: String,
    pub database_url: String,
    pub db_pool_size: usize,
    pub db_acquire_timeout: Duration,
    pub db_connect_timeout: Duration,
    pub run_migrations: bool,
    pub workers: usize,
    /// How long a new connection may take to deliver its first request head before actix
    /// answers 408. actix starts this clock when a worker first polls the connection, so a
    /// worker stalled by CPU starvation spends it too (actix-web#1269).
    pub client_request_timeout: Duration,
    /// How long a request body may take to arrive in full (408 `body_timeout` after it): actix
    /// bounds only the head, so one byte every few seconds would hold a connection forever.
    pub body_read_timeout: Duration,
    /// Password hashes (argon2, 19 MiB each) computed at once; more wait up to
    /// `password_hash_wait`, then get 429 with Retry-After.
    pub password_hash_concurrency: usize,
    pub password_hash_wait: Duration,
    pub public_url: String,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub jwt_private_key_pem: Secret,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub encryption_key: SecretKey,
    pub body_limit_bytes: usize,
    pub import_limit_bytes: usize,
    pub login_max_failures_per_user: i64,
    pub login_max_failures_per_ip: i64,
    pub login_window: Duration,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub dev: bool,
    pub client_token_ttl: Duration,
    pub http_timeout: Duration,
    pub run_worker: bool,
    pub jobs_poll: Duration,
    pub jobs_lease: Duration,
    pub jobs_retry_base: Duration,
    pub jobs_retry_cap: Duration,
    pub webhooks: WebhookConfig,
    pub wechat: Option<WechatConfig>,
    pub cas: Option<CasConfig>,
}

/// Outgoing webhooks.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// Delivery attempts before a delivery is given up.
    pub max_attempts: i32,
    /// Hosts (exact, or `.suffix`) receivers may live on; empty = any public host.
    pub allowed_hosts: Vec<String>,
    /// Allow loopback and private addresses (tests, on-premises receivers). Link-local and
    /// cloud metadata addresses are refused regardless.
    pub allow_private: bool,
}

/// The WeChat mini-program (登录、订阅消息).
#[derive(Clone, Debug)]
pub struct WechatConfig {
    pub appid: String,
    pub secret: Secret,
    /// `https://api.weixin.qq.com`; tests point it at a local fake.
    pub api_base: String,
    /// Allow binding by staff number + name + ID-card last 6 (the weakest proof).
    pub bind_by_identity: bool,
    pub binding_ttl: Duration,
    pub max_bind_failures: i64,
    /// Subscribe-message template ids by event (`proposal_replied=…,claim_approved=…`).
    pub templates: Vec<(String, String)>,
}

/// The university's CAS 3.0 server (统一身份认证).
#[derive(Clone, Debug)]
pub struct CasConfig {
    /// e.g. `https://cas.example.edu.cn/cas`; `/p3/serviceValidate` is appended.
    pub base_url: String,
    /// Service URLs (exact, or prefix ending in `/`) that may log in through CAS.
    pub service_allowlist: Vec<String>,
    /// The CAS attribute holding the staff number; `user` means the CAS user id itself.
    pub staff_no_attribute: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("invalid configuration: {var}: {message}")]
pub struct ConfigError {
    pub var: String,
    pub message: String,
}

fn invalid(var: &str, message: impl Into<String>) -> ConfigError {
    ConfigError { var: var.to_owned(), message: message.into() }
}

/// Reads variables from any lookup (the process environment, or a map in tests).
struct Vars<F: Fn(&str) -> Option<String>>(F);

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    fn get(&self, var: &str) -> Option<String> {
        (self.0)(var).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    fn string(&self, var: &str, default: &str) -> String {
        self.get(var).unwrap_or_else(|| default.to_owned())
    }

    fn parse<T>(&self, var: &str, default: T, min: T, max: T) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let Some(raw) = self.get(var) else { return Ok(default) };
        let value: T = raw.parse().map_err(|_| invalid(var, format!("`{raw}` is not a number")))?;
        if value < min || value > max {
            return Err(invalid(var, format!("{value} is outside {min}..={max}")));
        }
        Ok(value)
    }

    fn bool(&self, var: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(var).as_deref().map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some("0" | "false" | "no" | "off") => Ok(false),
            Some(other) => Err(invalid(var, format!("`{other}` is not a boolean (true/false)"))),
        }
    }

    fn seconds(&self, var: &str, default: u64, min: u64, max: u64) -> Result<Duration, ConfigError> {
        self.parse(var, default, min, max).map(Duration::from_secs)
    }

    fn millis(&self, var: &str, default: u64, min: u64, max: u64) -> Result<Duration, ConfigError> {
        self.parse(var, default, min, max).map(Duration::from_millis)
    }

    fn list(&self, var: &str) -> Vec<String> {
        self.get(var)
            .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    }

    fn url(&self, var: &str, default: &str) -> Result<String, ConfigError> {
        let url = self.string(var, default);
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(invalid(var, format!("`{url}` is not an http(s) URL")));
        }
        Ok(url.trim_end_matches('/').to_owned())
    }

    fn wechat(&self) -> Result<Option<WechatConfig>, ConfigError> {
        let (Some(appid), secret) = (self.get("GONGHUI_WECHAT_APPID"), self.secret("GONGHUI_WECHAT_SECRET")?) else {
            return Ok(None);
        };
        let secret =
            secret.ok_or_else(|| invalid("GONGHUI_WECHAT_SECRET", "is required when GONGHUI_WECHAT_APPID is set"))?;
        let mut templates = Vec::new();
        for pair in self.list("GONGHUI_WECHAT_TEMPLATES") {
            let (event, id) = pair
                .split_once('=')
                .ok_or_else(|| invalid("GONGHUI_WECHAT_TEMPLATES", format!("`{pair}` is not event=template_id")))?;
            templates.push((event.trim().to_owned(), id.trim().to_owned()));
        }
        Ok(Some(WechatConfig {
            appid,
            secret: Secret::new(secret),
            api_base: self.url("GONGHUI_WECHAT_API_BASE", "https://api.weixin.qq.com")?,
            bind_by_identity: self.bool("GONGHUI_WECHAT_BIND_BY_IDENTITY", false)?,
            binding_ttl: self.seconds("GONGHUI_WECHAT_BINDING_TTL_SECS", 600, 60, 3600)?,
            max_bind_failures: self.parse("GONGHUI_WECHAT_MAX_BIND_FAILURES", 5, 1, 100)?,
            templates,
        }))
    }

    fn cas(&self) -> Result<Option<CasConfig>, ConfigError> {
        if self.get("GONGHUI_CAS_BASE_URL").is_none() {
            return Ok(None);
        }
        let service_allowlist = self.list("GONGHUI_CAS_SERVICE_ALLOWLIST");
        if service_allowlist.is_empty() {
            return Err(invalid("GONGHUI_CAS_SERVICE_ALLOWLIST", "is required when GONGHUI_CAS_BASE_URL is set"));
        }
        Ok(Some(CasConfig {
            base_url: self.url("GONGHUI_CAS_BASE_URL", "")?,
            service_allowlist,
            staff_no_attribute: self.string("GONGHUI_CAS_STAFF_NO_ATTRIBUTE", "user"),
        }))
    }

    /// A secret given inline (`VAR`) or as a file path (`VAR_FILE`).
    fn secret(&self, var: &str) -> Result<Option<String>, ConfigError> {
        if let Some(v) = self.get(var) {
            return Ok(Some(v));
        }
        let file_var = format!("{var}_FILE");
        match self.get(&file_var) {
            None => Ok(None),
            Some(path) => std::fs::read_to_string(&path)
                .map(|s| Some(s.trim().to_owned()))
                .map_err(|e| invalid(&file_var, format!("cannot read {path}: {e}"))),
        }
    }
}

impl Config {
    /// Loads `.env` when present, then reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        #[allow(clippy::disallowed_methods)] // the one place that reads the environment
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Builds a config from a map (tests).
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_lookup(|k| map.get(k).cloned())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let v = Vars(lookup);
        let dev = v.bool("GONGHUI_DEV", false)?;
        let database_url = v
            .get("GONGHUI_DATABASE_URL")
            .ok_or_else(|| invalid("GONGHUI_DATABASE_URL", "is required (postgres://user@host:port/db)"))?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(invalid("GONGHUI_DATABASE_URL", "must start with postgres:// or postgresql://"));
        }
        let bind = v.string("GONGHUI_BIND", "127.0.0.1:8080");
        if bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid("GONGHUI_BIND", format!("`{bind}` is not host:port (e.g. 0.0.0.0:8080)")));
        }
        let public_url = v.string("GONGHUI_PUBLIC_URL", &format!("http://{bind}"));
        let jwt_private_key_pem = match v.secret("GONGHUI_JWT_PRIVATE_KEY")? {
            Some(pem) => pem,
            None if dev => dev_secret("jwt-ed25519.pem", crate::crypto::generate_ed25519_pem)
                .map_err(|e| invalid("GONGHUI_JWT_PRIVATE_KEY", e))?,
            None => {
                return Err(invalid(
                    "GONGHUI_JWT_PRIVATE_KEY",
                    "is required: an Ed25519 private key in PKCS#8 PEM (or set GONGHUI_DEV=1 to generate one)",
                ));
            }
        };
        crate::crypto::check_ed25519_pem(&jwt_private_key_pem).map_err(|e| invalid("GONGHUI_JWT_PRIVATE_KEY", e))?;
        let encryption_key = match v.secret("GONGHUI_ENCRYPTION_KEY")? {
            Some(k) => k,
            None if dev => dev_secret("encryption.key", SecretKey::generate_base64)
                .map_err(|e| invalid("GONGHUI_ENCRYPTION_KEY", e))?,
            None => {
                return Err(invalid(
                    "GONGHUI_ENCRYPTION_KEY",
                    "is required: 32 random bytes, base64 (or set GONGHUI_DEV=1 to generate one)",
                ));
            }
        };
        let encryption_key =
            SecretKey::from_base64(&encryption_key).map_err(|e| invalid("GONGHUI_ENCRYPTION_KEY", e))?;
        let log_format = match v.string("GONGHUI_LOG_FORMAT", "json").as_str() {
            "json" => LogFormat::Json,
            "pretty" => LogFormat::Pretty,
            other => return Err(invalid("GONGHUI_LOG_FORMAT", format!("`{other}` is not json or pretty"))),
        };
        Ok(Config {
            bind,
            database_url,
            db_pool_size: v.parse("GONGHUI_DB_POOL_SIZE", 16, 1, 256)?,
            db_acquire_timeout: v.millis("GONGHUI_DB_ACQUIRE_TIMEOUT_MS", 2000, 10, 60_000)?,
            db_connect_timeout: v.millis("GONGHUI_DB_CONNECT_TIMEOUT_MS", 3000, 10, 60_000)?,
            run_migrations: v.bool("GONGHUI_RUN_MIGRATIONS", true)?,
            workers: v.parse("GONGHUI_WORKERS", 2, 1, 64)?,
            client_request_timeout: v.millis("GONGHUI_CLIENT_REQUEST_TIMEOUT_MS", 5000, 100, 120_000)?,
            body_read_timeout: v.millis("GONGHUI_BODY_READ_TIMEOUT_MS", 60_000, 100, 600_000)?,
            password_hash_concurrency: v.parse(
                "GONGHUI_PASSWORD_HASH_CONCURRENCY",
                std::thread::available_parallelism().map_or(2, usize::from),
                1,
                64,
            )?,
            password_hash_wait: v.millis("GONGHUI_PASSWORD_HASH_WAIT_MS", 2000, 1, 60_000)?,
            public_url,
            jwt_issuer: v.string("GONGHUI_JWT_ISSUER", "gonghui"),
            jwt_audience: v.string("GONGHUI_JWT_AUDIENCE", "gonghui-api"),
            jwt_private_key_pem: Secret::new(jwt_private_key_pem),
            access_token_ttl: v.seconds("GONGHUI_ACCESS_TOKEN_TTL_SECS", 900, 30, 3600)?,
            refresh_token_ttl: v.seconds("GONGHUI_REFRESH_TOKEN_TTL_SECS", 30 * 86_400, 300, 180 * 86_400)?,
            encryption_key,
            body_limit_bytes: v.parse("GONGHUI_BODY_LIMIT_BYTES", 256 * 1024, 1024, 16 * 1024 * 1024)?,
            import_limit_bytes: v.parse("GONGHUI_IMPORT_LIMIT_BYTES", 10 * 1024 * 1024, 1024, 100 * 1024 * 1024)?,
            login_max_failures_per_user: v.parse("GONGHUI_LOGIN_MAX_FAILURES_PER_USER", 5, 1, 1000)?,
            login_max_failures_per_ip: v.parse("GONGHUI_LOGIN_MAX_FAILURES_PER_IP", 30, 1, 100_000)?,
            login_window: v.seconds("GONGHUI_LOGIN_WINDOW_SECS", 900, 1, 86_400)?,
            log_format,
            log_filter: v.string("GONGHUI_LOG", "info"),
            dev,
            client_token_ttl: v.seconds("GONGHUI_CLIENT_TOKEN_TTL_SECS", 900, 30, 86_400)?,
            http_timeout: v.millis("GONGHUI_HTTP_TIMEOUT_MS", 10_000, 100, 120_000)?,
            run_worker: v.bool("GONGHUI_RUN_WORKER", true)?,
            jobs_poll: v.millis("GONGHUI_JOBS_POLL_MS", 1000, 10, 60_000)?,
            jobs_lease: v.seconds("GONGHUI_JOBS_LEASE_SECS", 300, 5, 3600)?,
            jobs_retry_base: v.millis("GONGHUI_JOBS_RETRY_BASE_MS", 10_000, 1, 3_600_000)?,
            jobs_retry_cap: v.seconds("GONGHUI_JOBS_RETRY_CAP_SECS", 3600, 1, 86_400)?,
            webhooks: WebhookConfig {
                max_attempts: v.parse("GONGHUI_WEBHOOK_MAX_ATTEMPTS", 8, 1, 100)?,
                allowed_hosts: v.list("GONGHUI_WEBHOOK_ALLOWED_HOSTS"),
                allow_private: v.bool("GONGHUI_WEBHOOK_ALLOW_PRIVATE", false)?,
            },
            wechat: v.wechat()?,
            cas: v.cas()?,
        })
    }
}

/// In dev mode, secrets are generated once and kept under `.dev-secrets/` (git-ignored),
/// so tokens and encrypted columns survive a restart.
fn dev_secret(file: &str, generate: fn() -> String) -> Result<String, String> {
    let dir = PathBuf::from(".dev-secrets");
    let path = dir.join(file);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(existing.trim().to_owned());
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let value = generate();
    std::fs::write(&path, &value).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(value)
}

#[cfg(test)]
mod tests {

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("wx-app-secret-123".into());
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(secret.expose(), "wx-app-secret-123");
    }

    use super::*;

    fn base() -> HashMap<String, String> {
        let mut m = HashMap::new();
        m.insert("GONGHUI_DATABASE_URL".into(), "postgres://postgres@127.0.0.1/x".into());
        m.insert("GONGHUI_JWT_PRIVATE_KEY".into(), crate::crypto::generate_ed25519_pem());
        m.insert("GONGHUI_ENCRYPTION_KEY".into(), SecretKey::generate_base64());
        m
    }

    #[test]
    fn defaults_apply() {
        let c = Config::from_map(&base()).unwrap();
        assert_eq!(c.db_pool_size, 16);
        assert_eq!(c.access_token_ttl, Duration::from_secs(900));
        assert!(c.run_migrations);
    }

    #[test]
    fn errors_name_the_variable() {
        let mut m = base();
        m.insert("GONGHUI_DB_POOL_SIZE".into(), "lots".into());
        assert_eq!(Config::from_map(&m).err().unwrap().var, "GONGHUI_DB_POOL_SIZE");
        let mut m = base();
        m.insert("GONGHUI_RUN_MIGRATIONS".into(), "maybe".into());
        assert_eq!(Config::from_map(&m).err().unwrap().var, "GONGHUI_RUN_MIGRATIONS");
        let mut m = base();
        m.remove("GONGHUI_DATABASE_URL");
        assert_eq!(Config::from_map(&m).err().unwrap().var, "GONGHUI_DATABASE_URL");
        let mut m = base();
        m.insert("GONGHUI_ENCRYPTION_KEY".into(), "short".into());
        assert_eq!(Config::from_map(&m).err().unwrap().var, "GONGHUI_ENCRYPTION_KEY");
        let mut m = base();
        m.insert("GONGHUI_BIND".into(), "nowhere".into());
        assert_eq!(Config::from_map(&m).err().unwrap().var, "GONGHUI_BIND");
    }

    #[test]
    fn out_of_range_is_refused() {
        let mut m = base();
        m.insert("GONGHUI_DB_POOL_SIZE".into(), "0".into());
        let e = Config::from_map(&m).err().unwrap();
        assert!(e.message.contains("outside"), "{e}");
    }
}
