//! Proposal transitions. Each one locks the proposal, checks who is acting, asks
//! `rules::proposal_transition` for the new status, writes its own columns, a history row,
//! an audit row, a `proposal.status_changed` webhook and (where the member should know) a
//! WeChat message — all in one transaction.

use crate::democracy::error::DemocracyError;
use chrono::Utc;
use diesel::{ExpressionMethods, JoinOnDsl, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::permissions::Proof;
use crate::config::Config;
use crate::democracy::access;
use crate::democracy::proposals::access::{ProposalAccess, Relation};
use crate::democracy::proposals::dto::{
    CommentBody, CosignBody, CosignDecision, ExtensionBody, FeedbackBody, ProposalView, ReplyBody,
};
use crate::democracy::proposals::rules::{self, ProposalAction};
use crate::democracy::proposals::store::{self as store, Core};
use crate::democracy::types::{CosignStatus, ExtensionStatus, ProposalStatus};
use crate::error::{ApiError, FieldIssue};
use crate::integrations::wechat::messages::{self, EVENT_COSIGN_INVITED, EVENT_PROPOSAL_REPLIED};
use crate::kernel::calendar::today_shanghai;
use crate::schema::{
    delegates, proposal_cosigners, proposal_departments, proposal_history, proposal_replies, proposals, suggestions,
};

/// Who acts, and with what standing: a proof because it can only be made around a
/// [`ProposalAccess`].
pub struct Acting<'a> {
    pub(super) config: &'a Config,
    pub(super) viewer: &'a ProposalAccess,
    pub(super) actor: &'a Actor,
}

impl Proof for Acting<'_> {}

