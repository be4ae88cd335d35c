//! `/departments`: handling departments and their handler accounts.

use crate::common;

use common::{TestApp, fixtures};
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    app.post("/departments").token(token).json(&body).send().await.assert_ok(201)
}

#[actix_web::test]
async fn departments_are_created_listed_read_and_changed() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let committee = app.with_role(Role::ProposalCommittee).await;
    let member = app.member_user(org.zhang_san).await;

    let res = app.post("/departments").token(&admin.token).json(&json!({"name": "教务处", "code": "JWC"})).send().await;
    let jwc = res.assert_ok(201);
    assert_eq!(res.header("etag").as_deref(), Some("\"v1\""));
    assert_eq!(res.header("location"), Some(format!("/api/v1/departments/{}", jwc["id"])));
    assert_eq!(
        (jwc["name"].as_str(), jwc["code"].as_str(), jwc["active"].as_bool()),
        (Some("教务处"), Some("JWC"), Some(true))
    );
    let hq = create(&app, &committee.token, json!({"name": "后勤管理处"})).await;
    assert!(hq["code"].is_null());
    create(&app, &admin.token, json!({"name": "人事处", "code": "RSC"})).await;

    // Any authenticated caller reads them (the mini-program shows the names).
    let page = app.get("/departments").token(&member.token).send().await.assert_ok(200);
    assert_eq!(
        (page["total"].as_i64(), page["page"].as_i64(), page["per_page"].as_i64()),
        (Some(3), Some(1), Some(20))
    );
    let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"教务处") && names.contains(&"后勤管理处") && names.contains(&"人事处"));
    assert!(page["items"][0].get("handlers").is_none());
    let by_code = app.get("/departments?q=jwc").token(&member.token).send().await.assert_ok(200);
    assert_eq!(by_code["total"], 1);
    assert_eq!(by_code["items"][0]["id"], jwc["id"]);
    let by_name = app.get("/departments?q=后勤").token(&member.token).send().await.assert_ok(200);
    assert_eq!(by_name["items"][0]["id"], hq["id"]);
    let paged = app.get("/departments?per_page=2&page=2").token(&member.token).send().await.assert_ok(200);
    assert_eq!((paged["total"].as_i64(), paged["items"].as_array().unwrap().len()), (Some(3), 1));

    let got = app.get(&format!("/departments/{}", jwc["id"])).token(&member.token).send().await;
    assert_eq!(got.header("etag").as_deref(), Some("\"v1\""));
    let got = got.assert_ok(200);
    assert_eq!(got["name"], "教务处");
    assert!(got.get("handlers").is_none(), "handler accounts are for department managers only: {got}");

    // Rename and deactivate with If-Match.
    let path = format!("/departments/{}", jwc["id"]);
    let res = app
        .patch(&path)
        .token(&admin.token)
        .header("If-Match", "\"v1\"")
        .json(&json!({"name": "本科生院", "active": false}))
        .send()
        .await;
    assert_eq!(res.header("etag").as_deref(), Some("\"v2\""));
    let changed = res.assert_ok(200);
    assert_eq!(
        (changed["name"].as_str(), changed["active"].as_bool(), changed["version"].as_i64()),
        (Some("本科生院"), Some(false), Some(2))
    );
    assert_eq!(changed["code"], "JWC");
    app.patch(&path)
        .token(&admin.token)
        .header("If-Match", "\"v1\"")
        .json(&json!({"active": true}))
        .send()
        .await
        .assert_problem(412, "stale_version");
    let active = app.get("/departments?active=true").token(&member.token).send().await.assert_ok(200);
    assert_eq!(active["total"], 2);
    let inactive = app.get("/departments?active=false").token(&member.token).send().await.assert_ok(200);
    assert_eq!(inactive["items"][0]["name"], "本科生院");

    // Every change is audited in its transaction.
    let audited = app
        .scalar("SELECT count(*) AS id FROM audit_log WHERE entity = 'department' AND action IN ('department.create', 'department.update')")
        .await;
    assert_eq!(audited, 4);
    let before_name = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'department.update' AND entity_id = '{}' \
             AND before->>'name' = '教务处' AND after->>'name' = '本科生院'",
            jwc["id"]
        ))
        .await;
    assert_eq!(before_name, 1);
}

