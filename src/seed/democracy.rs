//! The democracy part of `seed-demo`: the 2023 school congress (四届三次教代会暨工代会) as the
//! union's report describes it — 289 formal and 31 observer delegates from the 24 secondary
//! unions, both sittings attended by every formal delegate, 5 reports and a resolution voted
//! and passed (secret ballots with their receipts), 33 proposals `2023-TA-001…033` each
//! accepted, assigned, replied within the deadline, given feedback and closed, 137 suggestions
//! in the 9 categories, all answered — plus 15 handling departments with a handler account
//! each, and one unit-level congress per secondary union (二级教代会建制率 100%).
//!
//! Everything is generated (names come from the generated members), deterministic, and
//! written in bulk in one transaction. Idempotent: the school congress is keyed by its
//! proposal prefix `2023-TA`; once it exists its content is left alone; departments, handler
//! accounts and unit congresses are upserted (the handlers' shared password is reset, like
//! the other demo accounts).

use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{Array, BigInt, Integer, Timestamptz};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::audit::{self, Actor};
use crate::auth::users::store as users_store;
use crate::auth::{password, permissions::Role};
use crate::democracy::motion_rules::{Attendance, Tally, VotingRule};
use crate::democracy::types::Feedback;
use crate::error::ApiError;
use crate::schema::{
    check_ins, congress_history, congresses, delegates, department_handlers, departments, motion_history, motions,
    proposal_cosigners, proposal_departments, proposal_history, proposal_replies, proposals, suggestions, units, users,
};
use crate::seed::democracy_plan::{
    By, CONGRESS_NAME, CONGRESS_PREFIX, DEPARTMENTS, FORMAL, MOTIONS, OBSERVERS, PROPOSALS, YEAR, at, day,
    proposal_plan, quota, suggestion_plan, topic_of,
};

/// What the seeding left in the database (printed by `seed-demo`).
#[derive(Debug, Clone)]
pub struct DemocracySeed {
    pub congress_id: i64,
    /// False when the congress was already there (nothing of it was added).
    pub created: bool,
    pub formal: i64,
    pub observers: i64,
    pub motions_passed: i64,
    pub proposals: i64,
    pub suggestions: i64,
    pub unit_congresses: i64,
    pub departments: usize,
    /// The shared password of the handler accounts `handler01`…, reset on every run.
    pub handler_password: String,
}

impl std::fmt::Display for DemocracySeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "congress {CONGRESS_PREFIX} ({}): {} formal + {} observer delegates, {} motions passed, {} proposals, \
             {} suggestions{}; {} unit congresses in {YEAR}",
            if self.created { "added" } else { "already there" },
            self.formal,
            self.observers,
            self.motions_passed,
            self.proposals,
            self.suggestions,
            if self.created { "" } else { " (unchanged)" },
            self.unit_congresses,
        )?;
        write!(
            f,
            "handler accounts (one per department) handler01…handler{:02}: password {}",
            self.departments, self.handler_password
        )
    }
}

/// Seeds the democracy demo data on top of the demo union (`unit_ids`: the 24 secondary
/// unions, in order). Runs in one transaction.
pub async fn seed_demo(
    conn: &mut AsyncPgConnection,
    unit_ids: &[i64],
    actor: &Actor,
) -> Result<DemocracySeed, ApiError> {
    let handler_password = password::generate_password();
    let handler_hash = password::hash_password(&handler_password)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let departments = ensure_departments(conn, &handler_hash, actor).await?;
        let root: i64 = units::table.filter(units::parent_id.is_null()).select(units::id).first(conn).await?;
        let admin: Option<i64> =
            users::table.filter(users::username.eq("admin")).select(users::id).first(conn).await.optional()?;
        let existing: Option<i64> = congresses::table
            .filter(congresses::proposal_prefix.eq(CONGRESS_PREFIX))
            .select(congresses::id)
            .first(conn)
            .await
            .optional()?;
        let (congress_id, created) = match existing {
            Some(id) => (id, false),
            None => {
                let id = school_congress(conn, root, unit_ids, &departments, admin).await?;
                (id, true)
            }
        };
        ensure_unit_congresses(conn, unit_ids, admin).await?;
        let summary = summary(conn, congress_id, created, unit_ids, departments.len(), handler_password).await?;
        let after = serde_json::json!({
            "congress_id": summary.congress_id, "created": created, "formal": summary.formal,
            "observers": summary.observers, "proposals": summary.proposals, "suggestions": summary.suggestions,
            "unit_congresses": summary.unit_congresses,
        });
        audit::record(conn, actor, "seed.demo_democracy", "congress", congress_id, audit::NONE, Some(&after)).await?;
        Ok(summary)
    })
    .await
}

