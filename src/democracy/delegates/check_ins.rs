//! Attendance: check-ins per sitting (taken while the congress is in session, idempotent)
//! and participation per sitting, per delegation and overall. Reads are filtered by
//! `congresses_rules::Visible` like the roll; check-ins need the congress in the caller's
//! scope and are audited in their transaction.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{Array, BigInt, Nullable, SmallInt, Text, Timestamptz};
use diesel::{ExpressionMethods, JoinOnDsl, QueryDsl, QueryableByName};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::audit::{self, Actor};
use crate::auth::permissions::Authorized;
use crate::democracy::access::{self};
use crate::democracy::congresses::rules::{self as crules, CheckInEffect, Visible};
use crate::democracy::delegates::dto::{
    CheckInQuery, CheckInReport, CheckInRequest, CheckInView, DelegationParticipation, Participation,
    SittingParticipation,
};
use crate::democracy::delegates::store::Count;
use crate::democracy::delegates::store::RollAccess;
use crate::democracy::motions::rules::{Attendance, quorum_met};
use crate::democracy::types::{CheckInStatus, DelegateKind};
use crate::error::{ApiError, FieldIssue};
use crate::http::pagination::PageParams;
use crate::kernel::money::Bp;
use crate::schema::{check_ins, delegates, members};

// ---------------------------------------------------------------- check-ins

/// Records attendance at a sitting (the congress must be in session). Idempotent: the same
/// call twice records nothing new; excused → present is an update; present stays present.
#[tracing::instrument(skip_all, fields(congress_id = congress_id))]
pub async fn check_in(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    congress_id: i64,
    input: &CheckInRequest,
    actor: &Actor,
) -> Result<CheckInReport, ApiError> {
    let scope = auth.scope();
    let wanted = input.status.unwrap_or(CheckInStatus::Present);
    conn.transaction::<_, ApiError, _>(async |conn| {
        let congress = access::congress(conn, congress_id).await?;
        congress.ensure_in_scope(scope)?;
        crules::check_ins_open(congress.status)?;
        let mut report = CheckInReport { sitting: input.sitting, status: Some(wanted), ..CheckInReport::default() };
        let targets: Vec<i64> = match (&input.delegate_ids, &input.staff_nos) {
            (Some(ids), None) => {
                let found: HashSet<i64> = delegates::table
                    .filter(delegates::congress_id.eq(congress.id))
                    .filter(delegates::id.eq_any(ids))
                    .select(delegates::id)
                    .load::<i64>(conn)
                    .await?
                    .into_iter()
                    .collect();
                let mut seen = HashSet::new();
                report.unknown_delegate_ids =
                    ids.iter().copied().filter(|id| !found.contains(id) && seen.insert(*id)).collect();
                found.into_iter().collect()
            }
            (None, Some(staff_nos)) => {
                let found: Vec<(i64, String)> = delegates::table
                    .inner_join(members::table.on(members::id.eq(delegates::member_id)))
                    .filter(delegates::congress_id.eq(congress.id))
                    .filter(members::staff_no.eq_any(staff_nos))
                    .select((delegates::id, members::staff_no))
                    .load(conn)
                    .await?;
                let known: HashSet<&str> = found.iter().map(|(_, s)| s.as_str()).collect();
                let mut seen = HashSet::new();
                report.unknown_staff_nos = staff_nos
                    .iter()
                    .filter(|s| !known.contains(s.as_str()) && seen.insert(s.as_str()))
                    .cloned()
                    .collect();
                found.into_iter().map(|(id, _)| id).collect()
            }
            _ => {
                return Err(ApiError::Validation(vec![
                    FieldIssue::new("delegate_ids", "one_of").with("choices", "delegate_ids, staff_nos"),
                ]));
            }
        };
        let existing: HashMap<i64, CheckInStatus> = check_ins::table
            .filter(check_ins::sitting.eq(input.sitting))
            .filter(check_ins::delegate_id.eq_any(&targets))
            .select((check_ins::delegate_id, check_ins::status))
            .load::<(i64, CheckInStatus)>(conn)
            .await?
            .into_iter()
            .collect();
        let (mut new, mut upgrade) = (Vec::new(), Vec::new());
        for id in targets {
            match crules::check_in_effect(existing.get(&id).copied(), wanted) {
                CheckInEffect::Record => new.push(id),
                CheckInEffect::Update => upgrade.push(id),
                CheckInEffect::Unchanged => report.unchanged += 1,
            }
        }
        if !new.is_empty() {
            let rows: Vec<_> = new
                .iter()
                .map(|id| {
                    (
                        check_ins::delegate_id.eq(*id),
                        check_ins::sitting.eq(input.sitting),
                        check_ins::status.eq(wanted.as_str()),
                        check_ins::recorded_by.eq(actor.user_id),
                    )
                })
                .collect();
            let n = diesel::insert_into(check_ins::table).values(rows).on_conflict_do_nothing().execute(conn).await?;
            report.recorded = i64::try_from(n).unwrap_or(0);
            report.unchanged += i64::try_from(new.len() - n).unwrap_or(0);
        }
        if !upgrade.is_empty() {
            let n = diesel::update(
                check_ins::table
                    .filter(check_ins::sitting.eq(input.sitting))
                    .filter(check_ins::delegate_id.eq_any(&upgrade)),
            )
            .set((
                check_ins::status.eq(wanted.as_str()),
                check_ins::recorded_by.eq(actor.user_id),
                check_ins::recorded_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
            report.updated = i64::try_from(n).unwrap_or(0);
        }
        audit::record(conn, actor, "congress.check_in", "congress", congress.id, audit::NONE, Some(&report)).await?;
        Ok(report)
    })
    .await
}

const CHECK_IN_FROM: &str = "FROM check_ins c \
     JOIN delegates d ON d.id = c.delegate_id \
     JOIN members m ON m.id = d.member_id \
     JOIN units du ON du.id = d.delegation_unit_id \
     WHERE d.congress_id = $1 \
       AND ($2::text[] IS NULL OR du.path LIKE ANY($2)) \
       AND ($3::smallint IS NULL OR c.sitting = $3) \
       AND ($4::text IS NULL OR c.status = $4) \
       AND ($5::text IS NULL OR d.kind = $5)";

#[derive(QueryableByName)]
struct CheckInRow {
    #[diesel(sql_type = BigInt)]
    delegate_id: i64,
    #[diesel(sql_type = BigInt)]
    member_id: i64,
    #[diesel(sql_type = Text)]
    staff_no: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    kind: DelegateKind,
    #[diesel(sql_type = BigInt)]
    delegation_unit_id: i64,
    #[diesel(sql_type = Text)]
    delegation_unit_name: String,
    #[diesel(sql_type = SmallInt)]
    sitting: i16,
    #[diesel(sql_type = Text)]
    status: CheckInStatus,
    #[diesel(sql_type = Timestamptz)]
    recorded_at: DateTime<Utc>,
}

fn bind_check_ins<'f>(
    q: BoxedSqlQuery<'f, Pg, diesel::query_builder::SqlQuery>,
    congress_id: i64,
    visible: &Visible,
    f: &CheckInQuery,
) -> BoxedSqlQuery<'f, Pg, diesel::query_builder::SqlQuery> {
    q.bind::<BigInt, _>(congress_id)
        .bind::<Nullable<Array<Text>>, _>(visible.patterns())
        .bind::<Nullable<SmallInt>, _>(f.sitting)
        .bind::<Nullable<Text>, _>(f.status.map(|s| s.as_str()))
        .bind::<Nullable<Text>, _>(f.kind.map(|k| k.as_str()))
}

