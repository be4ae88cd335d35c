//! Member roster import (会员名册导入): from an uploaded CSV or XLSX file to validated rows,
//! before any database check (unknown units, staff numbers already taken, …).
//!
//! Reading ([`read_csv`], [`read_xlsx`]) produces a [`RawTable`]:
//! - The first non-empty row is the header; every later non-empty row is a data row numbered as
//!   the spreadsheet shows it (header normally row 1, first data row 2). Fully empty rows are
//!   skipped but still counted, so numbers match what the user sees in Excel/WPS.
//! - Cells are trimmed. Rows are padded with empty cells (or cut) to the header's width; only the
//!   first [`MAX_COLUMNS`] columns are read, which bounds memory for a hostile file.
//! - More than `max_rows` data rows is [`ImportFileError::TooManyRows`]; no data row is
//!   [`ImportFileError::Empty`].
//! - CSV: a UTF-8 BOM is stripped; bytes that are not UTF-8 are decoded as GB18030 (a superset
//!   of GBK, which Excel on Chinese Windows uses for "CSV").
//! - XLSX: the first visible worksheet, streamed cell by cell. Date cells become `YYYY-MM-DD`,
//!   whole numbers become integer text (phones and staff numbers often arrive as numbers).
//!
//! Validation ([`validate_rows`]) maps headers to columns (see [`Column`]) and checks every row,
//! reporting every problem of a row as a [`FieldIssue`] with the column's wire name and the row
//! number. Codes: `missing_column` (field `header`, row 1), `required`, `length` {min, max},
//! `invalid_format`, `control_characters`, `invalid_choice` {choices}, `invalid_date`, `date_in_future`,
//! `date_order` {other}, `invalid_phone`, `invalid_id_card`, `id_card_birth_mismatch`,
//! `id_card_gender_mismatch`, `duplicate_in_file` {other_row}. Only rows without any issue are
//! returned as [`ImportRow`]s.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx, open_workbook_from_rs};
use chrono::{Days, NaiveDate};

use crate::error::FieldIssue;
use crate::membership::members::idcard::{IdCard, is_valid_phone, parse_id_card};
use crate::membership::types::{EmploymentType, Gender};

/// Columns beyond this one are ignored. A roster has about ten columns.
pub const MAX_COLUMNS: usize = 256;

const STAFF_NO_MAX: usize = 32;
const NAME_MAX: usize = 50;

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// The cells of an uploaded file, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawTable {
    /// Header cells, trimmed; trailing empty headers are dropped.
    pub headers: Vec<String>,
    /// `(spreadsheet row number, cells)`, each row exactly as wide as `headers`.
    pub rows: Vec<(u32, Vec<String>)>,
}

/// Why an uploaded file cannot be turned into a table.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportFileError {
    #[error("the file cannot be read: {0}")]
    Unreadable(String),
    #[error("the file has no data rows")]
    Empty,
    /// Carries the limit that was exceeded.
    #[error("the file has more than {0} data rows")]
    TooManyRows(usize),
}

/// Collects rows in file order into a [`RawTable`], enforcing the rules shared by CSV and XLSX.
struct TableBuilder {
    table: RawTable,
    has_header: bool,
    max_rows: usize,
}

impl TableBuilder {
    fn new(max_rows: usize) -> Self {
        TableBuilder { table: RawTable::default(), has_header: false, max_rows }
    }

    /// Adds one row of already trimmed cells.
    fn push(&mut self, row: u32, mut cells: Vec<String>) -> Result<(), ImportFileError> {
        cells.truncate(MAX_COLUMNS);
        if cells.iter().all(String::is_empty) {
            return Ok(());
        }
        if !self.has_header {
            while cells.last().is_some_and(String::is_empty) {
                cells.pop();
            }
            self.table.headers = cells;
            self.has_header = true;
            return Ok(());
        }
        cells.resize(self.table.headers.len(), String::new());
        // A row whose only content lies right of the last header carries nothing we can use.
        if cells.iter().all(String::is_empty) {
            return Ok(());
        }
        if self.table.rows.len() >= self.max_rows {
            return Err(ImportFileError::TooManyRows(self.max_rows));
        }
        self.table.rows.push((row, cells));
        Ok(())
    }

    fn finish(self) -> Result<RawTable, ImportFileError> {
        if self.table.rows.is_empty() { Err(ImportFileError::Empty) } else { Ok(self.table) }
    }
}

/// Reads a CSV file (comma-separated, UTF-8 with or without BOM, or GBK/GB18030).
pub fn read_csv(bytes: &[u8], max_rows: usize) -> Result<RawTable, ImportFileError> {
    let text = decode_text(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut builder = TableBuilder::new(max_rows);
    // A spreadsheet shows a blank line as an empty row but a quoted cell spanning lines as one
    // row, so the row number is the line a record starts on minus the line breaks inside earlier
    // records' cells.
    let mut breaks_in_cells: u64 = 0;
    for record in reader.records() {
        let record = record.map_err(|e| ImportFileError::Unreadable(e.to_string()))?;
        let line = record.position().map_or(1, |p| record_start_line(text.as_bytes(), p));
        let row = spreadsheet_row(line.saturating_sub(breaks_in_cells))?;
        breaks_in_cells += record.iter().map(|cell| cell.matches('\n').count() as u64).sum::<u64>();
        builder.push(row, record.iter().map(|cell| cell.trim().to_owned()).collect())?;
    }
    builder.finish()
}

/// The line on which a record's first cell starts.
///
/// csv skips blank lines silently and reports the position where it *started looking* for the
/// record: before those blank lines, and for CRLF files at the `\n` of the previous record's
/// terminator, still on the previous line. Every `\n` in the run of line terminators at that
/// position is therefore one more line before the record.
fn record_start_line(text: &[u8], position: &csv::Position) -> u64 {
    let start = usize::try_from(position.byte()).unwrap_or(usize::MAX);
    let terminators = text.get(start..).unwrap_or_default().iter().take_while(|b| matches!(b, b'\r' | b'\n'));
    position.line() + terminators.filter(|&&b| b == b'\n').count() as u64
}

/// UTF-8 (BOM stripped) when the bytes are valid UTF-8, else GB18030.
fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => encoding_rs::GB18030.decode_without_bom_handling(bytes).0,
    }
}

