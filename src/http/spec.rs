//! Conventions the HTTP layer applies to every operation, written into the OpenAPI document
//! once here instead of in each handler's annotation: every authenticated POST honours
//! `Idempotency-Key` (see `http::idempotency`), with the same constraints the middleware
//! enforces.

use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{OpenApi, RefOr, Required};

/// The longest `Idempotency-Key` accepted (printable ASCII, no spaces).
pub const IDEMPOTENCY_KEY_MAX: usize = 255;

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

/// Declares `Idempotency-Key` on every POST that needs a bearer token.
pub fn declare_conventions(spec: &mut OpenApi) {
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
