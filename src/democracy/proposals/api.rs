//! `/proposals`: filing and reading proposals, the public list, the mini-program's views and
//! the handling report. Transitions are in `proposals_actions_api`.
//!
//! Who sees what: the proposer (drafts included), invited co-signers and co-proposers once
//! submitted, the committee (and `proposals:read` clients) from review on, handlers the
//! proposals their department handles; everything else is 404. Accepted proposals and their
//! replies are published to every member at `/proposals/public`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::audit::Actor;
use crate::auth::permissions::{Caller, Permission, authorize};
use crate::auth::principal::Principal;
use crate::democracy::proposals::access::ProposalAccess;
use crate::democracy::proposals::dto::{
    CosignInvitation, CreateProposal, HandlingReport, ProposalHistoryEntry, ProposalQuery, ProposalSummary,
    ProposalView, PublicProposal, PublicProposalQuery, ReportFormat, ReportFormatQuery, UpdateProposal,
};
use crate::democracy::proposals::{drafts as proposals_drafts, lists, report as proposals_report, store};
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::export::{self, Format, FormatParam, MAX_EXPORT_ROWS, Table, XlsxSheet};
use crate::http::extract::{ValidJson, ValidQuery};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

/// Routes of this part, fixed paths before `{id}`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_public_proposals)
        .service(list_proposals)
        .service(create_proposal)
        .service(get_proposal)
        .service(update_proposal)
        .service(proposal_history)
        .service(my_proposals)
        .service(my_cosign_invitations)
        .service(proposal_handling_report);
}

fn summary_table(items: &[ProposalSummary]) -> Table {
    Table {
        headers: vec![
            "编号",
            "案由",
            "类别",
            "状态",
            "提案人",
            "代表团",
            "主办单位",
            "答复期限",
            "办理结果",
            "反馈",
            "逾期",
        ],
        rows: items
            .iter()
            .map(|p| {
                vec![
                    p.number.clone().unwrap_or_default(),
                    p.title.clone(),
                    p.category.clone(),
                    p.status.label().to_owned(),
                    p.proposer_name.clone(),
                    p.proposer_unit_name.clone(),
                    p.lead_department_name.clone().unwrap_or_default(),
                    p.reply_due_on.map(|d| d.to_string()).unwrap_or_default(),
                    p.result_code.map(|c| c.as_str().to_owned()).unwrap_or_default(),
                    p.feedback.map(|f| f.label().to_owned()).unwrap_or_default(),
                    if p.overdue { "是" } else { "" }.to_owned(),
                ]
            })
            .collect(),
    }
}

