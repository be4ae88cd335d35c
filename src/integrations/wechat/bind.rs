//! `POST /auth/wechat/bind` (the proofs, the single-use ticket, throttling) and the
//! administrators' view and removal of a member's binding.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::dto::TokenPair;
use crate::auth::permissions::{Permission, authorize};
use crate::auth::principal::Principal;
use crate::auth::{sessions, throttle};
use crate::error::{ApiError, FieldIssue, Problem};
use crate::http::context::RequestContext;
use crate::http::extract::ValidJson;
use crate::integrations::cas::{self, CasError};
use crate::integrations::wechat::login::{BindingClaims, binding_audience, member_tokens, wechat_actor};
use crate::integrations::wechat::token::{self, Wechat};
use crate::integrations::wechat::{WechatBindRequest, WechatBindingView, client, configured, openid_hash};
use crate::schema::{members, users, wechat_binding_tickets as wbt, wechat_bindings as wb};
use crate::state::AppState;

/// The one proof of identity a bind request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    Cas { ticket: String, service: String },
    Phone { code: String },
    Identity { staff_no: String, name: String, last6: String },
}

impl Proof {
    /// The `method` recorded on the binding.
    pub fn method(&self) -> &'static str {
        match self {
            Proof::Cas { .. } => "cas",
            Proof::Phone { .. } => "phone",
            Proof::Identity { .. } => "identity",
        }
    }
}

/// Exactly one proof, complete: 422 otherwise (the identity proof needs all three fields).
pub fn proof_of(body: &WechatBindRequest) -> Result<Proof, ApiError> {
    let identity_fields = [&body.staff_no, &body.name, &body.id_card_last6];
    let identity_given = identity_fields.iter().any(|f| f.is_some());
    let given = usize::from(body.cas.is_some()) + usize::from(body.phone_code.is_some()) + usize::from(identity_given);
    if given != 1 {
        return Err(ApiError::Validation(vec![FieldIssue::new("binding_ticket", "exactly_one_proof")]));
    }
    if let Some(cas) = &body.cas {
        return Ok(Proof::Cas { ticket: cas.ticket.trim().to_owned(), service: cas.service.trim().to_owned() });
    }
    if let Some(code) = &body.phone_code {
        return Ok(Proof::Phone { code: code.trim().to_owned() });
    }
    let missing: Vec<FieldIssue> = ["staff_no", "name", "id_card_last6"]
        .iter()
        .zip(identity_fields)
        .filter(|(_, v)| v.as_deref().is_none_or(|s| s.trim().is_empty()))
        .map(|(f, _)| FieldIssue::new(*f, "required"))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::Validation(missing));
    }
    let text = |v: &Option<String>| v.as_deref().unwrap_or_default().trim().to_owned();
    Ok(Proof::Identity {
        staff_no: text(&body.staff_no),
        name: text(&body.name),
        last6: text(&body.id_card_last6).to_uppercase(),
    })
}

/// A proof that does not lead to exactly one active member. One answer for every such case,
/// so the route tells nothing about which part was wrong.
fn proof_failed() -> ApiError {
    ApiError::Unauthenticated("binding_proof_failed")
}

/// Failures that count against the openid's throttle: the caller's proof was refused.
fn counts_as_failure(e: &ApiError) -> bool {
    e.status() == actix_web::http::StatusCode::UNAUTHORIZED
}

async fn active_member_by_staff_no(conn: &mut AsyncPgConnection, staff_no: &str) -> Result<Option<i64>, ApiError> {
    Ok(members::table
        .filter(members::staff_no.eq(staff_no))
        .filter(members::status.eq("active"))
        .select(members::id)
        .first(conn)
        .await
        .optional()?)
}

