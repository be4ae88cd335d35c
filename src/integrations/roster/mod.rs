//! HR roster sync rules (`PUT /integration/roster`): reading the roster (a JSON array of rows
//! or a CSV file with the member import's headers), validating its rows with the import's
//! rules, and comparing each row with the stored member of that staff number.
//!
//! Differences from `POST /members/import` (all or nothing): the roster is the HR system's
//! authoritative list, so a sync applies every valid row and reports the invalid ones
//! (`rejected`, each with its row number, field and code) instead of refusing the whole
//! body. Row numbers are spreadsheet rows for CSV (header = 1, first data row = 2) and 1-based
//! positions in the array for JSON.
//!
//! Comparison ([`compare`]):
//! - no member with the staff number → created (history `joined` on `joined_on`);
//! - every compared field equal and the member active → unchanged: nothing is written, no
//!   audit row, no version bump;
//! - otherwise → updated. A different unit of an active member is a transfer (history
//!   `transferred`); a member who had left and is in the roster again is rejoined (history
//!   `rejoined`, into the roster's unit), since HR lists only people employed now.
//! - `phone` and `id_card` are optional: when a row leaves them out, the stored values stay
//!   (the roster never clears them); when given, they replace the stored ones.

pub mod api;
pub mod store;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{ApiError, FieldError, FieldIssue};
use crate::membership::idcard::{self, IdCard};
use crate::membership::parse as import_parse;
use crate::membership::parse::{Column, ImportFileError, ImportRow, RawTable};
use crate::membership::types::{EmploymentType, Gender, MemberStatus};

/// Rows accepted in one call.
pub const MAX_ROWS: usize = 20_000;
/// Rows written per transaction.
pub const BATCH_SIZE: usize = 1_000;
/// Longest unknown JSON key echoed back in an issue.
const KEY_ECHO_MAX: usize = 64;

// ---------------------------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RosterQuery {
    /// The body is the complete roster: active members whose staff number it does not hold
    /// are reported in `missing` (and never deleted).
    #[serde(default)]
    pub full: bool,
    /// Only with `full=true`: mark the missing members as left (history `left`, audit).
    #[serde(default)]
    pub mark_missing_left: bool,
}

/// One roster row (JSON body). Dates may be `YYYY-MM-DD` or the other spellings the import
/// accepts; gender and employment type take the wire value or the Chinese label.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RosterRowInput {
    #[schema(example = "T2023001", pattern = "^[A-Za-z0-9-]{1,32}$")]
    pub staff_no: String,
    #[schema(example = "张三", min_length = 1, max_length = 50)]
    pub name: String,
    #[schema(example = "male")]
    pub gender: Gender,
    #[schema(example = "1985-03-15")]
    pub birth_date: NaiveDate,
    /// Unit code (or a unit name held by one unit only).
    #[schema(example = "JX")]
    pub unit: String,
    #[schema(example = "established")]
    pub employment_type: EmploymentType,
    #[schema(example = "2010-09-01")]
    pub joined_on: NaiveDate,
    /// Left out: the stored phone stays.
    #[schema(example = "13812341234")]
    pub phone: Option<String>,
    /// Left out: the stored ID card stays.
    pub id_card: Option<String>,
}

/// What a sync did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RosterReport {
    /// Rows in the body.
    pub total_rows: usize,
    pub created: usize,
    /// Members whose data changed (including transfers and rejoins).
    pub updated: usize,
    /// Of `updated`: unit changes, recorded as transfers.
    pub transferred: usize,
    /// Of `updated`: members who had left and are in the roster again, recorded as rejoined.
    pub rejoined: usize,
    /// Rows identical to the stored member: nothing written.
    pub unchanged: usize,
    /// Rows not applied.
    pub rejected_rows: usize,
    /// Why: one entry per problem, with `row`, `field`, `code` and `message`.
    pub rejected: Vec<FieldError>,
    /// With `full=true` only: staff numbers of active members the roster does not hold
    /// (before any `mark_missing_left`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<String>>,
    /// Members marked as left (`mark_missing_left=true`).
    pub marked_left: usize,
}

