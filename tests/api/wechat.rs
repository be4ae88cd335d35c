//! The WeChat mini-program against a fake WeChat (and CAS) server on loopback: login, binding
//! by phone / identity / CAS, tickets, throttling, unbinding, the access-token lifecycle and
//! subscribe messages.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::fixtures;
use common::{Res, TestApp};
use diesel_async::AsyncConnection;
use gonghui::auth::permissions::Role;
use gonghui::integrations::wechat::login::{BindingClaims, binding_audience};
use gonghui::integrations::wechat::messages::{self, EVENT_CLAIM_APPROVED, EVENT_PROPOSAL_REPLIED};
use gonghui::integrations::wechat::token::{self, Wechat};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const APPID: &str = "wx1234567890abcdef";

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// An app talking to `wx` for WeChat, plus extra settings.
async fn app_with(wx: &MockServer, extra: &[(&str, &str)]) -> TestApp {
    let uri = wx.uri();
    let mut vars = vec![
        ("GONGHUI_WECHAT_APPID", APPID),
        ("GONGHUI_WECHAT_SECRET", "s3cret"),
        ("GONGHUI_WECHAT_API_BASE", uri.as_str()),
        ("GONGHUI_WECHAT_TEMPLATES", "proposal_replied=TPL-REPLIED,claim_approved=TPL-CLAIM"),
        ("GONGHUI_JOBS_RETRY_BASE_MS", "1"),
    ];
    vars.extend_from_slice(extra);
    TestApp::spawn_with(&vars).await
}

/// `jscode2session` answers `openid` for `code`.
async fn session(wx: &MockServer, code: &str, openid: &str) {
    Mock::given(method("GET"))
        .and(path("/sns/jscode2session"))
        .and(query_param("js_code", code))
        .and(query_param("appid", APPID))
        .and(query_param("secret", "s3cret"))
        .and(query_param("grant_type", "authorization_code"))
        .respond_with(ok(json!({"openid": openid, "session_key": "SESSION-KEY-SECRET"})))
        .mount(wx)
        .await;
}

/// Hands out TOKEN-1, TOKEN-2, … one per call (optionally slowly).
struct Tokens {
    n: Arc<AtomicUsize>,
    delay: Duration,
}

impl Respond for Tokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.n.fetch_add(1, Ordering::SeqCst) + 1;
        ok(json!({"access_token": format!("TOKEN-{n}"), "expires_in": 7200})).set_delay(self.delay)
    }
}

async fn stable_token(wx: &MockServer, delay: Duration) -> Arc<AtomicUsize> {
    let n = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .and(body_partial_json(json!({"grant_type": "client_credential", "appid": APPID, "secret": "s3cret"})))
        .respond_with(Tokens { n: n.clone(), delay })
        .mount(wx)
        .await;
    n
}

/// `getuserphonenumber` answers `phone` for `code` (with our appid in the watermark).
async fn phone(wx: &MockServer, code: &str, phone: &str) {
    Mock::given(method("POST"))
        .and(path("/wxa/business/getuserphonenumber"))
        .and(body_partial_json(json!({"code": code})))
        .respond_with(ok(json!({"errcode": 0, "errmsg": "ok", "phone_info": {
            "phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86",
            "watermark": {"timestamp": 1_700_000_000, "appid": APPID}}})))
        .mount(wx)
        .await;
}

async fn login(app: &TestApp, code: &str) -> Res {
    app.post("/auth/wechat/login").json(&json!({"code": code})).send().await
}

async fn ticket(app: &TestApp, code: &str) -> String {
    let body = login(app, code).await.assert_ok(200);
    assert_eq!(body["binding_required"], true, "{body}");
    assert!(body.get("access_token").is_none());
    body["binding_ticket"].as_str().unwrap().to_owned()
}

async fn bind(app: &TestApp, body: Value) -> Res {
    app.post("/auth/wechat/bind").json(&body).send().await
}

/// The ID-card last 6 of a fixture member (same derivation as the fixtures).
fn last6(staff_no: &str, birth: &str, female: bool) -> String {
    let seq = staff_no.len() as u32 + staff_no.bytes().map(u32::from).sum::<u32>() % 400;
    let card = fixtures::id_card(birth, female, seq);
    card[card.len() - 6..].to_owned()
}