#[actix_web::test]
async fn invalid_bodies_are_422_by_field() {
    let app = TestApp::spawn().await;
    let admin = app.union_admin().await;
    let t = admin.token.as_str();
    let cases = [
        (json!({"name": ""}), "name", "length"),
        (json!({"name": " 教务处"}), "name", "invalid_format"),
        (json!({"name": "x".repeat(101)}), "name", "length"),
        (json!({"name": "教务处", "code": "has space"}), "code", "invalid_format"),
        (json!({"name": "教务处", "code": "x".repeat(33)}), "code", "invalid_format"),
        (json!({"code": "JWC"}), "name", "required"),
        (json!({"name": "教务处", "boss": "x"}), "boss", "unknown_field"),
        (json!({"name": 7}), "name", "invalid_type"),
    ];
    for (body, field, code) in cases {
        let res = app.post("/departments").token(t).json(&body).send().await;
        let problem = res.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{body}: {problem}");
    }
    let d = create(&app, t, json!({"name": "教务处"})).await;
    let path = format!("/departments/{}", d["id"]);
    let res = app.patch(&path).token(t).json(&json!({"name": "", "active": "no"})).send().await;
    assert_eq!(res.status, 422);
    let res = app.patch(&path).token(t).json(&json!({"code": "a/b"})).send().await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["field"], "code");
    let res = app.post(&format!("{path}/handlers")).token(t).json(&json!({"user_id": 0})).send().await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["field"], "user_id");
    let res = app.get("/departments?active=maybe").token(t).send().await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["field"], "active");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM departments").await, 1);
}

#[actix_web::test]
async fn names_and_codes_are_unique() {
    let app = TestApp::spawn().await;
    let admin = app.union_admin().await;
    let t = admin.token.as_str();
    create(&app, t, json!({"name": "教务处", "code": "JWC"})).await;
    let other = create(&app, t, json!({"name": "人事处"})).await;
    app.post("/departments")
        .token(t)
        .json(&json!({"name": "教务处"}))
        .send()
        .await
        .assert_problem(409, "department_name_taken");
    app.post("/departments")
        .token(t)
        .json(&json!({"name": "科研处", "code": "JWC"}))
        .send()
        .await
        .assert_problem(409, "department_code_taken");
    let path = format!("/departments/{}", other["id"]);
    app.patch(&path)
        .token(t)
        .json(&json!({"name": "教务处"}))
        .send()
        .await
        .assert_problem(409, "department_name_taken");
    app.patch(&path).token(t).json(&json!({"code": "JWC"})).send().await.assert_problem(409, "department_code_taken");
    let unchanged = app.get(&path).token(t).send().await.assert_ok(200);
    assert_eq!((unchanged["name"].as_str(), unchanged["version"].as_i64()), (Some("人事处"), Some(1)));
    assert_eq!(app.scalar("SELECT count(*) AS id FROM departments").await, 2);
}

#[actix_web::test]
async fn handler_accounts_are_managed_and_shown_to_managers_only() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let committee = app.with_role(Role::ProposalCommittee).await;
    let handler = app.with_role(Role::Handler).await;
    let judge = app.with_role(Role::Judge).await;
    let member = app.member_user(org.li_si).await;
    let d = create(&app, &admin.token, json!({"name": "后勤管理处"})).await;
    let base = format!("/departments/{}", d["id"]);

    let added = app
        .post(&format!("{base}/handlers"))
        .token(&committee.token)
        .json(&json!({"user_id": handler.id}))
        .send()
        .await
        .assert_ok(201);
    assert_eq!(
        (added["user_id"].as_i64(), added["username"].as_str()),
        (Some(handler.id), Some(handler.username.as_str()))
    );
    assert!(added["since"].is_string());
    app.post(&format!("{base}/handlers"))
        .token(&admin.token)
        .json(&json!({"user_id": handler.id}))
        .send()
        .await
        .assert_problem(409, "already_handler");
    for user_id in [judge.id, 999_999] {
        let problem = app
            .post(&format!("{base}/handlers"))
            .token(&admin.token)
            .json(&json!({"user_id": user_id}))
            .send()
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(
            (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
            (Some("user_id"), Some("not_a_handler"))
        );
    }
    // The handler's account now acts for the department (what proposals read).
    let mut conn = app.conn().await;
    let departments =
        gonghui::democracy::handler_departments(&mut conn, gonghui::kernel::ids::UserId(handler.id)).await.unwrap();
    assert_eq!(departments, vec![d["id"].as_i64().unwrap()]);

    let seen_by_admin = app.get(&base).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(seen_by_admin["handlers"].as_array().unwrap().len(), 1);
    assert_eq!(seen_by_admin["handlers"][0]["user_id"], handler.id);
    for t in [&member.token, &handler.token, &judge.token] {
        let seen = app.get(&base).token(t).send().await.assert_ok(200);
        assert!(seen.get("handlers").is_none(), "{seen}");
    }
    let page = app.get(&format!("{base}/handlers")).token(&committee.token).send().await.assert_ok(200);
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["display_name"], seen_by_admin["handlers"][0]["display_name"]);

    app.delete(&format!("{base}/handlers/{}", handler.id)).token(&admin.token).send().await.assert_ok(204);
    app.delete(&format!("{base}/handlers/{}", handler.id))
        .token(&admin.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    let page = app.get(&format!("{base}/handlers")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(page["total"], 0);
    assert!(
        gonghui::democracy::handler_departments(&mut conn, gonghui::kernel::ids::UserId(handler.id))
            .await
            .unwrap()
            .is_empty()
    );
    // The role stays: removing a handler from a department is not revoking the role.
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM role_grants WHERE user_id = {} AND role = 'handler'",
            handler.id
        ))
        .await,
        1
    );
    let audit = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE entity = 'department' AND entity_id = '{}' \
             AND ((action = 'department.handler_add' AND (after->>'user_id')::bigint = {h}) \
               OR (action = 'department.handler_remove' AND (before->>'user_id')::bigint = {h}))",
            d["id"],
            h = handler.id
        ))
        .await;
    assert_eq!(audit, 2);
}

