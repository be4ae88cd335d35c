//! `/honors` and `/dues`: filters, pagination, scope, uniqueness, validation, audit, the
//! model-worker flag on members, dues computed from the base salary, and who may do what.

use crate::common;

use common::fixtures::{self, Org};
use common::{Res, TestApp, TestUser};
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

fn honor(member_id: i64, title: &str, category: &str, level: &str, year: i32) -> Value {
    json!({"member_id": member_id, "title": title, "category": category, "level": level, "year": year, "issuer": "湖北省总工会"})
}

async fn create_honor(app: &TestApp, user: &TestUser, body: &Value) -> i64 {
    app.post("/honors").token(&user.token).json(body).send().await.assert_ok(201)["id"].as_i64().unwrap()
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

async fn list(app: &TestApp, user: &TestUser, path: &str) -> Value {
    app.get(path).token(&user.token).send().await.assert_ok(200)
}

#[track_caller]
fn assert_invalid(res: &Res, field: &str, code: &str) {
    let body = res.assert_problem(422, "validation_failed");
    let errors: Vec<(String, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(errors, [(field.to_owned(), code.to_owned())], "{body}");
}

/// Four honors: 张三 provincial advanced worker 2023, 王五 (A's group) school activist 2022,
/// 赵六 (B) provincial May-Day medal 2023, 李四 school excellent woman 2023.
async fn four_honors(app: &TestApp, admin: &TestUser, org: &Org) -> [i64; 4] {
    [
        create_honor(app, admin, &honor(org.zhang_san, "湖北省先进工作者", "advanced_worker", "provincial", 2023))
            .await,
        create_honor(app, admin, &honor(org.wang_wu, "校优秀工会积极分子", "union_activist", "school", 2022)).await,
        create_honor(app, admin, &honor(org.zhao_liu, "湖北省五一劳动奖章", "may_day_medal", "provincial", 2023)).await,
        create_honor(app, admin, &honor(org.li_si, "校优秀女职工", "excellent_woman", "school", 2023)).await,
    ]
}

#[actix_web::test]
async fn honors_are_created_read_and_listed_with_filters() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;

    let body = honor(org.zhang_san, "湖北省先进工作者", "advanced_worker", "provincial", 2023);
    let res = app.post("/honors").token(&admin.token).json(&body).send().await;
    let created = res.assert_ok(201);
    let id = created["id"].as_i64().unwrap();
    assert_eq!(res.header("location"), Some(format!("/api/v1/honors/{id}")));
    assert_eq!(created["member_id"], org.zhang_san);
    assert_eq!(created["member_name"], "张三");
    assert_eq!(created["unit_id"], org.a);
    assert_eq!(created["title"], "湖北省先进工作者");
    assert_eq!(created["category"], "advanced_worker");
    assert_eq!(created["level"], "provincial");
    assert_eq!(created["year"], 2023);
    assert_eq!(created["issuer"], "湖北省总工会");
    let fetched = list(&app, &admin, &format!("/honors/{id}")).await;
    assert_eq!(fetched, created);
    app.get("/honors/999999").token(&admin.token).send().await.assert_problem(404, "not_found");

    let audit = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'honor.create' AND entity = 'honor' \
             AND entity_id = '{id}' AND before IS NULL AND after->>'title' = '湖北省先进工作者' AND actor_user_id = {}",
            admin.id
        ))
        .await;
    assert_eq!(audit, 1);

    let others = [
        create_honor(&app, &admin, &honor(org.wang_wu, "校优秀工会积极分子", "union_activist", "school", 2022)).await,
        create_honor(&app, &admin, &honor(org.zhao_liu, "湖北省五一劳动奖章", "may_day_medal", "provincial", 2023))
            .await,
        create_honor(&app, &admin, &honor(org.li_si, "校优秀女职工", "excellent_woman", "school", 2023)).await,
    ];
    let [h1, h2, h3, h4] = [id, others[0], others[1], others[2]];

    // Newest year first, then newest record.
    let all = list(&app, &admin, "/honors").await;
    assert_eq!(all["total"], 4);
    assert_eq!(ids(&all), [h4, h3, h1, h2]);
    assert_eq!((all["page"].as_i64(), all["per_page"].as_i64()), (Some(1), Some(20)));

    let cases: Vec<(String, Vec<i64>)> = vec![
        (format!("member_id={}", org.zhang_san), vec![h1]),
        (format!("member_id={}", org.qian_qi), vec![]),
        (format!("unit_id={}", org.a), vec![h4, h1, h2]),
        (format!("unit_id={}", org.a_group), vec![h2]),
        (format!("unit_id={}", org.b), vec![h3]),
        (format!("unit_id={}", org.root), vec![h4, h3, h1, h2]),
        ("level=provincial".into(), vec![h3, h1]),
        ("level=school".into(), vec![h4, h2]),
        ("level=national".into(), vec![]),
        ("category=may_day_medal".into(), vec![h3]),
        ("year=2022".into(), vec![h2]),
        ("year=2023&level=school".into(), vec![h4]),
        (format!("unit_id={}&level=provincial", org.a), vec![h1]),
    ];
    for (query, expected) in cases {
        let page = list(&app, &admin, &format!("/honors?{query}")).await;
        assert_eq!(ids(&page), expected, "{query}");
        assert_eq!(page["total"], expected.len(), "{query}");
    }

    let page = list(&app, &admin, "/honors?per_page=2&page=2").await;
    assert_eq!(ids(&page), [h1, h2]);
    assert_eq!((page["total"].as_i64(), page["page"].as_i64(), page["per_page"].as_i64()), (Some(4), Some(2), Some(2)));
    let page = list(&app, &admin, "/honors?per_page=2&page=3").await;
    assert_eq!(ids(&page), Vec::<i64>::new());
    assert_eq!(page["total"], 4);

    app.get("/honors?unit_id=999999").token(&admin.token).send().await.assert_problem(404, "not_found");
    let res = app.get("/honors?level=county").token(&admin.token).send().await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["field"], "level");
    assert_invalid(&app.get("/honors?year=1800").token(&admin.token).send().await, "year", "range");
    assert_invalid(&app.get("/honors?per_page=101").token(&admin.token).send().await, "per_page", "range");
}

