//! Suggestions (`/suggestions`): categorised opinions, their responses and statistics.
//!
//! A member makes and reads their own suggestions; `SuggestionsManage` (union admins, the
//! proposal committee) sees all of them, records one for a member, answers them and reads
//! the statistics. Proposals filed after the deadline or converted by the committee arrive
//! here too (`source`, `from_proposal_id`).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::audit::Actor;
use crate::auth::permissions::{Caller, Permission, authorize};
use crate::auth::principal::Principal;
use crate::democracy::suggestions::dto::{
    CategoryView, CreateSuggestion, RespondSuggestion, StatsQuery, SuggestionQuery, SuggestionStats, SuggestionView,
};
use crate::democracy::suggestions::store::{self as store, SuggestionAccess};
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::export::{self, Format, FormatParam, MAX_EXPORT_ROWS, Table, XlsxSheet};
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

/// Routes of this part, fixed paths before `{id}`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_suggestion_categories)
        .service(suggestion_stats)
        .service(list_suggestions)
        .service(create_suggestion)
        .service(get_suggestion)
        .service(respond_suggestion);
}

/// The suggestion categories, in their order (reference data: nine rows, not paginated).
#[utoipa::path(
    tag = "suggestions",
    responses((status = 200, body = Vec<CategoryView>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []))
)]
#[get("/suggestions/categories")]
pub async fn list_suggestion_categories(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(store::categories(&mut conn, &Caller::of(&principal)).await?))
}

/// Suggestions counted by category (every category listed, zeros included), responded, and
/// by source; for a congress and/or a year.
#[utoipa::path(
    tag = "suggestions",
    params(StatsQuery),
    responses((status = 200, body = SuggestionStats), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/suggestions/stats")]
pub async fn suggestion_stats(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::SuggestionsManage)?;
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(store::stats(&mut conn, &auth, q.congress_id, q.year).await?))
}

fn suggestion_table(items: &[SuggestionView]) -> Table {
    Table {
        headers: vec![
            "编号",
            "大会",
            "类别",
            "标题",
            "内容",
            "来源",
            "来源提案",
            "提出人",
            "状态",
            "答复部门",
            "答复",
            "提出时间",
        ],
        rows: items
            .iter()
            .map(|s| {
                vec![
                    s.id.to_string(),
                    s.congress_id.map(|c| c.to_string()).unwrap_or_default(),
                    s.category_name.clone(),
                    s.title.clone(),
                    s.content.clone(),
                    s.source.label().to_owned(),
                    s.from_proposal_id.map(|p| p.to_string()).unwrap_or_default(),
                    s.member_name.clone().unwrap_or_default(),
                    s.status.label().to_owned(),
                    s.department_name.clone().unwrap_or_default(),
                    s.response.clone().unwrap_or_default(),
                    (s.created_at + chrono::Duration::hours(8)).format("%Y-%m-%d %H:%M").to_string(),
                ]
            })
            .collect(),
    }
}

/// Suggestions, newest first: all of them for managers, one's own for everyone else.
#[utoipa::path(
    tag = "suggestions",
    params(SuggestionQuery, PageParams, FormatParam),
    responses((status = 200, description = "A page of suggestions, or with `format=csv|xlsx` (or `Accept: text/csv`) a file of every matching one", body = Page<SuggestionView>,
        content((Page<SuggestionView> = "application/json"), (String = "text/csv"), (XlsxSheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/suggestions")]
pub async fn list_suggestions(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<SuggestionQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
    ValidQuery(format): ValidQuery<FormatParam>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let who = SuggestionAccess::of(&principal);
    let mut conn = state.pool.get().await?;
    let format = export::requested(&req, format.format);
    if format == Format::Json {
        let (items, total) = store::list(&mut conn, &who, &q, &page).await?;
        return Ok(HttpResponse::Ok().json(page.wrap(items, total)));
    }
    let items = store::list_all(&mut conn, &who, &q, MAX_EXPORT_ROWS).await?;
    export::respond(suggestion_table(&items), format, "suggestions").await
}

/// Makes a suggestion: a member their own; a manager records one for a member (or unnamed).
#[utoipa::path(
    tag = "suggestions",
    request_body = CreateSuggestion,
    responses(
        (status = 201, body = SuggestionView), (status = 401, body = Problem),
        (status = 403, description = "member_profile_required: neither a member profile nor the manager role", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/suggestions")]
pub async fn create_suggestion(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    ValidJson(body): ValidJson<CreateSuggestion>,
) -> Result<HttpResponse, ApiError> {
    let body = body.take()?;
    let mut conn = state.pool.get().await?;
    let who = SuggestionAccess::of(&principal);
    let suggestion = store::create(&mut conn, &who, &body, &Actor::new(&principal, &ctx)).await?;
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/suggestions/{}", suggestion.id)));
    Ok(with_etag(&mut res, suggestion.version).json(suggestion))
}

/// One suggestion: one's own, or any for a manager (otherwise 404).
#[utoipa::path(
    tag = "suggestions",
    params(("id" = i64, Path)),
    responses((status = 200, body = SuggestionView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/suggestions/{id:[0-9]+}")]
pub async fn get_suggestion(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let suggestion = store::get(&mut conn, &SuggestionAccess::of(&principal), id.into_inner()).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), suggestion.version).json(suggestion))
}

/// Answers an open suggestion (open → responded); emits `suggestion.responded`.
#[utoipa::path(
    tag = "suggestions",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = RespondSuggestion,
    responses(
        (status = 200, body = SuggestionView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "invalid_transition: already answered", body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/suggestions/{id}/respond")]
pub async fn respond_suggestion(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
    ValidJson(body): ValidJson<RespondSuggestion>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::SuggestionsManage)?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    let body = body.after(store::get(&mut conn, &SuggestionAccess::of(&principal), id)).await?;
    let actor = Actor::new(&principal, &ctx);
    let suggestion = store::respond(&mut conn, &auth, &state.config, id, &body, if_match, &actor).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), suggestion.version).json(suggestion))
}
