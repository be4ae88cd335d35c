//! Queries on congresses. Congress metadata is open to every authenticated caller; writes
//! are confined to the caller's scope (a congress outside it is "not found"), each in one
//! transaction with its history row and audit row.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::count_star;
use diesel::pg::Pg;
use diesel::{ExpressionMethods, JoinOnDsl, QueryDsl, Queryable, Selectable, SelectableHelper};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::audit::{self, Actor};
use crate::auth::permissions::Authorized;
use crate::democracy::access::{self, CongressAccess, CongressRef};
use crate::democracy::congresses::dto::{
    CongressHistoryEntry, CongressQuery, CongressStats, CongressView, CreateCongress, UnitBrief, UpdateCongress,
};
use crate::democracy::congresses::rules::{self as crules, CongressAction};
use crate::democracy::types::{CongressKind, CongressLevel, CongressStatus, MajorityBase};
use crate::error::{ApiError, FieldIssue};
use crate::http::etag::IfMatch;
use crate::http::pagination::PageParams;
use crate::kernel::money::Bp;
use crate::membership::types::UnitKind;
use crate::membership::{boxed_in_scope, find_in_scope};
use crate::schema::{congress_history, congresses, delegates, units};

/// A congress row with its unit's name.
#[derive(Queryable, Selectable)]
#[diesel(table_name = congresses, check_for_backend(Pg))]
struct Row {
    id: i64,
    unit_id: i64,
    #[diesel(select_expression = units::name, select_expression_type = units::name)]
    unit_name: String,
    level: CongressLevel,
    kind: CongressKind,
    name: String,
    term: i16,
    session: i16,
    year: i32,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
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
    rule_source: String,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn to_view(row: Row, counts: &HashMap<(i64, String), i64>) -> CongressView {
    let count = |kind: &str| counts.get(&(row.id, kind.to_owned())).copied().unwrap_or(0);
    CongressView {
        id: row.id,
        unit_id: row.unit_id,
        unit_name: row.unit_name,
        level: row.level,
        kind: row.kind,
        name: row.name,
        term: row.term,
        session: row.session,
        year: row.year,
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        status: row.status,
        proposal_deadline: row.proposal_deadline,
        proposal_prefix: row.proposal_prefix,
        min_cosigners: row.min_cosigners,
        reply_days: row.reply_days,
        max_extension_days: row.max_extension_days,
        feedback_working_days: row.feedback_working_days,
        quorum_num: row.quorum_num,
        quorum_den: row.quorum_den,
        quorum_inclusive: row.quorum_inclusive,
        majority_base: row.majority_base,
        rule_source: row.rule_source,
        formal_delegates: count("formal"),
        observer_delegates: count("observer"),
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

async fn roll_counts(conn: &mut AsyncPgConnection, ids: &[i64]) -> Result<HashMap<(i64, String), i64>, ApiError> {
    let rows: Vec<(i64, String, i64)> = delegates::table
        .filter(delegates::congress_id.eq_any(ids))
        .group_by((delegates::congress_id, delegates::kind))
        .select((delegates::congress_id, delegates::kind, count_star()))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(c, k, n)| ((c, k), n)).collect())
}

async fn to_views(conn: &mut AsyncPgConnection, rows: Vec<Row>) -> Result<Vec<CongressView>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let counts = roll_counts(conn, &ids).await?;
    Ok(rows.into_iter().map(|r| to_view(r, &counts)).collect())
}

/// One congress the caller sees (`CongressAccess`: the school congress, unit congresses of
/// their unit or scope, congresses they sit in), or 404.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn get(conn: &mut AsyncPgConnection, access: &CongressAccess, id: i64) -> Result<CongressView, ApiError> {
    access.ensure_sees(&access::congress(conn, id).await?)?;
    view(conn, id).await
}

/// The view of a congress the caller has been checked for (re-reads after a change).
async fn view(conn: &mut AsyncPgConnection, id: i64) -> Result<CongressView, ApiError> {
    let row: Row = congresses::table
        .inner_join(units::table.on(units::id.eq(congresses::unit_id)))
        .filter(congresses::id.eq(id))
        .select(Row::as_select())
        .first(conn)
        .await?;
    to_views(conn, vec![row]).await?.pop().ok_or(ApiError::NotFound)
}

