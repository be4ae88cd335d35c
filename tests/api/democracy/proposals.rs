//! Proposals from filing to feedback, over HTTP: who may do what, the numbers, deadlines,
//! co-signatures as records, conversions and merges, re-handling, the handling report.

use crate::common;

use common::democracy::{self, Delegate};
use common::fixtures::{self, Org};
use common::{TestApp, TestUser};
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

/// A school congress with a proposer, three formal co-signers, an observer, the committee,
/// and two departments with a handler each.
struct World {
    app: TestApp,
    org: Org,
    congress: i64,
    proposer: (Delegate, TestUser),
    cosigners: Vec<(Delegate, TestUser)>,
    observer: (Delegate, TestUser),
    committee: TestUser,
    lead: (i64, TestUser),
    co: (i64, TestUser),
}

async fn world_with(vars: &[(&str, &str)]) -> World {
    let app = TestApp::spawn_with(vars).await;
    let org = fixtures::org(&app).await;
    let congress = democracy::congress(&app, org.root, "school", "2023-TA").await;
    democracy::set_congress_status(&app, congress, "in_session").await;
    let proposer_d = democracy::make_delegate(&app, congress, org.zhang_san, "formal").await;
    let proposer = (proposer_d, app.member_user(org.zhang_san).await);
    let mut cosigners = Vec::new();
    for d in democracy::delegates(&app, congress, org.a, "formal", 3, "CS").await {
        cosigners.push((d, app.member_user(d.member_id).await));
    }
    let observer_d = democracy::make_delegate(&app, congress, org.li_si, "observer").await;
    let observer = (observer_d, app.member_user(org.li_si).await);
    let committee = app.with_role(Role::ProposalCommittee).await;
    let lead_user = app.with_role(Role::Handler).await;
    let co_user = app.with_role(Role::Handler).await;
    let lead = democracy::department(&app, "后勤管理处", &[lead_user.id]).await;
    let co = democracy::department(&app, "财务处", &[co_user.id]).await;
    World { app, org, congress, proposer, cosigners, observer, committee, lead: (lead, lead_user), co: (co, co_user) }
}

async fn world() -> World {
    world_with(&[]).await
}

fn draft(w: &World, title: &str) -> Value {
    json!({
        "congress_id": w.congress,
        "title": title,
        "category": "logistics",
        "cause": "电动车充电难",
        "analysis": "宿舍区现有充电桩不足，存在安全隐患。",
        "measures": "在各宿舍区增设集中充电设施。",
        "cosigner_delegate_ids": [w.cosigners[0].0.id, w.cosigners[1].0.id],
    })
}

impl World {
    async fn create(&self, title: &str) -> i64 {
        let res = self.app.post("/proposals").token(&self.proposer.1.token).json(&draft(self, title)).send().await;
        res.assert_ok(201)["id"].as_i64().unwrap()
    }

    async fn act(&self, id: i64, action: &str, who: &TestUser, body: Value) -> common::Res {
        self.app.post(&format!("/proposals/{id}/{action}")).token(&who.token).json(&body).send().await
    }

    /// Draft → submitted → both co-signers agree → under review.
    async fn under_review(&self, title: &str) -> i64 {
        let id = self.create(title).await;
        self.act(id, "submit", &self.proposer.1, json!({})).await.assert_ok(200);
        for (_, user) in &self.cosigners[..2] {
            self.act(id, "cosign", user, json!({"decision": "agree"})).await.assert_ok(200);
        }
        id
    }

    async fn assigned(&self, title: &str) -> i64 {
        let id = self.under_review(title).await;
        self.act(id, "accept", &self.committee, json!({})).await.assert_ok(200);
        let body = json!({"lead_department_id": self.lead.0, "co_department_ids": [self.co.0]});
        self.act(id, "assign", &self.committee, body).await.assert_ok(200);
        id
    }

    async fn replied(&self, title: &str, code: &str) -> i64 {
        let id = self.assigned(title).await;
        let body = json!({"result_code": code, "content": "已在三个宿舍区增设充电桩 120 个。"});
        self.act(id, "reply", &self.lead.1, body).await.assert_ok(200);
        id
    }

    async fn get(&self, id: i64, who: &TestUser) -> common::Res {
        self.app.get(&format!("/proposals/{id}")).token(&who.token).send().await
    }
}

