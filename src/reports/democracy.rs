//! `GET /reports/democracy`: the figures of democratic management for a year, a congress and
//! optionally one delegation — proposals from filing to feedback, delegates, participation,
//! motions, suggestions by category, the unit congresses (二级教代会建制率) and a breakdown
//! by delegation. Counts only: nothing names a person or reveals a vote.
//!
//! Definitions (rates in basis points, 10000 = 100%, rounded down):
//! - the congresses counted are those in the caller's scope matching `year` and `congress_id`
//!   (school and unit level alike); `unit_id` keeps the delegations in that unit's subtree:
//!   their delegates, the proposals their delegates filed and the suggestions of members of
//!   that subtree (motions are the congress's and are never filtered by unit);
//! - filed: every proposal past its draft; accepted: every proposal the committee accepted
//!   (whatever happened after); replied: with at least one reply; on time: every reply on time;
//!   on-time rate: replied on time / replied;
//! - satisfaction and result codes: the latest reply of each replied proposal; satisfaction
//!   rate: (satisfied + basically satisfied) / replied proposals with feedback;
//! - teachers: formal delegates of category teacher, as a share of the formal delegates (the
//!   60% rule); participation: formal delegates present at one sitting at least / formal;
//! - suggestions: those of the congresses counted (with `year` only, also those made that
//!   year outside any congress), all nine categories listed, zeros included;
//! - unit congresses: secondary unions (in the `unit_id` subtree) that held a unit-level
//!   congress (in session or closed) in the year (`year`, else the year of `congress_id`).

use actix_web::{HttpRequest, HttpResponse, get, web};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::permissions::{Authorized, Permission, authorize};
use crate::auth::principal::Principal;
use crate::democracy::types::MotionKind;
use crate::democracy::types::ResultCodeCounts;
use crate::error::{ApiError, Problem};
use crate::http::export::{self, Format, FormatParam, Table, XlsxSheet};
use crate::http::extract::ValidQuery;
use crate::kernel::money::Bp;
use crate::state::AppState;

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DemocracyReportQuery {
    /// Congresses held in this year.
    #[validate(range(min = 1949, max = 2100))]
    #[param(minimum = 1949, maximum = 2100, example = 2023)]
    pub year: Option<i32>,
    /// One congress.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub congress_id: Option<i64>,
    /// One delegation: the delegations of this unit and the units below it.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub unit_id: Option<i64>,
}

