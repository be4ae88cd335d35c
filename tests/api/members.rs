//! `/members` over HTTP: every list filter, search and sort, pagination, masking of phone
//! and ID-card numbers, creation and its validation, updates, transfers, leaving and
//! rejoining with their history, the never-deleted rule, and authorization on every route.

use crate::common;

use chrono::{Duration, NaiveDate};
use common::fixtures::{self, Org};
use common::{Res, TestApp, TestUser};
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

async fn setup() -> (TestApp, Org, TestUser) {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    (app, org, admin)
}

/// The ID card the fixtures gave a member (same formula as `fixtures::member`).
fn fixture_card(staff_no: &str, birth: &str, female: bool) -> String {
    let seq = staff_no.len() as u32 + staff_no.bytes().map(u32::from).sum::<u32>() % 400;
    fixtures::id_card(birth, female, seq)
}

fn masked_card(card: &str) -> String {
    format!("{}***********{}", &card[..3], &card[14..])
}

fn today() -> NaiveDate {
    (chrono::Utc::now() + Duration::hours(8)).date_naive()
}

/// Staff numbers of a list page, in order.
fn staff(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|m| m["staff_no"].as_str().unwrap().to_owned()).collect()
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn list(app: &TestApp, user: &TestUser, query: &str) -> Value {
    app.get(&format!("/members?{query}")).token(&user.token).send().await.assert_ok(200)
}

/// A valid new member (male, born 1991-07-01) in `unit`.
fn new_member(staff_no: &str, name: &str, unit: i64) -> Value {
    json!({
        "staff_no": staff_no,
        "name": name,
        "gender": "male",
        "birth_date": "1991-07-01",
        "unit_id": unit,
        "employment_type": "established",
        "joined_on": "2015-09-01",
        "phone": "13800001111",
        "id_card": fixtures::id_card("1991-07-01", false, 7),
    })
}

async fn create(app: &TestApp, user: &TestUser, body: &Value) -> Res {
    app.post("/members").token(&user.token).json(body).send().await
}

