//! The characters request strings refuse, stated in the schema: `http::extract` refuses
//! every control character but tab, line feed and carriage return in a JSON string, and
//! every control character in a query string or a form. A string schema with no `format`,
//! `enum` or `pattern` of its own gets a pattern saying so.
//!
//! A field whose validator asks more of its text carries the marker `x-text` in its
//! `#[schema(extensions(...))]`: `trimmed` (`http::validators::no_surrounding_space`),
//! `not_blank` (`not_blank`, `clean_text`) or `with_digit` (passwords). The marker becomes
//! the pattern of that rule here, and is removed.

use std::collections::BTreeSet;

use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Object, Schema, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr};

use super::operations_mut;

/// Control characters a JSON string may not hold (all but `\t`, `\n`, `\r`).
pub const BODY_CONTROLS: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F";
/// Control characters a query string or form may not hold (all of them, `char::is_control`).
pub const QUERY_CONTROLS: &str = r"\u0000-\u001F\u007F-\u009F";
/// `char::is_whitespace` (Unicode White_Space).
pub const WHITESPACE: &str = r"\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// The marker naming the text rule of a field: `trimmed`, `not_blank` or `with_digit`.
pub const TEXT_MARKER: &str = "x-text";

/// The pattern of a string refusing `controls` (a character-class body) and following
/// `rule` (`None`, `trimmed`, `not_blank`, `with_digit`), or `None` for an unknown rule.
pub fn pattern(rule: Option<&str>, controls: &str) -> Option<String> {
    Some(match rule {
        None => format!("^[^{controls}]*$"),
        // No whitespace at either end (`no_surrounding_space`).
        Some("trimmed") => format!("^(?:[^{WHITESPACE}{controls}](?:[^{controls}]*[^{WHITESPACE}{controls}])?)?$"),
        // Something besides whitespace (`not_blank`, `clean_text`).
        Some("not_blank") => format!("^[^{controls}]*[^{WHITESPACE}{controls}][^{controls}]*$"),
        // An ASCII digit somewhere (part of `auth::password::is_strong_enough`).
        Some("with_digit") => format!("^[^{controls}]*[0-9][^{controls}]*$"),
        Some(_) => return None,
    })
}

fn is_string(schema_type: &SchemaType) -> bool {
    match schema_type {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(types) => types.contains(&Type::String),
        SchemaType::AnyValue => false,
    }
}

/// Gives `object` its pattern if it is an unconstrained string, and drops its marker.
fn constrain(object: &mut Object, controls: &str) {
    let rule = object
        .extensions
        .as_mut()
        .and_then(|e| e.remove(TEXT_MARKER))
        .map(|v| v.as_str().unwrap_or("unknown").to_owned());
    if object.extensions.as_ref().is_some_and(|e| e.is_empty()) {
        object.extensions = None;
    }
    if !is_string(&object.schema_type)
        || object.format.is_some()
        || object.enum_values.is_some()
        || object.pattern.is_some()
    {
        return;
    }
    match pattern(rule.as_deref(), controls) {
        Some(p) => object.pattern = Some(p),
        // An unknown rule stays visible (the spec test fails on any `x-text` left).
        None => {
            object.extensions.get_or_insert_with(Default::default).insert(TEXT_MARKER.to_owned(), rule.into());
        }
    }
}

/// Walks a schema: constrains its strings when `controls` is given, and collects the
/// components it references.
fn walk(schema: &mut RefOr<Schema>, controls: Option<&str>, refs: &mut BTreeSet<String>) {
    let schema = match schema {
        RefOr::Ref(r) => {
            if let Some(name) = r.ref_location.strip_prefix("#/components/schemas/") {
                refs.insert(name.to_owned());
            }
            return;
        }
        RefOr::T(s) => s,
    };
    match schema {
        Schema::Object(object) => {
            if let Some(controls) = controls {
                constrain(object, controls);
            }
            for property in object.properties.values_mut() {
                walk(property, controls, refs);
            }
            if let Some(additional) = object.additional_properties.as_deref_mut()
                && let AdditionalProperties::RefOr(additional) = additional
            {
                walk(additional, controls, refs);
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                walk(items, controls, refs);
            }
        }
        Schema::OneOf(one) => one.items.iter_mut().for_each(|s| walk(s, controls, refs)),
        Schema::AllOf(all) => all.items.iter_mut().for_each(|s| walk(s, controls, refs)),
        Schema::AnyOf(any) => any.items.iter_mut().for_each(|s| walk(s, controls, refs)),
        _ => {}
    }
}

/// Every component reachable from `start`, walking (and constraining) each once.
fn reach(
    spec: &mut OpenApi,
    start: BTreeSet<String>,
    controls: Option<&str>,
    skip: &BTreeSet<String>,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = start.into_iter().collect();
    while let Some(name) = todo.pop() {
        if skip.contains(&name) || !seen.insert(name.clone()) {
            continue;
        }
        let Some(schema) = spec.components.as_mut().and_then(|c| c.schemas.get_mut(&name)) else { continue };
        let mut refs = BTreeSet::new();
        walk(schema, controls, &mut refs);
        todo.extend(refs);
    }
    seen
}