#[actix_web::test]
async fn honor_uniqueness_scope_and_validation() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let body = honor(org.zhang_san, "湖北省五一劳动奖章", "may_day_medal", "provincial", 2023);
    create_honor(&app, &admin, &body).await;
    app.post("/honors").token(&admin.token).json(&body).send().await.assert_problem(409, "honor_exists");
    let en = app.post("/honors").token(&admin.token).header("accept-language", "en").json(&body).send().await;
    assert_eq!(en.assert_problem(409, "honor_exists")["detail"], "The member already has this honor for that year.");
    // The same title another year, or another title the same year, is a new honor.
    create_honor(&app, &admin, &honor(org.zhang_san, "湖北省五一劳动奖章", "may_day_medal", "provincial", 2024)).await;
    create_honor(&app, &admin, &honor(org.zhang_san, "校师德标兵", "ethics_model", "school", 2023)).await;
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM honors WHERE member_id = {}", org.zhang_san)).await, 3);

    // A unit admin of A records honors in A's subtree only; outside it the member "does not exist".
    let unit_admin = app.unit_admin(org.a).await;
    create_honor(&app, &unit_admin, &honor(org.wang_wu, "优秀工会干部", "union_cadre", "school", 2023)).await;
    let res = app
        .post("/honors")
        .token(&unit_admin.token)
        .json(&honor(org.zhao_liu, "优秀工会干部", "union_cadre", "school", 2023))
        .send()
        .await;
    assert_invalid(&res, "member_id", "unknown_member");
    assert_eq!(res.json()["errors"][0]["message"], format!("会员不存在：{}", org.zhao_liu));
    let res = app.post("/honors").token(&admin.token).json(&honor(999_999, "x", "other", "school", 2023)).send().await;
    assert_invalid(&res, "member_id", "unknown_member");

    // Field validation.
    let bad = |patch: Value| {
        let mut body = honor(org.li_si, "优秀女职工", "excellent_woman", "school", 2023);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (json!({"year": 1800}), "year", "range"),
        (json!({"year": 2101}), "year", "range"),
        (json!({"title": ""}), "title", "length"),
        (json!({"title": "x".repeat(101)}), "title", "length"),
        (json!({"title": " 前后空格 "}), "title", "invalid_format"),
        (json!({"issuer": ""}), "issuer", "length"),
        (json!({"level": "county"}), "level", "invalid_choice"),
        (json!({"category": "hero"}), "category", "invalid_choice"),
        (json!({"member_id": 0}), "member_id", "range"),
        (json!({"member_id": "x"}), "member_id", "invalid_type"),
        (json!({"extra": 1}), "extra", "unknown_field"),
    ];
    for (patch, field, code) in cases {
        let res = app.post("/honors").token(&admin.token).json(&bad(patch.clone())).send().await;
        assert_invalid(&res, field, code);
    }
    let mut missing = bad(json!({}));
    missing.as_object_mut().unwrap().remove("year");
    assert_invalid(&app.post("/honors").token(&admin.token).json(&missing).send().await, "year", "required");
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM honors WHERE member_id = {}", org.li_si)).await, 0);
}

