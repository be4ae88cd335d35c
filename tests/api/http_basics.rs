//! Cross-cutting HTTP behaviour: service endpoints, request ids, languages, problem+json
//! for every kind of bad request, 405 (also on literal paths beside id routes), integral
//! floats, body limits, and 503 when the database is gone.

use crate::common;

use common::TestApp;
use serde_json::json;

#[actix_web::test]
async fn health_ready_metrics_and_jwks() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz").send().await.assert_ok(200)["status"], "ok");
    assert_eq!(app.get("/readyz").send().await.assert_ok(200)["status"], "ready");
    let jwks = app.get("/.well-known/jwks.json").send().await.assert_ok(200);
    assert_eq!(jwks["keys"][0]["alg"], "EdDSA");
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    let metrics = app.get("/metrics").send().await;
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    assert!(text.contains("gonghui_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("gonghui_db_pool_max 4"), "{text}");
}

#[actix_web::test]
async fn request_id_is_echoed_or_generated() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz").header("x-request-id", "abc-123").send().await;
    assert_eq!(res.header("x-request-id").as_deref(), Some("abc-123"));
    let res = app.get("/healthz").header("x-request-id", "bad id with spaces").send().await;
    let generated = res.header("x-request-id").unwrap();
    assert_ne!(generated, "bad id with spaces");
    assert_eq!(generated.len(), 36);
    let problem =
        app.get("/members").header("x-request-id", "trace-7").send().await.assert_problem(401, "missing_token");
    assert_eq!(problem["request_id"], "trace-7");
}

#[actix_web::test]
async fn unknown_routes_and_wrong_methods() {
    let app = TestApp::spawn().await;
    app.get("/nothing-here").send().await.assert_problem(404, "route_not_found");
    let res = app.delete("/members").send().await;
    res.assert_problem(405, "method_not_allowed");
    assert_eq!(res.header("allow").as_deref(), Some("GET, POST"));
    let res = app.request(reqwest::Method::PUT, "/members/1").send().await;
    res.assert_problem(405, "method_not_allowed");
    assert_eq!(res.header("allow").as_deref(), Some("GET, PATCH"));
}

