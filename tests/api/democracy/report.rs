//! `GET /reports/democracy` on small hand-built data: every figure, every filter, the
//! roles, validation, and the CSV / XLSX exports.

use crate::common;

use common::democracy::{Delegate, check_in, congress, delegates, department};
use common::fixtures::{self, Org};
use common::{TestApp, TestUser};
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

/// What the data holds.
struct Data {
    org: Org,
    /// The 2023 school congress, and the 2022 one.
    c: i64,
    a: Vec<Delegate>,
    b: Vec<Delegate>,
}

async fn proposal(app: &TestApp, congress: i64, proposer: &Delegate, status: &str, submitted: bool) -> i64 {
    app.scalar(&format!(
        "INSERT INTO proposals (congress_id, proposer_delegate_id, title, category, cause, analysis, measures, \
         status, submitted_at) VALUES ({congress}, {}, '关于改善食堂的提案', 'logistics', '案由', '理由', '建议', \
         '{status}', {}) RETURNING id",
        proposer.id,
        if submitted { "now()" } else { "NULL" }
    ))
    .await
}

#[allow(clippy::too_many_arguments)]
async fn reply(
    app: &TestApp,
    proposal: i64,
    round: i16,
    dept: i64,
    handler: i64,
    code: &str,
    on_time: bool,
    feedback: Option<&str>,
) {
    let feedback = feedback.map(|f| format!("'{f}'")).unwrap_or_else(|| "NULL".into());
    app.sql(&format!(
        "INSERT INTO proposal_replies (proposal_id, round, department_id, result_code, content, due_on, on_time, \
         replied_by, feedback) VALUES ({proposal}, {round}, {dept}, '{code}', '已办理', '2023-06-30', {on_time}, \
         {handler}, {feedback})"
    ))
    .await;
}

async fn suggestion(app: &TestApp, congress: Option<i64>, member: i64, category: &str, responded: bool, at: &str) {
    let congress = congress.map(|c| c.to_string()).unwrap_or_else(|| "NULL".into());
    let (status, response, responded_at) =
        if responded { ("responded", "'已答复'", "now()") } else { ("open", "NULL", "NULL") };
    app.sql(&format!(
        "INSERT INTO suggestions (congress_id, member_id, category, title, content, status, response, responded_at, \
         created_at) VALUES ({congress}, {member}, '{category}', '建议', '内容', '{status}', {response}, \
         {responded_at}, '{at}')"
    ))
    .await;
}

async fn motion(app: &TestApp, congress: i64, kind: &str, status: &str, passed: Option<bool>) {
    let passed = passed.map(|p| p.to_string()).unwrap_or_else(|| "NULL".into());
    app.sql(&format!(
        "INSERT INTO motions (congress_id, kind, title, status, passed) VALUES ({congress}, '{kind}', '议题', '{status}', {passed})"
    ))
    .await;
}

async fn unit_congress(app: &TestApp, unit: i64, year: i32, status: &str, prefix: &str) {
    let id = congress(app, unit, "unit", prefix).await;
    app.sql(&format!("UPDATE congresses SET year = {year}, status = '{status}' WHERE id = {id}")).await;
}

