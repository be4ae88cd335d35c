//! `PUT /integration/roster`: the HR roster sync of the integrated information system, over
//! real HTTP with an API client's token, against real PostgreSQL.

use crate::common;

use std::time::Instant;

use chrono::{Duration, NaiveDate};
use common::fixtures::{self, Org};
use common::{Res, TestApp};
use serde_json::{Value, json};

/// Registers an API client (as a system admin) and returns (row id, access token).
async fn client(app: &TestApp, scopes: &[&str]) -> (i64, String) {
    let admin = app.system_admin().await;
    let created = app
        .post("/api-clients")
        .token(&admin.token)
        .json(&json!({"name": "一体化平台", "scopes": scopes}))
        .send()
        .await
        .assert_ok(201);
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        created["client_id"].as_str().unwrap(),
        created["client_secret"].as_str().unwrap()
    );
    let token = app.post("/auth/token").raw("application/x-www-form-urlencoded", form).send().await.assert_ok(200);
    (created["id"].as_i64().unwrap(), token["access_token"].as_str().unwrap().to_owned())
}

async fn put(app: &TestApp, token: &str, query: &str, body: &Value) -> Res {
    app.request(reqwest::Method::PUT, &format!("/integration/roster{query}")).token(token).json(body).send().await
}

async fn put_csv(app: &TestApp, token: &str, query: &str, csv: &str) -> Res {
    app.request(reqwest::Method::PUT, &format!("/integration/roster{query}"))
        .token(token)
        .raw("text/csv", csv.to_owned())
        .send()
        .await
}

const SURNAMES: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙"];
const GIVEN: [&str; 10] = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋"];

/// Row `i` of a generated roster: unique birth dates (so unique valid ID cards), units A, B, A1.
fn generated(i: usize) -> Value {
    let birth = NaiveDate::from_ymd_opt(1966, 1, 1).unwrap() + Duration::days((i as i64 * 7) % 12_000);
    let female = i % 5 < 2;
    let birth_text = birth.format("%Y-%m-%d").to_string();
    let unit = ["A", "B", "A1"][i % 3];
    json!({
        "staff_no": format!("R{i:05}"),
        "name": format!("{}{}{}", SURNAMES[i % 12], GIVEN[(i / 12) % 10], GIVEN[(i / 120) % 10]),
        "gender": if female { "female" } else { "male" },
        "birth_date": birth_text,
        "unit": unit,
        "employment_type": if i % 5 == 4 { "contract" } else { "established" },
        "joined_on": (birth + Duration::days(365 * 25)).format("%Y-%m-%d").to_string(),
        "phone": format!("139{:08}", i),
        "id_card": fixtures::id_card(&birth_text, female, (i % 400) as u32),
    })
}

fn to_csv(rows: &[Value]) -> String {
    let cols = ["staff_no", "name", "gender", "birth_date", "unit", "employment_type", "joined_on", "phone", "id_card"];
    let mut out = cols.join(",") + "\n";
    for r in rows {
        let cells: Vec<&str> = cols.iter().map(|c| r[*c].as_str().unwrap_or("")).collect();
        out += &(cells.join(",") + "\n");
    }
    out
}

/// The fixture members as the HR system lists them (ID cards left out: the stored ones stay).
fn fixture_rows() -> Vec<Value> {
    let row = |staff_no: &str, name: &str, female: bool, birth: &str, unit: &str, employment: &str, phone: &str| {
        let b = NaiveDate::parse_from_str(birth, "%Y-%m-%d").unwrap();
        json!({
            "staff_no": staff_no, "name": name, "gender": if female { "女" } else { "男" }, "birth_date": birth,
            "unit": unit, "employment_type": employment,
            "joined_on": (b + Duration::days(365 * 24)).format("%Y-%m-%d").to_string(), "phone": phone,
        })
    };
    vec![
        row("A001", "张三", false, "1980-05-12", "A", "established", "13812341234"),
        row("A002", "李四", true, "1990-11-03", "A", "contract", "13912345678"),
        row("A101", "王五", false, "1975-05-20", "A1", "established", "13700000001"),
        row("B001", "赵六", true, "1985-02-14", "B", "established", "13600000002"),
        row("B002", "钱七", false, "1958-08-08", "B", "retired", "13500000003"),
    ]
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.scalar(&format!("SELECT count(*) AS id FROM {sql}")).await
}

