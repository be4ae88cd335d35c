//! The principal cache (src/auth/cache.rs): loaded principals are served from memory, and a
//! change made straight in the database (no API call, so only the trigger's NOTIFY can tell
//! the service) is refused within a bounded wait; with the listener's connection gone, the
//! cache is bypassed and a change is refused at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::common;

use common::TestApp;
use diesel_async::SimpleAsyncConnection;
use gonghui::auth::cache::{LISTENER_APPLICATION_NAME, PrincipalCache, PrincipalKey};
use serde_json::json;

/// Generous: a notification takes milliseconds.
const WAIT: Duration = Duration::from_secs(2);

fn cache(app: &TestApp) -> &PrincipalCache {
    &app.state.auth_cache.principals
}

/// Polls `cond` every 10 ms for up to `limit`.
async fn eventually(limit: Duration, mut cond: impl AsyncFnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if cond().await {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn wait_live(app: &TestApp) {
    assert!(eventually(Duration::from_secs(10), async || cache(app).is_live()).await, "the listener connects");
}

/// Waits until every notification committed so far has reached the listener (they arrive
/// in commit order, so a marker sent now comes after them all).
async fn settle(app: &TestApp) {
    static MARK: AtomicU64 = AtomicU64::new(1);
    let n = MARK.fetch_add(1, Ordering::SeqCst);
    app.sql(&format!("SELECT pg_notify('gonghui_principals', '{{\"sync\": {n}}}')")).await;
    assert!(eventually(WAIT, async || cache(app).synced() >= n).await, "notifications reach the listener");
}

/// Runs statements on one connection with triggers off (`session_replication_role =
/// replica`): a change the caches are never told about.
async fn sql_unnotified(app: &TestApp, sql: &str) {
    let mut conn = app.conn().await;
    conn.batch_execute(&format!("SET session_replication_role = replica; {sql}")).await.unwrap();
}

async fn status(app: &TestApp, token: &str, path: &str) -> u16 {
    app.get(path).token(token).send().await.status
}

#[actix_web::test]
async fn principal_cache_serves_from_memory_until_notified() {
    let app = TestApp::spawn().await;
    wait_live(&app).await;
    let admin = app.union_admin().await;
    settle(&app).await;
    app.get("/members").token(&admin.token).send().await.assert_ok(200);
    assert!(cache(&app).contains(PrincipalKey::User(admin.id)), "loaded once, then kept");
    assert!(!app.state.auth_cache.tokens.is_empty(), "the verified token is kept");

    // A change the service is not told about: the cached principal still answers...
    sql_unnotified(&app, &format!("DELETE FROM role_grants WHERE user_id = {}", admin.id)).await;
    app.get("/members").token(&admin.token).send().await.assert_ok(200);
    // ...until a notification names the user.
    app.sql(&format!("SELECT pg_notify('gonghui_principals', '{{\"user\": {}}}')", admin.id)).await;
    assert!(eventually(WAIT, async || status(&app, &admin.token, "/members").await == 403).await);
    app.get("/members").token(&admin.token).send().await.assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn principal_cache_refuses_a_grant_revoked_in_sql() {
    let app = TestApp::spawn().await;
    wait_live(&app).await;
    let admin = app.union_admin().await;
    settle(&app).await;
    app.get("/members").token(&admin.token).send().await.assert_ok(200);
    assert!(cache(&app).contains(PrincipalKey::User(admin.id)));

    app.sql(&format!("DELETE FROM role_grants WHERE user_id = {}", admin.id)).await;
    assert!(
        eventually(WAIT, async || status(&app, &admin.token, "/members").await == 403).await,
        "the revoked grant is refused once the notification arrives"
    );
    // A grant given in SQL counts too.
    app.sql(&format!("INSERT INTO role_grants (user_id, role) VALUES ({}, 'union_admin')", admin.id)).await;
    assert!(eventually(WAIT, async || status(&app, &admin.token, "/members").await == 200).await);
}

#[actix_web::test]
async fn principal_cache_refuses_a_user_disabled_in_sql() {
    let app = TestApp::spawn().await;
    wait_live(&app).await;
    let admin = app.union_admin().await;
    settle(&app).await;
    app.get("/me").token(&admin.token).send().await.assert_ok(200);
    assert!(cache(&app).contains(PrincipalKey::User(admin.id)));

    app.sql(&format!("UPDATE users SET status = 'disabled' WHERE id = {}", admin.id)).await;
    assert!(eventually(WAIT, async || status(&app, &admin.token, "/me").await == 401).await);
    app.get("/me").token(&admin.token).send().await.assert_problem(401, "invalid_token");
    assert!(!cache(&app).contains(PrincipalKey::User(admin.id)), "a refused principal is not cached");
}

#[actix_web::test]
async fn principal_cache_follows_api_clients_changed_in_sql() {
    let app = TestApp::spawn().await;
    wait_live(&app).await;
    let id = app
        .scalar(
            "INSERT INTO api_clients (client_id, name, secret_hash, scopes) \
             VALUES ('ghc_cachetest', '大屏', '\\x00', ARRAY['reports:read', 'roster:write']) RETURNING id",
        )
        .await;
    settle(&app).await;
    let (token, _) = app.state.tokens.issue_client(id, "reports:read roster:write", Duration::from_secs(600)).unwrap();
    let me = app.get("/me").token(&token).send().await.assert_ok(200);
    assert_eq!(me["scopes"], json!(["reports:read", "roster:write"]));
    assert!(cache(&app).contains(PrincipalKey::Client(id)));
    // A scope taken away: the token keeps only what the client still holds.
    app.sql(&format!("UPDATE api_clients SET scopes = ARRAY['roster:write'] WHERE id = {id}")).await;
    assert!(
        eventually(WAIT, async || {
            app.get("/me").token(&token).send().await.json()["scopes"] == json!(["roster:write"])
        })
        .await
    );
    // Revoked.
    app.sql(&format!("UPDATE api_clients SET status = 'revoked', revoked_at = now() WHERE id = {id}")).await;
    assert!(eventually(WAIT, async || status(&app, &token, "/me").await == 401).await);
    app.get("/me").token(&token).send().await.assert_problem(401, "invalid_token");
}

#[actix_web::test]
async fn principal_cache_is_emptied_when_a_unit_moves() {
    let app = TestApp::spawn().await;
    wait_live(&app).await;
    let org = common::fixtures::org(&app).await;
    let unit_admin = app.unit_admin(org.a).await;
    settle(&app).await;
    app.get("/members").token(&unit_admin.token).send().await.assert_ok(200);
    assert!(cache(&app).contains(PrincipalKey::User(unit_admin.id)));
    // The grant carries the unit's path: a path change drops every entry.
    let path = app.scalar(&format!("SELECT length(path)::bigint AS id FROM units WHERE id = {}", org.a)).await;
    assert!(path > 0);
    app.sql(&format!("UPDATE units SET path = path || '' WHERE id = {}", org.a)).await;
    app.sql(&format!("UPDATE units SET sort_order = sort_order + 1 WHERE id = {}", org.a)).await;
    app.get("/me").token(&unit_admin.token).send().await.assert_ok(200);
    settle(&app).await;
    assert!(cache(&app).contains(PrincipalKey::User(unit_admin.id)), "no path change, no flush");
    app.sql(&format!("UPDATE units SET path = path || 'x/' WHERE id = {}", org.a)).await;
    assert!(eventually(WAIT, async || cache(&app).is_empty()).await, "a path change empties the cache");
    app.sql(&format!("UPDATE units SET path = left(path, -2) WHERE id = {}", org.a)).await;
}

#[actix_web::test]
async fn principal_cache_is_bypassed_while_the_listener_is_down() {
    let app = TestApp::spawn().await;
    wait_live(&app).await;
    let admin = app.union_admin().await;
    settle(&app).await;
    app.get("/members").token(&admin.token).send().await.assert_ok(200);
    assert!(cache(&app).contains(PrincipalKey::User(admin.id)));

    // Kill the listener's connection (this test database's only).
    let losses = cache(&app).losses();
    let sessions = cache(&app).sessions();
    let killed = app
        .scalar(&format!(
            "SELECT count(pg_terminate_backend(pid)) AS id FROM pg_stat_activity \
             WHERE application_name = '{LISTENER_APPLICATION_NAME}' AND datname = current_database()"
        ))
        .await;
    assert_eq!(killed, 1);
    assert!(eventually(WAIT, async || cache(&app).losses() > losses).await, "the loss is noticed");
    assert!(!cache(&app).contains(PrincipalKey::User(admin.id)), "emptied on loss");

    // A grant revoked with no notification at all: refused on the very next request, whether
    // the listener is still down (bypass) or back (it starts empty).
    sql_unnotified(&app, &format!("DELETE FROM role_grants WHERE user_id = {}", admin.id)).await;
    app.get("/members").token(&admin.token).send().await.assert_problem(403, "forbidden");

    // It reconnects on its own, and the cache serves again.
    assert!(eventually(Duration::from_secs(10), async || cache(&app).sessions() > sessions).await, "reconnects");
    wait_live(&app).await;
    app.sql(&format!("INSERT INTO role_grants (user_id, role) VALUES ({}, 'union_admin')", admin.id)).await;
    settle(&app).await;
    app.get("/members").token(&admin.token).send().await.assert_ok(200);
    assert!(cache(&app).contains(PrincipalKey::User(admin.id)), "served from memory again");
    app.sql(&format!("DELETE FROM role_grants WHERE user_id = {}", admin.id)).await;
    assert!(eventually(WAIT, async || status(&app, &admin.token, "/members").await == 403).await);
}

#[actix_web::test]
async fn principal_cache_stays_off_without_its_triggers() {
    let app = TestApp::spawn().await;
    wait_live(&app).await;
    let (losses, sessions) = (cache(&app).losses(), cache(&app).sessions());
    // A database the migrations have not reached: nothing would ever evict an entry.
    app.sql("DROP TRIGGER units_path_notify_principals ON units").await;
    app.sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = '{LISTENER_APPLICATION_NAME}' AND datname = current_database()"
    ))
    .await;
    assert!(eventually(WAIT, async || cache(&app).losses() > losses).await, "the loss is noticed");
    let admin = app.union_admin().await;
    for _ in 0..10 {
        app.get("/members").token(&admin.token).send().await.assert_ok(200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!cache(&app).is_live() && cache(&app).sessions() == sessions, "never serves without triggers");
    assert!(cache(&app).is_empty());
}
