//! Login, token refresh, logout, `/me` and the JWKS document.

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::auth::dto::{GrantView, LoginRequest, Me, RefreshRequest, TokenPair};
use crate::auth::principal::Principal;
use crate::auth::tokens::Jwks;
use crate::auth::users::store as users_store;
use crate::auth::{password, sessions, throttle};
use crate::error::{ApiError, Problem};
use crate::http::extract::ValidJson;
use crate::kernel::ids::UserId;
use crate::state::AppState;

async fn token_pair(state: &AppState, user_id: i64, refresh_token: String) -> Result<TokenPair, ApiError> {
    let (access_token, _) = state.tokens.issue_access(user_id)?;
    Ok(TokenPair {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.tokens.access_ttl().as_secs(),
        refresh_token,
    })
}

/// Starts a session for an account: a new refresh-token family and an access token.
/// Every login (password, CAS, WeChat) ends here.
pub async fn new_session(
    state: &AppState,
    conn: &mut diesel_async::AsyncPgConnection,
    user_id: i64,
) -> Result<TokenPair, ApiError> {
    let refresh_token = sessions::issue(conn, user_id, None, state.config.refresh_token_ttl).await?;
    token_pair(state, user_id, refresh_token).await
}

/// The client address used for throttling: the TCP peer. Forwarded headers are not
/// trusted (any client can set them); behind a proxy, throttling by username still holds.
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

/// Password login for administrative users.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, description = "Wrong username or password (the same answer for unknown and disabled users)", body = Problem),
        (status = 422, body = Problem),
        (status = 429, description = "Too many failures for this username or address; see Retry-After", body = Problem),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    ValidJson(body): ValidJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.take()?;
    let username = body.username.trim().to_lowercase();
    let user_key = throttle::user_key(&username);
    let ip_key = throttle::ip_key(&client_ip(&req));
    // Taken before the attempt is counted, so that a refusal for capacity is no failure.
    let permit = password::slot(&state).await?;
    let mut conn = state.pool.get().await?;
    let limits = [
        (user_key.clone(), state.config.login_max_failures_per_user),
        (ip_key, state.config.login_max_failures_per_ip),
    ];
    // The attempt counts as a failure from here on, unless it succeeds.
    let reserved = throttle::reserve(&mut conn, &limits, state.config.login_window).await?;
    let found = users_store::credentials(&mut conn, &username).await?;
    let stored = found.as_ref().and_then(|(_, h, _)| h.clone()).unwrap_or_else(|| password::dummy_hash().to_owned());
    let candidate = body.password.clone();
    let matches = web::block(move || {
        let _permit = permit;
        password::verify_password(&candidate, &stored)
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("password check: {e}")))?;
    let user_id = match found {
        Some((id, Some(_), status)) if matches && status == "active" => id,
        _ => return Err(ApiError::Unauthenticated("invalid_credentials")),
    };
    throttle::release(&mut conn, &reserved).await?;
    throttle::clear(&mut conn, &user_key).await?;
    tracing::info!(user_id, "login");
    Ok(HttpResponse::Ok().json(new_session(&state, &mut conn, user_id).await?))
}

/// Exchanges a refresh token for a new pair. Each refresh token works once; presenting a
/// used one revokes every token descended from the same login.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, body = Problem),
        (status = 422, body = Problem),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    ValidJson(body): ValidJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.take()?;
    let mut conn = state.pool.get().await?;
    let (user_id, next) = sessions::rotate(&mut conn, &body.refresh_token, state.config.refresh_token_ttl).await?;
    // A disabled or deleted user cannot refresh even with a valid token.
    if crate::auth::extract::load_principal(&state, user_id).await?.is_none() {
        sessions::revoke(&mut conn, &next).await?;
        return Err(ApiError::Unauthenticated("invalid_refresh_token"));
    }
    Ok(HttpResponse::Ok().json(token_pair(&state, user_id, next).await?))
}

/// Ends the session: revokes the refresh token and every token rotated from the same login.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Logged out"), (status = 422, body = Problem))
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    ValidJson(body): ValidJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.take()?;
    let mut conn = state.pool.get().await?;
    sessions::revoke(&mut conn, &body.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller: account, roles, and own member profile when the account is bound to a member.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = Problem)),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, principal: Principal) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let roles: Vec<GrantView> = match principal.user_id {
        Some(id) => users_store::get(&mut conn, id.get()).await?.grants,
        None => Vec::new(),
    };
    let me = crate::auth::permissions::Caller::of(&principal);
    let member = crate::membership::member_profile(&mut conn, &me).await?;
    let departments = crate::democracy::departments_handled_by(&mut conn, &me).await?;
    Ok(HttpResponse::Ok().json(Me {
        user_id: principal.user_id.map(UserId::get),
        client_id: principal.client.map(|c| c.client_id),
        username: principal.username,
        display_name: principal.display_name,
        roles,
        scopes: principal.scopes,
        member,
        departments,
    }))
}

/// Public keys that verify gonghui's access tokens (RFC 7517), for other systems.
#[utoipa::path(tag = "service", responses((status = 200, body = Jwks)))]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().insert_header(("Cache-Control", "public, max-age=300")).json(state.tokens.jwks())
}
