//! `/units` over HTTP: lists and their filters, the tree with rolled-up member counts,
//! creation rules per kind, renames and moves (subtrees follow, cycles refused), `If-Match`,
//! and who may read or write which units.

use crate::common;

use common::fixtures::{self, Org};
use common::{TestApp, TestUser};
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

/// The `name` of every item of a list page (or of an array).
fn names(v: &Value) -> Vec<String> {
    let items = if v.is_array() { v } else { &v["items"] };
    items.as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap().to_owned()).collect()
}

async fn create(app: &TestApp, user: &TestUser, body: Value) -> common::Res {
    app.post("/units").token(&user.token).json(&body).send().await
}

async fn create_ok(app: &TestApp, user: &TestUser, name: &str, kind: &str, parent: Option<i64>) -> i64 {
    let res = create(app, user, json!({"name": name, "kind": kind, "parent_id": parent})).await;
    res.assert_ok(201)["id"].as_i64().unwrap()
}

async fn unit(app: &TestApp, user: &TestUser, id: i64) -> Value {
    app.get(&format!("/units/{id}")).token(&user.token).send().await.assert_ok(200)
}

async fn path_of(app: &TestApp, id: i64) -> String {
    let mut conn = app.conn().await;
    #[derive(diesel::QueryableByName)]
    struct P {
        #[diesel(sql_type = diesel::sql_types::Text)]
        path: String,
    }
    use diesel_async::RunQueryDsl;
    diesel::sql_query(format!("SELECT path FROM units WHERE id = {id}")).get_result::<P>(&mut conn).await.unwrap().path
}

async fn setup() -> (TestApp, Org, TestUser) {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    (app, org, admin)
}

#[actix_web::test]
async fn list_is_a_page_in_path_order_with_subtree_counts() {
    let (app, org, admin) = setup().await;
    let page = app.get("/units").token(&admin.token).send().await.assert_ok(200);
    assert_eq!(page["total"], 4);
    assert_eq!(page["page"], 1);
    assert_eq!(page["per_page"], 20);
    assert_eq!(names(&page), ["校工会", "机电工程学院工会", "机电一组", "外国语学院工会"]);
    let counts: Vec<i64> =
        page["items"].as_array().unwrap().iter().map(|u| u["member_count"].as_i64().unwrap()).collect();
    assert_eq!(counts, [5, 3, 1, 2], "member_count covers the unit and everything below it");
    let root = &page["items"][0];
    assert_eq!(root["id"], org.root);
    assert_eq!(root["kind"], "school");
    assert_eq!(root["parent_id"], Value::Null);
    assert_eq!(root["code"], "ROOT");
    assert_eq!(root["version"], 1);
    assert_eq!(page["items"][2]["parent_id"], org.a);
    assert_eq!(page["items"][2]["kind"], "group");

    let p2 = app.get("/units?per_page=2&page=2").token(&admin.token).send().await.assert_ok(200);
    assert_eq!((p2["total"].as_i64(), p2["page"].as_i64(), p2["per_page"].as_i64()), (Some(4), Some(2), Some(2)));
    assert_eq!(names(&p2), ["机电一组", "外国语学院工会"]);
    let past = app.get("/units?per_page=2&page=3").token(&admin.token).send().await.assert_ok(200);
    assert_eq!(past["total"], 4);
    assert!(past["items"].as_array().unwrap().is_empty());
}

