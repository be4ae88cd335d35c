//! Democratic evaluations (`/evaluations`, 民主评议): campaigns with targets and a scoring
//! sheet, one anonymous sheet per formal delegate, aggregated results after the close.
//!
//! Campaigns are managed with `EvaluationsManage` (union admins) and readable by every
//! authenticated caller; a sheet is accepted from a formal delegate of the campaign's
//! congress only (403 `not_a_delegate` / `not_a_formal_delegate`). Results are published
//! when the campaign closes, for everyone at once (409 `results_not_published` before).

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::audit::Actor;
use crate::auth::permissions::{Caller, Permission, authorize};
use crate::auth::principal::Principal;
use crate::democracy::evaluations::dto::{
    CampaignQuery, CampaignResults, CampaignSummary, CampaignView, CreateCampaign, MyCampaign, SheetReceipt,
    SubmitSheet, UpdateCampaign,
};
use crate::democracy::evaluations::rules::CampaignAction;
use crate::democracy::evaluations::store;
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::extract::{LargeJson, ValidJson, ValidQuery};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

/// Routes of this part, fixed paths before `{id}`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(my_evaluations)
        .service(list_evaluations)
        .service(create_evaluation)
        .service(get_evaluation)
        .service(update_evaluation)
        .service(open_evaluation)
        .service(close_evaluation)
        .service(submit_evaluation_sheet)
        .service(evaluation_results);
}

/// Campaigns, newest first (any authenticated caller).
#[utoipa::path(
    tag = "evaluations",
    params(CampaignQuery, PageParams),
    responses((status = 200, body = Page<CampaignSummary>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/evaluations")]
pub async fn list_evaluations(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<CampaignQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let (items, total) = store::list(&mut conn, &Caller::of(&principal), &q, &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// Creates a draft campaign for a congress that has not closed.
#[utoipa::path(
    tag = "evaluations",
    request_body = CreateCampaign,
    responses(
        (status = 201, body = CampaignView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "congress_closed", body = Problem),
        (status = 422, description = "Field errors, e.g. `targets[1].name` `duplicate`, `congress_id` `unknown_congress`", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/evaluations")]
pub async fn create_evaluation(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    ValidJson(body): ValidJson<CreateCampaign>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::EvaluationsManage)?;
    let body = body.take()?;
    let mut conn = state.pool.get().await?;
    let campaign = store::create(&mut conn, &auth, &body, &Actor::new(&principal, &ctx)).await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/evaluations/{}", campaign.id)));
    Ok(with_etag(&mut res, campaign.version).json(campaign))
}

/// One campaign with its targets and criteria (the sheet to fill in).
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path)),
    responses((status = 200, body = CampaignView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/evaluations/{id}")]
pub async fn get_evaluation(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let campaign = store::get(&mut conn, &Caller::of(&principal), id.into_inner()).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), campaign.version).json(campaign))
}

/// Changes a draft campaign; `targets` / `criteria` replace the lists (409 `campaign_not_draft` once opened).
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateCampaign,
    responses(
        (status = 200, body = CampaignView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "campaign_not_draft", body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/evaluations/{id}")]
pub async fn update_evaluation(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
    ValidJson(body): ValidJson<UpdateCampaign>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::EvaluationsManage)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let body = body.after(store::get(&mut conn, &Caller::of(&principal), id)).await?;
    let actor = Actor::new(&principal, &ctx);
    let campaign = store::update(&mut conn, &auth, id, &body, if_match, &actor).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), campaign.version).json(campaign))
}

async fn transition(
    state: &AppState,
    principal: &Principal,
    ctx: &RequestContext,
    id: i64,
    action: CampaignAction,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(principal, Permission::EvaluationsManage)?;
    let mut conn = state.pool.get().await?;
    let campaign = store::transition(&mut conn, &auth, id, action, if_match, &Actor::new(principal, ctx)).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), campaign.version).json(campaign))
}

/// Opens a draft campaign to the delegates' sheets (it needs a target and a criterion).
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = CampaignView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "invalid_transition / campaign_incomplete / congress_closed", body = Problem), (status = 412, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/evaluations/{id}/open")]
pub async fn open_evaluation(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    transition(&state, &principal, &ctx, id.into_inner(), CampaignAction::Open, if_match).await
}

/// Closes an open campaign and publishes its results (`evaluation.published`).
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = CampaignView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "invalid_transition", body = Problem), (status = 412, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/evaluations/{id}/close")]
pub async fn close_evaluation(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    transition(&state, &principal, &ctx, id.into_inner(), CampaignAction::Close, if_match).await
}

/// Submits the caller's anonymous sheet: every (target, criterion) pair once, 0 ≤ score ≤
/// max. One per formal delegate; the answer confirms receipt and never echoes the scores.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path)),
    request_body = SubmitSheet,
    responses(
        (status = 201, body = SheetReceipt), (status = 401, body = Problem),
        (status = 403, description = "not_a_delegate / not_a_formal_delegate", body = Problem), (status = 404, body = Problem),
        (status = 409, description = "campaign_not_open / already_evaluated", body = Problem),
        (status = 422, description = "Field errors, e.g. `scores[3].score` `range`, `scores` `incomplete_sheet`", body = Problem),
    ),
    security(("bearer" = [])),
    // A secret choice: even a hash of the body would give it away (see http::idempotency).
    extensions(("x-idempotency-body" = json!("ignored")))
)]
#[post("/evaluations/{id}/sheets")]
pub async fn submit_evaluation_sheet(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    LargeJson(body): LargeJson<SubmitSheet>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let (id, me) = (id.into_inner(), Caller::of(&principal));
    let body = body.after(store::get(&mut conn, &me, id)).await?;
    let actor = Actor::new(&principal, &ctx);
    let receipt = store::submit_sheet(&mut conn, id, &me, &body, &actor).await?;
    Ok(HttpResponse::Created().json(receipt))
}

/// Aggregated results of a closed campaign: per target the sheets, the mean per criterion and
/// the total mean (exact hundredths), the rank; and the turnout. Never a single sheet.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = CampaignResults), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "results_not_published: the campaign has not closed", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/evaluations/{id}/results")]
pub async fn evaluation_results(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(store::results(&mut conn, &Caller::of(&principal), id.into_inner()).await?))
}

/// Campaigns open for the caller's sheet (formal delegates of their congresses), with whether
/// it is in; empty for callers without a member profile.
#[utoipa::path(
    tag = "me",
    params(PageParams),
    responses((status = 200, body = Page<MyCampaign>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/me/evaluations")]
pub async fn my_evaluations(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let (items, total) = store::mine(&mut conn, &Caller::of(&principal), &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}
