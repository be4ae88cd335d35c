//! Request and response types of `/proposals` and the mini-program's proposal views.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::democracy::types::{
    CosignStatus, DepartmentRole, ExtensionStatus, Feedback, ProposalCategory, ProposalStatus, ResultCode,
};

use crate::http::validators::clean_text;

/// A new proposal (a draft): one issue per proposal (一事一案) with its cause (案由), the
/// analysis (理由) and the measures proposed (建议).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProposal {
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub congress_id: i64,
    #[validate(length(min = 1, max = 200), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 200, example = "关于增设校园电动车充电设施的提案", extensions(("x-text" = json!("not_blank"))))]
    pub title: String,
    /// One of the nine categories (`GET /suggestions/categories` names them).
    #[schema(example = "logistics")]
    pub category: ProposalCategory,
    #[validate(length(min = 1, max = 5000), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 5000, extensions(("x-text" = json!("not_blank"))))]
    pub cause: String,
    #[validate(length(min = 1, max = 20000), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 20000, extensions(("x-text" = json!("not_blank"))))]
    pub analysis: String,
    #[validate(length(min = 1, max = 20000), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 20000, extensions(("x-text" = json!("not_blank"))))]
    pub measures: String,
    /// Submitted collectively by the proposer's delegation (代表团提案).
    #[serde(default)]
    pub by_delegation: bool,
    /// Formal delegates of the same congress invited to co-sign (附议); invitations go out on submit.
    #[serde(default)]
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    pub cosigner_delegate_ids: Vec<i64>,
}

/// Changes to a draft. While the proposal is gathering co-signatures, only
/// `cosigner_delegate_ids` may change, and only by adding delegates.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProposal {
    #[validate(length(min = 1, max = 200), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 200, extensions(("x-text" = json!("not_blank"))))]
    pub title: Option<String>,
    pub category: Option<ProposalCategory>,
    #[validate(length(min = 1, max = 5000), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 5000, extensions(("x-text" = json!("not_blank"))))]
    pub cause: Option<String>,
    #[validate(length(min = 1, max = 20000), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 20000, extensions(("x-text" = json!("not_blank"))))]
    pub analysis: Option<String>,
    #[validate(length(min = 1, max = 20000), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 20000, extensions(("x-text" = json!("not_blank"))))]
    pub measures: Option<String>,
    pub by_delegation: Option<bool>,
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    pub cosigner_delegate_ids: Option<Vec<i64>>,
}

/// A co-signer's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CosignDecision {
    Agree,
    Decline,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CosignBody {
    pub decision: CosignDecision,
}

/// An optional comment on a transition (kept in the history).
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    #[validate(length(min = 1, max = 2000), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 2000, extensions(("x-text" = json!("not_blank"))))]
    pub comment: Option<String>,
}

