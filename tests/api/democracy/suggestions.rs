//! `/suggestions`: categories, a member's own suggestions, managers' view, responses,
//! exports and statistics (including suggestions that came from proposals).

use crate::common;

use common::democracy::{self as dem, Delegate};
use common::fixtures::{self, Org};
use common::{TestApp, TestUser};
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

async fn suggest(app: &TestApp, user: &TestUser, body: Value) -> Value {
    app.post("/suggestions").token(&user.token).json(&body).send().await.assert_ok(201)
}

async fn total(app: &TestApp, user: &TestUser, query: &str) -> i64 {
    app.get(&format!("/suggestions?{query}")).token(&user.token).send().await.assert_ok(200)["total"].as_i64().unwrap()
}

fn body(category: &str, title: &str) -> Value {
    json!({"category": category, "title": title, "content": format!("{title}：具体建议内容")})
}

/// A proposal of `delegate` that became a suggestion (`source` late_proposal or converted_proposal),
/// as the proposals part writes it.
async fn from_proposal(app: &TestApp, congress: i64, delegate: Delegate, source: &str, category: &str) -> (i64, i64) {
    let status = if source == "late_proposal" { "submitted" } else { "converted" };
    let proposal = app
        .scalar(&format!(
            "INSERT INTO proposals (congress_id, proposer_delegate_id, title, category, cause, analysis, measures, status) \
             VALUES ({congress}, {}, '关于{source}的提案', '{category}', '案由', '理由', '建议', '{status}') RETURNING id",
            delegate.id
        ))
        .await;
    let suggestion = app
        .scalar(&format!(
            "INSERT INTO suggestions (congress_id, member_id, category, title, content, source, from_proposal_id) \
             VALUES ({congress}, {}, '{category}', '关于{source}的提案', '案由', '{source}', {proposal}) RETURNING id",
            delegate.member_id
        ))
        .await;
    (proposal, suggestion)
}

struct World {
    org: Org,
    congress: i64,
    admin: TestUser,
    committee: TestUser,
    zhang: TestUser,
    li: TestUser,
}

async fn world(app: &TestApp) -> World {
    let org = fixtures::org(app).await;
    let congress = dem::congress(app, org.root, "school", "2023-TA").await;
    World {
        congress,
        admin: app.union_admin().await,
        committee: app.with_role(Role::ProposalCommittee).await,
        zhang: app.member_user(org.zhang_san).await,
        li: app.member_user(org.li_si).await,
        org,
    }
}

#[actix_web::test]
async fn the_nine_categories_are_listed_for_everyone() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    for user in [app.member_user(org.wang_wu).await, app.with_role(Role::Judge).await, app.union_admin().await] {
        let cats = app.get("/suggestions/categories").token(&user.token).send().await.assert_ok(200);
        let cats = cats.as_array().unwrap();
        assert_eq!(cats.len(), 9);
        assert_eq!((cats[0]["code"].as_str(), cats[0]["name"].as_str()), (Some("teaching_research"), Some("教学科研")));
        assert_eq!((cats[8]["code"].as_str(), cats[8]["sort_order"].as_i64()), (Some("other"), Some(9)));
    }
    app.get("/suggestions/categories").send().await.assert_problem(401, "missing_token");
}

