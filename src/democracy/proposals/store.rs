//! Reading proposals, and who may see which. Drafts are the proposer's own; invited
//! co-signers and co-proposers see the proposal once submitted; the committee (and API
//! clients with `proposals:read`) once it is under review; handlers the proposals their
//! departments handle. Anything else is "not found".

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::sql;
use diesel::sql_types::{Array, BigInt, Bool};
use diesel::{ExpressionMethods, JoinOnDsl, NullableExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::auth::permissions::{Permission, has_permission};
use crate::auth::principal::Principal;
use crate::democracy::access;
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

/// Who is looking, as far as proposals are concerned.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub user_id: Option<i64>,
    pub member_id: Option<i64>,
    /// The caller's delegate records (one per congress they sit in).
    pub delegate_ids: Vec<i64>,
    /// Committee, union admins and API clients with `proposals:read`.
    pub reads_all: bool,
    /// The departments the caller handles for.
    pub department_ids: Vec<i64>,
}

pub async fn viewer(conn: &mut AsyncPgConnection, principal: &Principal) -> Result<Viewer, ApiError> {
    let delegate_ids = match principal.member_id {
        Some(m) => access::delegates_of_member(conn, m).await?.into_iter().map(|d| d.id).collect(),
        None => Vec::new(),
    };
    let department_ids = match principal.user_id {
        Some(u) if has_permission(principal, Permission::ProposalsReply) => {
            access::handler_departments(conn, u).await?
        }
        _ => Vec::new(),
    };
    Ok(Viewer {
        user_id: principal.user_id,
        member_id: principal.member_id,
        delegate_ids,
        reads_all: has_permission(principal, Permission::ProposalsRead),
        department_ids,
    })
}

/// What a viewer is to one proposal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relation {
    pub proposer: bool,
    pub invited_cosigner: bool,
    pub coproposer: bool,
    pub handler: bool,
}

/// Whether a viewer with `relation` may see a proposal in `status` (the rule the list
/// query's SQL predicate also applies).
pub fn can_see(viewer: &Viewer, relation: Relation, status: ProposalStatus) -> bool {
    relation.proposer
        || (status != ProposalStatus::Draft && (relation.invited_cosigner || relation.coproposer))
        || (viewer.reads_all && rules::visible_to_committee(status))
        || relation.handler
}

/// The SQL form of [`can_see`] over `proposals` (binds: delegate ids, department ids, reads_all).
pub(crate) fn visible_sql(
    viewer: &Viewer,
) -> diesel::expression::SqlLiteral<Bool, impl diesel::query_builder::QueryFragment<diesel::pg::Pg> + Send> {
    sql::<Bool>("(proposals.proposer_delegate_id = ANY(")
        .bind::<Array<BigInt>, _>(viewer.delegate_ids.clone())
        .sql(") OR (proposals.status <> 'draft' AND (EXISTS (SELECT 1 FROM proposal_cosigners c WHERE c.proposal_id = proposals.id AND c.delegate_id = ANY(")
        .bind::<Array<BigInt>, _>(viewer.delegate_ids.clone())
        .sql(")) OR EXISTS (SELECT 1 FROM proposal_coproposers c WHERE c.proposal_id = proposals.id AND c.delegate_id = ANY(")
        .bind::<Array<BigInt>, _>(viewer.delegate_ids.clone())
        .sql(")))) OR (")
        .bind::<Bool, _>(viewer.reads_all)
        .sql(" AND proposals.status NOT IN ('draft', 'submitted', 'withdrawn')) OR EXISTS (SELECT 1 FROM proposal_departments d WHERE d.proposal_id = proposals.id AND d.department_id = ANY(")
        .bind::<Array<BigInt>, _>(viewer.department_ids.clone())
        .sql(")))")
}

/// The columns every transition needs, read (and locked) before it.
#[derive(Debug, Clone)]
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

type CoreRow = (
    i64,
    i64,
    Option<String>,
    i64,
    String,
    String,
    Option<NaiveDate>,
    String,
    Option<i32>,
    Option<NaiveDate>,
    Option<String>,
    i16,
    i32,
);

macro_rules! core_select {
    () => {
        (
            proposals::id,
            proposals::congress_id,
            proposals::number,
            proposals::proposer_delegate_id,
            proposals::status,
            proposals::title,
            proposals::reply_due_on,
            proposals::extension_status,
            proposals::extension_days,
            proposals::feedback_due_on,
            proposals::feedback,
            proposals::rehandle_count,
            proposals::version,
        )
    };
}