#[actix_web::test]
async fn literal_paths_are_not_taken_by_an_id_route() {
    // `/congresses/stats` sits next to `/congresses/{id}`: ids are digits, so another method
    // on the literal path is 405 with the literal route's own `Allow`, never the id route's.
    let app = TestApp::spawn().await;
    let spec = serde_json::to_value(gonghui::app::openapi()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    let methods = |item: &serde_json::Value| -> Vec<String> {
        let mut m: Vec<String> = item.as_object().unwrap().keys().map(|k| k.to_uppercase()).collect();
        m.sort();
        m
    };
    let mut checked = 0;
    for (literal, item) in paths {
        let segments: Vec<&str> = literal.split('/').collect();
        for (template, other) in paths {
            let t: Vec<&str> = template.split('/').collect();
            let shadows = t.len() == segments.len()
                && t.iter().zip(&segments).all(|(a, b)| a == b || a.starts_with('{'))
                && t.iter().zip(&segments).any(|(a, b)| a.starts_with('{') && !b.starts_with('{'));
            if !shadows {
                continue;
            }
            let allowed = methods(item);
            for method in methods(other).into_iter().filter(|m| !allowed.contains(m)) {
                let path = literal.replace("{id}", "1").replacen("/api/v1", "", 1);
                let res = app.request(method.parse().unwrap(), &path).send().await;
                res.assert_problem(405, "method_not_allowed");
                assert_eq!(res.header("allow"), Some(allowed.join(", ")), "{method} {path}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 5, "only {checked} shadowed methods checked");
    let res = app.get("/members/import").send().await;
    res.assert_problem(405, "method_not_allowed");
    assert_eq!(res.header("allow").as_deref(), Some("POST"));
    // The shape of a route with an id that is not one: no such resource, as before.
    app.get("/members/abc").send().await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn integral_floats_are_integers() {
    // JSON Schema counts `3.0` as an integer, and so does the service.
    let app = TestApp::spawn().await;
    let admin = app.union_admin().await;
    let org = common::fixtures::org(&app).await;
    let body = json!({"name": "浮点工会", "kind": "group", "parent_id": org.a as f64, "sort_order": 3.0});
    let unit = app.post("/units").token(&admin.token).json(&body).send().await.assert_ok(201);
    assert_eq!((unit["parent_id"].as_i64(), unit["sort_order"].as_i64()), (Some(org.a), Some(3)));
    let body = json!({"name": "半个工会", "kind": "group", "parent_id": org.a, "sort_order": 2.5});
    let res = app.post("/units").token(&admin.token).json(&body).send().await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["code"], "invalid_type");
    // In a query too; a text parameter keeps what was sent.
    let children = app.get(&format!("/units?parent_id={}.0", org.a)).token(&admin.token).send().await.assert_ok(200);
    assert!(children["items"].as_array().unwrap().iter().any(|u| u["id"] == unit["id"]));
    let found = app.get("/units?q=1.0").token(&admin.token).send().await.assert_ok(200);
    assert_eq!(found["total"], 0);
}

#[actix_web::test]
async fn problems_speak_chinese_by_default_and_english_on_request() {
    let app = TestApp::spawn().await;
    let zh = app.get("/members").send().await.assert_problem(401, "missing_token");
    assert_eq!(zh["title"], "未认证");
    let en = app.get("/members").header("accept-language", "en-US,en;q=0.9").send().await;
    assert_eq!(en.header("content-language").as_deref(), Some("en"));
    assert_eq!(en.assert_problem(401, "missing_token")["title"], "Unauthorized");
}

#[actix_web::test]
async fn malformed_bodies_are_problems_never_500() {
    let app = TestApp::spawn().await;
    let admin = app.union_admin().await;
    // Not JSON at all.
    app.post("/units")
        .token(&admin.token)
        .raw("application/json", "{nope")
        .send()
        .await
        .assert_problem(400, "malformed_json");
    // Wrong content type: the problem names the type expected, in both languages.
    let problem = app.post("/units").token(&admin.token).raw("text/plain", "x").send().await;
    let problem = problem.assert_problem(415, "unsupported_media_type");
    assert_eq!(problem["expected"], "application/json");
    assert_eq!(problem["detail"], "不支持的内容类型，应为 application/json。");
    let problem = app
        .post("/units")
        .token(&admin.token)
        .header("accept-language", "en")
        .raw("text/plain", "x")
        .send()
        .await
        .assert_problem(415, "unsupported_media_type");
    assert_eq!(problem["detail"], "Unsupported content type; expected application/json.");
    // Uploads and forms name theirs.
    let problem = app
        .post("/members/import")
        .token(&admin.token)
        .raw("application/json", "{}")
        .send()
        .await
        .assert_problem(415, "unsupported_media_type");
    assert_eq!(problem["expected"], "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let problem =
        app.post("/auth/token").raw("text/plain", "x").send().await.assert_problem(415, "unsupported_media_type");
    assert_eq!(problem["expected"], "application/x-www-form-urlencoded");
    // Wrong type, unknown field, missing field, NUL byte: field-level 422s.
    let res = app
        .post("/units")
        .token(&admin.token)
        .json(&json!({"name": 5, "kind": "secondary", "parent_id": 1}))
        .send()
        .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["name"]);
    let res = app
        .post("/units")
        .token(&admin.token)
        .json(&json!({"name": "x", "kind": "secondary", "parent_id": 1, "evil": 1}))
        .send()
        .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.json()["errors"][0]["code"], "unknown_field");
    let res = app.post("/units").token(&admin.token).json(&json!({"kind": "secondary", "parent_id": 1})).send().await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["code"], "required");
    let res = app
        .post("/units")
        .token(&admin.token)
        .json(&json!({"name": "a\u{0}b", "kind": "secondary", "parent_id": 1}))
        .send()
        .await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["code"], "control_characters");
    // A bad enum value names the choices.
    let res = app
        .post("/units")
        .token(&admin.token)
        .json(&json!({"name": "x", "kind": "galaxy", "parent_id": 1}))
        .send()
        .await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["code"], "invalid_choice");
}

#[actix_web::test]
async fn oversize_bodies_are_413() {
    let app = TestApp::spawn_with(&[("GONGHUI_BODY_LIMIT_BYTES", "2048")]).await;
    let admin = app.union_admin().await;
    let big = json!({"name": "x".repeat(4000), "kind": "secondary", "parent_id": 1});
    app.post("/units").token(&admin.token).json(&big).send().await.assert_problem(413, "payload_too_large");
}

#[actix_web::test]
async fn sql_ish_and_very_long_strings_are_data_not_code() {
    let app = TestApp::spawn().await;
    let admin = app.union_admin().await;
    let org = common::fixtures::org(&app).await;
    let evil = "'; DROP TABLE members; --";
    let res = app.get(&format!("/members?q={}", urlencode(evil))).token(&admin.token).send().await;
    assert_eq!(res.assert_ok(200)["total"], 0);
    let long = "张".repeat(5000);
    let res = app.get(&format!("/members?q={}", urlencode(&long))).token(&admin.token).send().await;
    res.assert_problem(422, "validation_failed");
    let res = app
        .post("/units")
        .token(&admin.token)
        .json(&json!({"name": "y".repeat(101), "kind": "group", "parent_id": org.a}))
        .send()
        .await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["code"], "length");
    // The table is still there.
    assert_eq!(app.scalar("SELECT count(*) AS id FROM members").await, 5);
}

