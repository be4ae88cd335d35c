//! `/webhooks`: subscriptions, their delivery log, manual redelivery and ping
//! (system_admin, or an API client with the `webhooks:manage` scope).

use actix_web::{HttpResponse, delete, get, patch, post, web};

use crate::audit::Actor;
use crate::auth::permissions::{Permission, authorize};
use crate::auth::principal::Principal;
use crate::crypto::random_token;
use crate::error::{ApiError, FieldIssue, Problem};
use crate::http::context::RequestContext;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::extract::{OptionalJson, ValidJson, ValidQuery};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::webhooks::EventCatalog;
use crate::webhooks::dto::{
    CreateWebhook, DeliveryDetail, DeliveryFilter, DeliveryView, RotateWebhookSecret, UpdateWebhook, WebhookView,
    WebhookWithSecret,
};
use crate::webhooks::{rules, store};

/// Checks a receiver URL (with DNS); a refusal is a 422 on `url`. Returns the normalised URL.
async fn checked_url(state: &AppState, raw: &str) -> Result<String, ApiError> {
    match rules::resolve_url(raw, &state.config.webhooks).await {
        Ok((url, _)) => Ok(url.to_string()),
        Err(refusal) => Err(ApiError::Validation(vec![FieldIssue::new("url", refusal.code())])),
    }
}

/// Webhook subscriptions of the integrated system, newest first.
#[utoipa::path(
    tag = "webhooks",
    params(PageParams),
    responses((status = 200, body = Page<WebhookView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::WebhooksManage)?;
    let mut conn = state.pool.get().await?;
    let (items, total) = store::list(&mut conn, &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// Subscribes a receiver to event types. The answer carries `secret`, shown this once.
///
/// **Deliveries.** Each event is POSTed as JSON
/// `{"id": <delivery id>, "event_id", "type", "created_at", "data"}` with the headers
/// `X-Gonghui-Event` (the type), `X-Gonghui-Delivery` (the delivery id; deduplicate by it —
/// delivery is at least once), `X-Gonghui-Timestamp` (unix seconds of this attempt) and
/// `X-Gonghui-Signature: v1=<hex HMAC-SHA256(secret, "{timestamp}.{raw body}")>`.
///
/// **Verifying.** Recompute the HMAC over the timestamp header, a `.`, and the raw body bytes;
/// compare with the signature in constant time; refuse timestamps more than 5 minutes from
/// your clock (replay window).
///
/// **Answers.** 2xx = delivered. 410 Gone = stop: the delivery fails and the subscription is
/// deactivated. Anything else (or no answer within the timeout) is retried with exponential
/// backoff and jitter, up to `GONGHUI_WEBHOOK_MAX_ATTEMPTS` attempts. Redirects are not followed.
///
/// **URLs.** http(s) only, no user/password, on `GONGHUI_WEBHOOK_ALLOWED_HOSTS` when set; never
/// link-local or cloud-metadata addresses; private and loopback ones only with
/// `GONGHUI_WEBHOOK_ALLOW_PRIVATE`. Checked here and again before every delivery.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateWebhook,
    responses(
        (status = 201, body = WebhookWithSecret), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, description = "validation_failed (e.g. `url`: url_forbidden_address)", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    events: web::Data<EventCatalog>,
    principal: Principal,
    ctx: RequestContext,
    ValidJson(body): ValidJson<CreateWebhook>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::WebhooksManage)?;
    let body = body.take()?;
    events.check(&body.event_types)?;
    let url = checked_url(&state, &body.url).await?;
    let secret = body.secret.clone().unwrap_or_else(|| format!("whsec_{}", random_token(32)));
    let cipher = state.config.encryption_key.encrypt(&secret);
    let mut conn = state.pool.get().await?;
    let webhook = store::create(&mut conn, &body, &url, cipher, &Actor::new(&principal, &ctx)).await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/webhooks/{}", webhook.id)))
        .insert_header(("Cache-Control", "no-store"));
    Ok(with_etag(&mut res, webhook.version).json(WebhookWithSecret { webhook, secret }))
}

/// One webhook subscription (its secret is never shown again).
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path)),
    responses((status = 200, body = WebhookView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::WebhooksManage)?;
    let mut conn = state.pool.get().await?;
    let webhook = store::get(&mut conn, id.into_inner()).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), webhook.version).json(webhook))
}