/// Asserts a 422 whose errors are exactly these (field, code) pairs, in field order.
#[track_caller]
fn assert_invalid(res: &Res, expected: &[(&str, &str)]) {
    let body = res.assert_problem(422, "validation_failed");
    let got: Vec<(String, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    let want: Vec<(String, String)> = expected.iter().map(|(f, c)| ((*f).to_owned(), (*c).to_owned())).collect();
    assert_eq!(got, want, "{body}");
    assert!(body["errors"].as_array().unwrap().iter().all(|e| e["message"].as_str().is_some_and(|m| !m.is_empty())));
}

async fn post_action(app: &TestApp, user: &TestUser, id: i64, action: &str, body: Value) -> Res {
    app.post(&format!("/members/{id}/{action}")).token(&user.token).json(&body).send().await
}

async fn version_of(app: &TestApp, id: i64) -> i64 {
    app.scalar(&format!("SELECT version::bigint AS id FROM members WHERE id = {id}")).await
}

// ---------------------------------------------------------------- lists

#[actix_web::test]
async fn list_is_paged_and_masks_phone_and_id_card() {
    let (app, org, admin) = setup().await;
    let page = list(&app, &admin, "").await;
    assert_eq!(
        (page["total"].as_i64(), page["page"].as_i64(), page["per_page"].as_i64()),
        (Some(5), Some(1), Some(20))
    );
    assert_eq!(staff(&page), ["A001", "A002", "A101", "B001", "B002"], "default order is by id");
    let zhang = &page["items"][0];
    assert_eq!(zhang["id"], org.zhang_san);
    assert_eq!(zhang["name"], "张三");
    assert_eq!(zhang["gender"], "male");
    assert_eq!(zhang["birth_date"], "1980-05-12");
    assert_eq!(zhang["unit_id"], org.a);
    assert_eq!(zhang["unit_name"], "机电工程学院工会");
    assert_eq!(zhang["employment_type"], "established");
    assert_eq!(zhang["status"], "active");
    assert_eq!(zhang["left_on"], Value::Null);
    assert_eq!(zhang["is_model_worker"], false);
    assert_eq!(zhang["version"], 1);
    // Even a union admin, who may see both on a single member, gets them masked in lists.
    assert_eq!(zhang["phone"], "138****1234");
    let card = fixture_card("A001", "1980-05-12", false);
    assert_eq!(zhang["id_card"], masked_card(&card));
    assert!(zhang["id_card"].as_str().unwrap().starts_with("420***********"));
    for m in page["items"].as_array().unwrap() {
        let phone = m["phone"].as_str().unwrap();
        assert_eq!((phone.len(), &phone[3..7]), (11, "****"), "{m}");
        let id = m["id_card"].as_str().unwrap();
        assert_eq!((id.len(), &id[3..14]), (18, "***********"), "{m}");
    }
    let res = app.get("/members").token(&admin.token).send().await;
    assert!(!res.text().contains(&card), "no full ID card anywhere in a list");
    assert!(!res.text().contains("13812341234"));
}

#[actix_web::test]
async fn list_filters_by_unit_status_type_gender_and_birthday_month() {
    let (app, org, admin) = setup().await;
    assert_eq!(
        staff(&list(&app, &admin, &format!("unit_id={}", org.a)).await),
        ["A001", "A002", "A101"],
        "A with its group"
    );
    assert_eq!(staff(&list(&app, &admin, &format!("unit_id={}", org.a_group)).await), ["A101"]);
    assert_eq!(staff(&list(&app, &admin, &format!("unit_id={}", org.b)).await), ["B001", "B002"]);
    assert_eq!(list(&app, &admin, &format!("unit_id={}", org.root)).await["total"], 5);
    app.get("/members?unit_id=999999").token(&admin.token).send().await.assert_problem(404, "not_found");

    assert_eq!(list(&app, &admin, "status=active").await["total"], 5);
    assert_eq!(list(&app, &admin, "status=left").await["total"], 0);
    assert_eq!(staff(&list(&app, &admin, "employment_type=contract").await), ["A002"]);
    assert_eq!(staff(&list(&app, &admin, "employment_type=retired").await), ["B002"]);
    assert_eq!(staff(&list(&app, &admin, "employment_type=established").await), ["A001", "A101", "B001"]);
    assert_eq!(staff(&list(&app, &admin, "gender=female").await), ["A002", "B001"]);
    assert_eq!(staff(&list(&app, &admin, "gender=male").await), ["A001", "A101", "B002"]);
    assert_eq!(staff(&list(&app, &admin, "birthday_month=5").await), ["A001", "A101"]);
    assert_eq!(staff(&list(&app, &admin, "birthday_month=11").await), ["A002"]);
    assert_eq!(list(&app, &admin, "birthday_month=1").await["total"], 0);
    let combined = list(&app, &admin, &format!("unit_id={}&gender=male&birthday_month=5", org.a)).await;
    assert_eq!((combined["total"].as_i64(), staff(&combined)), (Some(2), vec!["A001".to_owned(), "A101".to_owned()]));

    for (query, field, code) in [
        ("birthday_month=13", "birthday_month", "range"),
        ("birthday_month=0", "birthday_month", "range"),
        ("status=gone", "status", "invalid_choice"),
        ("gender=x", "gender", "invalid_choice"),
        ("employment_type=temp", "employment_type", "invalid_choice"),
        ("unit_id=0", "unit_id", "range"),
        ("is_model_worker=maybe", "is_model_worker", "invalid_type"),
    ] {
        let res = app.get(&format!("/members?{query}")).token(&admin.token).send().await;
        assert_invalid(&res, &[(field, code)]);
    }
}

#[actix_web::test]
async fn model_workers_are_those_with_a_national_or_provincial_title() {
    let (app, org, admin) = setup().await;
    app.sql(&format!(
        "INSERT INTO honors (member_id, title, category, level, year, issuer) VALUES
         ({}, '湖北省先进工作者', 'advanced_worker', 'provincial', 2023, '湖北省人民政府'),
         ({}, '武汉市劳动模范', 'model_worker', 'city', 2022, '武汉市人民政府'),
         ({}, '全国五一劳动奖章', 'may_day_medal', 'national', 2021, '中华全国总工会')",
        org.zhao_liu, org.zhang_san, org.li_si
    ))
    .await;
    let yes = list(&app, &admin, "is_model_worker=true").await;
    assert_eq!(staff(&yes), ["B001"]);
    assert_eq!(yes["items"][0]["is_model_worker"], true);
    let no = list(&app, &admin, "is_model_worker=false").await;
    assert_eq!(staff(&no), ["A001", "A002", "A101", "B002"], "a city title or a medal is not a model-worker title");
    assert!(no["items"].as_array().unwrap().iter().all(|m| m["is_model_worker"] == false));
    let one = app.get(&format!("/members/{}", org.zhao_liu)).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(one["is_model_worker"], true);
    assert_eq!(list(&app, &admin, &format!("is_model_worker=true&unit_id={}", org.a)).await["total"], 0);
    // A national model worker counts too.
    app.sql(&format!(
        "INSERT INTO honors (member_id, title, category, level, year, issuer) \
         VALUES ({}, '全国劳动模范', 'model_worker', 'national', 2020, '国务院')",
        org.qian_qi
    ))
    .await;
    assert_eq!(staff(&list(&app, &admin, "is_model_worker=true").await), ["B001", "B002"]);
}

#[actix_web::test]
async fn q_finds_by_name_part_staff_no_prefix_and_pinyin() {
    let (app, _org, admin) = setup().await;
    let q = |text: &str| format!("q={}", enc(text));
    assert_eq!(staff(&list(&app, &admin, &q("张")).await), ["A001"]);
    assert_eq!(staff(&list(&app, &admin, &q("三")).await), ["A001"], "any part of the name");
    assert_eq!(staff(&list(&app, &admin, &q("A00")).await), ["A001", "A002"]);
    assert_eq!(staff(&list(&app, &admin, &q("B")).await), ["B001", "B002"]);
    assert_eq!(list(&app, &admin, &q("001")).await["total"], 0, "staff numbers match by prefix only");
    assert_eq!(staff(&list(&app, &admin, &q("zs")).await), ["A001"], "pinyin initials");
    assert_eq!(staff(&list(&app, &admin, &q("ZS")).await), ["A001"], "case does not matter");
    assert_eq!(staff(&list(&app, &admin, &q("zhang")).await), ["A001"], "full pinyin prefix");
    assert_eq!(staff(&list(&app, &admin, &q("zhangsan")).await), ["A001"]);
    assert_eq!(staff(&list(&app, &admin, &q("zh")).await), ["A001", "B001"], "zhangsan and zhaoliu");
    assert_eq!(staff(&list(&app, &admin, &q("ww")).await), ["A101"]);
    assert_eq!(list(&app, &admin, &q("san")).await["total"], 0, "pinyin matches from the start");
    assert_eq!(list(&app, &admin, &q("不存在")).await["total"], 0);
    assert_eq!(list(&app, &admin, &q("%")).await["total"], 0, "LIKE wildcards are literal");
    let both = list(&app, &admin, &format!("{}&gender=female", q("zh"))).await;
    assert_eq!(staff(&both), ["B001"]);
    let res = app.get("/members?q=").token(&admin.token).send().await;
    assert_invalid(&res, &[("q", "length")]);
}

#[actix_web::test]
async fn sort_uses_an_allow_list_and_names_sort_by_pinyin() {
    let (app, _org, admin) = setup().await;
    assert_eq!(staff(&list(&app, &admin, "sort=-staff_no").await), ["B002", "B001", "A101", "A002", "A001"]);
    assert_eq!(staff(&list(&app, &admin, "sort=staff_no").await), ["A001", "A002", "A101", "B001", "B002"]);
    // 李四 lisi, 钱七 qianqi, 王五 wangwu, 张三 zhangsan, 赵六 zhaoliu.
    let by_name = list(&app, &admin, "sort=name").await;
    let names: Vec<&str> = by_name["items"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["李四", "钱七", "王五", "张三", "赵六"]);
    assert_eq!(staff(&list(&app, &admin, "sort=-name").await), ["B001", "A001", "A101", "B002", "A002"]);
    assert_eq!(staff(&list(&app, &admin, "sort=birth_date").await), ["B002", "A101", "A001", "B001", "A002"]);
    assert_eq!(staff(&list(&app, &admin, "sort=-joined_on").await), ["A002", "B001", "A001", "A101", "B002"]);
    assert_eq!(staff(&list(&app, &admin, "sort=-id").await), ["B002", "B001", "A101", "A002", "A001"]);
    // Several keys: gender is not sortable, but employment type ties break by the next key.
    let multi = list(&app, &admin, &format!("employment_type=established&sort={}", enc("-birth_date,staff_no"))).await;
    assert_eq!(staff(&multi), ["B001", "A001", "A101"]);

    for bad in ["gender", "password_hash", "name,-phone", "-"] {
        let res = app.get(&format!("/members?sort={}", enc(bad))).token(&admin.token).send().await;
        let body = res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), ["sort"], "{bad}");
        assert_eq!(body["errors"][0]["code"], "unknown_sort");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("staff_no"), "names the choices: {body}");
    }
}

