//! Authentication over HTTP: password login, `/me`, throttling, refresh-token rotation and
//! reuse detection, logout, every way an access token can be wrong, and the JWKS document.

use crate::common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Res, TestApp, fixtures};
use gonghui::auth::permissions::Role;
use gonghui::auth::tokens::{AccessClaims, TokenService, now_secs};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};

const PASSWORD: &str = "correct-horse-42";

/// An account with a real argon2 password, created by SQL; returns its id.
async fn password_user(app: &TestApp, username: &str, password: &str) -> i64 {
    let hash = gonghui::auth::password::hash_password(password).unwrap();
    app.scalar(&format!(
        "INSERT INTO users (username, display_name, password_hash) VALUES ('{username}', '测试{username}', '{hash}') RETURNING id"
    ))
    .await
}

async fn login(app: &TestApp, username: &str, password: &str) -> Res {
    app.post("/auth/login").json(&json!({"username": username, "password": password})).send().await
}

async fn refresh(app: &TestApp, token: &str) -> Res {
    app.post("/auth/refresh").json(&json!({"refresh_token": token})).send().await
}

/// The body of a problem without its request id (which differs per request).
fn without_request_id(res: &Res) -> Value {
    let mut body = res.json();
    body.as_object_mut().unwrap().remove("request_id");
    body
}

fn claims_for(app: &TestApp, user_id: i64) -> AccessClaims {
    let now = now_secs();
    AccessClaims {
        iss: app.state.config.jwt_issuer.clone(),
        aud: app.state.config.jwt_audience.clone(),
        sub: format!("user:{user_id}"),
        iat: now,
        nbf: now,
        exp: now + 900,
        jti: uuid::Uuid::new_v4().to_string(),
    }
}

fn app_kid(app: &TestApp) -> String {
    app.state.tokens.jwks().keys[0].kid.clone()
}

#[actix_web::test]
async fn password_login_issues_a_working_token_pair() {
    let app = TestApp::spawn().await;
    let id = password_user(&app, "alice", PASSWORD).await;
    app.sql(&format!("INSERT INTO role_grants (user_id, role) VALUES ({id}, 'auditor')")).await;

    let res = login(&app, "alice", PASSWORD).await;
    let pair = res.assert_ok(200);
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    let access = pair["access_token"].as_str().unwrap();
    let refresh_token = pair["refresh_token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3, "a JWT");
    assert!(refresh_token.len() >= 32);
    // The refresh token is stored only as a hash, in a new family.
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM refresh_tokens WHERE user_id = {id}")).await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM refresh_tokens WHERE token_hash = convert_to('{refresh_token}', 'UTF8')"
        ))
        .await,
        0
    );

    let claims = app.state.tokens.verify_access(access).unwrap();
    assert_eq!(claims.user_id(), Some(id));
    assert_eq!(claims.exp - claims.iat, 900);

    let me = app.get("/me").token(access).send().await.assert_ok(200);
    assert_eq!(me["user_id"], id);
    assert_eq!(me["username"], "alice");
    assert_eq!(me["display_name"], "测试alice");
    assert_eq!(me["roles"].as_array().unwrap().len(), 1);
    assert_eq!(me["roles"][0]["role"], "auditor");
    assert_eq!(me["roles"][0]["unit_id"], Value::Null);

    // Usernames are case-insensitive and trimmed.
    login(&app, "  ALICE ", PASSWORD).await.assert_ok(200);
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM refresh_tokens WHERE user_id = {id}")).await, 2);
}

#[actix_web::test]
async fn me_shows_unit_scoped_roles_and_no_member_for_an_unbound_account() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let user = app.user(&[(Role::UnitAdmin, Some(org.a)), (Role::UnitAdmin, Some(org.b)), (Role::Judge, None)]).await;
    let me = app.get("/me").token(&user.token).send().await.assert_ok(200);
    assert_eq!(me["user_id"], user.id);
    assert_eq!(me["username"], user.username.as_str());
    assert_eq!(me["member"], Value::Null);
    let roles = me["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 3);
    assert_eq!(roles[0]["role"], "unit_admin");
    assert_eq!(roles[0]["unit_id"], org.a);
    assert_eq!(roles[0]["unit_name"], "机电工程学院工会");
    assert_eq!(roles[1]["role"], "unit_admin");
    assert_eq!(roles[1]["unit_id"], org.b);
    assert_eq!(roles[1]["unit_name"], "外国语学院工会");
    assert_eq!(roles[2]["role"], "judge");
    assert_eq!(roles[2]["unit_id"], Value::Null);
    assert!(roles.iter().all(|r| r["id"].as_i64().unwrap() > 0));
}