/// A department and the user id of its handler.
struct Department {
    id: i64,
    handler: i64,
}

async fn ensure_departments(
    conn: &mut AsyncPgConnection,
    handler_hash: &str,
    actor: &Actor,
) -> Result<Vec<Department>, ApiError> {
    let rows: Vec<_> =
        DEPARTMENTS.iter().map(|(name, code)| (departments::name.eq(*name), departments::code.eq(*code))).collect();
    diesel::insert_into(departments::table).values(rows).on_conflict_do_nothing().execute(conn).await?;
    let mut out = Vec::new();
    for (i, (name, _)) in DEPARTMENTS.iter().enumerate() {
        let id: i64 =
            departments::table.filter(departments::name.eq(*name)).select(departments::id).first(conn).await?;
        let username = format!("handler{:02}", i + 1);
        let handler =
            users_store::ensure_admin(conn, &username, &format!("{name}承办人"), handler_hash, &[Role::Handler], actor)
                .await?;
        diesel::insert_into(department_handlers::table)
            .values((department_handlers::department_id.eq(id), department_handlers::user_id.eq(handler)))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        out.push(Department { id, handler });
    }
    Ok(out)
}

/// A congress's history: created, opened, closed.
async fn congress_lifecycle(
    conn: &mut AsyncPgConnection,
    congress_id: i64,
    created: DateTime<Utc>,
    opened: DateTime<Utc>,
    closed: DateTime<Utc>,
    admin: Option<i64>,
) -> Result<(), ApiError> {
    let rows = vec![
        ("create", None, "preparing", created),
        ("open", Some("preparing"), "in_session", opened),
        ("close", Some("in_session"), "closed", closed),
    ]
    .into_iter()
    .map(|(action, from, to, at)| {
        (
            congress_history::congress_id.eq(congress_id),
            congress_history::action.eq(action),
            congress_history::from_status.eq(from),
            congress_history::to_status.eq(to),
            congress_history::actor_user_id.eq(admin),
            congress_history::at.eq(at),
        )
    })
    .collect::<Vec<_>>();
    diesel::insert_into(congress_history::table).values(rows).execute(conn).await?;
    Ok(())
}