/// Two delegations (A: 4 formal, one of them administrative, and an observer; B: 2 formal
/// and an observer) of the 2023 congress, with check-ins, motions, 14 proposals in every
/// state, suggestions, a 2022 congress, and unit congresses.
async fn data(app: &TestApp) -> Data {
    let org = fixtures::org(app).await;
    let c = congress(app, org.root, "school", "2023-TA").await;
    let a = delegates(app, c, org.a, "formal", 4, "A23").await;
    let a_obs = delegates(app, c, org.a, "observer", 1, "A23O").await;
    let b = delegates(app, c, org.b, "formal", 2, "B23").await;
    let b_obs = delegates(app, c, org.b, "observer", 1, "B23O").await;
    app.sql(&format!("UPDATE delegates SET category = 'administrative' WHERE id = {}", a[3].id)).await;
    // Present: A 0, 1, 2 (A 3 excused), B 0 (B 1 absent); A 0 again at sitting 2; observers too.
    check_in(app, &a[..3], 1, "present").await;
    check_in(app, &a[3..], 1, "excused").await;
    check_in(app, &a[..1], 2, "present").await;
    check_in(app, &b[..1], 1, "present").await;
    check_in(app, &[a_obs[0], b_obs[0]], 1, "present").await;

    motion(app, c, "report", "closed", Some(true)).await;
    motion(app, c, "report", "closed", Some(true)).await;
    motion(app, c, "resolution", "closed", Some(false)).await;
    motion(app, c, "election", "draft", None).await;

    let handler = app.with_role(Role::Handler).await;
    let dept = department(app, "后勤管理处", &[handler.id]).await;
    let h = handler.id;
    // P1 draft and P2 withdrawn as a draft: never filed.
    proposal(app, c, &a[0], "draft", false).await;
    proposal(app, c, &a[0], "withdrawn", false).await;
    proposal(app, c, &a[1], "withdrawn", true).await; // P3
    proposal(app, c, &a[1], "declined", true).await; // P4
    let p5 = proposal(app, c, &b[0], "converted", true).await; // late
    let p6 = proposal(app, c, &b[0], "converted", true).await; // by the committee
    let p8 = proposal(app, c, &a[2], "closed", true).await;
    app.sql(&format!(
        "INSERT INTO proposals (congress_id, proposer_delegate_id, title, category, cause, analysis, measures, \
         status, submitted_at, merged_into_id) VALUES ({c}, {}, '重复提案', 'logistics', '案由', '理由', '建议', \
         'merged', now(), {p8})",
        a[2].id
    ))
    .await; // P7
    reply(app, p8, 1, dept, h, "A", true, Some("satisfied")).await;
    let p9 = proposal(app, c, &b[1], "closed", true).await;
    reply(app, p9, 1, dept, h, "B", true, Some("basically_satisfied")).await;
    let p10 = proposal(app, c, &a[3], "feedback_given", true).await;
    reply(app, p10, 1, dept, h, "C", false, Some("unsatisfied")).await;
    let p11 = proposal(app, c, &a[3], "replied", true).await;
    reply(app, p11, 1, dept, h, "D", true, None).await;
    proposal(app, c, &b[1], "assigned", true).await; // P12
    proposal(app, c, &a[0], "under_review", true).await; // P13
    // P14: unsatisfied with the first reply, satisfied with the re-handling.
    let p14 = proposal(app, c, &a[0], "closed", true).await;
    reply(app, p14, 1, dept, h, "D", true, Some("unsatisfied")).await;
    reply(app, p14, 2, dept, h, "A", true, Some("satisfied")).await;

    let may = "2023-05-01 10:00+08";
    suggestion(app, Some(c), a[0].member_id, "logistics", true, may).await;
    suggestion(app, Some(c), a[1].member_id, "logistics", true, may).await;
    suggestion(app, Some(c), b[0].member_id, "logistics", false, may).await;
    suggestion(app, Some(c), b[1].member_id, "teaching_research", false, may).await;
    for (p, source, category) in [(p5, "late_proposal", "finance_assets"), (p6, "converted_proposal", "governance")] {
        app.sql(&format!(
            "INSERT INTO suggestions (congress_id, member_id, category, title, content, source, from_proposal_id) \
             VALUES ({c}, {}, '{category}', '转来的提案', '内容', '{source}', {p})",
            b[0].member_id
        ))
        .await;
    }
    // Outside any congress: one made in 2023, one in 2022 (just before midnight in Beijing).
    suggestion(app, None, org.zhao_liu, "other", false, may).await;
    suggestion(app, None, org.zhao_liu, "other", false, "2022-12-31 23:30+08").await;

    // The 2022 congress: one formal delegate of A (no check-in), a proposal, a passed report.
    let c0 = congress(app, org.root, "school", "2022-TA").await;
    app.sql(&format!("UPDATE congresses SET year = 2022, status = 'closed' WHERE id = {c0}")).await;
    let a0 = delegates(app, c0, org.a, "formal", 1, "A22").await;
    proposal(app, c0, &a0[0], "under_review", true).await;
    motion(app, c0, "report", "closed", Some(true)).await;

    // Unit congresses: A held one in 2023; B prepares one in 2023 and held one in 2022.
    unit_congress(app, org.a, 2023, "closed", "U-A-2023").await;
    unit_congress(app, org.b, 2023, "preparing", "U-B-2023").await;
    unit_congress(app, org.b, 2022, "closed", "U-B-2022").await;
    Data { org, c, a, b }
}