/// The member the proof designates, or an error (401 `binding_proof_failed` when it fails).
async fn prove(state: &AppState, conn: &mut AsyncPgConnection, proof: &Proof) -> Result<i64, ApiError> {
    match proof {
        Proof::Cas { ticket, service } => {
            let cas_config = state.config.cas.as_ref().ok_or_else(|| ApiError::Unconfigured("cas_not_configured"))?;
            let identity = cas::validate(&state.http, cas_config, ticket, service).await.map_err(|e| match e {
                CasError::ServiceNotAllowed => ApiError::invalid("cas.service", "service_not_allowed"),
                CasError::InvalidTicket => ApiError::invalid("cas.ticket", "invalid_ticket"),
                other => ApiError::from(other),
            })?;
            let staff_no = identity.staff_no(&cas_config.staff_no_attribute).ok_or_else(proof_failed)?;
            active_member_by_staff_no(conn, &staff_no).await?.ok_or_else(proof_failed)
        }
        Proof::Phone { code } => {
            let wc = Wechat::new(&state.pool, &state.http, &state.config)
                .ok_or(ApiError::Unconfigured("wechat_not_configured"))?;
            let answer =
                token::post(wc, "/wxa/business/getuserphonenumber", &json!({ "code": code })).await.map_err(|e| {
                    tracing::warn!(error = %e, "wechat getuserphonenumber failed");
                    e.into_api()
                })?;
            let phone = client::phone_of(&answer, &wc.wx.appid).map_err(|e| {
                tracing::warn!(error = %e, "wechat phone number refused");
                proof_failed()
            })?;
            let found: Vec<i64> = members::table
                .filter(members::phone.eq(&phone))
                .filter(members::status.eq("active"))
                .select(members::id)
                .limit(2)
                .load(conn)
                .await?;
            match found.as_slice() {
                [one] => Ok(*one),
                others => {
                    tracing::info!(matches = others.len(), "wechat phone number matches no single member");
                    Err(proof_failed())
                }
            }
        }
        Proof::Identity { staff_no, name, last6 } => {
            let row: Option<(i64, String, Option<Vec<u8>>)> = members::table
                .filter(members::staff_no.eq(staff_no))
                .filter(members::status.eq("active"))
                .select((members::id, members::name, members::id_card_last6_hash))
                .first(conn)
                .await
                .optional()?;
            let expected = state.config.encryption_key.lookup_hash("id_card_last6", last6);
            match row {
                Some((id, stored_name, Some(hash))) if stored_name.trim() == name && hash == expected => Ok(id),
                _ => Err(proof_failed()),
            }
        }
    }
}

/// The binding's audit snapshot: no openid, only its keyed hash.
fn snapshot(state: &AppState, openid: &str, member_id: i64, method: &str, unionid: bool) -> serde_json::Value {
    json!({
        "member_id": member_id,
        "method": method,
        "openid_hash": openid_hash(&state.config.encryption_key, openid),
        "has_unionid": unionid,
    })
}

/// Records the ticket as used, binds, and writes the audit row, in one transaction.
async fn commit_binding(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    claims: &BindingClaims,
    member_id: i64,
    method: &str,
    actor: &Actor,
) -> Result<(), ApiError> {
    let jti = uuid::Uuid::parse_str(&claims.jti).map_err(|_| ApiError::Unauthenticated("binding_ticket_invalid"))?;
    let expires = DateTime::<Utc>::from_timestamp(claims.exp as i64, 0).unwrap_or_else(Utc::now);
    conn.transaction::<_, ApiError, _>(async |conn| {
        // Forget tickets that can no longer be presented anyway.
        diesel::delete(wbt::table.filter(wbt::expires_at.lt(Utc::now() - chrono::Duration::hours(1))))
            .execute(conn)
            .await?;
        diesel::insert_into(wbt::table)
            .values((wbt::jti.eq(jti), wbt::expires_at.eq(expires)))
            .execute(conn)
            .await
            .map_err(|e| match ApiError::from(e) {
                ApiError::Conflict(_) => ApiError::Conflict("binding_ticket_used"),
                other => other,
            })?;
        let id: i64 = diesel::insert_into(wb::table)
            .values((
                wb::openid.eq(&claims.openid),
                wb::unionid.eq(&claims.unionid),
                wb::member_id.eq(member_id),
                wb::method.eq(method),
            ))
            .returning(wb::id)
            .get_result(conn)
            .await?;
        let after = snapshot(state, &claims.openid, member_id, method, claims.unionid.is_some());
        audit::record(conn, actor, "wechat.bind", "wechat_binding", id, audit::NONE, Some(&after)).await?;
        Ok(())
    })
    .await
}