#[actix_web::test]
async fn list_filters_by_parent_kind_and_name() {
    let (app, org, admin) = setup().await;
    let get = |q: String| {
        let app = &app;
        let token = admin.token.clone();
        async move { app.get(&format!("/units?{q}")).token(&token).send().await.assert_ok(200) }
    };
    let children = get(format!("parent_id={}", org.root)).await;
    assert_eq!(children["total"], 2);
    assert_eq!(names(&children), ["机电工程学院工会", "外国语学院工会"]);
    let under_a = get(format!("parent_id={}", org.a)).await;
    assert_eq!(names(&under_a), ["机电一组"], "direct children only");
    let groups = get("kind=group".into()).await;
    assert_eq!((groups["total"].as_i64(), names(&groups)), (Some(1), vec!["机电一组".to_owned()]));
    let secondaries = get("kind=secondary".into()).await;
    assert_eq!(secondaries["total"], 2);
    let q = get(format!("q={}", enc("外国语"))).await;
    assert_eq!(names(&q), ["外国语学院工会"]);
    let q = get(format!("q={}", enc("工会"))).await;
    assert_eq!(q["total"], 3);
    let both = get(format!("kind=secondary&q={}&parent_id={}", enc("机电"), org.root)).await;
    assert_eq!(names(&both), ["机电工程学院工会"]);
    // Wildcards in q are data, not patterns.
    assert_eq!(get(format!("q={}", enc("%"))).await["total"], 0);
    assert_eq!(get(format!("q={}", enc("_"))).await["total"], 0);

    let bad = app.get("/units?kind=galaxy").token(&admin.token).send().await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.json()["errors"][0]["code"], "invalid_choice");
    let bad = app.get("/units?per_page=101").token(&admin.token).send().await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.error_fields(), ["per_page"]);
    let bad = app.get("/units?page=0").token(&admin.token).send().await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.error_fields(), ["page"]);
    let bad = app.get("/units?parent_id=abc").token(&admin.token).send().await;
    assert_eq!(bad.assert_problem(422, "validation_failed")["errors"][0]["code"], "invalid_type");
}

#[actix_web::test]
async fn tree_nests_children_and_rolls_counts_up() {
    let (app, org, admin) = setup().await;
    // One more level: a group under the group, with a member of its own.
    let deep = create_ok(&app, &admin, "机电一组一分组", "group", Some(org.a_group)).await;
    fixtures::member(
        &app,
        fixtures::M {
            staff_no: "A201",
            name: "孙八",
            female: false,
            birth: "1988-01-01",
            unit_id: deep,
            employment: gonghui::membership::types::EmploymentType::Contract,
            phone: "13300000009",
        },
    )
    .await;
    let tree = app.get("/units/tree").token(&admin.token).send().await.assert_ok(200);
    let roots = tree.as_array().unwrap();
    assert_eq!(roots.len(), 1);
    let root = &roots[0];
    assert_eq!((root["id"].as_i64(), root["member_count"].as_i64()), (Some(org.root), Some(6)));
    let kids = root["children"].as_array().unwrap();
    assert_eq!(names(&root["children"]), ["机电工程学院工会", "外国语学院工会"]);
    let a = &kids[0];
    assert_eq!((a["id"].as_i64(), a["member_count"].as_i64()), (Some(org.a), Some(4)));
    let group = &a["children"][0];
    assert_eq!((group["id"].as_i64(), group["member_count"].as_i64()), (Some(org.a_group), Some(2)));
    let leaf = &group["children"][0];
    assert_eq!((leaf["id"].as_i64(), leaf["member_count"].as_i64()), (Some(deep), Some(1)));
    assert!(leaf["children"].as_array().unwrap().is_empty());
    let b = &kids[1];
    assert_eq!((b["member_count"].as_i64(), b["children"].as_array().map(Vec::len)), (Some(2), Some(0)));

    // Members who left no longer count.
    app.sql(&format!("UPDATE members SET status = 'left', left_on = DATE '2024-01-01' WHERE id = {}", org.wang_wu))
        .await;
    let tree = app.get("/units/tree").token(&admin.token).send().await.assert_ok(200);
    assert_eq!(tree[0]["member_count"], 5);
    assert_eq!(tree[0]["children"][0]["member_count"], 3);
    assert_eq!(tree[0]["children"][0]["children"][0]["member_count"], 1);
}