async fn report(app: &TestApp, user: &TestUser, query: &str) -> Value {
    app.get(&format!("/reports/democracy{query}")).token(&user.token).send().await.assert_ok(200)
}

fn category(r: &Value, code: &str) -> i64 {
    r["suggestions"]["by_category"].as_array().unwrap().iter().find(|c| c["code"] == code).unwrap()["count"]
        .as_i64()
        .unwrap()
}

fn kind<'a>(r: &'a Value, kind: &str) -> &'a Value {
    r["motions"]["by_kind"].as_array().unwrap().iter().find(|k| k["kind"] == kind).unwrap()
}

#[actix_web::test]
async fn one_congress_every_figure() {
    let app = TestApp::spawn().await;
    let d = data(&app).await;
    let admin = app.union_admin().await;
    let r = report(&app, &admin, &format!("?congress_id={}", d.c)).await;
    assert_eq!(r["congress_id"], d.c);
    assert_eq!(r["congresses"], 1);
    assert_eq!(r["delegates"], json!({"formal": 6, "observer": 2, "teachers": 5, "teacher_share_bp": 8333}));
    assert_eq!(r["participation"], json!({"formal": 6, "present": 4, "rate_bp": 6666}));
    assert_eq!(r["motions"]["voted"], 3);
    assert_eq!(r["motions"]["passed"], 2);
    assert_eq!(kind(&r, "report")["voted"], 2);
    assert_eq!(kind(&r, "report")["passed"], 2);
    assert_eq!(kind(&r, "report")["label"], "报告");
    assert_eq!(kind(&r, "resolution")["voted"], 1);
    assert_eq!(kind(&r, "resolution")["passed"], 0);
    assert_eq!(kind(&r, "election")["voted"], 0, "a draft motion is not voted");
    assert_eq!(r["motions"]["by_kind"].as_array().unwrap().len(), 4);
    assert_eq!(
        r["proposals"],
        json!({
            "filed": 12, "accepted": 6, "declined": 1, "converted": 2, "converted_late": 1, "merged": 1,
            "withdrawn": 1, "replied": 5, "replied_on_time": 4, "on_time_rate_bp": 8000,
            "satisfaction": {"satisfied": 2, "basically_satisfied": 1, "unsatisfied": 1, "none": 1, "rate_bp": 7500},
            "result_codes": {"A": 2, "B": 1, "C": 1, "D": 1}
        })
    );
    // Suggestions of this congress only; all nine categories, zeros included.
    let cats = r["suggestions"]["by_category"].as_array().unwrap();
    assert_eq!(cats.len(), 9);
    assert_eq!(cats[0]["code"], "teaching_research");
    assert_eq!(cats[0]["name"], "教学科研");
    assert_eq!(r["suggestions"]["total"], 6);
    assert_eq!(r["suggestions"]["responded"], 2);
    assert_eq!(category(&r, "logistics"), 3);
    assert_eq!(category(&r, "teaching_research"), 1);
    assert_eq!(category(&r, "finance_assets"), 1);
    assert_eq!(category(&r, "governance"), 1);
    assert_eq!(category(&r, "other"), 0);
    // The congress's year: A held its unit congress, B's is still being prepared.
    assert_eq!(r["unit_congresses"], json!({"held": 1, "secondary_units": 2, "rate_bp": 5000}));
    assert_eq!(
        r["by_unit"],
        json!([
            {"unit_id": d.org.a, "unit_name": "机电工程学院工会", "formal": 4, "observer": 1, "present": 3,
             "participation_bp": 7500, "proposals": 8, "accepted": 4},
            {"unit_id": d.org.b, "unit_name": "外国语学院工会", "formal": 2, "observer": 1, "present": 1,
             "participation_bp": 5000, "proposals": 4, "accepted": 2},
        ])
    );
}