#[actix_web::test]
async fn me_shows_the_own_member_profile_unmasked_for_a_bound_account() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let user = app.user(&[]).await;
    app.sql(&format!("UPDATE users SET member_id = {} WHERE id = {}", org.zhang_san, user.id)).await;
    let me = app.get("/me").token(&user.token).send().await.assert_ok(200);
    assert_eq!(me["user_id"], user.id);
    assert_eq!(me["roles"], json!([]));
    let member = &me["member"];
    assert_eq!(member["id"], org.zhang_san);
    assert_eq!(member["staff_no"], "A001");
    assert_eq!(member["name"], "张三");
    assert_eq!(member["gender"], "male");
    assert_eq!(member["unit_id"], org.a);
    assert_eq!(member["unit_name"], "机电工程学院工会");
    assert_eq!(member["employment_type"], "established");
    assert_eq!(member["status"], "active");
    // The caller's own phone number is not masked.
    assert_eq!(member["phone"], "13812341234");
    // The bound account acts as a member: no administrative permission.
    app.get("/members").token(&user.token).send().await.assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn wrong_password_unknown_user_and_disabled_user_look_the_same() {
    let app = TestApp::spawn().await;
    password_user(&app, "bob", PASSWORD).await;
    let carol = password_user(&app, "carol", PASSWORD).await;
    let dave = password_user(&app, "dave", PASSWORD).await;
    app.sql(&format!("UPDATE users SET status = 'disabled' WHERE id = {carol}")).await;
    app.sql(&format!("UPDATE users SET status = 'deleted' WHERE id = {dave}")).await;
    // An account without a password (e.g. created for tests or SSO) cannot log in either.
    let nopass = app.user(&[(Role::SystemAdmin, None)]).await;

    let wrong = login(&app, "bob", "wrong-horse-42").await;
    wrong.assert_problem(401, "invalid_credentials");
    assert_eq!(wrong.header("www-authenticate").as_deref(), Some("Bearer"));
    let expected = without_request_id(&wrong);
    for (name, password) in
        [("nobody", PASSWORD), ("carol", PASSWORD), ("dave", PASSWORD), (nopass.username.as_str(), "")]
    {
        let password = if password.is_empty() { "anything-1234" } else { password };
        let res = login(&app, name, password).await;
        res.assert_problem(401, "invalid_credentials");
        assert_eq!(without_request_id(&res), expected, "{name}");
        assert_eq!(res.header("www-authenticate").as_deref(), Some("Bearer"));
    }
    // Each failure is counted for the name and for the address.
    assert_eq!(app.scalar("SELECT count(*) AS id FROM login_failures WHERE key = 'user:bob'").await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM login_failures WHERE key = 'user:nobody'").await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM login_failures WHERE key LIKE 'ip:%'").await, 5);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM refresh_tokens").await, 0);
}

#[actix_web::test]
async fn malformed_login_bodies_are_422() {
    let app = TestApp::spawn().await;
    let res = app.post("/auth/login").json(&json!({"username": "x"})).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["password"]);
    let res = app.post("/auth/login").json(&json!({"username": "x", "password": "y", "otp": 1})).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.json()["errors"][0]["code"], "unknown_field");
    let res = app.post("/auth/login").json(&json!({"username": "", "password": "y"})).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["username"]);
    let res = app.post("/auth/login").json(&json!({"username": "x", "password": "p".repeat(129)})).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["password"]);
    // Malformed bodies are not counted as failed logins.
    assert_eq!(app.scalar("SELECT count(*) AS id FROM login_failures").await, 0);
}