#[actix_web::test]
async fn first_login_binds_by_phone_then_logs_in_directly() {
    let wx = MockServer::start().await;
    let app = app_with(&wx, &[]).await;
    let org = fixtures::org(&app).await;
    session(&wx, "code-1", "o-zhang").await;
    session(&wx, "code-2", "o-zhang").await;
    let calls = stable_token(&wx, Duration::ZERO).await;
    phone(&wx, "phone-1", "13812341234").await;

    let res = login(&app, "code-1").await;
    assert!(!res.text().contains("SESSION-KEY-SECRET"), "the session key never leaves the server");
    let body = res.assert_ok(200);
    assert_eq!(body["binding_required"], true);
    assert_eq!(body["expires_in"], 600);
    let ticket = body["binding_ticket"].as_str().unwrap().to_owned();

    let pair = bind(&app, json!({"binding_ticket": ticket, "phone_code": "phone-1"})).await.assert_ok(200);
    assert_eq!(pair["token_type"], "Bearer");
    assert!(pair["refresh_token"].as_str().unwrap().len() > 20);
    let me = app.get("/me").token(pair["access_token"].as_str().unwrap()).send().await.assert_ok(200);
    assert_eq!(me["member"]["id"], org.zhang_san);
    assert_eq!(me["member"]["name"], "张三");
    assert_eq!(me["member"]["staff_no"], "A001");
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let stored =
        app.scalar("SELECT count(*) AS id FROM wechat_bindings WHERE openid = 'o-zhang' AND method = 'phone'").await;
    assert_eq!(stored, 1);
    assert_eq!(app.scalar("SELECT member_id AS id FROM wechat_bindings WHERE openid = 'o-zhang'").await, org.zhang_san);
    // The audit row names a hash of the openid, never the openid.
    assert_eq!(app.scalar("SELECT count(*) AS id FROM audit_log WHERE action = 'wechat.bind'").await, 1);
    assert_eq!(
        app.scalar(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'wechat.bind' AND after::text LIKE '%o-zhang%'"
        )
        .await,
        0
    );
    assert_eq!(
        app.scalar("SELECT count(*) AS id FROM audit_log WHERE action = 'wechat.bind' AND length(after->>'openid_hash') = 16 AND actor_label LIKE 'wechat:%'")
            .await,
        1
    );

    // The ticket worked once.
    bind(&app, json!({"binding_ticket": ticket, "phone_code": "phone-1"}))
        .await
        .assert_problem(409, "binding_ticket_used");

    // Next time: tokens straight away, for the same account.
    let again = login(&app, "code-2").await.assert_ok(200);
    assert!(again.get("binding_required").is_none(), "{again}");
    let me2 = app.get("/me").token(again["access_token"].as_str().unwrap()).send().await.assert_ok(200);
    assert_eq!(me2["user_id"], me["user_id"]);
    assert_eq!(me2["member"]["id"], org.zhang_san);
}