/// Check-in records the reader sees, by sitting and delegation.
#[tracing::instrument(skip_all)]
pub async fn list_check_ins(
    conn: &mut AsyncPgConnection,
    roll: &RollAccess,
    filter: &CheckInQuery,
    page: &PageParams,
) -> Result<(Vec<CheckInView>, i64), ApiError> {
    let (congress_id, visible) = (roll.congress.id, &roll.visible);
    let count = diesel::sql_query(format!("SELECT count(*) AS n {CHECK_IN_FROM}")).into_boxed();
    let total = bind_check_ins(count, congress_id, visible, filter).get_result::<Count>(conn).await?.n;
    let items = check_in_rows(conn, roll, filter, page.per_page(), page.offset()).await?;
    Ok((items, total))
}

/// Every check-in record the reader sees, up to `max`, in the order of the list (the export).
#[tracing::instrument(skip_all)]
pub async fn list_all_check_ins(
    conn: &mut AsyncPgConnection,
    roll: &RollAccess,
    filter: &CheckInQuery,
    max: i64,
) -> Result<Vec<CheckInView>, ApiError> {
    check_in_rows(conn, roll, filter, max, 0).await
}

async fn check_in_rows(
    conn: &mut AsyncPgConnection,
    roll: &RollAccess,
    filter: &CheckInQuery,
    limit: i64,
    offset: i64,
) -> Result<Vec<CheckInView>, ApiError> {
    let (congress_id, visible) = (roll.congress.id, &roll.visible);
    let select = format!(
        "SELECT c.delegate_id, d.member_id, m.staff_no, m.name, d.kind, d.delegation_unit_id, \
         du.name AS delegation_unit_name, c.sitting, c.status, c.recorded_at {CHECK_IN_FROM} \
         ORDER BY c.sitting, du.path, d.kind, m.staff_no, d.id LIMIT $6 OFFSET $7"
    );
    let rows: Vec<CheckInRow> = bind_check_ins(diesel::sql_query(select).into_boxed(), congress_id, visible, filter)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| CheckInView {
            delegate_id: r.delegate_id,
            member_id: r.member_id,
            staff_no: r.staff_no,
            name: r.name,
            kind: r.kind,
            delegation_unit_id: r.delegation_unit_id,
            delegation_unit_name: r.delegation_unit_name,
            sitting: r.sitting,
            status: r.status,
            recorded_at: r.recorded_at,
        })
        .collect())
}

