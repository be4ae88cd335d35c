//! The proposal committee's decisions (立案审查 and what follows): accept (numbering),
//! decline, convert to a suggestion, merge, assign departments and deadline, decide on
//! extensions, reopen once after an unsatisfied verdict, close. Each goes through
//! `rules::proposal_transition` and `proposals_workflow::record_transition`.

use crate::democracy::error::DemocracyError;
use chrono::Utc;
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::democracy::access::{self, CongressRef};
use crate::democracy::proposals::dto::{AssignBody, CommentBody, MergeBody, ProposalView, ReasonBody, ReopenBody};
use crate::democracy::proposals::rules::{self, ProposalAction};
use crate::democracy::proposals::store::{self as store, Core};
use crate::democracy::proposals::workflow::{
    Acting, in_tx, lock_visible, must_decide, record_transition, tell_proposer, to_suggestion,
};
use crate::democracy::types::{ExtensionStatus, ProposalStatus};
use crate::error::{ApiError, FieldIssue};
use crate::kernel::calendar::today_shanghai;
use crate::schema::{departments, proposal_coproposers, proposal_departments, proposals};

/// Locks the proposal for a committee decision (404 when the committee cannot see it).
async fn committee_lock(conn: &mut AsyncPgConnection, a: &Acting<'_>, id: i64) -> Result<Core, ApiError> {
    must_decide(a)?;
    let (c, _) = lock_visible(conn, a, id).await?;
    Ok(c)
}

