//! `/members`: search, records, transfers, leaving and rejoining.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use crate::audit::Actor;
use crate::auth::permissions::{Permission, authorize, has_permission};
use crate::auth::principal::Principal;
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::export::{self, Format, FormatParam, MAX_EXPORT_ROWS, Table, XlsxSheet};
use crate::http::extract::{Deferred, ValidJson, ValidQuery};
use crate::http::pagination::{Page, PageParams, parse_sort};
use crate::kernel::calendar::today_shanghai;
use crate::membership::members::dto::{
    CreateMember, LeaveMember, MemberHistoryEntry, MemberQuery, MemberView, RejoinMember, TransferMember, UpdateMember,
};
use crate::membership::members::store as members_store;
use crate::membership::members::store::{Move, Reveal, SORTABLE};
use crate::state::AppState;

async fn list(
    state: &AppState,
    principal: &Principal,
    mut q: MemberQuery,
    page: PageParams,
    unit_id: Option<i64>,
    format: Format,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(principal, Permission::MembersRead)?;
    let sort = parse_sort(q.sort.as_deref(), SORTABLE)?;
    if unit_id.is_some() {
        q.unit_id = unit_id;
    }
    let mut conn = state.pool.get().await?;
    let key = &state.config.encryption_key;
    if format == Format::Json {
        let (items, total) = members_store::list(&mut conn, &auth, &q, &sort, &page, key).await?;
        return Ok(HttpResponse::Ok().json(page.wrap(items, total)));
    }
    let (items, _) = members_store::list_all(&mut conn, &auth, &q, &sort, MAX_EXPORT_ROWS, key).await?;
    export::respond(member_table(&items), format, "members").await
}

/// The export sheet of members (masked like every list).
fn member_table(items: &[MemberView]) -> Table {
    Table {
        headers: vec!["工号", "姓名", "性别", "出生日期", "所属工会", "用工类型", "入会日期", "状态", "手机号", "劳模"],
        rows: items
            .iter()
            .map(|m| {
                vec![
                    m.staff_no.clone(),
                    m.name.clone(),
                    m.gender.label().to_owned(),
                    m.birth_date.to_string(),
                    m.unit_name.clone(),
                    m.employment_type.label().to_owned(),
                    m.joined_on.to_string(),
                    m.status.label().to_owned(),
                    m.phone.clone().unwrap_or_default(),
                    if m.is_model_worker { "是" } else { "" }.to_owned(),
                ]
            })
            .collect(),
    }
}

