//! Races and retries: `If-Match` under concurrent PATCHes, concurrent transfers of one
//! member, concurrent unit moves that together would build a cycle, and `Idempotency-Key`
//! replays on POST /members.

use crate::common;

use std::collections::HashMap;

use common::fixtures::{self, Org};
use common::{Res, TestApp, TestUser};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use futures_util::future::{join, join_all};
use serde_json::{Value, json};

async fn setup() -> (TestApp, Org, TestUser) {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    (app, org, admin)
}

fn sorted_statuses(res: &[&Res]) -> Vec<u16> {
    let mut s: Vec<u16> = res.iter().map(|r| r.status).collect();
    s.sort();
    s
}

#[actix_web::test]
async fn two_patches_with_the_same_if_match_one_wins() {
    let (app, org, admin) = setup().await;
    let path = format!("/members/{}", org.zhang_san);
    for round in 1..=5 {
        let tag = format!("\"v{round}\"");
        let first = app
            .patch(&path)
            .token(&admin.token)
            .header("if-match", &tag)
            .json(&json!({"name": format!("张三{round}甲")}))
            .send();
        let second = app
            .patch(&path)
            .token(&admin.token)
            .header("if-match", &tag)
            .json(&json!({"name": format!("张三{round}乙")}))
            .send();
        let (r1, r2) = join(first, second).await;
        assert_eq!(sorted_statuses(&[&r1, &r2]), [200, 412], "round {round}: {} / {}", r1.text(), r2.text());
        let (winner, loser) = if r1.status == 200 { (&r1, &r2) } else { (&r2, &r1) };
        loser.assert_problem(412, "stale_version");
        let won = winner.json();
        assert_eq!(won["version"], round + 1);
        assert_eq!(winner.header("etag"), Some(format!("\"v{}\"", round + 1)));
        // The stored row is exactly the winner's.
        let now = app.get(&path).token(&admin.token).send().await.assert_ok(200);
        assert_eq!((now["name"].clone(), now["version"].clone()), (won["name"].clone(), json!(round + 1)));
    }
    let updates = format!(
        "SELECT count(*) AS id FROM audit_log WHERE action = 'member.update' AND entity_id = '{}'",
        org.zhang_san
    );
    assert_eq!(app.scalar(&updates).await, 5, "one audit row per successful update");
}

#[actix_web::test]
async fn two_unit_patches_with_the_same_if_match_one_wins() {
    let (app, org, admin) = setup().await;
    let path = format!("/units/{}", org.b);
    for round in 1..=3 {
        let tag = format!("\"v{round}\"");
        let a = app
            .patch(&path)
            .token(&admin.token)
            .header("if-match", &tag)
            .json(&json!({"sort_order": round * 10}))
            .send();
        let b = app
            .patch(&path)
            .token(&admin.token)
            .header("if-match", &tag)
            .json(&json!({"sort_order": round * 10 + 1}))
            .send();
        let (r1, r2) = join(a, b).await;
        assert_eq!(sorted_statuses(&[&r1, &r2]), [200, 412], "round {round}: {} / {}", r1.text(), r2.text());
    }
    assert_eq!(app.scalar(&format!("SELECT version::bigint AS id FROM units WHERE id = {}", org.b)).await, 4);
}

#[derive(QueryableByName, Debug)]
struct HistRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    from_unit_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    to_unit_id: Option<i64>,
}

/// After any interleaving: version = 1 + successes, one history row per success, and the
/// rows chain (each transfer starts where the previous one ended, the last where the member is).
async fn assert_transfer_bookkeeping(app: &TestApp, member: i64, start_unit: i64, results: &[Res]) {
    let successes = results.iter().filter(|r| r.status == 200).count() as i64;
    assert!(successes >= 1, "a transfer to another unit always applies");
    for r in results.iter().filter(|r| r.status != 200) {
        r.assert_problem(409, "same_unit");
    }
    assert_eq!(
        app.scalar(&format!("SELECT version::bigint AS id FROM members WHERE id = {member}")).await,
        1 + successes
    );
    let mut conn = app.conn().await;
    let rows: Vec<HistRow> = diesel::sql_query(format!(
        "SELECT from_unit_id, to_unit_id FROM member_history \
         WHERE member_id = {member} AND event = 'transferred' ORDER BY id"
    ))
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(rows.len() as i64, successes);
    let mut at = start_unit;
    for row in &rows {
        assert_eq!(row.from_unit_id, Some(at), "{rows:?}");
        assert_ne!(row.to_unit_id, Some(at));
        at = row.to_unit_id.unwrap();
    }
    assert_eq!(app.scalar(&format!("SELECT unit_id AS id FROM members WHERE id = {member}")).await, at);
    let versions: Vec<i64> =
        results.iter().filter(|r| r.status == 200).map(|r| r.json()["version"].as_i64().unwrap()).collect();
    let mut sorted = versions.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), versions.len(), "each success saw its own version: {versions:?}");
}