fn counts(report: &Value) -> (i64, i64, i64, i64) {
    let n = |k: &str| report[k].as_i64().unwrap();
    (n("created"), n("updated"), n("unchanged"), n("rejected_rows"))
}

#[actix_web::test]
async fn a_5000_row_roster_synced_twice_changes_nothing_the_second_time() {
    let app = TestApp::spawn().await;
    let org: Org = fixtures::org(&app).await;
    let (client_id, token) = client(&app, &["roster:write"]).await;
    let rows: Vec<Value> = (0..5000).map(generated).collect();
    let body = Value::Array(rows.clone());

    let started = Instant::now();
    let first = put(&app, &token, "", &body).await.assert_ok(200);
    let first_took = started.elapsed();
    assert_eq!(counts(&first), (5000, 0, 0, 0), "{}", first["rejected"]);
    assert_eq!(first["total_rows"], 5000);
    assert!(first.get("missing").is_none(), "missing is reported for full rosters only");
    assert_eq!(count(&app, "members").await, 5005);
    assert_eq!(count(&app, "member_history WHERE event = 'joined'").await, 5005);
    let audit_rows = count(&app, &format!("audit_log WHERE actor_client_id = {client_id}")).await;
    assert_eq!(audit_rows, 5000);
    assert_eq!(
        count(
            &app,
            &format!(
                "audit_log WHERE actor_client_id = {client_id} AND action = 'member.create' AND actor_user_id IS NULL"
            )
        )
        .await,
        5000
    );
    // The stored data is what was sent: a sample member, read back through the API.
    let admin = app.union_admin().await;
    let page = app.get("/members?q=R01234").token(&admin.token).send().await.assert_ok(200);
    let m = &page["items"][0];
    let expected = generated(1234);
    for field in ["staff_no", "name", "gender", "birth_date", "employment_type", "joined_on"] {
        assert_eq!(m[field], expected[field], "{field}");
    }
    assert_eq!(m["unit_id"].as_i64().unwrap(), [org.a, org.b, org.a_group][1234 % 3]);
    assert_eq!(m["phone"], "139****1234");
    let id = m["id"].as_i64().unwrap();
    let full = app.get(&format!("/members/{id}")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(full["id_card"], expected["id_card"]);
    assert_eq!(
        count(&app, "members WHERE gender = 'female' AND staff_no LIKE 'R%'").await,
        rows.iter().filter(|r| r["gender"] == "female").count() as i64
    );

    // Second time: all unchanged, nothing written.
    let versions_before = app.scalar("SELECT sum(version)::bigint AS id FROM members").await;
    let started = Instant::now();
    let second = put(&app, &token, "?full=true", &body).await.assert_ok(200);
    let second_took = started.elapsed();
    assert_eq!(counts(&second), (0, 0, 5000, 0));
    assert_eq!(second["marked_left"], 0);
    // The fixture members are not in this roster: reported, untouched.
    assert_eq!(second["missing"], json!(["A001", "A002", "A101", "B001", "B002"]));
    assert_eq!(count(&app, "members WHERE status = 'active'").await, 5005);
    assert_eq!(count(&app, &format!("audit_log WHERE actor_client_id = {client_id}")).await, audit_rows);
    assert_eq!(app.scalar("SELECT sum(version)::bigint AS id FROM members").await, versions_before);
    assert_eq!(count(&app, "member_history").await, 5005);

    // The same roster as CSV: unchanged too.
    let csv = put_csv(&app, &token, "", &to_csv(&rows)).await.assert_ok(200);
    assert_eq!(counts(&csv), (0, 0, 5000, 0));
    assert_eq!(count(&app, &format!("audit_log WHERE actor_client_id = {client_id}")).await, audit_rows);
    eprintln!("roster of 5000 rows: first sync {first_took:?}, second {second_took:?}");
    assert!(first_took.as_secs() < 60 && second_took.as_secs() < 30, "{first_took:?} / {second_took:?}");
}

#[actix_web::test]
async fn a_csv_roster_creates_members_and_reports_spreadsheet_rows() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let (_, token) = client(&app, &["roster:write"]).await;
    let card = fixtures::id_card("1992-04-01", true, 7);
    let csv = format!(
        "工号,姓名,性别,出生日期,所属工会,用工类型,入会日期,手机号,身份证号\n\
         C001,孙丽,女,1992-04-01,B,非编,2016-09-01,13100000001,{card}\n\
         C002,周强,男,1988-13-01,B,在编,2012-09-01,,\n\
         C003,吴军,男,1985-01-01,B,在编,2012-09-01,,\n"
    );
    let report = put_csv(&app, &token, "", &csv).await.assert_ok(200);
    assert_eq!(counts(&report), (2, 0, 0, 1));
    assert_eq!(report["total_rows"], 3);
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!((rejected[0]["row"].as_i64(), rejected[0]["field"].as_str()), (Some(3), Some("birth_date")));
    assert_eq!(rejected[0]["code"], "invalid_date");
    assert!(!rejected[0]["message"].as_str().unwrap().is_empty());
    let unit: i64 = app.scalar("SELECT unit_id AS id FROM members WHERE staff_no = 'C001'").await;
    assert_eq!(unit, org.b);
    assert_eq!(
        count(&app, "members WHERE staff_no = 'C001' AND employment_type = 'contract' AND gender = 'female'").await,
        1
    );
    assert_eq!(count(&app, "members WHERE staff_no = 'C002'").await, 0);
}

