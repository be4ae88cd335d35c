//! User administration over HTTP (`/users`, system_admin only): listing with filters and
//! pagination, creation (generated and chosen passwords), updates with If-Match, deletion,
//! role grants, and the 401/403/404/409/412/422 answers of every route.

use crate::common;

use common::{Res, TestApp, TestUser, fixtures};
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

async fn create(app: &TestApp, admin: &TestUser, body: Value) -> Res {
    app.post("/users").token(&admin.token).json(&body).send().await
}

async fn login(app: &TestApp, username: &str, password: &str) -> Res {
    app.post("/auth/login").json(&json!({"username": username, "password": password})).send().await
}

fn usernames(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect()
}

/// The (field, code) pairs of a validation problem.
fn issues(res: &Res) -> Vec<(String, String)> {
    res.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect()
}

fn pair(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

#[actix_web::test]
async fn create_with_a_generated_password_returns_it_once_and_it_works() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let res = create(&app, &admin, json!({"username": "unit3-admin", "display_name": "机械学院工会管理员"})).await;
    let body = res.assert_ok(201);
    let id = body["id"].as_i64().unwrap();
    assert_eq!(res.header("location"), Some(format!("/api/v1/users/{id}")));
    assert_eq!(res.header("etag").as_deref(), Some("\"v1\""));
    assert_eq!(body["username"], "unit3-admin");
    assert_eq!(body["display_name"], "机械学院工会管理员");
    assert_eq!(body["status"], "active");
    assert_eq!(body["version"], 1);
    assert_eq!(body["member_id"], Value::Null);
    assert_eq!(body["grants"], json!([]));
    assert!(body.get("password_hash").is_none());
    let password = body["initial_password"].as_str().unwrap().to_owned();
    assert_eq!(password.chars().count(), 16);
    assert!(gonghui::auth::password::is_strong_enough(&password));

    // Stored as an argon2id hash, never in the clear.
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM users WHERE id = {id} AND password_hash LIKE '$argon2id$%'"))
            .await,
        1
    );
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM users WHERE password_hash LIKE '%{password}%'")).await,
        0
    );
    // Shown once: reading the account again does not reveal it.
    let got = app.get(&format!("/users/{id}")).token(&admin.token).send().await.assert_ok(200);
    assert!(got.get("initial_password").is_none());
    assert!(!got.to_string().contains(&password));

    let pair = login(&app, "unit3-admin", &password).await.assert_ok(200);
    let me = app.get("/me").token(pair["access_token"].as_str().unwrap()).send().await.assert_ok(200);
    assert_eq!(me["user_id"], id);
}

#[actix_web::test]
async fn create_with_a_chosen_password_and_grants() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.system_admin().await;
    let res = create(
        &app,
        &admin,
        json!({
            "username": "a.admin",
            "display_name": "机电学院管理员",
            "password": "union-2024-admin",
            "member_id": org.li_si,
            "grants": [{"role": "unit_admin", "unit_id": org.a}, {"role": "auditor"}]
        }),
    )
    .await;
    let body = res.assert_ok(201);
    assert!(body.get("initial_password").is_none(), "chosen passwords are never echoed");
    assert_eq!(body["member_id"], org.li_si);
    let grants = body["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 2);
    assert_eq!(grants[0]["role"], "unit_admin");
    assert_eq!(grants[0]["unit_id"], org.a);
    assert_eq!(grants[0]["unit_name"], "机电工程学院工会");
    assert_eq!(grants[1]["role"], "auditor");
    assert_eq!(grants[1]["unit_id"], Value::Null);
    assert_eq!(grants[1]["unit_name"], Value::Null);
    let id = body["id"].as_i64().unwrap();
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM role_grants WHERE user_id = {id} AND created_by = {}",
            admin.id
        ))
        .await,
        2
    );

    let pair = login(&app, "a.admin", "union-2024-admin").await.assert_ok(200);
    let token = pair["access_token"].as_str().unwrap();
    // The grant works: unit A's members are visible, B's are not.
    app.get(&format!("/members/{}", org.zhang_san)).token(token).send().await.assert_ok(200);
    app.get(&format!("/members/{}", org.zhao_liu)).token(token).send().await.assert_problem(404, "not_found");
    let me = app.get("/me").token(token).send().await.assert_ok(200);
    assert_eq!(me["member"]["id"], org.li_si);

    // One account per member.
    let res = create(&app, &admin, json!({"username": "other", "display_name": "x", "member_id": org.li_si})).await;
    res.assert_problem(409, "member_already_has_user");
}

