//! Webhooks end to end: subscriptions over HTTP, the outbox written with the change, signed
//! deliveries to real HTTP receivers on loopback (wiremock), retries, give-up, redelivery,
//! 410, URL refusal at subscription and delivery time, two workers, and authorization.

use crate::common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::fixtures::{self, Org};
use common::{TestApp, TestUser};
use diesel_async::AsyncConnection;
use gonghui::auth::permissions::Role;
use gonghui::jobs::Worker;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = "test-signing-secret-0123456789";

async fn spawn(max_attempts: &str) -> TestApp {
    TestApp::spawn_with(&[
        ("GONGHUI_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("GONGHUI_JOBS_RETRY_BASE_MS", "1"),
        ("GONGHUI_HTTP_TIMEOUT_MS", "300"),
        ("GONGHUI_WEBHOOK_MAX_ATTEMPTS", max_attempts),
    ])
    .await
}

fn worker(app: &TestApp) -> Worker {
    gonghui::app::worker(app.state.pool.clone(), app.state.config.clone(), app.state.http.clone())
}

/// Runs jobs until none is pending or running (retries included), within 20 s.
async fn drain(app: &TestApp, w: &Worker) {
    let start = Instant::now();
    loop {
        if !w.run_once().await.unwrap() {
            let open = app.scalar("SELECT count(*) AS id FROM jobs WHERE status IN ('pending', 'running')").await;
            if open == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "jobs did not drain");
    }
}

async fn subscribe(app: &TestApp, token: &str, url: &str, events: &[&str]) -> Value {
    let body = json!({ "url": url, "event_types": events, "secret": SECRET, "description": "一体化平台" });
    app.post("/webhooks").token(token).json(&body).send().await.assert_ok(201)
}

fn header(req: &Request, name: &str) -> String {
    req.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// What a receiver does: recompute the signature from the secret, timestamp and raw body.
fn signature_valid(req: &Request, secret: &str) -> bool {
    let ts = header(req, "x-gonghui-timestamp");
    let expected =
        format!("v1={}", hex::encode(gonghui::crypto::hmac(secret.as_bytes(), &[ts.as_bytes(), b".", &req.body])));
    header(req, "x-gonghui-signature") == expected
}

async fn receiver(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/hook")).respond_with(ResponseTemplate::new(status)).mount(&server).await;
    server
}

async fn deliveries(app: &TestApp, token: &str, hook: i64) -> Vec<Value> {
    let page = app.get(&format!("/webhooks/{hook}/deliveries")).token(token).send().await.assert_ok(200);
    page["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn member_changes_are_delivered_signed_to_subscribers_only() {
    let app = spawn("3").await;
    let org: Org = fixtures::org(&app).await;
    let sys = app.system_admin().await;
    let admin = app.union_admin().await;
    let server = receiver(200).await;
    let url = format!("{}/hook", server.uri());
    let hook = subscribe(&app, &sys.token, &url, &["member.created", "member.transferred"]).await;
    let hook_id = hook["id"].as_i64().unwrap();
    assert_eq!(hook["secret"], SECRET);
    assert_eq!(hook["active"], true);
    assert_eq!(hook["event_types"], json!(["member.created", "member.transferred"]));
    // The secret is stored encrypted and never shown again.
    let shown = app.get(&format!("/webhooks/{hook_id}")).token(&sys.token).send().await.assert_ok(200);
    assert!(shown.get("secret").is_none(), "{shown}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM webhooks WHERE position('{SECRET}'::bytea in secret_cipher) > 0"
        ))
        .await,
        0
    );

    let member = json!({
        "staff_no": "W001", "name": "韦伯", "gender": "male", "birth_date": "1990-01-01", "unit_id": org.a,
        "employment_type": "contract", "joined_on": "2015-01-01", "phone": "13812345678",
    });
    let created = app.post("/members").token(&admin.token).json(&member).send().await.assert_ok(201);
    let member_id = created["id"].as_i64().unwrap();
    // Not subscribed: member.updated.
    app.patch(&format!("/members/{member_id}"))
        .token(&admin.token)
        .json(&json!({"name": "韦伯伯"}))
        .send()
        .await
        .assert_ok(200);
    let moved = json!({"to_unit_id": org.b, "reason": "调动"});
    app.post(&format!("/members/{member_id}/transfer")).token(&admin.token).json(&moved).send().await.assert_ok(200);
    // The events exist in the outbox for every change, deliveries only for subscribed types.
    assert_eq!(app.scalar("SELECT count(*) AS id FROM webhook_events WHERE event_type = 'member.updated'").await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM webhook_deliveries").await, 2);

    drain(&app, &worker(&app)).await;
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    let mut types = Vec::new();
    for req in &received {
        assert!(signature_valid(req, SECRET), "signature of {:?}", String::from_utf8_lossy(&req.body));
        assert!(!signature_valid(req, "another-secret-0123456789"));
        assert_eq!(header(req, "content-type"), "application/json");
        let ts: i64 = header(req, "x-gonghui-timestamp").parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(header(req, "x-gonghui-event"), body["type"].as_str().unwrap());
        assert_eq!(header(req, "x-gonghui-delivery"), body["id"].to_string());
        assert!(body["created_at"].is_string() && body["event_id"].is_i64());
        assert_eq!(body["data"]["member_id"], member_id);
        assert_eq!(body["data"]["staff_no"], "W001");
        let text = String::from_utf8_lossy(&req.body);
        assert!(!text.contains("13812345678") && !text.contains("phone") && !text.contains("id_card"), "{text}");
        types.push(body["type"].as_str().unwrap().to_owned());
        if body["type"] == "member.transferred" {
            assert_eq!(
                (body["data"]["from_unit_id"].as_i64(), body["data"]["unit_id"].as_i64()),
                (Some(org.a), Some(org.b))
            );
        }
    }
    types.sort();
    assert_eq!(types, ["member.created", "member.transferred"]);

    let log = deliveries(&app, &sys.token, hook_id).await;
    assert_eq!(log.len(), 2);
    for d in &log {
        assert_eq!(
            (d["status"].as_str(), d["attempts"].as_i64(), d["last_status_code"].as_i64()),
            (Some("delivered"), Some(1), Some(200))
        );
        assert!(d["delivered_at"].is_string() && d["last_error"].is_null());
    }
    assert_eq!(log[0]["event_type"], "member.transferred", "newest first");
    let detail = app
        .get(&format!("/webhooks/{hook_id}/deliveries/{}", log[0]["id"]))
        .token(&sys.token)
        .send()
        .await
        .assert_ok(200);
    assert_eq!(detail["attempt_log"].as_array().unwrap().len(), 1);
    assert_eq!(detail["attempt_log"][0]["status_code"], 200);
    assert!(detail["attempt_log"][0]["duration_ms"].as_i64().unwrap() >= 0);
    let delivered = app
        .get(&format!("/webhooks/{hook_id}/deliveries?status=delivered"))
        .token(&sys.token)
        .send()
        .await
        .assert_ok(200);
    assert_eq!(delivered["total"], 2);
    let pending = app
        .get(&format!("/webhooks/{hook_id}/deliveries?status=pending"))
        .token(&sys.token)
        .send()
        .await
        .assert_ok(200);
    assert_eq!(pending["total"], 0);
}

#[actix_web::test]
async fn leave_rejoin_and_import_emit_their_events() {
    let app = spawn("3").await;
    let org = fixtures::org(&app).await;
    let sys = app.system_admin().await;
    let admin = app.union_admin().await;
    let server = receiver(204).await;
    let url = format!("{}/hook", server.uri());
    subscribe(&app, &sys.token, &url, &["member.left", "member.rejoined", "members.imported"]).await;
    let id = org.li_si;
    app.post(&format!("/members/{id}/leave"))
        .token(&admin.token)
        .json(&json!({"reason": "调离"}))
        .send()
        .await
        .assert_ok(200);
    app.post(&format!("/members/{id}/rejoin"))
        .token(&admin.token)
        .json(&json!({"unit_id": org.b}))
        .send()
        .await
        .assert_ok(200);
    let csv = "工号,姓名,性别,出生日期,所属工会,用工类型,入会日期\nIM1,导入甲,男,1980-01-01,A,在编,2005-01-01\nIM2,导入乙,女,1981-02-02,B,合同制,2006-01-01\n";
    app.post("/members/import").token(&admin.token).raw("text/csv", csv).send().await.assert_ok(200);
    drain(&app, &worker(&app)).await;
    let bodies: Vec<Value> =
        server.received_requests().await.unwrap().iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect();
    let by_type =
        |t: &str| bodies.iter().find(|b| b["type"] == t).cloned().unwrap_or_else(|| panic!("{t}: {bodies:?}"));
    assert_eq!(bodies.len(), 3);
    let left = by_type("member.left");
    assert_eq!((left["data"]["member_id"].as_i64(), left["data"]["status"].as_str()), (Some(id), Some("left")));
    assert!(left["data"]["left_on"].is_string());
    let rejoined = by_type("member.rejoined");
    assert_eq!(
        (rejoined["data"]["unit_id"].as_i64(), rejoined["data"]["from_unit_id"].as_i64()),
        (Some(org.b), Some(org.a))
    );
    let imported = by_type("members.imported");
    assert_eq!(imported["data"], json!({"created": 2, "unit_ids": [org.a, org.b]}));
}

#[actix_web::test]
async fn failures_then_success_records_every_attempt() {
    let app = spawn("5").await;
    let sys = app.system_admin().await;
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).up_to_n_times(2).mount(&server).await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let hook = subscribe(&app, &sys.token, &format!("{}/hook", server.uri()), &["webhook.ping"]).await;
    let hook_id = hook["id"].as_i64().unwrap();
    let ping = app.post(&format!("/webhooks/{hook_id}/ping")).token(&sys.token).send().await.assert_ok(202);
    assert_eq!((ping["status"].as_str(), ping["event_type"].as_str()), (Some("pending"), Some("webhook.ping")));
    drain(&app, &worker(&app)).await;

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 3);
    // The same delivery, the same body, each attempt signed with its own timestamp.
    assert!(received.iter().all(|r| signature_valid(r, SECRET) && r.body == received[0].body));
    let detail = app
        .get(&format!("/webhooks/{hook_id}/deliveries/{}", ping["id"]))
        .token(&sys.token)
        .send()
        .await
        .assert_ok(200);
    assert_eq!((detail["status"].as_str(), detail["attempts"].as_i64()), (Some("delivered"), Some(3)));
    let codes: Vec<i64> =
        detail["attempt_log"].as_array().unwrap().iter().map(|a| a["status_code"].as_i64().unwrap()).collect();
    assert_eq!(codes, [500, 500, 200]);
    assert_eq!(detail["attempt_log"][0]["error"], "receiver answered 500");
    assert_eq!(
        app.scalar("SELECT count(*) AS id FROM jobs WHERE kind = 'webhook.deliver' AND status = 'done'").await,
        1
    );
}

