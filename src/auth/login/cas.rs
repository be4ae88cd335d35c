//! `POST /auth/cas/login`: single sign-on through the university's CAS server.
//!
//! The CAS user is mapped to a member by staff number (the CAS user id, or the attribute
//! named by `GONGHUI_CAS_STAFF_NO_ATTRIBUTE`); the member's account — an administrative
//! account already linked to the member keeps its grants — is created on first sign-in.
//! Strangers get no account. Without `GONGHUI_CAS_BASE_URL` the route answers 404
//! 404 `cas_not_configured`: there is nothing a client could retry.

use actix_web::{HttpRequest, HttpResponse, post, web};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::audit::Actor;
use crate::auth::api::client_ip;
use crate::auth::dto::TokenPair;
use crate::auth::{member_accounts, throttle};
use crate::config::CasConfig;
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::extract::ValidJson;
use crate::integrations::cas;
use crate::schema::members;
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CasLoginRequest {
    /// The service ticket CAS appended to the service URL (`?ticket=ST-…`). Single-use,
    /// valid for about 10 seconds.
    #[validate(length(min = 1, max = 256))]
    #[schema(example = "ST-1-aA5Yuvrxzpv8Tau1cYQ7-cas01", min_length = 1, max_length = 256)]
    pub ticket: String,
    /// The exact service URL the ticket was issued for (without the `ticket` parameter);
    /// must be on `GONGHUI_CAS_SERVICE_ALLOWLIST`.
    #[validate(length(min = 1, max = 2048))]
    #[schema(example = "https://union.example.edu.cn/cas/callback", min_length = 1, max_length = 2048)]
    pub service: String,
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Logs a staff member in with a CAS service ticket (CAS 3.0 `serviceValidate`, JSON or XML).
#[utoipa::path(
    tag = "auth",
    request_body = CasLoginRequest,
    responses(
        (status = 200, description = "Tokens of the member's account (created on first sign-in)", body = TokenPair),
        (status = 401, description = "`invalid_cas_ticket`: CAS refused the ticket (unknown, used, expired, or issued for another service)", body = Problem),
        (status = 403, description = "`cas_user_unknown`: no member has the CAS user's staff number; `account_disabled`: the member's account was disabled", body = Problem),
        (status = 404, description = "`cas_not_configured`: CAS is not configured on this server", body = Problem),
        (status = 409, description = "`member_not_active`: the member has left the union", body = Problem),
        (status = 422, description = "Bad input; `service_not_allowed` on `service` when the service URL is not on the allow-list (CAS is not called), `invalid_ticket` on `ticket` when it is not `ST-…`", body = Problem),
        (status = 429, description = "Too many failed CAS logins from this address; see Retry-After", body = Problem),
        (status = 503, description = "`cas_unavailable`: the CAS server failed, timed out or answered something unreadable", body = Problem),
    )
)]
#[post("/auth/cas/login")]
pub async fn cas_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: RequestContext,
    ValidJson(body): ValidJson<CasLoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let Some(cas_config) = state.config.cas.as_ref() else { return Err(ApiError::Unconfigured("cas_not_configured")) };
    let body = body.take()?;
    let limits = [(format!("cas-{}", throttle::ip_key(&client_ip(&req))), state.config.login_max_failures_per_ip)];
    // The attempt counts as a failure unless it succeeds or the fault is not the client's.
    // No connection is held while CAS is called.
    let reserved = {
        let mut conn = state.pool.get().await?;
        throttle::reserve(&mut conn, &limits, state.config.login_window).await?
    };
    let outcome = sign_in(&state, cas_config, &body, &ctx).await;
    if matches!(outcome, Ok(_) | Err(ApiError::Upstream(..) | ApiError::Unavailable(_))) {
        let mut conn = state.pool.get().await?;
        throttle::release(&mut conn, &reserved).await?;
    }
    Ok(HttpResponse::Ok().json(outcome?))
}

async fn sign_in(
    state: &AppState,
    config: &CasConfig,
    body: &CasLoginRequest,
    ctx: &RequestContext,
) -> Result<TokenPair, ApiError> {
    let identity = cas::validate(&state.http, config, body.ticket.trim(), body.service.trim()).await?;
    let Some(staff_no) = identity.staff_no(&config.staff_no_attribute) else {
        tracing::warn!(attribute = %config.staff_no_attribute, "the CAS answer carries no staff number");
        return Err(ApiError::Refused("cas_user_unknown"));
    };
    let mut conn = state.pool.get().await?;
    let Some(member_id) = member_by_staff_no(&mut conn, &staff_no).await? else {
        tracing::info!("CAS user is not a member: no account created");
        return Err(ApiError::Refused("cas_user_unknown"));
    };
    let actor = Actor { request_id: Some(ctx.request_id.clone()), ..Actor::system("cas-login") };
    let user_id = member_accounts::user_for_member(&mut conn, member_id, &actor).await?;
    tracing::info!(user_id, member_id, "cas login");
    crate::auth::api::new_session(state, &mut conn, user_id).await
}

/// The member with this staff number: exact match, else the only one equal ignoring case
/// (CAS servers often lowercase user ids).
async fn member_by_staff_no(conn: &mut AsyncPgConnection, staff_no: &str) -> Result<Option<i64>, ApiError> {
    let exact: Vec<i64> =
        members::table.filter(members::staff_no.eq(staff_no)).select(members::id).limit(1).load(conn).await?;
    if let Some(id) = exact.into_iter().next() {
        return Ok(Some(id));
    }
    let folded: Vec<i64> = members::table
        .filter(lower(members::staff_no).eq(lower(staff_no)))
        .select(members::id)
        .limit(2)
        .load(conn)
        .await?;
    Ok(match folded.as_slice() {
        [only] => Some(*only),
        _ => None,
    })
}
