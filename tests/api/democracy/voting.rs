//! Motions and secret ballots over HTTP: the agenda, the voting window, who may vote, the
//! quorum and majority at their edges, the results, the mini-program's list, exports, and
//! ballot secrecy (no route, audit row, webhook or table ties a voter to a choice).

use crate::common;

use common::democracy::{self, Delegate, check_in, delegates, set_congress_status};
use common::fixtures::{self, Org};
use common::{TestApp, TestUser};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

/// A school congress in session, its organisation and a union admin.
struct Setup {
    org: Org,
    congress: i64,
    admin: TestUser,
}

async fn setup(app: &TestApp) -> Setup {
    let org = fixtures::org(app).await;
    let congress = democracy::congress(app, org.root, "school", "2023-TA").await;
    set_congress_status(app, congress, "in_session").await;
    let admin = app.union_admin().await;
    Setup { org, congress, admin }
}

#[derive(QueryableByName)]
struct UserRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Member accounts (role `member`) for many delegates at once, with their tokens.
async fn voter_tokens(app: &TestApp, ds: &[Delegate]) -> Vec<String> {
    if ds.is_empty() {
        return Vec::new();
    }
    let ids: Vec<String> = ds.iter().map(|d| d.member_id.to_string()).collect();
    let mut conn = app.conn().await;
    let rows: Vec<UserRow> = diesel::sql_query(format!(
        "INSERT INTO users (username, display_name, password_hash, member_id) \
         SELECT 'voter' || m, '代表', NULL, m FROM unnest(ARRAY[{}]::bigint[]) WITH ORDINALITY AS t(m, n) \
         ORDER BY n RETURNING id",
        ids.join(",")
    ))
    .load(&mut conn)
    .await
    .unwrap();
    rows.iter().map(|r| app.state.tokens.issue_access(r.id).unwrap().0).collect()
}

async fn new_motion(app: &TestApp, token: &str, congress: i64, sitting: i16, title: &str) -> i64 {
    let body = json!({"kind": "report", "title": title, "description": "提请大会审议", "sitting": sitting});
    app.post(&format!("/congresses/{congress}/motions")).token(token).json(&body).send().await.assert_ok(201)["id"]
        .as_i64()
        .unwrap()
}

async fn open(app: &TestApp, token: &str, motion: i64) -> Value {
    app.post(&format!("/motions/{motion}/open-voting")).token(token).send().await.assert_ok(200)
}

async fn close(app: &TestApp, token: &str, motion: i64) -> Value {
    app.post(&format!("/motions/{motion}/close-voting")).token(token).send().await.assert_ok(200)
}

async fn vote(app: &TestApp, motion: i64, tokens: &[String], choice: &str) {
    for t in tokens {
        let body = app
            .post(&format!("/motions/{motion}/ballots"))
            .token(t)
            .json(&json!({"choice": choice}))
            .send()
            .await
            .assert_ok(201);
        assert_eq!(body, json!({"motion_id": motion, "voted": true}));
    }
}

async fn result(app: &TestApp, token: &str, motion: i64) -> Value {
    app.get(&format!("/motions/{motion}/result")).token(token).send().await.assert_ok(200)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.scalar(&format!("SELECT ({sql})::bigint AS id")).await
}

/// A crowd of formal delegates of unit A with tokens, the first `present` checked in at `sitting`.
async fn crowd(
    app: &TestApp,
    s: &Setup,
    n: usize,
    present: usize,
    sitting: i16,
    tag: &str,
) -> (Vec<Delegate>, Vec<String>) {
    let ds = delegates(app, s.congress, s.org.a, "formal", n, tag).await;
    check_in(app, &ds[..present], sitting, "present").await;
    let tokens = voter_tokens(app, &ds).await;
    (ds, tokens)
}

