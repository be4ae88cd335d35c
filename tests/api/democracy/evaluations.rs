//! `/evaluations` (民主评议): campaigns, anonymous sheets from formal delegates, results
//! published after the close as aggregates only.

use crate::common;

use common::democracy::{self as dem, Delegate};
use common::fixtures::{self, Org};
use common::{TestApp, TestUser};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

fn campaign_body(congress: i64) -> Value {
    json!({
        "congress_id": congress,
        "title": "2023 年度职能部门民主评议",
        "description": "对职能部门的服务进行测评",
        "targets": [
            {"kind": "department", "name": "教务处"},
            {"kind": "department", "name": "后勤管理处"},
            {"kind": "leader", "name": "王校长（分管后勤）"},
        ],
        "criteria": [{"name": "服务态度", "max_score": 10}, {"name": "工作效率", "max_score": 5}],
    })
}

struct World {
    org: Org,
    congress: i64,
    admin: TestUser,
    formal: Vec<(Delegate, TestUser)>,
    observer: TestUser,
    outsider: TestUser,
}

/// A congress with four formal delegates (with mini-program accounts) and an observer.
async fn world(app: &TestApp) -> World {
    let org = fixtures::org(app).await;
    let congress = dem::congress(app, org.root, "school", "2023-TA").await;
    dem::set_congress_status(app, congress, "in_session").await;
    let mut formal = Vec::new();
    for d in dem::delegates(app, congress, org.a, "formal", 4, "EV").await {
        formal.push((d, app.member_user(d.member_id).await));
    }
    let observer = dem::make_delegate(app, congress, org.li_si, "observer").await;
    World {
        congress,
        admin: app.union_admin().await,
        formal,
        observer: app.member_user(observer.member_id).await,
        outsider: app.member_user(org.wang_wu).await,
        org,
    }
}

async fn create(app: &TestApp, w: &World) -> Value {
    app.post("/evaluations").token(&w.admin.token).json(&campaign_body(w.congress)).send().await.assert_ok(201)
}

async fn open(app: &TestApp, w: &World) -> Value {
    let c = create(app, w).await;
    app.post(&format!("/evaluations/{}/open", c["id"])).token(&w.admin.token).send().await.assert_ok(200)
}

/// A full sheet giving every (target, criterion) pair `score(target index, criterion index)`.
fn sheet(c: &Value, score: impl Fn(usize, usize) -> i64) -> Value {
    let mut scores = Vec::new();
    for (ti, t) in c["targets"].as_array().unwrap().iter().enumerate() {
        for (ci, cr) in c["criteria"].as_array().unwrap().iter().enumerate() {
            scores.push(json!({"target_id": t["id"], "criterion_id": cr["id"], "score": score(ti, ci)}));
        }
    }
    json!({ "scores": scores })
}

fn first_error(problem: &Value) -> (String, String) {
    (
        problem["errors"][0]["field"].as_str().unwrap().to_owned(),
        problem["errors"][0]["code"].as_str().unwrap().to_owned(),
    )
}

