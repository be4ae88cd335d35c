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
pub mod check_ins_store;
pub mod congresses_api;
pub mod congresses_dto;
pub mod congresses_rules;
pub mod congresses_store;
pub mod delegates_api;
pub mod delegates_dto;
pub mod delegates_store;
pub mod departments_api;
pub mod departments_dto;
pub mod departments_store;
pub mod evaluations_api;
pub mod evaluations_dto;
pub mod evaluations_rules;
pub mod evaluations_store;
pub mod motions_api;
pub mod motions_dto;
pub mod motions_rules;
pub mod motions_store;
pub mod proposals_actions_api;
pub mod proposals_api;
pub mod proposals_decisions;
pub mod proposals_drafts;
pub mod proposals_dto;
pub mod proposals_lists;
pub mod proposals_reminders;
pub mod proposals_report;
pub mod proposals_store;
pub mod proposals_workflow;
pub mod rules;
pub mod seed;
pub mod seed_plan;
pub mod suggestions_api;
pub mod suggestions_dto;
pub mod suggestions_rules;
pub mod suggestions_store;
pub mod types;

use utoipa_actix_web::service_config::ServiceConfig;

/// Routes under `/api/v1`, one call per part.
pub fn routes(cfg: &mut ServiceConfig) {
    congresses_api::routes(cfg);
    delegates_api::routes(cfg);
    motions_api::routes(cfg);
    departments_api::routes(cfg);
    suggestions_api::routes(cfg);
    evaluations_api::routes(cfg);
    proposals_api::routes(cfg);
    proposals_actions_api::routes(cfg);
}
