//! Motions, secret ballots and results.
//!
//! Secrecy: a ballot is two rows written in one transaction — a receipt naming the delegate
//! (no choice) and a ballot holding the choice (no delegate, no time, random id). Nothing
//! here logs, audits or emits a choice; per-choice counts appear only once voting has closed.
//! (Inside PostgreSQL both rows still carry the same transaction id in `xmin`; the ballots
//! table is append-only by trigger, so they cannot be rewritten at close to erase that.)

use crate::democracy::error::DemocracyError;
use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, exists, not};
use diesel::{
    BoolExpressionMethods, ExpressionMethods, JoinOnDsl, NullableExpressionMethods, QueryDsl, Queryable,
    QueryableByName, Selectable, SelectableHelper,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::permissions::{Authorized, Caller};
use crate::democracy::access::{self, CongressAccess, CongressRef};
use crate::democracy::motions::dto::{
    CreateMotion, MajorityView, MotionHistoryEntry, MotionQuery, MotionResult, MotionView, MyMotion, QuorumView,
    UpdateMotion,
};
use crate::democracy::motions::rules as motions_rules;
use crate::democracy::motions::rules::{Attendance, Tally, VotingRule};
use crate::democracy::motions::rules::{MotionAction, motion_transition};
use crate::democracy::types::{Choice, CongressStatus, MotionKind, MotionStatus};
use crate::error::ApiError;
use crate::http::etag::IfMatch;
use crate::http::pagination::PageParams;
use crate::schema::{ballot_receipts, ballots, check_ins, congresses, delegates, motion_history, motions, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = motions, check_for_backend(diesel::pg::Pg))]
struct MotionRow {
    id: i64,
    congress_id: i64,
    kind: MotionKind,
    title: String,
    description: Option<String>,
    sitting: i16,
    status: MotionStatus,
    voting_opened_at: Option<DateTime<Utc>>,
    voting_closed_at: Option<DateTime<Utc>>,
    formal_total: Option<i32>,
    present_count: Option<i32>,
    expected_count: Option<i32>,
    for_count: Option<i32>,
    against_count: Option<i32>,
    abstain_count: Option<i32>,
    quorum_met: Option<bool>,
    passed: Option<bool>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl MotionRow {
    fn status(&self) -> MotionStatus {
        self.status
    }

    fn frozen(&self) -> Option<Frozen> {
        if self.status() != MotionStatus::Closed {
            return None;
        }
        let n = |v: Option<i32>| v.map(i64::from);
        Some(Frozen {
            attendance: Attendance {
                formal_total: n(self.formal_total)?,
                present: n(self.present_count)?,
                excused: n(self.formal_total)? - n(self.expected_count)?,
            },
            tally: Tally {
                for_count: n(self.for_count)?,
                against_count: n(self.against_count)?,
                abstain_count: n(self.abstain_count)?,
            },
            quorum_met: self.quorum_met?,
            passed: self.passed?,
        })
    }

    /// The motion as shown; once closed, with the same result `GET /motions/{id}/result` gives.
    fn view(&self, rule: &VotingRule) -> MotionView {
        MotionView {
            id: self.id,
            congress_id: self.congress_id,
            kind: self.kind,
            title: self.title.clone(),
            description: self.description.clone(),
            sitting: self.sitting,
            status: self.status(),
            voting_opened_at: self.voting_opened_at,
            voting_closed_at: self.voting_closed_at,
            result: self.frozen().map(|f| figures(self.id, self.status(), rule, &f.attendance, &f.tally, Some(&f))),
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// The figures frozen on the motion when voting closed (the verdict is never re-decided).
struct Frozen {
    attendance: Attendance,
    tally: Tally,
    quorum_met: bool,
    passed: bool,
}

/// The one shape of a motion's result, live (turnout only) or frozen (with the counts and
/// the verdict recorded at close).
fn figures(
    motion_id: i64,
    status: MotionStatus,
    rule: &VotingRule,
    att: &Attendance,
    tally: &Tally,
    frozen: Option<&Frozen>,
) -> MotionResult {
    let decision = motions_rules::decide(rule, att, tally);
    let show = motions_rules::choices_visible(status) && frozen.is_some();
    let cast = tally.cast();
    MotionResult {
        motion_id,
        status,
        is_final: show,
        formal_total: att.formal_total,
        present: att.present,
        expected: att.expected(),
        cast,
        not_voted: (att.formal_total - cast).max(0),
        for_count: show.then_some(tally.for_count),
        against_count: show.then_some(tally.against_count),
        abstain_count: show.then_some(tally.abstain_count),
        quorum: QuorumView {
            met: frozen.map_or(decision.quorum_met, |f| f.quorum_met),
            needed: decision.quorum_needed,
            num: rule.quorum_num,
            den: rule.quorum_den,
            inclusive: rule.quorum_inclusive,
        },
        majority: MajorityView {
            base: rule.majority_base,
            denominator: decision.majority_denominator,
            votes_needed: decision.votes_needed,
        },
        passed: frozen.map(|f| f.passed),
    }
}

async fn row(conn: &mut AsyncPgConnection, id: i64) -> Result<MotionRow, ApiError> {
    Ok(motions::table.filter(motions::id.eq(id)).select(MotionRow::as_select()).first(conn).await?)
}

/// The row, locked for the rest of the transaction (status changes).
async fn row_for_update(conn: &mut AsyncPgConnection, id: i64) -> Result<MotionRow, ApiError> {
    Ok(motions::table.filter(motions::id.eq(id)).select(MotionRow::as_select()).for_update().first(conn).await?)
}

// ---------------------------------------------------------------------------------------
// Who may see and run a congress's motions
// ---------------------------------------------------------------------------------------

/// The congress of a motion a manager acts on: 404 outside the manager's scope.
async fn managed_congress(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    congress_id: i64,
) -> Result<CongressRef, ApiError> {
    let scope = auth.scope();
    let congress = access::congress(conn, congress_id).await?;
    congress.ensure_in_scope(scope)?;
    Ok(congress)
}

fn refuse(action: MotionAction, from: MotionStatus) -> Result<MotionStatus, ApiError> {
    Ok(motion_transition(from, action)?)
}

async fn write_history(
    conn: &mut AsyncPgConnection,
    motion_id: i64,
    action: &str,
    from: Option<MotionStatus>,
    to: MotionStatus,
    actor: &Actor,
) -> Result<(), ApiError> {
    diesel::insert_into(motion_history::table)
        .values((
            motion_history::motion_id.eq(motion_id),
            motion_history::action.eq(action),
            motion_history::from_status.eq(from.map(MotionStatus::as_str)),
            motion_history::to_status.eq(to.as_str()),
            motion_history::actor_user_id.eq(actor.user_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------

fn filtered(congress_id: i64, q: &MotionQuery) -> motions::BoxedQuery<'static, diesel::pg::Pg> {
    let mut query = motions::table.filter(motions::congress_id.eq(congress_id)).into_boxed();
    if let Some(kind) = q.kind {
        query = query.filter(motions::kind.eq(kind.as_str()));
    }
    if let Some(status) = q.status {
        query = query.filter(motions::status.eq(status.as_str()));
    }
    query
}

/// A congress's motions in agenda order (sitting, then creation).
#[tracing::instrument(skip_all, fields(congress_id = congress_id))]
pub async fn list(
    conn: &mut AsyncPgConnection,
    access: &CongressAccess,
    congress_id: i64,
    q: &MotionQuery,
    limit: i64,
    offset: i64,
) -> Result<(Vec<MotionView>, i64), ApiError> {
    let congress = access::congress(conn, congress_id).await?;
    access.ensure_sees(&congress)?;
    let total: i64 = filtered(congress_id, q).count().get_result(conn).await?;
    let rows: Vec<MotionRow> = filtered(congress_id, q)
        .order((motions::sitting.asc(), motions::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(MotionRow::as_select())
        .load(conn)
        .await?;
    Ok((rows.iter().map(|r| r.view(&congress.rule)).collect(), total))
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn get(conn: &mut AsyncPgConnection, access: &CongressAccess, id: i64) -> Result<MotionView, ApiError> {
    let motion = row(conn, id).await?;
    let congress = access::congress(conn, motion.congress_id).await?;
    access.ensure_sees(&congress)?;
    Ok(motion.view(&congress.rule))
}

/// The motion's changes, oldest first, for those who may see the motion.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn history(
    conn: &mut AsyncPgConnection,
    access: &CongressAccess,
    id: i64,
    page: &PageParams,
) -> Result<(Vec<MotionHistoryEntry>, i64), ApiError> {
    get(conn, access, id).await?;
    let total: i64 = motion_history::table.filter(motion_history::motion_id.eq(id)).count().get_result(conn).await?;
    type Row = (i64, String, Option<String>, String, Option<i64>, Option<String>, DateTime<Utc>);
    let rows: Vec<Row> = motion_history::table
        .left_join(users::table.on(users::id.nullable().eq(motion_history::actor_user_id)))
        .filter(motion_history::motion_id.eq(id))
        .order((motion_history::at.asc(), motion_history::id.asc()))
        .limit(page.per_page())
        .offset(page.offset())
        .select((
            motion_history::id,
            motion_history::action,
            motion_history::from_status,
            motion_history::to_status,
            motion_history::actor_user_id,
            users::display_name.nullable(),
            motion_history::at,
        ))
        .load(conn)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for (id, action, from, to, actor_user_id, actor_name, at) in rows {
        items.push(MotionHistoryEntry {
            id,
            action,
            from_status: from.as_deref().map(MotionStatus::from_db).transpose()?,
            to_status: MotionStatus::from_db(&to)?,
            actor_user_id,
            actor_name,
            at,
        });
    }
    Ok((items, total))
}

#[derive(QueryableByName)]
struct AttendanceRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    formal_total: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    present: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    excused: i64,
}

/// Formal delegates of the congress and their check-ins at the sitting.
async fn attendance(conn: &mut AsyncPgConnection, congress_id: i64, sitting: i16) -> Result<Attendance, ApiError> {
    let r: AttendanceRow = diesel::sql_query(
        "SELECT count(*) AS formal_total, \
                count(*) FILTER (WHERE c.status = 'present') AS present, \
                count(*) FILTER (WHERE c.status = 'excused') AS excused \
         FROM delegates d LEFT JOIN check_ins c ON c.delegate_id = d.id AND c.sitting = $2 \
         WHERE d.congress_id = $1 AND d.kind = 'formal'",
    )
    .bind::<diesel::sql_types::BigInt, _>(congress_id)
    .bind::<diesel::sql_types::SmallInt, _>(sitting)
    .get_result(conn)
    .await?;
    Ok(Attendance { formal_total: r.formal_total, present: r.present, excused: r.excused })
}

/// The ballots counted by choice.
async fn tally(conn: &mut AsyncPgConnection, motion_id: i64) -> Result<Tally, ApiError> {
    let rows: Vec<(Choice, i64)> = ballots::table
        .filter(ballots::motion_id.eq(motion_id))
        .group_by(ballots::choice)
        .select((ballots::choice, count_star()))
        .load(conn)
        .await?;
    let mut t = Tally::default();
    for (choice, n) in rows {
        match choice {
            Choice::For => t.for_count += n,
            Choice::Against => t.against_count += n,
            Choice::Abstain => t.abstain_count += n,
        }
    }
    Ok(t)
}

/// Turnout: how many delegates have voted (receipts; the same number as ballots).
async fn cast_count(conn: &mut AsyncPgConnection, motion_id: i64) -> Result<i64, ApiError> {
    Ok(ballot_receipts::table.filter(ballot_receipts::motion_id.eq(motion_id)).count().get_result(conn).await?)
}

/// The result: live turnout while voting (no per-choice counts, no verdict), the frozen
/// figures after close — the same object `GET /motions/{id}` carries once closed.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn result(conn: &mut AsyncPgConnection, access: &CongressAccess, id: i64) -> Result<MotionResult, ApiError> {
    let motion = row(conn, id).await?;
    let congress = access::congress(conn, motion.congress_id).await?;
    access.ensure_sees(&congress)?;
    if let Some(f) = motion.frozen() {
        return Ok(figures(id, motion.status(), &congress.rule, &f.attendance, &f.tally, Some(&f)));
    }
    let att = attendance(conn, congress.id, motion.sitting).await?;
    // Turnout from the receipts; the choices stay hidden until close.
    let cast = cast_count(conn, id).await?;
    let mut live = figures(id, motion.status(), &congress.rule, &att, &Tally::default(), None);
    live.cast = cast;
    live.not_voted = (att.formal_total - cast).max(0);
    Ok(live)
}

/// Motions in voting where the member is a formal delegate and has not voted yet.
#[tracing::instrument(skip_all)]
pub async fn open_for_member(
    conn: &mut AsyncPgConnection,
    me: &Caller,
    page: &PageParams,
) -> Result<(Vec<MyMotion>, i64), ApiError> {
    let Some(member_id) = me.member_id() else { return Ok((Vec::new(), 0)) };
    let query = || {
        motions::table
            .inner_join(delegates::table.on(delegates::congress_id.eq(motions::congress_id)))
            .inner_join(congresses::table.on(congresses::id.eq(motions::congress_id)))
            .filter(delegates::member_id.eq(member_id))
            .filter(delegates::kind.eq("formal"))
            .filter(motions::status.eq(MotionStatus::Voting.as_str()))
            .filter(not(exists(
                ballot_receipts::table
                    .filter(ballot_receipts::motion_id.eq(motions::id))
                    .filter(ballot_receipts::delegate_id.eq(delegates::id)),
            )))
    };
    let total: i64 = query().count().get_result(conn).await?;
    type Row = (i64, i64, String, MotionKind, String, Option<String>, i16, Option<DateTime<Utc>>, bool);
    let rows: Vec<Row> = query()
        .order((motions::voting_opened_at.asc(), motions::id.asc()))
        .limit(page.per_page())
        .offset(page.offset())
        .select((
            motions::id,
            motions::congress_id,
            congresses::name,
            motions::kind,
            motions::title,
            motions::description,
            motions::sitting,
            motions::voting_opened_at,
            exists(
                check_ins::table.filter(
                    check_ins::delegate_id
                        .eq(delegates::id)
                        .and(check_ins::sitting.eq(motions::sitting))
                        .and(check_ins::status.eq("present")),
                ),
            ),
        ))
        .load(conn)
        .await?;
    let items = rows
        .into_iter()
        .map(|(id, congress_id, congress_name, kind, title, description, sitting, voting_opened_at, checked_in)| {
            MyMotion { id, congress_id, congress_name, kind, title, description, sitting, voting_opened_at, checked_in }
        })
        .collect();
    Ok((items, total))
}

// ---------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------

#[tracing::instrument(skip_all, fields(congress_id = congress_id))]
pub async fn create(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    congress_id: i64,
    input: &CreateMotion,
    actor: &Actor,
) -> Result<MotionView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let congress = managed_congress(conn, auth, congress_id).await?;
        congress.ensure_not_closed()?;
        let id: i64 = diesel::insert_into(motions::table)
            .values((
                motions::congress_id.eq(congress.id),
                motions::kind.eq(input.kind.as_str()),
                motions::title.eq(&input.title),
                motions::description.eq(input.description.as_deref().filter(|d| !d.is_empty())),
                motions::sitting.eq(input.sitting),
            ))
            .returning(motions::id)
            .get_result(conn)
            .await?;
        write_history(conn, id, "create", None, MotionStatus::Draft, actor).await?;
        let view = row(conn, id).await?.view(&congress.rule);
        audit::record(conn, actor, "motion.create", "motion", id, audit::NONE, Some(&view)).await?;
        Ok(view)
    })
    .await
}

/// Edits a draft motion (409 `motion_not_draft` once voting has opened). An empty
/// description clears it.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn update(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    id: i64,
    input: &UpdateMotion,
    if_match: IfMatch,
    actor: &Actor,
) -> Result<MotionView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = row_for_update(conn, id).await?;
        let congress = managed_congress(conn, auth, before.congress_id).await?;
        if_match.check(before.version)?;
        congress.ensure_not_closed()?;
        refuse(MotionAction::Edit, before.status())?;
        diesel::update(motions::table.filter(motions::id.eq(id)))
            .set((
                input.kind.map(|k| motions::kind.eq(k.as_str())),
                input.title.as_ref().map(|t| motions::title.eq(t)),
                input.description.as_ref().map(|d| motions::description.eq(Some(d).filter(|d| !d.is_empty()))),
                input.sitting.map(|s| motions::sitting.eq(s)),
                motions::version.eq(before.version + 1),
                motions::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        let after = row(conn, id).await?.view(&congress.rule);
        audit::record(conn, actor, "motion.update", "motion", id, Some(&before.view(&congress.rule)), Some(&after))
            .await?;
        Ok(after)
    })
    .await
}

/// draft → voting, while the congress is in session.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn open_voting(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    id: i64,
    actor: &Actor,
) -> Result<MotionView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = row_for_update(conn, id).await?;
        let congress = managed_congress(conn, auth, before.congress_id).await?;
        let to = refuse(MotionAction::OpenVoting, before.status())?;
        if congress.status != CongressStatus::InSession {
            return Err(DemocracyError::CongressNotInSession.into());
        }
        let now = Utc::now();
        diesel::update(motions::table.filter(motions::id.eq(id)))
            .set((
                motions::status.eq(to.as_str()),
                motions::voting_opened_at.eq(now),
                motions::version.eq(before.version + 1),
                motions::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        write_history(conn, id, MotionAction::OpenVoting.name(), Some(before.status()), to, actor).await?;
        let after = row(conn, id).await?.view(&congress.rule);
        audit::record(
            conn,
            actor,
            "motion.open_voting",
            "motion",
            id,
            Some(&before.view(&congress.rule)),
            Some(&after),
        )
        .await?;
        Ok(after)
    })
    .await
}