#[actix_web::test]
async fn too_many_failures_for_a_username_lock_it_even_with_the_right_password() {
    let app = TestApp::spawn_with(&[("GONGHUI_LOGIN_MAX_FAILURES_PER_USER", "3")]).await;
    password_user(&app, "erin", PASSWORD).await;
    password_user(&app, "frank", PASSWORD).await;
    for _ in 0..3 {
        login(&app, "erin", "wrong-horse-42").await.assert_problem(401, "invalid_credentials");
    }
    let res = login(&app, "erin", PASSWORD).await;
    res.assert_problem(429, "rate_limited");
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900, "Retry-After {retry}");
    // Another spelling of the same name is the same name.
    login(&app, "ERIN", PASSWORD).await.assert_problem(429, "rate_limited");
    // A rejected (throttled) attempt is not itself a counted failure.
    assert_eq!(app.scalar("SELECT count(*) AS id FROM login_failures WHERE key = 'user:erin'").await, 3);
    // Other users from the same address are unaffected.
    login(&app, "frank", PASSWORD).await.assert_ok(200);
}

#[actix_web::test]
async fn too_many_failures_from_one_address_lock_every_username() {
    let app = TestApp::spawn_with(&[("GONGHUI_LOGIN_MAX_FAILURES_PER_IP", "3")]).await;
    password_user(&app, "grace", PASSWORD).await;
    for name in ["x1", "x2", "x3"] {
        login(&app, name, "whatever-1234").await.assert_problem(401, "invalid_credentials");
    }
    let res = login(&app, "grace", PASSWORD).await;
    res.assert_problem(429, "rate_limited");
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900, "Retry-After {retry}");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM login_failures WHERE key = 'ip:127.0.0.1'").await, 3);
}

#[actix_web::test]
async fn a_success_clears_the_username_failures() {
    let app = TestApp::spawn_with(&[("GONGHUI_LOGIN_MAX_FAILURES_PER_USER", "3")]).await;
    password_user(&app, "heidi", PASSWORD).await;
    for _ in 0..2 {
        login(&app, "heidi", "wrong-horse-42").await.assert_problem(401, "invalid_credentials");
    }
    login(&app, "heidi", PASSWORD).await.assert_ok(200);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM login_failures WHERE key = 'user:heidi'").await, 0);
    // Two more failures: still under the limit, because the count started again.
    for _ in 0..2 {
        login(&app, "heidi", "wrong-horse-42").await.assert_problem(401, "invalid_credentials");
    }
    login(&app, "heidi", PASSWORD).await.assert_ok(200);
    // The address keeps its failures (a success for one name says nothing about the address).
    assert_eq!(app.scalar("SELECT count(*) AS id FROM login_failures WHERE key LIKE 'ip:%'").await, 4);
}

#[actix_web::test]
async fn throttling_ends_when_the_window_passes() {
    let app =
        TestApp::spawn_with(&[("GONGHUI_LOGIN_MAX_FAILURES_PER_USER", "2"), ("GONGHUI_LOGIN_WINDOW_SECS", "3")]).await;
    password_user(&app, "ivan", PASSWORD).await;
    for _ in 0..2 {
        login(&app, "ivan", "wrong-horse-42").await.assert_problem(401, "invalid_credentials");
    }
    let res = login(&app, "ivan", PASSWORD).await;
    res.assert_problem(429, "rate_limited");
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3).contains(&retry), "Retry-After {retry}");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    login(&app, "ivan", PASSWORD).await.assert_ok(200);
}

#[actix_web::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let id = password_user(&app, "judy", PASSWORD).await;
    let first = login(&app, "judy", PASSWORD).await.assert_ok(200);
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    // A second, independent login (another device).
    let other = login(&app, "judy", PASSWORD).await.assert_ok(200);
    let other_refresh = other["refresh_token"].as_str().unwrap().to_owned();

    let second = refresh(&app, &r1).await.assert_ok(200);
    let r2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r2, r1);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(second["expires_in"], 900);
    assert_eq!(second["token_type"], "Bearer");
    let me = app.get("/me").token(second["access_token"].as_str().unwrap()).send().await.assert_ok(200);
    assert_eq!(me["user_id"], id);

    let third = refresh(&app, &r2).await.assert_ok(200);
    let r3 = third["refresh_token"].as_str().unwrap().to_owned();
    // The three tokens of this login share one family.
    assert_eq!(
        app.scalar(&format!("SELECT count(DISTINCT family_id) AS id FROM refresh_tokens WHERE user_id = {id}")).await,
        2
    );

    // Replaying a rotated token: refused, and the whole family is revoked.
    refresh(&app, &r1).await.assert_problem(401, "invalid_refresh_token");
    refresh(&app, &r3).await.assert_problem(401, "invalid_refresh_token");
    refresh(&app, &r2).await.assert_problem(401, "invalid_refresh_token");
    // The other login's family is untouched.
    let again = refresh(&app, &other_refresh).await.assert_ok(200);
    assert!(again["refresh_token"].is_string());
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM refresh_tokens WHERE user_id = {id} AND revoked_at IS NULL AND rotated_at IS NULL"
        ))
        .await,
        1
    );
}

