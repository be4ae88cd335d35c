//! Democracy fixtures written straight into the database (fast, and independent of the
//! routes under test): congresses, crowds of delegates, and one of each object for the
//! authorization matrix.

use super::fixtures::Org;
use super::{IdRow, TestApp};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

/// A delegate and the member behind it.
#[derive(Debug, Clone, Copy)]
pub struct Delegate {
    pub id: i64,
    pub member_id: i64,
}

#[derive(QueryableByName)]
struct PairRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    member_id: i64,
}

/// A congress held by `unit_id` (school level when `unit_id` is the root), `preparing`,
/// with the default rules, a proposal deadline far ahead and prefix `prefix`.
pub async fn congress(app: &TestApp, unit_id: i64, level: &str, prefix: &str) -> i64 {
    app.scalar(&format!(
        "INSERT INTO congresses (unit_id, level, name, term, session, year, starts_on, ends_on, \
         proposal_deadline, proposal_prefix) \
         VALUES ({unit_id}, '{level}', '第四届教职工代表大会第三次会议 {prefix}', 4, \
         (SELECT count(*) + 3 FROM congresses WHERE unit_id = {unit_id})::smallint, 2023, \
         '2023-03-20', '2023-03-22', '2099-12-31', '{prefix}') RETURNING id"
    ))
    .await
}

/// Sets a congress's status directly (`preparing`, `in_session`, `closed`).
pub async fn set_congress_status(app: &TestApp, congress_id: i64, status: &str) {
    app.sql(&format!("UPDATE congresses SET status = '{status}' WHERE id = {congress_id}")).await;
}

/// `n` new members of `unit_id` (staff numbers `<tag>-1` …), made delegates of `kind`.
pub async fn delegates(
    app: &TestApp,
    congress_id: i64,
    unit_id: i64,
    kind: &str,
    n: usize,
    tag: &str,
) -> Vec<Delegate> {
    if n == 0 {
        return Vec::new();
    }
    let mut conn = app.conn().await;
    let rows: Vec<PairRow> = diesel::sql_query(format!(
        "WITH m AS ( \
           INSERT INTO members (staff_no, name, gender, birth_date, unit_id, employment_type, joined_on) \
           SELECT '{tag}-' || g, '代表' || g, CASE WHEN g % 2 = 0 THEN 'female' ELSE 'male' END, \
                  '1980-01-01', {unit_id}, 'established', '2005-01-01' \
           FROM generate_series(1, {n}) g RETURNING id) \
         INSERT INTO delegates (congress_id, member_id, kind, delegation_unit_id) \
         SELECT {congress_id}, id, '{kind}', {unit_id} FROM m ORDER BY id RETURNING id, member_id"
    ))
    .load(&mut conn)
    .await
    .unwrap();
    rows.into_iter().map(|r| Delegate { id: r.id, member_id: r.member_id }).collect()
}

/// Makes an existing member a delegate.
pub async fn make_delegate(app: &TestApp, congress_id: i64, member_id: i64, kind: &str) -> Delegate {
    let id = app
        .scalar(&format!(
            "INSERT INTO delegates (congress_id, member_id, kind, delegation_unit_id) \
             SELECT {congress_id}, id, '{kind}', unit_id FROM members WHERE id = {member_id} RETURNING id"
        ))
        .await;
    Delegate { id, member_id }
}

/// Records delegates as present (or excused) at a sitting.
pub async fn check_in(app: &TestApp, delegates: &[Delegate], sitting: i16, status: &str) {
    if delegates.is_empty() {
        return;
    }
    let ids: Vec<String> = delegates.iter().map(|d| d.id.to_string()).collect();
    app.sql(&format!(
        "INSERT INTO check_ins (delegate_id, sitting, status) SELECT unnest(ARRAY[{}]::bigint[]), {sitting}, '{status}'",
        ids.join(",")
    ))
    .await;
}