/// Binds the openid of a binding ticket to a member, proven by exactly one of: a CAS service
/// ticket (`cas`), a phone-number code (`phone_code`, matched to exactly one active member's
/// phone), or `staff_no` + `name` + `id_card_last6` (only when `GONGHUI_WECHAT_BIND_BY_IDENTITY`
/// is on; otherwise 403 `bind_by_identity_disabled`). Answers a token pair, like a login.
///
/// A failed proof is 401 `binding_proof_failed` (one answer for every mismatch) and counts
/// against the openid: after `GONGHUI_WECHAT_MAX_BIND_FAILURES` failures in the login window,
/// 429 with Retry-After. Each ticket binds once (409 `binding_ticket_used`); an openid binds one
/// member (409 `wechat_already_bound`) and a member one openid (409 `member_already_bound`).
#[utoipa::path(
    tag = "wechat",
    request_body = WechatBindRequest,
    responses(
        (status = 200, description = "Bound; the member's tokens", body = TokenPair),
        (status = 401, description = "`binding_ticket_invalid` (forged, expired), `binding_proof_failed`, `wechat_code_invalid` (phone code), `invalid_cas_ticket`", body = Problem),
        (status = 403, description = "`bind_by_identity_disabled`, `wechat_user_blocked`, `account_disabled`", body = Problem),
        (status = 409, description = "`binding_ticket_used`, `wechat_already_bound`, `member_already_bound`", body = Problem),
        (status = 422, description = "Not exactly one complete proof, or a CAS service off the allow-list", body = Problem),
        (status = 429, description = "Too many failed proofs for this WeChat user (or WeChat's rate limit); see Retry-After", body = Problem),
        (status = 404, description = "`wechat_not_configured`, `cas_not_configured`: the integration is not configured here", body = Problem),
        (status = 503, description = "`wechat_busy`, `wechat_unavailable`, `cas_unavailable`", body = Problem),
    )
)]
#[post("/auth/wechat/bind")]
pub async fn wechat_bind(
    state: web::Data<AppState>,
    ctx: RequestContext,
    ValidJson(body): ValidJson<WechatBindRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.take()?;
    let proof = proof_of(&body)?;
    let claims: BindingClaims = state
        .tokens
        .verify(&body.binding_ticket, &binding_audience(&state.config))
        .map_err(|_| ApiError::Unauthenticated("binding_ticket_invalid"))?;
    let wx = configured(&state.config)?;
    if matches!(proof, Proof::Identity { .. }) && !wx.bind_by_identity {
        return Err(ApiError::Refused("bind_by_identity_disabled"));
    }
    let mut conn = state.pool.get().await?;
    let jti = uuid::Uuid::parse_str(&claims.jti).map_err(|_| ApiError::Unauthenticated("binding_ticket_invalid"))?;
    let used: Option<uuid::Uuid> =
        wbt::table.filter(wbt::jti.eq(jti)).select(wbt::jti).first(&mut conn).await.optional()?;
    if used.is_some() {
        return Err(ApiError::Conflict("binding_ticket_used"));
    }
    let key = format!("wechat:{}", openid_hash(&state.config.encryption_key, &claims.openid));
    let reserved =
        throttle::reserve(&mut conn, &[(key.clone(), wx.max_bind_failures)], state.config.login_window).await?;
    let actor = wechat_actor(&state.config, &claims.openid, &ctx);
    let outcome = async {
        let member_id = prove(&state, &mut conn, &proof).await?;
        commit_binding(&state, &mut conn, &claims, member_id, proof.method(), &actor).await?;
        Ok::<_, ApiError>(member_id)
    }
    .await;
    let member_id = match outcome {
        Ok(id) => id,
        Err(e) => {
            if !counts_as_failure(&e) {
                throttle::release(&mut conn, &reserved).await?;
            }
            return Err(e);
        }
    };
    throttle::release(&mut conn, &reserved).await?;
    throttle::clear(&mut conn, &key).await?;
    tracing::info!(member_id, method = proof.method(), "wechat openid bound");
    let pair = member_tokens(&state, &mut conn, member_id, &actor).await?;
    Ok(HttpResponse::Ok().json(pair))
}

async fn member_exists(conn: &mut AsyncPgConnection, member_id: i64) -> Result<(), ApiError> {
    let found: Option<i64> =
        members::table.filter(members::id.eq(member_id)).select(members::id).first(conn).await.optional()?;
    found.map(|_| ()).ok_or(ApiError::NotFound)
}

type BindingRow = (i64, String, DateTime<Utc>, Option<String>, String);

async fn binding_of(conn: &mut AsyncPgConnection, member_id: i64) -> Result<Option<BindingRow>, ApiError> {
    Ok(wb::table
        .filter(wb::member_id.eq(member_id))
        .select((wb::id, wb::method, wb::bound_at, wb::unionid, wb::openid))
        .first(conn)
        .await
        .optional()?)
}

