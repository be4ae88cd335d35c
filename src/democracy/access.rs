//! Who the caller is in democratic management, and the congress every part hangs on.
//!
//! Roles say what a user may do in general (`authorize`); these lookups say what they are
//! for one object: the delegate a member is in a congress, the departments a handler acts
//! for, whether a congress lies inside a unit admin's scope.

use crate::democracy::error::DemocracyError;
use crate::kernel::ids::{MemberId, UserId};
use chrono::NaiveDate;
use diesel::{ExpressionMethods, JoinOnDsl, OptionalExtension, QueryDsl, Queryable, Selectable, SelectableHelper};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use diesel::BoolExpressionMethods;
use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::sql_types::{Array, BigInt, Bool, Text};

use crate::auth::permissions::{Authorized, Caller, Permission, Proof, UnitScope, authorize};
use crate::auth::principal::Principal;
use crate::democracy::motions::rules::VotingRule;
use crate::democracy::types::{CongressLevel, CongressStatus, DelegateKind, MajorityBase};
use crate::error::ApiError;
use crate::schema::{congresses, delegates, department_handlers, members, units};

/// A congress with its unit's path (for scope checks), status and rules.
#[derive(Debug, Clone)]
pub struct CongressRef {
    pub id: i64,
    pub unit_path: String,
    pub level: CongressLevel,
    pub status: CongressStatus,
    pub proposal_deadline: Option<NaiveDate>,
    pub proposal_prefix: String,
    pub min_cosigners: i16,
    pub reply_days: i32,
    pub max_extension_days: i32,
    pub feedback_working_days: i32,
    pub rule: VotingRule,
    pub version: i32,
}

/// The columns of a [`CongressRef`], read with its unit's path.
#[derive(Queryable, Selectable)]
#[diesel(table_name = congresses, check_for_backend(diesel::pg::Pg))]
struct CongressRow {
    id: i64,
    #[diesel(select_expression = units::path, select_expression_type = units::path)]
    unit_path: String,
    level: CongressLevel,
    status: CongressStatus,
    proposal_deadline: Option<NaiveDate>,
    proposal_prefix: String,
    min_cosigners: i16,
    reply_days: i32,
    max_extension_days: i32,
    feedback_working_days: i32,
    quorum_num: i16,
    quorum_den: i16,
    quorum_inclusive: bool,
    majority_base: MajorityBase,
    version: i32,
}

impl From<CongressRow> for CongressRef {
    fn from(r: CongressRow) -> CongressRef {
        CongressRef {
            id: r.id,
            unit_path: r.unit_path,
            level: r.level,
            status: r.status,
            proposal_deadline: r.proposal_deadline,
            proposal_prefix: r.proposal_prefix,
            min_cosigners: r.min_cosigners,
            reply_days: r.reply_days,
            max_extension_days: r.max_extension_days,
            feedback_working_days: r.feedback_working_days,
            rule: VotingRule {
                quorum_num: i64::from(r.quorum_num),
                quorum_den: i64::from(r.quorum_den),
                quorum_inclusive: r.quorum_inclusive,
                majority_base: r.majority_base,
            },
            version: r.version,
        }
    }
}

/// The congress, or 404.
pub async fn congress(conn: &mut AsyncPgConnection, id: i64) -> Result<CongressRef, ApiError> {
    let row: CongressRow = congresses::table
        .inner_join(units::table.on(units::id.eq(congresses::unit_id)))
        .filter(congresses::id.eq(id))
        .select(CongressRow::as_select())
        .first(conn)
        .await?;
    Ok(row.into())
}

/// The congress a manager acts on, or 404 when it is missing or outside the manager's scope.
pub async fn managed_congress(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    id: i64,
) -> Result<CongressRef, ApiError> {
    let found = congress(conn, id).await?;
    found.ensure_in_scope(auth.scope())?;
    Ok(found)
}

/// The congress, locked for the rest of the transaction (status changes, numbering).
pub async fn congress_for_update(conn: &mut AsyncPgConnection, id: i64) -> Result<CongressRef, ApiError> {
    // Lock the congress row only (not its unit), then read it with its unit's path.
    let _: i64 =
        congresses::table.filter(congresses::id.eq(id)).select(congresses::id).for_update().first(conn).await?;
    congress(conn, id).await
}