/// The school congress and everything in it; returns its id.
async fn school_congress(
    conn: &mut AsyncPgConnection,
    root: i64,
    unit_ids: &[i64],
    departments: &[Department],
    admin: Option<i64>,
) -> Result<i64, ApiError> {
    let starts_on = day(YEAR, 3, 23);
    let ends_on = day(YEAR, 3, 24);
    let rule = VotingRule::default();
    let reply_days: u32 = 90;
    let feedback_working_days: u32 = 15;
    let congress_id: i64 = diesel::insert_into(congresses::table)
        .values((
            congresses::unit_id.eq(root),
            congresses::level.eq("school"),
            congresses::kind.eq("joint"),
            congresses::name.eq(CONGRESS_NAME),
            congresses::term.eq(4i16),
            congresses::session.eq(3i16),
            congresses::year.eq(YEAR),
            congresses::starts_on.eq(starts_on),
            congresses::ends_on.eq(ends_on),
            congresses::status.eq("closed"),
            congresses::proposal_deadline.eq(day(YEAR, 3, 17)),
            congresses::proposal_prefix.eq(CONGRESS_PREFIX),
            congresses::proposal_seq.eq(PROPOSALS.len() as i32),
            congresses::reply_days.eq(reply_days as i32),
            congresses::feedback_working_days.eq(feedback_working_days as i32),
            congresses::version.eq(3),
            congresses::created_at.eq(at(day(YEAR, 2, 20), 9, 0)),
            congresses::updated_at.eq(at(ends_on, 17, 0)),
        ))
        .returning(congresses::id)
        .get_result(conn)
        .await?;
    congress_lifecycle(conn, congress_id, at(day(YEAR, 2, 20), 9, 0), at(starts_on, 8, 30), at(ends_on, 17, 0), admin)
        .await?;

    // Delegates: per secondary union, its quota of active in-service members by staff number.
    let n = unit_ids.len();
    let formal_quota: Vec<i32> = (0..n).map(|i| quota(FORMAL, n, i) as i32).collect();
    let observer_quota: Vec<i32> = (0..n).map(|i| quota(OBSERVERS, n, i) as i32).collect();
    diesel::sql_query(
        "INSERT INTO delegates (congress_id, member_id, kind, delegation_unit_id, category, created_at) \
         SELECT $1, r.member_id, CASE WHEN r.rn <= r.fq THEN 'formal' ELSE 'observer' END, r.unit_id, \
                CASE WHEN r.rn > r.fq THEN CASE WHEN r.college THEN 'teacher' ELSE 'administrative' END \
                     WHEN r.rn = 1 THEN 'leader' \
                     WHEN r.college AND r.rn = 6 THEN 'administrative' \
                     WHEN r.college AND r.rn = 11 THEN 'support' \
                     WHEN r.college THEN 'teacher' \
                     WHEN r.rn % 3 = 0 THEN 'support' \
                     ELSE 'administrative' END, \
                $5 \
         FROM (SELECT m.id AS member_id, m.unit_id, q.fq, q.oq, un.name LIKE '%学院%' AS college, \
                      row_number() OVER (PARTITION BY m.unit_id ORDER BY m.staff_no) AS rn \
               FROM members m \
               JOIN unnest($2::bigint[], $3::int[], $4::int[]) AS q(unit_id, fq, oq) ON q.unit_id = m.unit_id \
               JOIN units un ON un.id = m.unit_id \
               WHERE m.status = 'active' AND m.employment_type <> 'retired') r \
         WHERE r.rn <= r.fq + r.oq",
    )
    .bind::<BigInt, _>(congress_id)
    .bind::<Array<BigInt>, _>(unit_ids)
    .bind::<Array<Integer>, _>(&formal_quota)
    .bind::<Array<Integer>, _>(&observer_quota)
    .bind::<Timestamptz, _>(at(day(YEAR, 2, 28), 10, 0))
    .execute(conn)
    .await?;
    let kinds: Vec<(i64, i64, String)> = delegates::table
        .filter(delegates::congress_id.eq(congress_id))
        .order((delegates::delegation_unit_id, delegates::id))
        .select((delegates::id, delegates::delegation_unit_id, delegates::kind))
        .load(conn)
        .await?;
    let formal_total = kinds.iter().filter(|d| d.2 == "formal").count();
    if formal_total != FORMAL || kinds.len() != FORMAL + OBSERVERS {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "seed-demo: the secondary unions have too few active members for {FORMAL} + {OBSERVERS} delegates"
        )));
    }
    // Formal delegates by delegation, in the order of `unit_ids`.
    let by_unit: Vec<Vec<i64>> =
        unit_ids.iter().map(|u| kinds.iter().filter(|d| d.1 == *u && d.2 == "formal").map(|d| d.0).collect()).collect();
    let everyone: Vec<i64> = kinds.iter().map(|d| d.0).collect();

    // Both sittings: everybody present.
    for (sitting, at_) in [(1i16, at(starts_on, 8, 20)), (2i16, at(ends_on, 8, 20))] {
        let rows: Vec<_> = everyone
            .iter()
            .map(|d| {
                (
                    check_ins::delegate_id.eq(*d),
                    check_ins::sitting.eq(sitting),
                    check_ins::status.eq("present"),
                    check_ins::recorded_at.eq(at_),
                )
            })
            .collect();
        diesel::insert_into(check_ins::table).values(rows).execute(conn).await?;
    }

    // Motions, voted at the closing sitting by every formal delegate.
    let attendance = Attendance { formal_total: FORMAL as i64, present: FORMAL as i64, excused: 0 };
    for (i, (kind, title, against, abstain)) in MOTIONS.iter().enumerate() {
        let for_count = FORMAL as i32 - against - abstain;
        let tally = Tally {
            for_count: i64::from(for_count),
            against_count: i64::from(*against),
            abstain_count: i64::from(*abstain),
        };
        let passed = crate::democracy::motion_rules::motion_passes(&rule, &attendance, &tally);
        let opened = at(ends_on, 9, 10 * i as u32);
        let closed = opened + Duration::minutes(8);
        let motion_id: i64 = diesel::insert_into(motions::table)
            .values((
                (
                    motions::congress_id.eq(congress_id),
                    motions::kind.eq(kind.as_str()),
                    motions::title.eq(*title),
                    motions::sitting.eq(2i16),
                    motions::status.eq("closed"),
                    motions::voting_opened_at.eq(opened),
                    motions::voting_closed_at.eq(closed),
                ),
                (
                    motions::formal_total.eq(FORMAL as i32),
                    motions::present_count.eq(FORMAL as i32),
                    motions::expected_count.eq(FORMAL as i32),
                    motions::for_count.eq(for_count),
                    motions::against_count.eq(*against),
                    motions::abstain_count.eq(*abstain),
                    motions::quorum_met.eq(crate::democracy::motion_rules::quorum_met(&rule, &attendance)),
                    motions::passed.eq(passed),
                ),
                (
                    motions::version.eq(3),
                    motions::created_at.eq(at(day(YEAR, 3, 10), 10, i as u32)),
                    motions::updated_at.eq(closed),
                ),
            ))
            .returning(motions::id)
            .get_result(conn)
            .await?;
        let history: Vec<_> = [
            ("create", None, "draft", at(day(YEAR, 3, 10), 10, i as u32)),
            ("open-voting", Some("draft"), "voting", opened),
            ("close-voting", Some("voting"), "closed", closed),
        ]
        .into_iter()
        .map(|(action, from, to, at_)| {
            (
                motion_history::motion_id.eq(motion_id),
                motion_history::action.eq(action),
                motion_history::from_status.eq(from),
                motion_history::to_status.eq(to),
                motion_history::actor_user_id.eq(admin),
                motion_history::at.eq(at_),
            )
        })
        .collect();
        diesel::insert_into(motion_history::table).values(history).execute(conn).await?;
    }
    // One receipt per formal delegate and motion; the ballots apart, with no voter.
    diesel::sql_query(
        "INSERT INTO ballot_receipts (motion_id, delegate_id) \
         SELECT m.id, d.id FROM motions m JOIN delegates d ON d.congress_id = m.congress_id AND d.kind = 'formal' \
         WHERE m.congress_id = $1",
    )
    .bind::<BigInt, _>(congress_id)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO ballots (motion_id, choice) \
         SELECT m.id, CASE WHEN g <= m.for_count THEN 'for' WHEN g <= m.for_count + m.against_count THEN 'against' \
                           ELSE 'abstain' END \
         FROM motions m CROSS JOIN LATERAL generate_series(1, m.for_count + m.against_count + m.abstain_count) g \
         WHERE m.congress_id = $1",
    )
    .bind::<BigInt, _>(congress_id)
    .execute(conn)
    .await?;

    insert_proposals(conn, congress_id, &by_unit, departments, admin, reply_days, feedback_working_days).await?;
    insert_suggestions(conn, congress_id, &everyone, departments, admin).await?;
    Ok(congress_id)
}