#[actix_web::test]
async fn campaigns_are_created_read_listed_and_edited_while_draft() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let res = app.post("/evaluations").token(&w.admin.token).json(&campaign_body(w.congress)).send().await;
    assert_eq!(res.header("etag").as_deref(), Some("\"v1\""));
    let c = res.assert_ok(201);
    assert_eq!(res.header("location"), Some(format!("/api/v1/evaluations/{}", c["id"])));
    assert_eq!((c["status"].as_str(), c["congress_id"].as_i64()), (Some("draft"), Some(w.congress)));
    let names: Vec<&str> = c["targets"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["教务处", "后勤管理处", "王校长（分管后勤）"]);
    assert_eq!(c["targets"][2]["kind"], "leader");
    assert_eq!(
        (c["criteria"][0]["name"].as_str(), c["criteria"][0]["max_score"].as_i64()),
        (Some("服务态度"), Some(10))
    );

    // Every authenticated caller reads campaigns.
    let member = &w.formal[0].1;
    let got = app.get(&format!("/evaluations/{}", c["id"])).token(&member.token).send().await.assert_ok(200);
    assert_eq!(got["targets"], c["targets"]);
    let other_congress = dem::congress(&app, w.org.root, "school", "2024-TA").await;
    let mut b = campaign_body(other_congress);
    b["targets"] = json!([]);
    b["criteria"] = json!([]);
    let empty = app.post("/evaluations").token(&w.admin.token).json(&b).send().await.assert_ok(201);
    let list = app.get("/evaluations").token(&app.with_role(Role::Judge).await.token).send().await.assert_ok(200);
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["id"], empty["id"], "newest first");
    assert_eq!(
        (list["items"][1]["target_count"].as_i64(), list["items"][1]["criterion_count"].as_i64()),
        (Some(3), Some(2))
    );
    let filtered =
        app.get(&format!("/evaluations?congress_id={}", w.congress)).token(&member.token).send().await.assert_ok(200);
    assert_eq!((filtered["total"].as_i64(), filtered["items"][0]["id"].clone()), (Some(1), c["id"].clone()));
    assert_eq!(app.get("/evaluations?status=open").token(&member.token).send().await.assert_ok(200)["total"], 0);

    // PATCH replaces targets and criteria while draft.
    let path = format!("/evaluations/{}", c["id"]);
    let res = app
        .patch(&path)
        .token(&w.admin.token)
        .header("If-Match", "\"v1\"")
        .json(&json!({"title": "2023 年度民主评议", "targets": [{"kind": "department", "name": "人事处"}], "criteria": [{"name": "总体评价", "max_score": 100}]}))
        .send()
        .await;
    assert_eq!(res.header("etag").as_deref(), Some("\"v2\""));
    let edited = res.assert_ok(200);
    assert_eq!((edited["title"].as_str(), edited["targets"].as_array().unwrap().len()), (Some("2023 年度民主评议"), 1));
    assert_eq!(
        (edited["targets"][0]["name"].as_str(), edited["criteria"][0]["max_score"].as_i64()),
        (Some("人事处"), Some(100))
    );
    assert_eq!(edited["description"], "对职能部门的服务进行测评", "untouched fields stay");
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM evaluation_targets WHERE campaign_id = {}", c["id"])).await,
        1
    );
    app.patch(&path)
        .token(&w.admin.token)
        .header("If-Match", "\"v1\"")
        .json(&json!({"title": "x"}))
        .send()
        .await
        .assert_problem(412, "stale_version");

    // Once open, the sheet is fixed.
    app.post(&format!("{path}/open")).token(&w.admin.token).send().await.assert_ok(200);
    app.patch(&path)
        .token(&w.admin.token)
        .json(&json!({"title": "改"}))
        .send()
        .await
        .assert_problem(409, "campaign_not_draft");
    app.patch(&path)
        .token(&w.admin.token)
        .json(&json!({"criteria": [{"name": "新", "max_score": 5}]}))
        .send()
        .await
        .assert_problem(409, "campaign_not_draft");
    assert_eq!(
        app.scalar("SELECT count(*) AS id FROM audit_log WHERE action IN ('evaluation.create', 'evaluation.update', 'evaluation.open')").await,
        4
    );
}

