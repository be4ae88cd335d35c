//! Queries on administrative accounts and their role grants.

use chrono::Utc;
use diesel::{
    BoolExpressionMethods, ExpressionMethods, JoinOnDsl, NullableExpressionMethods, OptionalExtension, QueryDsl,
    TextExpressionMethods,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::audit::{self, Actor};
use crate::auth::dto::{CreateUser, GrantInput, GrantView, UpdateUser, UserStatus, UserView};
use crate::auth::permissions::Role;
use crate::auth::sessions;
use crate::error::{ApiError, FieldIssue};
use crate::http::pagination::PageParams;
use crate::kernel::ids::UserId;
use crate::kernel::sql::escape_like;
use crate::schema::{members, role_grants, units, users};

type UserRow = (i64, String, String, Option<i64>, UserStatus, i32, chrono::DateTime<Utc>, chrono::DateTime<Utc>);

fn user_columns() -> (
    users::id,
    users::username,
    users::display_name,
    users::member_id,
    users::status,
    users::version,
    users::created_at,
    users::updated_at,
) {
    (
        users::id,
        users::username,
        users::display_name,
        users::member_id,
        users::status,
        users::version,
        users::created_at,
        users::updated_at,
    )
}

async fn grants_of(conn: &mut AsyncPgConnection, user_ids: &[i64]) -> Result<Vec<(i64, GrantView)>, ApiError> {
    type GrantRow = (i64, i64, Role, Option<i64>, Option<String>);
    let rows: Vec<GrantRow> = role_grants::table
        .left_join(units::table.on(units::id.nullable().eq(role_grants::unit_id)))
        .filter(role_grants::user_id.eq_any(user_ids))
        .order(role_grants::id)
        .select((
            role_grants::user_id,
            role_grants::id,
            role_grants::role,
            role_grants::unit_id,
            units::name.nullable(),
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, id, role, unit_id, unit_name)| (user_id, GrantView { id, role, unit_id, unit_name }))
        .collect())
}

fn to_view(row: UserRow, grants: &[(i64, GrantView)]) -> UserView {
    let (id, username, display_name, member_id, status, version, created_at, updated_at) = row;
    UserView {
        id,
        username,
        display_name,
        member_id,
        status,
        grants: grants.iter().filter(|(u, _)| *u == id).map(|(_, g)| g.clone()).collect(),
        version,
        created_at,
        updated_at,
    }
}

pub async fn get(conn: &mut AsyncPgConnection, id: i64) -> Result<UserView, ApiError> {
    let row: UserRow = users::table
        .filter(users::id.eq(id))
        .filter(users::status.ne("deleted"))
        .select(user_columns())
        .first(conn)
        .await?;
    let grants = grants_of(conn, &[id]).await?;
    Ok(to_view(row, &grants))
}

pub struct UserFilter {
    pub q: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    filter: &UserFilter,
    page: &PageParams,
) -> Result<(Vec<UserView>, i64), ApiError> {
    let query = || {
        let mut q = users::table.into_boxed();
        match filter.status {
            Some(s) => q = q.filter(users::status.eq(s.as_str())),
            None => q = q.filter(users::status.ne("deleted")),
        }
        if let Some(text) = &filter.q {
            let pattern = format!("%{}%", escape_like(text));
            q = q.filter(users::username.like(pattern.clone()).or(users::display_name.like(pattern)));
        }
        if let Some(role) = filter.role {
            let with_role = role_grants::table.filter(role_grants::role.eq(role.as_str())).select(role_grants::user_id);
            q = q.filter(users::id.eq_any(with_role));
        }
        q
    };
    let total: i64 = query().count().get_result(conn).await?;
    let rows: Vec<UserRow> =
        query().order(users::id).limit(page.per_page()).offset(page.offset()).select(user_columns()).load(conn).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let grants = grants_of(conn, &ids).await?;
    Ok((rows.into_iter().map(|r| to_view(r, &grants)).collect(), total))
}