fn spreadsheet_row(n: u64) -> Result<u32, ImportFileError> {
    u32::try_from(n).map_err(|_| ImportFileError::Unreadable("too many lines".to_owned()))
}

/// Reads the first visible worksheet of an XLSX file.
pub fn read_xlsx(bytes: &[u8], max_rows: usize) -> Result<RawTable, ImportFileError> {
    let unreadable = |e: calamine::XlsxError| ImportFileError::Unreadable(e.to_string());
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(unreadable)?;
    let sheet = first_visible_worksheet(&workbook).ok_or(ImportFileError::Empty)?;
    let mut cells = workbook.worksheet_cells_reader(&sheet).map_err(unreadable)?;
    // Streamed rather than `worksheet_range`: a range is allocated densely from the first to the
    // last used cell, so one stray cell at XFD1048576 would allocate billions of cells.
    // Keyed by position, so a file repeating one cell cannot grow a row past MAX_COLUMNS entries.
    let mut rows: BTreeMap<u32, BTreeMap<usize, String>> = BTreeMap::new();
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (row, col) = cell.get_position();
        let col = col as usize;
        let text = cell_text(cell.get_value());
        if col >= MAX_COLUMNS || text.is_empty() {
            continue;
        }
        rows.entry(row).or_default().insert(col, text);
        // Header + max_rows data rows at most; checked here so a huge sheet is not buffered.
        if rows.len() > max_rows.saturating_add(1) {
            return Err(ImportFileError::TooManyRows(max_rows));
        }
    }
    let mut builder = TableBuilder::new(max_rows);
    for (row, sparse) in rows {
        builder.push(spreadsheet_row(u64::from(row) + 1)?, densify(sparse))?;
    }
    builder.finish()
}

fn first_visible_worksheet<R: std::io::Read + std::io::Seek>(workbook: &Xlsx<R>) -> Option<String> {
    let sheets = workbook.sheets_metadata();
    let is_sheet = |s: &&calamine::Sheet| s.typ == SheetType::WorkSheet;
    let visible = sheets.iter().filter(is_sheet).find(|s| s.visible == SheetVisible::Visible);
    visible.or_else(|| sheets.iter().find(is_sheet)).map(|s| s.name.clone())
}

fn densify(sparse: BTreeMap<usize, String>) -> Vec<String> {
    let width = sparse.last_key_value().map_or(0, |(col, _)| col + 1);
    let mut cells = vec![String::new(); width];
    for (col, text) in sparse {
        cells[col] = text;
    }
    cells
}

/// The text of one XLSX cell, trimmed.
fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DurationIso(s) => s.trim().to_owned(),
        DataRef::SharedString(s) => s.trim().to_owned(),
        DataRef::DateTimeIso(s) => iso_date_or_text(s.trim()),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{d:02}")
        }
        DataRef::DateTime(dt) => number_text(dt.as_f64()),
        // "#N/A" and friends are kept so that validation reports them as invalid values.
        DataRef::Error(e) => e.to_string(),
    }
}

/// `2023-03-07T00:00:00` → `2023-03-07`; anything else unchanged.
fn iso_date_or_text(s: &str) -> String {
    match s.get(..10) {
        Some(date) if s.len() > 10 && NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok() => date.to_owned(),
        _ => s.to_owned(),
    }
}

/// Whole numbers as integer text (`13812341234.0` → `13812341234`), others as Rust prints them.
fn number_text(f: f64) -> String {
    // 2^53: beyond it an f64 no longer holds every integer, so the integer text would lie.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if f.fract() == 0.0 && f.abs() <= EXACT { format!("{}", f as i64) } else { f.to_string() }
}

/// Converts an Excel serial date (1900 date system) to a date.
///
/// Serial 1 is 1900-01-01. Excel treats 1900 as a leap year, so serial 60 is the non-existent
/// 1900-02-29 (`None`) and every later serial is one day ahead of the true count. A time of day
/// (the fraction) is dropped. `None` outside Excel's range 1 ..= 2958465 (9999-12-31).
pub fn excel_serial_to_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.trunc() as u64;
    let day_zero = match days {
        60 => return None,
        ..60 => NaiveDate::from_ymd_opt(1899, 12, 31)?,
        _ => NaiveDate::from_ymd_opt(1899, 12, 30)?,
    };
    day_zero.checked_add_days(Days::new(days))
}

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

/// A column of the roster, in the order issues are sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    StaffNo,
    Name,
    Gender,
    BirthDate,
    Unit,
    EmploymentType,
    JoinedOn,
    Phone,
    IdCard,
}

impl Column {
    pub const ALL: [Column; 9] = [
        Column::StaffNo,
        Column::Name,
        Column::Gender,
        Column::BirthDate,
        Column::Unit,
        Column::EmploymentType,
        Column::JoinedOn,
        Column::Phone,
        Column::IdCard,
    ];

    /// The field name used in issues (and the English header).
    pub fn wire_name(self) -> &'static str {
        self.headers()[0]
    }

    /// The Chinese header used in the downloadable template.
    pub fn label(self) -> &'static str {
        self.headers()[1]
    }

    /// Accepted header texts (compared trimmed, ASCII case-insensitively): wire name, label, aliases.
    pub fn headers(self) -> &'static [&'static str] {
        match self {
            Column::StaffNo => &["staff_no", "工号", "职工号", "教工号"],
            Column::Name => &["name", "姓名"],
            Column::Gender => &["gender", "性别"],
            Column::BirthDate => &["birth_date", "出生日期", "出生年月日"],
            Column::Unit => &["unit", "所属工会", "二级工会", "单位", "部门"],
            Column::EmploymentType => &["employment_type", "用工类型", "人员类别", "编制类型"],
            Column::JoinedOn => &["joined_on", "入会日期", "入会时间"],
            Column::Phone => &["phone", "手机号", "手机", "手机号码", "联系电话"],
            Column::IdCard => &["id_card", "身份证号", "身份证号码", "证件号码"],
        }
    }

    pub fn is_required(self) -> bool {
        !matches!(self, Column::Phone | Column::IdCard)
    }

    fn from_wire_name(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.wire_name() == name)
    }

    /// Whether a header cell names this column. A trailing `*` (templates mark required
    /// columns that way) is ignored.
    fn matches_header(self, header: &str) -> bool {
        let header = header.trim().trim_end_matches(['*', '＊']).trim_end();
        self.headers().iter().any(|h| header.eq_ignore_ascii_case(h))
    }
}

