//! API clients (the integrated information system, dashboards): OAuth2 client
//! credentials. A secret is 32 random bytes, shown once and stored as its SHA-256 (a fast
//! hash suffices for a high-entropy secret); rotation replaces it, revocation ends every
//! token at once: the client's cached principal is evicted by notification (see `auth::cache`).

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, Queryable, Selectable, SelectableHelper};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::audit::{self, Actor};
use crate::auth::cache::PrincipalKey;
use crate::auth::dto::{ApiClientView, ClientStatus, CreateApiClient};
use crate::auth::permissions::ClientScope;
use crate::auth::principal::{ClientRef, Principal};
use crate::auth::tokens::ClientClaims;
use crate::crypto::{random_token, sha256};
use crate::error::ApiError;
use crate::http::pagination::PageParams;
use crate::kernel::ids::ClientId;
use crate::schema::api_clients as ac;
use crate::state::AppState;

/// An API client row. A stored scope or status the code does not know fails the query
/// (a corrupt row) rather than being dropped or read as "revoked".
#[derive(Queryable, Selectable)]
#[diesel(table_name = ac, check_for_backend(Pg))]
struct ClientRow {
    id: i64,
    client_id: String,
    name: String,
    scopes: Vec<Option<ClientScope>>,
    status: ClientStatus,
    last_used_at: Option<DateTime<Utc>>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

fn to_view(r: ClientRow) -> ApiClientView {
    ApiClientView {
        id: r.id,
        client_id: r.client_id,
        name: r.name,
        scopes: r.scopes.into_iter().flatten().collect(),
        status: r.status,
        last_used_at: r.last_used_at,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
        revoked_at: r.revoked_at,
    }
}

pub async fn get(conn: &mut AsyncPgConnection, id: i64) -> Result<ApiClientView, ApiError> {
    Ok(to_view(ac::table.filter(ac::id.eq(id)).select(ClientRow::as_select()).first(conn).await?))
}

pub async fn list(conn: &mut AsyncPgConnection, page: &PageParams) -> Result<(Vec<ApiClientView>, i64), ApiError> {
    let total: i64 = ac::table.count().get_result(conn).await?;
    let rows: Vec<ClientRow> = ac::table
        .order(ac::id)
        .limit(page.per_page())
        .offset(page.offset())
        .select(ClientRow::as_select())
        .load(conn)
        .await?;
    Ok((rows.into_iter().map(to_view).collect(), total))
}

/// A new secret: `ghs_` + 43 URL-safe characters (the prefix makes leaked secrets greppable).
fn new_secret() -> String {
    format!("ghs_{}", random_token(32))
}

/// Creates a client; returns it with its secret (shown once).
pub async fn create(
    conn: &mut AsyncPgConnection,
    input: &CreateApiClient,
    actor: &Actor,
) -> Result<(ApiClientView, String), ApiError> {
    let secret = new_secret();
    let client_id = format!("ghc_{}", random_token(12));
    let mut scopes: Vec<&str> = input.scopes.iter().map(|s| s.as_str()).collect();
    scopes.sort_unstable();
    scopes.dedup();
    conn.transaction::<_, ApiError, _>(async |conn| {
        let id: i64 = diesel::insert_into(ac::table)
            .values((
                ac::client_id.eq(&client_id),
                ac::name.eq(&input.name),
                ac::secret_hash.eq(sha256(secret.as_bytes())),
                ac::scopes.eq(&scopes),
                ac::created_by.eq(actor.user_id),
            ))
            .returning(ac::id)
            .get_result(conn)
            .await?;
        let view = get(conn, id).await?;
        audit::record(conn, actor, "api_client.create", "api_client", id, audit::NONE, Some(&view)).await?;
        Ok((view, secret.clone()))
    })
    .await
}

/// Replaces the secret of an active client; the old one stops working at once.
pub async fn rotate(conn: &mut AsyncPgConnection, id: i64, actor: &Actor) -> Result<(ApiClientView, String), ApiError> {
    let secret = new_secret();
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = get(conn, id).await?;
        if before.status == ClientStatus::Revoked {
            return Err(ApiError::Conflict("client_revoked"));
        }
        diesel::update(ac::table.filter(ac::id.eq(id)))
            .set((
                ac::secret_hash.eq(sha256(secret.as_bytes())),
                ac::version.eq(before.version + 1),
                ac::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        let after = get(conn, id).await?;
        audit::record(conn, actor, "api_client.rotate_secret", "api_client", id, Some(&before), Some(&after)).await?;
        Ok((after, secret.clone()))
    })
    .await
}

/// Revokes a client for good: its tokens stop working on their next use.
pub async fn revoke(conn: &mut AsyncPgConnection, id: i64, actor: &Actor) -> Result<ApiClientView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = get(conn, id).await?;
        if before.status == ClientStatus::Revoked {
            return Err(ApiError::Conflict("client_revoked"));
        }
        diesel::update(ac::table.filter(ac::id.eq(id)))
            .set((
                ac::status.eq("revoked"),
                ac::revoked_at.eq(Utc::now()),
                ac::version.eq(before.version + 1),
                ac::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        let after = get(conn, id).await?;
        audit::record(conn, actor, "api_client.revoke", "api_client", id, Some(&before), Some(&after)).await?;
        Ok(after)
    })
    .await
}

