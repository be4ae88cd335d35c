//! Reading proposals, and who may see which. Drafts are the proposer's own; invited
//! co-signers and co-proposers see the proposal once submitted; the committee (and API
//! clients with `proposals:read`) once it is under review; handlers the proposals their
//! departments handle. Anything else is "not found".

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::{
    ExpressionMethods, JoinOnDsl, NullableExpressionMethods, OptionalExtension, QueryDsl, Queryable, Selectable,
    SelectableHelper,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::democracy::proposals::access::{ProposalAccess, Relation};
use crate::democracy::proposals::dto::{
    CosignerView, DelegateBrief, ExtensionView, ProposalDepartmentView, ProposalHistoryEntry, ProposalView, ReplyView,
};
use crate::democracy::proposals::rules;
use crate::democracy::types::{CosignStatus, DepartmentRole, ExtensionStatus, Feedback, ProposalStatus, ResultCode};
use crate::error::{ApiError, internal};
use crate::http::pagination::PageParams;
use crate::kernel::calendar::today_shanghai;
use crate::schema::{
    congresses, delegates, departments, members, proposal_coproposers, proposal_cosigners, proposal_departments,
    proposal_history, proposal_replies, proposals, units, users,
};

/// The columns every transition needs, read (and locked) before it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = proposals, check_for_backend(diesel::pg::Pg))]
pub struct Core {
    pub id: i64,
    pub congress_id: i64,
    pub number: Option<String>,
    pub proposer_delegate_id: i64,
    pub status: ProposalStatus,
    pub title: String,
    pub reply_due_on: Option<NaiveDate>,
    pub extension_status: ExtensionStatus,
    pub extension_days: Option<i32>,
    pub feedback_due_on: Option<NaiveDate>,
    pub feedback: Option<Feedback>,
    pub rehandle_count: i16,
    pub version: i32,
}

/// The proposal's core, locked for the caller's transaction (404 when absent).
pub(super) async fn lock_core_unchecked(conn: &mut AsyncPgConnection, id: i64) -> Result<Core, ApiError> {
    Ok(proposals::table.filter(proposals::id.eq(id)).select(Core::as_select()).for_update().first(conn).await?)
}

/// The core if the viewer may see the proposal, else 404 (nothing leaks).
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn visible_core(
    conn: &mut AsyncPgConnection,
    viewer: &ProposalAccess,
    id: i64,
) -> Result<(Core, Relation), ApiError> {
    let row: Option<Core> =
        proposals::table.filter(proposals::id.eq(id)).select(Core::as_select()).first(conn).await.optional()?;
    let c = row.ok_or(ApiError::NotFound)?;
    let rel = viewer.relation(conn, c.id, c.proposer_delegate_id).await?;
    if viewer.sees(rel, c.status) { Ok((c, rel)) } else { Err(ApiError::NotFound) }
}

/// Delegates with name and unit, by delegate id.
pub(super) async fn briefs_unchecked(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> Result<HashMap<i64, DelegateBrief>, ApiError> {
    let rows: Vec<(i64, i64, String, i64, String)> = delegates::table
        .inner_join(members::table.on(members::id.eq(delegates::member_id)))
        .inner_join(units::table.on(units::id.eq(delegates::delegation_unit_id)))
        .filter(delegates::id.eq_any(ids))
        .select((delegates::id, members::id, members::name, units::id, units::name))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(delegate_id, member_id, name, unit_id, unit_name)| {
            (delegate_id, DelegateBrief { delegate_id, member_id, name, unit_id, unit_name })
        })
        .collect())
}

pub(crate) fn brief_or_unknown(map: &HashMap<i64, DelegateBrief>, id: i64) -> DelegateBrief {
    map.get(&id).cloned().unwrap_or(DelegateBrief {
        delegate_id: id,
        member_id: 0,
        name: String::new(),
        unit_id: 0,
        unit_name: String::new(),
    })
}

