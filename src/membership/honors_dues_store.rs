//! Queries on honors and dues; both are reached through the member's unit scope.

use chrono::{NaiveDate, Utc};
use diesel::{ExpressionMethods, JoinOnDsl, QueryDsl, TextExpressionMethods};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::audit::{self, Actor};
use crate::auth::permissions::UnitScope;
use crate::error::{ApiError, FieldIssue};
use crate::http::pagination::PageParams;
use crate::membership::dto::{CreateDues, CreateHonor, DuesQuery, DuesView, HonorQuery, HonorView};
use crate::membership::rules;
use crate::membership::types::{HonorCategory, HonorLevel};
use crate::membership::units::store::{boxed_in_scope, find_in_scope};
use crate::schema::{dues, honors, members, units};

/// The member's (name, unit id) if the member lies inside `scope`.
async fn member_in_scope(
    conn: &mut AsyncPgConnection,
    scope: &UnitScope,
    member_id: i64,
) -> Result<(String, i64), ApiError> {
    let mut q = members::table.filter(members::id.eq(member_id)).into_boxed();
    if scope.like_patterns().is_some() {
        q = q.filter(members::unit_id.eq_any(boxed_in_scope(scope).select(units::id)));
    }
    // Only "no such row" means an unknown member; a lost connection stays a 503.
    q.select((members::name, members::unit_id)).first(conn).await.map_err(|e| match e {
        diesel::result::Error::NotFound => {
            ApiError::Validation(vec![FieldIssue::new("member_id", "unknown_member").with("value", member_id)])
        }
        other => other.into(),
    })
}

/// A subtree filter (`unit_id` with its descendants) within scope, as a path prefix.
async fn subtree_path(
    conn: &mut AsyncPgConnection,
    scope: &UnitScope,
    unit_id: Option<i64>,
) -> Result<Option<String>, ApiError> {
    match unit_id {
        Some(id) => Ok(Some(find_in_scope(conn, scope, id).await?.path)),
        None => Ok(None),
    }
}

type HonorRow = (i64, i64, String, i64, String, String, String, i32, String, chrono::DateTime<Utc>);

fn honor_view(r: HonorRow) -> HonorView {
    let (id, member_id, member_name, unit_id, title, category, level, year, issuer, created_at) = r;
    HonorView {
        id,
        member_id,
        member_name,
        unit_id,
        title,
        category: HonorCategory::parse(&category).unwrap_or(HonorCategory::Other),
        level: HonorLevel::parse(&level).unwrap_or(HonorLevel::School),
        year,
        issuer,
        created_at,
    }
}

macro_rules! honor_select {
    () => {
        (
            honors::id,
            honors::member_id,
            members::name,
            members::unit_id,
            honors::title,
            honors::category,
            honors::level,
            honors::year,
            honors::issuer,
            honors::created_at,
        )
    };
}

pub async fn list_honors(
    conn: &mut AsyncPgConnection,
    scope: &UnitScope,
    f: &HonorQuery,
    page: &PageParams,
) -> Result<(Vec<HonorView>, i64), ApiError> {
    let path = subtree_path(conn, scope, f.unit_id).await?;
    let query = || {
        let mut q = honors::table
            .inner_join(members::table.on(members::id.eq(honors::member_id)))
            .inner_join(units::table.on(units::id.eq(members::unit_id)))
            .into_boxed();
        if scope.like_patterns().is_some() {
            q = q.filter(members::unit_id.eq_any(boxed_in_scope(scope).select(units::id)));
        }
        if let Some(p) = &path {
            q = q.filter(units::path.like(format!("{p}%")));
        }
        if let Some(m) = f.member_id {
            q = q.filter(honors::member_id.eq(m));
        }
        if let Some(l) = f.level {
            q = q.filter(honors::level.eq(l.as_str()));
        }
        if let Some(c) = f.category {
            q = q.filter(honors::category.eq(c.as_str()));
        }
        if let Some(y) = f.year {
            q = q.filter(honors::year.eq(y));
        }
        q
    };
    let total: i64 = query().count().get_result(conn).await?;
    let rows: Vec<HonorRow> = query()
        .order((honors::year.desc(), honors::id.desc()))
        .limit(page.per_page())
        .offset(page.offset())
        .select(honor_select!())
        .load(conn)
        .await?;
    Ok((rows.into_iter().map(honor_view).collect(), total))
}

pub async fn get_honor(conn: &mut AsyncPgConnection, scope: &UnitScope, id: i64) -> Result<HonorView, ApiError> {
    let mut q = honors::table.inner_join(members::table.on(members::id.eq(honors::member_id))).into_boxed();
    if scope.like_patterns().is_some() {
        q = q.filter(members::unit_id.eq_any(boxed_in_scope(scope).select(units::id)));
    }
    let row: HonorRow = q.filter(honors::id.eq(id)).select(honor_select!()).first(conn).await?;
    Ok(honor_view(row))
}

pub async fn create_honor(
    conn: &mut AsyncPgConnection,
    scope: &UnitScope,
    input: &CreateHonor,
    actor: &Actor,
) -> Result<HonorView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        member_in_scope(conn, scope, input.member_id).await?;
        let id: i64 = diesel::insert_into(honors::table)
            .values((
                honors::member_id.eq(input.member_id),
                honors::title.eq(&input.title),
                honors::category.eq(input.category.as_str()),
                honors::level.eq(input.level.as_str()),
                honors::year.eq(input.year),
                honors::issuer.eq(&input.issuer),
            ))
            .returning(honors::id)
            .get_result(conn)
            .await?;
        let view = get_honor(conn, &UnitScope::All, id).await?;
        audit::record(conn, actor, "honor.create", "honor", id, audit::NONE, Some(&view)).await?;
        Ok(view)
    })
    .await
}

