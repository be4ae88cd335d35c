//! Subscriptions, the event outbox, deliveries and attempts in the database.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::{
    ExpressionMethods, OptionalExtension, PgArrayExpressionMethods, QueryDsl, Queryable, Selectable, SelectableHelper,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::audit::{self, Actor};
use crate::error::ApiError;
use crate::http::etag::IfMatch;
use crate::http::pagination::PageParams;
use crate::jobs::{NewJob, enqueue};
use crate::schema::{webhook_attempts as wa, webhook_deliveries as wd, webhook_events as we, webhooks as wh};
use crate::webhooks::dto::{
    AttemptView, CreateWebhook, DeliveryDetail, DeliveryFilter, DeliveryStatus, DeliveryView, EventType, UpdateWebhook,
    WebhookView,
};

/// The job kind that sends one delivery.
pub const DELIVER: &str = "webhook.deliver";

/// A ceiling for the queue; the handler gives up earlier, after
/// `GONGHUI_WEBHOOK_MAX_ATTEMPTS` attempts of one round (read when it runs, so a changed
/// setting applies to deliveries already queued).
pub const JOB_ATTEMPT_CEILING: i32 = 100;

type WebhookRow =
    (i64, String, Option<String>, Vec<Option<String>>, bool, Option<String>, i32, DateTime<Utc>, DateTime<Utc>);

type WebhookColumns = (
    wh::id,
    wh::url,
    wh::description,
    wh::event_types,
    wh::active,
    wh::disabled_reason,
    wh::version,
    wh::created_at,
    wh::updated_at,
);

const WEBHOOK_COLUMNS: WebhookColumns = (
    wh::id,
    wh::url,
    wh::description,
    wh::event_types,
    wh::active,
    wh::disabled_reason,
    wh::version,
    wh::created_at,
    wh::updated_at,
);

fn to_view(r: WebhookRow) -> WebhookView {
    let (id, url, description, types, active, disabled_reason, version, created_at, updated_at) = r;
    WebhookView {
        id,
        url,
        description,
        event_types: types.into_iter().flatten().map(EventType).collect(),
        active,
        disabled_reason,
        version,
        created_at,
        updated_at,
    }
}

fn type_names(types: &[EventType]) -> Vec<&str> {
    let mut names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// A subscription that is not deleted.
pub async fn get(conn: &mut AsyncPgConnection, id: i64) -> Result<WebhookView, ApiError> {
    Ok(to_view(
        wh::table.filter(wh::id.eq(id)).filter(wh::deleted_at.is_null()).select(WEBHOOK_COLUMNS).first(conn).await?,
    ))
}

pub async fn list(conn: &mut AsyncPgConnection, page: &PageParams) -> Result<(Vec<WebhookView>, i64), ApiError> {
    let total: i64 = wh::table.filter(wh::deleted_at.is_null()).count().get_result(conn).await?;
    let rows: Vec<WebhookRow> = wh::table
        .filter(wh::deleted_at.is_null())
        .order(wh::id)
        .limit(page.per_page())
        .offset(page.offset())
        .select(WEBHOOK_COLUMNS)
        .load(conn)
        .await?;
    Ok((rows.into_iter().map(to_view).collect(), total))
}

/// Creates a subscription; `url` has been checked, `secret_cipher` is the encrypted secret.
pub async fn create(
    conn: &mut AsyncPgConnection,
    input: &CreateWebhook,
    url: &str,
    secret_cipher: Vec<u8>,
    actor: &Actor,
) -> Result<WebhookView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let id: i64 = diesel::insert_into(wh::table)
            .values((
                wh::url.eq(url),
                wh::description.eq(&input.description),
                wh::event_types.eq(type_names(&input.event_types)),
                wh::secret_cipher.eq(&secret_cipher),
                wh::created_by.eq(actor.user_id),
                wh::created_by_client.eq(actor.client_id),
            ))
            .returning(wh::id)
            .get_result(conn)
            .await?;
        let view = get(conn, id).await?;
        audit::record(conn, actor, "webhook.create", "webhook", id, audit::NONE, Some(&view)).await?;
        Ok(view)
    })
    .await
}