#[actix_web::test]
async fn members_make_their_own_and_managers_record_for_members() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut own = body("logistics", "食堂延长供餐时间");
    own["congress_id"] = json!(w.congress);
    let res = app.post("/suggestions").token(&w.zhang.token).json(&own).send().await;
    assert_eq!(res.header("etag").as_deref(), Some("\"v1\""));
    let s = res.assert_ok(201);
    assert_eq!(res.header("location"), Some(format!("/api/v1/suggestions/{}", s["id"])));
    assert_eq!(
        (s["member_id"].as_i64(), s["member_name"].as_str(), s["congress_id"].as_i64()),
        (Some(w.org.zhang_san), Some("张三"), Some(w.congress))
    );
    assert_eq!((s["category"].as_str(), s["category_name"].as_str()), (Some("logistics"), Some("后勤保障")));
    assert_eq!((s["source"].as_str(), s["status"].as_str()), (Some("direct"), Some("open")));
    assert!(s["response"].is_null() && s["from_proposal_id"].is_null());
    // Naming oneself is fine; naming someone else is not.
    let mine = json!({"member_id": w.org.zhang_san, "category": "other", "title": "其他", "content": "内容"});
    suggest(&app, &w.zhang, mine).await;
    let other = json!({"member_id": w.org.li_si, "category": "other", "title": "代提", "content": "内容"});
    let problem = app
        .post("/suggestions")
        .token(&w.zhang.token)
        .json(&other)
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(
        (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
        (Some("member_id"), Some("not_own_member"))
    );

    // A manager records one for a member, or an unnamed one.
    let mut for_li = body("staff_welfare", "增加体检项目");
    for_li["member_id"] = json!(w.org.li_si);
    let recorded = suggest(&app, &w.committee, for_li).await;
    assert_eq!(recorded["member_id"], w.org.li_si);
    let unnamed = suggest(&app, &w.admin, body("governance", "简化报销流程")).await;
    assert!(unnamed["member_id"].is_null() && unnamed["member_name"].is_null());
    assert_eq!(
        app.scalar(&format!("SELECT created_by AS id FROM suggestions WHERE id = {}", recorded["id"])).await,
        w.committee.id
    );

    // Neither a member profile nor the manager role: refused with its own code.
    for role in [Role::Judge, Role::Handler, Role::UnitAdmin, Role::Member] {
        let user = app.user(&[(role, (role == Role::UnitAdmin).then_some(w.org.a))]).await;
        app.post("/suggestions")
            .token(&user.token)
            .json(&body("other", "无会员"))
            .send()
            .await
            .assert_problem(403, "member_profile_required");
    }
    app.post("/suggestions").json(&body("other", "匿名")).send().await.assert_problem(401, "missing_token");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM suggestions").await, 4);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM audit_log WHERE action = 'suggestion.create'").await, 4);
}