async fn insert_proposals(
    conn: &mut AsyncPgConnection,
    congress_id: i64,
    by_unit: &[Vec<i64>],
    departments: &[Department],
    admin: Option<i64>,
    reply_days: u32,
    feedback_working_days: u32,
) -> Result<(), ApiError> {
    let missing = || ApiError::Internal(anyhow::anyhow!("seed-demo: a delegation has too few formal delegates"));
    let units = by_unit.len().max(1);
    let dept =
        |i: usize| departments.get(i).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("seed-demo: department {i}")));
    for (i, (title, category, lead, co)) in PROPOSALS.iter().enumerate() {
        // Proposer and co-signers from one delegation: the 2nd (then 3rd) delegate proposes,
        // the 5th and 6th (and 7th) co-sign.
        let round = i / units;
        let delegation = by_unit.get(i % units).ok_or_else(missing)?;
        let proposer = *delegation.get(1 + round).ok_or_else(missing)?;
        let cosigner_count = if i % 3 == 0 { 3 } else { 2 };
        let cosigners: Vec<i64> = (0..cosigner_count)
            .map(|k| delegation.get(4 + round * 3 + k).copied().ok_or_else(missing))
            .collect::<Result<_, _>>()?;
        let plan = proposal_plan(i, cosigner_count, reply_days, feedback_working_days)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("seed-demo: proposal {i}: {e}")))?;
        let lead_dept = dept(*lead)?;
        let topic = topic_of(title);
        let lead_name = DEPARTMENTS[*lead].0;
        let proposal_id: i64 = diesel::insert_into(proposals::table)
            .values((
                (
                    proposals::congress_id.eq(congress_id),
                    proposals::number.eq(&plan.number),
                    proposals::proposer_delegate_id.eq(proposer),
                    proposals::by_delegation.eq(i % 16 == 5),
                    proposals::title.eq(*title),
                    proposals::category.eq(*category),
                    proposals::cause.eq(format!("{topic}是教职工普遍关心的问题，代表在调研中多次听到相关反映。")),
                    proposals::analysis.eq(format!(
                        "经代表团讨论，{topic}涉及教职工切身利益和学校发展，目前相关制度和条件尚不完善，\
                         需要学校统筹研究解决。"
                    )),
                    proposals::measures.eq(format!(
                        "建议由{lead_name}牵头，会同相关部门研究制定具体方案，明确时间表，并及时向教职工公开办理进展。"
                    )),
                    proposals::status.eq("closed"),
                ),
                (
                    proposals::submitted_at.eq(plan.submitted_at),
                    proposals::reviewable_at.eq(plan.reviewable_at),
                    proposals::decided_at.eq(plan.decided_at),
                    proposals::assigned_at.eq(plan.assigned_at),
                    proposals::reply_due_on.eq(plan.reply_due_on),
                    proposals::replied_at.eq(plan.replied_at),
                    proposals::result_code.eq(plan.result.as_str()),
                    proposals::feedback_due_on.eq(plan.feedback_due_on),
                    proposals::feedback.eq(plan.feedback.as_str()),
                    proposals::closed_at.eq(plan.closed_at),
                ),
                (
                    proposals::version.eq(plan.steps.len() as i32 + 1),
                    proposals::created_at.eq(plan.submitted_at - Duration::days(2)),
                    proposals::updated_at.eq(plan.closed_at),
                ),
            ))
            .returning(proposals::id)
            .get_result(conn)
            .await?;
        let cosigner_rows: Vec<_> = cosigners
            .iter()
            .zip(&plan.cosigned_at)
            .map(|(d, t)| {
                (
                    proposal_cosigners::proposal_id.eq(proposal_id),
                    proposal_cosigners::delegate_id.eq(*d),
                    proposal_cosigners::status.eq("agreed"),
                    proposal_cosigners::invited_at.eq(plan.submitted_at),
                    proposal_cosigners::responded_at.eq(Some(*t)),
                )
            })
            .collect();
        diesel::insert_into(proposal_cosigners::table).values(cosigner_rows).execute(conn).await?;
        let mut handling = vec![(lead_dept.id, "lead")];
        if let Some(co) = co {
            handling.push((dept(*co)?.id, "co"));
        }
        let handling_rows: Vec<_> = handling
            .iter()
            .map(|(d, role)| {
                (
                    proposal_departments::proposal_id.eq(proposal_id),
                    proposal_departments::department_id.eq(*d),
                    proposal_departments::role.eq(*role),
                )
            })
            .collect();
        diesel::insert_into(proposal_departments::table).values(handling_rows).execute(conn).await?;
        diesel::insert_into(proposal_replies::table)
            .values((
                proposal_replies::proposal_id.eq(proposal_id),
                proposal_replies::round.eq(1i16),
                proposal_replies::department_id.eq(lead_dept.id),
                proposal_replies::result_code.eq(plan.result.as_str()),
                proposal_replies::content.eq(format!(
                    "{lead_name}答复：针对“{topic}”，我处已会同相关单位认真研究，办理结果为“{}”，\
                     具体措施已向提案人当面沟通并将持续跟进。",
                    plan.result.label()
                )),
                proposal_replies::due_on.eq(plan.reply_due_on),
                proposal_replies::on_time.eq(plan.on_time),
                proposal_replies::replied_by.eq(lead_dept.handler),
                proposal_replies::replied_at.eq(plan.replied_at),
                proposal_replies::feedback.eq(plan.feedback.as_str()),
                proposal_replies::feedback_comment
                    .eq((plan.feedback == Feedback::BasicallySatisfied).then_some("希望继续跟进落实")),
                proposal_replies::feedback_at.eq(plan.feedback_at),
            ))
            .execute(conn)
            .await?;
        let history: Vec<_> = plan
            .steps
            .iter()
            .map(|s| {
                let actor = match s.by {
                    By::Delegate => None,
                    By::Committee => admin,
                    By::Handler => Some(lead_dept.handler),
                };
                let comment = match s.action {
                    "accept" => Some(format!("立案，编号 {}", plan.number)),
                    "assign" => Some(format!("主办：{lead_name}，答复期限 {}", plan.reply_due_on)),
                    _ => None,
                };
                (
                    proposal_history::proposal_id.eq(proposal_id),
                    proposal_history::action.eq(s.action),
                    proposal_history::from_status.eq(s.from.map(|f| f.as_str())),
                    proposal_history::to_status.eq(s.to.as_str()),
                    proposal_history::actor_user_id.eq(actor),
                    proposal_history::comment.eq(comment),
                    proposal_history::at.eq(s.at),
                )
            })
            .collect();
        diesel::insert_into(proposal_history::table).values(history).execute(conn).await?;
    }
    Ok(())
}