#[actix_web::test]
async fn get_unit_sends_its_version_as_etag() {
    let (app, org, admin) = setup().await;
    let res = app.get(&format!("/units/{}", org.a)).token(&admin.token).send().await;
    let a = res.assert_ok(200);
    assert_eq!(res.header("etag").as_deref(), Some("\"v1\""));
    assert_eq!(a["name"], "机电工程学院工会");
    assert_eq!(a["code"], "A");
    assert_eq!(a["kind"], "secondary");
    assert_eq!(a["parent_id"], org.root);
    assert_eq!(a["member_count"], 3);
    assert_eq!(a["sort_order"], 0);
    assert!(a["created_at"].is_string() && a["updated_at"].is_string());
    app.get("/units/999999").token(&admin.token).send().await.assert_problem(404, "not_found");
    app.get("/units/abc").token(&admin.token).send().await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn create_places_each_kind_where_it_belongs() {
    let (app, org, admin) = setup().await;
    // Secondary under the school union: 201, Location, ETag, audit row.
    let res = create(
        &app,
        &admin,
        json!({"name": "计算机学院工会", "code": "CS", "kind": "secondary", "parent_id": org.root, "sort_order": 3}),
    )
    .await;
    let cs = res.assert_ok(201);
    let cs_id = cs["id"].as_i64().unwrap();
    assert_eq!(res.header("location"), Some(format!("/api/v1/units/{cs_id}")));
    assert_eq!(res.header("etag").as_deref(), Some("\"v1\""));
    assert_eq!(
        (cs["name"].as_str(), cs["code"].as_str(), cs["kind"].as_str()),
        (Some("计算机学院工会"), Some("CS"), Some("secondary"))
    );
    assert_eq!(
        (cs["parent_id"].as_i64(), cs["sort_order"].as_i64(), cs["member_count"].as_i64()),
        (Some(org.root), Some(3), Some(0))
    );
    let root_path = path_of(&app, org.root).await;
    assert_eq!(path_of(&app, cs_id).await, format!("{root_path}{cs_id}/"));
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM audit_log \
             WHERE action = 'unit.create' AND entity_id = '{cs_id}' AND actor_user_id = {}",
            admin.id
        ))
        .await,
        1
    );
    // Group under a secondary union, group under a group.
    let g1 = create_ok(&app, &admin, "软件一组", "group", Some(cs_id)).await;
    let g2 = create_ok(&app, &admin, "软件一组甲", "group", Some(g1)).await;
    assert_eq!(path_of(&app, g2).await, format!("{root_path}{cs_id}/{g1}/{g2}/"));
    assert_eq!(unit(&app, &admin, g2).await["parent_id"], g1);

    // Misplaced kinds.
    create(&app, &admin, json!({"name": "嵌套二级", "kind": "secondary", "parent_id": org.a}))
        .await
        .assert_problem(409, "unit_kind_misplaced");
    create(&app, &admin, json!({"name": "组下二级", "kind": "secondary", "parent_id": g1}))
        .await
        .assert_problem(409, "unit_kind_misplaced");
    create(&app, &admin, json!({"name": "校下小组", "kind": "group", "parent_id": org.root}))
        .await
        .assert_problem(409, "unit_kind_misplaced");
    create(&app, &admin, json!({"name": "第二个校工会", "kind": "school"}))
        .await
        .assert_problem(409, "root_unit_exists");
    create(&app, &admin, json!({"name": "挂着的校工会", "kind": "school", "parent_id": org.a}))
        .await
        .assert_problem(409, "unit_kind_misplaced");
    // Names are unique per parent, codes everywhere.
    create(&app, &admin, json!({"name": "机电一组", "kind": "group", "parent_id": org.a}))
        .await
        .assert_problem(409, "unit_name_taken");
    let same_name_elsewhere = create_ok(&app, &admin, "机电一组", "group", Some(org.b)).await;
    assert_eq!(unit(&app, &admin, same_name_elsewhere).await["parent_id"], org.b);
    create(&app, &admin, json!({"name": "新学院工会", "code": "A", "kind": "secondary", "parent_id": org.root}))
        .await
        .assert_problem(409, "unit_code_taken");
    // Parents must exist; non-root kinds need one.
    let res = create(&app, &admin, json!({"name": "孤儿", "kind": "group", "parent_id": 999999})).await;
    let p = res.assert_problem(422, "validation_failed");
    assert_eq!(
        (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
        (Some("parent_id"), Some("unknown_unit"))
    );
    let res = create(&app, &admin, json!({"name": "无父", "kind": "secondary"})).await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["code"], "required");
    assert_eq!(res.error_fields(), ["parent_id"]);
    let res =
        create(&app, &admin, json!({"name": "坏代码", "code": "a b", "kind": "secondary", "parent_id": org.root}))
            .await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["code"]);
    let res = create(&app, &admin, json!({"name": " 前后空格 ", "kind": "secondary", "parent_id": org.root})).await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(res.error_fields(), ["name"]);

    // Nothing but the four good units was added.
    assert_eq!(app.scalar("SELECT count(*) AS id FROM units").await, 8);
}

