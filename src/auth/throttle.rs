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