// -------------------------------------------------------------------------------------
// The whole vote
// -------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_full_vote_from_draft_to_frozen_result() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = s.admin.token.as_str();
    // 300 formal delegates, 250 present and 5 excused at sitting 1; 10 observers.
    let (ds, tokens) = crowd(&app, &s, 300, 250, 1, "F").await;
    check_in(&app, &ds[295..], 1, "excused").await;
    delegates(&app, s.congress, s.org.a, "observer", 10, "O").await;

    let created = app
        .post(&format!("/congresses/{}/motions", s.congress))
        .token(t)
        .json(&json!({"kind": "report", "title": "学校工作报告", "description": "校长作工作报告", "sitting": 1}))
        .send()
        .await;
    let motion = created.assert_ok(201);
    let id = motion["id"].as_i64().unwrap();
    assert_eq!(created.header("location").unwrap(), format!("/api/v1/motions/{id}"));
    assert_eq!(created.header("etag").as_deref(), Some("\"v1\""));
    assert_eq!(
        (motion["status"].as_str(), motion["kind"].as_str(), motion["sitting"].as_i64(), &motion["result"]),
        (Some("draft"), Some("report"), Some(1), &Value::Null)
    );
    let got = app.get(&format!("/motions/{id}")).token(t).send().await;
    assert_eq!(got.header("etag").as_deref(), Some("\"v1\""));
    assert_eq!(got.assert_ok(200)["title"], "学校工作报告");

    // Nobody can vote on a draft; the mini-program lists nothing yet.
    app.post(&format!("/motions/{id}/ballots"))
        .token(&tokens[0])
        .json(&json!({"choice": "for"}))
        .send()
        .await
        .assert_problem(409, "voting_not_open");
    let mine = app.get("/me/motions").token(&tokens[0]).send().await.assert_ok(200);
    assert_eq!(mine["total"], 0);

    let opened = open(&app, t, id).await;
    assert_eq!((opened["status"].as_str(), opened["version"].as_i64()), (Some("voting"), Some(2)));
    assert!(opened["voting_opened_at"].is_string());
    let mine = app.get("/me/motions").token(&tokens[0]).send().await.assert_ok(200);
    assert_eq!(mine["total"], 1);
    assert_eq!((mine["items"][0]["id"].as_i64(), mine["items"][0]["checked_in"].as_bool()), (Some(id), Some(true)));
    assert_eq!(mine["items"][0]["congress_id"], s.congress);
    // Absent (not checked in) delegates see it too, flagged.
    let absent = app.get("/me/motions").token(&tokens[260]).send().await.assert_ok(200);
    assert_eq!(absent["items"][0]["checked_in"], false);

    // 160 for, 50 against, 20 abstain; 20 present do not vote.
    vote(&app, id, &tokens[..160], "for").await;
    vote(&app, id, &tokens[160..210], "against").await;
    vote(&app, id, &tokens[210..230], "abstain").await;

    // While voting: turnout only.
    let live = result(&app, &tokens[240], id).await;
    assert_eq!(
        live,
        json!({
            "motion_id": id, "status": "voting", "is_final": false,
            "formal_total": 300, "present": 250, "expected": 295, "cast": 230, "not_voted": 70,
            "for_count": null, "against_count": null, "abstain_count": null,
            "quorum": {"met": true, "needed": 200, "num": 2, "den": 3, "inclusive": true},
            "majority": {"base": "all_formal", "denominator": 300, "votes_needed": 151},
            "passed": null,
        })
    );
    let voted = app.get("/me/motions").token(&tokens[0]).send().await.assert_ok(200);
    assert_eq!(voted["total"], 0, "a delegate who voted no longer sees it");
    let waiting = app.get("/me/motions").token(&tokens[240]).send().await.assert_ok(200);
    assert_eq!(waiting["total"], 1);

    let closed = close(&app, t, id).await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["version"], 3);
    let frozen = result(&app, &tokens[299], id).await;
    assert_eq!(
        frozen,
        json!({
            "motion_id": id, "status": "closed", "is_final": true,
            "formal_total": 300, "present": 250, "expected": 295, "cast": 230, "not_voted": 70,
            "for_count": 160, "against_count": 50, "abstain_count": 20,
            "quorum": {"met": true, "needed": 200, "num": 2, "den": 3, "inclusive": true},
            "majority": {"base": "all_formal", "denominator": 300, "votes_needed": 151},
            "passed": true,
        })
    );
    // One shape: the closed motion carries the very object `/result` gives, in the answer
    // to close, in `GET /motions/{id}` and in the congress's list.
    assert_eq!(closed["result"], frozen);
    let shown = app.get(&format!("/motions/{id}")).token(&tokens[299]).send().await.assert_ok(200);
    assert_eq!(shown["result"], frozen);
    let listed = app.get(&format!("/congresses/{}/motions", s.congress)).token(t).send().await.assert_ok(200);
    assert_eq!(listed["items"][0]["result"], frozen);
    // Frozen: later check-ins and rule changes do not move the figures.
    check_in(&app, &ds[250..295], 1, "present").await;
    app.sql(&format!("UPDATE congresses SET majority_base = 'present' WHERE id = {}", s.congress)).await;
    let still = result(&app, t, id).await;
    assert_eq!((still["present"].as_i64(), still["passed"].as_bool()), (Some(250), Some(true)));
    assert_eq!(count(&app, &format!("SELECT present_count FROM motions WHERE id = {id}")).await, 250);

    // After close: no more ballots, no second close, no reopening, no edits.
    app.post(&format!("/motions/{id}/ballots"))
        .token(&tokens[240])
        .json(&json!({"choice": "for"}))
        .send()
        .await
        .assert_problem(409, "voting_not_open");
    app.post(&format!("/motions/{id}/close-voting")).token(t).send().await.assert_problem(409, "invalid_transition");
    app.post(&format!("/motions/{id}/open-voting")).token(t).send().await.assert_problem(409, "invalid_transition");
    app.patch(&format!("/motions/{id}"))
        .token(t)
        .json(&json!({"title": "改"}))
        .send()
        .await
        .assert_problem(409, "motion_not_draft");
    assert_eq!(count(&app, &format!("SELECT count(*) FROM ballots WHERE motion_id = {id}")).await, 230);
    assert_eq!(count(&app, &format!("SELECT count(*) FROM ballot_receipts WHERE motion_id = {id}")).await, 230);

    // History and audit: create, open-voting, close-voting; one audit row per ballot.
    let history = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM motion_history WHERE motion_id = {id} AND \
             ((action = 'create' AND from_status IS NULL AND to_status = 'draft') OR \
              (action = 'open-voting' AND from_status = 'draft' AND to_status = 'voting') OR \
              (action = 'close-voting' AND from_status = 'voting' AND to_status = 'closed'))"
        ))
        .await;
    assert_eq!(history, 3);
    // The same rows through the API, with who made each change.
    let rows = app.get(&format!("/motions/{id}/history")).token(t).send().await.assert_ok(200);
    let actions: Vec<&str> = rows["items"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "open-voting", "close-voting"]);
    assert_eq!(
        (rows["items"][2]["from_status"].as_str(), rows["items"][2]["to_status"].as_str()),
        (Some("voting"), Some("closed"))
    );
    assert!(rows["items"][0]["actor_name"].is_string());
    app.get("/motions/999999/history").token(t).send().await.assert_problem(404, "not_found");
    app.get(&format!("/motions/{id}/history")).send().await.assert_problem(401, "missing_token");
    for (action, n) in
        [("motion.create", 1), ("motion.open_voting", 1), ("motion.close_voting", 1), ("motion.ballot_cast", 230)]
    {
        let got = count(
            &app,
            &format!(
                "SELECT count(*) FROM audit_log WHERE entity = 'motion' AND entity_id = '{id}' AND action = '{action}'"
            ),
        )
        .await;
        assert_eq!(got, n, "{action}");
    }
    // motion.result: counts only.
    let event = app
        .scalar(&format!(
            "SELECT count(*) AS id FROM webhook_events WHERE event_type = 'motion.result' AND data = '{}'::jsonb",
            json!({"motion_id": id, "congress_id": s.congress, "kind": "report", "title": "学校工作报告",
                   "formal_total": 300, "present": 250, "expected": 295, "for": 160, "against": 50, "abstain": 20,
                   "quorum_met": true, "majority_base": "all_formal", "votes_needed": 151, "passed": true})
        ))
        .await;
    assert_eq!(event, 1);
}