#[actix_web::test]
async fn deleting_an_honor_keeps_it_in_the_audit_log() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let [h1, _, h3, _] = four_honors(&app, &admin, &org).await;
    let before = list(&app, &admin, &format!("/honors/{h1}")).await;

    // A unit admin of A cannot see, and so cannot delete, B's honor.
    let unit_admin = app.unit_admin(org.a).await;
    app.delete(&format!("/honors/{h3}")).token(&unit_admin.token).send().await.assert_problem(404, "not_found");
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM honors WHERE id = {h3}")).await, 1);

    let res = app.delete(&format!("/honors/{h1}")).token(&unit_admin.token).send().await;
    assert_eq!(res.status, 204);
    assert!(res.body.is_empty());
    app.get(&format!("/honors/{h1}")).token(&admin.token).send().await.assert_problem(404, "not_found");
    app.delete(&format!("/honors/{h1}")).token(&admin.token).send().await.assert_problem(404, "not_found");
    assert_eq!(list(&app, &admin, "/honors").await["total"], 3);

    #[derive(diesel::QueryableByName)]
    struct AuditRow {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Jsonb>)]
        before: Option<Value>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Jsonb>)]
        after: Option<Value>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
        actor_user_id: Option<i64>,
    }
    use diesel_async::RunQueryDsl;
    let rows: Vec<AuditRow> = diesel::sql_query(format!(
        "SELECT before, after, actor_user_id FROM audit_log WHERE action = 'honor.delete' AND entity = 'honor' AND entity_id = '{h1}'"
    ))
    .load(&mut app.conn().await)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].before.as_ref(), Some(&before), "the snapshot is the honor as it was");
    assert_eq!(rows[0].after, None);
    assert_eq!(rows[0].actor_user_id, Some(unit_admin.id));
}

