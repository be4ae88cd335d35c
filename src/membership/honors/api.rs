//! `/honors`: honors of members (荣誉), reached through the member's unit scope.

use actix_web::{HttpResponse, delete, get, post, web};

use super::dto::{CreateHonor, HonorQuery, HonorView};
use super::store;
use crate::audit::Actor;
use crate::auth::permissions::{Permission, authorize};
use crate::auth::principal::Principal;
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

/// Honors of members in the caller's scope, newest year first.
#[utoipa::path(
    tag = "honors",
    params(HonorQuery, PageParams),
    responses((status = 200, body = Page<HonorView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/honors")]
pub async fn list_honors(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<HonorQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::HonorsRead)?;
    let mut conn = state.pool.get().await?;
    let (items, total) = store::list_honors(&mut conn, &auth, &q, &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// One honor, if its member is in the caller's scope.
#[utoipa::path(
    tag = "honors",
    params(("id" = i64, Path)),
    responses((status = 200, body = HonorView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/honors/{id}")]
pub async fn get_honor(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::HonorsRead)?;
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(store::get_honor(&mut conn, &auth, id.into_inner()).await?))
}

/// Records an honor (荣誉) of a member in the caller's scope.
#[utoipa::path(
    tag = "honors",
    request_body = CreateHonor,
    responses(
        (status = 201, body = HonorView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "honor_exists", body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/honors")]
pub async fn create_honor(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    ValidJson(body): ValidJson<CreateHonor>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::HonorsWrite)?;
    let body = body.take()?;
    let mut conn = state.pool.get().await?;
    let honor = store::create_honor(&mut conn, &auth, &body, &Actor::new(&principal, &ctx)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/honors/{}", honor.id))).json(honor))
}

/// Removes an honor recorded by mistake (the audit log keeps it).
#[utoipa::path(
    tag = "honors",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[delete("/honors/{id}")]
pub async fn delete_honor(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::HonorsWrite)?;
    let mut conn = state.pool.get().await?;
    store::delete_honor(&mut conn, &auth, id.into_inner(), &Actor::new(&principal, &ctx)).await?;
    Ok(HttpResponse::NoContent().finish())
}