// -------------------------------------------------------------------------------------
// Quorum and majority at their edges, through the API
// -------------------------------------------------------------------------------------

/// Opens, votes `for_n` for and `against_n` against (from the first present tokens), closes.
async fn run_motion(
    app: &TestApp,
    s: &Setup,
    sitting: i16,
    tokens: &[String],
    for_n: usize,
    against_n: usize,
) -> Value {
    let t = s.admin.token.as_str();
    let id = new_motion(app, t, s.congress, sitting, &format!("议题 {sitting}-{for_n}-{against_n}")).await;
    open(app, t, id).await;
    vote(app, id, &tokens[..for_n], "for").await;
    vote(app, id, &tokens[for_n..for_n + against_n], "against").await;
    close(app, t, id).await;
    result(app, t, id).await
}

#[actix_web::test]
async fn quorum_and_majority_edge_cases() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    // 30 formal delegates. Sitting 1: exactly 20 present (two thirds). Sitting 2: 19.
    let (ds, tokens) = crowd(&app, &s, 30, 20, 1, "Q").await;
    check_in(&app, &ds[..19], 2, "present").await;

    // Exactly two thirds present = quorum (inclusive default); exactly half of all for = not passed.
    let r = run_motion(&app, &s, 1, &tokens, 15, 5).await;
    assert_eq!(
        (r["quorum"]["met"].as_bool(), r["quorum"]["needed"].as_i64(), r["majority"]["denominator"].as_i64()),
        (Some(true), Some(20), Some(30))
    );
    assert_eq!(
        (r["majority"]["votes_needed"].as_i64(), r["for_count"].as_i64(), r["passed"].as_bool()),
        (Some(16), Some(15), Some(false))
    );
    // One more for: passed.
    let r = run_motion(&app, &s, 1, &tokens, 16, 0).await;
    assert_eq!(r["passed"], true);

    // 19 present: no quorum, so nothing passes, even with every present delegate for.
    let r = run_motion(&app, &s, 2, &tokens, 19, 0).await;
    assert_eq!(
        (r["quorum"]["met"].as_bool(), r["for_count"].as_i64(), r["passed"].as_bool()),
        (Some(false), Some(19), Some(false))
    );

    // A strict quorum rule ("more than two thirds"): exactly 20 is not enough.
    app.sql(&format!("UPDATE congresses SET quorum_inclusive = false WHERE id = {}", s.congress)).await;
    let r = run_motion(&app, &s, 1, &tokens, 20, 0).await;
    assert_eq!(
        (r["quorum"]["met"].as_bool(), r["quorum"]["needed"].as_i64(), r["passed"].as_bool()),
        (Some(false), Some(21), Some(false))
    );
    app.sql(&format!("UPDATE congresses SET quorum_inclusive = true WHERE id = {}", s.congress)).await;

    // Majority of those present: sitting 3 with 21 present; 11 for passes, 10 (< half of 21) does not.
    check_in(&app, &ds[..21], 3, "present").await;
    app.sql(&format!("UPDATE congresses SET majority_base = 'present' WHERE id = {}", s.congress)).await;
    let r = run_motion(&app, &s, 3, &tokens, 10, 11).await;
    assert_eq!(
        (
            r["majority"]["base"].as_str(),
            r["majority"]["denominator"].as_i64(),
            r["majority"]["votes_needed"].as_i64(),
            r["passed"].as_bool()
        ),
        (Some("present"), Some(21), Some(11), Some(false))
    );
    let r = run_motion(&app, &s, 3, &tokens, 11, 10).await;
    assert_eq!(r["passed"], true);
    // Present 20 of them at sitting 1 and exactly half (10) for: not passed; 11: passed.
    let r = run_motion(&app, &s, 1, &tokens, 10, 0).await;
    assert_eq!((r["majority"]["denominator"].as_i64(), r["passed"].as_bool()), (Some(20), Some(false)));

    // Majority of those expected: sitting 4, 6 excused (expected 24), 20 present.
    check_in(&app, &ds[..20], 4, "present").await;
    check_in(&app, &ds[24..], 4, "excused").await;
    app.sql(&format!("UPDATE congresses SET majority_base = 'expected' WHERE id = {}", s.congress)).await;
    let r = run_motion(&app, &s, 4, &tokens, 12, 8).await;
    assert_eq!(
        (
            r["expected"].as_i64(),
            r["majority"]["denominator"].as_i64(),
            r["majority"]["votes_needed"].as_i64(),
            r["passed"].as_bool()
        ),
        (Some(24), Some(24), Some(13), Some(false))
    );
    let r = run_motion(&app, &s, 4, &tokens, 13, 0).await;
    assert_eq!((r["for_count"].as_i64(), r["passed"].as_bool()), (Some(13), Some(true)));

    // A congress without formal delegates decides nothing.
    let empty = democracy::congress(&app, s.org.root, "school", "2023-EMPTY").await;
    set_congress_status(&app, empty, "in_session").await;
    let id = new_motion(&app, &s.admin.token, empty, 1, "空会议的议题").await;
    open(&app, &s.admin.token, id).await;
    let closed = close(&app, &s.admin.token, id).await;
    assert_eq!(
        (
            closed["result"]["formal_total"].as_i64(),
            closed["result"]["quorum"]["met"].as_bool(),
            closed["result"]["passed"].as_bool()
        ),
        (Some(0), Some(false), Some(false))
    );
}

// -------------------------------------------------------------------------------------
// Who may vote
// -------------------------------------------------------------------------------------

