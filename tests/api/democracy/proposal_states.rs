//! The proposal state machine through the API, exhaustively: every action route from every
//! status, on a fresh proposal each time, by the actor entitled to it. The answer is the
//! rules' answer: 200 with the new status, or 409 — or 404 where that actor may not see a
//! proposal in that status (drafts are private; the committee sees nothing before review).

use crate::common;

use common::democracy::{self, Delegate};
use common::fixtures;
use common::{TestApp, TestUser};
use gonghui::auth::permissions::Role;
use gonghui::democracy::proposal_rules::{self as rules, ProposalAction};
use gonghui::democracy::types::{Feedback, ProposalStatus};
use serde_json::json;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    Proposer,
    Cosigner,
    Committee,
    Handler,
}

/// (route, actor, the action the rules are asked about given the prepared row, body)
fn actions() -> Vec<(&'static str, Who, ProposalAction, serde_json::Value)> {
    use ProposalAction as A;
    vec![
        ("submit", Who::Proposer, A::Submit { late: false, cosigned: false }, json!({})),
        ("cosign", Who::Cosigner, A::Cosign { threshold_reached: false }, json!({"decision": "agree"})),
        ("withdraw", Who::Proposer, A::Withdraw, json!({})),
        ("accept", Who::Committee, A::Accept, json!({})),
        ("decline", Who::Committee, A::Decline, json!({"reason": "不予立案的理由"})),
        ("convert-to-suggestion", Who::Committee, A::ConvertToSuggestion, json!({})),
        ("merge", Who::Committee, A::Merge, json!({})),
        ("assign", Who::Committee, A::Assign, json!({})),
        ("request-extension", Who::Handler, A::RequestExtension, json!({"days": 10, "reason": "需要时间"})),
        ("approve-extension", Who::Committee, A::ApproveExtension, json!({})),
        ("reject-extension", Who::Committee, A::RejectExtension, json!({})),
        ("reply", Who::Handler, A::Reply, json!({"result_code": "A", "content": "已解决"})),
        ("feedback", Who::Proposer, A::Feedback, json!({"verdict": "satisfied"})),
        ("reopen", Who::Committee, A::Reopen { verdict: Some(Feedback::Unsatisfied), rehandled: false }, json!({})),
        ("close", Who::Committee, A::Close { feedback_window_over: true }, json!({})),
    ]
}

fn sees(who: Who, status: ProposalStatus) -> bool {
    match who {
        Who::Proposer | Who::Handler => true,
        Who::Cosigner => status != ProposalStatus::Draft,
        Who::Committee => rules::visible_to_committee(status),
    }
}

#[actix_web::test]
async fn every_action_from_every_status() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let congress = democracy::congress(&app, org.root, "school", "2023-TA").await;
    democracy::set_congress_status(&app, congress, "in_session").await;
    let proposer = democracy::make_delegate(&app, congress, org.zhang_san, "formal").await;
    let cosigners: Vec<Delegate> = democracy::delegates(&app, congress, org.a, "formal", 2, "ST").await;
    let handler = app.with_role(Role::Handler).await;
    let department = democracy::department(&app, "后勤管理处", &[handler.id]).await;
    let users: Vec<(Who, TestUser)> = vec![
        (Who::Proposer, app.member_user(org.zhang_san).await),
        (Who::Cosigner, app.member_user(cosigners[0].member_id).await),
        (Who::Committee, app.with_role(Role::ProposalCommittee).await),
        (Who::Handler, handler),
    ];
    let target = app
        .scalar(&format!(
            "INSERT INTO proposals (congress_id, proposer_delegate_id, title, category, cause, analysis, measures, status) \
             VALUES ({congress}, {}, '并案目标', 'logistics', 'a', 'b', 'c', 'accepted') RETURNING id",
            cosigners[1].id
        ))
        .await;

    let mut checked = 0;
    let mut failures = Vec::new();
    for status in ProposalStatus::all() {
        for (route, who, action, body) in actions() {
            let extension =
                if route.ends_with("-extension") && route != "request-extension" { "requested" } else { "none" };
            let merged_into = if *status == ProposalStatus::Merged { target.to_string() } else { "NULL".into() };
            let id = app
                .scalar(&format!(
                    "INSERT INTO proposals (congress_id, proposer_delegate_id, title, category, cause, analysis, measures, \
                     status, merged_into_id, reply_due_on, feedback, feedback_due_on, extension_status, extension_days) \
                     VALUES ({congress}, {}, '状态 {} {route}', 'logistics', 'a', 'b', 'c', '{}', {merged_into}, \
                     '2099-01-01', 'unsatisfied', '2023-01-01', '{extension}', 10) RETURNING id",
                    proposer.id,
                    status.as_str(),
                    status.as_str()
                ))
                .await;
            app.sql(&format!(
                "INSERT INTO proposal_cosigners (proposal_id, delegate_id) VALUES ({id}, {}), ({id}, {})",
                cosigners[0].id, cosigners[1].id
            ))
            .await;
            app.sql(&format!(
                "INSERT INTO proposal_departments (proposal_id, department_id, role) VALUES ({id}, {department}, 'lead')"
            ))
            .await;
            let mut body = body.clone();
            if route == "merge" {
                body = json!({"into_proposal_id": target});
            }
            if route == "assign" {
                body = json!({"lead_department_id": department});
            }
            let token = &users.iter().find(|(w, _)| *w == who).unwrap().1.token;
            let res = app.post(&format!("/proposals/{id}/{route}")).token(token).json(&body).send().await;
            checked += 1;
            let what = format!("{} --{route}--> {} {}", status.as_str(), res.status, res.text());
            let expected = rules::proposal_transition(*status, action);
            if !sees(who, *status) {
                if res.status != 404 {
                    failures.push(format!("{what}: the actor cannot see it, expected 404"));
                }
                continue;
            }
            match expected {
                Ok(to) => {
                    if res.status != 200 || res.json()["status"] != to.as_str() {
                        failures.push(format!("{what}: expected 200 {}", to.as_str()));
                    }
                    let history = app
                        .scalar(&format!("SELECT count(*) AS id FROM proposal_history WHERE proposal_id = {id} AND action = '{route}'"))
                        .await;
                    if history != 1 {
                        failures.push(format!("{what}: {history} history rows"));
                    }
                }
                Err(e) => {
                    if res.status != 409 || res.json()["code"] != gonghui::error::ApiError::from(e).code() {
                        failures.push(format!("{what}: expected 409 {}", gonghui::error::ApiError::from(e).code()));
                    }
                    let unchanged = app
                        .scalar(&format!(
                            "SELECT count(*) AS id FROM proposals WHERE id = {id} AND status = '{}' AND version = 1",
                            status.as_str()
                        ))
                        .await;
                    if unchanged != 1 {
                        failures.push(format!("{what}: a refused action changed the row"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(checked, ProposalStatus::all().len() * actions().len());
}