fn core(r: CoreRow) -> Core {
    Core {
        id: r.0,
        congress_id: r.1,
        number: r.2,
        proposer_delegate_id: r.3,
        status: ProposalStatus::parse(&r.4).unwrap_or(ProposalStatus::Draft),
        title: r.5,
        reply_due_on: r.6,
        extension_status: ExtensionStatus::parse(&r.7).unwrap_or(ExtensionStatus::None),
        extension_days: r.8,
        feedback_due_on: r.9,
        feedback: r.10.as_deref().and_then(Feedback::parse),
        rehandle_count: r.11,
        version: r.12,
    }
}

/// The proposal's core, locked for the caller's transaction (404 when absent).
pub async fn core_for_update(conn: &mut AsyncPgConnection, id: i64) -> Result<Core, ApiError> {
    let row: CoreRow =
        proposals::table.filter(proposals::id.eq(id)).select(core_select!()).for_update().first(conn).await?;
    Ok(core(row))
}

/// What the viewer is to the proposal.
pub async fn relation(conn: &mut AsyncPgConnection, viewer: &Viewer, c: &Core) -> Result<Relation, ApiError> {
    let proposer = viewer.delegate_ids.contains(&c.proposer_delegate_id);
    let invited: i64 = proposal_cosigners::table
        .filter(proposal_cosigners::proposal_id.eq(c.id))
        .filter(proposal_cosigners::delegate_id.eq_any(&viewer.delegate_ids))
        .count()
        .get_result(conn)
        .await?;
    let coproposer: i64 = proposal_coproposers::table
        .filter(proposal_coproposers::proposal_id.eq(c.id))
        .filter(proposal_coproposers::delegate_id.eq_any(&viewer.delegate_ids))
        .count()
        .get_result(conn)
        .await?;
    let handler: i64 = proposal_departments::table
        .filter(proposal_departments::proposal_id.eq(c.id))
        .filter(proposal_departments::department_id.eq_any(&viewer.department_ids))
        .count()
        .get_result(conn)
        .await?;
    Ok(Relation { proposer, invited_cosigner: invited > 0, coproposer: coproposer > 0, handler: handler > 0 })
}

/// The core if the viewer may see the proposal, else 404 (nothing leaks).
pub async fn visible_core(
    conn: &mut AsyncPgConnection,
    viewer: &Viewer,
    id: i64,
) -> Result<(Core, Relation), ApiError> {
    let row: Option<CoreRow> =
        proposals::table.filter(proposals::id.eq(id)).select(core_select!()).first(conn).await.optional()?;
    let c = core(row.ok_or(ApiError::NotFound)?);
    let rel = relation(conn, viewer, &c).await?;
    if can_see(viewer, rel, c.status) { Ok((c, rel)) } else { Err(ApiError::NotFound) }
}

/// Delegates with name and unit, by delegate id.
pub(crate) async fn briefs(conn: &mut AsyncPgConnection, ids: &[i64]) -> Result<HashMap<i64, DelegateBrief>, ApiError> {
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

type FullRow = (
    (i64, i64, Option<String>, String, String, String, String, String, String, bool, i64),
    (Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<String>, Option<i64>, Option<i64>, Option<NaiveDate>),
    (String, Option<i32>, Option<String>, Option<NaiveDate>, Option<String>, i16, Option<DateTime<Utc>>),
    (i32, DateTime<Utc>, DateTime<Utc>, i16),
);

/// The whole proposal, as the detail view shows it (visibility is the caller's business).
pub async fn view(conn: &mut AsyncPgConnection, id: i64) -> Result<ProposalView, ApiError> {
    let r: FullRow = proposals::table
        .inner_join(congresses::table.on(congresses::id.eq(proposals::congress_id)))
        .filter(proposals::id.eq(id))
        .select((
            (
                proposals::id,
                proposals::congress_id,
                proposals::number,
                proposals::status,
                proposals::title,
                proposals::category,
                proposals::cause,
                proposals::analysis,
                proposals::measures,
                proposals::by_delegation,
                proposals::proposer_delegate_id,
            ),
            (
                proposals::submitted_at,
                proposals::decided_at,
                proposals::decision_reason,
                proposals::merged_into_id,
                proposals::suggestion_id,
                proposals::reply_due_on,
            ),
            (
                proposals::extension_status,
                proposals::extension_days,
                proposals::extension_reason,
                proposals::feedback_due_on,
                proposals::feedback,
                proposals::rehandle_count,
                proposals::closed_at,
            ),
            (proposals::version, proposals::created_at, proposals::updated_at, congresses::min_cosigners),
        ))
        .first(conn)
        .await?;
    let (a, b, c, d) = r;
    let cosign_rows: Vec<(i64, String, Option<DateTime<Utc>>)> = proposal_cosigners::table
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
    ids.push(a.10);
    let names = briefs(conn, &ids).await?;
    let departments_rows: Vec<(i64, String, String)> = proposal_departments::table
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
            status: CosignStatus::parse(&status).unwrap_or(CosignStatus::Pending),
            responded_at,
        })
        .collect();
    let status = ProposalStatus::parse(&a.3).unwrap_or(ProposalStatus::Draft);
    Ok(ProposalView {
        id: a.0,
        congress_id: a.1,
        number: a.2,
        status,
        title: a.4,
        category: a.5,
        cause: a.6,
        analysis: a.7,
        measures: a.8,
        by_delegation: a.9,
        proposer: brief_or_unknown(&names, a.10),
        cosigners_agreed: cosigners.iter().filter(|c| c.status == CosignStatus::Agreed).count() as i64,
        cosigners,
        min_cosigners: d.3,
        coproposers: coproposer_ids.iter().map(|id| brief_or_unknown(&names, *id)).collect(),
        submitted_at: b.0,
        decided_at: b.1,
        decision_reason: b.2,
        merged_into_id: b.3,
        suggestion_id: b.4,
        departments: departments_rows
            .into_iter()
            .map(|(department_id, name, role)| ProposalDepartmentView {
                department_id,
                name,
                role: DepartmentRole::parse(&role).unwrap_or(DepartmentRole::Co),
            })
            .collect(),
        reply_due_on: b.5,
        extension: ExtensionView {
            status: ExtensionStatus::parse(&c.0).unwrap_or(ExtensionStatus::None),
            days: c.1,
            reason: c.2,
        },
        replies,
        feedback_due_on: c.3,
        feedback: c.4.as_deref().and_then(Feedback::parse),
        rehandle_count: c.5,
        overdue: rules::is_overdue(status, b.5, today_shanghai()),
        closed_at: c.6,
        version: d.0,
        created_at: d.1,
        updated_at: d.2,
    })
}

