//! Queries on dues payments.

use chrono::{NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::{ExpressionMethods, JoinOnDsl, QueryDsl, Queryable, Selectable, SelectableHelper, TextExpressionMethods};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::dto::{CreateDues, DuesQuery, DuesView};
use crate::audit::{self, Actor};
use crate::auth::permissions::Authorized;
use crate::error::ApiError;
use crate::http::pagination::PageParams;
use crate::membership::members::store::member_in_scope;
use crate::membership::units::store::boxed_in_scope;
use crate::membership::units::store::subtree_path;
use crate::schema::{dues, members, units};

/// A dues payment with its member's name and unit.
#[derive(Queryable, Selectable)]
#[diesel(table_name = dues, check_for_backend(Pg))]
struct DuesRow {
    id: i64,
    member_id: i64,
    #[diesel(select_expression = members::name, select_expression_type = members::name)]
    member_name: String,
    #[diesel(select_expression = members::unit_id, select_expression_type = members::unit_id)]
    unit_id: i64,
    period: NaiveDate,
    base_salary_fen: Option<i64>,
    rate_bp: Option<i32>,
    amount_fen: i64,
    paid_on: NaiveDate,
    created_at: chrono::DateTime<Utc>,
}

fn dues_view(r: DuesRow) -> DuesView {
    DuesView {
        id: r.id,
        member_id: r.member_id,
        member_name: r.member_name,
        unit_id: r.unit_id,
        period: crate::membership::dues::rules::format_period(r.period),
        base_salary_fen: r.base_salary_fen,
        rate_bp: r.rate_bp,
        amount_fen: r.amount_fen,
        paid_on: r.paid_on,
        created_at: r.created_at,
    }
}

#[tracing::instrument(skip_all)]
pub async fn list_dues(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    f: &DuesQuery,
    page: &PageParams,
) -> Result<(Vec<DuesView>, i64), ApiError> {
    let scope = auth.scope();
    let path = subtree_path(conn, auth, f.unit_id).await?;
    let from = f.from.as_deref().and_then(crate::membership::dues::rules::parse_period);
    let to = f.to.as_deref().and_then(crate::membership::dues::rules::parse_period);
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
        .select(DuesRow::as_select())
        .load(conn)
        .await?;
    Ok((rows.into_iter().map(dues_view).collect(), total))
}

/// (amount, rate applied): the given amount, or the base salary at the rate in force.
pub fn resolve_dues_amount(input: &CreateDues, period: NaiveDate) -> Result<(i64, Option<i32>), ApiError> {
    match (input.amount_fen, input.base_salary_fen) {
        (Some(amount), _) => Ok((amount, None)),
        (None, Some(base)) => {
            let rate = crate::membership::dues::rules::dues_rate_for(period)
                .ok_or_else(|| ApiError::invalid("period", "invalid_month"))?;
            Ok((crate::membership::dues::rules::dues_amount_fen(base, rate.rate_bp), Some(rate.rate_bp)))
        }
        (None, None) => Err(ApiError::invalid("amount_fen", "required")),
    }
}

#[tracing::instrument(skip_all)]
pub async fn create_dues(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    input: &CreateDues,
    actor: &Actor,
) -> Result<DuesView, ApiError> {
    let period = crate::membership::dues::rules::parse_period(&input.period)
        .ok_or_else(|| ApiError::invalid("period", "invalid_month"))?;
    let (amount, rate_bp) = resolve_dues_amount(input, period)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        member_in_scope(conn, auth, input.member_id).await?;
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
            .select(DuesRow::as_select())
            .first(conn)
            .await?;
        let view = dues_view(row);
        audit::record(conn, actor, "dues.create", "dues", id, audit::NONE, Some(&view)).await?;
        Ok(view)
    })
    .await
}