#[actix_web::test]
async fn a_proposal_goes_from_draft_to_closed_with_history() {
    let w = world().await;
    let (proposer, committee) = (&w.proposer.1, &w.committee);
    let id = w.create("关于增设校园电动车充电设施的提案").await;
    let p = w.get(id, proposer).await.assert_ok(200);
    assert_eq!(p["status"], "draft");
    assert_eq!(p["proposer"]["name"], "张三");
    assert_eq!(p["cosigners"].as_array().unwrap().len(), 2);
    assert_eq!(p["cosigners"][0]["status"], "pending");
    // Drafts are the proposer's own: the committee, the invited and handlers see nothing.
    for who in [committee, &w.cosigners[0].1, &w.lead.1] {
        w.get(id, who).await.assert_problem(404, "not_found");
    }
    let invitations = w.app.get("/me/cosign-invitations").token(&w.cosigners[0].1.token).send().await.assert_ok(200);
    assert_eq!(invitations["total"], 0, "invitations go out on submit");

    let p = w.act(id, "submit", proposer, json!({})).await.assert_ok(200);
    assert_eq!(p["status"], "submitted");
    w.get(id, committee).await.assert_problem(404, "not_found");
    let invitations = w.app.get("/me/cosign-invitations").token(&w.cosigners[0].1.token).send().await.assert_ok(200);
    assert_eq!(invitations["total"], 1);
    assert_eq!(invitations["items"][0]["proposal_id"], id);
    assert_eq!(invitations["items"][0]["proposer_name"], "张三");
    // An uninvited delegate cannot co-sign, nor see the proposal.
    w.act(id, "cosign", &w.cosigners[2].1, json!({"decision": "agree"})).await.assert_problem(404, "not_found");

    let p = w.act(id, "cosign", &w.cosigners[0].1, json!({"decision": "agree"})).await.assert_ok(200);
    assert_eq!((p["status"].as_str(), p["cosigners_agreed"].as_i64()), (Some("submitted"), Some(1)));
    w.act(id, "cosign", &w.cosigners[0].1, json!({"decision": "decline"}))
        .await
        .assert_problem(409, "already_answered");
    let p = w.act(id, "cosign", &w.cosigners[1].1, json!({"decision": "agree"})).await.assert_ok(200);
    assert_eq!((p["status"].as_str(), p["cosigners_agreed"].as_i64()), (Some("under_review"), Some(2)));
    // Each co-signature is a row per delegate.
    assert_eq!(
        w.app
            .scalar(&format!(
                "SELECT count(*) AS id FROM proposal_cosigners WHERE proposal_id = {id} AND status = 'agreed'"
            ))
            .await,
        2
    );

    let listed = w.app.get("/proposals").token(&committee.token).send().await.assert_ok(200);
    assert_eq!(listed["total"], 1);
    let p = w.act(id, "accept", committee, json!({"comment": "符合立案条件"})).await.assert_ok(200);
    assert_eq!((p["status"].as_str(), p["number"].as_str()), (Some("accepted"), Some("2023-TA-001")));

    let body = json!({"lead_department_id": w.lead.0, "co_department_ids": [w.co.0]});
    let p = w.act(id, "assign", committee, body).await.assert_ok(200);
    assert_eq!(p["status"], "assigned");
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    assert_eq!(p["reply_due_on"], (today + chrono::Duration::days(90)).to_string(), "the default 90-day window");
    assert_eq!(p["departments"][0]["role"], "lead");

    // The co-handling department sees it but may not reply; the lead replies.
    w.get(id, &w.co.1).await.assert_ok(200);
    let reply = json!({"result_code": "A", "content": "已在三个宿舍区增设充电桩 120 个。"});
    w.act(id, "reply", &w.co.1, reply.clone()).await.assert_problem(403, "not_lead_handler");
    let p = w.act(id, "reply", &w.lead.1, reply).await.assert_ok(200);
    assert_eq!(p["status"], "replied");
    assert_eq!(p["replies"][0]["result_code"], "A");
    assert_eq!(p["replies"][0]["on_time"], true);
    assert_eq!(p["replies"][0]["department_name"], "后勤管理处");
    assert!(p["feedback_due_on"].as_str().unwrap() > today.to_string().as_str());

    w.act(id, "feedback", &w.cosigners[0].1, json!({"verdict": "satisfied"})).await.assert_problem(403, "not_proposer");
    let p = w.act(id, "feedback", proposer, json!({"verdict": "satisfied", "comment": "感谢"})).await.assert_ok(200);
    assert_eq!((p["status"].as_str(), p["feedback"].as_str()), (Some("feedback_given"), Some("satisfied")));
    assert_eq!(p["replies"][0]["feedback"], "satisfied");
    let p = w.act(id, "close", committee, json!({})).await.assert_ok(200);
    assert_eq!(p["status"], "closed");

    let history = w.app.get(&format!("/proposals/{id}/history")).token(&proposer.token).send().await.assert_ok(200);
    let actions: Vec<&str> =
        history["items"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "submit", "cosign", "cosign", "accept", "assign", "reply", "feedback", "close"]);
    assert_eq!(history["items"][4]["from_status"], "under_review");
    assert_eq!(history["items"][4]["to_status"], "accepted");
    assert_eq!(history["items"][4]["actor_user_id"], committee.id);
    // Co-sign rows name the delegate (their member's name), as the co-signer list does; never
    // a placeholder such as "代表 517".
    let shown = w.app.get(&format!("/proposals/{id}")).token(&proposer.token).send().await.assert_ok(200);
    let admin = w.app.union_admin().await;
    for (row, cosigner) in [(2, 0), (3, 1)] {
        let name = shown["cosigners"][cosigner]["name"].as_str().unwrap();
        let delegate = w.cosigners[cosigner].0;
        assert_eq!(shown["cosigners"][cosigner]["delegate_id"], delegate.id);
        let member = w.app.get(&format!("/members/{}", delegate.member_id)).token(&admin.token).send().await;
        assert_eq!(member.assert_ok(200)["name"], name);
        assert_eq!(history["items"][row]["comment"], format!("{name} 同意"), "{}", history["items"][row]);
        assert_ne!(history["items"][row]["comment"], format!("代表 {} 同意", delegate.id));
    }
    // Rows name their actor, not just an id.
    let committee_name = w
        .app
        .scalar(&format!("SELECT count(*) AS id FROM users WHERE id = {} AND display_name LIKE 'Test %'", committee.id))
        .await;
    assert_eq!(committee_name, 1);
    assert!(
        history["items"][4]["actor_name"].as_str().is_some_and(|n| n.starts_with("Test ")),
        "{}",
        history["items"][4]
    );
    // Every transition is audited in the same transaction.
    let audited = w
        .app
        .scalar(&format!("SELECT count(*) AS id FROM audit_log WHERE entity = 'proposal' AND entity_id = '{id}'"))
        .await;
    assert_eq!(audited, 9);

    // Published to every member with its reply.
    let outsider = w.app.member_user(w.org.zhao_liu).await;
    w.get(id, &outsider).await.assert_problem(404, "not_found");
    let public = w.app.get("/proposals/public").token(&outsider.token).send().await.assert_ok(200);
    assert_eq!(public["total"], 1);
    assert_eq!(public["items"][0]["number"], "2023-TA-001");
    assert_eq!(public["items"][0]["result_code"], "A");
    assert_eq!(public["items"][0]["reply"], "已在三个宿舍区增设充电桩 120 个。");
    // The public list publishes what was asked next to what was replied.
    assert_eq!(public["items"][0]["cause"], "电动车充电难");
    assert_eq!(public["items"][0]["analysis"], "宿舍区现有充电桩不足，存在安全隐患。");
    assert_eq!(public["items"][0]["measures"], "在各宿舍区增设集中充电设施。");
    let mine = w.app.get("/me/proposals").token(&proposer.token).send().await.assert_ok(200);
    assert_eq!((mine["total"].as_i64(), mine["items"][0]["status"].as_str()), (Some(1), Some("closed")));
}