/// Whether a member has a WeChat binding, how it was proven and when (never the openid).
#[utoipa::path(
    tag = "wechat",
    params(("id" = i64, Path, description = "Member id")),
    responses(
        (status = 200, body = WechatBindingView),
        (status = 401, body = Problem),
        (status = 403, body = Problem),
        (status = 404, description = "No such member", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/members/{id}/wechat-binding")]
pub async fn get_wechat_binding(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::WechatBindingsManage)?;
    let member_id = path.into_inner();
    let mut conn = state.pool.get().await?;
    member_exists(&mut conn, member_id).await?;
    let view = match binding_of(&mut conn, member_id).await? {
        Some((_, method, bound_at, unionid, _)) => WechatBindingView {
            member_id,
            bound: true,
            method: Some(method),
            bound_at: Some(bound_at),
            has_unionid: unionid.is_some(),
        },
        None => WechatBindingView { member_id, bound: false, method: None, bound_at: None, has_unionid: false },
    };
    Ok(HttpResponse::Ok().json(view))
}

/// Unbinds a member's WeChat account (lost phone, wrong person). The member's refresh tokens
/// are revoked; their next mini-program login needs a new binding.
#[utoipa::path(
    tag = "wechat",
    params(("id" = i64, Path, description = "Member id")),
    responses(
        (status = 204, description = "Unbound"),
        (status = 401, body = Problem),
        (status = 403, body = Problem),
        (status = 404, description = "No such member, or the member has no binding", body = Problem),
    ),
    security(("bearer" = []))
)]
#[delete("/members/{id}/wechat-binding")]
pub async fn delete_wechat_binding(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::WechatBindingsManage)?;
    let member_id = path.into_inner();
    let actor = Actor::new(&principal, &ctx);
    let mut conn = state.pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let (id, method, _, unionid, openid) = wb::table
            .filter(wb::member_id.eq(member_id))
            .select((wb::id, wb::method, wb::bound_at, wb::unionid, wb::openid))
            .for_update()
            .first::<BindingRow>(conn)
            .await
            .optional()?
            .ok_or(ApiError::NotFound)?;
        diesel::delete(wb::table.filter(wb::id.eq(id))).execute(conn).await?;
        let before = snapshot(&state, &openid, member_id, &method, unionid.is_some());
        audit::record(conn, &actor, "wechat.unbind", "wechat_binding", id, Some(&before), audit::NONE).await?;
        let accounts: Vec<i64> =
            users::table.filter(users::member_id.eq(member_id)).select(users::id).load(conn).await?;
        for user_id in accounts {
            sessions::revoke_all_for_user(conn, user_id).await?;
        }
        Ok(())
    })
    .await?;
    tracing::info!(member_id, "wechat binding removed");
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrations::wechat::CasProof;

    fn request() -> WechatBindRequest {
        WechatBindRequest {
            binding_ticket: "t".into(),
            cas: None,
            phone_code: None,
            staff_no: None,
            name: None,
            id_card_last6: None,
        }
    }

    fn code(e: ApiError) -> Vec<(String, String)> {
        match e {
            ApiError::Validation(issues) => issues.into_iter().map(|i| (i.field, i.code)).collect(),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn exactly_one_complete_proof() {
        let none = request();
        assert_eq!(code(proof_of(&none).unwrap_err()), [("binding_ticket".into(), "exactly_one_proof".into())]);
        let two = WechatBindRequest { phone_code: Some("p".into()), staff_no: Some("A001".into()), ..request() };
        assert!(proof_of(&two).is_err());
        let phone = WechatBindRequest { phone_code: Some(" p ".into()), ..request() };
        assert_eq!(proof_of(&phone).unwrap(), Proof::Phone { code: "p".into() });
        let cas = WechatBindRequest {
            cas: Some(CasProof { ticket: "ST-1".into(), service: "https://a/".into() }),
            ..request()
        };
        assert_eq!(proof_of(&cas).unwrap().method(), "cas");
        let partial = WechatBindRequest { staff_no: Some("A001".into()), name: Some(" ".into()), ..request() };
        assert_eq!(
            code(proof_of(&partial).unwrap_err()),
            [("name".into(), "required".into()), ("id_card_last6".into(), "required".into())]
        );
        let identity = WechatBindRequest {
            staff_no: Some("A001".into()),
            name: Some("张三 ".into()),
            id_card_last6: Some("01123x".into()),
            ..request()
        };
        assert_eq!(
            proof_of(&identity).unwrap(),
            Proof::Identity { staff_no: "A001".into(), name: "张三".into(), last6: "01123X".into() }
        );
    }

    #[test]
    fn only_refused_proofs_count_against_the_throttle() {
        assert!(counts_as_failure(&proof_failed()));
        assert!(counts_as_failure(&ApiError::Unauthenticated("wechat_code_invalid")));
        assert!(!counts_as_failure(&ApiError::Conflict("member_already_bound")));
        assert!(!counts_as_failure(&ApiError::Upstream("wechat_busy", String::new())));
    }
}