#[actix_web::test]
async fn invalid_campaigns_are_422_by_field_and_closed_congresses_409() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let t = w.admin.token.as_str();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = campaign_body(w.congress);
        f(&mut b);
        b
    };
    let cases = [
        (with(&|b| b["criteria"][1]["max_score"] = json!(0)), "criteria[1].max_score", "range"),
        (with(&|b| b["criteria"][0]["max_score"] = json!(101)), "criteria[0].max_score", "range"),
        (with(&|b| b["targets"][2]["name"] = json!("教务处")), "targets[2].name", "duplicate"),
        (with(&|b| b["criteria"][1]["name"] = json!("服务态度")), "criteria[1].name", "duplicate"),
        (
            with(&|b| b["targets"][0]["department_id"] = json!(999_999)),
            "targets[0].department_id",
            "unknown_department",
        ),
        (with(&|b| b["targets"][1]["kind"] = json!("office")), "targets[1].kind", "invalid_choice"),
        (with(&|b| b["targets"][0]["name"] = json!("")), "targets[0].name", "length"),
        (with(&|b| b["title"] = json!("  ")), "title", "required"),
        (with(&|b| b["congress_id"] = json!(999_999)), "congress_id", "unknown_congress"),
        (with(&|b| b["status"] = json!("open")), "status", "unknown_field"),
    ];
    for (b, field, code) in cases {
        let problem = app.post("/evaluations").token(t).json(&b).send().await.assert_problem(422, "validation_failed");
        assert_eq!(first_error(&problem), (field.to_owned(), code.to_owned()), "{problem}");
    }
    let c = create(&app, &w).await;
    let problem = app
        .patch(&format!("/evaluations/{}", c["id"]))
        .token(t)
        .json(&json!({"targets": [{"kind": "leader", "name": "甲"}, {"kind": "leader", "name": "甲"}]}))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(first_error(&problem), ("targets[1].name".to_owned(), "duplicate".to_owned()));
    app.get("/evaluations?status=done").token(t).send().await.assert_problem(422, "validation_failed");

    let closed = dem::congress(&app, w.org.root, "school", "2022-TA").await;
    dem::set_congress_status(&app, closed, "closed").await;
    app.post("/evaluations").token(t).json(&campaign_body(closed)).send().await.assert_problem(409, "congress_closed");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM evaluation_campaigns").await, 1);
}