#[actix_web::test]
async fn create_validates_its_input() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.system_admin().await;
    let before = app.scalar("SELECT count(*) AS id FROM users").await;

    for weak in ["short1", "onlylettersherex", "123456789012345", &"a1".repeat(65)] {
        let res = create(&app, &admin, json!({"username": "weak", "display_name": "x", "password": weak})).await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(issues(&res), [pair("password", "weak_password")], "{weak}");
    }
    for bad in ["ab", "Upper", "with space", "中文名", &"x".repeat(65)] {
        let res = create(&app, &admin, json!({"username": bad, "display_name": "x"})).await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(issues(&res), [pair("username", "invalid_format")], "{bad}");
    }
    let res = create(&app, &admin, json!({"username": "okname", "display_name": ""})).await;
    assert_eq!(issues(&res), [pair("display_name", "length")]);
    let res = create(&app, &admin, json!({"display_name": "x"})).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(issues(&res), [pair("username", "required")]);
    let res = create(&app, &admin, json!({"username": "okname", "display_name": "x", "is_admin": true})).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(issues(&res), [pair("is_admin", "unknown_field")]);
    let res =
        create(&app, &admin, json!({"username": "okname", "display_name": "x", "grants": [{"role": "king"}]})).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(issues(&res)[0].1, "invalid_choice");
    // Grants are checked before anything is written.
    let res =
        create(&app, &admin, json!({"username": "okname", "display_name": "x", "grants": [{"role": "unit_admin"}]}))
            .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(issues(&res), [pair("grants[0].unit_id", "required")]);
    let res = create(
        &app,
        &admin,
        json!({"username": "okname", "display_name": "x", "grants": [{"role": "auditor"}, {"role": "judge", "unit_id": org.a}]}),
    )
    .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(issues(&res), [pair("grants[1].unit_id", "invalid_unit_for_role")]);
    let res = create(
        &app,
        &admin,
        json!({"username": "okname", "display_name": "x", "grants": [{"role": "unit_admin", "unit_id": 999_999}]}),
    )
    .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(issues(&res), [pair("grants[0].unit_id", "unknown_unit")]);
    let res = create(&app, &admin, json!({"username": "okname", "display_name": "x", "member_id": 999_999})).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(issues(&res), [pair("member_id", "unknown_member")]);
    // Every problem in one answer, not the first one found.
    let res = create(
        &app,
        &admin,
        json!({"username": "okname", "display_name": "x", "member_id": 999_999,
               "grants": [{"role": "unit_admin"}, {"role": "auditor", "unit_id": org.a}]}),
    )
    .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(
        issues(&res),
        [
            pair("grants[0].unit_id", "required"),
            pair("grants[1].unit_id", "invalid_unit_for_role"),
            pair("member_id", "unknown_member")
        ]
    );
    assert_eq!(app.scalar("SELECT count(*) AS id FROM users").await, before);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM audit_log WHERE entity = 'user'").await, 0);

    // Duplicate username.
    create(&app, &admin, json!({"username": "taken", "display_name": "x"})).await.assert_ok(201);
    create(&app, &admin, json!({"username": "taken", "display_name": "y"})).await.assert_problem(409, "username_taken");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM users WHERE username = 'taken'").await, 1);
}

