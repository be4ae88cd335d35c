//! Queries on the unit tree. Every read is filtered by the caller's unit scope; a unit
//! outside it is "not found".

use std::collections::HashMap;

use chrono::Utc;
use diesel::dsl::count_star;
use diesel::pg::Pg;
use diesel::{ExpressionMethods, QueryDsl, Queryable, Selectable, SelectableHelper, TextExpressionMethods};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::audit::{self, Actor};
use crate::auth::permissions::{Authorized, UnitScope};
use crate::error::{ApiError, FieldIssue};
use crate::http::etag::IfMatch;
use crate::http::pagination::PageParams;
use crate::kernel::sql::escape_like;
use crate::membership::error::MembershipError;
use crate::membership::types::UnitKind;
use crate::membership::units::dto::{CreateUnit, UnitNode, UnitView, UpdateUnit};
use crate::schema::{members, units};

#[derive(Queryable, Selectable)]
#[diesel(table_name = units, check_for_backend(Pg))]
struct UnitRow {
    id: i64,
    name: String,
    code: Option<String>,
    kind: UnitKind,
    parent_id: Option<i64>,
    path: String,
    sort_order: i32,
    version: i32,
    created_at: chrono::DateTime<Utc>,
    updated_at: chrono::DateTime<Utc>,
}

/// A unit row with its path, for scope checks and moves.
#[derive(Debug, Clone)]
pub struct UnitRef {
    pub id: i64,
    pub name: String,
    pub kind: UnitKind,
    pub path: String,
}

/// Units inside `scope` (a `path LIKE ANY(patterns)` filter for scoped callers).
pub fn boxed_in_scope(scope: &UnitScope) -> units::BoxedQuery<'static, diesel::pg::Pg> {
    let mut q = units::table.into_boxed();
    if let Some(patterns) = scope.like_patterns() {
        q = q.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("units.path LIKE ANY(")
                .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(patterns)
                .sql(")"),
        );
    }
    q
}

