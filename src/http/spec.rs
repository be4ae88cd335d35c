//! Conventions the HTTP layer applies to every operation, written into the OpenAPI document
//! once here instead of in each handler's annotation:
//! - every authenticated POST honours `Idempotency-Key` (see `http::idempotency`), with the
//!   same constraints the middleware enforces; `If-Match`, where a handler honours it, is
//!   described once;
//! - errors are `application/problem+json`, and every operation lists the statuses its
//!   extractors and middleware can answer (a body: 400, 413, 415, 422; query parameters:
//!   422; `Idempotency-Key`: 400, 409, 422; `If-Match`: 412);
//! - strings say which characters they refuse ([`text`]), and request types state the rules
//!   between their fields that the validator checks ([`rules`]).

pub mod rules;
pub mod text;

use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required};

/// The longest `Idempotency-Key` accepted (printable ASCII, no spaces).
pub const IDEMPOTENCY_KEY_MAX: usize = 255;

/// The media type of every error answer (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

fn idempotency_key() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes a retry safe: a repeat with the same key and body returns the stored answer; \
             the same key with another body is 422 `idempotency_key_reused`. 1–255 printable ASCII \
             characters without spaces.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(IDEMPOTENCY_KEY_MAX))
                .pattern(Some("^[\\x21-\\x7E]+$")),
        ))
        .build()
}

fn if_match() -> Parameter {
    ParameterBuilder::new()
        .name("If-Match")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "The `ETag` of the version the change is based on (`\"v3\"`, a list, or `*`): a version \
             that is no longer current is 412 `stale_version`. Without it the change applies to the \
             current version.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

/// Applies every convention to the document generated from the handlers.
pub fn declare_conventions(spec: &mut OpenApi) {
    declare_idempotency_keys(spec);
    describe_if_match(spec);
    declare_error_answers(spec);
    text::forbid_refused_characters(spec);
}

/// The operations of a path item, with their methods.
pub fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, op)| Some((method, op?)))
}

/// Declares `Idempotency-Key` on every POST that needs a bearer token.
fn declare_idempotency_keys(spec: &mut OpenApi) {
    for item in spec.paths.paths.values_mut() {
        let Some(op) = item.post.as_mut() else { continue };
        let authenticated = op.security.as_ref().is_some_and(|s| !s.is_empty());
        if !authenticated {
            continue;
        }
        let params = op.parameters.get_or_insert_with(Vec::new);
        params.retain(|p| !matches!(p, RefOr::T(p) if p.name == "Idempotency-Key"));
        params.push(RefOr::T(idempotency_key()));
    }
}

/// The `If-Match` a handler declares (`("If-Match" = Option<String>, Header)`, next to its
/// `IfMatch` extractor; a test checks the two go together) is described once here.
fn describe_if_match(spec: &mut OpenApi) {
    for item in spec.paths.paths.values_mut() {
        for (_, op) in operations_mut(item) {
            for param in op.parameters.iter_mut().flatten() {
                if matches!(param, RefOr::T(p) if p.name.eq_ignore_ascii_case("If-Match")) {
                    *param = RefOr::T(if_match());
                }
            }
        }
    }
}

fn is_problem(content: &RefOr<utoipa::openapi::Content>) -> bool {
    matches!(content, RefOr::T(c) if matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location == "#/components/schemas/Problem"))
}

fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
    RefOr::T(ResponseBuilder::new().description(description).content(PROBLEM_JSON, content).build())
}

/// What an operation's extractors and middleware can answer besides its own errors:
/// (status, reason), the reasons of one status joined in its description.
fn conventional_errors(op: &Operation) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    let params: Vec<&Parameter> =
        op.parameters.iter().flatten().filter_map(|p| if let RefOr::T(p) = p { Some(p) } else { None }).collect();
    if let Some(RefOr::T(RequestBody { content, .. })) = &op.request_body {
        if content.contains_key("application/json") {
            out.push(("400", "`malformed_json`: the body is not JSON"));
        } else if content.contains_key("application/x-www-form-urlencoded") {
            out.push(("400", "`malformed_query`: the form is not UTF-8"));
        }
        out.push(("413", "`payload_too_large`: the body is over the size limit"));
        out.push((
            "415",
            "`unsupported_media_type`: the body is not of a media type listed here (`expected` names them); \
             answered only after 401, 403 and 404",
        ));
        out.push(("422", "`validation_failed`: the body breaks the schema; `errors` names every field"));
    }
    if params.iter().any(|p| p.parameter_in == ParameterIn::Query) {
        out.push(("422", "`validation_failed`: a query parameter breaks its schema; `errors` names it"));
    }
    if params.iter().any(|p| p.name == "Idempotency-Key") {
        out.push(("400", "`malformed_header`: `Idempotency-Key` is not 1–255 printable ASCII characters"));
        out.push(("409", "`idempotency_in_progress`: the first request with this `Idempotency-Key` still runs"));
        out.push(("422", "`idempotency_key_reused`: this `Idempotency-Key` came with another request"));
    }
    if params.iter().any(|p| p.name.eq_ignore_ascii_case("If-Match")) {
        out.push(("412", "`stale_version`: `If-Match` names a version that is no longer current"));
    }
    out
}

/// Error bodies as `application/problem+json`, and the conventional statuses listed where
/// the operation does not list them itself.
fn declare_error_answers(spec: &mut OpenApi) {
    for item in spec.paths.paths.values_mut() {
        for (_, op) in operations_mut(item) {
            for response in op.responses.responses.values_mut() {
                let RefOr::T(response) = response else { continue };
                if response.content.get("application/json").is_some_and(is_problem)
                    && let Some(content) = response.content.shift_remove("application/json")
                {
                    response.content.insert(PROBLEM_JSON.to_owned(), content);
                }
            }
            let mut missing: Vec<(&str, Vec<&str>)> = Vec::new();
            for (status, reason) in conventional_errors(op) {
                if op.responses.responses.contains_key(status) {
                    continue;
                }
                match missing.iter_mut().find(|(s, _)| *s == status) {
                    Some((_, reasons)) => reasons.push(reason),
                    None => missing.push((status, vec![reason])),
                }
            }
            for (status, reasons) in missing {
                op.responses.responses.insert(status.to_owned(), problem_response(&reasons.join("; ")));
            }
        }
    }
}