#[actix_web::test]
async fn filters_by_year_unit_and_nothing() {
    let app = TestApp::spawn().await;
    let d = data(&app).await;
    let admin = app.union_admin().await;

    // The year 2023: the school congress and two unit congresses; the 2023 suggestion made
    // outside any congress counts, the 2022 one does not.
    let y = report(&app, &admin, "?year=2023").await;
    assert_eq!(y["year"], 2023);
    assert_eq!(y["congresses"], 3);
    assert_eq!(y["delegates"]["formal"], 6);
    assert_eq!(y["proposals"]["filed"], 12);
    assert_eq!(y["motions"]["voted"], 3);
    assert_eq!(y["suggestions"]["total"], 7);
    assert_eq!(category(&y, "other"), 1);
    assert_eq!(y["unit_congresses"]["held"], 1);

    // 2022: B's unit congress was held then.
    let y22 = report(&app, &admin, "?year=2022").await;
    assert_eq!(y22["congresses"], 2);
    assert_eq!(y22["delegates"]["formal"], 1);
    assert_eq!(y22["participation"]["rate_bp"], 0);
    assert_eq!(y22["proposals"]["filed"], 1);
    assert_eq!(y22["proposals"]["on_time_rate_bp"], 0, "nothing replied: 0, not a division by zero");
    assert_eq!(y22["suggestions"]["total"], 1);
    assert_eq!(y22["unit_congresses"], json!({"held": 1, "secondary_units": 2, "rate_bp": 5000}));

    // No filter: everything, every year.
    let all = report(&app, &admin, "").await;
    assert_eq!(all["congresses"], 5);
    assert_eq!(all["delegates"], json!({"formal": 7, "observer": 2, "teachers": 6, "teacher_share_bp": 8571}));
    assert_eq!(all["participation"]["rate_bp"], 5714);
    assert_eq!(all["proposals"]["filed"], 13);
    assert_eq!(all["motions"]["passed"], 3);
    assert_eq!(all["suggestions"]["total"], 8);
    assert_eq!(all["unit_congresses"], json!({"held": 2, "secondary_units": 2, "rate_bp": 10000}));

    // One delegation: A's delegates, the proposals they filed, suggestions of A's members;
    // motions stay the congress's.
    let a = report(&app, &admin, &format!("?congress_id={}&unit_id={}", d.c, d.org.a)).await;
    assert_eq!(a["unit_id"], d.org.a);
    assert_eq!(a["delegates"], json!({"formal": 4, "observer": 1, "teachers": 3, "teacher_share_bp": 7500}));
    assert_eq!(a["participation"]["rate_bp"], 7500);
    assert_eq!(a["proposals"]["filed"], 8);
    assert_eq!(a["proposals"]["accepted"], 4);
    assert_eq!(a["proposals"]["replied"], 4);
    assert_eq!(a["proposals"]["result_codes"], json!({"A": 2, "B": 0, "C": 1, "D": 1}));
    assert_eq!(a["motions"]["voted"], 3);
    assert_eq!(a["suggestions"]["total"], 2);
    assert_eq!(a["unit_congresses"], json!({"held": 1, "secondary_units": 1, "rate_bp": 10000}));
    assert_eq!(a["by_unit"].as_array().unwrap().len(), 1);
    assert_eq!(a["by_unit"][0]["unit_id"], d.org.a);

    // B in 2023, with its member's suggestion made outside any congress.
    let b = report(&app, &admin, &format!("?year=2023&unit_id={}", d.org.b)).await;
    assert_eq!(b["delegates"]["formal"], d.b.len());
    assert_eq!(b["proposals"]["filed"], 4);
    assert_eq!(b["proposals"]["converted_late"], 1);
    assert_eq!(b["suggestions"]["total"], 5);
    assert_eq!(b["unit_congresses"], json!({"held": 0, "secondary_units": 1, "rate_bp": 0}));

    // A year and a congress of another year: nothing matches.
    let none = report(&app, &admin, &format!("?year=2022&congress_id={}", d.c)).await;
    assert_eq!(none["congresses"], 0);
    assert_eq!(none["delegates"]["formal"], 0);
    assert_eq!(none["suggestions"]["total"], 0);
    assert_eq!(none["suggestions"]["by_category"].as_array().unwrap().len(), 9);

    // A group below A holds no delegation: an empty breakdown.
    let g = report(&app, &admin, &format!("?unit_id={}", d.org.a_group)).await;
    assert_eq!(g["delegates"]["formal"], 0);
    assert_eq!(g["by_unit"], json!([]));
    assert_eq!(d.a.len(), 4);
}