#[actix_web::test]
async fn changed_rows_are_updated_a_unit_change_is_a_transfer_and_a_returning_member_rejoins() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let (client_id, token) = client(&app, &["roster:write"]).await;
    let admin = app.union_admin().await;

    // The fixtures as HR lists them: all unchanged.
    let same = put(&app, &token, "", &Value::Array(fixture_rows())).await.assert_ok(200);
    assert_eq!(counts(&same), (0, 0, 5, 0), "{same}");
    assert_eq!(count(&app, "audit_log WHERE actor_client_id IS NOT NULL").await, 0);

    // 钱七 left meanwhile; 张三 moved to B; 李四 has a new phone and is now established.
    app.post(&format!("/members/{}/leave", org.qian_qi))
        .token(&admin.token)
        .json(&json!({"reason": "退休离校"}))
        .send()
        .await
        .assert_ok(200);
    let mut rows = fixture_rows();
    rows[0]["unit"] = json!("B");
    rows[1]["phone"] = json!("13911112222");
    rows[1]["employment_type"] = json!("在编");
    let report = put(&app, &token, "", &Value::Array(rows.clone())).await.assert_ok(200);
    assert_eq!(counts(&report), (0, 3, 2, 0), "{report}");
    assert_eq!((report["transferred"].as_i64(), report["rejoined"].as_i64()), (Some(1), Some(1)));

    let zhang = app.get(&format!("/members/{}", org.zhang_san)).token(&admin.token).send().await.assert_ok(200);
    assert_eq!((zhang["unit_id"].as_i64(), zhang["version"].as_i64()), (Some(org.b), Some(2)));
    let history =
        app.get(&format!("/members/{}/history", org.zhang_san)).token(&admin.token).send().await.assert_ok(200);
    let last = history["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "transferred");
    assert_eq!((last["from_unit_id"].as_i64(), last["to_unit_id"].as_i64()), (Some(org.a), Some(org.b)));
    assert_eq!(last["reason"], "人事名册同步");

    let li = app.get(&format!("/members/{}", org.li_si)).token(&admin.token).send().await.assert_ok(200);
    assert_eq!((li["employment_type"].as_str(), li["unit_id"].as_i64()), (Some("established"), Some(org.a)));
    let phone: i64 = count(&app, &format!("members WHERE id = {} AND phone = '13911112222'", org.li_si)).await;
    assert_eq!(phone, 1);
    // The ID card was not in the roster: the stored one stays.
    assert_eq!(count(&app, "members WHERE id_card_hash IS NOT NULL").await, 5);

    let qian = app.get(&format!("/members/{}", org.qian_qi)).token(&admin.token).send().await.assert_ok(200);
    assert_eq!((qian["status"].as_str(), qian["left_on"].as_str()), (Some("active"), None));
    let events: Vec<String> =
        app.get(&format!("/members/{}/history", org.qian_qi)).token(&admin.token).send().await.assert_ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["event"].as_str().unwrap().to_owned())
            .collect();
    assert_eq!(events, ["joined", "left", "rejoined"]);

    // One audit row per changed member, by the client.
    let actions =
        |id: i64| format!("audit_log WHERE actor_client_id = {client_id} AND entity = 'member' AND entity_id = '{id}'");
    assert_eq!(count(&app, &format!("{} AND action = 'member.transfer'", actions(org.zhang_san))).await, 1);
    assert_eq!(count(&app, &format!("{} AND action = 'member.update'", actions(org.li_si))).await, 1);
    assert_eq!(count(&app, &format!("{} AND action = 'member.rejoin'", actions(org.qian_qi))).await, 1);
    assert_eq!(count(&app, &format!("audit_log WHERE actor_client_id = {client_id}")).await, 3);
    let snapshot = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE entity_id = '{}' AND action = 'member.update' \
             AND after->>'phone' = '139****2222' AND before->>'employment_type' = 'contract'",
            org.li_si
        ))
        .await;
    assert_eq!(snapshot, 1, "snapshots are masked and show the change");

    // Webhook events went to the outbox with the changes.
    let events = "webhook_events WHERE event_type IN ('member.transferred', 'member.updated', 'member.rejoined')";
    assert_eq!(count(&app, events).await, 3);
    let transferred = format!(
        "webhook_events WHERE event_type = 'member.transferred' AND (data->>'member_id')::bigint = {} \
         AND (data->>'from_unit_id')::bigint = {} AND (data->>'unit_id')::bigint = {}",
        org.zhang_san, org.a, org.b
    );
    assert_eq!(count(&app, &transferred).await, 1);

    // Re-sent: nothing more.
    let again = put(&app, &token, "", &Value::Array(rows)).await.assert_ok(200);
    assert_eq!(counts(&again), (0, 0, 5, 0));
    assert_eq!(count(&app, &format!("audit_log WHERE actor_client_id = {client_id}")).await, 3);
    assert_eq!(count(&app, events).await, 3);
}