#[actix_web::test]
async fn rename_bumps_the_version_and_if_match_guards_it() {
    let (app, org, admin) = setup().await;
    let path = format!("/units/{}", org.b);
    let res = app
        .patch(&path)
        .token(&admin.token)
        .header("if-match", "\"v1\"")
        .json(&json!({"name": "外国语学院分工会", "sort_order": 7}))
        .send()
        .await;
    let b = res.assert_ok(200);
    assert_eq!(res.header("etag").as_deref(), Some("\"v2\""));
    assert_eq!(
        (b["name"].as_str(), b["version"].as_i64(), b["sort_order"].as_i64()),
        (Some("外国语学院分工会"), Some(2), Some(7))
    );
    assert_eq!(b["code"], "B", "fields not sent stay");
    assert_eq!(b["member_count"], 2);
    assert_eq!(app.scalar(&format!("SELECT version::bigint AS id FROM units WHERE id = {}", org.b)).await, 2);
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'unit.update' AND entity_id = '{}'",
            org.b
        ))
        .await,
        1
    );

    // A stale tag: 412, nothing changes.
    let res = app
        .patch(&path)
        .token(&admin.token)
        .header("if-match", "\"v1\"")
        .json(&json!({"name": "过期的改名"}))
        .send()
        .await;
    res.assert_problem(412, "stale_version");
    let now = unit(&app, &admin, org.b).await;
    assert_eq!((now["name"].as_str(), now["version"].as_i64()), (Some("外国语学院分工会"), Some(2)));
    // Garbage never matches; `*` and no header always do.
    app.patch(&path)
        .token(&admin.token)
        .header("if-match", "garbage")
        .json(&json!({"sort_order": 1}))
        .send()
        .await
        .assert_problem(412, "stale_version");
    let v3 = app
        .patch(&path)
        .token(&admin.token)
        .header("if-match", "*")
        .json(&json!({"sort_order": 1}))
        .send()
        .await
        .assert_ok(200);
    assert_eq!(v3["version"], 3);
    let v4 = app.patch(&path).token(&admin.token).json(&json!({"code": "FL"})).send().await.assert_ok(200);
    assert_eq!((v4["version"].as_i64(), v4["code"].as_str()), (Some(4), Some("FL")));

    // Renaming onto a sibling's name or another unit's code conflicts.
    app.patch(&path)
        .token(&admin.token)
        .json(&json!({"name": "机电工程学院工会"}))
        .send()
        .await
        .assert_problem(409, "unit_name_taken");
    app.patch(&path)
        .token(&admin.token)
        .json(&json!({"code": "A1"}))
        .send()
        .await
        .assert_problem(409, "unit_code_taken");
    app.patch("/units/999999")
        .token(&admin.token)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    let res = app.patch(&path).token(&admin.token).json(&json!({"name": ""})).send().await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["code"], "length");
    assert_eq!(unit(&app, &admin, org.b).await["version"], 4);
}

