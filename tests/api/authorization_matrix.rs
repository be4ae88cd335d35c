//! Every operation of the OpenAPI document under `/api/v1`, tried without a token, with a
//! bad token, and by a user holding each single role, against an explicit table of the
//! permission each operation needs; plus the rule that out-of-scope objects are 404, not 403.

use crate::common;

use common::fixtures::{self, Org};
use common::{Res, TestApp, TestUser};
use gonghui::auth::permissions::{ClientScope, Permission, Role, role_permissions, scope_permissions};
use serde_json::{Value, json};

/// What an operation requires of its caller.
#[derive(Debug, Clone, Copy)]
enum Access {
    /// No token needed (login, token refresh, logout, the spec itself).
    Public,
    /// Any authenticated caller, whatever their roles.
    AnyUser,
    /// A role carrying this permission.
    Needs(Permission),
    /// Any authenticated caller gets past the role check; the object decides (a formal
    /// delegate of that congress, the proposer, an invited co-signer, a handler of the
    /// assigned department…). Refusals carry their own code (`not_a_delegate`, …), never
    /// the role refusal `forbidden`.
    Object,
}

use Access::{AnyUser, Needs, Object, Public};
use Permission as P;

/// operationId → what it needs. A new route must be added here, on purpose.
const EXPECTED: &[(&str, Access)] = &[
    // auth
    ("login", Public),
    ("refresh", Public),
    ("logout", Public),
    ("openapi_json", Public),
    ("me", AnyUser),
    ("cas_login", Public),
    ("wechat_login", Public),
    ("wechat_bind", Public),
    ("get_wechat_binding", Needs(P::WechatBindingsManage)),
    ("delete_wechat_binding", Needs(P::WechatBindingsManage)),
    ("list_users", Needs(P::UsersManage)),
    ("create_user", Needs(P::UsersManage)),
    ("get_user", Needs(P::UsersManage)),
    ("update_user", Needs(P::UsersManage)),
    ("delete_user", Needs(P::UsersManage)),
    ("add_grant", Needs(P::UsersManage)),
    ("remove_grant", Needs(P::UsersManage)),
    ("list_audit_log", Needs(P::AuditRead)),
    // units
    ("list_units", Needs(P::UnitsRead)),
    ("unit_tree", Needs(P::UnitsRead)),
    ("get_unit", Needs(P::UnitsRead)),
    ("create_unit", Needs(P::UnitsWrite)),
    ("update_unit", Needs(P::UnitsWrite)),
    // members
    ("list_unit_members", Needs(P::MembersRead)),
    ("list_members", Needs(P::MembersRead)),
    ("get_member", Needs(P::MembersRead)),
    ("member_history", Needs(P::MembersRead)),
    ("create_member", Needs(P::MembersWrite)),
    ("update_member", Needs(P::MembersWrite)),
    ("transfer_member", Needs(P::MembersWrite)),
    ("leave_member", Needs(P::MembersWrite)),
    ("rejoin_member", Needs(P::MembersWrite)),
    ("import_members", Needs(P::MembersImport)),
    // honors and dues
    ("list_honors", Needs(P::HonorsRead)),
    ("get_honor", Needs(P::HonorsRead)),
    ("create_honor", Needs(P::HonorsWrite)),
    ("delete_honor", Needs(P::HonorsWrite)),
    ("list_dues", Needs(P::DuesRead)),
    ("create_dues", Needs(P::DuesWrite)),
    // API clients
    ("client_token", Public),
    ("list_api_clients", Needs(P::ApiClientsManage)),
    ("create_api_client", Needs(P::ApiClientsManage)),
    ("get_api_client", Needs(P::ApiClientsManage)),
    ("rotate_api_client_secret", Needs(P::ApiClientsManage)),
    ("revoke_api_client", Needs(P::ApiClientsManage)),
    // webhooks
    ("list_webhooks", Needs(P::WebhooksManage)),
    ("create_webhook", Needs(P::WebhooksManage)),
    ("get_webhook", Needs(P::WebhooksManage)),
    ("update_webhook", Needs(P::WebhooksManage)),
    ("delete_webhook", Needs(P::WebhooksManage)),
    ("list_webhook_deliveries", Needs(P::WebhooksManage)),
    ("get_webhook_delivery", Needs(P::WebhooksManage)),
    ("redeliver_webhook_delivery", Needs(P::WebhooksManage)),
    ("ping_webhook", Needs(P::WebhooksManage)),
    ("rotate_webhook_secret", Needs(P::WebhooksManage)),
    // integration (API clients with scope roster:write; no user role)
    ("sync_roster", Needs(P::RosterWrite)),
    ("list_congresses", AnyUser),
    ("congress_stats", Needs(P::CongressesRead)),
    ("get_congress", AnyUser),
    ("create_congress", Needs(P::CongressesManage)),
    ("update_congress", Needs(P::CongressesManage)),
    ("open_congress", Needs(P::CongressesManage)),
    ("close_congress", Needs(P::CongressesManage)),
    ("congress_history", AnyUser),
    ("list_delegates", Needs(P::CongressesRead)),
    ("get_delegate", Needs(P::CongressesRead)),
    ("add_delegate", Needs(P::CongressesManage)),
    ("bulk_add_delegates", Needs(P::CongressesManage)),
    ("update_delegate", Needs(P::CongressesManage)),
    ("delete_delegate", Needs(P::CongressesManage)),
    ("record_check_ins", Needs(P::CongressesManage)),
    ("list_check_ins", Needs(P::CongressesRead)),
    ("congress_participation", Needs(P::CongressesRead)),
    // democracy: congresses and delegates (insert above this line)
    ("list_motions", AnyUser),
    ("create_motion", Needs(P::CongressesManage)),
    ("get_motion", AnyUser),
    ("update_motion", Needs(P::CongressesManage)),
    ("open_motion_voting", Needs(P::CongressesManage)),
    ("close_motion_voting", Needs(P::CongressesManage)),
    ("cast_ballot", Object),
    ("get_motion_result", AnyUser),
    ("motion_history", AnyUser),
    ("list_my_motions", AnyUser),
    // democracy: motions (insert above this line)
    ("list_departments", AnyUser),
    ("get_department", AnyUser),
    ("create_department", Needs(P::DepartmentsManage)),
    ("update_department", Needs(P::DepartmentsManage)),
    ("list_department_handlers", Needs(P::DepartmentsManage)),
    ("add_department_handler", Needs(P::DepartmentsManage)),
    ("remove_department_handler", Needs(P::DepartmentsManage)),
    ("list_suggestion_categories", AnyUser),
    ("suggestion_stats", Needs(P::SuggestionsManage)),
    ("list_suggestions", AnyUser),
    ("create_suggestion", Object),
    ("get_suggestion", Object),
    ("respond_suggestion", Needs(P::SuggestionsManage)),
    ("list_evaluations", AnyUser),
    ("create_evaluation", Needs(P::EvaluationsManage)),
    ("get_evaluation", AnyUser),
    ("update_evaluation", Needs(P::EvaluationsManage)),
    ("open_evaluation", Needs(P::EvaluationsManage)),
    ("close_evaluation", Needs(P::EvaluationsManage)),
    ("submit_evaluation_sheet", Object),
    // Published at the close: before it, 409 results_not_published for everyone (the object decides).
    ("evaluation_results", Object),
    ("my_evaluations", AnyUser),
    // democracy: departments, suggestions, evaluations (insert above this line)
    ("get_democracy_report", Needs(P::ReportsRead)),
    // reports (insert above this line)
    ("list_proposals", AnyUser),
    ("list_public_proposals", AnyUser),
    ("my_proposals", AnyUser),
    ("my_cosign_invitations", AnyUser),
    ("create_proposal", Object),
    ("get_proposal", Object),
    ("update_proposal", Object),
    ("proposal_history", Object),
    ("proposal_handling_report", Needs(P::ProposalsRead)),
    ("submit_proposal", Object),
    ("cosign_proposal", Object),
    ("withdraw_proposal", Object),
    ("give_proposal_feedback", Object),
    ("accept_proposal", Needs(P::ProposalsDecide)),
    ("decline_proposal", Needs(P::ProposalsDecide)),
    ("convert_proposal", Needs(P::ProposalsDecide)),
    ("merge_proposal", Needs(P::ProposalsDecide)),
    ("assign_proposal", Needs(P::ProposalsDecide)),
    ("approve_proposal_extension", Needs(P::ProposalsDecide)),
    ("reject_proposal_extension", Needs(P::ProposalsDecide)),
    ("reopen_proposal", Needs(P::ProposalsDecide)),
    ("close_proposal", Needs(P::ProposalsDecide)),
    ("request_proposal_extension", Needs(P::ProposalsReply)),
    ("reply_proposal", Needs(P::ProposalsReply)),
    // democracy: proposals (insert above this line)
];

