//! The audit log: one row per mutation in the mutation's transaction (actor, action, entity,
//! snapshots, request id), none for a failed one, masked personal data only, the
//! append-only trigger, and `GET /audit-log` (auditor, system_admin) with its filters.

use crate::common;

use common::{TestApp, fixtures};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    json: String,
}

/// Audit rows matching a SQL condition, oldest first, as JSON objects.
async fn audit_rows(app: &TestApp, condition: &str) -> Vec<Value> {
    let mut conn = app.conn().await;
    let sql = format!("SELECT row_to_json(a)::text AS json FROM audit_log a WHERE {condition} ORDER BY id");
    let rows: Vec<JsonRow> = diesel::sql_query(&sql).load(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().map(|r| serde_json::from_str(&r.json).unwrap()).collect()
}

async fn audit_count(app: &TestApp) -> i64 {
    app.scalar("SELECT count(*) AS id FROM audit_log").await
}

fn new_member(staff_no: &str, unit_id: i64, id_card: &str) -> Value {
    json!({
        "staff_no": staff_no,
        "name": "孙八",
        "gender": "male",
        "birth_date": "1988-03-15",
        "unit_id": unit_id,
        "employment_type": "established",
        "joined_on": "2012-09-01",
        "phone": "13800138000",
        "id_card": id_card,
    })
}

#[actix_web::test]
async fn creating_a_unit_writes_one_row_with_actor_snapshot_and_request_id() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let before = audit_count(&app).await;
    let res = app
        .post("/units")
        .token(&admin.token)
        .header("x-request-id", "audit-unit-1")
        .json(&json!({"name": "化学学院工会", "code": "CHEM", "kind": "secondary", "parent_id": org.root}))
        .send()
        .await;
    let unit = res.assert_ok(201);
    let id = unit["id"].as_i64().unwrap();
    assert_eq!(audit_count(&app).await, before + 1);

    let rows = audit_rows(&app, "request_id = 'audit-unit-1'").await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["actor_user_id"], admin.id);
    assert_eq!(row["actor_label"], format!("user:{}:{}", admin.id, admin.username));
    assert_eq!(row["action"], "unit.create");
    assert_eq!(row["entity"], "unit");
    assert_eq!(row["entity_id"], id.to_string());
    assert_eq!(row["before"], Value::Null);
    assert_eq!(row["after"]["id"], id);
    assert_eq!(row["after"]["name"], "化学学院工会");
    assert_eq!(row["after"]["code"], "CHEM");
    assert_eq!(row["after"]["parent_id"], org.root);
    assert_eq!(row["after"]["version"], 1);
    assert!(row["at"].is_string());

    // Without a client id, the generated one (echoed in the response) is recorded.
    let res = app
        .patch(&format!("/units/{id}"))
        .token(&admin.token)
        .header("if-match", "\"v1\"")
        .json(&json!({"name": "化学与材料学院工会"}))
        .send()
        .await;
    res.assert_ok(200);
    let request_id = res.header("x-request-id").unwrap();
    let rows = audit_rows(&app, &format!("request_id = '{request_id}'")).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["action"], "unit.update");
    assert_eq!(rows[0]["before"]["name"], "化学学院工会");
    assert_eq!(rows[0]["after"]["name"], "化学与材料学院工会");
    assert_eq!(rows[0]["before"]["version"], 1);
    assert_eq!(rows[0]["after"]["version"], 2);
}