/// Declining (不予立案) needs a reason the proposer will read.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[validate(length(min = 1, max = 2000), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 2000, example = "不属于学校职权范围", extensions(("x-text" = json!("not_blank"))))]
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The proposal this one is merged into (same congress, under review or accepted).
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub into_proposal_id: i64,
    #[validate(length(min = 1, max = 2000), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 2000, extensions(("x-text" = json!("not_blank"))))]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// 主办单位.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub lead_department_id: i64,
    /// 协办单位.
    #[serde(default)]
    #[validate(length(max = 10))]
    #[schema(max_items = 10)]
    pub co_department_ids: Vec<i64>,
    /// Reply deadline; by default the congress's reply window (90 days) from today.
    pub reply_due_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionBody {
    /// Days added to the reply deadline, at most the congress's `max_extension_days` (30).
    #[validate(range(min = 1, max = 365))]
    #[schema(minimum = 1, maximum = 365)]
    pub days: i32,
    #[validate(length(min = 1, max = 2000), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 2000, extensions(("x-text" = json!("not_blank"))))]
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    /// A solved · B in progress · C planned · D for reference.
    pub result_code: ResultCode,
    #[validate(length(min = 1, max = 20000), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 20000, extensions(("x-text" = json!("not_blank"))))]
    pub content: String,
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackBody {
    pub verdict: Feedback,
    #[validate(length(min = 1, max = 2000), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 2000, extensions(("x-text" = json!("not_blank"))))]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenBody {
    /// The re-handling deadline; by default the congress's extension window (30 days) from today.
    pub reply_due_on: Option<NaiveDate>,
    #[validate(length(min = 1, max = 2000), custom(function = "clean_text"))]
    #[schema(min_length = 1, max_length = 2000, extensions(("x-text" = json!("not_blank"))))]
    pub comment: Option<String>,
}

/// A delegate as shown on a proposal.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DelegateBrief {
    pub delegate_id: i64,
    pub member_id: i64,
    pub name: String,
    pub unit_id: i64,
    pub unit_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CosignerView {
    #[serde(flatten)]
    pub delegate: DelegateBrief,
    pub status: CosignStatus,
    pub responded_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProposalDepartmentView {
    pub department_id: i64,
    pub name: String,
    pub role: DepartmentRole,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReplyView {
    /// 1, or 2 for the re-handling.
    pub round: i16,
    pub department_id: i64,
    pub department_name: String,
    pub result_code: ResultCode,
    pub content: String,
    pub due_on: NaiveDate,
    pub on_time: bool,
    pub replied_at: DateTime<Utc>,
    pub feedback: Option<Feedback>,
    pub feedback_comment: Option<String>,
    pub feedback_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExtensionView {
    pub status: ExtensionStatus,
    pub days: Option<i32>,
    pub reason: Option<String>,
}

/// A proposal with everything the caller may see of it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProposalView {
    pub id: i64,
    pub congress_id: i64,
    /// `2023-TA-001`, given on acceptance.
    pub number: Option<String>,
    pub status: ProposalStatus,
    pub title: String,
    pub category: String,
    pub cause: String,
    pub analysis: String,
    pub measures: String,
    pub by_delegation: bool,
    pub proposer: DelegateBrief,
    pub cosigners: Vec<CosignerView>,
    /// Co-signers who agreed, and the number the congress requires.
    pub cosigners_agreed: i64,
    pub min_cosigners: i16,
    /// Proposers of proposals merged into this one.
    pub coproposers: Vec<DelegateBrief>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    pub merged_into_id: Option<i64>,
    pub suggestion_id: Option<i64>,
    pub departments: Vec<ProposalDepartmentView>,
    pub reply_due_on: Option<NaiveDate>,
    pub extension: ExtensionView,
    pub replies: Vec<ReplyView>,
    pub feedback_due_on: Option<NaiveDate>,
    pub feedback: Option<Feedback>,
    pub rehandle_count: i16,
    /// Waiting for a reply after its deadline.
    pub overdue: bool,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A proposal in a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProposalSummary {
    pub id: i64,
    pub congress_id: i64,
    pub number: Option<String>,
    pub status: ProposalStatus,
    pub title: String,
    pub category: String,
    pub proposer_name: String,
    pub proposer_unit_name: String,
    pub lead_department_id: Option<i64>,
    pub lead_department_name: Option<String>,
    pub reply_due_on: Option<NaiveDate>,
    pub result_code: Option<ResultCode>,
    pub feedback: Option<Feedback>,
    pub overdue: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// An accepted proposal as published to all members, with its latest reply.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicProposal {
    pub id: i64,
    pub congress_id: i64,
    pub number: Option<String>,
    pub status: ProposalStatus,
    pub title: String,
    pub category: String,
    pub proposer_name: String,
    pub proposer_unit_name: String,
    /// 案由: what the proposal is about.
    pub cause: String,
    /// 分析: the proposer's analysis of the problem.
    pub analysis: String,
    /// 措施: the measures the proposal asks for.
    pub measures: String,
    pub lead_department_name: Option<String>,
    pub result_code: Option<ResultCode>,
    pub reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProposalHistoryEntry {
    pub id: i64,
    pub action: String,
    pub from_status: Option<ProposalStatus>,
    pub to_status: ProposalStatus,
    pub actor_user_id: Option<i64>,
    /// The actor's display name (null for system actions and removed accounts).
    pub actor_name: Option<String>,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

/// A pending invitation to co-sign, for the mini-program.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CosignInvitation {
    pub proposal_id: i64,
    pub congress_id: i64,
    pub title: String,
    pub category: String,
    pub proposer_name: String,
    pub proposer_unit_name: String,
    pub invited_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProposalQuery {
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub congress_id: Option<i64>,
    pub status: Option<ProposalStatus>,
    pub category: Option<ProposalCategory>,
    /// Proposals this department leads or co-handles.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub department_id: Option<i64>,
    /// Only proposals waiting for a reply after their deadline.
    pub overdue: Option<bool>,
    /// Part of the title, or the number.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicProposalQuery {
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub congress_id: Option<i64>,
    pub category: Option<ProposalCategory>,
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
}

/// The handling report of a congress's proposals (the document the next session reviews).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HandlingReport {
    pub congress_id: i64,
    pub congress_name: String,
    pub year: i32,
    /// Proposals filed (submitted, whatever became of them).
    pub filed: i64,
    pub accepted: i64,
    pub declined: i64,
    pub converted: i64,
    pub merged: i64,
    pub withdrawn: i64,
    pub replied: i64,
    pub replied_on_time: i64,
    /// Replies on time / replied, in basis points (10000 = 100%).
    pub on_time_rate_bp: crate::kernel::money::Bp,
    pub overdue: i64,
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub unsatisfied: i64,
    /// (satisfied + basically satisfied) / proposals with feedback, in basis points.
    pub satisfaction_rate_bp: crate::kernel::money::Bp,
    pub result_codes: crate::democracy::types::ResultCodeCounts,
    pub by_category: Vec<CodeCount>,
    pub by_department: Vec<DepartmentLoad>,
    pub accepted_proposals: Vec<HandlingLine>,
    pub not_accepted: Vec<HandlingLine>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CodeCount {
    pub code: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DepartmentLoad {
    pub department_id: i64,
    pub name: String,
    pub lead: i64,
    pub co: i64,
    pub replied_on_time: i64,
}

/// One proposal's line in the handling report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HandlingLine {
    pub id: i64,
    pub number: Option<String>,
    pub title: String,
    pub proposer_name: String,
    pub status: ProposalStatus,
    pub lead_department: Option<String>,
    pub result_code: Option<ResultCode>,
    pub reply_due_on: Option<NaiveDate>,
    pub replied_at: Option<DateTime<Utc>>,
    pub on_time: Option<bool>,
    pub feedback: Option<Feedback>,
    pub decision_reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportFormatQuery {
    /// `json` (default) or `markdown`.
    #[param(inline)]
    pub format: Option<ReportFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    Json,
    Markdown,
}
