//! Queries on honors.

use chrono::Utc;
use diesel::pg::Pg;
use diesel::{ExpressionMethods, JoinOnDsl, QueryDsl, Queryable, Selectable, SelectableHelper, TextExpressionMethods};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::dto::{CreateHonor, HonorQuery, HonorView};
use crate::audit::{self, Actor};
use crate::auth::permissions::Authorized;
use crate::error::ApiError;
use crate::http::pagination::PageParams;
use crate::membership::members::store::member_in_scope;
use crate::membership::types::{HonorCategory, HonorLevel};
use crate::membership::units::store::boxed_in_scope;
use crate::membership::units::store::subtree_path;
use crate::schema::{honors, members, units};

/// An honor with its holder's name and unit.
#[derive(Queryable, Selectable)]
#[diesel(table_name = honors, check_for_backend(Pg))]
struct HonorRow {
    id: i64,
    member_id: i64,
    #[diesel(select_expression = members::name, select_expression_type = members::name)]
    member_name: String,
    #[diesel(select_expression = members::unit_id, select_expression_type = members::unit_id)]
    unit_id: i64,
    title: String,
    category: HonorCategory,
    level: HonorLevel,
    year: i32,
    issuer: String,
    created_at: chrono::DateTime<Utc>,
}

fn honor_view(r: HonorRow) -> HonorView {
    let HonorRow { id, member_id, member_name, unit_id, title, category, level, year, issuer, created_at } = r;
    HonorView { id, member_id, member_name, unit_id, title, category, level, year, issuer, created_at }
}

#[tracing::instrument(skip_all)]
pub async fn list_honors(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    f: &HonorQuery,
    page: &PageParams,
) -> Result<(Vec<HonorView>, i64), ApiError> {
    let scope = auth.scope();
    let path = subtree_path(conn, auth, f.unit_id).await?;
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
        .select(HonorRow::as_select())
        .load(conn)
        .await?;
    Ok((rows.into_iter().map(honor_view).collect(), total))
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn get_honor(conn: &mut AsyncPgConnection, auth: &Authorized, id: i64) -> Result<HonorView, ApiError> {
    let scope = auth.scope();
    let mut q = honors::table.inner_join(members::table.on(members::id.eq(honors::member_id))).into_boxed();
    if scope.like_patterns().is_some() {
        q = q.filter(members::unit_id.eq_any(boxed_in_scope(scope).select(units::id)));
    }
    let row: HonorRow = q.filter(honors::id.eq(id)).select(HonorRow::as_select()).first(conn).await?;
    Ok(honor_view(row))
}

#[tracing::instrument(skip_all)]
pub async fn create_honor(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    input: &CreateHonor,
    actor: &Actor,
) -> Result<HonorView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        member_in_scope(conn, auth, input.member_id).await?;
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
        let view = get_honor(conn, auth, id).await?;
        audit::record(conn, actor, "honor.create", "honor", id, audit::NONE, Some(&view)).await?;
        Ok(view)
    })
    .await
}

/// Removes an honor recorded by mistake; the audit row keeps what it was.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn delete_honor(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    id: i64,
    actor: &Actor,
) -> Result<(), ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = get_honor(conn, auth, id).await?;
        diesel::delete(honors::table.filter(honors::id.eq(id))).execute(conn).await?;
        audit::record(conn, actor, "honor.delete", "honor", id, Some(&before), audit::NONE).await?;
        Ok(())
    })
    .await
}
