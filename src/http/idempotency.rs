//! `Idempotency-Key` on POST: the first request with a key runs and its response is
//! stored; a replay with the same body gets the stored response (`Idempotent-Replayed:
//! true`); the same key with another body is 422; a replay while the first still runs is 409.
//! Keys are per principal (the token's subject) and expire after 24 hours.
//! Requests without a valid token pass through untouched (their handler answers 401).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;

use crate::error::ApiError;
use crate::http::extract::read_body;
use crate::schema::idempotency_keys as ik;
use crate::state::AppState;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Response headers worth replaying.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

pub async fn idempotency_middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if req.method() != Method::POST {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let Some(key) = req.headers().get(&IDEMPOTENCY_KEY).cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let subject = match crate::auth::principal::bearer_token(req.request()) {
        // A token the extractor verified before comes from its cache (no second signature check).
        Ok(Some(token)) => match state.auth_cache.tokens.get(token) {
            Some(crate::auth::cache::VerifiedToken::User(claims)) => claims.sub,
            Some(crate::auth::cache::VerifiedToken::Client(_)) => {
                return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
            }
            None => match state.tokens.verify_access(token) {
                Ok(claims) => claims.sub,
                Err(_) => return next.call(req).await.map(ServiceResponse::map_into_boxed_body),
            },
        },
        _ => return next.call(req).await.map(ServiceResponse::map_into_boxed_body),
    };
    // Only after the token: an unauthenticated call is 401 whatever its key looks like.
    let key = match key.to_str() {
        Ok(k)
            if !k.is_empty()
                && k.len() <= crate::http::spec::IDEMPOTENCY_KEY_MAX
                && k.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            k.to_owned()
        }
        _ => return Err(ApiError::BadRequest("malformed_header", "Idempotency-Key".into()).into()),
    };

    // Buffer the body (within the import limit, the largest any route accepts) to hash it,
    // then hand it back to the handler.
    let mut payload = req.take_payload();
    let body = read_body(req.request(), &mut payload, state.config.import_limit_bytes).await?;
    // Secret ballots and evaluation sheets have a handful of possible bodies, so even a hash
    // would give the vote away: their operations carry the `x-idempotency-body: ignored`
    // marker, and their key covers the route only (a replay gets the stored answer, which
    // never carries the choice, whatever its body).
    let hashed: &[u8] = if state.routes.body_never_hashed(req.method().as_str(), req.path()) { b"" } else { &body };
    let hash = request_hash(req.method().as_str(), &req.uri().to_string(), hashed);
    req.set_payload(bytes_payload(body));

    match claim_key(&state, &subject, &key, &hash).await? {
        Claim::Fresh => {}
        Claim::Replay(stored) => return Ok(req.into_response(stored)),
    }

    let res = next.call(req).await?;
    let (http_req, response) = res.into_parts();
    let status = response.status();
    let headers: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .filter_map(|h| Some((h.to_string(), response.headers().get(h)?.to_str().ok()?.to_owned())))
        .collect();
    let (head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
    // An error is rendered later by the context middleware (language, request id): store that
    // rendering, so that a replay is a complete problem+json, the same as the first answer.
    let stored = match head.error().and_then(|e| e.as_error::<ApiError>()) {
        Some(api) => {
            let ctx = crate::http::context::context_of(&http_req);
            web::Bytes::from(serde_json::to_vec(&api.to_problem(ctx.lang, Some(ctx.request_id))).unwrap_or_default())
        }
        None => bytes.clone(),
    };
    store_response(&state, &subject, &key, status, &headers, &stored).await;
    let response = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(http_req, response))
}

enum Claim {
    Fresh,
    Replay(HttpResponse),
}

fn request_hash(method: &str, uri: &str, body: &[u8]) -> Vec<u8> {
    crate::crypto::sha256(&[method.as_bytes(), b"\0", uri.as_bytes(), b"\0", body].concat())
}

fn bytes_payload(body: web::Bytes) -> actix_web::dev::Payload {
    actix_web::dev::Payload::from(body)
}

type StoredRow = (Vec<u8>, Option<i32>, Option<serde_json::Value>, Option<Vec<u8>>);

/// Inserts the key as in progress, or finds the earlier request's outcome.
async fn claim_key(state: &AppState, subject: &str, key: &str, hash: &[u8]) -> Result<Claim, ApiError> {
    let mut conn = state.pool.get().await?;
    let cutoff = chrono::Utc::now() - chrono::Duration::hours(24);
    diesel::delete(ik::table.filter(ik::subject.eq(subject)).filter(ik::key.eq(key)).filter(ik::created_at.lt(cutoff)))
        .execute(&mut conn)
        .await?;
    let inserted = diesel::insert_into(ik::table)
        .values((ik::subject.eq(subject), ik::key.eq(key), ik::request_hash.eq(hash)))
        .on_conflict_do_nothing()
        .execute(&mut conn)
        .await?;
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let row: Option<StoredRow> = ik::table
        .filter(ik::subject.eq(subject))
        .filter(ik::key.eq(key))
        .select((ik::request_hash, ik::status_code, ik::response_headers, ik::response_body))
        .first(&mut conn)
        .await
        .optional()?;
    let Some((stored_hash, status, headers, body)) = row else {
        return Err(ApiError::Conflict("idempotency_in_progress"));
    };
    if stored_hash != hash {
        return Err(ApiError::Unprocessable("idempotency_key_reused", Vec::new()));
    }
    let Some(status) = status else { return Err(ApiError::Conflict("idempotency_in_progress")) };
    let mut builder = HttpResponse::build(StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK));
    if let Some(serde_json::Value::Array(pairs)) = headers {
        for pair in pairs {
            if let (Some(name), Some(value)) =
                (pair.get(0).and_then(|v| v.as_str()), pair.get(1).and_then(|v| v.as_str()))
                && let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::from_str(value))
            {
                builder.insert_header((n, v));
            }
        }
    }
    builder.insert_header((REPLAYED, "true"));
    // Stored bodies are encrypted: they can hold secrets shown once (a generated password).
    let body = body.and_then(|b| state.config.encryption_key.decrypt_bytes(&b)).unwrap_or_default();
    Ok(Claim::Replay(builder.body(body)))
}

/// Stores the outcome; a server error releases the key so the client may retry.
async fn store_response(
    state: &AppState,
    subject: &str,
    key: &str,
    status: StatusCode,
    headers: &[(String, String)],
    body: &[u8],
) {
    let Ok(mut conn) = state.pool.get().await else { return };
    let target = ik::table.filter(ik::subject.eq(subject)).filter(ik::key.eq(key));
    let result = if status.is_server_error() {
        diesel::delete(target).execute(&mut conn).await
    } else {
        let headers = serde_json::json!(headers.iter().map(|(k, v)| [k, v]).collect::<Vec<_>>());
        diesel::update(target)
            .set((
                ik::status_code.eq(i32::from(status.as_u16())),
                ik::response_headers.eq(headers),
                ik::response_body.eq(state.config.encryption_key.encrypt_bytes(body)),
            ))
            .execute(&mut conn)
            .await
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not store idempotent response");
    }
}