impl CongressRef {
    /// Whether a caller with `scope` (from `CongressesManage` / `CongressesRead`) may act on
    /// this congress: union admins on all, unit admins on their own unit's congresses.
    pub fn in_scope(&self, scope: &UnitScope) -> bool {
        scope.contains_path(&self.unit_path)
    }

    /// 404 when out of scope (nothing leaks).
    pub fn ensure_in_scope(&self, scope: &UnitScope) -> Result<(), ApiError> {
        if self.in_scope(scope) { Ok(()) } else { Err(ApiError::NotFound) }
    }

    /// 409 `congress_closed` once the congress has closed.
    pub fn ensure_not_closed(&self) -> Result<(), ApiError> {
        if self.status == CongressStatus::Closed { Err(DemocracyError::CongressClosed.into()) } else { Ok(()) }
    }
}

/// A delegate as the other parts need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegateRef {
    pub id: i64,
    pub congress_id: i64,
    pub member_id: i64,
    pub kind: DelegateKind,
    pub delegation_unit_id: i64,
}

type DelegateRow = (i64, i64, i64, DelegateKind, i64);

const DELEGATE_COLUMNS: (
    delegates::id,
    delegates::congress_id,
    delegates::member_id,
    delegates::kind,
    delegates::delegation_unit_id,
) = (delegates::id, delegates::congress_id, delegates::member_id, delegates::kind, delegates::delegation_unit_id);

fn delegate_ref((id, congress_id, member_id, kind, delegation_unit_id): DelegateRow) -> DelegateRef {
    DelegateRef { id, congress_id, member_id, kind, delegation_unit_id }
}

/// The delegate `member_id` is in `congress_id`, if any.
pub async fn delegate_of(
    conn: &mut AsyncPgConnection,
    congress_id: i64,
    member_id: MemberId,
) -> Result<Option<DelegateRef>, ApiError> {
    let row: Option<DelegateRow> = delegates::table
        .filter(delegates::congress_id.eq(congress_id))
        .filter(delegates::member_id.eq(member_id))
        .select(DELEGATE_COLUMNS)
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(delegate_ref))
}

/// The caller's delegate record in `congress_id` when they are a **formal** delegate:
/// 403 `not_a_delegate` for a caller who is not a delegate (or has no member profile),
/// 403 `not_a_formal_delegate` for an observer.
pub async fn formal_delegate(
    conn: &mut AsyncPgConnection,
    me: &Caller,
    congress_id: i64,
) -> Result<DelegateRef, ApiError> {
    let member_id = me.member_id().ok_or(DemocracyError::NotADelegate)?;
    let delegate = delegate_of(conn, congress_id, member_id).await?.ok_or(DemocracyError::NotADelegate)?;
    if delegate.kind != DelegateKind::Formal {
        return Err(DemocracyError::NotAFormalDelegate.into());
    }
    Ok(delegate)
}

/// Every delegate record of a member (one per congress), newest congress first.
pub async fn delegates_of_member(
    conn: &mut AsyncPgConnection,
    member_id: MemberId,
) -> Result<Vec<DelegateRef>, ApiError> {
    let rows: Vec<DelegateRow> = delegates::table
        .filter(delegates::member_id.eq(member_id))
        .select(DELEGATE_COLUMNS)
        .order(delegates::congress_id.desc())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(delegate_ref).collect())
}

/// The departments a user handles proposals for.
pub async fn handler_departments(conn: &mut AsyncPgConnection, user_id: UserId) -> Result<Vec<i64>, ApiError> {
    Ok(department_handlers::table
        .filter(department_handlers::user_id.eq(user_id))
        .select(department_handlers::department_id)
        .order(department_handlers::department_id)
        .load(conn)
        .await?)
}

/// One way of seeing a congress (its metadata, motions and history).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CongressStanding {
    /// The school congress (教代会) is the whole university's.
    School,
    /// Administrators with the congress's unit in their `CongressesRead` scope.
    ReadScope,
    /// Members of the holding unit (or a unit below it).
    MemberOfUnit,
    /// The congress's own delegates.
    Delegate,
}

