//! Deadline reminders for proposals, run daily by the job queue (`democracy.proposal_reminders`):
//! the lead department's handlers are reminded 7 days and 1 day before the reply deadline and
//! once it has passed; the proposer 3 days before the feedback window closes. Each reminder is
//! sent once per (proposal, kind, deadline) — recorded in `proposal_reminders` — as a WeChat
//! message (to handlers with a member profile, and to the proposer) and a `proposal.reminder`
//! webhook for the integrated system. A job that missed a day catches up: the windows are
//! ranges, not exact days.

use std::sync::Arc;

use chrono::NaiveDate;
use diesel::{ExpressionMethods, JoinOnDsl, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use crate::auth::permissions::{Authorized, Permission};
use crate::config::Config;
use crate::democracy::types::ProposalStatus;
use crate::error::ApiError;
use crate::integrations::wechat::messages::{self, EVENT_PROPOSAL_DUE};
use crate::jobs::queue::ClaimedJob;
use crate::jobs::{JobContext, JobError, Registry};
use crate::kernel::calendar::today_shanghai;
use crate::schema::{delegates, department_handlers, proposal_departments, proposal_reminders, proposals, users};

pub const JOB_KIND: &str = "democracy.proposal_reminders";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderKind {
    ReplyDue7d,
    ReplyDue1d,
    ReplyOverdue,
    FeedbackDue3d,
}

impl ReminderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::ReplyDue7d => "reply_due_7d",
            ReminderKind::ReplyDue1d => "reply_due_1d",
            ReminderKind::ReplyOverdue => "reply_overdue",
            ReminderKind::FeedbackDue3d => "feedback_due_3d",
        }
    }

    /// The short phrase of the WeChat message (≤ 5 characters).
    fn phrase(self) -> &'static str {
        match self {
            ReminderKind::ReplyDue7d => "7天到期",
            ReminderKind::ReplyDue1d => "明日到期",
            ReminderKind::ReplyOverdue => "已逾期",
            ReminderKind::FeedbackDue3d => "待反馈",
        }
    }
}