#[actix_web::test]
async fn provincial_model_and_advanced_workers_are_model_workers() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let flag = |id: i64| {
        let (app, admin) = (&app, &admin);
        async move { list(app, admin, &format!("/members/{id}")).await["is_model_worker"].clone() }
    };
    for id in [org.zhang_san, org.li_si, org.wang_wu, org.zhao_liu] {
        assert_eq!(flag(id).await, false);
    }

    let advanced =
        create_honor(&app, &admin, &honor(org.zhang_san, "湖北省先进工作者", "advanced_worker", "provincial", 2023))
            .await;
    create_honor(&app, &admin, &honor(org.zhao_liu, "全国劳动模范", "model_worker", "national", 2020)).await;
    create_honor(&app, &admin, &honor(org.wang_wu, "湖北省劳动模范", "model_worker", "provincial", 2021)).await;
    // School or city level titles, and other categories at provincial level, do not count.
    create_honor(&app, &admin, &honor(org.li_si, "校劳动模范", "model_worker", "school", 2023)).await;
    create_honor(&app, &admin, &honor(org.li_si, "市先进工作者", "advanced_worker", "city", 2023)).await;
    create_honor(&app, &admin, &honor(org.li_si, "湖北省五一劳动奖章", "may_day_medal", "provincial", 2023)).await;

    assert_eq!(flag(org.zhang_san).await, true);
    assert_eq!(flag(org.zhao_liu).await, true);
    assert_eq!(flag(org.wang_wu).await, true);
    assert_eq!(flag(org.li_si).await, false);

    let page = list(&app, &admin, "/members?is_model_worker=true&sort=staff_no").await;
    let staff: Vec<&str> = page["items"].as_array().unwrap().iter().map(|m| m["staff_no"].as_str().unwrap()).collect();
    assert_eq!(staff, ["A001", "A101", "B001"]);
    assert_eq!(list(&app, &admin, "/members?is_model_worker=false").await["total"], 2);

    // Deleting the title clears the flag.
    let res = app.delete(&format!("/honors/{advanced}")).token(&admin.token).send().await;
    assert_eq!(res.status, 204);
    assert_eq!(flag(org.zhang_san).await, false);
}

fn dues(member_id: i64, period: &str) -> Value {
    json!({"member_id": member_id, "period": period, "paid_on": "2023-03-10"})
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

async fn create_dues(app: &TestApp, user: &TestUser, body: &Value) -> Value {
    app.post("/dues").token(&user.token).json(body).send().await.assert_ok(201)
}

#[actix_web::test]
async fn dues_are_recorded_by_amount_or_computed_from_base_salary() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;

    let given = create_dues(&app, &admin, &with(dues(org.zhang_san, "2023-03"), "amount_fen", json!(4000))).await;
    assert_eq!(given["member_id"], org.zhang_san);
    assert_eq!(given["member_name"], "张三");
    assert_eq!(given["unit_id"], org.a);
    assert_eq!(given["period"], "2023-03");
    assert_eq!(given["amount_fen"], 4000);
    assert_eq!(given["base_salary_fen"], Value::Null);
    assert_eq!(given["rate_bp"], Value::Null);
    assert_eq!(given["paid_on"], "2023-03-10");

    let computed =
        create_dues(&app, &admin, &with(dues(org.li_si, "2023-03"), "base_salary_fen", json!(850_000))).await;
    assert_eq!(computed["amount_fen"], 4250);
    assert_eq!(computed["rate_bp"], 50);
    assert_eq!(computed["base_salary_fen"], 850_000);
    // Rounded half up to the fen: 8,501.00 元 × 0.5% = 42.505 元.
    let rounded = create_dues(&app, &admin, &with(dues(org.li_si, "2023-04"), "base_salary_fen", json!(850_100))).await;
    assert_eq!(rounded["amount_fen"], 4251);
    // Both given: the amount stands and no rate is claimed.
    let both = with(with(dues(org.wang_wu, "2023-03"), "amount_fen", json!(1000)), "base_salary_fen", json!(850_000));
    let both = create_dues(&app, &admin, &both).await;
    assert_eq!((both["amount_fen"].as_i64(), both["rate_bp"].as_i64()), (Some(1000), None));

    let id = computed["id"].as_i64().unwrap();
    let audit = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'dues.create' AND entity = 'dues' AND entity_id = '{id}' \
             AND (after->>'amount_fen')::int = 4250 AND actor_user_id = {}",
            admin.id
        ))
        .await;
    assert_eq!(audit, 1);
    assert_eq!(app.scalar(&format!("SELECT created_by AS id FROM dues WHERE id = {id}")).await, admin.id);

    // Validation.
    let res = app.post("/dues").token(&admin.token).json(&dues(org.zhang_san, "2023-05")).send().await;
    assert_invalid(&res, "amount_fen", "required");
    assert_eq!(res.json()["errors"][0]["message"], "必填");
    let res = app
        .post("/dues")
        .token(&admin.token)
        .json(&with(dues(org.zhang_san, "2023-13"), "amount_fen", json!(1)))
        .send()
        .await;
    assert_invalid(&res, "period", "invalid_month");
    assert_eq!(res.json()["errors"][0]["message"], "月份无效，应为 YYYY-MM");
    for period in ["2023-3", "2023-00", "23-03", "2023/03", ""] {
        let res = app
            .post("/dues")
            .token(&admin.token)
            .json(&with(dues(org.zhang_san, period), "amount_fen", json!(1)))
            .send()
            .await;
        assert_invalid(&res, "period", "invalid_month");
    }
    let res = app
        .post("/dues")
        .token(&admin.token)
        .json(&with(dues(org.zhang_san, "2023-05"), "amount_fen", json!(-1)))
        .send()
        .await;
    assert_invalid(&res, "amount_fen", "range");
    let res = app
        .post("/dues")
        .token(&admin.token)
        .json(&with(dues(org.zhang_san, "2023-05"), "base_salary_fen", json!(-5)))
        .send()
        .await;
    assert_invalid(&res, "base_salary_fen", "range");
    let res = app
        .post("/dues")
        .token(&admin.token)
        .json(&with(dues(org.zhang_san, "2023-05"), "amount_fen", json!(1.5)))
        .send()
        .await;
    assert_invalid(&res, "amount_fen", "invalid_type");
    let res = app
        .post("/dues")
        .token(&admin.token)
        .json(&with(dues(999_999, "2023-05"), "amount_fen", json!(1)))
        .send()
        .await;
    assert_invalid(&res, "member_id", "unknown_member");

    // One record per member and month.
    let res = app
        .post("/dues")
        .token(&admin.token)
        .json(&with(dues(org.zhang_san, "2023-03"), "amount_fen", json!(4000)))
        .send()
        .await;
    res.assert_problem(409, "dues_already_recorded");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM dues").await, 4);
}

