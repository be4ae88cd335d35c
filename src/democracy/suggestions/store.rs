//! Queries on suggestions. Managers see every suggestion; a member sees their own; a
//! suggestion outside what the caller may see is "not found".

use chrono::{DateTime, Utc};
use diesel::expression_methods::PgTextExpressionMethods;
use diesel::pg::Pg;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use diesel::{
    BoolExpressionMethods, ExpressionMethods, NullableExpressionMethods, OptionalExtension, QueryDsl, Queryable,
    QueryableByName, Selectable, SelectableHelper, dsl,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::permissions::{Authorized, Caller, Permission, Proof, has_permission};
use crate::auth::principal::Principal;
use crate::democracy::departments::store as departments_store;
use crate::democracy::suggestions::dto::{
    CategoryView, CreateSuggestion, RespondSuggestion, SuggestionQuery, SuggestionStats, SuggestionView,
};
use crate::democracy::suggestions::rules;
use crate::democracy::suggestions::rules::suggestion_owner;
use crate::democracy::types::{SuggestionSource, SuggestionStatus};
use crate::error::{ApiError, FieldIssue};
use crate::http::etag::IfMatch;
use crate::http::pagination::PageParams;
use crate::kernel::ids::MemberId;
use crate::kernel::money::Bp;
use crate::kernel::sql::escape_like;
use crate::schema::{congresses, departments, members, suggestion_categories, suggestions};

/// Which suggestions the caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visibility {
    /// Suggestions managers: all of them.
    All,
    /// Everyone else: those of their member profile (none without one).
    OwnOf(Option<MemberId>),
}

/// The caller's standing on suggestions: the proof the suggestion store functions take,
/// made only by [`SuggestionAccess::of`].
#[derive(Debug, Clone, Copy)]
pub struct SuggestionAccess {
    reach: Visibility,
    member_id: Option<MemberId>,
}

impl Proof for SuggestionAccess {}

/// The managers' standing, for re-reading a suggestion inside a change they are authorized
/// for (`respond` takes `SuggestionsManage`).
const MANAGER: SuggestionAccess = SuggestionAccess { reach: Visibility::All, member_id: None };

impl SuggestionAccess {
    pub fn of(principal: &Principal) -> SuggestionAccess {
        let reach = if has_permission(principal, Permission::SuggestionsManage) {
            Visibility::All
        } else {
            Visibility::OwnOf(principal.member_id)
        };
        SuggestionAccess { reach, member_id: principal.member_id }
    }

    fn manages(&self) -> bool {
        self.reach == Visibility::All
    }
}

#[tracing::instrument(skip_all)]
pub async fn categories(conn: &mut AsyncPgConnection, _me: &Caller) -> Result<Vec<CategoryView>, ApiError> {
    category_rows(conn).await
}

async fn category_rows(conn: &mut AsyncPgConnection) -> Result<Vec<CategoryView>, ApiError> {
    let rows: Vec<(String, String, i32)> = suggestion_categories::table
        .order((suggestion_categories::sort_order.asc(), suggestion_categories::code.asc()))
        .select((suggestion_categories::code, suggestion_categories::name, suggestion_categories::sort_order))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(code, name, sort_order)| CategoryView { code, name, sort_order }).collect())
}