/// Changes url, event types, description or active; `url` (when given) has been checked.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: i64,
    input: &UpdateWebhook,
    url: Option<&str>,
    if_match: IfMatch,
    actor: &Actor,
) -> Result<WebhookView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        wh::table
            .filter(wh::id.eq(id))
            .filter(wh::deleted_at.is_null())
            .select(wh::id)
            .for_update()
            .first::<i64>(conn)
            .await?;
        let before = get(conn, id).await?;
        if_match.check(before.version)?;
        let reactivated = input.active == Some(true) && !before.active;
        diesel::update(wh::table.filter(wh::id.eq(id)))
            .set((
                url.map(|u| wh::url.eq(u)),
                input.event_types.as_ref().map(|t| wh::event_types.eq(type_names(t))),
                input.description.as_ref().map(|d| wh::description.eq(d)),
                input.active.map(|a| wh::active.eq(a)),
                wh::version.eq(before.version + 1),
                wh::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        if reactivated {
            diesel::update(wh::table.filter(wh::id.eq(id)))
                .set(wh::disabled_reason.eq(None::<String>))
                .execute(conn)
                .await?;
        }
        let after = get(conn, id).await?;
        audit::record(conn, actor, "webhook.update", "webhook", id, Some(&before), Some(&after)).await?;
        Ok(after)
    })
    .await
}

/// Replaces the signing secret (stored encrypted). Deliveries are signed when they are sent,
/// so pending retries carry the new signature.
pub async fn rotate_secret(
    conn: &mut AsyncPgConnection,
    id: i64,
    secret_cipher: Vec<u8>,
    actor: &Actor,
) -> Result<WebhookView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        wh::table
            .filter(wh::id.eq(id))
            .filter(wh::deleted_at.is_null())
            .select(wh::id)
            .for_update()
            .first::<i64>(conn)
            .await?;
        let before = get(conn, id).await?;
        diesel::update(wh::table.filter(wh::id.eq(id)))
            .set((
                wh::secret_cipher.eq(&secret_cipher),
                wh::version.eq(before.version + 1),
                wh::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        let after = get(conn, id).await?;
        // The snapshots never hold the secret (the view has none).
        audit::record(conn, actor, "webhook.rotate_secret", "webhook", id, Some(&before), Some(&after)).await?;
        Ok(after)
    })
    .await
}

/// Soft delete: the subscription becomes inactive and invisible; its pending deliveries
/// fail when their turn comes.
pub async fn delete(conn: &mut AsyncPgConnection, id: i64, actor: &Actor) -> Result<(), ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = get(conn, id).await?;
        diesel::update(wh::table.filter(wh::id.eq(id)))
            .set((
                wh::active.eq(false),
                wh::deleted_at.eq(Utc::now()),
                wh::version.eq(before.version + 1),
                wh::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        audit::record(conn, actor, "webhook.delete", "webhook", id, Some(&before), audit::NONE).await?;
        Ok(())
    })
    .await
}

/// The encrypted signing secret and URL of a subscription, with whether it may receive
/// deliveries (active and not deleted).
pub async fn target(conn: &mut AsyncPgConnection, id: i64) -> Result<Option<(String, Vec<u8>, bool)>, ApiError> {
    type TargetRow = (String, Vec<u8>, bool, Option<DateTime<Utc>>);
    let row: Option<TargetRow> = wh::table
        .filter(wh::id.eq(id))
        .select((wh::url, wh::secret_cipher, wh::active, wh::deleted_at))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(url, secret, active, deleted)| (url, secret, active && deleted.is_none())))
}