/// Proposals the caller may see (see the module rules), by number. `overdue=true` lists
/// those waiting for a reply after their deadline; `format=csv|xlsx` exports them.
#[utoipa::path(
    tag = "proposals",
    params(ProposalQuery, PageParams, FormatParam),
    responses(
        (status = 200, description = "A page of proposals, or a CSV/XLSX file of all matching ones", body = Page<ProposalSummary>,
            content((Page<ProposalSummary> = "application/json"), (String = "text/csv"), (XlsxSheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/proposals")]
pub async fn list_proposals(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<ProposalQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
    ValidQuery(format): ValidQuery<FormatParam>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let viewer = ProposalAccess::of(&mut conn, &principal).await?;
    match export::requested(&req, format.format) {
        Format::Json => {
            let (items, total) = lists::list(&mut conn, &viewer, &q, &page).await?;
            Ok(HttpResponse::Ok().json(page.wrap(items, total)))
        }
        f => {
            let items = lists::list_all(&mut conn, &viewer, &q, MAX_EXPORT_ROWS).await?;
            export::respond(summary_table(&items), f, "proposals").await
        }
    }
}

/// Accepted proposals with their latest reply, published to every member.
#[utoipa::path(
    tag = "proposals",
    params(PublicProposalQuery, PageParams),
    responses((status = 200, body = Page<PublicProposal>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/proposals/public")]
pub async fn list_public_proposals(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<PublicProposalQuery>,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let (items, total) = lists::public_list(&mut conn, &Caller::of(&principal), &q, &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// Files a draft. Only a formal delegate of the congress may (403 `not_a_delegate` /
/// `not_a_formal_delegate`); co-signers are invited when the draft is submitted.
#[utoipa::path(
    tag = "proposals",
    request_body = CreateProposal,
    responses(
        (status = 201, body = ProposalView), (status = 401, body = Problem),
        (status = 403, description = "not_a_delegate / not_a_formal_delegate", body = Problem),
        (status = 409, description = "congress_closed", body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/proposals")]
pub async fn create_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    ValidJson(body): ValidJson<CreateProposal>,
) -> Result<HttpResponse, ApiError> {
    let body = body.take()?;
    let mut conn = state.pool.get().await?;
    let p = proposals_drafts::create(&mut conn, &Caller::of(&principal), &body, &Actor::new(&principal, &ctx)).await?;
    let mut res = HttpResponse::Created();
    res.insert_header((header::LOCATION, format!("/api/v1/proposals/{}", p.id)));
    Ok(with_etag(&mut res, p.version).json(p))
}

/// One proposal, with its co-signers, departments, replies and feedback, for those who may see it.
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/proposals/{id:[0-9]+}")]
pub async fn get_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let viewer = ProposalAccess::of(&mut conn, &principal).await?;
    let p = store::get(&mut conn, &viewer, id.into_inner()).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), p.version).json(p))
}

/// Edits a draft (the proposer only). While co-signatures are gathered, only new co-signers
/// may be added (409 `proposal_locked` for anything else, and after that).
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateProposal,
    responses(
        (status = 200, body = ProposalView), (status = 401, body = Problem),
        (status = 403, description = "not_proposer", body = Problem), (status = 404, body = Problem),
        (status = 409, description = "proposal_locked", body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/proposals/{id:[0-9]+}")]
pub async fn update_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    if_match: IfMatch,
    ValidJson(body): ValidJson<UpdateProposal>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let viewer = ProposalAccess::of(&mut conn, &principal).await?;
    let id = id.into_inner();
    let body = body.after(store::get(&mut conn, &viewer, id)).await?;
    let actor = Actor::new(&principal, &ctx);
    let p = proposals_drafts::update(&mut conn, &viewer, id, &body, if_match, &actor).await?;
    Ok(with_etag(&mut HttpResponse::Ok(), p.version).json(p))
}

/// Every transition of the proposal: who, when, from, to, comment.
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path), PageParams),
    responses((status = 200, body = Page<ProposalHistoryEntry>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/proposals/{id}/history")]
pub async fn proposal_history(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let viewer = ProposalAccess::of(&mut conn, &principal).await?;
    let (items, total) = store::history(&mut conn, &viewer, id.into_inner(), &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// The mini-program's "my proposals": as proposer or co-proposer, drafts included.
#[utoipa::path(
    tag = "me",
    params(PageParams),
    responses((status = 200, body = Page<ProposalSummary>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/me/proposals")]
pub async fn my_proposals(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let viewer = ProposalAccess::of(&mut conn, &principal).await?;
    let (items, total) = lists::mine(&mut conn, &viewer, &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// The mini-program's "waiting for my co-signature".
#[utoipa::path(
    tag = "me",
    params(PageParams),
    responses((status = 200, body = Page<CosignInvitation>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/me/cosign-invitations")]
pub async fn my_cosign_invitations(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(page): ValidQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let viewer = ProposalAccess::of(&mut conn, &principal).await?;
    let (items, total) = lists::pending_invitations(&mut conn, &viewer, &page).await?;
    Ok(HttpResponse::Ok().json(page.wrap(items, total)))
}

/// The handling report of a congress's proposals (the document the next session reviews),
/// as JSON or, with `format=markdown`, as Markdown.
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path), ReportFormatQuery),
    responses(
        (status = 200, body = HandlingReport, content((HandlingReport = "application/json"), (String = "text/markdown"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/congresses/{id}/handling-report")]
pub async fn proposal_handling_report(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    ValidQuery(q): ValidQuery<ReportFormatQuery>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::ProposalsRead)?;
    let mut conn = state.pool.get().await?;
    let report: HandlingReport = proposals_report::report(&mut conn, &auth, id.into_inner()).await?;
    match q.format.unwrap_or(ReportFormat::Json) {
        ReportFormat::Json => Ok(HttpResponse::Ok().json(report)),
        ReportFormat::Markdown => Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/markdown; charset=utf-8"))
            .body(proposals_report::markdown(&report))),
    }
}
