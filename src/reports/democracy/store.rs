//! The report's SQL: one selection of congresses, delegates and proposals, and the
//! aggregates over it. Counts only.

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::dto::*;
use crate::auth::permissions::Authorized;
use crate::democracy::types::MotionKind;
use crate::democracy::types::ResultCodeCounts;
use crate::error::ApiError;
use crate::kernel::money::Bp;

/// The congresses counted ($1 year, $2 congress, $3 scope patterns), the delegates of the
/// delegations kept ($4 unit subtree pattern) and the proposals they filed (past draft).
const SELECTION: &str = "WITH sel AS ( \
      SELECT c.id FROM congresses c JOIN units cu ON cu.id = c.unit_id \
      WHERE ($1::int IS NULL OR c.year = $1::int) AND ($2::bigint IS NULL OR c.id = $2::bigint) \
        AND ($3::text[] IS NULL OR cu.path LIKE ANY ($3::text[]))), \
    dl AS ( \
      SELECT d.id, d.kind, d.category, d.delegation_unit_id, \
             EXISTS (SELECT 1 FROM check_ins ci WHERE ci.delegate_id = d.id AND ci.status = 'present') AS present \
      FROM delegates d JOIN sel ON sel.id = d.congress_id JOIN units du ON du.id = d.delegation_unit_id \
      WHERE ($4::text IS NULL OR du.path LIKE $4::text)), \
    pr AS ( \
      SELECT p.id, p.status, p.suggestion_id, p.feedback, p.result_code, pd.delegation_unit_id, \
             p.status IN ('accepted', 'assigned', 'replied', 'feedback_given', 'closed') AS accepted \
      FROM proposals p JOIN sel ON sel.id = p.congress_id \
      JOIN delegates pd ON pd.id = p.proposer_delegate_id JOIN units pu ON pu.id = pd.delegation_unit_id \
      WHERE p.status <> 'draft' AND NOT (p.status = 'withdrawn' AND p.submitted_at IS NULL) \
        AND ($4::text IS NULL OR pu.path LIKE $4::text)) ";

/// The bound filters of [`SELECTION`].
struct Filter {
    year: Option<i32>,
    congress_id: Option<i64>,
    scope: Option<Vec<String>>,
    unit_pattern: Option<String>,
}

macro_rules! selection_query {
    ($sql:expr, $f:expr) => {
        diesel::sql_query(format!("{SELECTION}{}", $sql))
            .bind::<Nullable<Integer>, _>($f.year)
            .bind::<Nullable<BigInt>, _>($f.congress_id)
            .bind::<Nullable<Array<Text>>, _>($f.scope.clone())
            .bind::<Nullable<Text>, _>($f.unit_pattern.clone())
    };
}

#[derive(QueryableByName)]
struct Totals {
    #[diesel(sql_type = BigInt)]
    congresses: i64,
    #[diesel(sql_type = BigInt)]
    formal: i64,
    #[diesel(sql_type = BigInt)]
    observer: i64,
    #[diesel(sql_type = BigInt)]
    teachers: i64,
    #[diesel(sql_type = BigInt)]
    present: i64,
    #[diesel(sql_type = BigInt)]
    filed: i64,
    #[diesel(sql_type = BigInt)]
    accepted: i64,
    #[diesel(sql_type = BigInt)]
    declined: i64,
    #[diesel(sql_type = BigInt)]
    converted: i64,
    #[diesel(sql_type = BigInt)]
    converted_late: i64,
    #[diesel(sql_type = BigInt)]
    merged: i64,
    #[diesel(sql_type = BigInt)]
    withdrawn: i64,
    #[diesel(sql_type = BigInt)]
    replied: i64,
    #[diesel(sql_type = BigInt)]
    on_time: i64,
    #[diesel(sql_type = BigInt)]
    satisfied: i64,
    #[diesel(sql_type = BigInt)]
    basically: i64,
    #[diesel(sql_type = BigInt)]
    unsatisfied: i64,
    #[diesel(sql_type = BigInt)]
    no_feedback: i64,
    #[diesel(sql_type = BigInt)]
    code_a: i64,
    #[diesel(sql_type = BigInt)]
    code_b: i64,
    #[diesel(sql_type = BigInt)]
    code_c: i64,
    #[diesel(sql_type = BigInt)]
    code_d: i64,
}

