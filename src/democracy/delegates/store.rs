//! Queries on the roll of delegates (attendance is in `check_ins_store`). Reads are filtered by
//! `congresses_rules::Visible` (a unit admin reading the school congress sees their own
//! delegation); writes need the congress in the caller's scope and are audited in their
//! transaction.

use crate::democracy::error::DemocracyError;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};
use diesel::{ExpressionMethods, JoinOnDsl, OptionalExtension, QueryDsl, QueryableByName};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::audit::{self, Actor};
use crate::auth::permissions::{Authorized, Proof, UnitScope};
use crate::democracy::access::{self, CongressRef};
use crate::democracy::congresses::rules::{self as crules, Visible};
use crate::democracy::delegates::dto::{
    AddDelegate, AddedDelegate, BulkAddDelegates, BulkAddReport, DelegateQuery, DelegateView, UpdateDelegate,
};
use crate::democracy::types::{DelegateCategory, DelegateKind};
use crate::error::{ApiError, FieldIssue};
use crate::http::pagination::PageParams;
use crate::kernel::sql::escape_like;
use crate::membership::types::{MemberStatus, UnitKind};
use crate::membership::{boxed_in_scope, find_in_scope};
use crate::schema::{delegates, members, units};

/// Proof that the caller may read a congress's roll, and which part of it: made only by
/// [`readable`] from a `CongressesRead` authorization.
#[derive(Debug, Clone)]
pub struct RollAccess {
    pub(super) congress: CongressRef,
    pub(super) visible: Visible,
}

impl Proof for RollAccess {}

/// The congress a reader asked for, and which of its delegates they see (404 for a unit
/// congress outside the reader's scope).
#[tracing::instrument(skip_all, fields(congress_id = congress_id))]
pub async fn readable(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    congress_id: i64,
) -> Result<RollAccess, ApiError> {
    let scope = auth.scope();
    let congress = access::congress(conn, congress_id).await?;
    let visible =
        crules::delegate_visibility(congress.in_scope(scope), congress.level, scope).ok_or(ApiError::NotFound)?;
    Ok(RollAccess { congress, visible })
}

/// A delegate just written by a manager (who has been authorized for the congress): the
/// whole roll is theirs to see.
async fn written(conn: &mut AsyncPgConnection, congress_id: i64, id: i64) -> Result<DelegateView, ApiError> {
    let f = RollFilter { query: None, delegate_id: Some(id) };
    roll_page(conn, congress_id, &Visible::All, &f, 1, 0).await?.0.pop().ok_or(ApiError::NotFound)
}

// ---------------------------------------------------------------- reading the roll

const ROLL_FROM: &str = "FROM delegates d \
     JOIN members m ON m.id = d.member_id \
     JOIN units mu ON mu.id = m.unit_id \
     JOIN units du ON du.id = d.delegation_unit_id \
     WHERE d.congress_id = $1 \
       AND ($2::text[] IS NULL OR du.path LIKE ANY($2)) \
       AND ($3::text IS NULL OR d.kind = $3) \
       AND ($4::text IS NULL OR d.category = $4) \
       AND ($5::bigint IS NULL OR d.delegation_unit_id = $5) \
       AND ($6::text IS NULL OR m.name LIKE $6 OR m.staff_no LIKE $7) \
       AND ($8::bigint IS NULL OR d.id = $8)";

#[derive(QueryableByName)]
struct DelegateRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    congress_id: i64,
    #[diesel(sql_type = BigInt)]
    member_id: i64,
    #[diesel(sql_type = Text)]
    staff_no: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    unit_id: i64,
    #[diesel(sql_type = Text)]
    unit_name: String,
    #[diesel(sql_type = Text)]
    kind: DelegateKind,
    #[diesel(sql_type = Text)]
    category: DelegateCategory,
    #[diesel(sql_type = BigInt)]
    delegation_unit_id: i64,
    #[diesel(sql_type = Text)]
    delegation_unit_name: String,
    #[diesel(sql_type = BigInt)]
    sittings_present: i64,
    #[diesel(sql_type = BigInt)]
    sittings_excused: i64,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