#[actix_web::test]
async fn member_create_and_transfer_are_audited() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let card = fixtures::id_card("1988-03-15", false, 77);
    let res = app
        .post("/members")
        .token(&admin.token)
        .header("x-request-id", "member-create-1")
        .json(&new_member("C001", org.b, &card))
        .send()
        .await;
    let member = res.assert_ok(201);
    let id = member["id"].as_i64().unwrap();
    let rows = audit_rows(&app, &format!("entity = 'member' AND entity_id = '{id}'")).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["action"], "member.create");
    assert_eq!(rows[0]["actor_user_id"], admin.id);
    assert_eq!(rows[0]["request_id"], "member-create-1");
    assert_eq!(rows[0]["after"]["staff_no"], "C001");
    assert_eq!(rows[0]["after"]["unit_id"], org.b);
    assert_eq!(rows[0]["before"], Value::Null);

    let res = app
        .post(&format!("/members/{}/transfer", org.zhang_san))
        .token(&admin.token)
        .header("x-request-id", "transfer-1")
        .json(&json!({"to_unit_id": org.b, "effective_on": "2025-03-01", "reason": "工作调动"}))
        .send()
        .await;
    assert_eq!(res.assert_ok(200)["unit_id"], org.b);
    let rows = audit_rows(&app, "request_id = 'transfer-1'").await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["action"], "member.transfer");
    assert_eq!(row["entity"], "member");
    assert_eq!(row["entity_id"], org.zhang_san.to_string());
    assert_eq!(row["actor_user_id"], admin.id);
    assert_eq!(row["before"]["unit_id"], org.a);
    assert_eq!(row["after"]["unit_id"], org.b);
    assert_eq!(row["before"]["version"], 1);
    assert_eq!(row["after"]["version"], 2);
    // The member's history row was written in the same transaction.
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM member_history WHERE member_id = {} AND event = 'transferred' AND actor_user_id = {}",
            org.zhang_san, admin.id
        ))
        .await,
        1
    );
}

#[actix_web::test]
async fn failed_mutations_write_nothing() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let before = audit_count(&app).await;
    let members_before = app.scalar("SELECT count(*) AS id FROM members").await;

    // Duplicate staff number: 409.
    let card = fixtures::id_card("1988-03-15", false, 91);
    app.post("/members")
        .token(&admin.token)
        .header("x-request-id", "dup-1")
        .json(&new_member("A001", org.a, &card))
        .send()
        .await
        .assert_problem(409, "staff_no_taken");
    // Duplicate ID card (the same number as a member created just now fails the second time).
    app.post("/members").token(&admin.token).json(&new_member("C100", org.a, &card)).send().await.assert_ok(201);
    let after_one = audit_count(&app).await;
    assert_eq!(after_one, before + 1);
    app.post("/members")
        .token(&admin.token)
        .json(&new_member("C101", org.a, &card))
        .send()
        .await
        .assert_problem(409, "id_card_taken");
    // Duplicate unit name under the same parent.
    app.post("/units")
        .token(&admin.token)
        .json(&json!({"name": "机电工程学院工会", "kind": "secondary", "parent_id": org.root}))
        .send()
        .await
        .assert_problem(409, "unit_name_taken");
    // Unknown unit: 422.
    let other_card = fixtures::id_card("1988-03-15", false, 55);
    let res = app.post("/members").token(&admin.token).json(&new_member("C102", 999_999, &other_card)).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["unit_id"]);
    // Stale If-Match on a transfer: 412.
    app.post(&format!("/members/{}/transfer", org.li_si))
        .token(&admin.token)
        .header("if-match", "\"v9\"")
        .json(&json!({"to_unit_id": org.b}))
        .send()
        .await
        .assert_problem(412, "stale_version");
    // Forbidden: an auditor may not create units.
    let auditor = app.with_role(Role::Auditor).await;
    app.post("/units")
        .token(&auditor.token)
        .json(&json!({"name": "审计造的", "kind": "secondary", "parent_id": org.root}))
        .send()
        .await
        .assert_problem(403, "forbidden");

    assert_eq!(audit_count(&app).await, after_one);
    assert_eq!(audit_rows(&app, "request_id = 'dup-1'").await.len(), 0);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM members").await, members_before + 1);
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM members WHERE id = {} AND unit_id = {}", org.li_si, org.a))
            .await,
        1
    );
}