/// Index of each column in the file's cells; the first matching header wins.
fn map_headers(headers: &[String]) -> HashMap<Column, usize> {
    let mut map = HashMap::new();
    for (index, header) in headers.iter().enumerate() {
        if let Some(column) = Column::ALL.into_iter().find(|c| c.matches_header(header)) {
            map.entry(column).or_insert(index);
        }
    }
    map
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// A roster row that passed every check of this module.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub row: u32,
    pub staff_no: String,
    pub name: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub unit: String,
    pub employment_type: EmploymentType,
    pub joined_on: NaiveDate,
    /// Normalised: spaces, hyphens and a `+86` prefix removed.
    pub phone: Option<String>,
    pub id_card: Option<IdCard>,
}

/// Validates every row. Returns the valid rows and all issues, sorted by row then column.
pub fn validate_rows(table: &RawTable, today: NaiveDate) -> (Vec<ImportRow>, Vec<FieldIssue>) {
    let columns = map_headers(&table.headers);
    let missing: Vec<FieldIssue> = Column::ALL
        .into_iter()
        .filter(|c| c.is_required() && !columns.contains_key(c))
        .map(|c| FieldIssue::new("header", "missing_column").with("value", c.wire_name()).at_row(1))
        .collect();
    if !missing.is_empty() {
        return (Vec::new(), missing);
    }

    let mut seen = SeenValues::default();
    let mut valid = Vec::new();
    let mut issues = Vec::new();
    for (row, cells) in &table.rows {
        let mut checked = check_row(&RowCells { columns: &columns, cells }, today);
        checked.issues.extend(seen.duplicates(&checked, *row));
        if checked.issues.is_empty() {
            valid.extend(checked.into_row(*row));
        } else {
            issues.extend(checked.issues.into_iter().map(|i| i.at_row(*row)));
        }
    }
    issues.sort_by_key(|i| (i.row, Column::from_wire_name(&i.field)));
    (valid, issues)
}

/// The parsed values of one row (each `None` when missing or invalid) and its issues so far.
#[derive(Default)]
struct CheckedRow {
    staff_no: Option<String>,
    name: Option<String>,
    gender: Option<Gender>,
    birth_date: Option<NaiveDate>,
    unit: Option<String>,
    employment_type: Option<EmploymentType>,
    joined_on: Option<NaiveDate>,
    phone: Option<String>,
    id_card: Option<IdCard>,
    issues: Vec<FieldIssue>,
}

impl CheckedRow {
    /// Records the outcome of one check: the value, or the issue.
    fn take<T>(&mut self, result: Check<T>) -> Option<T> {
        result.map_err(|issue| self.issues.push(issue)).ok()
    }

    fn into_row(self, row: u32) -> Option<ImportRow> {
        Some(ImportRow {
            row,
            staff_no: self.staff_no?,
            name: self.name?,
            gender: self.gender?,
            birth_date: self.birth_date?,
            unit: self.unit?,
            employment_type: self.employment_type?,
            joined_on: self.joined_on?,
            phone: self.phone,
            id_card: self.id_card,
        })
    }
}

/// A check's outcome: the parsed value, or the issue (without row, added by the caller).
type Check<T> = Result<T, FieldIssue>;

fn issue(column: Column, code: &str) -> FieldIssue {
    FieldIssue::new(column.wire_name(), code)
}

/// The cells of one row, looked up by column.
struct RowCells<'a> {
    columns: &'a HashMap<Column, usize>,
    cells: &'a [String],
}

impl<'a> RowCells<'a> {
    fn get(&self, column: Column) -> &'a str {
        self.columns.get(&column).and_then(|&i| self.cells.get(i)).map_or("", |s| s.trim())
    }

    fn required(&self, column: Column) -> Check<&'a str> {
        let value = self.get(column);
        if value.is_empty() { Err(issue(column, "required")) } else { Ok(value) }
    }

    fn optional(&self, column: Column) -> Option<&'a str> {
        Some(self.get(column)).filter(|v| !v.is_empty())
    }
}

/// Runs every per-row check.
fn check_row(cells: &RowCells<'_>, today: NaiveDate) -> CheckedRow {
    let mut r = CheckedRow::default();
    r.staff_no = r.take(cells.required(Column::StaffNo).and_then(check_staff_no));
    r.name = r.take(cells.required(Column::Name).and_then(check_name));
    r.gender = r.take(cells.required(Column::Gender).and_then(check_gender));
    r.birth_date = r.take(cells.required(Column::BirthDate).and_then(|s| check_date(Column::BirthDate, s, today)));
    r.unit = r.take(cells.required(Column::Unit).map(str::to_owned));
    r.employment_type = r.take(cells.required(Column::EmploymentType).and_then(check_employment_type));
    r.joined_on = r.take(cells.required(Column::JoinedOn).and_then(|s| check_date(Column::JoinedOn, s, today)));
    if let (Some(birth), Some(joined)) = (r.birth_date, r.joined_on)
        && joined < birth
    {
        r.joined_on = None;
        r.issues.push(issue(Column::JoinedOn, "date_order").with("other", Column::BirthDate.wire_name()));
    }
    r.phone = r.take(cells.optional(Column::Phone).map(check_phone).transpose()).flatten();
    r.id_card = r.take(cells.optional(Column::IdCard).map(check_id_card).transpose()).flatten();
    if let Some(card) = &r.id_card {
        r.issues.extend(id_card_mismatches(card, r.birth_date, r.gender));
    }
    r
}