/// `mark_missing_left` needs `full`: only a complete roster can say who is gone.
pub fn check_query(query: &RosterQuery) -> Result<(), ApiError> {
    if query.mark_missing_left && !query.full {
        return Err(ApiError::Validation(vec![FieldIssue::new("mark_missing_left", "requires").with("other", "full")]));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Csv,
}

/// The body's format from its `Content-Type`; anything else is 415.
pub fn body_kind(content_type: &str) -> Result<BodyKind, ApiError> {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(BodyKind::Json),
        "text/csv" | "application/csv" => Ok(BodyKind::Csv),
        e if e.starts_with("application/") && e.ends_with("+json") => Ok(BodyKind::Json),
        _ => Err(ApiError::UnsupportedMediaType("application/json, text/csv")),
    }
}

/// A roster read from the body, before row validation.
#[derive(Debug)]
pub struct Roster {
    /// Rows in the import's shape (JSON rows with a wrong shape are left out, see `issues`).
    pub table: RawTable,
    /// Problems found while reading (a JSON row that is not an object, an unknown key, a
    /// value that is not a string or number), with their rows.
    pub issues: Vec<FieldIssue>,
    /// Staff numbers of every row, valid or not: whom the roster names (for `missing`).
    pub staff_nos: HashSet<String>,
    pub total_rows: usize,
}

pub fn read(kind: BodyKind, bytes: &[u8]) -> Result<Roster, ApiError> {
    match kind {
        BodyKind::Json => read_json(bytes),
        BodyKind::Csv => read_csv(bytes),
    }
}

fn too_many_rows(field: &str) -> ApiError {
    ApiError::Validation(vec![FieldIssue::new(field, "too_many_rows").with("max", MAX_ROWS)])
}

fn read_csv(bytes: &[u8]) -> Result<Roster, ApiError> {
    let table = import_parse::read_csv(bytes, MAX_ROWS).map_err(|e| match e {
        ImportFileError::Unreadable(why) => ApiError::BadRequest("malformed_upload", why),
        ImportFileError::Empty => ApiError::invalid("file", "empty_file"),
        ImportFileError::TooManyRows(_) => too_many_rows("file"),
    })?;
    let column = table.headers.iter().position(|h| is_staff_no_header(h));
    let staff_nos = match column {
        Some(i) => table.rows.iter().filter_map(|(_, cells)| cells.get(i)).filter(|s| !s.is_empty()).cloned().collect(),
        None => HashSet::new(),
    };
    let total_rows = table.rows.len();
    Ok(Roster { table, issues: Vec::new(), staff_nos, total_rows })
}

/// The import's rule for the staff-number header (a trailing `*` ignored).
fn is_staff_no_header(header: &str) -> bool {
    let header = header.trim().trim_end_matches(['*', '＊']).trim_end();
    Column::StaffNo.headers().iter().any(|h| header.eq_ignore_ascii_case(h))
}

fn read_json(bytes: &[u8]) -> Result<Roster, ApiError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest("malformed_json", e.to_string()))?;
    let Value::Array(items) = value else { return Err(ApiError::invalid(".", "invalid_type")) };
    if items.is_empty() {
        return Err(ApiError::invalid(".", "empty_file"));
    }
    if items.len() > MAX_ROWS {
        return Err(too_many_rows("."));
    }
    let headers: Vec<String> = Column::ALL.iter().map(|c| c.wire_name().to_owned()).collect();
    let staff_no_index = Column::ALL.iter().position(|c| *c == Column::StaffNo).unwrap_or(0);
    let total_rows = items.len();
    let mut rows = Vec::with_capacity(total_rows);
    let mut issues = Vec::new();
    let mut staff_nos = HashSet::new();
    for (i, item) in items.into_iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let Value::Object(map) = item else {
            issues.push(FieldIssue::new(".", "invalid_type").at_row(row));
            continue;
        };
        let mut cells = vec![String::new(); headers.len()];
        let mut bad = Vec::new();
        for (key, value) in map {
            let Some(index) = Column::ALL.iter().position(|c| c.wire_name() == key) else {
                let key: String = key.chars().take(KEY_ECHO_MAX).collect();
                bad.push(FieldIssue::new(key, "unknown_field").at_row(row));
                continue;
            };
            match scalar_text(&value) {
                Some(text) => cells[index] = text,
                None => bad.push(FieldIssue::new(key, "invalid_type").at_row(row)),
            }
        }
        if let Some(staff_no) = cells.get(staff_no_index).filter(|s| !s.is_empty()) {
            staff_nos.insert(staff_no.clone());
        }
        if bad.is_empty() {
            rows.push((row, cells));
        } else {
            issues.extend(bad);
        }
    }
    Ok(Roster { table: RawTable { headers, rows }, issues, staff_nos, total_rows })
}

