//! Outgoing webhooks with a transactional outbox.
//!
//! A change that matters to the integrated system calls [`emit`] inside its own transaction:
//! the event, one delivery per active subscription to its type, and one `webhook.deliver`
//! job per delivery are written with the change, so they exist exactly when it commits.
//! The job queue then sends each delivery, signed (see `deliver`), and keeps a log of every
//! attempt (`GET /webhooks/{id}/deliveries`).

pub mod api;
pub mod deliver;
pub mod dto;
pub mod rules;
pub mod store;

use diesel_async::AsyncPgConnection;
use serde_json::{Value, json};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::membership::members::dto::MemberView;

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
        .service(api::ping_webhook);
}

/// Writes an event of `event_type` to the outbox, with a delivery and its job for every
/// active subscription to that type. Call it on the connection of the transaction that makes
/// the change: when that transaction rolls back, nothing is ever sent.
pub async fn emit(conn: &mut AsyncPgConnection, event_type: &str, data: Value) -> Result<(), ApiError> {
    store::write_event(conn, event_type, &data, None).await?;
    Ok(())
}

/// The event a membership action causes (`member.create` → `member.created`, …).
fn member_event(action: &str) -> Option<&'static str> {
    Some(match action {
        "member.create" => "member.created",
        "member.update" => "member.updated",
        "member.transfer" => "member.transferred",
        "member.leave" => "member.left",
        "member.rejoin" => "member.rejoined",
        _ => return None,
    })
}

/// The payload of a member event: identifiers and units only (no phone or ID-card number).
pub fn member_payload(before: Option<&MemberView>, after: &MemberView) -> Value {
    let mut data = json!({
        "member_id": after.id,
        "staff_no": after.staff_no,
        "unit_id": after.unit_id,
        "status": after.status,
        "version": after.version,
    });
    if let Some(before) = before.filter(|b| b.unit_id != after.unit_id) {
        data["from_unit_id"] = json!(before.unit_id);
    }
    if let Some(left_on) = after.left_on {
        data["left_on"] = json!(left_on);
    }
    data
}

/// Emits the event of a membership action (`member.create`, `member.update`,
/// `member.transfer`, `member.leave`, `member.rejoin`) inside its transaction.
pub async fn emit_member(
    conn: &mut AsyncPgConnection,
    action: &str,
    before: Option<&MemberView>,
    after: &MemberView,
) -> Result<(), ApiError> {
    match member_event(action) {
        Some(event) => emit(conn, event, member_payload(before, after)).await,
        None => Ok(()),
    }
}

/// The payload of `members.imported`: how many were created, in which units.
pub fn members_imported(created: usize, unit_ids: &[i64]) -> Value {
    let mut units = unit_ids.to_vec();
    units.sort_unstable();
    units.dedup();
    json!({ "created": created, "unit_ids": units })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_map_to_event_types_of_the_fixed_list() {
        for action in ["member.create", "member.update", "member.transfer", "member.leave", "member.rejoin"] {
            let event = member_event(action).unwrap();
            assert!(dto::EventType::parse(event).is_some(), "{event}");
        }
        assert_eq!(member_event("member.import"), None);
        assert_eq!(members_imported(3, &[5, 2, 5]), json!({"created": 3, "unit_ids": [2, 5]}));
    }
}