/// Active members per unit (not rolled up), for subtree counts.
async fn active_counts(conn: &mut AsyncPgConnection) -> Result<HashMap<i64, i64>, ApiError> {
    let rows: Vec<(i64, i64)> = members::table
        .filter(members::status.eq("active"))
        .group_by(members::unit_id)
        .select((members::unit_id, count_star()))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// All (id, path) pairs, to roll member counts up the tree.
async fn all_paths(conn: &mut AsyncPgConnection) -> Result<Vec<(i64, String)>, ApiError> {
    Ok(units::table.select((units::id, units::path)).load(conn).await?)
}

fn subtree_count(path: &str, paths: &[(i64, String)], counts: &HashMap<i64, i64>) -> i64 {
    paths.iter().filter(|(_, p)| p.starts_with(path)).map(|(id, _)| counts.get(id).copied().unwrap_or(0)).sum()
}

async fn to_views(conn: &mut AsyncPgConnection, rows: Vec<UnitRow>) -> Result<Vec<UnitView>, ApiError> {
    let counts = active_counts(conn).await?;
    let paths = all_paths(conn).await?;
    Ok(rows
        .into_iter()
        .map(|r| UnitView {
            member_count: subtree_count(&r.path, &paths, &counts),
            id: r.id,
            name: r.name,
            code: r.code,
            kind: r.kind,
            parent_id: r.parent_id,
            sort_order: r.sort_order,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// The unit if it exists and lies inside `scope` (otherwise not found).
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn find_in_scope(conn: &mut AsyncPgConnection, auth: &Authorized, id: i64) -> Result<UnitRef, ApiError> {
    let scope = auth.scope();
    let (id, name, kind, path): (i64, String, UnitKind, String) = boxed_in_scope(scope)
        .filter(units::id.eq(id))
        .select((units::id, units::name, units::kind, units::path))
        .first(conn)
        .await?;
    Ok(UnitRef { id, name, kind, path })
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn get(conn: &mut AsyncPgConnection, auth: &Authorized, id: i64) -> Result<UnitView, ApiError> {
    let scope = auth.scope();
    let row: UnitRow = boxed_in_scope(scope).filter(units::id.eq(id)).select(UnitRow::as_select()).first(conn).await?;
    to_views(conn, vec![row]).await?.pop().ok_or(ApiError::NotFound)
}

pub struct UnitFilter {
    pub parent_id: Option<i64>,
    pub kind: Option<UnitKind>,
    pub q: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    filter: &UnitFilter,
    page: &PageParams,
) -> Result<(Vec<UnitView>, i64), ApiError> {
    let scope = auth.scope();
    let query = || {
        let mut q = boxed_in_scope(scope);
        if let Some(parent) = filter.parent_id {
            q = q.filter(units::parent_id.eq(parent));
        }
        if let Some(kind) = filter.kind {
            q = q.filter(units::kind.eq(kind.as_str()));
        }
        if let Some(text) = &filter.q {
            q = q.filter(units::name.like(format!("%{}%", escape_like(text))));
        }
        q
    };
    let total: i64 = query().count().get_result(conn).await?;
    let rows: Vec<UnitRow> = query()
        .order((units::path.asc(), units::sort_order.asc()))
        .limit(page.per_page())
        .offset(page.offset())
        .select(UnitRow::as_select())
        .load(conn)
        .await?;
    Ok((to_views(conn, rows).await?, total))
}

/// The units in scope as a forest: roots are those whose parent is outside the scope.
#[tracing::instrument(skip_all)]
pub async fn tree(conn: &mut AsyncPgConnection, auth: &Authorized) -> Result<Vec<UnitNode>, ApiError> {
    let scope = auth.scope();
    let rows: Vec<UnitRow> = boxed_in_scope(scope)
        .order((units::sort_order.asc(), units::id.asc()))
        .select(UnitRow::as_select())
        .load(conn)
        .await?;
    let views = to_views(conn, rows).await?;
    Ok(build_forest(views))
}

fn build_forest(views: Vec<UnitView>) -> Vec<UnitNode> {
    let ids: std::collections::HashSet<i64> = views.iter().map(|v| v.id).collect();
    let mut children: HashMap<i64, Vec<UnitView>> = HashMap::new();
    let mut roots = Vec::new();
    for v in views {
        match v.parent_id.filter(|p| ids.contains(p)) {
            Some(parent) => children.entry(parent).or_default().push(v),
            None => roots.push(v),
        }
    }
    fn attach(unit: UnitView, children: &mut HashMap<i64, Vec<UnitView>>) -> UnitNode {
        let kids = children.remove(&unit.id).unwrap_or_default();
        UnitNode { children: kids.into_iter().map(|k| attach(k, children)).collect(), unit }
    }
    roots.into_iter().map(|r| attach(r, &mut children)).collect()
}

fn unknown_parent(id: i64) -> ApiError {
    ApiError::Validation(vec![FieldIssue::new("parent_id", "unknown_unit").with("value", id)])
}

/// Creates a unit under a parent inside the caller's scope (the root only when none exists).
#[tracing::instrument(skip_all)]
pub async fn create(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    input: &CreateUnit,
    actor: &Actor,
) -> Result<UnitView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let parent = match (input.kind, input.parent_id) {
            (UnitKind::School, None) => None,
            (UnitKind::School, Some(_)) => return Err(MembershipError::UnitKindMisplaced.into()),
            (_, None) => return Err(ApiError::Validation(vec![FieldIssue::new("parent_id", "required")])),
            (kind, Some(pid)) => {
                let parent = find_in_scope(conn, auth, pid).await.map_err(|_| unknown_parent(pid))?;
                if !crate::membership::units::rules::kind_fits_under(kind, parent.kind) {
                    return Err(MembershipError::UnitKindMisplaced.into());
                }
                Some(parent)
            }
        };
        let id: i64 = diesel::insert_into(units::table)
            .values((
                units::name.eq(&input.name),
                units::code.eq(&input.code),
                units::kind.eq(input.kind.as_str()),
                units::parent_id.eq(parent.as_ref().map(|p| p.id)),
                units::sort_order.eq(input.sort_order),
            ))
            .returning(units::id)
            .get_result(conn)
            .await?;
        let path =
            crate::membership::units::rules::child_path(parent.as_ref().map(|p| p.path.as_str()).unwrap_or("/"), id);
        diesel::update(units::table.filter(units::id.eq(id))).set(units::path.eq(&path)).execute(conn).await?;
        let view = get(conn, auth, id).await?;
        audit::record(conn, actor, "unit.create", "unit", id, audit::NONE, Some(&view)).await?;
        Ok(view)
    })
    .await
}

/// Renames, re-codes, re-orders or moves a unit. Moves are serialised by a transaction-level
/// advisory lock so two concurrent moves can never build a cycle between them.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn update(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    id: i64,
    input: &UpdateUnit,
    if_match: IfMatch,
    actor: &Actor,
) -> Result<UnitView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        if input.parent_id.is_some() {
            diesel::sql_query("SELECT pg_advisory_xact_lock(7261001)").execute(conn).await?;
        }
        // Lock the row so that two updates with the same If-Match cannot both pass the check.
        units::table.filter(units::id.eq(id)).select(units::id).for_update().first::<i64>(conn).await?;
        let current = find_in_scope(conn, auth, id).await?;
        let before = get(conn, auth, id).await?;
        if_match.check(before.version)?;
        if let Some(new_parent_id) = input.parent_id.filter(|p| Some(*p) != before.parent_id) {
            if current.kind == UnitKind::School {
                return Err(MembershipError::UnitKindMisplaced.into());
            }
            let parent = find_in_scope(conn, auth, new_parent_id).await.map_err(|_| unknown_parent(new_parent_id))?;
            if crate::membership::units::rules::move_creates_cycle(&current.path, &parent.path) {
                return Err(MembershipError::UnitCycle.into());
            }
            if !crate::membership::units::rules::kind_fits_under(current.kind, parent.kind) {
                return Err(MembershipError::UnitKindMisplaced.into());
            }
            let new_path = crate::membership::units::rules::child_path(&parent.path, id);
            // Re-root the whole subtree: every path that starts with the old prefix.
            diesel::sql_query("UPDATE units SET path = $1 || substr(path, length($2) + 1) WHERE path LIKE $3")
                .bind::<diesel::sql_types::Text, _>(&new_path)
                .bind::<diesel::sql_types::Text, _>(&current.path)
                .bind::<diesel::sql_types::Text, _>(format!("{}%", escape_like(&current.path)))
                .execute(conn)
                .await?;
            diesel::update(units::table.filter(units::id.eq(id)))
                .set(units::parent_id.eq(new_parent_id))
                .execute(conn)
                .await?;
        }
        diesel::update(units::table.filter(units::id.eq(id)))
            .set((
                input.name.as_ref().map(|n| units::name.eq(n)),
                input.code.as_ref().map(|c| units::code.eq(c)),
                input.sort_order.map(|s| units::sort_order.eq(s)),
                units::version.eq(before.version + 1),
                units::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        let after = get(conn, auth, id).await?;
        audit::record(conn, actor, "unit.update", "unit", id, Some(&before), Some(&after)).await?;
        Ok(after)
    })
    .await
}

/// A subtree filter (`unit_id` with its descendants) within scope, as a path prefix.
pub(crate) async fn subtree_path(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    unit_id: Option<i64>,
) -> Result<Option<String>, ApiError> {
    match unit_id {
        Some(id) => Ok(Some(find_in_scope(conn, auth, id).await?.path)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: i64, parent: Option<i64>) -> UnitView {
        UnitView {
            id,
            name: format!("u{id}"),
            code: None,
            kind: UnitKind::Group,
            parent_id: parent,
            sort_order: 0,
            member_count: 0,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn forest_roots_are_units_whose_parent_is_out_of_scope() {
        let forest = build_forest(vec![view(5, Some(1)), view(7, Some(5)), view(8, Some(7)), view(9, Some(1))]);
        assert_eq!(forest.len(), 2);
        assert_eq!(forest[0].unit.id, 5);
        assert_eq!(forest[0].children[0].children[0].unit.id, 8);
    }

    #[test]
    fn subtree_counts_roll_up() {
        let paths =
            vec![(1, "/1/".to_owned()), (5, "/1/5/".to_owned()), (7, "/1/5/7/".to_owned()), (55, "/1/55/".to_owned())];
        let counts = HashMap::from([(1, 1), (5, 10), (7, 3), (55, 100)]);
        assert_eq!(subtree_count("/1/5/", &paths, &counts), 13);
        assert_eq!(subtree_count("/1/", &paths, &counts), 114);
    }
}