#[actix_web::test]
async fn pagination_bounds() {
    let (app, _org, admin) = setup().await;
    let p2 = list(&app, &admin, "sort=staff_no&per_page=2&page=2").await;
    assert_eq!((p2["total"].as_i64(), p2["page"].as_i64(), p2["per_page"].as_i64()), (Some(5), Some(2), Some(2)));
    assert_eq!(staff(&p2), ["A101", "B001"]);
    let p3 = list(&app, &admin, "sort=staff_no&per_page=2&page=3").await;
    assert_eq!(staff(&p3), ["B002"]);
    let p9 = list(&app, &admin, "per_page=2&page=9").await;
    assert_eq!((p9["total"].as_i64(), p9["items"].as_array().map(Vec::len)), (Some(5), Some(0)));
    assert_eq!(list(&app, &admin, "per_page=100").await["per_page"], 100);
    for (query, field) in
        [("per_page=101", "per_page"), ("per_page=0", "per_page"), ("page=0", "page"), ("page=-1", "page")]
    {
        let res = app.get(&format!("/members?{query}")).token(&admin.token).send().await;
        assert_invalid(&res, &[(field, "range")]);
    }
    let res = app.get("/members?page=x").token(&admin.token).send().await;
    assert_invalid(&res, &[("page", "invalid_type")]);
}

#[actix_web::test]
async fn unit_members_route_covers_the_subtree_and_takes_the_same_filters() {
    let (app, org, admin) = setup().await;
    let get = |path: String| {
        let app = &app;
        let token = admin.token.clone();
        async move { app.get(&path).token(&token).send().await }
    };
    let a = get(format!("/units/{}/members", org.a)).await.assert_ok(200);
    assert_eq!((a["total"].as_i64(), staff(&a)), (Some(3), vec!["A001".into(), "A002".into(), "A101".into()]));
    assert_eq!(staff(&get(format!("/units/{}/members", org.a_group)).await.assert_ok(200)), ["A101"]);
    let f = get(format!("/units/{}/members?gender=female&sort=-staff_no", org.root)).await.assert_ok(200);
    assert_eq!(staff(&f), ["B001", "A002"]);
    // The path wins over a unit_id in the query.
    let b = get(format!("/units/{}/members?unit_id={}", org.b, org.a)).await.assert_ok(200);
    assert_eq!(staff(&b), ["B001", "B002"]);
    assert_eq!(b["items"][0]["phone"], "136****0002");
    get("/units/999999/members".into()).await.assert_problem(404, "not_found");
    let res = get(format!("/units/{}/members?sort=phone", org.a)).await;
    assert_invalid(&res, &[("sort", "unknown_sort")]);
}

// ---------------------------------------------------------------- one member

#[actix_web::test]
async fn single_member_shows_phone_to_admins_and_id_card_only_to_union_admins() {
    let (app, org, admin) = setup().await;
    let card = fixture_card("A001", "1980-05-12", false);
    let res = app.get(&format!("/members/{}", org.zhang_san)).token(&admin.token).send().await;
    let m = res.assert_ok(200);
    assert_eq!(res.header("etag").as_deref(), Some("\"v1\""));
    assert_eq!(m["phone"], "13812341234");
    assert_eq!(m["id_card"], card);
    assert_eq!(m["name"], "张三");

    let a_admin = app.unit_admin(org.a).await;
    let m = app.get(&format!("/members/{}", org.zhang_san)).token(&a_admin.token).send().await.assert_ok(200);
    assert_eq!(m["phone"], "13812341234");
    assert_eq!(m["id_card"], masked_card(&card));
    // Also below its unit, never outside.
    let w = app.get(&format!("/members/{}", org.wang_wu)).token(&a_admin.token).send().await.assert_ok(200);
    assert_eq!(w["phone"], "13700000001");
    app.get(&format!("/members/{}", org.zhao_liu)).token(&a_admin.token).send().await.assert_problem(404, "not_found");
    app.get("/members/999999").token(&admin.token).send().await.assert_problem(404, "not_found");
    app.get("/members/x").token(&admin.token).send().await.assert_problem(404, "not_found");
    // A unit admin's list is its subtree, masked.
    let page = list(&app, &a_admin, "").await;
    assert_eq!(staff(&page), ["A001", "A002", "A101"]);
    assert_eq!(page["items"][0]["phone"], "138****1234");
    // The ID card is stored encrypted, never in clear text.
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM members WHERE id = {} \
             AND position(convert_to('{card}', 'UTF8') in id_card_cipher) = 0 AND id_card_hash IS NOT NULL",
            org.zhang_san
        ))
        .await,
        1
    );
}

// ---------------------------------------------------------------- create

