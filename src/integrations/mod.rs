//! The systems gonghui integrates with: the university's CAS server (统一身份认证), the
//! WeChat mini-program platform, and the integrated information system's HR roster.
//!
//! - [`cas`]: CAS 3.0 ticket validation (JSON or XML answers);
//! - [`wechat`]: mini-program login and binding, the access token, subscribe messages;
//! - [`roster`]: reading JSON or CSV rosters and comparing rows with stored members (plain
//!   rules with unit tests), the batched upsert and marking missing members as left, and
//!   `PUT /integration/roster` (API clients with `roster:write`).

pub mod cas;
pub mod roster;
pub mod wechat;

use utoipa_actix_web::service_config::ServiceConfig;

/// Routes under `/api/v1` of the roster sync (WeChat's and CAS's are registered by their modules).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(roster::api::sync_roster);
}

/// Jobs of the integrations: sending WeChat subscribe messages.
pub fn jobs(registry: &mut crate::jobs::Registry) {
    wechat::messages::register(registry);
}
