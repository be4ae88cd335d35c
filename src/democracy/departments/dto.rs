//! Handling departments (`/departments`) and their handler accounts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::http::validators::no_surrounding_space;

fn department_code_ok(v: &str) -> Result<(), validator::ValidationError> {
    let ok = (1..=32).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(validator::ValidationError::new("invalid_format")) }
}

/// A handling department (承办单位): a university office that replies to proposals.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DepartmentView {
    pub id: i64,
    #[schema(example = "后勤管理处")]
    pub name: String,
    #[schema(example = "HQ")]
    pub code: Option<String>,
    /// Inactive departments keep their history but receive no new assignments.
    pub active: bool,
    /// Its handler accounts: shown to those who manage departments only (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handlers: Option<Vec<HandlerView>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An account that replies to proposals on the department's behalf (role `handler`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HandlerView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    /// When the account became a handler of this department.
    pub since: DateTime<Utc>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DepartmentQuery {
    /// Part of the name or the code.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    /// Only active (`true`) or only inactive (`false`) departments.
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDepartment {
    #[validate(length(min = 1, max = 100), custom(function = "no_surrounding_space"))]
    #[schema(example = "后勤管理处", min_length = 1, max_length = 100, extensions(("x-text" = json!("trimmed"))))]
    pub name: String,
    #[validate(custom(function = "department_code_ok"))]
    #[schema(example = "HQ", pattern = "^[A-Za-z0-9_-]{1,32}$")]
    pub code: Option<String>,
}

/// Rename, re-code, deactivate or reactivate a department.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDepartment {
    #[validate(length(min = 1, max = 100), custom(function = "no_surrounding_space"))]
    #[schema(min_length = 1, max_length = 100, extensions(("x-text" = json!("trimmed"))))]
    pub name: Option<String>,
    #[validate(custom(function = "department_code_ok"))]
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$")]
    pub code: Option<String>,
    pub active: Option<bool>,
}

/// Makes an account (holding the role `handler`) a handler of the department.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddHandler {
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub user_id: i64,
}

/// A department an account replies for (shown in `/me`, so a handler finds its own).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HandledDepartment {
    pub id: i64,
    pub name: String,
    pub active: bool,
}