#[actix_web::test]
async fn only_evaluation_managers_run_campaigns() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let c = create(&app, &w).await;
    let id = c["id"].as_i64().unwrap();
    let refused = [
        app.with_role(Role::ProposalCommittee).await,
        app.unit_admin(w.org.a).await,
        app.with_role(Role::SystemAdmin).await,
        w.formal[0].1.clone(),
    ];
    for user in &refused {
        let t = user.token.as_str();
        app.post("/evaluations")
            .token(t)
            .json(&campaign_body(w.congress))
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.patch(&format!("/evaluations/{id}"))
            .token(t)
            .json(&json!({"title": "x"}))
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.post(&format!("/evaluations/{id}/open")).token(t).send().await.assert_problem(403, "forbidden");
        app.post(&format!("/evaluations/{id}/close")).token(t).send().await.assert_problem(403, "forbidden");
    }
    for res in [
        app.get("/evaluations").send().await,
        app.get(&format!("/evaluations/{id}")).send().await,
        app.post("/evaluations").json(&campaign_body(w.congress)).send().await,
        app.post(&format!("/evaluations/{id}/open")).send().await,
        app.post(&format!("/evaluations/{id}/sheets")).json(&sheet(&c, |_, _| 1)).send().await,
        app.get(&format!("/evaluations/{id}/results")).send().await,
        app.get("/me/evaluations").send().await,
    ] {
        res.assert_problem(401, "missing_token");
    }
    for path in ["/evaluations/999999", "/evaluations/999999/results"] {
        app.get(path).token(&w.admin.token).send().await.assert_problem(404, "not_found");
    }
    for action in ["open", "close"] {
        app.post(&format!("/evaluations/999999/{action}"))
            .token(&w.admin.token)
            .send()
            .await
            .assert_problem(404, "not_found");
    }
    app.patch("/evaluations/999999")
        .token(&w.admin.token)
        .json(&json!({"title": "x"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    app.post("/evaluations/999999/sheets")
        .token(&w.formal[0].1.token)
        .json(&sheet(&c, |_, _| 1))
        .send()
        .await
        .assert_problem(404, "not_found");
    let unchanged = app.get(&format!("/evaluations/{id}")).token(&w.admin.token).send().await.assert_ok(200);
    assert_eq!((unchanged["status"].as_str(), unchanged["version"].as_i64()), (Some("draft"), Some(1)));
}

#[actix_web::test]
async fn the_campaign_moves_draft_open_closed_and_nothing_else() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let t = w.admin.token.as_str();
    let mut b = campaign_body(w.congress);
    b["criteria"] = json!([]);
    let empty = app.post("/evaluations").token(t).json(&b).send().await.assert_ok(201);
    app.post(&format!("/evaluations/{}/open", empty["id"]))
        .token(t)
        .send()
        .await
        .assert_problem(409, "campaign_incomplete");

    let c = create(&app, &w).await;
    let base = format!("/evaluations/{}", c["id"]);
    app.post(&format!("{base}/close")).token(t).send().await.assert_problem(409, "invalid_transition");
    app.post(&format!("{base}/open"))
        .token(t)
        .header("If-Match", "\"v9\"")
        .send()
        .await
        .assert_problem(412, "stale_version");
    let opened = app.post(&format!("{base}/open")).token(t).header("If-Match", "\"v1\"").send().await.assert_ok(200);
    assert_eq!((opened["status"].as_str(), opened["version"].as_i64()), (Some("open"), Some(2)));
    assert!(opened["opened_at"].is_string() && opened["closed_at"].is_null());
    app.post(&format!("{base}/open")).token(t).send().await.assert_problem(409, "invalid_transition");
    assert_eq!(
        app.scalar("SELECT count(*) AS id FROM webhook_events WHERE event_type = 'evaluation.published'").await,
        0
    );
    let closed = app.post(&format!("{base}/close")).token(t).send().await.assert_ok(200);
    assert_eq!(closed["status"], "closed");
    assert!(closed["closed_at"].is_string());
    for action in ["open", "close"] {
        app.post(&format!("{base}/{action}")).token(t).send().await.assert_problem(409, "invalid_transition");
    }
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM webhook_events WHERE event_type = 'evaluation.published' \
             AND (data->>'campaign_id')::bigint = {} AND (data->>'sheets')::bigint = 0 AND (data->>'formal_delegates')::bigint = 4",
            c["id"]
        ))
        .await,
        1
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE entity = 'evaluation_campaign' AND entity_id = '{}' \
             AND action IN ('evaluation.open', 'evaluation.close')",
            c["id"]
        ))
        .await,
        2
    );

    // A campaign of a congress that has since closed cannot open.
    let c2 = create(&app, &w).await;
    dem::set_congress_status(&app, w.congress, "closed").await;
    app.post(&format!("/evaluations/{}/open", c2["id"])).token(t).send().await.assert_problem(409, "congress_closed");
}