async fn insert_suggestions(
    conn: &mut AsyncPgConnection,
    congress_id: i64,
    delegates: &[i64],
    departments: &[Department],
    admin: Option<i64>,
) -> Result<(), ApiError> {
    let members: Vec<(i64, i64)> = delegates::table
        .filter(delegates::id.eq_any(delegates))
        .order(delegates::id)
        .select((delegates::id, delegates::member_id))
        .load(conn)
        .await?;
    if members.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::new();
    for (j, (category, topic, dept)) in suggestion_plan().into_iter().enumerate() {
        let member = members[(j * 7) % members.len()].1;
        let department =
            departments.get(dept).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("seed-demo: department {dept}")))?;
        let made = at(day(YEAR, 3, 23 + (j % 2) as u32), 14 + (j % 3) as u32, (j % 60) as u32);
        let responded = at(crate::kernel::calendar::add_days(day(YEAR, 4, 10), (j % 40) as u32), 10, 0);
        rows.push((
            (
                suggestions::congress_id.eq(congress_id),
                suggestions::member_id.eq(member),
                suggestions::category.eq(category),
                suggestions::title.eq(format!("关于{topic}的建议")),
                suggestions::content
                    .eq(format!("建议学校{topic}。代表在分组讨论中提出，希望相关部门结合教职工实际需求研究具体措施。")),
                suggestions::source.eq("direct"),
                suggestions::status.eq("responded"),
            ),
            (
                suggestions::department_id.eq(department.id),
                suggestions::response
                    .eq(format!("{}已收悉并认真研究，将结合实际逐步落实，相关进展将在校内公开。", DEPARTMENTS[dept].0)),
                suggestions::responded_by.eq(department.handler),
                suggestions::responded_at.eq(responded),
                suggestions::created_by.eq(admin),
                suggestions::version.eq(2),
                suggestions::created_at.eq(made),
                suggestions::updated_at.eq(responded),
            ),
        ));
    }
    diesel::insert_into(suggestions::table).values(rows).execute(conn).await?;
    Ok(())
}