/// voting → closed: counts the ballots, applies the congress's rule, freezes the figures on
/// the motion and emits `motion.result` (counts only).
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn close_voting(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    id: i64,
    actor: &Actor,
) -> Result<MotionView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        // The exclusive lock waits for ballots in flight (they hold a share lock on the row).
        let before = row_for_update(conn, id).await?;
        let congress = managed_congress(conn, auth, before.congress_id).await?;
        let to = refuse(MotionAction::CloseVoting, before.status())?;
        let att = attendance(conn, congress.id, before.sitting).await?;
        // Rewrites the ballots in random order, so nothing on disk follows the order of voting.
        diesel::sql_query("SELECT reshuffle_ballots($1)")
            .bind::<diesel::sql_types::BigInt, _>(id)
            .execute(conn)
            .await?;
        let tally = tally(conn, id).await?;
        let decision = motions_rules::decide(&congress.rule, &att, &tally);
        let int = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
        let now = Utc::now();
        diesel::update(motions::table.filter(motions::id.eq(id)))
            .set((
                motions::status.eq(to.as_str()),
                motions::voting_closed_at.eq(now),
                motions::formal_total.eq(int(att.formal_total)),
                motions::present_count.eq(int(att.present)),
                motions::expected_count.eq(int(att.expected())),
                motions::for_count.eq(int(tally.for_count)),
                motions::against_count.eq(int(tally.against_count)),
                motions::abstain_count.eq(int(tally.abstain_count)),
                motions::quorum_met.eq(decision.quorum_met),
                motions::passed.eq(decision.passed),
                motions::version.eq(before.version + 1),
                motions::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        write_history(conn, id, MotionAction::CloseVoting.name(), Some(before.status()), to, actor).await?;
        let after = row(conn, id).await?.view(&congress.rule);
        audit::record(
            conn,
            actor,
            "motion.close_voting",
            "motion",
            id,
            Some(&before.view(&congress.rule)),
            Some(&after),
        )
        .await?;
        let event = json!({
            "motion_id": id,
            "congress_id": congress.id,
            "kind": after.kind,
            "title": after.title,
            "formal_total": att.formal_total,
            "present": att.present,
            "expected": att.expected(),
            "for": tally.for_count,
            "against": tally.against_count,
            "abstain": tally.abstain_count,
            "quorum_met": decision.quorum_met,
            "majority_base": congress.rule.majority_base,
            "votes_needed": decision.votes_needed,
            "passed": decision.passed,
        });
        crate::webhooks::emit(conn, "motion.result", event).await?;
        Ok(after)
    })
    .await
}

