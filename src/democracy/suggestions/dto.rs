//! Suggestions (`/suggestions`): categorised opinions, their responses and statistics.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::democracy::types::{SuggestionSource, SuggestionStatus};

use crate::http::validators::not_blank;

/// A suggestion category (the nine of the 2023 report are data, not code).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryView {
    #[schema(example = "logistics")]
    pub code: String,
    #[schema(example = "后勤保障")]
    pub name: String,
    pub sort_order: i32,
}

/// A suggestion (意见建议).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SuggestionView {
    pub id: i64,
    pub congress_id: Option<i64>,
    /// The member who made it (absent for an unnamed opinion recorded by the union).
    pub member_id: Option<i64>,
    pub member_name: Option<String>,
    #[schema(example = "logistics")]
    pub category: String,
    #[schema(example = "后勤保障")]
    pub category_name: String,
    #[schema(example = "食堂延长供餐时间")]
    pub title: String,
    pub content: String,
    pub source: SuggestionSource,
    /// The proposal it came from (filed late, or converted by the committee).
    pub from_proposal_id: Option<i64>,
    pub status: SuggestionStatus,
    /// The department that answered, if one was named.
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub response: Option<String>,
    pub responded_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new suggestion: a member's own, or one recorded by a suggestions manager.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSuggestion {
    /// The congress it is addressed to, if any.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub congress_id: Option<i64>,
    /// Managers only: the member it is recorded for (omit for an unnamed opinion). A member
    /// may omit it or give their own.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub member_id: Option<i64>,
    /// A category code (`GET /suggestions/categories`).
    #[validate(length(min = 1, max = 32))]
    #[schema(example = "logistics", min_length = 1, max_length = 32)]
    pub category: String,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(example = "食堂延长供餐时间", min_length = 1, max_length = 200, extensions(("x-text" = json!("not_blank"))))]
    pub title: String,
    #[validate(length(min = 1, max = 20000), custom(function = "not_blank"))]
    #[schema(example = "建议晚餐延长至 19:30。", min_length = 1, max_length = 20000, extensions(("x-text" = json!("not_blank"))))]
    pub content: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestionQuery {
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub congress_id: Option<i64>,
    /// A category code.
    #[validate(length(min = 1, max = 32))]
    #[param(min_length = 1, max_length = 32)]
    pub category: Option<String>,
    #[param(inline)]
    pub status: Option<SuggestionStatus>,
    #[param(inline)]
    pub source: Option<SuggestionSource>,
    /// The department that answered.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub department_id: Option<i64>,
    /// Managers only (members always see their own).
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub member_id: Option<i64>,
    /// Part of the title or the content.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
}

/// The answer to a suggestion.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondSuggestion {
    #[validate(length(min = 1, max = 20000), custom(function = "not_blank"))]
    #[schema(example = "已协调饮食中心，自下月起晚餐延长至 19:30。", min_length = 1, max_length = 20000, extensions(("x-text" = json!("not_blank"))))]
    pub response: String,
    /// The department that answers (active).
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub department_id: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub congress_id: Option<i64>,
    /// The congress's year (for suggestions outside any congress: the year they were made,
    /// Asia/Shanghai).
    #[validate(range(min = 1949, max = 2100))]
    #[param(minimum = 1949, maximum = 2100)]
    pub year: Option<i32>,
}

/// Suggestions of one category.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryCount {
    pub code: String,
    pub name: String,
    pub count: i64,
    /// Of these, how many were answered.
    pub responded: i64,
}

/// Suggestions by how they arrived.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SourceCount {
    pub source: SuggestionSource,
    pub label: String,
    pub count: i64,
}

/// Suggestions counted by category (all nine listed, zeros included) and by source.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SuggestionStats {
    pub congress_id: Option<i64>,
    pub year: Option<i32>,
    pub total: i64,
    pub responded: i64,
    /// Responded as a share of the total, in basis points (10000 = 100%).
    pub responded_rate_bp: crate::kernel::money::Bp,
    pub by_category: Vec<CategoryCount>,
    pub by_source: Vec<SourceCount>,
}
