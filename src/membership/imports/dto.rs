//! Request and response types of `/members/import`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check the file and report errors without writing anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// A roster as CSV text (UTF-8 or GBK), header row first. An empty file is 422 `empty_file`.
#[derive(ToSchema)]
#[schema(value_type = String, min_length = 1)]
#[allow(dead_code)] // documents the request body in the spec; never built
pub struct CsvFile(pub String);

/// A roster as an XLSX workbook (the first sheet, header row first).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary, content_media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
#[allow(dead_code)] // documents the request body in the spec; never built
pub struct XlsxFile(pub Vec<u8>);

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
