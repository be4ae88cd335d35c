//! Lists of proposals: the committee's and handlers' list (with the visibility filter of
//! `proposals_store`), exports, the public list of accepted proposals, and the mini-program's
//! "my proposals" and "waiting for my co-signature".

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    BoolExpressionMethods, ExpressionMethods, JoinOnDsl, PgSortExpressionMethods, QueryDsl, Queryable, Selectable,
    SelectableHelper, TextExpressionMethods,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::auth::permissions::Caller;
use crate::democracy::proposals::access::ProposalAccess;
use crate::democracy::proposals::dto::{
    CosignInvitation, ProposalQuery, ProposalSummary, PublicProposal, PublicProposalQuery,
};
use crate::democracy::proposals::rules;
use crate::democracy::proposals::store::{brief_or_unknown, briefs_unchecked};
use crate::democracy::types::{Feedback, ProposalStatus, ResultCode};
use crate::error::ApiError;
use crate::http::pagination::PageParams;
use crate::kernel::calendar::today_shanghai;
use crate::kernel::sql::escape_like;
use crate::schema::{
    departments, proposal_coproposers, proposal_cosigners, proposal_departments, proposal_replies, proposals,
};

/// The columns of a proposal in a list.
#[derive(Queryable, Selectable)]
#[diesel(table_name = proposals, check_for_backend(diesel::pg::Pg))]
struct SummaryRow {
    id: i64,
    congress_id: i64,
    number: Option<String>,
    status: ProposalStatus,
    title: String,
    category: String,
    proposer_delegate_id: i64,
    reply_due_on: Option<NaiveDate>,
    feedback: Option<Feedback>,
    submitted_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

/// Lead department and latest result code per proposal.
async fn leads_and_results(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> Result<(HashMap<i64, (i64, String)>, HashMap<i64, (ResultCode, String, DateTime<Utc>)>), ApiError> {
    let leads: Vec<(i64, i64, String)> = proposal_departments::table
        .inner_join(departments::table.on(departments::id.eq(proposal_departments::department_id)))
        .filter(proposal_departments::proposal_id.eq_any(ids))
        .filter(proposal_departments::role.eq("lead"))
        .select((proposal_departments::proposal_id, departments::id, departments::name))
        .load(conn)
        .await?;
    let replies: Vec<(i64, ResultCode, String, DateTime<Utc>)> = proposal_replies::table
        .filter(proposal_replies::proposal_id.eq_any(ids))
        .order((proposal_replies::proposal_id.asc(), proposal_replies::round.asc()))
        .select((
            proposal_replies::proposal_id,
            proposal_replies::result_code,
            proposal_replies::content,
            proposal_replies::replied_at,
        ))
        .load(conn)
        .await?;
    // Later rounds overwrite earlier ones: the latest reply wins.
    let latest = replies.into_iter().map(|(p, code, content, at)| (p, (code, content, at))).collect();
    Ok((leads.into_iter().map(|(p, d, n)| (p, (d, n))).collect(), latest))
}

async fn summaries(conn: &mut AsyncPgConnection, rows: Vec<SummaryRow>) -> Result<Vec<ProposalSummary>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let proposer_ids: Vec<i64> = rows.iter().map(|r| r.proposer_delegate_id).collect();
    let names = briefs_unchecked(conn, &proposer_ids).await?;
    let (leads, results) = leads_and_results(conn, &ids).await?;
    let today = today_shanghai();
    Ok(rows
        .into_iter()
        .map(|r| {
            let status = r.status;
            let proposer = brief_or_unknown(&names, r.proposer_delegate_id);
            let lead = leads.get(&r.id);
            ProposalSummary {
                id: r.id,
                congress_id: r.congress_id,
                number: r.number,
                status,
                title: r.title,
                category: r.category,
                proposer_name: proposer.name,
                proposer_unit_name: proposer.unit_name,
                lead_department_id: lead.map(|l| l.0),
                lead_department_name: lead.map(|l| l.1.clone()),
                reply_due_on: r.reply_due_on,
                result_code: results.get(&r.id).map(|x| x.0),
                feedback: r.feedback,
                overdue: rules::is_overdue(status, r.reply_due_on, today),
                submitted_at: r.submitted_at,
                updated_at: r.updated_at,
            }
        })
        .collect())
}

fn filtered<'a>(q: &ProposalQuery) -> proposals::BoxedQuery<'a, diesel::pg::Pg> {
    let mut query = proposals::table.into_boxed();
    if let Some(c) = q.congress_id {
        query = query.filter(proposals::congress_id.eq(c));
    }
    if let Some(s) = q.status {
        query = query.filter(proposals::status.eq(s.as_str()));
    }
    if let Some(cat) = q.category {
        query = query.filter(proposals::category.eq(cat.as_str()));
    }
    if let Some(d) = q.department_id {
        let handled = proposal_departments::table
            .filter(proposal_departments::department_id.eq(d))
            .select(proposal_departments::proposal_id);
        query = query.filter(proposals::id.eq_any(handled));
    }
    if q.overdue == Some(true) {
        query = query.filter(proposals::status.eq("assigned")).filter(proposals::reply_due_on.lt(today_shanghai()));
    }
    if let Some(text) = &q.q {
        let pattern = format!("%{}%", escape_like(text));
        query = query.filter(proposals::title.like(pattern.clone()).or(proposals::number.like(pattern)));
    }
    query
}

/// Proposals the viewer may see, matching `q`, newest first.
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &mut AsyncPgConnection,
    viewer: &ProposalAccess,
    q: &ProposalQuery,
    page: &PageParams,
) -> Result<(Vec<ProposalSummary>, i64), ApiError> {
    let total: i64 = filtered(q).filter(viewer.predicate()).count().get_result(conn).await?;
    let rows: Vec<SummaryRow> = filtered(q)
        .filter(viewer.predicate())
        .select(SummaryRow::as_select())
        .order((proposals::number.asc().nulls_last(), proposals::id.desc()))
        .limit(page.per_page())
        .offset(page.offset())
        .load(conn)
        .await?;
    Ok((summaries(conn, rows).await?, total))
}