#[actix_web::test]
async fn unknown_expired_and_malformed_refresh_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let id = password_user(&app, "ken", PASSWORD).await;
    refresh(&app, "no-such-token").await.assert_problem(401, "invalid_refresh_token");
    let pair = login(&app, "ken", PASSWORD).await.assert_ok(200);
    app.sql(&format!("UPDATE refresh_tokens SET expires_at = now() - interval '1 minute' WHERE user_id = {id}")).await;
    refresh(&app, pair["refresh_token"].as_str().unwrap()).await.assert_problem(401, "invalid_refresh_token");
    let res = app.post("/auth/refresh").json(&json!({})).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["refresh_token"]);
    let res = app.post("/auth/refresh").json(&json!({"refresh_token": "x", "extra": true})).send().await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["code"], "unknown_field");
}

#[actix_web::test]
async fn logout_revokes_the_family() {
    let app = TestApp::spawn().await;
    let id = password_user(&app, "leo", PASSWORD).await;
    let pair = login(&app, "leo", PASSWORD).await.assert_ok(200);
    let r1 = pair["refresh_token"].as_str().unwrap().to_owned();
    let r2 = refresh(&app, &r1).await.assert_ok(200)["refresh_token"].as_str().unwrap().to_owned();
    // Logging out with the older (rotated) token still ends the session it belongs to.
    let res = app.post("/auth/logout").json(&json!({"refresh_token": r1})).send().await;
    assert_eq!(res.assert_ok(204), Value::Null);
    refresh(&app, &r2).await.assert_problem(401, "invalid_refresh_token");
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM refresh_tokens WHERE user_id = {id} AND revoked_at IS NULL"))
            .await,
        0
    );

    let pair = login(&app, "leo", PASSWORD).await.assert_ok(200);
    let r = pair["refresh_token"].as_str().unwrap();
    app.post("/auth/logout").json(&json!({"refresh_token": r})).send().await.assert_ok(204);
    refresh(&app, r).await.assert_problem(401, "invalid_refresh_token");
    // Logging out twice, or with a token nobody issued, is fine.
    app.post("/auth/logout").json(&json!({"refresh_token": r})).send().await.assert_ok(204);
    app.post("/auth/logout").json(&json!({"refresh_token": "never-issued"})).send().await.assert_ok(204);
    let res = app.post("/auth/logout").json(&json!({"token": r})).send().await;
    res.assert_problem(422, "validation_failed");
}

#[actix_web::test]
async fn a_disabled_user_cannot_refresh() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let id = password_user(&app, "mallory", PASSWORD).await;
    // Disabled through the API: every session ends at once.
    let pair = login(&app, "mallory", PASSWORD).await.assert_ok(200);
    app.patch(&format!("/users/{id}"))
        .token(&admin.token)
        .json(&json!({"status": "disabled"}))
        .send()
        .await
        .assert_ok(200);
    refresh(&app, pair["refresh_token"].as_str().unwrap()).await.assert_problem(401, "invalid_refresh_token");
    login(&app, "mallory", PASSWORD).await.assert_problem(401, "invalid_credentials");

    // Disabled behind the API's back (SQL): the refresh is refused all the same, and the
    // token it would have rotated to is revoked.
    app.sql(&format!("UPDATE users SET status = 'active' WHERE id = {id}")).await;
    let pair = login(&app, "mallory", PASSWORD).await.assert_ok(200);
    app.sql(&format!("UPDATE users SET status = 'disabled' WHERE id = {id}")).await;
    refresh(&app, pair["refresh_token"].as_str().unwrap()).await.assert_problem(401, "invalid_refresh_token");
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM refresh_tokens WHERE user_id = {id} AND revoked_at IS NULL"))
            .await,
        0
    );
    // Re-enabled: the old session stays dead.
    app.sql(&format!("UPDATE users SET status = 'active' WHERE id = {id}")).await;
    refresh(&app, pair["refresh_token"].as_str().unwrap()).await.assert_problem(401, "invalid_refresh_token");
}

