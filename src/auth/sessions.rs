//! Refresh tokens: random, stored only as SHA-256 hashes, rotated on every use.
//! Tokens descend in families from one login; presenting an already-rotated token means
//! it was stolen or replayed, and revokes the whole family.

use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::crypto::{random_token, sha256};
use crate::error::ApiError;
use crate::schema::refresh_tokens as rt;

/// Starts a new family (a login) or continues one (a rotation); returns the token.
pub async fn issue(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    family: Option<Uuid>,
    ttl: std::time::Duration,
) -> Result<String, ApiError> {
    let token = random_token(32);
    let expires = Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
    diesel::insert_into(rt::table)
        .values((
            rt::user_id.eq(user_id),
            rt::family_id.eq(family.unwrap_or_else(Uuid::new_v4)),
            rt::token_hash.eq(sha256(token.as_bytes())),
            rt::expires_at.eq(expires),
        ))
        .execute(conn)
        .await?;
    Ok(token)
}

/// What a presented refresh token turned out to be.
enum Presented {
    Valid { id: i64, user_id: i64, family: Uuid },
    Reused { family: Uuid },
    Invalid,
}

type TokenRow = (i64, i64, Uuid, DateTime<Utc>, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

async fn inspect(conn: &mut AsyncPgConnection, token: &str) -> Result<Presented, ApiError> {
    let row: Option<TokenRow> = rt::table
        .filter(rt::token_hash.eq(sha256(token.as_bytes())))
        .select((rt::id, rt::user_id, rt::family_id, rt::expires_at, rt::rotated_at, rt::revoked_at))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Ok(match row {
        None => Presented::Invalid,
        Some((_, _, family, _, Some(_), None)) => Presented::Reused { family },
        Some((id, user_id, family, expires, None, None)) if expires > Utc::now() => {
            Presented::Valid { id, user_id, family }
        }
        Some(_) => Presented::Invalid,
    })
}

/// Exchanges a refresh token for a new one in the same family; returns (user id, token).
pub async fn rotate(
    conn: &mut AsyncPgConnection,
    token: &str,
    ttl: std::time::Duration,
) -> Result<(i64, String), ApiError> {
    let token = token.to_owned();
    let outcome = conn
        .transaction::<_, ApiError, _>(async |conn| match inspect(conn, &token).await? {
            Presented::Valid { id, user_id, family } => {
                diesel::update(rt::table.filter(rt::id.eq(id)))
                    .set(rt::rotated_at.eq(Utc::now()))
                    .execute(conn)
                    .await?;
                let next = issue(conn, user_id, Some(family), ttl).await?;
                Ok(Ok((user_id, next)))
            }
            Presented::Reused { family } => {
                revoke_family_id(conn, family).await?;
                tracing::warn!(family = %family, "refresh token reuse: family revoked");
                Ok(Err(ApiError::Unauthenticated("invalid_refresh_token")))
            }
            Presented::Invalid => Ok(Err(ApiError::Unauthenticated("invalid_refresh_token"))),
        })
        .await?;
    // The revocation above commits even though the caller gets an error.
    outcome
}

/// Logout: revokes the family of the presented token (unknown tokens are ignored).
pub async fn revoke(conn: &mut AsyncPgConnection, token: &str) -> Result<(), ApiError> {
    let family: Option<Uuid> = rt::table
        .filter(rt::token_hash.eq(sha256(token.as_bytes())))
        .select(rt::family_id)
        .first(conn)
        .await
        .optional()?;
    if let Some(family) = family {
        revoke_family_id(conn, family).await?;
    }
    Ok(())
}

async fn revoke_family_id(conn: &mut AsyncPgConnection, family: Uuid) -> Result<(), ApiError> {
    diesel::update(rt::table.filter(rt::family_id.eq(family)).filter(rt::revoked_at.is_null()))
        .set(rt::revoked_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Revokes every refresh token of a user (disabled or deleted accounts, password change).
pub async fn revoke_all_for_user(conn: &mut AsyncPgConnection, user_id: i64) -> Result<(), ApiError> {
    diesel::update(rt::table.filter(rt::user_id.eq(user_id)).filter(rt::revoked_at.is_null()))
        .set(rt::revoked_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    Ok(())
}