#[actix_web::test]
async fn wechat_error_codes_become_clear_problems() {
    let wx = MockServer::start().await;
    let app = app_with(&wx, &[]).await;
    for (code, errcode) in [
        ("c-invalid", 40029),
        ("c-used", 40163),
        ("c-limited", 45011),
        ("c-busy", -1),
        ("c-blocked", 40226),
        ("c-odd", 40013),
    ] {
        Mock::given(method("GET"))
            .and(path("/sns/jscode2session"))
            .and(query_param("js_code", code))
            .respond_with(ok(json!({"errcode": errcode, "errmsg": "some message"})))
            .mount(&wx)
            .await;
    }
    Mock::given(method("GET"))
        .and(query_param("js_code", "c-500"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
        .mount(&wx)
        .await;
    Mock::given(method("GET"))
        .and(query_param("js_code", "c-garbage"))
        .respond_with(ResponseTemplate::new(200).set_body_string("not json"))
        .mount(&wx)
        .await;
    login(&app, "c-invalid").await.assert_problem(401, "wechat_code_invalid");
    login(&app, "c-used").await.assert_problem(409, "wechat_code_used");
    let limited = login(&app, "c-limited").await;
    limited.assert_problem(429, "rate_limited");
    assert_eq!(limited.header("retry-after").as_deref(), Some("60"));
    login(&app, "c-busy").await.assert_problem(503, "wechat_busy");
    login(&app, "c-blocked").await.assert_problem(403, "wechat_user_blocked");
    login(&app, "c-odd").await.assert_problem(503, "wechat_unavailable");
    login(&app, "c-500").await.assert_problem(503, "wechat_unavailable");
    login(&app, "c-garbage").await.assert_problem(503, "wechat_unavailable");
    let en =
        app.post("/auth/wechat/login").header("accept-language", "en").json(&json!({"code": "c-used"})).send().await;
    assert!(en.json()["detail"].as_str().unwrap().contains("already used"), "{}", en.text());
    // Bad input never reaches WeChat.
    let before = wx.received_requests().await.unwrap().len();
    app.post("/auth/wechat/login").json(&json!({"code": ""})).send().await.assert_problem(422, "validation_failed");
    app.post("/auth/wechat/login")
        .json(&json!({"code": "x", "extra": 1}))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(wx.received_requests().await.unwrap().len(), before);

    // WeChat unreachable.
    let dead = TestApp::spawn_with(&[
        ("GONGHUI_WECHAT_APPID", APPID),
        ("GONGHUI_WECHAT_SECRET", "s"),
        ("GONGHUI_WECHAT_API_BASE", "http://127.0.0.1:9"),
    ])
    .await;
    login(&dead, "c").await.assert_problem(503, "wechat_unavailable");
    // Not configured at all.
    let off = TestApp::spawn().await;
    login(&off, "c").await.assert_problem(404, "wechat_not_configured");
}

#[actix_web::test]
async fn forged_expired_and_foreign_tickets_are_refused() {
    let wx = MockServer::start().await;
    let app = app_with(&wx, &[]).await;
    fixtures::org(&app).await;
    phone(&wx, "phone-1", "13812341234").await;
    stable_token(&wx, Duration::ZERO).await;
    let config = &app.state.config;
    let now = gonghui::auth::tokens::now_secs();
    let claims = |exp: u64| BindingClaims {
        iss: config.jwt_issuer.clone(),
        aud: binding_audience(config),
        sub: "wechat-binding".into(),
        iat: now - 1000,
        nbf: now - 1000,
        exp,
        jti: uuid::Uuid::new_v4().to_string(),
        openid: "o-forged".into(),
        unionid: None,
    };
    let expired = app.state.tokens.sign(&claims(now - 60)).unwrap();
    bind(&app, json!({"binding_ticket": expired, "phone_code": "phone-1"}))
        .await
        .assert_problem(401, "binding_ticket_invalid");
    let other_key = gonghui::auth::tokens::TokenService::new(
        &gonghui::crypto::generate_ed25519_pem(),
        &config.jwt_issuer,
        &config.jwt_audience,
        Duration::from_secs(900),
    )
    .unwrap();
    let forged = other_key.sign(&claims(now + 600)).unwrap();
    bind(&app, json!({"binding_ticket": forged, "phone_code": "phone-1"}))
        .await
        .assert_problem(401, "binding_ticket_invalid");
    let admin = app.union_admin().await;
    bind(&app, json!({"binding_ticket": admin.token, "phone_code": "phone-1"}))
        .await
        .assert_problem(401, "binding_ticket_invalid");
    // And a valid ticket is no access token.
    let valid = app.state.tokens.sign(&claims(now + 600)).unwrap();
    app.get("/me").token(&valid).send().await.assert_problem(401, "invalid_token");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM wechat_bindings").await, 0);
    // Proofs: exactly one.
    let res = bind(&app, json!({"binding_ticket": valid, "phone_code": "p", "staff_no": "A001"})).await;
    res.assert_problem(422, "validation_failed");
    bind(&app, json!({"binding_ticket": valid})).await.assert_problem(422, "validation_failed");
    let partial = bind(&app, json!({"binding_ticket": valid, "staff_no": "A001", "name": "张三"})).await;
    partial.assert_problem(422, "validation_failed");
    assert_eq!(partial.error_fields(), ["id_card_last6"]);
}

#[actix_web::test]
async fn binding_by_identity_only_when_enabled_and_only_with_the_right_last6() {
    let wx = MockServer::start().await;
    let app = app_with(&wx, &[("GONGHUI_WECHAT_BIND_BY_IDENTITY", "true")]).await;
    let org = fixtures::org(&app).await;
    session(&wx, "code-1", "o-li").await;
    let t = ticket(&app, "code-1").await;
    let right = last6("A002", "1990-11-03", true);
    let wrong = if right == "000000" { "111111".to_owned() } else { "000000".to_owned() };
    let attempt = |last6: &str, name: &str| json!({"binding_ticket": t, "staff_no": "A002", "name": name, "id_card_last6": last6});
    bind(&app, attempt(&wrong, "李四")).await.assert_problem(401, "binding_proof_failed");
    bind(&app, attempt(&right, "王五")).await.assert_problem(401, "binding_proof_failed");
    let pair = bind(&app, attempt(&right.to_lowercase(), "李四")).await.assert_ok(200);
    let me = app.get("/me").token(pair["access_token"].as_str().unwrap()).send().await.assert_ok(200);
    assert_eq!(me["member"]["id"], org.li_si);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM wechat_bindings WHERE method = 'identity'").await, 1);

    // Off by default: 403, decided before any check.
    let wx2 = MockServer::start().await;
    let strict = app_with(&wx2, &[]).await;
    fixtures::org(&strict).await;
    session(&wx2, "code-1", "o-li").await;
    let t2 = ticket(&strict, "code-1").await;
    let res =
        bind(&strict, json!({"binding_ticket": t2, "staff_no": "A002", "name": "李四", "id_card_last6": right})).await;
    res.assert_problem(403, "bind_by_identity_disabled");
    assert_eq!(strict.scalar("SELECT count(*) AS id FROM wechat_bindings").await, 0);
}

#[actix_web::test]
async fn binding_by_cas_uses_the_staff_number_cas_vouches_for() {
    let wx = MockServer::start().await;
    let cas = MockServer::start().await;
    let cas_base = format!("{}/cas", cas.uri());
    let app = app_with(
        &wx,
        &[
            ("GONGHUI_CAS_BASE_URL", cas_base.as_str()),
            ("GONGHUI_CAS_SERVICE_ALLOWLIST", "https://gh.example.edu.cn/wechat/bind"),
            ("GONGHUI_CAS_STAFF_NO_ATTRIBUTE", "employeeNumber"),
        ],
    )
    .await;
    let org = fixtures::org(&app).await;
    Mock::given(method("GET"))
        .and(path("/cas/p3/serviceValidate"))
        .and(query_param("ticket", "ST-1-good"))
        .and(query_param("service", "https://gh.example.edu.cn/wechat/bind"))
        .respond_with(ok(json!({"serviceResponse": {"authenticationSuccess": {
            "user": "wangwu", "attributes": {"employeeNumber": ["A101"]}}}})))
        .mount(&cas)
        .await;
    Mock::given(method("GET"))
        .and(path("/cas/p3/serviceValidate"))
        .and(query_param("ticket", "ST-2-bad"))
        .respond_with(ok(json!({"serviceResponse": {"authenticationFailure": {
            "code": "INVALID_TICKET", "description": "Ticket ST-2-bad not recognized"}}})))
        .mount(&cas)
        .await;
    session(&wx, "code-1", "o-wang").await;
    let t = ticket(&app, "code-1").await;
    let service = "https://gh.example.edu.cn/wechat/bind";
    bind(&app, json!({"binding_ticket": t, "cas": {"ticket": "ST-2-bad", "service": service}}))
        .await
        .assert_problem(401, "invalid_cas_ticket");
    let off_list =
        bind(&app, json!({"binding_ticket": t, "cas": {"ticket": "ST-1-good", "service": "https://evil.example/"}}))
            .await;
    off_list.assert_problem(422, "validation_failed");
    assert_eq!(off_list.error_fields(), ["cas.service"]);
    let pair = bind(&app, json!({"binding_ticket": t, "cas": {"ticket": "ST-1-good", "service": service}}))
        .await
        .assert_ok(200);
    let me = app.get("/me").token(pair["access_token"].as_str().unwrap()).send().await.assert_ok(200);
    assert_eq!(me["member"]["id"], org.wang_wu);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM wechat_bindings WHERE method = 'cas'").await, 1);
}

#[actix_web::test]
async fn one_openid_one_member() {
    let wx = MockServer::start().await;
    let app = app_with(&wx, &[]).await;
    fixtures::org(&app).await;
    stable_token(&wx, Duration::ZERO).await;
    for (code, openid) in [("a-1", "o-a"), ("a-2", "o-a"), ("b-1", "o-b")] {
        session(&wx, code, openid).await;
    }
    phone(&wx, "p-zhang", "13812341234").await;
    phone(&wx, "p-li", "13912345678").await;
    phone(&wx, "p-nobody", "13000000000").await;
    // Two tickets for the same openid, taken before it is bound.
    let first = ticket(&app, "a-1").await;
    let second = ticket(&app, "a-2").await;
    let other = ticket(&app, "b-1").await;
    bind(&app, json!({"binding_ticket": first, "phone_code": "p-zhang"})).await.assert_ok(200);
    bind(&app, json!({"binding_ticket": second, "phone_code": "p-li"}))
        .await
        .assert_problem(409, "wechat_already_bound");
    bind(&app, json!({"binding_ticket": other, "phone_code": "p-zhang"}))
        .await
        .assert_problem(409, "member_already_bound");
    bind(&app, json!({"binding_ticket": other, "phone_code": "p-nobody"}))
        .await
        .assert_problem(401, "binding_proof_failed");
    bind(&app, json!({"binding_ticket": other, "phone_code": "p-li"})).await.assert_ok(200);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM wechat_bindings").await, 2);
}

#[actix_web::test]
async fn failed_proofs_are_throttled_per_openid() {
    let wx = MockServer::start().await;
    let app =
        app_with(&wx, &[("GONGHUI_WECHAT_BIND_BY_IDENTITY", "true"), ("GONGHUI_WECHAT_MAX_BIND_FAILURES", "3")]).await;
    fixtures::org(&app).await;
    session(&wx, "code-1", "o-guess").await;
    session(&wx, "code-2", "o-other").await;
    let t = ticket(&app, "code-1").await;
    let guess = |last6: &str| json!({"binding_ticket": t, "staff_no": "A001", "name": "张三", "id_card_last6": last6});
    for g in ["000001", "000002", "000003"] {
        bind(&app, guess(g)).await.assert_problem(401, "binding_proof_failed");
    }
    let limited = bind(&app, guess("000004")).await;
    limited.assert_problem(429, "rate_limited");
    assert!(limited.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    // Even the right answer waits now.
    let right = last6("A001", "1980-05-12", false);
    bind(&app, guess(&right)).await.assert_problem(429, "rate_limited");
    // Another openid is not affected.
    let t2 = ticket(&app, "code-2").await;
    let ok = json!({"binding_ticket": t2, "staff_no": "A001", "name": "张三", "id_card_last6": right});
    bind(&app, ok).await.assert_ok(200);
}

#[actix_web::test]
async fn administrators_see_and_remove_bindings() {
    let wx = MockServer::start().await;
    let app = app_with(&wx, &[]).await;
    let org = fixtures::org(&app).await;
    stable_token(&wx, Duration::ZERO).await;
    session(&wx, "code-1", "o-zhao").await;
    session(&wx, "code-2", "o-zhao").await;
    phone(&wx, "p", "13600000002").await;
    let t = ticket(&app, "code-1").await;
    let pair = bind(&app, json!({"binding_ticket": t, "phone_code": "p"})).await.assert_ok(200);
    let path = format!("/members/{}/wechat-binding", org.zhao_liu);

    let admin = app.union_admin().await;
    let view = app.get(&path).token(&admin.token).send().await.assert_ok(200);
    assert_eq!((view["bound"].as_bool(), view["method"].as_str()), (Some(true), Some("phone")));
    assert!(view["bound_at"].is_string());
    assert!(!view.to_string().contains("o-zhao"), "the openid is never shown");

    for role in [Role::UnitAdmin, Role::Member, Role::Auditor, Role::FinanceOfficer] {
        let unit = role.is_unit_scoped().then_some(org.b);
        let user = app.user(&[(role, unit)]).await;
        app.delete(&path).token(&user.token).send().await.assert_problem(403, "forbidden");
        app.get(&path).token(&user.token).send().await.assert_problem(403, "forbidden");
    }
    app.delete(&path).send().await.assert_problem(401, "missing_token");
    app.get("/members/999999/wechat-binding").token(&admin.token).send().await.assert_problem(404, "not_found");

    let sysadmin = app.system_admin().await;
    app.delete(&path).token(&sysadmin.token).send().await.assert_ok(204);
    app.delete(&path).token(&admin.token).send().await.assert_problem(404, "not_found");
    let view = app.get(&path).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(view["bound"], false);
    assert_eq!(
        app.scalar(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'wechat.unbind' AND before->>'method' = 'phone'"
        )
        .await,
        1
    );
    // The member's sessions end, and the next login needs a new binding.
    app.post("/auth/refresh")
        .json(&json!({"refresh_token": pair["refresh_token"]}))
        .send()
        .await
        .assert_problem(401, "invalid_refresh_token");
    let again = login(&app, "code-2").await.assert_ok(200);
    assert_eq!(again["binding_required"], true);
}

#[actix_web::test]
async fn the_access_token_is_cached_refreshed_and_refreshed_by_one_instance_at_a_time() {
    let wx = MockServer::start().await;
    let app = app_with(&wx, &[]).await;
    let calls = stable_token(&wx, Duration::from_millis(300)).await;
    let state = &app.state;
    let wc = Wechat::new(&state.pool, &state.http, &state.config).unwrap();

    // Four at once on an empty cache: one refresh, one token.
    let all = futures_util::future::join_all((0..4).map(|_| token::access_token(wc))).await;
    let tokens: Vec<String> = all.into_iter().map(|t| t.unwrap()).collect();
    assert_eq!(tokens, vec!["TOKEN-1"; 4]);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    for _ in 0..3 {
        assert_eq!(token::access_token(wc).await.unwrap(), "TOKEN-1");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "cached");
    // Stored encrypted.
    assert_eq!(
        app.scalar("SELECT count(*) AS id FROM wechat_access_tokens WHERE position('TOKEN-1' in encode(token_cipher, 'escape')) > 0")
            .await,
        0
    );
    // About to expire: refreshed.
    app.sql("UPDATE wechat_access_tokens SET expires_at = now() + interval '2 minutes'").await;
    assert_eq!(token::access_token(wc).await.unwrap(), "TOKEN-2");
    app.sql("UPDATE wechat_access_tokens SET expires_at = now() - interval '1 second'").await;
    assert_eq!(token::access_token(wc).await.unwrap(), "TOKEN-3");
    assert_eq!(token::access_token(wc).await.unwrap(), "TOKEN-3");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let requests = wx.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["force_refresh"], false);
}

#[actix_web::test]
async fn a_revoked_access_token_is_refreshed_once_and_the_call_retried() {
    let wx = MockServer::start().await;
    let app = app_with(&wx, &[]).await;
    let org = fixtures::org(&app).await;
    let calls = stable_token(&wx, Duration::ZERO).await;
    session(&wx, "code-1", "o-zhang").await;
    Mock::given(method("POST"))
        .and(path("/wxa/business/getuserphonenumber"))
        .and(query_param("access_token", "TOKEN-1"))
        .respond_with(ok(json!({"errcode": 40001, "errmsg": "invalid credential"})))
        .expect(1)
        .mount(&wx)
        .await;
    Mock::given(method("POST"))
        .and(path("/wxa/business/getuserphonenumber"))
        .and(query_param("access_token", "TOKEN-2"))
        .respond_with(ok(json!({"errcode": 0, "phone_info": {"purePhoneNumber": "13812341234", "countryCode": "86",
            "watermark": {"appid": APPID, "timestamp": 1}}})))
        .expect(1)
        .mount(&wx)
        .await;
    let t = ticket(&app, "code-1").await;
    let pair = bind(&app, json!({"binding_ticket": t, "phone_code": "p"})).await.assert_ok(200);
    assert!(pair["access_token"].is_string());
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let forced: Vec<Value> = wx
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/cgi-bin/stable_token")
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["force_refresh"].clone())
        .collect();
    assert_eq!(forced, [json!(false), json!(false)], "the normal mode already gives the new token");
    assert_eq!(app.scalar("SELECT member_id AS id FROM wechat_bindings").await, org.zhang_san);
    // A phone number from another mini-program proves nothing.
    Mock::given(method("POST"))
        .and(path("/wxa/business/getuserphonenumber"))
        .and(body_partial_json(json!({"code": "foreign"})))
        .respond_with(ok(json!({"errcode": 0, "phone_info": {"purePhoneNumber": "13912345678", "countryCode": "86",
            "watermark": {"appid": "wx-other", "timestamp": 1}}})))
        .with_priority(1)
        .mount(&wx)
        .await;
    session(&wx, "code-2", "o-li").await;
    let t2 = ticket(&app, "code-2").await;
    bind(&app, json!({"binding_ticket": t2, "phone_code": "foreign"}))
        .await
        .assert_problem(401, "binding_proof_failed");
}

async fn enqueue(app: &TestApp, member: i64, event: &str, data: Value, key: &str) -> bool {
    let mut conn = app.conn().await;
    let config = app.state.config.clone();
    let (event, key) = (event.to_owned(), key.to_owned());
    conn.transaction::<_, gonghui::error::ApiError, _>(async |conn| {
        messages::enqueue_member_message(conn, &config, member, &event, data, &key).await
    })
    .await
    .unwrap()
}

fn worker(app: &TestApp) -> gonghui::jobs::Worker {
    gonghui::app::worker(app.state.pool.clone(), app.state.config.clone(), app.state.http.clone())
}

async fn message_status(app: &TestApp, key: &str) -> (String, i64) {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        attempts: i64,
    }
    use diesel_async::RunQueryDsl;
    let mut conn = app.conn().await;
    let row: Row = diesel::sql_query(format!(
        "SELECT status, attempts::bigint AS attempts FROM wechat_messages WHERE dedupe_key = '{key}'"
    ))
    .get_result(&mut conn)
    .await
    .unwrap();
    (row.status, row.attempts)
}