#[actix_web::test]
async fn missing_and_malformed_authorization_headers() {
    let app = TestApp::spawn().await;
    let res = app.get("/me").send().await;
    res.assert_problem(401, "missing_token");
    assert_eq!(res.header("www-authenticate").as_deref(), Some("Bearer"));
    for value in ["Basic x", "Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer ", "bearer garbage", "Bearer a.b.c", "Token x"]
    {
        let res = app.get("/me").header("authorization", value).send().await;
        res.assert_problem(401, "invalid_token");
        assert_eq!(res.header("www-authenticate").as_deref(), Some("Bearer"), "{value}");
    }
    // Non-ASCII bytes in the header.
    let res = app.get("/me").header("authorization", "Bearer 令牌").send().await;
    res.assert_problem(401, "invalid_token");
}

#[actix_web::test]
async fn forged_and_foreign_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.system_admin().await;
    let claims = claims_for(&app, user.id);
    // The genuine article works.
    app.get("/me").token(&app.state.tokens.sign(&claims).unwrap()).send().await.assert_ok(200);

    // alg=none, no signature.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    for token in [format!("{header}.{body}."), format!("{header}.{body}")] {
        app.get("/me").token(&token).send().await.assert_problem(401, "invalid_token");
    }
    // alg=none with our kid.
    let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#, app_kid(&app)));
    app.get("/me").token(&format!("{header}.{body}.")).send().await.assert_problem(401, "invalid_token");

    // Signed by another key (its own kid).
    let other =
        TokenService::new(&gonghui::crypto::generate_ed25519_pem(), "gonghui", "gonghui-api", Duration::from_secs(900))
            .unwrap();
    let (foreign, _) = other.issue_access(user.id).unwrap();
    app.get("/me").token(&foreign).send().await.assert_problem(401, "invalid_token");
    app.get("/me").token(&other.sign(&claims).unwrap()).send().await.assert_problem(401, "invalid_token");

    // Signed by another key but claiming our kid: the signature check refuses it.
    let mut h = Header::new(Algorithm::EdDSA);
    h.kid = Some(app_kid(&app));
    let key = EncodingKey::from_ed_pem(gonghui::crypto::generate_ed25519_pem().as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&h, &claims, &key).unwrap();
    app.get("/me").token(&token).send().await.assert_problem(401, "invalid_token");

    // Our key with a wrong or absent kid.
    let ours = EncodingKey::from_ed_pem(app.state.config.jwt_private_key_pem.expose().as_bytes()).unwrap();
    let mut h = Header::new(Algorithm::EdDSA);
    h.kid = Some(app_kid(&app));
    app.get("/me").token(&jsonwebtoken::encode(&h, &claims, &ours).unwrap()).send().await.assert_ok(200);
    h.kid = Some("someone-else".into());
    let token = jsonwebtoken::encode(&h, &claims, &ours).unwrap();
    app.get("/me").token(&token).send().await.assert_problem(401, "invalid_token");
    h.kid = None;
    let token = jsonwebtoken::encode(&h, &claims, &ours).unwrap();
    app.get("/me").token(&token).send().await.assert_problem(401, "invalid_token");

    // Algorithm confusion: HS256 keyed with the public key from the JWKS.
    let x = URL_SAFE_NO_PAD.decode(&app.state.tokens.jwks().keys[0].x).unwrap();
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some(app_kid(&app));
    let token = jsonwebtoken::encode(&h, &claims, &EncodingKey::from_secret(&x)).unwrap();
    app.get("/me").token(&token).send().await.assert_problem(401, "invalid_token");

    // A genuine token with its payload swapped for another user's.
    let genuine = app.state.tokens.sign(&claims).unwrap();
    let parts: Vec<&str> = genuine.split('.').collect();
    let mut elevated = claims.clone();
    let victim = app.system_admin().await;
    elevated.sub = format!("user:{}", victim.id);
    let tampered =
        format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(serde_json::to_vec(&elevated).unwrap()), parts[2]);
    app.get("/me").token(&tampered).send().await.assert_problem(401, "invalid_token");
}

