//! Who may see which proposal: the rule, stated once, and the proof every proposal store
//! function takes.
//!
//! The rule is [`RULE`]: a list of clauses "a caller with this standing sees proposals in
//! these statuses". [`ProposalAccess::sees`] evaluates it in Rust for one proposal;
//! [`ProposalAccess::predicate`] turns the same clauses into the SQL `WHERE` of the lists, so
//! the two cannot drift apart (tests/api/democracy/proposal_access.rs checks them against
//! each other over every status and standing).

use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::sql_types::{Array, BigInt, Bool, Text};
use diesel::{BoolExpressionMethods, ExpressionMethods, QueryDsl};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::auth::permissions::{Permission, Proof, has_permission};
use crate::auth::principal::Principal;
use crate::democracy::access;
use crate::democracy::proposals::rules;
use crate::democracy::types::ProposalStatus;
use crate::error::ApiError;
use crate::kernel::ids::{MemberId, UserId};
use crate::schema::{proposal_coproposers, proposal_cosigners, proposal_departments};

/// A standing a caller can have towards one proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Their delegate record proposed it.
    Proposer,
    /// They were invited to co-sign it.
    InvitedCosigner,
    /// It was merged into theirs, or theirs into it (合并 → 共同提案人).
    Coproposer,
    /// The committee, union admins and API clients with `proposals:read`.
    Reader,
    /// One of their departments handles it.
    Handler,
}

/// One clause of the visibility rule.
struct Clause {
    standing: Standing,
    statuses: fn(ProposalStatus) -> bool,
}

fn any_status(_: ProposalStatus) -> bool {
    true
}

fn once_submitted(status: ProposalStatus) -> bool {
    status != ProposalStatus::Draft
}

/// The visibility rule: drafts are the proposer's own; invited co-signers and co-proposers
/// see it once submitted; readers once the committee has it; handlers what their
/// departments handle. Anything else is "not found".
const RULE: [Clause; 5] = [
    Clause { standing: Standing::Proposer, statuses: any_status },
    Clause { standing: Standing::InvitedCosigner, statuses: once_submitted },
    Clause { standing: Standing::Coproposer, statuses: once_submitted },
    Clause { standing: Standing::Reader, statuses: rules::visible_to_committee },
    Clause { standing: Standing::Handler, statuses: any_status },
];

/// What the caller is to one proposal (read with [`relation`](super::store::relation)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relation {
    pub proposer: bool,
    pub invited_cosigner: bool,
    pub coproposer: bool,
    pub handler: bool,
}

/// The caller's standing on proposals: the proof every proposal store function requires.
/// Its fields are private; only [`ProposalAccess::of`] makes one, from the principal.
#[derive(Debug, Clone)]
pub struct ProposalAccess {
    user_id: Option<UserId>,
    member_id: Option<MemberId>,
    delegate_ids: Vec<i64>,
    reads_all: bool,
    decides: bool,
    department_ids: Vec<i64>,
}

impl Proof for ProposalAccess {}

/// A boolean SQL condition usable in any query over `proposals`.
pub type ProposalPredicate<QS> = Box<dyn BoxableExpression<QS, Pg, SqlType = Bool>>;

impl ProposalAccess {
    /// The caller's delegate records, handled departments and roles, read once per request.
    pub async fn of(conn: &mut AsyncPgConnection, principal: &Principal) -> Result<ProposalAccess, ApiError> {
        let delegate_ids = match principal.member_id {
            Some(m) => access::delegates_of_member(conn, m).await?.into_iter().map(|d| d.id).collect(),
            None => Vec::new(),
        };
        let department_ids = match principal.user_id {
            Some(u) if has_permission(principal, Permission::ProposalsReply) => {
                access::handler_departments(conn, u).await?
            }
            _ => Vec::new(),
        };
        Ok(ProposalAccess {
            user_id: principal.user_id,
            member_id: principal.member_id,
            delegate_ids,
            reads_all: has_permission(principal, Permission::ProposalsRead),
            decides: has_permission(principal, Permission::ProposalsDecide),
            department_ids,
        })
    }

    pub fn user_id(&self) -> Option<UserId> {
        self.user_id
    }

    pub fn member_id(&self) -> Option<MemberId> {
        self.member_id
    }

    /// The caller's delegate records (one per congress they sit in).
    pub fn delegate_ids(&self) -> &[i64] {
        &self.delegate_ids
    }

    /// The departments the caller handles for.
    pub fn department_ids(&self) -> &[i64] {
        &self.department_ids
    }

    /// Holds `ProposalsDecide` (the committee, union admins).
    pub fn decides(&self) -> bool {
        self.decides
    }

    fn has(&self, standing: Standing, relation: Relation) -> bool {
        match standing {
            Standing::Proposer => relation.proposer,
            Standing::InvitedCosigner => relation.invited_cosigner,
            Standing::Coproposer => relation.coproposer,
            Standing::Reader => self.reads_all,
            Standing::Handler => relation.handler,
        }
    }

    /// Whether the caller, standing in `relation` to a proposal in `status`, may see it.
    pub fn sees(&self, relation: Relation, status: ProposalStatus) -> bool {
        RULE.iter().any(|c| self.has(c.standing, relation) && (c.statuses)(status))
    }

