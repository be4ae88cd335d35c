//! A problem with one input field, before it is rendered in the request's language
//! (`crate::error` renders it). Plain data, so that a domain's error type can carry field
//! problems (an import's row errors) without depending on the HTTP error module.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    pub field: String,
    pub code: String,
    pub params: Vec<(String, String)>,
    /// Spreadsheet row number (header = 1) for import errors.
    pub row: Option<u32>,
}

impl FieldIssue {
    pub fn new(field: impl Into<String>, code: impl Into<String>) -> Self {
        FieldIssue { field: field.into(), code: code.into(), params: Vec::new(), row: None }
    }

    pub fn with(mut self, name: &str, value: impl ToString) -> Self {
        self.params.push((name.to_owned(), value.to_string()));
        self
    }

    pub fn at_row(mut self, row: u32) -> Self {
        self.row = Some(row);
        self
    }
}