impl From<DelegateRow> for DelegateView {
    fn from(r: DelegateRow) -> Self {
        DelegateView {
            id: r.id,
            congress_id: r.congress_id,
            member_id: r.member_id,
            staff_no: r.staff_no,
            name: r.name,
            unit_id: r.unit_id,
            unit_name: r.unit_name,
            kind: r.kind,
            category: r.category,
            delegation_unit_id: r.delegation_unit_id,
            delegation_unit_name: r.delegation_unit_name,
            sittings_present: r.sittings_present,
            sittings_excused: r.sittings_excused,
            created_at: r.created_at,
        }
    }
}

#[derive(QueryableByName)]
pub(crate) struct Count {
    #[diesel(sql_type = BigInt)]
    pub(crate) n: i64,
}

/// The roll's filters, with the delegate id for single reads.
#[derive(Debug, Default)]
struct RollFilter<'a> {
    query: Option<&'a DelegateQuery>,
    delegate_id: Option<i64>,
}

fn bind_roll<'f>(
    q: BoxedSqlQuery<'f, Pg, diesel::query_builder::SqlQuery>,
    congress_id: i64,
    visible: &Visible,
    f: &RollFilter<'_>,
) -> BoxedSqlQuery<'f, Pg, diesel::query_builder::SqlQuery> {
    let dq = f.query;
    let text = dq.and_then(|d| d.q.as_deref()).map(str::trim).filter(|t| !t.is_empty()).map(escape_like);
    q.bind::<BigInt, _>(congress_id)
        .bind::<Nullable<Array<Text>>, _>(visible.patterns())
        .bind::<Nullable<Text>, _>(dq.and_then(|d| d.kind).map(|k| k.as_str()))
        .bind::<Nullable<Text>, _>(dq.and_then(|d| d.category).map(|c| c.as_str()))
        .bind::<Nullable<BigInt>, _>(dq.and_then(|d| d.unit_id))
        .bind::<Nullable<Text>, _>(text.as_ref().map(|t| format!("%{t}%")))
        .bind::<Nullable<Text>, _>(text.as_ref().map(|t| format!("{t}%")))
        .bind::<Nullable<BigInt>, _>(f.delegate_id)
}

async fn roll_page(
    conn: &mut AsyncPgConnection,
    congress_id: i64,
    visible: &Visible,
    f: &RollFilter<'_>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<DelegateView>, i64), ApiError> {
    let count =
        bind_roll(diesel::sql_query(format!("SELECT count(*) AS n {ROLL_FROM}")).into_boxed(), congress_id, visible, f);
    let total = count.get_result::<Count>(conn).await?.n;
    let select = format!(
        "SELECT d.id, d.congress_id, d.member_id, m.staff_no, m.name, m.unit_id, mu.name AS unit_name, d.kind, \
         d.category, d.delegation_unit_id, du.name AS delegation_unit_name, \
         (SELECT count(*) FROM check_ins c WHERE c.delegate_id = d.id AND c.status = 'present') AS sittings_present, \
         (SELECT count(*) FROM check_ins c WHERE c.delegate_id = d.id AND c.status = 'excused') AS sittings_excused, \
         d.created_at {ROLL_FROM} ORDER BY du.path, d.kind, m.staff_no, d.id LIMIT $9 OFFSET $10"
    );
    let rows: Vec<DelegateRow> = bind_roll(diesel::sql_query(select).into_boxed(), congress_id, visible, f)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(conn)
        .await?;
    Ok((rows.into_iter().map(DelegateView::from).collect(), total))
}

/// One page of the roll the reader sees.
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &mut AsyncPgConnection,
    roll: &RollAccess,
    filter: &DelegateQuery,
    page: &PageParams,
) -> Result<(Vec<DelegateView>, i64), ApiError> {
    let (congress_id, visible) = (roll.congress.id, &roll.visible);
    let f = RollFilter { query: Some(filter), delegate_id: None };
    roll_page(conn, congress_id, visible, &f, page.per_page(), page.offset()).await
}

