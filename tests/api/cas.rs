//! CAS single sign-on against a fake CAS server on loopback (wiremock).

use crate::common;

use std::time::Duration;

use common::{TestApp, fixtures};
use gonghui::audit::Actor;
use gonghui::auth::member_accounts::user_for_member;
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SERVICE: &str = "https://union.example.edu.cn/cas/callback";

async fn cas_app(cas: &MockServer, extra: &[(&str, &str)]) -> TestApp {
    let uri = format!("{}/cas", cas.uri());
    let mut vars: Vec<(&str, &str)> =
        vec![("GONGHUI_CAS_BASE_URL", &uri), ("GONGHUI_CAS_SERVICE_ALLOWLIST", "https://union.example.edu.cn/")];
    vars.extend_from_slice(extra);
    TestApp::spawn_with(&vars).await
}

fn json_success(user: &str, attributes: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "serviceResponse": {"authenticationSuccess": {"user": user, "attributes": attributes}}
    }))
}

fn json_failure(code: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "serviceResponse": {"authenticationFailure": {"code": code, "description": "Ticket ST-1 not recognized"}}
    }))
}

fn validate_mock(ticket: &str) -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path("/cas/p3/serviceValidate"))
        .and(query_param("service", SERVICE))
        .and(query_param("ticket", ticket))
        .and(query_param("format", "JSON"))
}

async fn login(app: &TestApp, ticket: &str, service: &str) -> common::Res {
    app.post("/auth/cas/login").json(&json!({"ticket": ticket, "service": service})).send().await
}

async fn users_of(app: &TestApp, member_id: i64) -> i64 {
    app.scalar(&format!("SELECT count(*) AS id FROM users WHERE member_id = {member_id}")).await
}

#[actix_web::test]
async fn a_json_success_logs_the_member_in_and_me_shows_the_profile() {
    let cas = MockServer::start().await;
    let app = cas_app(&cas, &[]).await;
    let org = fixtures::org(&app).await;
    validate_mock("ST-1-abc").respond_with(json_success("A001", json!({"cn": ["张三"]}))).expect(1).mount(&cas).await;

    let tokens = login(&app, "ST-1-abc", SERVICE).await.assert_ok(200);
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["refresh_token"].as_str().unwrap().len() > 20);
    let me = app.get("/me").token(tokens["access_token"].as_str().unwrap()).send().await.assert_ok(200);
    assert_eq!(me["username"], "m-a001");
    assert_eq!(me["display_name"], "张三");
    assert_eq!(me["member"]["id"], org.zhang_san);
    assert_eq!(me["member"]["staff_no"], "A001");
    assert_eq!(me["member"]["name"], "张三");
    assert_eq!(me["roles"], json!([]));
    // The account has no password: password login stays impossible.
    let res = app.post("/auth/login").json(&json!({"username": "m-a001", "password": "any-password-1"})).send().await;
    res.assert_problem(401, "invalid_credentials");
    assert_eq!(
        app.scalar("SELECT count(*) AS id FROM users WHERE username = 'm-a001' AND password_hash IS NULL").await,
        1
    );
    let audit = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'user.create' AND actor_label = 'system:cas-login' \
             AND request_id IS NOT NULL AND after->>'member_id' = '{}'",
            org.zhang_san
        ))
        .await;
    assert_eq!(audit, 1);
    // The refresh token works like any other.
    let refreshed = app.post("/auth/refresh").json(&json!({"refresh_token": tokens["refresh_token"]})).send().await;
    refreshed.assert_ok(200);
}

#[actix_web::test]
async fn an_xml_answer_with_a_mapped_attribute_logs_in() {
    let cas = MockServer::start().await;
    let app = cas_app(&cas, &[("GONGHUI_CAS_STAFF_NO_ATTRIBUTE", "employeeNumber")]).await;
    let org = fixtures::org(&app).await;
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
  <cas:authenticationSuccess>
    <cas:user>lisi2019</cas:user>
    <cas:attributes>
      <cas:cn>李四</cas:cn>
      <cas:employeeNumber>A002</cas:employeeNumber>
      <cas:eduPersonAffiliation>staff</cas:eduPersonAffiliation>
      <cas:eduPersonAffiliation>faculty</cas:eduPersonAffiliation>
    </cas:attributes>
  </cas:authenticationSuccess>
</cas:serviceResponse>"#;
    validate_mock("ST-2-xml")
        .respond_with(ResponseTemplate::new(200).set_body_raw(xml, "application/xml;charset=UTF-8"))
        .expect(1)
        .mount(&cas)
        .await;
    let tokens = login(&app, "ST-2-xml", SERVICE).await.assert_ok(200);
    let me = app.get("/me").token(tokens["access_token"].as_str().unwrap()).send().await.assert_ok(200);
    assert_eq!(me["member"]["id"], org.li_si);
    assert_eq!(me["username"], "m-a002");
}