#[actix_web::test]
async fn tokens_with_wrong_times_audience_issuer_or_subject_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.system_admin().await;
    let now = now_secs();
    let sign = |f: &dyn Fn(&mut AccessClaims)| {
        let mut c = claims_for(&app, user.id);
        f(&mut c);
        app.state.tokens.sign(&c).unwrap()
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            sign(&|c| {
                c.iat = now - 1000;
                c.nbf = now - 1000;
                c.exp = now - 60;
            }),
        ),
        ("not yet valid", sign(&|c| c.nbf = now + 600)),
        ("wrong audience", sign(&|c| c.aud = "wechat-binding".into())),
        ("wrong issuer", sign(&|c| c.iss = "someone-else".into())),
        ("client subject", sign(&|c| c.sub = format!("client:{}", user.id))),
        ("unparsable subject", sign(&|c| c.sub = "user:abc".into())),
        ("unknown user", sign(&|c| c.sub = "user:987654".into())),
    ];
    for (name, token) in cases {
        let res = app.get("/me").token(&token).send().await;
        assert_eq!(res.status, 401, "{name}: {}", res.text());
        res.assert_problem(401, "invalid_token");
    }
    // Claims missing nbf or exp.
    for missing in ["nbf", "exp", "aud", "iss"] {
        let mut value = serde_json::to_value(claims_for(&app, user.id)).unwrap();
        value.as_object_mut().unwrap().remove(missing);
        let token = app.state.tokens.sign(&value).unwrap();
        app.get("/me").token(&token).send().await.assert_problem(401, "invalid_token");
    }
    // Within the leeway, a token just issued is fine.
    app.get("/me").token(&sign(&|c| c.nbf = now + 2)).send().await.assert_ok(200);
}

#[actix_web::test]
async fn tokens_of_disabled_or_deleted_users_stop_working_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let disabled = app.with_role(Role::Auditor).await;
    let deleted = app.with_role(Role::Auditor).await;
    app.get("/me").token(&disabled.token).send().await.assert_ok(200);
    app.get("/audit-log").token(&deleted.token).send().await.assert_ok(200);

    app.patch(&format!("/users/{}", disabled.id))
        .token(&admin.token)
        .json(&json!({"status": "disabled"}))
        .send()
        .await
        .assert_ok(200);
    app.get("/me").token(&disabled.token).send().await.assert_problem(401, "invalid_token");
    app.get("/audit-log").token(&disabled.token).send().await.assert_problem(401, "invalid_token");

    app.delete(&format!("/users/{}", deleted.id)).token(&admin.token).send().await.assert_ok(204);
    app.get("/me").token(&deleted.token).send().await.assert_problem(401, "invalid_token");
    app.get("/audit-log").token(&deleted.token).send().await.assert_problem(401, "invalid_token");

    // Re-enabling the disabled account makes its unexpired token valid again.
    app.patch(&format!("/users/{}", disabled.id))
        .token(&admin.token)
        .json(&json!({"status": "active"}))
        .send()
        .await
        .assert_ok(200);
    app.get("/me").token(&disabled.token).send().await.assert_ok(200);
}

#[actix_web::test]
async fn a_revoked_role_takes_effect_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let auditor = app.with_role(Role::Auditor).await;
    app.get("/audit-log").token(&auditor.token).send().await.assert_ok(200);
    let user = app.get(&format!("/users/{}", auditor.id)).token(&admin.token).send().await.assert_ok(200);
    let grant = user["grants"][0]["id"].as_i64().unwrap();
    app.delete(&format!("/users/{}/grants/{grant}", auditor.id)).token(&admin.token).send().await.assert_ok(204);
    app.get("/audit-log").token(&auditor.token).send().await.assert_problem(403, "forbidden");
    let me = app.get("/me").token(&auditor.token).send().await.assert_ok(200);
    assert_eq!(me["roles"], json!([]));
}