#[actix_web::test]
async fn concurrent_transfers_of_one_member_serialise() {
    let (app, org, admin) = setup().await;
    // Both to the same unit: the second finds the member already there.
    let to_b = || {
        app.post(&format!("/members/{}/transfer", org.zhang_san))
            .token(&admin.token)
            .json(&json!({"to_unit_id": org.b}))
            .send()
    };
    let (r1, r2) = join(to_b(), to_b()).await;
    assert_eq!(sorted_statuses(&[&r1, &r2]), [200, 409]);
    assert_transfer_bookkeeping(&app, org.zhang_san, org.a, &[r1, r2]).await;

    // Six at once to alternating units: any mix of 200 and 409, never a lost update.
    let targets = [org.b, org.a_group, org.a, org.a_group, org.b, org.a];
    let results = join_all(targets.iter().map(|t| {
        app.post(&format!("/members/{}/transfer", org.li_si)).token(&admin.token).json(&json!({"to_unit_id": t})).send()
    }))
    .await;
    assert_transfer_bookkeeping(&app, org.li_si, org.a, &results).await;
}

#[derive(QueryableByName, Debug, Clone)]
struct UnitRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    parent_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    path: String,
}

/// Every path starts with the root's, equals its parent's path plus its id, and every
/// parent chain reaches the root.
async fn assert_tree_is_acyclic(app: &TestApp, root: i64) {
    let mut conn = app.conn().await;
    let rows: Vec<UnitRow> = diesel::sql_query("SELECT id, parent_id, path FROM units").load(&mut conn).await.unwrap();
    let by_id: HashMap<i64, UnitRow> = rows.iter().map(|r| (r.id, r.clone())).collect();
    let root_path = by_id[&root].path.clone();
    assert_eq!(root_path, format!("/{root}/"));
    for unit in &rows {
        assert!(unit.path.starts_with(&root_path), "{unit:?}");
        if let Some(parent) = unit.parent_id {
            assert_eq!(unit.path, format!("{}{}/", by_id[&parent].path, unit.id), "{unit:?}");
        } else {
            assert_eq!(unit.id, root);
        }
        let mut at = unit.id;
        let mut steps = 0;
        while let Some(parent) = by_id[&at].parent_id {
            at = parent;
            steps += 1;
            assert!(steps <= rows.len(), "cycle through {}", unit.id);
        }
        assert_eq!(at, root, "{unit:?} reaches the root");
    }
}

#[actix_web::test]
async fn concurrent_moves_never_build_a_cycle() {
    let (app, org, admin) = setup().await;
    let group = |name: String, parent: i64| {
        let app = &app;
        let token = admin.token.clone();
        async move {
            app.post("/units")
                .token(&token)
                .json(&json!({"name": name, "kind": "group", "parent_id": parent}))
                .send()
                .await
                .assert_ok(201)["id"]
                .as_i64()
                .unwrap()
        }
    };
    let move_under = |id: i64, parent: i64| {
        app.patch(&format!("/units/{id}")).token(&admin.token).json(&json!({"parent_id": parent})).send()
    };
    for round in 0..4 {
        let x = group(format!("X{round}"), org.a).await;
        let y = group(format!("Y{round}"), org.b).await;
        let (r1, r2) = join(move_under(x, y), move_under(y, x)).await;
        let ok = [&r1, &r2].iter().filter(|r| r.status == 200).count();
        assert!(ok <= 1, "round {round}: both moves succeeded");
        assert_eq!(sorted_statuses(&[&r1, &r2]), [200, 409], "{} / {}", r1.text(), r2.text());
        let loser = if r1.status == 409 { &r1 } else { &r2 };
        loser.assert_problem(409, "unit_cycle");
        assert_tree_is_acyclic(&app, org.root).await;
    }
    // A three-way cycle attempted at once: P→Q, Q→R, R→P; exactly two can apply.
    let x = group("P".into(), org.a).await;
    let y = group("Q".into(), org.b).await;
    let z = group("R".into(), org.a_group).await;
    let results = join_all([move_under(x, y), move_under(y, z), move_under(z, x)]).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 2, "{:?}", results.iter().map(Res::text).collect::<Vec<_>>());
    for r in results.iter().filter(|r| r.status != 200) {
        r.assert_problem(409, "unit_cycle");
    }
    assert_tree_is_acyclic(&app, org.root).await;
    // Member counts still add up: every active member counted once at the root.
    let root = app.get(&format!("/units/{}", org.root)).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(root["member_count"], 5);
}