#[actix_web::test]
async fn a_hanging_receiver_is_retried_then_given_up_then_redelivered_by_hand() {
    let app = spawn("3").await;
    let sys = app.system_admin().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(1500)))
        .mount(&server)
        .await;
    let hook = subscribe(&app, &sys.token, &format!("{}/hook", server.uri()), &["webhook.ping"]).await;
    let hook_id = hook["id"].as_i64().unwrap();
    let ping = app.post(&format!("/webhooks/{hook_id}/ping")).token(&sys.token).send().await.assert_ok(202);
    let delivery = ping["id"].as_i64().unwrap();
    let redeliver = format!("/webhooks/{hook_id}/deliveries/{delivery}/redeliver");
    // Still pending: no manual redelivery.
    app.post(&redeliver).token(&sys.token).send().await.assert_problem(409, "delivery_in_progress");

    drain(&app, &worker(&app)).await;
    let detail =
        app.get(&format!("/webhooks/{hook_id}/deliveries/{delivery}")).token(&sys.token).send().await.assert_ok(200);
    assert_eq!((detail["status"].as_str(), detail["attempts"].as_i64()), (Some("failed"), Some(3)));
    assert!(detail["last_status_code"].is_null());
    for a in detail["attempt_log"].as_array().unwrap() {
        assert_eq!(a["error"], "timed out after 300 ms", "{a}");
        assert!(a["status_code"].is_null());
        assert!(a["duration_ms"].as_i64().unwrap() >= 250, "{a}");
    }
    assert_eq!(
        app.scalar("SELECT count(*) AS id FROM jobs WHERE kind = 'webhook.deliver' AND status = 'failed'").await,
        1
    );

    // The receiver recovers; redelivery by hand starts a new round.
    server.reset().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let again = app.post(&redeliver).token(&sys.token).send().await.assert_ok(202);
    assert_eq!((again["status"].as_str(), again["redeliveries"].as_i64()), (Some("pending"), Some(1)));
    app.post(&redeliver).token(&sys.token).send().await.assert_problem(409, "delivery_in_progress");
    drain(&app, &worker(&app)).await;
    let detail =
        app.get(&format!("/webhooks/{hook_id}/deliveries/{delivery}")).token(&sys.token).send().await.assert_ok(200);
    assert_eq!(
        (detail["status"].as_str(), detail["attempts"].as_i64(), detail["last_status_code"].as_i64()),
        (Some("delivered"), Some(4), Some(200))
    );
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(header(&received[0], "x-gonghui-delivery"), delivery.to_string());
    // A delivered one may be redelivered too.
    app.post(&redeliver).token(&sys.token).send().await.assert_ok(202);
    drain(&app, &worker(&app)).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    let audit = app.scalar("SELECT count(*) AS id FROM audit_log WHERE action = 'webhook.redeliver'").await;
    assert_eq!(audit, 2);
}