#[actix_web::test]
async fn the_jwks_key_verifies_issued_tokens() {
    let app = TestApp::spawn().await;
    let id = password_user(&app, "nina", PASSWORD).await;
    let pair = login(&app, "nina", PASSWORD).await.assert_ok(200);
    let token = pair["access_token"].as_str().unwrap();

    let res = app.get("/.well-known/jwks.json").send().await;
    assert_eq!(res.header("cache-control").as_deref(), Some("public, max-age=300"));
    let jwks = res.assert_ok(200);
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let jwk = &keys[0];
    assert_eq!(jwk["kty"], "OKP");
    assert_eq!(jwk["crv"], "Ed25519");
    assert_eq!(jwk["alg"], "EdDSA");
    assert_eq!(jwk["use"], "sig");
    assert!(jwk.get("d").is_none(), "no private part");

    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), jwk["kid"].as_str());

    let key = DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&["gonghui-api"]);
    validation.set_issuer(&["gonghui"]);
    let data = jsonwebtoken::decode::<AccessClaims>(token, &key, &validation).unwrap();
    assert_eq!(data.claims.sub, format!("user:{id}"));
    assert_eq!(data.claims.exp - data.claims.iat, 900);
    assert!(data.claims.nbf <= now_secs());
    assert!(!data.claims.jti.is_empty());

    // The published key does not verify a token from another key.
    let other =
        TokenService::new(&gonghui::crypto::generate_ed25519_pem(), "gonghui", "gonghui-api", Duration::from_secs(900))
            .unwrap();
    let (foreign, _) = other.issue_access(id).unwrap();
    assert!(jsonwebtoken::decode::<AccessClaims>(&foreign, &key, &validation).is_err());
}

#[actix_web::test]
async fn parallel_guesses_cannot_exceed_the_per_user_limit() {
    let app = TestApp::spawn_with(&[("GONGHUI_LOGIN_MAX_FAILURES_PER_USER", "3")]).await;
    password_user(&app, "olga", PASSWORD).await;
    let attempts = (0..12).map(|i| {
        let app = &app;
        async move { login(app, "olga", &format!("guess-number-{i}")).await }
    });
    let results = futures_util::future::join_all(attempts).await;
    let checked = results.iter().filter(|r| r.status == 401).count();
    let throttled = results.iter().filter(|r| r.status == 429).count();
    assert_eq!(checked + throttled, 12);
    assert!(checked <= 3, "{checked} passwords were checked despite the limit of 3");
    // Racing attempts may all withdraw (fail safe: fewer checks, never more; even none), so the record
    // holds exactly the attempts whose password was checked.
    let recorded = app.scalar("SELECT count(*) AS id FROM login_failures WHERE key = 'user:olga'").await;
    assert_eq!(recorded, checked as i64);
    for _ in recorded..3 {
        login(&app, "olga", "one-more-wrong-guess").await.assert_problem(401, "invalid_credentials");
    }
    login(&app, "olga", PASSWORD).await.assert_problem(429, "rate_limited");
}

#[actix_web::test]
async fn parallel_refreshes_of_one_token_succeed_at_most_once() {
    let app = TestApp::spawn().await;
    let id = password_user(&app, "peggy", PASSWORD).await;
    let pair = login(&app, "peggy", PASSWORD).await.assert_ok(200);
    let r1 = pair["refresh_token"].as_str().unwrap().to_owned();
    let attempts = (0..6).map(|_| {
        let (app, r1) = (&app, r1.clone());
        async move { refresh(app, &r1).await }
    });
    let results = futures_util::future::join_all(attempts).await;
    let won: Vec<&Res> = results.iter().filter(|r| r.status == 200).collect();
    assert_eq!(won.len(), 1, "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
    for r in results.iter().filter(|r| r.status != 200) {
        r.assert_problem(401, "invalid_refresh_token");
    }
    // The losers presented a rotated token: the family is revoked, the winner's token too.
    let next = won[0].json()["refresh_token"].as_str().unwrap().to_owned();
    refresh(&app, &next).await.assert_problem(401, "invalid_refresh_token");
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM refresh_tokens WHERE user_id = {id} AND revoked_at IS NULL"))
            .await,
        0
    );
}