#[actix_web::test]
async fn a_missing_staff_number_attribute_or_an_unknown_one_is_refused_without_an_account() {
    let cas = MockServer::start().await;
    let app = cas_app(&cas, &[("GONGHUI_CAS_STAFF_NO_ATTRIBUTE", "employeeNumber")]).await;
    fixtures::org(&app).await;
    let before = app.scalar("SELECT count(*) AS id FROM users").await;
    // The CAS user id is a staff number, but the configured attribute is absent.
    validate_mock("ST-3-a").respond_with(json_success("A001", json!({"cn": ["张三"]}))).mount(&cas).await;
    login(&app, "ST-3-a", SERVICE).await.assert_problem(403, "cas_user_unknown");
    // A stranger: a valid CAS identity, but no member has this staff number.
    validate_mock("ST-3-b")
        .respond_with(json_success("visitor", json!({"employeeNumber": ["X999"]})))
        .mount(&cas)
        .await;
    login(&app, "ST-3-b", SERVICE).await.assert_problem(403, "cas_user_unknown");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM users").await, before);
}

#[actix_web::test]
async fn staff_numbers_match_ignoring_case() {
    let cas = MockServer::start().await;
    let app = cas_app(&cas, &[]).await;
    let org = fixtures::org(&app).await;
    validate_mock("ST-4-a").respond_with(json_success("a101", json!({}))).mount(&cas).await;
    let tokens = login(&app, "ST-4-a", SERVICE).await.assert_ok(200);
    let me = app.get("/me").token(tokens["access_token"].as_str().unwrap()).send().await.assert_ok(200);
    assert_eq!(me["member"]["id"], org.wang_wu);
}

#[actix_web::test]
async fn cas_failures_are_401() {
    let cas = MockServer::start().await;
    let app = cas_app(&cas, &[]).await;
    fixtures::org(&app).await;
    for (ticket, code) in [
        ("ST-5-a", "INVALID_TICKET"),
        ("ST-5-b", "INVALID_SERVICE"),
        ("ST-5-c", "INVALID_TICKET_SPEC"),
        ("ST-5-d", "INVALID_REQUEST"),
    ] {
        validate_mock(ticket).respond_with(json_failure(code)).expect(1).mount(&cas).await;
        let body = login(&app, ticket, SERVICE).await.assert_problem(401, "invalid_cas_ticket");
        assert!(!body.to_string().contains("ST-1"), "the CAS description is not passed on: {body}");
    }
    // XML failure, as most servers send it.
    let xml = r#"<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
    <cas:authenticationFailure code="INVALID_TICKET">Ticket ST-5-e not recognized</cas:authenticationFailure>
</cas:serviceResponse>"#;
    validate_mock("ST-5-e").respond_with(ResponseTemplate::new(200).set_body_raw(xml, "text/xml")).mount(&cas).await;
    login(&app, "ST-5-e", SERVICE).await.assert_problem(401, "invalid_cas_ticket");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM users WHERE member_id IS NOT NULL").await, 0);
}

#[actix_web::test]
async fn services_off_the_allow_list_and_bad_tickets_never_reach_cas() {
    let cas = MockServer::start().await;
    let app = cas_app(&cas, &[]).await;
    Mock::given(method("GET")).respond_with(json_success("A001", json!({}))).expect(0).mount(&cas).await;
    for service in
        ["https://evil.example.com/", "https://union.example.edu.cn", "https://union.example.edu.cn.evil.com/"]
    {
        let res = login(&app, "ST-6-a", service).await;
        let body = res.assert_problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "service");
        assert_eq!(body["errors"][0]["code"], "service_not_allowed");
    }
    for ticket in ["PGT-1-abc", "ST-1 abc", "TGT-1", "ST-"] {
        let body = login(&app, ticket, SERVICE).await.assert_problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "ticket", "{ticket}");
        assert_eq!(body["errors"][0]["code"], "invalid_ticket");
    }
    let res = app.post("/auth/cas/login").json(&json!({"ticket": "ST-1", "service": SERVICE, "x": 1})).send().await;
    res.assert_problem(422, "validation_failed");
    let res = app.post("/auth/cas/login").json(&json!({"ticket": "", "service": SERVICE})).send().await;
    res.assert_problem(422, "validation_failed");
    let res = app.post("/auth/cas/login").raw("application/json", "{not json").send().await;
    assert_eq!(res.status, 400);
    cas.verify().await;
}