#[actix_web::test]
async fn only_formal_delegates_submit_one_complete_sheet_while_open() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let draft = create(&app, &w).await;
    let delegate = &w.formal[0].1;
    let path = |c: &Value| format!("/evaluations/{}/sheets", c["id"]);
    app.post(&path(&draft))
        .token(&delegate.token)
        .json(&sheet(&draft, |_, _| 3))
        .send()
        .await
        .assert_problem(409, "campaign_not_open");

    let c = app.post(&format!("/evaluations/{}/open", draft["id"])).token(&w.admin.token).send().await.assert_ok(200);
    let full = sheet(&c, |_, _| 3);
    app.post(&path(&c)).token(&w.observer.token).json(&full).send().await.assert_problem(403, "not_a_formal_delegate");
    app.post(&path(&c)).token(&w.outsider.token).json(&full).send().await.assert_problem(403, "not_a_delegate");
    app.post(&path(&c)).token(&w.admin.token).json(&full).send().await.assert_problem(403, "not_a_delegate");
    let other_congress = dem::congress(&app, w.org.root, "school", "2024-TA").await;
    let foreign = dem::delegates(&app, other_congress, w.org.b, "formal", 1, "FX").await[0];
    let foreign = app.member_user(foreign.member_id).await;
    app.post(&path(&c)).token(&foreign.token).json(&full).send().await.assert_problem(403, "not_a_delegate");

    // Field-level faults, each named by its path; nothing is stored.
    let target = |i: usize| c["targets"][i]["id"].as_i64().unwrap();
    let crit = |i: usize| c["criteria"][i]["id"].as_i64().unwrap();
    let mut over = sheet(&c, |_, _| 3);
    over["scores"][3]["score"] = json!(6); // criterion 1 has max 5
    let mut negative = sheet(&c, |_, _| 3);
    negative["scores"][0]["score"] = json!(-1);
    let mut incomplete = sheet(&c, |_, _| 3);
    incomplete["scores"].as_array_mut().unwrap().pop();
    let mut duplicated = sheet(&c, |_, _| 3);
    duplicated["scores"][5] = json!({"target_id": target(0), "criterion_id": crit(0), "score": 1});
    let mut stranger = sheet(&c, |_, _| 3);
    stranger["scores"][2]["target_id"] = json!(draft["id"].as_i64().unwrap() * 1000);
    let mut foreign_criterion = sheet(&c, |_, _| 3);
    foreign_criterion["scores"][1]["criterion_id"] = json!(999_999);
    let cases = [
        (over, "scores[3].score", "range"),
        (negative, "scores[0].score", "range"),
        (incomplete, "scores", "incomplete_sheet"),
        (duplicated, "scores[5]", "duplicate_score"),
        (stranger, "scores[2].target_id", "unknown_target"),
        (foreign_criterion, "scores[1].criterion_id", "unknown_criterion"),
        (json!({"scores": []}), "scores", "length"),
        (
            json!({"scores": [{"target_id": target(0), "criterion_id": crit(0), "score": "high"}]}),
            "scores[0].score",
            "invalid_type",
        ),
        (json!({"scores": [{"target_id": target(0), "criterion_id": crit(0)}]}), "scores[0].score", "required"),
    ];
    for (b, field, code) in cases {
        let problem =
            app.post(&path(&c)).token(&delegate.token).json(&b).send().await.assert_problem(422, "validation_failed");
        assert_eq!(first_error(&problem), (field.to_owned(), code.to_owned()), "{problem}");
    }
    let problem = app
        .post(&path(&c))
        .token(&delegate.token)
        .header("Accept-Language", "en")
        .json(&{
            let mut b = sheet(&c, |_, _| 3);
            b["scores"][1]["score"] = json!(9);
            b
        })
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["message"], "must be between 0 and 5");
    for table in ["evaluation_receipts", "evaluation_sheets", "evaluation_scores"] {
        assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM {table}")).await, 0, "{table}");
    }

    // The sheet: a receipt, never the scores.
    let res = app.post(&path(&c)).token(&delegate.token).json(&sheet(&c, |t, _| 4 - t as i64)).send().await;
    let receipt = res.assert_ok(201);
    assert_eq!(receipt, json!({"campaign_id": c["id"], "submitted": true}));
    assert!(!res.text().contains("score"), "{}", res.text());
    app.post(&path(&c)).token(&delegate.token).json(&full).send().await.assert_problem(409, "already_evaluated");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM evaluation_receipts").await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM evaluation_sheets").await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM evaluation_scores").await, 6);

    // After the close, no more sheets.
    app.post(&format!("/evaluations/{}/close", c["id"])).token(&w.admin.token).send().await.assert_ok(200);
    app.post(&path(&c)).token(&w.formal[1].1.token).json(&full).send().await.assert_problem(409, "campaign_not_open");
}

