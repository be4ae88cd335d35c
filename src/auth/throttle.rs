//! Login throttling shared by all instances: failed attempts are rows in
//! `login_failures`, counted per username and per client IP in a sliding window.
//! Over the limit, logins answer 429 with `Retry-After` until the oldest failure in
//! the window ages out. A success clears the username's failures.

use std::time::Duration;

use chrono::Utc;
use diesel::dsl::{count_star, min};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::error::ApiError;
use crate::schema::login_failures as lf;

pub struct Limits {
    pub per_user: i64,
    pub per_ip: i64,
    pub window: Duration,
}

pub fn user_key(username: &str) -> String {
    format!("user:{}", username.to_lowercase())
}

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// 429 when either key has reached its limit inside the window.
pub async fn check(conn: &mut AsyncPgConnection, keys: &[(String, i64)], window: Duration) -> Result<(), ApiError> {
    let since = Utc::now() - chrono::Duration::from_std(window).unwrap_or_default();
    for (key, limit) in keys {
        let (count, oldest): (i64, Option<chrono::DateTime<Utc>>) = lf::table
            .filter(lf::key.eq(key))
            .filter(lf::at.gt(since))
            .select((count_star(), min(lf::at)))
            .first(conn)
            .await?;
        if count >= *limit {
            let retry = oldest.map(|o| retry_after_secs(o, since)).unwrap_or(window.as_secs());
            return Err(ApiError::TooManyRequests(retry.max(1)));
        }
    }
    Ok(())
}

/// Reserves one attempt under every key before the password is checked, so that parallel
/// guesses cannot all pass [`check`] before any of them is recorded: a failure row is
/// written first, then counted with the others. Over a limit, the reservation is withdrawn
/// (a refused attempt does not extend the lockout) and the answer is 429. Otherwise the
/// returned rows stand as the attempt's failure record until [`release`] withdraws them.
pub async fn reserve(
    conn: &mut AsyncPgConnection,
    keys: &[(String, i64)],
    window: Duration,
) -> Result<Vec<i64>, ApiError> {
    let rows: Vec<_> = keys.iter().map(|(k, _)| lf::key.eq(k)).collect();
    let ids: Vec<i64> = diesel::insert_into(lf::table).values(rows).returning(lf::id).get_results(conn).await?;
    let since = Utc::now() - chrono::Duration::from_std(window).unwrap_or_default();
    for (key, limit) in keys {
        let (count, oldest): (i64, Option<chrono::DateTime<Utc>>) = lf::table
            .filter(lf::key.eq(key))
            .filter(lf::at.gt(since))
            .select((count_star(), min(lf::at)))
            .first(conn)
            .await?;
        // The count includes this attempt's own row.
        if count > *limit {
            release(conn, &ids).await?;
            let retry = oldest.map(|o| retry_after_secs(o, since)).unwrap_or(window.as_secs());
            return Err(ApiError::TooManyRequests(retry.max(1)));
        }
    }
    // Keep the table small: anything older than a day is no longer counted by any window.
    diesel::delete(lf::table.filter(lf::at.lt(Utc::now() - chrono::Duration::days(1)))).execute(conn).await?;
    Ok(ids)
}

/// Withdraws reserved attempts (the login succeeded, or was refused before any check).
pub async fn release(conn: &mut AsyncPgConnection, ids: &[i64]) -> Result<(), ApiError> {
    diesel::delete(lf::table.filter(lf::id.eq_any(ids))).execute(conn).await?;
    Ok(())
}

/// Seconds until the oldest failure leaves the window.
fn retry_after_secs(oldest: chrono::DateTime<Utc>, window_start: chrono::DateTime<Utc>) -> u64 {
    (oldest - window_start).num_seconds().max(1) as u64
}

pub async fn record_failure(conn: &mut AsyncPgConnection, keys: &[String]) -> Result<(), ApiError> {
    let rows: Vec<_> = keys.iter().map(|k| lf::key.eq(k)).collect();
    diesel::insert_into(lf::table).values(rows).execute(conn).await?;
    // Keep the table small: anything older than a day is no longer counted by any window.
    diesel::delete(lf::table.filter(lf::at.lt(Utc::now() - chrono::Duration::days(1)))).execute(conn).await?;
    Ok(())
}

pub async fn clear(conn: &mut AsyncPgConnection, key: &str) -> Result<(), ApiError> {
    diesel::delete(lf::table.filter(lf::key.eq(key))).execute(conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_counts_down_to_the_oldest_failure() {
        let start = Utc::now();
        assert_eq!(retry_after_secs(start + chrono::Duration::seconds(90), start), 90);
        assert_eq!(retry_after_secs(start, start), 1);
        assert_eq!(user_key("Admin"), "user:admin");
    }
}
