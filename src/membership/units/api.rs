//! `/units`: the organisation tree.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use crate::audit::Actor;
use crate::auth::permissions::{Permission, authorize};
use crate::auth::principal::Principal;
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::pagination::{Page, PageParams};
use crate::membership::types::UnitKind;
use crate::membership::units::dto::{CreateUnit, UnitNode, UnitView, UpdateUnit};
use crate::membership::units::store as units_store;
use crate::membership::units::store::UnitFilter;
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// Direct children of this unit.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub parent_id: Option<i64>,
    pub kind: Option<UnitKind>,
    /// Part of the name.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
}

/// Units in the caller's scope (unit admins: their unit and below), ordered by tree path.
#[utoipa::path(
    tag = "units",
    params(UnitQuery, PageParams),
    responses((status = 200, body = Page<UnitView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/units")]
pub async fn list_units(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<UnitQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::UnitsRead)?;
    let mut conn = state.pool.get().await?;
    let filter = UnitFilter { parent_id: q.parent_id, kind: q.kind, q: q.q };
    let (items, total) = units_store::list(&mut conn, &auth, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// The units in scope as a tree (bounded by the size of the organisation, so not paginated).
#[utoipa::path(
    tag = "units",
    responses((status = 200, body = Vec<UnitNode>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []))
)]
#[get("/units/tree")]
pub async fn unit_tree(state: web::Data<AppState>, principal: Principal) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::UnitsRead)?;
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(units_store::tree(&mut conn, &auth).await?))
}

/// One unit of the union tree, if it lies in the caller's scope.
#[utoipa::path(
    tag = "units",
    params(("id" = i64, Path)),
    responses((status = 200, body = UnitView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/units/{id:[0-9]+}")]
pub async fn get_unit(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::UnitsRead)?;
    let mut conn = state.pool.get().await?;
    let unit = units_store::get(&mut conn, &auth, id.into_inner()).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), unit.version).json(unit))
}

/// Creates a secondary union or a group (or the school union, once).
#[utoipa::path(
    tag = "units",
    request_body = CreateUnit,
    responses(
        (status = 201, body = UnitView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "unit_name_taken / unit_code_taken / root_unit_exists / unit_kind_misplaced", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/units")]
pub async fn create_unit(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    ValidJson(body): ValidJson<CreateUnit>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::UnitsWrite)?;
    let body = body.take()?;
    let mut conn = state.pool.get().await?;
    let unit = units_store::create(&mut conn, &auth, &body, &Actor::new(&principal, &ctx)).await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/units/{}", unit.id)));
    Ok(with_etag(&mut res, unit.version).json(unit))
}

/// Renames or moves a unit. Moving under itself or a descendant is 409 `unit_cycle`.
#[utoipa::path(
    tag = "units",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateUnit,
    responses(
        (status = 200, body = UnitView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/units/{id:[0-9]+}")]
pub async fn update_unit(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
    ValidJson(body): ValidJson<UpdateUnit>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::UnitsWrite)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let body = body.after(units_store::get(&mut conn, &auth, id)).await?;
    let actor = Actor::new(&principal, &ctx);
    let unit = units_store::update(&mut conn, &auth, id, &body, if_match, &actor).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), unit.version).json(unit))
}
