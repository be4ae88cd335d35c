//! PATCH bodies: a field left out changes nothing, `null` clears it, a value sets it.
//! serde reads both "absent" and `null` as `None` for an `Option`; a field that may be
//! cleared is an `Option<Option<T>>` read with [`double_option`].

use serde::{Deserialize, Deserializer};

/// `#[serde(default, deserialize_with = "double_option")]`: absent → `None`,
/// `null` → `Some(None)`, a value → `Some(Some(value))`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "double_option")]
        due: Option<Option<u32>>,
    }

    #[test]
    fn absent_null_and_value_differ() {
        let parse = |s: &str| serde_json::from_str::<Body>(s).unwrap().due;
        assert_eq!(parse("{}"), None);
        assert_eq!(parse(r#"{"due": null}"#), Some(None));
        assert_eq!(parse(r#"{"due": 3}"#), Some(Some(3)));
    }
}