/// What is wrong with a grant, if anything: a unit exactly when its role is unit-scoped,
/// and the unit must exist.
async fn grant_issue(
    conn: &mut AsyncPgConnection,
    g: &GrantInput,
    field: &str,
) -> Result<Option<FieldIssue>, ApiError> {
    let field = format!("{field}.unit_id");
    Ok(match (g.role.is_unit_scoped(), g.unit_id) {
        (true, None) => Some(FieldIssue::new(field, "required")),
        (false, Some(_)) => Some(
            FieldIssue::new(field, "invalid_unit_for_role").with("rule", "不需要组织").with("rule_en", "takes no unit"),
        ),
        (true, Some(unit_id)) => {
            let exists: Option<i64> =
                units::table.filter(units::id.eq(unit_id)).select(units::id).first(conn).await.optional()?;
            exists.is_none().then(|| FieldIssue::new(field, "unknown_unit").with("value", unit_id))
        }
        (false, None) => None,
    })
}

async fn check_grant(conn: &mut AsyncPgConnection, g: &GrantInput, field: &str) -> Result<(), ApiError> {
    match grant_issue(conn, g, field).await? {
        Some(issue) => Err(ApiError::Validation(vec![issue])),
        None => Ok(()),
    }
}

async fn insert_grant(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    g: &GrantInput,
    actor: &Actor,
) -> Result<i64, ApiError> {
    let id: i64 = diesel::insert_into(role_grants::table)
        .values((
            role_grants::user_id.eq(user_id),
            role_grants::role.eq(g.role.as_str()),
            role_grants::unit_id.eq(g.unit_id),
            role_grants::created_by.eq(actor.user_id),
        ))
        .returning(role_grants::id)
        .get_result(conn)
        .await?;
    audit::record(
        conn,
        actor,
        "role_grant.create",
        "role_grant",
        id,
        audit::NONE,
        Some(&serde_json::json!({
            "user_id": user_id, "role": g.role, "unit_id": g.unit_id
        })),
    )
    .await?;
    Ok(id)
}

/// Creates an account with its grants; `password_hash` is computed by the caller.
pub async fn create(
    conn: &mut AsyncPgConnection,
    input: &CreateUser,
    password_hash: String,
    actor: &Actor,
) -> Result<UserView, ApiError> {
    // Every problem at once, so that a form can mark all its fields in one round.
    let mut issues = Vec::new();
    for (i, g) in input.grants.iter().enumerate() {
        issues.extend(grant_issue(conn, g, &format!("grants[{i}]")).await?);
    }
    if let Some(member_id) = input.member_id {
        let exists: Option<i64> =
            members::table.filter(members::id.eq(member_id)).select(members::id).first(conn).await.optional()?;
        if exists.is_none() {
            issues.push(FieldIssue::new("member_id", "unknown_member").with("value", member_id));
        }
    }
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    conn.transaction::<_, ApiError, _>(async |conn| {
        let id: i64 = diesel::insert_into(users::table)
            .values((
                users::username.eq(&input.username),
                users::display_name.eq(&input.display_name),
                users::password_hash.eq(&password_hash),
                users::member_id.eq(input.member_id),
            ))
            .returning(users::id)
            .get_result(conn)
            .await?;
        for g in &input.grants {
            insert_grant(conn, id, g, actor).await?;
        }
        let view = get(conn, id).await?;
        audit::record(conn, actor, "user.create", "user", id, audit::NONE, Some(&view)).await?;
        Ok(view)
    })
    .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: i64,
    input: &UpdateUser,
    password_hash: Option<String>,
    if_match: crate::http::etag::IfMatch,
    actor: &Actor,
) -> Result<UserView, ApiError> {
    if actor.user_id == Some(UserId(id)) && input.status == Some(UserStatus::Disabled) {
        return Err(ApiError::Conflict("cannot_change_own_account"));
    }
    if input.status == Some(UserStatus::Deleted) {
        return Err(ApiError::Validation(vec![
            FieldIssue::new("status", "invalid_choice").with("choices", "active, disabled"),
        ]));
    }
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = get(conn, id).await?;
        if_match.check(before.version)?;
        diesel::update(users::table.filter(users::id.eq(id)))
            .set((
                input.display_name.as_ref().map(|d| users::display_name.eq(d)),
                input.status.map(|s| users::status.eq(s.as_str())),
                password_hash.as_ref().map(|h| users::password_hash.eq(h)),
                users::version.eq(before.version + 1),
                users::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        if input.status == Some(UserStatus::Disabled) || password_hash.is_some() {
            sessions::revoke_all_for_user(conn, id).await?;
        }
        let after = get(conn, id).await?;
        audit::record(conn, actor, "user.update", "user", id, Some(&before), Some(&after)).await?;
        Ok(after)
    })
    .await
}

