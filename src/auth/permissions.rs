//! Roles → permissions, in one table, checked by one function.
//!
//! `authorize` answers 403 when no role of the principal carries the permission, and
//! otherwise returns an [`Authorized`] proof carrying the unit scope every query must
//! filter by. Objects outside that scope are answered 404 by the stores, so nothing leaks.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::principal::Principal;
use crate::error::ApiError;
use crate::kernel::ids::{MemberId, UserId};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A union member using the mini-program: sees their own record.
    Member,
    /// Administers one secondary union (and the units below it).
    UnitAdmin,
    /// The school union's staff: everything in membership and the union's business.
    UnionAdmin,
    FinanceOfficer,
    /// 经审委: read-only finance and the audit log.
    Auditor,
    ProposalCommittee,
    Handler,
    Judge,
    AidReviewer,
    /// Accounts, API clients, integrations; not the union's business data.
    SystemAdmin,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Member,
        Role::UnitAdmin,
        Role::UnionAdmin,
        Role::FinanceOfficer,
        Role::Auditor,
        Role::ProposalCommittee,
        Role::Handler,
        Role::Judge,
        Role::AidReviewer,
        Role::SystemAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::UnitAdmin => "unit_admin",
            Role::UnionAdmin => "union_admin",
            Role::FinanceOfficer => "finance_officer",
            Role::Auditor => "auditor",
            Role::ProposalCommittee => "proposal_committee",
            Role::Handler => "handler",
            Role::Judge => "judge",
            Role::AidReviewer => "aid_reviewer",
            Role::SystemAdmin => "system_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Roles whose grant is scoped to a unit subtree.
    pub fn is_unit_scoped(self) -> bool {
        matches!(self, Role::UnitAdmin)
    }
}

crate::kernel::wire::text_column!(Role);
crate::kernel::wire::text_column!(ClientScope);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    UnitsRead,
    UnitsWrite,
    MembersRead,
    MembersWrite,
    MembersImport,
    /// See full phone numbers (lists still mask).
    MemberPhoneRead,
    /// See full ID-card numbers on a single member.
    MemberIdCardRead,
    HonorsRead,
    HonorsWrite,
    DuesRead,
    DuesWrite,
    UsersManage,
    AuditRead,
    /// Create, rotate and revoke API clients.
    ApiClientsManage,
    /// Manage webhook subscriptions and see their deliveries.
    WebhooksManage,
    /// Bulk upsert of the HR roster (`PUT /integration/roster`).
    RosterWrite,
    /// Aggregated reports for dashboards.
    ReportsRead,
    /// Read proposals (the integrated system's proposal view).
    ProposalsRead,
    /// Unbind a member's WeChat account.
    WechatBindingsManage,
    /// Delegates, check-ins and participation of congresses (unit admins: their unit's
    /// congresses and their delegations).
    CongressesRead,
    /// Create and run congresses: delegates, check-ins, motions, voting windows.
    CongressesManage,
    /// The proposal committee's decisions: accept, decline, convert, merge, assign,
    /// extensions, reopen, close.
    ProposalsDecide,
    /// Reply to proposals assigned to a department the user handles for.
    ProposalsReply,
    /// Handling departments and their handler accounts.
    DepartmentsManage,
    /// See every suggestion and respond to them.
    SuggestionsManage,
    /// Democratic evaluation campaigns: targets, sheets, opening and closing.
    EvaluationsManage,
}

/// Scopes an API client may hold (OAuth2 client credentials).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum ClientScope {
    #[serde(rename = "roster:write")]
    RosterWrite,
    #[serde(rename = "reports:read")]
    ReportsRead,
    #[serde(rename = "proposals:read")]
    ProposalsRead,
    #[serde(rename = "webhooks:manage")]
    WebhooksManage,
}

impl ClientScope {
    pub const ALL: [ClientScope; 4] =
        [ClientScope::RosterWrite, ClientScope::ReportsRead, ClientScope::ProposalsRead, ClientScope::WebhooksManage];

