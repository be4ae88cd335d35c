//! `POST /proposals/{id}/{action}`: every transition of a proposal, each checked by
//! `rules::proposal_transition` (409 when the action does not apply) and written with a
//! history row. Who may act: the proposer (submit, withdraw, feedback), an invited co-signer
//! (cosign), the committee (`ProposalsDecide`), a handler of the lead department (reply,
//! request-extension; `ProposalsReply`).

use actix_web::{HttpResponse, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::audit::Actor;
use crate::auth::permissions::{Permission, authorize};
use crate::auth::principal::Principal;
use crate::democracy::proposals::access::ProposalAccess;
use crate::democracy::proposals::decisions as proposals_decisions;
use crate::democracy::proposals::dto::{
    AssignBody, CommentBody, CosignBody, ExtensionBody, FeedbackBody, MergeBody, ProposalView, ReasonBody, ReopenBody,
    ReplyBody,
};
use crate::democracy::proposals::store as proposals_store;
use crate::democracy::proposals::workflow as proposals_workflow;
use crate::democracy::proposals::workflow::Acting;
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::etag::with_etag;
use crate::http::extract::{OptionalJson, ValidJson};
use crate::state::AppState;

/// Routes of this part.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(submit_proposal)
        .service(cosign_proposal)
        .service(withdraw_proposal)
        .service(accept_proposal)
        .service(decline_proposal)
        .service(convert_proposal)
        .service(merge_proposal)
        .service(assign_proposal)
        .service(request_proposal_extension)
        .service(approve_proposal_extension)
        .service(reject_proposal_extension)
        .service(reply_proposal)
        .service(give_proposal_feedback)
        .service(reopen_proposal)
        .service(close_proposal);
}

/// The caller's standing on proposals.
async fn standing(state: &AppState, principal: &Principal) -> Result<(crate::db::DbConn, ProposalAccess), ApiError> {
    let mut conn = state.pool.get().await?;
    let viewer = ProposalAccess::of(&mut conn, principal).await?;
    Ok((conn, viewer))
}

fn respond(p: ProposalView) -> HttpResponse {
    with_etag(&mut HttpResponse::Ok(), p.version).json(p)
}

/// The body every action shares: the caller's standing, then one workflow call. With a
/// request body: the proposal is looked up before a body of the wrong type is refused (404
/// before 415).
macro_rules! act {
    ($state:ident, $principal:ident, $ctx:ident, $id:ident, |$conn:ident, $a:ident, $pid:ident| $call:expr) => {{
        let (mut conn, viewer) = standing(&$state, &$principal).await?;
        let actor = Actor::new(&$principal, &$ctx);
        let acting = Acting { config: &$state.config, viewer: &viewer, actor: &actor };
        let ($conn, $a, $pid) = (&mut conn, &acting, $id.into_inner());
        Ok(respond($call.await?))
    }};
    ($state:ident, $principal:ident, $ctx:ident, $id:ident, $body:ident, |$conn:ident, $a:ident, $pid:ident| $call:expr) => {{
        let (mut conn, viewer) = standing(&$state, &$principal).await?;
        let id = $id.into_inner();
        let $body = $body.after(proposals_store::get(&mut conn, &viewer, id)).await?;
        let actor = Actor::new(&$principal, &$ctx);
        let acting = Acting { config: &$state.config, viewer: &viewer, actor: &actor };
        let ($conn, $a, $pid) = (&mut conn, &acting, id);
        Ok(respond($call.await?))
    }};
}

/// Submits a draft (the proposer). Co-signers are invited; once the congress's number of them agree, the committee sees it. Submitted after the congress's deadline, it becomes a suggestion.
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "not_proposer / not_invited", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition / congress_closed", body = Problem), (status = 422, description = "too_few_cosigners", body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/submit")]
pub async fn submit_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    act!(state, principal, ctx, id, |conn, a, id| proposals_workflow::submit(conn, a, id))
}

/// An invited co-signer agrees or declines (one answer each; a record per delegate).
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    request_body = CosignBody,
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "not_proposer / not_invited", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition / already_answered", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/cosign")]
pub async fn cosign_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<CosignBody>,
) -> Result<HttpResponse, ApiError> {
    act!(state, principal, ctx, id, body, |conn, a, id| proposals_workflow::cosign(conn, a, id, &body))
}

/// The proposer withdraws the proposal before the committee decides.
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    request_body = Option<CommentBody>,
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "not_proposer / not_invited", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/withdraw")]
pub async fn withdraw_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    OptionalJson(body): OptionalJson<CommentBody>,
) -> Result<HttpResponse, ApiError> {
    act!(state, principal, ctx, id, body, |conn, a, id| proposals_workflow::withdraw(conn, a, id, &body))
}

/// 立案: the committee accepts the proposal, which gets its number (`2023-TA-001`, in order of acceptance).
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    request_body = Option<CommentBody>,
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "forbidden (not the committee)", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/accept")]
pub async fn accept_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    OptionalJson(body): OptionalJson<CommentBody>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ProposalsDecide)?;
    act!(state, principal, ctx, id, body, |conn, a, id| proposals_decisions::accept(conn, a, id, &body))
}