/// Removes an honor recorded by mistake; the audit row keeps what it was.
pub async fn delete_honor(
    conn: &mut AsyncPgConnection,
    scope: &UnitScope,
    id: i64,
    actor: &Actor,
) -> Result<(), ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = get_honor(conn, scope, id).await?;
        diesel::delete(honors::table.filter(honors::id.eq(id))).execute(conn).await?;
        audit::record(conn, actor, "honor.delete", "honor", id, Some(&before), audit::NONE).await?;
        Ok(())
    })
    .await
}

type DuesRow = (i64, i64, String, i64, NaiveDate, Option<i64>, Option<i32>, i64, NaiveDate, chrono::DateTime<Utc>);

fn dues_view(r: DuesRow) -> DuesView {
    let (id, member_id, member_name, unit_id, period, base_salary_fen, rate_bp, amount_fen, paid_on, created_at) = r;
    DuesView {
        id,
        member_id,
        member_name,
        unit_id,
        period: rules::format_period(period),
        base_salary_fen,
        rate_bp,
        amount_fen,
        paid_on,
        created_at,
    }
}

macro_rules! dues_select {
    () => {
        (
            dues::id,
            dues::member_id,
            members::name,
            members::unit_id,
            dues::period,
            dues::base_salary_fen,
            dues::rate_bp,
            dues::amount_fen,
            dues::paid_on,
            dues::created_at,
        )
    };
}

pub async fn list_dues(
    conn: &mut AsyncPgConnection,
    scope: &UnitScope,
    f: &DuesQuery,
    page: &PageParams,
) -> Result<(Vec<DuesView>, i64), ApiError> {
    let path = subtree_path(conn, scope, f.unit_id).await?;
    let from = f.from.as_deref().and_then(rules::parse_period);
    let to = f.to.as_deref().and_then(rules::parse_period);
    let query = || {
        let mut q = dues::table
            .inner_join(members::table.on(members::id.eq(dues::member_id)))
            .inner_join(units::table.on(units::id.eq(members::unit_id)))
            .into_boxed();
        if scope.like_patterns().is_some() {
            q = q.filter(members::unit_id.eq_any(boxed_in_scope(scope).select(units::id)));
        }
        if let Some(p) = &path {
            q = q.filter(units::path.like(format!("{p}%")));
        }
        if let Some(m) = f.member_id {
            q = q.filter(dues::member_id.eq(m));
        }
        if let Some(d) = from {
            q = q.filter(dues::period.ge(d));
        }
        if let Some(d) = to {
            q = q.filter(dues::period.le(d));
        }
        q
    };
    let total: i64 = query().count().get_result(conn).await?;
    let rows: Vec<DuesRow> = query()
        .order((dues::period.desc(), dues::id.desc()))
        .limit(page.per_page())
        .offset(page.offset())
        .select(dues_select!())
        .load(conn)
        .await?;
    Ok((rows.into_iter().map(dues_view).collect(), total))
}

/// (amount, rate applied): the given amount, or the base salary at the rate in force.
pub fn resolve_dues_amount(input: &CreateDues, period: NaiveDate) -> Result<(i64, Option<i32>), ApiError> {
    match (input.amount_fen, input.base_salary_fen) {
        (Some(amount), _) => Ok((amount, None)),
        (None, Some(base)) => {
            let rate = rules::dues_rate_for(period).ok_or_else(|| ApiError::invalid("period", "invalid_month"))?;
            Ok((rules::dues_amount_fen(base, rate.rate_bp), Some(rate.rate_bp)))
        }
        (None, None) => Err(ApiError::invalid("amount_fen", "required")),
    }
}

pub async fn create_dues(
    conn: &mut AsyncPgConnection,
    scope: &UnitScope,
    input: &CreateDues,
    actor: &Actor,
) -> Result<DuesView, ApiError> {
    let period = rules::parse_period(&input.period).ok_or_else(|| ApiError::invalid("period", "invalid_month"))?;
    let (amount, rate_bp) = resolve_dues_amount(input, period)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        member_in_scope(conn, scope, input.member_id).await?;
        let id: i64 = diesel::insert_into(dues::table)
            .values((
                dues::member_id.eq(input.member_id),
                dues::period.eq(period),
                dues::base_salary_fen.eq(input.base_salary_fen),
                dues::rate_bp.eq(rate_bp),
                dues::amount_fen.eq(amount),
                dues::paid_on.eq(input.paid_on),
                dues::created_by.eq(actor.user_id),
            ))
            .returning(dues::id)
            .get_result(conn)
            .await?;
        let row: DuesRow = dues::table
            .inner_join(members::table.on(members::id.eq(dues::member_id)))
            .filter(dues::id.eq(id))
            .select(dues_select!())
            .first(conn)
            .await?;
        let view = dues_view(row);
        audit::record(conn, actor, "dues.create", "dues", id, audit::NONE, Some(&view)).await?;
        Ok(view)
    })
    .await
}