#[actix_web::test]
async fn a_retried_dues_post_with_the_same_idempotency_key_records_once() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let body = with(dues(org.zhang_san, "2023-09"), "base_salary_fen", json!(1_000_000));
    let send = |body: Value| {
        let (app, admin) = (&app, &admin);
        async move {
            app.post("/dues")
                .token(&admin.token)
                .header("idempotency-key", "dues-2023-09-A001")
                .json(&body)
                .send()
                .await
        }
    };
    let first = send(body.clone()).await;
    let created = first.assert_ok(201);
    assert_eq!(created["amount_fen"], 5000);
    let replay = send(body.clone()).await;
    assert_eq!(replay.assert_ok(201), created);
    assert_eq!(replay.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(app.scalar("SELECT count(*) AS id FROM dues").await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM audit_log WHERE action = 'dues.create'").await, 1);
    // The same key for another body is refused.
    send(with(body, "period", json!("2023-10"))).await.assert_problem(422, "idempotency_key_reused");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM dues").await, 1);
}

#[actix_web::test]
async fn dues_list_filters_and_pages() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let mut made = std::collections::HashMap::new();
    for (member, period) in [
        (org.zhang_san, "2023-01"),
        (org.zhang_san, "2023-02"),
        (org.zhang_san, "2023-03"),
        (org.wang_wu, "2023-02"),
        (org.zhao_liu, "2023-02"),
        (org.zhao_liu, "2022-12"),
    ] {
        let d = create_dues(&app, &admin, &with(dues(member, period), "amount_fen", json!(3000))).await;
        made.insert((member, period), d["id"].as_i64().unwrap());
    }
    let id = |member: i64, period: &str| made[&(member, period)];

    // Newest month first, then newest record.
    let all = list(&app, &admin, "/dues").await;
    assert_eq!(all["total"], 6);
    assert_eq!(
        ids(&all),
        [
            id(org.zhang_san, "2023-03"),
            id(org.zhao_liu, "2023-02"),
            id(org.wang_wu, "2023-02"),
            id(org.zhang_san, "2023-02"),
            id(org.zhang_san, "2023-01"),
            id(org.zhao_liu, "2022-12"),
        ]
    );
    let cases: Vec<(String, Vec<i64>)> = vec![
        (format!("member_id={}", org.wang_wu), vec![id(org.wang_wu, "2023-02")]),
        (format!("unit_id={}", org.a_group), vec![id(org.wang_wu, "2023-02")]),
        (format!("unit_id={}", org.b), vec![id(org.zhao_liu, "2023-02"), id(org.zhao_liu, "2022-12")]),
        (
            format!("unit_id={}&from=2023-02&to=2023-02", org.a),
            vec![id(org.wang_wu, "2023-02"), id(org.zhang_san, "2023-02")],
        ),
        ("from=2023-03".into(), vec![id(org.zhang_san, "2023-03")]),
        ("to=2022-12".into(), vec![id(org.zhao_liu, "2022-12")]),
        (
            format!("member_id={}&from=2023-01&to=2023-02", org.zhang_san),
            vec![id(org.zhang_san, "2023-02"), id(org.zhang_san, "2023-01")],
        ),
        ("from=2024-01".into(), vec![]),
    ];
    for (query, expected) in cases {
        let page = list(&app, &admin, &format!("/dues?{query}")).await;
        assert_eq!(ids(&page), expected, "{query}");
        assert_eq!(page["total"], expected.len(), "{query}");
    }
    let page = list(&app, &admin, "/dues?per_page=4&page=2").await;
    assert_eq!(ids(&page), [id(org.zhang_san, "2023-01"), id(org.zhao_liu, "2022-12")]);
    assert_eq!((page["total"].as_i64(), page["page"].as_i64(), page["per_page"].as_i64()), (Some(6), Some(2), Some(4)));

    assert_invalid(&app.get("/dues?from=2023-13").token(&admin.token).send().await, "from", "invalid_month");
    assert_invalid(&app.get("/dues?to=2023").token(&admin.token).send().await, "to", "invalid_month");
    assert_invalid(&app.get("/dues?page=0").token(&admin.token).send().await, "page", "range");
    app.get("/dues?unit_id=999999").token(&admin.token).send().await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn roles_on_honors_and_dues() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let [_, _, h3, _] = four_honors(&app, &admin, &org).await;
    let honor_body = honor(org.qian_qi, "优秀工会积极分子", "union_activist", "school", 2023);

    // Finance officers keep the dues book but have nothing to do with honors.
    let finance = app.with_role(Role::FinanceOfficer).await;
    let d = create_dues(&app, &finance, &with(dues(org.zhao_liu, "2023-06"), "amount_fen", json!(2500))).await;
    assert_eq!(d["unit_id"], org.b);
    assert_eq!(list(&app, &finance, "/dues").await["total"], 1);
    app.get("/honors").token(&finance.token).send().await.assert_problem(403, "forbidden");
    app.get(&format!("/honors/{h3}")).token(&finance.token).send().await.assert_problem(403, "forbidden");
    app.post("/honors").token(&finance.token).json(&honor_body).send().await.assert_problem(403, "forbidden");
    app.delete(&format!("/honors/{h3}")).token(&finance.token).send().await.assert_problem(403, "forbidden");

    // Auditors read the dues book and change nothing.
    let auditor = app.with_role(Role::Auditor).await;
    assert_eq!(ids(&list(&app, &auditor, "/dues").await), [d["id"].as_i64().unwrap()]);
    let res = app
        .post("/dues")
        .token(&auditor.token)
        .json(&with(dues(org.zhao_liu, "2023-07"), "amount_fen", json!(1)))
        .send()
        .await;
    res.assert_problem(403, "forbidden");
    app.get("/honors").token(&auditor.token).send().await.assert_problem(403, "forbidden");

    for role in [Role::Member, Role::SystemAdmin, Role::Judge, Role::Handler] {
        let user = app.with_role(role).await;
        app.get("/dues").token(&user.token).send().await.assert_problem(403, "forbidden");
        app.get("/honors").token(&user.token).send().await.assert_problem(403, "forbidden");
        let res = app
            .post("/dues")
            .token(&user.token)
            .json(&with(dues(org.zhao_liu, "2023-08"), "amount_fen", json!(1)))
            .send()
            .await;
        res.assert_problem(403, "forbidden");
        app.post("/honors").token(&user.token).json(&honor_body).send().await.assert_problem(403, "forbidden");
    }
    for path in ["/dues", "/honors", "/honors/1"] {
        app.get(path).send().await.assert_problem(401, "missing_token");
    }
    app.post("/dues").json(&dues(org.zhao_liu, "2023-08")).send().await.assert_problem(401, "missing_token");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM dues").await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM honors").await, 4);
}

