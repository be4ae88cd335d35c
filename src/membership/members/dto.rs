//! Request and response types of `/members`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::http::validators::no_surrounding_space;
use crate::membership::types::{EmploymentType, Gender, MemberStatus};

pub(crate) fn staff_no_ok(v: &str) -> Result<(), validator::ValidationError> {
    let ok = (1..=32).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok { Ok(()) } else { Err(validator::ValidationError::new("invalid_format")) }
}

pub(crate) fn phone_ok(v: &str) -> Result<(), validator::ValidationError> {
    if crate::membership::members::idcard::is_valid_phone(v) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("invalid_phone"))
    }
}

pub(crate) fn id_card_ok(v: &str) -> Result<(), validator::ValidationError> {
    crate::membership::members::idcard::parse_id_card(v)
        .map(|_| ())
        .map_err(|_| validator::ValidationError::new("invalid_id_card"))
}

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
    #[schema(example = "张三", min_length = 1, max_length = 50, extensions(("x-text" = json!("trimmed"))))]
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
    #[schema(min_length = 1, max_length = 50, extensions(("x-text" = json!("trimmed"))))]
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
pub struct MemberHistoryEntry {
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
    #[param(minimum = 1)]
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
    /// Comma-separated sort keys, `-` for descending: staff_no, name, birth_date, joined_on, id
    /// (`members::store::SORTABLE`; the first five keys count).
    #[validate(length(max = 100))]
    #[param(
        max_length = 100,
        pattern = r"^[ \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000,]*(?:(?:-|\+*)(?:staff_no|name|birth_date|joined_on|id)[ \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:,[ \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000,]*(?:-|\+*)(?:staff_no|name|birth_date|joined_on|id)[ \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*)*[ \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000,]*)?$"
    )]
    pub sort: Option<String>,
}

#[cfg(test)]
mod tests {
    use crate::http::pagination::parse_sort;
    use crate::membership::members::store::SORTABLE;

    #[test]
    fn the_sort_pattern_accepts_what_parse_sort_accepts() {
        let spec = serde_json::to_value(crate::app::openapi()).unwrap();
        let params = spec["paths"]["/api/v1/members"]["get"]["parameters"].as_array().unwrap();
        let sort = params.iter().find(|p| p["name"] == "sort").unwrap();
        let re = regex::Regex::new(sort["schema"]["pattern"].as_str().unwrap()).unwrap();
        let samples = [
            "",
            " ",
            ",",
            ",,",
            "name",
            "-name",
            "+name",
            "++name",
            "name,-id",
            " name , -id ,",
            "name,,id",
            "staff_no,name,birth_date,joined_on,id",
            "\u{3000}name\u{a0}",
            "name id",
            "--name",
            "+-name",
            "-+name",
            "password_hash",
            "Name",
            "name,",
            "name;id",
            "-",
        ];
        for s in samples {
            assert_eq!(re.is_match(s), parse_sort(Some(s), SORTABLE).is_ok(), "{s:?}");
        }
    }
}