#[actix_web::test]
async fn numbers_follow_the_order_of_acceptance() {
    let w = world().await;
    let first = w.under_review("提案一").await;
    let second = w.under_review("提案二").await;
    let third = w.under_review("提案三").await;
    for (id, number) in [(second, "2023-TA-001"), (first, "2023-TA-002")] {
        let p = w.act(id, "accept", &w.committee, json!({})).await.assert_ok(200);
        assert_eq!(p["number"], number);
    }
    let p = w.act(third, "decline", &w.committee, json!({"reason": "不属于学校职权范围"})).await.assert_ok(200);
    assert_eq!((p["status"].as_str(), p["number"].as_str()), (Some("declined"), None), "declined ones get no number");
    assert_eq!(p["decision_reason"], "不属于学校职权范围");
    w.act(third, "decline", &w.committee, json!({})).await.assert_problem(422, "validation_failed");
}

#[actix_web::test]
async fn only_formal_delegates_propose() {
    let w = world().await;
    let body = draft(&w, "列席代表的提案");
    w.app
        .post("/proposals")
        .token(&w.observer.1.token)
        .json(&body)
        .send()
        .await
        .assert_problem(403, "not_a_formal_delegate");
    let outsider = w.app.member_user(w.org.zhao_liu).await;
    w.app.post("/proposals").token(&outsider.token).json(&body).send().await.assert_problem(403, "not_a_delegate");
    w.app.post("/proposals").token(&w.committee.token).json(&body).send().await.assert_problem(403, "not_a_delegate");
    w.app.post("/proposals").json(&body).send().await.assert_problem(401, "missing_token");
    assert_eq!(w.app.scalar("SELECT count(*) AS id FROM proposals").await, 0);
    // A closed congress takes no more proposals.
    democracy::set_congress_status(&w.app, w.congress, "closed").await;
    let res = w.app.post("/proposals").token(&w.proposer.1.token).json(&body).send().await;
    res.assert_problem(409, "congress_closed");
}

