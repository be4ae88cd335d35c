//! `/congresses`: creation at school and unit level, rules and their defaults, updates with
//! If-Match, open and close with history, scope of unit admins, and the 二级教代会建制率.

use crate::common;

use common::TestApp;
use common::democracy::{congress, congress_at_unit, set_congress_status};
use common::fixtures::{self, Org};
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

fn school_body(org: &Org) -> Value {
    json!({
        "unit_id": org.root, "level": "school", "name": "第四届教职工代表大会第三次会议",
        "term": 4, "session": 3, "year": 2023, "starts_on": "2023-03-20", "ends_on": "2023-03-22",
        "proposal_deadline": "2023-03-10",
    })
}

fn unit_body(unit: i64) -> Value {
    json!({
        "unit_id": unit, "level": "unit", "name": "机电工程学院第二届教代会第一次会议",
        "term": 2, "session": 1, "year": 2023, "starts_on": "2023-04-10", "ends_on": "2023-04-10",
    })
}

#[actix_web::test]
async fn a_union_admin_creates_the_school_congress_with_default_rules() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;

    let res = app.post("/congresses").token(&admin.token).json(&school_body(&org)).send().await;
    let c = res.assert_ok(201);
    assert_eq!(res.header("etag").as_deref(), Some("\"v1\""));
    let id = c["id"].as_i64().unwrap();
    assert_eq!(res.header("location"), Some(format!("/api/v1/congresses/{id}")));
    assert_eq!(c["unit_id"], org.root);
    assert_eq!(c["unit_name"], "校工会");
    assert_eq!(c["level"], "school");
    assert_eq!(c["kind"], "joint");
    assert_eq!(c["status"], "preparing");
    assert_eq!(c["proposal_prefix"], "2023-TA");
    assert_eq!(c["proposal_deadline"], "2023-03-10");
    assert_eq!(c["min_cosigners"], 2);
    assert_eq!(c["reply_days"], 90);
    assert_eq!(c["max_extension_days"], 30);
    assert_eq!(c["feedback_working_days"], 15);
    assert_eq!((c["quorum_num"].as_i64(), c["quorum_den"].as_i64()), (Some(2), Some(3)));
    assert_eq!(c["quorum_inclusive"], true);
    assert_eq!(c["majority_base"], "all_formal");
    assert!(c["rule_source"].as_str().unwrap().contains("教育部令第32号"));
    assert_eq!((c["formal_delegates"].as_i64(), c["observer_delegates"].as_i64()), (Some(0), Some(0)));
    assert_eq!(c["version"], 1);

    // Given rules are kept; the rest default.
    let mut body = school_body(&org);
    body["session"] = json!(4);
    body["year"] = json!(2024);
    body["kind"] = json!("staff");
    body["min_cosigners"] = json!(3);
    body["quorum_num"] = json!(3);
    body["quorum_den"] = json!(4);
    body["quorum_inclusive"] = json!(false);
    body["majority_base"] = json!("present");
    body["rule_source"] = json!("《某大学教职工代表大会实施细则》第十条");
    let c2 = app.post("/congresses").token(&admin.token).json(&body).send().await.assert_ok(201);
    assert_eq!(c2["proposal_prefix"], "2024-TA");
    assert_eq!(c2["kind"], "staff");
    assert_eq!(c2["min_cosigners"], 3);
    assert_eq!(c2["reply_days"], 90);
    assert_eq!((c2["quorum_num"].as_i64(), c2["quorum_den"].as_i64()), (Some(3), Some(4)));
    assert_eq!(c2["quorum_inclusive"], false);
    assert_eq!(c2["majority_base"], "present");
    assert_eq!(c2["rule_source"], "《某大学教职工代表大会实施细则》第十条");

    // Everyone may read congress metadata, members included.
    let member = app.member_user(org.zhang_san).await;
    let read = app.get(&format!("/congresses/{id}")).token(&member.token).send().await;
    assert_eq!(read.assert_ok(200)["name"], "第四届教职工代表大会第三次会议");
    assert_eq!(read.header("etag").as_deref(), Some("\"v1\""));
    let history = app.get(&format!("/congresses/{id}/history")).token(&member.token).send().await.assert_ok(200);
    assert_eq!(history["total"], 1);
    assert_eq!(history["items"][0]["action"], "create");
    assert_eq!(history["items"][0]["from_status"], Value::Null);
    assert_eq!(history["items"][0]["to_status"], "preparing");
    assert_eq!(history["items"][0]["actor_user_id"], admin.id);
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'congress.create' AND entity_id = '{id}' \
             AND actor_user_id = {}",
            admin.id
        ))
        .await,
        1
    );

    // Same term and session at the same unit, or the same prefix: 409.
    app.post("/congresses")
        .token(&admin.token)
        .json(&school_body(&org))
        .send()
        .await
        .assert_problem(409, "congress_exists");
    let mut same_prefix = school_body(&org);
    same_prefix["session"] = json!(9);
    same_prefix["proposal_prefix"] = json!("2023-TA");
    app.post("/congresses")
        .token(&admin.token)
        .json(&same_prefix)
        .send()
        .await
        .assert_problem(409, "proposal_prefix_taken");
    // Without an explicit prefix, a second school congress in 2023 gets the next free one.
    let mut extraordinary = school_body(&org);
    extraordinary["session"] = json!(10);
    let second = app.post("/congresses").token(&admin.token).json(&extraordinary).send().await.assert_ok(201);
    assert_eq!(second["proposal_prefix"], "2023-TA2");
    app.get("/congresses/999999").token(&member.token).send().await.assert_problem(404, "not_found");
    app.get("/congresses/999999/history").token(&member.token).send().await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn unit_admins_run_their_own_unit_congress_only() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let a_admin = app.unit_admin(org.a).await;

    let c = app.post("/congresses").token(&a_admin.token).json(&unit_body(org.a)).send().await.assert_ok(201);
    assert_eq!(c["level"], "unit");
    assert_eq!(c["unit_id"], org.a);
    assert_eq!(c["proposal_prefix"], "2023-A-TA");
    let id = c["id"].as_i64().unwrap();
    app.post(&format!("/congresses/{id}/open")).token(&a_admin.token).send().await.assert_ok(200);

    // B's unit and the school union are outside A's scope: unknown units, nothing leaks.
    let res = app.post("/congresses").token(&a_admin.token).json(&unit_body(org.b)).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["unit_id"]);
    assert_eq!(res.json()["errors"][0]["code"], "unknown_unit");
    let res = app.post("/congresses").token(&a_admin.token).json(&school_body(&org)).send().await;
    assert_eq!(res.json()["errors"][0]["code"], "unknown_unit", "{}", res.text());
    // A school-level congress at a secondary union: the level does not match the unit.
    let mut wrong = unit_body(org.a);
    wrong["level"] = json!("school");
    wrong["session"] = json!(2);
    let res = app.post("/congresses").token(&a_admin.token).json(&wrong).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["level"]);
    assert_eq!(res.json()["errors"][0]["code"], "level_unit_mismatch");

    // The school congress and B's congress: writes are 404 for A's admin.
    let school = congress(&app, org.root, "school", "2023-TA").await;
    let b_congress = congress_at_unit(&app, org.b).await;
    for target in [school, b_congress] {
        app.patch(&format!("/congresses/{target}"))
            .token(&a_admin.token)
            .json(&json!({"name": "改名"}))
            .send()
            .await
            .assert_problem(404, "not_found");
        app.post(&format!("/congresses/{target}/open"))
            .token(&a_admin.token)
            .send()
            .await
            .assert_problem(404, "not_found");
        app.post(&format!("/congresses/{target}/close"))
            .token(&a_admin.token)
            .send()
            .await
            .assert_problem(404, "not_found");
    }
    let untouched = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM congresses WHERE id IN ({school}, {b_congress}) AND status = 'preparing' AND version = 1"
        ))
        .await;
    assert_eq!(untouched, 2);

    // Roles without CongressesManage are refused; no token is 401.
    for role in [Role::Member, Role::Handler, Role::ProposalCommittee, Role::Auditor] {
        let user = app.with_role(role).await;
        app.post("/congresses")
            .token(&user.token)
            .json(&unit_body(org.a))
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.post(&format!("/congresses/{id}/close")).token(&user.token).send().await.assert_problem(403, "forbidden");
    }
    let member = app.member_user(org.li_si).await;
    app.patch(&format!("/congresses/{id}"))
        .token(&member.token)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.post("/congresses").json(&unit_body(org.a)).send().await.assert_problem(401, "missing_token");
    app.get("/congresses").send().await.assert_problem(401, "missing_token");
    app.get(&format!("/congresses/{id}")).send().await.assert_problem(401, "missing_token");
}

