//! `/users`: administrative accounts and their role grants (system_admin).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use crate::audit::Actor;
use crate::auth::dto::{CreateUser, CreatedUser, GrantInput, UpdateUser, UserStatus, UserView};
use crate::auth::password;
use crate::auth::permissions::{Permission, Role, authorize};
use crate::auth::principal::Principal;
use crate::auth::users::store as users_store;
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of the username or display name.
    #[validate(length(min = 1, max = 64))]
    #[param(min_length = 1, max_length = 64)]
    pub q: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
}

async fn hash(state: &AppState, password: String) -> Result<String, ApiError> {
    let permit = password::slot(state).await?;
    web::block(move || {
        let _permit = permit;
        password::hash_password(&password)
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("hashing: {e}")))?
    .map_err(ApiError::Internal)
}

/// Administrative and member accounts with their role grants.
#[utoipa::path(
    tag = "users",
    params(UserQuery, PageParams),
    responses((status = 200, body = Page<UserView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<UserQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::UsersManage)?;
    let mut conn = state.pool.get().await?;
    let filter = users_store::UserFilter { q: q.q, role: q.role, status: q.status };
    let (items, total) = users_store::list(&mut conn, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// Creates an account. Without `password`, one is generated and returned once.
#[utoipa::path(
    tag = "users",
    request_body = CreateUser,
    responses(
        (status = 201, body = CreatedUser),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "username_taken / member_already_has_user", body = Problem),
        (status = 422, body = Problem),
        (status = 429, description = "every password-hashing slot is busy: retry after `Retry-After` seconds", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    ValidJson(body): ValidJson<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::UsersManage)?;
    let body = body.take()?;
    let (password, generated) = match &body.password {
        Some(p) => (p.clone(), None),
        None => {
            let p = password::generate_password();
            (p.clone(), Some(p))
        }
    };
    let hashed = hash(&state, password).await?;
    let mut conn = state.pool.get().await?;
    let user = users_store::create(&mut conn, &body, hashed, &Actor::new(&principal, &ctx)).await?;
    let mut res = HttpResponse::Created();
    with_etag(&mut res, user.version);
    res.insert_header(("Location", format!("/api/v1/users/{}", user.id)));
    Ok(res.json(CreatedUser { user, initial_password: generated }))
}

/// One account with its role grants.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path)),
    responses((status = 200, body = UserView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::UsersManage)?;
    let mut conn = state.pool.get().await?;
    let user = users_store::get(&mut conn, id.into_inner()).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), user.version).json(user))
}

/// Renames, disables/re-enables or sets a new password. Disabling or a new password ends
/// the user's sessions. Send `If-Match` with the ETag to avoid overwriting a concurrent change.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateUser,
    responses(
        (status = 200, body = UserView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 429, description = "every password-hashing slot is busy (only when a new password is set)", body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
    ValidJson(body): ValidJson<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::UsersManage)?;
    let id = id.into_inner();
    // The user first (404), then the body's type (415); a connection only when it is refused.
    let body = body
        .after(async {
            let mut conn = state.pool.get().await?;
            users_store::get(&mut conn, id).await
        })
        .await?;
    let hashed = match &body.password {
        Some(p) => Some(hash(&state, p.clone()).await?),
        None => None,
    };
    let mut conn = state.pool.get().await?;
    let actor = Actor::new(&principal, &ctx);
    let user = users_store::update(&mut conn, id, &body, hashed, if_match, &actor).await;
    // Committed (or not changed at all): this instance drops the principal now, the others
    // when the database's notification reaches them.
    state.auth_cache.principals.evict_user(id);
    let user = user?;
    Ok(with_etag(&mut HttpResponse::Ok(), user.version).json(user))
}

/// Deletes an account (kept, marked deleted, for the audit trail); its tokens stop working.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []))
)]
#[delete("/users/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::UsersManage)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let deleted = users_store::delete(&mut conn, id, &Actor::new(&principal, &ctx)).await;
    state.auth_cache.principals.evict_user(id);
    deleted?;
    Ok(HttpResponse::NoContent().finish())
}

/// Grants a role; unit_admin needs `unit_id`, other roles take none.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path)),
    request_body = GrantInput,
    responses(
        (status = 201, body = UserView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "role_already_granted", body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/users/{id}/grants")]
pub async fn add_grant(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<GrantInput>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::UsersManage)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let body = body.after(users_store::get(&mut conn, id)).await?;
    let user = users_store::add_grant(&mut conn, id, &body, &Actor::new(&principal, &ctx)).await;
    state.auth_cache.principals.evict_user(id);
    let user = user?;
    Ok(HttpResponse::Created().json(user))
}

/// Removes one role grant from an account (takes effect on the next request).
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path), ("grant_id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[delete("/users/{id}/grants/{grant_id}")]
pub async fn remove_grant(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::UsersManage)?;
    let (user_id, grant_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let removed = users_store::remove_grant(&mut conn, user_id, grant_id, &Actor::new(&principal, &ctx)).await;
    state.auth_cache.principals.evict_user(user_id);
    removed?;
    Ok(HttpResponse::NoContent().finish())
}