/// The reminder a proposal is due today, if any, with the deadline it is about.
pub fn reminder_due(
    status: ProposalStatus,
    reply_due_on: Option<NaiveDate>,
    feedback_due_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<(ReminderKind, NaiveDate)> {
    match status {
        ProposalStatus::Assigned => {
            let due = reply_due_on?;
            let left = (due - today).num_days();
            let kind = match left {
                ..0 => ReminderKind::ReplyOverdue,
                0..=1 => ReminderKind::ReplyDue1d,
                2..=7 => ReminderKind::ReplyDue7d,
                _ => return None,
            };
            Some((kind, due))
        }
        ProposalStatus::Replied => {
            let due = feedback_due_on?;
            (0..=3).contains(&(due - today).num_days()).then_some((ReminderKind::FeedbackDue3d, due))
        }
        _ => None,
    }
}

/// Registers the daily reminders, at 09:00 Asia/Shanghai (01:00 UTC).
pub fn register(r: &mut Registry) {
    r.schedule(crate::jobs::Schedule::daily(JOB_KIND, 1));
    r.register(JOB_KIND, |ctx: Arc<JobContext>, _job: ClaimedJob| async move {
        let mut conn = ctx.pool.get().await.map_err(|e| JobError::Retry(e.to_string()))?;
        send_due(&mut conn, &Authorized::system(Permission::ProposalsDecide), &ctx.config, today_shanghai())
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        Ok(())
    });
}

type Candidate = (i64, Option<String>, String, ProposalStatus, Option<NaiveDate>, Option<NaiveDate>, i64);

/// Sends every reminder due on `today` that has not been sent; returns how many were sent.
#[tracing::instrument(skip_all)]
pub async fn send_due(
    conn: &mut AsyncPgConnection,
    _auth: &Authorized,
    config: &Config,
    today: NaiveDate,
) -> Result<usize, ApiError> {
    let candidates: Vec<Candidate> = proposals::table
        .inner_join(delegates::table.on(delegates::id.eq(proposals::proposer_delegate_id)))
        .filter(proposals::status.eq_any(["assigned", "replied"]))
        .select((
            proposals::id,
            proposals::number,
            proposals::title,
            proposals::status,
            proposals::reply_due_on,
            proposals::feedback_due_on,
            delegates::member_id,
        ))
        .load(conn)
        .await?;
    let mut sent = 0;
    for (id, number, title, status, reply_due, feedback_due, proposer_member) in candidates {
        let Some((kind, due)) = reminder_due(status, reply_due, feedback_due, today) else { continue };
        let first = conn
            .transaction::<_, ApiError, _>(async |conn| {
                let inserted: Option<i64> = diesel::insert_into(proposal_reminders::table)
                    .values((
                        proposal_reminders::proposal_id.eq(id),
                        proposal_reminders::kind.eq(kind.as_str()),
                        proposal_reminders::due_on.eq(due),
                    ))
                    .on_conflict_do_nothing()
                    .returning(proposal_reminders::proposal_id)
                    .get_result(conn)
                    .await
                    .optional()?;
                if inserted.is_none() {
                    return Ok(false);
                }
                let data = json!({
                    "thing1": title,
                    "character_string2": number.clone().unwrap_or_default(),
                    "phrase3": kind.phrase(),
                    "date4": due.to_string(),
                    "page": format!("pages/proposals/detail?id={id}"),
                });
                let recipients = if kind == ReminderKind::FeedbackDue3d {
                    vec![proposer_member]
                } else {
                    lead_handler_members(conn, id).await?
                };
                for member in recipients {
                    let dedupe = format!("proposal:{id}:{}:{due}:{member}", kind.as_str());
                    messages::enqueue_member_message(conn, config, member, EVENT_PROPOSAL_DUE, data.clone(), &dedupe)
                        .await?;
                }
                crate::webhooks::emit(
                    conn,
                    "proposal.reminder",
                    json!({ "proposal_id": id, "number": number, "kind": kind.as_str(), "due_on": due }),
                )
                .await?;
                Ok(true)
            })
            .await?;
        sent += usize::from(first);
    }
    Ok(sent)
}

/// Members behind the handler accounts of the proposal's lead department.
async fn lead_handler_members(conn: &mut AsyncPgConnection, proposal_id: i64) -> Result<Vec<i64>, ApiError> {
    let members: Vec<Option<i64>> = proposal_departments::table
        .inner_join(
            department_handlers::table.on(department_handlers::department_id.eq(proposal_departments::department_id)),
        )
        .inner_join(users::table.on(users::id.eq(department_handlers::user_id)))
        .filter(proposal_departments::proposal_id.eq(proposal_id))
        .filter(proposal_departments::role.eq("lead"))
        .select(users::member_id)
        .load(conn)
        .await?;
    Ok(members.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProposalStatus as S;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn reply_reminders_by_days_left() {
        let due = Some(d("2023-06-18"));
        let at = |today: &str| reminder_due(S::Assigned, due, None, d(today)).map(|r| r.0);
        assert_eq!(at("2023-06-01"), None);
        assert_eq!(at("2023-06-10"), None, "8 days left");
        assert_eq!(at("2023-06-11"), Some(ReminderKind::ReplyDue7d));
        assert_eq!(at("2023-06-16"), Some(ReminderKind::ReplyDue7d), "catching up within the window");
        assert_eq!(at("2023-06-17"), Some(ReminderKind::ReplyDue1d));
        assert_eq!(at("2023-06-18"), Some(ReminderKind::ReplyDue1d), "the deadline day itself");
        assert_eq!(at("2023-06-19"), Some(ReminderKind::ReplyOverdue));
        assert_eq!(reminder_due(S::Replied, due, None, d("2023-06-19")), None);
        assert_eq!(reminder_due(S::Assigned, None, None, d("2023-06-19")), None);
    }

    #[test]
    fn feedback_reminder_three_days_before() {
        let due = Some(d("2023-07-07"));
        let at = |today: &str| reminder_due(S::Replied, None, due, d(today));
        assert_eq!(at("2023-07-03"), None);
        assert_eq!(at("2023-07-04"), Some((ReminderKind::FeedbackDue3d, d("2023-07-07"))));
        assert_eq!(at("2023-07-07").map(|r| r.0), Some(ReminderKind::FeedbackDue3d));
        assert_eq!(at("2023-07-08"), None, "the window has closed");
    }

    #[test]
    fn phrases_fit_wechat() {
        for k in [
            ReminderKind::ReplyDue7d,
            ReminderKind::ReplyDue1d,
            ReminderKind::ReplyOverdue,
            ReminderKind::FeedbackDue3d,
        ] {
            assert!(k.phrase().chars().count() <= 5, "{}", k.phrase());
        }
    }
}
