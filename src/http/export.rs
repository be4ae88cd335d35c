//! CSV and XLSX exports of lists, for dashboards and spreadsheets: the same list route
//! answers `Accept: text/csv` or `?format=csv|xlsx` with every matching row (no paging, up
//! to [`MAX_EXPORT_ROWS`]). CSV is UTF-8 with a byte-order mark so Excel shows Chinese.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use rust_xlsxwriter::Workbook;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::ApiError;

/// Exports stop here; a larger extract belongs in a report job, not a request.
pub const MAX_EXPORT_ROWS: i64 = 50_000;
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `csv` or `xlsx` for a file of every matching row (also `Accept: text/csv`).
    #[param(inline)]
    pub format: Option<Format>,
}

/// The format asked for: `?format=` wins, then the `Accept` header, then JSON.
pub fn requested(req: &HttpRequest, param: Option<Format>) -> Format {
    if let Some(f) = param {
        return f;
    }
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if accept.contains("text/csv") {
        Format::Csv
    } else if accept.contains(XLSX) {
        Format::Xlsx
    } else {
        Format::Json
    }
}

/// An exported workbook, as documented in the spec: binary, never an array of numbers.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary, content_media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
#[allow(dead_code)] // documents the response body in the spec; never built
pub struct XlsxSheet(pub Vec<u8>);

/// A sheet: column headers and rows of cells.
pub struct Table {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

pub fn to_csv(table: &Table) -> Result<Vec<u8>, ApiError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let mut writer = csv::Writer::from_writer(&mut out);
    let fail = |e: csv::Error| ApiError::Internal(anyhow::anyhow!("csv export: {e}"));
    writer.write_record(&table.headers).map_err(fail)?;
    for row in &table.rows {
        writer.write_record(row.iter().map(|c| neutralise_formula(c))).map_err(fail)?;
    }
    writer.flush().map_err(|e| ApiError::Internal(anyhow::anyhow!("csv export: {e}")))?;
    drop(writer);
    Ok(out)
}

/// Spreadsheet programs execute cells starting with `=`, `+`, `-` or `@`; a leading
/// apostrophe keeps user-entered text from becoming a formula (CSV injection).
fn neutralise_formula(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => format!("'{cell}"),
        Some('-') if cell.parse::<f64>().is_err() => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

pub fn to_xlsx(table: &Table, sheet: &str) -> Result<Vec<u8>, ApiError> {
    let fail = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(anyhow::anyhow!("xlsx export: {e}"));
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(fail)?;
    for (c, h) in table.headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).map_err(fail)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            // Strings, always: staff numbers and phones must not turn into numbers.
            ws.write_string(r as u32 + 1, c as u16, cell).map_err(fail)?;
        }
    }
    book.save_to_buffer().map_err(fail)
}

/// The file response for a non-JSON format. Encoding 50 000 rows (zip-compressed for XLSX)
/// is CPU work of up to a second; it runs on the blocking pool so that the worker's other
/// connections are not stalled behind it.
pub async fn respond(table: Table, format: Format, name: &'static str) -> Result<HttpResponse, ApiError> {
    let (content_type, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (XLSX, "xlsx"),
        Format::Json => return Err(ApiError::Internal(anyhow::anyhow!("JSON is not an export format"))),
    };
    let body = web::block(move || match format {
        Format::Xlsx => to_xlsx(&table, name),
        _ => to_csv(&table),
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("export encoding: {e}")))??;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.{ext}\"")))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            headers: vec!["工号", "姓名"],
            rows: vec![vec!["A001".into(), "张三".into()], vec!["=1+1".into(), "-5".into()]],
        }
    }

    #[test]
    fn csv_has_bom_and_neutralised_formulas() {
        let csv = String::from_utf8(to_csv(&table()).unwrap()).unwrap();
        assert!(csv.starts_with('\u{feff}'));
        assert!(csv.contains("工号,姓名\nA001,张三\n"));
        assert!(csv.contains("'=1+1,-5"), "{csv}");
    }

    #[test]
    fn xlsx_is_a_zip() {
        let bytes = to_xlsx(&table(), "members").unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
