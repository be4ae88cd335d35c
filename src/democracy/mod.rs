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

mod access;
mod congresses;
mod delegates;
mod departments;
pub mod error;
mod evaluations;
mod motions;
mod proposals;
mod suggestions;
pub mod types;

use crate::webhooks::EventDef;

// The public face other modules may call.
// The public face: what other modules may use. Resource modules are private, so a store
// function of this domain cannot be imported from elsewhere; what is re-exported here takes
// a proof (or is a pure rule, a type or a constant).
pub use access::handler_departments;
pub use delegates::dto::CheckInRequest;
pub use departments::dto::HandledDepartment;
pub use departments::store::handled_by as departments_handled_by;
/// Voting rules (pure): quorum and majority.
pub use motions::rules as motion_rules;
pub use proposals::access::ProposalAccess;
pub use proposals::reminders::JOB_KIND as PROPOSAL_REMINDERS_JOB;
/// The proposal state machine (pure).
pub use proposals::rules as proposal_rules;
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

/// The webhook events democratic management sends.
pub const WEBHOOK_EVENTS: &[EventDef] = &[
    EventDef {
        name: "proposal.status_changed",
        doc: "A proposal changed status (every transition: action, from, to, number).",
    },
    EventDef {
        name: "proposal.reminder",
        doc: "A proposal deadline is near or has passed (reply due in 7 days / 1 day, overdue, feedback due).",
    },
    EventDef {
        name: "motion.result",
        doc: "Voting on a motion closed: counts, quorum and whether it passed (never who voted how).",
    },
    EventDef { name: "suggestion.responded", doc: "A suggestion received its response." },
    EventDef {
        name: "evaluation.published",
        doc: "An evaluation campaign closed and its aggregated results were published.",
    },
];

/// The domain's jobs: the daily proposal reminders.
pub fn jobs(registry: &mut crate::jobs::Registry) {
    proposals::reminders::register(registry);
}