#[actix_web::test]
async fn creation_is_validated_field_by_field() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let post = |body: Value| {
        let app = &app;
        let token = admin.token.clone();
        async move { app.post("/congresses").token(&token).json(&body).send().await }
    };

    let mut body = school_body(&org);
    body["name"] = json!("");
    body["term"] = json!(0);
    body["session"] = json!(100);
    body["year"] = json!(1900);
    body["min_cosigners"] = json!(51);
    body["reply_days"] = json!(0);
    body["proposal_prefix"] = json!("2023_TA");
    let res = post(body).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(
        res.error_fields(),
        ["min_cosigners", "name", "proposal_prefix", "reply_days", "session", "term", "year"]
    );

    // Cross-field: dates in order, the quorum a fraction not above one.
    let mut body = school_body(&org);
    body["ends_on"] = json!("2023-03-19");
    body["quorum_num"] = json!(4);
    body["quorum_den"] = json!(3);
    let res = post(body).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["ends_on", "quorum_num"]);
    let errors = res.json()["errors"].clone();
    let codes: Vec<&str> = errors.as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["date_order", "not_above"]);
    // A quorum of 3 over the default denominator 3 is allowed; 4 over it is not.
    let mut body = school_body(&org);
    body["quorum_num"] = json!(4);
    assert_eq!(post(body).await.error_fields(), ["quorum_num"]);

    let mut body = school_body(&org);
    body["level"] = json!("faculty");
    body["colour"] = json!("red");
    let res = post(body).await;
    res.assert_problem(422, "validation_failed");
    let mut body = school_body(&org);
    body.as_object_mut().unwrap().remove("starts_on");
    assert_eq!(post(body).await.error_fields(), ["starts_on"]);
    let mut body = school_body(&org);
    body["starts_on"] = json!("2023-02-30");
    assert_eq!(post(body).await.error_fields(), ["starts_on"]);
    // A group is neither the school union nor a secondary union.
    let mut body = unit_body(org.a_group);
    body["level"] = json!("unit");
    assert_eq!(post(body).await.error_fields(), ["level"]);
    let mut body = unit_body(org.root);
    body["level"] = json!("unit");
    assert_eq!(post(body).await.error_fields(), ["level"]);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM congresses").await, 0);
}

