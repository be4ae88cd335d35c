//! API clients (`/api-clients`, system_admin) and the OAuth2 client-credentials token
//! endpoint (`POST /auth/token`), over real HTTP against real PostgreSQL. (That a client
//! with one scope is refused with 403 on every operation its scope does not cover is checked
//! against the operation table in tests/authorization_matrix.rs.)

use crate::common;

use common::fixtures;
use common::{Res, TestApp, TestUser};
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

const FORM: &str = "application/x-www-form-urlencoded";

async fn create(app: &TestApp, admin: &TestUser, name: &str, scopes: &[&str]) -> Value {
    app.post("/api-clients")
        .token(&admin.token)
        .json(&json!({"name": name, "scopes": scopes}))
        .send()
        .await
        .assert_ok(201)
}

async fn token_request(app: &TestApp, form: &str) -> Res {
    app.post("/auth/token").raw(FORM, form.to_owned()).send().await
}

fn credentials(client: &Value) -> (String, String) {
    (client["client_id"].as_str().unwrap().to_owned(), client["client_secret"].as_str().unwrap().to_owned())
}

async fn token_for(app: &TestApp, client: &Value, scope: Option<&str>) -> Res {
    let (id, secret) = credentials(client);
    let mut form = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
    if let Some(scope) = scope {
        form += &format!("&scope={}", scope.replace(' ', "+"));
    }
    token_request(app, &form).await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.scalar(&format!("SELECT count(*) AS id FROM {sql}")).await
}

#[actix_web::test]
async fn a_new_client_sees_its_secret_once_and_only_a_hash_is_stored() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let res = app
        .post("/api-clients")
        .token(&admin.token)
        .json(&json!({"name": "学校一体化平台", "scopes": ["roster:write", "reports:read", "roster:write"]}))
        .send()
        .await;
    let created = res.assert_ok(201);
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    let id = created["id"].as_i64().unwrap();
    assert_eq!(res.header("location"), Some(format!("/api/v1/api-clients/{id}")));
    let (client_id, secret) = credentials(&created);
    assert!(client_id.starts_with("ghc_"), "{client_id}");
    assert!(secret.starts_with("ghs_") && secret.len() >= 40, "{secret}");
    assert_eq!(created["scopes"], json!(["reports:read", "roster:write"]), "deduplicated");
    assert_eq!(created["status"], "active");
    assert!(created["last_used_at"].is_null());

    // Stored as its SHA-256 only: the secret text is nowhere in the database rows.
    assert_eq!(
        count(&app, &format!("api_clients WHERE id = {id} AND secret_hash = sha256('{secret}'::bytea)")).await,
        1
    );
    assert_eq!(count(&app, &format!("api_clients a WHERE a::text LIKE '%{secret}%'")).await, 0);
    assert_eq!(count(&app, &format!("audit_log a WHERE a::text LIKE '%{secret}%'")).await, 0);
    assert_eq!(
        count(
            &app,
            &format!(
                "audit_log WHERE action = 'api_client.create' AND entity_id = '{id}' AND actor_user_id = {}",
                admin.id
            )
        )
        .await,
        1
    );

    // Reads never show it again.
    let one = app.get(&format!("/api-clients/{id}")).token(&admin.token).send().await;
    let list = app.get("/api-clients").token(&admin.token).send().await;
    for res in [&one, &list] {
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(!res.text().contains(&secret) && !res.text().contains("client_secret"), "{}", res.text());
    }
    assert_eq!(one.json()["client_id"], client_id.as_str());
    assert_eq!(list.json()["total"], 1);
    assert_eq!(list.json()["items"][0]["name"], "学校一体化平台");
    app.get("/api-clients/999999").token(&admin.token).send().await.assert_problem(404, "not_found");

    // Bad input.
    for body in [
        json!({"name": "x", "scopes": []}),
        json!({"name": "x", "scopes": ["members:write"]}),
        json!({"name": "", "scopes": ["reports:read"]}),
        json!({"name": "x", "scopes": ["reports:read"], "secret": "mine"}),
    ] {
        app.post("/api-clients").token(&admin.token).json(&body).send().await.assert_problem(422, "validation_failed");
    }
    assert_eq!(count(&app, "api_clients").await, 1);
}