const TOTALS: &str = "SELECT \
      (SELECT count(*) FROM sel) AS congresses, \
      (SELECT count(*) FROM dl WHERE kind = 'formal') AS formal, \
      (SELECT count(*) FROM dl WHERE kind = 'observer') AS observer, \
      (SELECT count(*) FROM dl WHERE kind = 'formal' AND category = 'teacher') AS teachers, \
      (SELECT count(*) FROM dl WHERE kind = 'formal' AND present) AS present, \
      count(*) AS filed, \
      count(*) FILTER (WHERE accepted) AS accepted, \
      count(*) FILTER (WHERE status = 'declined') AS declined, \
      count(*) FILTER (WHERE status = 'converted') AS converted, \
      count(*) FILTER (WHERE status = 'converted' AND EXISTS (SELECT 1 FROM suggestions s \
          WHERE (s.from_proposal_id = x.id OR s.id = x.suggestion_id) AND s.source = 'late_proposal')) AS converted_late, \
      count(*) FILTER (WHERE status = 'merged') AS merged, \
      count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn, \
      count(*) FILTER (WHERE replies > 0) AS replied, \
      count(*) FILTER (WHERE replies > 0 AND late = 0) AS on_time, \
      count(*) FILTER (WHERE replies > 0 AND fb = 'satisfied') AS satisfied, \
      count(*) FILTER (WHERE replies > 0 AND fb = 'basically_satisfied') AS basically, \
      count(*) FILTER (WHERE replies > 0 AND fb = 'unsatisfied') AS unsatisfied, \
      count(*) FILTER (WHERE replies > 0 AND fb IS NULL) AS no_feedback, \
      count(*) FILTER (WHERE replies > 0 AND rc = 'A') AS code_a, \
      count(*) FILTER (WHERE replies > 0 AND rc = 'B') AS code_b, \
      count(*) FILTER (WHERE replies > 0 AND rc = 'C') AS code_c, \
      count(*) FILTER (WHERE replies > 0 AND rc = 'D') AS code_d \
    FROM (SELECT pr.id, pr.status, pr.suggestion_id, pr.accepted, r.replies, r.late, \
                 coalesce(r.last_feedback, pr.feedback) AS fb, coalesce(r.last_code, pr.result_code) AS rc \
          FROM pr CROSS JOIN LATERAL ( \
            SELECT count(*) AS replies, count(*) FILTER (WHERE NOT rp.on_time) AS late, \
                   (array_agg(rp.feedback ORDER BY rp.round DESC))[1] AS last_feedback, \
                   (array_agg(rp.result_code ORDER BY rp.round DESC))[1] AS last_code \
            FROM proposal_replies rp WHERE rp.proposal_id = pr.id) r) x";

#[derive(QueryableByName)]
struct MotionRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    voted: i64,
    #[diesel(sql_type = BigInt)]
    passed: i64,
}

const MOTIONS: &str = "SELECT m.kind, count(*) FILTER (WHERE m.status = 'closed') AS voted, \
      count(*) FILTER (WHERE m.status = 'closed' AND m.passed) AS passed \
    FROM motions m JOIN sel ON sel.id = m.congress_id GROUP BY m.kind";