#[actix_web::test]
async fn an_event_of_a_rolled_back_transaction_is_never_delivered() {
    let app = spawn("3").await;
    let sys = app.system_admin().await;
    let server = receiver(200).await;
    subscribe(&app, &sys.token, &format!("{}/hook", server.uri()), &["member.updated"]).await;
    let mut conn = app.conn().await;
    let failed = conn
        .transaction::<(), gonghui::error::ApiError, _>(async |conn| {
            gonghui::webhooks::emit(conn, "member.updated", json!({"member_id": 1, "n": "rolled back"})).await?;
            Err(gonghui::error::ApiError::Conflict("simulated_failure"))
        })
        .await;
    assert!(failed.is_err());
    conn.transaction::<(), gonghui::error::ApiError, _>(async |conn| {
        gonghui::webhooks::emit(conn, "member.updated", json!({"member_id": 2, "n": "committed"})).await
    })
    .await
    .unwrap();
    assert_eq!(app.scalar("SELECT count(*) AS id FROM webhook_events WHERE data->>'n' = 'rolled back'").await, 0);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM jobs WHERE kind = 'webhook.deliver'").await, 1);
    drain(&app, &worker(&app)).await;
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let body: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(body["data"]["n"], "committed");
}

#[actix_web::test]
async fn two_workers_deliver_each_event_exactly_once() {
    let app = spawn("3").await;
    let sys = app.system_admin().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(10)))
        .mount(&server)
        .await;
    let url = format!("{}/hook", server.uri());
    subscribe(&app, &sys.token, &url, &["member.updated"]).await;
    const N: i64 = 30;
    let mut conn = app.conn().await;
    for i in 0..N {
        conn.transaction::<(), gonghui::error::ApiError, _>(async |conn| {
            gonghui::webhooks::emit(conn, "member.updated", json!({ "member_id": i })).await
        })
        .await
        .unwrap();
    }
    let (w1, w2) = (worker(&app), worker(&app));
    let appr = &app;
    let run = |w: Worker| async move {
        let mut ran = 0;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if w.run_once().await.unwrap() {
                ran += 1;
            } else {
                // Nothing due: done when the queue is empty.
                let open = appr.scalar("SELECT count(*) AS id FROM jobs WHERE status IN ('pending', 'running')").await;
                if open == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        ran
    };
    let (a, b) = tokio::join!(run(w1), run(w2));
    assert_eq!(a + b, N, "each job ran once");
    assert!(a > 0 && b > 0, "both workers worked: {a} + {b}");
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len() as i64, N);
    let ids: HashSet<String> = received.iter().map(|r| header(r, "x-gonghui-delivery")).collect();
    assert_eq!(ids.len() as i64, N);
    let members: HashSet<i64> = received
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["data"]["member_id"].as_i64().unwrap())
        .collect();
    assert_eq!(members.len() as i64, N);
    assert_eq!(
        app.scalar("SELECT count(*) AS id FROM webhook_deliveries WHERE status = 'delivered' AND attempts = 1").await,
        N
    );
}

