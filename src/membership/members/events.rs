//! The webhook events of members: which action causes which event, and their payloads
//! (identifiers and units only: no phone or ID-card number).

use diesel_async::AsyncPgConnection;
use serde_json::{Value, json};

use crate::auth::permissions::Authorized;
use crate::error::ApiError;
use crate::membership::members::dto::MemberView;

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
#[tracing::instrument(skip_all)]
pub async fn emit_member(
    conn: &mut AsyncPgConnection,
    _auth: &Authorized,
    action: &str,
    before: Option<&MemberView>,
    after: &MemberView,
) -> Result<(), ApiError> {
    match member_event(action) {
        Some(event) => crate::webhooks::emit(conn, event, member_payload(before, after)).await,
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
    fn actions_map_to_registered_event_types() {
        for action in ["member.create", "member.update", "member.transfer", "member.leave", "member.rejoin"] {
            let event = member_event(action).unwrap();
            assert!(crate::membership::WEBHOOK_EVENTS.iter().any(|e| e.name == event), "{event}");
        }
        assert_eq!(member_event("member.import"), None);
        assert_eq!(members_imported(3, &[5, 2, 5]), json!({"created": 3, "unit_ids": [2, 5]}));
    }
}