#[actix_web::test]
async fn the_token_endpoint_follows_client_credentials() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let client = create(&app, &admin, "dashboard", &["reports:read", "proposals:read"]).await;
    let (client_id, secret) = credentials(&client);
    let id = client["id"].as_i64().unwrap();

    let res = token_for(&app, &client, None).await;
    let token = res.assert_ok(200);
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(token["token_type"], "Bearer");
    assert!(token["expires_in"].as_u64().unwrap() > 0);
    assert_eq!(token["scope"], "proposals:read reports:read");
    let last_used = app.get(&format!("/api-clients/{id}")).token(&admin.token).send().await.assert_ok(200);
    assert!(last_used["last_used_at"].is_string(), "last_used_at is set: {last_used}");

    // A subset of the scopes held.
    let narrow = token_for(&app, &client, Some("reports:read")).await.assert_ok(200);
    assert_eq!(narrow["scope"], "reports:read");
    let me = app.get("/me").token(narrow["access_token"].as_str().unwrap()).send().await.assert_ok(200);
    assert_eq!(me["scopes"], json!(["reports:read"]));

    // Scopes not held, or unknown.
    for scope in ["roster:write", "reports:read roster:write", "everything"] {
        let problem = token_for(&app, &client, Some(scope)).await.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], "scope");
        assert_eq!(problem["errors"][0]["code"], "invalid_scope");
    }
    // Wrong grant type.
    let problem = token_request(&app, &format!("grant_type=password&client_id={client_id}&client_secret={secret}"))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["code"], "unsupported_grant_type");
    // Wrong secret, unknown client.
    let wrong =
        token_request(&app, &format!("grant_type=client_credentials&client_id={client_id}&client_secret=ghs_wrong"))
            .await;
    wrong.assert_problem(401, "invalid_client");
    assert_eq!(wrong.header("www-authenticate").as_deref(), Some("Bearer"));
    token_request(&app, &format!("grant_type=client_credentials&client_id=ghc_nobody&client_secret={secret}"))
        .await
        .assert_problem(401, "invalid_client");
    // Missing field, JSON instead of a form.
    token_request(&app, &format!("grant_type=client_credentials&client_id={client_id}"))
        .await
        .assert_problem(422, "validation_failed");
    app.post("/auth/token")
        .json(&json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}))
        .send()
        .await
        .assert_problem(415, "unsupported_media_type");
    app.post("/auth/token").send().await.assert_problem(415, "unsupported_media_type");
}

#[actix_web::test]
async fn a_client_token_is_a_principal_with_scopes_and_is_no_user_token() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let client = create(&app, &admin, "一体化平台", &["roster:write", "reports:read"]).await;
    let token = token_for(&app, &client, None).await.assert_ok(200);
    let token = token["access_token"].as_str().unwrap();
    let me = app.get("/me").token(token).send().await.assert_ok(200);
    assert_eq!(me["client_id"], client["client_id"]);
    assert_eq!(me["username"], "一体化平台");
    assert!(me["user_id"].is_null() && me["member"].is_null());
    assert_eq!(me["roles"], json!([]));
    assert_eq!(me["scopes"], json!(["reports:read", "roster:write"]));
    // A client token opens no route its scopes do not cover.
    app.get("/users").token(token).send().await.assert_problem(403, "forbidden");
    app.get("/api-clients").token(token).send().await.assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn rotation_replaces_the_secret_and_revocation_ends_every_token_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let client = create(&app, &admin, "一体化平台", &["reports:read"]).await;
    let id = client["id"].as_i64().unwrap();
    let (client_id, old_secret) = credentials(&client);
    let before = token_for(&app, &client, None).await.assert_ok(200);
    let before = before["access_token"].as_str().unwrap().to_owned();

    let res = app.post(&format!("/api-clients/{id}/rotate-secret")).token(&admin.token).send().await;
    let rotated = res.assert_ok(200);
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    let (_, new_secret) = credentials(&rotated);
    assert_ne!(new_secret, old_secret);
    assert_eq!((rotated["client_id"].as_str(), rotated["version"].as_i64()), (Some(client_id.as_str()), Some(2)));
    token_request(&app, &format!("grant_type=client_credentials&client_id={client_id}&client_secret={old_secret}"))
        .await
        .assert_problem(401, "invalid_client");
    let after = token_for(&app, &rotated, None).await.assert_ok(200);
    let after = after["access_token"].as_str().unwrap().to_owned();
    // Tokens already issued live until they expire or the client is revoked.
    app.get("/me").token(&before).send().await.assert_ok(200);
    assert_eq!(count(&app, &format!("api_clients a WHERE a::text LIKE '%{new_secret}%'")).await, 0);

    let revoked = app.post(&format!("/api-clients/{id}/revoke")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(revoked["status"], "revoked");
    assert!(revoked["revoked_at"].is_string());
    for token in [&before, &after] {
        app.get("/me").token(token).send().await.assert_problem(401, "invalid_token");
    }
    token_for(&app, &rotated, None).await.assert_problem(401, "invalid_client");
    app.post(&format!("/api-clients/{id}/rotate-secret"))
        .token(&admin.token)
        .send()
        .await
        .assert_problem(409, "client_revoked");
    app.post(&format!("/api-clients/{id}/revoke"))
        .token(&admin.token)
        .send()
        .await
        .assert_problem(409, "client_revoked");
    app.post("/api-clients/999999/revoke").token(&admin.token).send().await.assert_problem(404, "not_found");

    let actions: Vec<i64> = {
        let mut out = Vec::new();
        for action in ["api_client.create", "api_client.rotate_secret", "api_client.revoke"] {
            out.push(count(&app, &format!("audit_log WHERE entity = 'api_client' AND entity_id = '{id}' AND action = '{action}' AND actor_user_id = {}", admin.id)).await);
        }
        out
    };
    assert_eq!(actions, [1, 1, 1]);
}