fn expected(op: &str) -> Option<Access> {
    EXPECTED.iter().find(|(id, _)| *id == op).map(|(_, a)| *a)
}

/// One operation of the spec.
#[derive(Debug, Clone)]
struct Op {
    id: String,
    method: reqwest::Method,
    /// As in the spec, e.g. `/api/v1/members/{id}`.
    path: String,
}

impl Op {
    fn label(&self) -> String {
        format!("{} {} ({})", self.method, self.path, self.id)
    }
}

/// Every operation under `/api/v1` in the generated document.
fn operations() -> Vec<Op> {
    let spec = serde_json::to_value(gonghui::app::openapi()).unwrap();
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let method = match method.as_str() {
                "get" => reqwest::Method::GET,
                "post" => reqwest::Method::POST,
                "put" => reqwest::Method::PUT,
                "patch" => reqwest::Method::PATCH,
                "delete" => reqwest::Method::DELETE,
                _ => continue,
            };
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            ops.push(Op { id: id.to_owned(), method, path: path.clone() });
        }
    }
    ops
}

/// Objects the requests point at; all in unit A, so a unit admin of A may reach them.
struct Fixtures {
    org: Org,
    honor_to_read: i64,
    honor_to_delete: i64,
    user_to_read: i64,
    user_to_delete: i64,
    grant: i64,
    dem: common::democracy::DemocracyFixtures,
}