/// One secret ballot: the caller must be a formal delegate of the motion's congress, the
/// motion voting, the congress in session, and the caller checked in present at the
/// motion's sitting. The receipt goes first, so a second ballot fails on its unique key
/// (409 `already_voted`) before any choice is written.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn cast_ballot(
    conn: &mut AsyncPgConnection,
    access: &CongressAccess,
    me: &Caller,
    id: i64,
    choice: Choice,
    actor: &Actor,
) -> Result<(), ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        // A share lock: ballots run side by side, close-voting waits for them.
        let (congress_id, status, sitting): (i64, MotionStatus, i16) = motions::table
            .filter(motions::id.eq(id))
            .select((motions::congress_id, motions::status, motions::sitting))
            .for_share()
            .first(conn)
            .await?;
        let congress = access::congress(conn, congress_id).await?;
        access.ensure_sees(&congress)?;
        let delegate = access::formal_delegate(conn, me, congress_id).await?;
        refuse(MotionAction::CastBallot, status)?;
        if congress.status != CongressStatus::InSession {
            return Err(DemocracyError::CongressNotInSession.into());
        }
        let present: bool = diesel::select(exists(
            check_ins::table
                .filter(check_ins::delegate_id.eq(delegate.id))
                .filter(check_ins::sitting.eq(sitting))
                .filter(check_ins::status.eq("present")),
        ))
        .get_result(conn)
        .await?;
        if !present {
            return Err(DemocracyError::NotCheckedIn.into());
        }
        diesel::insert_into(ballot_receipts::table)
            .values((ballot_receipts::motion_id.eq(id), ballot_receipts::delegate_id.eq(delegate.id)))
            .execute(conn)
            .await?;
        diesel::insert_into(ballots::table)
            .values((ballots::motion_id.eq(id), ballots::choice.eq(choice.as_str())))
            .execute(conn)
            .await?;
        // Who voted is on record (as on the receipt); what they chose is not.
        let after = json!({ "motion_id": id, "voted": true });
        audit::record(conn, actor, "motion.ballot_cast", "motion", id, audit::NONE, Some(&after)).await?;
        Ok(())
    })
    .await
}