// ---------------------------------------------------------------- participation

#[derive(QueryableByName)]
struct DelegationRow {
    #[diesel(sql_type = BigInt)]
    unit_id: i64,
    #[diesel(sql_type = Text)]
    unit_name: String,
    #[diesel(sql_type = BigInt)]
    formal_total: i64,
    #[diesel(sql_type = BigInt)]
    observer_total: i64,
    #[diesel(sql_type = BigInt)]
    formal_attended: i64,
}

#[derive(QueryableByName)]
struct SittingRow {
    #[diesel(sql_type = SmallInt)]
    sitting: i16,
    #[diesel(sql_type = BigInt)]
    present: i64,
    #[diesel(sql_type = BigInt)]
    excused: i64,
    #[diesel(sql_type = BigInt)]
    observers_present: i64,
}

/// Participation of the delegates the reader sees: per sitting (the sittings anyone checked
/// in at), per delegation, and overall. Public to the reports.
#[tracing::instrument(skip_all)]
pub async fn participation(conn: &mut AsyncPgConnection, roll: &RollAccess) -> Result<Participation, ApiError> {
    let (congress, visible) = (&roll.congress, &roll.visible);
    let delegations: Vec<DelegationRow> = diesel::sql_query(
        "SELECT du.id AS unit_id, du.name AS unit_name, \
                count(*) FILTER (WHERE d.kind = 'formal') AS formal_total, \
                count(*) FILTER (WHERE d.kind = 'observer') AS observer_total, \
                count(*) FILTER (WHERE d.kind = 'formal' AND EXISTS ( \
                    SELECT 1 FROM check_ins c WHERE c.delegate_id = d.id AND c.status = 'present')) AS formal_attended \
         FROM delegates d JOIN units du ON du.id = d.delegation_unit_id \
         WHERE d.congress_id = $1 AND ($2::text[] IS NULL OR du.path LIKE ANY($2)) \
         GROUP BY du.id, du.name, du.path ORDER BY du.path",
    )
    .bind::<BigInt, _>(congress.id)
    .bind::<Nullable<Array<Text>>, _>(visible.patterns())
    .load(conn)
    .await?;
    let sittings: Vec<SittingRow> = diesel::sql_query(
        "SELECT c.sitting, \
                count(*) FILTER (WHERE d.kind = 'formal' AND c.status = 'present') AS present, \
                count(*) FILTER (WHERE d.kind = 'formal' AND c.status = 'excused') AS excused, \
                count(*) FILTER (WHERE d.kind = 'observer' AND c.status = 'present') AS observers_present \
         FROM check_ins c JOIN delegates d ON d.id = c.delegate_id JOIN units du ON du.id = d.delegation_unit_id \
         WHERE d.congress_id = $1 AND ($2::text[] IS NULL OR du.path LIKE ANY($2)) \
         GROUP BY c.sitting ORDER BY c.sitting",
    )
    .bind::<BigInt, _>(congress.id)
    .bind::<Nullable<Array<Text>>, _>(visible.patterns())
    .load(conn)
    .await?;
    let formal_total: i64 = delegations.iter().map(|d| d.formal_total).sum();
    let observer_total: i64 = delegations.iter().map(|d| d.observer_total).sum();
    let formal_attended: i64 = delegations.iter().map(|d| d.formal_attended).sum();
    let complete = *visible == Visible::All;
    Ok(Participation {
        congress_id: congress.id,
        complete,
        formal_total,
        observer_total,
        formal_attended,
        rate_bp: Bp::rate(formal_attended, formal_total),
        sittings: sittings
            .into_iter()
            .map(|s| {
                let att = Attendance { formal_total, present: s.present, excused: s.excused };
                SittingParticipation {
                    sitting: s.sitting,
                    formal_total,
                    present: s.present,
                    excused: s.excused,
                    absent: (formal_total - s.present - s.excused).max(0),
                    observers_present: s.observers_present,
                    rate_bp: Bp::rate(s.present, formal_total),
                    quorum_met: complete.then(|| quorum_met(&congress.rule, &att)),
                }
            })
            .collect(),
        by_delegation: delegations
            .into_iter()
            .map(|d| DelegationParticipation {
                rate_bp: Bp::rate(d.formal_attended, d.formal_total),
                unit_id: d.unit_id,
                unit_name: d.unit_name,
                formal_total: d.formal_total,
                observer_total: d.observer_total,
                formal_attended: d.formal_attended,
            })
            .collect(),
    })
}
