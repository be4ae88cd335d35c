//! The `webhook.deliver` job: sends one delivery, signed, to the subscription's URL.
//!
//! Envelope: `{"id": <delivery id>, "event_id", "type", "created_at", "data"}`. Headers:
//! `X-Gonghui-Event`, `X-Gonghui-Delivery`, `X-Gonghui-Timestamp` (unix seconds, time of this
//! attempt) and `X-Gonghui-Signature: v1=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`.
//! 2xx = delivered; 410 = failed for good and the subscription is deactivated
//! (`disabled_reason = "gone"`); anything else, a timeout or a connection error is retried
//! with backoff and jitter until `GONGHUI_WEBHOOK_MAX_ATTEMPTS` attempts of this round are
//! spent (status `failed`). The URL is checked again before each attempt (DNS may have
//! changed); a refused URL fails the delivery for good. Delivery is at least once: a
//! receiver deduplicates by `X-Gonghui-Delivery`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::jobs::queue::ClaimedJob;
use crate::jobs::{JobContext, JobError, Registry};
use crate::webhooks::rules::{self, Outcome};
use crate::webhooks::store::{self, AttemptRecord, DELIVER};

pub fn register(r: &mut Registry) {
    r.register(DELIVER, |ctx: Arc<JobContext>, job: ClaimedJob| async move { deliver(&ctx, &job).await });
}

/// A client that connects to the checked addresses only (no second DNS lookup between the
/// check and the connection), with the settings of `outbound::client`.
fn pinned_client(config: &Config, host: &str, addrs: &[SocketAddr]) -> Result<reqwest::Client, JobError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(config.http_timeout)
        .connect_timeout(config.http_timeout.min(std::time::Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("gonghui-webhooks/", env!("CARGO_PKG_VERSION")))
        .resolve_to_addrs(host, addrs)
        .build()
        .map_err(|e| JobError::Retry(format!("http client: {e}")))
}

async fn deliver(ctx: &JobContext, job: &ClaimedJob) -> Result<(), JobError> {
    let Some(id) = job.payload.get("delivery_id").and_then(|v| v.as_i64()) else {
        return Err(JobError::Permanent("payload without delivery_id".into()));
    };
    let mut conn = ctx.pool.get().await.map_err(|e| JobError::Retry(e.to_string()))?;
    let Some(out) = store::load_for_sending(&mut conn, id).await? else {
        return Err(JobError::Permanent(format!("delivery {id} does not exist")));
    };
    let webhook_id = out.webhook_id;
    if out.status != "pending" {
        // Already delivered or given up (a duplicate job, or a lease taken over).
        return Ok(());
    }
    let target = store::target(&mut conn, webhook_id).await?;
    let Some((url, secret_cipher, true)) = target else {
        store::abandon(&mut conn, id, "subscription inactive or deleted").await?;
        return Err(JobError::Permanent("subscription inactive or deleted".into()));
    };
    let Some(secret) = ctx.config.encryption_key.decrypt(&secret_cipher) else {
        store::abandon(&mut conn, id, "signing secret cannot be decrypted").await?;
        return Err(JobError::Permanent("signing secret cannot be decrypted".into()));
    };
    // Release the connection during the HTTP call.
    drop(conn);

    let started = Instant::now();
    let last_try = job.attempts >= ctx.config.webhooks.max_attempts;
    let (url, addrs) = match rules::resolve_url(&url, &ctx.config.webhooks).await {
        Ok(checked) => checked,
        Err(refusal) => {
            let error = format!("url refused: {}", refusal.code());
            finish(ctx, id, None, started, Some(&error), "failed").await?;
            return Err(JobError::Permanent(error));
        }
    };
    let envelope = serde_json::json!({
        "id": id,
        "event_id": out.event_id,
        "type": out.event_type,
        "created_at": out.created_at,
        "data": out.data,
    });
    let body = serde_json::to_vec(&envelope).map_err(|e| JobError::Permanent(e.to_string()))?;
    let timestamp = chrono::Utc::now().timestamp();
    let signature = rules::signature(&secret, timestamp, &body);
    let client = pinned_client(&ctx.config, url.host_str().unwrap_or_default(), &addrs)?;
    let sent = client
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Gonghui-Event", &out.event_type)
        .header("X-Gonghui-Delivery", id.to_string())
        .header("X-Gonghui-Timestamp", timestamp.to_string())
        .header("X-Gonghui-Signature", signature)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(res) => {
            let code = res.status().as_u16();
            match rules::outcome(code) {
                Outcome::Delivered => {
                    finish(ctx, id, Some(code), started, None, "delivered").await?;
                    tracing::info!(delivery = id, status = code, "webhook delivered");
                    Ok(())
                }
                Outcome::Gone => {
                    finish(ctx, id, Some(code), started, Some("410 Gone: subscription deactivated"), "failed").await?;
                    let mut conn = ctx.pool.get().await.map_err(|e| JobError::Retry(e.to_string()))?;
                    store::deactivate_gone(&mut conn, webhook_id).await?;
                    Err(JobError::Permanent("receiver answered 410 Gone".into()))
                }
                Outcome::Retry => {
                    let error = format!("receiver answered {code}");
                    let next = if last_try { "failed" } else { "pending" };
                    finish(ctx, id, Some(code), started, Some(&error), next).await?;
                    Err(give_up_or_retry(last_try, error))
                }
            }
        }
        Err(e) => {
            let error = if e.is_timeout() {
                format!("timed out after {} ms", ctx.config.http_timeout.as_millis())
            } else if e.is_connect() {
                "connection failed".to_owned()
            } else {
                format!("request failed: {}", rules::truncate(&e.to_string(), 200))
            };
            let next = if last_try { "failed" } else { "pending" };
            finish(ctx, id, None, started, Some(&error), next).await?;
            Err(give_up_or_retry(last_try, error))
        }
    }
}

fn give_up_or_retry(last_try: bool, error: String) -> JobError {
    if last_try { JobError::Permanent(format!("{error}; out of attempts")) } else { JobError::Retry(error) }
}

async fn finish(
    ctx: &JobContext,
    id: i64,
    status_code: Option<u16>,
    started: Instant,
    error: Option<&str>,
    new_status: &str,
) -> Result<(), JobError> {
    let mut conn = ctx.pool.get().await.map_err(|e| JobError::Retry(e.to_string()))?;
    let record = AttemptRecord {
        delivery_id: id,
        status_code: status_code.map(i32::from),
        duration_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
        error,
        new_status,
    };
    store::record_attempt(&mut conn, &record).await?;
    Ok(())
}
