//! Congresses (`/congresses`): term, session, dates, status and the rules they apply.
//!
//! Congress metadata (dates, status, rules, roll size, history) is open to every
//! authenticated caller, members included: the congress is the members' own. Creating and
//! running one needs `CongressesManage` in scope: union admins run the school congress,
//! unit admins their unit's congress. Open and close go through
//! `congresses_rules::congress_transition` and write a history row.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::audit::Actor;
use crate::auth::permissions::{Permission, authorize};
use crate::auth::principal::Principal;
use crate::democracy::access::{self, CongressAccess};
use crate::democracy::congresses::dto::{
    CongressHistoryEntry, CongressQuery, CongressStats, CongressView, CreateCongress, StatsQuery, UpdateCongress,
};
use crate::democracy::congresses::rules::CongressAction;
use crate::democracy::congresses::store;
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::export::{self, Format, FormatParam, MAX_EXPORT_ROWS, Table, XlsxSheet};
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::pagination::{Page, PageParams};
use crate::kernel::calendar::today_shanghai;
use crate::state::AppState;

/// Routes of this part, fixed paths before `{id}`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_congresses)
        .service(congress_stats)
        .service(create_congress)
        .service(get_congress)
        .service(update_congress)
        .service(open_congress)
        .service(close_congress)
        .service(congress_history);
}

/// Congresses at school and unit level, newest first (open to every authenticated caller);
/// with `format=csv|xlsx` (or `Accept: text/csv`) every matching congress as a file.
#[utoipa::path(
    tag = "congresses",
    params(CongressQuery, PageParams, FormatParam),
    responses(
        (status = 200, description = "A page of congresses, or a CSV/XLSX file of all that match", body = Page<CongressView>,
            content((Page<CongressView> = "application/json"), (String = "text/csv"), (XlsxSheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/congresses")]
pub async fn list_congresses(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<CongressQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
    ValidQuery(format): ValidQuery<FormatParam>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let access = CongressAccess::of(&mut conn, &principal).await?;
    match export::requested(&req, format.format) {
        Format::Json => {
            let (items, total) = store::list(&mut conn, &access, &q, page.per_page(), page.offset()).await?;
            Ok(HttpResponse::Ok().json(page.wrap(items, total)))
        }
        f => {
            let (items, _) = store::list(&mut conn, &access, &q, MAX_EXPORT_ROWS, 0).await?;
            export::respond(congress_table(&items), f, "congresses").await
        }
    }
}

/// The export sheet of congresses (名称, 级别, 届次, dates, status, proposal rules).
fn congress_table(items: &[CongressView]) -> Table {
    Table {
        headers: vec![
            "编号",
            "名称",
            "组织",
            "级别",
            "类型",
            "届",
            "次",
            "年度",
            "开幕",
            "闭幕",
            "状态",
            "提案截止",
            "提案编号前缀",
        ],
        rows: items
            .iter()
            .map(|c| {
                vec![
                    c.id.to_string(),
                    c.name.clone(),
                    c.unit_name.clone(),
                    c.level.label().to_owned(),
                    c.kind.label().to_owned(),
                    c.term.to_string(),
                    c.session.to_string(),
                    c.year.to_string(),
                    c.starts_on.to_string(),
                    c.ends_on.to_string(),
                    c.status.label().to_owned(),
                    c.proposal_deadline.map(|d| d.to_string()).unwrap_or_default(),
                    c.proposal_prefix.clone(),
                ]
            })
            .collect(),
    }
}

/// 二级教代会建制率: the secondary unions in scope holding their own congress in `year`.
#[utoipa::path(
    tag = "congresses",
    params(StatsQuery),
    responses((status = 200, body = CongressStats), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/congresses/stats")]
pub async fn congress_stats(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesRead)?;
    let year = q.year.unwrap_or_else(|| chrono::Datelike::year(&today_shanghai()));
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(store::stats(&mut conn, &auth, year).await?))
}

/// A congress with its rules and the size of its roll.
#[utoipa::path(
    tag = "congresses",
    params(("id" = i64, Path)),
    responses((status = 200, body = CongressView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/congresses/{id:[0-9]+}")]
pub async fn get_congress(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let access = CongressAccess::of(&mut conn, &principal).await?;
    let congress = store::get(&mut conn, &access, id.into_inner()).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), congress.version).json(congress))
}

/// Creates a congress (preparing). School level: the school union, by a caller with a
/// global scope; unit level: a secondary union in the caller's scope. The proposal prefix
/// defaults to `<year>-TA` or `<year>-<unit code>-TA`.
#[utoipa::path(
    tag = "congresses",
    request_body = CreateCongress,
    responses(
        (status = 201, body = CongressView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "congress_exists / proposal_prefix_taken", body = Problem),
        (status = 422, description = "field errors, e.g. unknown_unit, level_unit_mismatch, date_order", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/congresses")]
pub async fn create_congress(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    ValidJson(body): ValidJson<CreateCongress>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesManage)?;
    let body = body.take()?;
    let mut conn = state.pool.get().await?;
    let congress = store::create(&mut conn, &auth, &body, &Actor::new(&principal, &ctx)).await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/congresses/{}", congress.id)));
    Ok(with_etag(&mut res, congress.version).json(congress))
}

/// Changes a congress. Closed: 409 `congress_closed`; rules after opening: 409
/// `congress_rules_frozen`.
#[utoipa::path(
    tag = "congresses",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateCongress,
    responses(
        (status = 200, body = CongressView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "congress_closed / congress_rules_frozen / congress_exists / proposal_prefix_taken", body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/congresses/{id:[0-9]+}")]
pub async fn update_congress(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
    ValidJson(body): ValidJson<UpdateCongress>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesManage)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let body = body.after(access::managed_congress(&mut conn, &auth, id)).await?;
    let actor = Actor::new(&principal, &ctx);
    let congress = store::update(&mut conn, &auth, id, &body, if_match, &actor).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), congress.version).json(congress))
}

async fn transition(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: i64,
    action: CongressAction,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesManage)?;
    let mut conn = state.pool.get().await?;
    let congress = store::transition(&mut conn, &auth, id, action, &Actor::new(&principal, &ctx)).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), congress.version).json(congress))
}

/// Opens the congress (preparing → in session); otherwise 409 `invalid_transition`.
#[utoipa::path(
    tag = "congresses",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = CongressView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "invalid_transition", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/congresses/{id}/open")]
pub async fn open_congress(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    transition(state, principal, ctx, id.into_inner(), CongressAction::Open).await
}

/// Closes the congress (in session → closed); otherwise 409 `invalid_transition`.
#[utoipa::path(
    tag = "congresses",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = CongressView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "invalid_transition", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/congresses/{id}/close")]
pub async fn close_congress(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    transition(state, principal, ctx, id.into_inner(), CongressAction::Close).await
}

/// The congress's status changes (create, open, close), oldest first.
#[utoipa::path(
    tag = "congresses",
    params(("id" = i64, Path), PageParams),
    responses(
        (status = 200, body = Page<CongressHistoryEntry>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/congresses/{id}/history")]
pub async fn congress_history(
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