#[actix_web::test]
async fn updates_need_the_current_version_and_rules_freeze_when_the_congress_opens() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let id = app.post("/congresses").token(&admin.token).json(&school_body(&org)).send().await.assert_ok(201)["id"]
        .as_i64()
        .unwrap();
    let path = format!("/congresses/{id}");

    let res = app
        .patch(&path)
        .token(&admin.token)
        .header("If-Match", "\"v1\"")
        .json(&json!({"name": "第四届三次教代会", "reply_days": 60, "min_cosigners": 3, "proposal_deadline": "2023-03-15"}))
        .send()
        .await;
    let c = res.assert_ok(200);
    assert_eq!(res.header("etag").as_deref(), Some("\"v2\""));
    assert_eq!(
        (c["name"].as_str(), c["reply_days"].as_i64(), c["min_cosigners"].as_i64()),
        (Some("第四届三次教代会"), Some(60), Some(3))
    );
    assert_eq!(c["proposal_deadline"], "2023-03-15");
    // `null` removes the deadline; leaving the field out keeps it.
    let c = app.patch(&path).token(&admin.token).json(&json!({"proposal_deadline": null})).send().await.assert_ok(200);
    assert_eq!(c["proposal_deadline"], Value::Null);
    let c = app.patch(&path).token(&admin.token).json(&json!({"proposal_deadline": "2023-03-15"})).send().await;
    let c = c.assert_ok(200);
    let c2 =
        app.patch(&path).token(&admin.token).json(&json!({"name": "第四届三次教代会"})).send().await.assert_ok(200);
    assert_eq!(
        (c["proposal_deadline"].as_str(), c2["proposal_deadline"].as_str()),
        (Some("2023-03-15"), Some("2023-03-15"))
    );
    app.patch(&path)
        .token(&admin.token)
        .header("If-Match", "\"v1\"")
        .json(&json!({"name": "过期"}))
        .send()
        .await
        .assert_problem(412, "stale_version");
    let res = app.patch(&path).token(&admin.token).json(&json!({"ends_on": "2023-03-01"})).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["ends_on"]);
    let res = app.patch(&path).token(&admin.token).json(&json!({"quorum_den": 1})).send().await;
    assert_eq!(res.error_fields(), ["quorum_num"]);
    let res = app.patch(&path).token(&admin.token).json(&json!({"level": "unit"})).send().await;
    assert_eq!(res.error_fields(), ["level"]);

    // Open: the rules are frozen, the rest may still change.
    let opened = app.post(&format!("{path}/open")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(opened["status"], "in_session");
    assert_eq!(opened["version"], 6, "three more changes above: clear, set, rename");
    for rule in [
        json!({"quorum_num": 1}),
        json!({"majority_base": "present"}),
        json!({"proposal_deadline": "2023-04-01"}),
        json!({"proposal_prefix": "2023-TB"}),
        json!({"reply_days": 30}),
    ] {
        app.patch(&path).token(&admin.token).json(&rule).send().await.assert_problem(409, "congress_rules_frozen");
    }
    let c = app.patch(&path).token(&admin.token).json(&json!({"ends_on": "2023-03-23"})).send().await.assert_ok(200);
    assert_eq!((c["ends_on"].as_str(), c["reply_days"].as_i64()), (Some("2023-03-23"), Some(60)));

    app.post(&format!("{path}/close")).token(&admin.token).send().await.assert_ok(200);
    app.patch(&path)
        .token(&admin.token)
        .json(&json!({"name": "闭幕后"}))
        .send()
        .await
        .assert_problem(409, "congress_closed");
    let audit = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'congress.update' AND entity_id = '{id}'"
        ))
        .await;
    assert_eq!(audit, 5);
}