#[actix_web::test]
async fn snapshots_hold_only_masked_id_cards_and_phones() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let card = fixtures::id_card("1988-03-15", false, 123);
    let masked = format!("{}***********{}", &card[..3], &card[14..]);
    let created = app.post("/members").token(&admin.token).json(&new_member("C200", org.b, &card)).send().await;
    let id = created.assert_ok(201)["id"].as_i64().unwrap();
    // The union admin may see the full number on the member itself…
    let full = app.get(&format!("/members/{id}")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(full["id_card"], card.as_str());
    // …but the audit row holds the masked form only.
    let rows = audit_rows(&app, &format!("action = 'member.create' AND entity_id = '{id}'")).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["after"]["id_card"], masked.as_str());
    assert_eq!(rows[0]["after"]["phone"], "138****8000");

    // A new ID card by update: neither the old nor the new number is in the before/after.
    let new_card = fixtures::id_card("1988-03-15", false, 321);
    assert_ne!(new_card, card);
    let res = app.patch(&format!("/members/{id}")).token(&admin.token).json(&json!({"id_card": new_card})).send().await;
    res.assert_ok(200);
    let rows = audit_rows(&app, &format!("action = 'member.update' AND entity_id = '{id}'")).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["before"]["id_card"], masked.as_str());
    assert_eq!(rows[0]["after"]["id_card"], format!("{}***********{}", &new_card[..3], &new_card[14..]));

    for number in [&card, &new_card] {
        let sql = format!(
            "SELECT count(*) AS id FROM audit_log \
             WHERE coalesce(before::text, '') || coalesce(after::text, '') LIKE '%{number}%'"
        );
        assert_eq!(app.scalar(&sql).await, 0, "{number}");
    }
    // No full ID-card or phone number anywhere in the log, fixtures included.
    assert!(app.scalar("SELECT count(*) AS id FROM audit_log WHERE after ? 'id_card'").await >= 6);
    assert_eq!(
        app.scalar(
            "SELECT count(*) AS id FROM audit_log \
             WHERE coalesce(before::text, '') || coalesce(after::text, '') ~ '[0-9]{17}[0-9X]'"
        )
        .await,
        0
    );
    assert_eq!(
        app.scalar(
            "SELECT count(*) AS id FROM audit_log \
             WHERE coalesce(before::text, '') || coalesce(after::text, '') ~ '1[3-9][0-9]{9}'"
        )
        .await,
        0
    );
    // Nor in what the audit log API returns.
    let auditor = app.with_role(Role::Auditor).await;
    let page = app.get("/audit-log?entity=member&per_page=100").token(&auditor.token).send().await;
    let text = page.text();
    assert_eq!(page.status, 200);
    assert!(!text.contains(&card) && !text.contains(&new_card), "{text}");
    assert!(text.contains(&masked));
}

#[actix_web::test]
async fn the_table_refuses_update_delete_and_truncate_even_by_sql() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let rows = audit_count(&app).await;
    assert!(rows >= 9, "the fixtures wrote rows");
    let mut conn = app.conn().await;
    for sql in [
        "UPDATE audit_log SET action = 'tampered'",
        "UPDATE audit_log SET after = NULL WHERE entity = 'member'",
        "DELETE FROM audit_log",
        &format!("DELETE FROM audit_log WHERE entity_id = '{}'", org.zhang_san),
        "TRUNCATE audit_log",
    ] {
        let err = diesel::sql_query(sql).execute(&mut conn).await.unwrap_err();
        match err {
            diesel::result::Error::DatabaseError(_, info) => {
                assert!(info.message().contains("audit_log is append-only"), "{sql}: {}", info.message());
            }
            other => panic!("{sql}: unexpected {other:?}"),
        }
    }
    assert_eq!(audit_count(&app).await, rows);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM audit_log WHERE action = 'tampered'").await, 0);
    // Appending is what the table is for.
    app.sql("INSERT INTO audit_log (actor_label, action, entity, entity_id) VALUES ('system:test', 'x.y', 'x', '1')")
        .await;
    assert_eq!(audit_count(&app).await, rows + 1);

    // Members are never deleted either.
    for sql in [format!("DELETE FROM members WHERE id = {}", org.qian_qi), "DELETE FROM members".to_owned()] {
        let err = diesel::sql_query(&sql).execute(&mut conn).await.unwrap_err();
        match err {
            diesel::result::Error::DatabaseError(_, info) => {
                assert!(info.message().contains("members are never deleted"), "{sql}: {}", info.message());
            }
            other => panic!("{sql}: unexpected {other:?}"),
        }
    }
    assert_eq!(app.scalar("SELECT count(*) AS id FROM members").await, 5);
}