#[actix_web::test]
async fn results_are_published_at_the_close_as_exact_aggregates() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let c = open(&app, &w).await;
    let id = c["id"].as_i64().unwrap();
    // Three of four formal delegates evaluate.
    // Target 0 (教务处): (10,5) (8,4) (7,4) → means 8.33, 4.33; total 38/3 = 12.67
    // Target 1 (后勤): (6,5) (6,5) (6,5) → 6.00, 5.00; total 11.00
    // Target 2 (leader): (9,3) (9,4) (10,4) → 9.33, 3.67; total 39/3 = 13.00
    let scores = [[[10, 5], [6, 5], [9, 3]], [[8, 4], [6, 5], [9, 4]], [[7, 4], [6, 5], [10, 4]]];
    for (i, s) in scores.iter().enumerate() {
        let body = sheet(&c, |t, cr| s[t][cr]);
        app.post(&format!("/evaluations/{id}/sheets"))
            .token(&w.formal[i].1.token)
            .json(&body)
            .send()
            .await
            .assert_ok(201);
    }
    // Not before the close, for anyone (administrators included).
    for user in [&w.admin, &w.formal[0].1, &w.observer] {
        app.get(&format!("/evaluations/{id}/results"))
            .token(&user.token)
            .send()
            .await
            .assert_problem(409, "results_not_published");
    }
    app.post(&format!("/evaluations/{id}/close")).token(&w.admin.token).send().await.assert_ok(200);
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM webhook_events WHERE event_type = 'evaluation.published' \
             AND (data->>'campaign_id')::bigint = {id} AND (data->>'sheets')::bigint = 3 AND (data->>'turnout_bp')::bigint = 7500"
        ))
        .await,
        1
    );

    let r = app.get(&format!("/evaluations/{id}/results")).token(&w.outsider.token).send().await.assert_ok(200);
    assert_eq!(
        (r["sheets"].as_i64(), r["formal_delegates"].as_i64(), r["turnout_bp"].as_i64()),
        (Some(3), Some(4), Some(7500))
    );
    let targets = r["targets"].as_array().unwrap();
    let names: Vec<&str> = targets.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["王校长（分管后勤）", "教务处", "后勤管理处"], "by rank");
    let ranks: Vec<i64> = targets.iter().map(|t| t["rank"].as_i64().unwrap()).collect();
    assert_eq!(ranks, [1, 2, 3]);
    let leader = &targets[0];
    assert_eq!(
        (leader["total_mean_x100"].as_i64(), leader["sheets"].as_i64(), leader["max_total"].as_i64()),
        (Some(1300), Some(3), Some(15))
    );
    assert_eq!(leader["score_rate_bp"], 8666);
    assert_eq!(
        (leader["criteria"][0]["mean_x100"].as_i64(), leader["criteria"][1]["mean_x100"].as_i64()),
        (Some(933), Some(367))
    );
    assert_eq!(leader["criteria"][0]["name"], "服务态度");
    let jwc = &targets[1];
    assert_eq!(
        (
            jwc["total_mean_x100"].as_i64(),
            jwc["criteria"][0]["mean_x100"].as_i64(),
            jwc["criteria"][1]["mean_x100"].as_i64()
        ),
        (Some(1267), Some(833), Some(433))
    );
    let hq = &targets[2];
    assert_eq!((hq["total_mean_x100"].as_i64(), hq["criteria"][0]["mean_x100"].as_i64()), (Some(1100), Some(600)));

    // Nobody ever sees one sheet: no sheet id, no single score list, in any answer.
    #[derive(QueryableByName)]
    struct SheetId {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let mut conn = app.conn().await;
    let sheet_ids: Vec<SheetId> =
        diesel::sql_query("SELECT id::text AS id FROM evaluation_sheets").load(&mut conn).await.unwrap();
    assert_eq!(sheet_ids.len(), 3);
    let auditor = app.with_role(Role::Auditor).await;
    let audit = app.get("/audit-log?per_page=100").token(&auditor.token).send().await.text();
    let me = app.get("/me/evaluations").token(&w.formal[0].1.token).send().await.text();
    let campaign = app.get(&format!("/evaluations/{id}")).token(&w.admin.token).send().await.text();
    for text in [&r.to_string(), &audit, &me, &campaign] {
        for s in &sheet_ids {
            assert!(!text.contains(&s.id), "a sheet id leaked: {text}");
        }
    }
}

