//! The checked-in spec equals what the code generates, and every operation documents
//! its security and its error answers.

const COMMAND: &str = "cargo run -q -- openapi > openapi/openapi.json";

#[test]
fn checked_in_spec_is_current() {
    let generated = serde_json::to_string_pretty(&gonghui::app::openapi()).unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json");
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored.trim_end() == generated.trim_end(),
        "openapi/openapi.json is stale: regenerate it with `{COMMAND}` and commit it"
    );
}

#[test]
fn every_business_operation_is_secured_and_documents_its_errors() {
    let spec = serde_json::to_value(gonghui::app::openapi()).unwrap();
    assert_eq!(spec["openapi"].as_str().unwrap().split('.').take(2).collect::<Vec<_>>(), ["3", "1"]);
    let public = [
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/cas/login",
        "/api/v1/auth/wechat/login",
        "/api/v1/auth/wechat/bind",
        "/api/v1/auth/token",
        "/api/v1/openapi.json",
    ];
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has an operationId");
            if !path.starts_with("/api/v1/") || public.contains(&path.as_str()) {
                continue;
            }
            checked += 1;
            assert!(op["security"].is_array(), "{method} {path} declares its security");
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("401"), "{method} {path} documents 401");
            // Routes open to every authenticated caller have no 403.
            let any_authenticated = ["/api/v1/me"];
            if !any_authenticated.contains(&path.as_str()) {
                assert!(responses.contains_key("403"), "{method} {path} documents 403");
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{method} {path} documents 404");
            }
            if (method == "post" || method == "patch") && op.get("requestBody").is_some() {
                assert!(responses.contains_key("422"), "{method} {path} documents 422");
            }
        }
    }
    assert!(checked > 20, "only {checked} operations checked");
}

#[test]
fn every_authenticated_post_declares_its_idempotency_key() {
    let spec = serde_json::to_value(gonghui::app::openapi()).unwrap();
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        let Some(op) = item.get("post") else { continue };
        if op["security"].as_array().is_none_or(|s| s.is_empty()) {
            continue;
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let key = params.iter().find(|p| p["name"] == "Idempotency-Key");
        match key {
            Some(k) if k["in"] == "header" && k["schema"]["maxLength"] == 255 => {}
            _ => missing.push(path.clone()),
        }
    }
    assert!(missing.is_empty(), "POSTs without a constrained Idempotency-Key: {missing:?}");
}

#[test]
fn every_operation_has_a_summary() {
    let spec = serde_json::to_value(gonghui::app::openapi()).unwrap();
    let mut missing = Vec::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str())
                && op["summary"].as_str().is_none_or(str::is_empty)
            {
                missing.push(op["operationId"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    assert!(missing.is_empty(), "operations without a summary (add a doc comment): {missing:?}");
}