async fn fixtures(app: &TestApp) -> Fixtures {
    let org = fixtures::org(app).await;
    let admin = app.union_admin().await;
    let mut honors = Vec::new();
    for (member, title) in [(org.zhang_san, "湖北省先进工作者"), (org.li_si, "校优秀女职工")] {
        let body = json!({"member_id": member, "title": title, "category": "other", "level": "school", "year": 2023, "issuer": "校工会"});
        honors.push(
            app.post("/honors").token(&admin.token).json(&body).send().await.assert_ok(201)["id"].as_i64().unwrap(),
        );
    }
    let user_to_read = app.with_role(Role::Judge).await.id;
    let user_to_delete = app.with_role(Role::Handler).await.id;
    let grant = app.scalar(&format!("SELECT id FROM role_grants WHERE user_id = {user_to_read}")).await;
    let dem = common::democracy::matrix_fixtures(app, &org).await;
    Fixtures { org, honor_to_read: honors[0], honor_to_delete: honors[1], user_to_read, user_to_delete, grant, dem }
}

/// The concrete path, and whether every parameter named an existing object.
fn concrete_path(op: &Op, fx: &Fixtures) -> (String, bool) {
    let mut out = String::new();
    let mut known = true;
    let mut previous = "";
    for segment in op.path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            out.push_str(segment);
            previous = segment;
            continue;
        };
        let value = match (previous, name) {
            ("units", "id") => Some(fx.org.a),
            ("members", "id") => Some(fx.org.zhang_san),
            ("honors", "id") if op.method == reqwest::Method::DELETE => Some(fx.honor_to_delete),
            ("honors", "id") => Some(fx.honor_to_read),
            ("users", "id") if op.id == "delete_user" => Some(fx.user_to_delete),
            ("users", "id") => Some(fx.user_to_read),
            ("grants", "grant_id") => Some(fx.grant),
            ("congresses", "id") => Some(fx.dem.congress),
            ("delegates", "delegate_id") => Some(fx.dem.formal.id),
            ("motions", "id") => Some(fx.dem.motion),
            ("departments", "id") => Some(fx.dem.department),
            ("proposals", "id") => Some(fx.dem.proposal),
            ("suggestions", "id") => Some(fx.dem.suggestion),
            ("evaluations", "id") => Some(fx.dem.evaluation),
            ("handlers", "user_id") => Some(fx.user_to_delete),
            // democracy: more path parameters (insert above this line)
            _ => None,
        };
        known &= value.is_some();
        out.push_str(&value.unwrap_or(999_999).to_string());
        previous = segment;
    }
    (out, known)
}

