//! Outgoing webhooks with a transactional outbox.
//!
//! A change that matters to the integrated system calls [`emit`] inside its own transaction:
//! the event, one delivery per active subscription to its type, and one `webhook.deliver`
//! job per delivery are written with the change, so they exist exactly when it commits.
//! The job queue then sends each delivery, signed (see `deliver`), and keeps a log of every
//! attempt (`GET /webhooks/{id}/deliveries`).

pub mod api;
pub mod catalog;
pub mod deliver;
pub mod dto;
pub mod rules;
pub mod store;

use diesel_async::AsyncPgConnection;
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;

pub use catalog::{EventCatalog, EventDef};

use crate::error::ApiError;

/// Routes under `/api/v1`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(api::list_webhooks)
        .service(api::create_webhook)
        .service(api::get_webhook)
        .service(api::update_webhook)
        .service(api::delete_webhook)
        .service(api::list_webhook_deliveries)
        .service(api::get_webhook_delivery)
        .service(api::redeliver_webhook_delivery)
        .service(api::ping_webhook)
        .service(api::rotate_webhook_secret);
}

/// The delivery job of the outbox.
pub fn jobs(registry: &mut crate::jobs::Registry) {
    deliver::register(registry);
}

/// Writes an event of `event_type` to the outbox, with a delivery and its job for every
/// active subscription to that type. Call it on the connection of the transaction that makes
/// the change: when that transaction rolls back, nothing is ever sent.
pub async fn emit(conn: &mut AsyncPgConnection, event_type: &str, data: Value) -> Result<(), ApiError> {
    store::write_event(conn, event_type, &data, None).await?;
    Ok(())
}