/// Checks client credentials; on success records the use and returns (id, scopes).
/// The comparison is of SHA-256 digests looked up by client id, so its timing says nothing
/// about the secret.
pub async fn authenticate(
    conn: &mut AsyncPgConnection,
    client_id: &str,
    secret: &str,
) -> Result<Option<(i64, Vec<ClientScope>)>, ApiError> {
    let row: Option<(i64, Vec<u8>, Vec<Option<ClientScope>>)> = ac::table
        .filter(ac::client_id.eq(client_id))
        .filter(ac::status.eq("active"))
        .select((ac::id, ac::secret_hash, ac::scopes))
        .first(conn)
        .await
        .optional()?;
    let Some((id, hash, scopes)) = row else { return Ok(None) };
    if !constant_time_eq(&hash, &sha256(secret.as_bytes())) {
        return Ok(None);
    }
    diesel::update(ac::table.filter(ac::id.eq(id))).set(ac::last_used_at.eq(Utc::now())).execute(conn).await?;
    Ok(Some((id, scopes.into_iter().flatten().collect())))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The principal of a client token: an active client, with the token's scopes that the
/// client still holds (a scope removed since issuance no longer counts). The client itself
/// comes through the principal cache (`auth::cache`; bypassed while its listener is down).
pub async fn load_principal(state: &AppState, claims: &ClientClaims) -> Result<Option<Principal>, ApiError> {
    let Some(id) = claims.client_id() else { return Ok(None) };
    let key = PrincipalKey::Client(id);
    let cache = &state.auth_cache.principals;
    let client = match cache.get(key) {
        Some(client) => Some(client),
        None => {
            let ticket = cache.ticket();
            let client = load_client(state, id).await?;
            if let (Some(ticket), Some(c)) = (ticket, &client) {
                cache.insert(key, c.clone(), ticket);
            }
            client
        }
    };
    Ok(client.map(|mut principal| {
        let held = std::mem::take(&mut principal.scopes);
        principal.scopes =
            claims.scope.split_whitespace().filter_map(ClientScope::parse).filter(|s| held.contains(s)).collect();
        principal
    }))
}

/// An active client as a principal whose `scopes` are all the scopes the client holds.
async fn load_client(state: &AppState, id: i64) -> Result<Option<Principal>, ApiError> {
    let mut conn = state.pool.get().await?;
    let row: Option<(String, String, Vec<Option<ClientScope>>)> = ac::table
        .filter(ac::id.eq(id))
        .filter(ac::status.eq("active"))
        .select((ac::client_id, ac::name, ac::scopes))
        .first(&mut conn)
        .await
        .optional()?;
    let Some((client_id, name, held)) = row else { return Ok(None) };
    Ok(Some(Principal {
        user_id: None,
        client: Some(ClientRef { id: ClientId(id), client_id }),
        username: name.clone(),
        display_name: name,
        member_id: None,
        grants: Vec::new(),
        scopes: held.into_iter().flatten().collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_prefixed() {
        let a = new_secret();
        assert!(a.starts_with("ghs_") && a.len() == 47, "{a}");
        assert_ne!(a, new_secret());
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
