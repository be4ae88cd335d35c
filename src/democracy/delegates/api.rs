//! Delegates of a congress, check-ins per sitting and participation.
//!
//! Rules: one delegate per member and congress (409 `already_delegate`); only active members
//! become delegates; the delegation defaults to the member's secondary union and lies inside
//! the congress's unit; the roll is re-classified or shortened only while the congress is
//! preparing, and never for a delegate a ballot, proposal or sheet refers to; check-ins are
//! taken while it is in session. Readers (`CongressesRead`) see the whole roll of a congress
//! in their scope and, of the school congress, the delegations in their scope.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::audit::Actor;
use crate::auth::permissions::{Permission, authorize};
use crate::auth::principal::Principal;
use crate::democracy::access;
use crate::democracy::delegates::check_ins as check_ins_store;
use crate::democracy::delegates::dto::{
    AddDelegate, BulkAddDelegates, BulkAddReport, CheckInQuery, CheckInReport, CheckInRequest, CheckInView,
    DelegateQuery, DelegateView, Participation, UpdateDelegate,
};
use crate::democracy::delegates::store;
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::export::{self, Format, FormatParam, MAX_EXPORT_ROWS, Table, XlsxSheet};
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

/// Routes of this part, fixed paths before `{delegate_id}`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_delegates)
        .service(add_delegate)
        .service(bulk_add_delegates)
        .service(get_delegate)
        .service(update_delegate)
        .service(delete_delegate)
        .service(record_check_ins)
        .service(list_check_ins)
        .service(congress_participation);
}

/// The roll sheet (代表名单) as exported.
fn roll_table(items: &[DelegateView]) -> Table {
    Table {
        headers: vec!["工号", "姓名", "所属单位", "代表团", "代表类别", "身份", "出席次数", "请假次数"],
        rows: items
            .iter()
            .map(|d| {
                vec![
                    d.staff_no.clone(),
                    d.name.clone(),
                    d.unit_name.clone(),
                    d.delegation_unit_name.clone(),
                    d.kind.label().to_owned(),
                    d.category.label().to_owned(),
                    d.sittings_present.to_string(),
                    d.sittings_excused.to_string(),
                ]
            })
            .collect(),
    }
}