#[actix_web::test]
async fn rejected_rows_are_reported_with_reasons_while_the_others_apply() {
    let app = TestApp::spawn().await;
    fixtures::org(&app).await;
    let (_, token) = client(&app, &["roster:write"]).await;
    // 张三's card (as the fixtures generate it) belongs to a member already.
    let taken_card = fixtures::id_card("1980-05-12", false, 4 + (b'A' as u32 + b'0' as u32 * 2 + b'1' as u32) % 400);
    let mut rows: Vec<Value> = (0..8).map(|i| generated(100 + i)).collect();
    rows[1]["birth_date"] = json!("1990-02-30");
    rows[2]["unit"] = json!("NOPE");
    rows[3]["id_card"] = json!("420111198001011230");
    rows[4]["id_card"] = json!(taken_card);
    rows[4]["birth_date"] = json!("1980-05-12");
    rows[4]["gender"] = json!("male");
    rows[5]["staff_no"] = rows[0]["staff_no"].clone();
    rows[6]["nickname"] = json!("老王");
    rows.push(json!("not a row"));
    let report = app
        .request(reqwest::Method::PUT, "/integration/roster")
        .token(&token)
        .header("accept-language", "en")
        .json(&Value::Array(rows))
        .send()
        .await
        .assert_ok(200);
    assert_eq!(counts(&report), (2, 0, 0, 7), "{report:#}");
    let rejected: Vec<(i64, String, String)> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), e["field"].as_str().unwrap().into(), e["code"].as_str().unwrap().into()))
        .collect();
    let expect = |row: i64, field: &str, code: &str| {
        assert!(rejected.contains(&(row, field.into(), code.into())), "row {row} {field} {code} in {rejected:?}")
    };
    expect(2, "birth_date", "invalid_date");
    expect(3, "unit", "unknown_unit");
    expect(4, "id_card", "invalid_id_card");
    expect(5, "id_card", "id_card_taken");
    expect(6, "staff_no", "duplicate_in_file");
    expect(7, "nickname", "unknown_field");
    expect(9, ".", "invalid_type");
    let rows_seen: Vec<i64> = rejected.iter().map(|r| r.0).collect();
    assert!(rows_seen.windows(2).all(|w| w[0] <= w[1]), "sorted by row: {rows_seen:?}");
    let unknown = report["rejected"].as_array().unwrap().iter().find(|e| e["code"] == "unknown_unit").unwrap();
    assert_eq!(unknown["message"], "unknown unit: NOPE");
    // Rows 1 and 8 were applied.
    assert_eq!(count(&app, "members WHERE staff_no IN ('R00100', 'R00107')").await, 2);
    assert_eq!(count(&app, "members WHERE staff_no LIKE 'R%'").await, 2);
}

