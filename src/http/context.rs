//! The outermost middleware: request id, language, the request span and its log line,
//! metrics, and the rendering of every error as problem+json in the request's language.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, web};
use tracing::Instrument;

use crate::error::ApiError;
use crate::http::extract::JSON;
use crate::i18n::Lang;
use crate::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every handler may want to know about the request it serves.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub lang: Lang,
}

impl FromRequest for RequestContext {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(context_of(req)))
    }
}

pub fn context_of(req: &HttpRequest) -> RequestContext {
    req.extensions().get::<RequestContext>().cloned().unwrap_or_else(|| RequestContext {
        request_id: uuid::Uuid::new_v4().to_string(),
        lang: Lang::from_accept_language(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())),
    })
}

/// A client-sent id is kept when it is short and plain; anything else is replaced.
fn accepted_request_id(value: Option<&HeaderValue>) -> Option<String> {
    let v = value?.to_str().ok()?;
    let ok = !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| v.to_owned())
}

pub async fn context_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id =
        accepted_request_id(req.headers().get(&REQUEST_ID)).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let lang = Lang::from_accept_language(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    req.extensions_mut().insert(RequestContext { request_id: request_id.clone(), lang });
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %request_id, method = %method,
        path = %req.path(), user_id = tracing::field::Empty);

    let result = next.call(req).instrument(span.clone()).await;
    let mut res = match result {
        Ok(res) => problem_json(res.map_into_boxed_body(), lang, &request_id),
        Err(err) => {
            // Errors returned by inner middleware arrive here without a request attached.
            let api = as_api_error(&err);
            let response = api.render(lang, Some(request_id.clone()));
            let _entered = span.enter();
            log_error(&api);
            return Err(actix_web::error::InternalError::from_response(err, response).into());
        }
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    let status = res.status().as_u16();
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let elapsed = started.elapsed();
    if let Some(state) = state {
        state.metrics.observe(&method, &route, status, elapsed);
    }
    let _entered = span.enter();
    tracing::info!(status, latency_ms = elapsed.as_secs_f64() * 1000.0, route = %route, "request");
    Ok(res)
}

/// Re-renders an error response as problem+json with this request's language and id.
fn problem_json(res: ServiceResponse<BoxBody>, lang: Lang, request_id: &str) -> ServiceResponse<BoxBody> {
    let Some(err) = res.response().error() else { return res };
    let api = as_api_error(err);
    log_error(&api);
    let (req, _) = res.into_parts();
    ServiceResponse::new(req, api.render(lang, Some(request_id.to_owned())))
}

/// Maps any actix error to our vocabulary (ours pass through unchanged).
fn as_api_error(err: &Error) -> ApiError {
    if let Some(api) = err.as_error::<ApiError>() {
        return clone_api_error(api);
    }
    if let Some(e) = err.as_error::<actix_web::error::JsonPayloadError>() {
        return match e {
            actix_web::error::JsonPayloadError::Overflow { .. }
            | actix_web::error::JsonPayloadError::OverflowKnownLength { .. } => ApiError::PayloadTooLarge,
            actix_web::error::JsonPayloadError::ContentType => ApiError::UnsupportedMediaType(JSON),
            other => ApiError::BadRequest("malformed_json", other.to_string()),
        };
    }
    match err.as_response_error().status_code().as_u16() {
        400 => ApiError::BadRequest("malformed_json", err.to_string()),
        401 => ApiError::Unauthenticated("missing_token"),
        403 => ApiError::Forbidden,
        404 => ApiError::RouteNotFound,
        413 => ApiError::PayloadTooLarge,
        415 => ApiError::UnsupportedMediaType(JSON),
        503 => ApiError::Unavailable(err.to_string()),
        _ => ApiError::Internal(anyhow::anyhow!("{err}")),
    }
}

/// `ApiError` owns an `anyhow::Error` and cannot derive Clone; internals are logged before this.
fn clone_api_error(e: &ApiError) -> ApiError {
    use ApiError::*;
    match e {
        BadRequest(c, d) => BadRequest(c, d.clone()),
        Unauthenticated(c) => Unauthenticated(c),
        Forbidden => Forbidden,
        NotFound => NotFound,
        RouteNotFound => RouteNotFound,
        MethodNotAllowed(a) => MethodNotAllowed(a.clone()),
        Conflict(c) => Conflict(c),
        PreconditionFailed => PreconditionFailed,
        PayloadTooLarge => PayloadTooLarge,
        BodyTimeout => BodyTimeout,
        UnsupportedMediaType(e) => UnsupportedMediaType(e),
        Validation(i) => Validation(i.clone()),
        Unprocessable(c, i) => Unprocessable(c, i.clone()),
        TooManyRequests(s) => TooManyRequests(*s),
        Unavailable(m) => Unavailable(m.clone()),
        Refused(c) => Refused(c),
        Unconfigured(c) => Unconfigured(c),
        Upstream(c, m) => Upstream(c, m.clone()),
        Internal(err) => Internal(anyhow::anyhow!("{err:#}")),
    }
}

/// Internal causes are logged once, with their chain; client errors only by code.
fn log_error(e: &ApiError) {
    match e {
        ApiError::Internal(cause) => tracing::error!(error = %format!("{cause:#}"), "internal error"),
        ApiError::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
        other => tracing::debug!(code = other.code(), "client error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_kept_only_when_plain() {
        let ok = HeaderValue::from_static("abc-123_x.y:z");
        assert_eq!(accepted_request_id(Some(&ok)).as_deref(), Some("abc-123_x.y:z"));
        let bad = HeaderValue::from_static("a b");
        assert_eq!(accepted_request_id(Some(&bad)), None);
        let long = HeaderValue::from_str(&"a".repeat(65)).unwrap();
        assert_eq!(accepted_request_id(Some(&long)), None);
        assert_eq!(accepted_request_id(None), None);
    }
}