#[actix_web::test]
async fn create_returns_201_with_location_and_writes_a_joined_row() {
    let (app, org, admin) = setup().await;
    let body = new_member("C001", "欧阳娜娜", org.a_group);
    let res = create(&app, &admin, &body).await;
    let m = res.assert_ok(201);
    let id = m["id"].as_i64().unwrap();
    assert_eq!(res.header("location"), Some(format!("/api/v1/members/{id}")));
    assert_eq!(res.header("etag").as_deref(), Some("\"v1\""));
    assert_eq!(
        (m["staff_no"].as_str(), m["name"].as_str(), m["unit_id"].as_i64()),
        (Some("C001"), Some("欧阳娜娜"), Some(org.a_group))
    );
    assert_eq!(
        (m["unit_name"].as_str(), m["status"].as_str(), m["version"].as_i64()),
        (Some("机电一组"), Some("active"), Some(1))
    );
    assert_eq!((m["birth_date"].as_str(), m["joined_on"].as_str()), (Some("1991-07-01"), Some("2015-09-01")));
    assert_eq!(m["phone"], "138****1111");
    let card = body["id_card"].as_str().unwrap();
    assert_eq!(m["id_card"], masked_card(card));
    // The full record is there for the union admin.
    let full = app.get(&format!("/members/{id}")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!((full["phone"].as_str(), full["id_card"].as_str()), (Some("13800001111"), Some(card)));
    // History: one `joined` row into the unit, dated the join date, by the admin.
    let hist = app.get(&format!("/members/{id}/history")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(hist["total"], 1);
    let joined = &hist["items"][0];
    assert_eq!(joined["event"], "joined");
    assert_eq!(joined["from_unit_id"], Value::Null);
    assert_eq!(joined["to_unit_id"], org.a_group);
    assert_eq!(joined["effective_on"], "2015-09-01");
    assert_eq!(joined["actor_user_id"], admin.id);
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM member_history WHERE member_id = {id} AND event = 'joined'"))
            .await,
        1
    );
    // Audited without the clear ID card.
    let audited = format!(
        "SELECT count(*) AS id FROM audit_log \
         WHERE action = 'member.create' AND entity_id = '{id}' AND actor_user_id = {}",
        admin.id
    );
    assert_eq!(app.scalar(&audited).await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE after::text LIKE '%{card}%' OR after::text LIKE '%13800001111%'"
        ))
        .await,
        0
    );
    // Searchable by pinyin at once; counted in its units.
    assert_eq!(staff(&list(&app, &admin, "q=oynn").await), ["C001"]);
    let a = app.get(&format!("/units/{}", org.a)).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(a["member_count"], 4);

    // Phone and ID card are optional.
    let mut minimal = new_member("C002", "李雷", org.b);
    minimal.as_object_mut().unwrap().remove("phone");
    minimal.as_object_mut().unwrap().remove("id_card");
    let m = create(&app, &admin, &minimal).await.assert_ok(201);
    assert_eq!((m["phone"].clone(), m["id_card"].clone()), (Value::Null, Value::Null));
    assert_eq!(app.scalar("SELECT count(*) AS id FROM members").await, 7);
}

#[actix_web::test]
async fn create_validates_every_field_and_writes_nothing_when_invalid() {
    let (app, org, admin) = setup().await;
    let with = |changes: Value| {
        let mut body = new_member("C100", "韩梅梅", org.a);
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let valid_card = fixtures::id_card("1991-07-01", false, 7);
    let bad_checksum = {
        let last = valid_card.chars().last().unwrap();
        format!("{}{}", &valid_card[..17], if last == '0' { '1' } else { '0' })
    };
    let future = today() + Duration::days(30);
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        (json!({"staff_no": "A 01"}), vec![("staff_no", "invalid_format")]),
        (json!({"staff_no": "张01"}), vec![("staff_no", "invalid_format")]),
        (json!({"staff_no": ""}), vec![("staff_no", "invalid_format")]),
        (json!({"name": null}), vec![("name", "required")]),
        (json!({"name": ""}), vec![("name", "length")]),
        (json!({"name": "名".repeat(51)}), vec![("name", "length")]),
        (json!({"phone": "12345"}), vec![("phone", "invalid_phone")]),
        (json!({"phone": "12812341234"}), vec![("phone", "invalid_phone")]),
        (json!({"id_card": bad_checksum}), vec![("id_card", "invalid_id_card")]),
        (json!({"id_card": "42011119910701007"}), vec![("id_card", "invalid_id_card")]),
        (json!({"id_card": fixtures::id_card("1991-07-02", false, 7)}), vec![("id_card", "id_card_birth_mismatch")]),
        (json!({"id_card": fixtures::id_card("1991-07-01", true, 7)}), vec![("id_card", "id_card_gender_mismatch")]),
        (json!({"joined_on": "1991-06-30"}), vec![("joined_on", "date_order")]),
        (json!({"joined_on": future.to_string()}), vec![("joined_on", "date_in_future")]),
        (
            json!({
                "birth_date": (today() + Duration::days(1)).to_string(),
                "joined_on": future.to_string(),
                "id_card": null,
            }),
            vec![("birth_date", "date_in_future"), ("joined_on", "date_in_future")],
        ),
        (json!({"birth_date": "1991-07-xx"}), vec![("birth_date", "invalid_date")]),
        (json!({"birth_date": "1991-02-30"}), vec![("birth_date", "invalid_date")]),
        (json!({"gender": "unknown"}), vec![("gender", "invalid_choice")]),
        (json!({"employment_type": "intern"}), vec![("employment_type", "invalid_choice")]),
        (json!({"unit_id": 999999}), vec![("unit_id", "unknown_unit")]),
        (json!({"unit_id": 0}), vec![("unit_id", "range")]),
        (json!({"status": "left"}), vec![("status", "unknown_field")]),
    ];
    for (changes, expected) in cases {
        let res = create(&app, &admin, &with(changes.clone())).await;
        assert_invalid(&res, &expected);
    }
    assert_eq!(app.scalar("SELECT count(*) AS id FROM members").await, 5);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM member_history").await, 5);

    // Duplicates: the staff number, then the ID card of 张三.
    let dup = create(&app, &admin, &with(json!({"staff_no": "A001"}))).await;
    dup.assert_problem(409, "staff_no_taken");
    let zhang_card = fixture_card("A001", "1980-05-12", false);
    let dup = create(&app, &admin, &with(json!({"birth_date": "1980-05-12", "id_card": zhang_card}))).await;
    dup.assert_problem(409, "id_card_taken");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM members").await, 5);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM member_history").await, 5);
    assert_eq!(
        app.scalar("SELECT count(*) AS id FROM audit_log WHERE action = 'member.create' AND actor_user_id IS NOT NULL")
            .await,
        0
    );
    // And the valid body itself goes through.
    create(&app, &admin, &with(json!({}))).await.assert_ok(201);
}

#[actix_web::test]
async fn unit_admin_creates_only_inside_its_subtree() {
    let (app, org, _admin) = setup().await;
    let a_admin = app.unit_admin(org.a).await;
    let inside = create(&app, &a_admin, &new_member("C200", "韩梅梅", org.a_group)).await.assert_ok(201);
    assert_eq!(inside["unit_id"], org.a_group);
    // Outside: the same answer as for a unit that does not exist.
    let outside = create(&app, &a_admin, &new_member("C201", "李雷", org.b)).await;
    assert_invalid(&outside, &[("unit_id", "unknown_unit")]);
    let nowhere = create(&app, &a_admin, &new_member("C201", "李雷", 999999)).await;
    assert_invalid(&nowhere, &[("unit_id", "unknown_unit")]);
    assert!(!outside.text().contains("外国语"), "the unit's name does not leak");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM members WHERE staff_no = 'C201'").await, 0);
    let root = create(&app, &a_admin, &new_member("C202", "李雷", org.root)).await;
    assert_invalid(&root, &[("unit_id", "unknown_unit")]);
}

