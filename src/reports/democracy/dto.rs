//! The report's query and its JSON shape.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::democracy::types::MotionKind;
use crate::democracy::types::ResultCodeCounts;

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DemocracyReportQuery {
    /// Congresses held in this year.
    #[validate(range(min = 1949, max = 2100))]
    #[param(minimum = 1949, maximum = 2100, example = 2023)]
    pub year: Option<i32>,
    /// One congress.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub congress_id: Option<i64>,
    /// One delegation: the delegations of this unit and the units below it.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub unit_id: Option<i64>,
}

/// The figures of democratic management.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReport {
    /// The filters applied.
    pub year: Option<i32>,
    pub congress_id: Option<i64>,
    pub unit_id: Option<i64>,
    /// Congresses counted.
    pub congresses: i64,
    pub delegates: DemocracyReportDelegates,
    pub participation: DemocracyReportParticipation,
    pub motions: DemocracyReportMotions,
    pub proposals: DemocracyReportProposals,
    pub suggestions: DemocracyReportSuggestions,
    pub unit_congresses: DemocracyReportUnitCongresses,
    /// Per delegation (unit), in the order of the organisation.
    pub by_unit: Vec<DemocracyReportUnit>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportDelegates {
    pub formal: i64,
    pub observer: i64,
    /// Formal delegates of category teacher.
    pub teachers: i64,
    /// Teachers / formal delegates, in basis points (at least 6000 by the rules).
    pub teacher_share_bp: crate::kernel::money::Bp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportParticipation {
    pub formal: i64,
    /// Formal delegates present at one sitting at least.
    pub present: i64,
    pub rate_bp: crate::kernel::money::Bp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportMotions {
    /// Motions whose vote has closed.
    pub voted: i64,
    pub passed: i64,
    /// Every kind, zeros included.
    pub by_kind: Vec<DemocracyReportMotionKind>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportMotionKind {
    pub kind: MotionKind,
    pub label: String,
    pub voted: i64,
    pub passed: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportProposals {
    pub filed: i64,
    pub accepted: i64,
    pub declined: i64,
    /// Converted to suggestions, late ones included.
    pub converted: i64,
    /// Of those converted: filed after the deadline.
    pub converted_late: i64,
    pub merged: i64,
    pub withdrawn: i64,
    pub replied: i64,
    pub replied_on_time: i64,
    pub on_time_rate_bp: crate::kernel::money::Bp,
    pub satisfaction: DemocracyReportSatisfaction,
    pub result_codes: ResultCodeCounts,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportSatisfaction {
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub unsatisfied: i64,
    /// Replied, no feedback (yet).
    pub none: i64,
    /// (satisfied + basically satisfied) / replied with feedback.
    pub rate_bp: crate::kernel::money::Bp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportSuggestions {
    pub total: i64,
    pub responded: i64,
    /// Every category, in their order, zeros included.
    pub by_category: Vec<DemocracyReportCategory>,
}

#[derive(Debug, Clone, Serialize, ToSchema, QueryableByName)]
pub struct DemocracyReportCategory {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
    #[diesel(sql_type = BigInt)]
    pub responded: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportUnitCongresses {
    /// Secondary unions that held a unit-level congress.
    pub held: i64,
    pub secondary_units: i64,
    /// 二级教代会建制率.
    pub rate_bp: crate::kernel::money::Bp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportUnit {
    pub unit_id: i64,
    pub unit_name: String,
    pub formal: i64,
    pub observer: i64,
    pub present: i64,
    pub participation_bp: crate::kernel::money::Bp,
    /// Proposals filed by the delegation's delegates.
    pub proposals: i64,
    pub accepted: i64,
}
