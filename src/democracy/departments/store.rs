//! Queries on handling departments and their handler accounts. Every change writes its
//! audit row in the same transaction.

use chrono::{DateTime, Utc};
use diesel::expression_methods::PgTextExpressionMethods;
use diesel::pg::Pg;
use diesel::{
    BoolExpressionMethods, ExpressionMethods, JoinOnDsl, OptionalExtension, QueryDsl, Queryable, Selectable,
    SelectableHelper, TextExpressionMethods,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::audit::{self, Actor};
use crate::auth::permissions::{Authorized, Caller, Proof};
use crate::democracy::departments::dto::{
    CreateDepartment, DepartmentQuery, DepartmentView, HandledDepartment, HandlerView, UpdateDepartment,
};
use crate::error::{ApiError, FieldIssue};
use crate::http::etag::IfMatch;
use crate::http::pagination::PageParams;
use crate::kernel::sql::escape_like;
use crate::schema::{department_handlers, departments, role_grants, users};

#[derive(Queryable, Selectable)]
#[diesel(table_name = departments, check_for_backend(Pg))]
struct DepartmentRow {
    id: i64,
    name: String,
    code: Option<String>,
    active: bool,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn view(r: DepartmentRow) -> DepartmentView {
    let DepartmentRow { id, name, code, active, version, created_at, updated_at } = r;
    DepartmentView { id, name, code, active, handlers: None, version, created_at, updated_at }
}

#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &mut AsyncPgConnection,
    _me: &Caller,
    filter: &DepartmentQuery,
    page: &PageParams,
) -> Result<(Vec<DepartmentView>, i64), ApiError> {
    let query = || {
        let mut q = departments::table.into_boxed();
        if let Some(text) = &filter.q {
            let pattern = format!("%{}%", escape_like(text));
            q = q.filter(departments::name.like(pattern.clone()).or(departments::code.ilike(pattern)));
        }
        if let Some(active) = filter.active {
            q = q.filter(departments::active.eq(active));
        }
        q
    };
    let total: i64 = query().count().get_result(conn).await?;
    let rows: Vec<DepartmentRow> = query()
        .order((departments::name.asc(), departments::id.asc()))
        .limit(page.per_page())
        .offset(page.offset())
        .select(DepartmentRow::as_select())
        .load(conn)
        .await?;
    Ok((rows.into_iter().map(view).collect(), total))
}

/// The department, with its handler accounts when `with_handlers`.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn get(
    conn: &mut AsyncPgConnection,
    _me: &Caller,
    id: i64,
    with_handlers: bool,
) -> Result<DepartmentView, ApiError> {
    read(conn, id, with_handlers).await
}

async fn read(conn: &mut AsyncPgConnection, id: i64, with_handlers: bool) -> Result<DepartmentView, ApiError> {
    let row: DepartmentRow =
        departments::table.filter(departments::id.eq(id)).select(DepartmentRow::as_select()).first(conn).await?;
    let mut department = view(row);
    if with_handlers {
        department.handlers = Some(handlers_of(conn, id, None).await?.0);
    }
    Ok(department)
}

/// (name, active) of a department, for the parts that refer to one.
async fn name_and_state(conn: &mut AsyncPgConnection, id: i64) -> Result<Option<(String, bool)>, ApiError> {
    Ok(departments::table
        .filter(departments::id.eq(id))
        .select((departments::name, departments::active))
        .first(conn)
        .await
        .optional()?)
}

/// 422 `<field>` `unknown_department` / `department_inactive` unless the department exists
/// and is active.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn ensure_active(
    conn: &mut AsyncPgConnection,
    _proof: &impl Proof,
    field: &str,
    id: i64,
) -> Result<(), ApiError> {
    match name_and_state(conn, id).await? {
        Some((_, true)) => Ok(()),
        Some((_, false)) => {
            Err(ApiError::Validation(vec![FieldIssue::new(field, "department_inactive").with("value", id)]))
        }
        None => Err(ApiError::Validation(vec![FieldIssue::new(field, "unknown_department").with("value", id)])),
    }
}

type HandlerRow = (i64, String, String, DateTime<Utc>);

/// Handler accounts of a department (not deleted), by username; all of them without `page`.
async fn handlers_of(
    conn: &mut AsyncPgConnection,
    id: i64,
    page: Option<&PageParams>,
) -> Result<(Vec<HandlerView>, i64), ApiError> {
    let query = || {
        department_handlers::table
            .inner_join(users::table)
            .filter(department_handlers::department_id.eq(id))
            .filter(users::status.ne("deleted"))
            .into_boxed()
    };
    let total: i64 = query().count().get_result(conn).await?;
    let mut q = query().order((users::username.asc(), users::id.asc())).select((
        users::id,
        users::username,
        users::display_name,
        department_handlers::created_at,
    ));
    if let Some(page) = page {
        q = q.limit(page.per_page()).offset(page.offset());
    }
    let rows: Vec<HandlerRow> = q.load(conn).await?;
    let items = rows
        .into_iter()
        .map(|(user_id, username, display_name, since)| HandlerView { user_id, username, display_name, since })
        .collect();
    Ok((items, total))
}