    /// Whether the caller could hold `standing` towards some proposal at all (a caller
    /// without delegate records is nobody's proposer): such clauses are left out of the SQL.
    fn may_hold(&self, standing: Standing) -> bool {
        match standing {
            Standing::Proposer | Standing::InvitedCosigner | Standing::Coproposer => !self.delegate_ids.is_empty(),
            Standing::Reader => self.reads_all,
            Standing::Handler => !self.department_ids.is_empty(),
        }
    }

    fn standing_sql<QS: 'static>(&self, standing: Standing) -> ProposalPredicate<QS> {
        let ids = self.delegate_ids.clone();
        match standing {
            Standing::Proposer => Box::new(
                sql::<Bool>("proposals.proposer_delegate_id = ANY(").bind::<Array<BigInt>, _>(ids).sql(")"),
            ),
            Standing::InvitedCosigner => Box::new(
                sql::<Bool>("EXISTS (SELECT 1 FROM proposal_cosigners c WHERE c.proposal_id = proposals.id AND c.delegate_id = ANY(")
                    .bind::<Array<BigInt>, _>(ids)
                    .sql("))"),
            ),
            Standing::Coproposer => Box::new(
                sql::<Bool>("EXISTS (SELECT 1 FROM proposal_coproposers c WHERE c.proposal_id = proposals.id AND c.delegate_id = ANY(")
                    .bind::<Array<BigInt>, _>(ids)
                    .sql("))"),
            ),
            Standing::Reader => Box::new(sql::<Bool>("TRUE")),
            Standing::Handler => Box::new(
                sql::<Bool>("EXISTS (SELECT 1 FROM proposal_departments d WHERE d.proposal_id = proposals.id AND d.department_id = ANY(")
                    .bind::<Array<BigInt>, _>(self.department_ids.clone())
                    .sql("))"),
            ),
        }
    }

    /// [`RULE`] as SQL over `proposals`: each clause the caller may hold becomes
    /// `(<standing> AND proposals.status = ANY(<the statuses the clause allows>))`, the status
    /// list computed from the clause's own Rust function.
    pub fn predicate<QS: 'static>(&self) -> ProposalPredicate<QS> {
        let mut out: ProposalPredicate<QS> = Box::new(sql::<Bool>("FALSE"));
        for clause in RULE.iter().filter(|c| self.may_hold(c.standing)) {
            let statuses: Vec<&'static str> =
                ProposalStatus::all().iter().filter(|s| (clause.statuses)(**s)).map(|s| s.as_str()).collect();
            let status: ProposalPredicate<QS> =
                Box::new(sql::<Bool>("proposals.status = ANY(").bind::<Array<Text>, _>(statuses).sql(")"));
            out = Box::new(out.or(self.standing_sql::<QS>(clause.standing).and(status)));
        }
        out
    }

    /// What the caller is to proposal `id`.
    pub async fn relation(
        &self,
        conn: &mut AsyncPgConnection,
        id: i64,
        proposer_delegate_id: i64,
    ) -> Result<Relation, ApiError> {
        let proposer = self.delegate_ids.contains(&proposer_delegate_id);
        let invited: i64 = proposal_cosigners::table
            .filter(proposal_cosigners::proposal_id.eq(id))
            .filter(proposal_cosigners::delegate_id.eq_any(&self.delegate_ids))
            .count()
            .get_result(conn)
            .await?;
        let coproposer: i64 = proposal_coproposers::table
            .filter(proposal_coproposers::proposal_id.eq(id))
            .filter(proposal_coproposers::delegate_id.eq_any(&self.delegate_ids))
            .count()
            .get_result(conn)
            .await?;
        let handler: i64 = proposal_departments::table
            .filter(proposal_departments::proposal_id.eq(id))
            .filter(proposal_departments::department_id.eq_any(&self.department_ids))
            .count()
            .get_result(conn)
            .await?;
        Ok(Relation { proposer, invited_cosigner: invited > 0, coproposer: coproposer > 0, handler: handler > 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(reads_all: bool) -> ProposalAccess {
        ProposalAccess {
            user_id: Some(UserId(1)),
            member_id: Some(MemberId(1)),
            delegate_ids: vec![7],
            reads_all,
            decides: false,
            department_ids: vec![3],
        }
    }

    #[test]
    fn who_sees_what() {
        use ProposalStatus as S;
        let member = access(false);
        let committee = access(true);
        let nobody = Relation::default();
        let proposer = Relation { proposer: true, ..nobody };
        let invited = Relation { invited_cosigner: true, ..nobody };
        let handler = Relation { handler: true, ..nobody };
        assert!(member.sees(proposer, S::Draft), "drafts are the proposer's own");
        assert!(!member.sees(invited, S::Draft), "invitations go out on submit");
        assert!(member.sees(invited, S::Submitted));
        assert!(!committee.sees(nobody, S::Draft));
        assert!(!committee.sees(nobody, S::Submitted), "still gathering co-signatures");
        assert!(committee.sees(nobody, S::UnderReview));
        assert!(!committee.sees(nobody, S::Withdrawn));
        assert!(member.sees(handler, S::Assigned));
        assert!(!member.sees(nobody, S::Closed), "the public list is a separate route");
    }

    #[test]
    fn clauses_a_caller_cannot_hold_leave_the_sql() {
        let stranger = ProposalAccess {
            user_id: Some(UserId(1)),
            member_id: None,
            delegate_ids: Vec::new(),
            reads_all: false,
            decides: false,
            department_ids: Vec::new(),
        };
        assert!(RULE.iter().all(|c| !stranger.may_hold(c.standing)));
        assert!(RULE.iter().all(|c| access(true).may_hold(c.standing)));
    }
}
