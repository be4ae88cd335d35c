//! Integrations with the university's integrated information system: the HR roster sync
//! (`PUT /integration/roster`, API clients with scope `roster:write`).
//!
//! - [`roster`]: the rules (reading JSON or CSV rosters, comparing rows with stored members),
//!   plain functions with unit tests;
//! - [`roster_store`]: the batched upsert, marking missing members as left;
//! - [`roster_api`]: the route.

pub mod roster;
pub mod roster_api;
pub mod roster_store;

use utoipa_actix_web::service_config::ServiceConfig;

/// Routes under `/api/v1`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(roster_api::sync_roster);
}