#[actix_web::test]
async fn list_filters_and_paginates() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.system_admin().await;
    for (username, display_name, grants) in [
        ("ops_lead", "运维负责人", json!([{"role": "auditor"}])),
        ("opsxlead", "运维二号", json!([{"role": "unit_admin", "unit_id": org.a}])),
        ("finance1", "财务张", json!([{"role": "finance_officer"}, {"role": "auditor"}])),
        ("retired", "停用账号", json!([])),
        ("gone", "已删除", json!([{"role": "auditor"}])),
    ] {
        create(&app, &admin, json!({"username": username, "display_name": display_name, "grants": grants}))
            .await
            .assert_ok(201);
    }
    let retired = app.scalar("SELECT id FROM users WHERE username = 'retired'").await;
    let gone = app.scalar("SELECT id FROM users WHERE username = 'gone'").await;
    app.patch(&format!("/users/{retired}"))
        .token(&admin.token)
        .json(&json!({"status": "disabled"}))
        .send()
        .await
        .assert_ok(200);
    app.delete(&format!("/users/{gone}")).token(&admin.token).send().await.assert_ok(204);

    let get = |q: &str| {
        let path = format!("/users{q}");
        let app = &app;
        let token = admin.token.clone();
        async move { app.get(&path).token(&token).send().await }
    };

    // Everyone but the deleted account, in id order, with the envelope.
    let all = get("").await.assert_ok(200);
    assert_eq!(all["total"], 5);
    assert_eq!(all["page"], 1);
    assert_eq!(all["per_page"], 20);
    assert_eq!(usernames(&all)[1..], ["ops_lead", "opsxlead", "finance1", "retired"]);
    assert_eq!(usernames(&all)[0], admin.username);

    // Text search: LIKE wildcards in the input are literal.
    assert_eq!(usernames(&get("?q=ops").await.assert_ok(200)), ["ops_lead", "opsxlead"]);
    assert_eq!(usernames(&get("?q=s_l").await.assert_ok(200)), ["ops_lead"]);
    assert_eq!(get("?q=%25").await.assert_ok(200)["total"], 0);
    assert_eq!(usernames(&get("?q=%E8%B4%A2%E5%8A%A1").await.assert_ok(200)), ["finance1"]);

    // By role and status.
    assert_eq!(usernames(&get("?role=auditor").await.assert_ok(200)), ["ops_lead", "finance1"]);
    assert_eq!(usernames(&get("?role=unit_admin").await.assert_ok(200)), ["opsxlead"]);
    assert_eq!(get("?role=judge").await.assert_ok(200)["total"], 0);
    assert_eq!(usernames(&get("?status=disabled").await.assert_ok(200)), ["retired"]);
    let deleted = get("?status=deleted").await.assert_ok(200);
    assert_eq!(usernames(&deleted), ["gone"]);
    assert_eq!(deleted["items"][0]["status"], "deleted");
    assert_eq!(get("?status=active&role=auditor&q=fin").await.assert_ok(200)["total"], 1);
    let with_grants = get("?q=finance1").await.assert_ok(200);
    let roles: Vec<&str> =
        with_grants["items"][0]["grants"].as_array().unwrap().iter().map(|g| g["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["finance_officer", "auditor"]);

    // Pagination.
    let page = get("?page=2&per_page=2").await.assert_ok(200);
    assert_eq!(page["total"], 5);
    assert_eq!(page["page"], 2);
    assert_eq!(page["per_page"], 2);
    assert_eq!(usernames(&page), ["opsxlead", "finance1"]);
    let last = get("?page=3&per_page=2").await.assert_ok(200);
    assert_eq!(usernames(&last), ["retired"]);
    let beyond = get("?page=9&per_page=2").await.assert_ok(200);
    assert_eq!(beyond["items"], json!([]));
    assert_eq!(beyond["total"], 5);

    // Bad filters.
    for (q, field, code) in [
        ("?role=king", "role", "invalid_choice"),
        ("?status=asleep", "status", "invalid_choice"),
        ("?per_page=101", "per_page", "range"),
        ("?page=0", "page", "range"),
        ("?page=abc", "page", "invalid_type"),
    ] {
        let res = get(q).await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(issues(&res), [pair(field, code)], "{q}");
    }
    let long = "x".repeat(65);
    get(&format!("?q={long}")).await.assert_problem(422, "validation_failed");
}

#[actix_web::test]
async fn get_returns_the_account_with_its_etag() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let target = app.with_role(Role::Judge).await;
    let res = app.get(&format!("/users/{}", target.id)).token(&admin.token).send().await;
    let body = res.assert_ok(200);
    assert_eq!(res.header("etag").as_deref(), Some("\"v1\""));
    assert_eq!(body["id"], target.id);
    assert_eq!(body["username"], target.username.as_str());
    assert_eq!(body["grants"][0]["role"], "judge");
    assert!(body["created_at"].is_string() && body["updated_at"].is_string());
    app.get("/users/999999").token(&admin.token).send().await.assert_problem(404, "not_found");
    app.get("/users/abc").token(&admin.token).send().await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn patch_honours_if_match() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let target = app.with_role(Role::Judge).await;
    let path = format!("/users/{}", target.id);

    let res = app
        .patch(&path)
        .token(&admin.token)
        .header("if-match", "\"v1\"")
        .json(&json!({"display_name": "新名字"}))
        .send()
        .await;
    let body = res.assert_ok(200);
    assert_eq!(res.header("etag").as_deref(), Some("\"v2\""));
    assert_eq!(body["display_name"], "新名字");
    assert_eq!(body["version"], 2);
    assert_eq!(app.scalar(&format!("SELECT version::bigint AS id FROM users WHERE id = {}", target.id)).await, 2);

    // A stale tag: 412, nothing changes.
    let res = app
        .patch(&path)
        .token(&admin.token)
        .header("if-match", "\"v1\"")
        .json(&json!({"display_name": "覆盖"}))
        .send()
        .await;
    res.assert_problem(412, "stale_version");
    let got = app.get(&path).token(&admin.token).send().await;
    assert_eq!(got.header("etag").as_deref(), Some("\"v2\""));
    assert_eq!(got.json()["display_name"], "新名字");
    // Garbage tags never match; `*` and no header always do.
    app.patch(&path)
        .token(&admin.token)
        .header("if-match", "garbage")
        .json(&json!({"display_name": "x"}))
        .send()
        .await
        .assert_problem(412, "stale_version");
    let res =
        app.patch(&path).token(&admin.token).header("if-match", "*").json(&json!({"display_name": "星"})).send().await;
    assert_eq!(res.assert_ok(200)["version"], 3);
    let res = app.patch(&path).token(&admin.token).json(&json!({"display_name": "无条件"})).send().await;
    assert_eq!(res.assert_ok(200)["version"], 4);
    assert_eq!(res.header("etag").as_deref(), Some("\"v4\""));

    // Validation.
    let res = app.patch(&path).token(&admin.token).json(&json!({"display_name": ""})).send().await;
    assert_eq!(issues(&res), [pair("display_name", "length")]);
    let res = app.patch(&path).token(&admin.token).json(&json!({"password": "weak"})).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(issues(&res), [pair("password", "weak_password")]);
    let res = app.patch(&path).token(&admin.token).json(&json!({"status": "deleted"})).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(issues(&res)[0].0, "status");
    let res = app.patch(&path).token(&admin.token).json(&json!({"username": "rename"})).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(issues(&res), [pair("username", "unknown_field")]);
    assert_eq!(app.scalar(&format!("SELECT version::bigint AS id FROM users WHERE id = {}", target.id)).await, 4);
    app.patch("/users/999999")
        .token(&admin.token)
        .json(&json!({"display_name": "x"}))
        .send()
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn a_new_password_replaces_the_old_one_and_ends_sessions() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let created =
        create(&app, &admin, json!({"username": "pat", "display_name": "Pat", "password": "first-pass-2024"}))
            .await
            .assert_ok(201);
    let id = created["id"].as_i64().unwrap();
    let session = login(&app, "pat", "first-pass-2024").await.assert_ok(200);
    app.patch(&format!("/users/{id}"))
        .token(&admin.token)
        .json(&json!({"password": "second-pass-2025"}))
        .send()
        .await
        .assert_ok(200);
    login(&app, "pat", "first-pass-2024").await.assert_problem(401, "invalid_credentials");
    login(&app, "pat", "second-pass-2025").await.assert_ok(200);
    app.post("/auth/refresh")
        .json(&json!({"refresh_token": session["refresh_token"]}))
        .send()
        .await
        .assert_problem(401, "invalid_refresh_token");
}