async fn decided(conn: &mut AsyncPgConnection, id: i64, reason: Option<&str>) -> Result<(), ApiError> {
    diesel::update(proposals::table.filter(proposals::id.eq(id)))
        .set((proposals::decided_at.eq(Utc::now()), proposals::decision_reason.eq(reason)))
        .execute(conn)
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn accept(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    id: i64,
    body: &CommentBody,
) -> Result<ProposalView, ApiError> {
    in_tx!(conn, id, |conn| {
        let c = committee_lock(conn, a, id).await?;
        let to = rules::proposal_transition(c.status, ProposalAction::Accept)?;
        // Numbers are given in order of acceptance, under the congress's row lock.
        let congress: CongressRef = access::congress_for_update(conn, c.congress_id).await?;
        let seq: i32 = diesel::update(crate::schema::congresses::table.find(congress.id))
            .set(crate::schema::congresses::proposal_seq.eq(crate::schema::congresses::proposal_seq + 1))
            .returning(crate::schema::congresses::proposal_seq)
            .get_result(conn)
            .await?;
        let number = rules::proposal_number(&congress.proposal_prefix, seq);
        diesel::update(proposals::table.filter(proposals::id.eq(id)))
            .set(proposals::number.eq(&number))
            .execute(conn)
            .await?;
        decided(conn, id, body.comment.as_deref()).await?;
        record_transition(conn, a, &c, ProposalAction::Accept, to, body.comment.as_deref()).await?;
        tell_proposer(conn, a, &c, "已立案", &format!("proposal:{id}:accepted")).await
    })
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn decline(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    id: i64,
    body: &ReasonBody,
) -> Result<ProposalView, ApiError> {
    in_tx!(conn, id, |conn| {
        let c = committee_lock(conn, a, id).await?;
        let to = rules::proposal_transition(c.status, ProposalAction::Decline)?;
        decided(conn, id, Some(&body.reason)).await?;
        record_transition(conn, a, &c, ProposalAction::Decline, to, Some(&body.reason)).await
    })
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn convert(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    id: i64,
    body: &CommentBody,
) -> Result<ProposalView, ApiError> {
    in_tx!(conn, id, |conn| {
        let c = committee_lock(conn, a, id).await?;
        let to = rules::proposal_transition(c.status, ProposalAction::ConvertToSuggestion)?;
        if c.status == ProposalStatus::UnderReview {
            decided(conn, id, body.comment.as_deref()).await?;
        }
        to_suggestion(conn, a, &c, "converted_proposal").await?;
        record_transition(conn, a, &c, ProposalAction::ConvertToSuggestion, to, body.comment.as_deref()).await
    })
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn merge(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    id: i64,
    body: &MergeBody,
) -> Result<ProposalView, ApiError> {
    in_tx!(conn, id, |conn| {
        let c = committee_lock(conn, a, id).await?;
        let to = rules::proposal_transition(c.status, ProposalAction::Merge)?;
        let bad_target = || ApiError::Validation(vec![FieldIssue::new("into_proposal_id", "invalid_merge_target")]);
        if body.into_proposal_id == id {
            return Err(bad_target());
        }
        let target = store::lock_core_unchecked(conn, body.into_proposal_id).await.map_err(|e| match e {
            ApiError::NotFound => bad_target(),
            other => other,
        })?;
        let open_target =
            matches!(target.status, ProposalStatus::UnderReview | ProposalStatus::Accepted | ProposalStatus::Assigned);
        if target.congress_id != c.congress_id || !open_target {
            return Err(bad_target());
        }
        // The merged proposal's proposer and co-proposers become co-proposers of the target.
        let mut joining: Vec<i64> = proposal_coproposers::table
            .filter(proposal_coproposers::proposal_id.eq(id))
            .select(proposal_coproposers::delegate_id)
            .load(conn)
            .await?;
        joining.push(c.proposer_delegate_id);
        joining.retain(|d| *d != target.proposer_delegate_id);
        let rows: Vec<_> = joining
            .iter()
            .map(|d| {
                (
                    proposal_coproposers::proposal_id.eq(target.id),
                    proposal_coproposers::delegate_id.eq(*d),
                    proposal_coproposers::from_proposal_id.eq(id),
                )
            })
            .collect();
        diesel::insert_into(proposal_coproposers::table).values(rows).on_conflict_do_nothing().execute(conn).await?;
        diesel::update(proposals::table.filter(proposals::id.eq(id)))
            .set(proposals::merged_into_id.eq(target.id))
            .execute(conn)
            .await?;
        if c.status == ProposalStatus::UnderReview {
            decided(conn, id, body.reason.as_deref()).await?;
        }
        let comment = format!("并入提案 {}", target.number.clone().unwrap_or_else(|| target.id.to_string()));
        record_transition(conn, a, &c, ProposalAction::Merge, to, Some(body.reason.as_deref().unwrap_or(&comment)))
            .await
    })
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn assign(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    id: i64,
    body: &AssignBody,
) -> Result<ProposalView, ApiError> {
    in_tx!(conn, id, |conn| {
        let c = committee_lock(conn, a, id).await?;
        let to = rules::proposal_transition(c.status, ProposalAction::Assign)?;
        let congress = access::congress(conn, c.congress_id).await?;
        let today = today_shanghai();
        let due = body
            .reply_due_on
            .unwrap_or_else(|| crate::kernel::calendar::add_days(today, congress.reply_days.max(0) as u32));
        let mut issues = Vec::new();
        if due < today {
            issues.push(FieldIssue::new("reply_due_on", "date_in_past"));
        }
        let mut wanted = vec![body.lead_department_id];
        for (i, d) in body.co_department_ids.iter().enumerate() {
            if wanted.contains(d) {
                issues.push(FieldIssue::new(format!("co_department_ids[{i}]"), "duplicate"));
            }
            wanted.push(*d);
        }
        let active: Vec<i64> = departments::table
            .filter(departments::id.eq_any(&wanted))
            .filter(departments::active.eq(true))
            .select(departments::id)
            .load(conn)
            .await?;
        if !active.contains(&body.lead_department_id) {
            issues.push(
                FieldIssue::new("lead_department_id", "unknown_department").with("value", body.lead_department_id),
            );
        }
        for (i, d) in body.co_department_ids.iter().enumerate() {
            if !active.contains(d) {
                issues.push(FieldIssue::new(format!("co_department_ids[{i}]"), "unknown_department").with("value", d));
            }
        }
        if !issues.is_empty() {
            return Err(ApiError::Validation(issues));
        }
        diesel::delete(proposal_departments::table.filter(proposal_departments::proposal_id.eq(id)))
            .execute(conn)
            .await?;
        let rows: Vec<_> = std::iter::once((body.lead_department_id, "lead"))
            .chain(body.co_department_ids.iter().map(|d| (*d, "co")))
            .map(|(d, role)| {
                (
                    proposal_departments::proposal_id.eq(id),
                    proposal_departments::department_id.eq(d),
                    proposal_departments::role.eq(role),
                )
            })
            .collect();
        diesel::insert_into(proposal_departments::table).values(rows).execute(conn).await?;
        diesel::update(proposals::table.filter(proposals::id.eq(id)))
            .set((proposals::assigned_at.eq(Utc::now()), proposals::reply_due_on.eq(due)))
            .execute(conn)
            .await?;
        let comment = format!("答复期限 {due}");
        record_transition(conn, a, &c, ProposalAction::Assign, to, Some(&comment)).await
    })
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn decide_extension(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    id: i64,
    approve: bool,
    body: &CommentBody,
) -> Result<ProposalView, ApiError> {
    in_tx!(conn, id, |conn| {
        let c = committee_lock(conn, a, id).await?;
        let action = if approve { ProposalAction::ApproveExtension } else { ProposalAction::RejectExtension };
        let to = rules::proposal_transition(c.status, action)?;
        if c.extension_status != ExtensionStatus::Requested {
            return Err(DemocracyError::NoExtensionRequested.into());
        }
        let days = c.extension_days.unwrap_or(0).max(0) as u32;
        let due = match (approve, c.reply_due_on) {
            (true, Some(d)) => Some(crate::kernel::calendar::add_days(d, days)),
            (_, d) => d,
        };
        diesel::update(proposals::table.filter(proposals::id.eq(id)))
            .set((
                proposals::extension_status.eq(if approve { "approved" } else { "rejected" }),
                proposals::reply_due_on.eq(due),
            ))
            .execute(conn)
            .await?;
        record_transition(conn, a, &c, action, to, body.comment.as_deref()).await
    })
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn reopen(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    id: i64,
    body: &ReopenBody,
) -> Result<ProposalView, ApiError> {
    in_tx!(conn, id, |conn| {
        let c = committee_lock(conn, a, id).await?;
        let action = ProposalAction::Reopen { verdict: c.feedback, rehandled: c.rehandle_count >= 1 };
        let to = rules::proposal_transition(c.status, action)?;
        let congress = access::congress(conn, c.congress_id).await?;
        let today = today_shanghai();
        let window = congress.max_extension_days.max(1) as u32;
        let due = body.reply_due_on.unwrap_or_else(|| crate::kernel::calendar::add_days(today, window));
        if due < today {
            return Err(ApiError::Validation(vec![FieldIssue::new("reply_due_on", "date_in_past")]));
        }
        diesel::update(proposals::table.filter(proposals::id.eq(id)))
            .set((
                proposals::rehandle_count.eq(c.rehandle_count + 1),
                proposals::reply_due_on.eq(due),
                proposals::feedback_due_on.eq(None::<chrono::NaiveDate>),
                proposals::extension_status.eq("none"),
                proposals::extension_days.eq(None::<i32>),
                proposals::extension_reason.eq(None::<String>),
            ))
            .execute(conn)
            .await?;
        record_transition(conn, a, &c, action, to, body.comment.as_deref()).await
    })
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn close(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    id: i64,
    body: &CommentBody,
) -> Result<ProposalView, ApiError> {
    in_tx!(conn, id, |conn| {
        let c = committee_lock(conn, a, id).await?;
        let window_over = c.feedback_due_on.is_some_and(|d| today_shanghai() > d);
        let action = ProposalAction::Close { feedback_window_over: window_over };
        let to = rules::proposal_transition(c.status, action)?;
        diesel::update(proposals::table.filter(proposals::id.eq(id)))
            .set(proposals::closed_at.eq(Utc::now()))
            .execute(conn)
            .await?;
        record_transition(conn, a, &c, action, to, body.comment.as_deref()).await
    })
}