// ---------------------------------------------------------------- update

#[actix_web::test]
async fn update_changes_personal_data_under_if_match() {
    let (app, org, admin) = setup().await;
    let path = format!("/members/{}", org.zhang_san);
    let res = app
        .patch(&path)
        .token(&admin.token)
        .header("if-match", "\"v1\"")
        .json(&json!({"name": "张三丰", "phone": "13912349999", "employment_type": "contract"}))
        .send()
        .await;
    let m = res.assert_ok(200);
    assert_eq!(res.header("etag").as_deref(), Some("\"v2\""));
    assert_eq!(
        (m["name"].as_str(), m["version"].as_i64(), m["employment_type"].as_str()),
        (Some("张三丰"), Some(2), Some("contract"))
    );
    assert_eq!(m["staff_no"], "A001");
    assert_eq!(m["birth_date"], "1980-05-12", "fields not sent stay");
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM members WHERE id = {} AND phone = '13912349999' AND name_initials = 'zsf'",
            org.zhang_san
        ))
        .await,
        1
    );
    assert_eq!(staff(&list(&app, &admin, "q=zsf").await), ["A001"], "pinyin keys follow the new name");
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'member.update' AND entity_id = '{}'",
            org.zhang_san
        ))
        .await,
        1
    );
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM member_history WHERE member_id = {}", org.zhang_san)).await,
        1,
        "personal data changes are not membership events"
    );

    // Stale: 412 and nothing changes.
    let res =
        app.patch(&path).token(&admin.token).header("if-match", "\"v1\"").json(&json!({"name": "过期"})).send().await;
    res.assert_problem(412, "stale_version");
    assert_eq!(version_of(&app, org.zhang_san).await, 2);
    // Validation on update.
    let res = app.patch(&path).token(&admin.token).json(&json!({"phone": "123"})).send().await;
    assert_invalid(&res, &[("phone", "invalid_phone")]);
    let res = app
        .patch(&path)
        .token(&admin.token)
        .json(&json!({"joined_on": (today() + Duration::days(3)).to_string()}))
        .send()
        .await;
    assert_invalid(&res, &[("joined_on", "date_in_future")]);
    let res = app.patch(&path).token(&admin.token).json(&json!({"joined_on": "1970-01-01"})).send().await;
    assert_invalid(&res, &[("joined_on", "date_order")]);
    let res = app.patch(&path).token(&admin.token).json(&json!({"unit_id": org.b})).send().await;
    assert_invalid(&res, &[("unit_id", "unknown_field")]);
    // The stored ID card must keep agreeing with the birth date and gender.
    let res = app.patch(&path).token(&admin.token).json(&json!({"birth_date": "1980-05-13"})).send().await;
    assert_invalid(&res, &[("id_card", "id_card_birth_mismatch")]);
    let res = app.patch(&path).token(&admin.token).json(&json!({"gender": "female"})).send().await;
    assert_invalid(&res, &[("id_card", "id_card_gender_mismatch")]);
    // Changing both together is fine.
    let card = fixtures::id_card("1980-05-13", false, 99);
    let m = app
        .patch(&path)
        .token(&admin.token)
        .json(&json!({"birth_date": "1980-05-13", "id_card": card}))
        .send()
        .await
        .assert_ok(200);
    assert_eq!((m["birth_date"].as_str(), m["version"].as_i64()), (Some("1980-05-13"), Some(3)));
    let full = app.get(&path).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(full["id_card"], card);
    // Someone else's card is taken.
    let li_card = fixture_card("A002", "1990-11-03", true);
    let res = app
        .patch(&format!("/members/{}", org.wang_wu))
        .token(&admin.token)
        .json(&json!({"birth_date": "1990-11-03", "gender": "female", "id_card": li_card}))
        .send()
        .await;
    res.assert_problem(409, "id_card_taken");
    assert_eq!(version_of(&app, org.wang_wu).await, 1);
    app.patch("/members/999999")
        .token(&admin.token)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    // A unit admin may update inside its subtree only.
    let a_admin = app.unit_admin(org.a).await;
    let w = app
        .patch(&format!("/members/{}", org.wang_wu))
        .token(&a_admin.token)
        .json(&json!({"phone": "13700000009"}))
        .send()
        .await
        .assert_ok(200);
    assert_eq!(w["version"], 2);
    app.patch(&format!("/members/{}", org.zhao_liu))
        .token(&a_admin.token)
        .json(&json!({"phone": "13700000009"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    assert_eq!(version_of(&app, org.zhao_liu).await, 1);
}

// ---------------------------------------------------------------- transfer, leave, rejoin

#[actix_web::test]
async fn transfer_moves_an_active_member_and_records_it() {
    let (app, org, admin) = setup().await;
    let res = post_action(
        &app,
        &admin,
        org.zhang_san,
        "transfer",
        json!({"to_unit_id": org.b, "effective_on": "2025-03-01", "reason": "调往外国语学院"}),
    )
    .await;
    let m = res.assert_ok(200);
    assert_eq!(res.header("etag").as_deref(), Some("\"v2\""));
    assert_eq!(
        (m["unit_id"].as_i64(), m["unit_name"].as_str(), m["status"].as_str()),
        (Some(org.b), Some("外国语学院工会"), Some("active"))
    );
    assert_eq!(app.scalar(&format!("SELECT unit_id AS id FROM members WHERE id = {}", org.zhang_san)).await, org.b);
    let row = format!(
        "SELECT count(*) AS id FROM member_history WHERE member_id = {} AND event = 'transferred' \
         AND from_unit_id = {} AND to_unit_id = {} AND effective_on = DATE '2025-03-01' \
         AND reason = '调往外国语学院' AND actor_user_id = {}",
        org.zhang_san, org.a, org.b, admin.id
    );
    assert_eq!(app.scalar(&row).await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'member.transfer' AND entity_id = '{}'",
            org.zhang_san
        ))
        .await,
        1
    );
    let a = app.get(&format!("/units/{}", org.a)).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(a["member_count"], 2);

    // Without effective_on: today (Shanghai).
    let m = post_action(&app, &admin, org.li_si, "transfer", json!({"to_unit_id": org.a_group})).await.assert_ok(200);
    assert_eq!(m["unit_id"], org.a_group);
    let hist = app.get(&format!("/members/{}/history", org.li_si)).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(hist["items"][1]["effective_on"], today().to_string());
    assert_eq!(hist["items"][1]["reason"], Value::Null);

    // Conflicts and bad targets.
    post_action(&app, &admin, org.zhang_san, "transfer", json!({"to_unit_id": org.b}))
        .await
        .assert_problem(409, "same_unit");
    let res = post_action(&app, &admin, org.zhang_san, "transfer", json!({"to_unit_id": 999999})).await;
    assert_invalid(&res, &[("to_unit_id", "unknown_unit")]);
    let res = post_action(&app, &admin, org.zhang_san, "transfer", json!({})).await;
    assert_invalid(&res, &[("to_unit_id", "required")]);
    let res = app
        .post(&format!("/members/{}/transfer", org.zhang_san))
        .token(&admin.token)
        .header("if-match", "\"v1\"")
        .json(&json!({"to_unit_id": org.a}))
        .send()
        .await;
    res.assert_problem(412, "stale_version");
    post_action(&app, &admin, 999999, "transfer", json!({"to_unit_id": org.a})).await.assert_problem(404, "not_found");
    // A member who left cannot be transferred.
    post_action(&app, &admin, org.qian_qi, "leave", json!({"reason": "退休离会"})).await.assert_ok(200);
    post_action(&app, &admin, org.qian_qi, "transfer", json!({"to_unit_id": org.a}))
        .await
        .assert_problem(409, "member_not_active");
    assert_eq!(version_of(&app, org.zhang_san).await, 2);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM member_history WHERE event = 'transferred'").await, 2);
}