/// Congresses matching the filters, newest year first.
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &mut AsyncPgConnection,
    access: &CongressAccess,
    filter: &CongressQuery,
    limit: i64,
    offset: i64,
) -> Result<(Vec<CongressView>, i64), ApiError> {
    let query = || {
        let mut q = congresses::table
            .inner_join(units::table.on(units::id.eq(congresses::unit_id)))
            .filter(access.predicate())
            .into_boxed();
        if let Some(level) = filter.level {
            q = q.filter(congresses::level.eq(level.as_str()));
        }
        if let Some(status) = filter.status {
            q = q.filter(congresses::status.eq(status.as_str()));
        }
        if let Some(year) = filter.year {
            q = q.filter(congresses::year.eq(year));
        }
        if let Some(unit_id) = filter.unit_id {
            q = q.filter(congresses::unit_id.eq(unit_id));
        }
        q
    };
    let total: i64 = query().count().get_result(conn).await?;
    let rows: Vec<Row> = query()
        .order((congresses::year.desc(), congresses::starts_on.desc(), congresses::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(Row::as_select())
        .load(conn)
        .await?;
    Ok((to_views(conn, rows).await?, total))
}

async fn write_history(
    conn: &mut AsyncPgConnection,
    congress_id: i64,
    action: &str,
    from: Option<CongressStatus>,
    to: CongressStatus,
    actor: &Actor,
) -> Result<(), ApiError> {
    diesel::insert_into(congress_history::table)
        .values((
            congress_history::congress_id.eq(congress_id),
            congress_history::action.eq(action),
            congress_history::from_status.eq(from.map(|s| s.as_str())),
            congress_history::to_status.eq(to.as_str()),
            congress_history::actor_user_id.eq(actor.user_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Creates a congress held by a unit in the caller's scope (the school congress needs a
/// global scope, since the root is in no unit admin's subtree).
#[tracing::instrument(skip_all)]
pub async fn create(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    input: &CreateCongress,
    actor: &Actor,
) -> Result<CongressView, ApiError> {
    let unknown =
        || ApiError::Validation(vec![FieldIssue::new("unit_id", "unknown_unit").with("value", input.unit_id)]);
    let unit = find_in_scope(conn, auth, input.unit_id).await.map_err(|e| match e {
        ApiError::NotFound => unknown(),
        other => other,
    })?;
    let mut issues = Vec::new();
    if !crules::level_fits_unit(input.level, unit.kind) {
        issues.push(FieldIssue::new("level", "level_unit_mismatch").with("kind", unit.kind.label()));
    }
    let rules = input.rules();
    let (num, den) = (rules.quorum_num.unwrap_or(2), rules.quorum_den.unwrap_or(3));
    issues.extend(crules::check_congress_fields(input.starts_on, input.ends_on, num, den));
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    let code: Option<String> = units::table.filter(units::id.eq(unit.id)).select(units::code).first(conn).await?;
    let prefix = match &input.proposal_prefix {
        Some(p) => p.clone(),
        None => {
            let base = crules::default_prefix(input.level, input.year, unit.id, code.as_deref());
            let taken: Vec<String> = congresses::table
                .filter(diesel::TextExpressionMethods::like(
                    congresses::proposal_prefix,
                    format!("{}%", crate::kernel::sql::escape_like(&base)),
                ))
                .or_filter(diesel::TextExpressionMethods::like(
                    congresses::proposal_prefix,
                    format!("{}-U{}-%", input.year, unit.id),
                ))
                .select(congresses::proposal_prefix)
                .load(conn)
                .await?;
            crules::first_free_prefix(&base, input.year, unit.id, &taken)
        }
    };
    conn.transaction::<_, ApiError, _>(async |conn| {
        // Rules left out take the column defaults (`None` inserts DEFAULT).
        let id: i64 = diesel::insert_into(congresses::table)
            .values((
                (
                    congresses::unit_id.eq(unit.id),
                    congresses::level.eq(input.level.as_str()),
                    congresses::kind.eq(input.kind.unwrap_or(CongressKind::Joint).as_str()),
                    congresses::name.eq(&input.name),
                    congresses::term.eq(input.term),
                    congresses::session.eq(input.session),
                    congresses::year.eq(input.year),
                    congresses::starts_on.eq(input.starts_on),
                    congresses::ends_on.eq(input.ends_on),
                    congresses::proposal_deadline.eq(input.proposal_deadline),
                    congresses::proposal_prefix.eq(&prefix),
                ),
                (
                    rules.quorum_num.map(|v| congresses::quorum_num.eq(v)),
                    rules.quorum_den.map(|v| congresses::quorum_den.eq(v)),
                    rules.min_cosigners.map(|v| congresses::min_cosigners.eq(v)),
                    rules.reply_days.map(|v| congresses::reply_days.eq(v)),
                    rules.max_extension_days.map(|v| congresses::max_extension_days.eq(v)),
                    rules.feedback_working_days.map(|v| congresses::feedback_working_days.eq(v)),
                    rules.quorum_inclusive.map(|v| congresses::quorum_inclusive.eq(v)),
                    rules.majority_base.map(|v| congresses::majority_base.eq(v.as_str())),
                    rules.rule_source.map(|v| congresses::rule_source.eq(v)),
                ),
            ))
            .returning(congresses::id)
            .get_result(conn)
            .await?;
        write_history(conn, id, "create", None, CongressStatus::Preparing, actor).await?;
        let view = view(conn, id).await?;
        audit::record(conn, actor, "congress.create", "congress", id, audit::NONE, Some(&view)).await?;
        Ok(view)
    })
    .await
}

/// The congress, locked, and inside the caller's scope (404 otherwise).
async fn lock_in_scope(conn: &mut AsyncPgConnection, auth: &Authorized, id: i64) -> Result<CongressRef, ApiError> {
    let scope = auth.scope();
    let congress = access::congress_for_update(conn, id).await?;
    congress.ensure_in_scope(scope)?;
    Ok(congress)
}

/// Changes a congress: never once closed, its rules only while preparing.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn update(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    id: i64,
    input: &UpdateCongress,
    if_match: IfMatch,
    actor: &Actor,
) -> Result<CongressView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let congress = lock_in_scope(conn, auth, id).await?;
        let before = view(conn, id).await?;
        if_match.check(before.version)?;
        crules::check_update(congress.status, input.touches_rules())?;
        let rules = input.rules();
        let issues = crules::check_congress_fields(
            input.starts_on.unwrap_or(before.starts_on),
            input.ends_on.unwrap_or(before.ends_on),
            rules.quorum_num.unwrap_or(before.quorum_num),
            rules.quorum_den.unwrap_or(before.quorum_den),
        );
        if !issues.is_empty() {
            return Err(ApiError::Validation(issues));
        }
        diesel::update(congresses::table.filter(congresses::id.eq(id)))
            .set((
                (
                    input.kind.map(|v| congresses::kind.eq(v.as_str())),
                    input.name.as_ref().map(|v| congresses::name.eq(v)),
                    input.term.map(|v| congresses::term.eq(v)),
                    input.session.map(|v| congresses::session.eq(v)),
                    input.year.map(|v| congresses::year.eq(v)),
                    input.starts_on.map(|v| congresses::starts_on.eq(v)),
                    input.ends_on.map(|v| congresses::ends_on.eq(v)),
                    input.proposal_deadline.map(|v| congresses::proposal_deadline.eq(v)),
                    input.proposal_prefix.as_ref().map(|v| congresses::proposal_prefix.eq(v)),
                ),
                (
                    rules.min_cosigners.map(|v| congresses::min_cosigners.eq(v)),
                    rules.reply_days.map(|v| congresses::reply_days.eq(v)),
                    rules.max_extension_days.map(|v| congresses::max_extension_days.eq(v)),
                    rules.feedback_working_days.map(|v| congresses::feedback_working_days.eq(v)),
                    rules.quorum_num.map(|v| congresses::quorum_num.eq(v)),
                    rules.quorum_den.map(|v| congresses::quorum_den.eq(v)),
                    rules.quorum_inclusive.map(|v| congresses::quorum_inclusive.eq(v)),
                    rules.majority_base.map(|v| congresses::majority_base.eq(v.as_str())),
                    rules.rule_source.map(|v| congresses::rule_source.eq(v)),
                ),
                congresses::version.eq(before.version + 1),
                congresses::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        let after = view(conn, id).await?;
        audit::record(conn, actor, "congress.update", "congress", id, Some(&before), Some(&after)).await?;
        Ok(after)
    })
    .await
}

/// Opens or closes a congress (`congresses_rules::congress_transition`), with its history row.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn transition(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    id: i64,
    action: CongressAction,
    actor: &Actor,
) -> Result<CongressView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let congress = lock_in_scope(conn, auth, id).await?;
        let to = crules::congress_transition(congress.status, action)?;
        diesel::update(congresses::table.filter(congresses::id.eq(id)))
            .set((
                congresses::status.eq(to.as_str()),
                congresses::version.eq(congress.version + 1),
                congresses::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        write_history(conn, id, action.name(), Some(congress.status), to, actor).await?;
        let after = view(conn, id).await?;
        let before = serde_json::json!({ "status": congress.status.as_str(), "version": congress.version });
        audit::record(conn, actor, &format!("congress.{}", action.name()), "congress", id, Some(&before), Some(&after))
            .await?;
        Ok(after)
    })
    .await
}

/// The congress's status changes, oldest first (404 for an unknown congress).
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn history(
    conn: &mut AsyncPgConnection,
    access: &CongressAccess,
    id: i64,
    page: &PageParams,
) -> Result<(Vec<CongressHistoryEntry>, i64), ApiError> {
    access.ensure_sees(&access::congress(conn, id).await?)?;
    let total: i64 =
        congress_history::table.filter(congress_history::congress_id.eq(id)).count().get_result(conn).await?;
    type H = (i64, String, Option<CongressStatus>, CongressStatus, Option<i64>, Option<String>, DateTime<Utc>);
    let rows: Vec<H> = congress_history::table
        .filter(congress_history::congress_id.eq(id))
        .order((congress_history::at.asc(), congress_history::id.asc()))
        .limit(page.per_page())
        .offset(page.offset())
        .select((
            congress_history::id,
            congress_history::action,
            congress_history::from_status,
            congress_history::to_status,
            congress_history::actor_user_id,
            congress_history::comment,
            congress_history::at,
        ))
        .load(conn)
        .await?;
    let items = rows
        .into_iter()
        .map(|(id, action, from, to, actor_user_id, comment, at)| CongressHistoryEntry {
            id,
            action,
            from_status: from,
            to_status: to,
            actor_user_id,
            comment,
            at,
        })
        .collect();
    Ok((items, total))
}

/// 二级教代会建制率 for `year` over the secondary unions in `scope`.
#[tracing::instrument(skip_all)]
pub async fn stats(conn: &mut AsyncPgConnection, auth: &Authorized, year: i32) -> Result<CongressStats, ApiError> {
    let scope = auth.scope();
    let secondary: Vec<(i64, String, Option<String>)> = boxed_in_scope(scope)
        .filter(units::kind.eq(UnitKind::Secondary.as_str()))
        .order((units::sort_order.asc(), units::id.asc()))
        .select((units::id, units::name, units::code))
        .load(conn)
        .await?;
    let ids: Vec<i64> = secondary.iter().map(|(id, _, _)| *id).collect();
    let held: Vec<(i64, String)> = congresses::table
        .filter(congresses::level.eq(CongressLevel::Unit.as_str()))
        .filter(congresses::year.eq(year))
        .filter(congresses::unit_id.eq_any(&ids))
        .select((congresses::unit_id, congresses::status))
        .load(conn)
        .await?;
    let holding: std::collections::HashSet<i64> =
        held.iter().filter(|(_, s)| s != CongressStatus::Preparing.as_str()).map(|(u, _)| *u).collect();
    let preparing: std::collections::HashSet<i64> = held
        .iter()
        .filter(|(u, s)| s == CongressStatus::Preparing.as_str() && !holding.contains(u))
        .map(|(u, _)| *u)
        .collect();
    let total = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    let holding_n = i64::try_from(holding.len()).unwrap_or(0);
    Ok(CongressStats {
        year,
        secondary_units: total,
        units_holding: holding_n,
        units_preparing: i64::try_from(preparing.len()).unwrap_or(0),
        rate_bp: Bp::rate(holding_n, total),
        units_without: secondary
            .into_iter()
            .filter(|(id, _, _)| !holding.contains(id))
            .map(|(id, name, code)| UnitBrief { id, name, code })
            .collect(),
    })
}
