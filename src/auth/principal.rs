//! The authenticated caller, extracted from `Authorization: Bearer <jwt>`.
//!
//! The token proves who the caller is; the user's status and role grants (or the API
//! client's status and scopes) are read from the database on every request, so disabling a
//! user, revoking a role or revoking a client takes effect at once.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
use diesel::{ExpressionMethods, JoinOnDsl, NullableExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;

use crate::auth::permissions::{ClientScope, Role};
use crate::error::ApiError;
use crate::schema::{role_grants, units, users};
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub unit_id: Option<i64>,
    /// Materialised path of the granted unit, for unit-scoped roles.
    pub unit_path: Option<String>,
}

/// An API client acting through a client-credentials token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRef {
    pub id: i64,
    pub client_id: String,
}

#[derive(Debug, Clone)]
pub struct Principal {
    /// The administrative or member account; `None` for API clients.
    pub user_id: Option<i64>,
    /// The API client; `None` for users.
    pub client: Option<ClientRef>,
    /// Username, or the client's name.
    pub username: String,
    pub display_name: String,
    pub member_id: Option<i64>,
    pub grants: Vec<Grant>,
    /// Scopes of an API client's token (users have none).
    pub scopes: Vec<ClientScope>,
}

impl Principal {
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// How the audit log names this actor.
    pub fn label(&self) -> String {
        match (&self.client, self.user_id) {
            (Some(c), _) => format!("client:{}:{}", c.id, c.client_id),
            (None, Some(id)) => format!("user:{id}:{}", self.username),
            (None, None) => "anonymous".to_owned(),
        }
    }
}

/// The bearer token of a request, if any (`None` when absent; error when malformed).
pub fn bearer_token(req: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else { return Ok(None) };
    let value = value.to_str().map_err(|_| ApiError::Unauthenticated("invalid_token"))?;
    let mut parts = value.splitn(2, ' ');
    let scheme = parts.next().unwrap_or_default();
    let token = parts.next().unwrap_or_default().trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::Unauthenticated("invalid_token"));
    }
    Ok(Some(token))
}

/// Loads an active user and their grants; `None` when absent, disabled or deleted.
pub async fn load_principal(state: &AppState, user_id: i64) -> Result<Option<Principal>, ApiError> {
    let mut conn = state.pool.get().await?;
    let user: Option<(i64, String, String, Option<i64>)> = users::table
        .filter(users::id.eq(user_id))
        .filter(users::status.eq("active"))
        .select((users::id, users::username, users::display_name, users::member_id))
        .first(&mut conn)
        .await
        .map(Some)
        .or_else(|e| if e == diesel::result::Error::NotFound { Ok(None) } else { Err(e) })?;
    let Some((user_id, username, display_name, member_id)) = user else { return Ok(None) };
    let rows: Vec<(String, Option<i64>, Option<String>)> = role_grants::table
        .left_join(units::table.on(units::id.nullable().eq(role_grants::unit_id)))
        .filter(role_grants::user_id.eq(user_id))
        .select((role_grants::role, role_grants::unit_id, units::path.nullable()))
        .load(&mut conn)
        .await?;
    let mut grants: Vec<Grant> = rows
        .into_iter()
        .filter_map(|(role, unit_id, unit_path)| Some(Grant { role: Role::parse(&role)?, unit_id, unit_path }))
        .collect();
    // Every account bound to a member acts as that member too.
    if member_id.is_some() && !grants.iter().any(|g| g.role == Role::Member) {
        grants.push(Grant { role: Role::Member, unit_id: None, unit_path: None });
    }
    Ok(Some(Principal {
        user_id: Some(user_id),
        client: None,
        username,
        display_name,
        member_id,
        grants,
        scopes: Vec::new(),
    }))
}

async fn authenticate(req: HttpRequest) -> Result<Principal, ApiError> {
    if let Some(p) = req.extensions().get::<Principal>() {
        return Ok(p.clone());
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState missing")))?
        .clone();
    let token = bearer_token(&req)?.ok_or(ApiError::Unauthenticated("missing_token"))?;
    let principal = match state.tokens.verify_access(token) {
        Ok(claims) => {
            let user_id = claims.user_id().ok_or(ApiError::Unauthenticated("invalid_token"))?;
            tracing::Span::current().record("user_id", user_id);
            load_principal(&state, user_id).await?
        }
        // Not a user's access token: perhaps an API client's (its own audience).
        Err(_) => {
            let claims = state.tokens.verify_client(token).map_err(|_| ApiError::Unauthenticated("invalid_token"))?;
            crate::auth::clients::store::load_principal(&state, &claims).await?
        }
    };
    let principal = principal.ok_or(ApiError::Unauthenticated("invalid_token"))?;
    req.extensions_mut().insert(principal.clone());
    Ok(principal)
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}