/// One unit-level congress (二级教代会) per secondary union in 2023, closed.
async fn ensure_unit_congresses(
    conn: &mut AsyncPgConnection,
    unit_ids: &[i64],
    admin: Option<i64>,
) -> Result<(), ApiError> {
    let names: Vec<(i64, String)> =
        units::table.filter(units::id.eq_any(unit_ids)).select((units::id, units::name)).load(conn).await?;
    for (i, unit_id) in unit_ids.iter().enumerate() {
        let unit_name = names.iter().find(|(id, _)| id == unit_id).map(|(_, n)| n.as_str()).unwrap_or("二级单位");
        let short = unit_name.trim_end_matches("工会");
        let held_on = crate::kernel::calendar::add_days(day(YEAR, 4, 3), 2 * i as u32);
        let inserted: Option<i64> = diesel::insert_into(congresses::table)
            .values((
                congresses::unit_id.eq(*unit_id),
                congresses::level.eq("unit"),
                congresses::kind.eq("staff"),
                congresses::name.eq(format!("{short}第二届教职工代表大会第三次会议")),
                congresses::term.eq(2i16),
                congresses::session.eq(3i16),
                congresses::year.eq(YEAR),
                congresses::starts_on.eq(held_on),
                congresses::ends_on.eq(held_on),
                congresses::status.eq("closed"),
                congresses::proposal_prefix.eq(format!("{YEAR}-U{:02}", i + 1)),
                congresses::version.eq(3),
                congresses::created_at.eq(at(day(YEAR, 3, 20), 9, 0)),
                congresses::updated_at.eq(at(held_on, 17, 0)),
            ))
            .on_conflict_do_nothing()
            .returning(congresses::id)
            .get_result(conn)
            .await
            .optional()?;
        if let Some(id) = inserted {
            congress_lifecycle(conn, id, at(day(YEAR, 3, 20), 9, 0), at(held_on, 8, 30), at(held_on, 17, 0), admin)
                .await?;
        }
    }
    Ok(())
}