#[actix_web::test]
async fn a_sheet_cannot_be_traced_to_its_delegate() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let c = open(&app, &w).await;
    let id = c["id"].as_i64().unwrap();
    for (i, (_, user)) in w.formal.iter().enumerate().take(2) {
        let body = sheet(&c, |_, cr| if cr == 0 { 7 + i as i64 } else { 2 });
        app.post(&format!("/evaluations/{id}/sheets")).token(&user.token).json(&body).send().await.assert_ok(201);
    }
    // The sheet table holds no delegate, member, user or time: only a random id and the campaign.
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let mut conn = app.conn().await;
    let columns = |table: &'static str| {
        diesel::sql_query(format!(
            "SELECT column_name::text AS name FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position"
        ))
    };
    let sheets: Vec<Column> = columns("evaluation_sheets").load(&mut conn).await.unwrap();
    assert_eq!(sheets.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["id", "campaign_id"]);
    let scores: Vec<Column> = columns("evaluation_scores").load(&mut conn).await.unwrap();
    assert_eq!(
        scores.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["sheet_id", "target_id", "criterion_id", "score"]
    );
    let receipts: Vec<Column> = columns("evaluation_receipts").load(&mut conn).await.unwrap();
    assert_eq!(receipts.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["campaign_id", "delegate_id"]);
    // Sheets, scores and receipts are append-only.
    assert!(diesel::sql_query("UPDATE evaluation_scores SET score = 0").execute(&mut conn).await.is_err());
    assert!(diesel::sql_query("DELETE FROM evaluation_receipts").execute(&mut conn).await.is_err());

    // The audit rows of the submissions say who evaluated (as the receipt does), never what
    // nor which sheet: no scores, no delegate id, no sheet id.
    let auditor = app.with_role(Role::Auditor).await;
    let rows = app.get("/audit-log?action=evaluation.sheet_submit").token(&auditor.token).send().await.assert_ok(200);
    assert_eq!(rows["total"], 2);
    for row in rows["items"].as_array().unwrap() {
        assert_eq!(row["entity"], "evaluation_campaign");
        assert_eq!(row["entity_id"], id.to_string());
        assert_eq!(row["after"], json!({"campaign_id": id, "submitted": true}));
        assert!(row["before"].is_null());
        let text = row.to_string();
        assert!(!text.contains("score") && !text.contains("delegate") && !text.contains("sheet_id"), "{text}");
    }
    // Nothing in the webhook outbox either.
    assert_eq!(app.scalar("SELECT count(*) AS id FROM webhook_events WHERE data::text LIKE '%score%'").await, 0);

    // "My evaluations": the open campaign, and whether *my* sheet is in.
    let mine = app.get("/me/evaluations").token(&w.formal[0].1.token).send().await.assert_ok(200);
    assert_eq!(mine["total"], 1);
    assert_eq!(
        (
            mine["items"][0]["id"].as_i64(),
            mine["items"][0]["submitted"].as_bool(),
            mine["items"][0]["target_count"].as_i64()
        ),
        (Some(id), Some(true), Some(3))
    );
    let pending = app.get("/me/evaluations").token(&w.formal[3].1.token).send().await.assert_ok(200);
    assert_eq!((pending["total"].as_i64(), pending["items"][0]["submitted"].as_bool()), (Some(1), Some(false)));
    for user in [&w.observer, &w.outsider, &w.admin] {
        let none = app.get("/me/evaluations").token(&user.token).send().await.assert_ok(200);
        assert_eq!(none["total"], 0, "{none}");
    }
    // Closed campaigns leave the list.
    app.post(&format!("/evaluations/{id}/close")).token(&w.admin.token).send().await.assert_ok(200);
    assert_eq!(app.get("/me/evaluations").token(&w.formal[3].1.token).send().await.assert_ok(200)["total"], 0);
}

