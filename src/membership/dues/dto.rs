//! Request and response types of `/dues`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::http::spec::rules::SchemaRules;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DuesView {
    pub id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub unit_id: i64,
    /// The month paid for, `YYYY-MM`.
    #[schema(example = "2023-03")]
    pub period: String,
    pub base_salary_fen: Option<i64>,
    /// Basis points of the base salary applied (50 = 0.5%), when computed.
    pub rate_bp: Option<i32>,
    #[schema(example = 4250)]
    pub amount_fen: i64,
    pub paid_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

/// Records one month's dues. Give `amount_fen`, or `base_salary_fen` to have it computed at
/// the dues rate (0.5% of the monthly base salary, rounded half up to the fen).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDues {
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub member_id: i64,
    /// `YYYY-MM`.
    #[validate(custom(function = "crate::membership::dues::rules::check_period"))]
    #[schema(example = "2023-03", pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub period: String,
    #[validate(range(min = 0, max = 100_000_000))]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub amount_fen: Option<i64>,
    #[validate(range(min = 0, max = 10_000_000_000i64))]
    #[schema(minimum = 0, maximum = 10_000_000_000i64)]
    pub base_salary_fen: Option<i64>,
    pub paid_on: NaiveDate,
}

impl SchemaRules for CreateDues {
    /// `amount_fen` or `base_salary_fen` (`dues::store::resolve_dues_amount`).
    fn schema_rules() -> serde_json::Value {
        json!({"anyOf": [
            {"required": ["amount_fen"], "properties": {"amount_fen": {"type": "integer"}}},
            {"required": ["base_salary_fen"], "properties": {"base_salary_fen": {"type": "integer"}}},
        ]})
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DuesQuery {
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub member_id: Option<i64>,
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub unit_id: Option<i64>,
    /// `YYYY-MM`, inclusive.
    #[validate(custom(function = "crate::membership::dues::rules::check_period"))]
    #[param(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub from: Option<String>,
    /// `YYYY-MM`, inclusive.
    #[validate(custom(function = "crate::membership::dues::rules::check_period"))]
    #[param(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub to: Option<String>,
}