#[actix_web::test]
async fn gone_deactivates_and_pings_then_conflict() {
    let app = spawn("3").await;
    let sys = app.system_admin().await;
    let server = receiver(410).await;
    let hook = subscribe(&app, &sys.token, &format!("{}/hook", server.uri()), &["member.updated"]).await;
    let hook_id = hook["id"].as_i64().unwrap();
    app.post(&format!("/webhooks/{hook_id}/ping")).token(&sys.token).send().await.assert_ok(202);
    drain(&app, &worker(&app)).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "410 is not retried");
    let view = app.get(&format!("/webhooks/{hook_id}")).token(&sys.token).send().await.assert_ok(200);
    assert_eq!((view["active"].as_bool(), view["disabled_reason"].as_str()), (Some(false), Some("gone")));
    let log = deliveries(&app, &sys.token, hook_id).await;
    assert_eq!((log[0]["status"].as_str(), log[0]["last_status_code"].as_i64()), (Some("failed"), Some(410)));
    app.post(&format!("/webhooks/{hook_id}/ping"))
        .token(&sys.token)
        .send()
        .await
        .assert_problem(409, "webhook_inactive");
    let redeliver = format!("/webhooks/{hook_id}/deliveries/{}/redeliver", log[0]["id"]);
    app.post(&redeliver).token(&sys.token).send().await.assert_problem(409, "webhook_inactive");
    // Inactive: new events get no delivery.
    let mut conn = app.conn().await;
    gonghui::webhooks::emit(&mut conn, "member.updated", json!({"member_id": 1})).await.unwrap();
    assert_eq!(app.scalar("SELECT count(*) AS id FROM webhook_deliveries").await, 1);
    // Reactivated with If-Match: the reason is cleared.
    let etag = app.get(&format!("/webhooks/{hook_id}")).token(&sys.token).send().await.header("etag").unwrap();
    let on = app
        .patch(&format!("/webhooks/{hook_id}"))
        .token(&sys.token)
        .header("If-Match", &etag)
        .json(&json!({"active": true}))
        .send()
        .await
        .assert_ok(200);
    assert_eq!((on["active"].as_bool(), on["disabled_reason"].is_null()), (Some(true), true));
}

