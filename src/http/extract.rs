//! Request body and query extractors that answer problem+json with field-level errors.
//!
//! `ValidJson<T>`: 413 over the body limit, 400 when not JSON at all, 422 with the JSON
//! path of every control character, unknown field, wrong type or missing field, then the
//! `validator` rules of `T`. `ValidQuery<T>` does the same for query strings. A number with
//! a zero fraction (`103.0`) is an integer, as JSON Schema reads it, in bodies and queries
//! alike.
//!
//! A body of another media type is never refused by the extractor: 415 must not answer
//! before 401, 403 or 404. The extractor keeps the refusal ([`Deferred`]), and the handler
//! takes the body with `take()` once it has authorized the caller, or with `after(lookup)` where the
//! object's lookup decides 404 (the lookup runs only when the body is refused, so a good
//! request pays nothing). 401 comes first anyway: `Principal` precedes the body in every
//! handler. The 415 names the media type expected (`expected` in the problem).

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use futures_util::{FutureExt, StreamExt};
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, FieldIssue};
use crate::state::AppState;

/// The media type of JSON bodies, named by every 415 of a JSON route.
pub const JSON: &str = "application/json";

/// A JSON body, parsed and validated; or, when the body is of another media type, the 415
/// that the handler answers once it has authorized the caller and found the object.
#[derive(Debug)]
pub struct ValidJson<T>(pub Deferred<T>);

/// A JSON body like [`ValidJson`], read up to the import limit (`GONGHUI_IMPORT_LIMIT_BYTES`)
/// instead of the body limit: for the few bodies whose validator admits more items than the
/// body limit holds (a full evaluation sheet, 6,000 scores).
#[derive(Debug)]
pub struct LargeJson<T>(pub Deferred<T>);

/// A JSON body whose fields are all optional: no body, an empty body and `{}` all give
/// `T::default()`, so a bodyless `POST /proposals/7/accept` works; a body that is present
/// must be JSON (415, deferred like [`ValidJson`]'s) and valid (422). (`null`, which the
/// spec's optional body allows, is the same as no body.)
#[derive(Debug)]
pub struct OptionalJson<T>(pub Deferred<T>);

/// A parsed body, or the 415 its media type earned, answered when the handler takes it.
#[derive(Debug)]
pub enum Deferred<T> {
    Body(T),
    WrongType { expected: &'static str },
}

impl<T> Deferred<T> {
    /// The body, or 415: call it after authorizing the caller.
    pub fn take(self) -> Result<T, ApiError> {
        match self {
            Deferred::Body(body) => Ok(body),
            Deferred::WrongType { expected } => Err(ApiError::UnsupportedMediaType(expected)),
        }
    }

    /// The body; when it was refused, first `lookup` (the object the route acts on), so that
    /// a missing or hidden object is 404 before a body of the wrong type is 415. `lookup`
    /// is a future: it runs only when the body was refused.
    pub async fn after<X, E>(self, lookup: impl Future<Output = Result<X, E>>) -> Result<T, ApiError>
    where
        ApiError: From<E>,
    {
        if let Deferred::WrongType { .. } = self {
            lookup.await?;
        }
        self.take()
    }
}

/// Query parameters, parsed and validated.
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

/// Reads the whole body, refusing more than `limit` bytes (413).
pub async fn read_body(req: &HttpRequest, payload: &mut Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    if let Some(len) = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        && len > limit
    {
        return Err(ApiError::PayloadTooLarge);
    }
    // actix bounds the time to the request head only; the body gets a deadline of its own.
    let deadline = req
        .app_data::<web::Data<AppState>>()
        .map_or(std::time::Duration::from_secs(60), |state| state.config.body_read_timeout);
    actix_web::rt::time::timeout(deadline, collect_body(payload, limit)).await.map_err(|_| ApiError::BodyTimeout)?
}

async fn collect_body(payload: &mut Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            actix_web::error::PayloadError::Overflow => ApiError::PayloadTooLarge,
            other => ApiError::BadRequest("malformed_json", other.to_string()),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses JSON into `T`, with field-level errors.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest("malformed_json", e.to_string()))?;
    let mut issues = Vec::new();
    find_control_chars(&value, "", &mut issues);
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    let value = integral_floats_as_integers(value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ApiError::Validation(vec![serde_issue(&path, &e.inner().to_string())])
    })
}