/// 不予立案, with the reason the proposer reads.
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    request_body = ReasonBody,
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "forbidden (not the committee)", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/decline")]
pub async fn decline_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<ReasonBody>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ProposalsDecide)?;
    act!(state, principal, ctx, id, body, |conn, a, id| proposals_decisions::decline(conn, a, id, &body))
}

/// Converts the proposal (under review or declined) into a suggestion.
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    request_body = Option<CommentBody>,
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "forbidden (not the committee)", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/convert-to-suggestion")]
pub async fn convert_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    OptionalJson(body): OptionalJson<CommentBody>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ProposalsDecide)?;
    act!(state, principal, ctx, id, body, |conn, a, id| proposals_decisions::convert(conn, a, id, &body))
}

/// 并案: merges the proposal into another of the same congress; its proposers become co-proposers there.
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    request_body = MergeBody,
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "forbidden (not the committee)", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/merge")]
pub async fn merge_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<MergeBody>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ProposalsDecide)?;
    act!(state, principal, ctx, id, body, |conn, a, id| proposals_decisions::merge(conn, a, id, &body))
}

/// 交办: the lead and co-handling departments and the reply deadline (default: the congress's reply window). Allowed again until the reply.
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    request_body = AssignBody,
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "forbidden (not the committee)", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/assign")]
pub async fn assign_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<AssignBody>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ProposalsDecide)?;
    act!(state, principal, ctx, id, body, |conn, a, id| proposals_decisions::assign(conn, a, id, &body))
}

/// The lead department asks for more time (at most the congress's `max_extension_days`, once).
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    request_body = ExtensionBody,
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "forbidden / not_lead_handler", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition / extension_already_requested", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/request-extension")]
pub async fn request_proposal_extension(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<ExtensionBody>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ProposalsReply)?;
    act!(state, principal, ctx, id, body, |conn, a, id| proposals_workflow::request_extension(conn, a, id, &body))
}

/// The committee approves the requested extension: the deadline moves.
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    request_body = Option<CommentBody>,
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "forbidden (not the committee)", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition / no_extension_requested", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/approve-extension")]
pub async fn approve_proposal_extension(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    OptionalJson(body): OptionalJson<CommentBody>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ProposalsDecide)?;
    act!(state, principal, ctx, id, body, |conn, a, id| proposals_decisions::decide_extension(conn, a, id, true, &body))
}

/// The committee refuses the requested extension.
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    request_body = Option<CommentBody>,
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "forbidden (not the committee)", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition / no_extension_requested", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/reject-extension")]
pub async fn reject_proposal_extension(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    OptionalJson(body): OptionalJson<CommentBody>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ProposalsDecide)?;
    act!(state, principal, ctx, id, body, |conn, a, id| proposals_decisions::decide_extension(
        conn, a, id, false, &body
    ))
}

/// A handler of the lead department replies, with a result code (A solved · B in progress · C planned · D for reference). Whether it was on time is recorded; the proposer's feedback window opens.
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    request_body = ReplyBody,
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "forbidden / not_lead_handler", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/reply")]
pub async fn reply_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<ReplyBody>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ProposalsReply)?;
    act!(state, principal, ctx, id, body, |conn, a, id| proposals_workflow::reply(conn, a, id, &body))
}

/// The proposer's verdict on the reply: satisfied, basically satisfied or unsatisfied (the committee may then reopen it once).
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    request_body = FeedbackBody,
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "not_proposer / not_invited", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/feedback")]
pub async fn give_proposal_feedback(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<FeedbackBody>,
) -> Result<HttpResponse, ApiError> {
    act!(state, principal, ctx, id, body, |conn, a, id| proposals_workflow::feedback(conn, a, id, &body))
}

/// One re-handling after an unsatisfied verdict (409 `reopen_requires_unsatisfied`, `rehandle_used`).
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    request_body = Option<ReopenBody>,
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "forbidden (not the committee)", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition / reopen_requires_unsatisfied / rehandle_used", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/reopen")]
pub async fn reopen_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    OptionalJson(body): OptionalJson<ReopenBody>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ProposalsDecide)?;
    act!(state, principal, ctx, id, body, |conn, a, id| proposals_decisions::reopen(conn, a, id, &body))
}

/// 办结: after the proposer's feedback, or once the feedback window has passed without one.
#[utoipa::path(
    tag = "proposals",
    params(("id" = i64, Path)),
    request_body = Option<CommentBody>,
    responses((status = 200, body = ProposalView), (status = 401, body = Problem), (status = 403, description = "forbidden (not the committee)", body = Problem), (status = 404, body = Problem), (status = 409, description = "invalid_transition / feedback_window_open", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/close")]
pub async fn close_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    id: web::Path<i64>,
    OptionalJson(body): OptionalJson<CommentBody>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::ProposalsDecide)?;
    act!(state, principal, ctx, id, body, |conn, a, id| proposals_decisions::close(conn, a, id, &body))
}