/// A page of the department's handler accounts (404 for an unknown department).
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn handlers(
    conn: &mut AsyncPgConnection,
    _auth: &Authorized,
    id: i64,
    page: &PageParams,
) -> Result<(Vec<HandlerView>, i64), ApiError> {
    let _: i64 = departments::table.filter(departments::id.eq(id)).select(departments::id).first(conn).await?;
    handlers_of(conn, id, Some(page)).await
}

#[tracing::instrument(skip_all)]
pub async fn create(
    conn: &mut AsyncPgConnection,
    _auth: &Authorized,
    input: &CreateDepartment,
    actor: &Actor,
) -> Result<DepartmentView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let id: i64 = diesel::insert_into(departments::table)
            .values((departments::name.eq(&input.name), departments::code.eq(&input.code)))
            .returning(departments::id)
            .get_result(conn)
            .await?;
        let after = read(conn, id, false).await?;
        audit::record(conn, actor, "department.create", "department", id, audit::NONE, Some(&after)).await?;
        Ok(after)
    })
    .await
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn update(
    conn: &mut AsyncPgConnection,
    _auth: &Authorized,
    id: i64,
    input: &UpdateDepartment,
    if_match: IfMatch,
    actor: &Actor,
) -> Result<DepartmentView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        departments::table
            .filter(departments::id.eq(id))
            .select(departments::id)
            .for_update()
            .first::<i64>(conn)
            .await?;
        let before = read(conn, id, false).await?;
        if_match.check(before.version)?;
        diesel::update(departments::table.filter(departments::id.eq(id)))
            .set((
                input.name.as_ref().map(|n| departments::name.eq(n)),
                input.code.as_ref().map(|c| departments::code.eq(c)),
                input.active.map(|a| departments::active.eq(a)),
                departments::version.eq(before.version + 1),
                departments::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        let after = read(conn, id, false).await?;
        audit::record(conn, actor, "department.update", "department", id, Some(&before), Some(&after)).await?;
        Ok(after)
    })
    .await
}

/// Whether the account exists (not deleted) and holds the role `handler`.
async fn is_handler_account(conn: &mut AsyncPgConnection, user_id: i64) -> Result<bool, ApiError> {
    let n: i64 = role_grants::table
        .inner_join(users::table.on(users::id.eq(role_grants::user_id)))
        .filter(role_grants::user_id.eq(user_id))
        .filter(role_grants::role.eq("handler"))
        .filter(users::status.ne("deleted"))
        .count()
        .get_result(conn)
        .await?;
    Ok(n > 0)
}

/// Adds a handler account: 404 unknown department, 422 `user_id` `not_a_handler`, 409
/// `already_handler`.
#[tracing::instrument(skip_all, fields(id = id, user_id = user_id))]
pub async fn add_handler(
    conn: &mut AsyncPgConnection,
    _auth: &Authorized,
    id: i64,
    user_id: i64,
    actor: &Actor,
) -> Result<HandlerView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let _: i64 = departments::table.filter(departments::id.eq(id)).select(departments::id).first(conn).await?;
        if !is_handler_account(conn, user_id).await? {
            return Err(ApiError::Validation(vec![FieldIssue::new("user_id", "not_a_handler").with("value", user_id)]));
        }
        diesel::insert_into(department_handlers::table)
            .values((department_handlers::department_id.eq(id), department_handlers::user_id.eq(user_id)))
            .execute(conn)
            .await?;
        let (user_id, username, display_name, since): HandlerRow = department_handlers::table
            .inner_join(users::table)
            .filter(department_handlers::department_id.eq(id))
            .filter(department_handlers::user_id.eq(user_id))
            .select((users::id, users::username, users::display_name, department_handlers::created_at))
            .first(conn)
            .await?;
        let after = serde_json::json!({ "department_id": id, "user_id": user_id });
        audit::record(conn, actor, "department.handler_add", "department", id, audit::NONE, Some(&after)).await?;
        Ok(HandlerView { user_id, username, display_name, since })
    })
    .await
}

/// Removes a handler account (404 when it is not one of this department's).
#[tracing::instrument(skip_all, fields(id = id, user_id = user_id))]
pub async fn remove_handler(
    conn: &mut AsyncPgConnection,
    _auth: &Authorized,
    id: i64,
    user_id: i64,
    actor: &Actor,
) -> Result<(), ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let removed = diesel::delete(
            department_handlers::table
                .filter(department_handlers::department_id.eq(id))
                .filter(department_handlers::user_id.eq(user_id)),
        )
        .execute(conn)
        .await?;
        if removed == 0 {
            return Err(ApiError::NotFound);
        }
        let before = serde_json::json!({ "department_id": id, "user_id": user_id });
        audit::record(conn, actor, "department.handler_remove", "department", id, Some(&before), audit::NONE).await?;
        Ok(())
    })
    .await
}

/// The departments `user_id` handles proposals for, by name.
#[tracing::instrument(skip_all)]
pub async fn handled_by(conn: &mut AsyncPgConnection, me: &Caller) -> Result<Vec<HandledDepartment>, ApiError> {
    let Some(user_id) = me.user_id() else { return Ok(Vec::new()) };
    let rows: Vec<(i64, String, bool)> = departments::table
        .inner_join(department_handlers::table.on(department_handlers::department_id.eq(departments::id)))
        .filter(department_handlers::user_id.eq(user_id))
        .select((departments::id, departments::name, departments::active))
        .order(departments::name.asc())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, name, active)| HandledDepartment { id, name, active }).collect())
}