#[actix_web::test]
async fn moving_a_group_takes_its_subtree_and_member_counts_along() {
    let (app, org, admin) = setup().await;
    let sub = create_ok(&app, &admin, "机电一组甲", "group", Some(org.a_group)).await;
    fixtures::member(
        &app,
        fixtures::M {
            staff_no: "A301",
            name: "周九",
            female: true,
            birth: "1992-03-03",
            unit_id: sub,
            employment: gonghui::membership::types::EmploymentType::Established,
            phone: "13300000010",
        },
    )
    .await;
    assert_eq!(unit(&app, &admin, org.a).await["member_count"], 4);
    assert_eq!(unit(&app, &admin, org.b).await["member_count"], 2);

    let res = app
        .patch(&format!("/units/{}", org.a_group))
        .token(&admin.token)
        .header("if-match", "\"v1\"")
        .json(&json!({"parent_id": org.b}))
        .send()
        .await;
    let moved = res.assert_ok(200);
    assert_eq!(
        (moved["parent_id"].as_i64(), moved["version"].as_i64(), moved["member_count"].as_i64()),
        (Some(org.b), Some(2), Some(2))
    );
    let b_path = path_of(&app, org.b).await;
    assert_eq!(path_of(&app, org.a_group).await, format!("{b_path}{}/", org.a_group));
    assert_eq!(path_of(&app, sub).await, format!("{b_path}{}/{sub}/", org.a_group), "the subtree moved with it");
    assert_eq!(app.scalar(&format!("SELECT parent_id AS id FROM units WHERE id = {sub}")).await, org.a_group);
    assert_eq!(unit(&app, &admin, org.a).await["member_count"], 2);
    assert_eq!(unit(&app, &admin, org.b).await["member_count"], 4);
    assert_eq!(unit(&app, &admin, org.root).await["member_count"], 6);
    // Members keep their unit; the unit's new place puts them in B's lists.
    let in_b =
        app.get(&format!("/members?unit_id={}&sort=staff_no", org.b)).token(&admin.token).send().await.assert_ok(200);
    let staff: Vec<&str> = in_b["items"].as_array().unwrap().iter().map(|m| m["staff_no"].as_str().unwrap()).collect();
    assert_eq!(staff, ["A101", "A301", "B001", "B002"]);
    // A unit admin of B now sees the moved group; one of A no longer does.
    let b_admin = app.unit_admin(org.b).await;
    assert_eq!(unit(&app, &b_admin, sub).await["id"], sub);
    let a_admin = app.unit_admin(org.a).await;
    app.get(&format!("/units/{sub}")).token(&a_admin.token).send().await.assert_problem(404, "not_found");

    // A group can also hang under another group, and the moved tree stays consistent.
    let back = app
        .patch(&format!("/units/{}", org.a_group))
        .token(&admin.token)
        .json(&json!({"parent_id": org.a}))
        .send()
        .await
        .assert_ok(200);
    assert_eq!(back["version"], 3);
    let a_path = path_of(&app, org.a).await;
    assert_eq!(path_of(&app, sub).await, format!("{a_path}{}/{sub}/", org.a_group));
    // Moving to the parent it already has changes nothing but the version.
    let same = app
        .patch(&format!("/units/{}", org.a_group))
        .token(&admin.token)
        .json(&json!({"parent_id": org.a}))
        .send()
        .await
        .assert_ok(200);
    assert_eq!(same["parent_id"], org.a);
}

