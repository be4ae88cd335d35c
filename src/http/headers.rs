//! Response headers every answer carries (OWASP secure headers):
//! - `X-Content-Type-Options: nosniff` everywhere: a browser never guesses a JSON or CSV
//!   answer to be HTML;
//! - `Cache-Control: no-store` on every `/api/` answer that did not choose its own caching:
//!   API answers carry tokens, initial passwords or personal data, and a shared or browser
//!   cache must not keep them (the JWKS and the public spec say otherwise themselves);
//! - on the documentation UI (`/docs/`), a content security policy that allows only its own
//!   scripts and styles, and no framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`).

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

/// The documentation UI loads its bundle, its initializer and the spec from this service;
/// swagger-ui sets inline styles and shows inline SVG/data images.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                        img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
                        base-uri 'none'; form-action 'none'";

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let path = req.path().to_owned();
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if path.starts_with("/api/") && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if path.starts_with("/docs") {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCS_CSP));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    Ok(res)
}