// ---------------------------------------------------------------- idempotency

fn new_member(staff_no: &str, name: &str, unit: i64) -> Value {
    json!({
        "staff_no": staff_no,
        "name": name,
        "gender": "female",
        "birth_date": "1993-02-14",
        "unit_id": unit,
        "employment_type": "contract",
        "joined_on": "2018-07-01",
        "phone": "15900001111",
    })
}

async fn post_with_key(app: &TestApp, user: &TestUser, key: &str, body: &Value) -> Res {
    app.post("/members").token(&user.token).header("idempotency-key", key).json(body).send().await
}

async fn count_staff(app: &TestApp, staff_no: &str) -> i64 {
    app.scalar(&format!("SELECT count(*) AS id FROM members WHERE staff_no = '{staff_no}'")).await
}

#[actix_web::test]
async fn idempotency_key_replays_the_stored_response() {
    let (app, org, admin) = setup().await;
    let body = new_member("D001", "韩梅梅", org.a);
    let first = post_with_key(&app, &admin, "create-d001", &body).await;
    let created = first.assert_ok(201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let second = post_with_key(&app, &admin, "create-d001", &body).await;
    assert_eq!(second.status, 201);
    assert_eq!(second.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(second.body, first.body, "byte-for-byte the same body");
    assert_eq!(second.json()["id"], created["id"]);
    assert_eq!(second.header("location"), first.header("location"));
    assert_eq!(second.header("etag").as_deref(), Some("\"v1\""));
    assert_eq!(second.header("content-type").as_deref(), Some("application/json"));
    // A third time too; still one member, one history row, one audit row.
    let third = post_with_key(&app, &admin, "create-d001", &body).await;
    assert_eq!((third.status, third.body == first.body), (201, true));
    assert_eq!(count_staff(&app, "D001").await, 1);
    let id = created["id"].as_i64().unwrap();
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM member_history WHERE member_id = {id}")).await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) AS id FROM audit_log WHERE action = 'member.create' AND entity_id = '{id}'"
        ))
        .await,
        1
    );
    // Without the key, the same body runs again and conflicts.
    app.post("/members").token(&admin.token).json(&body).send().await.assert_problem(409, "staff_no_taken");
}

#[actix_web::test]
async fn idempotency_key_with_another_body_is_refused() {
    let (app, org, admin) = setup().await;
    post_with_key(&app, &admin, "k-1", &new_member("D010", "韩梅梅", org.a)).await.assert_ok(201);
    let res = post_with_key(&app, &admin, "k-1", &new_member("D011", "李雷", org.a)).await;
    res.assert_problem(422, "idempotency_key_reused");
    assert_eq!(res.header("idempotent-replayed"), None);
    assert_eq!(count_staff(&app, "D011").await, 0);
    // The same key on another route is another request too.
    let res = app
        .post(&format!("/members/{}/leave", org.zhang_san))
        .token(&admin.token)
        .header("idempotency-key", "k-1")
        .json(&json!({"reason": "x"}))
        .send()
        .await;
    res.assert_problem(422, "idempotency_key_reused");
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM members WHERE id = {} AND status = 'active'", org.zhang_san))
            .await,
        1
    );
    // Malformed keys are a 400.
    let res = app
        .post("/members")
        .token(&admin.token)
        .header("idempotency-key", &"k".repeat(256))
        .json(&new_member("D012", "王芳", org.a))
        .send()
        .await;
    res.assert_problem(400, "malformed_header");
    assert_eq!(count_staff(&app, "D012").await, 0);
    // Without a token the answer is 401, whatever the key looks like.
    let res = app
        .post("/members")
        .header("idempotency-key", &"k".repeat(256))
        .json(&new_member("D012", "王芳", org.a))
        .send()
        .await;
    res.assert_problem(401, "missing_token");
}

