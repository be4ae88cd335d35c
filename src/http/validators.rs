//! Custom `validator` checks shared by the request types of every domain. Each returns the
//! field code the client sees (`invalid_format`, `required`, `control_characters`).

use validator::ValidationError;

/// No leading or trailing whitespace (names, codes, sources).
pub fn no_surrounding_space(v: &str) -> Result<(), ValidationError> {
    if v.trim() == v { Ok(()) } else { Err(ValidationError::new("invalid_format")) }
}

/// Something other than whitespace.
pub fn not_blank(v: &str) -> Result<(), ValidationError> {
    if v.trim().is_empty() { Err(ValidationError::new("required")) } else { Ok(()) }
}

/// Free text: not blank, and no control characters but line breaks and tabs (PostgreSQL
/// rejects NUL; the rest have no place in a proposal or a reply).
pub fn clean_text(v: &str) -> Result<(), ValidationError> {
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        Err(ValidationError::new("control_characters"))
    } else {
        not_blank(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<(), ValidationError>) -> Option<String> {
        r.err().map(|e| e.code.to_string())
    }

    #[test]
    fn each_check_names_its_code() {
        assert_eq!(code(no_surrounding_space("校工会")), None);
        assert_eq!(code(no_surrounding_space(" 校工会")), Some("invalid_format".into()));
        assert_eq!(code(not_blank(" \t")), Some("required".into()));
        assert_eq!(code(clean_text("第一行\n第二行\t")), None);
        assert_eq!(code(clean_text("含\u{0}空字符")), Some("control_characters".into()));
        assert_eq!(code(clean_text("  ")), Some("required".into()));
    }
}