#[actix_web::test]
async fn invalid_drafts_are_refused_field_by_field() {
    let w = world().await;
    let t = &w.proposer.1.token;
    let mut body = draft(&w, "");
    body["cause"] = json!("  ");
    let res = w.app.post("/proposals").token(t).json(&body).send().await;
    res.assert_problem(422, "validation_failed");
    let fields = res.error_fields();
    assert!(fields.contains(&"title".to_owned()) && fields.contains(&"cause".to_owned()), "{fields:?}");

    let mut body = draft(&w, "类别错误");
    body["category"] = json!("no_such_category");
    let res = w.app.post("/proposals").token(t).json(&body).send().await;
    let problem = res.assert_problem(422, "validation_failed");
    assert_eq!(
        (&problem["errors"][0]["field"], &problem["errors"][0]["code"]),
        (&json!("category"), &json!("invalid_choice"))
    );

    let mut body = draft(&w, "附议人错误");
    body["cosigner_delegate_ids"] = json!([w.observer.0.id, w.proposer.0.id, w.cosigners[0].0.id, w.cosigners[0].0.id]);
    let res = w.app.post("/proposals").token(t).json(&body).send().await;
    let problem = res.assert_problem(422, "validation_failed");
    let codes: Vec<(&str, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            ("cosigner_delegate_ids[0]", "not_formal_delegate_of_congress"),
            ("cosigner_delegate_ids[1]", "self_cosign"),
            ("cosigner_delegate_ids[3]", "duplicate"),
        ]
    );
    let mut body = draft(&w, "不存在的大会");
    body["congress_id"] = json!(999_999);
    let res = w.app.post("/proposals").token(t).json(&body).send().await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["code"], "unknown_congress");
    let mut body = draft(&w, "控制字符");
    body["measures"] = json!("含有\u{0}空字符");
    w.app.post("/proposals").token(t).json(&body).send().await.assert_problem(422, "validation_failed");
    assert_eq!(w.app.scalar("SELECT count(*) AS id FROM proposals").await, 0);

    // Too few co-signers is refused at submission.
    let mut body = draft(&w, "附议不足");
    body["cosigner_delegate_ids"] = json!([w.cosigners[0].0.id]);
    let id = w.app.post("/proposals").token(t).json(&body).send().await.assert_ok(201)["id"].as_i64().unwrap();
    let res = w.act(id, "submit", &w.proposer.1, json!({})).await;
    assert_eq!(res.assert_problem(422, "too_few_cosigners")["errors"][0]["field"], "cosigner_delegate_ids");
    // Adding one more in the draft makes it submittable.
    let patch = json!({"cosigner_delegate_ids": [w.cosigners[0].0.id, w.cosigners[2].0.id]});
    let p = w.app.patch(&format!("/proposals/{id}")).token(t).json(&patch).send().await.assert_ok(200);
    assert_eq!(p["cosigners"].as_array().unwrap().len(), 2);
    w.act(id, "submit", &w.proposer.1, json!({})).await.assert_ok(200);
    // Once submitted, the text is locked; only co-signers may be added.
    let res = w.app.patch(&format!("/proposals/{id}")).token(t).json(&json!({"title": "改标题"})).send().await;
    res.assert_problem(409, "proposal_locked");
    let res = w.app.patch(&format!("/proposals/{id}")).token(&w.cosigners[0].1.token).json(&patch).send().await;
    res.assert_problem(403, "not_proposer");
    // A stale If-Match is refused.
    let res = w.app.patch(&format!("/proposals/{id}")).token(t).header("If-Match", "\"1\"").json(&patch).send().await;
    res.assert_problem(412, "stale_version");
}

#[actix_web::test]
async fn a_proposal_submitted_after_the_deadline_becomes_a_suggestion() {
    let w = world().await;
    w.app.sql(&format!("UPDATE congresses SET proposal_deadline = '2023-03-10' WHERE id = {}", w.congress)).await;
    let id = w.create("逾期提案").await;
    let p = w.act(id, "submit", &w.proposer.1, json!({})).await.assert_ok(200);
    assert_eq!(p["status"], "converted");
    let suggestion = p["suggestion_id"].as_i64().unwrap();
    let sql = format!(
        "SELECT count(*) AS id FROM suggestions WHERE id = {suggestion} AND source = 'late_proposal' \
         AND from_proposal_id = {id} AND member_id = {} AND category = 'logistics'",
        w.org.zhang_san
    );
    assert_eq!(w.app.scalar(&sql).await, 1);
    let invitations = w.app.get("/me/cosign-invitations").token(&w.cosigners[0].1.token).send().await.assert_ok(200);
    assert_eq!(invitations["total"], 0, "nobody is asked to co-sign a suggestion");
}