/// A JSON value as cell text: strings trimmed, numbers as written, null as empty.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// Validates the rows with the import's rules. A missing required column (CSV) makes the
/// whole roster unusable: 422. Otherwise returns the valid rows and the row issues.
pub fn validate(roster: &Roster, today: NaiveDate) -> Result<(Vec<ImportRow>, Vec<FieldIssue>), ApiError> {
    let (rows, mut issues) = import_parse::validate_rows(&roster.table, today);
    if issues.iter().any(|i| i.code == "missing_column") {
        return Err(ApiError::Validation(issues));
    }
    issues.extend(roster.issues.iter().cloned());
    issues.sort_by_key(|i| i.row.unwrap_or(0));
    Ok((rows, issues))
}

// ---------------------------------------------------------------------------------------------
// Units
// ---------------------------------------------------------------------------------------------

/// Units by code (case-insensitive) or, failing that, by a name held by one unit only.
#[derive(Debug, Default)]
pub struct UnitIndex {
    by_code: HashMap<String, Option<i64>>,
    by_name: HashMap<String, Option<i64>>,
}

impl UnitIndex {
    pub fn new(units: impl IntoIterator<Item = (i64, String, Option<String>)>) -> Self {
        // `None` marks a key held by more than one unit.
        let add = |map: &mut HashMap<String, Option<i64>>, key: String, id: i64| {
            map.entry(key).and_modify(|v| *v = None).or_insert(Some(id));
        };
        let mut index = UnitIndex::default();
        for (id, name, code) in units {
            if let Some(code) = code {
                add(&mut index.by_code, code.to_lowercase(), id);
            }
            add(&mut index.by_name, name, id);
        }
        index
    }

    /// The unit a cell names, or the issue: `unknown_unit` / `ambiguous_unit` with the value.
    pub fn find(&self, cell: &str) -> Result<i64, FieldIssue> {
        match self.by_code.get(&cell.to_lowercase()).or_else(|| self.by_name.get(cell)) {
            Some(Some(id)) => Ok(*id),
            Some(None) => Err(FieldIssue::new("unit", "ambiguous_unit").with("value", cell)),
            None => Err(FieldIssue::new("unit", "unknown_unit").with("value", cell)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

/// A stored member, as far as the roster compares it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: i64,
    pub staff_no: String,
    pub name: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub unit_id: i64,
    pub employment_type: EmploymentType,
    pub joined_on: NaiveDate,
    pub status: MemberStatus,
    pub phone: Option<String>,
    pub id_card_hash: Option<Vec<u8>>,
    pub version: i32,
}

/// A valid roster row with its unit resolved and its ID card's lookup hash.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    pub row: &'a ImportRow,
    pub unit_id: i64,
    pub id_card_hash: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    /// An active member in another unit.
    Transfer { from: i64, to: i64 },
    /// A member who had left, back in the roster (into the roster's unit).
    Rejoin { from: i64, to: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Names of the fields that differ (`unit` and `status` included).
    pub fields: Vec<&'static str>,
    pub movement: Option<Movement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Create,
    Unchanged,
    Update(Change),
}

/// What applying `new` to the member stored under its staff number means.
pub fn compare(stored: Option<&Stored>, new: &Incoming<'_>) -> Outcome {
    let Some(s) = stored else { return Outcome::Create };
    let r = new.row;
    let mut fields = Vec::new();
    let mut differs = |name: &'static str, different: bool| {
        if different {
            fields.push(name);
        }
    };
    differs("name", s.name != r.name);
    differs("gender", s.gender != r.gender);
    differs("birth_date", s.birth_date != r.birth_date);
    differs("unit", s.unit_id != new.unit_id);
    differs("employment_type", s.employment_type != r.employment_type);
    differs("joined_on", s.joined_on != r.joined_on);
    differs("phone", r.phone.is_some() && s.phone != r.phone);
    differs("id_card", new.id_card_hash.is_some() && s.id_card_hash != new.id_card_hash);
    let rejoin = s.status == MemberStatus::Left;
    differs("status", rejoin);
    if fields.is_empty() {
        return Outcome::Unchanged;
    }
    let movement = if rejoin {
        Some(Movement::Rejoin { from: s.unit_id, to: new.unit_id })
    } else if s.unit_id != new.unit_id {
        Some(Movement::Transfer { from: s.unit_id, to: new.unit_id })
    } else {
        None
    };
    Outcome::Update(Change { fields, movement })
}

/// When a row changes birth date or gender without giving an ID card, the stored card must
/// still agree with them (as `PATCH /members/{id}` requires).
pub fn stored_card_mismatches(card: &IdCard, row: &ImportRow) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if card.birth_date != row.birth_date {
        issues.push(FieldIssue::new("id_card", "id_card_birth_mismatch").at_row(row.row));
    }
    if card.gender != row.gender {
        issues.push(FieldIssue::new("id_card", "id_card_gender_mismatch").at_row(row.row));
    }
    issues
}

// ---------------------------------------------------------------------------------------------
// Audit snapshots (masked)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct Snapshot<'a> {
    pub source: &'static str,
    pub staff_no: &'a str,
    pub name: &'a str,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub unit_id: i64,
    pub employment_type: EmploymentType,
    pub joined_on: NaiveDate,
    pub status: MemberStatus,
    /// Masked.
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<&'a [&'static str]>,
}