#[actix_web::test]
async fn urls_are_refused_at_subscription_and_again_at_delivery() {
    let strict = TestApp::spawn_with(&[("GONGHUI_JOBS_RETRY_BASE_MS", "1")]).await;
    let sys = strict.system_admin().await;
    for (url, code) in [
        ("http://169.254.169.254/latest/meta-data/", "url_forbidden_address"),
        ("http://[fd00:ec2::254]/", "url_forbidden_address"),
        ("http://metadata.google.internal/computeMetadata/v1/", "url_forbidden_address"),
        ("http://localhost:8080/hook", "url_forbidden_address"),
        ("http://127.0.0.1:8080/hook", "url_forbidden_address"),
        ("http://10.0.0.8/hook", "url_forbidden_address"),
        ("ftp://example.com/hook", "url_scheme"),
        ("https://user:pw@example.com/hook", "url_userinfo"),
        ("not a url", "invalid_url"),
        ("https://no-such-host.invalid/hook", "url_unresolvable"),
    ] {
        let body = json!({"url": url, "event_types": ["webhook.ping"]});
        let res = strict.post("/webhooks").token(&sys.token).json(&body).send().await;
        let problem = res.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], "url", "{url}");
        assert_eq!(problem["errors"][0]["code"], code, "{url}");
    }
    assert_eq!(strict.scalar("SELECT count(*) AS id FROM webhooks").await, 0);

    let listed = TestApp::spawn_with(&[
        ("GONGHUI_WEBHOOK_ALLOWED_HOSTS", "hooks.example.com,.hust.edu.cn"),
        ("GONGHUI_WEBHOOK_ALLOW_PRIVATE", "true"),
    ])
    .await;
    let sys2 = listed.system_admin().await;
    let body = json!({"url": "http://127.0.0.1:9/hook", "event_types": ["webhook.ping"]});
    let p =
        listed.post("/webhooks").token(&sys2.token).json(&body).send().await.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["code"], "url_host_not_allowed");

    // Accepted when created, refused when delivered: a permanent failure, never sent.
    let app = spawn("3").await;
    let sys = app.system_admin().await;
    let server = receiver(200).await;
    let hook = subscribe(&app, &sys.token, &format!("{}/hook", server.uri()), &["webhook.ping"]).await;
    let hook_id = hook["id"].as_i64().unwrap();
    app.sql(&format!("UPDATE webhooks SET url = 'http://169.254.169.254/latest/meta-data/' WHERE id = {hook_id}"))
        .await;
    app.post(&format!("/webhooks/{hook_id}/ping")).token(&sys.token).send().await.assert_ok(202);
    drain(&app, &worker(&app)).await;
    let log = deliveries(&app, &sys.token, hook_id).await;
    assert_eq!((log[0]["status"].as_str(), log[0]["attempts"].as_i64()), (Some("failed"), Some(1)));
    assert_eq!(log[0]["last_error"], "url refused: url_forbidden_address");
    assert!(server.received_requests().await.unwrap().is_empty());
    // PATCH checks the URL too.
    let p = app
        .patch(&format!("/webhooks/{hook_id}"))
        .token(&sys.token)
        .json(&json!({"url": "gopher://example.com/"}))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["code"], "url_scheme");
}

