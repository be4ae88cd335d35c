//! `/api-clients` (system_admin) and `POST /auth/token` (OAuth2 client credentials).

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::audit::Actor;
use crate::auth::clients::store as clients_store;
use crate::auth::dto::{ApiClientView, ApiClientWithSecret, ClientTokenRequest, ClientTokenResponse, CreateApiClient};
use crate::auth::permissions::{ClientScope, Permission, authorize};
use crate::auth::principal::Principal;
use crate::auth::throttle;
use crate::error::{ApiError, FieldIssue, Problem};
use crate::http::context::RequestContext;
use crate::http::extract::{ValidJson, ValidQuery, parse_query, read_body, validate};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

/// API clients of other systems (the integrated system, dashboards), newest first; secrets are never shown.
#[utoipa::path(
    tag = "api-clients",
    params(PageParams),
    responses((status = 200, body = Page<ApiClientView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/api-clients")]
pub async fn list_api_clients(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ApiClientsManage)?;
    let mut conn = state.pool.get().await?;
    let (items, total) = clients_store::list(&mut conn, &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// Registers a client; the answer carries `client_secret`, shown this once.
#[utoipa::path(
    tag = "api-clients",
    request_body = CreateApiClient,
    responses((status = 201, body = ApiClientWithSecret), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/api-clients")]
pub async fn create_api_client(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    ValidJson(body): ValidJson<CreateApiClient>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ApiClientsManage)?;
    let body = body.take()?;
    let mut conn = state.pool.get().await?;
    let (client, client_secret) = clients_store::create(&mut conn, &body, &Actor::new(&principal, &ctx)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/api-clients/{}", client.id)))
        .insert_header(("Cache-Control", "no-store"))
        .json(ApiClientWithSecret { client, client_secret }))
}

/// One API client: its scopes, status and when it was last used.
#[utoipa::path(
    tag = "api-clients",
    params(("id" = i64, Path)),
    responses((status = 200, body = ApiClientView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/api-clients/{id}")]
pub async fn get_api_client(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ApiClientsManage)?;
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(clients_store::get(&mut conn, id.into_inner()).await?))
}

/// Issues a new secret (shown once); the old one stops working at once.
#[utoipa::path(
    tag = "api-clients",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = ApiClientWithSecret), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "client_revoked", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/api-clients/{id}/rotate-secret")]
pub async fn rotate_api_client_secret(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ApiClientsManage)?;
    let mut conn = state.pool.get().await?;
    let actor = Actor::new(&principal, &ctx);
    let id = id.into_inner();
    let rotated = clients_store::rotate(&mut conn, id, &actor).await;
    state.auth_cache.principals.evict_client(id);
    let (client, client_secret) = rotated?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ApiClientWithSecret { client, client_secret }))
}

/// Revokes the client: its secret and every token it holds stop working.
#[utoipa::path(
    tag = "api-clients",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = ApiClientView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "client_revoked", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/api-clients/{id}/revoke")]
pub async fn revoke_api_client(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ApiClientsManage)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let revoked = clients_store::revoke(&mut conn, id, &Actor::new(&principal, &ctx)).await;
    // Committed (or not changed at all): this instance drops the client now, the others when
    // the database's notification reaches them.
    state.auth_cache.principals.evict_client(id);
    Ok(HttpResponse::Ok().json(revoked?))
}

/// The scopes asked for: all the client holds when none are named; an unknown or unheld one is refused.
fn granted_scopes(asked: Option<&str>, held: &[ClientScope]) -> Result<Vec<ClientScope>, ApiError> {
    let Some(asked) = asked.filter(|s| !s.trim().is_empty()) else { return Ok(held.to_vec()) };
    let mut out = Vec::new();
    for name in asked.split_whitespace() {
        match ClientScope::parse(name).filter(|s| held.contains(s)) {
            Some(s) if !out.contains(&s) => out.push(s),
            Some(_) => {}
            None => {
                return Err(ApiError::Validation(vec![FieldIssue::new("scope", "invalid_scope").with("value", name)]));
            }
        }
    }
    Ok(out)
}