/// Every delegate matching `filter` the reader sees, for exports (bounded).
#[tracing::instrument(skip_all)]
pub async fn list_all(
    conn: &mut AsyncPgConnection,
    roll: &RollAccess,
    filter: &DelegateQuery,
    max: i64,
) -> Result<Vec<DelegateView>, ApiError> {
    let (congress_id, visible) = (roll.congress.id, &roll.visible);
    let f = RollFilter { query: Some(filter), delegate_id: None };
    Ok(roll_page(conn, congress_id, visible, &f, max, 0).await?.0)
}

/// One delegate of the congress that the reader sees, or 404.
#[tracing::instrument(skip_all, fields(delegate_id = delegate_id))]
pub async fn get(conn: &mut AsyncPgConnection, roll: &RollAccess, delegate_id: i64) -> Result<DelegateView, ApiError> {
    let (congress_id, visible) = (roll.congress.id, &roll.visible);
    let f = RollFilter { query: None, delegate_id: Some(delegate_id) };
    roll_page(conn, congress_id, visible, &f, 1, 0).await?.0.pop().ok_or(ApiError::NotFound)
}

// ---------------------------------------------------------------- changing the roll

/// The congress, locked, in the caller's scope (404 otherwise).
async fn writable(conn: &mut AsyncPgConnection, auth: &Authorized, congress_id: i64) -> Result<CongressRef, ApiError> {
    let scope = auth.scope();
    let congress = access::congress_for_update(conn, congress_id).await?;
    congress.ensure_in_scope(scope)?;
    Ok(congress)
}

/// Secondary unions, (id, path), for default delegations.
async fn secondaries(conn: &mut AsyncPgConnection) -> Result<Vec<(i64, String)>, ApiError> {
    Ok(units::table
        .filter(units::kind.eq(UnitKind::Secondary.as_str()))
        .select((units::id, units::path))
        .load(conn)
        .await?)
}

/// A delegation unit given by the caller: in their scope and inside the congress's unit.
async fn chosen_delegation(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    congress: &CongressRef,
    unit_id: i64,
) -> Result<i64, ApiError> {
    let unit = find_in_scope(conn, auth, unit_id).await.map_err(|e| match e {
        ApiError::NotFound => {
            ApiError::Validation(vec![FieldIssue::new("delegation_unit_id", "unknown_unit").with("value", unit_id)])
        }
        other => other,
    })?;
    if !unit.path.starts_with(&congress.unit_path) {
        return Err(ApiError::Validation(vec![FieldIssue::new("delegation_unit_id", "outside_congress")]));
    }
    Ok(unit.id)
}

type MemberRow = (i64, String, MemberStatus, i64, String);

/// Members by id or staff number inside the caller's scope: (id, staff_no, status, unit, unit path).
fn members_in_scope(
    scope: &UnitScope,
) -> diesel::helper_types::IntoBoxed<
    'static,
    diesel::helper_types::InnerJoinOn<
        members::table,
        units::table,
        diesel::helper_types::Eq<units::id, members::unit_id>,
    >,
    Pg,
> {
    let mut q = members::table.inner_join(units::table.on(units::id.eq(members::unit_id))).into_boxed();
    if scope.like_patterns().is_some() {
        q = q.filter(members::unit_id.eq_any(boxed_in_scope(scope).select(units::id)));
    }
    q
}