#[actix_web::test]
async fn declined_proposals_can_be_converted_or_merged_and_merged_proposers_become_co_proposers() {
    let w = world().await;
    let target = w.under_review("关于改善食堂伙食的提案").await;
    w.act(target, "accept", &w.committee, json!({})).await.assert_ok(200);
    let duplicate = w.under_review("关于提高食堂饭菜质量的提案").await;
    // The duplicate's proposer is another delegate: make cosigner 2 propose it.
    w.app
        .sql(&format!("UPDATE proposals SET proposer_delegate_id = {} WHERE id = {duplicate}", w.cosigners[2].0.id))
        .await;
    w.act(duplicate, "merge", &w.committee, json!({"into_proposal_id": duplicate}))
        .await
        .assert_problem(422, "validation_failed");
    w.act(duplicate, "merge", &w.committee, json!({"into_proposal_id": 999_999}))
        .await
        .assert_problem(422, "validation_failed");
    let p = w.act(duplicate, "merge", &w.committee, json!({"into_proposal_id": target})).await.assert_ok(200);
    assert_eq!((p["status"].as_str(), p["merged_into_id"].as_i64()), (Some("merged"), Some(target)));
    let t = w.get(target, &w.committee).await.assert_ok(200);
    assert_eq!(t["coproposers"][0]["delegate_id"], w.cosigners[2].0.id);
    // The co-proposer now sees the target among their proposals.
    let mine = w.app.get("/me/proposals").token(&w.cosigners[2].1.token).send().await.assert_ok(200);
    let ids: Vec<i64> = mine["items"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&target) && ids.contains(&duplicate), "{ids:?}");

    let declined = w.under_review("超出职权的提案").await;
    w.act(declined, "decline", &w.committee, json!({"reason": "不属于学校职权范围"})).await.assert_ok(200);
    let p = w.act(declined, "convert-to-suggestion", &w.committee, json!({})).await.assert_ok(200);
    assert_eq!(p["status"], "converted");
    let s = p["suggestion_id"].as_i64().unwrap();
    let sql = format!("SELECT count(*) AS id FROM suggestions WHERE id = {s} AND source = 'converted_proposal'");
    assert_eq!(w.app.scalar(&sql).await, 1);
    w.act(declined, "convert-to-suggestion", &w.committee, json!({})).await.assert_problem(409, "invalid_transition");
}

#[actix_web::test]
async fn an_unsatisfied_verdict_allows_exactly_one_re_handling() {
    let w = world().await;
    let id = w.replied("关于延长图书馆开放时间的提案", "D").await;
    let p = w
        .act(id, "feedback", &w.proposer.1, json!({"verdict": "unsatisfied", "comment": "未解决"}))
        .await
        .assert_ok(200);
    assert_eq!(p["feedback"], "unsatisfied");
    let p = w.act(id, "reopen", &w.committee, json!({"reply_due_on": "2099-01-31"})).await.assert_ok(200);
    assert_eq!((p["status"].as_str(), p["rehandle_count"].as_i64()), (Some("assigned"), Some(1)));
    assert_eq!(p["reply_due_on"], "2099-01-31");
    let body = json!({"result_code": "B", "content": "已调整为 22:00 闭馆。"});
    let p = w.act(id, "reply", &w.lead.1, body).await.assert_ok(200);
    assert_eq!(p["replies"].as_array().unwrap().len(), 2);
    assert_eq!(p["replies"][1]["round"], 2);
    assert_eq!(p["replies"][0]["feedback"], "unsatisfied");
    w.act(id, "feedback", &w.proposer.1, json!({"verdict": "unsatisfied"})).await.assert_ok(200);
    w.act(id, "reopen", &w.committee, json!({})).await.assert_problem(409, "rehandle_used");
    w.act(id, "close", &w.committee, json!({"comment": "已二次办理"})).await.assert_ok(200);

    let satisfied = w.replied("满意的提案", "A").await;
    w.act(satisfied, "feedback", &w.proposer.1, json!({"verdict": "basically_satisfied"})).await.assert_ok(200);
    w.act(satisfied, "reopen", &w.committee, json!({})).await.assert_problem(409, "reopen_requires_unsatisfied");
    w.act(satisfied, "feedback", &w.proposer.1, json!({"verdict": "satisfied"}))
        .await
        .assert_problem(409, "invalid_transition");
}