/// Status, history, audit and webhook of one transition (the action's own columns are
/// written by the caller before this).
pub(crate) async fn record_transition(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    c: &Core,
    action: ProposalAction,
    to: ProposalStatus,
    comment: Option<&str>,
) -> Result<(), ApiError> {
    diesel::update(proposals::table.filter(proposals::id.eq(c.id)))
        .set((
            proposals::status.eq(to.as_str()),
            proposals::version.eq(proposals::version + 1),
            proposals::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    diesel::insert_into(proposal_history::table)
        .values((
            proposal_history::proposal_id.eq(c.id),
            proposal_history::action.eq(action.name()),
            proposal_history::from_status.eq(Some(c.status.as_str())),
            proposal_history::to_status.eq(to.as_str()),
            proposal_history::actor_user_id.eq(a.actor.user_id),
            proposal_history::comment.eq(comment),
        ))
        .execute(conn)
        .await?;
    let before = json!({ "status": c.status.as_str(), "version": c.version });
    let after = json!({ "status": to.as_str(), "version": c.version + 1, "comment": comment });
    audit::record(conn, a.actor, &format!("proposal.{}", action.name()), "proposal", c.id, Some(&before), Some(&after))
        .await?;
    crate::webhooks::emit(
        conn,
        "proposal.status_changed",
        json!({
            "proposal_id": c.id,
            "congress_id": c.congress_id,
            "action": action.name(),
            "from": c.status.as_str(),
            "to": to.as_str(),
        }),
    )
    .await?;
    Ok(())
}

/// The proposal's number, or its title, for messages.
async fn number_of(conn: &mut AsyncPgConnection, id: i64) -> Result<Option<String>, ApiError> {
    Ok(proposals::table.filter(proposals::id.eq(id)).select(proposals::number).first(conn).await?)
}

/// A WeChat message to the proposer (queued in this transaction; a no-op without a binding).
pub(crate) async fn tell_proposer(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    c: &Core,
    what: &str,
    dedupe: &str,
) -> Result<(), ApiError> {
    let member_id: i64 = delegates::table
        .filter(delegates::id.eq(c.proposer_delegate_id))
        .select(delegates::member_id)
        .first(conn)
        .await?;
    let number = number_of(conn, c.id).await?.unwrap_or_default();
    let data = json!({
        "thing1": c.title,
        "character_string2": number,
        "phrase3": what,
        "date4": today_shanghai().to_string(),
        "page": format!("pages/proposals/detail?id={}", c.id),
    });
    messages::enqueue_member_message(conn, a.config, member_id, EVENT_PROPOSAL_REPLIED, data, dedupe).await?;
    Ok(())
}

/// Locks the proposal and checks the viewer may see it (404 otherwise).
pub(crate) async fn lock_visible(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    id: i64,
) -> Result<(Core, Relation), ApiError> {
    let c = store::lock_core_unchecked(conn, id).await?;
    let rel = a.viewer.relation(conn, c.id, c.proposer_delegate_id).await?;
    if a.viewer.sees(rel, c.status) { Ok((c, rel)) } else { Err(ApiError::NotFound) }
}

fn must_be_proposer(rel: Relation) -> Result<(), ApiError> {
    if rel.proposer { Ok(()) } else { Err(DemocracyError::NotProposer.into()) }
}

pub(crate) fn must_decide(a: &Acting<'_>) -> Result<(), ApiError> {
    if a.viewer.decides() { Ok(()) } else { Err(ApiError::Forbidden) }
}

/// Runs `f` in a transaction and returns the proposal's view afterwards.
macro_rules! in_tx {
    ($conn:expr, $id:expr, |$c:ident| $body:expr) => {{
        $conn.transaction::<_, ApiError, _>(async |$c| $body).await?;
        crate::democracy::proposals::store::view_unchecked($conn, $id).await
    }};
}
pub(crate) use in_tx;

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn submit(conn: &mut AsyncPgConnection, a: &Acting<'_>, id: i64) -> Result<ProposalView, ApiError> {
    in_tx!(conn, id, |conn| {
        let (c, rel) = lock_visible(conn, a, id).await?;
        must_be_proposer(rel)?;
        let congress = access::congress(conn, c.congress_id).await?;
        congress.ensure_not_closed()?;
        let invited = cosigners_with(conn, id, None).await?;
        let late = rules::is_late(today_shanghai(), congress.proposal_deadline);
        if !late && (invited.len() as i64) < i64::from(congress.min_cosigners) {
            return Err(DemocracyError::TooFewCosigners { min: congress.min_cosigners }.into());
        }
        let agreed = cosigners_with(conn, id, Some(CosignStatus::Agreed)).await?.len() as i64;
        let action = ProposalAction::Submit { late, cosigned: agreed >= i64::from(congress.min_cosigners) };
        let to = rules::proposal_transition(c.status, action)?;
        let now = Utc::now();
        diesel::update(proposals::table.filter(proposals::id.eq(id)))
            .set((
                proposals::submitted_at.eq(now),
                proposals::reviewable_at.eq((to == ProposalStatus::UnderReview).then_some(now)),
            ))
            .execute(conn)
            .await?;
        if late {
            to_suggestion(conn, a, &c, "late_proposal").await?;
        } else {
            diesel::update(proposal_cosigners::table.filter(proposal_cosigners::proposal_id.eq(id)))
                .set(proposal_cosigners::invited_at.eq(now))
                .execute(conn)
                .await?;
            invite(conn, a, &c, &invited).await?;
        }
        let comment = late.then_some("逾期提交，转为意见建议");
        record_transition(conn, a, &c, action, to, comment).await
    })
}

/// Delegate ids of the proposal's co-signers (with `status` when given).
async fn cosigners_with(
    conn: &mut AsyncPgConnection,
    id: i64,
    status: Option<CosignStatus>,
) -> Result<Vec<i64>, ApiError> {
    let mut q = proposal_cosigners::table
        .filter(proposal_cosigners::proposal_id.eq(id))
        .select(proposal_cosigners::delegate_id)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(proposal_cosigners::status.eq(s.as_str()));
    }
    Ok(q.load(conn).await?)
}

/// WeChat invitations to the co-signers.
async fn invite(conn: &mut AsyncPgConnection, a: &Acting<'_>, c: &Core, delegate_ids: &[i64]) -> Result<(), ApiError> {
    let members: Vec<(i64, i64)> = delegates::table
        .filter(delegates::id.eq_any(delegate_ids))
        .select((delegates::id, delegates::member_id))
        .load(conn)
        .await?;
    for (delegate_id, member_id) in members {
        let data = json!({
            "thing1": c.title,
            "phrase2": "邀请附议",
            "date3": today_shanghai().to_string(),
            "page": format!("pages/proposals/cosign?id={}", c.id),
        });
        let dedupe = format!("proposal:{}:cosign:{delegate_id}", c.id);
        messages::enqueue_member_message(conn, a.config, member_id, EVENT_COSIGN_INVITED, data, &dedupe).await?;
    }
    Ok(())
}

/// Creates the suggestion a proposal becomes (late or converted) and links it.
pub(crate) async fn to_suggestion(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    c: &Core,
    source: &str,
) -> Result<i64, ApiError> {
    type Text = (i64, String, String, String, String, String);
    let (member_id, category, title, cause, analysis, measures): Text = proposals::table
        .inner_join(delegates::table.on(delegates::id.eq(proposals::proposer_delegate_id)))
        .filter(proposals::id.eq(c.id))
        .select((
            delegates::member_id,
            proposals::category,
            proposals::title,
            proposals::cause,
            proposals::analysis,
            proposals::measures,
        ))
        .first(conn)
        .await?;
    let content = format!("案由：{cause}\n\n理由：{analysis}\n\n建议：{measures}");
    let suggestion_id: i64 = diesel::insert_into(suggestions::table)
        .values((
            suggestions::congress_id.eq(c.congress_id),
            suggestions::member_id.eq(member_id),
            suggestions::category.eq(category),
            suggestions::title.eq(title),
            suggestions::content.eq(content),
            suggestions::source.eq(source),
            suggestions::from_proposal_id.eq(c.id),
            suggestions::created_by.eq(a.actor.user_id),
        ))
        .returning(suggestions::id)
        .get_result(conn)
        .await?;
    diesel::update(proposals::table.filter(proposals::id.eq(c.id)))
        .set(proposals::suggestion_id.eq(suggestion_id))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        a.actor,
        "suggestion.create",
        "suggestion",
        suggestion_id,
        audit::NONE,
        Some(&json!({
            "source": source, "from_proposal_id": c.id,
        })),
    )
    .await?;
    Ok(suggestion_id)
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn cosign(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    id: i64,
    body: &CosignBody,
) -> Result<ProposalView, ApiError> {
    in_tx!(conn, id, |conn| {
        let (c, rel) = lock_visible(conn, a, id).await?;
        if !rel.invited_cosigner {
            return Err(DemocracyError::NotInvited.into());
        }
        let row: Option<(i64, String)> = proposal_cosigners::table
            .filter(proposal_cosigners::proposal_id.eq(id))
            .filter(proposal_cosigners::delegate_id.eq_any(a.viewer.delegate_ids()))
            .select((proposal_cosigners::delegate_id, proposal_cosigners::status))
            .first(conn)
            .await
            .optional()?;
        let Some((delegate_id, status)) = row else { return Err(DemocracyError::NotInvited.into()) };
        if !matches!(c.status, ProposalStatus::Submitted | ProposalStatus::UnderReview) {
            return Err(DemocracyError::InvalidTransition.into());
        }
        if status != CosignStatus::Pending.as_str() {
            return Err(DemocracyError::AlreadyAnswered.into());
        }
        let answer = match body.decision {
            CosignDecision::Agree => CosignStatus::Agreed,
            CosignDecision::Decline => CosignStatus::Declined,
        };
        diesel::update(
            proposal_cosigners::table
                .filter(proposal_cosigners::proposal_id.eq(id))
                .filter(proposal_cosigners::delegate_id.eq(delegate_id)),
        )
        .set((proposal_cosigners::status.eq(answer.as_str()), proposal_cosigners::responded_at.eq(Utc::now())))
        .execute(conn)
        .await?;
        let congress = access::congress(conn, c.congress_id).await?;
        let agreed = cosigners_with(conn, id, Some(CosignStatus::Agreed)).await?.len() as i64;
        let action = ProposalAction::Cosign { threshold_reached: agreed >= i64::from(congress.min_cosigners) };
        let to = rules::proposal_transition(c.status, action)?;
        if to == ProposalStatus::UnderReview && c.status == ProposalStatus::Submitted {
            diesel::update(proposals::table.filter(proposals::id.eq(id)))
                .set(proposals::reviewable_at.eq(Utc::now()))
                .execute(conn)
                .await?;
        }
        // The delegate by name (their member's), as the co-signer list shows them.
        let names = store::briefs_unchecked(conn, &[delegate_id]).await?;
        let who = names.get(&delegate_id).map_or_else(|| format!("#{delegate_id}"), |b| b.name.clone());
        let comment = format!("{who} {}", answer.label());
        record_transition(conn, a, &c, action, to, Some(&comment)).await
    })
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn withdraw(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    id: i64,
    body: &CommentBody,
) -> Result<ProposalView, ApiError> {
    in_tx!(conn, id, |conn| {
        let (c, rel) = lock_visible(conn, a, id).await?;
        must_be_proposer(rel)?;
        let to = rules::proposal_transition(c.status, ProposalAction::Withdraw)?;
        record_transition(conn, a, &c, ProposalAction::Withdraw, to, body.comment.as_deref()).await
    })
}

/// The caller handles for the lead department of this proposal (403 `not_lead_handler`
/// for co-handlers; 404 for anyone else, through visibility).
async fn lead_handler_lock(conn: &mut AsyncPgConnection, a: &Acting<'_>, id: i64) -> Result<(Core, i64), ApiError> {
    let (c, _) = lock_visible(conn, a, id).await?;
    let lead: Option<i64> = proposal_departments::table
        .filter(proposal_departments::proposal_id.eq(id))
        .filter(proposal_departments::role.eq("lead"))
        .select(proposal_departments::department_id)
        .first(conn)
        .await
        .optional()?;
    match lead {
        Some(d) if a.viewer.department_ids().contains(&d) => Ok((c, d)),
        _ => Err(DemocracyError::NotLeadHandler.into()),
    }
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn request_extension(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    id: i64,
    body: &ExtensionBody,
) -> Result<ProposalView, ApiError> {
    in_tx!(conn, id, |conn| {
        let (c, _) = lead_handler_lock(conn, a, id).await?;
        let to = rules::proposal_transition(c.status, ProposalAction::RequestExtension)?;
        if c.extension_status != ExtensionStatus::None {
            return Err(DemocracyError::ExtensionAlreadyRequested.into());
        }
        let congress = access::congress(conn, c.congress_id).await?;
        if body.days > congress.max_extension_days {
            return Err(ApiError::Validation(vec![
                FieldIssue::new("days", "range").with("min", 1).with("max", congress.max_extension_days),
            ]));
        }
        diesel::update(proposals::table.filter(proposals::id.eq(id)))
            .set((
                proposals::extension_status.eq("requested"),
                proposals::extension_days.eq(body.days),
                proposals::extension_reason.eq(&body.reason),
            ))
            .execute(conn)
            .await?;
        let comment = format!("申请延期 {} 天：{}", body.days, body.reason);
        record_transition(conn, a, &c, ProposalAction::RequestExtension, to, Some(&comment)).await
    })
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn reply(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    id: i64,
    body: &ReplyBody,
) -> Result<ProposalView, ApiError> {
    in_tx!(conn, id, |conn| {
        let (c, department_id) = lead_handler_lock(conn, a, id).await?;
        let to = rules::proposal_transition(c.status, ProposalAction::Reply)?;
        let congress = access::congress(conn, c.congress_id).await?;
        let today = today_shanghai();
        let due = c.reply_due_on.unwrap_or(today);
        let user = a.actor.user_id.ok_or(DemocracyError::NotLeadHandler)?;
        diesel::insert_into(proposal_replies::table)
            .values((
                proposal_replies::proposal_id.eq(id),
                proposal_replies::round.eq(c.rehandle_count + 1),
                proposal_replies::department_id.eq(department_id),
                proposal_replies::result_code.eq(body.result_code.as_str()),
                proposal_replies::content.eq(&body.content),
                proposal_replies::due_on.eq(due),
                proposal_replies::on_time.eq(rules::replied_on_time(today, due)),
                proposal_replies::replied_by.eq(user),
            ))
            .execute(conn)
            .await?;
        let feedback_due =
            crate::kernel::calendar::add_working_days(today, congress.feedback_working_days.max(1) as u32);
        diesel::update(proposals::table.filter(proposals::id.eq(id)))
            .set((
                proposals::replied_at.eq(Utc::now()),
                proposals::result_code.eq(body.result_code.as_str()),
                proposals::feedback_due_on.eq(feedback_due),
                proposals::feedback.eq(None::<String>),
            ))
            .execute(conn)
            .await?;
        let comment = format!("答复（{}）", body.result_code.label());
        record_transition(conn, a, &c, ProposalAction::Reply, to, Some(&comment)).await?;
        let dedupe = format!("proposal:{id}:replied:{}", c.rehandle_count + 1);
        tell_proposer(conn, a, &c, "已答复", &dedupe).await
    })
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn feedback(
    conn: &mut AsyncPgConnection,
    a: &Acting<'_>,
    id: i64,
    body: &FeedbackBody,
) -> Result<ProposalView, ApiError> {
    in_tx!(conn, id, |conn| {
        let (c, rel) = lock_visible(conn, a, id).await?;
        must_be_proposer(rel)?;
        let to = rules::proposal_transition(c.status, ProposalAction::Feedback)?;
        let now = Utc::now();
        diesel::update(proposals::table.filter(proposals::id.eq(id)))
            .set(proposals::feedback.eq(body.verdict.as_str()))
            .execute(conn)
            .await?;
        diesel::update(
            proposal_replies::table
                .filter(proposal_replies::proposal_id.eq(id))
                .filter(proposal_replies::round.eq(c.rehandle_count + 1)),
        )
        .set((
            proposal_replies::feedback.eq(body.verdict.as_str()),
            proposal_replies::feedback_comment.eq(body.comment.as_deref()),
            proposal_replies::feedback_at.eq(now),
        ))
        .execute(conn)
        .await?;
        let comment = match &body.comment {
            Some(text) => format!("{}：{text}", body.verdict.label()),
            None => body.verdict.label().to_owned(),
        };
        record_transition(conn, a, &c, ProposalAction::Feedback, to, Some(&comment)).await
    })
}
