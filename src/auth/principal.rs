//! The authenticated caller, extracted from `Authorization: Bearer <jwt>`.
//!
//! The token proves who the caller is; the user's status and role grants (or the API
//! client's status and scopes) come from the database. Both steps are cached
//! (`auth::cache`): a verified token until its expiry, a loaded principal until a database
//! trigger says the user, a grant, a unit's path or the client changed — so disabling a
//! user, revoking a role or revoking a client takes effect at once (within the milliseconds
//! a notification takes; see `auth::cache` for the exact rules), and a request served from
//! the caches costs no database round trip before its handler.

use actix_web::{HttpRequest, http::header};
use diesel::{ExpressionMethods, JoinOnDsl, NullableExpressionMethods, QueryDsl};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::auth::permissions::{ClientScope, Role};
use crate::error::ApiError;
use crate::kernel::ids::{ClientId, MemberId, UnitId, UserId};
use crate::schema::{role_grants, units, users};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub unit_id: Option<UnitId>,
    /// Materialised path of the granted unit, for unit-scoped roles.
    pub unit_path: Option<String>,
}

/// An API client acting through a client-credentials token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRef {
    pub id: ClientId,
    pub client_id: String,
}

#[derive(Debug, Clone)]
pub struct Principal {
    /// The administrative or member account; `None` for API clients.
    pub user_id: Option<UserId>,
    /// The API client; `None` for users.
    pub client: Option<ClientRef>,
    /// Username, or the client's name.
    pub username: String,
    pub display_name: String,
    pub member_id: Option<MemberId>,
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

/// Loads an active user and their grants from the database (never from the cache: the
/// refresh endpoint relies on that); `None` when absent, disabled or deleted.
pub async fn load_user(conn: &mut AsyncPgConnection, user_id: i64) -> Result<Option<Principal>, ApiError> {
    let user: Option<(UserId, String, String, Option<MemberId>)> = users::table
        .filter(users::id.eq(user_id))
        .filter(users::status.eq("active"))
        .select((users::id, users::username, users::display_name, users::member_id))
        .first(conn)
        .await
        .map(Some)
        .or_else(|e| if e == diesel::result::Error::NotFound { Ok(None) } else { Err(e) })?;
    let Some((user_id, username, display_name, member_id)) = user else { return Ok(None) };
    let rows: Vec<(Role, Option<UnitId>, Option<String>)> = role_grants::table
        .left_join(units::table.on(units::id.nullable().eq(role_grants::unit_id)))
        .filter(role_grants::user_id.eq(user_id))
        .select((role_grants::role, role_grants::unit_id, units::path.nullable()))
        .load(conn)
        .await?;
    let mut grants: Vec<Grant> =
        rows.into_iter().map(|(role, unit_id, unit_path)| Grant { role, unit_id, unit_path }).collect();
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
