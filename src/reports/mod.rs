//! Reports (dashboards; `Permission::ReportsRead`: union administrators and API clients with
//! scope `reports:read`): read-only aggregates over the domains' tables, as JSON or, with
//! `?format=csv|xlsx`, as a flat table.
//!
//! A report reads the tables of its domain directly (aggregates only: no names, no choices),
//! and never writes.

pub mod democracy;

use utoipa_actix_web::service_config::ServiceConfig;

/// Routes under `/api/v1`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(democracy::get_democracy_report);
}