/// A suggestion with the names of its member, category and department.
#[derive(Queryable, Selectable)]
#[diesel(table_name = suggestions, check_for_backend(Pg))]
struct SuggestionRow {
    id: i64,
    congress_id: Option<i64>,
    member_id: Option<i64>,
    #[diesel(select_expression = members::name.nullable(), select_expression_type = dsl::Nullable<members::name>)]
    member_name: Option<String>,
    category: String,
    #[diesel(select_expression = suggestion_categories::name, select_expression_type = suggestion_categories::name)]
    category_name: String,
    title: String,
    content: String,
    source: SuggestionSource,
    from_proposal_id: Option<i64>,
    status: SuggestionStatus,
    department_id: Option<i64>,
    #[diesel(select_expression = departments::name.nullable(), select_expression_type = dsl::Nullable<departments::name>)]
    department_name: Option<String>,
    response: Option<String>,
    responded_at: Option<DateTime<Utc>>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn view(r: SuggestionRow) -> SuggestionView {
    SuggestionView {
        id: r.id,
        congress_id: r.congress_id,
        member_id: r.member_id,
        member_name: r.member_name,
        category: r.category,
        category_name: r.category_name,
        title: r.title,
        content: r.content,
        source: r.source,
        from_proposal_id: r.from_proposal_id,
        status: r.status,
        department_id: r.department_id,
        department_name: r.department_name,
        response: r.response,
        responded_at: r.responded_at,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// Suggestions with their category, member and department (these two may be absent).
#[dsl::auto_type]
fn joined() -> _ {
    suggestions::table.inner_join(suggestion_categories::table).left_join(members::table).left_join(departments::table)
}

async fn query_list(
    conn: &mut AsyncPgConnection,
    who: &SuggestionAccess,
    f: &SuggestionQuery,
    limit: i64,
    offset: i64,
) -> Result<(Vec<SuggestionView>, i64), ApiError> {
    // Someone with neither the manager role nor a member profile has no suggestions.
    let own = match who.reach {
        Visibility::All => None,
        Visibility::OwnOf(Some(m)) => Some(m),
        Visibility::OwnOf(None) => return Ok((Vec::new(), 0)),
    };
    let query = || {
        let mut q = joined().into_boxed();
        if let Some(m) = own {
            q = q.filter(suggestions::member_id.eq(m));
        } else if let Some(m) = f.member_id {
            q = q.filter(suggestions::member_id.eq(m));
        }
        if let Some(c) = f.congress_id {
            q = q.filter(suggestions::congress_id.eq(c));
        }
        if let Some(c) = &f.category {
            q = q.filter(suggestions::category.eq(c.clone()));
        }
        if let Some(s) = f.status {
            q = q.filter(suggestions::status.eq(s.as_str()));
        }
        if let Some(s) = f.source {
            q = q.filter(suggestions::source.eq(s.as_str()));
        }
        if let Some(d) = f.department_id {
            q = q.filter(suggestions::department_id.eq(d));
        }
        if let Some(text) = &f.q {
            let pattern = format!("%{}%", escape_like(text));
            q = q.filter(suggestions::title.ilike(pattern.clone()).or(suggestions::content.ilike(pattern)));
        }
        q
    };
    let total: i64 = query().count().get_result(conn).await?;
    let rows: Vec<SuggestionRow> = query()
        .order((suggestions::created_at.desc(), suggestions::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(SuggestionRow::as_select())
        .load(conn)
        .await?;
    Ok((rows.into_iter().map(view).collect(), total))
}

#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &mut AsyncPgConnection,
    who: &SuggestionAccess,
    f: &SuggestionQuery,
    page: &PageParams,
) -> Result<(Vec<SuggestionView>, i64), ApiError> {
    query_list(conn, who, f, page.per_page(), page.offset()).await
}

/// Every matching suggestion, up to `max`, for exports.
#[tracing::instrument(skip_all)]
pub async fn list_all(
    conn: &mut AsyncPgConnection,
    who: &SuggestionAccess,
    f: &SuggestionQuery,
    max: i64,
) -> Result<Vec<SuggestionView>, ApiError> {
    Ok(query_list(conn, who, f, max, 0).await?.0)
}

/// The suggestion if the caller may see it (otherwise not found).
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn get(conn: &mut AsyncPgConnection, who: &SuggestionAccess, id: i64) -> Result<SuggestionView, ApiError> {
    let mut q = joined().into_boxed().filter(suggestions::id.eq(id));
    match who.reach {
        Visibility::All => {}
        Visibility::OwnOf(Some(m)) => q = q.filter(suggestions::member_id.eq(m)),
        Visibility::OwnOf(None) => return Err(ApiError::NotFound),
    }
    let row: SuggestionRow = q.select(SuggestionRow::as_select()).first(conn).await?;
    Ok(view(row))
}

/// 422 unless the category, the congress and the member exist.
async fn check_references(
    conn: &mut AsyncPgConnection,
    input: &CreateSuggestion,
    member_id: Option<i64>,
) -> Result<(), ApiError> {
    let mut issues = Vec::new();
    let category: Option<String> = suggestion_categories::table
        .filter(suggestion_categories::code.eq(&input.category))
        .select(suggestion_categories::code)
        .first(conn)
        .await
        .optional()?;
    if category.is_none() {
        let codes: Vec<String> = category_rows(conn).await?.into_iter().map(|c| c.code).collect();
        issues.push(FieldIssue::new("category", "invalid_choice").with("choices", codes.join(", ")));
    }
    if let Some(c) = input.congress_id {
        let found: Option<i64> =
            congresses::table.filter(congresses::id.eq(c)).select(congresses::id).first(conn).await.optional()?;
        if found.is_none() {
            issues.push(FieldIssue::new("congress_id", "unknown_congress").with("value", c));
        }
    }
    if let Some(m) = member_id {
        let found: Option<i64> =
            members::table.filter(members::id.eq(m)).select(members::id).first(conn).await.optional()?;
        if found.is_none() {
            issues.push(FieldIssue::new("member_id", "unknown_member").with("value", m));
        }
    }
    if issues.is_empty() { Ok(()) } else { Err(ApiError::Validation(issues)) }
}

/// Records a suggestion for `member_id` (decided by `suggestions_rules::suggestion_owner`).
#[tracing::instrument(skip_all)]
pub async fn create(
    conn: &mut AsyncPgConnection,
    who: &SuggestionAccess,
    input: &CreateSuggestion,
    actor: &Actor,
) -> Result<SuggestionView, ApiError> {
    let member_id = suggestion_owner(who.manages(), who.member_id.map(MemberId::get), input.member_id)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        check_references(conn, input, member_id).await?;
        let id: i64 = diesel::insert_into(suggestions::table)
            .values((
                suggestions::congress_id.eq(input.congress_id),
                suggestions::member_id.eq(member_id),
                suggestions::category.eq(&input.category),
                suggestions::title.eq(&input.title),
                suggestions::content.eq(&input.content),
                suggestions::source.eq(SuggestionSource::Direct.as_str()),
                suggestions::created_by.eq(actor.user_id),
            ))
            .returning(suggestions::id)
            .get_result(conn)
            .await?;
        let after = get(conn, &MANAGER, id).await?;
        audit::record(conn, actor, "suggestion.create", "suggestion", id, audit::NONE, Some(&after)).await?;
        Ok(after)
    })
    .await
}

/// Answers an open suggestion (409 `invalid_transition` once answered) and tells the
/// integrated system (`suggestion.responded`), all in one transaction.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn respond(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    config: &crate::config::Config,
    id: i64,
    input: &RespondSuggestion,
    if_match: IfMatch,
    actor: &Actor,
) -> Result<SuggestionView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        suggestions::table
            .filter(suggestions::id.eq(id))
            .select(suggestions::id)
            .for_update()
            .first::<i64>(conn)
            .await?;
        let before = get(conn, &MANAGER, id).await?;
        if_match.check(before.version)?;
        let to = rules::respond(before.status)?;
        if let Some(d) = input.department_id {
            departments_store::ensure_active(conn, auth, "department_id", d).await?;
        }
        let now = Utc::now();
        diesel::update(suggestions::table.filter(suggestions::id.eq(id)))
            .set((
                suggestions::status.eq(to.as_str()),
                suggestions::response.eq(&input.response),
                suggestions::department_id.eq(input.department_id),
                suggestions::responded_by.eq(actor.user_id),
                suggestions::responded_at.eq(now),
                suggestions::version.eq(before.version + 1),
                suggestions::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        let after = get(conn, &MANAGER, id).await?;
        audit::record(conn, actor, "suggestion.respond", "suggestion", id, Some(&before), Some(&after)).await?;
        let event = json!({
            "suggestion_id": id,
            "congress_id": after.congress_id,
            "category": after.category,
            "source": after.source,
            "from_proposal_id": after.from_proposal_id,
            "department_id": after.department_id,
            "status": after.status,
            "responded_at": after.responded_at,
        });
        crate::webhooks::emit(conn, "suggestion.responded", event).await?;
        if let Some(member_id) = after.member_id {
            use crate::integrations::wechat::messages::{EVENT_SUGGESTION_RESPONDED, enqueue_member_message};
            let data = json!({
                "thing1": after.title,
                "phrase2": "已答复",
                "date3": crate::kernel::calendar::today_shanghai().to_string(),
                "page": format!("pages/suggestions/detail?id={id}"),
            });
            let dedupe = format!("suggestion:{id}:responded");
            enqueue_member_message(conn, config, member_id, EVENT_SUGGESTION_RESPONDED, data, &dedupe).await?;
        }
        Ok(after)
    })
    .await
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Counts by category (every category listed) and by source, for a congress and/or a year.
#[tracing::instrument(skip_all)]
pub async fn stats(
    conn: &mut AsyncPgConnection,
    _auth: &Authorized,
    congress_id: Option<i64>,
    year: Option<i32>,
) -> Result<SuggestionStats, ApiError> {
    let rows: Vec<CountRow> = diesel::sql_query(
        "SELECT s.category, s.status, s.source, count(*) AS n \
         FROM suggestions s LEFT JOIN congresses c ON c.id = s.congress_id \
         WHERE ($1::bigint IS NULL OR s.congress_id = $1) \
           AND ($2::integer IS NULL OR \
                COALESCE(c.year, extract(year FROM s.created_at AT TIME ZONE 'Asia/Shanghai')::integer) = $2) \
         GROUP BY s.category, s.status, s.source",
    )
    .bind::<Nullable<BigInt>, _>(congress_id)
    .bind::<Nullable<Integer>, _>(year)
    .load(conn)
    .await?;
    let cats: Vec<(String, String)> = category_rows(conn).await?.into_iter().map(|c| (c.code, c.name)).collect();
    let mut per_category: Vec<(String, i64, i64)> = Vec::new();
    let mut per_source: Vec<(String, i64)> = Vec::new();
    for r in &rows {
        let responded = if r.status == SuggestionStatus::Responded.as_str() { r.n } else { 0 };
        match per_category.iter_mut().find(|(c, _, _)| *c == r.category) {
            Some(entry) => {
                entry.1 += r.n;
                entry.2 += responded;
            }
            None => per_category.push((r.category.clone(), r.n, responded)),
        }
        match per_source.iter_mut().find(|(s, _)| *s == r.source) {
            Some(entry) => entry.1 += r.n,
            None => per_source.push((r.source.clone(), r.n)),
        }
    }
    let total: i64 = rows.iter().map(|r| r.n).sum();
    let responded: i64 = per_category.iter().map(|c| c.2).sum();
    Ok(SuggestionStats {
        congress_id,
        year,
        total,
        responded,
        responded_rate_bp: Bp::rate(responded, total),
        by_category: rules::by_category(&cats, &per_category),
        by_source: rules::by_source(&per_source),
    })
}