/// The figures of democratic management.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReport {
    /// The filters applied.
    pub year: Option<i32>,
    pub congress_id: Option<i64>,
    pub unit_id: Option<i64>,
    /// Congresses counted.
    pub congresses: i64,
    pub delegates: DemocracyReportDelegates,
    pub participation: DemocracyReportParticipation,
    pub motions: DemocracyReportMotions,
    pub proposals: DemocracyReportProposals,
    pub suggestions: DemocracyReportSuggestions,
    pub unit_congresses: DemocracyReportUnitCongresses,
    /// Per delegation (unit), in the order of the organisation.
    pub by_unit: Vec<DemocracyReportUnit>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportDelegates {
    pub formal: i64,
    pub observer: i64,
    /// Formal delegates of category teacher.
    pub teachers: i64,
    /// Teachers / formal delegates, in basis points (at least 6000 by the rules).
    pub teacher_share_bp: crate::kernel::money::Bp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportParticipation {
    pub formal: i64,
    /// Formal delegates present at one sitting at least.
    pub present: i64,
    pub rate_bp: crate::kernel::money::Bp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportMotions {
    /// Motions whose vote has closed.
    pub voted: i64,
    pub passed: i64,
    /// Every kind, zeros included.
    pub by_kind: Vec<DemocracyReportMotionKind>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportMotionKind {
    pub kind: MotionKind,
    pub label: String,
    pub voted: i64,
    pub passed: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportProposals {
    pub filed: i64,
    pub accepted: i64,
    pub declined: i64,
    /// Converted to suggestions, late ones included.
    pub converted: i64,
    /// Of those converted: filed after the deadline.
    pub converted_late: i64,
    pub merged: i64,
    pub withdrawn: i64,
    pub replied: i64,
    pub replied_on_time: i64,
    pub on_time_rate_bp: crate::kernel::money::Bp,
    pub satisfaction: DemocracyReportSatisfaction,
    pub result_codes: ResultCodeCounts,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportSatisfaction {
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub unsatisfied: i64,
    /// Replied, no feedback (yet).
    pub none: i64,
    /// (satisfied + basically satisfied) / replied with feedback.
    pub rate_bp: crate::kernel::money::Bp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportSuggestions {
    pub total: i64,
    pub responded: i64,
    /// Every category, in their order, zeros included.
    pub by_category: Vec<DemocracyReportCategory>,
}

#[derive(Debug, Clone, Serialize, ToSchema, QueryableByName)]
pub struct DemocracyReportCategory {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
    #[diesel(sql_type = BigInt)]
    pub responded: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportUnitCongresses {
    /// Secondary unions that held a unit-level congress.
    pub held: i64,
    pub secondary_units: i64,
    /// 二级教代会建制率.
    pub rate_bp: crate::kernel::money::Bp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemocracyReportUnit {
    pub unit_id: i64,
    pub unit_name: String,
    pub formal: i64,
    pub observer: i64,
    pub present: i64,
    pub participation_bp: crate::kernel::money::Bp,
    /// Proposals filed by the delegation's delegates.
    pub proposals: i64,
    pub accepted: i64,
}

/// The figures of democratic management: proposals, delegates, participation, motions,
/// suggestions, unit congresses, by delegation. `format=csv|xlsx` gives them as one flat
/// table (分类, 指标, 代表团, 数值).
#[utoipa::path(
    tag = "reports",
    params(DemocracyReportQuery, FormatParam),
    responses(
        (status = 200, description = "The figures, or with `format=csv|xlsx` (or `Accept: text/csv`) a flat table of them", body = DemocracyReport,
            content((DemocracyReport = "application/json"), (String = "text/csv"), (XlsxSheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "congress_id or unit_id unknown or outside your scope", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/reports/democracy")]
pub async fn get_democracy_report(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<DemocracyReportQuery>,
    ValidQuery(format): ValidQuery<FormatParam>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::ReportsRead)?;
    let mut conn = state.pool.get().await?;
    let report = democracy_report(&mut conn, &auth, &q).await?;
    match export::requested(&req, format.format) {
        Format::Json => Ok(HttpResponse::Ok().json(report)),
        other => export::respond(report_table(&report), other, "democracy").await,
    }
}

// ---------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------

/// The report as one flat table: section, figure, delegation (blank for totals), value.
pub fn report_table(r: &DemocracyReport) -> Table {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut put = |section: &str, item: &str, unit: &str, value: String| {
        rows.push(vec![section.to_owned(), item.to_owned(), unit.to_owned(), value]);
    };
    put("会议", "统计会议数", "", r.congresses.to_string());
    let d = &r.delegates;
    put("代表", "正式代表", "", d.formal.to_string());
    put("代表", "列席代表", "", d.observer.to_string());
    put("代表", "教师代表（正式）", "", d.teachers.to_string());
    put("代表", "教师代表占比", "", d.teacher_share_bp.to_string());
    put("参会", "出席正式代表", "", r.participation.present.to_string());
    put("参会", "代表参会率", "", r.participation.rate_bp.to_string());
    for k in &r.motions.by_kind {
        put("表决", &format!("{}表决", k.label), "", k.voted.to_string());
        put("表决", &format!("{}通过", k.label), "", k.passed.to_string());
    }
    let p = &r.proposals;
    for (item, value) in [
        ("提交", p.filed),
        ("立案", p.accepted),
        ("不予立案", p.declined),
        ("转为意见建议", p.converted),
        ("其中逾期提交", p.converted_late),
        ("并案", p.merged),
        ("撤回", p.withdrawn),
        ("已答复", p.replied),
        ("按期答复", p.replied_on_time),
    ] {
        put("提案", item, "", value.to_string());
    }
    put("提案", "按期答复率", "", p.on_time_rate_bp.to_string());
    let s = &p.satisfaction;
    for (item, value) in
        [("满意", s.satisfied), ("基本满意", s.basically_satisfied), ("不满意", s.unsatisfied), ("未反馈", s.none)]
    {
        put("提案满意度", item, "", value.to_string());
    }
    put("提案满意度", "满意率", "", s.rate_bp.to_string());
    let c = &p.result_codes;
    for (item, value) in [("A 已解决", c.a), ("B 正在解决", c.b), ("C 列入计划", c.c), ("D 留作参考", c.d)]
    {
        put("办理结果", item, "", value.to_string());
    }
    put("意见建议", "总数", "", r.suggestions.total.to_string());
    put("意见建议", "已答复", "", r.suggestions.responded.to_string());
    for cat in &r.suggestions.by_category {
        put("意见建议", &cat.name, "", cat.count.to_string());
    }
    let uc = &r.unit_congresses;
    put("二级教代会", "已召开", "", uc.held.to_string());
    put("二级教代会", "二级工会数", "", uc.secondary_units.to_string());
    put("二级教代会", "建制率", "", uc.rate_bp.to_string());
    for u in &r.by_unit {
        put("代表团", "正式代表", &u.unit_name, u.formal.to_string());
        put("代表团", "列席代表", &u.unit_name, u.observer.to_string());
        put("代表团", "出席正式代表", &u.unit_name, u.present.to_string());
        put("代表团", "参会率", &u.unit_name, u.participation_bp.to_string());
        put("代表团", "提案", &u.unit_name, u.proposals.to_string());
        put("代表团", "立案", &u.unit_name, u.accepted.to_string());
    }
    Table { headers: vec!["分类", "指标", "代表团", "数值"], rows }
}
