//! Request and response types of `/honors`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::http::validators::no_surrounding_space;
use crate::membership::types::{HonorCategory, HonorLevel};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HonorView {
    pub id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub unit_id: i64,
    #[schema(example = "湖北省五一劳动奖章")]
    pub title: String,
    pub category: HonorCategory,
    pub level: HonorLevel,
    #[schema(example = 2023)]
    pub year: i32,
    #[schema(example = "湖北省总工会")]
    pub issuer: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHonor {
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub member_id: i64,
    #[validate(length(min = 1, max = 100), custom(function = "no_surrounding_space"))]
    #[schema(min_length = 1, max_length = 100, extensions(("x-text" = json!("trimmed"))))]
    pub title: String,
    pub category: HonorCategory,
    pub level: HonorLevel,
    #[validate(range(min = 1949, max = 2100))]
    #[schema(minimum = 1949, maximum = 2100)]
    pub year: i32,
    #[validate(length(min = 1, max = 100), custom(function = "no_surrounding_space"))]
    #[schema(min_length = 1, max_length = 100, extensions(("x-text" = json!("trimmed"))))]
    pub issuer: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HonorQuery {
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub member_id: Option<i64>,
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub unit_id: Option<i64>,
    pub level: Option<HonorLevel>,
    pub category: Option<HonorCategory>,
    #[validate(range(min = 1949, max = 2100))]
    #[param(minimum = 1949, maximum = 2100)]
    pub year: Option<i32>,
}