/// Adds the refused characters to every request string: bodies, query parameters, forms.
/// Components also reachable from a response are left alone (an answer may quote text the
/// rules did not check, an imported cell say); only enums are shared that way today.
pub fn forbid_refused_characters(spec: &mut OpenApi) {
    let (mut body_refs, mut query_refs, mut response_refs) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for item in spec.paths.paths.values_mut() {
        for (_, op) in operations_mut(item) {
            if let Some(RefOr::T(body)) = &mut op.request_body {
                for (media, content) in body.content.iter_mut() {
                    let RefOr::T(content) = content else { continue };
                    let Some(schema) = content.schema.as_mut() else { continue };
                    match media.as_str() {
                        "application/json" => walk(schema, Some(BODY_CONTROLS), &mut body_refs),
                        "application/x-www-form-urlencoded" => walk(schema, Some(QUERY_CONTROLS), &mut query_refs),
                        _ => {}
                    }
                }
            }
            for param in op.parameters.iter_mut().flatten() {
                let RefOr::T(param) = param else { continue };
                if param.parameter_in != utoipa::openapi::path::ParameterIn::Query {
                    continue;
                }
                if let Some(schema) = param.schema.as_mut() {
                    walk(schema, Some(QUERY_CONTROLS), &mut query_refs);
                }
            }
            for response in op.responses.responses.values_mut() {
                let RefOr::T(response) = response else { continue };
                for content in response.content.values_mut() {
                    if let RefOr::T(content) = content
                        && let Some(schema) = content.schema.as_mut()
                    {
                        walk(schema, None, &mut response_refs);
                    }
                }
            }
        }
    }
    let response_refs = reach(spec, response_refs, None, &BTreeSet::new());
    // Query controls are the stricter set: a component in both keeps the body's.
    let body_reached = reach(spec, body_refs, Some(BODY_CONTROLS), &response_refs);
    let skip: BTreeSet<String> = response_refs.union(&body_reached).cloned().collect();
    reach(spec, query_refs, Some(QUERY_CONTROLS), &skip);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::validators::{no_surrounding_space, not_blank};

    fn matches(rule: Option<&str>, controls: &str, s: &str) -> bool {
        regex::Regex::new(&pattern(rule, controls).unwrap()).unwrap().is_match(s)
    }

    #[test]
    fn the_classes_are_the_rust_ones() {
        let class = |c: &str| regex::Regex::new(&format!("^[{c}]$")).unwrap();
        let (ws, body, query) = (class(WHITESPACE), class(BODY_CONTROLS), class(QUERY_CONTROLS));
        for c in (0..=0x3100u32).filter_map(char::from_u32) {
            let s = c.to_string();
            assert_eq!(ws.is_match(&s), c.is_whitespace(), "whitespace {c:?}");
            assert_eq!(query.is_match(&s), c.is_control(), "query control {c:?}");
            assert_eq!(body.is_match(&s), c.is_control() && !matches!(c, '\t' | '\n' | '\r'), "body control {c:?}");
        }
    }

    #[test]
    fn the_patterns_agree_with_the_validators() {
        let samples = [
            "",
            "a",
            " a",
            "a ",
            "\ta",
            "a\n",
            "a b",
            "张三",
            "\u{3000}张三",
            "张\u{3000}三",
            " ",
            "\n\t",
            "a\u{0}",
            "a\u{7}b",
            "a\nb",
            "\u{85}",
            "a\u{a0}",
            "\u{feff}a",
            "a\r\n",
            "\u{1}",
            "abc1",
            "1",
            "a\u{0}1",
            "١",
        ];
        for s in samples {
            let body_ok = !s.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
            assert_eq!(matches(None, BODY_CONTROLS, s), body_ok, "{s:?}");
            assert_eq!(matches(None, QUERY_CONTROLS, s), !s.chars().any(char::is_control), "{s:?}");
            assert_eq!(matches(Some("trimmed"), BODY_CONTROLS, s), body_ok && no_surrounding_space(s).is_ok(), "{s:?}");
            assert_eq!(matches(Some("not_blank"), BODY_CONTROLS, s), body_ok && not_blank(s).is_ok(), "{s:?}");
            let digit = s.chars().any(|c| c.is_ascii_digit());
            assert_eq!(matches(Some("with_digit"), BODY_CONTROLS, s), body_ok && digit, "{s:?}");
        }
        assert!(pattern(Some("other"), BODY_CONTROLS).is_none());
        assert_eq!(pattern(None, QUERY_CONTROLS).unwrap(), r"^[^\u0000-\u001F\u007F-\u009F]*$");
    }
}