/// A body that passes the operation's validation, so that authorization is what decides.
fn body(op: &Op, fx: &Fixtures, n: usize) -> Option<(&'static str, Vec<u8>)> {
    let org = &fx.org;
    let value = match op.id.as_str() {
        "login" => json!({"username": "nobody", "password": "wrong-password"}),
        "refresh" | "logout" => json!({"refresh_token": "not-a-refresh-token"}),
        "wechat_login" => json!({"code": "matrix-code"}),
        "wechat_bind" => json!({"binding_ticket": "not-a-ticket", "phone_code": "matrix"}),
        "cas_login" => json!({"ticket": "ST-1-matrix", "service": "https://union.example.edu.cn/"}),
        "create_user" => json!({"username": format!("matrix-{n}"), "display_name": "矩阵测试"}),
        "update_user" => json!({"display_name": "改名"}),
        "add_grant" => json!({"role": "aid_reviewer"}),
        "create_api_client" => json!({"name": format!("matrix-{n}"), "scopes": ["reports:read"]}),
        // A public address literal: no DNS needed, and nothing delivers in this test.
        "create_webhook" => {
            json!({"url": format!("https://93.184.215.14/hooks/{n}"), "event_types": ["member.created"]})
        }
        "update_webhook" => json!({"description": "矩阵"}),
        "sync_roster" => json!([{
            "staff_no": format!("RS{n}"), "name": "名册", "gender": "male", "birth_date": "1980-01-01",
            "unit": "A", "employment_type": "established", "joined_on": "2005-01-01",
        }]),
        "create_unit" => json!({"name": format!("矩阵小组{n}"), "kind": "group", "parent_id": org.a}),
        "update_unit" => json!({"sort_order": 3}),
        "create_member" => json!({
            "staff_no": format!("MX{n}"), "name": "矩阵", "gender": "male", "birth_date": "1990-01-01",
            "unit_id": org.a, "employment_type": "contract", "joined_on": "2015-01-01",
        }),
        "update_member" => json!({"name": "张三丰"}),
        "transfer_member" => json!({"to_unit_id": org.a_group, "reason": "矩阵测试"}),
        "leave_member" => json!({"reason": "调离学校"}),
        "rejoin_member" => json!({}),
        "create_honor" => json!({
            "member_id": org.li_si, "title": format!("荣誉{n}"), "category": "other", "level": "school",
            "year": 2023, "issuer": "校工会",
        }),
        "create_dues" => {
            json!({"member_id": org.li_si, "period": format!("20{:02}-01", n % 100), "amount_fen": 100, "paid_on": "2023-01-05"})
        }
        "import_members" => {
            let csv = format!(
                "工号,姓名,性别,出生日期,所属工会,用工类型,入会日期\nIM{n},导入,男,1980-01-01,A,在编,2005-01-01\n"
            );
            return Some(("text/csv", csv.into_bytes()));
        }
        "create_congress" => json!({
            "unit_id": org.a, "level": "unit", "name": format!("矩阵教代会{n}"), "term": n % 99 + 1,
            "session": n / 99 % 99 + 1, "year": 2023, "starts_on": "2023-04-10", "ends_on": "2023-04-11",
            "proposal_prefix": format!("MX{n}"),
        }),
        "update_congress" => json!({"name": "第四届教职工代表大会第三次会议（矩阵）"}),
        "add_delegate" => json!({"member_id": org.wang_wu, "kind": "observer"}),
        "bulk_add_delegates" => json!({"staff_nos": ["A101", "B001"], "kind": "observer"}),
        "update_delegate" => json!({"category": "leader"}),
        "record_check_ins" => json!({"sitting": 1, "delegate_ids": [fx.dem.formal.id, fx.dem.observer.id]}),
        // democracy: congresses and delegates (insert above this line)
        "create_motion" => json!({"kind": "report", "title": format!("矩阵议题{n}"), "sitting": 1}),
        "update_motion" => json!({"title": "学校工作报告（修订）"}),
        "cast_ballot" => json!({"choice": "for"}),
        // democracy: motions (insert above this line)
        "create_department" => json!({"name": format!("矩阵部门{n}")}),
        "update_department" => json!({"active": true}),
        "add_department_handler" => json!({"user_id": fx.user_to_delete}),
        "create_suggestion" => json!({"category": "logistics", "title": "矩阵建议", "content": "建议内容"}),
        "respond_suggestion" => json!({"response": "已协调解决"}),
        "create_evaluation" => json!({
            "congress_id": fx.dem.congress, "title": format!("矩阵测评{n}"),
            "targets": [{"kind": "department", "name": "教务处"}], "criteria": [{"name": "服务态度", "max_score": 10}],
        }),
        "update_evaluation" => json!({"title": "矩阵测评"}),
        "submit_evaluation_sheet" => json!({"scores": [{"target_id": 1, "criterion_id": 1, "score": 5}]}),
        // democracy: departments, suggestions, evaluations (insert above this line)
        "create_proposal" => json!({
            "congress_id": fx.dem.congress, "title": format!("矩阵提案{n}"), "category": "logistics",
            "cause": "案由", "analysis": "理由", "measures": "建议",
        }),
        "update_proposal" => json!({"title": "改过的标题"}),
        "cosign_proposal" => json!({"decision": "agree"}),
        "decline_proposal" => json!({"reason": "不属于学校职权范围"}),
        "merge_proposal" => json!({"into_proposal_id": fx.dem.accepted_proposal}),
        "assign_proposal" => json!({"lead_department_id": fx.dem.department}),
        "request_proposal_extension" => json!({"days": 10, "reason": "需要预算"}),
        "reply_proposal" => json!({"result_code": "A", "content": "已解决"}),
        "give_proposal_feedback" => json!({"verdict": "satisfied"}),
        // democracy: proposals (insert above this line)
        _ if matches!(op.method, reqwest::Method::POST | reqwest::Method::PATCH | reqwest::Method::PUT) => json!({}),
        _ => return None,
    };
    Some(("application/json", value.to_string().into_bytes()))
}

