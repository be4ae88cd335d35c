//! The append-only audit log: every mutation writes one row (actor, action, entity, id,
//! before/after snapshots, request id) inside the mutation's own transaction, so a change
//! and its record commit or roll back together. A trigger refuses UPDATE, DELETE and
//! TRUNCATE on the table. Snapshots hold masked personal data only.

use diesel::ExpressionMethods;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

use crate::error::ApiError;
use crate::kernel::ids::{ClientId, UserId};
use crate::schema::audit_log;

pub mod api;

/// Who did it, for the audit row (`Actor::new(&principal, &ctx)` is made in `auth::principal`).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub client_id: Option<ClientId>,
    pub label: String,
    pub request_id: Option<String>,
}

impl Actor {
    /// A command-line or background actor (`seed-demo`, `create-admin`, jobs).
    pub fn system(label: &str) -> Self {
        Actor { user_id: None, client_id: None, label: format!("system:{label}"), request_id: None }
    }
}

/// Writes one audit row on `conn` (call it inside the mutation's transaction).
pub async fn record<B: Serialize, A: Serialize>(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), ApiError> {
    // A snapshot that cannot be serialised fails the change: an audit row with a silently
    // missing snapshot would be worse than no change at all.
    let to_json = |v: Option<serde_json::Value>| v.filter(|v| !v.is_null());
    let snapshot = |v: Option<Result<serde_json::Value, serde_json::Error>>| {
        v.transpose().map(to_json).map_err(|e| ApiError::Internal(anyhow::anyhow!("audit snapshot of {entity}: {e}")))
    };
    let before = snapshot(before.map(serde_json::to_value))?;
    let after = snapshot(after.map(serde_json::to_value))?;
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_user_id.eq(actor.user_id),
            audit_log::actor_client_id.eq(actor.client_id),
            audit_log::actor_label.eq(&actor.label),
            audit_log::action.eq(action),
            audit_log::entity.eq(entity),
            audit_log::entity_id.eq(entity_id.to_string()),
            audit_log::before.eq(before),
            audit_log::after.eq(after),
            audit_log::request_id.eq(&actor.request_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// No snapshot (for creations' `before` and deletions' `after`).
pub const NONE: Option<&()> = None;