/// The roll: delegates with their member, delegation and attendance so far; with
/// `format=csv|xlsx` (or `Accept: text/csv`) the whole roll as a file (代表名单).
#[utoipa::path(
    tag = "delegates",
    params(("id" = i64, Path), DelegateQuery, PageParams, FormatParam),
    responses(
        (status = 200, description = "A page of delegates, or a CSV/XLSX file of all of them", body = Page<DelegateView>,
            content((Page<DelegateView> = "application/json"), (String = "text/csv"), (XlsxSheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/congresses/{id}/delegates")]
pub async fn list_delegates(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    ValidQuery(q): ValidQuery<DelegateQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
    ValidQuery(format): ValidQuery<FormatParam>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesRead)?;
    let mut conn = state.pool.get().await?;
    let roll = store::readable(&mut conn, &auth, id.into_inner()).await?;
    match export::requested(&req, format.format) {
        Format::Json => {
            let (items, total) = store::list(&mut conn, &roll, &q, &page).await?;
            Ok(HttpResponse::Ok().json(page.wrap(items, total)))
        }
        f => {
            let items = store::list_all(&mut conn, &roll, &q, MAX_EXPORT_ROWS).await?;
            export::respond(roll_table(&items), f, "delegates").await
        }
    }
}

/// Makes an active member a delegate (until the congress closes).
#[utoipa::path(
    tag = "delegates",
    params(("id" = i64, Path)),
    request_body = AddDelegate,
    responses(
        (status = 201, body = DelegateView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "already_delegate / member_not_active / congress_closed", body = Problem),
        (status = 422, description = "unknown_member, unknown_unit, outside_congress", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/congresses/{id}/delegates")]
pub async fn add_delegate(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<AddDelegate>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesManage)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let body = body.after(access::managed_congress(&mut conn, &auth, id)).await?;
    let actor = Actor::new(&principal, &ctx);
    let delegate = store::add(&mut conn, &auth, id, &body, &actor).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/congresses/{}/delegates/{}", delegate.congress_id, delegate.id)))
        .json(delegate))
}

/// Adds up to 1000 delegates by staff number. Partial: valid rows are added, the others
/// reported by reason (already a delegate, unknown staff number, inactive, outside the congress).
#[utoipa::path(
    tag = "delegates",
    params(("id" = i64, Path)),
    request_body = BulkAddDelegates,
    responses(
        (status = 200, body = BulkAddReport), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "congress_closed", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/congresses/{id}/delegates/bulk")]
pub async fn bulk_add_delegates(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<BulkAddDelegates>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesManage)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let body = body.after(access::managed_congress(&mut conn, &auth, id)).await?;
    let actor = Actor::new(&principal, &ctx);
    Ok(HttpResponse::Ok().json(store::bulk_add(&mut conn, &auth, id, &body, &actor).await?))
}

/// One delegate of the congress.
#[utoipa::path(
    tag = "delegates",
    params(("id" = i64, Path), ("delegate_id" = i64, Path)),
    responses((status = 200, body = DelegateView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/congresses/{id}/delegates/{delegate_id:[0-9]+}")]
pub async fn get_delegate(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesRead)?;
    let (congress_id, delegate_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let roll = store::readable(&mut conn, &auth, congress_id).await?;
    // A scoped reader of the school congress sees only the delegations in their scope.
    let delegate = store::get(&mut conn, &roll, delegate_id).await?;
    Ok(HttpResponse::Ok().json(delegate))
}

/// Re-classifies a delegate (kind, category, delegation) while the congress is preparing.
#[utoipa::path(
    tag = "delegates",
    params(("id" = i64, Path), ("delegate_id" = i64, Path)),
    request_body = UpdateDelegate,
    responses(
        (status = 200, body = DelegateView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "congress_not_preparing / congress_closed", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/congresses/{id}/delegates/{delegate_id:[0-9]+}")]
pub async fn update_delegate(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    path: web::Path<(i64, i64)>,
    ValidJson(body): ValidJson<UpdateDelegate>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesManage)?;
    let (congress_id, delegate_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let body = body
        .after(async {
            access::managed_congress(&mut conn, &auth, congress_id).await?;
            let roll = store::readable(&mut conn, &auth, congress_id).await?;
            store::get(&mut conn, &roll, delegate_id).await
        })
        .await?;
    let actor = Actor::new(&principal, &ctx);
    Ok(HttpResponse::Ok().json(store::update(&mut conn, &auth, congress_id, delegate_id, &body, &actor).await?))
}

/// Removes a delegate while the congress is preparing, unless something refers to them.
#[utoipa::path(
    tag = "delegates",
    params(("id" = i64, Path), ("delegate_id" = i64, Path)),
    responses(
        (status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "congress_not_preparing / congress_closed / delegate_in_use", body = Problem),
    ),
    security(("bearer" = []))
)]
#[delete("/congresses/{id}/delegates/{delegate_id:[0-9]+}")]
pub async fn delete_delegate(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesManage)?;
    let (congress_id, delegate_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    store::remove(&mut conn, &auth, congress_id, delegate_id, &Actor::new(&principal, &ctx)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Records attendance at a sitting while the congress is in session, by delegate ids or
/// staff numbers. Idempotent; excused → present is an update; unknown entries are reported.
#[utoipa::path(
    tag = "delegates",
    params(("id" = i64, Path)),
    request_body = CheckInRequest,
    responses(
        (status = 200, body = CheckInReport), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "congress_not_in_session", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/congresses/{id}/check-ins")]
pub async fn record_check_ins(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<CheckInRequest>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesManage)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let body = body.after(access::managed_congress(&mut conn, &auth, id)).await?;
    let actor = Actor::new(&principal, &ctx);
    Ok(HttpResponse::Ok().json(check_ins_store::check_in(&mut conn, &auth, id, &body, &actor).await?))
}

/// The check-in sheet (签到表) as exported.
fn check_in_table(items: &[CheckInView]) -> Table {
    Table {
        headers: vec!["会次", "工号", "姓名", "代表团", "身份", "签到状态", "登记时间"],
        rows: items
            .iter()
            .map(|c| {
                // Shanghai time, as the suggestions sheet shows it.
                let at = (c.recorded_at + chrono::Duration::hours(8)).format("%Y-%m-%d %H:%M").to_string();
                vec![
                    c.sitting.to_string(),
                    c.staff_no.clone(),
                    c.name.clone(),
                    c.delegation_unit_name.clone(),
                    c.kind.label().to_owned(),
                    c.status.label().to_owned(),
                    at,
                ]
            })
            .collect(),
    }
}

/// Check-in records, by sitting and delegation; with `format=csv|xlsx` (or `Accept:
/// text/csv`) every matching record as a file (签到表).
#[utoipa::path(
    tag = "delegates",
    params(("id" = i64, Path), CheckInQuery, PageParams, FormatParam),
    responses(
        (status = 200, description = "A page of check-ins, or a CSV/XLSX file of all of them", body = Page<CheckInView>,
            content((Page<CheckInView> = "application/json"), (String = "text/csv"), (XlsxSheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/congresses/{id}/check-ins")]
pub async fn list_check_ins(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    ValidQuery(q): ValidQuery<CheckInQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
    ValidQuery(format): ValidQuery<FormatParam>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesRead)?;
    let mut conn = state.pool.get().await?;
    let roll = store::readable(&mut conn, &auth, id.into_inner()).await?;
    match export::requested(&req, format.format) {
        Format::Json => {
            let (items, total) = check_ins_store::list_check_ins(&mut conn, &roll, &q, &page).await?;
            Ok(HttpResponse::Ok().json(page.wrap(items, total)))
        }
        f => {
            let items = check_ins_store::list_all_check_ins(&mut conn, &roll, &q, MAX_EXPORT_ROWS).await?;
            export::respond(check_in_table(&items), f, "check-ins").await
        }
    }
}

/// 代表参会率: per sitting (formal present, excused, absent, observers, rate, quorum), per
/// delegation, and overall (formal delegates present at least once / formal delegates).
#[utoipa::path(
    tag = "delegates",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = Participation), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/congresses/{id}/participation")]
pub async fn congress_participation(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::CongressesRead)?;
    let mut conn = state.pool.get().await?;
    let roll = store::readable(&mut conn, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(check_ins_store::participation(&mut conn, &roll).await?))
}