async fn send_mock(wx: &MockServer, openid: &str, answer: ResponseTemplate, times: Option<u64>) {
    let mock = Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .and(query_param("access_token", "TOKEN-1"))
        .and(body_partial_json(json!({"touser": openid})))
        .respond_with(answer);
    let mock = match times {
        Some(n) => mock.up_to_n_times(n).with_priority(1),
        None => mock,
    };
    mock.mount(wx).await;
}

#[actix_web::test]
async fn subscribe_messages_are_sent_once_with_values_cut_to_size() {
    let wx = MockServer::start().await;
    let app = app_with(&wx, &[]).await;
    let org = fixtures::org(&app).await;
    stable_token(&wx, Duration::ZERO).await;
    app.sql(&format!(
        "INSERT INTO wechat_bindings (openid, member_id, method) VALUES ('o-zhang', {}, 'phone'), ('o-li', {}, 'phone'), ('o-zhao', {}, 'phone'), ('o-wang', {}, 'phone')",
        org.zhang_san, org.li_si, org.zhao_liu, org.wang_wu
    ))
    .await;
    send_mock(&wx, "o-zhang", ok(json!({"errcode": 0, "errmsg": "ok"})), None).await;
    let data = json!({
        "thing1": "关于改善青年教职工住房条件的建议已由后勤保障处答复",
        "phrase2": "已答复待评价",
        "time3": "2023-11-20 10:00",
        "page": "pages/proposals/detail?id=7",
    });
    assert!(enqueue(&app, org.zhang_san, EVENT_PROPOSAL_REPLIED, data.clone(), "proposal:7:replied").await);
    assert!(
        !enqueue(&app, org.zhang_san, EVENT_PROPOSAL_REPLIED, data.clone(), "proposal:7:replied").await,
        "deduplicated"
    );
    // No template for the event, or no binding: nothing queued.
    assert!(!enqueue(&app, org.zhang_san, "entry_confirmed", data.clone(), "entry:1").await);
    assert!(!enqueue(&app, org.qian_qi, EVENT_PROPOSAL_REPLIED, data.clone(), "proposal:8:replied").await);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM wechat_messages").await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM jobs WHERE kind = 'wechat.send_message'").await, 1);

    let w = worker(&app);
    assert!(w.run_once().await.unwrap());
    assert!(!w.run_once().await.unwrap(), "nothing else to do");
    assert_eq!(message_status(&app, "proposal:7:replied").await, ("sent".into(), 1));
    let sent: Vec<Value> = wx
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/cgi-bin/message/subscribe/send")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(sent.len(), 1);
    let body = &sent[0];
    assert_eq!(body["template_id"], "TPL-REPLIED");
    assert_eq!(body["page"], "pages/proposals/detail?id=7");
    assert_eq!(body["data"]["thing1"]["value"], "关于改善青年教职工住房条件的建议已由后…");
    assert_eq!(body["data"]["phrase2"]["value"], "已答复待评");
    assert_eq!(body["data"]["time3"]["value"], "2023-11-20 10:00");
    assert!(body["data"].get("page").is_none());
    assert_eq!(app.scalar("SELECT count(*) AS id FROM wechat_messages WHERE sent_at IS NOT NULL").await, 1);
    // Enqueued again after sending: still nothing new.
    assert!(!enqueue(&app, org.zhang_san, EVENT_PROPOSAL_REPLIED, data, "proposal:7:replied").await);
    assert!(!w.run_once().await.unwrap());

    // 43101: no consent left — recorded, not retried.
    send_mock(&wx, "o-li", ok(json!({"errcode": 43101, "errmsg": "user refuse to accept the msg"})), None).await;
    assert!(enqueue(&app, org.li_si, EVENT_CLAIM_APPROVED, json!({"thing1": "大病救助"}), "claim:3:approved").await);
    assert!(w.run_once().await.unwrap());
    assert!(!w.run_once().await.unwrap());
    assert_eq!(message_status(&app, "claim:3:approved").await, ("no_consent".into(), 1));
    assert_eq!(
        app.scalar(
            "SELECT count(*) AS id FROM jobs WHERE dedupe_key = 'wechat.message:claim:3:approved' AND status = 'done'"
        )
        .await,
        1
    );

    // Busy, then fine: retried and sent.
    send_mock(&wx, "o-zhao", ok(json!({"errcode": -1, "errmsg": "system error"})), Some(1)).await;
    send_mock(&wx, "o-zhao", ok(json!({"errcode": 0})), None).await;
    assert!(enqueue(&app, org.zhao_liu, EVENT_CLAIM_APPROVED, json!({"thing1": "慰问金"}), "claim:4:approved").await);
    assert!(w.run_once().await.unwrap());
    assert_eq!(message_status(&app, "claim:4:approved").await, ("queued".into(), 1));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(w.run_once().await.unwrap());
    assert_eq!(message_status(&app, "claim:4:approved").await, ("sent".into(), 2));

    // Any other errcode: failed for good, with the code.
    send_mock(&wx, "o-wang", ok(json!({"errcode": 40003, "errmsg": "invalid openid"})), None).await;
    assert!(enqueue(&app, org.wang_wu, EVENT_CLAIM_APPROVED, json!({"thing1": "x"}), "claim:5:approved").await);
    assert!(w.run_once().await.unwrap());
    assert!(!w.run_once().await.unwrap());
    assert_eq!(message_status(&app, "claim:5:approved").await, ("failed".into(), 1));
    assert_eq!(
        app.scalar("SELECT errcode::bigint AS id FROM wechat_messages WHERE dedupe_key = 'claim:5:approved'").await,
        40003
    );
    let sends = wx
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/cgi-bin/message/subscribe/send")
        .count();
    assert_eq!(sends, 5);
    assert_eq!(
        wx.received_requests().await.unwrap().iter().filter(|r| r.url.path() == "/cgi-bin/stable_token").count(),
        1,
        "one access token for every send"
    );
}

