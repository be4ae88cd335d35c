//! Motions put to the vote, secret ballots and results.
//!
//! `/congresses/{id}/motions` (list, export, create), `/motions/{id}` (read, edit a draft),
//! `POST /motions/{id}/open-voting` · `/close-voting` (congress managers), `POST
//! /motions/{id}/ballots` (formal delegates checked in at the sitting), `GET
//! /motions/{id}/result`, and `GET /me/motions` for the mini-program. Results are counts
//! only; the per-choice counts appear once voting has closed.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::audit::Actor;
use crate::auth::permissions::{Caller, Permission, authorize};
use crate::auth::principal::Principal;
use crate::democracy::access::{self, CongressAccess};
use crate::democracy::motions::dto::{
    BallotAccepted, CastBallot, CreateMotion, MotionHistoryEntry, MotionQuery, MotionResult, MotionView, MyMotion,
    UpdateMotion,
};
use crate::democracy::motions::store;
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::export::{self, Format, FormatParam, MAX_EXPORT_ROWS, Table, XlsxSheet};
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

/// Routes of this part, fixed paths before `{id}`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_motions)
        .service(create_motion)
        .service(list_my_motions)
        .service(get_motion)
        .service(update_motion)
        .service(open_motion_voting)
        .service(close_motion_voting)
        .service(cast_ballot)
        .service(get_motion_result)
        .service(motion_history);
}

/// The export sheet: the motions and their frozen results (counts only).
fn motion_table(items: &[MotionView]) -> Table {
    let count = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    Table {
        headers: vec![
            "编号",
            "类型",
            "标题",
            "会次",
            "状态",
            "正式代表",
            "实到",
            "应到",
            "赞成",
            "反对",
            "弃权",
            "法定人数",
            "结果",
        ],
        rows: items
            .iter()
            .map(|m| {
                let r = m.result.as_ref();
                vec![
                    m.id.to_string(),
                    m.kind.label().to_owned(),
                    m.title.clone(),
                    m.sitting.to_string(),
                    m.status.label().to_owned(),
                    count(r.map(|r| r.formal_total)),
                    count(r.map(|r| r.present)),
                    count(r.map(|r| r.expected)),
                    count(r.and_then(|r| r.for_count)),
                    count(r.and_then(|r| r.against_count)),
                    count(r.and_then(|r| r.abstain_count)),
                    r.map(|r| if r.quorum.met { "达到" } else { "未达到" }).unwrap_or_default().to_owned(),
                    r.and_then(|r| r.passed).map(|p| if p { "通过" } else { "未通过" }).unwrap_or_default().to_owned(),
                ]
            })
            .collect(),
    }
}

/// A congress's motions in agenda order. Any authenticated caller who can see the congress
/// (everyone for a school congress; a unit's congress: its administrators, members and
/// delegates). `format=csv|xlsx` exports every matching motion with its result.
#[utoipa::path(
    tag = "motions",
    params(("id" = i64, Path, description = "Congress id"), MotionQuery, PageParams, FormatParam),
    responses(
        (status = 200, description = "A page of motions, or with `format=csv|xlsx` (or `Accept: text/csv`) a file of every matching motion with its result", body = Page<MotionView>,
            content((Page<MotionView> = "application/json"), (String = "text/csv"), (XlsxSheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/congresses/{id}/motions")]
pub async fn list_motions(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    ValidQuery(q): ValidQuery<MotionQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
    ValidQuery(format): ValidQuery<FormatParam>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let format = export::requested(&req, format.format);
    let mut conn = state.pool.get().await?;
    let access = CongressAccess::of(&mut conn, &principal).await?;
    let congress_id = id.into_inner();
    if format == Format::Json {
        let (items, total) = store::list(&mut conn, &access, congress_id, &q, page.per_page(), page.offset()).await?;
        return Ok(HttpResponse::Ok().json(page.wrap(items, total)));
    }
    let (items, _) = store::list(&mut conn, &access, congress_id, &q, MAX_EXPORT_ROWS, 0).await?;
    export::respond(motion_table(&items), format, "motions").await
}

/// Puts a motion on a congress's agenda (a draft). 409 `congress_closed` once the congress has closed.
#[utoipa::path(
    tag = "motions",
    request_body = CreateMotion,
    params(("id" = i64, Path, description = "Congress id")),
    responses(
        (status = 201, body = MotionView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "congress_closed", body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/congresses/{id}/motions")]
pub async fn create_motion(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<CreateMotion>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesManage)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let body = body.after(access::managed_congress(&mut conn, &auth, id)).await?;
    let motion = store::create(&mut conn, &auth, id, &body, &Actor::new(&principal, &ctx)).await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/motions/{}", motion.id)));
    Ok(with_etag(&mut res, motion.version).json(motion))
}

/// Motions open for the caller's vote: voting, in a congress where the caller is a formal
/// delegate, not yet voted (a caller without a member profile gets an empty page).
#[utoipa::path(
    tag = "me",
    params(PageParams),
    responses((status = 200, body = Page<MyMotion>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/me/motions")]
pub async fn list_my_motions(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let (items, total) = store::open_for_member(&mut conn, &Caller::of(&principal), &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// One motion (with its frozen result once voting has closed).
#[utoipa::path(
    tag = "motions",
    params(("id" = i64, Path)),
    responses((status = 200, body = MotionView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/motions/{id}")]
pub async fn get_motion(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let access = CongressAccess::of(&mut conn, &principal).await?;
    let motion = store::get(&mut conn, &access, id.into_inner()).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), motion.version).json(motion))
}

/// Edits a draft motion; 409 `motion_not_draft` once voting has opened.
#[utoipa::path(
    tag = "motions",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateMotion,
    responses(
        (status = 200, body = MotionView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "motion_not_draft / congress_closed", body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/motions/{id}")]
pub async fn update_motion(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
    ValidJson(body): ValidJson<UpdateMotion>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesManage)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let body = body
        .after(async {
            let access = CongressAccess::of(&mut conn, &principal).await?;
            store::get(&mut conn, &access, id).await
        })
        .await?;
    let actor = Actor::new(&principal, &ctx);
    let motion = store::update(&mut conn, &auth, id, &body, if_match, &actor).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), motion.version).json(motion))
}

/// Opens voting on a draft motion; the congress must be in session.
#[utoipa::path(
    tag = "motions",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = MotionView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "invalid_transition / congress_not_in_session", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/motions/{id}/open-voting")]
pub async fn open_motion_voting(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesManage)?;
    let mut conn = state.pool.get().await?;
    let motion = store::open_voting(&mut conn, &auth, id.into_inner(), &Actor::new(&principal, &ctx)).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), motion.version).json(motion))
}

/// Closes voting: counts the ballots, applies the congress's quorum and majority rule,
/// freezes the figures on the motion and emits `motion.result` (counts only).
#[utoipa::path(
    tag = "motions",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = MotionView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "invalid_transition", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/motions/{id}/close-voting")]
pub async fn close_motion_voting(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesManage)?;
    let mut conn = state.pool.get().await?;
    let motion = store::close_voting(&mut conn, &auth, id.into_inner(), &Actor::new(&principal, &ctx)).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), motion.version).json(motion))
}