/// Changes url, event types, description or `active`. Send `If-Match` with the ETag.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateWebhook,
    responses(
        (status = 200, body = WebhookView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    events: web::Data<EventCatalog>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
    ValidJson(body): ValidJson<UpdateWebhook>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::WebhooksManage)?;
    let id = id.into_inner();
    let body = body
        .after(async {
            let mut conn = state.pool.get().await?;
            store::get(&mut conn, id).await
        })
        .await?;
    events.check(body.event_types.as_deref().unwrap_or_default())?;
    let url = match &body.url {
        Some(raw) => Some(checked_url(&state, raw).await?),
        None => None,
    };
    let mut conn = state.pool.get().await?;
    let actor = Actor::new(&principal, &ctx);
    let webhook = store::update(&mut conn, id, &body, url.as_deref(), if_match, &actor).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), webhook.version).json(webhook))
}

/// Deletes a subscription (kept, deactivated, for the delivery log and audit); its pending
/// deliveries are not sent.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::WebhooksManage)?;
    let mut conn = state.pool.get().await?;
    store::delete(&mut conn, id.into_inner(), &Actor::new(&principal, &ctx)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The delivery log of a subscription, newest first.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path), DeliveryFilter, PageParams),
    responses(
        (status = 200, body = Page<DeliveryView>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    ValidQuery(filter): ValidQuery<DeliveryFilter>,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::WebhooksManage)?;
    let mut conn = state.pool.get().await?;
    let (items, total) = store::deliveries(&mut conn, id.into_inner(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// One delivery with every attempt (status code, duration, error).
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path), ("delivery_id" = i64, Path)),
    responses((status = 200, body = DeliveryDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/webhooks/{id}/deliveries/{delivery_id}")]
pub async fn get_webhook_delivery(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::WebhooksManage)?;
    let (id, delivery_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(store::delivery_detail(&mut conn, id, delivery_id).await?))
}

/// Sends a delivered or failed delivery again, with a fresh round of attempts.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path), ("delivery_id" = i64, Path)),
    responses(
        (status = 202, body = DeliveryView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "delivery_in_progress (still pending) / webhook_inactive", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver_webhook_delivery(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::WebhooksManage)?;
    let (id, delivery_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let view = store::redeliver(&mut conn, id, delivery_id, &Actor::new(&principal, &ctx)).await?;
    Ok(HttpResponse::Accepted().json(view))
}

/// Sends a `webhook.ping` event to this subscription (whatever its event types).
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path)),
    responses(
        (status = 202, body = DeliveryView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "webhook_inactive", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/webhooks/{id}/ping")]
pub async fn ping_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::WebhooksManage)?;
    let mut conn = state.pool.get().await?;
    let view = store::ping(&mut conn, id.into_inner(), &Actor::new(&principal, &ctx)).await?;
    Ok(HttpResponse::Accepted().json(view))
}

/// Replaces the signing secret, shown this once (the body is optional: without a `secret`
/// one is generated). Pending retries are signed with the new secret.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path)),
    request_body = Option<RotateWebhookSecret>,
    responses(
        (status = 200, body = WebhookWithSecret), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    OptionalJson(body): OptionalJson<RotateWebhookSecret>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::WebhooksManage)?;
    let id = id.into_inner();
    let body = body
        .after(async {
            let mut conn = state.pool.get().await?;
            store::get(&mut conn, id).await
        })
        .await?;
    let secret = body.secret.unwrap_or_else(|| format!("whsec_{}", random_token(32)));
    let cipher = state.config.encryption_key.encrypt(&secret);
    let mut conn = state.pool.get().await?;
    let webhook = store::rotate_secret(&mut conn, id, cipher, &Actor::new(&principal, &ctx)).await?;
    let mut res = HttpResponse::Ok();
    res.insert_header(("Cache-Control", "no-store"));
    Ok(with_etag(&mut res, webhook.version).json(WebhookWithSecret { webhook, secret }))
}