#[actix_web::test]
async fn only_formal_delegates_present_at_the_sitting_vote_and_only_once() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = s.admin.token.as_str();
    let (ds, tokens) = crowd(&app, &s, 4, 2, 1, "W").await;
    check_in(&app, &ds[3..], 1, "excused").await;
    let observer = democracy::make_delegate(&app, s.congress, s.org.li_si, "observer").await;
    check_in(&app, &[observer], 1, "present").await;
    let observer_token = app.member_user(s.org.li_si).await.token;
    let outsider = app.member_user(s.org.zhao_liu).await.token;
    let judge = app.with_role(Role::Judge).await.token;
    let id = new_motion(&app, t, s.congress, 1, "关于修订教职工代表大会实施细则的决议").await;
    open(&app, t, id).await;
    let path = format!("/motions/{id}/ballots");
    let ballot = json!({"choice": "against"});

    app.post(&path).json(&ballot).send().await.assert_problem(401, "missing_token");
    app.post(&path).token(&observer_token).json(&ballot).send().await.assert_problem(403, "not_a_formal_delegate");
    app.post(&path).token(&outsider).json(&ballot).send().await.assert_problem(403, "not_a_delegate");
    app.post(&path).token(&judge).json(&ballot).send().await.assert_problem(403, "not_a_delegate");
    app.post(&path).token(t).json(&ballot).send().await.assert_problem(403, "not_a_delegate");
    // Formal but not checked in (absent), or excused: 409.
    app.post(&path).token(&tokens[2]).json(&ballot).send().await.assert_problem(409, "not_checked_in");
    app.post(&path).token(&tokens[3]).json(&ballot).send().await.assert_problem(409, "not_checked_in");
    // Checked in at another sitting only: still not at this one.
    check_in(&app, &ds[2..3], 2, "present").await;
    app.post(&path).token(&tokens[2]).json(&ballot).send().await.assert_problem(409, "not_checked_in");

    // Validation.
    for bad in [
        json!({}),
        json!({"choice": "yes"}),
        json!({"choice": "for", "delegate_id": ds[0].id}),
        json!({"choice": null}),
    ] {
        let res = app.post(&path).token(&tokens[0]).json(&bad).send().await;
        res.assert_problem(422, "validation_failed");
    }
    app.post("/motions/999999/ballots").token(&tokens[0]).json(&ballot).send().await.assert_problem(404, "not_found");

    // Once; the second ballot is refused and not counted.
    vote(&app, id, &tokens[..1], "against").await;
    app.post(&path).token(&tokens[0]).json(&json!({"choice": "for"})).send().await.assert_problem(409, "already_voted");
    app.post(&path).token(&tokens[0]).json(&ballot).send().await.assert_problem(409, "already_voted");
    assert_eq!(count(&app, &format!("SELECT count(*) FROM ballots WHERE motion_id = {id}")).await, 1);
    assert_eq!(count(&app, &format!("SELECT count(*) FROM ballot_receipts WHERE motion_id = {id}")).await, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM ballots WHERE choice = 'for'").await, 0);
    assert_eq!(result(&app, t, id).await["cast"], 1);

    // Concurrent double submission by one delegate: exactly one counts.
    let futures: Vec<_> = (0..6)
        .map(|i| {
            app.post(&path)
                .token(&tokens[1])
                .json(&json!({"choice": if i % 2 == 0 { "for" } else { "abstain" }}))
                .send()
        })
        .collect();
    let answers = futures_util::future::join_all(futures).await;
    assert_eq!(answers.iter().filter(|r| r.status == 201).count(), 1);
    for r in answers.iter().filter(|r| r.status != 201) {
        r.assert_problem(409, "already_voted");
    }
    assert_eq!(count(&app, &format!("SELECT count(*) FROM ballots WHERE motion_id = {id}")).await, 2);

    // A closed congress takes no more ballots even on a motion left open.
    set_congress_status(&app, s.congress, "closed").await;
    app.post(&path).token(&tokens[3]).json(&ballot).send().await.assert_problem(409, "congress_not_in_session");
    // It can still be closed, with what was cast.
    let closed = close(&app, t, id).await;
    assert_eq!(closed["result"]["against_count"], 1);
    assert_eq!(
        closed["result"]["for_count"].as_i64().unwrap() + closed["result"]["abstain_count"].as_i64().unwrap(),
        1
    );
}

// -------------------------------------------------------------------------------------
// Agenda: create, read, edit, transitions, scope
// -------------------------------------------------------------------------------------

