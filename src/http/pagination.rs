//! `?page=1&per_page=20` (max 100) and `{items, total, page, per_page}` envelopes;
//! `?sort=field,-other` checked against an allow-list.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{ApiError, FieldIssue};

pub const MAX_PER_PAGE: i64 = 100;

#[derive(Debug, Clone, Copy, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    #[validate(range(min = 1, max = 1_000_000))]
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1 to 100.
    #[validate(range(min = 1, max = 100))]
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

impl PageParams {
    pub fn page(&self) -> i64 {
        self.page.unwrap_or(1)
    }

    pub fn per_page(&self) -> i64 {
        self.per_page.unwrap_or(20).clamp(1, MAX_PER_PAGE)
    }

    pub fn offset(&self) -> i64 {
        (self.page() - 1) * self.per_page()
    }

    pub fn wrap<T>(&self, items: Vec<T>, total: i64) -> Page<T> {
        Page { items, total, page: self.page(), per_page: self.per_page() }
    }
}

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Number of items matching the filters, across all pages.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// A sort key: field name and direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub field: String,
    pub descending: bool,
}

/// Parses `name,-staff_no` against `allowed`; an unknown field is a 422 naming the choices.
pub fn parse_sort(raw: Option<&str>, allowed: &[&str]) -> Result<Vec<SortKey>, ApiError> {
    let Some(raw) = raw.filter(|s| !s.trim().is_empty()) else { return Ok(Vec::new()) };
    let mut keys = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()).take(5) {
        let (descending, field) = match part.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, part.trim_start_matches('+')),
        };
        if !allowed.contains(&field) {
            return Err(ApiError::Validation(vec![
                FieldIssue::new("sort", "unknown_sort").with("choices", allowed.join(", ")),
            ]));
        }
        keys.push(SortKey { field: field.to_owned(), descending });
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_offsets() {
        let p = PageParams { page: None, per_page: None };
        assert_eq!((p.page(), p.per_page(), p.offset()), (1, 20, 0));
        let p = PageParams { page: Some(3), per_page: Some(50) };
        assert_eq!(p.offset(), 100);
    }

    #[test]
    fn sort_allow_list() {
        let keys = parse_sort(Some("name,-staff_no"), &["name", "staff_no"]).unwrap();
        assert_eq!(keys[1], SortKey { field: "staff_no".into(), descending: true });
        assert!(parse_sort(Some("password_hash"), &["name"]).is_err());
        assert!(parse_sort(None, &["name"]).unwrap().is_empty());
    }
}