/// Casts the caller's secret ballot. The caller must be a formal delegate of the motion's
/// congress (403 `not_a_delegate`, `not_a_formal_delegate` for observers), the motion voting
/// (409 `voting_not_open`), the congress in session (409 `congress_not_in_session`) and the
/// caller checked in present at the motion's sitting (409 `not_checked_in`: only delegates
/// in the hall vote, which is what the quorum counts). One ballot per delegate (409
/// `already_voted`). The answer never repeats the choice.
#[utoipa::path(
    tag = "motions",
    request_body = CastBallot,
    params(("id" = i64, Path)),
    responses(
        (status = 201, body = BallotAccepted), (status = 401, body = Problem),
        (status = 403, description = "not_a_delegate / not_a_formal_delegate", body = Problem), (status = 404, body = Problem),
        (status = 409, description = "voting_not_open / congress_not_in_session / not_checked_in / already_voted", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = [])),
    // A secret choice: even a hash of the body would give it away (see http::idempotency).
    extensions(("x-idempotency-body" = json!("ignored")))
)]
#[post("/motions/{id}/ballots")]
pub async fn cast_ballot(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<CastBallot>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let access = CongressAccess::of(&mut conn, &principal).await?;
    let motion_id = id.into_inner();
    let body = body.after(store::get(&mut conn, &access, motion_id)).await?;
    store::cast_ballot(
        &mut conn,
        &access,
        &Caller::of(&principal),
        motion_id,
        body.choice,
        &Actor::new(&principal, &ctx),
    )
    .await?;
    Ok(HttpResponse::Created().json(BallotAccepted { motion_id, voted: true }))
}

/// The result: formal delegates, present and expected at the sitting, quorum (met, needed),
/// majority (denominator, votes needed). While voting: turnout only (cast, not voted); the
/// per-choice counts and the verdict appear once voting has closed.
#[utoipa::path(
    tag = "motions",
    params(("id" = i64, Path)),
    responses((status = 200, body = MotionResult), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/motions/{id}/result")]
pub async fn get_motion_result(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let access = CongressAccess::of(&mut conn, &principal).await?;
    Ok(HttpResponse::Ok().json(store::result(&mut conn, &access, id.into_inner()).await?))
}

/// The motion's changes (create, edit, open-voting, close-voting), oldest first, with who made them.
#[utoipa::path(
    tag = "motions",
    params(("id" = i64, Path), PageParams),
    responses(
        (status = 200, body = Page<MotionHistoryEntry>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/motions/{id}/history")]
pub async fn motion_history(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let access = CongressAccess::of(&mut conn, &principal).await?;
    let (items, total) = store::history(&mut conn, &access, id.into_inner(), &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}