/// The proposal's own columns for the detail view, and its congress's co-signer threshold.
#[derive(Queryable, Selectable)]
#[diesel(table_name = proposals, check_for_backend(Pg))]
struct DetailRow {
    id: i64,
    congress_id: i64,
    number: Option<String>,
    status: ProposalStatus,
    title: String,
    category: String,
    cause: String,
    analysis: String,
    measures: String,
    by_delegation: bool,
    proposer_delegate_id: i64,
    submitted_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
    decision_reason: Option<String>,
    merged_into_id: Option<i64>,
    suggestion_id: Option<i64>,
    reply_due_on: Option<NaiveDate>,
    extension_status: ExtensionStatus,
    extension_days: Option<i32>,
    extension_reason: Option<String>,
    feedback_due_on: Option<NaiveDate>,
    feedback: Option<Feedback>,
    rehandle_count: i16,
    closed_at: Option<DateTime<Utc>>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[diesel(select_expression = congresses::min_cosigners, select_expression_type = congresses::min_cosigners)]
    min_cosigners: i16,
}

/// The whole proposal, as the detail view shows it (visibility is the caller's business).
pub(super) async fn view_unchecked(conn: &mut AsyncPgConnection, id: i64) -> Result<ProposalView, ApiError> {
    let r: DetailRow = proposals::table
        .inner_join(congresses::table.on(congresses::id.eq(proposals::congress_id)))
        .filter(proposals::id.eq(id))
        .select(DetailRow::as_select())
        .first(conn)
        .await?;
    let cosign_rows: Vec<(i64, CosignStatus, Option<DateTime<Utc>>)> = proposal_cosigners::table
        .filter(proposal_cosigners::proposal_id.eq(id))
        .select((proposal_cosigners::delegate_id, proposal_cosigners::status, proposal_cosigners::responded_at))
        .order(proposal_cosigners::invited_at.asc())
        .then_order_by(proposal_cosigners::delegate_id.asc())
        .load(conn)
        .await?;
    let coproposer_ids: Vec<i64> = proposal_coproposers::table
        .filter(proposal_coproposers::proposal_id.eq(id))
        .select(proposal_coproposers::delegate_id)
        .order(proposal_coproposers::delegate_id.asc())
        .load(conn)
        .await?;
    let mut ids: Vec<i64> = cosign_rows.iter().map(|r| r.0).chain(coproposer_ids.iter().copied()).collect();
    ids.push(r.proposer_delegate_id);
    let names = briefs_unchecked(conn, &ids).await?;
    let departments_rows: Vec<(i64, String, DepartmentRole)> = proposal_departments::table
        .inner_join(departments::table.on(departments::id.eq(proposal_departments::department_id)))
        .filter(proposal_departments::proposal_id.eq(id))
        .select((departments::id, departments::name, proposal_departments::role))
        .order((proposal_departments::role.desc(), departments::id.asc()))
        .load(conn)
        .await?;
    let replies = replies_of(conn, id).await?;
    let cosigners: Vec<CosignerView> = cosign_rows
        .into_iter()
        .map(|(delegate_id, status, responded_at)| CosignerView {
            delegate: brief_or_unknown(&names, delegate_id),
            status,
            responded_at,
        })
        .collect();
    Ok(ProposalView {
        id: r.id,
        congress_id: r.congress_id,
        number: r.number,
        status: r.status,
        title: r.title,
        category: r.category,
        cause: r.cause,
        analysis: r.analysis,
        measures: r.measures,
        by_delegation: r.by_delegation,
        proposer: brief_or_unknown(&names, r.proposer_delegate_id),
        cosigners_agreed: cosigners.iter().filter(|c| c.status == CosignStatus::Agreed).count() as i64,
        cosigners,
        min_cosigners: r.min_cosigners,
        coproposers: coproposer_ids.iter().map(|id| brief_or_unknown(&names, *id)).collect(),
        submitted_at: r.submitted_at,
        decided_at: r.decided_at,
        decision_reason: r.decision_reason,
        merged_into_id: r.merged_into_id,
        suggestion_id: r.suggestion_id,
        departments: departments_rows
            .into_iter()
            .map(|(department_id, name, role)| ProposalDepartmentView { department_id, name, role })
            .collect(),
        reply_due_on: r.reply_due_on,
        extension: ExtensionView { status: r.extension_status, days: r.extension_days, reason: r.extension_reason },
        replies,
        feedback_due_on: r.feedback_due_on,
        feedback: r.feedback,
        rehandle_count: r.rehandle_count,
        overdue: rules::is_overdue(r.status, r.reply_due_on, today_shanghai()),
        closed_at: r.closed_at,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// A reply with its department's name.
#[derive(Queryable, Selectable)]
#[diesel(table_name = proposal_replies, check_for_backend(Pg))]
struct ReplyRow {
    round: i16,
    #[diesel(select_expression = departments::id, select_expression_type = departments::id)]
    department_id: i64,
    #[diesel(select_expression = departments::name, select_expression_type = departments::name)]
    department_name: String,
    result_code: ResultCode,
    content: String,
    due_on: NaiveDate,
    on_time: bool,
    replied_at: DateTime<Utc>,
    feedback: Option<Feedback>,
    feedback_comment: Option<String>,
    feedback_at: Option<DateTime<Utc>>,
}

async fn replies_of(conn: &mut AsyncPgConnection, id: i64) -> Result<Vec<ReplyView>, ApiError> {
    let rows: Vec<ReplyRow> = proposal_replies::table
        .inner_join(departments::table.on(departments::id.eq(proposal_replies::department_id)))
        .filter(proposal_replies::proposal_id.eq(id))
        .select(ReplyRow::as_select())
        .order(proposal_replies::round.asc())
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReplyView {
            round: r.round,
            department_id: r.department_id,
            department_name: r.department_name,
            result_code: r.result_code,
            content: r.content,
            due_on: r.due_on,
            on_time: r.on_time,
            replied_at: r.replied_at,
            feedback: r.feedback,
            feedback_comment: r.feedback_comment,
            feedback_at: r.feedback_at,
        })
        .collect())
}

/// The detail view of a proposal the viewer may see.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn get(conn: &mut AsyncPgConnection, viewer: &ProposalAccess, id: i64) -> Result<ProposalView, ApiError> {
    visible_core(conn, viewer, id).await?;
    view_unchecked(conn, id).await
}

