//! Request and response types of motions, ballots and results. No type here carries a
//! voter next to a choice: a ballot request holds the choice, its answer only `voted`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::democracy::types::{Choice, MajorityBase, MotionKind, MotionStatus};

use crate::http::validators::no_surrounding_space;

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MotionQuery {
    pub kind: Option<MotionKind>,
    pub status: Option<MotionStatus>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMotion {
    pub kind: MotionKind,
    #[validate(length(min = 1, max = 200), custom(function = "no_surrounding_space"))]
    #[schema(example = "学校工作报告", min_length = 1, max_length = 200, extensions(("x-text" = json!("trimmed"))))]
    pub title: String,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// The sitting (全体会议) whose attendance decides the quorum; 1 by default.
    #[validate(range(min = 1, max = 20))]
    #[serde(default = "first_sitting")]
    #[schema(minimum = 1, maximum = 20, default = 1)]
    pub sitting: i16,
}

fn first_sitting() -> i16 {
    1
}

/// Changes to a draft motion (fields left out stay as they are).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMotion {
    pub kind: Option<MotionKind>,
    #[validate(length(min = 1, max = 200), custom(function = "no_surrounding_space"))]
    #[schema(min_length = 1, max_length = 200, extensions(("x-text" = json!("trimmed"))))]
    pub title: Option<String>,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[validate(range(min = 1, max = 20))]
    #[schema(minimum = 1, maximum = 20)]
    pub sitting: Option<i16>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MotionView {
    pub id: i64,
    pub congress_id: i64,
    pub kind: MotionKind,
    #[schema(example = "学校工作报告")]
    pub title: String,
    pub description: Option<String>,
    pub sitting: i16,
    pub status: MotionStatus,
    pub voting_opened_at: Option<DateTime<Utc>>,
    pub voting_closed_at: Option<DateTime<Utc>>,
    /// Present once voting has closed: the same object as `GET /motions/{id}/result`.
    pub result: Option<MotionResult>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CastBallot {
    pub choice: Choice,
}

/// A ballot was counted. The choice is never echoed back.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BallotAccepted {
    pub motion_id: i64,
    pub voted: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuorumView {
    pub met: bool,
    /// Present formal delegates needed.
    pub needed: i64,
    pub num: i64,
    pub den: i64,
    /// Whether exactly num/den present is enough (三分之二以上 includes two thirds).
    pub inclusive: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MajorityView {
    pub base: MajorityBase,
    pub denominator: i64,
    /// Votes for needed to pass: more than half of the denominator.
    pub votes_needed: i64,
}

/// A motion's result, one shape wherever it appears (`GET /motions/{id}/result`, and
/// `result` of a closed motion). While voting: turnout only (`cast`, `not_voted`), no
/// per-choice counts and no verdict; after close: the figures frozen at close.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MotionResult {
    pub motion_id: i64,
    pub status: MotionStatus,
    /// Whether the figures are final (voting closed).
    pub is_final: bool,
    pub formal_total: i64,
    /// Formal delegates checked in present at the motion's sitting.
    pub present: i64,
    /// Formal delegates expected at the sitting (all but those excused).
    pub expected: i64,
    /// Ballots cast so far.
    pub cast: i64,
    /// Formal delegates who have not voted.
    pub not_voted: i64,
    /// Only after close.
    pub for_count: Option<i64>,
    pub against_count: Option<i64>,
    pub abstain_count: Option<i64>,
    pub quorum: QuorumView,
    pub majority: MajorityView,
    /// Only after close.
    pub passed: Option<bool>,
}

/// A motion waiting for the caller's ballot (mini-program).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MyMotion {
    pub id: i64,
    pub congress_id: i64,
    pub congress_name: String,
    pub kind: MotionKind,
    pub title: String,
    pub description: Option<String>,
    pub sitting: i16,
    pub voting_opened_at: Option<DateTime<Utc>>,
    /// Whether the caller is checked in present at the sitting (required to vote).
    pub checked_in: bool,
}

/// One change of a motion's voting window (create, edit, open-voting, close-voting).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MotionHistoryEntry {
    pub id: i64,
    pub action: String,
    pub from_status: Option<MotionStatus>,
    pub to_status: MotionStatus,
    pub actor_user_id: Option<i64>,
    /// The actor's display name (null for system actions).
    pub actor_name: Option<String>,
    pub at: DateTime<Utc>,
}