#[actix_web::test]
async fn invalid_suggestions_are_422_by_field() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let cases = [
        (json!({"category": "canteen", "title": "t", "content": "c"}), "category", "invalid_choice"),
        (json!({"category": "logistics", "title": "", "content": "c"}), "title", "length"),
        (json!({"category": "logistics", "title": "   ", "content": "c"}), "title", "required"),
        (json!({"category": "logistics", "title": "t"}), "content", "required"),
        (json!({"category": "logistics", "title": "t", "content": "x".repeat(20_001)}), "content", "length"),
        (
            json!({"category": "logistics", "title": "t", "content": "c", "congress_id": 999_999}),
            "congress_id",
            "unknown_congress",
        ),
        (json!({"category": "logistics", "title": "t", "content": "c", "congress_id": 0}), "congress_id", "range"),
        (
            json!({"category": "logistics", "title": "t", "content": "c", "status": "responded"}),
            "status",
            "unknown_field",
        ),
    ];
    for (b, field, code) in cases {
        let problem = app
            .post("/suggestions")
            .token(&w.zhang.token)
            .json(&b)
            .send()
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(
            (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
            (Some(field), Some(code)),
            "{b}"
        );
    }
    let unknown_member = json!({"member_id": 999_999, "category": "other", "title": "t", "content": "c"});
    let problem = app
        .post("/suggestions")
        .token(&w.admin.token)
        .json(&unknown_member)
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(
        (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
        (Some("member_id"), Some("unknown_member"))
    );
    let choices = app
        .post("/suggestions")
        .token(&w.zhang.token)
        .header("Accept-Language", "en")
        .json(&json!({"category": "canteen", "title": "t", "content": "c"}))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert!(choices["errors"][0]["message"].as_str().unwrap().contains("logistics"), "{choices}");
    for q in ["status=closed", "source=email", "congress_id=abc", "per_page=101"] {
        app.get(&format!("/suggestions?{q}"))
            .token(&w.admin.token)
            .send()
            .await
            .assert_problem(422, "validation_failed");
    }
    assert_eq!(app.scalar("SELECT count(*) AS id FROM suggestions").await, 0);
}

#[actix_web::test]
async fn managers_see_all_members_their_own_with_filters_and_exports() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let zhang = dem::make_delegate(&app, w.congress, w.org.zhang_san, "formal").await;
    let li = dem::make_delegate(&app, w.congress, w.org.li_si, "formal").await;
    let mut a = body("logistics", "食堂延长供餐时间");
    a["congress_id"] = json!(w.congress);
    let a = suggest(&app, &w.zhang, a).await;
    let b = suggest(&app, &w.li, body("teaching_research", "增加实验室开放时间")).await;
    let (late_proposal, late) = from_proposal(&app, w.congress, zhang, "late_proposal", "campus_construction").await;
    let (_, converted) = from_proposal(&app, w.congress, li, "converted_proposal", "logistics").await;

    let all = app.get("/suggestions").token(&w.committee.token).send().await.assert_ok(200);
    assert_eq!(all["total"], 4);
    let ids: Vec<i64> = all["items"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
    assert_eq!(ids[0], converted, "newest first: {ids:?}");
    let late_row = all["items"].as_array().unwrap().iter().find(|s| s["id"] == late).unwrap();
    assert_eq!(
        (late_row["source"].as_str(), late_row["from_proposal_id"].as_i64()),
        (Some("late_proposal"), Some(late_proposal))
    );

    let count = async |q: &str| total(&app, &w.admin, q).await;
    assert_eq!(count("category=logistics").await, 2);
    assert_eq!(count("source=late_proposal").await, 1);
    assert_eq!(count("source=converted_proposal").await, 1);
    assert_eq!(count("source=direct").await, 2);
    assert_eq!(count("status=open").await, 4);
    assert_eq!(count("q=实验室").await, 1);
    assert_eq!(
        app.get(&format!("/suggestions?congress_id={}", w.congress)).token(&w.admin.token).send().await.assert_ok(200)
            ["total"],
        3
    );
    assert_eq!(
        app.get(&format!("/suggestions?member_id={}", w.org.li_si)).token(&w.admin.token).send().await.assert_ok(200)["total"],
        2
    );
    let page = app.get("/suggestions?per_page=3&page=2").token(&w.admin.token).send().await.assert_ok(200);
    assert_eq!((page["total"].as_i64(), page["items"].as_array().unwrap().len()), (Some(4), 1));

    // A member sees their own only, whatever they filter by.
    let mine = app.get("/suggestions").token(&w.zhang.token).send().await.assert_ok(200);
    let mine_ids: Vec<i64> = mine["items"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
    assert_eq!(mine["total"], 2);
    assert!(mine_ids.contains(&a["id"].as_i64().unwrap()) && mine_ids.contains(&late));
    let sneaky =
        app.get(&format!("/suggestions?member_id={}", w.org.li_si)).token(&w.zhang.token).send().await.assert_ok(200);
    assert!(sneaky["items"].as_array().unwrap().iter().all(|s| s["member_id"] == w.org.zhang_san), "{sneaky}");
    // Without a member profile: nothing.
    let judge = app.with_role(Role::Judge).await;
    assert_eq!(app.get("/suggestions").token(&judge.token).send().await.assert_ok(200)["total"], 0);
    app.get("/suggestions").send().await.assert_problem(401, "missing_token");

    // Reading one: one's own or a manager's.
    app.get(&format!("/suggestions/{}", a["id"])).token(&w.zhang.token).send().await.assert_ok(200);
    app.get(&format!("/suggestions/{}", b["id"])).token(&w.zhang.token).send().await.assert_problem(404, "not_found");
    app.get(&format!("/suggestions/{}", b["id"])).token(&judge.token).send().await.assert_problem(404, "not_found");
    let got = app.get(&format!("/suggestions/{}", b["id"])).token(&w.committee.token).send().await.assert_ok(200);
    assert_eq!((got["title"].as_str(), got["member_name"].as_str()), (Some("增加实验室开放时间"), Some("李四")));
    app.get("/suggestions/999999").token(&w.admin.token).send().await.assert_problem(404, "not_found");
    app.get(&format!("/suggestions/{}", a["id"])).send().await.assert_problem(401, "missing_token");

    // Exports: the same list as a file.
    let csv = app.get("/suggestions?format=csv&category=logistics").token(&w.admin.token).send().await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.text();
    assert!(text.starts_with('\u{feff}'));
    assert!(text.contains("编号,大会,类别,标题,内容,来源"), "{text}");
    assert!(text.contains("食堂延长供餐时间") && text.contains("提案转来") && !text.contains("实验室"), "{text}");
    let xlsx = app.get("/suggestions").token(&w.admin.token).header("Accept", "text/csv").send().await;
    assert_eq!(xlsx.text().lines().count(), 5);
    let xlsx = app.get("/suggestions?format=xlsx").token(&w.admin.token).send().await;
    assert_eq!(&xlsx.body[..2], b"PK");
    let own_csv = app.get("/suggestions?format=csv").token(&w.li.token).send().await.text();
    assert!(own_csv.contains("增加实验室开放时间") && !own_csv.contains("食堂"), "{own_csv}");
}

#[actix_web::test]
async fn a_manager_answers_a_suggestion_once() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let hq = dem::department(&app, "后勤管理处", &[]).await;
    let closed = dem::department(&app, "已撤销处", &[]).await;
    app.sql(&format!("UPDATE departments SET active = false WHERE id = {closed}")).await;
    let s = suggest(&app, &w.zhang, body("logistics", "食堂延长供餐时间")).await;
    let path = format!("/suggestions/{}/respond", s["id"]);
    let answer = json!({"response": "已协调饮食中心，下月起晚餐延长至 19:30。", "department_id": hq});

    // Wrong role, no token, bad bodies, stale version: nothing changes.
    for user in [&w.zhang, &app.with_role(Role::Handler).await, &app.unit_admin(w.org.a).await] {
        app.post(&path).token(&user.token).json(&answer).send().await.assert_problem(403, "forbidden");
    }
    app.post(&path).json(&answer).send().await.assert_problem(401, "missing_token");
    for (b, field, code) in [
        (json!({"response": ""}), "response", "length"),
        (json!({"response": " \n "}), "response", "required"),
        (json!({"department_id": hq}), "response", "required"),
        (json!({"response": "好", "department_id": 999_999}), "department_id", "unknown_department"),
        (json!({"response": "好", "department_id": closed}), "department_id", "department_inactive"),
    ] {
        let problem =
            app.post(&path).token(&w.committee.token).json(&b).send().await.assert_problem(422, "validation_failed");
        assert_eq!(
            (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
            (Some(field), Some(code)),
            "{b}"
        );
    }
    app.post(&path)
        .token(&w.committee.token)
        .header("If-Match", "\"v7\"")
        .json(&answer)
        .send()
        .await
        .assert_problem(412, "stale_version");
    app.post("/suggestions/999999/respond")
        .token(&w.committee.token)
        .json(&answer)
        .send()
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        app.scalar("SELECT count(*) AS id FROM webhook_events WHERE event_type = 'suggestion.responded'").await,
        0
    );

    let res = app.post(&path).token(&w.committee.token).header("If-Match", "\"v1\"").json(&answer).send().await;
    assert_eq!(res.header("etag").as_deref(), Some("\"v2\""));
    let done = res.assert_ok(200);
    assert_eq!(
        (done["status"].as_str(), done["department_id"].as_i64(), done["department_name"].as_str()),
        (Some("responded"), Some(hq), Some("后勤管理处"))
    );
    assert_eq!(done["response"], answer["response"]);
    assert!(done["responded_at"].is_string());
    // The member reads the answer.
    let seen = app.get(&format!("/suggestions/{}", s["id"])).token(&w.zhang.token).send().await.assert_ok(200);
    assert_eq!(seen["status"], "responded");
    // Answering twice is a state conflict.
    app.post(&path)
        .token(&w.admin.token)
        .json(&json!({"response": "再答复"}))
        .send()
        .await
        .assert_problem(409, "invalid_transition");

    // The webhook event and the audit row were written with the change.
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM webhook_events WHERE event_type = 'suggestion.responded' \
             AND (data->>'suggestion_id')::bigint = {} AND (data->>'department_id')::bigint = {hq} AND data->>'status' = 'responded'",
            s["id"]
        ))
        .await,
        1
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'suggestion.respond' AND entity_id = '{}' \
             AND before->>'status' = 'open' AND after->>'status' = 'responded' AND actor_user_id = {}",
            s["id"], w.committee.id
        ))
        .await,
        1
    );
    let filtered = app
        .get(&format!("/suggestions?department_id={hq}&status=responded"))
        .token(&w.admin.token)
        .send()
        .await
        .assert_ok(200);
    assert_eq!(filtered["total"], 1);
}

