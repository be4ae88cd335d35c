//! `/congresses/{id}/delegates`, check-ins and participation: adding one or many delegates,
//! the roll's rules by congress status, what unit admins see, idempotent check-ins, and
//! participation figures (289 formal + 31 observers, all present → 100%).

use crate::common;

use common::TestApp;
use common::democracy::{check_in, congress, congress_at_unit, delegates, make_delegate, set_congress_status};
use common::fixtures;
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

fn ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect()
}

#[actix_web::test]
async fn adding_a_delegate_checks_the_member_the_delegation_and_the_congress() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let school = congress(&app, org.root, "school", "2023-TA").await;
    let path = format!("/congresses/{school}/delegates");

    let res = app
        .post(&path)
        .token(&admin.token)
        .json(&json!({"member_id": org.wang_wu, "kind": "formal", "category": "administrative"}))
        .send()
        .await;
    let d = res.assert_ok(201);
    let id = d["id"].as_i64().unwrap();
    assert_eq!(res.header("location"), Some(format!("/api/v1/congresses/{school}/delegates/{id}")));
    assert_eq!(d["member_id"], org.wang_wu);
    assert_eq!((d["staff_no"].as_str(), d["name"].as_str()), (Some("A101"), Some("王五")));
    assert_eq!((d["unit_id"].as_i64(), d["unit_name"].as_str()), (Some(org.a_group), Some("机电一组")));
    // The delegation defaults to the member's secondary union, not their group.
    assert_eq!(
        (d["delegation_unit_id"].as_i64(), d["delegation_unit_name"].as_str()),
        (Some(org.a), Some("机电工程学院工会"))
    );
    assert_eq!((d["kind"].as_str(), d["category"].as_str()), (Some("formal"), Some("administrative")));
    assert_eq!((d["sittings_present"].as_i64(), d["sittings_excused"].as_i64()), (Some(0), Some(0)));
    let o = app
        .post(&path)
        .token(&admin.token)
        .json(&json!({"member_id": org.zhao_liu, "kind": "observer", "delegation_unit_id": org.root}))
        .send()
        .await
        .assert_ok(201);
    assert_eq!((o["category"].as_str(), o["delegation_unit_id"].as_i64()), (Some("teacher"), Some(org.root)));
    let c = app.get(&format!("/congresses/{school}")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!((c["formal_delegates"].as_i64(), c["observer_delegates"].as_i64()), (Some(1), Some(1)));
    let audit = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'delegate.create' AND entity_id = '{id}'"
        ))
        .await;
    assert_eq!(audit, 1);
    let one = app.get(&format!("{path}/{id}")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(one["staff_no"], "A101");

    app.post(&path)
        .token(&admin.token)
        .json(&json!({"member_id": org.wang_wu, "kind": "observer"}))
        .send()
        .await
        .assert_problem(409, "already_delegate");
    app.sql(&format!("UPDATE members SET status = 'left', left_on = '2023-01-01' WHERE id = {}", org.qian_qi)).await;
    app.post(&path)
        .token(&admin.token)
        .json(&json!({"member_id": org.qian_qi, "kind": "formal"}))
        .send()
        .await
        .assert_problem(409, "member_not_active");
    let res = app.post(&path).token(&admin.token).json(&json!({"member_id": 999999, "kind": "formal"})).send().await;
    res.assert_problem(422, "validation_failed");
    assert_eq!(
        (res.error_fields(), res.json()["errors"][0]["code"].clone()),
        (vec!["member_id".to_owned()], json!("unknown_member"))
    );
    let res = app
        .post(&path)
        .token(&admin.token)
        .json(&json!({"member_id": 0, "kind": "voter", "category": "x"}))
        .send()
        .await;
    res.assert_problem(422, "validation_failed");
    let res = app.post(&path).token(&admin.token).json(&json!({"member_id": org.li_si})).send().await;
    assert_eq!(res.error_fields(), ["kind"]);
    let res = app
        .post(&path)
        .token(&admin.token)
        .json(&json!({"member_id": org.li_si, "kind": "formal", "delegation_unit_id": 999999}))
        .send()
        .await;
    assert_eq!(res.error_fields(), ["delegation_unit_id"]);
    app.post("/congresses/999999/delegates")
        .token(&admin.token)
        .json(&json!({"member_id": org.li_si, "kind": "formal"}))
        .send()
        .await
        .assert_problem(404, "not_found");

    // A's unit congress: delegations must lie inside A.
    let a_congress = congress_at_unit(&app, org.a).await;
    let res = app
        .post(&format!("/congresses/{a_congress}/delegates"))
        .token(&admin.token)
        .json(&json!({"member_id": org.li_si, "kind": "formal", "delegation_unit_id": org.b}))
        .send()
        .await;
    assert_eq!((res.status, res.json()["errors"][0]["code"].clone()), (422, json!("outside_congress")));
    let res = app
        .post(&format!("/congresses/{a_congress}/delegates"))
        .token(&admin.token)
        .json(&json!({"member_id": org.zhao_liu, "kind": "formal"}))
        .send()
        .await;
    assert_eq!((res.status, res.error_fields()), (422, vec!["member_id".to_owned()]));

    // Closed congresses take no one; roles without CongressesManage are refused.
    set_congress_status(&app, school, "closed").await;
    app.post(&path)
        .token(&admin.token)
        .json(&json!({"member_id": org.li_si, "kind": "formal"}))
        .send()
        .await
        .assert_problem(409, "congress_closed");
    for role in [Role::Member, Role::Handler, Role::ProposalCommittee] {
        let user = app.with_role(role).await;
        app.post(&path)
            .token(&user.token)
            .json(&json!({"member_id": org.li_si, "kind": "formal"}))
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
    app.post(&path)
        .json(&json!({"member_id": org.li_si, "kind": "formal"}))
        .send()
        .await
        .assert_problem(401, "missing_token");
}

#[actix_web::test]
async fn unit_admins_see_and_change_only_what_is_theirs() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let school = congress(&app, org.root, "school", "2023-TA").await;
    make_delegate(&app, school, org.zhang_san, "formal").await;
    make_delegate(&app, school, org.zhao_liu, "formal").await;
    let b_congress = congress_at_unit(&app, org.b).await;
    let b_delegate = make_delegate(&app, b_congress, org.qian_qi, "formal").await;
    let a_admin = app.unit_admin(org.a).await;
    let t = a_admin.token.as_str();

    // Their own unit congress: the whole roll, and they manage it.
    let a_congress = app
        .post("/congresses")
        .token(t)
        .json(&json!({
            "unit_id": org.a, "level": "unit", "name": "机电学院教代会", "term": 1, "session": 1, "year": 2023,
            "starts_on": "2023-04-10", "ends_on": "2023-04-10"}))
        .send()
        .await
        .assert_ok(201)["id"]
        .as_i64()
        .unwrap();
    let d = app
        .post(&format!("/congresses/{a_congress}/delegates"))
        .token(t)
        .json(&json!({"member_id": org.li_si, "kind": "formal"}))
        .send()
        .await
        .assert_ok(201);
    assert_eq!(d["delegation_unit_id"], org.a);
    // A member of B is not theirs to add.
    let res = app
        .post(&format!("/congresses/{a_congress}/delegates"))
        .token(t)
        .json(&json!({"member_id": org.zhao_liu, "kind": "formal"}))
        .send()
        .await;
    assert_eq!((res.status, res.json()["errors"][0]["code"].clone()), (422, json!("unknown_member")));

    // The school congress: only A's delegation, and no writes.
    let roll = app.get(&format!("/congresses/{school}/delegates")).token(t).send().await.assert_ok(200);
    assert_eq!(roll["total"], 1);
    assert_eq!(roll["items"][0]["member_id"], org.zhang_san);
    let zhao = app
        .scalar(&format!("SELECT id FROM delegates WHERE congress_id = {school} AND member_id = {}", org.zhao_liu))
        .await;
    app.get(&format!("/congresses/{school}/delegates/{zhao}")).token(t).send().await.assert_problem(404, "not_found");
    app.post(&format!("/congresses/{school}/delegates"))
        .token(t)
        .json(&json!({"member_id": org.wang_wu, "kind": "formal"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("/congresses/{school}/delegates/bulk"))
        .token(t)
        .json(&json!({"staff_nos": ["A101"], "kind": "formal"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    set_congress_status(&app, school, "in_session").await;
    app.post(&format!("/congresses/{school}/check-ins"))
        .token(t)
        .json(&json!({"sitting": 1, "staff_nos": ["A001"]}))
        .send()
        .await
        .assert_problem(404, "not_found");
    let p = app.get(&format!("/congresses/{school}/participation")).token(t).send().await.assert_ok(200);
    assert_eq!((p["complete"].as_bool(), p["formal_total"].as_i64()), (Some(false), Some(1)));

    // B's congress: nothing at all.
    for path in [
        format!("/congresses/{b_congress}/delegates"),
        format!("/congresses/{b_congress}/delegates/{}", b_delegate.id),
        format!("/congresses/{b_congress}/check-ins"),
        format!("/congresses/{b_congress}/participation"),
    ] {
        app.get(&path).token(t).send().await.assert_problem(404, "not_found");
    }
    app.delete(&format!("/congresses/{b_congress}/delegates/{}", b_delegate.id))
        .token(t)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.patch(&format!("/congresses/{b_congress}/delegates/{}", b_delegate.id))
        .token(t)
        .json(&json!({"category": "leader"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM delegates WHERE congress_id = {b_congress}")).await, 1);

    // Members and handlers may not read rolls; the committee may.
    for role in [Role::Member, Role::Handler] {
        let user = app.with_role(role).await;
        app.get(&format!("/congresses/{school}/delegates"))
            .token(&user.token)
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.get(&format!("/congresses/{school}/participation"))
            .token(&user.token)
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
    let committee = app.with_role(Role::ProposalCommittee).await;
    let all = app.get(&format!("/congresses/{school}/delegates")).token(&committee.token).send().await.assert_ok(200);
    assert_eq!(all["total"], 2);
    app.get(&format!("/congresses/{school}/delegates")).send().await.assert_problem(401, "missing_token");
}

#[actix_web::test]
async fn the_roll_filters_by_kind_category_delegation_and_name() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let school = congress(&app, org.root, "school", "2023-TA").await;
    let a_formal = delegates(&app, school, org.a, "formal", 12, "AF").await;
    let b_observers = delegates(&app, school, org.b, "observer", 3, "BO").await;
    let zhang = make_delegate(&app, school, org.zhang_san, "formal").await;
    app.sql(&format!("UPDATE delegates SET category = 'leader' WHERE id = {}", zhang.id)).await;
    set_congress_status(&app, school, "in_session").await;
    check_in(&app, &a_formal[..2], 1, "present").await;
    check_in(&app, &a_formal[..1], 2, "present").await;
    check_in(&app, &a_formal[1..2], 2, "excused").await;
    let base = format!("/congresses/{school}/delegates");
    let get = |q: &str| {
        let url = format!("{base}{q}");
        let app = &app;
        let token = admin.token.clone();
        async move { app.get(&url).token(&token).send().await.assert_ok(200) }
    };

    let all = get("?per_page=100").await;
    assert_eq!(all["total"], 16);
    let first = &all["items"][0];
    assert_eq!(
        (first["staff_no"].as_str(), first["sittings_present"].as_i64(), first["sittings_excused"].as_i64()),
        (Some("A001"), Some(0), Some(0))
    );
    let af1 = all["items"].as_array().unwrap().iter().find(|d| d["id"] == a_formal[0].id).unwrap();
    assert_eq!((af1["sittings_present"].as_i64(), af1["sittings_excused"].as_i64()), (Some(2), Some(0)));
    let af2 = all["items"].as_array().unwrap().iter().find(|d| d["id"] == a_formal[1].id).unwrap();
    assert_eq!((af2["sittings_present"].as_i64(), af2["sittings_excused"].as_i64()), (Some(1), Some(1)));

    assert_eq!(get("?kind=observer").await["total"], 3);
    let obs = get("?kind=observer").await;
    assert_eq!(ids(&obs), b_observers.iter().map(|d| d.id).collect::<Vec<_>>());
    assert_eq!(ids(&get("?category=leader").await), [zhang.id]);
    assert_eq!(get(&format!("?unit_id={}", org.a)).await["total"], 13);
    assert_eq!(get(&format!("?unit_id={}&kind=formal&category=teacher", org.a)).await["total"], 12);
    assert_eq!(ids(&get("?q=张").await), [zhang.id]);
    assert_eq!(get("?q=AF-1").await["total"], 4, "AF-1, AF-10, AF-11, AF-12 by staff-number prefix");
    assert_eq!(get("?q=%25").await["total"], 0, "LIKE wildcards are literal");
    let page = get("?per_page=5&page=4").await;
    assert_eq!((page["total"].as_i64(), ids(&page).len()), (Some(16), 1));
    for bad in ["?kind=voter", "?per_page=0", "?unit_id=0", "?category=teacherx"] {
        app.get(&format!("{base}{bad}")).token(&admin.token).send().await.assert_problem(422, "validation_failed");
    }
    app.get("/congresses/999999/delegates").token(&admin.token).send().await.assert_problem(404, "not_found");
    app.get(&format!("{base}/999999")).token(&admin.token).send().await.assert_problem(404, "not_found");

    // The roll as a file (代表名单): every matching delegate, not one page.
    let csv = app.get(&format!("{base}?format=csv&kind=formal&per_page=1")).token(&admin.token).send().await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 13, "a header and the 13 formal delegates");
    assert!(lines[0].contains("工号") && lines[0].contains("代表团"), "{}", lines[0]);
    assert!(text.contains("A001,张三,机电工程学院工会,机电工程学院工会,正式代表,领导干部,0,0"), "{text}");
    let xlsx = app.get(&format!("{base}?format=xlsx")).token(&admin.token).send().await;
    assert_eq!((xlsx.status, &xlsx.body[..2]), (200, &b"PK"[..]), "a zip (xlsx) file");
}

#[actix_web::test]
async fn bulk_add_reports_every_staff_number() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let school = congress(&app, org.root, "school", "2023-TA").await;
    make_delegate(&app, school, org.li_si, "formal").await;
    app.sql(&format!("UPDATE members SET status = 'left', left_on = '2023-01-01' WHERE id = {}", org.qian_qi)).await;
    let path = format!("/congresses/{school}/delegates/bulk");

    let body = json!({
        "staff_nos": ["A001", "A101", "A002", "NOPE-1", "B002", "A001", "B001"],
        "kind": "formal", "category": "support",
    });
    let r = app.post(&path).token(&admin.token).json(&body).send().await.assert_ok(200);
    let added: Vec<&str> = r["added"].as_array().unwrap().iter().map(|a| a["staff_no"].as_str().unwrap()).collect();
    assert_eq!(added, ["A001", "A101", "B001"]);
    assert_eq!(r["already_delegates"], json!(["A002"]));
    assert_eq!(r["unknown_staff_nos"], json!(["NOPE-1"]));
    assert_eq!(r["inactive"], json!(["B002"]));
    assert_eq!(r["outside_congress"], json!([]));
    let a001 = r["added"][0]["delegate_id"].as_i64().unwrap();
    let row =
        app.get(&format!("/congresses/{school}/delegates/{a001}")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!((row["category"].as_str(), row["delegation_unit_id"].as_i64()), (Some("support"), Some(org.a)));
    let b001 = app
        .scalar(&format!(
            "SELECT delegation_unit_id AS id FROM delegates WHERE congress_id = {school} AND member_id = {}",
            org.zhao_liu
        ))
        .await;
    assert_eq!(b001, org.b);
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM delegates WHERE congress_id = {school}")).await, 4);
    let audit = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'delegate.bulk_add' AND entity_id = '{school}'"
        ))
        .await;
    assert_eq!(audit, 1);

    // Again: nothing new, everyone already a delegate.
    let r = app.post(&path).token(&admin.token).json(&body).send().await.assert_ok(200);
    assert_eq!(r["added"], json!([]));
    assert_eq!(r["already_delegates"], json!(["A001", "A101", "A002", "B001"]));

    // A unit congress of A: B's members are outside it; a unit admin of A does not see them at all.
    let a_congress = congress_at_unit(&app, org.a).await;
    let body = json!({"staff_nos": ["A001", "B001"], "kind": "observer"});
    let r = app
        .post(&format!("/congresses/{a_congress}/delegates/bulk"))
        .token(&admin.token)
        .json(&body)
        .send()
        .await
        .assert_ok(200);
    assert_eq!((r["added"].as_array().unwrap().len(), r["outside_congress"].clone()), (1, json!(["B001"])));
    let a_admin = app.unit_admin(org.a).await;
    let body = json!({"staff_nos": ["A002", "B001"], "kind": "observer"});
    let r = app
        .post(&format!("/congresses/{a_congress}/delegates/bulk"))
        .token(&a_admin.token)
        .json(&body)
        .send()
        .await
        .assert_ok(200);
    assert_eq!((r["added"][0]["staff_no"].as_str(), r["unknown_staff_nos"].clone()), (Some("A002"), json!(["B001"])));
    // One delegation for all must lie inside the congress.
    let body = json!({"staff_nos": ["A101"], "kind": "observer", "delegation_unit_id": org.b});
    let res =
        app.post(&format!("/congresses/{a_congress}/delegates/bulk")).token(&admin.token).json(&body).send().await;
    assert_eq!((res.status, res.error_fields()), (422, vec!["delegation_unit_id".to_owned()]));

    // Limits and formats.
    let many: Vec<String> = (0..1001).map(|i| format!("X{i}")).collect();
    let res = app.post(&path).token(&admin.token).json(&json!({"staff_nos": many, "kind": "formal"})).send().await;
    assert_eq!((res.status, res.error_fields()), (422, vec!["staff_nos".to_owned()]));
    let res = app.post(&path).token(&admin.token).json(&json!({"staff_nos": [], "kind": "formal"})).send().await;
    assert_eq!((res.status, res.error_fields()), (422, vec!["staff_nos".to_owned()]));
    let res = app.post(&path).token(&admin.token).json(&json!({"staff_nos": ["A 001"], "kind": "formal"})).send().await;
    assert_eq!((res.status, res.error_fields()), (422, vec!["staff_nos".to_owned()]));
    let thousand: Vec<String> = (0..1000).map(|i| format!("X{i}")).collect();
    let r = app
        .post(&path)
        .token(&admin.token)
        .json(&json!({"staff_nos": thousand, "kind": "formal"}))
        .send()
        .await
        .assert_ok(200);
    assert_eq!(r["unknown_staff_nos"].as_array().unwrap().len(), 1000);
    set_congress_status(&app, school, "closed").await;
    app.post(&path)
        .token(&admin.token)
        .json(&json!({"staff_nos": ["A001"], "kind": "formal"}))
        .send()
        .await
        .assert_problem(409, "congress_closed");
    let member = app.member_user(org.zhang_san).await;
    app.post(&path)
        .token(&member.token)
        .json(&json!({"staff_nos": ["A001"], "kind": "formal"}))
        .send()
        .await
        .assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn the_roll_changes_only_while_preparing_and_never_under_a_proposal() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let school = congress(&app, org.root, "school", "2023-TA").await;
    let zhang = make_delegate(&app, school, org.zhang_san, "observer").await;
    let li = make_delegate(&app, school, org.li_si, "formal").await;
    let wang = make_delegate(&app, school, org.wang_wu, "formal").await;
    let other = congress_at_unit(&app, org.a).await;
    let path = |d: i64| format!("/congresses/{school}/delegates/{d}");

    let d = app
        .patch(&path(zhang.id))
        .token(&admin.token)
        .json(&json!({"kind": "formal", "category": "leader", "delegation_unit_id": org.root}))
        .send()
        .await
        .assert_ok(200);
    assert_eq!(
        (d["kind"].as_str(), d["category"].as_str(), d["delegation_unit_id"].as_i64()),
        (Some("formal"), Some("leader"), Some(org.root))
    );
    let res = app.patch(&path(zhang.id)).token(&admin.token).json(&json!({"kind": "voter"})).send().await;
    assert_eq!((res.status, res.error_fields()), (422, vec!["kind".to_owned()]));
    // The delegate must belong to the congress in the path.
    app.patch(&format!("/congresses/{other}/delegates/{}", zhang.id))
        .token(&admin.token)
        .json(&json!({"category": "other"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    app.delete(&format!("/congresses/{other}/delegates/{}", zhang.id))
        .token(&admin.token)
        .send()
        .await
        .assert_problem(404, "not_found");

    // A delegate who proposed something stays.
    app.sql(&format!(
        "INSERT INTO proposals (congress_id, proposer_delegate_id, title, category, cause, analysis, measures) \
         VALUES ({school}, {}, '关于延长图书馆开放时间的提案', 'governance', '开放时间短', '需求大', '延长至22点')",
        li.id
    ))
    .await;
    app.delete(&path(li.id)).token(&admin.token).send().await.assert_problem(409, "delegate_in_use");
    app.delete(&path(wang.id)).token(&admin.token).send().await.assert_ok(204);
    app.get(&path(wang.id)).token(&admin.token).send().await.assert_problem(404, "not_found");
    let audit = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'delegate.delete' AND entity_id = '{}'",
            wang.id
        ))
        .await;
    assert_eq!(audit, 1);

    // Once open, the roll is fixed (adding is still possible, a by-election).
    set_congress_status(&app, school, "in_session").await;
    app.patch(&path(zhang.id))
        .token(&admin.token)
        .json(&json!({"category": "other"}))
        .send()
        .await
        .assert_problem(409, "congress_not_preparing");
    app.delete(&path(zhang.id)).token(&admin.token).send().await.assert_problem(409, "congress_not_preparing");
    app.post(&format!("/congresses/{school}/delegates"))
        .token(&admin.token)
        .json(&json!({"member_id": org.wang_wu, "kind": "formal"}))
        .send()
        .await
        .assert_ok(201);
    set_congress_status(&app, school, "closed").await;
    app.delete(&path(zhang.id)).token(&admin.token).send().await.assert_problem(409, "congress_closed");
    let handler = app.with_role(Role::Handler).await;
    app.delete(&path(zhang.id)).token(&handler.token).send().await.assert_problem(403, "forbidden");
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM delegates WHERE congress_id = {school}")).await, 3);
}

#[actix_web::test]
async fn check_ins_are_taken_in_session_and_are_idempotent() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let school = congress(&app, org.root, "school", "2023-TA").await;
    let crowd = delegates(&app, school, org.a, "formal", 5, "CK").await;
    let zhang = make_delegate(&app, school, org.zhang_san, "observer").await;
    let path = format!("/congresses/{school}/check-ins");
    let ids: Vec<i64> = crowd.iter().map(|d| d.id).collect();

    app.post(&path)
        .token(&admin.token)
        .json(&json!({"sitting": 1, "delegate_ids": ids}))
        .send()
        .await
        .assert_problem(409, "congress_not_in_session");
    set_congress_status(&app, school, "in_session").await;

    let r = app
        .post(&path)
        .token(&admin.token)
        .json(&json!({"sitting": 1, "delegate_ids": [ids[0], ids[1], ids[2], 999999, ids[0]]}))
        .send()
        .await
        .assert_ok(200);
    assert_eq!((r["recorded"].as_i64(), r["updated"].as_i64(), r["unchanged"].as_i64()), (Some(3), Some(0), Some(0)));
    assert_eq!(r["unknown_delegate_ids"], json!([999999]));
    assert_eq!(r["status"], "present");
    let r = app
        .post(&path)
        .token(&admin.token)
        .json(&json!({"sitting": 1, "delegate_ids": [ids[0], ids[1]]}))
        .send()
        .await
        .assert_ok(200);
    assert_eq!((r["recorded"].as_i64(), r["updated"].as_i64(), r["unchanged"].as_i64()), (Some(0), Some(0), Some(2)));
    // Excused, then present after all; present never turns into excused.
    let r = app
        .post(&path)
        .token(&admin.token)
        .json(&json!({"sitting": 1, "delegate_ids": [ids[3], ids[0]], "status": "excused"}))
        .send()
        .await
        .assert_ok(200);
    assert_eq!((r["recorded"].as_i64(), r["unchanged"].as_i64()), (Some(1), Some(1)));
    let r = app
        .post(&path)
        .token(&admin.token)
        .json(&json!({"sitting": 1, "staff_nos": ["CK-4", "A001", "NOPE"]}))
        .send()
        .await
        .assert_ok(200);
    assert_eq!((r["recorded"].as_i64(), r["updated"].as_i64()), (Some(1), Some(1)));
    assert_eq!(r["unknown_staff_nos"], json!(["NOPE"]));
    let statuses = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM check_ins c JOIN delegates d ON d.id = c.delegate_id \
             WHERE d.congress_id = {school} AND c.sitting = 1 AND c.status = 'present' AND c.recorded_by = {}",
            admin.id
        ))
        .await;
    assert_eq!(statuses, 5, "CK-1..CK-4 and 张三 (observer) present");
    let _ = zhang;

    // The list, by sitting.
    app.post(&path)
        .token(&admin.token)
        .json(&json!({"sitting": 2, "delegate_ids": [ids[4]], "status": "excused"}))
        .send()
        .await
        .assert_ok(200);
    let list = app.get(&format!("{path}?sitting=1&per_page=2")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(list["total"], 5);
    assert_eq!((list["items"][0]["sitting"].as_i64(), list["items"][0]["status"].as_str()), (Some(1), Some("present")));
    let excused = app.get(&format!("{path}?status=excused")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!((excused["total"].as_i64(), excused["items"][0]["staff_no"].as_str()), (Some(1), Some("CK-5")));
    let observers = app.get(&format!("{path}?kind=observer")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!((observers["total"].as_i64(), observers["items"][0]["name"].as_str()), (Some(1), Some("张三")));

    // The check-in sheet as a file (签到表): every matching record, not one page, in the
    // list's order; CSV by `format=csv` or `Accept: text/csv`, XLSX by `format=xlsx`.
    let all = app.get(&format!("{path}?sitting=1&per_page=100")).token(&admin.token).send().await.assert_ok(200);
    let csv = app.get(&format!("{path}?sitting=1&format=csv&per_page=1")).token(&admin.token).send().await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv.header("content-disposition").unwrap().contains("check-ins.csv"));
    let text = csv.text();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "会次,工号,姓名,代表团,身份,签到状态,登记时间");
    assert_eq!(lines.len(), 1 + 5, "{text}");
    for (line, item) in lines[1..].iter().zip(all["items"].as_array().unwrap()) {
        let kind = if item["kind"] == "formal" { "正式代表" } else { "列席代表" };
        let start = format!(
            "1,{},{},{},{kind},出席,",
            item["staff_no"].as_str().unwrap(),
            item["name"].as_str().unwrap(),
            item["delegation_unit_name"].as_str().unwrap()
        );
        assert!(line.starts_with(&start), "{line} / {start}");
    }
    let accepted =
        app.get(&format!("{path}?status=excused")).token(&admin.token).header("accept", "text/csv").send().await;
    assert_eq!(accepted.status, 200);
    let text = accepted.text();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("2,CK-5,") && text.contains(",请假,"), "{text}");
    let xlsx = app.get(&format!("{path}?format=xlsx")).token(&admin.token).send().await;
    assert_eq!((xlsx.status, &xlsx.body[..2]), (200, &b"PK"[..]), "a zip (xlsx) file");
    app.get(&format!("{path}?format=csv")).send().await.assert_problem(401, "missing_token");
    let handler = app.with_role(Role::Handler).await;
    app.get(&format!("{path}?format=csv")).token(&handler.token).send().await.assert_problem(403, "forbidden");
    app.get("/congresses/999999/check-ins?format=csv")
        .token(&admin.token)
        .send()
        .await
        .assert_problem(404, "not_found");

    // Validation: exactly one list, sittings 1–20, ids positive.
    for (body, field) in [
        (json!({"sitting": 1}), "delegate_ids"),
        (json!({"sitting": 1, "delegate_ids": [ids[0]], "staff_nos": ["CK-1"]}), "delegate_ids"),
        (json!({"sitting": 0, "delegate_ids": [ids[0]]}), "sitting"),
        (json!({"sitting": 21, "delegate_ids": [ids[0]]}), "sitting"),
        (json!({"sitting": 1, "delegate_ids": []}), "delegate_ids"),
        (json!({"sitting": 1, "delegate_ids": [-1]}), "delegate_ids"),
        (json!({"sitting": 1, "staff_nos": ["CK-1"], "status": "late"}), "status"),
    ] {
        let res = app.post(&path).token(&admin.token).json(&body).send().await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), [field], "{body}");
    }
    app.get(&format!("{path}?sitting=0")).token(&admin.token).send().await.assert_problem(422, "validation_failed");
    let committee = app.with_role(Role::ProposalCommittee).await;
    app.post(&path)
        .token(&committee.token)
        .json(&json!({"sitting": 1, "delegate_ids": [ids[0]]}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.get(&path).token(&committee.token).send().await.assert_ok(200);
    set_congress_status(&app, school, "closed").await;
    app.post(&path)
        .token(&admin.token)
        .json(&json!({"sitting": 3, "delegate_ids": [ids[0]]}))
        .send()
        .await
        .assert_problem(409, "congress_not_in_session");
    let audit = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'congress.check_in' AND entity_id = '{school}'"
        ))
        .await;
    assert_eq!(audit, 5);
}

#[actix_web::test]
async fn participation_reproduces_the_reports_figures() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let school = congress(&app, org.root, "school", "2023-TA").await;
    let a_formal = delegates(&app, school, org.a, "formal", 189, "PA").await;
    let b_formal = delegates(&app, school, org.b, "formal", 100, "PB").await;
    let observers = delegates(&app, school, org.root, "observer", 31, "PO").await;
    app.post(&format!("/congresses/{school}/open")).token(&admin.token).send().await.assert_ok(200);

    // Sitting 1: everyone, through the API by staff number.
    let staff: Vec<String> = (1..=189)
        .map(|i| format!("PA-{i}"))
        .chain((1..=100).map(|i| format!("PB-{i}")))
        .chain((1..=31).map(|i| format!("PO-{i}")))
        .collect();
    let r = app
        .post(&format!("/congresses/{school}/check-ins"))
        .token(&admin.token)
        .json(&json!({"sitting": 1, "staff_nos": staff}))
        .send()
        .await
        .assert_ok(200);
    assert_eq!(r["recorded"], 320);
    // Sitting 2: 190 of A and B present, 10 excused, 89 absent; 20 observers.
    let present2: Vec<_> = a_formal.iter().take(150).chain(b_formal.iter().take(40)).copied().collect();
    check_in(&app, &present2, 2, "present").await;
    check_in(&app, &b_formal[40..50], 2, "excused").await;
    check_in(&app, &observers[..20], 2, "present").await;

    let p = app.get(&format!("/congresses/{school}/participation")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(p["complete"], true);
    assert_eq!((p["formal_total"].as_i64(), p["observer_total"].as_i64()), (Some(289), Some(31)));
    assert_eq!((p["formal_attended"].as_i64(), p["rate_bp"].as_i64()), (Some(289), Some(10000)));
    let s1 = &p["sittings"][0];
    assert_eq!(
        (
            s1["sitting"].as_i64(),
            s1["formal_total"].as_i64(),
            s1["present"].as_i64(),
            s1["excused"].as_i64(),
            s1["absent"].as_i64()
        ),
        (Some(1), Some(289), Some(289), Some(0), Some(0))
    );
    assert_eq!(
        (s1["observers_present"].as_i64(), s1["rate_bp"].as_i64(), s1["quorum_met"].as_bool()),
        (Some(31), Some(10000), Some(true))
    );
    let s2 = &p["sittings"][1];
    assert_eq!(
        (s2["present"].as_i64(), s2["excused"].as_i64(), s2["absent"].as_i64(), s2["observers_present"].as_i64()),
        (Some(190), Some(10), Some(89), Some(20))
    );
    // 190 / 289 = 65.74% < 2/3: no quorum.
    assert_eq!((s2["rate_bp"].as_i64(), s2["quorum_met"].as_bool()), (Some(6574), Some(false)));
    let by: Vec<(i64, i64, i64, i64, i64)> = p["by_delegation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["unit_id"].as_i64().unwrap(),
                d["formal_total"].as_i64().unwrap(),
                d["observer_total"].as_i64().unwrap(),
                d["formal_attended"].as_i64().unwrap(),
                d["rate_bp"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by, [(org.root, 0, 31, 0, 0), (org.a, 189, 0, 189, 10000), (org.b, 100, 0, 100, 10000)]);
    let c = app.get(&format!("/congresses/{school}")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!((c["formal_delegates"].as_i64(), c["observer_delegates"].as_i64()), (Some(289), Some(31)));

    // One more formal delegate who never came: 289 of 290 attended.
    let late = delegates(&app, school, org.b, "formal", 1, "PL").await;
    let p = app.get(&format!("/congresses/{school}/participation")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(
        (p["formal_total"].as_i64(), p["formal_attended"].as_i64(), p["rate_bp"].as_i64()),
        (Some(290), Some(289), Some(9965))
    );
    let _ = late;

    // A unit admin of B sees B's delegation only, without the quorum verdict.
    let b_admin = app.unit_admin(org.b).await;
    let p = app.get(&format!("/congresses/{school}/participation")).token(&b_admin.token).send().await.assert_ok(200);
    assert_eq!(
        (p["complete"].as_bool(), p["formal_total"].as_i64(), p["formal_attended"].as_i64()),
        (Some(false), Some(101), Some(100))
    );
    assert_eq!(p["sittings"][1]["present"], 40);
    assert_eq!(p["sittings"][1]["excused"], 10);
    assert_eq!(p["sittings"][1]["quorum_met"], Value::Null);
    assert_eq!(p["by_delegation"].as_array().unwrap().len(), 1);
    let empty = congress(&app, org.root, "school", "2023-TB").await;
    let p = app.get(&format!("/congresses/{empty}/participation")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(
        (p["formal_total"].as_i64(), p["rate_bp"].as_i64(), p["sittings"].clone()),
        (Some(0), Some(0), json!([]))
    );
    app.get("/congresses/999999/participation").token(&admin.token).send().await.assert_problem(404, "not_found");
}