#[actix_web::test]
async fn unit_admin_transfers_only_within_its_subtree() {
    let (app, org, _admin) = setup().await;
    let a_admin = app.unit_admin(org.a).await;
    let res = post_action(&app, &a_admin, org.li_si, "transfer", json!({"to_unit_id": org.b})).await;
    assert_invalid(&res, &[("to_unit_id", "unknown_unit")]);
    post_action(&app, &a_admin, org.zhao_liu, "transfer", json!({"to_unit_id": org.a}))
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/members/{}", org.zhao_liu)).token(&a_admin.token).send().await.assert_problem(404, "not_found");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM member_history WHERE event = 'transferred'").await, 0);
    let m = post_action(&app, &a_admin, org.li_si, "transfer", json!({"to_unit_id": org.a_group})).await.assert_ok(200);
    assert_eq!(m["unit_id"], org.a_group);
    // Once transferred out by a union admin, the member is out of the unit admin's sight.
    let admin = app.union_admin().await;
    post_action(&app, &admin, org.li_si, "transfer", json!({"to_unit_id": org.b})).await.assert_ok(200);
    app.get(&format!("/members/{}", org.li_si)).token(&a_admin.token).send().await.assert_problem(404, "not_found");
    app.get(&format!("/members/{}/history", org.li_si))
        .token(&a_admin.token)
        .send()
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn leave_and_rejoin_change_status_with_history() {
    let (app, org, admin) = setup().await;
    let res =
        post_action(&app, &admin, org.li_si, "leave", json!({"reason": "调离学校", "effective_on": "2025-06-30"}))
            .await;
    let m = res.assert_ok(200);
    assert_eq!(res.header("etag").as_deref(), Some("\"v2\""));
    assert_eq!(
        (m["status"].as_str(), m["left_on"].as_str(), m["unit_id"].as_i64()),
        (Some("left"), Some("2025-06-30"), Some(org.a))
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM members WHERE id = {} AND status = 'left' AND left_on = DATE '2025-06-30'",
            org.li_si
        ))
        .await,
        1
    );
    post_action(&app, &admin, org.li_si, "leave", json!({"reason": "again"}))
        .await
        .assert_problem(409, "member_not_active");
    let res = post_action(&app, &admin, org.zhang_san, "leave", json!({})).await;
    assert_invalid(&res, &[("reason", "required")]);
    let res = post_action(&app, &admin, org.zhang_san, "leave", json!({"reason": ""})).await;
    assert_invalid(&res, &[("reason", "length")]);
    // Left members stay in the list, and status filters them.
    assert_eq!(list(&app, &admin, "").await["total"], 5);
    let left = list(&app, &admin, "status=left").await;
    assert_eq!(staff(&left), ["A002"]);
    assert_eq!(left["items"][0]["left_on"], "2025-06-30");
    assert_eq!(staff(&list(&app, &admin, "status=active&gender=female").await), ["B001"]);
    let a = app.get(&format!("/units/{}", org.a)).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(a["member_count"], 2, "active members only");

    // Rejoin: back to active, left_on cleared, same unit by default.
    let m = post_action(&app, &admin, org.li_si, "rejoin", json!({"effective_on": "2025-09-01", "reason": "返聘"}))
        .await
        .assert_ok(200);
    assert_eq!(
        (m["status"].as_str(), m["left_on"].clone(), m["unit_id"].as_i64(), m["version"].as_i64()),
        (Some("active"), Value::Null, Some(org.a), Some(3))
    );
    post_action(&app, &admin, org.li_si, "rejoin", json!({})).await.assert_problem(409, "member_not_left");
    post_action(&app, &admin, org.zhang_san, "rejoin", json!({})).await.assert_problem(409, "member_not_left");
    // Rejoin into another unit.
    post_action(&app, &admin, org.zhao_liu, "leave", json!({"reason": "离职"})).await.assert_ok(200);
    let res = post_action(&app, &admin, org.zhao_liu, "rejoin", json!({"unit_id": 999999})).await;
    assert_invalid(&res, &[("unit_id", "unknown_unit")]);
    let m = post_action(&app, &admin, org.zhao_liu, "rejoin", json!({"unit_id": org.a_group})).await.assert_ok(200);
    assert_eq!((m["unit_id"].as_i64(), m["status"].as_str()), (Some(org.a_group), Some("active")));
    let row = format!(
        "SELECT count(*) AS id FROM member_history WHERE member_id = {} AND event = 'rejoined' \
         AND from_unit_id = {} AND to_unit_id = {}",
        org.zhao_liu, org.b, org.a_group
    );
    assert_eq!(app.scalar(&row).await, 1);
    // A unit admin of A cannot bring a member back into B.
    let a_admin = app.unit_admin(org.a).await;
    post_action(&app, &admin, org.wang_wu, "leave", json!({"reason": "离职"})).await.assert_ok(200);
    let res = post_action(&app, &a_admin, org.wang_wu, "rejoin", json!({"unit_id": org.b})).await;
    assert_invalid(&res, &[("unit_id", "unknown_unit")]);
    let m = post_action(&app, &a_admin, org.wang_wu, "rejoin", json!({})).await.assert_ok(200);
    assert_eq!(m["unit_id"], org.a_group);
    // If-Match on transitions.
    let res = app
        .post(&format!("/members/{}/leave", org.li_si))
        .token(&admin.token)
        .header("if-match", "\"v2\"")
        .json(&json!({"reason": "x"}))
        .send()
        .await;
    res.assert_problem(412, "stale_version");
    let res = app
        .post(&format!("/members/{}/leave", org.li_si))
        .token(&admin.token)
        .header("if-match", "\"v3\"")
        .json(&json!({"reason": "x"}))
        .send()
        .await;
    assert_eq!(res.assert_ok(200)["version"], 4);
}