const SUGGESTIONS: &str = ", sg AS ( \
      SELECT s.category, s.status FROM suggestions s \
      LEFT JOIN members sm ON sm.id = s.member_id LEFT JOIN units su ON su.id = sm.unit_id \
      WHERE (s.congress_id IN (SELECT id FROM sel) \
             OR ($1::int IS NOT NULL AND $2::bigint IS NULL AND $3::text[] IS NULL AND s.congress_id IS NULL \
                 AND extract(year FROM s.created_at AT TIME ZONE 'Asia/Shanghai') = $1::int) \
             OR ($1::int IS NULL AND $2::bigint IS NULL AND $3::text[] IS NULL AND s.congress_id IS NULL)) \
        AND ($4::text IS NULL OR su.path LIKE $4::text)) \
    SELECT c.code, c.name, count(sg.category) AS count, count(sg.category) FILTER (WHERE sg.status = 'responded') AS responded \
    FROM suggestion_categories c LEFT JOIN sg ON sg.category = c.code \
    GROUP BY c.code, c.name, c.sort_order ORDER BY c.sort_order, c.code";

#[derive(QueryableByName)]
struct UnitRow {
    #[diesel(sql_type = BigInt)]
    unit_id: i64,
    #[diesel(sql_type = Text)]
    unit_name: String,
    #[diesel(sql_type = BigInt)]
    formal: i64,
    #[diesel(sql_type = BigInt)]
    observer: i64,
    #[diesel(sql_type = BigInt)]
    present: i64,
    #[diesel(sql_type = BigInt)]
    proposals: i64,
    #[diesel(sql_type = BigInt)]
    accepted: i64,
}

const BY_UNIT: &str = "SELECT u.id AS unit_id, u.name AS unit_name, \
      count(*) FILTER (WHERE dl.kind = 'formal') AS formal, \
      count(*) FILTER (WHERE dl.kind = 'observer') AS observer, \
      count(*) FILTER (WHERE dl.kind = 'formal' AND dl.present) AS present, \
      (SELECT count(*) FROM pr WHERE pr.delegation_unit_id = u.id) AS proposals, \
      (SELECT count(*) FROM pr WHERE pr.delegation_unit_id = u.id AND pr.accepted) AS accepted \
    FROM dl JOIN units u ON u.id = dl.delegation_unit_id \
    GROUP BY u.id, u.name, u.sort_order ORDER BY u.sort_order, u.id";

#[derive(QueryableByName)]
struct UnitCongressRow {
    #[diesel(sql_type = BigInt)]
    secondary_units: i64,
    #[diesel(sql_type = BigInt)]
    held: i64,
}

const UNIT_CONGRESSES: &str = "SELECT count(*) AS secondary_units, \
      count(*) FILTER (WHERE EXISTS (SELECT 1 FROM congresses uc WHERE uc.unit_id = u.id AND uc.level = 'unit' \
          AND uc.status <> 'preparing' AND ($1::int IS NULL OR uc.year = $1::int))) AS held \
    FROM units u WHERE u.kind = 'secondary' \
      AND ($2::text[] IS NULL OR u.path LIKE ANY ($2::text[])) AND ($3::text IS NULL OR u.path LIKE $3::text)";

#[derive(QueryableByName)]
struct CongressRow {
    #[diesel(sql_type = Text)]
    path: String,
    #[diesel(sql_type = Integer)]
    year: i32,
}

#[derive(QueryableByName)]
struct PathRow {
    #[diesel(sql_type = Text)]
    path: String,
}