/// Every matching visible proposal, for exports (bounded).
#[tracing::instrument(skip_all)]
pub async fn list_all(
    conn: &mut AsyncPgConnection,
    viewer: &ProposalAccess,
    q: &ProposalQuery,
    max: i64,
) -> Result<Vec<ProposalSummary>, ApiError> {
    let rows: Vec<SummaryRow> = filtered(q)
        .filter(viewer.predicate())
        .select(SummaryRow::as_select())
        .order((proposals::number.asc().nulls_last(), proposals::id.desc()))
        .limit(max)
        .load(conn)
        .await?;
    summaries(conn, rows).await
}

/// Statuses published to every member: accepted and everything after it.
pub const PUBLIC_STATUSES: [&str; 5] = ["accepted", "assigned", "replied", "feedback_given", "closed"];

/// The public list of accepted proposals with their latest reply, by number.
#[tracing::instrument(skip_all)]
pub async fn public_list(
    conn: &mut AsyncPgConnection,
    _me: &Caller,
    q: &PublicProposalQuery,
    page: &PageParams,
) -> Result<(Vec<PublicProposal>, i64), ApiError> {
    let base =
        ProposalQuery { congress_id: q.congress_id, category: q.category, q: q.q.clone(), ..ProposalQuery::default() };
    let total: i64 = filtered(&base).filter(proposals::status.eq_any(PUBLIC_STATUSES)).count().get_result(conn).await?;
    let rows: Vec<SummaryRow> = filtered(&base)
        .filter(proposals::status.eq_any(PUBLIC_STATUSES))
        .select(SummaryRow::as_select())
        .order((proposals::number.asc().nulls_last(), proposals::id.asc()))
        .limit(page.per_page())
        .offset(page.offset())
        .load(conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let names = briefs_unchecked(conn, &rows.iter().map(|r| r.proposer_delegate_id).collect::<Vec<_>>()).await?;
    let (leads, results) = leads_and_results(conn, &ids).await?;
    // The published text: what the proposal asked for, next to what the university replied.
    let texts: std::collections::HashMap<i64, (String, String, String)> = proposals::table
        .filter(proposals::id.eq_any(&ids))
        .select((proposals::id, proposals::cause, proposals::analysis, proposals::measures))
        .load::<(i64, String, String, String)>(conn)
        .await?
        .into_iter()
        .map(|(id, cause, analysis, measures)| (id, (cause, analysis, measures)))
        .collect();
    let items = rows
        .into_iter()
        .map(|r| {
            let proposer = brief_or_unknown(&names, r.proposer_delegate_id);
            let reply = results.get(&r.id);
            let (cause, analysis, measures) = texts.get(&r.id).cloned().unwrap_or_default();
            PublicProposal {
                id: r.id,
                congress_id: r.congress_id,
                number: r.number,
                status: r.status,
                title: r.title,
                category: r.category,
                proposer_name: proposer.name,
                proposer_unit_name: proposer.unit_name,
                cause,
                analysis,
                measures,
                lead_department_name: leads.get(&r.id).map(|l| l.1.clone()),
                result_code: reply.map(|x| x.0),
                reply: reply.map(|x| x.1.clone()),
                replied_at: reply.map(|x| x.2),
            }
        })
        .collect();
    Ok((items, total))
}

/// The caller's own proposals (as proposer or co-proposer), drafts included.
#[tracing::instrument(skip_all)]
pub async fn mine(
    conn: &mut AsyncPgConnection,
    viewer: &ProposalAccess,
    page: &PageParams,
) -> Result<(Vec<ProposalSummary>, i64), ApiError> {
    let own = || {
        let co = proposal_coproposers::table
            .filter(proposal_coproposers::delegate_id.eq_any(viewer.delegate_ids().to_vec()))
            .select(proposal_coproposers::proposal_id);
        proposals::table
            .filter(proposals::proposer_delegate_id.eq_any(viewer.delegate_ids().to_vec()).or(proposals::id.eq_any(co)))
            .into_boxed()
    };
    let total: i64 = own().count().get_result(conn).await?;
    let rows: Vec<SummaryRow> = own()
        .select(SummaryRow::as_select())
        .order(proposals::id.desc())
        .limit(page.per_page())
        .offset(page.offset())
        .load(conn)
        .await?;
    Ok((summaries(conn, rows).await?, total))
}

/// Invitations to co-sign the caller has not answered, on proposals still gathering them.
#[tracing::instrument(skip_all)]
pub async fn pending_invitations(
    conn: &mut AsyncPgConnection,
    viewer: &ProposalAccess,
    page: &PageParams,
) -> Result<(Vec<CosignInvitation>, i64), ApiError> {
    let pending = || {
        proposal_cosigners::table
            .inner_join(proposals::table.on(proposals::id.eq(proposal_cosigners::proposal_id)))
            .filter(proposal_cosigners::delegate_id.eq_any(viewer.delegate_ids().to_vec()))
            .filter(proposal_cosigners::status.eq("pending"))
            .filter(proposals::status.eq_any(["submitted", "under_review"]))
            .into_boxed()
    };
    let total: i64 = pending().count().get_result(conn).await?;
    let rows: Vec<(i64, i64, String, String, i64, DateTime<Utc>)> = pending()
        .select((
            proposals::id,
            proposals::congress_id,
            proposals::title,
            proposals::category,
            proposals::proposer_delegate_id,
            proposal_cosigners::invited_at,
        ))
        .order(proposal_cosigners::invited_at.desc())
        .limit(page.per_page())
        .offset(page.offset())
        .load(conn)
        .await?;
    let names = briefs_unchecked(conn, &rows.iter().map(|r| r.4).collect::<Vec<_>>()).await?;
    let items = rows
        .into_iter()
        .map(|(proposal_id, congress_id, title, category, proposer, invited_at)| {
            let p = brief_or_unknown(&names, proposer);
            CosignInvitation {
                proposal_id,
                congress_id,
                title,
                category,
                proposer_name: p.name,
                proposer_unit_name: p.unit_name,
                invited_at,
            }
        })
        .collect();
    Ok((items, total))
}