#[actix_web::test]
async fn motions_are_created_and_edited_by_congress_managers_in_scope() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = s.admin.token.as_str();
    let path = format!("/congresses/{}/motions", s.congress);

    // Validation, field by field.
    for (body, field) in [
        (json!({"kind": "report", "title": ""}), "title"),
        (json!({"kind": "report", "title": " 报告"}), "title"),
        (json!({"kind": "report", "title": "x".repeat(201)}), "title"),
        (json!({"kind": "speech", "title": "报告"}), "kind"),
        (json!({"title": "报告"}), "kind"),
        (json!({"kind": "report", "title": "报告", "sitting": 0}), "sitting"),
        (json!({"kind": "report", "title": "报告", "sitting": 21}), "sitting"),
        (json!({"kind": "report", "title": "报告", "description": "x".repeat(5001)}), "description"),
        (json!({"kind": "report", "title": "报告", "status": "closed"}), "status"),
    ] {
        let res = app.post(&path).token(t).json(&body).send().await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.error_fields(), vec![field.to_owned()], "{body}");
    }
    // Roles: members, judges and the committee may not put motions on the agenda.
    let member = app.member_user(s.org.zhang_san).await.token;
    let committee = app.with_role(Role::ProposalCommittee).await.token;
    let ok = json!({"kind": "resolution", "title": "关于 2023 年工会经费预算的决议"});
    for token in [&member, &committee] {
        app.post(&path).token(token).json(&ok).send().await.assert_problem(403, "forbidden");
    }
    app.post(&path).json(&ok).send().await.assert_problem(401, "missing_token");
    app.post("/congresses/999999/motions").token(t).json(&ok).send().await.assert_problem(404, "not_found");
    // The default sitting is 1; an empty description is none.
    let m = app
        .post(&path)
        .token(t)
        .json(&json!({"kind": "resolution", "title": "关于 2023 年工会经费预算的决议", "description": ""}))
        .send()
        .await
        .assert_ok(201);
    let id = m["id"].as_i64().unwrap();
    assert_eq!(
        (m["sitting"].as_i64(), &m["description"], m["kind"].as_str()),
        (Some(1), &Value::Null, Some("resolution"))
    );

    // Edit a draft with If-Match.
    let stale = app
        .patch(&format!("/motions/{id}"))
        .token(t)
        .header("if-match", "\"v7\"")
        .json(&json!({"sitting": 2}))
        .send()
        .await;
    stale.assert_problem(412, "stale_version");
    let edited = app
        .patch(&format!("/motions/{id}"))
        .token(t)
        .header("if-match", "\"v1\"")
        .json(&json!({"sitting": 2, "title": "关于 2023 年工会经费预算执行情况的决议", "description": "财务报告"}))
        .send()
        .await;
    assert_eq!(edited.header("etag").as_deref(), Some("\"v2\""));
    let edited = edited.assert_ok(200);
    assert_eq!(
        (
            edited["sitting"].as_i64(),
            edited["title"].as_str(),
            edited["description"].as_str(),
            edited["version"].as_i64()
        ),
        (Some(2), Some("关于 2023 年工会经费预算执行情况的决议"), Some("财务报告"), Some(2))
    );
    let res = app.patch(&format!("/motions/{id}")).token(t).json(&json!({"sitting": 30})).send().await;
    res.assert_problem(422, "validation_failed");
    app.patch(&format!("/motions/{id}"))
        .token(&member)
        .json(&json!({"sitting": 3}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.patch("/motions/999999").token(t).json(&json!({"sitting": 3})).send().await.assert_problem(404, "not_found");
    let audit = count(&app, &format!("SELECT count(*) FROM audit_log WHERE action = 'motion.update' AND entity_id = '{id}' AND before->>'sitting' = '1' AND after->>'sitting' = '2'")).await;
    assert_eq!(audit, 1);

    // Transitions: close a draft → 409; open twice → 409; voting motions are not edited.
    app.post(&format!("/motions/{id}/close-voting")).token(t).send().await.assert_problem(409, "invalid_transition");
    open(&app, t, id).await;
    app.post(&format!("/motions/{id}/open-voting")).token(t).send().await.assert_problem(409, "invalid_transition");
    app.patch(&format!("/motions/{id}"))
        .token(t)
        .json(&json!({"sitting": 3}))
        .send()
        .await
        .assert_problem(409, "motion_not_draft");
    for action in ["open-voting", "close-voting"] {
        app.post(&format!("/motions/{id}/{action}")).token(&member).send().await.assert_problem(403, "forbidden");
        app.post(&format!("/motions/999999/{action}")).token(t).send().await.assert_problem(404, "not_found");
    }

    // A congress not in session cannot open voting; a closed one takes no new motions.
    let preparing = democracy::congress(&app, s.org.root, "school", "2024-TA").await;
    let draft = new_motion(&app, t, preparing, 1, "筹备中的议题").await;
    app.post(&format!("/motions/{draft}/open-voting"))
        .token(t)
        .send()
        .await
        .assert_problem(409, "congress_not_in_session");
    assert_eq!(app.get(&format!("/motions/{draft}")).token(t).send().await.assert_ok(200)["status"], "draft");
    set_congress_status(&app, preparing, "closed").await;
    app.post(&format!("/congresses/{preparing}/motions"))
        .token(t)
        .json(&ok)
        .send()
        .await
        .assert_problem(409, "congress_closed");
    app.patch(&format!("/motions/{draft}"))
        .token(t)
        .json(&json!({"sitting": 3}))
        .send()
        .await
        .assert_problem(409, "congress_closed");
}

#[actix_web::test]
async fn a_unit_congress_belongs_to_its_unit() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let unit_congress = democracy::congress_at_unit(&app, org.a).await;
    set_congress_status(&app, unit_congress, "in_session").await;
    let admin_a = app.unit_admin(org.a).await.token;
    let admin_b = app.unit_admin(org.b).await.token;
    let committee = app.with_role(Role::ProposalCommittee).await.token;
    let id = new_motion(&app, &admin_a, unit_congress, 1, "学院工作报告").await;
    let list = format!("/congresses/{unit_congress}/motions");

    // B's admin: 404 on every route, reads and writes alike; nothing changes.
    for path in [list.clone(), format!("/motions/{id}"), format!("/motions/{id}/result")] {
        app.get(&path).token(&admin_b).send().await.assert_problem(404, "not_found");
    }
    let body = json!({"kind": "report", "title": "越权"});
    app.post(&list).token(&admin_b).json(&body).send().await.assert_problem(404, "not_found");
    app.patch(&format!("/motions/{id}"))
        .token(&admin_b)
        .json(&json!({"title": "越权"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    for action in ["open-voting", "close-voting"] {
        app.post(&format!("/motions/{id}/{action}")).token(&admin_b).send().await.assert_problem(404, "not_found");
    }
    // B's members do not see A's congress; A's members do (including the group below A).
    let zhao = app.member_user(org.zhao_liu).await.token;
    app.get(&format!("/motions/{id}")).token(&zhao).send().await.assert_problem(404, "not_found");
    app.get(&list).token(&zhao).send().await.assert_problem(404, "not_found");
    app.post(&format!("/motions/{id}/ballots"))
        .token(&zhao)
        .json(&json!({"choice": "for"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    for member in [org.li_si, org.wang_wu] {
        let token = app.member_user(member).await.token;
        assert_eq!(app.get(&list).token(&token).send().await.assert_ok(200)["total"], 1);
    }
    // The committee reads every congress (CongressesRead, unscoped) but manages none.
    assert_eq!(app.get(&list).token(&committee).send().await.assert_ok(200)["total"], 1);
    app.post(&format!("/motions/{id}/open-voting")).token(&committee).send().await.assert_problem(403, "forbidden");
    // A delegate from outside the unit (e.g. a school leader sitting in) sees it too.
    democracy::make_delegate(&app, unit_congress, org.qian_qi, "formal").await;
    let qian = app.member_user(org.qian_qi).await.token;
    app.get(&format!("/motions/{id}")).token(&qian).send().await.assert_ok(200);

    // A's admin runs it.
    open(&app, &admin_a, id).await;
    close(&app, &admin_a, id).await;
    assert_eq!(app.get(&format!("/motions/{id}")).token(&admin_a).send().await.assert_ok(200)["status"], "closed");
    assert_eq!(
        count(&app, &format!("SELECT count(*) FROM motions WHERE id = {id} AND title = '学院工作报告'")).await,
        1
    );
}

#[actix_web::test]
async fn lists_filter_paginate_and_export_results_as_counts() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = s.admin.token.as_str();
    let (_, tokens) = crowd(&app, &s, 6, 6, 1, "L").await;
    let mut ids = Vec::new();
    for (kind, title, sitting) in [
        ("report", "学校工作报告", 1),
        ("report", "工会工作报告", 1),
        ("report", "经费审查报告", 2),
        ("resolution", "大会决议", 2),
        ("election", "增补委员选举", 1),
    ] {
        let body = json!({"kind": kind, "title": title, "sitting": sitting});
        ids.push(app.post(&format!("/congresses/{}/motions", s.congress)).token(t).json(&body).send().await.assert_ok(201)["id"].as_i64().unwrap());
    }
    open(&app, t, ids[0]).await;
    vote(&app, ids[0], &tokens[..4], "for").await;
    vote(&app, ids[0], &tokens[4..5], "against").await;
    close(&app, t, ids[0]).await;
    open(&app, t, ids[1]).await;

    let base = format!("/congresses/{}/motions", s.congress);
    let member = &tokens[5];
    let all = app.get(&base).token(member).send().await.assert_ok(200);
    assert_eq!(all["total"], 5);
    let order: Vec<i64> = all["items"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(order, vec![ids[0], ids[1], ids[4], ids[2], ids[3]], "agenda order: sitting, then creation");
    assert_eq!(all["items"][0]["result"]["for_count"], 4);
    assert_eq!(all["items"][1]["result"], Value::Null);
    let reports = app.get(&format!("{base}?kind=report")).token(member).send().await.assert_ok(200);
    assert_eq!(reports["total"], 3);
    let voting = app.get(&format!("{base}?status=voting")).token(member).send().await.assert_ok(200);
    assert_eq!((voting["total"].as_i64(), voting["items"][0]["id"].as_i64()), (Some(1), Some(ids[1])));
    let page = app
        .get(&format!("{base}?kind=report&status=draft&per_page=1&page=1"))
        .token(member)
        .send()
        .await
        .assert_ok(200);
    assert_eq!((page["total"].as_i64(), page["items"].as_array().unwrap().len()), (Some(1), 1));
    let page2 = app.get(&format!("{base}?per_page=2&page=3")).token(member).send().await.assert_ok(200);
    assert_eq!((page2["total"].as_i64(), page2["items"][0]["id"].as_i64()), (Some(5), Some(ids[3])));
    for bad in ["kind=speech", "status=open", "per_page=0", "page=0"] {
        app.get(&format!("{base}?{bad}")).token(member).send().await.assert_problem(422, "validation_failed");
    }
    app.get("/congresses/999999/motions").token(member).send().await.assert_problem(404, "not_found");
    app.get(&base).send().await.assert_problem(401, "missing_token");
    app.get(&format!("/motions/{}", ids[0])).send().await.assert_problem(401, "missing_token");
    app.get("/motions/999999").token(member).send().await.assert_problem(404, "not_found");
    app.get("/motions/999999/result").token(member).send().await.assert_problem(404, "not_found");

    // Export: every matching motion with its result (counts only).
    let csv = app.get(&format!("{base}?format=csv")).token(t).send().await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.text();
    assert!(text.starts_with('\u{feff}'));
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert_eq!(lines[0], "编号,类型,标题,会次,状态,正式代表,实到,应到,赞成,反对,弃权,法定人数,结果");
    assert_eq!(lines[1], format!("{},报告,学校工作报告,1,已结束,6,6,6,4,1,0,达到,通过", ids[0]));
    assert_eq!(lines[2], format!("{},报告,工会工作报告,1,表决中,,,,,,,,", ids[1]));
    let filtered = app.get(&format!("{base}?status=closed")).token(t).header("accept", "text/csv").send().await;
    assert_eq!(filtered.text().trim_start_matches('\u{feff}').lines().count(), 2);
    let xlsx = app.get(&format!("{base}?format=xlsx")).token(member).send().await;
    assert_eq!(xlsx.status, 200);
    assert_eq!(&xlsx.body[..2], b"PK");
    assert!(xlsx.header("content-disposition").unwrap().contains("motions.xlsx"));
}

#[actix_web::test]
async fn my_motions_lists_what_waits_for_my_vote() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = s.admin.token.as_str();
    // zhang_san: formal in the school congress and in A's unit congress; li_si: observer.
    let unit_congress = democracy::congress_at_unit(&app, s.org.a).await;
    set_congress_status(&app, unit_congress, "in_session").await;
    let school = democracy::make_delegate(&app, s.congress, s.org.zhang_san, "formal").await;
    democracy::make_delegate(&app, unit_congress, s.org.zhang_san, "formal").await;
    democracy::make_delegate(&app, s.congress, s.org.li_si, "observer").await;
    check_in(&app, &[school], 1, "present").await;
    let zhang = app.member_user(s.org.zhang_san).await.token;
    let li = app.member_user(s.org.li_si).await.token;

    let draft = new_motion(&app, t, s.congress, 1, "草稿议题").await;
    let a = new_motion(&app, t, s.congress, 1, "学校工作报告").await;
    let b = new_motion(&app, t, unit_congress, 1, "学院工作报告").await;
    let c = new_motion(&app, t, s.congress, 1, "已结束的议题").await;
    for m in [a, b, c] {
        open(&app, t, m).await;
    }
    close(&app, t, c).await;

    let mine = app.get("/me/motions").token(&zhang).send().await.assert_ok(200);
    let ids: Vec<i64> = mine["items"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!((mine["total"].as_i64(), ids), (Some(2), vec![a, b]));
    assert_eq!(mine["items"][0]["congress_name"], "第四届教职工代表大会第三次会议 2023-TA");
    assert_eq!(
        (mine["items"][0]["checked_in"].as_bool(), mine["items"][1]["checked_in"].as_bool()),
        (Some(true), Some(false))
    );
    let page = app.get("/me/motions?per_page=1&page=2").token(&zhang).send().await.assert_ok(200);
    assert_eq!((page["total"].as_i64(), page["items"][0]["id"].as_i64()), (Some(2), Some(b)));
    app.get("/me/motions?per_page=101").token(&zhang).send().await.assert_problem(422, "validation_failed");
    let _ = draft;

    // Voted: gone. Observers and callers without a member profile: nothing.
    vote(&app, a, std::slice::from_ref(&zhang), "abstain").await;
    let mine = app.get("/me/motions").token(&zhang).send().await.assert_ok(200);
    assert_eq!((mine["total"].as_i64(), mine["items"][0]["id"].as_i64()), (Some(1), Some(b)));
    assert_eq!(app.get("/me/motions").token(&li).send().await.assert_ok(200)["total"], 0);
    let empty = app.get("/me/motions").token(t).send().await.assert_ok(200);
    assert_eq!(empty, json!({"items": [], "total": 0, "page": 1, "per_page": 20}));
    app.get("/me/motions").send().await.assert_problem(401, "missing_token");
}

// -------------------------------------------------------------------------------------
// Ballot secrecy
// -------------------------------------------------------------------------------------

/// Every object key in a JSON document, recursively.
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| keys(i, out)),
        _ => {}
    }
}

/// Every string value in a JSON document, recursively.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        _ => {}
    }
}

/// No voter next to a choice: no key naming a voter or a choice, and no choice as a value.
#[track_caller]
fn assert_secret(what: &str, v: &Value) {
    let mut ks = Vec::new();
    keys(v, &mut ks);
    for k in ["choice", "delegate_id", "member_id", "voter", "voter_id", "ballot_id"] {
        assert!(!ks.iter().any(|x| x == k), "{what} has key {k}: {v}");
    }
    let mut ss = Vec::new();
    strings(v, &mut ss);
    for s in ["for", "against", "abstain", "赞成", "反对", "弃权"] {
        assert!(!ss.iter().any(|x| x == s), "{what} has value {s}: {v}");
    }
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

async fn texts(app: &TestApp, sql: &str) -> Vec<String> {
    let mut conn = app.conn().await;
    diesel::sql_query(sql).load::<TextRow>(&mut conn).await.unwrap().into_iter().map(|r| r.t).collect()
}

#[actix_web::test]
async fn no_route_log_webhook_or_table_ties_a_voter_to_a_choice() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = s.admin.token.as_str();
    let hook = app
        .scalar(
            "INSERT INTO webhooks (url, event_types, secret_cipher) \
             VALUES ('https://93.184.215.14/hooks', ARRAY['motion.result'], '\\x00') RETURNING id",
        )
        .await;
    let (ds, tokens) = crowd(&app, &s, 40, 36, 1, "S").await;
    let id = new_motion(&app, t, s.congress, 1, "学校工作报告").await;
    let other = new_motion(&app, t, s.congress, 1, "大会决议").await;
    open(&app, t, id).await;
    open(&app, t, other).await;
    // A pattern nobody could guess from turnout alone.
    for (i, token) in tokens[..33].iter().enumerate() {
        let choice = ["for", "against", "for", "abstain", "for"][i % 5];
        vote(&app, id, std::slice::from_ref(token), choice).await;
    }
    vote(&app, other, &tokens[..3], "against").await;

    // The tables: a ballot has no voter and no time; a receipt has no choice.
    let ballot_columns = texts(
        &app,
        "SELECT column_name::text AS t FROM information_schema.columns WHERE table_name = 'ballots' ORDER BY column_name",
    )
    .await;
    assert_eq!(ballot_columns, vec!["choice", "id", "motion_id"]);
    let receipt_columns = texts(
        &app,
        "SELECT column_name::text AS t FROM information_schema.columns WHERE table_name = 'ballot_receipts' ORDER BY column_name",
    )
    .await;
    assert_eq!(receipt_columns, vec!["delegate_id", "motion_id"]);

    // Every route returning motion data, while voting and after close, by every kind of caller.
    let observers = delegates(&app, s.congress, s.org.a, "observer", 1, "SO").await;
    let observer = voter_tokens(&app, &observers).await.remove(0);
    let auditor = app.with_role(Role::Auditor).await.token;
    let sysadmin = app.system_admin().await.token;
    let callers = [t.to_owned(), tokens[0].clone(), tokens[39].clone(), observer, auditor.clone()];
    let check_routes = async |phase: &str| {
        for caller in &callers {
            for path in [
                format!("/congresses/{}/motions", s.congress),
                format!("/congresses/{}/motions?status=closed", s.congress),
                format!("/motions/{id}"),
                format!("/motions/{id}/result"),
                format!("/motions/{other}/result"),
                "/me/motions".to_owned(),
            ] {
                let v = app.get(&path).token(caller).send().await.assert_ok(200);
                assert_secret(&format!("{phase} {path}"), &v);
            }
            let csv =
                app.get(&format!("/congresses/{}/motions?format=csv", s.congress)).token(caller).send().await.text();
            assert_eq!(csv.lines().count(), 3, "{csv}");
            for word in ["for", "against", "abstain"] {
                assert!(!csv.contains(word), "{phase} csv: {csv}");
            }
        }
    };
    check_routes("voting").await;
    // While voting, nobody — not even the union admin — sees counts by choice.
    let live = result(&app, t, id).await;
    assert_eq!((live["cast"].as_i64(), &live["for_count"], &live["passed"]), (Some(33), &Value::Null, &Value::Null));

    close(&app, t, id).await;
    close(&app, t, other).await;
    check_routes("closed").await;
    let frozen = result(&app, t, id).await;
    assert_eq!(
        (frozen["for_count"].as_i64(), frozen["against_count"].as_i64(), frozen["abstain_count"].as_i64()),
        (Some(20), Some(7), Some(6))
    );

    assert_eq!(
        count(&app, &format!("SELECT count(*) FROM ballots WHERE motion_id = {id} AND choice = 'for'")).await,
        20
    );

    // The audit log, as the auditor and the system admin read it: ballots recorded, never the choice.
    for reader in [&auditor, &sysadmin] {
        let log = app.get("/audit-log?entity=motion&per_page=100").token(reader).send().await.assert_ok(200);
        assert!(log["total"].as_i64().unwrap() >= 36 + 6, "{}", log["total"]);
        let mut pages = vec![log];
        let more =
            app.get("/audit-log?action=motion.ballot_cast&per_page=100").token(reader).send().await.assert_ok(200);
        assert_eq!(more["total"], 36);
        for row in more["items"].as_array().unwrap() {
            assert_eq!(row["before"], Value::Null);
            assert!(
                row["after"] == json!({"motion_id": id, "voted": true})
                    || row["after"] == json!({"motion_id": other, "voted": true}),
                "{row}"
            );
        }
        pages.push(more);
        for page in &pages {
            assert_secret("audit log", page);
        }
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM audit_log WHERE before::text LIKE '%choice%' OR after::text LIKE '%choice%'")
            .await,
        0
    );

    // Webhooks: the event and its deliveries carry counts only.
    let events =
        texts(&app, "SELECT data::text AS t FROM webhook_events WHERE event_type = 'motion.result' ORDER BY id").await;
    assert_eq!(events.len(), 2);
    for e in &events {
        let v: Value = serde_json::from_str(e).unwrap();
        assert_secret("webhook event", &v);
        let mut ks: Vec<&String> = v.as_object().unwrap().keys().collect();
        ks.sort();
        assert_eq!(
            ks,
            vec![
                "abstain",
                "against",
                "congress_id",
                "expected",
                "for",
                "formal_total",
                "kind",
                "majority_base",
                "motion_id",
                "passed",
                "present",
                "quorum_met",
                "title",
                "votes_needed"
            ]
        );
    }
    assert_eq!(count(&app, &format!("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = {hook}")).await, 2);
    let deliveries = app.get(&format!("/webhooks/{hook}/deliveries")).token(&sysadmin).send().await.assert_ok(200);
    assert_secret("deliveries", &deliveries);
    for d in deliveries["items"].as_array().unwrap() {
        let detail =
            app.get(&format!("/webhooks/{hook}/deliveries/{}", d["id"])).token(&sysadmin).send().await.assert_ok(200);
        assert_secret("delivery detail", &detail);
        for dl in &ds {
            assert!(!detail.to_string().contains(&format!("\"delegate_id\":{}", dl.id)));
        }
    }
    // The motion history names the managers' transitions only.
    let history_actors =
        count(&app, &format!("SELECT count(DISTINCT actor_user_id) FROM motion_history WHERE motion_id = {id}")).await;
    assert_eq!(history_actors, 1);
}

/// On disk too: once voting closes, the ballots are rewritten in random order in the closing
/// transaction, so no ballot shares a transaction id with a receipt and the counts stand.
#[actix_web::test]
async fn closing_rewrites_ballots_so_nothing_on_disk_follows_the_voting_order() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let t = s.admin.token.as_str();
    let (_, tokens) = crowd(&app, &s, 12, 12, 1, "X").await;
    let motion = new_motion(&app, t, s.congress, 1, "财务工作报告").await;
    open(&app, t, motion).await;
    vote(&app, motion, &tokens[..7], "for").await;
    vote(&app, motion, &tokens[7..10], "against").await;
    vote(&app, motion, &tokens[10..], "abstain").await;
    let linked = format!(
        "SELECT count(*) FROM ballots b JOIN ballot_receipts r ON r.motion_id = b.motion_id \
         AND b.xmin::text = r.xmin::text WHERE b.motion_id = {motion}"
    );
    assert_eq!(count(&app, &linked).await, 12, "while voting, each ballot shares its voter's transaction");
    let closed = close(&app, t, motion).await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(count(&app, &linked).await, 0, "after closing, none does");
    let xmins = format!("SELECT count(DISTINCT xmin::text) FROM ballots WHERE motion_id = {motion}");
    assert_eq!(count(&app, &xmins).await, 1, "all rewritten by the closing transaction");
    let r = result(&app, t, motion).await;
    let counts = (r["for_count"].as_i64(), r["against_count"].as_i64(), r["abstain_count"].as_i64());
    assert_eq!(counts, (Some(7), Some(3), Some(2)));
    for (choice, n) in [("for", 7), ("against", 3), ("abstain", 2)] {
        let sql = format!("SELECT count(*) FROM ballots WHERE motion_id = {motion} AND choice = '{choice}'");
        assert_eq!(count(&app, &sql).await, n);
    }
    // Outside the closing transaction the rows still cannot be deleted or changed.
    let mut conn = app.conn().await;
    let refused = diesel::sql_query(format!("DELETE FROM ballots WHERE motion_id = {motion}")).execute(&mut conn).await;
    assert!(refused.is_err(), "ballots are append-only");
    diesel::sql_query("SELECT set_config('gonghui.reshuffle', 'on', false)").execute(&mut conn).await.unwrap();
    let refused = diesel::sql_query("UPDATE ballots SET choice = 'for'").execute(&mut conn).await;
    assert!(refused.is_err(), "and never updated, whatever the session says");
}
