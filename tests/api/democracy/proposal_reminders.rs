//! Deadline reminders: the daily job reminds the lead department before and after the reply
//! deadline and the proposer before the feedback window closes, each once.

use crate::common;

use common::TestApp;
use common::democracy;
use common::fixtures;
use gonghui::democracy::PROPOSAL_REMINDERS_JOB as JOB_KIND;
use gonghui::jobs::NewJob;
use serde_json::json;

#[actix_web::test]
async fn reminders_go_out_once_per_deadline() {
    let app = TestApp::spawn_with(&[
        ("GONGHUI_WECHAT_APPID", "wx-test"),
        ("GONGHUI_WECHAT_SECRET", "s"),
        ("GONGHUI_WECHAT_API_BASE", "http://127.0.0.1:9"),
        ("GONGHUI_WECHAT_TEMPLATES", "proposal_due=TPL-DUE"),
    ])
    .await;
    let org = fixtures::org(&app).await;
    let congress = democracy::congress(&app, org.root, "school", "2023-TA").await;
    let proposer = democracy::make_delegate(&app, congress, org.zhang_san, "formal").await;
    // The handler of the lead department is also a member (wang_wu) with a WeChat binding.
    let handler = app.member_user(org.wang_wu).await;
    app.sql(&format!("INSERT INTO role_grants (user_id, role) VALUES ({}, 'handler')", handler.id)).await;
    let lead = democracy::department(&app, "后勤管理处", &[handler.id]).await;
    for member in [org.zhang_san, org.wang_wu] {
        app.sql(&format!(
            "INSERT INTO wechat_bindings (openid, member_id, method) VALUES ('o{member}', {member}, 'cas')"
        ))
        .await;
    }
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let mut ids = Vec::new();
    for (status, reply_due, feedback_due) in [
        ("assigned", day(5), "NULL".to_owned()),
        ("assigned", day(-1), "NULL".to_owned()),
        ("replied", day(-20), format!("'{}'", day(2))),
        ("assigned", day(30), "NULL".to_owned()),
        ("closed", day(-40), "NULL".to_owned()),
    ] {
        let id = app
            .scalar(&format!(
                "INSERT INTO proposals (congress_id, proposer_delegate_id, title, category, cause, analysis, measures, \
                 status, reply_due_on, feedback_due_on) VALUES ({congress}, {}, '提醒 {status}', 'logistics', 'a', 'b', \
                 'c', '{status}', '{reply_due}', {feedback_due}) RETURNING id",
                proposer.id
            ))
            .await;
        app.sql(&format!(
            "INSERT INTO proposal_departments (proposal_id, department_id, role) VALUES ({id}, {lead}, 'lead')"
        ))
        .await;
        ids.push(id);
    }

    let mut worker = gonghui::app::worker(app.state.pool.clone(), app.state.config.clone(), app.state.http.clone());
    for run in 0..2 {
        let mut conn = app.conn().await;
        let job = NewJob::new(JOB_KIND, json!({"day": today})).dedupe(format!("test:{run}"));
        gonghui::jobs::enqueue(&mut conn, job).await.unwrap();
        assert!(worker.run_once().await.unwrap(), "the reminder job kind is registered");
        // Sending the WeChat messages is another job; leave them queued.
        let kinds = app.scalar("SELECT count(*) AS id FROM proposal_reminders").await;
        assert_eq!(kinds, 3, "run {run}: sent once, whatever the number of runs");
    }
    let kind_of =
        |id: i64| format!("SELECT count(*) AS id FROM proposal_reminders WHERE proposal_id = {id} AND kind = ");
    assert_eq!(app.scalar(&format!("{}'reply_due_7d'", kind_of(ids[0]))).await, 1);
    assert_eq!(app.scalar(&format!("{}'reply_overdue'", kind_of(ids[1]))).await, 1);
    assert_eq!(app.scalar(&format!("{}'feedback_due_3d'", kind_of(ids[2]))).await, 1);
    let messages = |member: i64| {
        format!("SELECT count(*) AS id FROM wechat_messages WHERE member_id = {member} AND event = 'proposal_due'")
    };
    assert_eq!(app.scalar(&messages(org.wang_wu)).await, 2, "the handler: 7 days before, and overdue");
    assert_eq!(app.scalar(&messages(org.zhang_san)).await, 1, "the proposer: feedback due");
    let events = app.scalar("SELECT count(*) AS id FROM webhook_events WHERE event_type = 'proposal.reminder'").await;
    assert_eq!(events, 3);
    worker.name = "done".into();
}