#[actix_web::test]
async fn open_and_close_follow_the_state_machine_with_history() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let id = app.post("/congresses").token(&admin.token).json(&school_body(&org)).send().await.assert_ok(201)["id"]
        .as_i64()
        .unwrap();
    let open = format!("/congresses/{id}/open");
    let close = format!("/congresses/{id}/close");

    app.post(&close).token(&admin.token).send().await.assert_problem(409, "invalid_transition");
    let res = app.post(&open).token(&admin.token).send().await;
    assert_eq!(res.assert_ok(200)["status"], "in_session");
    assert_eq!(res.header("etag").as_deref(), Some("\"v2\""));
    app.post(&open).token(&admin.token).send().await.assert_problem(409, "invalid_transition");
    assert_eq!(app.post(&close).token(&admin.token).send().await.assert_ok(200)["status"], "closed");
    app.post(&close).token(&admin.token).send().await.assert_problem(409, "invalid_transition");
    app.post(&open).token(&admin.token).send().await.assert_problem(409, "invalid_transition");
    app.post("/congresses/999999/open").token(&admin.token).send().await.assert_problem(404, "not_found");

    let history = app.get(&format!("/congresses/{id}/history")).token(&admin.token).send().await.assert_ok(200);
    let steps: Vec<(Value, Value, Value)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["action"].clone(), h["from_status"].clone(), h["to_status"].clone()))
        .collect();
    assert_eq!(
        steps,
        [
            (json!("create"), Value::Null, json!("preparing")),
            (json!("open"), json!("preparing"), json!("in_session")),
            (json!("close"), json!("in_session"), json!("closed")),
        ]
    );
    let page =
        app.get(&format!("/congresses/{id}/history?per_page=1&page=3")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!((page["total"].as_i64(), page["items"][0]["action"].as_str()), (Some(3), Some("close")));
    for action in ["congress.open", "congress.close"] {
        let n = app
            .scalar(&format!("SELECT count(*) AS id FROM audit_log WHERE action = '{action}' AND entity_id = '{id}'"))
            .await;
        assert_eq!(n, 1, "{action}");
    }
}