/// Makes an active member in the caller's scope a delegate (409 `already_delegate`).
#[tracing::instrument(skip_all, fields(congress_id = congress_id))]
pub async fn add(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    congress_id: i64,
    input: &AddDelegate,
    actor: &Actor,
) -> Result<DelegateView, ApiError> {
    let scope = auth.scope();
    conn.transaction::<_, ApiError, _>(async |conn| {
        let congress = writable(conn, auth, congress_id).await?;
        crules::delegates_addable(congress.status)?;
        let member: Option<MemberRow> = members_in_scope(scope)
            .filter(members::id.eq(input.member_id))
            .select((members::id, members::staff_no, members::status, members::unit_id, units::path))
            .first(conn)
            .await
            .optional()?;
        let (member_id, _, status, unit_id, unit_path) = member.ok_or_else(|| {
            ApiError::Validation(vec![FieldIssue::new("member_id", "unknown_member").with("value", input.member_id)])
        })?;
        if status != MemberStatus::Active {
            return Err(DemocracyError::MemberNotActive.into());
        }
        let delegation = match input.delegation_unit_id {
            Some(id) => chosen_delegation(conn, auth, &congress, id).await?,
            None => {
                let id = crules::default_delegation((unit_id, &unit_path), &secondaries(conn).await?);
                let path: String = units::table.filter(units::id.eq(id)).select(units::path).first(conn).await?;
                if !path.starts_with(&congress.unit_path) {
                    return Err(ApiError::Validation(vec![FieldIssue::new("member_id", "outside_congress")]));
                }
                id
            }
        };
        let id: i64 = diesel::insert_into(delegates::table)
            .values((
                delegates::congress_id.eq(congress.id),
                delegates::member_id.eq(member_id),
                delegates::kind.eq(input.kind.as_str()),
                delegates::category.eq(input.category.unwrap_or(DelegateCategory::Teacher).as_str()),
                delegates::delegation_unit_id.eq(delegation),
            ))
            .returning(delegates::id)
            .get_result(conn)
            .await?;
        let view = written(conn, congress.id, id).await?;
        audit::record(conn, actor, "delegate.create", "delegate", id, audit::NONE, Some(&view)).await?;
        Ok(view)
    })
    .await
}

/// Adds many delegates by staff number. Partial by design: a roll is assembled from lists
/// that always hold a few stale numbers, so valid rows are added and the others reported
/// (`BulkAddReport`); a bad `delegation_unit_id` for the whole call is a 422.
#[tracing::instrument(skip_all, fields(congress_id = congress_id))]
pub async fn bulk_add(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    congress_id: i64,
    input: &BulkAddDelegates,
    actor: &Actor,
) -> Result<BulkAddReport, ApiError> {
    let scope = auth.scope();
    conn.transaction::<_, ApiError, _>(async |conn| {
        let congress = writable(conn, auth, congress_id).await?;
        crules::delegates_addable(congress.status)?;
        let chosen = match input.delegation_unit_id {
            Some(id) => Some(chosen_delegation(conn, auth, &congress, id).await?),
            None => None,
        };
        let mut seen = HashSet::new();
        let wanted: Vec<&str> = input.staff_nos.iter().map(String::as_str).filter(|s| seen.insert(*s)).collect();
        let found: Vec<MemberRow> = members_in_scope(scope)
            .filter(members::staff_no.eq_any(&wanted))
            .select((members::id, members::staff_no, members::status, members::unit_id, units::path))
            .load(conn)
            .await?;
        let by_staff: HashMap<&str, &MemberRow> = found.iter().map(|m| (m.1.as_str(), m)).collect();
        let ids: Vec<i64> = found.iter().map(|m| m.0).collect();
        let existing: HashSet<i64> = delegates::table
            .filter(delegates::congress_id.eq(congress.id))
            .filter(delegates::member_id.eq_any(&ids))
            .select(delegates::member_id)
            .load::<i64>(conn)
            .await?
            .into_iter()
            .collect();
        let secondaries = secondaries(conn).await?;
        let paths: HashMap<i64, String> =
            units::table.select((units::id, units::path)).load(conn).await?.into_iter().collect();
        let mut report = BulkAddReport::default();
        let mut rows = Vec::new();
        let mut attempted = Vec::new();
        for staff_no in wanted {
            let Some((member_id, _, status, unit_id, unit_path)) = by_staff.get(staff_no).copied() else {
                report.unknown_staff_nos.push(staff_no.to_owned());
                continue;
            };
            if existing.contains(member_id) {
                report.already_delegates.push(staff_no.to_owned());
                continue;
            }
            if *status != MemberStatus::Active {
                report.inactive.push(staff_no.to_owned());
                continue;
            }
            let delegation = chosen.unwrap_or_else(|| crules::default_delegation((*unit_id, unit_path), &secondaries));
            if !paths.get(&delegation).is_some_and(|p| p.starts_with(&congress.unit_path)) {
                report.outside_congress.push(staff_no.to_owned());
                continue;
            }
            attempted.push((staff_no, *member_id));
            rows.push((
                delegates::congress_id.eq(congress.id),
                delegates::member_id.eq(*member_id),
                delegates::kind.eq(input.kind.as_str()),
                delegates::category.eq(input.category.unwrap_or(DelegateCategory::Teacher).as_str()),
                delegates::delegation_unit_id.eq(delegation),
            ));
        }
        let inserted: Vec<(i64, i64)> = if rows.is_empty() {
            Vec::new()
        } else {
            diesel::insert_into(delegates::table)
                .values(rows)
                .on_conflict_do_nothing()
                .returning((delegates::id, delegates::member_id))
                .load(conn)
                .await?
        };
        let added: HashMap<i64, i64> = inserted.into_iter().map(|(id, m)| (m, id)).collect();
        for (staff_no, member_id) in attempted {
            match added.get(&member_id) {
                Some(id) => report.added.push(AddedDelegate { staff_no: staff_no.to_owned(), delegate_id: *id }),
                // Added by a concurrent call between our read and our insert.
                None => report.already_delegates.push(staff_no.to_owned()),
            }
        }
        audit::record(conn, actor, "delegate.bulk_add", "congress", congress.id, audit::NONE, Some(&report)).await?;
        Ok(report)
    })
    .await
}