async fn summary(
    conn: &mut AsyncPgConnection,
    congress_id: i64,
    created: bool,
    unit_ids: &[i64],
    departments: usize,
    handler_password: String,
) -> Result<DemocracySeed, ApiError> {
    let formal: i64 = delegates::table
        .filter(delegates::congress_id.eq(congress_id))
        .filter(delegates::kind.eq("formal"))
        .count()
        .get_result(conn)
        .await?;
    let observers: i64 = delegates::table
        .filter(delegates::congress_id.eq(congress_id))
        .filter(delegates::kind.eq("observer"))
        .count()
        .get_result(conn)
        .await?;
    let motions_passed: i64 = motions::table
        .filter(motions::congress_id.eq(congress_id))
        .filter(motions::passed.eq(true))
        .count()
        .get_result(conn)
        .await?;
    let proposals: i64 =
        proposals::table.filter(proposals::congress_id.eq(congress_id)).count().get_result(conn).await?;
    let suggestions: i64 =
        suggestions::table.filter(suggestions::congress_id.eq(congress_id)).count().get_result(conn).await?;
    let unit_congresses: i64 = congresses::table
        .filter(congresses::level.eq("unit"))
        .filter(congresses::year.eq(YEAR))
        .filter(congresses::unit_id.eq_any(unit_ids))
        .count()
        .get_result(conn)
        .await?;
    Ok(DemocracySeed {
        congress_id,
        created,
        formal,
        observers,
        motions_passed,
        proposals,
        suggestions,
        unit_congresses,
        departments,
        handler_password,
    })
}