#[actix_web::test]
async fn a_refused_token_that_wechat_hands_back_again_is_force_refreshed() {
    let wx = MockServer::start().await;
    let app = app_with(&wx, &[]).await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .and(body_partial_json(json!({"force_refresh": false})))
        .respond_with(ok(json!({"access_token": "TOKEN-STUCK", "expires_in": 7200})))
        .mount(&wx)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .and(body_partial_json(json!({"force_refresh": true})))
        .respond_with(ok(json!({"access_token": "TOKEN-FORCED", "expires_in": 7200})))
        .expect(1)
        .mount(&wx)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .and(query_param("access_token", "TOKEN-STUCK"))
        .respond_with(ok(json!({"errcode": 40001, "errmsg": "invalid credential"})))
        .mount(&wx)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/subscribe/send"))
        .and(query_param("access_token", "TOKEN-FORCED"))
        .respond_with(ok(json!({"errcode": 0})))
        .expect(1)
        .mount(&wx)
        .await;
    let state = &app.state;
    let wc = Wechat::new(&state.pool, &state.http, &state.config).unwrap();
    assert_eq!(token::access_token(wc).await.unwrap(), "TOKEN-STUCK");
    // Forced refreshes are 30 s apart at least: this one is long after the last refresh.
    app.sql("UPDATE wechat_access_tokens SET refreshed_at = now() - interval '1 minute'").await;
    token::post(wc, "/cgi-bin/message/subscribe/send", &json!({"touser": "o"})).await.unwrap();
    assert_eq!(token::access_token(wc).await.unwrap(), "TOKEN-FORCED");
}