#[actix_web::test]
async fn moves_that_would_make_a_cycle_or_misplace_a_kind_are_refused() {
    let (app, org, admin) = setup().await;
    let sub = create_ok(&app, &admin, "机电一组甲", "group", Some(org.a_group)).await;
    let before: Vec<String> = vec![path_of(&app, org.a_group).await, path_of(&app, sub).await];
    let patch = |id: i64, parent: i64| {
        let app = &app;
        let token = admin.token.clone();
        async move { app.patch(&format!("/units/{id}")).token(&token).json(&json!({"parent_id": parent})).send().await }
    };
    patch(org.a_group, org.a_group).await.assert_problem(409, "unit_cycle");
    patch(org.a_group, sub).await.assert_problem(409, "unit_cycle");
    patch(org.a, sub).await.assert_problem(409, "unit_cycle");
    patch(org.a, org.a).await.assert_problem(409, "unit_cycle");
    // Kinds: a secondary cannot go under another secondary or a group; the root cannot move.
    patch(org.a, org.b).await.assert_problem(409, "unit_kind_misplaced");
    patch(org.a_group, org.root).await.assert_problem(409, "unit_kind_misplaced");
    patch(org.root, org.a).await.assert_problem(409, "unit_kind_misplaced");
    let res = patch(org.a_group, 999999).await;
    let p = res.assert_problem(422, "validation_failed");
    assert_eq!(
        (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
        (Some("parent_id"), Some("unknown_unit"))
    );
    // Nothing moved, no version was spent.
    assert_eq!(vec![path_of(&app, org.a_group).await, path_of(&app, sub).await], before);
    assert_eq!(app.scalar("SELECT max(version)::bigint AS id FROM units").await, 1);
}

#[actix_web::test]
async fn unit_admin_sees_only_its_subtree_and_cannot_write() {
    let (app, org, _) = setup().await;
    let a_admin = app.unit_admin(org.a).await;
    let page = app.get("/units").token(&a_admin.token).send().await.assert_ok(200);
    assert_eq!(page["total"], 2);
    assert_eq!(names(&page), ["机电工程学院工会", "机电一组"]);
    let filtered = app.get(&format!("/units?parent_id={}", org.root)).token(&a_admin.token).send().await.assert_ok(200);
    assert_eq!(names(&filtered), ["机电工程学院工会"]);
    let tree = app.get("/units/tree").token(&a_admin.token).send().await.assert_ok(200);
    assert_eq!(tree.as_array().unwrap().len(), 1, "rooted at its unit");
    assert_eq!((tree[0]["id"].as_i64(), tree[0]["member_count"].as_i64()), (Some(org.a), Some(3)));
    assert_eq!(names(&tree[0]["children"]), ["机电一组"]);
    assert_eq!(unit(&app, &a_admin, org.a_group).await["name"], "机电一组");
    for outside in [org.b, org.root] {
        app.get(&format!("/units/{outside}")).token(&a_admin.token).send().await.assert_problem(404, "not_found");
    }
    // No writes at all, not even inside its own subtree.
    let res = create(&app, &a_admin, json!({"name": "新小组", "kind": "group", "parent_id": org.a})).await;
    res.assert_problem(403, "forbidden");
    app.patch(&format!("/units/{}", org.a_group))
        .token(&a_admin.token)
        .json(&json!({"name": "改名"}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM units").await, 4);
    assert_eq!(app.scalar("SELECT max(version)::bigint AS id FROM units").await, 1);

    // A unit admin of the group sees just the group.
    let g_admin = app.unit_admin(org.a_group).await;
    let tree = app.get("/units/tree").token(&g_admin.token).send().await.assert_ok(200);
    assert_eq!((tree.as_array().unwrap().len(), tree[0]["id"].as_i64()), (1, Some(org.a_group)));
    app.get(&format!("/units/{}", org.a)).token(&g_admin.token).send().await.assert_problem(404, "not_found");
    // Two grants: both subtrees, as two roots.
    let both = app.user(&[(Role::UnitAdmin, Some(org.a_group)), (Role::UnitAdmin, Some(org.b))]).await;
    let tree = app.get("/units/tree").token(&both.token).send().await.assert_ok(200);
    let mut ids: Vec<i64> = tree.as_array().unwrap().iter().map(|n| n["id"].as_i64().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, [org.a_group, org.b]);
}

#[actix_web::test]
async fn reading_and_writing_units_by_role() {
    let (app, org, _) = setup().await;
    // No token, bad token.
    app.get("/units").send().await.assert_problem(401, "missing_token");
    app.get("/units/tree").send().await.assert_problem(401, "missing_token");
    app.get(&format!("/units/{}", org.a)).send().await.assert_problem(401, "missing_token");
    app.post("/units")
        .json(&json!({"name": "x", "kind": "group", "parent_id": org.a}))
        .send()
        .await
        .assert_problem(401, "missing_token");
    app.patch(&format!("/units/{}", org.a))
        .json(&json!({"name": "x"}))
        .send()
        .await
        .assert_problem(401, "missing_token");
    app.get("/units").token("not-a-token").send().await.assert_problem(401, "invalid_token");
    // A plain member reads nothing.
    let member = app.with_role(Role::Member).await;
    app.get("/units").token(&member.token).send().await.assert_problem(403, "forbidden");
    app.get("/units/tree").token(&member.token).send().await.assert_problem(403, "forbidden");
    app.get(&format!("/units/{}", org.a)).token(&member.token).send().await.assert_problem(403, "forbidden");
    create(&app, &member, json!({"name": "x", "kind": "group", "parent_id": org.a}))
        .await
        .assert_problem(403, "forbidden");
    // Auditors, finance officers and system admins read the whole tree but write nothing.
    for role in [Role::Auditor, Role::FinanceOfficer, Role::SystemAdmin] {
        let user = app.with_role(role).await;
        let page = app.get("/units").token(&user.token).send().await.assert_ok(200);
        assert_eq!(page["total"], 4, "{role:?}");
        assert_eq!(unit(&app, &user, org.b).await["member_count"], 2, "{role:?}");
        let tree = app.get("/units/tree").token(&user.token).send().await.assert_ok(200);
        assert_eq!(tree[0]["id"], org.root, "{role:?}");
        create(&app, &user, json!({"name": "x", "kind": "group", "parent_id": org.a}))
            .await
            .assert_problem(403, "forbidden");
        app.patch(&format!("/units/{}", org.a))
            .token(&user.token)
            .json(&json!({"name": "x"}))
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
    assert_eq!(app.scalar("SELECT count(*) AS id FROM units").await, 4);
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