/// Beyond 2^53 an `f64` no longer holds every integer: a larger number read as a float may
/// be an integer literal out of range (`-9223372036854775809`) rounded onto one in range.
const EXACT_F64_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// `103.0` is the integer 103, as JSON Schema says (an `integer` is any number with a zero
/// fraction): serde's integer types refuse it, so a number read as a float with a zero
/// fraction, within ±2^53, becomes that integer. A float field still reads it as `103.0`.
fn integral_floats_as_integers(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            let integral = f.is_finite() && f.fract() == 0.0 && f.abs() <= EXACT_F64_INTEGERS;
            Value::Number(if integral { serde_json::Number::from(f as i64) } else { n })
        }
        Value::Array(items) => Value::Array(items.into_iter().map(integral_floats_as_integers).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, integral_floats_as_integers(v))).collect())
        }
        other => other,
    }
}

/// Strings may hold line breaks and tabs, never other control characters (PostgreSQL
/// refuses NUL outright, and the others are never legitimate in this domain).
fn find_control_chars(value: &serde_json::Value, path: &str, issues: &mut Vec<FieldIssue>) {
    match value {
        serde_json::Value::String(s) if s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) => {
            issues.push(FieldIssue::new(if path.is_empty() { "." } else { path }, "control_characters"));
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                find_control_chars(item, &format!("{path}[{i}]"), issues);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                find_control_chars(v, &child, issues);
            }
        }
        _ => {}
    }
}

/// Turns a serde message into a field issue: serde reports missing and unknown fields
/// at the enclosing object, so their names are appended to the path.
pub fn serde_issue(path: &str, message: &str) -> FieldIssue {
    let path = if path == "." { "" } else { path };
    let join = |name: &str| if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") };
    let quoted = |m: &str| m.split('`').nth(1).map(str::to_owned);
    if message.starts_with("missing field") {
        FieldIssue::new(join(&quoted(message).unwrap_or_default()), "required")
    } else if message.starts_with("unknown field") {
        // The path already ends with the unknown key.
        let name = quoted(message).unwrap_or_default();
        FieldIssue::new(if path.is_empty() { name } else { path.to_owned() }, "unknown_field")
    } else if message.starts_with("unknown variant") {
        let choices = message.split("expected ").nth(1).unwrap_or_default().replace('`', "");
        FieldIssue::new(field_or_root(path), "invalid_choice").with("choices", choices.trim_start_matches("one of "))
    } else if message.contains("input contains invalid characters")
        || message.contains("premature end of input")
        || message.contains("input is out of range")
    {
        FieldIssue::new(field_or_root(path), "invalid_date")
    } else {
        FieldIssue::new(field_or_root(path), "invalid_type")
    }
}

fn field_or_root(path: &str) -> String {
    if path.is_empty() { ".".to_owned() } else { path.to_owned() }
}

/// Runs the `validator` rules and converts their errors into field issues.
pub fn validate<T: Validate>(value: &T) -> Result<(), ApiError> {
    value.validate().map_err(|errors| ApiError::Validation(validation_issues(&errors, "")))
}

pub fn validation_issues(errors: &ValidationErrors, prefix: &str) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let mut issue = FieldIssue::new(&path, e.code.as_ref());
                    for (name, value) in &e.params {
                        if name != "value" {
                            issue = issue.with(name, value.to_string().trim_matches('"'));
                        }
                    }
                    issues.push(issue);
                }
            }
            ValidationErrorsKind::Struct(inner) => issues.extend(validation_issues(inner, &path)),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    issues.extend(validation_issues(inner, &format!("{path}[{i}]")));
                }
            }
        }
    }
    issues.sort_by(|a, b| a.field.cmp(&b.field));
    issues
}