#[actix_web::test]
async fn an_unreachable_failing_or_slow_cas_server_is_503() {
    let cas = MockServer::start().await;
    let app = cas_app(&cas, &[("GONGHUI_HTTP_TIMEOUT_MS", "300")]).await;
    fixtures::org(&app).await;
    validate_mock("ST-7-a").respond_with(ResponseTemplate::new(500).set_body_string("oops")).mount(&cas).await;
    let res = login(&app, "ST-7-a", SERVICE).await;
    res.assert_problem(503, "cas_unavailable");
    assert_eq!(res.header("retry-after").as_deref(), Some("1"));
    validate_mock("ST-7-b")
        .respond_with(json_success("A001", json!({})).set_delay(Duration::from_secs(3)))
        .mount(&cas)
        .await;
    let started = std::time::Instant::now();
    login(&app, "ST-7-b", SERVICE).await.assert_problem(503, "cas_unavailable");
    assert!(started.elapsed() < Duration::from_secs(2), "gave up after the timeout: {:?}", started.elapsed());
    validate_mock("ST-7-c").respond_with(json_failure("INTERNAL_ERROR")).mount(&cas).await;
    login(&app, "ST-7-c", SERVICE).await.assert_problem(503, "cas_unavailable");
    validate_mock("ST-7-d")
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>CAS login page</html>", "text/html"))
        .mount(&cas)
        .await;
    login(&app, "ST-7-d", SERVICE).await.assert_problem(503, "cas_unavailable");
    // Failures of the CAS server are not the client's: they do not count towards throttling.
    assert_eq!(app.scalar("SELECT count(*) AS id FROM login_failures WHERE key LIKE 'cas-%'").await, 0);

    // Nothing listens there any more.
    let gone = MockServer::start().await;
    let uri = format!("{}/cas", gone.uri());
    drop(gone);
    let app2 = TestApp::spawn_with(&[
        ("GONGHUI_CAS_BASE_URL", &uri),
        ("GONGHUI_CAS_SERVICE_ALLOWLIST", "https://union.example.edu.cn/"),
    ])
    .await;
    login(&app2, "ST-7-e", SERVICE).await.assert_problem(503, "cas_unavailable");
}

#[actix_web::test]
async fn a_member_who_left_is_refused() {
    let cas = MockServer::start().await;
    let app = cas_app(&cas, &[]).await;
    let org = fixtures::org(&app).await;
    app.sql(&format!("UPDATE members SET status = 'left', left_on = '2024-06-30' WHERE id = {}", org.zhao_liu)).await;
    validate_mock("ST-8-a").respond_with(json_success("B001", json!({}))).mount(&cas).await;
    let staff_no = app
        .scalar(&format!("SELECT count(*) AS id FROM members WHERE id = {} AND staff_no = 'B001'", org.zhao_liu))
        .await;
    assert_eq!(staff_no, 1, "fixture: 赵六 is B001");
    login(&app, "ST-8-a", SERVICE).await.assert_problem(409, "member_not_active");
    assert_eq!(users_of(&app, org.zhao_liu).await, 0);
}

#[actix_web::test]
async fn an_administrative_account_linked_to_the_member_keeps_its_grants_and_is_reused() {
    let cas = MockServer::start().await;
    let app = cas_app(&cas, &[]).await;
    let org = fixtures::org(&app).await;
    let admin = app.user(&[(Role::UnionAdmin, None)]).await;
    app.sql(&format!("UPDATE users SET member_id = {} WHERE id = {}", org.zhang_san, admin.id)).await;
    validate_mock("ST-9-a").respond_with(json_success("A001", json!({}))).mount(&cas).await;
    validate_mock("ST-9-b").respond_with(json_success("A001", json!({}))).mount(&cas).await;
    for ticket in ["ST-9-a", "ST-9-b"] {
        let tokens = login(&app, ticket, SERVICE).await.assert_ok(200);
        let me = app.get("/me").token(tokens["access_token"].as_str().unwrap()).send().await.assert_ok(200);
        assert_eq!(me["user_id"], admin.id);
        assert_eq!(me["username"], admin.username.as_str());
        assert_eq!(me["roles"][0]["role"], "union_admin");
        assert_eq!(me["member"]["id"], org.zhang_san);
        // The grants work: the admin reads the member list.
        app.get("/members").token(tokens["access_token"].as_str().unwrap()).send().await.assert_ok(200);
    }
    assert_eq!(users_of(&app, org.zhang_san).await, 1);
    // A disabled account is not replaced by a new one.
    app.sql(&format!("UPDATE users SET status = 'disabled' WHERE id = {}", admin.id)).await;
    validate_mock("ST-9-c").respond_with(json_success("A001", json!({}))).mount(&cas).await;
    login(&app, "ST-9-c", SERVICE).await.assert_problem(403, "account_disabled");
    assert_eq!(users_of(&app, org.zhang_san).await, 1);
}