/// Members in the caller's scope. Phone and ID-card numbers are masked in lists.
#[utoipa::path(
    tag = "members",
    params(MemberQuery, PageParams, FormatParam),
    responses((status = 200, description = "A page of members, or with `format=csv|xlsx` (or `Accept: text/csv`) a file of every matching member (up to 50,000)", body = Page<MemberView>,
        content((Page<MemberView> = "application/json"), (String = "text/csv"), (XlsxSheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, description = "unit_id outside your scope", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/members")]
pub async fn list_members(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<MemberQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
    ValidQuery(format): ValidQuery<FormatParam>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    list(&state, &principal, q, page, None, export::requested(&req, format.format)).await
}

/// Members of a unit and every unit below it (same filters as `/members`).
#[utoipa::path(
    tag = "members",
    params(("id" = i64, Path), MemberQuery, PageParams, FormatParam),
    responses((status = 200, description = "A page of members, or a CSV/XLSX file of all of them", body = Page<MemberView>,
        content((Page<MemberView> = "application/json"), (String = "text/csv"), (XlsxSheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/units/{id}/members")]
pub async fn list_unit_members(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    ValidQuery(q): ValidQuery<MemberQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
    ValidQuery(format): ValidQuery<FormatParam>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    list(&state, &principal, q, page, Some(id.into_inner()), export::requested(&req, format.format)).await
}

/// One member. Phone numbers are shown to roles that need them, ID-card numbers only to union administrators.
#[utoipa::path(
    tag = "members",
    params(("id" = i64, Path)),
    responses((status = 200, body = MemberView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/members/{id:[0-9]+}")]
pub async fn get_member(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::MembersRead)?;
    let reveal = Reveal {
        phone: has_permission(&principal, Permission::MemberPhoneRead),
        id_card: has_permission(&principal, Permission::MemberIdCardRead),
    };
    let mut conn = state.pool.get().await?;
    let member = members_store::get(&mut conn, &auth, id.into_inner(), reveal, &state.config.encryption_key).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), member.version).json(member))
}

/// Creates a member in a unit of the caller's scope (staff number and ID card unique).
#[utoipa::path(
    tag = "members",
    request_body = CreateMember,
    responses(
        (status = 201, body = MemberView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "staff_no_taken / id_card_taken", body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/members")]
pub async fn create_member(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    ValidJson(body): ValidJson<CreateMember>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::MembersWrite)?;
    let body = body.take()?;
    let mut conn = state.pool.get().await?;
    let actor = Actor::new(&principal, &ctx);
    let member = members_store::create(&mut conn, &auth, &body, &state.config.encryption_key, &actor).await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/members/{}", member.id)));
    Ok(with_etag(&mut res, member.version).json(member))
}

/// Changes a member's details (`If-Match` with the current version); transfers, leaving and rejoining have their own routes.
#[utoipa::path(
    tag = "members",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateMember,
    responses(
        (status = 200, body = MemberView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/members/{id:[0-9]+}")]
pub async fn update_member(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
    ValidJson(body): ValidJson<UpdateMember>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::MembersWrite)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let key = &state.config.encryption_key;
    let body = body.after(members_store::get(&mut conn, &auth, id, Reveal::MASKED, key)).await?;
    let actor = Actor::new(&principal, &ctx);
    let member = members_store::update(&mut conn, &auth, id, &body, if_match, key, &actor).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), member.version).json(member))
}

/// The body of a move, once the caller may move members (403) and the member is found (404),
/// so that a body of the wrong type (415) comes after both; a connection only when it does.
async fn move_body<T>(state: &AppState, principal: &Principal, id: i64, body: Deferred<T>) -> Result<T, ApiError> {
    let auth = authorize(principal, Permission::MembersWrite)?;
    body.after(async {
        let mut conn = state.pool.get().await?;
        members_store::get(&mut conn, &auth, id, Reveal::MASKED, &state.config.encryption_key).await
    })
    .await
}

async fn apply(
    state: &AppState,
    principal: &Principal,
    ctx: &RequestContext,
    id: i64,
    change: Move<'_>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(principal, Permission::MembersWrite)?;
    let mut conn = state.pool.get().await?;
    let actor = Actor::new(principal, ctx);
    let key = &state.config.encryption_key;
    let member = members_store::apply_move(&mut conn, &auth, id, change, if_match, key, &actor).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), member.version).json(member))
}

/// Moves an active member to another unit (both inside the caller's scope).
#[utoipa::path(
    tag = "members",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = TransferMember,
    responses(
        (status = 200, body = MemberView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "member_not_active / same_unit", body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/members/{id}/transfer")]
pub async fn transfer_member(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
    ValidJson(body): ValidJson<TransferMember>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = move_body(&state, &principal, id, body).await?;
    let change = Move::Transfer {
        to_unit_id: body.to_unit_id,
        effective_on: body.effective_on.unwrap_or_else(today_shanghai),
        reason: body.reason.as_deref(),
    };
    apply(&state, &principal, &ctx, id, change, if_match).await
}

/// Records that an active member left the union (the record stays).
#[utoipa::path(
    tag = "members",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = LeaveMember,
    responses(
        (status = 200, body = MemberView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "member_not_active", body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/members/{id}/leave")]
pub async fn leave_member(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
    ValidJson(body): ValidJson<LeaveMember>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = move_body(&state, &principal, id, body).await?;
    let change =
        Move::Leave { effective_on: body.effective_on.unwrap_or_else(today_shanghai), reason: body.reason.as_str() };
    apply(&state, &principal, &ctx, id, change, if_match).await
}

/// Brings a member who left back into the union.
#[utoipa::path(
    tag = "members",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = RejoinMember,
    responses(
        (status = 200, body = MemberView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "member_not_left", body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/members/{id}/rejoin")]
pub async fn rejoin_member(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
    ValidJson(body): ValidJson<RejoinMember>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = move_body(&state, &principal, id, body).await?;
    let change = Move::Rejoin {
        unit_id: body.unit_id,
        effective_on: body.effective_on.unwrap_or_else(today_shanghai),
        reason: body.reason.as_deref(),
    };
    apply(&state, &principal, &ctx, id, change, if_match).await
}

/// Joined / transferred / left / rejoined events of a member, oldest first.
#[utoipa::path(
    tag = "members",
    params(("id" = i64, Path), PageParams),
    responses((status = 200, body = Page<MemberHistoryEntry>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/members/{id}/history")]
pub async fn member_history(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::MembersRead)?;
    let mut conn = state.pool.get().await?;
    let key = &state.config.encryption_key;
    let (items, total) = members_store::history(&mut conn, &auth, id.into_inner(), &page, key).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}
