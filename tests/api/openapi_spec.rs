//! The checked-in spec equals what the code generates, every operation documents its
//! security and its error answers, and request schemas are as strict as the validators
//! (the gaps a fuzzer finds first: control characters, ids, rules between fields).

use serde_json::{Value, json};

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

/// Every (method, path, operation) of the spec.
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    out
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => resolve(spec, &spec["components"]["schemas"][name]),
        None => schema,
    }
}

fn types(schema: &Value) -> Vec<&str> {
    match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Calls `visit(path, schema)` for every schema a request may carry: JSON and form bodies and
/// query parameters, through references, properties, items and the alternatives of a
/// nullable reference. (The rules between fields, inline `oneOf`/`anyOf` branches, only
/// narrow what the properties say and are not walked.)
fn request_schemas(spec: &Value, mut visit: impl FnMut(&str, &Value)) {
    fn walk(spec: &Value, schema: &Value, path: String, seen: &mut Vec<String>, visit: &mut dyn FnMut(&str, &Value)) {
        if let Some(name) = schema["$ref"].as_str() {
            if seen.iter().any(|s| s == name) {
                return;
            }
            seen.push(name.to_owned());
            walk(spec, resolve(spec, schema), path, seen, visit);
            seen.pop();
            return;
        }
        visit(&path, schema);
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            walk(spec, property, format!("{path}.{name}"), seen, visit);
        }
        if schema["items"].is_object() {
            walk(spec, &schema["items"], format!("{path}[]"), seen, visit);
        }
        if schema["additionalProperties"].is_object() {
            walk(spec, &schema["additionalProperties"], format!("{path}.*"), seen, visit);
        }
        for alternative in schema["oneOf"].as_array().into_iter().flatten() {
            if alternative["$ref"].is_string() || alternative["type"] == "null" {
                walk(spec, alternative, path.clone(), seen, visit);
            }
        }
    }
    for (method, path, op) in operations(spec) {
        for (media, content) in op["requestBody"]["content"].as_object().into_iter().flatten() {
            if media == "application/json" || media == "application/x-www-form-urlencoded" {
                walk(spec, &content["schema"], format!("{method} {path} body"), &mut Vec::new(), &mut visit);
            }
        }
        for param in op["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "query") {
            let at = format!("{method} {path} ?{}", param["name"].as_str().unwrap());
            walk(spec, &param["schema"], at, &mut Vec::new(), &mut visit);
        }
    }
}

#[test]
fn errors_are_problem_json_and_every_operation_lists_what_its_extractors_answer() {
    let spec = serde_json::to_value(gonghui::app::openapi()).unwrap();
    let mut gaps = Vec::new();
    for (method, path, op) in operations(&spec) {
        let responses = op["responses"].as_object().unwrap();
        for (status, response) in responses {
            for (media, content) in response["content"].as_object().into_iter().flatten() {
                let problem = content["schema"]["$ref"] == "#/components/schemas/Problem";
                if problem != (media == "application/problem+json") {
                    gaps.push(format!("{method} {path} {status}: Problem as {media}"));
                }
            }
        }
        let params: Vec<&Value> = op["parameters"].as_array().into_iter().flatten().collect();
        let mut expected = Vec::new();
        if op["requestBody"].is_object() {
            expected.extend(["400", "413", "415", "422"]);
        }
        if params.iter().any(|p| p["in"] == "query") {
            expected.push("422");
        }
        if params.iter().any(|p| p["name"] == "Idempotency-Key") {
            expected.extend(["400", "409", "422"]);
        }
        if params.iter().any(|p| p["name"] == "If-Match") {
            expected.push("412");
        }
        for status in expected.into_iter().filter(|s| !responses.contains_key(*s)) {
            gaps.push(format!("{method} {path}: no {status}"));
        }
    }
    assert!(gaps.is_empty(), "{gaps:#?}");
}

#[test]
fn request_strings_say_which_characters_they_refuse() {
    // `http::extract` refuses control characters in every JSON string, query string and form:
    // a string without `format`, `enum` or `pattern` would let a client (or a fuzzer) send one.
    let spec = serde_json::to_value(gonghui::app::openapi()).unwrap();
    let mut open = Vec::new();
    request_schemas(&spec, |at, schema| {
        let constrained = ["format", "enum", "const", "pattern"].iter().any(|k| schema.get(*k).is_some());
        if types(schema).contains(&"string") && !constrained {
            open.push(at.to_owned());
        }
    });
    assert!(open.is_empty(), "request strings with no pattern (see http::spec::text): {open:#?}");
    let text = serde_json::to_string(&spec).unwrap();
    assert!(!text.contains("\"x-text\""), "an `x-text` marker with an unknown rule is left in the spec");
}

#[test]
fn every_pattern_is_a_regex_both_dialects_read() {
    // JSON Schema patterns are ECMA-262; fuzzers read them with Python's `re`. The patterns
    // here use the common subset (classes, `\uXXXX`, groups, anchors), which Rust's regex reads too.
    fn walk(value: &Value, at: &str, bad: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(p)) = map.get("pattern")
                    && let Err(e) = regex::Regex::new(p)
                {
                    bad.push(format!("{at}: {e}"));
                }
                for (k, v) in map {
                    walk(v, &format!("{at}/{k}"), bad);
                }
            }
            Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| walk(v, &format!("{at}/{i}"), bad)),
            _ => {}
        }
    }
    let spec = serde_json::to_value(gonghui::app::openapi()).unwrap();
    let mut bad = Vec::new();
    walk(&spec, "", &mut bad);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn ids_in_requests_are_positive() {
    // Every id the service issues is at least 1; a request id without `minimum` makes fuzzers
    // send 0 and -1 as if they were valid.
    let spec = serde_json::to_value(gonghui::app::openapi()).unwrap();
    let mut open = Vec::new();
    request_schemas(&spec, |at, schema| {
        let name = at.rsplit(['.', '?']).next().unwrap_or_default();
        let id = name == "id" || name.ends_with("_id");
        if id && types(schema).contains(&"integer") && schema["minimum"].as_i64().is_none_or(|m| m < 1) {
            open.push(at.to_owned());
        }
    });
    assert!(open.is_empty(), "ids without `minimum: 1`: {open:#?}");
}

