//! The integration-test harness: a real PostgreSQL, one database per test cloned from a
//! template migrated once per migration set, and one app instance per test on a loopback
//! port, reached over real HTTP.
//!
//! `GONGHUI_TEST_DATABASE_URL` points at a server where we may create databases
//! (scripts/test.sh sets it; default `postgres://postgres@127.0.0.1:5432/postgres`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod democracy;
pub mod fixtures;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{HttpServer, web};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use gonghui::app;
use gonghui::auth::permissions::Role;
use gonghui::config::Config;
use gonghui::crypto::SecretKey;
use gonghui::state::AppState;
use serde_json::Value;

/// Serialises template creation and cloning across test processes (nextest runs each test
/// in its own process): CREATE DATABASE … TEMPLATE takes a cluster-wide lock anyway.
const LOCK_KEY: i64 = 726_100_201;
static COUNTER: AtomicUsize = AtomicUsize::new(0);

#[allow(clippy::disallowed_methods)]
pub fn admin_url() -> String {
    std::env::var("GONGHUI_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The admin URL with another database name.
pub fn url_for(db: &str) -> String {
    let admin = admin_url();
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b.to_owned(), format!("?{q}")),
        None => (admin.clone(), String::new()),
    };
    let prefix = base.rsplit_once('/').map(|(p, _)| p.to_owned()).unwrap_or(base);
    format!("{prefix}/{db}{query}")
}