#[actix_web::test]
async fn a_full_roster_reports_missing_members_and_marks_them_left_only_when_asked() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let (client_id, token) = client(&app, &["roster:write"]).await;
    let mut rows = fixture_rows();
    rows.truncate(2);
    // 王五's row is invalid but names him: he is not missing.
    let mut wang = fixture_rows()[2].clone();
    wang["joined_on"] = json!("not a date");
    rows.push(wang);
    let body = Value::Array(rows);

    let partial = put(&app, &token, "", &body).await.assert_ok(200);
    assert!(partial.get("missing").is_none());
    let report = put(&app, &token, "?full=true", &body).await.assert_ok(200);
    assert_eq!(report["missing"], json!(["B001", "B002"]));
    assert_eq!(report["marked_left"], 0);
    assert_eq!(count(&app, "members WHERE status = 'left'").await, 0);

    let refused = put(&app, &token, "?mark_missing_left=true", &body).await;
    let problem = refused.assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "mark_missing_left");

    let marked = put(&app, &token, "?full=true&mark_missing_left=true", &body).await.assert_ok(200);
    assert_eq!(marked["missing"], json!(["B001", "B002"]));
    assert_eq!(marked["marked_left"], 2);
    assert_eq!(
        count(
            &app,
            &format!(
                "members WHERE status = 'left' AND left_on IS NOT NULL AND id IN ({}, {})",
                org.zhao_liu, org.qian_qi
            )
        )
        .await,
        2
    );
    assert_eq!(count(&app, "members WHERE status = 'left'").await, 2);
    assert_eq!(count(&app, "member_history WHERE event = 'left'").await, 2);
    assert_eq!(
        count(&app, &format!("audit_log WHERE action = 'member.leave' AND actor_client_id = {client_id}")).await,
        2
    );
    assert_eq!(count(&app, "webhook_events WHERE event_type = 'member.left'").await, 2);

    // Again: nobody active is missing any more.
    let again = put(&app, &token, "?full=true&mark_missing_left=true", &body).await.assert_ok(200);
    assert_eq!((again["missing"].clone(), again["marked_left"].as_i64()), (json!([]), Some(0)));
    assert_eq!(count(&app, "member_history WHERE event = 'left'").await, 2);
}