/// Deactivates a subscription whose receiver answered 410 Gone.
pub async fn deactivate_gone(conn: &mut AsyncPgConnection, id: i64) -> Result<(), ApiError> {
    let before = get(conn, id).await.ok();
    diesel::update(wh::table.filter(wh::id.eq(id)).filter(wh::active.eq(true)))
        .set((
            wh::active.eq(false),
            wh::disabled_reason.eq("gone"),
            wh::version.eq(wh::version + 1),
            wh::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    let after = get(conn, id).await.ok();
    audit::record(
        conn,
        &Actor::system("webhooks"),
        "webhook.deactivate",
        "webhook",
        id,
        before.as_ref(),
        after.as_ref(),
    )
    .await
}

// ---- deliveries ----

/// A delivery with its event's type.
#[derive(Queryable, Selectable)]
#[diesel(table_name = wd, check_for_backend(Pg))]
struct DeliveryRow {
    id: i64,
    webhook_id: i64,
    event_id: i64,
    #[diesel(select_expression = we::event_type, select_expression_type = we::event_type)]
    event_type: String,
    status: DeliveryStatus,
    attempts: i32,
    redeliveries: i32,
    last_status_code: Option<i32>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

fn to_delivery(r: DeliveryRow) -> DeliveryView {
    DeliveryView {
        id: r.id,
        webhook_id: r.webhook_id,
        event_id: r.event_id,
        event_type: r.event_type,
        status: r.status,
        attempts: r.attempts,
        redeliveries: r.redeliveries,
        last_status_code: r.last_status_code,
        last_error: r.last_error,
        created_at: r.created_at,
        updated_at: r.updated_at,
        delivered_at: r.delivered_at,
    }
}

/// The delivery log of a subscription, newest first.
pub async fn deliveries(
    conn: &mut AsyncPgConnection,
    webhook_id: i64,
    filter: &DeliveryFilter,
    page: &PageParams,
) -> Result<(Vec<DeliveryView>, i64), ApiError> {
    get(conn, webhook_id).await?;
    let status = filter.status.map(DeliveryStatus::as_str);
    let mut count = wd::table.filter(wd::webhook_id.eq(webhook_id)).into_boxed();
    let mut rows = wd::table.inner_join(we::table).filter(wd::webhook_id.eq(webhook_id)).into_boxed();
    if let Some(s) = status {
        count = count.filter(wd::status.eq(s));
        rows = rows.filter(wd::status.eq(s));
    }
    let total: i64 = count.count().get_result(conn).await?;
    let rows: Vec<DeliveryRow> = rows
        .order(wd::id.desc())
        .limit(page.per_page())
        .offset(page.offset())
        .select(DeliveryRow::as_select())
        .load(conn)
        .await?;
    Ok((rows.into_iter().map(to_delivery).collect(), total))
}

pub async fn delivery(conn: &mut AsyncPgConnection, webhook_id: i64, id: i64) -> Result<DeliveryView, ApiError> {
    get(conn, webhook_id).await?;
    let row: DeliveryRow = wd::table
        .inner_join(we::table)
        .filter(wd::webhook_id.eq(webhook_id))
        .filter(wd::id.eq(id))
        .select(DeliveryRow::as_select())
        .first(conn)
        .await?;
    Ok(to_delivery(row))
}

pub async fn delivery_detail(
    conn: &mut AsyncPgConnection,
    webhook_id: i64,
    id: i64,
) -> Result<DeliveryDetail, ApiError> {
    let delivery = delivery(conn, webhook_id, id).await?;
    type AttemptRow = (i32, Option<i32>, i32, Option<String>, DateTime<Utc>);
    let rows: Vec<AttemptRow> = wa::table
        .filter(wa::delivery_id.eq(id))
        .order(wa::id)
        .select((wa::attempt, wa::status_code, wa::duration_ms, wa::error, wa::at))
        .load(conn)
        .await?;
    let attempt_log = rows
        .into_iter()
        .map(|(attempt, status_code, duration_ms, error, at)| AttemptView {
            attempt,
            status_code,
            duration_ms,
            error,
            at,
        })
        .collect();
    Ok(DeliveryDetail { delivery, attempt_log })
}

/// Queues the job that sends delivery `id` (round `round`: 0 first, then one per redelivery).
async fn enqueue_delivery(conn: &mut AsyncPgConnection, id: i64, round: i32) -> Result<(), ApiError> {
    let job = NewJob::new(DELIVER, serde_json::json!({ "delivery_id": id }))
        .dedupe(format!("{DELIVER}:{id}:{round}"))
        .max_attempts(JOB_ATTEMPT_CEILING);
    enqueue(conn, job).await?;
    Ok(())
}

/// Writes an event and one delivery (with its job) per subscription in `webhook_ids`, or per
/// active subscription to the type when `None`.
pub async fn write_event(
    conn: &mut AsyncPgConnection,
    event_type: &str,
    data: &Value,
    webhook_ids: Option<&[i64]>,
) -> Result<(i64, Vec<i64>), ApiError> {
    let event_id: i64 = diesel::insert_into(we::table)
        .values((we::event_type.eq(event_type), we::data.eq(data)))
        .returning(we::id)
        .get_result(conn)
        .await?;
    let targets: Vec<i64> = match webhook_ids {
        Some(ids) => ids.to_vec(),
        None => {
            wh::table
                .filter(wh::active.eq(true))
                .filter(wh::deleted_at.is_null())
                .filter(wh::event_types.contains(vec![event_type]))
                .order(wh::id)
                .select(wh::id)
                .load(conn)
                .await?
        }
    };
    let mut deliveries = Vec::with_capacity(targets.len());
    for webhook_id in targets {
        let id: i64 = diesel::insert_into(wd::table)
            .values((wd::webhook_id.eq(webhook_id), wd::event_id.eq(event_id)))
            .returning(wd::id)
            .get_result(conn)
            .await?;
        enqueue_delivery(conn, id, 0).await?;
        deliveries.push(id);
    }
    Ok((event_id, deliveries))
}

/// Sends a `webhook.ping` event to this subscription only.
pub async fn ping(conn: &mut AsyncPgConnection, webhook_id: i64, actor: &Actor) -> Result<DeliveryView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let hook = get(conn, webhook_id).await?;
        if !hook.active {
            return Err(ApiError::Conflict("webhook_inactive"));
        }
        let data = serde_json::json!({ "webhook_id": webhook_id, "message": "ping" });
        let (_, ids) = write_event(conn, "webhook.ping", &data, Some(&[webhook_id])).await?;
        let id = ids.into_iter().next().ok_or(ApiError::NotFound)?;
        let view = delivery(conn, webhook_id, id).await?;
        audit::record(conn, actor, "webhook.ping", "webhook", webhook_id, audit::NONE, Some(&view)).await?;
        Ok(view)
    })
    .await
}

