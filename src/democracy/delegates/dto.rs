//! Delegates of a congress, check-ins per sitting and participation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::democracy::types::{CheckInStatus, DelegateCategory, DelegateKind};
use crate::http::spec::rules::SchemaRules;

fn staff_nos_ok(v: &[String]) -> Result<(), validator::ValidationError> {
    let ok = v.iter().all(|s| (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if ok { Ok(()) } else { Err(validator::ValidationError::new("invalid_format")) }
}

fn ids_ok(v: &[i64]) -> Result<(), validator::ValidationError> {
    if v.iter().all(|id| *id >= 1) { Ok(()) } else { Err(validator::ValidationError::new("invalid_format")) }
}

/// A delegate as lists show them: the member, the delegation and attendance so far.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DelegateView {
    pub id: i64,
    pub congress_id: i64,
    pub member_id: i64,
    #[schema(example = "20230001")]
    pub staff_no: String,
    #[schema(example = "张三")]
    pub name: String,
    /// The member's own unit.
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: DelegateKind,
    pub category: DelegateCategory,
    /// The delegation (代表团) the delegate sits in.
    pub delegation_unit_id: i64,
    pub delegation_unit_name: String,
    /// Sittings the delegate was checked in at.
    pub sittings_present: i64,
    /// Sittings the delegate was excused from.
    pub sittings_excused: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DelegateQuery {
    pub kind: Option<DelegateKind>,
    pub category: Option<DelegateCategory>,
    /// Delegates of this delegation (unit).
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub unit_id: Option<i64>,
    /// Part of the name, or the start of the staff number.
    #[validate(length(min = 1, max = 50))]
    #[param(min_length = 1, max_length = 50)]
    pub q: Option<String>,
}

/// Makes an active member a delegate. The delegation defaults to the member's secondary
/// union and must lie inside the congress's unit.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddDelegate {
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub member_id: i64,
    pub kind: DelegateKind,
    /// Defaults to `teacher`.
    pub category: Option<DelegateCategory>,
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub delegation_unit_id: Option<i64>,
}

/// Adds many delegates by staff number (duplicates in the list count once).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAddDelegates {
    #[validate(length(min = 1, max = 1000), custom(function = "staff_nos_ok"))]
    #[schema(min_items = 1, max_items = 1000, example = json!(["20230001", "20230002"]), pattern = "^[A-Za-z0-9-]{1,32}$")]
    pub staff_nos: Vec<String>,
    pub kind: DelegateKind,
    /// Defaults to `teacher`.
    pub category: Option<DelegateCategory>,
    /// One delegation for all; left out, each member's own secondary union.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub delegation_unit_id: Option<i64>,
}

/// One delegate added by a bulk call.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AddedDelegate {
    pub staff_no: String,
    pub delegate_id: i64,
}

/// What a bulk add did, row by row. The call is partial: valid rows are added and every
/// other staff number is reported in the list that says why.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct BulkAddReport {
    pub added: Vec<AddedDelegate>,
    /// Already delegates of this congress (nothing changed).
    pub already_delegates: Vec<String>,
    /// No member with this staff number in the caller's scope.
    pub unknown_staff_nos: Vec<String>,
    /// Members who have left the union.
    pub inactive: Vec<String>,
    /// Members whose secondary union lies outside the congress's unit.
    pub outside_congress: Vec<String>,
}

/// Re-classifies a delegate while the congress is being prepared.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDelegate {
    pub kind: Option<DelegateKind>,
    pub category: Option<DelegateCategory>,
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub delegation_unit_id: Option<i64>,
}

/// Attendance at a sitting, by delegate id or by staff number (exactly one list).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInRequest {
    /// The sitting (全体会议), from 1.
    #[validate(range(min = 1, max = 20))]
    #[schema(minimum = 1, maximum = 20, example = 1)]
    pub sitting: i16,
    #[validate(length(min = 1, max = 1000), custom(function = "ids_ok"))]
    #[schema(min_items = 1, max_items = 1000, minimum = 1)]
    pub delegate_ids: Option<Vec<i64>>,
    #[validate(length(min = 1, max = 1000), custom(function = "staff_nos_ok"))]
    #[schema(min_items = 1, max_items = 1000, pattern = "^[A-Za-z0-9-]{1,32}$")]
    pub staff_nos: Option<Vec<String>>,
    /// Defaults to `present`.
    pub status: Option<CheckInStatus>,
}

impl SchemaRules for CheckInRequest {
    /// Exactly one of the two lists (`check_ins::record`); `null` is the same as absent.
    fn schema_rules() -> serde_json::Value {
        let list = json!({"type": "array"});
        let absent = json!({"type": "null"});
        json!({"oneOf": [
            {"required": ["delegate_ids"], "properties": {"delegate_ids": list, "staff_nos": absent}},
            {"required": ["staff_nos"], "properties": {"staff_nos": list, "delegate_ids": absent}},
        ]})
    }
}

/// What a check-in call did. New records are `recorded`; excused → present is `updated`;
/// the same status again (or present → excused) is `unchanged`. Unknown entries are
/// reported and the rest recorded.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CheckInReport {
    pub sitting: i16,
    pub status: Option<CheckInStatus>,
    pub recorded: i64,
    pub updated: i64,
    pub unchanged: i64,
    /// Ids that are not delegates of this congress.
    pub unknown_delegate_ids: Vec<i64>,
    /// Staff numbers of no delegate of this congress.
    pub unknown_staff_nos: Vec<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckInQuery {
    #[validate(range(min = 1, max = 20))]
    #[param(minimum = 1, maximum = 20)]
    pub sitting: Option<i16>,
    pub status: Option<CheckInStatus>,
    pub kind: Option<DelegateKind>,
}

/// One delegate's attendance at one sitting.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckInView {
    pub delegate_id: i64,
    pub member_id: i64,
    pub staff_no: String,
    pub name: String,
    pub kind: DelegateKind,
    pub delegation_unit_id: i64,
    pub delegation_unit_name: String,
    pub sitting: i16,
    pub status: CheckInStatus,
    pub recorded_at: DateTime<Utc>,
}

/// Attendance at one sitting.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SittingParticipation {
    pub sitting: i16,
    pub formal_total: i64,
    pub present: i64,
    pub excused: i64,
    /// Neither present nor excused.
    pub absent: i64,
    pub observers_present: i64,
    /// present / formal_total in basis points (10000 = 100%).
    pub rate_bp: crate::kernel::money::Bp,
    /// Whether the sitting had its quorum under the congress's rule (left out when the
    /// caller sees only some delegations).
    pub quorum_met: Option<bool>,
}

/// Participation of one delegation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DelegationParticipation {
    pub unit_id: i64,
    pub unit_name: String,
    pub formal_total: i64,
    pub observer_total: i64,
    /// Formal delegates present at one sitting at least.
    pub formal_attended: i64,
    pub rate_bp: crate::kernel::money::Bp,
}

/// 代表参会率: per sitting, per delegation and overall (formal delegates present at least
/// once / formal delegates). Bounded by the sittings (≤ 20) and delegations, so not paginated.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Participation {
    pub congress_id: i64,
    /// Whether the figures cover the whole congress or only the delegations in the caller's scope.
    pub complete: bool,
    pub formal_total: i64,
    pub observer_total: i64,
    pub formal_attended: i64,
    pub rate_bp: crate::kernel::money::Bp,
    pub sittings: Vec<SittingParticipation>,
    pub by_delegation: Vec<DelegationParticipation>,
}
