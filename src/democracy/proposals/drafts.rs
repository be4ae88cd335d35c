//! Writing a proposal before the committee sees it: creating the draft, editing it, and
//! choosing the co-signers to invite. Only formal delegates propose; co-signers are formal
//! delegates of the same congress, other than the proposer.

use crate::democracy::error::DemocracyError;
use std::collections::HashSet;

use chrono::Utc;
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::permissions::Caller;
use crate::democracy::access;
use crate::democracy::proposals::access::ProposalAccess;
use crate::democracy::proposals::dto::{CreateProposal, ProposalView, UpdateProposal};
use crate::democracy::proposals::store;
use crate::democracy::types::ProposalStatus;
use crate::error::{ApiError, FieldIssue};
use crate::http::etag::IfMatch;
use crate::schema::{delegates, proposal_cosigners, proposal_history, proposals};

/// Field issues for the invited co-signers: each a formal delegate of the congress, not the
/// proposer, listed once.
async fn cosigner_issues_unchecked(
    conn: &mut AsyncPgConnection,
    congress_id: i64,
    proposer_delegate_id: i64,
    ids: &[i64],
) -> Result<Vec<FieldIssue>, ApiError> {
    let formal: HashSet<i64> = delegates::table
        .filter(delegates::congress_id.eq(congress_id))
        .filter(delegates::kind.eq("formal"))
        .filter(delegates::id.eq_any(ids))
        .select(delegates::id)
        .load::<i64>(conn)
        .await?
        .into_iter()
        .collect();
    let mut seen = HashSet::new();
    let mut issues = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let field = format!("cosigner_delegate_ids[{i}]");
        if *id == proposer_delegate_id {
            issues.push(FieldIssue::new(field, "self_cosign"));
        } else if !seen.insert(*id) {
            issues.push(FieldIssue::new(field, "duplicate"));
        } else if !formal.contains(id) {
            issues.push(FieldIssue::new(field, "not_formal_delegate_of_congress").with("value", id));
        }
    }
    Ok(issues)
}

async fn add_cosigners(conn: &mut AsyncPgConnection, proposal_id: i64, ids: &[i64]) -> Result<(), ApiError> {
    let rows: Vec<_> = ids
        .iter()
        .map(|d| (proposal_cosigners::proposal_id.eq(proposal_id), proposal_cosigners::delegate_id.eq(*d)))
        .collect();
    diesel::insert_into(proposal_cosigners::table).values(rows).on_conflict_do_nothing().execute(conn).await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn create(
    conn: &mut AsyncPgConnection,
    me: &Caller,
    body: &CreateProposal,
    actor: &Actor,
) -> Result<ProposalView, ApiError> {
    let id = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let congress = access::congress(conn, body.congress_id).await.map_err(|e| match e {
                ApiError::NotFound => ApiError::Validation(vec![
                    FieldIssue::new("congress_id", "unknown_congress").with("value", body.congress_id),
                ]),
                other => other,
            })?;
            let delegate = access::formal_delegate(conn, me, congress.id).await?;
            congress.ensure_not_closed()?;
            let issues = cosigner_issues_unchecked(conn, congress.id, delegate.id, &body.cosigner_delegate_ids).await?;
            if !issues.is_empty() {
                return Err(ApiError::Validation(issues));
            }
            let id: i64 = diesel::insert_into(proposals::table)
                .values((
                    proposals::congress_id.eq(congress.id),
                    proposals::proposer_delegate_id.eq(delegate.id),
                    proposals::by_delegation.eq(body.by_delegation),
                    proposals::title.eq(body.title.trim()),
                    proposals::category.eq(body.category.as_str()),
                    proposals::cause.eq(&body.cause),
                    proposals::analysis.eq(&body.analysis),
                    proposals::measures.eq(&body.measures),
                ))
                .returning(proposals::id)
                .get_result(conn)
                .await?;
            add_cosigners(conn, id, &body.cosigner_delegate_ids).await?;
            diesel::insert_into(proposal_history::table)
                .values((
                    proposal_history::proposal_id.eq(id),
                    proposal_history::action.eq("create"),
                    proposal_history::to_status.eq(ProposalStatus::Draft.as_str()),
                    proposal_history::actor_user_id.eq(actor.user_id),
                ))
                .execute(conn)
                .await?;
            let after = json!({
                "congress_id": congress.id, "status": "draft", "title": body.title,
                "cosigner_delegate_ids": body.cosigner_delegate_ids,
            });
            audit::record(conn, actor, "proposal.create", "proposal", id, audit::NONE, Some(&after)).await?;
            Ok(id)
        })
        .await?;
    store::view_unchecked(conn, id).await
}

