//! The append-only audit log: every mutation writes one row (actor, action, entity, id,
//! before/after snapshots, request id) inside the mutation's own transaction, so a change
//! and its record commit or roll back together. A trigger refuses UPDATE, DELETE and
//! TRUNCATE on the table. Snapshots hold masked personal data only.

use diesel::ExpressionMethods;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

use crate::error::ApiError;
use crate::schema::audit_log;

pub mod api;

/// Who did it, for the audit row (`Actor::new(&principal, &ctx)` is made in `auth::principal`).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub client_id: Option<i64>,
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
    let to_json = |v: Option<serde_json::Value>| v.filter(|v| !v.is_null());
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_user_id.eq(actor.user_id),
            audit_log::actor_client_id.eq(actor.client_id),
            audit_log::actor_label.eq(&actor.label),
            audit_log::action.eq(action),
            audit_log::entity.eq(entity),
            audit_log::entity_id.eq(entity_id.to_string()),
            audit_log::before.eq(to_json(before.and_then(|b| serde_json::to_value(b).ok()))),
            audit_log::after.eq(to_json(after.and_then(|a| serde_json::to_value(a).ok()))),
            audit_log::request_id.eq(&actor.request_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// No snapshot (for creations' `before` and deletions' `after`).
pub const NONE: Option<&()> = None;