/// Soft delete: the row stays for the audit trail; tokens stop working at once.
pub async fn delete(conn: &mut AsyncPgConnection, id: i64, actor: &Actor) -> Result<(), ApiError> {
    if actor.user_id == Some(UserId(id)) {
        return Err(ApiError::Conflict("cannot_change_own_account"));
    }
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = get(conn, id).await?;
        diesel::update(users::table.filter(users::id.eq(id)))
            .set((users::status.eq("deleted"), users::version.eq(before.version + 1), users::updated_at.eq(Utc::now())))
            .execute(conn)
            .await?;
        sessions::revoke_all_for_user(conn, id).await?;
        audit::record(conn, actor, "user.delete", "user", id, Some(&before), audit::NONE).await?;
        Ok(())
    })
    .await
}

pub async fn add_grant(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    g: &GrantInput,
    actor: &Actor,
) -> Result<UserView, ApiError> {
    get(conn, user_id).await?;
    check_grant(conn, g, "").await.map_err(|e| match e {
        ApiError::Validation(issues) => ApiError::Validation(
            issues
                .into_iter()
                .map(|mut i| {
                    i.field = i.field.trim_start_matches('.').to_owned();
                    i
                })
                .collect(),
        ),
        other => other,
    })?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        insert_grant(conn, user_id, g, actor).await?;
        get(conn, user_id).await
    })
    .await
}

pub async fn remove_grant(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    grant_id: i64,
    actor: &Actor,
) -> Result<(), ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        // A deleted account is gone for every route, its grants included.
        get(conn, user_id).await?;
        let target = role_grants::table.filter(role_grants::id.eq(grant_id)).filter(role_grants::user_id.eq(user_id));
        let (role, unit_id): (String, Option<i64>) =
            target.select((role_grants::role, role_grants::unit_id)).first(conn).await?;
        diesel::delete(target).execute(conn).await?;
        audit::record(
            conn,
            actor,
            "role_grant.delete",
            "role_grant",
            grant_id,
            Some(&serde_json::json!({
                "user_id": user_id, "role": role, "unit_id": unit_id
            })),
            audit::NONE,
        )
        .await?;
        Ok(())
    })
    .await
}

/// (id, password hash, status) of a login name.
pub async fn credentials(
    conn: &mut AsyncPgConnection,
    username: &str,
) -> Result<Option<(i64, Option<String>, String)>, ApiError> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select((users::id, users::password_hash, users::status))
        .first(conn)
        .await
        .optional()?)
}

/// Creates or resets an administrator with the given roles (CLI: `create-admin`, `seed-demo`).
pub async fn ensure_admin(
    conn: &mut AsyncPgConnection,
    username: &str,
    display_name: &str,
    password_hash: &str,
    roles: &[Role],
    actor: &Actor,
) -> Result<i64, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let existing: Option<i64> =
            users::table.filter(users::username.eq(username)).select(users::id).first(conn).await.optional()?;
        let id = match existing {
            Some(id) => {
                diesel::update(users::table.filter(users::id.eq(id)))
                    .set((
                        users::password_hash.eq(password_hash),
                        users::status.eq("active"),
                        users::updated_at.eq(Utc::now()),
                    ))
                    .execute(conn)
                    .await?;
                sessions::revoke_all_for_user(conn, id).await?;
                audit::record(conn, actor, "user.reset_password", "user", id, audit::NONE, audit::NONE).await?;
                id
            }
            None => {
                let id: i64 = diesel::insert_into(users::table)
                    .values((
                        users::username.eq(username),
                        users::display_name.eq(display_name),
                        users::password_hash.eq(password_hash),
                    ))
                    .returning(users::id)
                    .get_result(conn)
                    .await?;
                audit::record(
                    conn,
                    actor,
                    "user.create",
                    "user",
                    id,
                    audit::NONE,
                    Some(&serde_json::json!({
                        "username": username, "roles": roles
                    })),
                )
                .await?;
                id
            }
        };
        for role in roles {
            diesel::insert_into(role_grants::table)
                .values((role_grants::user_id.eq(id), role_grants::role.eq(role.as_str())))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
        }
        Ok(id)
    })
    .await
}