#[actix_web::test]
async fn only_system_admins_manage_api_clients() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let client = create(&app, &admin, "一体化平台", &["reports:read"]).await;
    let id = client["id"].as_i64().unwrap();
    for role in Role::ALL.into_iter().filter(|r| *r != Role::SystemAdmin) {
        let unit = if role.is_unit_scoped() { Some(fixtures_unit(&app).await) } else { None };
        let user = app.user(&[(role, unit)]).await;
        let t = user.token.as_str();
        let answers = [
            app.get("/api-clients").token(t).send().await,
            app.get(&format!("/api-clients/{id}")).token(t).send().await,
            app.post("/api-clients").token(t).json(&json!({"name": "x", "scopes": ["reports:read"]})).send().await,
            app.post(&format!("/api-clients/{id}/rotate-secret")).token(t).send().await,
            app.post(&format!("/api-clients/{id}/revoke")).token(t).send().await,
        ];
        for res in answers {
            res.assert_problem(403, "forbidden");
        }
    }
    app.get("/api-clients").send().await.assert_problem(401, "missing_token");
    let after = app.get(&format!("/api-clients/{id}")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!((after["status"].as_str(), after["version"].as_i64()), (Some("active"), Some(1)));
    assert_eq!(count(&app, "api_clients").await, 1);
}

async fn fixtures_unit(app: &TestApp) -> i64 {
    let existing = app.scalar("SELECT coalesce(min(id), 0) AS id FROM units WHERE code = 'A'").await;
    if existing > 0 { existing } else { fixtures::org(app).await.a }
}

#[actix_web::test]
async fn client_mutations_are_audited_with_the_client_as_actor() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.system_admin().await;
    let client = create(&app, &admin, "一体化平台", &["roster:write"]).await;
    let id = client["id"].as_i64().unwrap();
    let token = token_for(&app, &client, None).await.assert_ok(200);
    let token = token["access_token"].as_str().unwrap();
    let roster = json!([{
        "staff_no": "A001", "name": "张三", "gender": "male", "birth_date": "1980-05-12", "unit": "B",
        "employment_type": "established", "joined_on": "2004-05-06", "phone": "13812341234",
    }]);
    let report =
        app.request(reqwest::Method::PUT, "/integration/roster").token(token).json(&roster).send().await.assert_ok(200);
    assert_eq!((report["updated"].as_i64(), report["transferred"].as_i64()), (Some(1), Some(1)), "{report}");
    let label = format!("client:{id}:{}", client["client_id"].as_str().unwrap());
    assert_eq!(
        count(
            &app,
            &format!(
                "audit_log WHERE actor_client_id = {id} AND actor_user_id IS NULL AND actor_label = '{label}' \
                 AND action = 'member.transfer' AND entity_id = '{}' AND request_id IS NOT NULL",
                org.zhang_san
            )
        )
        .await,
        1
    );
    // The history row of the transfer has no user: the client did it.
    assert_eq!(
        count(
            &app,
            &format!(
                "member_history WHERE member_id = {} AND event = 'transferred' AND actor_user_id IS NULL",
                org.zhang_san
            )
        )
        .await,
        1
    );
}

/// `client_secret_basic` (RFC 6749 §2.3.1) works like the form; using both methods at once,
/// or a malformed Basic header, is 401 `invalid_client`; no credentials at all is 422.
#[actix_web::test]
async fn the_token_endpoint_accepts_http_basic_credentials() {
    use base64::Engine;
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    let client = create(&app, &admin, "oa", &["proposals:read"]).await;
    let (id, secret) = credentials(&client);
    let basic = |id: &str, secret: &str| {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
    };
    let post = |auth: String, form: &str| {
        app.post("/auth/token").header("authorization", &auth).raw(FORM, form.to_owned()).send()
    };
    let ok = post(basic(&id, &secret), "grant_type=client_credentials").await.assert_ok(200);
    assert_eq!(ok["scope"], "proposals:read");
    let me = app.get("/me").token(ok["access_token"].as_str().unwrap()).send().await.assert_ok(200);
    assert_eq!(me["client_id"], id.as_str());
    post(basic(&id, "wrong-secret"), "grant_type=client_credentials").await.assert_problem(401, "invalid_client");
    let both = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
    post(basic(&id, &secret), &both).await.assert_problem(401, "invalid_client");
    post("Basic not-base64!".into(), "grant_type=client_credentials").await.assert_problem(401, "invalid_client");
    post(format!("Bearer {secret}"), "grant_type=client_credentials").await.assert_problem(401, "invalid_client");
    let res = token_request(&app, "grant_type=client_credentials").await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["client_id", "client_secret"]);
}