#[actix_web::test]
async fn an_administrator_cannot_disable_or_delete_themself() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let path = format!("/users/{}", admin.id);
    app.patch(&path)
        .token(&admin.token)
        .json(&json!({"status": "disabled"}))
        .send()
        .await
        .assert_problem(409, "cannot_change_own_account");
    app.delete(&path).token(&admin.token).send().await.assert_problem(409, "cannot_change_own_account");
    // Renaming oneself is fine.
    let res = app.patch(&path).token(&admin.token).json(&json!({"display_name": "我自己"})).send().await;
    assert_eq!(res.assert_ok(200)["status"], "active");
    app.get("/me").token(&admin.token).send().await.assert_ok(200);
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM users WHERE id = {} AND status = 'active'", admin.id)).await,
        1
    );
}

#[actix_web::test]
async fn delete_keeps_the_row_but_hides_the_account() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let created =
        create(&app, &admin, json!({"username": "temp", "display_name": "临时", "password": "temp-pass-2024"}))
            .await
            .assert_ok(201);
    let id = created["id"].as_i64().unwrap();
    let session = login(&app, "temp", "temp-pass-2024").await.assert_ok(200);

    let res = app.delete(&format!("/users/{id}")).token(&admin.token).send().await;
    assert_eq!(res.assert_ok(204), Value::Null);
    app.get(&format!("/users/{id}")).token(&admin.token).send().await.assert_problem(404, "not_found");
    app.delete(&format!("/users/{id}")).token(&admin.token).send().await.assert_problem(404, "not_found");
    app.patch(&format!("/users/{id}"))
        .token(&admin.token)
        .json(&json!({"display_name": "x"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("/users/{id}/grants"))
        .token(&admin.token)
        .json(&json!({"role": "auditor"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    // The row stays (for the audit trail), marked deleted, and the name stays taken.
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM users WHERE id = {id} AND status = 'deleted'")).await,
        1
    );
    create(&app, &admin, json!({"username": "temp", "display_name": "x"})).await.assert_problem(409, "username_taken");
    // Its sessions are over and it cannot log in.
    login(&app, "temp", "temp-pass-2024").await.assert_problem(401, "invalid_credentials");
    app.post("/auth/refresh")
        .json(&json!({"refresh_token": session["refresh_token"]}))
        .send()
        .await
        .assert_problem(401, "invalid_refresh_token");
    app.delete("/users/999999").token(&admin.token).send().await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn grants_are_added_and_removed() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.system_admin().await;
    let target = app.user(&[]).await;
    let grants = format!("/users/{}/grants", target.id);

    // unit_admin needs a unit; global roles take none; the unit must exist.
    let res = app.post(&grants).token(&admin.token).json(&json!({"role": "unit_admin"})).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(issues(&res), [pair("unit_id", "required")]);
    let res =
        app.post(&grants).token(&admin.token).json(&json!({"role": "union_admin", "unit_id": org.a})).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(issues(&res), [pair("unit_id", "invalid_unit_for_role")]);
    let res =
        app.post(&grants).token(&admin.token).json(&json!({"role": "unit_admin", "unit_id": 999_999})).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(issues(&res), [pair("unit_id", "unknown_unit")]);
    let res = app.post(&grants).token(&admin.token).json(&json!({"role": "unit_admin", "unit_id": 0})).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(issues(&res), [pair("unit_id", "range")]);
    let res = app.post(&grants).token(&admin.token).json(&json!({"role": "emperor"})).send().await;
    assert_eq!(issues(&res)[0], pair("role", "invalid_choice"));
    let res = app.post(&grants).token(&admin.token).json(&json!({"role": "auditor", "scope": "all"})).send().await;
    assert_eq!(issues(&res), [pair("scope", "unknown_field")]);
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM role_grants WHERE user_id = {}", target.id)).await, 0);

    let res = app.post(&grants).token(&admin.token).json(&json!({"role": "unit_admin", "unit_id": org.a})).send().await;
    let view = res.assert_ok(201);
    assert_eq!(view["id"], target.id);
    assert_eq!(view["grants"].as_array().unwrap().len(), 1);
    assert_eq!(view["grants"][0]["role"], "unit_admin");
    assert_eq!(view["grants"][0]["unit_id"], org.a);
    let unit_a_grant = view["grants"][0]["id"].as_i64().unwrap();
    // The same role on another unit is another grant; the same again is a conflict.
    let view = app
        .post(&grants)
        .token(&admin.token)
        .json(&json!({"role": "unit_admin", "unit_id": org.b}))
        .send()
        .await
        .assert_ok(201);
    assert_eq!(view["grants"].as_array().unwrap().len(), 2);
    app.post(&grants)
        .token(&admin.token)
        .json(&json!({"role": "unit_admin", "unit_id": org.a}))
        .send()
        .await
        .assert_problem(409, "role_already_granted");
    let view = app.post(&grants).token(&admin.token).json(&json!({"role": "auditor"})).send().await.assert_ok(201);
    assert_eq!(view["grants"].as_array().unwrap().len(), 3);
    app.post(&grants)
        .token(&admin.token)
        .json(&json!({"role": "auditor"}))
        .send()
        .await
        .assert_problem(409, "role_already_granted");
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM role_grants WHERE user_id = {}", target.id)).await, 3);
    // The new grant is effective at once.
    app.get(&format!("/members/{}", org.zhang_san)).token(&target.token).send().await.assert_ok(200);
    app.get("/audit-log").token(&target.token).send().await.assert_ok(200);

    // Remove.
    let res = app.delete(&format!("{grants}/{unit_a_grant}")).token(&admin.token).send().await;
    assert_eq!(res.assert_ok(204), Value::Null);
    app.delete(&format!("{grants}/{unit_a_grant}")).token(&admin.token).send().await.assert_problem(404, "not_found");
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM role_grants WHERE user_id = {}", target.id)).await, 2);
    app.get(&format!("/members/{}", org.zhang_san)).token(&target.token).send().await.assert_problem(404, "not_found");
    let view = app.get(&format!("/users/{}", target.id)).token(&admin.token).send().await.assert_ok(200);
    let left: Vec<&str> = view["grants"].as_array().unwrap().iter().map(|g| g["role"].as_str().unwrap()).collect();
    assert_eq!(left, ["unit_admin", "auditor"]);
    assert_eq!(view["grants"][0]["unit_id"], org.b);

    // A grant id of another user is not found under this user.
    let other = app.with_role(Role::Judge).await;
    let other_grant = app.scalar(&format!("SELECT id FROM role_grants WHERE user_id = {}", other.id)).await;
    app.delete(&format!("{grants}/{other_grant}")).token(&admin.token).send().await.assert_problem(404, "not_found");
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM role_grants WHERE id = {other_grant}")).await, 1);
    app.delete(&format!("/users/999999/grants/{other_grant}"))
        .token(&admin.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.post("/users/999999/grants")
        .token(&admin.token)
        .json(&json!({"role": "auditor"}))
        .send()
        .await
        .assert_problem(404, "not_found");
}

/// Every `/users` route, with a valid body where it takes one.
fn routes(user_id: i64, grant_id: i64) -> Vec<(reqwest::Method, String, Option<Value>)> {
    use reqwest::Method;
    vec![
        (Method::GET, "/users".into(), None),
        (Method::POST, "/users".into(), Some(json!({"username": "newbie", "display_name": "New"}))),
        (Method::GET, format!("/users/{user_id}"), None),
        (Method::PATCH, format!("/users/{user_id}"), Some(json!({"display_name": "Changed"}))),
        (Method::DELETE, format!("/users/{user_id}"), None),
        (Method::POST, format!("/users/{user_id}/grants"), Some(json!({"role": "auditor"}))),
        (Method::DELETE, format!("/users/{user_id}/grants/{grant_id}"), None),
    ]
}

#[actix_web::test]
async fn every_route_needs_a_token() {
    let app = TestApp::spawn().await;
    let target = app.with_role(Role::Judge).await;
    let grant = app.scalar(&format!("SELECT id FROM role_grants WHERE user_id = {}", target.id)).await;
    for (method, path, body) in routes(target.id, grant) {
        let mut req = app.request(method.clone(), &path);
        if let Some(body) = &body {
            req = req.json(body);
        }
        let res = req.send().await;
        res.assert_problem(401, "missing_token");
        assert_eq!(res.header("www-authenticate").as_deref(), Some("Bearer"), "{method} {path}");
        // An invalid token is 401 too.
        let mut req = app.request(method.clone(), &path).token("not-a-jwt");
        if let Some(body) = &body {
            req = req.json(body);
        }
        req.send().await.assert_problem(401, "invalid_token");
    }
    assert_eq!(app.scalar("SELECT count(*) AS id FROM users").await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM audit_log").await, 0);
}

#[actix_web::test]
async fn every_route_is_forbidden_to_every_other_role() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let target = app.with_role(Role::Judge).await;
    let grant = app.scalar(&format!("SELECT id FROM role_grants WHERE user_id = {}", target.id)).await;
    let mut callers = Vec::new();
    for role in Role::ALL.into_iter().filter(|r| *r != Role::SystemAdmin) {
        let unit = role.is_unit_scoped().then_some(org.a);
        callers.push((role, app.user(&[(role, unit)]).await));
    }
    // Holding every role but system_admin at once changes nothing either.
    let all_but: Vec<(Role, Option<i64>)> = Role::ALL
        .into_iter()
        .filter(|r| *r != Role::SystemAdmin)
        .map(|r| (r, r.is_unit_scoped().then_some(org.root)))
        .collect();
    callers.push((Role::UnionAdmin, app.user(&all_but).await));
    assert_eq!(callers.len(), 10);
    let users_before = app.scalar("SELECT count(*) AS id FROM users").await;
    let audit_before = app.scalar("SELECT count(*) AS id FROM audit_log").await;
    for (role, caller) in &callers {
        for (method, path, body) in routes(target.id, grant) {
            let mut req = app.request(method.clone(), &path).token(&caller.token);
            if let Some(body) = &body {
                req = req.json(body);
            }
            let res = req.send().await;
            assert_eq!(res.status, 403, "{role:?} {method} {path}: {}", res.text());
            res.assert_problem(403, "forbidden");
        }
    }
    // Nothing changed.
    assert_eq!(app.scalar("SELECT count(*) AS id FROM users").await, users_before);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM audit_log").await, audit_before);
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM users WHERE id = {} AND status = 'active' AND version = 1",
            target.id
        ))
        .await,
        1
    );
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM role_grants WHERE id = {grant}")).await, 1);

    // And the system administrator may use every route.
    let admin = app.system_admin().await;
    let expected = [200, 201, 200, 200, 204, 404, 404];
    for ((method, path, body), status) in routes(target.id, grant).into_iter().zip(expected) {
        let mut req = app.request(method.clone(), &path).token(&admin.token);
        if let Some(body) = &body {
            req = req.json(body);
        }
        let res = req.send().await;
        // The grant routes come after the DELETE of the same user, hence 404.
        assert_eq!(res.status, status, "{method} {path}: {}", res.text());
    }
}

#[actix_web::test]
async fn user_mutations_are_audited() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.system_admin().await;
    let res = app
        .post("/users")
        .token(&admin.token)
        .header("x-request-id", "users-create-1")
        .json(&json!({"username": "audited", "display_name": "审计", "password": "audited-pass-2024",
                      "grants": [{"role": "unit_admin", "unit_id": org.b}]}))
        .send()
        .await;
    let id = res.assert_ok(201)["id"].as_i64().unwrap();
    let count = |action: &str| {
        let sql = format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = '{action}' AND actor_user_id = {} AND request_id IS NOT NULL",
            admin.id
        );
        let app = &app;
        async move { app.scalar(&sql).await }
    };
    assert_eq!(count("user.create").await, 1);
    assert_eq!(count("role_grant.create").await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE entity = 'user' AND entity_id = '{id}' AND request_id = 'users-create-1' \
             AND after->>'username' = 'audited' AND before IS NULL"
        ))
        .await,
        1
    );
    // Neither the password nor its hash is ever in a snapshot.
    assert_eq!(
        app.scalar("SELECT count(*) AS id FROM audit_log WHERE after::text LIKE '%argon2%' OR after::text LIKE '%audited-pass%'")
            .await,
        0
    );
    app.patch(&format!("/users/{id}"))
        .token(&admin.token)
        .json(&json!({"password": "another-pass-2025"}))
        .send()
        .await
        .assert_ok(200);
    assert_eq!(count("user.update").await, 1);
    assert_eq!(
        app.scalar("SELECT count(*) AS id FROM audit_log WHERE (after::text || coalesce(before::text, '')) LIKE '%another-pass%' OR (after::text || coalesce(before::text, '')) LIKE '%argon2%'")
            .await,
        0
    );
    let grant = app.scalar(&format!("SELECT id FROM role_grants WHERE user_id = {id}")).await;
    app.delete(&format!("/users/{id}/grants/{grant}")).token(&admin.token).send().await.assert_ok(204);
    assert_eq!(count("role_grant.delete").await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'role_grant.delete' AND entity_id = '{grant}' \
             AND before->>'role' = 'unit_admin' AND (before->>'unit_id')::bigint = {} AND after IS NULL",
            org.b
        ))
        .await,
        1
    );
    app.delete(&format!("/users/{id}")).token(&admin.token).send().await.assert_ok(204);
    assert_eq!(count("user.delete").await, 1);
    // Failures leave no trace.
    let before = app.scalar("SELECT count(*) AS id FROM audit_log").await;
    create(&app, &admin, json!({"username": "audited", "display_name": "x"}))
        .await
        .assert_problem(409, "username_taken");
    app.patch(&format!("/users/{}", admin.id))
        .token(&admin.token)
        .json(&json!({"status": "disabled"}))
        .send()
        .await
        .assert_problem(409, "cannot_change_own_account");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM audit_log").await, before);
}