/// A client token with these scopes.
async fn client_token(app: &TestApp, sys: &TestUser, scopes: &[&str]) -> String {
    let body = json!({"name": format!("hooks-{}", scopes.join("-")), "scopes": scopes});
    let client = app.post("/api-clients").token(&sys.token).json(&body).send().await.assert_ok(201);
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        client["client_id"].as_str().unwrap(),
        client["client_secret"].as_str().unwrap()
    );
    let token = app.post("/auth/token").raw("application/x-www-form-urlencoded", form).send().await.assert_ok(200);
    token["access_token"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn every_route_is_authorized_and_bad_input_is_refused() {
    let app = spawn("3").await;
    let sys = app.system_admin().await;
    let server = receiver(200).await;
    let url = format!("{}/hook", server.uri());
    let hook = subscribe(&app, &sys.token, &url, &["member.created"]).await;
    let id = hook["id"].as_i64().unwrap();
    let ping = app.post(&format!("/webhooks/{id}/ping")).token(&sys.token).send().await.assert_ok(202);
    let delivery = ping["id"].as_i64().unwrap();
    let routes: Vec<(reqwest::Method, String, Option<Value>)> = vec![
        (reqwest::Method::GET, "/webhooks".into(), None),
        (reqwest::Method::POST, "/webhooks".into(), Some(json!({"url": url, "event_types": ["webhook.ping"]}))),
        (reqwest::Method::GET, format!("/webhooks/{id}"), None),
        (reqwest::Method::PATCH, format!("/webhooks/{id}"), Some(json!({"description": "x"}))),
        (reqwest::Method::GET, format!("/webhooks/{id}/deliveries"), None),
        (reqwest::Method::GET, format!("/webhooks/{id}/deliveries/{delivery}"), None),
        (reqwest::Method::POST, format!("/webhooks/{id}/deliveries/{delivery}/redeliver"), None),
        (reqwest::Method::POST, format!("/webhooks/{id}/ping"), None),
        (reqwest::Method::DELETE, format!("/webhooks/{id}"), None),
    ];
    let union_admin = app.union_admin().await;
    let auditor = app.with_role(Role::Auditor).await;
    let reports_client = client_token(&app, &sys, &["reports:read", "roster:write"]).await;
    for (m, p, body) in &routes {
        let send = |token: Option<String>| {
            let mut req = app.request(m.clone(), p);
            if let Some(t) = token {
                req = req.token(&t);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            req.send()
        };
        send(None).await.assert_problem(401, "missing_token");
        for t in [&union_admin.token, &auditor.token, &reports_client] {
            send(Some(t.clone())).await.assert_problem(403, "forbidden");
        }
    }
    assert_eq!(app.scalar("SELECT count(*) AS id FROM webhooks").await, 1);

    // An API client with webhooks:manage may do everything.
    let hooks_client = client_token(&app, &sys, &["webhooks:manage"]).await;
    let made = app
        .post("/webhooks")
        .token(&hooks_client)
        .json(&json!({"url": url, "event_types": ["member.left", "member.left"]}))
        .send()
        .await
        .assert_ok(201);
    assert!(made["secret"].as_str().unwrap().starts_with("whsec_"), "generated secret");
    assert_eq!(made["event_types"], json!(["member.left"]), "deduplicated");
    let made_id = made["id"].as_i64().unwrap();
    let list = app.get("/webhooks").token(&hooks_client).send().await.assert_ok(200);
    assert_eq!(list["total"], 2);
    let audit_actor =
        app.scalar(&format!("SELECT count(*) AS id FROM audit_log WHERE action = 'webhook.create' AND entity_id = '{made_id}' AND actor_client_id IS NOT NULL")).await;
    assert_eq!(audit_actor, 1);

    // 404s.
    app.get("/webhooks/999999").token(&sys.token).send().await.assert_problem(404, "not_found");
    app.get(&format!("/webhooks/{made_id}/deliveries/{delivery}"))
        .token(&sys.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("/webhooks/{made_id}/deliveries/{delivery}/redeliver"))
        .token(&sys.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.post("/webhooks/999999/ping").token(&sys.token).send().await.assert_problem(404, "not_found");
    app.get("/webhooks/999999/deliveries").token(&sys.token).send().await.assert_problem(404, "not_found");

    // 422s.
    for (body, field) in [
        (json!({"url": url, "event_types": ["member.deleted"]}), "event_types[0]"),
        (json!({"url": url, "event_types": []}), "event_types"),
        (json!({"event_types": ["member.left"]}), "url"),
        (json!({"url": url, "event_types": ["member.left"], "secret": "short"}), "secret"),
        (json!({"url": url, "event_types": ["member.left"], "extra": 1}), "extra"),
    ] {
        let res = app.post("/webhooks").token(&sys.token).json(&body).send().await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), [field], "{body}");
    }
    app.get(&format!("/webhooks/{id}/deliveries?status=lost"))
        .token(&sys.token)
        .send()
        .await
        .assert_problem(422, "validation_failed");

    // 412 with a stale If-Match; the current one passes.
    let stale = app
        .patch(&format!("/webhooks/{id}"))
        .token(&sys.token)
        .header("If-Match", "\"v0\"")
        .json(&json!({"event_types": ["member.left"]}))
        .send()
        .await;
    stale.assert_problem(412, "stale_version");
    let ok = app
        .patch(&format!("/webhooks/{id}"))
        .token(&sys.token)
        .header("If-Match", "\"v1\"")
        .json(&json!({"event_types": ["member.left", "member.rejoined"], "description": "改"}))
        .send()
        .await;
    assert_eq!(ok.header("etag").as_deref(), Some("\"v2\""));
    assert_eq!(ok.assert_ok(200)["event_types"], json!(["member.left", "member.rejoined"]));

    // Delete: gone from reads and lists, no more deliveries; the pending ping is not sent.
    app.delete(&format!("/webhooks/{id}")).token(&sys.token).send().await.assert_ok(204);
    app.get(&format!("/webhooks/{id}")).token(&sys.token).send().await.assert_problem(404, "not_found");
    app.delete(&format!("/webhooks/{id}")).token(&sys.token).send().await.assert_problem(404, "not_found");
    assert_eq!(app.get("/webhooks").token(&sys.token).send().await.assert_ok(200)["total"], 1);
    drain(&app, &worker(&app)).await;
    assert!(server.received_requests().await.unwrap().is_empty());
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM webhook_deliveries WHERE id = {delivery} AND status = 'failed'"
        ))
        .await,
        1
    );
}

