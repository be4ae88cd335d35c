//! Wire enums read from the database (issue 8 item 5): diesel decodes a `text` column straight
//! into the enum through `from_db`, so a value that is not a variant fails the query instead of
//! turning into a default.

use crate::common::TestApp;
use diesel::dsl::sql;
use diesel::sql_types::{Nullable, Text};
use diesel_async::RunQueryDsl;
use gonghui::auth::permissions::{ClientScope, Role};
use gonghui::democracy::types::ProposalStatus;
use gonghui::membership::types::MemberStatus;

#[actix_web::test]
async fn a_corrupt_enum_value_is_an_error_never_a_default() {
    let app = TestApp::spawn().await;
    let mut conn = app.conn().await;
    let ok: MemberStatus = diesel::select(sql::<Text>("'left'")).get_result(&mut conn).await.unwrap();
    assert_eq!(ok, MemberStatus::Left);
    let none: Option<ProposalStatus> =
        diesel::select(sql::<Nullable<Text>>("NULL")).get_result(&mut conn).await.unwrap();
    assert_eq!(none, None);
    let err = diesel::select(sql::<Text>("'retired-ish'")).get_result::<MemberStatus>(&mut conn).await.unwrap_err();
    assert!(
        format!("{err:?}").contains(r#"CorruptValue { type_name: "MemberStatus", value: "retired-ish" }"#),
        "{err:?}"
    );
    // The wire value only: labels and aliases are for human input, not for stored rows.
    assert!(diesel::select(sql::<Text>("'在会'")).get_result::<MemberStatus>(&mut conn).await.is_err());
}

#[actix_web::test]
async fn roles_and_client_scopes_follow_the_same_rule() {
    // Roles and scopes keep their own spelling (`reports:read`), but a stored value the code
    // does not know fails the query: a grant is never silently dropped from a principal.
    let app = TestApp::spawn().await;
    let mut conn = app.conn().await;
    let role: Role = diesel::select(sql::<Text>("'unit_admin'")).get_result(&mut conn).await.unwrap();
    assert_eq!(role, Role::UnitAdmin);
    let scope: ClientScope = diesel::select(sql::<Text>("'reports:read'")).get_result(&mut conn).await.unwrap();
    assert_eq!(scope, ClientScope::ReportsRead);
    let err = diesel::select(sql::<Text>("'king'")).get_result::<Role>(&mut conn).await.unwrap_err();
    assert!(format!("{err:?}").contains(r#"CorruptValue { type_name: "Role", value: "king" }"#), "{err:?}");
    let err = diesel::select(sql::<Text>("'reports:write'")).get_result::<ClientScope>(&mut conn).await.unwrap_err();
    assert!(format!("{err:?}").contains(r#"type_name: "ClientScope""#), "{err:?}");
}