async fn send(app: &TestApp, op: &Op, fx: &Fixtures, token: Option<&str>, n: usize) -> Res {
    let (path, _) = concrete_path(op, fx);
    let mut req = app.request(op.method.clone(), &path);
    if let Some(token) = token {
        req = req.token(token);
    }
    if let Some((content_type, bytes)) = body(op, fx, n) {
        req = req.raw(content_type, bytes);
    }
    req.send().await
}

/// An integration this test app has no configuration for (WeChat, CAS) answers 503
/// `*_not_configured` whoever calls: not a failure of authorization.
fn not_configured(res: &Res) -> bool {
    res.status == 404 && problem_code(res).ends_with("_not_configured")
}

fn problem_code(res: &Res) -> String {
    serde_json::from_slice::<Value>(&res.body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[test]
fn every_operation_has_an_expected_access_and_no_entry_is_stale() {
    let ops = operations();
    let missing: Vec<String> = ops.iter().filter(|op| expected(&op.id).is_none()).map(Op::label).collect();
    assert!(
        missing.is_empty(),
        "operations without an entry in EXPECTED (tests/authorization_matrix.rs): {missing:#?}\n\
         add each with the permission its handler authorizes (or Public / AnyUser)"
    );
    let stale: Vec<&str> = EXPECTED.iter().map(|(id, _)| *id).filter(|id| !ops.iter().any(|op| op.id == *id)).collect();
    assert!(stale.is_empty(), "entries in EXPECTED for operations that no longer exist: {stale:?}");
    let mut seen = std::collections::HashSet::new();
    for op in &ops {
        assert!(seen.insert(op.id.clone()), "operationId {} is used twice", op.id);
    }
}

#[actix_web::test]
async fn every_protected_operation_needs_a_valid_token() {
    let app = TestApp::spawn().await;
    let fx = fixtures(&app).await;
    let mut failures = Vec::new();
    for (n, op) in operations().iter().enumerate() {
        let Some(access) = expected(&op.id) else { continue };
        let anonymous = send(&app, op, &fx, None, n).await;
        let bad_token = send(&app, op, &fx, Some("eyJhbGciOiJFZERTQSJ9.e30.c2ln"), n).await;
        match access {
            Public => {
                if anonymous.status == 401 && problem_code(&anonymous) == "missing_token"
                    || (anonymous.status >= 500 && !not_configured(&anonymous))
                {
                    failures.push(format!(
                        "{}: public, but answered {} {}",
                        op.label(),
                        anonymous.status,
                        anonymous.text()
                    ));
                }
            }
            AnyUser | Object | Needs(_) => {
                if anonymous.status != 401 || problem_code(&anonymous) != "missing_token" {
                    failures.push(format!("{} without a token: {} {}", op.label(), anonymous.status, anonymous.text()));
                } else {
                    anonymous.assert_problem(401, "missing_token");
                    assert_eq!(anonymous.header("www-authenticate").as_deref(), Some("Bearer"), "{}", op.label());
                }
                if bad_token.status != 401 || problem_code(&bad_token) != "invalid_token" {
                    failures.push(format!(
                        "{} with a bad token: {} {}",
                        op.label(),
                        bad_token.status,
                        bad_token.text()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Nothing was written by anonymous callers.
    assert_eq!(app.scalar("SELECT count(*) AS id FROM members").await, 5);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM units").await, 4);
}

#[actix_web::test]
async fn every_role_gets_exactly_what_the_permission_table_grants() {
    let app = TestApp::spawn().await;
    let fx = fixtures(&app).await;
    let ops = operations();
    let mut failures = Vec::new();
    let mut checked = 0;
    for role in Role::ALL {
        let unit = role.is_unit_scoped().then_some(fx.org.a);
        let user: TestUser = app.user(&[(role, unit)]).await;
        for (n, op) in ops.iter().enumerate() {
            let Some(access) = expected(&op.id) else { continue };
            let res = send(&app, op, &fx, Some(&user.token), checked * 100 + n).await;
            checked += 1;
            let allowed = match access {
                Public | AnyUser | Object => true,
                Needs(p) => role_permissions(role).contains(&p),
            };
            let what = format!("{:?} {} → {} {}", role, op.label(), res.status, res.text());
            let code = problem_code(&res);
            if (res.status >= 500 && !not_configured(&res))
                || (res.status == 401 && matches!(code.as_str(), "missing_token" | "invalid_token"))
            {
                failures.push(format!("{what}: a valid token is accepted, and nothing is 5xx"));
            } else if res.status == 401 && !matches!(access, Public) {
                failures.push(format!("{what}: 401 with a valid token"));
            } else if !allowed && (res.status != 403 || code != "forbidden") {
                failures.push(format!("{what}: expected 403 forbidden (needs {access:?})"));
            } else if allowed && res.status == 403 && (!matches!(access, Object) || code == "forbidden") {
                failures.push(format!("{what}: the role has {access:?}"));
            } else if allowed && code == "validation_failed" {
                // The bodies are valid, so a 403 above was decided by authorization alone.
                failures.push(format!("{what}: the test's body for this operation should pass validation"));
            } else if allowed
                && !matches!(access, Object)
                && op.method == reqwest::Method::GET
                && concrete_path(op, &fx).1
            {
                // Reads of existing, in-scope objects succeed outright.
                if res.status != 200 {
                    failures.push(format!("{what}: a permitted read of an existing object"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(checked, Role::ALL.len() * EXPECTED.len());
}

/// An API client's token carrying exactly `scope`, for a client that holds it.
async fn client_token(app: &TestApp, scope: ClientScope) -> String {
    let id = app
        .scalar(&format!(
            "INSERT INTO api_clients (client_id, name, secret_hash, scopes) \
             VALUES ('ghc_matrix_{}', 'matrix', '\\x00', ARRAY['{}']) RETURNING id",
            scope.as_str().replace(':', "_"),
            scope.as_str()
        ))
        .await;
    app.state.tokens.issue_client(id, scope.as_str(), std::time::Duration::from_secs(600)).unwrap().0
}

/// A client holding one scope (a dashboard with reports:read, the integrated system with
/// roster:write, …) is refused with 403 on every operation that needs a permission its scope
/// does not grant, and is let through where it does.
#[actix_web::test]
async fn every_client_scope_gets_exactly_its_permissions_and_403_everywhere_else() {
    let app = TestApp::spawn().await;
    let fx = fixtures(&app).await;
    let ops = operations();
    let mut failures = Vec::new();
    let mut refused = 0;
    for (s, scope) in ClientScope::ALL.into_iter().enumerate() {
        let token = client_token(&app, scope).await;
        for (n, op) in ops.iter().enumerate() {
            let Some(access) = expected(&op.id) else { continue };
            let res = send(&app, op, &fx, Some(&token), 50_000 + s * 1000 + n).await;
            let what = format!("client {} {} → {} {}", scope.as_str(), op.label(), res.status, res.text());
            let code = problem_code(&res);
            if (res.status >= 500 && !not_configured(&res)) || (res.status == 401 && !matches!(access, Public)) {
                failures.push(format!("{what}: a valid client token is accepted, and nothing is 5xx"));
                continue;
            }
            match access {
                Public | AnyUser => {}
                Object => {
                    if code == "forbidden" {
                        failures.push(format!("{what}: object-level operations never refuse by role"));
                    }
                }
                Needs(p) if scope_permissions(scope).contains(&p) => {
                    if res.status == 403 {
                        failures.push(format!("{what}: the scope grants {p:?}"));
                    }
                }
                Needs(p) => {
                    if res.status != 403 || code != "forbidden" {
                        failures.push(format!("{what}: expected 403 forbidden (needs {p:?})"));
                    }
                    refused += 1;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(refused > 4 * 30, "only {refused} refusals checked");
}

#[actix_web::test]
async fn a_unit_admin_meets_404_outside_its_subtree_never_403() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let honor = json!({"member_id": org.zhao_liu, "title": "湖北省五一劳动奖章", "category": "may_day_medal", "level": "provincial", "year": 2023, "issuer": "湖北省总工会"});
    let b_honor =
        app.post("/honors").token(&admin.token).json(&honor).send().await.assert_ok(201)["id"].as_i64().unwrap();
    let dues = json!({"member_id": org.zhao_liu, "period": "2023-03", "amount_fen": 3000, "paid_on": "2023-03-10"});
    app.post("/dues").token(&admin.token).json(&dues).send().await.assert_ok(201);
    let unit_admin = app.unit_admin(org.a).await;
    let t = unit_admin.token.as_str();

    for path in [
        format!("/members/{}", org.zhao_liu),
        format!("/members/{}/history", org.qian_qi),
        format!("/units/{}", org.b),
        format!("/units/{}", org.root),
        format!("/units/{}/members", org.b),
        format!("/honors/{b_honor}"),
        format!("/members?unit_id={}", org.b),
        format!("/honors?unit_id={}", org.b),
        format!("/dues?unit_id={}", org.b),
    ] {
        app.get(&path).token(t).send().await.assert_problem(404, "not_found");
    }
    let writes = [
        app.patch(&format!("/members/{}", org.zhao_liu)).token(t).json(&json!({"name": "赵六六"})).send().await,
        app.post(&format!("/members/{}/leave", org.zhao_liu)).token(t).json(&json!({"reason": "调离"})).send().await,
        app.post(&format!("/members/{}/transfer", org.zhao_liu))
            .token(t)
            .json(&json!({"to_unit_id": org.a}))
            .send()
            .await,
        app.delete(&format!("/honors/{b_honor}")).token(t).send().await,
    ];
    for res in writes {
        res.assert_problem(404, "not_found");
    }
    assert_eq!(app.scalar(&format!("SELECT count(*) AS id FROM honors WHERE id = {b_honor}")).await, 1);
    let name = app.get(&format!("/members/{}", org.zhao_liu)).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(
        (name["name"].as_str(), name["status"].as_str(), name["unit_id"].as_i64()),
        (Some("赵六"), Some("active"), Some(org.b))
    );

    // Lists hold nothing of B.
    let members = app.get("/members?per_page=100").token(t).send().await.assert_ok(200);
    let member_units: Vec<i64> =
        members["items"].as_array().unwrap().iter().map(|m| m["unit_id"].as_i64().unwrap()).collect();
    assert_eq!(members["total"], 3);
    assert!(member_units.iter().all(|u| *u == org.a || *u == org.a_group), "{member_units:?}");
    let units = app.get("/units?per_page=100").token(t).send().await.assert_ok(200);
    let unit_ids: Vec<i64> = units["items"].as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()).collect();
    assert_eq!(unit_ids.len(), 2);
    assert!(unit_ids.contains(&org.a) && unit_ids.contains(&org.a_group), "{unit_ids:?}");
    let tree = app.get("/units/tree").token(t).send().await.assert_ok(200).to_string();
    assert!(!tree.contains("外国语学院") && tree.contains("机电工程学院工会"), "{tree}");
    // A plain parent filter: children of an unseen unit are simply none.
    let children = app.get(&format!("/units?parent_id={}", org.b)).token(t).send().await.assert_ok(200);
    assert_eq!(children["total"], 0);
    for path in ["/honors", "/dues"] {
        let page = app.get(path).token(t).send().await.assert_ok(200);
        assert_eq!(page["total"], 0, "{path}: {page}");
    }
    let found = app.get("/members?q=赵").token(t).send().await.assert_ok(200);
    assert_eq!(found["total"], 0);
    let found = app.get("/members?q=B00").token(t).send().await.assert_ok(200);
    assert_eq!(found["total"], 0);
}

/// Operations whose request body is JSON (the body extractors defer their 415).
fn json_body_operations() -> Vec<Op> {
    let spec = serde_json::to_value(gonghui::app::openapi()).unwrap();
    operations()
        .into_iter()
        .filter(|op| {
            let method = op.method.as_str().to_ascii_lowercase();
            spec["paths"][&op.path][&method]["requestBody"]["content"].get("application/json").is_some()
        })
        .collect()
}

/// 415 never answers before 401, 403 or 404: a `text/plain` body sent to every operation
/// that reads JSON is 401 without a token, 403 for a role without the permission, 404 at a
/// missing object for a caller holding every role, and only then 415, naming the media type
/// expected.
#[actix_web::test]
async fn a_body_of_the_wrong_type_is_refused_after_authentication_authorization_and_lookup() {
    let app = TestApp::spawn().await;
    let fx = fixtures(&app).await;
    let every_role: Vec<(Role, Option<i64>)> =
        Role::ALL.iter().map(|r| (*r, r.is_unit_scoped().then_some(fx.org.root))).collect();
    let all = app.user(&every_role).await;
    let mut users = std::collections::HashMap::new();
    for role in Role::ALL {
        let unit = role.is_unit_scoped().then_some(fx.org.a);
        users.insert(format!("{role:?}"), app.user(&[(role, unit)]).await);
    }
    let ops = json_body_operations();
    assert!(ops.len() > 40, "only {} operations read JSON", ops.len());
    let mut failures = Vec::new();
    let mut checked = [0; 4];
    for op in &ops {
        let Some(access) = expected(&op.id) else { continue };
        let plain = |path: &str, token: Option<&str>| {
            let mut req = app.request(op.method.clone(), path).raw("text/plain", "不是 JSON");
            if let Some(t) = token {
                req = req.token(t);
            }
            req.send()
        };
        let (path, known) = concrete_path(op, &fx);
        if !matches!(access, Public) {
            let res = plain(&path, None).await;
            checked[0] += 1;
            if res.status != 401 {
                failures.push(format!("{} without a token: {} {}", op.label(), res.status, res.text()));
            }
        }
        if let Needs(p) = access
            && let Some(role) = Role::ALL.iter().find(|r| !role_permissions(**r).contains(&p))
        {
            let res = plain(&path, Some(&users[&format!("{role:?}")].token)).await;
            checked[1] += 1;
            if res.status != 403 || problem_code(&res) != "forbidden" {
                failures.push(format!("{} as {role:?}: {} {}", op.label(), res.status, res.text()));
            }
        }
        if op.path.contains('{') {
            let missing: String =
                op.path.split('/').map(|s| if s.starts_with('{') { "999999" } else { s }).collect::<Vec<_>>().join("/");
            let res = plain(&missing, Some(&all.token)).await;
            checked[2] += 1;
            if res.status != 404 {
                failures.push(format!("{} at a missing object: {} {}", op.label(), res.status, res.text()));
            }
        }
        // (Routes no user role may call, such as the roster sync for API clients, stop at 403.)
        let some_role_may = match access {
            Needs(p) => Role::ALL.iter().any(|r| role_permissions(*r).contains(&p)),
            _ => true,
        };
        if known && some_role_may && !matches!(access, Public) {
            let res = plain(&path, Some(&all.token)).await;
            checked[3] += 1;
            let problem: Value = serde_json::from_slice(&res.body).unwrap_or_default();
            if res.status != 415 || problem["expected"] != "application/json" {
                failures.push(format!("{} at an existing object: {} {}", op.label(), res.status, res.text()));
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(checked.iter().all(|n| *n > 10), "checked {checked:?}");
}