/// The report for `q` within `scope`; 404 when the congress or unit asked for is unknown or
/// outside the scope.
pub async fn democracy_report(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    q: &DemocracyReportQuery,
) -> Result<DemocracyReport, ApiError> {
    let scope = auth.scope();
    let mut year_of_congress = None;
    if let Some(id) = q.congress_id {
        let c: CongressRow = diesel::sql_query(
            "SELECT u.path, c.year FROM congresses c JOIN units u ON u.id = c.unit_id WHERE c.id = $1",
        )
        .bind::<BigInt, _>(id)
        .get_result(conn)
        .await?;
        if !scope.contains_path(&c.path) {
            return Err(ApiError::NotFound);
        }
        year_of_congress = Some(c.year);
    }
    let mut unit_pattern = None;
    if let Some(id) = q.unit_id {
        let u: PathRow =
            diesel::sql_query("SELECT path FROM units WHERE id = $1").bind::<BigInt, _>(id).get_result(conn).await?;
        if !scope.contains_path(&u.path) {
            return Err(ApiError::NotFound);
        }
        unit_pattern = Some(format!("{}%", u.path));
    }
    let f = Filter { year: q.year, congress_id: q.congress_id, scope: scope.like_patterns(), unit_pattern };

    let t: Totals = selection_query!(TOTALS, f).get_result(conn).await?;
    let motion_rows: Vec<MotionRow> = selection_query!(MOTIONS, f).load(conn).await?;
    let categories: Vec<DemocracyReportCategory> = selection_query!(SUGGESTIONS, f).load(conn).await?;
    let units: Vec<UnitRow> = selection_query!(BY_UNIT, f).load(conn).await?;
    let uc: UnitCongressRow = diesel::sql_query(UNIT_CONGRESSES)
        .bind::<Nullable<Integer>, _>(q.year.or(year_of_congress))
        .bind::<Nullable<Array<Text>>, _>(f.scope.clone())
        .bind::<Nullable<Text>, _>(f.unit_pattern.clone())
        .get_result(conn)
        .await?;

    let by_kind: Vec<DemocracyReportMotionKind> = MotionKind::all()
        .iter()
        .map(|k| {
            let row = motion_rows.iter().find(|r| r.kind == k.as_str());
            DemocracyReportMotionKind {
                kind: *k,
                label: k.label().to_owned(),
                voted: row.map_or(0, |r| r.voted),
                passed: row.map_or(0, |r| r.passed),
            }
        })
        .collect();
    let with_feedback = t.satisfied + t.basically + t.unsatisfied;
    Ok(DemocracyReport {
        year: q.year,
        congress_id: q.congress_id,
        unit_id: q.unit_id,
        congresses: t.congresses,
        delegates: DemocracyReportDelegates {
            formal: t.formal,
            observer: t.observer,
            teachers: t.teachers,
            teacher_share_bp: Bp::rate(t.teachers, t.formal),
        },
        participation: DemocracyReportParticipation {
            formal: t.formal,
            present: t.present,
            rate_bp: Bp::rate(t.present, t.formal),
        },
        motions: DemocracyReportMotions {
            voted: by_kind.iter().map(|k| k.voted).sum(),
            passed: by_kind.iter().map(|k| k.passed).sum(),
            by_kind,
        },
        proposals: DemocracyReportProposals {
            filed: t.filed,
            accepted: t.accepted,
            declined: t.declined,
            converted: t.converted,
            converted_late: t.converted_late,
            merged: t.merged,
            withdrawn: t.withdrawn,
            replied: t.replied,
            replied_on_time: t.on_time,
            on_time_rate_bp: Bp::rate(t.on_time, t.replied),
            satisfaction: DemocracyReportSatisfaction {
                satisfied: t.satisfied,
                basically_satisfied: t.basically,
                unsatisfied: t.unsatisfied,
                none: t.no_feedback,
                rate_bp: Bp::rate(t.satisfied + t.basically, with_feedback),
            },
            result_codes: ResultCodeCounts { a: t.code_a, b: t.code_b, c: t.code_c, d: t.code_d },
        },
        suggestions: DemocracyReportSuggestions {
            total: categories.iter().map(|c| c.count).sum(),
            responded: categories.iter().map(|c| c.responded).sum(),
            by_category: categories,
        },
        unit_congresses: DemocracyReportUnitCongresses {
            held: uc.held,
            secondary_units: uc.secondary_units,
            rate_bp: Bp::rate(uc.held, uc.secondary_units),
        },
        by_unit: units
            .into_iter()
            .map(|u| DemocracyReportUnit {
                participation_bp: Bp::rate(u.present, u.formal),
                unit_id: u.unit_id,
                unit_name: u.unit_name,
                formal: u.formal,
                observer: u.observer,
                present: u.present,
                proposals: u.proposals,
                accepted: u.accepted,
            })
            .collect(),
    })
}