#[actix_web::test]
async fn membership_events_are_dated_between_joining_and_today() {
    let (app, org, admin) = setup().await;
    // 王五 joined on his birth date + 365 × 24 days (fixtures), i.e. in 1999.
    let future = (today() + Duration::days(1)).to_string();
    let cases = [
        ("leave", json!({"reason": "x", "effective_on": "1990-01-01"}), ("effective_on", "date_order")),
        ("leave", json!({"reason": "x", "effective_on": future}), ("effective_on", "date_in_future")),
        ("transfer", json!({"to_unit_id": org.b, "effective_on": "1990-01-01"}), ("effective_on", "date_order")),
        ("transfer", json!({"to_unit_id": org.b, "effective_on": future}), ("effective_on", "date_in_future")),
    ];
    for (action, body, expected) in cases {
        let res = post_action(&app, &admin, org.wang_wu, action, body).await;
        assert_invalid(&res, &[expected]);
    }
    assert_eq!(version_of(&app, org.wang_wu).await, 1);
    post_action(&app, &admin, org.wang_wu, "leave", json!({"reason": "x", "effective_on": "2024-06-30"}))
        .await
        .assert_ok(200);
    let res = post_action(&app, &admin, org.wang_wu, "rejoin", json!({"effective_on": "2024-06-01"})).await;
    let body = res.assert_problem(422, "validation_failed");
    assert_eq!(
        (body["errors"][0]["field"].as_str(), body["errors"][0]["code"].as_str()),
        (Some("effective_on"), Some("date_order"))
    );
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("left_on"), "{body}");
    let res = post_action(&app, &admin, org.wang_wu, "rejoin", json!({"effective_on": future})).await;
    assert_invalid(&res, &[("effective_on", "date_in_future")]);
    let m =
        post_action(&app, &admin, org.wang_wu, "rejoin", json!({"effective_on": "2024-06-30"})).await.assert_ok(200);
    assert_eq!((m["status"].as_str(), m["version"].as_i64()), (Some("active"), Some(3)));
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM member_history WHERE member_id = {}", org.wang_wu)).await,
        3
    );
}

