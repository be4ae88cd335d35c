//! Issue 14 (OWASP probe) findings, one regression test each: secure response headers and a
//! deadline for the request body.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::TestApp;

#[actix_web::test]
async fn api_answers_are_not_stored_or_sniffed_and_the_docs_cannot_be_framed() {
    let app = TestApp::spawn().await;
    let admin = app.system_admin().await;
    // An answer with personal data, an error, and the service endpoints.
    let me = app.get("/me").token(&admin.token).send().await;
    assert_eq!(me.status, 200);
    assert_eq!(me.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(me.header("x-content-type-options").as_deref(), Some("nosniff"));
    let denied = app.get("/members").send().await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(denied.header("x-content-type-options").as_deref(), Some("nosniff"));
    let health = app.get("/healthz").send().await;
    assert_eq!(health.header("x-content-type-options").as_deref(), Some("nosniff"));
    // A route that chose its own caching keeps it.
    let jwks = app.get("/.well-known/jwks.json").send().await;
    assert_eq!(jwks.status, 200);
    assert_eq!(jwks.header("cache-control").as_deref(), Some("public, max-age=300"));
    // The documentation UI: only its own scripts, and never inside a frame.
    let docs = app.get("/docs/").send().await;
    assert_eq!(docs.status, 200);
    let csp = docs.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(docs.header("x-frame-options").as_deref(), Some("DENY"));
}

#[actix_web::test]
async fn a_body_that_trickles_in_is_cut_off_with_408() {
    let app = TestApp::spawn_with(&[("GONGHUI_BODY_READ_TIMEOUT_MS", "400")]).await;
    let admin = app.system_admin().await;
    let units_before = app.scalar("SELECT count(*) AS id FROM units").await;
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.expect("connect");
    let (mut reader, mut writer) = socket.split();
    let head = format!(
        "POST /api/v1/units HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{",
        admin.token
    );
    writer.write_all(head.as_bytes()).await.expect("write head");
    let started = Instant::now();
    // One byte now and then, never the whole body: the deadline, not the client, ends it.
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        tokio::select! {
            read = reader.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                        break;
                    }
                }
            },
            _ = tokio::time::sleep(Duration::from_millis(150)) => {
                if writer.write_all(b" ").await.is_err() {
                    break;
                }
            }
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the server kept reading a trickling body");
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("body_timeout"), "{text}");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM units").await, units_before);
}

#[actix_web::test]
async fn a_burst_of_logins_waits_for_a_password_slot_or_gets_429() {
    // One argon2 run at a time and almost no patience: a burst of correct logins gets some
    // 200s and, for the rest, 429 with Retry-After — never more hashes in flight than the
    // slots (each argon2 run holds 19 MiB).
    let app = TestApp::spawn_with(&[
        ("GONGHUI_PASSWORD_HASH_CONCURRENCY", "1"),
        ("GONGHUI_PASSWORD_HASH_WAIT_MS", "1"),
        ("GONGHUI_LOGIN_MAX_FAILURES_PER_IP", "1000"),
    ])
    .await;
    let hash = gonghui::auth::password::hash_password("correct-horse-42").unwrap();
    for n in 0..8 {
        app.scalar(&format!(
            "INSERT INTO users (username, display_name, password_hash) VALUES ('burst{n}', 'b', '{hash}') RETURNING id"
        ))
        .await;
    }
    let attempts = (0..8).map(|n| {
        app.post("/auth/login")
            .json(&serde_json::json!({"username": format!("burst{n}"), "password": "correct-horse-42"}))
            .send()
    });
    let answers = futures_util::future::join_all(attempts).await;
    let ok = answers.iter().filter(|r| r.status == 200).count();
    let busy: Vec<_> = answers.iter().filter(|r| r.status == 429).collect();
    assert!(ok >= 1, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(!busy.is_empty(), "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(ok + busy.len(), answers.len());
    for res in busy {
        assert_eq!(res.header("retry-after").as_deref(), Some("1"));
    }
    // A refusal for capacity is not a failed login: the accounts are not throttled.
    let again = app
        .post("/auth/login")
        .json(&serde_json::json!({"username": "burst7", "password": "correct-horse-42"}))
        .send()
        .await;
    assert_eq!(again.status, 200);
}
