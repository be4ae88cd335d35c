//! Accounts of members who sign in through CAS or WeChat rather than with a password.
//!
//! A member has at most one account (`users.member_id` is unique). The first time a member
//! signs in through an identity provider, [`user_for_member`] creates it: username
//! `m-<staff number>`, no password (so password login is impossible), no role grants (every
//! account bound to a member acts as that member). An administrative account already bound
//! to the member is returned as it is, with its grants.

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::audit::{self, Actor};
use crate::auth::users::store as users_store;
use crate::error::ApiError;
use crate::schema::{members, users};

/// Longest username the `users` table accepts.
const MAX_USERNAME: usize = 64;
const MAX_DISPLAY_NAME: usize = 100;

/// `m-<staff_no>`, lowercased, with anything outside `[a-z0-9_.-]` replaced by `-`;
/// `suffix` (the member id) disambiguates when another account already holds the name.
pub fn username_for(staff_no: &str, suffix: Option<i64>) -> String {
    let cleaned: String = staff_no
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-') { c } else { '-' })
        .collect();
    let tail = suffix.map(|s| format!("-{s}")).unwrap_or_default();
    let room = MAX_USERNAME - 2 - tail.len();
    let body: String = cleaned.chars().take(room).collect();
    format!("m-{body}{tail}")
}

/// The users.id of the account bound to `member_id`, created on first use (audit
/// `user.create`). 404 when there is no such member; 409 `member_not_active` when the
/// member has left; 403 `account_disabled` when the bound account was disabled or deleted
/// by an administrator (a new one is not created behind their back).
///
/// Safe under concurrency: two first sign-ins of the same member race on the
/// `users_member_id_key` unique index; the loser reads the winner's row.
pub async fn user_for_member(conn: &mut AsyncPgConnection, member_id: i64, actor: &Actor) -> Result<i64, ApiError> {
    let member: Option<(String, String, String)> = members::table
        .filter(members::id.eq(member_id))
        .select((members::staff_no, members::name, members::status))
        .first(conn)
        .await
        .optional()?;
    let Some((staff_no, name, status)) = member else { return Err(ApiError::NotFound) };
    if status != "active" {
        return Err(ApiError::Conflict("member_not_active"));
    }
    let display_name: String = name.trim().chars().take(MAX_DISPLAY_NAME).collect();
    let mut suffix = None;
    for _ in 0..4 {
        if let Some(id) = existing(conn, member_id).await? {
            return Ok(id);
        }
        let username = username_for(&staff_no, suffix);
        // A savepoint when the caller is inside a transaction: a unique violation here does
        // not abort the caller's transaction.
        let created = conn
            .transaction::<_, ApiError, _>(async |conn| {
                let id: i64 = diesel::insert_into(users::table)
                    .values((
                        users::username.eq(&username),
                        users::display_name.eq(&display_name),
                        users::member_id.eq(Some(member_id)),
                        users::status.eq("active"),
                    ))
                    .returning(users::id)
                    .get_result(conn)
                    .await?;
                let view = users_store::get(conn, id).await?;
                audit::record(conn, actor, "user.create", "user", id, audit::NONE, Some(&view)).await?;
                Ok(id)
            })
            .await;
        match created {
            Ok(id) => {
                tracing::info!(user_id = id, member_id, "member account created");
                return Ok(id);
            }
            // Someone else created this member's account meanwhile: read it on the next turn.
            Err(ApiError::Conflict("member_already_has_user")) => continue,
            // Another account holds `m-<staff_no>`: disambiguate with the member id.
            Err(ApiError::Conflict("username_taken")) => suffix = Some(member_id),
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::Conflict("concurrent_update"))
}

/// The account bound to the member; refuses a disabled or deleted one.
async fn existing(conn: &mut AsyncPgConnection, member_id: i64) -> Result<Option<i64>, ApiError> {
    let row: Option<(i64, String)> = users::table
        .filter(users::member_id.eq(member_id))
        .select((users::id, users::status))
        .first(conn)
        .await
        .optional()?;
    match row {
        Some((id, status)) if status == "active" => Ok(Some(id)),
        Some(_) => Err(ApiError::Refused("account_disabled")),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_valid_for_the_users_table() {
        assert_eq!(username_for("T2001", None), "m-t2001");
        assert_eq!(username_for(" JS/2019 01 ", None), "m-js-2019-01");
        assert_eq!(username_for("张三01", None), "m---01");
        assert_eq!(username_for("a_b.c-d", Some(42)), "m-a_b.c-d-42");
        let long = "X".repeat(200);
        assert_eq!(username_for(&long, None).len(), MAX_USERNAME);
        let with_suffix = username_for(&long, Some(1234567));
        assert_eq!(with_suffix.len(), MAX_USERNAME);
        assert!(with_suffix.ends_with("-1234567"));
        for u in [username_for("T2001", None), with_suffix, username_for("!", None)] {
            assert!(
                u.len() >= 3 && u.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c))
            );
        }
    }
}