/// The client's credentials from `Authorization: Basic` (RFC 6749 §2.3.1: the id and secret
/// form-urlencoded, joined by `:`, in base64), if that header is there.
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, ApiError> {
    use base64::Engine;
    let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) else { return Ok(None) };
    let value = value.to_str().map_err(|_| ApiError::Unauthenticated("invalid_client"))?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(ApiError::Unauthenticated("invalid_client"));
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(ApiError::Unauthenticated("invalid_client"));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(ApiError::Unauthenticated("invalid_client"))?;
    let (id, secret) = decoded.split_once(':').ok_or(ApiError::Unauthenticated("invalid_client"))?;
    let unescape = |s: &str| form_urlencoded::parse(format!("v={s}").as_bytes()).map(|(_, v)| v.into_owned()).next();
    match (unescape(id), unescape(secret)) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Ok(Some((id, secret))),
        _ => Err(ApiError::Unauthenticated("invalid_client")),
    }
}

/// OAuth2 client credentials (RFC 6749 §4.4): a short-lived token carrying the client's scopes.
/// Send the form body `grant_type=client_credentials[&scope=…]` with the credentials either in
/// `Authorization: Basic` (`client_secret_basic`) or in the form as `client_id=…&client_secret=…`
/// (`client_secret_post`) — one of the two, not both.
#[utoipa::path(
    tag = "auth",
    request_body(content = ClientTokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, body = ClientTokenResponse),
        (status = 401, description = "invalid_client", body = Problem),
        (status = 415, body = Problem), (status = 422, description = "unsupported_grant_type / invalid_scope", body = Problem),
        (status = 429, body = Problem),
    )
)]
#[post("/auth/token")]
pub async fn client_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    // Media types are case-insensitive (RFC 9110 §8.3.1): `Application/X-WWW-Form-Urlencoded` is a form too.
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence != "application/x-www-form-urlencoded" {
        return Err(ApiError::UnsupportedMediaType("application/x-www-form-urlencoded"));
    }
    let bytes = read_body(&req, &mut payload.into_inner(), state.config.body_limit_bytes).await?;
    let form: ClientTokenRequest =
        parse_query(std::str::from_utf8(&bytes).map_err(|_| ApiError::BadRequest("malformed_query", "utf-8".into()))?)?;
    validate(&form)?;
    if form.grant_type != "client_credentials" {
        return Err(ApiError::Validation(vec![FieldIssue::new("grant_type", "unsupported_grant_type")]));
    }
    let (client_id, client_secret) = match (basic_credentials(&req)?, &form.client_id, &form.client_secret) {
        (Some(basic), None, None) => basic,
        // RFC 6749 §2.3: a client uses one authentication method per request.
        (Some(_), _, _) => return Err(ApiError::Unauthenticated("invalid_client")),
        (None, Some(id), Some(secret)) => (id.clone(), secret.clone()),
        (None, id, secret) => {
            let missing = [("client_id", id.is_none()), ("client_secret", secret.is_none())];
            let issues = missing.iter().filter(|(_, m)| *m).map(|(f, _)| FieldIssue::new(*f, "required")).collect();
            return Err(ApiError::Validation(issues));
        }
    };
    let mut conn = state.pool.get().await?;
    let key = throttle::user_key(&format!("client:{client_id}"));
    let limits = [(key.clone(), state.config.login_max_failures_per_user)];
    let reserved = throttle::reserve(&mut conn, &limits, state.config.login_window).await?;
    let Some((id, held)) = clients_store::authenticate(&mut conn, &client_id, &client_secret).await? else {
        return Err(ApiError::Unauthenticated("invalid_client"));
    };
    throttle::release(&mut conn, &reserved).await?;
    let scopes = granted_scopes(form.scope.as_deref(), &held)?;
    let scope = scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
    let ttl = state.config.client_token_ttl;
    let (access_token, _) = state.tokens.issue_client(id, &scope, ttl)?;
    tracing::info!(client = id, "client token issued");
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(ClientTokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: ttl.as_secs(),
        scope,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_a_subset_of_those_held() {
        let held = [ClientScope::ReportsRead, ClientScope::RosterWrite];
        assert_eq!(granted_scopes(None, &held).unwrap(), held);
        assert_eq!(granted_scopes(Some("reports:read"), &held).unwrap(), [ClientScope::ReportsRead]);
        assert!(granted_scopes(Some("webhooks:manage"), &held).is_err());
        assert!(granted_scopes(Some("nonsense"), &held).is_err());
    }
}