/// A department (handling office) and, when given, its handler accounts.
pub async fn department(app: &TestApp, name: &str, handlers: &[i64]) -> i64 {
    let id = app.scalar(&format!("INSERT INTO departments (name) VALUES ('{name}') RETURNING id")).await;
    for user in handlers {
        app.sql(&format!("INSERT INTO department_handlers (department_id, user_id) VALUES ({id}, {user})")).await;
    }
    id
}

/// One object of each kind, for the authorization matrix: a school congress (in session)
/// with zhang_san formal and li_si observer, a unit congress of A, a draft motion, a
/// department, a proposal under review, a suggestion and a draft evaluation campaign.
#[derive(Debug, Clone, Copy)]
pub struct DemocracyFixtures {
    pub congress: i64,
    pub unit_congress: i64,
    pub formal: Delegate,
    pub observer: Delegate,
    pub motion: i64,
    pub department: i64,
    pub proposal: i64,
    /// An accepted proposal of the same congress (a merge target).
    pub accepted_proposal: i64,
    pub suggestion: i64,
    pub evaluation: i64,
}

pub async fn matrix_fixtures(app: &TestApp, org: &Org) -> DemocracyFixtures {
    let congress = congress(app, org.root, "school", "2023-TA").await;
    set_congress_status(app, congress, "in_session").await;
    let unit_congress = congress_at_unit(app, org.a).await;
    let formal = make_delegate(app, congress, org.zhang_san, "formal").await;
    let observer = make_delegate(app, congress, org.li_si, "observer").await;
    let motion = app
        .scalar(&format!(
            "INSERT INTO motions (congress_id, kind, title) VALUES ({congress}, 'report', '学校工作报告') RETURNING id"
        ))
        .await;
    let department = department(app, "后勤管理处", &[]).await;
    let proposal = app
        .scalar(&format!(
            "INSERT INTO proposals (congress_id, proposer_delegate_id, title, category, cause, analysis, measures, \
             status, submitted_at, reviewable_at) VALUES ({congress}, {}, '关于增设校园充电桩的提案', 'logistics', \
             '电动车充电难', '现有充电桩不足', '在各宿舍区增设充电桩', 'under_review', now(), now()) RETURNING id",
            formal.id
        ))
        .await;
    let accepted_proposal = app
        .scalar(&format!(
            "INSERT INTO proposals (congress_id, proposer_delegate_id, title, category, cause, analysis, measures, \
             status, number) VALUES ({congress}, {}, '关于改善食堂伙食的提案', 'logistics', '伙食', '价格偏高', '引入竞争', \
             'accepted', '2023-TA-900') RETURNING id",
            formal.id
        ))
        .await;
    let suggestion = app
        .scalar(&format!(
            "INSERT INTO suggestions (congress_id, member_id, category, title, content) \
             VALUES ({congress}, {}, 'logistics', '食堂延长供餐时间', '建议晚餐延长至 19:30') RETURNING id",
            org.zhang_san
        ))
        .await;
    let evaluation = app
        .scalar(&format!(
            "INSERT INTO evaluation_campaigns (congress_id, title) VALUES ({congress}, '2023 年度职能部门民主评议') RETURNING id"
        ))
        .await;
    DemocracyFixtures {
        congress,
        unit_congress,
        formal,
        observer,
        motion,
        department,
        proposal,
        accepted_proposal,
        suggestion,
        evaluation,
    }
}

/// A unit-level congress of `unit_id` (preparing).
pub async fn congress_at_unit(app: &TestApp, unit_id: i64) -> i64 {
    congress(app, unit_id, "unit", &format!("U{unit_id}-2023")).await
}

/// The id column of a query's single row.
pub async fn id_of(app: &TestApp, sql: &str) -> i64 {
    let mut conn = app.conn().await;
    diesel::sql_query(sql).get_result::<IdRow>(&mut conn).await.unwrap().id
}
