//! Request and response types of `/units`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

use crate::http::spec::rules::SchemaRules;
use crate::http::validators::no_surrounding_space;
use crate::membership::types::UnitKind;

pub(crate) fn unit_code_ok(v: &str) -> Result<(), validator::ValidationError> {
    let ok = (1..=32).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(validator::ValidationError::new("invalid_format")) }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitView {
    pub id: i64,
    #[schema(example = "机械工程学院工会")]
    pub name: String,
    pub code: Option<String>,
    pub kind: UnitKind,
    pub parent_id: Option<i64>,
    pub sort_order: i32,
    /// Active members in this unit and all units below it.
    pub member_count: i64,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A unit with its children, for the tree view.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitNode {
    #[serde(flatten)]
    pub unit: UnitView,
    #[schema(no_recursion)]
    pub children: Vec<UnitNode>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnit {
    #[validate(length(min = 1, max = 100), custom(function = "no_surrounding_space"))]
    #[schema(example = "机械工程学院工会", min_length = 1, max_length = 100, extensions(("x-text" = json!("trimmed"))))]
    pub name: String,
    #[validate(custom(function = "unit_code_ok"))]
    #[schema(example = "JX", pattern = "^[A-Za-z0-9_-]{1,32}$")]
    pub code: Option<String>,
    /// `school` (the single root, no parent), `secondary` (under the school union) or
    /// `group` (under a secondary union or another group).
    pub kind: UnitKind,
    /// Required except for the school union.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub parent_id: Option<i64>,
    #[validate(range(min = 0, max = 100000))]
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100000)]
    pub sort_order: i32,
}

impl SchemaRules for CreateUnit {
    /// `parent_id` for every kind but `school` (`units::store::create`; a school union under a
    /// parent is 409 `unit_kind_misplaced`).
    fn schema_rules() -> serde_json::Value {
        let below: Vec<&str> = UnitKind::all().iter().filter(|k| **k != UnitKind::School).map(|k| k.as_str()).collect();
        json!({"oneOf": [
            {"properties": {"kind": {"const": UnitKind::School.as_str()}}},
            {"required": ["parent_id"], "properties": {"kind": {"enum": below}, "parent_id": {"type": "integer"}}},
        ]})
    }
}

/// Rename, re-code, re-order, or move under another parent (the tree stays acyclic).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUnit {
    #[validate(length(min = 1, max = 100), custom(function = "no_surrounding_space"))]
    #[schema(min_length = 1, max_length = 100, extensions(("x-text" = json!("trimmed"))))]
    pub name: Option<String>,
    #[validate(custom(function = "unit_code_ok"))]
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$")]
    pub code: Option<String>,
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub parent_id: Option<i64>,
    #[validate(range(min = 0, max = 100000))]
    #[schema(minimum = 0, maximum = 100000)]
    pub sort_order: Option<i32>,
}