pub fn snapshot_of_stored(s: &Stored) -> Snapshot<'_> {
    Snapshot {
        source: "roster",
        staff_no: &s.staff_no,
        name: &s.name,
        gender: s.gender,
        birth_date: s.birth_date,
        unit_id: s.unit_id,
        employment_type: s.employment_type,
        joined_on: s.joined_on,
        status: s.status,
        phone: s.phone.as_deref().map(idcard::mask_phone),
        row: None,
        changed: None,
    }
}

/// The member after applying `new` (a stored phone stays when the row has none).
pub fn snapshot_of_incoming<'a>(
    new: &'a Incoming<'_>,
    stored_phone: Option<&str>,
    changed: Option<&'a [&'static str]>,
) -> Snapshot<'a> {
    let r = new.row;
    Snapshot {
        source: "roster",
        staff_no: &r.staff_no,
        name: &r.name,
        gender: r.gender,
        birth_date: r.birth_date,
        unit_id: new.unit_id,
        employment_type: r.employment_type,
        joined_on: r.joined_on,
        status: MemberStatus::Active,
        phone: r.phone.as_deref().or(stored_phone).map(idcard::mask_phone),
        row: Some(r.row),
        changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn today() -> NaiveDate {
        d("2025-06-01")
    }

    fn row() -> ImportRow {
        ImportRow {
            row: 2,
            staff_no: "T001".into(),
            name: "张三".into(),
            gender: Gender::Male,
            birth_date: d("1985-03-15"),
            unit: "JX".into(),
            employment_type: EmploymentType::Established,
            joined_on: d("2010-09-01"),
            phone: Some("13812341234".into()),
            id_card: None,
        }
    }

    fn stored() -> Stored {
        Stored {
            id: 7,
            staff_no: "T001".into(),
            name: "张三".into(),
            gender: Gender::Male,
            birth_date: d("1985-03-15"),
            unit_id: 3,
            employment_type: EmploymentType::Established,
            joined_on: d("2010-09-01"),
            status: MemberStatus::Active,
            phone: Some("13812341234".into()),
            id_card_hash: Some(vec![1, 2, 3]),
            version: 4,
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(body_kind("application/json").unwrap(), BodyKind::Json);
        assert_eq!(body_kind("application/json; charset=utf-8").unwrap(), BodyKind::Json);
        assert_eq!(body_kind("application/vnd.roster+json").unwrap(), BodyKind::Json);
        assert_eq!(body_kind("Text/CSV; charset=gbk").unwrap(), BodyKind::Csv);
        assert!(matches!(body_kind("application/xml"), Err(ApiError::UnsupportedMediaType(_))));
        assert!(matches!(body_kind(""), Err(ApiError::UnsupportedMediaType(_))));
    }

    #[test]
    fn mark_missing_left_needs_full() {
        assert!(check_query(&RosterQuery { full: true, mark_missing_left: true }).is_ok());
        assert!(check_query(&RosterQuery { full: true, mark_missing_left: false }).is_ok());
        let Err(ApiError::Validation(issues)) = check_query(&RosterQuery { full: false, mark_missing_left: true })
        else {
            panic!()
        };
        assert_eq!((issues[0].field.as_str(), issues[0].code.as_str()), ("mark_missing_left", "requires"));
    }

    #[test]
    fn identical_row_is_unchanged_and_absent_optionals_keep_stored_values() {
        let r = row();
        let new = Incoming { row: &r, unit_id: 3, id_card_hash: Some(vec![1, 2, 3]) };
        assert_eq!(compare(Some(&stored()), &new), Outcome::Unchanged);
        let mut bare = row();
        bare.phone = None;
        let new = Incoming { row: &bare, unit_id: 3, id_card_hash: None };
        assert_eq!(compare(Some(&stored()), &new), Outcome::Unchanged);
        assert_eq!(compare(None, &new), Outcome::Create);
    }

    #[test]
    fn changed_fields_are_named_and_a_unit_change_is_a_transfer() {
        let mut r = row();
        r.name = "张三丰".into();
        r.phone = Some("13900000000".into());
        let new = Incoming { row: &r, unit_id: 5, id_card_hash: Some(vec![9]) };
        let Outcome::Update(change) = compare(Some(&stored()), &new) else { panic!() };
        assert_eq!(change.fields, ["name", "unit", "phone", "id_card"]);
        assert_eq!(change.movement, Some(Movement::Transfer { from: 3, to: 5 }));

        let r = row();
        let mut s = stored();
        s.employment_type = EmploymentType::Contract;
        let Outcome::Update(change) = compare(Some(&s), &Incoming { row: &r, unit_id: 3, id_card_hash: None }) else {
            panic!()
        };
        assert_eq!((change.fields, change.movement), (vec!["employment_type"], None));
    }

    #[test]
    fn a_member_who_left_rejoins_into_the_roster_unit() {
        let r = row();
        let mut s = stored();
        s.status = MemberStatus::Left;
        let Outcome::Update(change) = compare(Some(&s), &Incoming { row: &r, unit_id: 3, id_card_hash: None }) else {
            panic!()
        };
        assert_eq!(change.fields, ["status"]);
        assert_eq!(change.movement, Some(Movement::Rejoin { from: 3, to: 3 }));
        let Outcome::Update(change) = compare(Some(&s), &Incoming { row: &r, unit_id: 8, id_card_hash: None }) else {
            panic!()
        };
        assert_eq!(change.fields, ["unit", "status"]);
        assert_eq!(change.movement, Some(Movement::Rejoin { from: 3, to: 8 }));
    }

    #[test]
    fn json_rows_become_a_table_with_row_numbers_and_shape_issues() {
        let body = br#"[
            {"staff_no": "T1", "name": "A", "gender": "male", "birth_date": "1980-01-01", "unit": "JX",
             "employment_type": "established", "joined_on": "2000-01-01", "phone": null},
            "not an object",
            {"staff_no": 42, "name": ["x"], "extra": 1},
            {"staff_no": "T4", "name": "D"}
        ]"#;
        let roster = read(BodyKind::Json, body).unwrap();
        assert_eq!(roster.total_rows, 4);
        assert_eq!(roster.table.rows.iter().map(|(r, _)| *r).collect::<Vec<_>>(), [1, 4]);
        let mut summary: Vec<_> =
            roster.issues.iter().map(|i| (i.row.unwrap(), i.field.as_str(), i.code.as_str())).collect();
        summary.sort();
        assert_eq!(summary, [(2, ".", "invalid_type"), (3, "extra", "unknown_field"), (3, "name", "invalid_type")]);
        let mut staff: Vec<_> = roster.staff_nos.iter().cloned().collect();
        staff.sort();
        assert_eq!(staff, ["42", "T1", "T4"]);

        let (valid, issues) = validate(&roster, today()).unwrap();
        assert_eq!(valid.len(), 1);
        assert_eq!(valid[0].staff_no, "T1");
        assert_eq!(valid[0].phone, None);
        let rows: Vec<u32> = issues.iter().map(|i| i.row.unwrap()).collect();
        assert!(rows.windows(2).all(|w| w[0] <= w[1]), "{rows:?}");
        assert!(issues.iter().any(|i| i.row == Some(4) && i.field == "gender" && i.code == "required"));
    }

    #[test]
    fn json_bodies_that_are_not_rosters() {
        assert!(matches!(read(BodyKind::Json, b"{nope"), Err(ApiError::BadRequest("malformed_json", _))));
        assert!(matches!(read(BodyKind::Json, br#"{"rows": []}"#), Err(ApiError::Validation(_))));
        let Err(ApiError::Validation(issues)) = read(BodyKind::Json, b"[]") else { panic!() };
        assert_eq!(issues[0].code, "empty_file");
        let many = format!("[{}]", vec!["{}"; MAX_ROWS + 1].join(","));
        let Err(ApiError::Validation(issues)) = read(BodyKind::Json, many.as_bytes()) else { panic!() };
        assert_eq!(issues[0].code, "too_many_rows");
    }

    #[test]
    fn csv_rosters_use_the_import_headers() {
        let csv = "工号*,姓名,性别,出生日期,所属工会,用工类型,入会日期\nT1,张三,男,1985-03-15,JX,在编,2010-09-01\n,李四,女,1990-01-01,JX,非编,2015-01-01\n";
        let roster = read(BodyKind::Csv, csv.as_bytes()).unwrap();
        assert_eq!(roster.total_rows, 2);
        assert_eq!(roster.staff_nos.len(), 1);
        let (valid, issues) = validate(&roster, today()).unwrap();
        assert_eq!(valid.len(), 1);
        assert_eq!(
            (issues[0].row, issues[0].field.as_str(), issues[0].code.as_str()),
            (Some(3), "staff_no", "required")
        );

        let no_unit = "工号,姓名,性别,出生日期,用工类型,入会日期\nT1,张三,男,1985-03-15,在编,2010-09-01\n";
        let roster = read(BodyKind::Csv, no_unit.as_bytes()).unwrap();
        let Err(ApiError::Validation(issues)) = validate(&roster, today()) else { panic!() };
        assert_eq!((issues[0].field.as_str(), issues[0].code.as_str()), ("header", "missing_column"));
        assert!(matches!(read(BodyKind::Csv, b"staff_no\n"), Err(ApiError::Validation(_))));
    }

    #[test]
    fn units_by_code_or_unique_name() {
        let index = UnitIndex::new([
            (1, "校工会".to_owned(), Some("ROOT".to_owned())),
            (2, "第一小组".to_owned(), Some("A1".to_owned())),
            (3, "第一小组".to_owned(), None),
            (4, "机电学院工会".to_owned(), Some("JD".to_owned())),
        ]);
        assert_eq!(index.find("jd").unwrap(), 4);
        assert_eq!(index.find("机电学院工会").unwrap(), 4);
        assert_eq!(index.find("A1").unwrap(), 2);
        assert_eq!(index.find("第一小组").unwrap_err().code, "ambiguous_unit");
        let unknown = index.find("XX").unwrap_err();
        assert_eq!((unknown.field.as_str(), unknown.code.as_str()), ("unit", "unknown_unit"));
    }

    #[test]
    fn a_stored_card_must_agree_with_a_changed_birth_date() {
        let card = IdCard { number: "x".into(), birth_date: d("1985-03-15"), gender: Gender::Male };
        assert!(stored_card_mismatches(&card, &row()).is_empty());
        let mut r = row();
        r.birth_date = d("1985-03-16");
        r.gender = Gender::Female;
        let codes: Vec<_> = stored_card_mismatches(&card, &r).into_iter().map(|i| i.code).collect();
        assert_eq!(codes, ["id_card_birth_mismatch", "id_card_gender_mismatch"]);
    }

    #[test]
    fn snapshots_mask_the_phone() {
        let s = stored();
        let json = serde_json::to_value(snapshot_of_stored(&s)).unwrap();
        assert_eq!(json["phone"], "138****1234");
        assert_eq!(json["source"], "roster");
        let mut r = row();
        r.phone = None;
        let new = Incoming { row: &r, unit_id: 3, id_card_hash: None };
        let changed = ["name"];
        let json = serde_json::to_value(snapshot_of_incoming(&new, Some("13900001111"), Some(&changed))).unwrap();
        assert_eq!(json["phone"], "139****1111");
        assert_eq!(json["changed"], serde_json::json!(["name"]));
        assert_eq!(json["row"], 2);
    }
}