#[test]
fn rules_between_fields_are_in_the_spec() {
    // `http::spec::rules`: what the validators check across fields.
    let spec = serde_json::to_value(gonghui::app::openapi()).unwrap();
    let schemas = &spec["components"]["schemas"];
    let expected = [
        ("GrantInput", "oneOf"),
        ("UpdateUser", "not"),
        ("ClientTokenRequest", "propertyNames"),
        ("WechatBindRequest", "oneOf"),
        ("CreateUnit", "oneOf"),
        ("CreateDues", "anyOf"),
        ("CheckInRequest", "oneOf"),
    ];
    for (name, keyword) in expected {
        assert!(schemas[name][keyword].is_object() || schemas[name][keyword].is_array(), "{name} has no {keyword}");
    }
    // The proofs of a WeChat binding: exactly one, and `null` counts as absent.
    let proofs = schemas["WechatBindRequest"]["oneOf"].as_array().unwrap();
    assert_eq!(proofs.len(), 3);
    assert_eq!(proofs[2]["required"], json!(["staff_no", "name", "id_card_last6"]));
    assert_eq!(proofs[2]["properties"]["phone_code"]["type"], "null");
}

/// Exported workbooks are documented as what they are: a binary string, never an array of
/// integers (what `Vec<u8>` would say).
#[test]
fn xlsx_answers_are_binary_strings() {
    let spec = serde_json::to_value(gonghui::app::openapi()).unwrap();
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let mut seen = 0;
    for (method, path, op) in operations(&spec) {
        for (status, response) in op["responses"].as_object().unwrap() {
            let Some(content) = response["content"].get(xlsx) else { continue };
            seen += 1;
            let schema = resolve(&spec, &content["schema"]);
            assert_eq!(
                (types(schema), schema["format"].as_str()),
                (vec!["string"], Some("binary")),
                "{method} {path} {status}: {schema}"
            );
            assert_eq!(schema["contentMediaType"], xlsx, "{method} {path} {status}");
        }
    }
    assert!(seen >= 9, "only {seen} XLSX answers");
}

/// `If-Match` is declared exactly on the operations whose handler takes the `IfMatch`
/// extractor (read from the source: annotation and signature of every handler), and the
/// spec describes it.
#[test]
fn if_match_is_declared_exactly_where_a_handler_honours_it() {
    let mut stack = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    let mut mismatched = Vec::new();
    let mut honoured = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for chunk in text.split("#[utoipa::path(").skip(1) {
                let Some((annotation, rest)) = chunk.split_once("\n)]\n") else { continue };
                let signature = rest.split(") -> ").next().unwrap_or_default();
                let name = signature.split("fn ").nth(1).and_then(|s| s.split('(').next()).unwrap_or("?");
                let takes = signature.contains("IfMatch");
                let declares = annotation.contains("\"If-Match\"");
                honoured += usize::from(takes);
                if takes != declares {
                    mismatched
                        .push(format!("{}: {name} takes IfMatch: {takes}, declares it: {declares}", path.display()));
                }
            }
        }
    }
    assert!(mismatched.is_empty(), "{mismatched:#?}");
    assert!(honoured >= 15, "only {honoured} handlers honour If-Match");
    let spec = serde_json::to_value(gonghui::app::openapi()).unwrap();
    let declared: Vec<Value> = operations(&spec)
        .into_iter()
        .flat_map(|(_, _, op)| op["parameters"].as_array().cloned().unwrap_or_default())
        .filter(|p| p["name"] == "If-Match")
        .collect();
    assert_eq!(declared.len(), honoured);
    for p in declared {
        assert!(p["in"] == "header" && p["description"].as_str().is_some_and(|d| d.contains("412")), "{p}");
    }
}

/// The proposal category is an enum in the spec, and the request types read exactly that enum.
#[test]
fn the_proposal_category_is_an_enum() {
    let spec = serde_json::to_value(gonghui::app::openapi()).unwrap();
    let codes: Vec<&str> = gonghui::democracy::types::ProposalCategory::all().iter().map(|c| c.as_str()).collect();
    let schema = &spec["components"]["schemas"]["ProposalCategory"];
    let listed: Vec<&str> = schema["enum"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(listed, codes);
    for name in ["CreateProposal", "UpdateProposal"] {
        let category = &spec["components"]["schemas"][name]["properties"]["category"];
        assert!(category.to_string().contains("#/components/schemas/ProposalCategory"), "{name}: {category}");
    }
    for path in ["/api/v1/proposals", "/api/v1/proposals/public"] {
        let params = spec["paths"][path]["get"]["parameters"].as_array().unwrap();
        let category = params.iter().find(|p| p["name"] == "category").unwrap();
        assert!(category.to_string().contains("#/components/schemas/ProposalCategory"), "{path}: {category}");
    }
}