#[actix_web::test]
async fn history_lists_every_event_in_order() {
    let (app, org, admin) = setup().await;
    let id = org.zhang_san;
    post_action(&app, &admin, id, "transfer", json!({"to_unit_id": org.b, "effective_on": "2024-01-01"}))
        .await
        .assert_ok(200);
    post_action(&app, &admin, id, "leave", json!({"reason": "调离", "effective_on": "2024-06-01"}))
        .await
        .assert_ok(200);
    post_action(&app, &admin, id, "rejoin", json!({"unit_id": org.a_group, "effective_on": "2025-01-01"}))
        .await
        .assert_ok(200);
    let hist = app.get(&format!("/members/{id}/history")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(hist["total"], 4);
    let events: Vec<&str> = hist["items"].as_array().unwrap().iter().map(|h| h["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["joined", "transferred", "left", "rejoined"]);
    let units: Vec<(Value, Value)> = hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["from_unit_id"].clone(), h["to_unit_id"].clone()))
        .collect();
    assert_eq!(
        units,
        [
            (Value::Null, json!(org.a)),
            (json!(org.a), json!(org.b)),
            (json!(org.b), json!(org.b)),
            (json!(org.b), json!(org.a_group)),
        ]
    );
    let dates: Vec<&str> =
        hist["items"].as_array().unwrap().iter().map(|h| h["effective_on"].as_str().unwrap()).collect();
    let joined = (NaiveDate::from_ymd_opt(1980, 5, 12).unwrap() + Duration::days(365 * 24)).to_string();
    assert_eq!(dates, [joined.as_str(), "2024-01-01", "2024-06-01", "2025-01-01"]);
    assert_eq!(hist["items"][2]["reason"], "调离");
    assert_eq!(hist["items"][1]["actor_user_id"], admin.id);
    let ats: Vec<&str> = hist["items"].as_array().unwrap().iter().map(|h| h["at"].as_str().unwrap()).collect();
    assert!(ats.windows(2).all(|w| w[0] <= w[1]), "{ats:?}");
    // Paged like any list.
    let p2 =
        app.get(&format!("/members/{id}/history?per_page=3&page=2")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(
        (p2["total"].as_i64(), p2["items"].as_array().map(Vec::len), p2["items"][0]["event"].as_str()),
        (Some(4), Some(1), Some("rejoined"))
    );
    assert_eq!(version_of(&app, id).await, 4);
    app.get("/members/999999/history").token(&admin.token).send().await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn members_are_never_deleted() {
    let (app, org, admin) = setup().await;
    let res = app.delete(&format!("/members/{}", org.zhang_san)).token(&admin.token).send().await;
    res.assert_problem(405, "method_not_allowed");
    assert_eq!(res.header("allow").as_deref(), Some("GET, PATCH"));
    // Not even by hand in SQL: the trigger refuses.
    let mut conn = app.conn().await;
    use diesel_async::RunQueryDsl;
    let err = diesel::sql_query(format!("DELETE FROM members WHERE id = {}", org.zhang_san))
        .execute(&mut conn)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("never deleted"), "{err}");
    let err = diesel::sql_query("DELETE FROM members").execute(&mut conn).await.unwrap_err();
    assert!(err.to_string().contains("never deleted"), "{err}");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM members").await, 5);
    let still = app.get(&format!("/members/{}", org.zhang_san)).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(still["status"], "active");
}

// ---------------------------------------------------------------- authorization

/// Every member route, with a body valid for it, aimed at `target` (a member) and `unit`.
fn routes(target: i64, unit: i64) -> Vec<(reqwest::Method, String, Option<Value>)> {
    use reqwest::Method;
    vec![
        (Method::GET, "/members".to_owned(), None),
        (Method::GET, format!("/units/{unit}/members"), None),
        (Method::GET, format!("/members/{target}"), None),
        (Method::POST, "/members".to_owned(), Some(new_member("Z001", "测试", unit))),
        (Method::PATCH, format!("/members/{target}"), Some(json!({"name": "改名"}))),
        (Method::POST, format!("/members/{target}/transfer"), Some(json!({"to_unit_id": unit}))),
        (Method::POST, format!("/members/{target}/leave"), Some(json!({"reason": "离职"}))),
        (Method::POST, format!("/members/{target}/rejoin"), Some(json!({}))),
        (Method::GET, format!("/members/{target}/history"), None),
    ]
}

async fn call(app: &TestApp, token: Option<&str>, method: &reqwest::Method, path: &str, body: &Option<Value>) -> Res {
    let mut req = app.request(method.clone(), path);
    if let Some(t) = token {
        req = req.token(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    req.send().await
}

#[actix_web::test]
async fn every_member_route_needs_a_token_and_a_membership_role() {
    let (app, org, _admin) = setup().await;
    for (method, path, body) in routes(org.zhao_liu, org.b) {
        call(&app, None, &method, &path, &body).await.assert_problem(401, "missing_token");
        call(&app, Some("garbage"), &method, &path, &body).await.assert_problem(401, "invalid_token");
    }
    for role in [Role::Member, Role::Auditor, Role::FinanceOfficer, Role::SystemAdmin, Role::ProposalCommittee] {
        let user = app.with_role(role).await;
        for (method, path, body) in routes(org.zhao_liu, org.b) {
            let res = call(&app, Some(&user.token), &method, &path, &body).await;
            assert_eq!(res.status, 403, "{role:?} {method} {path}: {}", res.text());
            res.assert_problem(403, "forbidden");
        }
    }
    // Nothing happened.
    assert_eq!(app.scalar("SELECT count(*) AS id FROM members").await, 5);
    assert_eq!(app.scalar("SELECT max(version)::bigint AS id FROM members").await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM member_history").await, 5);
}

#[actix_web::test]
async fn unit_admin_gets_404_for_everything_outside_its_subtree() {
    let (app, org, _admin) = setup().await;
    let a_admin = app.unit_admin(org.a).await;
    for (method, path, body) in routes(org.zhao_liu, org.b) {
        let res = call(&app, Some(&a_admin.token), &method, &path, &body).await;
        match (method.as_str(), path.as_str()) {
            ("GET", "/members") => assert_eq!(staff(&res.assert_ok(200)), ["A001", "A002", "A101"]),
            ("POST", "/members") => assert_invalid(&res, &[("unit_id", "unknown_unit")]),
            _ => {
                res.assert_problem(404, "not_found");
            }
        }
    }
    // A filter naming a unit outside is 404 as well, like a unit that does not exist.
    app.get(&format!("/members?unit_id={}", org.b)).token(&a_admin.token).send().await.assert_problem(404, "not_found");
    app.get(&format!("/members?unit_id={}", org.root))
        .token(&a_admin.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    assert_eq!(list(&app, &a_admin, &format!("unit_id={}", org.a_group)).await["total"], 1);
    // A search cannot reach outside either.
    assert_eq!(list(&app, &a_admin, "q=zl").await["total"], 0);
    assert_eq!(list(&app, &a_admin, "q=B").await["total"], 0);
    // A unit admin of B can do all of it.
    let b_admin = app.unit_admin(org.b).await;
    for (method, path, body) in routes(org.zhao_liu, org.b) {
        let res = call(&app, Some(&b_admin.token), &method, &path, &body).await;
        assert!(res.status < 400 || res.status == 409, "{method} {path}: {}", res.text());
    }
    assert_eq!(app.scalar("SELECT count(*) AS id FROM members").await, 6);
    assert_eq!(
        version_of(&app, org.zhao_liu).await,
        4,
        "renamed, left, rejoined; the transfer to its own unit was 409"
    );
}

#[actix_web::test]
async fn lists_export_as_csv_and_xlsx_with_the_same_filters_and_masking() {
    let app = TestApp::spawn().await;
    let org = common::fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let res = app.get("/members?gender=female&format=csv").token(&admin.token).send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
    assert_eq!(res.header("content-disposition").as_deref(), Some("attachment; filename=\"members.csv\""));
    let text = res.text();
    assert!(text.starts_with('\u{feff}'), "BOM for Excel");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "工号,姓名,性别,出生日期,所属工会,用工类型,入会日期,状态,手机号,劳模");
    assert_eq!(lines.len(), 3, "header + the two women: {text}");
    assert!(lines.iter().any(|l| l.starts_with("A002,李四,女,1990-11-03,")));
    assert!(text.contains("139****5678"), "phones stay masked in exports");
    assert!(!text.contains("13912345678"));
    // Accept header works too, and the unit admin's export is confined to its subtree.
    let unit_admin = app.unit_admin(org.b).await;
    let res = app.get("/members").token(&unit_admin.token).header("accept", "text/csv").send().await;
    let text = res.text();
    assert!(text.contains("B001,赵六") && text.contains("B002,钱七"));
    assert!(!text.contains("A001"), "no members outside the scope");
    // XLSX.
    let res = app.get(&format!("/units/{}/members?format=xlsx", org.a)).token(&admin.token).send().await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    assert_eq!(&res.body[..2], b"PK");
    // A bad format is a validation error, and exports need the same permission as lists.
    app.get("/members?format=pdf").token(&admin.token).send().await.assert_problem(422, "validation_failed");
    let auditor = app.with_role(gonghui::auth::permissions::Role::Auditor).await;
    app.get("/members?format=csv").token(&auditor.token).send().await.assert_problem(403, "forbidden");
}