#[actix_web::test]
async fn idempotency_keys_belong_to_one_user() {
    let (app, org, admin) = setup().await;
    let other = app.union_admin().await;
    let first = post_with_key(&app, &admin, "shared-key", &new_member("D020", "韩梅梅", org.a)).await;
    first.assert_ok(201);
    // Another user's identical key is a fresh request: a different body is fine …
    let theirs = post_with_key(&app, &other, "shared-key", &new_member("D021", "李雷", org.b)).await;
    let created = theirs.assert_ok(201);
    assert_eq!(theirs.header("idempotent-replayed"), None);
    assert_eq!(created["staff_no"], "D021");
    // … and the same body runs again (and so conflicts) rather than replaying the first user's answer.
    let same = post_with_key(&app, &other, "shared-key-2", &new_member("D020", "韩梅梅", org.a)).await;
    same.assert_problem(409, "staff_no_taken");
    let unit_admin = app.unit_admin(org.a).await;
    let res = post_with_key(&app, &unit_admin, "shared-key", &new_member("D020", "韩梅梅", org.a)).await;
    res.assert_problem(409, "staff_no_taken");
    assert_eq!(res.header("idempotent-replayed"), None);
    assert_eq!((count_staff(&app, "D020").await, count_staff(&app, "D021").await), (1, 1));
    // Each user's replay gives back their own response.
    let again = post_with_key(&app, &other, "shared-key", &new_member("D021", "李雷", org.b)).await;
    assert_eq!((again.status, again.header("idempotent-replayed").as_deref()), (201, Some("true")));
    assert_eq!(again.json()["staff_no"], "D021");
}

#[actix_web::test]
async fn idempotency_key_replays_a_validation_failure() {
    let (app, org, admin) = setup().await;
    let mut bad = new_member("D030", "韩梅梅", org.a);
    bad["phone"] = json!("12345");
    let first = post_with_key(&app, &admin, "bad-1", &bad).await;
    let problem = first.assert_problem(422, "validation_failed");
    assert_eq!(first.error_fields(), ["phone"]);
    let second = post_with_key(&app, &admin, "bad-1", &bad).await;
    assert_eq!(second.header("idempotent-replayed").as_deref(), Some("true"));
    let replayed = second.assert_problem(422, "validation_failed");
    assert_eq!(replayed["errors"], problem["errors"]);
    assert_eq!(second.body, first.body, "the stored problem, as first sent");
    // A failure found by the store (no such unit) is replayed too, and nothing was created.
    let mut nowhere = new_member("D031", "李雷", 999999);
    nowhere["phone"] = Value::Null;
    let first = post_with_key(&app, &admin, "bad-2", &nowhere).await;
    first.assert_problem(422, "validation_failed");
    let second = post_with_key(&app, &admin, "bad-2", &nowhere).await;
    second.assert_problem(422, "validation_failed");
    assert_eq!(second.json()["errors"][0]["code"], "unknown_unit");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM members WHERE staff_no LIKE 'D03%'").await, 0);
    // Fixing the body needs a new key: the old one is bound to the old body.
    bad["phone"] = json!("15900001111");
    post_with_key(&app, &admin, "bad-1", &bad).await.assert_problem(422, "idempotency_key_reused");
    post_with_key(&app, &admin, "bad-1-fixed", &bad).await.assert_ok(201);
}

#[actix_web::test]
async fn concurrent_retries_with_one_key_create_one_member() {
    let (app, org, admin) = setup().await;
    let body = new_member("D040", "韩梅梅", org.a);
    let results = join_all((0..4).map(|_| post_with_key(&app, &admin, "burst", &body))).await;
    for r in &results {
        match r.status {
            201 => {}
            409 => {
                let code = r.json()["code"].as_str().unwrap().to_owned();
                assert_eq!(code, "idempotency_in_progress", "{}", r.text());
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert!(results.iter().any(|r| r.status == 201));
    assert_eq!(count_staff(&app, "D040").await, 1);
    // Once settled, a retry replays the 201.
    let settled = post_with_key(&app, &admin, "burst", &body).await;
    assert_eq!((settled.status, settled.header("idempotent-replayed").as_deref()), (201, Some("true")));

    // Transitions are idempotent as well: one transfer, however often it is retried.
    let transfer = || {
        app.post(&format!("/members/{}/transfer", org.zhang_san))
            .token(&admin.token)
            .header("idempotency-key", "move-zhang")
            .json(&json!({"to_unit_id": org.b}))
            .send()
    };
    let first = transfer().await;
    first.assert_ok(200);
    let again = transfer().await;
    assert_eq!((again.status, again.header("idempotent-replayed").as_deref()), (200, Some("true")));
    assert_eq!(again.body, first.body);
    assert_eq!(app.scalar(&format!("SELECT version::bigint AS id FROM members WHERE id = {}", org.zhang_san)).await, 2);
}