#[actix_web::test]
async fn the_log_is_read_by_auditors_and_system_admins_with_filters() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let sysadmin = app.system_admin().await;
    let auditor = app.with_role(Role::Auditor).await;
    // 4 units and 5 members from the fixtures (a system actor), then three by HTTP.
    app.post("/units")
        .token(&admin.token)
        .json(&json!({"name": "化学学院工会", "kind": "secondary", "parent_id": org.root}))
        .send()
        .await
        .assert_ok(201);
    app.post(&format!("/members/{}/transfer", org.zhang_san))
        .token(&admin.token)
        .json(&json!({"to_unit_id": org.b}))
        .send()
        .await
        .assert_ok(200);
    app.post("/users")
        .token(&sysadmin.token)
        .json(&json!({"username": "newadmin", "display_name": "新管理员"}))
        .send()
        .await
        .assert_ok(201);
    // Three old rows with known times.
    for at in ["2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z", "2025-01-01T00:00:00Z"] {
        app.sql(&format!(
            "INSERT INTO audit_log (at, actor_label, action, entity, entity_id) VALUES ('{at}', 'system:old', 'old.thing', 'old', '{at}')"
        ))
        .await;
    }
    let total = audit_count(&app).await;
    assert_eq!(total, 4 + 5 + 3 + 3);

    for reader in [&auditor, &sysadmin] {
        let page = app.get("/audit-log").token(&reader.token).send().await.assert_ok(200);
        assert_eq!(page["total"], total);
        assert_eq!(page["page"], 1);
        assert_eq!(page["per_page"], 20);
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len() as i64, total);
        // Newest first: the old rows come last.
        assert_eq!(items[0]["action"], "user.create");
        assert_eq!(items[0]["actor_user_id"], sysadmin.id);
        assert_eq!(items[0]["after"]["username"], "newadmin");
        assert_eq!(items[items.len() - 1]["entity_id"], "2024-01-01T00:00:00Z");
        for item in items {
            for key in ["id", "at", "actor_label", "action", "entity", "entity_id"] {
                assert!(!item[key].is_null(), "{key} in {item}");
            }
        }
    }

    let get = |q: String| {
        let token = auditor.token.clone();
        let app = &app;
        async move { app.get(&format!("/audit-log{q}")).token(&token).send().await.assert_ok(200) }
    };
    let actions = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|i| i["action"].as_str().unwrap().to_owned()).collect()
    };

    // By actor.
    let page = get(format!("?actor={}", admin.id)).await;
    assert_eq!(page["total"], 2);
    assert_eq!(actions(&page), ["member.transfer", "unit.create"]);
    assert_eq!(get(format!("?actor={}", auditor.id)).await["total"], 0);
    // By entity and entity id.
    assert_eq!(get("?entity=member".into()).await["total"], 6);
    assert_eq!(get("?entity=unit".into()).await["total"], 5);
    let page = get(format!("?entity=member&entity_id={}", org.zhang_san)).await;
    assert_eq!(actions(&page), ["member.transfer", "member.create"]);
    assert_eq!(page["items"][0]["before"]["unit_id"], org.a);
    assert_eq!(page["items"][0]["after"]["unit_id"], org.b);
    assert_eq!(page["items"][1]["actor_user_id"], Value::Null);
    assert_eq!(page["items"][1]["actor_label"], "system:test");
    assert_eq!(page["items"][1]["before"], Value::Null);
    // By action.
    let page = get("?action=member.transfer".into()).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["entity_id"], org.zhang_san.to_string());
    assert_eq!(get("?action=member.delete".into()).await["total"], 0);
    // By time: `from` inclusive, `to` exclusive.
    let page = get("?from=2024-06-01T00:00:00Z&to=2025-01-01T00:00:00Z".into()).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["entity_id"], "2024-06-01T00:00:00Z");
    assert_eq!(get("?to=2024-06-01T00:00:00Z".into()).await["total"], 1);
    assert_eq!(get("?from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:01Z&action=old.thing".into()).await["total"], 3);
    assert_eq!(get("?from=2025-01-02T00:00:00Z".into()).await["total"], total - 3);
    assert_eq!(get("?from=2100-01-01T00:00:00%2B08:00".into()).await["total"], 0);
    // Filters combine.
    assert_eq!(get(format!("?actor={}&entity=unit", admin.id)).await["total"], 1);
    assert_eq!(get(format!("?actor={}&entity=user&action=unit.create", admin.id)).await["total"], 0);

    // Pagination: pages are disjoint slices of the same order.
    let all: Vec<i64> = get("?per_page=100".into()).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    let mut paged = Vec::new();
    for n in 1..=4 {
        let page = get(format!("?per_page=4&page={n}")).await;
        assert_eq!(page["total"], total);
        assert_eq!(page["page"], n);
        assert_eq!(page["per_page"], 4);
        paged.extend(page["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()));
    }
    assert_eq!(paged, all);
    assert_eq!(all.len() as i64, total);
    assert_eq!(get("?per_page=4&page=5".into()).await["items"], json!([]));
}

#[actix_web::test]
async fn bad_filters_are_422() {
    let app = TestApp::spawn().await;
    let auditor = app.with_role(Role::Auditor).await;
    for (q, field) in [
        ("from=not-a-date", "from"),
        ("to=2024-13-01T00:00:00Z", "to"),
        ("from=2024-01-01", "from"),
        ("actor=abc", "actor"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("page=-1", "page"),
    ] {
        let res = app.get(&format!("/audit-log?{q}")).token(&auditor.token).send().await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), [field], "{q}");
    }
    let long = "x".repeat(65);
    let res = app.get(&format!("/audit-log?entity={long}")).token(&auditor.token).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["entity"]);
    assert_eq!(res.json()["errors"][0]["code"], "length");
}

#[actix_web::test]
async fn only_auditors_and_system_admins_may_read_the_log() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    app.get("/audit-log").send().await.assert_problem(401, "missing_token");
    app.get("/audit-log").token("garbage").send().await.assert_problem(401, "invalid_token");
    for role in Role::ALL {
        let unit = role.is_unit_scoped().then_some(org.a);
        let user = app.user(&[(role, unit)]).await;
        let res = app.get("/audit-log").token(&user.token).send().await;
        if matches!(role, Role::Auditor | Role::SystemAdmin) {
            assert_eq!(res.assert_ok(200)["total"], 9, "{role:?}");
        } else {
            assert_eq!(res.status, 403, "{role:?}: {}", res.text());
            res.assert_problem(403, "forbidden");
        }
    }
    // A member-bound account without roles is a member: forbidden too.
    let bound = app.user(&[]).await;
    app.sql(&format!("UPDATE users SET member_id = {} WHERE id = {}", org.wang_wu, bound.id)).await;
    app.get("/audit-log").token(&bound.token).send().await.assert_problem(403, "forbidden");
}
