//! Democratic management (民主管理): congresses (教代会/工代会), delegates and check-ins,
//! motions and secret ballots, proposals from filing to feedback, handling departments,
//! suggestions and democratic evaluations.
//!
//! Rules (MoE Order No. 32 and the university's rules, kept as data on each congress):
//! - only formal delegates vote, propose and co-sign; observers attend;
//! - a sitting decides only with two thirds of the formal delegates present; a motion passes
//!   with more than half of all formal delegates (the denominator is configurable);
//! - a ballot and an evaluation sheet are stored apart from the receipt naming the voter, so
//!   results show counts only and nothing can trace a vote;
//! - every proposal transition goes through `rules::proposal_transition` and writes a history
//!   row; drafts are the proposer's own.

pub mod access;
pub mod congresses;
pub mod delegates;
pub mod departments;
pub mod evaluations;
pub mod motions;
pub mod proposals;
pub mod suggestions;
pub mod types;

use utoipa_actix_web::service_config::ServiceConfig;

/// Routes under `/api/v1`, one call per part.
pub fn routes(cfg: &mut ServiceConfig) {
    congresses::api::routes(cfg);
    delegates::api::routes(cfg);
    motions::api::routes(cfg);
    departments::api::routes(cfg);
    suggestions::api::routes(cfg);
    evaluations::api::routes(cfg);
    proposals::api::routes(cfg);
    proposals::actions_api::routes(cfg);
}