/// On disk too: closing the campaign gives every sheet a new random id in random order, so no
/// sheet shares a transaction id with the receipt of the delegate who filled it.
#[actix_web::test]
async fn closing_rewrites_sheets_so_nothing_on_disk_follows_the_submission_order() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let c = open(&app, &w).await;
    let id = c["id"].as_i64().unwrap();
    for (i, (_, user)) in w.formal.iter().enumerate() {
        let body = sheet(&c, |t, k| (i + t + k) as i64 % 5);
        app.post(&format!("/evaluations/{id}/sheets")).token(&user.token).json(&body).send().await.assert_ok(201);
    }
    let linked = format!(
        "SELECT count(*) AS id FROM evaluation_sheets s JOIN evaluation_receipts r ON r.campaign_id = s.campaign_id \
         AND s.xmin::text = r.xmin::text WHERE s.campaign_id = {id}"
    );
    assert_eq!(app.scalar(&linked).await, 4, "while open, each sheet shares its delegate's transaction");
    let before = app.scalar(&format!("SELECT sum(score)::bigint AS id FROM evaluation_scores WHERE target_id IN (SELECT id FROM evaluation_targets WHERE campaign_id = {id})")).await;
    app.post(&format!("/evaluations/{id}/close")).token(&w.admin.token).send().await.assert_ok(200);
    assert_eq!(app.scalar(&linked).await, 0, "after closing, none does");
    let after = app.scalar(&format!("SELECT sum(score)::bigint AS id FROM evaluation_scores WHERE target_id IN (SELECT id FROM evaluation_targets WHERE campaign_id = {id})")).await;
    assert_eq!(before, after, "every score kept");
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM evaluation_sheets WHERE campaign_id = {id}")).await, 4);
    let results = app.get(&format!("/evaluations/{id}/results")).token(&w.admin.token).send().await.assert_ok(200);
    assert_eq!(results["sheets"], 4, "{results}");
}

#[actix_web::test]
async fn a_full_sheet_may_be_larger_than_the_body_limit() {
    // 200 targets × 30 criteria make a 6,000-score sheet, far over the usual body limit: sheets
    // are read up to the import limit. Here, 12 × 6 scores against a 2 KiB limit.
    let app = TestApp::spawn_with(&[("GONGHUI_BODY_LIMIT_BYTES", "2048")]).await;
    let w = world(&app).await;
    let mut body = campaign_body(w.congress);
    body["targets"] =
        json!((1..=12).map(|i| json!({"kind": "department", "name": format!("部门{i}")})).collect::<Vec<_>>());
    body["criteria"] = json!((1..=6).map(|i| json!({"name": format!("指标{i}"), "max_score": 10})).collect::<Vec<_>>());
    let draft = app.post("/evaluations").token(&w.admin.token).json(&body).send().await.assert_ok(201);
    let c = app.post(&format!("/evaluations/{}/open", draft["id"])).token(&w.admin.token).send().await.assert_ok(200);
    let full = sheet(&c, |t, k| ((t + k) % 10) as i64);
    assert!(serde_json::to_vec(&full).unwrap().len() > 2048);
    let path = format!("/evaluations/{}/sheets", c["id"]);
    app.post(&path).token(&w.formal[0].1.token).json(&full).send().await.assert_ok(201);
    // Other bodies keep the body limit.
    let long = json!({"description": "x".repeat(3000)});
    app.patch(&format!("/evaluations/{}", c["id"]))
        .token(&w.admin.token)
        .json(&long)
        .send()
        .await
        .assert_problem(413, "payload_too_large");
}