#[actix_web::test]
async fn statistics_count_every_category_and_source() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let other_congress = dem::congress(&app, w.org.root, "school", "2024-TA").await;
    app.sql(&format!("UPDATE congresses SET year = 2024 WHERE id = {other_congress}")).await;
    let zhang = dem::make_delegate(&app, w.congress, w.org.zhang_san, "formal").await;
    let li = dem::make_delegate(&app, w.congress, w.org.li_si, "formal").await;
    for (cat, title) in
        [("logistics", "食堂"), ("logistics", "班车"), ("staff_welfare", "体检"), ("teaching_research", "课时")]
    {
        let mut b = body(cat, title);
        b["congress_id"] = json!(w.congress);
        let s = suggest(&app, &w.zhang, b).await;
        if title == "食堂" || title == "体检" {
            app.post(&format!("/suggestions/{}/respond", s["id"]))
                .token(&w.admin.token)
                .json(&json!({"response": "已答复"}))
                .send()
                .await
                .assert_ok(200);
        }
    }
    from_proposal(&app, w.congress, zhang, "late_proposal", "logistics").await;
    from_proposal(&app, w.congress, li, "converted_proposal", "governance").await;
    let mut next_year = body("other", "明年");
    next_year["congress_id"] = json!(other_congress);
    suggest(&app, &w.li, next_year).await;

    let stats = app
        .get(&format!("/suggestions/stats?congress_id={}", w.congress))
        .token(&w.committee.token)
        .send()
        .await
        .assert_ok(200);
    assert_eq!(
        (stats["total"].as_i64(), stats["responded"].as_i64(), stats["responded_rate_bp"].as_i64()),
        (Some(6), Some(2), Some(3333))
    );
    let cats = stats["by_category"].as_array().unwrap();
    assert_eq!(cats.len(), 9, "all nine categories, zeros included");
    let find = |code: &str| cats.iter().find(|c| c["code"] == code).unwrap().clone();
    assert_eq!((find("logistics")["count"].as_i64(), find("logistics")["responded"].as_i64()), (Some(3), Some(1)));
    assert_eq!((find("logistics")["name"].as_str()), Some("后勤保障"));
    assert_eq!(
        (find("staff_welfare")["count"].as_i64(), find("staff_welfare")["responded"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(find("governance")["count"], 1);
    assert_eq!((find("finance_assets")["count"].as_i64(), find("other")["count"].as_i64()), (Some(0), Some(0)));
    assert_eq!(cats[0]["code"], "teaching_research");
    let sources = stats["by_source"].as_array().unwrap();
    let src = |s: &str| sources.iter().find(|x| x["source"] == s).unwrap()["count"].as_i64().unwrap();
    assert_eq!((src("direct"), src("late_proposal"), src("converted_proposal")), (4, 1, 1));

    // By year: the congress's year.
    let y2023 = app.get("/suggestions/stats?year=2023").token(&w.admin.token).send().await.assert_ok(200);
    assert_eq!(y2023["total"], 6);
    let y2024 = app.get("/suggestions/stats?year=2024").token(&w.admin.token).send().await.assert_ok(200);
    assert_eq!(y2024["total"], 1);
    assert_eq!(y2024["by_category"].as_array().unwrap().iter().find(|c| c["code"] == "other").unwrap()["count"], 1);
    let everything = app.get("/suggestions/stats").token(&w.admin.token).send().await.assert_ok(200);
    assert_eq!(everything["total"], 7);
    let none = app.get("/suggestions/stats?congress_id=999999").token(&w.admin.token).send().await.assert_ok(200);
    assert_eq!((none["total"].as_i64(), none["by_category"].as_array().unwrap().len()), (Some(0), 9));

    app.get("/suggestions/stats?year=1800").token(&w.admin.token).send().await.assert_problem(422, "validation_failed");
    for user in [&w.zhang, &app.with_role(Role::Handler).await, &app.unit_admin(w.org.a).await] {
        app.get("/suggestions/stats").token(&user.token).send().await.assert_problem(403, "forbidden");
    }
    app.get("/suggestions/stats").send().await.assert_problem(401, "missing_token");
}

/// The member who made a suggestion hears on WeChat when it is answered (once), when WeChat
/// is configured, the event has a template and the member is bound.
#[actix_web::test]
async fn the_member_is_told_on_wechat_when_answered() {
    let app = TestApp::spawn_with(&[
        ("GONGHUI_WECHAT_APPID", "wx-test"),
        ("GONGHUI_WECHAT_SECRET", "s"),
        ("GONGHUI_WECHAT_API_BASE", "http://127.0.0.1:9"),
        ("GONGHUI_WECHAT_TEMPLATES", "suggestion_responded=TPL-SUGGESTION"),
    ])
    .await;
    let w = world(&app).await;
    app.sql(&format!(
        "INSERT INTO wechat_bindings (openid, member_id, method) VALUES ('oz', {}, 'cas')",
        w.org.zhang_san
    ))
    .await;
    let s = suggest(&app, &w.zhang, body("logistics", "食堂延长供餐时间")).await;
    let path = format!("/suggestions/{}/respond", s["id"]);
    let answer = json!({"response": "已协调后勤，晚餐延长至 19:30。"});
    app.post(&path).token(&w.committee.token).json(&answer).send().await.assert_ok(200);
    let sql = format!(
        "SELECT count(*) AS id FROM wechat_messages WHERE member_id = {} AND template_id = 'TPL-SUGGESTION' \
         AND page = 'pages/suggestions/detail?id={}'",
        w.org.zhang_san, s["id"]
    );
    assert_eq!(app.scalar(&sql).await, 1);
    // An unnamed suggestion recorded by the union has nobody to tell.
    let unnamed = suggest(&app, &w.admin, body("other", "匿名意见")).await;
    let path = format!("/suggestions/{}/respond", unnamed["id"]);
    app.post(&path).token(&w.committee.token).json(&answer).send().await.assert_ok(200);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM wechat_messages").await, 1);
}