#[actix_web::test]
async fn a_second_login_reuses_the_account_and_parallel_first_logins_create_one() {
    let cas = MockServer::start().await;
    let app = cas_app(&cas, &[]).await;
    let org = fixtures::org(&app).await;
    Mock::given(method("GET"))
        .and(path("/cas/p3/serviceValidate"))
        .respond_with(json_success("A002", json!({})).set_delay(Duration::from_millis(50)))
        .mount(&cas)
        .await;
    let (a, b, c, d) = tokio::join!(
        login(&app, "ST-10-a", SERVICE),
        login(&app, "ST-10-b", SERVICE),
        login(&app, "ST-10-c", SERVICE),
        login(&app, "ST-10-d", SERVICE),
    );
    let mut ids = Vec::new();
    for res in [a, b, c, d] {
        let tokens = res.assert_ok(200);
        let me = app.get("/me").token(tokens["access_token"].as_str().unwrap()).send().await.assert_ok(200);
        ids.push(me["user_id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let again = login(&app, "ST-10-e", SERVICE).await.assert_ok(200);
    let me = app.get("/me").token(again["access_token"].as_str().unwrap()).send().await.assert_ok(200);
    assert_eq!(me["user_id"], ids[0]);
    assert_eq!(users_of(&app, org.li_si).await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM audit_log WHERE action = 'user.create'").await, 1);
}

#[actix_web::test]
async fn user_for_member_loses_a_race_gracefully() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let mut c1 = app.conn().await;
    let mut c2 = app.conn().await;
    let actor = Actor::system("test");
    use diesel_async::AsyncConnection;
    // c1 creates the account inside a transaction that stays open a while; c2 blocks on the
    // unique index, then finds c1's row once it commits.
    let first = c1.transaction::<_, gonghui::error::ApiError, _>(async |conn| {
        let id = user_for_member(conn, org.qian_qi, &actor).await?;
        tokio::time::sleep(Duration::from_millis(400)).await;
        Ok(id)
    });
    let second = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        user_for_member(&mut c2, org.qian_qi, &actor).await
    };
    let (first, second) = tokio::join!(first, second);
    assert_eq!(first.unwrap(), second.unwrap());
    assert_eq!(users_of(&app, org.qian_qi).await, 1);
    // 404 for no such member.
    assert!(matches!(user_for_member(&mut c2, 999_999, &actor).await, Err(gonghui::error::ApiError::NotFound)));
}

#[actix_web::test]
async fn a_taken_username_gets_the_member_id_appended() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    app.sql("INSERT INTO users (username, display_name) VALUES ('m-a001', 'Someone else')").await;
    let mut conn = app.conn().await;
    let id = user_for_member(&mut conn, org.zhang_san, &Actor::system("test")).await.unwrap();
    let expected = format!("m-a001-{}", org.zhang_san);
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM users WHERE id = {id} AND username = '{expected}'")).await,
        1
    );
}

#[actix_web::test]
async fn failed_logins_are_throttled_per_address() {
    let cas = MockServer::start().await;
    let app = cas_app(&cas, &[("GONGHUI_LOGIN_MAX_FAILURES_PER_IP", "3")]).await;
    fixtures::org(&app).await;
    Mock::given(method("GET")).respond_with(json_failure("INVALID_TICKET")).mount(&cas).await;
    for i in 0..3 {
        login(&app, &format!("ST-11-{i}"), SERVICE).await.assert_problem(401, "invalid_cas_ticket");
    }
    let res = login(&app, "ST-11-x", SERVICE).await;
    res.assert_problem(429, "rate_limited");
    assert!(res.header("retry-after").is_some());
    // Password login from the same address is counted separately.
    let res = app.post("/auth/login").json(&json!({"username": "nobody", "password": "wrong"})).send().await;
    res.assert_problem(401, "invalid_credentials");
}

#[actix_web::test]
async fn without_cas_configuration_the_route_is_absent() {
    let app = TestApp::spawn().await;
    login(&app, "ST-12-a", SERVICE).await.assert_problem(404, "cas_not_configured");
}