#[actix_web::test]
async fn who_may_read_it_and_bad_queries() {
    let app = TestApp::spawn().await;
    let d = data(&app).await;
    app.get("/reports/democracy").send().await.assert_problem(401, "missing_token");
    let member = app.member_user(d.a[0].member_id).await;
    let handler = app.with_role(Role::Handler).await;
    let committee = app.with_role(Role::ProposalCommittee).await;
    let unit_admin = app.unit_admin(d.org.a).await;
    let system = app.system_admin().await;
    for user in [&member, &handler, &committee, &unit_admin, &system] {
        app.get("/reports/democracy?year=2023").token(&user.token).send().await.assert_problem(403, "forbidden");
    }
    // A dashboard's API client with reports:read.
    let client = app
        .scalar(
            "INSERT INTO api_clients (client_id, name, secret_hash, scopes) \
             VALUES ('ghc_dashboard', '大屏', '\\x00', ARRAY['reports:read']) RETURNING id",
        )
        .await;
    let token = app.state.tokens.issue_client(client, "reports:read", std::time::Duration::from_secs(600)).unwrap().0;
    let r = app.get(&format!("/reports/democracy?congress_id={}", d.c)).token(&token).send().await.assert_ok(200);
    assert_eq!(r["delegates"]["formal"], 6);

    let admin = app.union_admin().await;
    for (query, field) in [
        ("year=1800", "year"),
        ("year=2101", "year"),
        ("year=abc", "year"),
        ("congress_id=0", "congress_id"),
        ("unit_id=-3", "unit_id"),
        ("format=pdf", "format"),
    ] {
        let res = app.get(&format!("/reports/democracy?{query}")).token(&admin.token).send().await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), [field], "{query}");
    }
    for query in ["congress_id=999999", "unit_id=999999"] {
        app.get(&format!("/reports/democracy?{query}"))
            .token(&admin.token)
            .send()
            .await
            .assert_problem(404, "not_found");
    }
}

#[actix_web::test]
async fn csv_and_xlsx_exports() {
    let app = TestApp::spawn().await;
    let d = data(&app).await;
    let admin = app.union_admin().await;
    let res = app.get(&format!("/reports/democracy?congress_id={}&format=csv", d.c)).token(&admin.token).send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
    assert!(res.header("content-disposition").unwrap().contains("democracy.csv"));
    let csv = res.text();
    assert!(csv.starts_with("\u{feff}分类,指标,代表团,数值\n"), "{csv}");
    for line in [
        "代表,正式代表,,6\n",
        "代表,教师代表占比,,83.33%\n",
        "参会,代表参会率,,66.66%\n",
        "表决,报告通过,,2\n",
        "提案,提交,,12\n",
        "提案,其中逾期提交,,1\n",
        "提案,按期答复率,,80.00%\n",
        "提案满意度,满意率,,75.00%\n",
        "办理结果,A 已解决,,2\n",
        "意见建议,后勤保障,,3\n",
        "意见建议,其他,,0\n",
        "二级教代会,建制率,,50.00%\n",
        "代表团,正式代表,机电工程学院工会,4\n",
        "代表团,参会率,外国语学院工会,50.00%\n",
    ] {
        assert!(csv.contains(line), "{line} in {csv}");
    }
    // Accept: text/csv works as well.
    let by_header = app
        .get(&format!("/reports/democracy?congress_id={}", d.c))
        .token(&admin.token)
        .header("accept", "text/csv")
        .send()
        .await;
    assert_eq!(by_header.text(), csv);

    let xlsx = app.get("/reports/democracy?year=2023&format=xlsx").token(&admin.token).send().await;
    assert_eq!(xlsx.status, 200);
    assert_eq!(
        xlsx.header("content-type").as_deref(),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    assert_eq!(&xlsx.body[..2], b"PK");
}