#[actix_web::test]
async fn a_replied_proposal_closes_without_feedback_only_after_the_window() {
    let w = world().await;
    let id = w.replied("无反馈的提案", "C").await;
    w.act(id, "close", &w.committee, json!({})).await.assert_problem(409, "feedback_window_open");
    w.app.sql(&format!("UPDATE proposals SET feedback_due_on = '2023-01-01' WHERE id = {id}")).await;
    let p = w.act(id, "close", &w.committee, json!({})).await.assert_ok(200);
    assert_eq!((p["status"].as_str(), p["feedback"].as_str()), (Some("closed"), None));
}

#[actix_web::test]
async fn extensions_need_the_committees_approval() {
    let w = world().await;
    let id = w.assigned("需延期的提案").await;
    let due = w.get(id, &w.committee).await.assert_ok(200)["reply_due_on"].as_str().unwrap().to_owned();
    let res = w.act(id, "request-extension", &w.lead.1, json!({"days": 31, "reason": "需预算"})).await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["field"], "days");
    w.act(id, "request-extension", &w.co.1, json!({"days": 30, "reason": "需预算"}))
        .await
        .assert_problem(403, "not_lead_handler");
    w.act(id, "approve-extension", &w.committee, json!({})).await.assert_problem(409, "no_extension_requested");
    let p = w
        .act(id, "request-extension", &w.lead.1, json!({"days": 30, "reason": "需列入下年度预算"}))
        .await
        .assert_ok(200);
    assert_eq!(p["extension"]["status"], "requested");
    assert_eq!(p["reply_due_on"], due.as_str(), "not moved before approval");
    w.act(id, "request-extension", &w.lead.1, json!({"days": 10, "reason": "再延"}))
        .await
        .assert_problem(409, "extension_already_requested");
    w.act(id, "approve-extension", &w.lead.1, json!({})).await.assert_problem(403, "forbidden");
    let p = w.act(id, "approve-extension", &w.committee, json!({"comment": "同意"})).await.assert_ok(200);
    let due = chrono::NaiveDate::parse_from_str(&due, "%Y-%m-%d").unwrap();
    assert_eq!(p["reply_due_on"], (due + chrono::Duration::days(30)).to_string());
    assert_eq!(p["extension"]["status"], "approved");
}

#[actix_web::test]
async fn overdue_proposals_are_listed_and_late_replies_recorded() {
    let w = world().await;
    let late = w.assigned("逾期未答复").await;
    let in_time = w.assigned("按期").await;
    w.app.sql(&format!("UPDATE proposals SET reply_due_on = '2023-06-18' WHERE id = {late}")).await;
    let overdue = w.app.get("/proposals?overdue=true").token(&w.committee.token).send().await.assert_ok(200);
    assert_eq!(overdue["total"], 1);
    assert_eq!(
        (overdue["items"][0]["id"].as_i64(), overdue["items"][0]["overdue"].as_bool()),
        (Some(late), Some(true))
    );
    let by_dept = w.app.get(&format!("/proposals?department_id={}", w.co.0)).token(&w.committee.token).send().await;
    assert_eq!(by_dept.assert_ok(200)["total"], 2);
    let handler_view = w.app.get("/proposals").token(&w.lead.1.token).send().await.assert_ok(200);
    assert_eq!(handler_view["total"], 2, "handlers see their departments' proposals");
    let p = w.act(late, "reply", &w.lead.1, json!({"result_code": "B", "content": "正在推进"})).await.assert_ok(200);
    assert_eq!(p["replies"][0]["on_time"], false);
    w.act(in_time, "reply", &w.lead.1, json!({"result_code": "A", "content": "已完成"})).await.assert_ok(200);
    let report =
        w.app.get(&format!("/congresses/{}/handling-report", w.congress)).token(&w.committee.token).send().await;
    let report = report.assert_ok(200);
    assert_eq!((report["replied"].as_i64(), report["replied_on_time"].as_i64()), (Some(2), Some(1)));
    assert_eq!(report["on_time_rate_bp"], 5000);
    let csv = w.app.get("/proposals?format=csv").token(&w.committee.token).send().await;
    assert_eq!(csv.status, 200);
    let text = csv.text();
    assert!(text.contains("编号") && text.contains("2023-TA-001") && text.contains("逾期未答复"), "{text}");
}

