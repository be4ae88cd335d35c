//! `POST /auth/wechat/login`, binding tickets, and the token pair of a member's account.

use actix_web::{HttpResponse, post, web};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};

use crate::audit::Actor;
use crate::auth::dto::TokenPair;
use crate::auth::member_accounts::user_for_member;
use crate::auth::tokens::now_secs;
use crate::config::Config;
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::extract::ValidJson;
use crate::integrations::wechat::client::{self, Session};
use crate::integrations::wechat::{BindingRequired, WechatLoginRequest, WechatLoginResponse, configured, openid_hash};
use crate::schema::wechat_bindings as wb;
use crate::state::AppState;

/// The claims of a binding ticket. Its audience is its own: it is never an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BindingClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    /// Recorded when the ticket is used, so it works once.
    pub jti: String,
    pub openid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
}

pub fn binding_audience(config: &Config) -> String {
    format!("{}:wechat-binding", config.jwt_audience)
}

/// The claims of a new ticket for `session`, valid `ttl_secs` from `now`.
pub fn binding_claims(config: &Config, session: &Session, now: u64, ttl_secs: u64) -> BindingClaims {
    BindingClaims {
        iss: config.jwt_issuer.clone(),
        aud: binding_audience(config),
        sub: "wechat-binding".into(),
        iat: now,
        nbf: now,
        exp: now + ttl_secs,
        jti: uuid::Uuid::new_v4().to_string(),
        openid: session.openid.clone(),
        unionid: session.unionid.clone(),
    }
}

/// The actor of a WeChat sign-in before an account is known: a hash of the openid.
pub fn wechat_actor(config: &Config, openid: &str, ctx: &RequestContext) -> Actor {
    Actor {
        user_id: None,
        client_id: None,
        label: format!("wechat:{}", openid_hash(&config.encryption_key, openid)),
        request_id: Some(ctx.request_id.clone()),
    }
}

/// Access + refresh token for a member's account (created on first sign-in).
pub async fn member_tokens(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    member_id: i64,
    actor: &Actor,
) -> Result<TokenPair, ApiError> {
    let user_id = user_for_member(conn, member_id, actor).await?;
    crate::auth::api::new_session(state, conn, user_id).await
}

/// Mini-program sign-in with a `wx.login()` code.
///
/// A bound openid gets a token pair for the member's account. An unbound one gets
/// `{binding_required: true, binding_ticket, expires_in}`: call `/auth/wechat/bind` with it.
/// WeChat's error codes become problems: 40029 → 401 `wechat_code_invalid`, 40163 → 409
/// `wechat_code_used`, 45011 → 429 `rate_limited` (Retry-After), −1 → 503 `wechat_busy`,
/// 40226 → 403 `wechat_user_blocked`, anything else or no answer → 503 `wechat_unavailable`.
/// Without WeChat configuration: 404 `wechat_not_configured`.
#[utoipa::path(
    tag = "wechat",
    request_body = WechatLoginRequest,
    responses(
        (status = 200, description = "Tokens (bound) or a binding ticket (not bound yet)", body = WechatLoginResponse),
        (status = 401, description = "`wechat_code_invalid`", body = Problem),
        (status = 403, description = "`wechat_user_blocked`, or the member's account is disabled (`account_disabled`)", body = Problem),
        (status = 409, description = "`wechat_code_used`; `member_not_active` when the bound member has left", body = Problem),
        (status = 422, body = Problem),
        (status = 429, description = "WeChat rate limit; see Retry-After", body = Problem),
        (status = 404, description = "`wechat_not_configured`: WeChat is not configured here", body = Problem),
        (status = 503, description = "`wechat_busy` or `wechat_unavailable`", body = Problem),
    )
)]
#[post("/auth/wechat/login")]
pub async fn wechat_login(
    state: web::Data<AppState>,
    ctx: RequestContext,
    ValidJson(body): ValidJson<WechatLoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let wx = configured(&state.config)?;
    let body = body.take()?;
    let session = client::jscode2session(&state.http, wx, body.code.trim()).await.map_err(|e| {
        tracing::warn!(errcode = e.errcode(), error = %e, "wechat jscode2session failed");
        client::api_error(&e)
    })?;
    let mut conn = state.pool.get().await?;
    let bound: Option<(i64, Option<String>)> = wb::table
        .filter(wb::openid.eq(&session.openid))
        .select((wb::member_id, wb::unionid))
        .first(&mut conn)
        .await
        .optional()?;
    let Some((member_id, unionid)) = bound else {
        let ttl = wx.binding_ttl.as_secs();
        let claims = binding_claims(&state.config, &session, now_secs(), ttl);
        let ticket = state.tokens.sign(&claims)?;
        tracing::info!("wechat login: binding required");
        return Ok(HttpResponse::Ok().json(WechatLoginResponse::BindingRequired(BindingRequired {
            binding_required: true,
            binding_ticket: ticket,
            expires_in: ttl,
        })));
    };
    // The unionid appears once the mini-program joins an open-platform account.
    if session.unionid.is_some() && session.unionid != unionid {
        diesel::update(wb::table.filter(wb::openid.eq(&session.openid)))
            .set(wb::unionid.eq(&session.unionid))
            .execute(&mut conn)
            .await?;
    }
    let actor = wechat_actor(&state.config, &session.openid, &ctx);
    let pair = member_tokens(&state, &mut conn, member_id, &actor).await?;
    tracing::info!(member_id, "wechat login");
    Ok(HttpResponse::Ok().json(WechatLoginResponse::Tokens(pair)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn tickets_have_their_own_audience_and_lifetime() {
        let mut m = HashMap::new();
        m.insert("GONGHUI_DATABASE_URL".to_owned(), "postgres://x@127.0.0.1/x".to_owned());
        m.insert("GONGHUI_JWT_PRIVATE_KEY".to_owned(), crate::crypto::generate_ed25519_pem());
        m.insert("GONGHUI_ENCRYPTION_KEY".to_owned(), crate::crypto::SecretKey::generate_base64());
        let config = Config::from_map(&m).unwrap();
        let session = Session { openid: "o-1".into(), unionid: None };
        let a = binding_claims(&config, &session, 1000, 600);
        let b = binding_claims(&config, &session, 1000, 600);
        assert_eq!(a.aud, "gonghui-api:wechat-binding");
        assert_eq!((a.exp, a.nbf), (1600, 1000));
        assert_ne!(a.jti, b.jti, "every ticket has its own id");
        let tokens = crate::auth::tokens::TokenService::from_config(&config).unwrap();
        let current = binding_claims(&config, &session, now_secs(), 600);
        let signed = tokens.sign(&current).unwrap();
        assert_eq!(tokens.verify::<BindingClaims>(&signed, &binding_audience(&config)).unwrap(), current);
        assert!(tokens.verify_access(&signed).is_err(), "a ticket is not an access token");
    }
}
