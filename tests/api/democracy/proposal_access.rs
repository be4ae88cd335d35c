//! The proposal visibility rule is stated once (`democracy::proposals::access::RULE`) and
//! evaluated two ways: in Rust for one proposal (`ProposalAccess::sees`, used by every
//! transition) and as the SQL `WHERE` of the lists (`ProposalAccess::predicate`). This test
//! builds proposals in every status with every kind of relation to a set of callers, and
//! checks that, for each caller, the two answers are the same for every proposal.

use crate::common;

use common::democracy;
use common::fixtures;
use common::{TestApp, TestUser};
use diesel::QueryDsl;
use diesel_async::RunQueryDsl;
use gonghui::auth::permissions::Role;
use gonghui::auth::principal::load_user;
use gonghui::democracy::ProposalAccess;
use gonghui::democracy::types::ProposalStatus;
use gonghui::schema::proposals;

#[actix_web::test]
async fn the_rust_rule_and_the_sql_predicate_agree_for_every_status_and_standing() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let congress = democracy::congress(&app, org.root, "school", "2023-TA").await;
    let proposer = democracy::make_delegate(&app, congress, org.zhang_san, "formal").await;
    let invited = democracy::make_delegate(&app, congress, org.li_si, "formal").await;
    let coproposer = democracy::make_delegate(&app, congress, org.wang_wu, "formal").await;
    let bystander = democracy::make_delegate(&app, congress, org.zhao_liu, "observer").await;
    let handler = app.with_role(Role::Handler).await;
    let department = democracy::department(&app, "后勤管理处", &[handler.id]).await;

    // Every status × {no relation, cosigner invited, co-proposer, department assigned}.
    let target = app
        .scalar(&format!(
            "INSERT INTO proposals (congress_id, proposer_delegate_id, title, category, cause, analysis, measures, \
             status) VALUES ({congress}, {}, 'merge target', 'logistics', 'a', 'b', 'c', 'accepted') RETURNING id",
            invited.id
        ))
        .await;
    let mut made = 1;
    for status in ProposalStatus::all() {
        let merged_into = if *status == ProposalStatus::Merged { target.to_string() } else { "NULL".into() };
        for variant in 0..4 {
            let id = app
                .scalar(&format!(
                    "INSERT INTO proposals (congress_id, proposer_delegate_id, title, category, cause, analysis, \
                     measures, status, merged_into_id) \
                     VALUES ({congress}, {}, 'p', 'logistics', 'a', 'b', 'c', '{}', {merged_into}) RETURNING id",
                    proposer.id,
                    status.as_str()
                ))
                .await;
            let extra = match variant {
                1 => format!("INSERT INTO proposal_cosigners (proposal_id, delegate_id) VALUES ({id}, {})", invited.id),
                2 => format!(
                    "INSERT INTO proposal_coproposers (proposal_id, delegate_id, from_proposal_id) VALUES ({id}, {}, {id})",
                    coproposer.id
                ),
                3 => format!(
                    "INSERT INTO proposal_departments (proposal_id, department_id, role) VALUES ({id}, {department}, 'lead')"
                ),
                _ => String::new(),
            };
            if !extra.is_empty() {
                app.sql(&extra).await;
            }
            made += 1;
        }
    }

    let callers: Vec<(&str, TestUser)> = vec![
        ("proposer", app.member_user(org.zhang_san).await),
        ("invited co-signer", app.member_user(org.li_si).await),
        ("co-proposer", app.member_user(org.wang_wu).await),
        ("observer", app.member_user(org.zhao_liu).await),
        ("committee", app.with_role(Role::ProposalCommittee).await),
        ("union admin", app.union_admin().await),
        ("handler", handler),
        ("unit admin", app.unit_admin(org.a).await),
    ];
    let _ = bystander;

    let mut conn = app.conn().await;
    let all: Vec<(i64, i64, String)> = proposals::table
        .select((proposals::id, proposals::proposer_delegate_id, proposals::status))
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(all.len(), made);
    let mut seen_by_someone = 0;
    for (who, user) in &callers {
        let principal = load_user(&mut conn, user.id).await.unwrap().unwrap();
        let access = ProposalAccess::of(&mut conn, &principal).await.unwrap();
        let mut by_sql: Vec<i64> =
            proposals::table.filter(access.predicate()).select(proposals::id).load(&mut conn).await.unwrap();
        by_sql.sort();
        let mut by_rust = Vec::new();
        for (id, proposer_delegate_id, status) in &all {
            let relation = access.relation(&mut conn, *id, *proposer_delegate_id).await.unwrap();
            if access.sees(relation, ProposalStatus::parse(status).unwrap()) {
                by_rust.push(*id);
            }
        }
        by_rust.sort();
        assert_eq!(by_sql, by_rust, "{who}: the SQL predicate and the Rust rule disagree");
        seen_by_someone += by_rust.len();
    }
    // The check is not vacuous: callers see some proposals and not others.
    assert!(seen_by_someone > 0 && seen_by_someone < made * callers.len());
}
