//! Request and response types of the membership routes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::membership::types::{EmploymentType, Gender, HonorCategory, HonorLevel, MemberStatus, UnitKind};

use crate::http::validators::no_surrounding_space;

fn staff_no_ok(v: &str) -> Result<(), validator::ValidationError> {
    let ok = (1..=32).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok { Ok(()) } else { Err(validator::ValidationError::new("invalid_format")) }
}

fn unit_code_ok(v: &str) -> Result<(), validator::ValidationError> {
    let ok = (1..=32).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(validator::ValidationError::new("invalid_format")) }
}

fn phone_ok(v: &str) -> Result<(), validator::ValidationError> {
    if crate::membership::members::idcard::is_valid_phone(v) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("invalid_phone"))
    }
}

fn id_card_ok(v: &str) -> Result<(), validator::ValidationError> {
    crate::membership::members::idcard::parse_id_card(v)
        .map(|_| ())
        .map_err(|_| validator::ValidationError::new("invalid_id_card"))
}

// ---------------------------------------------------------------- units

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
    #[schema(example = "机械工程学院工会", min_length = 1, max_length = 100)]
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

/// Rename, re-code, re-order, or move under another parent (the tree stays acyclic).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUnit {
    #[validate(length(min = 1, max = 100), custom(function = "no_surrounding_space"))]
    #[schema(min_length = 1, max_length = 100)]
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

// ---------------------------------------------------------------- members

/// A member as lists show them: phone and ID card always masked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberView {
    pub id: i64,
    #[schema(example = "20230001")]
    pub staff_no: String,
    #[schema(example = "张三")]
    pub name: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub unit_id: i64,
    pub unit_name: String,
    pub employment_type: EmploymentType,
    pub joined_on: NaiveDate,
    pub status: MemberStatus,
    pub left_on: Option<NaiveDate>,
    /// Masked (`138****1234`) unless the caller may see phone numbers and this is a single member.
    #[schema(example = "138****1234")]
    pub phone: Option<String>,
    /// Masked (`420***********123X`) unless the caller may see ID-card numbers and this is a single member.
    #[schema(example = "420***********123X")]
    pub id_card: Option<String>,
    /// Holds a national or provincial model-worker (劳模) or advanced-worker title.
    pub is_model_worker: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The caller's own member record, for `/me`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberProfile {
    pub id: i64,
    pub staff_no: String,
    pub name: String,
    pub gender: Gender,
    pub unit_id: i64,
    pub unit_name: String,
    pub employment_type: EmploymentType,
    pub joined_on: NaiveDate,
    pub status: MemberStatus,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMember {
    #[validate(custom(function = "staff_no_ok"))]
    #[schema(example = "20230001", pattern = "^[A-Za-z0-9-]{1,32}$")]
    pub staff_no: String,
    #[validate(length(min = 1, max = 50), custom(function = "no_surrounding_space"))]
    #[schema(example = "张三", min_length = 1, max_length = 50)]
    pub name: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub unit_id: i64,
    pub employment_type: EmploymentType,
    pub joined_on: NaiveDate,
    #[validate(custom(function = "phone_ok"))]
    #[schema(example = "13812341234", pattern = "^1[3-9][0-9]{9}$")]
    pub phone: Option<String>,
    /// 18-character resident ID-card number; stored encrypted.
    #[validate(custom(function = "id_card_ok"))]
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$")]
    pub id_card: Option<String>,
}

/// Changes to personal data. Unit changes go through `transfer`, status through `leave`/`rejoin`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    #[validate(length(min = 1, max = 50), custom(function = "no_surrounding_space"))]
    #[schema(min_length = 1, max_length = 50)]
    pub name: Option<String>,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub employment_type: Option<EmploymentType>,
    pub joined_on: Option<NaiveDate>,
    #[validate(custom(function = "phone_ok"))]
    #[schema(pattern = "^1[3-9][0-9]{9}$")]
    pub phone: Option<String>,
    #[validate(custom(function = "id_card_ok"))]
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$")]
    pub id_card: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferMember {
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub to_unit_id: i64,
    /// Defaults to today (Asia/Shanghai).
    pub effective_on: Option<NaiveDate>,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveMember {
    pub effective_on: Option<NaiveDate>,
    #[validate(length(min = 1, max = 500))]
    #[schema(example = "调离学校", min_length = 1, max_length = 500)]
    pub reason: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejoinMember {
    /// The unit to rejoin; defaults to the unit the member left from.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub unit_id: Option<i64>,
    pub effective_on: Option<NaiveDate>,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HistoryEvent {
    Joined,
    Transferred,
    Left,
    Rejoined,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    pub event: HistoryEvent,
    pub from_unit_id: Option<i64>,
    pub to_unit_id: Option<i64>,
    pub effective_on: NaiveDate,
    pub reason: Option<String>,
    pub actor_user_id: Option<i64>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// Members of this unit and every unit below it.
    #[validate(range(min = 1))]
    pub unit_id: Option<i64>,
    pub status: Option<MemberStatus>,
    pub employment_type: Option<EmploymentType>,
    pub gender: Option<Gender>,
    /// 1–12.
    #[validate(range(min = 1, max = 12))]
    #[param(minimum = 1, maximum = 12)]
    pub birthday_month: Option<u32>,
    pub is_model_worker: Option<bool>,
    /// Name (part), staff number (prefix) or pinyin initials / full pinyin (prefix): `zs` finds 张三.
    #[validate(length(min = 1, max = 50))]
    #[param(min_length = 1, max_length = 50)]
    pub q: Option<String>,
    /// Comma-separated sort keys, `-` for descending: staff_no, name, birth_date, joined_on, id.
    #[validate(length(max = 100))]
    pub sort: Option<String>,
}

// ---------------------------------------------------------------- honors

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
    #[schema(min_length = 1, max_length = 100)]
    pub title: String,
    pub category: HonorCategory,
    pub level: HonorLevel,
    #[validate(range(min = 1949, max = 2100))]
    #[schema(minimum = 1949, maximum = 2100)]
    pub year: i32,
    #[validate(length(min = 1, max = 100), custom(function = "no_surrounding_space"))]
    #[schema(min_length = 1, max_length = 100)]
    pub issuer: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HonorQuery {
    #[validate(range(min = 1))]
    pub member_id: Option<i64>,
    #[validate(range(min = 1))]
    pub unit_id: Option<i64>,
    pub level: Option<HonorLevel>,
    pub category: Option<HonorCategory>,
    #[validate(range(min = 1949, max = 2100))]
    pub year: Option<i32>,
}

// ---------------------------------------------------------------- dues

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
    #[validate(custom(function = "crate::membership::rules::check_period"))]
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

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DuesQuery {
    #[validate(range(min = 1))]
    pub member_id: Option<i64>,
    #[validate(range(min = 1))]
    pub unit_id: Option<i64>,
    /// `YYYY-MM`, inclusive.
    #[validate(custom(function = "crate::membership::rules::check_period"))]
    pub from: Option<String>,
    /// `YYYY-MM`, inclusive.
    #[validate(custom(function = "crate::membership::rules::check_period"))]
    pub to: Option<String>,
}

// ---------------------------------------------------------------- import

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check the file and report errors without writing anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// The outcome of an import: on success every row was created; with any error nothing was.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Data rows read (header excluded, blank rows skipped).
    pub total_rows: usize,
    /// Rows without errors.
    pub valid_rows: usize,
    /// Members created (0 on a dry run or when any row has an error).
    pub created: usize,
    /// One entry per problem: spreadsheet row (header = 1), column, code and message.
    pub errors: Vec<crate::error::FieldError>,
}
