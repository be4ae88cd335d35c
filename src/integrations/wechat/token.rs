//! The mini-program's access token, shared by every instance through `wechat_access_tokens`.
//!
//! Rules: the token is read from the database and used until 5 minutes before it expires;
//! it is then refreshed through `stable_token` by one instance at a time — the refresher
//! holds `SELECT … FOR UPDATE` on the appid's row (inserted first when absent) and re-checks
//! the expiry once it has the lock, so instances that queued behind it use its token
//! instead of refreshing again. An API call answered 40001/42001 (token revoked, e.g. by a
//! refresh elsewhere) forces one refresh and is retried once. The token is stored encrypted.

use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::config::{Config, WechatConfig};
use crate::db::DbPool;
use crate::error::ApiError;
use crate::integrations::wechat::client::{self, WechatError};
use crate::schema::wechat_access_tokens as wat;

/// A token expiring within this margin is refreshed before use.
pub const REFRESH_MARGIN_SECS: i64 = 300;
/// WeChat allows a forced refresh at most every 30 seconds.
const FORCE_MIN_INTERVAL_SECS: i64 = 30;

/// What the WeChat calls need: the pool, the HTTP client and the configuration
/// (both `AppState` and the job context have them).
#[derive(Clone, Copy)]
pub struct Wechat<'a> {
    pub pool: &'a DbPool,
    pub http: &'a reqwest::Client,
    pub config: &'a Config,
    pub wx: &'a WechatConfig,
}

impl<'a> Wechat<'a> {
    /// `None` when WeChat is not configured.
    pub fn new(pool: &'a DbPool, http: &'a reqwest::Client, config: &'a Config) -> Option<Self> {
        config.wechat.as_ref().map(|wx| Wechat { pool, http, config, wx })
    }
}

/// Failures of token-using calls: the database, or WeChat.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Db(#[from] ApiError),
    #[error(transparent)]
    Wechat(#[from] WechatError),
}

impl From<diesel::result::Error> for CallError {
    fn from(e: diesel::result::Error) -> Self {
        CallError::Db(ApiError::from(e))
    }
}

impl CallError {
    pub fn into_api(self) -> ApiError {
        match self {
            CallError::Db(e) => e,
            CallError::Wechat(e) => client::api_error(&e),
        }
    }
}

/// Is a stored token usable at `now`?
pub fn is_fresh(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    expires_at.is_some_and(|e| e - chrono::Duration::seconds(REFRESH_MARGIN_SECS) > now)
}

type Row = (Option<Vec<u8>>, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

async fn stored(conn: &mut AsyncPgConnection, appid: &str, lock: bool) -> Result<Option<Row>, ApiError> {
    let q = wat::table.filter(wat::appid.eq(appid)).select((wat::token_cipher, wat::expires_at, wat::refreshed_at));
    let row = if lock { q.for_update().first(conn).await.optional()? } else { q.first(conn).await.optional()? };
    Ok(row)
}

/// The current access token: cached, refreshed when missing or about to expire.
pub async fn access_token(wc: Wechat<'_>) -> Result<String, CallError> {
    {
        let mut conn = wc.pool.get().await.map_err(ApiError::from)?;
        if let Some((Some(cipher), expires_at, _)) = stored(&mut conn, &wc.wx.appid, false).await?
            && is_fresh(expires_at, Utc::now())
            && let Some(token) = wc.config.encryption_key.decrypt(&cipher)
        {
            return Ok(token);
        }
    }
    refresh(wc, None).await
}

/// Refreshes under the row lock. `rejected` is a token WeChat just refused (40001): unless
/// another instance has already replaced it, a new one is fetched (forced when the normal
/// mode returns the refused token again).
pub async fn refresh(wc: Wechat<'_>, rejected: Option<&str>) -> Result<String, CallError> {
    let mut conn = wc.pool.get().await.map_err(ApiError::from)?;
    let appid = wc.wx.appid.clone();
    let rejected = rejected.map(str::to_owned);
    conn.transaction::<String, CallError, _>(async |conn| {
        diesel::insert_into(wat::table)
            .values(wat::appid.eq(&appid))
            .on_conflict(wat::appid)
            .do_nothing()
            .execute(conn)
            .await
            .map_err(ApiError::from)?;
        let (cipher, expires_at, refreshed_at) = stored(conn, &appid, true).await?.ok_or(ApiError::NotFound)?;
        let now = Utc::now();
        let current = cipher.and_then(|c| wc.config.encryption_key.decrypt(&c));
        // Someone refreshed while we waited for the lock (or the token is still good).
        if let Some(token) = &current
            && is_fresh(expires_at, now)
            && rejected.as_deref() != Some(token.as_str())
        {
            return Ok(token.clone());
        }
        // The normal mode returns the current stable token — a new one when another party
        // force-refreshed. Only when WeChat hands back the very token it refused is a forced
        // refresh (limited: 20 a day, 30 s apart) worth spending.
        let mut fresh = client::stable_token(wc.http, wc.wx, false).await?;
        let recently = refreshed_at.is_some_and(|r| now - r < chrono::Duration::seconds(FORCE_MIN_INTERVAL_SECS));
        let force = rejected.as_deref() == Some(fresh.token.as_str()) && !recently;
        if force {
            fresh = client::stable_token(wc.http, wc.wx, true).await?;
        }
        let expires = now + chrono::Duration::seconds(fresh.expires_in);
        diesel::update(wat::table.filter(wat::appid.eq(&appid)))
            .set((
                wat::token_cipher.eq(wc.config.encryption_key.encrypt(&fresh.token)),
                wat::expires_at.eq(expires),
                wat::refreshed_at.eq(now),
            ))
            .execute(conn)
            .await
            .map_err(ApiError::from)?;
        tracing::info!(force, expires_in = fresh.expires_in, "wechat access token refreshed");
        Ok(fresh.token)
    })
    .await
}

/// `POST {path}?access_token=…`: with the cached token, and once more with a refreshed one
/// when WeChat says the token is invalid.
pub async fn post(wc: Wechat<'_>, path: &str, body: &Value) -> Result<Value, CallError> {
    let token = access_token(wc).await?;
    match client::post_with_access_token(wc.http, wc.wx, path, &token, body).await {
        Err(e) if e.is_invalid_token() => {
            tracing::warn!(errcode = e.errcode(), "wechat refused the access token; refreshing once");
            let token = refresh(wc, Some(&token)).await?;
            Ok(client::post_with_access_token(wc.http, wc.wx, path, &token, body).await?)
        }
        other => Ok(other?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_refreshed_five_minutes_early() {
        let now = Utc::now();
        assert!(is_fresh(Some(now + chrono::Duration::seconds(301)), now));
        assert!(!is_fresh(Some(now + chrono::Duration::seconds(299)), now));
        assert!(!is_fresh(Some(now - chrono::Duration::seconds(1)), now));
        assert!(!is_fresh(None, now));
    }
}