/// The transitions of a proposal the viewer may see, oldest first.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn history(
    conn: &mut AsyncPgConnection,
    viewer: &ProposalAccess,
    id: i64,
    page: &PageParams,
) -> Result<(Vec<ProposalHistoryEntry>, i64), ApiError> {
    visible_core(conn, viewer, id).await?;
    let total: i64 =
        proposal_history::table.filter(proposal_history::proposal_id.eq(id)).count().get_result(conn).await?;
    type Row = (i64, String, Option<String>, String, Option<i64>, Option<String>, Option<String>, DateTime<Utc>);
    let rows: Vec<Row> = proposal_history::table
        .left_join(users::table.on(users::id.nullable().eq(proposal_history::actor_user_id)))
        .filter(proposal_history::proposal_id.eq(id))
        .select((
            proposal_history::id,
            proposal_history::action,
            proposal_history::from_status,
            proposal_history::to_status,
            proposal_history::actor_user_id,
            users::display_name.nullable(),
            proposal_history::comment,
            proposal_history::at,
        ))
        .order((proposal_history::at.asc(), proposal_history::id.asc()))
        .limit(page.per_page())
        .offset(page.offset())
        .load(conn)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for (id, action, from, to, actor_user_id, actor_name, comment, at) in rows {
        items.push(ProposalHistoryEntry {
            id,
            action,
            from_status: from.as_deref().map(ProposalStatus::from_db).transpose().map_err(internal)?,
            to_status: ProposalStatus::from_db(&to).map_err(internal)?,
            actor_user_id,
            actor_name,
            comment,
            at,
        });
    }
    Ok((items, total))
}