#[actix_web::test]
async fn only_clients_with_roster_write_may_sync() {
    let app = TestApp::spawn().await;
    fixtures::org(&app).await;
    let body = Value::Array(vec![generated(1)]);
    let roster = app.request(reqwest::Method::PUT, "/integration/roster");
    roster.json(&body).send().await.assert_problem(401, "missing_token");

    let (_, reports) = client(&app, &["reports:read"]).await;
    put(&app, &reports, "", &body).await.assert_problem(403, "forbidden");
    // A client holding roster:write that asked for a token with reports:read only.
    let admin = app.system_admin().await;
    let both = app
        .post("/api-clients")
        .token(&admin.token)
        .json(&json!({"name": "dashboard", "scopes": ["reports:read", "roster:write"]}))
        .send()
        .await
        .assert_ok(201);
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope=reports:read",
        both["client_id"].as_str().unwrap(),
        both["client_secret"].as_str().unwrap()
    );
    let narrow = app.post("/auth/token").raw("application/x-www-form-urlencoded", form).send().await.assert_ok(200);
    put(&app, narrow["access_token"].as_str().unwrap(), "", &body).await.assert_problem(403, "forbidden");

    // No user role carries RosterWrite: not even union or system administrators.
    for user in [app.union_admin().await, admin.clone()] {
        put(&app, &user.token, "", &body).await.assert_problem(403, "forbidden");
    }

    // A revoked client's token stops working at once.
    let (id, writer) = client(&app, &["roster:write"]).await;
    put(&app, &writer, "", &body).await.assert_ok(200);
    app.post(&format!("/api-clients/{id}/revoke")).token(&admin.token).send().await.assert_ok(200);
    put(&app, &writer, "", &body).await.assert_problem(401, "invalid_token");
    assert_eq!(count(&app, "members WHERE staff_no LIKE 'R%'").await, 1);
}

#[actix_web::test]
async fn bodies_that_are_not_rosters() {
    let app = TestApp::spawn_with(&[("GONGHUI_IMPORT_LIMIT_BYTES", "4096")]).await;
    fixtures::org(&app).await;
    let (_, token) = client(&app, &["roster:write"]).await;
    let roster = || app.request(reqwest::Method::PUT, "/integration/roster").token(&token);

    let big = Value::Array((0..40).map(generated).collect());
    assert!(big.to_string().len() > 4096);
    roster().json(&big).send().await.assert_problem(413, "payload_too_large");
    roster().raw("text/plain", "staff_no\n").send().await.assert_problem(415, "unsupported_media_type");
    roster()
        .raw("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", vec![0u8; 10])
        .send()
        .await
        .assert_problem(415, "unsupported_media_type");
    roster().raw("application/json", "[{").send().await.assert_problem(400, "malformed_json");
    let empty = roster().json(&json!([])).send().await.assert_problem(422, "validation_failed");
    assert_eq!(empty["errors"][0]["code"], "empty_file");
    let object = roster().json(&json!({"rows": []})).send().await.assert_problem(422, "validation_failed");
    assert_eq!(object["errors"][0]["code"], "invalid_type");
    let no_unit = roster()
        .raw("text/csv", "工号,姓名,性别,出生日期,用工类型,入会日期\nX1,甲,男,1980-01-01,在编,2005-01-01\n")
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(
        (no_unit["errors"][0]["field"].as_str(), no_unit["errors"][0]["code"].as_str()),
        (Some("header"), Some("missing_column"))
    );
    let unknown_param = app
        .request(reqwest::Method::PUT, "/integration/roster?fulll=true")
        .token(&token)
        .json(&Value::Array(vec![generated(1)]))
        .send()
        .await;
    unknown_param.assert_problem(422, "validation_failed");
    assert_eq!(count(&app, "members").await, 5);
}
