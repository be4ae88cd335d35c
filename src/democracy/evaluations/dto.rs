//! Democratic evaluations (`/evaluations`): campaigns, anonymous sheets and results.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::democracy::types::{CampaignStatus, TargetKind};

use crate::http::validators::not_blank;

/// Who or what is evaluated: a department or a leader.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    pub kind: TargetKind,
    /// The department's name, or the leader's name and post.
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(example = "教务处", min_length = 1, max_length = 100, extensions(("x-text" = json!("not_blank"))))]
    pub name: String,
    /// The department evaluated (or the leader's department).
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub department_id: Option<i64>,
}

/// One line of the scoring sheet, scored 0..=max_score for every target.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionInput {
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(example = "服务态度", min_length = 1, max_length = 100, extensions(("x-text" = json!("not_blank"))))]
    pub name: String,
    #[validate(range(min = 1, max = 100))]
    #[schema(example = 10, minimum = 1, maximum = 100)]
    pub max_score: i16,
}

/// A new campaign (draft). Targets and criteria may follow by PATCH while it is a draft.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaign {
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub congress_id: i64,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(example = "2023 年度职能部门民主评议", min_length = 1, max_length = 200, extensions(("x-text" = json!("not_blank"))))]
    pub title: String,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[validate(length(max = 200), nested)]
    #[serde(default)]
    #[schema(max_items = 200)]
    pub targets: Vec<TargetInput>,
    #[validate(length(max = 30), nested)]
    #[serde(default)]
    #[schema(max_items = 30)]
    pub criteria: Vec<CriterionInput>,
}

/// Changes a draft campaign; `targets` and `criteria`, when given, replace the lists.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCampaign {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, extensions(("x-text" = json!("not_blank"))))]
    pub title: Option<String>,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[validate(length(max = 200), nested)]
    #[schema(max_items = 200)]
    pub targets: Option<Vec<TargetInput>>,
    #[validate(length(max = 30), nested)]
    #[schema(max_items = 30)]
    pub criteria: Option<Vec<CriterionInput>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetView {
    pub id: i64,
    pub kind: TargetKind,
    pub name: String,
    pub department_id: Option<i64>,
    pub sort_order: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CriterionView {
    pub id: i64,
    pub name: String,
    pub max_score: i16,
    pub sort_order: i32,
}

/// A campaign with its sheet (targets × criteria).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignView {
    pub id: i64,
    pub congress_id: i64,
    pub title: String,
    pub description: Option<String>,
    /// draft → open (delegates submit sheets) → closed (results published).
    pub status: CampaignStatus,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub targets: Vec<TargetView>,
    pub criteria: Vec<CriterionView>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A campaign in lists.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignSummary {
    pub id: i64,
    pub congress_id: i64,
    pub title: String,
    pub status: CampaignStatus,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub target_count: i64,
    pub criterion_count: i64,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub congress_id: Option<i64>,
    #[param(inline)]
    pub status: Option<CampaignStatus>,
}

/// One score of a sheet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    /// A target of the campaign (any other id is 422 `unknown_target`).
    #[schema(minimum = 1)]
    pub target_id: i64,
    /// A criterion of the campaign (any other id is 422 `unknown_criterion`).
    #[schema(minimum = 1)]
    pub criterion_id: i64,
    /// 0 to the criterion's `max_score`.
    #[schema(minimum = 0, maximum = 100)]
    pub score: i32,
}

/// A delegate's anonymous sheet: every (target, criterion) pair of the campaign exactly once.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitSheet {
    /// Every target × criterion of the campaign (at most 200 × 30), which can be more than
    /// the usual body limit: the sheet is read up to the import limit (`LargeJson`).
    #[validate(length(min = 1, max = 6000))]
    #[schema(min_items = 1, max_items = 6000)]
    pub scores: Vec<ScoreInput>,
}

/// The receipt of a sheet: it says that the caller has evaluated, never what.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SheetReceipt {
    pub campaign_id: i64,
    pub submitted: bool,
}

/// One criterion's mean for a target.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CriterionResult {
    pub criterion_id: i64,
    pub name: String,
    pub max_score: i16,
    /// Mean score × 100, exact and rounded half up (`850` = 8.50); absent without sheets.
    pub mean_x100: Option<i64>,
}

/// A target's aggregate: means over all sheets, never a single sheet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetResult {
    pub target_id: i64,
    pub kind: TargetKind,
    pub name: String,
    pub department_id: Option<i64>,
    /// 1 = highest total mean; equal totals share a rank.
    pub rank: i64,
    pub sheets: i64,
    /// Mean of the sheets' totals × 100.
    pub total_mean_x100: Option<i64>,
    /// The highest total a sheet can give (sum of the criteria's maxima).
    pub max_total: i64,
    /// Total mean as a share of `max_total`, in basis points (10000 = 100%).
    pub score_rate_bp: Option<crate::kernel::money::Bp>,
    pub criteria: Vec<CriterionResult>,
}

/// The published results of a closed campaign.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignResults {
    pub campaign_id: i64,
    pub congress_id: i64,
    pub title: String,
    pub closed_at: Option<DateTime<Utc>>,
    pub sheets: i64,
    /// Formal delegates of the congress (those who could submit).
    pub formal_delegates: i64,
    /// Sheets / formal delegates, in basis points.
    pub turnout_bp: crate::kernel::money::Bp,
    /// Targets by rank, then in the campaign's order.
    pub targets: Vec<TargetResult>,
}

/// An open campaign of a congress the caller is a formal delegate of.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MyCampaign {
    pub id: i64,
    pub congress_id: i64,
    pub title: String,
    pub opened_at: Option<DateTime<Utc>>,
    pub target_count: i64,
    pub criterion_count: i64,
    /// Whether the caller has submitted their sheet.
    pub submitted: bool,
}
