//! `GET /audit-log`: the audit trail, read by auditors and system administrators.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::permissions::{Permission, authorize};
use crate::auth::principal::Principal;
use crate::error::ApiError;
use crate::http::extract::ValidQuery;
use crate::http::pagination::{Page, PageParams};
use crate::schema::audit_log;
use crate::state::AppState;

/// One audit row.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    #[schema(example = "user:1:admin")]
    pub actor_label: String,
    #[schema(example = "member.transfer")]
    pub action: String,
    #[schema(example = "member")]
    pub entity: String,
    pub entity_id: String,
    /// Snapshot before the change (masked), absent for creations.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// Snapshot after the change (masked).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Acting user id.
    pub actor: Option<i64>,
    /// Entity name, e.g. `member`, `unit`, `user`.
    #[validate(length(max = 64))]
    pub entity: Option<String>,
    #[validate(length(max = 64))]
    pub entity_id: Option<String>,
    #[validate(length(max = 64))]
    pub action: Option<String>,
    /// From this instant (RFC 3339), inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (RFC 3339), exclusive.
    pub to: Option<DateTime<Utc>>,
}

type AuditRow = (
    i64,
    DateTime<Utc>,
    Option<i64>,
    String,
    String,
    String,
    String,
    Option<serde_json::Value>,
    Option<serde_json::Value>,
    Option<String>,
);

/// The audit log, newest first (auditor, system_admin).
#[utoipa::path(
    tag = "audit",
    params(AuditFilter, PageParams),
    responses(
        (status = 200, body = Page<AuditEntry>),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("bearer" = []))
)]
#[get("/audit-log")]
pub async fn list_audit_log(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(filter): ValidQuery<AuditFilter>,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::AuditRead)?;
    let mut conn = state.pool.get().await?;
    let query = || {
        let mut q = audit_log::table.into_boxed();
        if let Some(actor) = filter.actor {
            q = q.filter(audit_log::actor_user_id.eq(actor));
        }
        if let Some(entity) = &filter.entity {
            q = q.filter(audit_log::entity.eq(entity.clone()));
        }
        if let Some(id) = &filter.entity_id {
            q = q.filter(audit_log::entity_id.eq(id.clone()));
        }
        if let Some(action) = &filter.action {
            q = q.filter(audit_log::action.eq(action.clone()));
        }
        if let Some(from) = filter.from {
            q = q.filter(audit_log::at.ge(from));
        }
        if let Some(to) = filter.to {
            q = q.filter(audit_log::at.lt(to));
        }
        q
    };
    let total: i64 = query().count().get_result(&mut conn).await?;
    let rows: Vec<AuditRow> = query()
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(page.per_page())
        .offset(page.offset())
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::actor_user_id,
            audit_log::actor_label,
            audit_log::action,
            audit_log::entity,
            audit_log::entity_id,
            audit_log::before,
            audit_log::after,
            audit_log::request_id,
        ))
        .load(&mut conn)
        .await?;
    let items =
        rows.into_iter()
            .map(|(id, at, actor_user_id, actor_label, action, entity, entity_id, before, after, request_id)| {
                AuditEntry { id, at, actor_user_id, actor_label, action, entity, entity_id, before, after, request_id }
            })
            .collect();
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}