/// Reads, parses and validates a JSON body of at most `limit(config)` bytes; a body of
/// another media type is left unread and its 415 deferred.
async fn json_body<T: DeserializeOwned + Validate>(
    req: HttpRequest,
    mut payload: Payload,
    limit: fn(&crate::config::Config) -> usize,
) -> Result<Deferred<T>, ApiError> {
    if !is_json(&req) {
        return Ok(Deferred::WrongType { expected: JSON });
    }
    let limit = req.app_data::<web::Data<AppState>>().map(|s| limit(&s.config)).unwrap_or(256 * 1024);
    let bytes = read_body(&req, &mut payload, limit).await?;
    let value: T = parse_json(&bytes)?;
    validate(&value)?;
    Ok(Deferred::Body(value))
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        Box::pin(json_body(req.clone(), payload.take(), |c| c.body_limit_bytes).map(|r| r.map(ValidJson)))
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for LargeJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        Box::pin(json_body(req.clone(), payload.take(), |c| c.import_limit_bytes).map(|r| r.map(LargeJson)))
    }
}

impl<T: DeserializeOwned + Validate + Default + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let limit = req.app_data::<web::Data<AppState>>().map(|s| s.config.body_limit_bytes).unwrap_or(256 * 1024);
            let bytes = read_body(&req, &mut payload, limit).await?;
            let text = bytes.trim_ascii();
            if text.is_empty() || text == b"null" {
                return Ok(OptionalJson(Deferred::Body(T::default())));
            }
            if !is_json(&req) {
                return Ok(OptionalJson(Deferred::WrongType { expected: JSON }));
            }
            let value: T = parse_json(&bytes)?;
            validate(&value)?;
            Ok(OptionalJson(Deferred::Body(value)))
        })
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).and_then(|v: T| {
            validate(&v)?;
            Ok(ValidQuery(v))
        }))
    }
}

/// Parses a query string (or a form) into `T`, with field-level errors. A number with a zero
/// fraction (`parent_id=1.0`) is read as the integer it is, as in JSON bodies: when a field
/// does not parse and its value is such a number, the value is rewritten as an integer and
/// the parse is tried again (so a string field keeps `1.0` as it was sent).
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    for (k, v) in &pairs {
        if v.chars().any(char::is_control) || k.chars().any(char::is_control) {
            return Err(ApiError::Validation(vec![FieldIssue::new(k.as_str(), "control_characters")]));
        }
    }
    let mut encoded = query.to_owned();
    loop {
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
        let error = match serde_path_to_error::deserialize(de) {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        let path = error.path().to_string();
        let mut rewritten = false;
        for (_, v) in pairs.iter_mut().filter(|(k, _)| *k == path) {
            if let Some(integer) = integral_float(v) {
                *v = integer;
                rewritten = true;
            }
        }
        if !rewritten {
            return Err(ApiError::Validation(vec![serde_issue(&path, &error.inner().to_string())]));
        }
        encoded = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
    }
}

