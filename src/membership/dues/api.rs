//! `/dues`: monthly dues payments (会费), reached through the member's unit scope.

use actix_web::{HttpResponse, get, post, web};

use super::dto::{CreateDues, DuesQuery, DuesView};
use super::store;
use crate::audit::Actor;
use crate::auth::permissions::{Permission, authorize};
use crate::auth::principal::Principal;
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

/// Dues payments of members in the caller's scope, newest month first.
#[utoipa::path(
    tag = "dues",
    params(DuesQuery, PageParams),
    responses((status = 200, body = Page<DuesView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/dues")]
pub async fn list_dues(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<DuesQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::DuesRead)?;
    let mut conn = state.pool.get().await?;
    let (items, total) = store::list_dues(&mut conn, &auth, &q, &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// Records one month's dues for a member (one record per member and month).
#[utoipa::path(
    tag = "dues",
    request_body = CreateDues,
    responses(
        (status = 201, body = DuesView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "dues_already_recorded", body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/dues")]
pub async fn create_dues(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    ValidJson(body): ValidJson<CreateDues>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::DuesWrite)?;
    let body = body.take()?;
    let mut conn = state.pool.get().await?;
    let dues = store::create_dues(&mut conn, &auth, &body, &Actor::new(&principal, &ctx)).await?;
    Ok(HttpResponse::Created().json(dues))
}