/// Re-classifies a delegate while the congress is being prepared.
#[tracing::instrument(skip_all, fields(congress_id = congress_id, delegate_id = delegate_id))]
pub async fn update(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    congress_id: i64,
    delegate_id: i64,
    input: &UpdateDelegate,
    actor: &Actor,
) -> Result<DelegateView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let congress = writable(conn, auth, congress_id).await?;
        let before = written(conn, congress.id, delegate_id).await?;
        crules::roll_editable(congress.status)?;
        let delegation = match input.delegation_unit_id {
            Some(id) => Some(chosen_delegation(conn, auth, &congress, id).await?),
            None => None,
        };
        diesel::update(delegates::table.filter(delegates::id.eq(delegate_id)))
            .set((
                delegates::congress_id.eq(congress.id),
                input.kind.map(|k| delegates::kind.eq(k.as_str())),
                input.category.map(|c| delegates::category.eq(c.as_str())),
                delegation.map(|d| delegates::delegation_unit_id.eq(d)),
            ))
            .execute(conn)
            .await?;
        let after = written(conn, congress.id, delegate_id).await?;
        audit::record(conn, actor, "delegate.update", "delegate", delegate_id, Some(&before), Some(&after)).await?;
        Ok(after)
    })
    .await
}

#[derive(QueryableByName)]
struct InUse {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    used: bool,
}

/// Removes a delegate while the congress is being prepared, unless a ballot, proposal,
/// co-signature or evaluation sheet already refers to them (409 `delegate_in_use`).
#[tracing::instrument(skip_all, fields(congress_id = congress_id, delegate_id = delegate_id))]
pub async fn remove(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    congress_id: i64,
    delegate_id: i64,
    actor: &Actor,
) -> Result<(), ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let congress = writable(conn, auth, congress_id).await?;
        let before = written(conn, congress.id, delegate_id).await?;
        crules::roll_editable(congress.status)?;
        let in_use = diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM ballot_receipts WHERE delegate_id = $1) \
                 OR EXISTS (SELECT 1 FROM proposals WHERE proposer_delegate_id = $1) \
                 OR EXISTS (SELECT 1 FROM proposal_cosigners WHERE delegate_id = $1) \
                 OR EXISTS (SELECT 1 FROM proposal_coproposers WHERE delegate_id = $1) \
                 OR EXISTS (SELECT 1 FROM evaluation_receipts WHERE delegate_id = $1) AS used",
        )
        .bind::<BigInt, _>(delegate_id)
        .get_result::<InUse>(conn)
        .await?;
        if in_use.used {
            return Err(DemocracyError::DelegateInUse.into());
        }
        diesel::delete(delegates::table.filter(delegates::id.eq(delegate_id))).execute(conn).await?;
        audit::record(conn, actor, "delegate.delete", "delegate", delegate_id, Some(&before), audit::NONE).await?;
        Ok(())
    })
    .await
}