#[actix_web::test]
async fn the_monthly_birthday_list_goes_out_once_grouped_by_unit() {
    let app = spawn("3").await;
    let org = fixtures::org(&app).await;
    let sys = app.system_admin().await;
    let server = receiver(200).await;
    subscribe(&app, &sys.token, &format!("{}/hook", server.uri()), &["members.birthday_list"]).await;
    // 钱七 (born in August) is retired: not on August's list.
    let mut conn = app.conn().await;
    for month in ["2026-05", "2026-08"] {
        let job = gonghui::jobs::NewJob::new(gonghui::membership::BIRTHDAY_LIST, json!({ "month": month }));
        gonghui::jobs::enqueue(&mut conn, job).await.unwrap();
    }
    // A second job for May (e.g. enqueued without its dedupe key) changes nothing.
    let again = gonghui::jobs::NewJob::new(gonghui::membership::BIRTHDAY_LIST, json!({ "month": "2026-05" }));
    gonghui::jobs::enqueue(&mut conn, again).await.unwrap();
    drain(&app, &worker(&app)).await;
    let bodies: Vec<Value> =
        server.received_requests().await.unwrap().iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    let may = bodies.iter().find(|b| b["data"]["month"] == "2026-05").unwrap();
    assert_eq!(may["type"], "members.birthday_list");
    assert_eq!(may["data"]["total"], 2);
    assert_eq!(
        may["data"]["units"],
        json!([
            {"unit_id": org.a, "unit_name": "机电工程学院工会", "members": [
                {"member_id": org.zhang_san, "staff_no": "A001", "name": "张三", "birth_date": "1980-05-12"}]},
            {"unit_id": org.a_group, "unit_name": "机电一组", "members": [
                {"member_id": org.wang_wu, "staff_no": "A101", "name": "王五", "birth_date": "1975-05-20"}]},
        ])
    );
    let august = bodies.iter().find(|b| b["data"]["month"] == "2026-08").unwrap();
    assert_eq!((august["data"]["total"].as_i64(), august["data"]["units"].clone()), (Some(0), json!([])));
    assert!(!String::from_utf8_lossy(&server.received_requests().await.unwrap()[0].body).contains("phone"));
    // A bad payload fails for good.
    gonghui::jobs::enqueue(
        &mut conn,
        gonghui::jobs::NewJob::new(gonghui::membership::BIRTHDAY_LIST, json!({"month": "May"})),
    )
    .await
    .unwrap();
    drain(&app, &worker(&app)).await;
    assert_eq!(app.scalar("SELECT count(*) AS id FROM jobs WHERE status = 'failed' AND attempts = 1").await, 1);
}