    pub fn as_str(self) -> &'static str {
        match self {
            ClientScope::RosterWrite => "roster:write",
            ClientScope::ReportsRead => "reports:read",
            ClientScope::ProposalsRead => "proposals:read",
            ClientScope::WebhooksManage => "webhooks:manage",
        }
    }

    pub fn parse(s: &str) -> Option<ClientScope> {
        ClientScope::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What each client scope allows. Clients act on every unit (the integrated system is the
/// university's own); a scope grants nothing beyond its line here.
pub fn scope_permissions(scope: ClientScope) -> &'static [Permission] {
    match scope {
        ClientScope::RosterWrite => &[Permission::RosterWrite],
        ClientScope::ReportsRead => &[Permission::ReportsRead],
        ClientScope::ProposalsRead => &[Permission::ProposalsRead],
        ClientScope::WebhooksManage => &[Permission::WebhooksManage],
    }
}

use Permission as P;

/// The permission table. A permission a role has here is global for global roles and
/// limited to the granted unit subtree for unit-scoped roles.
pub fn role_permissions(role: Role) -> &'static [Permission] {
    match role {
        Role::Member => &[],
        Role::UnitAdmin => &[
            P::UnitsRead,
            P::MembersRead,
            P::MembersWrite,
            P::MembersImport,
            P::MemberPhoneRead,
            P::HonorsRead,
            P::HonorsWrite,
            P::DuesRead,
            P::DuesWrite,
            P::CongressesRead,
            P::CongressesManage,
        ],
        Role::UnionAdmin => &[
            P::UnitsRead,
            P::UnitsWrite,
            P::MembersRead,
            P::MembersWrite,
            P::MembersImport,
            P::MemberPhoneRead,
            P::MemberIdCardRead,
            P::HonorsRead,
            P::HonorsWrite,
            P::DuesRead,
            P::DuesWrite,
            P::ReportsRead,
            P::WechatBindingsManage,
            P::CongressesRead,
            P::CongressesManage,
            P::ProposalsRead,
            P::ProposalsDecide,
            P::DepartmentsManage,
            P::SuggestionsManage,
            P::EvaluationsManage,
        ],
        Role::FinanceOfficer => &[P::UnitsRead, P::DuesRead, P::DuesWrite],
        Role::Auditor => &[P::UnitsRead, P::DuesRead, P::AuditRead],
        Role::ProposalCommittee => &[
            P::UnitsRead,
            P::CongressesRead,
            P::ProposalsRead,
            P::ProposalsDecide,
            P::DepartmentsManage,
            P::SuggestionsManage,
        ],
        Role::Handler => &[P::UnitsRead, P::ProposalsReply],
        Role::Judge | Role::AidReviewer => &[P::UnitsRead],
        Role::SystemAdmin => &[
            P::UnitsRead,
            P::UsersManage,
            P::AuditRead,
            P::ApiClientsManage,
            P::WebhooksManage,
            P::WechatBindingsManage,
        ],
    }
}

/// Where an authorized action may reach. Only `auth` can make one (through [`authorize`] or
/// [`Authorized::system`]): nothing else in the crate can claim "every unit".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitScope(Reach);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    /// Every unit.
    All,
    /// The subtrees under these materialised paths (`/1/5/`).
    Subtrees(Vec<String>),
}

impl UnitScope {
    /// Whether a unit with this materialised path is inside the scope.
    pub fn contains_path(&self, path: &str) -> bool {
        match &self.0 {
            Reach::All => true,
            Reach::Subtrees(roots) => roots.iter().any(|r| path.starts_with(r.as_str())),
        }
    }

    /// LIKE patterns for SQL (`/1/5/%`), or `None` for all units.
    pub fn like_patterns(&self) -> Option<Vec<String>> {
        match &self.0 {
            Reach::All => None,
            Reach::Subtrees(roots) => Some(roots.iter().map(|r| format!("{r}%")).collect()),
        }
    }

    /// Whether the scope reaches every unit (e.g. the school congress needs it).
    pub fn is_all(&self) -> bool {
        matches!(self.0, Reach::All)
    }

    /// A subtree scope for unit tests of rules that take a scope.
    #[cfg(test)]
    pub(crate) fn subtrees_for_test(paths: &[&str]) -> UnitScope {
        UnitScope(Reach::Subtrees(paths.iter().map(|p| (*p).to_owned()).collect()))
    }

    /// The global scope for unit tests of rules that take a scope.
    #[cfg(test)]
    pub(crate) fn all_for_test() -> UnitScope {
        UnitScope(Reach::All)
    }
}

/// Proof that the principal may exercise `permission`, and where. Its fields are private and
/// only [`authorize`] (for a caller) or [`Authorized::system`] (for the service itself) make
/// one, so a store function that takes `&Authorized` cannot be reached without the check.
#[derive(Debug, Clone)]
pub struct Authorized {
    permission: Permission,
    scope: UnitScope,
}

impl Authorized {
    /// The permission this proof was issued for.
    pub fn permission(&self) -> Permission {
        self.permission
    }

    /// The units the action may reach; stores filter every query by it.
    pub fn scope(&self) -> &UnitScope {
        &self.scope
    }

    /// The service acting on its own behalf over every unit: demo data, the command line, jobs
    /// and test fixtures. `tests/api/architecture.rs` lists the files allowed to call it, so a
    /// request handler cannot.
    pub fn system(permission: Permission) -> Authorized {
        Authorized { permission, scope: UnitScope(Reach::All) }
    }
}

/// Marks a type as an authorization proof: a value with private fields that only its own
/// rule function can make (`authorize`, `ProposalAccess::of`, …). Store functions take one;
/// `tests/api/architecture.rs` checks that every public store function does, and that no
/// proof type has a public field.
pub trait Proof {}

impl Proof for Authorized {}