fn check_length(column: Column, value: &str, max: usize) -> Check<String> {
    if value.chars().count() > max {
        return Err(issue(column, "length").with("min", 1).with("max", max));
    }
    Ok(value.to_owned())
}

/// At most [`NAME_MAX`] characters, without control characters other than line breaks and tabs
/// (the rule of JSON bodies; PostgreSQL refuses NUL outright, which would otherwise be a 500).
fn check_name(value: &str) -> Check<String> {
    let value = check_length(Column::Name, value, NAME_MAX)?;
    if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(issue(Column::Name, "control_characters"));
    }
    Ok(value)
}

/// 1–32 characters of `[A-Za-z0-9-]`.
fn check_staff_no(value: &str) -> Check<String> {
    let value = check_length(Column::StaffNo, value, STAFF_NO_MAX)?;
    if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(issue(Column::StaffNo, "invalid_format"));
    }
    Ok(value)
}

fn choices<T: Copy>(all: &[T], label: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|&v| label(v)).collect::<Vec<_>>().join(", ")
}

fn check_gender(value: &str) -> Check<Gender> {
    Gender::parse(value)
        .ok_or_else(|| issue(Column::Gender, "invalid_choice").with("choices", choices(Gender::all(), Gender::label)))
}

fn check_employment_type(value: &str) -> Check<EmploymentType> {
    EmploymentType::parse(value).ok_or_else(|| {
        let choices = choices(EmploymentType::all(), EmploymentType::label);
        issue(Column::EmploymentType, "invalid_choice").with("choices", choices)
    })
}

fn check_date(column: Column, value: &str, today: NaiveDate) -> Check<NaiveDate> {
    let date = parse_date(value).ok_or_else(|| issue(column, "invalid_date"))?;
    if date > today {
        return Err(issue(column, "date_in_future"));
    }
    Ok(date)
}

/// Mobile number with common decorations removed: `+86 138-1234-1234` → `13812341234`.
fn check_phone(value: &str) -> Check<String> {
    let digits: String = value.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{3000}')).collect();
    let digits = digits.strip_prefix("+86").unwrap_or(&digits);
    if is_valid_phone(digits) { Ok(digits.to_owned()) } else { Err(issue(Column::Phone, "invalid_phone")) }
}

fn check_id_card(value: &str) -> Check<IdCard> {
    parse_id_card(value).map_err(|_| issue(Column::IdCard, "invalid_id_card"))
}

/// The card must agree with the birth date and gender given in their own columns (when valid).
fn id_card_mismatches(card: &IdCard, birth: Option<NaiveDate>, gender: Option<Gender>) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if birth.is_some_and(|b| b != card.birth_date) {
        issues.push(issue(Column::IdCard, "id_card_birth_mismatch"));
    }
    if gender.is_some_and(|g| g != card.gender) {
        issues.push(issue(Column::IdCard, "id_card_gender_mismatch"));
    }
    issues
}

/// First row of each staff number and ID card number seen so far.
#[derive(Default)]
struct SeenValues {
    staff_no: HashMap<String, u32>,
    id_card: HashMap<String, u32>,
}