/// Rotating the secret shows the new one once; deliveries from then on are signed with it,
/// and the old one no longer verifies.
#[actix_web::test]
async fn the_signing_secret_rotates() {
    let app = spawn("3").await;
    let sys = app.system_admin().await;
    let server = receiver(200).await;
    let hook = subscribe(&app, &sys.token, &format!("{}/hook", server.uri()), &["member.updated"]).await;
    let id = hook["id"].as_i64().unwrap();
    let path = format!("/webhooks/{id}/rotate-secret");
    let new_secret = "whsec_rotated_for_the_test_0001";
    let res = app.post(&path).token(&sys.token).json(&json!({ "secret": new_secret })).send().await;
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    let rotated = res.assert_ok(200);
    assert_eq!((rotated["secret"].as_str(), rotated["version"].as_i64()), (Some(new_secret), Some(2)));
    app.post(&format!("/webhooks/{id}/ping")).token(&sys.token).send().await.assert_ok(202);
    drain(&app, &worker(&app)).await;
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    assert!(signature_valid(&received[0], new_secret));
    assert!(!signature_valid(&received[0], SECRET));
    // Without a body a secret is generated; the audit row never holds it.
    let generated = app.post(&path).token(&sys.token).send().await.assert_ok(200);
    assert!(generated["secret"].as_str().is_some_and(|s| s.starts_with("whsec_")));
    let leaked = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'webhook.rotate_secret' AND \
             (coalesce(after::text, '') LIKE '%{new_secret}%' OR coalesce(before::text, '') LIKE '%whsec_%')"
        ))
        .await;
    assert_eq!(leaked, 0);
    app.post(&path)
        .token(&sys.token)
        .json(&json!({ "secret": "short" }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    app.post("/webhooks/999999/rotate-secret").token(&sys.token).send().await.assert_problem(404, "not_found");
    app.post(&path).send().await.assert_problem(401, "missing_token");
    let admin = app.union_admin().await;
    app.post(&path).token(&admin.token).send().await.assert_problem(403, "forbidden");
}