#[actix_web::test]
async fn a_retried_create_with_an_idempotency_key_creates_one_account() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let body = json!({"username": "retry", "display_name": "重试"});
    let first =
        app.post("/users").token(&admin.token).header("idempotency-key", "create-retry-1").json(&body).send().await;
    let created = first.assert_ok(201);
    let second =
        app.post("/users").token(&admin.token).header("idempotency-key", "create-retry-1").json(&body).send().await;
    assert_eq!(second.header("idempotent-replayed").as_deref(), Some("true"));
    let replayed = second.assert_ok(201);
    assert_eq!(replayed["id"], created["id"]);
    // The client that lost the first answer still learns the generated password.
    assert_eq!(replayed["initial_password"], created["initial_password"]);
    // ...but the stored response is encrypted at rest: the password is not in the table.
    let password = created["initial_password"].as_str().unwrap();
    let found = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM idempotency_keys WHERE position(convert_to('{password}', 'UTF8') IN response_body) > 0"
        ))
        .await;
    assert_eq!(found, 0);
    assert_eq!(second.header("location"), first.header("location"));
    assert_eq!(app.scalar("SELECT count(*) AS id FROM users WHERE username = 'retry'").await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM audit_log WHERE action = 'user.create'").await, 1);
    // The same key with another body is refused.
    let res = app
        .post("/users")
        .token(&admin.token)
        .header("idempotency-key", "create-retry-1")
        .json(&json!({"username": "retry2", "display_name": "重试"}))
        .send()
        .await;
    res.assert_problem(422, "idempotency_key_reused");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM users WHERE username = 'retry2'").await, 0);
}