/// Edits a draft; while the proposal gathers co-signatures only new co-signers may be added.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn update(
    conn: &mut AsyncPgConnection,
    viewer: &ProposalAccess,
    id: i64,
    body: &UpdateProposal,
    if_match: IfMatch,
    actor: &Actor,
) -> Result<ProposalView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let c = store::lock_core_unchecked(conn, id).await?;
        let rel = viewer.relation(conn, c.id, c.proposer_delegate_id).await?;
        if !viewer.sees(rel, c.status) {
            return Err(ApiError::NotFound);
        }
        if !rel.proposer {
            return Err(DemocracyError::NotProposer.into());
        }
        if_match.check(c.version)?;
        let text_changes = body.title.is_some()
            || body.category.is_some()
            || body.cause.is_some()
            || body.analysis.is_some()
            || body.measures.is_some()
            || body.by_delegation.is_some();
        match c.status {
            ProposalStatus::Draft => {}
            ProposalStatus::Submitted if !text_changes => {}
            _ => return Err(DemocracyError::ProposalLocked.into()),
        }
        if let Some(ids) = &body.cosigner_delegate_ids {
            let issues = cosigner_issues_unchecked(conn, c.congress_id, c.proposer_delegate_id, ids).await?;
            if !issues.is_empty() {
                return Err(ApiError::Validation(issues));
            }
            // After submission the invitations stand (a co-signer may have answered): a list
            // that leaves one out is refused, not silently ignored.
            if c.status != ProposalStatus::Draft {
                let invited: Vec<i64> = proposal_cosigners::table
                    .filter(proposal_cosigners::proposal_id.eq(id))
                    .select(proposal_cosigners::delegate_id)
                    .load(conn)
                    .await?;
                if invited.iter().any(|d| !ids.contains(d)) {
                    return Err(DemocracyError::ProposalLocked.into());
                }
            } else {
                diesel::delete(
                    proposal_cosigners::table
                        .filter(proposal_cosigners::proposal_id.eq(id))
                        .filter(proposal_cosigners::delegate_id.ne_all(ids)),
                )
                .execute(conn)
                .await?;
            }
            add_cosigners(conn, id, ids).await?;
        }
        let before = store::view_unchecked(conn, id).await?;
        diesel::update(proposals::table.filter(proposals::id.eq(id)))
            .set((
                body.title.as_deref().map(|t| proposals::title.eq(t.trim().to_owned())),
                body.category.map(|v| proposals::category.eq(v.as_str())),
                body.cause.as_ref().map(|v| proposals::cause.eq(v.clone())),
                body.analysis.as_ref().map(|v| proposals::analysis.eq(v.clone())),
                body.measures.as_ref().map(|v| proposals::measures.eq(v.clone())),
                body.by_delegation.map(|v| proposals::by_delegation.eq(v)),
                proposals::version.eq(proposals::version + 1),
                proposals::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        let after = store::view_unchecked(conn, id).await?;
        audit::record(conn, actor, "proposal.update", "proposal", id, Some(&before), Some(&after)).await?;
        Ok(())
    })
    .await?;
    store::view_unchecked(conn, id).await
}