#[actix_web::test]
async fn lists_filter_by_level_status_year_and_unit() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let school = congress(&app, org.root, "school", "2023-TA").await;
    set_congress_status(&app, school, "closed").await;
    let a = congress_at_unit(&app, org.a).await;
    set_congress_status(&app, a, "in_session").await;
    let b = congress_at_unit(&app, org.b).await;
    app.sql(&format!("UPDATE congresses SET year = 2024 WHERE id = {b}")).await;
    app.sql(&format!(
        "INSERT INTO delegates (congress_id, member_id, kind, delegation_unit_id) VALUES \
         ({school}, {}, 'formal', {}), ({school}, {}, 'formal', {}), ({school}, {}, 'observer', {})",
        org.zhang_san, org.a, org.li_si, org.a, org.zhao_liu, org.b
    ))
    .await;
    let admin = app.union_admin().await;
    let t = admin.token.as_str();

    let ids = |v: &Value| v["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>();
    // A member sees the school congress and their own unit's, not another unit's (item 3 of
    // issue 8: congress reads take a `CongressAccess`).
    let member = app.member_user(org.zhao_liu).await;
    let mine = app.get("/congresses").token(&member.token).send().await.assert_ok(200);
    let mut seen = ids(&mine);
    seen.sort();
    let mut expected = vec![school, b];
    expected.sort();
    assert_eq!(seen, expected, "the school congress and the congress of the member's unit B");
    let other = a;
    app.get(&format!("/congresses/{b}")).token(&member.token).send().await.assert_ok(200);
    app.get(&format!("/congresses/{other}")).token(&member.token).send().await.assert_problem(404, "not_found");
    app.get(&format!("/congresses/{other}/history")).token(&member.token).send().await.assert_problem(404, "not_found");

    let all = app.get("/congresses").token(t).send().await.assert_ok(200);
    assert_eq!(all["total"], 3);
    assert_eq!(ids(&all)[0], b, "newest year first");
    let school_row = all["items"].as_array().unwrap().iter().find(|c| c["id"] == school).unwrap();
    assert_eq!(
        (school_row["formal_delegates"].as_i64(), school_row["observer_delegates"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(ids(&app.get("/congresses?level=school").token(t).send().await.assert_ok(200)), [school]);
    assert_eq!(ids(&app.get("/congresses?status=in_session").token(t).send().await.assert_ok(200)), [a]);
    let y2023 = ids(&app.get("/congresses?year=2023&level=unit").token(t).send().await.assert_ok(200));
    assert_eq!(y2023, [a]);
    assert_eq!(ids(&app.get(&format!("/congresses?unit_id={}", org.b)).token(t).send().await.assert_ok(200)), [b]);
    let page = app.get("/congresses?per_page=2&page=2").token(t).send().await.assert_ok(200);
    assert_eq!((page["total"].as_i64(), ids(&page).len()), (Some(3), 1));
    for bad in ["/congresses?status=open", "/congresses?year=20x3", "/congresses?per_page=101", "/congresses?unit_id=0"]
    {
        app.get(bad).token(t).send().await.assert_problem(422, "validation_failed");
    }
}

#[actix_web::test]
async fn stats_count_secondary_unions_holding_their_own_congress() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    // A third secondary union, C, with a congress still being prepared.
    let c_body = json!({"name": "经济管理学院工会", "code": "C", "kind": "secondary", "parent_id": org.root});
    let c_unit =
        app.post("/units").token(&admin.token).json(&c_body).send().await.assert_ok(201)["id"].as_i64().unwrap();
    let school = congress(&app, org.root, "school", "2023-TA").await;
    set_congress_status(&app, school, "closed").await;
    let a = congress_at_unit(&app, org.a).await;
    set_congress_status(&app, a, "closed").await;
    congress_at_unit(&app, c_unit).await;

    let s = app.get("/congresses/stats?year=2023").token(&admin.token).send().await.assert_ok(200);
    assert_eq!(s["year"], 2023);
    assert_eq!(s["secondary_units"], 3);
    assert_eq!(s["units_holding"], 1);
    assert_eq!(s["units_preparing"], 1);
    assert_eq!(s["rate_bp"], 3333);
    let without: Vec<i64> = s["units_without"].as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()).collect();
    assert_eq!(without, [org.b, c_unit]);
    assert_eq!(s["units_without"][0]["name"], "外国语学院工会");

    // B holds its congress too: 2 of 3.
    let b = congress_at_unit(&app, org.b).await;
    set_congress_status(&app, b, "in_session").await;
    let s = app.get("/congresses/stats?year=2023").token(&admin.token).send().await.assert_ok(200);
    assert_eq!((s["units_holding"].as_i64(), s["rate_bp"].as_i64()), (Some(2), Some(6666)));
    let s = app.get("/congresses/stats?year=2022").token(&admin.token).send().await.assert_ok(200);
    assert_eq!(
        (s["units_holding"].as_i64(), s["rate_bp"].as_i64(), s["secondary_units"].as_i64()),
        (Some(0), Some(0), Some(3))
    );
    let current = app.get("/congresses/stats").token(&admin.token).send().await.assert_ok(200);
    assert!(current["year"].as_i64().unwrap() >= 2025);

    // A unit admin sees their own subtree; the committee reads all; members may not.
    let a_admin = app.unit_admin(org.a).await;
    let s = app.get("/congresses/stats?year=2023").token(&a_admin.token).send().await.assert_ok(200);
    assert_eq!(
        (s["secondary_units"].as_i64(), s["units_holding"].as_i64(), s["rate_bp"].as_i64()),
        (Some(1), Some(1), Some(10000))
    );
    assert_eq!(s["units_without"], json!([]));
    let committee = app.with_role(Role::ProposalCommittee).await;
    app.get("/congresses/stats?year=2023").token(&committee.token).send().await.assert_ok(200);
    let member = app.member_user(org.zhang_san).await;
    app.get("/congresses/stats").token(&member.token).send().await.assert_problem(403, "forbidden");
    app.get("/congresses/stats?year=1800").token(&admin.token).send().await.assert_problem(422, "validation_failed");
}

/// The congress list exports as CSV and XLSX with the list's filters.
#[actix_web::test]
async fn the_congress_list_exports_as_csv_and_xlsx() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    app.post("/congresses").token(&admin.token).json(&school_body(&org)).send().await.assert_ok(201);
    let mut next_year = school_body(&org);
    next_year["session"] = json!(4);
    next_year["year"] = json!(2024);
    app.post("/congresses").token(&admin.token).json(&next_year).send().await.assert_ok(201);
    let csv = app.get("/congresses?format=csv&year=2023").token(&admin.token).send().await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "a header and the 2023 congress: {text}");
    assert!(lines[0].contains("名称") && lines[0].contains("提案编号前缀"), "{}", lines[0]);
    assert!(lines[1].contains("2023-TA") && lines[1].contains("筹备中"), "{}", lines[1]);
    let xlsx = app.get("/congresses?format=xlsx").token(&admin.token).send().await;
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.body.starts_with(b"PK"), "an XLSX file is a zip");
    app.get("/congresses?format=pdf").token(&admin.token).send().await.assert_problem(422, "validation_failed");
    app.get("/congresses?format=csv").send().await.assert_problem(401, "missing_token");
}