/// Who sees which congress, stated once: evaluated in Rust by [`CongressAccess::sees`] and
/// turned into SQL by [`CongressAccess::predicate`].
const CONGRESS_RULE: [CongressStanding; 4] =
    [CongressStanding::School, CongressStanding::ReadScope, CongressStanding::MemberOfUnit, CongressStanding::Delegate];

/// The caller's standing on congresses: the proof the congress and motion reads require.
/// Unit congresses of other units are "not found".
#[derive(Debug, Clone)]
pub struct CongressAccess {
    read_scope: Option<UnitScope>,
    member_unit_path: Option<String>,
    delegate_congress_ids: Vec<i64>,
}

impl Proof for CongressAccess {}

/// A boolean SQL condition over `congresses` joined with their `units`.
pub type CongressPredicate<QS> = Box<dyn BoxableExpression<QS, Pg, SqlType = Bool>>;

impl CongressAccess {
    pub async fn of(conn: &mut AsyncPgConnection, principal: &Principal) -> Result<CongressAccess, ApiError> {
        let read_scope = authorize(principal, Permission::CongressesRead).ok().map(|a| a.scope().clone());
        let (member_unit_path, delegate_congress_ids) = match principal.member_id {
            Some(member_id) => {
                let path: Option<String> = members::table
                    .inner_join(units::table.on(units::id.eq(members::unit_id)))
                    .filter(members::id.eq(member_id))
                    .select(units::path)
                    .first(conn)
                    .await
                    .optional()?;
                let ids = delegates_of_member(conn, member_id).await?.into_iter().map(|d| d.congress_id).collect();
                (path, ids)
            }
            None => (None, Vec::new()),
        };
        Ok(CongressAccess { read_scope, member_unit_path, delegate_congress_ids })
    }

    fn has(&self, standing: CongressStanding, id: i64, level: CongressLevel, unit_path: &str) -> bool {
        match standing {
            CongressStanding::School => level == CongressLevel::School,
            CongressStanding::ReadScope => self.read_scope.as_ref().is_some_and(|s| s.contains_path(unit_path)),
            CongressStanding::MemberOfUnit => {
                self.member_unit_path.as_deref().is_some_and(|p| p.starts_with(unit_path))
            }
            CongressStanding::Delegate => self.delegate_congress_ids.contains(&id),
        }
    }

    /// Whether the caller sees this congress.
    pub fn sees(&self, congress: &CongressRef) -> bool {
        CONGRESS_RULE.iter().any(|s| self.has(*s, congress.id, congress.level, &congress.unit_path))
    }

    /// 404 when the caller does not see the congress (nothing leaks).
    pub fn ensure_sees(&self, congress: &CongressRef) -> Result<(), ApiError> {
        if self.sees(congress) { Ok(()) } else { Err(ApiError::NotFound) }
    }

    fn standing_sql<QS: 'static>(&self, standing: CongressStanding) -> Option<CongressPredicate<QS>> {
        Some(match standing {
            CongressStanding::School => Box::new(sql::<Bool>("congresses.level = 'school'")),
            CongressStanding::ReadScope => match self.read_scope.as_ref()?.like_patterns() {
                None => Box::new(sql::<Bool>("TRUE")),
                Some(patterns) => {
                    Box::new(sql::<Bool>("units.path LIKE ANY(").bind::<Array<Text>, _>(patterns).sql(")"))
                }
            },
            CongressStanding::MemberOfUnit => Box::new(
                sql::<Bool>("starts_with(").bind::<Text, _>(self.member_unit_path.clone()?).sql(", units.path)"),
            ),
            CongressStanding::Delegate if self.delegate_congress_ids.is_empty() => return None,
            CongressStanding::Delegate => Box::new(
                sql::<Bool>("congresses.id = ANY(")
                    .bind::<Array<BigInt>, _>(self.delegate_congress_ids.clone())
                    .sql(")"),
            ),
        })
    }

    /// [`CONGRESS_RULE`] as SQL over `congresses` joined with `units` (clauses the caller
    /// cannot hold are left out).
    pub fn predicate<QS: 'static>(&self) -> CongressPredicate<QS> {
        let mut out: CongressPredicate<QS> = Box::new(sql::<Bool>("FALSE"));
        for standing in CONGRESS_RULE {
            if let Some(clause) = self.standing_sql::<QS>(standing) {
                out = Box::new(out.or(clause));
            }
        }
        out
    }
}