/// Proof of who the caller is, for the routes where a member acts on their own records (the
/// `/me` views, their ballots, sheets and suggestions): made only from an authenticated
/// [`Principal`], so a store function taking `&Caller` serves the caller and nobody else.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    user_id: Option<UserId>,
    member_id: Option<MemberId>,
}

impl Proof for Caller {}

impl Caller {
    pub fn of(principal: &Principal) -> Caller {
        Caller { user_id: principal.user_id, member_id: principal.member_id }
    }

    /// The caller's account (`None` for API clients).
    pub fn user_id(&self) -> Option<UserId> {
        self.user_id
    }

    /// The member the caller's account is bound to, if any.
    pub fn member_id(&self) -> Option<MemberId> {
        self.member_id
    }
}

/// The one authorization check: 403 when no role (or client scope) of the principal carries
/// `permission`, otherwise the proof with the union of the scopes that do.
pub fn authorize(principal: &Principal, permission: Permission) -> Result<Authorized, ApiError> {
    let mut subtrees = Vec::new();
    let mut global = principal.scopes.iter().any(|s| scope_permissions(*s).contains(&permission));
    for grant in &principal.grants {
        if !role_permissions(grant.role).contains(&permission) {
            continue;
        }
        match &grant.unit_path {
            Some(path) if grant.role.is_unit_scoped() => subtrees.push(path.clone()),
            _ => global = true,
        }
    }
    let scope = if global {
        UnitScope(Reach::All)
    } else if subtrees.is_empty() {
        return Err(ApiError::Forbidden);
    } else {
        UnitScope(Reach::Subtrees(subtrees))
    };
    Ok(Authorized { permission, scope })
}

/// Whether the principal holds the permission anywhere (no error), e.g. to decide masking.
pub fn has_permission(principal: &Principal, permission: Permission) -> bool {
    authorize(principal, permission).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::principal::Grant;

    fn principal(grants: Vec<Grant>) -> Principal {
        Principal {
            user_id: Some(UserId(1)),
            client: None,
            username: "u".into(),
            display_name: "U".into(),
            member_id: None,
            grants,
            scopes: Vec::new(),
        }
    }

    fn grant(role: Role, unit_path: Option<&str>) -> Grant {
        Grant {
            role,
            unit_id: unit_path.map(|_| crate::kernel::ids::UnitId(5)),
            unit_path: unit_path.map(str::to_owned),
        }
    }

    #[test]
    fn no_role_is_forbidden() {
        let p = principal(vec![grant(Role::Member, None)]);
        assert!(matches!(authorize(&p, P::MembersRead), Err(ApiError::Forbidden)));
    }

    #[test]
    fn unit_admin_is_scoped_to_subtrees() {
        let p = principal(vec![grant(Role::UnitAdmin, Some("/1/5/")), grant(Role::UnitAdmin, Some("/1/9/"))]);
        let a = authorize(&p, P::MembersRead).unwrap();
        assert!(a.scope().contains_path("/1/5/"));
        assert!(a.scope().contains_path("/1/5/77/"));
        assert!(!a.scope().contains_path("/1/6/"));
        assert!(!a.scope().contains_path("/1/"));
        assert!(!a.scope().contains_path("/1/55/"), "prefix match is by whole segment");
        assert_eq!(a.scope().like_patterns().unwrap(), vec!["/1/5/%", "/1/9/%"]);
        assert!(matches!(authorize(&p, P::UnitsWrite), Err(ApiError::Forbidden)));
    }

    #[test]
    fn a_global_grant_wins_over_a_scoped_one() {
        let p = principal(vec![grant(Role::UnitAdmin, Some("/1/5/")), grant(Role::UnionAdmin, None)]);
        assert_eq!(authorize(&p, P::MembersRead).unwrap().scope(), &UnitScope::all_for_test());
    }

    #[test]
    fn client_scopes_grant_exactly_their_permissions() {
        let mut p = principal(vec![]);
        p.scopes = vec![ClientScope::ReportsRead];
        assert_eq!(authorize(&p, P::ReportsRead).unwrap().scope(), &UnitScope::all_for_test());
        assert!(matches!(authorize(&p, P::MembersRead), Err(ApiError::Forbidden)));
        assert!(matches!(authorize(&p, P::RosterWrite), Err(ApiError::Forbidden)));
        for s in ClientScope::ALL {
            assert_eq!(ClientScope::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn table_matches_the_architecture() {
        // Auditors read the audit log but never change membership; system admins manage users only.
        assert!(role_permissions(Role::Auditor).contains(&P::AuditRead));
        assert!(!role_permissions(Role::Auditor).contains(&P::MembersWrite));
        assert!(role_permissions(Role::SystemAdmin).contains(&P::UsersManage));
        assert!(!role_permissions(Role::SystemAdmin).contains(&P::MembersRead));
        assert!(!role_permissions(Role::UnitAdmin).contains(&P::MemberIdCardRead));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