impl SeenValues {
    /// Issues for values of `checked` already seen in an earlier row; remembers new values.
    /// Rows with other problems still count: a later copy of their value is a duplicate too.
    fn duplicates(&mut self, checked: &CheckedRow, row: u32) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        if let Some(staff_no) = &checked.staff_no {
            issues.extend(Self::see(&mut self.staff_no, staff_no, row, Column::StaffNo));
        }
        if let Some(card) = &checked.id_card {
            issues.extend(Self::see(&mut self.id_card, &card.number, row, Column::IdCard));
        }
        issues
    }

    fn see(seen: &mut HashMap<String, u32>, value: &str, row: u32, column: Column) -> Option<FieldIssue> {
        match seen.get(value) {
            Some(&first) => Some(issue(column, "duplicate_in_file").with("other_row", first)),
            None => {
                seen.insert(value.to_owned(), row);
                None
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

/// Parses the date spellings found in rosters: `2023-03-07`, `2023/3/7`, `2023.03.07`,
/// `20230307`, `2023年3月7日`, an Excel serial number such as `44992`, each optionally followed
/// by a time of day (`2023-03-07 00:00:00`, as database exports write it).
pub fn parse_date(value: &str) -> Option<NaiveDate> {
    let value = strip_time(value.trim());
    parse_chinese_date(value)
        .or_else(|| parse_separated_date(value))
        .or_else(|| parse_compact_date(value))
        .or_else(|| parse_serial_date(value))
}

/// Drops a trailing ` 12:30[:00]` or `T12:30:00`.
fn strip_time(value: &str) -> &str {
    let Some((date, time)) = value.split_once([' ', 'T']) else { return value };
    let looks_like_time = time.contains(':') && time.chars().all(|c| c.is_ascii_digit() || matches!(c, ':' | '.'));
    if looks_like_time { date.trim_end() } else { value }
}

/// `2023年3月7日` (the final 日 or 号 may be missing).
fn parse_chinese_date(value: &str) -> Option<NaiveDate> {
    let (year, rest) = value.split_once('年')?;
    let (month, day) = rest.split_once('月')?;
    let day = day.strip_suffix(['日', '号']).unwrap_or(day);
    ymd(year.trim(), month.trim(), day.trim())
}

/// `2023-03-07`, `2023/3/7`, `2023.03.07`: one separator used twice.
fn parse_separated_date(value: &str) -> Option<NaiveDate> {
    let separator = value.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let mut parts = value.split(separator);
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    ymd(year, month, day)
}

/// `20230307`.
fn parse_compact_date(value: &str) -> Option<NaiveDate> {
    if value.len() != 8 || !value.is_char_boundary(4) || !value.is_char_boundary(6) {
        return None;
    }
    ymd(&value[..4], &value[4..6], &value[6..])
}

/// An Excel serial date. Only 5-digit serials (1927-05-18 … 2173-10-14) are taken: a 4-digit
/// number is far more likely a bare year ("1990") than a date before 1927, and an 8-digit one is
/// `YYYYMMDD`.
fn parse_serial_date(value: &str) -> Option<NaiveDate> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if whole.len() != 5 || !digits(whole) || !digits(fraction) {
        return None;
    }
    excel_serial_to_date(value.parse().ok()?)
}

/// A date from a 4-digit year and 1–2 digit month and day.
fn ymd(year: &str, month: &str, day: &str) -> Option<NaiveDate> {
    let number = |s: &str, len: std::ops::RangeInclusive<usize>| {
        (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u32>().ok()).flatten()
    };
    let year = i32::try_from(number(year, 4..=4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(month, 1..=2)?, number(day, 1..=2)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADERS: [&str; 9] =
        ["工号", "姓名", "性别", "出生日期", "所属工会", "用工类型", "入会日期", "手机号", "身份证号"];

    fn today() -> NaiveDate {
        date(2024, 6, 1)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// A made-up ID card number (region 110101) with a correct check character.
    fn id_card(birth: &str, male: bool) -> String {
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let body = format!("110101{birth}12{}", if male { 3 } else { 4 });
        let sum: u32 = body.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
        format!("{body}{}", char::from(b"10X98765432"[(sum % 11) as usize]))
    }

    /// A valid row in `HEADERS` order, with some cells replaced.
    fn cells(overrides: &[(Column, &str)]) -> Vec<String> {
        let card = id_card("19850315", true);
        let base = ["T001", "张三", "男", "1985-03-15", "计算机学院分工会", "在编", "2010-09-01", "13812341234", &card];
        let mut cells: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        for &(column, value) in overrides {
            cells[Column::ALL.iter().position(|&c| c == column).unwrap()] = value.to_owned();
        }
        cells
    }

    fn table(rows: Vec<Vec<String>>) -> RawTable {
        let rows = rows.into_iter().enumerate().map(|(i, cells)| (i as u32 + 2, cells)).collect();
        RawTable { headers: HEADERS.iter().map(|s| s.to_string()).collect(), rows }
    }

    /// `(row, field, code, params)` of an issue, for compact assertions.
    type Summary<'a> = (u32, &'a str, &'a str, Vec<(&'a str, &'a str)>);
    /// `(field, code, params)` of an issue of a known row.
    type Issue = (String, String, Vec<(String, String)>);

    fn summary(issues: &[FieldIssue]) -> Vec<Summary<'_>> {
        issues
            .iter()
            .map(|i| {
                let params = i.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                (i.row.unwrap(), i.field.as_str(), i.code.as_str(), params)
            })
            .collect()
    }

    /// Issues of a single data row (row 2) built from `overrides`.
    fn issues_of(overrides: &[(Column, &str)]) -> Vec<Issue> {
        let (valid, issues) = validate_rows(&table(vec![cells(overrides)]), today());
        assert_eq!(valid.len(), usize::from(issues.is_empty()));
        assert!(issues.iter().all(|i| i.row == Some(2)));
        issues.into_iter().map(|i| (i.field, i.code, i.params)).collect()
    }

    fn one(field: &str, code: &str, params: &[(&str, &str)]) -> Vec<Issue> {
        let params = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        vec![(field.to_owned(), code.to_owned(), params)]
    }

    // ----- reading CSV -----

    #[test]
    fn csv_with_bom_and_chinese_headers() {
        let text = format!("{}\n{}\n", HEADERS.join(","), cells(&[]).join(","));
        let bytes = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let table = read_csv(&bytes, 100).unwrap();
        assert_eq!(table.headers, HEADERS);
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0].0, 2);
        assert_eq!(table.rows[0].1[1], "张三");

        let (valid, issues) = validate_rows(&table, today());
        assert!(issues.is_empty(), "{issues:?}");
        let row = &valid[0];
        assert_eq!(row.row, 2);
        assert_eq!(row.staff_no, "T001");
        assert_eq!(row.name, "张三");
        assert_eq!(row.gender, Gender::Male);
        assert_eq!(row.birth_date, date(1985, 3, 15));
        assert_eq!(row.unit, "计算机学院分工会");
        assert_eq!(row.employment_type, EmploymentType::Established);
        assert_eq!(row.joined_on, date(2010, 9, 1));
        assert_eq!(row.phone.as_deref(), Some("13812341234"));
        let card = row.id_card.as_ref().unwrap();
        assert_eq!(card.number, id_card("19850315", true));
        assert_eq!(card.birth_date, date(1985, 3, 15));
    }

    #[test]
    fn gbk_encoded_csv_is_decoded() {
        let text = "工号,姓名,性别,出生日期,所属工会,用工类型,入会日期\r\nT002,李四,女,1990/1/2,外国语学院,非编,2015年3月7日\r\n";
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&gbk).is_err());
        let table = read_csv(&gbk, 100).unwrap();
        assert_eq!(table.headers[1], "姓名");
        assert_eq!(table.rows[0].1[..3], ["T002", "李四", "女"]);

        let (valid, issues) = validate_rows(&table, today());
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(valid[0].birth_date, date(1990, 1, 2));
        assert_eq!(valid[0].joined_on, date(2015, 3, 7));
        assert_eq!(valid[0].employment_type, EmploymentType::Contract);
        assert_eq!(valid[0].phone, None);
        assert!(valid[0].id_card.is_none());
    }

    #[test]
    fn csv_row_numbers_match_the_spreadsheet() {
        // Row 2 is blank, row 4 is one cell over two lines, row 5 has only empty cells.
        let csv = "a,b\n\n1,2\n\"x\ny\",3\n , \n4,5\n";
        let table = read_csv(csv.as_bytes(), 100).unwrap();
        let numbers: Vec<u32> = table.rows.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [3, 4, 6]);
        assert_eq!(table.rows[1].1, ["x\ny", "3"]);
        // The same with CRLF line ends, two blank lines and no final line end.
        let csv = "a,b\r\n\r\n\r\n1,2\r\n\"x\r\ny\",3\r\n4,5";
        let table = read_csv(csv.as_bytes(), 100).unwrap();
        let numbers: Vec<u32> = table.rows.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [4, 5, 6]);
        // Blank lines before the header.
        let table = read_csv(b"\n\na,b\n1,2\n", 100).unwrap();
        assert_eq!(table.headers, ["a", "b"]);
        assert_eq!(table.rows[0].0, 4);
    }

    #[test]
    fn csv_rows_are_trimmed_and_padded_to_the_header() {
        let table = read_csv("a , b,c,,\n 1 \n1,2,3,4\n".as_bytes(), 100).unwrap();
        assert_eq!(table.headers, ["a", "b", "c"]);
        assert_eq!(table.rows[0].1, ["1", "", ""]);
        assert_eq!(table.rows[1].1, ["1", "2", "3"]);
    }

    #[test]
    fn file_level_errors() {
        assert_eq!(read_csv(b"a,b\n1,2\n3,4\n", 1), Err(ImportFileError::TooManyRows(1)));
        assert_eq!(read_csv(b"a,b\n1,2\n3,4\n", 2).map(|t| t.rows.len()), Ok(2));
        assert_eq!(read_csv(b"a,b\n,\n", 10), Err(ImportFileError::Empty));
        assert_eq!(read_csv(b"", 10), Err(ImportFileError::Empty));
        assert_eq!(read_csv(b"\xEF\xBB\xBF", 10), Err(ImportFileError::Empty));
        assert!(matches!(read_xlsx(b"not a zip file", 10), Err(ImportFileError::Unreadable(_))));
    }

    // ----- reading XLSX -----

    fn xlsx_fixture() -> Vec<u8> {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        for (col, header) in HEADERS.iter().enumerate() {
            sheet.write_string(0, col as u16, *header).unwrap();
        }
        let date_format = Format::new().set_num_format("yyyy-mm-dd");
        let birth = ExcelDateTime::from_ymd(1985, 3, 15).unwrap();
        sheet.write_string(1, 0, "T001").unwrap();
        sheet.write_string(1, 1, "张三").unwrap();
        sheet.write_string(1, 2, "男").unwrap();
        sheet.write_datetime_with_format(1, 3, &birth, &date_format).unwrap();
        sheet.write_string(1, 4, "计算机学院分工会").unwrap();
        sheet.write_string(1, 5, "在编").unwrap();
        sheet.write_string(1, 6, "2010-09-01").unwrap();
        sheet.write_number(1, 7, 13812341234.0).unwrap();
        sheet.write_string(1, 8, id_card("19850315", true)).unwrap();
        // Row 3 left empty; row 4: staff number and an unformatted serial date as plain numbers.
        sheet.write_number(3, 0, 1001.0).unwrap();
        sheet.write_string(3, 1, "李四").unwrap();
        sheet.write_string(3, 2, "女").unwrap();
        sheet.write_string(3, 3, "19900102").unwrap();
        sheet.write_string(3, 4, "外国语学院").unwrap();
        sheet.write_string(3, 5, "退休").unwrap();
        sheet.write_number(3, 6, 40422.0).unwrap();
        workbook.save_to_buffer().unwrap()
    }

    #[test]
    fn xlsx_is_read_with_dates_and_numbers_as_text() {
        let table = read_xlsx(&xlsx_fixture(), 100).unwrap();
        assert_eq!(table.headers, HEADERS);
        assert_eq!(table.rows.len(), 2);
        let (row2, cells2) = &table.rows[0];
        assert_eq!(*row2, 2);
        assert_eq!(cells2[3], "1985-03-15");
        assert_eq!(cells2[7], "13812341234");
        let (row4, cells4) = &table.rows[1];
        assert_eq!(*row4, 4);
        assert_eq!(cells4[0], "1001");
        assert_eq!(cells4[6], "40422");
        assert_eq!(cells4[7], "");

        let (valid, issues) = validate_rows(&table, today());
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(valid[0].birth_date, date(1985, 3, 15));
        assert_eq!(valid[0].phone.as_deref(), Some("13812341234"));
        assert_eq!(valid[1].row, 4);
        assert_eq!(valid[1].staff_no, "1001");
        assert_eq!(valid[1].birth_date, date(1990, 1, 2));
        assert_eq!(valid[1].joined_on, date(2010, 9, 1));
        assert_eq!(valid[1].employment_type, EmploymentType::Retired);
    }

    #[test]
    fn xlsx_stray_far_cell_is_ignored_without_allocating_the_range() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "工号").unwrap();
        sheet.write_string(1, 0, "T001").unwrap();
        sheet.write_string(1_048_575, 16_383, "x").unwrap(); // XFD1048576
        let table = read_xlsx(&workbook.save_to_buffer().unwrap(), 100).unwrap();
        assert_eq!(table.headers, ["工号"]);
        assert_eq!(table.rows, [(2, vec!["T001".to_owned()])]);
    }

    #[test]
    fn xlsx_row_limit() {
        assert_eq!(read_xlsx(&xlsx_fixture(), 1), Err(ImportFileError::TooManyRows(1)));
    }

    #[test]
    fn cell_text_conversions() {
        assert_eq!(number_text(13812341234.0), "13812341234");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(iso_date_or_text("2023-03-07T00:00:00"), "2023-03-07");
        assert_eq!(iso_date_or_text("12:30:00"), "12:30:00");
        assert_eq!(cell_text(&DataRef::SharedString(" 张三 ")), "张三");
        assert_eq!(cell_text(&DataRef::Int(42)), "42");
        assert_eq!(cell_text(&DataRef::Float(44992.0)), "44992");
        assert_eq!(cell_text(&DataRef::DateTimeIso("2023-03-07T08:00:00".into())), "2023-03-07");
        assert_eq!(cell_text(&DataRef::String("2023-03-07 备注".into())), "2023-03-07 备注");
        assert_eq!(cell_text(&DataRef::Empty), "");
    }

    // ----- dates -----

    #[test]
    fn excel_serials() {
        assert_eq!(excel_serial_to_date(1.0), Some(date(1900, 1, 1)));
        assert_eq!(excel_serial_to_date(59.0), Some(date(1900, 2, 28)));
        assert_eq!(excel_serial_to_date(60.0), None); // Excel's fake 1900-02-29
        assert_eq!(excel_serial_to_date(61.0), Some(date(1900, 3, 1)));
        assert_eq!(excel_serial_to_date(45000.0), Some(date(2023, 3, 15)));
        assert_eq!(excel_serial_to_date(44992.75), Some(date(2023, 3, 7)));
        assert_eq!(excel_serial_to_date(2_958_465.0), Some(date(9999, 12, 31)));
        assert_eq!(excel_serial_to_date(2_958_466.0), None);
        assert_eq!(excel_serial_to_date(0.0), None);
        assert_eq!(excel_serial_to_date(-1.0), None);
        assert_eq!(excel_serial_to_date(f64::NAN), None);
    }

    #[test]
    fn date_spellings() {
        let d = Some(date(2023, 3, 7));
        for s in ["2023-03-07", "2023/3/7", "2023.03.07", "20230307", "2023年3月7日", "2023年03月07", "44992"] {
            assert_eq!(parse_date(s), d, "{s}");
        }
        for s in [" 2023-3-7 ", "2023-03-07 00:00:00", "2023/3/7 8:05", "2023-03-07T10:00:00", "44992.5"] {
            assert_eq!(parse_date(s), d, "{s}");
        }
        for s in ["2023-02-30", "2023-3", "2023/03-07", "23-03-07", "1990", "20231301", "abc", "", "2023-03-07 foo"] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }

    // ----- headers -----

    #[test]
    fn missing_required_columns_stop_validation() {
        let table = RawTable {
            headers: ["工号", "姓名", "出生日期", "单位", "人员类别", "备注"].map(String::from).to_vec(),
            rows: vec![(2, vec![String::new(); 6])],
        };
        let (valid, issues) = validate_rows(&table, today());
        assert!(valid.is_empty());
        assert_eq!(
            summary(&issues),
            [
                (1, "header", "missing_column", vec![("value", "gender")]),
                (1, "header", "missing_column", vec![("value", "joined_on")]),
            ]
        );
    }

    #[test]
    fn header_aliases_case_and_required_marks() {
        let headers = ["Staff_No", "NAME", "性别*", "出生年月日", "部门", "编制类型", "入会时间", "备注"];
        let table = RawTable {
            headers: headers.map(String::from).to_vec(),
            rows: vec![(
                2,
                ["A-7", "Li Lei", "M", "1985-03-15", "机关", "合同制", "2010-09-01", "x"].map(String::from).to_vec(),
            )],
        };
        let (valid, issues) = validate_rows(&table, today());
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(valid[0].staff_no, "A-7");
        assert_eq!(valid[0].employment_type, EmploymentType::Contract);
        assert_eq!(valid[0].phone, None);
        assert!(valid[0].id_card.is_none());
    }

    #[test]
    fn first_matching_header_wins() {
        let map = map_headers(&["姓名", "工号", "职工号"].map(String::from));
        assert_eq!(map.get(&Column::StaffNo), Some(&1));
        assert_eq!(map.get(&Column::Name), Some(&0));
        assert_eq!(map.get(&Column::Phone), None);
    }

    // ----- one code at a time -----

    #[test]
    fn valid_row_has_no_issue() {
        assert_eq!(issues_of(&[]), []);
    }

    #[test]
    fn required() {
        assert_eq!(issues_of(&[(Column::Name, "  ")]), one("name", "required", &[]));
        assert_eq!(issues_of(&[(Column::Unit, "")]), one("unit", "required", &[]));
        // Optional columns may be empty.
        assert_eq!(issues_of(&[(Column::Phone, ""), (Column::IdCard, "")]), []);
    }

    #[test]
    fn length() {
        let long_name = "张".repeat(51);
        assert_eq!(issues_of(&[(Column::Name, &long_name)]), one("name", "length", &[("min", "1"), ("max", "50")]));
        assert_eq!(issues_of(&[(Column::Name, &"张".repeat(50))]), []);
        let long_no = "A".repeat(33);
        assert_eq!(
            issues_of(&[(Column::StaffNo, &long_no)]),
            one("staff_no", "length", &[("min", "1"), ("max", "32")])
        );
    }

    #[test]
    fn control_characters() {
        assert_eq!(issues_of(&[(Column::Name, "张\u{0}三")]), one("name", "control_characters", &[]));
        assert_eq!(issues_of(&[(Column::Name, "张\u{7}三")]), one("name", "control_characters", &[]));
        assert_eq!(issues_of(&[(Column::Name, "张\n三")]), []);
    }

    #[test]
    fn invalid_format() {
        assert_eq!(issues_of(&[(Column::StaffNo, "T 001")]), one("staff_no", "invalid_format", &[]));
        assert_eq!(issues_of(&[(Column::StaffNo, "工001")]), one("staff_no", "invalid_format", &[]));
        assert_eq!(issues_of(&[(Column::StaffNo, "2001-x7")]), []);
    }

    #[test]
    fn invalid_choice() {
        assert_eq!(issues_of(&[(Column::Gender, "未知")]), one("gender", "invalid_choice", &[("choices", "男, 女")]));
        assert_eq!(
            issues_of(&[(Column::EmploymentType, "临时工")]),
            one("employment_type", "invalid_choice", &[("choices", "在编, 非编, 退休")])
        );
    }

    #[test]
    fn invalid_date() {
        assert_eq!(issues_of(&[(Column::BirthDate, "1985-13-01")]), one("birth_date", "invalid_date", &[]));
        assert_eq!(issues_of(&[(Column::JoinedOn, "去年")]), one("joined_on", "invalid_date", &[]));
    }

    #[test]
    fn date_in_future() {
        assert_eq!(issues_of(&[(Column::JoinedOn, "2024-06-02")]), one("joined_on", "date_in_future", &[]));
        assert_eq!(issues_of(&[(Column::JoinedOn, "2024-06-01")]), []);
        let card = id_card("19850315", true);
        let future_birth = [(Column::BirthDate, "2030-01-01"), (Column::IdCard, card.as_str())];
        assert_eq!(issues_of(&future_birth), one("birth_date", "date_in_future", &[]));
    }

    #[test]
    fn date_order() {
        assert_eq!(
            issues_of(&[(Column::JoinedOn, "1985-03-14")]),
            one("joined_on", "date_order", &[("other", "birth_date")])
        );
        assert_eq!(issues_of(&[(Column::JoinedOn, "1985-03-15")]), []);
    }

    #[test]
    fn invalid_phone() {
        assert_eq!(issues_of(&[(Column::Phone, "12345")]), one("phone", "invalid_phone", &[]));
        assert_eq!(issues_of(&[(Column::Phone, "010-62751234")]), one("phone", "invalid_phone", &[]));
    }

    #[test]
    fn phone_decorations_are_removed() {
        let table = table(vec![cells(&[(Column::Phone, "+86 138-1234-1234")])]);
        let (valid, _) = validate_rows(&table, today());
        assert_eq!(valid[0].phone.as_deref(), Some("13812341234"));
    }

    #[test]
    fn invalid_id_card() {
        assert_eq!(issues_of(&[(Column::IdCard, "123")]), one("id_card", "invalid_id_card", &[]));
        let mut wrong_check = id_card("19850315", true);
        let last = wrong_check.pop().unwrap();
        wrong_check.push(if last == '0' { '1' } else { '0' });
        assert_eq!(issues_of(&[(Column::IdCard, &wrong_check)]), one("id_card", "invalid_id_card", &[]));
    }

    #[test]
    fn id_card_mismatches_are_reported() {
        let other_birth = id_card("19860101", true);
        assert_eq!(issues_of(&[(Column::IdCard, &other_birth)]), one("id_card", "id_card_birth_mismatch", &[]));
        let female = id_card("19850315", false);
        assert_eq!(issues_of(&[(Column::IdCard, &female)]), one("id_card", "id_card_gender_mismatch", &[]));
        // Both at once; and a card matching the other columns is fine.
        let both = id_card("19860101", false);
        let codes: Vec<String> = issues_of(&[(Column::IdCard, &both)]).into_iter().map(|i| i.1).collect();
        assert_eq!(codes, ["id_card_birth_mismatch", "id_card_gender_mismatch"]);
        assert_eq!(issues_of(&[(Column::Gender, "女"), (Column::IdCard, &female)]), []);
    }

    // ----- several rows -----

    #[test]
    fn duplicates_point_to_the_first_row() {
        let card = id_card("19850315", true);
        let other_card = id_card("19700101", true);
        let rows = vec![
            cells(&[]),                                                                       // row 2
            cells(&[(Column::IdCard, &other_card), (Column::BirthDate, "1970-01-01")]), // row 3: staff_no of row 2
            cells(&[(Column::StaffNo, "T002")]),                                        // row 4: id_card of row 2
            cells(&[(Column::StaffNo, "T003"), (Column::IdCard, "")]),                  // row 5: fine
            cells(&[(Column::StaffNo, "T003"), (Column::Name, ""), (Column::IdCard, &card)]), // row 6
        ];
        let (valid, issues) = validate_rows(&table(rows), today());
        assert_eq!(valid.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 5]);
        assert_eq!(
            summary(&issues),
            [
                (3, "staff_no", "duplicate_in_file", vec![("other_row", "2")]),
                (4, "id_card", "duplicate_in_file", vec![("other_row", "2")]),
                (6, "staff_no", "duplicate_in_file", vec![("other_row", "5")]),
                (6, "name", "required", vec![]),
                (6, "id_card", "duplicate_in_file", vec![("other_row", "2")]),
            ]
        );
    }

    #[test]
    fn invalid_rows_still_claim_their_values() {
        let rows = vec![cells(&[(Column::Gender, "?")]), cells(&[])];
        let (valid, issues) = validate_rows(&table(rows), today());
        assert!(valid.is_empty());
        let codes: Vec<(u32, &str)> = issues.iter().map(|i| (i.row.unwrap(), i.code.as_str())).collect();
        assert_eq!(codes, [(2, "invalid_choice"), (3, "duplicate_in_file"), (3, "duplicate_in_file")]);
    }

    #[test]
    fn every_problem_of_a_row_is_reported_in_column_order() {
        let rows = vec![
            cells(&[(Column::StaffNo, "T009")]),
            cells(&[
                (Column::StaffNo, ""),
                (Column::Name, &"名".repeat(60)),
                (Column::Gender, "x"),
                (Column::BirthDate, "1985-02-30"),
                (Column::Unit, ""),
                (Column::EmploymentType, "临时"),
                (Column::JoinedOn, "2099-01-01"),
                (Column::Phone, "138"),
                (Column::IdCard, "ABC"),
            ]),
        ];
        let (valid, issues) = validate_rows(&table(rows), today());
        assert_eq!(valid.len(), 1);
        assert_eq!(
            summary(&issues),
            [
                (3, "staff_no", "required", vec![]),
                (3, "name", "length", vec![("min", "1"), ("max", "50")]),
                (3, "gender", "invalid_choice", vec![("choices", "男, 女")]),
                (3, "birth_date", "invalid_date", vec![]),
                (3, "unit", "required", vec![]),
                (3, "employment_type", "invalid_choice", vec![("choices", "在编, 非编, 退休")]),
                (3, "joined_on", "date_in_future", vec![]),
                (3, "phone", "invalid_phone", vec![]),
                (3, "id_card", "invalid_id_card", vec![]),
            ]
        );
    }
}
