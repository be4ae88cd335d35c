//! Handling departments (`/departments`) and their handler accounts.
//!
//! Every authenticated caller may list and read departments (the committee assigns them,
//! handlers and proposers see their names); only `DepartmentsManage` (union admins, the
//! proposal committee) changes them and sees their handler accounts.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::audit::Actor;
use crate::auth::permissions::{Caller, Permission, authorize, has_permission};
use crate::auth::principal::Principal;
use crate::democracy::departments::dto::{
    AddHandler, CreateDepartment, DepartmentQuery, DepartmentView, HandlerView, UpdateDepartment,
};
use crate::democracy::departments::store;
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

/// Routes of this part, fixed paths before `{id}`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_departments)
        .service(create_department)
        .service(get_department)
        .service(update_department)
        .service(list_department_handlers)
        .service(add_department_handler)
        .service(remove_department_handler);
}

/// Departments, by name (any authenticated caller).
#[utoipa::path(
    tag = "departments",
    params(DepartmentQuery, PageParams),
    responses((status = 200, body = Page<DepartmentView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/departments")]
pub async fn list_departments(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<DepartmentQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let (items, total) = store::list(&mut conn, &Caller::of(&principal), &q, &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// One department; its handler accounts are included for those who manage departments.
#[utoipa::path(
    tag = "departments",
    params(("id" = i64, Path)),
    responses((status = 200, body = DepartmentView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/departments/{id}")]
pub async fn get_department(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let with_handlers = has_permission(&principal, Permission::DepartmentsManage);
    let mut conn = state.pool.get().await?;
    let department = store::get(&mut conn, &Caller::of(&principal), id.into_inner(), with_handlers).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), department.version).json(department))
}

/// Creates a handling department (承办部门) that proposals can be assigned to.
#[utoipa::path(
    tag = "departments",
    request_body = CreateDepartment,
    responses(
        (status = 201, body = DepartmentView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "department_name_taken / department_code_taken", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/departments")]
pub async fn create_department(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    ValidJson(body): ValidJson<CreateDepartment>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::DepartmentsManage)?;
    let body = body.take()?;
    let mut conn = state.pool.get().await?;
    let department = store::create(&mut conn, &auth, &body, &Actor::new(&principal, &ctx)).await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/departments/{}", department.id)));
    Ok(with_etag(&mut res, department.version).json(department))
}

/// Renames, re-codes, deactivates or reactivates a department.
#[utoipa::path(
    tag = "departments",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateDepartment,
    responses(
        (status = 200, body = DepartmentView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "department_name_taken / department_code_taken", body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/departments/{id}")]
pub async fn update_department(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
    ValidJson(body): ValidJson<UpdateDepartment>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::DepartmentsManage)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let body = body.after(store::get(&mut conn, &Caller::of(&principal), id, false)).await?;
    let actor = Actor::new(&principal, &ctx);
    let department = store::update(&mut conn, &auth, id, &body, if_match, &actor).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), department.version).json(department))
}

/// The department's handler accounts.
#[utoipa::path(
    tag = "departments",
    params(("id" = i64, Path), PageParams),
    responses((status = 200, body = Page<HandlerView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/departments/{id}/handlers")]
pub async fn list_department_handlers(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::DepartmentsManage)?;
    let mut conn = state.pool.get().await?;
    let (items, total) = store::handlers(&mut conn, &auth, id.into_inner(), &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// Makes an account holding the role `handler` reply for this department.
#[utoipa::path(
    tag = "departments",
    params(("id" = i64, Path)),
    request_body = AddHandler,
    responses(
        (status = 201, body = HandlerView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "already_handler", body = Problem),
        (status = 422, description = "`user_id` `not_a_handler`: no such account, or it lacks the role `handler`", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/departments/{id}/handlers")]
pub async fn add_department_handler(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<AddHandler>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::DepartmentsManage)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let body = body.after(store::get(&mut conn, &Caller::of(&principal), id, false)).await?;
    let actor = Actor::new(&principal, &ctx);
    let handler = store::add_handler(&mut conn, &auth, id, body.user_id, &actor).await?;
    Ok(HttpResponse::Created().json(handler))
}

/// The account no longer replies for this department (its role stays).
#[utoipa::path(
    tag = "departments",
    params(("id" = i64, Path), ("user_id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[delete("/departments/{id}/handlers/{user_id}")]
pub async fn remove_department_handler(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::DepartmentsManage)?;
    let (id, user_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    store::remove_handler(&mut conn, &auth, id, user_id, &Actor::new(&principal, &ctx)).await?;
    Ok(HttpResponse::NoContent().finish())
}
