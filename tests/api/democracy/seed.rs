//! `seed-demo` reproduces the democracy figures of the union's 2023 report, read back
//! through `GET /reports/democracy`, consistently (ballots, receipts, history) and only once.

use crate::common;

use common::TestApp;
use serde_json::{Value, json};

/// Row counts of every table the democracy seed writes (and of the accounts).
async fn counts(app: &TestApp) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for table in [
        "congresses",
        "congress_history",
        "delegates",
        "check_ins",
        "motions",
        "motion_history",
        "ballot_receipts",
        "ballots",
        "departments",
        "department_handlers",
        "proposals",
        "proposal_cosigners",
        "proposal_departments",
        "proposal_replies",
        "proposal_history",
        "suggestions",
        "users",
        "role_grants",
        "members",
    ] {
        out.push((table.to_owned(), app.scalar(&format!("SELECT count(*) AS id FROM {table}")).await));
    }
    out
}

fn category(r: &Value, code: &str) -> i64 {
    r["suggestions"]["by_category"].as_array().unwrap().iter().find(|c| c["code"] == code).unwrap()["count"]
        .as_i64()
        .unwrap()
}

#[actix_web::test]
async fn the_demo_reproduces_the_2023_report_once() {
    let app = TestApp::spawn().await;
    gonghui::seed::run(&app.state.config).await.unwrap();
    let admin = app.union_admin().await;
    let congress = app.scalar("SELECT id FROM congresses WHERE proposal_prefix = '2023-TA'").await;
    let r =
        app.get(&format!("/reports/democracy?congress_id={congress}")).token(&admin.token).send().await.assert_ok(200);

    // 289 正式代表、31 名列席代表; teachers at least 60% of the formal delegates.
    assert_eq!(r["delegates"]["formal"], 289);
    assert_eq!(r["delegates"]["observer"], 31);
    assert!(r["delegates"]["teacher_share_bp"].as_i64().unwrap() >= 6000, "{}", r["delegates"]);
    // 代表履职尽责参与率 100%.
    assert_eq!(r["participation"], json!({"formal": 289, "present": 289, "rate_bp": 10000}));
    // 审议并通过 5 项报告，表决通过了会议决议.
    assert_eq!(r["motions"]["voted"], 6);
    assert_eq!(r["motions"]["passed"], 6);
    let kinds = r["motions"]["by_kind"].as_array().unwrap();
    assert_eq!(kinds[0], json!({"kind": "report", "label": "报告", "voted": 5, "passed": 5}));
    assert_eq!(kinds[1], json!({"kind": "resolution", "label": "决议", "voted": 1, "passed": 1}));
    // 征集并立案提案 33 件，在规定期限内全部办理完毕.
    let p = &r["proposals"];
    assert_eq!(p["filed"], 33);
    assert_eq!(p["accepted"], 33);
    assert_eq!(p["replied"], 33);
    assert_eq!(p["replied_on_time"], 33);
    assert_eq!(p["on_time_rate_bp"], 10000);
    assert_eq!(p["satisfaction"]["unsatisfied"], 0);
    assert_eq!(p["satisfaction"]["none"], 0);
    assert_eq!(p["satisfaction"]["rate_bp"], 10000);
    let codes = &p["result_codes"];
    for code in ["A", "B", "C", "D"] {
        assert!(codes[code].as_i64().unwrap() > 0, "{codes}");
    }
    assert_eq!(["A", "B", "C", "D"].iter().map(|c| codes[*c].as_i64().unwrap()).sum::<i64>(), 33);
    // 收集到 9 大类共 137 条意见和建议, all answered.
    assert_eq!(r["suggestions"]["total"], 137);
    assert_eq!(r["suggestions"]["responded"], 137);
    let cats = r["suggestions"]["by_category"].as_array().unwrap();
    assert_eq!(cats.len(), 9);
    assert!(cats.iter().all(|c| c["count"].as_i64().unwrap() > 0), "{cats:?}");
    assert_eq!(category(&r, "logistics"), 24);
    // 二级教代会建制率 100%.
    assert_eq!(r["unit_congresses"], json!({"held": 24, "secondary_units": 24, "rate_bp": 10000}));
    // 24 delegations, each fully present and each with a proposal.
    let units = r["by_unit"].as_array().unwrap();
    assert_eq!(units.len(), 24);
    assert!(units.iter().all(|u| u["participation_bp"] == 10000 && u["proposals"].as_i64().unwrap() >= 1));
    assert_eq!(units.iter().map(|u| u["formal"].as_i64().unwrap()).sum::<i64>(), 289);
    assert_eq!(units[0]["unit_name"], "机电工程学院工会");

    // The year's view: the school congress and the 24 unit congresses (which have no delegates).
    let y = app.get("/reports/democracy?year=2023").token(&admin.token).send().await.assert_ok(200);
    assert_eq!(y["congresses"], 25);
    assert_eq!(y["delegates"], r["delegates"]);
    assert_eq!(y["proposals"], r["proposals"]);
    assert_eq!(y["unit_congresses"]["rate_bp"], 10000);

    // Consistency behind the figures.
    let one = |sql: &'static str| {
        let app = &app;
        async move { app.scalar(sql).await }
    };
    // One receipt and one ballot per formal delegate and motion; the counts match the rows.
    assert_eq!(one("SELECT count(*) AS id FROM ballot_receipts").await, 6 * 289);
    assert_eq!(one("SELECT count(*) AS id FROM ballots").await, 6 * 289);
    assert_eq!(
        one("SELECT count(*) AS id FROM motions m WHERE m.for_count + m.against_count + m.abstain_count <> \
             (SELECT count(*) FROM ballots b WHERE b.motion_id = m.id) \
             OR m.for_count <> (SELECT count(*) FROM ballots b WHERE b.motion_id = m.id AND b.choice = 'for') \
             OR m.against_count <> (SELECT count(*) FROM ballots b WHERE b.motion_id = m.id AND b.choice = 'against') \
             OR m.formal_total <> 289 OR NOT m.quorum_met OR NOT m.passed OR m.status <> 'closed'")
        .await,
        0
    );
    // Every formal delegate present at both sittings.
    assert_eq!(
        one("SELECT count(*) AS id FROM check_ins c JOIN delegates d ON d.id = c.delegate_id \
             WHERE d.kind = 'formal' AND c.status = 'present'")
        .await,
        2 * 289
    );
    // Proposals 2023-TA-001 … 033, closed, each by a formal delegate with ≥ 2 agreed co-signers
    // (formal delegates too), a lead department, one reply in time, a reply deadline 90 days
    // after acceptance, and a history row per transition.
    assert_eq!(
        one("SELECT count(*) AS id FROM proposals p JOIN delegates d ON d.id = p.proposer_delegate_id \
             WHERE p.status = 'closed' AND d.kind = 'formal' AND p.number ~ '^2023-TA-0[0-3][0-9]$' \
             AND p.reply_due_on = (p.decided_at AT TIME ZONE 'Asia/Shanghai')::date + 90 \
             AND p.replied_at < p.reply_due_on AND p.feedback IN ('satisfied', 'basically_satisfied') \
             AND (SELECT count(*) FROM proposal_cosigners c JOIN delegates cd ON cd.id = c.delegate_id \
                  WHERE c.proposal_id = p.id AND c.status = 'agreed' AND cd.kind = 'formal' \
                  AND c.delegate_id <> p.proposer_delegate_id) >= 2 \
             AND (SELECT count(*) FROM proposal_departments pd WHERE pd.proposal_id = p.id AND pd.role = 'lead') = 1 \
             AND (SELECT count(*) FROM proposal_replies r WHERE r.proposal_id = p.id AND r.round = 1 AND r.on_time \
                  AND r.result_code = p.result_code AND r.feedback = p.feedback \
                  AND r.replied_by IN (SELECT user_id FROM department_handlers h WHERE h.department_id = r.department_id)) = 1")
        .await,
        33
    );
    assert_eq!(
        one("SELECT min(number) AS id FROM (SELECT substr(number, 9)::bigint AS number FROM proposals) x").await,
        1
    );
    assert_eq!(
        one("SELECT max(number) AS id FROM (SELECT substr(number, 9)::bigint AS number FROM proposals) x").await,
        33
    );
    assert_eq!(one("SELECT proposal_seq::bigint AS id FROM congresses WHERE proposal_prefix = '2023-TA'").await, 33);
    for action in ["submit", "accept", "assign", "reply", "feedback", "close"] {
        let n = app.scalar(&format!("SELECT count(*) AS id FROM proposal_history WHERE action = '{action}'")).await;
        assert_eq!(n, 33, "{action}");
    }
    // The history is a chain: each row starts where the previous one ended.
    assert_eq!(
        one("SELECT count(*) AS id FROM (SELECT from_status, lag(to_status) OVER (PARTITION BY proposal_id ORDER BY at) AS prev \
             FROM proposal_history) h WHERE h.prev IS NOT NULL AND h.prev <> h.from_status")
        .await,
        0
    );
    // 15 departments with a handler account each.
    assert_eq!(one("SELECT count(*) AS id FROM departments").await, 15);
    assert_eq!(
        one(
            "SELECT count(DISTINCT h.department_id) AS id FROM department_handlers h JOIN users u ON u.id = h.user_id \
             JOIN role_grants g ON g.user_id = u.id AND g.role = 'handler' WHERE u.username LIKE 'handler%'"
        )
        .await,
        15
    );
    // Delegates are active in-service members of their own delegation, never twice.
    assert_eq!(
        one("SELECT count(*) AS id FROM delegates d JOIN members m ON m.id = d.member_id \
             WHERE m.status <> 'active' OR m.employment_type = 'retired' OR m.unit_id <> d.delegation_unit_id")
        .await,
        0
    );

    // Seeding again changes nothing.
    let before = counts(&app).await;
    gonghui::seed::run(&app.state.config).await.unwrap();
    assert_eq!(counts(&app).await, before);
    let again =
        app.get(&format!("/reports/democracy?congress_id={congress}")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(again, r);
}