/// A digest of the migrations: a new migration set gets a new template. It covers the files
/// on disk and the migrations embedded in this test binary, so a binary built before a
/// migration was added never shares a template with one built after.
fn template_name() -> String {
    use diesel::migration::MigrationSource;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut entries: Vec<_> = walk(&dir);
    entries.sort();
    let mut all = Vec::new();
    let embedded = MigrationSource::<diesel::pg::Pg>::migrations(&gonghui::db::MIGRATIONS).unwrap_or_default();
    for m in embedded {
        all.extend(m.name().to_string().as_bytes());
    }
    for path in entries {
        all.extend(path.to_string_lossy().as_bytes());
        all.extend(std::fs::read(&path).unwrap_or_default());
    }
    format!("gonghui_tpl_{}", &hex::encode(gonghui::crypto::sha256(&all))[..12])
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// Runs SQL on the admin database (outage simulation and the like).
pub async fn admin_sql(sql: &str) {
    exec(&mut admin_conn().await, sql).await;
}

async fn admin_conn() -> AsyncPgConnection {
    AsyncPgConnection::establish(&admin_url()).await.expect("test PostgreSQL reachable (GONGHUI_TEST_DATABASE_URL)")
}

async fn exec(conn: &mut AsyncPgConnection, sql: &str) {
    diesel::sql_query(sql).execute(conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn pid_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Ensures the template exists and is complete; drops test databases of dead processes.
async fn prepare(conn: &mut AsyncPgConnection, template: &str) {
    let names: Vec<Name> = diesel::sql_query(
        "SELECT datname AS name FROM pg_database WHERE datname LIKE 'gonghui\\_t\\_%' OR datname LIKE 'gonghui\\_tpl\\_%'",
    )
    .load(conn)
    .await
    .unwrap();
    let mut ready = false;
    for Name { name } in names {
        if let Some(rest) = name.strip_prefix("gonghui_t_") {
            let pid: u32 = rest.split('_').next().and_then(|p| p.parse().ok()).unwrap_or(0);
            if !pid_alive(pid) {
                exec(conn, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
            }
        } else if name == template {
            let comment: Vec<Name> = diesel::sql_query(format!(
                "SELECT coalesce(shobj_description(oid, 'pg_database'), '') AS name FROM pg_database WHERE datname = '{template}'"
            ))
            .load(conn)
            .await
            .unwrap();
            ready = comment.iter().any(|c| c.name == "ready");
            if !ready {
                exec(conn, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
            }
        }
    }
    if !ready {
        exec(conn, &format!("CREATE DATABASE \"{template}\"")).await;
        gonghui::db::run_migrations(&url_for(template)).await.expect("migrations apply to the template");
        exec(conn, &format!("COMMENT ON DATABASE \"{template}\" IS 'ready'")).await;
    }
}

/// A database of its own for one test, dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let template = template_name();
        let name = format!("gonghui_t_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let mut conn = admin_conn().await;
        exec(&mut conn, &format!("SELECT pg_advisory_lock({LOCK_KEY})")).await;
        prepare(&mut conn, &template).await;
        exec(&mut conn, &format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")).await;
        exec(&mut conn, &format!("SELECT pg_advisory_unlock({LOCK_KEY})")).await;
        TestDb { url: url_for(&name), name }
    }

    /// An empty database (no migrations), for migration tests.
    pub async fn empty() -> TestDb {
        let name = format!("gonghui_t_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let mut conn = admin_conn().await;
        exec(&mut conn, &format!("CREATE DATABASE \"{name}\"")).await;
        TestDb { url: url_for(&name), name }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime; do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = AsyncPgConnection::establish(&admin_url()).await {
                    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Configuration for a test app on `db`; `overrides` replace defaults.
pub fn test_config(db_url: &str, overrides: &[(&str, &str)]) -> Config {
    static KEYS: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    let (jwt, enc) = KEYS.get_or_init(|| (gonghui::crypto::generate_ed25519_pem(), SecretKey::generate_base64()));
    let mut map: HashMap<String, String> = HashMap::new();
    map.insert("GONGHUI_DATABASE_URL".into(), db_url.into());
    map.insert("GONGHUI_JWT_PRIVATE_KEY".into(), jwt.clone());
    map.insert("GONGHUI_ENCRYPTION_KEY".into(), enc.clone());
    map.insert("GONGHUI_DB_POOL_SIZE".into(), "4".into());
    map.insert("GONGHUI_DB_ACQUIRE_TIMEOUT_MS".into(), "2000".into());
    for (k, v) in overrides {
        map.insert((*k).into(), (*v).into());
    }
    Config::from_map(&map).expect("valid test config")
}

/// A running app on its own database.
pub struct TestApp {
    pub base: String,
    pub state: web::Data<AppState>,
    pub client: reqwest::Client,
    pub db: TestDb,
    server: actix_web::dev::ServerHandle,
}

/// A response, read fully.
#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Res {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// Asserts the status and, for errors, a problem+json body with this `code`.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "status of {}", self.text());
        assert_eq!(self.header("content-type").as_deref(), Some("application/problem+json"), "{}", self.text());
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status);
        assert!(body["request_id"].is_string());
        body
    }

    #[track_caller]
    pub fn assert_ok(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "status of {}", self.text());
        if self.body.is_empty() { Value::Null } else { self.json() }
    }

    /// Field names of a validation problem's errors.
    pub fn error_fields(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .map(|a| a.iter().map(|e| e["field"].as_str().unwrap_or("").to_owned()).collect())
            .unwrap_or_default()
    }
}

/// A request under construction.
pub struct Req<'a> {
    app: &'a TestApp,
    builder: reqwest::RequestBuilder,
}

impl Req<'_> {
    pub fn token(mut self, token: &str) -> Self {
        self.builder = self.builder.bearer_auth(token);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.builder = self.builder.header("content-type", "application/json").body(body.to_string());
        self
    }

    pub fn raw(mut self, content_type: &str, body: impl Into<reqwest::Body>) -> Self {
        self.builder = self.builder.header("content-type", content_type).body(body);
        self
    }

    pub async fn send(self) -> Res {
        let _ = self.app;
        let res = self.builder.send().await.expect("request sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.bytes().await.expect("body read").to_vec();
        Res { status, headers, body }
    }
}

/// A user created for a test, with a valid access token.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub username: String,
    pub token: String,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    pub async fn spawn_with(overrides: &[(&str, &str)]) -> TestApp {
        let db = TestDb::new().await;
        let config = test_config(&db.url, overrides);
        Self::spawn_on(db, config).await
    }

    pub async fn spawn_on(db: TestDb, config: Config) -> TestApp {
        let pool = gonghui::db::build_pool(&config).unwrap();
        let state = web::Data::new(app::state(config, pool).unwrap());
        let app_state = state.clone();
        let server = HttpServer::new(move || app::build(app_state.clone()))
            .workers(1)
            .disable_signals()
            .shutdown_timeout(1)
            .bind("127.0.0.1:0")
            .unwrap();
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        TestApp {
            base: format!("http://{addr}"),
            state,
            client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            db,
            server: handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/') && !path.starts_with("/api/") && !is_service_path(path) {
            format!("{}/api/v1{path}", self.base)
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> Req<'_> {
        Req { app: self, builder: self.client.request(method, self.url(path)) }
    }

    pub fn get(&self, path: &str) -> Req<'_> {
        self.request(reqwest::Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Req<'_> {
        self.request(reqwest::Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> Req<'_> {
        self.request(reqwest::Method::PATCH, path)
    }

    pub fn delete(&self, path: &str) -> Req<'_> {
        self.request(reqwest::Method::DELETE, path)
    }

    pub async fn conn(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.db.url).await.unwrap()
    }

    /// Creates an account with these grants (unit-scoped roles take a unit) and a token.
    pub async fn user(&self, grants: &[(Role, Option<i64>)]) -> TestUser {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let username = format!("user{n}");
        let mut conn = self.conn().await;
        let id: i64 = diesel::sql_query(format!(
            "INSERT INTO users (username, display_name, password_hash) VALUES ('{username}', 'Test {n}', NULL) RETURNING id"
        ))
        .get_result::<IdRow>(&mut conn)
        .await
        .unwrap()
        .id;
        for (role, unit) in grants {
            let unit = unit.map(|u| u.to_string()).unwrap_or_else(|| "NULL".into());
            exec(
                &mut conn,
                &format!("INSERT INTO role_grants (user_id, role, unit_id) VALUES ({id}, '{}', {unit})", role.as_str()),
            )
            .await;
        }
        let (token, _) = self.state.tokens.issue_access(id).unwrap();
        TestUser { id, username, token }
    }

    /// The account of a member (as after a WeChat or CAS login: role `member` only), with a token.
    pub async fn member_user(&self, member_id: i64) -> TestUser {
        let mut conn = self.conn().await;
        let existing = diesel::sql_query(format!("SELECT id FROM users WHERE member_id = {member_id}"))
            .get_result::<IdRow>(&mut conn)
            .await
            .ok();
        let id = match existing {
            Some(row) => row.id,
            None => {
                let n = COUNTER.fetch_add(1, Ordering::SeqCst);
                diesel::sql_query(format!(
                    "INSERT INTO users (username, display_name, password_hash, member_id) \
                     VALUES ('m{member_id}_{n}', '会员 {member_id}', NULL, {member_id}) RETURNING id"
                ))
                .get_result::<IdRow>(&mut conn)
                .await
                .unwrap()
                .id
            }
        };
        let (token, _) = self.state.tokens.issue_access(id).unwrap();
        TestUser { id, username: format!("member{member_id}"), token }
    }

    pub async fn with_role(&self, role: Role) -> TestUser {
        self.user(&[(role, None)]).await
    }

    pub async fn union_admin(&self) -> TestUser {
        self.with_role(Role::UnionAdmin).await
    }

    pub async fn system_admin(&self) -> TestUser {
        self.with_role(Role::SystemAdmin).await
    }

    pub async fn unit_admin(&self, unit_id: i64) -> TestUser {
        self.user(&[(Role::UnitAdmin, Some(unit_id))]).await
    }

    /// Runs SQL on the test database (setup and inspection).
    pub async fn sql(&self, sql: &str) {
        let mut conn = self.conn().await;
        exec(&mut conn, sql).await;
    }

    /// A single i64 from a query (`SELECT count(*) AS id …`).
    pub async fn scalar(&self, sql: &str) -> i64 {
        let mut conn = self.conn().await;
        diesel::sql_query(sql).get_result::<IdRow>(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}")).id
    }

    pub async fn stop(&self) {
        self.server.stop(false).await;
    }
}

fn is_service_path(path: &str) -> bool {
    ["/healthz", "/readyz", "/metrics", "/docs", "/.well-known/"].iter().any(|p| path.starts_with(p))
}

#[derive(QueryableByName)]
pub struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
}