#[actix_web::test]
async fn only_department_managers_change_departments() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let handler = app.with_role(Role::Handler).await;
    let d = create(&app, &admin.token, json!({"name": "后勤管理处"})).await;
    let base = format!("/departments/{}", d["id"]);
    let refused = [
        app.with_role(Role::Handler).await,
        app.unit_admin(org.a).await,
        app.with_role(Role::Auditor).await,
        app.with_role(Role::SystemAdmin).await,
        app.member_user(org.zhang_san).await,
    ];
    for user in &refused {
        let t = user.token.as_str();
        app.post("/departments")
            .token(t)
            .json(&json!({"name": "科研处"}))
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.patch(&base).token(t).json(&json!({"active": false})).send().await.assert_problem(403, "forbidden");
        app.get(&format!("{base}/handlers")).token(t).send().await.assert_problem(403, "forbidden");
        app.post(&format!("{base}/handlers"))
            .token(t)
            .json(&json!({"user_id": handler.id}))
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.delete(&format!("{base}/handlers/{}", handler.id)).token(t).send().await.assert_problem(403, "forbidden");
        // Reading is open to every authenticated caller.
        app.get(&base).token(t).send().await.assert_ok(200);
    }
    // No token, or a bad one.
    for res in [
        app.get("/departments").send().await,
        app.get(&base).send().await,
        app.post("/departments").json(&json!({"name": "科研处"})).send().await,
        app.patch(&base).json(&json!({"active": false})).send().await,
        app.delete(&format!("{base}/handlers/{}", handler.id)).send().await,
    ] {
        res.assert_problem(401, "missing_token");
    }
    app.get("/departments").token("not-a-token").send().await.assert_problem(401, "invalid_token");
    let unchanged = app.get(&base).token(&admin.token).send().await.assert_ok(200);
    assert_eq!((unchanged["active"].as_bool(), unchanged["version"].as_i64()), (Some(true), Some(1)));
    assert_eq!(app.scalar("SELECT count(*) AS id FROM departments").await, 1);
}

#[actix_web::test]
async fn unknown_departments_are_404() {
    let app = TestApp::spawn().await;
    let admin = app.union_admin().await;
    let handler = app.with_role(Role::Handler).await;
    let t = admin.token.as_str();
    app.get("/departments/999999").token(t).send().await.assert_problem(404, "not_found");
    app.patch("/departments/999999")
        .token(t)
        .json(&json!({"active": false}))
        .send()
        .await
        .assert_problem(404, "not_found");
    app.get("/departments/999999/handlers").token(t).send().await.assert_problem(404, "not_found");
    app.post("/departments/999999/handlers")
        .token(t)
        .json(&json!({"user_id": handler.id}))
        .send()
        .await
        .assert_problem(404, "not_found");
    app.delete(&format!("/departments/999999/handlers/{}", handler.id))
        .token(t)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.get("/departments/abc").token(t).send().await.assert_problem(404, "not_found");
}

/// A handler finds its own departments in `/me`; other accounts see none.
#[actix_web::test]
async fn me_shows_the_departments_a_handler_replies_for() {
    let app = TestApp::spawn().await;
    let handler = app.with_role(Role::Handler).await;
    let logistics = crate::common::democracy::department(&app, "后勤管理处", &[handler.id]).await;
    let finance = crate::common::democracy::department(&app, "财务处", &[handler.id]).await;
    crate::common::democracy::department(&app, "教务处", &[]).await;
    let me = app.get("/me").token(&handler.token).send().await.assert_ok(200);
    let names: Vec<(i64, &str)> = me["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["id"].as_i64().unwrap(), d["name"].as_str().unwrap()))
        .collect();
    let mut names = names;
    names.sort();
    let mut expected = vec![(logistics, "后勤管理处"), (finance, "财务处")];
    expected.sort();
    assert_eq!(names, expected);
    let admin = app.union_admin().await;
    let me = app.get("/me").token(&admin.token).send().await.assert_ok(200);
    assert_eq!(me["departments"], json!([]));
}