#[actix_web::test]
async fn database_outage_is_503_then_recovers() {
    let app =
        TestApp::spawn_with(&[("GONGHUI_DB_ACQUIRE_TIMEOUT_MS", "500"), ("GONGHUI_DB_CONNECT_TIMEOUT_MS", "500")])
            .await;
    let admin = app.union_admin().await;
    assert_eq!(app.get("/readyz").send().await.status, 200);
    // Kill every connection and forbid new ones: the pool's connections break.
    common::admin_sql(&format!("ALTER DATABASE \"{}\" ALLOW_CONNECTIONS false", app.db.name)).await;
    common::admin_sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
        app.db.name
    ))
    .await;
    let started = std::time::Instant::now();
    let res = app.get("/units").token(&admin.token).send().await;
    res.assert_problem(503, "service_unavailable");
    assert!(res.header("retry-after").is_some());
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "answers quickly");
    app.get("/readyz").send().await.assert_problem(503, "service_unavailable");
    // Back up: the next requests succeed.
    common::admin_sql(&format!("ALTER DATABASE \"{}\" ALLOW_CONNECTIONS true", app.db.name)).await;
    let mut ok = false;
    for _ in 0..10 {
        if app.get("/readyz").send().await.status == 200 {
            ok = true;
            break;
        }
    }
    assert!(ok, "recovered after the database came back");
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[test]
fn secret_ballot_routes_carry_the_never_hash_marker() {
    let table = gonghui::http::routes::RouteTable::from_openapi(&gonghui::app::openapi());
    assert!(table.body_never_hashed("POST", "/api/v1/motions/7/ballots"));
    assert!(table.body_never_hashed("POST", "/api/v1/evaluations/3/sheets/"));
    assert!(!table.body_never_hashed("GET", "/api/v1/motions/7/ballots"));
    assert!(!table.body_never_hashed("POST", "/api/v1/proposals/7/cosign"));
    assert!(!table.body_never_hashed("POST", "/api/v1/members"));
}