type ReplyRow = (
    i16,
    i64,
    String,
    String,
    String,
    NaiveDate,
    bool,
    DateTime<Utc>,
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
);

async fn replies_of(conn: &mut AsyncPgConnection, id: i64) -> Result<Vec<ReplyView>, ApiError> {
    let rows: Vec<ReplyRow> = proposal_replies::table
        .inner_join(departments::table.on(departments::id.eq(proposal_replies::department_id)))
        .filter(proposal_replies::proposal_id.eq(id))
        .select((
            proposal_replies::round,
            departments::id,
            departments::name,
            proposal_replies::result_code,
            proposal_replies::content,
            proposal_replies::due_on,
            proposal_replies::on_time,
            proposal_replies::replied_at,
            proposal_replies::feedback,
            proposal_replies::feedback_comment,
            proposal_replies::feedback_at,
        ))
        .order(proposal_replies::round.asc())
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReplyView {
            round: r.0,
            department_id: r.1,
            department_name: r.2,
            result_code: ResultCode::parse(&r.3).unwrap_or(ResultCode::D),
            content: r.4,
            due_on: r.5,
            on_time: r.6,
            replied_at: r.7,
            feedback: r.8.as_deref().and_then(Feedback::parse),
            feedback_comment: r.9,
            feedback_at: r.10,
        })
        .collect())
}

/// The detail view of a proposal the viewer may see.
pub async fn get(conn: &mut AsyncPgConnection, viewer: &Viewer, id: i64) -> Result<ProposalView, ApiError> {
    visible_core(conn, viewer, id).await?;
    view(conn, id).await
}

/// The transitions of a proposal the viewer may see, oldest first.
pub async fn history(
    conn: &mut AsyncPgConnection,
    viewer: &Viewer,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_sees_what() {
        use ProposalStatus as S;
        let member = Viewer { delegate_ids: vec![7], ..Viewer::default() };
        let committee = Viewer { reads_all: true, ..Viewer::default() };
        let nobody = Relation::default();
        let proposer = Relation { proposer: true, ..nobody };
        let invited = Relation { invited_cosigner: true, ..nobody };
        let handler = Relation { handler: true, ..nobody };
        assert!(can_see(&member, proposer, S::Draft), "drafts are the proposer's own");
        assert!(!can_see(&member, invited, S::Draft), "invitations go out on submit");
        assert!(can_see(&member, invited, S::Submitted));
        assert!(!can_see(&committee, nobody, S::Draft));
        assert!(!can_see(&committee, nobody, S::Submitted), "still gathering co-signatures");
        assert!(can_see(&committee, nobody, S::UnderReview));
        assert!(!can_see(&committee, nobody, S::Withdrawn));
        assert!(can_see(&member, handler, S::Assigned));
        assert!(!can_see(&member, nobody, S::Closed), "the public list is a separate route");
    }
}