#[actix_web::test]
async fn unit_admins_see_only_their_subtree() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let [h1, h2, h3, h4] = four_honors(&app, &admin, &org).await;
    let mut dues_ids = Vec::new();
    for member in [org.zhang_san, org.wang_wu, org.zhao_liu, org.qian_qi] {
        let d = create_dues(&app, &admin, &with(dues(member, "2023-05"), "amount_fen", json!(3000))).await;
        dues_ids.push(d["id"].as_i64().unwrap());
    }

    let unit_admin = app.unit_admin(org.a).await;
    let honors = list(&app, &unit_admin, "/honors").await;
    assert_eq!(ids(&honors), [h4, h1, h2]);
    assert_eq!(honors["total"], 3);
    app.get(&format!("/honors/{h3}")).token(&unit_admin.token).send().await.assert_problem(404, "not_found");
    assert_eq!(list(&app, &unit_admin, &format!("/honors/{h1}")).await["id"], h1);
    app.get(&format!("/honors?unit_id={}", org.b))
        .token(&unit_admin.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/honors?unit_id={}", org.root))
        .token(&unit_admin.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    assert_eq!(list(&app, &unit_admin, &format!("/honors?member_id={}", org.zhao_liu)).await["total"], 0);

    let page = list(&app, &unit_admin, "/dues").await;
    assert_eq!(ids(&page), [dues_ids[1], dues_ids[0]]);
    assert_eq!(page["total"], 2);
    assert!(page["items"].as_array().unwrap().iter().all(|d| d["unit_id"] != org.b));
    app.get(&format!("/dues?unit_id={}", org.b)).token(&unit_admin.token).send().await.assert_problem(404, "not_found");
    assert_eq!(list(&app, &unit_admin, &format!("/dues?member_id={}", org.zhao_liu)).await["total"], 0);
    assert_eq!(ids(&list(&app, &unit_admin, &format!("/dues?unit_id={}", org.a_group)).await), [dues_ids[1]]);

    // Writing for a member outside the subtree: the member "does not exist".
    let res = app
        .post("/dues")
        .token(&unit_admin.token)
        .json(&with(dues(org.zhao_liu, "2023-06"), "amount_fen", json!(1)))
        .send()
        .await;
    assert_invalid(&res, "member_id", "unknown_member");
    let d = create_dues(&app, &unit_admin, &with(dues(org.li_si, "2023-06"), "base_salary_fen", json!(600_000))).await;
    assert_eq!(d["amount_fen"], 3000);

    // A unit admin of the group sees only the group.
    let group_admin = app.unit_admin(org.a_group).await;
    assert_eq!(ids(&list(&app, &group_admin, "/honors").await), [h2]);
    assert_eq!(ids(&list(&app, &group_admin, "/dues").await), [dues_ids[1]]);
    app.get(&format!("/dues?unit_id={}", org.a))
        .token(&group_admin.token)
        .send()
        .await
        .assert_problem(404, "not_found");
}
