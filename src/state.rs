//! The state every request and job shares: configuration, the pool, the token service,
//! metrics and caches. It names no domain, so every handler can import it without pulling in
//! the routes of every other domain (`app.rs` is where the domains are put together).

use std::sync::Arc;

use crate::auth::cache::AuthCache;
use crate::auth::tokens::TokenService;
use crate::config::Config;
use crate::db::DbPool;
use crate::http::metrics::Metrics;
use crate::http::routes::RouteTable;

/// Everything a request needs, shared by all workers.
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: DbPool,
    pub tokens: Arc<TokenService>,
    /// Verified tokens and loaded principals (see `auth::cache`), with their listener.
    pub auth_cache: Arc<AuthCache>,
    pub metrics: Arc<Metrics>,
    pub routes: Arc<RouteTable>,
    pub spec: Arc<utoipa::openapi::OpenApi>,
    /// Outgoing calls (WeChat, CAS).
    pub http: reqwest::Client,
    /// Permits for password hashing (`auth::password::slot`).
    pub password_slots: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// `spec` is the service's OpenAPI document (`app::openapi()`), built once per process.
    pub fn new(config: Config, pool: DbPool, spec: utoipa::openapi::OpenApi) -> anyhow::Result<Self> {
        let tokens = TokenService::from_config(&config)?;
        let http = crate::outbound::client(&config)?;
        // Starts the principal cache's LISTEN connection on the current runtime.
        let auth_cache = AuthCache::start(&config.database_url, config.db_connect_timeout);
        let password_slots = Arc::new(tokio::sync::Semaphore::new(config.password_hash_concurrency));
        Ok(AppState {
            config: Arc::new(config),
            password_slots,
            pool,
            tokens: Arc::new(tokens),
            auth_cache,
            metrics: Arc::new(Metrics::default()),
            routes: Arc::new(RouteTable::from_openapi(&spec)),
            spec: Arc::new(spec),
            http,
        })
    }
}