/// Sends a finished (delivered or failed) delivery again, with a fresh round of attempts.
/// 409 while it is pending or being sent, or when the subscription is inactive.
pub async fn redeliver(
    conn: &mut AsyncPgConnection,
    webhook_id: i64,
    id: i64,
    actor: &Actor,
) -> Result<DeliveryView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let hook = get(conn, webhook_id).await?;
        let status: String = wd::table
            .filter(wd::id.eq(id))
            .filter(wd::webhook_id.eq(webhook_id))
            .select(wd::status)
            .for_update()
            .first(conn)
            .await?;
        if status == "pending" {
            return Err(ApiError::Conflict("delivery_in_progress"));
        }
        if !hook.active {
            return Err(ApiError::Conflict("webhook_inactive"));
        }
        let round: i32 = diesel::update(wd::table.filter(wd::id.eq(id)))
            .set((
                wd::status.eq("pending"),
                wd::redeliveries.eq(wd::redeliveries + 1),
                wd::delivered_at.eq(None::<DateTime<Utc>>),
                wd::updated_at.eq(Utc::now()),
            ))
            .returning(wd::redeliveries)
            .get_result(conn)
            .await?;
        enqueue_delivery(conn, id, round).await?;
        let view = delivery(conn, webhook_id, id).await?;
        audit::record(conn, actor, "webhook.redeliver", "webhook_delivery", id, audit::NONE, Some(&view)).await?;
        Ok(view)
    })
    .await
}

/// What the sender needs about a delivery and its event.
pub struct Outgoing {
    pub webhook_id: i64,
    pub status: String,
    pub event_id: i64,
    pub event_type: String,
    pub created_at: DateTime<Utc>,
    pub data: Value,
}

pub async fn load_for_sending(conn: &mut AsyncPgConnection, id: i64) -> Result<Option<Outgoing>, ApiError> {
    let row: Option<(i64, String, i64, String, DateTime<Utc>, Value)> = wd::table
        .inner_join(we::table)
        .filter(wd::id.eq(id))
        .select((wd::webhook_id, wd::status, we::id, we::event_type, we::created_at, we::data))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(webhook_id, status, event_id, event_type, created_at, data)| Outgoing {
        webhook_id,
        status,
        event_id,
        event_type,
        created_at,
        data,
    }))
}

/// One attempt's result, recorded with the delivery's new state.
pub struct AttemptRecord<'a> {
    pub delivery_id: i64,
    pub status_code: Option<i32>,
    pub duration_ms: i32,
    pub error: Option<&'a str>,
    /// `pending` (will retry), `delivered` or `failed`.
    pub new_status: &'a str,
}

pub async fn record_attempt(conn: &mut AsyncPgConnection, r: &AttemptRecord<'_>) -> Result<(), ApiError> {
    let error = r.error.map(|e| crate::webhooks::rules::truncate(e, 500));
    conn.transaction::<_, ApiError, _>(async |conn| {
        let attempt: i32 = diesel::update(wd::table.filter(wd::id.eq(r.delivery_id)))
            .set((
                wd::attempts.eq(wd::attempts + 1),
                wd::status.eq(r.new_status),
                wd::last_status_code.eq(r.status_code),
                wd::last_error.eq(&error),
                wd::updated_at.eq(Utc::now()),
                wd::delivered_at.eq((r.new_status == "delivered").then(Utc::now)),
            ))
            .returning(wd::attempts)
            .get_result(conn)
            .await?;
        diesel::insert_into(wa::table)
            .values((
                wa::delivery_id.eq(r.delivery_id),
                wa::attempt.eq(attempt),
                wa::status_code.eq(r.status_code),
                wa::duration_ms.eq(r.duration_ms),
                wa::error.eq(&error),
            ))
            .execute(conn)
            .await?;
        Ok(())
    })
    .await
}

/// Gives a delivery up without an attempt (its subscription is gone or inactive).
pub async fn abandon(conn: &mut AsyncPgConnection, id: i64, reason: &str) -> Result<(), ApiError> {
    diesel::update(wd::table.filter(wd::id.eq(id)).filter(wd::status.eq("pending")))
        .set((wd::status.eq("failed"), wd::last_error.eq(reason), wd::updated_at.eq(Utc::now())))
        .execute(conn)
        .await?;
    Ok(())
}