#[actix_web::test]
async fn the_handling_report_reads_as_json_and_markdown() {
    let w = world().await;
    let a = w.replied("提案甲", "A").await;
    w.act(a, "feedback", &w.proposer.1, json!({"verdict": "satisfied"})).await.assert_ok(200);
    let d = w.under_review("提案乙").await;
    w.act(d, "decline", &w.committee, json!({"reason": "不属于学校职权范围"})).await.assert_ok(200);
    w.create("草稿不计").await;
    let path = format!("/congresses/{}/handling-report", w.congress);
    let r = w.app.get(&path).token(&w.committee.token).send().await.assert_ok(200);
    assert_eq!((r["filed"].as_i64(), r["accepted"].as_i64(), r["declined"].as_i64()), (Some(2), Some(1), Some(1)));
    assert_eq!((r["satisfied"].as_i64(), r["satisfaction_rate_bp"].as_i64()), (Some(1), Some(10000)));
    assert_eq!(r["accepted_proposals"][0]["number"], "2023-TA-001");
    assert_eq!(r["not_accepted"][0]["decision_reason"], "不属于学校职权范围");
    // The same shape as `/reports/democracy`: an object with every code.
    assert_eq!(r["result_codes"], json!({"A": 1, "B": 0, "C": 0, "D": 0}));
    let md = w.app.get(&format!("{path}?format=markdown")).token(&w.committee.token).send().await;
    assert_eq!(md.status, 200);
    assert!(md.header("content-type").unwrap().starts_with("text/markdown"));
    let text = md.text();
    assert!(
        text.contains("提案办理情况报告")
            && text.contains("| 2023-TA-001 | 提案甲 | 张三 | 后勤管理处 | A | 是 | 满意 |"),
        "{text}"
    );
    w.app.get(&path).token(&w.proposer.1.token).send().await.assert_problem(403, "forbidden");
    w.app.get(&path).send().await.assert_problem(401, "missing_token");
    w.app
        .get("/congresses/999999/handling-report")
        .token(&w.committee.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    let res = w.app.get(&format!("{path}?format=pdf")).token(&w.committee.token).send().await;
    assert_eq!(res.assert_problem(422, "validation_failed")["errors"][0]["field"], "format");
}

#[actix_web::test]
async fn who_sees_a_proposal_under_review() {
    let w = world().await;
    let id = w.under_review("审查中的提案").await;
    w.get(id, &w.committee).await.assert_ok(200);
    w.get(id, &w.cosigners[0].1).await.assert_ok(200);
    w.get(id, &w.lead.1).await.assert_problem(404, "not_found");
    w.get(id, &w.app.member_user(w.org.zhao_liu).await).await.assert_problem(404, "not_found");
    w.get(id, &w.app.unit_admin(w.org.a).await).await.assert_problem(404, "not_found");
    w.get(999_999, &w.committee).await.assert_problem(404, "not_found");
    // Committee actions need the committee's role; the proposer's need the proposer.
    w.act(id, "accept", &w.proposer.1, json!({})).await.assert_problem(403, "forbidden");
    w.act(id, "accept", &w.lead.1, json!({})).await.assert_problem(403, "forbidden");
    w.act(id, "withdraw", &w.committee, json!({})).await.assert_problem(403, "not_proposer");
    w.act(999_999, "accept", &w.committee, json!({})).await.assert_problem(404, "not_found");
    w.act(id, "accept", &w.committee, json!({"unexpected": 1})).await.assert_problem(422, "validation_failed");
    let p = w.act(id, "withdraw", &w.proposer.1, json!({"comment": "另行提出"})).await.assert_ok(200);
    assert_eq!(p["status"], "withdrawn");
    w.get(id, &w.committee).await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn the_proposer_is_told_on_wechat_when_accepted_and_replied() {
    let w = world_with(&[
        ("GONGHUI_WECHAT_APPID", "wx-test"),
        ("GONGHUI_WECHAT_SECRET", "s"),
        ("GONGHUI_WECHAT_API_BASE", "http://127.0.0.1:9"),
        ("GONGHUI_WECHAT_TEMPLATES", "proposal_replied=TPL-REPLIED,cosign_invited=TPL-COSIGN"),
    ])
    .await;
    for member in [w.org.zhang_san, w.cosigners[0].0.member_id] {
        w.app
            .sql(&format!(
                "INSERT INTO wechat_bindings (openid, member_id, method) VALUES ('o{member}', {member}, 'cas')"
            ))
            .await;
    }
    let id = w.replied("通知测试", "A").await;
    let events = |member: i64| format!("SELECT count(*) AS id FROM wechat_messages WHERE member_id = {member}");
    assert_eq!(w.app.scalar(&events(w.org.zhang_san)).await, 2, "accepted and replied");
    assert_eq!(w.app.scalar(&events(w.cosigners[0].0.member_id)).await, 1, "the co-signature invitation");
    assert_eq!(w.app.scalar(&events(w.cosigners[1].0.member_id)).await, 0, "no binding, no message");
    let sql = format!(
        "SELECT count(*) AS id FROM wechat_messages WHERE member_id = {} AND template_id = 'TPL-REPLIED' \
         AND page = 'pages/proposals/detail?id={id}'",
        w.org.zhang_san
    );
    assert_eq!(w.app.scalar(&sql).await, 2);
}

#[actix_web::test]
async fn api_clients_with_proposals_read_see_what_the_committee_sees() {
    let w = world().await;
    let id = w.under_review("对接系统可见").await;
    w.create("草稿").await;
    let client = w
        .app
        .scalar("INSERT INTO api_clients (client_id, name, secret_hash, scopes) VALUES ('ghc_proposals_reader', 'p', '\\x00', ARRAY['proposals:read']) RETURNING id")
        .await;
    let token =
        w.app.state.tokens.issue_client(client, "proposals:read", std::time::Duration::from_secs(600)).unwrap().0;
    let list = w.app.get("/proposals").token(&token).send().await.assert_ok(200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id);
    w.app
        .post(&format!("/proposals/{id}/accept"))
        .token(&token)
        .json(&json!({}))
        .send()
        .await
        .assert_problem(403, "forbidden");
}

/// Transitions whose body has only optional fields take no body, an empty body, `null` or
/// `{}` alike (the README's bodyless curl calls); a body that is there must be JSON.
#[actix_web::test]
async fn optional_body_transitions_need_no_body() {
    let w = world().await;
    let path = |id: i64, action: &str| format!("/proposals/{id}/{action}");
    let a = w.under_review("无请求体立案").await;
    let p = w.app.post(&path(a, "accept")).token(&w.committee.token).send().await.assert_ok(200);
    assert_eq!(p["status"], "accepted");
    let b = w.under_review("空请求体转建议").await;
    let p = w
        .app
        .post(&path(b, "convert-to-suggestion"))
        .token(&w.committee.token)
        .raw("application/json", "")
        .send()
        .await;
    assert_eq!(p.assert_ok(200)["status"], "converted");
    let c = w.under_review("null 请求体").await;
    let p = w.app.post(&path(c, "accept")).token(&w.committee.token).raw("application/json", "null").send().await;
    assert_eq!(p.assert_ok(200)["status"], "accepted");
    // A body that is present is still checked: its type, then its fields.
    let d = w.under_review("有请求体").await;
    w.app
        .post(&path(d, "accept"))
        .token(&w.committee.token)
        .raw("text/plain", "同意")
        .send()
        .await
        .assert_problem(415, "unsupported_media_type");
    w.act(d, "accept", &w.committee, json!({"comment": ""})).await.assert_problem(422, "validation_failed");
    // Without a token the answer is 401, never 415.
    w.app.post(&path(d, "accept")).raw("text/plain", "同意").send().await.assert_problem(401, "missing_token");
    // The state machine still decides: accepting twice is 409.
    w.app.post(&path(a, "accept")).token(&w.committee.token).send().await.assert_problem(409, "invalid_transition");
}

/// After submission the co-signer list only grows: leaving an invited co-signer out is 409
/// `proposal_locked`, never a silent 200.
#[actix_web::test]
async fn a_submitted_proposal_keeps_its_cosigners() {
    let w = world().await;
    let id = w.create("附议人不能被移除").await;
    w.act(id, "submit", &w.proposer.1, json!({})).await.assert_ok(200);
    let patch = |ids: Value| {
        w.app
            .patch(&format!("/proposals/{id}"))
            .token(&w.proposer.1.token)
            .json(&json!({ "cosigner_delegate_ids": ids }))
    };
    patch(json!([w.cosigners[0].0.id])).send().await.assert_problem(409, "proposal_locked");
    let invited =
        w.app.scalar(&format!("SELECT count(*) AS id FROM proposal_cosigners WHERE proposal_id = {id}")).await;
    assert_eq!(invited, 2, "nothing was removed");
    let all = json!([w.cosigners[0].0.id, w.cosigners[1].0.id, w.cosigners[2].0.id]);
    let p = patch(all).send().await.assert_ok(200);
    assert_eq!(p["cosigners"].as_array().map(Vec::len), Some(3), "adding one is allowed");
}

/// The category enum of the spec and the request types is the table of categories: the same
/// codes, in the same order (a new category is a migration and a variant).
#[actix_web::test]
async fn the_category_enum_is_the_table_of_categories() {
    let w = world().await;
    let listed = w.app.get("/suggestions/categories").token(&w.proposer.1.token).send().await.assert_ok(200);
    let items = listed.as_array().or_else(|| listed["items"].as_array()).unwrap().clone();
    let codes: Vec<&str> = items.iter().map(|c| c["code"].as_str().unwrap()).collect();
    let variants: Vec<&str> = gonghui::democracy::types::ProposalCategory::all().iter().map(|c| c.as_str()).collect();
    assert_eq!(codes, variants);
    for (item, variant) in items.iter().zip(gonghui::democracy::types::ProposalCategory::all()) {
        assert_eq!(item["name"], variant.label());
    }
}