/// `"1.0"` → `"1"`: digits, a point and zeros (read exactly, never through a float).
fn integral_float(v: &str) -> Option<String> {
    let (whole, zeros) = v.split_once('.')?;
    let digits = whole.strip_prefix('-').unwrap_or(whole);
    let ok = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && zeros.bytes().all(|b| b == b'0');
    ok.then(|| whole.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // fields exist to be parsed
    struct Body {
        #[validate(length(min = 1, max = 5))]
        name: String,
        age: i32,
        #[serde(default)]
        tags: Vec<String>,
    }

    fn codes(e: ApiError) -> Vec<(String, String)> {
        match e {
            ApiError::Validation(issues) => issues.into_iter().map(|i| (i.field, i.code)).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        assert!(matches!(parse_json::<Body>(b"{nope"), Err(ApiError::BadRequest("malformed_json", _))));
        assert_eq!(codes(parse_json::<Body>(br#"{"age":1}"#).unwrap_err()), vec![("name".into(), "required".into())]);
        assert_eq!(
            codes(parse_json::<Body>(br#"{"name":"a","age":"x"}"#).unwrap_err()),
            vec![("age".into(), "invalid_type".into())]
        );
        assert_eq!(
            codes(parse_json::<Body>(br#"{"name":"a","age":1,"evil":true}"#).unwrap_err()),
            vec![("evil".into(), "unknown_field".into())]
        );
        assert_eq!(
            codes(parse_json::<Body>(br#"{"name":"a\u0000","age":1}"#).unwrap_err()),
            vec![("name".into(), "control_characters".into())]
        );
        assert_eq!(
            codes(parse_json::<Body>(br#"{"name":"a","age":1,"tags":["ok","b\u0007"]}"#).unwrap_err()),
            vec![("tags[1]".into(), "control_characters".into())]
        );
    }

    #[test]
    fn integral_floats_are_integers() {
        let b: Body = parse_json(br#"{"name":"a","age":103.0}"#).unwrap();
        assert_eq!(b.age, 103);
        let b: Body = parse_json(br#"{"name":"a","age":-0.0}"#).unwrap();
        assert_eq!(b.age, 0);
        let b: Body = parse_json(br#"{"name":"a","age":1e2}"#).unwrap();
        assert_eq!(b.age, 100);
        #[derive(Debug, Deserialize)]
        struct Id {
            #[allow(dead_code)] // parsed only
            id: i64,
        }
        // An integer literal out of range is not rounded into it.
        assert!(parse_json::<Id>(br#"{"id":-9223372036854775809}"#).is_err());
        assert!(parse_json::<Id>(br#"{"id":9223372036854775808}"#).is_err());
        assert!(parse_json::<Id>(br#"{"id":9007199254740993.0}"#).is_err());
        assert_eq!(
            codes(parse_json::<Body>(br#"{"name":"a","age":1.5}"#).unwrap_err()),
            vec![("age".into(), "invalid_type".into())]
        );
        assert_eq!(
            codes(parse_json::<Body>(br#"{"name":"a","age":1e30}"#).unwrap_err()),
            vec![("age".into(), "invalid_type".into())]
        );
        #[derive(Debug, Deserialize)]
        struct Wide {
            big: u64,
            ratio: f64,
            ids: Vec<i64>,
        }
        let w: Wide = parse_json(br#"{"big":18000000000000000000,"ratio":2.0,"ids":[1.0,2]}"#).unwrap();
        assert_eq!((w.big, w.ratio, w.ids), (18_000_000_000_000_000_000, 2.0, vec![1, 2]));
    }

    #[test]
    fn validator_errors_carry_params() {
        let b: Body = parse_json(br#"{"name":"toolong","age":1}"#).unwrap();
        let ApiError::Validation(issues) = validate(&b).unwrap_err() else { panic!() };
        assert_eq!(issues[0].field, "name");
        assert_eq!(issues[0].code, "length");
        assert!(issues[0].params.contains(&("max".to_owned(), "5".to_owned())));
    }

    #[derive(Debug, Deserialize, Validate)]
    struct Q {
        page: Option<i64>,
        q: Option<String>,
    }

    #[test]
    fn query_errors() {
        let q: Q = parse_query("page=2&q=%E5%BC%A0").unwrap();
        assert_eq!(q.page, Some(2));
        assert_eq!(q.q.as_deref(), Some("张"));
        assert_eq!(codes(parse_query::<Q>("page=abc").unwrap_err()), vec![("page".into(), "invalid_type".into())]);
        assert!(parse_query::<Q>("q=a%00b").is_err());
    }

    #[test]
    fn integral_floats_in_queries_are_integers() {
        let q: Q = parse_query("page=2.0&q=1.0").unwrap();
        assert_eq!((q.page, q.q.as_deref()), (Some(2), Some("1.0")), "a string keeps what was sent");
        let q: Q = parse_query("q=x&page=-0.0").unwrap();
        assert_eq!(q.page, Some(0));
        assert_eq!(codes(parse_query::<Q>("page=2.5").unwrap_err()), vec![("page".into(), "invalid_type".into())]);
        assert_eq!(codes(parse_query::<Q>("page=1e30").unwrap_err()), vec![("page".into(), "invalid_type".into())]);
        assert_eq!(codes(parse_query::<Q>("page=NaN").unwrap_err()), vec![("page".into(), "invalid_type".into())]);
        assert_eq!(codes(parse_query::<Q>("page=1e2").unwrap_err()), vec![("page".into(), "invalid_type".into())]);
        assert_eq!(codes(parse_query::<Q>("page=.0").unwrap_err()), vec![("page".into(), "invalid_type".into())]);
        // Out of range stays out of range.
        let too_small = "page=-9223372036854775809.0";
        assert_eq!(codes(parse_query::<Q>(too_small).unwrap_err()), vec![("page".into(), "invalid_type".into())]);
    }
}
