//! Builds the actix application: state, middleware, every route (one call per domain),
//! service endpoints, the OpenAPI document and the offline Swagger UI.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, get, web};
use diesel_async::RunQueryDsl;
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::db::DbPool;
use crate::error::ApiError;
use crate::http::context::context_middleware;
use crate::http::fallback::not_found_or_method_not_allowed;
use crate::http::idempotency::idempotency_middleware;
use crate::http::metrics::resident_bytes;
use crate::jobs::{Registry, Worker};
use crate::state::AppState;
use crate::webhooks::EventCatalog;
use std::sync::Arc;

/// The state of one process: the spec is generated here, once, from the routes below.
pub fn state(config: Config, pool: DbPool) -> anyhow::Result<AppState> {
    AppState::new(config, pool, openapi())
}

/// Every documented route. Registered through utoipa-actix-web so the spec is collected
/// from the handlers themselves (each path declared once).
fn configure_routes(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics).service(crate::auth::api::jwks).service(
        scope::scope("/api/v1")
            .service(openapi_json)
            .configure(crate::auth::routes)
            .configure(crate::integrations::wechat::routes)
            .configure(crate::integrations::routes)
            .configure(crate::membership::routes)
            .configure(crate::democracy::routes)
            .configure(crate::reports::routes)
            .configure(crate::webhooks::routes),
    );
}

/// Every job kind and schedule: one `jobs(registry)` call per domain.
pub fn jobs() -> Registry {
    let mut registry = Registry::default();
    crate::webhooks::jobs(&mut registry);
    crate::integrations::jobs(&mut registry);
    crate::membership::jobs(&mut registry);
    crate::democracy::jobs(&mut registry);
    registry
}

/// Every webhook event type: one list per domain.
pub fn webhook_events() -> EventCatalog {
    EventCatalog::new(&[
        crate::webhooks::catalog::WEBHOOK_EVENTS,
        crate::membership::WEBHOOK_EVENTS,
        crate::democracy::WEBHOOK_EVENTS,
    ])
}

/// A job worker over `pool` running every domain's jobs.
pub fn worker(pool: DbPool, config: Arc<Config>, http: reqwest::Client) -> Worker {
    crate::jobs::worker(pool, config, http, jobs())
}

/// The OpenAPI document generated from the code.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, spec) = App::new()
        .into_utoipa_app()
        .openapi(crate::openapi::ApiDoc::openapi())
        .configure(configure_routes)
        .split_for_parts();
    let mut spec = spec;
    webhook_events().document(&mut spec);
    crate::http::spec::declare_conventions(&mut spec);
    schema_rules(&mut spec);
    spec
}

/// Gives the memory freed after start-up back to the system. Building each worker's `App`
/// registers every route through utoipa-actix-web, which also builds (and then drops) that
/// worker's copy of the path documentation; glibc keeps such freed memory in the worker
/// thread's own malloc arena, which cost about 20 MiB of idle RSS with two workers
/// (bench/README.md). `malloc_trim(0)` returns the free pages of every arena.
#[allow(unsafe_code)] // the one unsafe call in the crate: see the SAFETY note
pub fn release_startup_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory held by the allocator; it touches no
    // live allocation and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Rules between the fields of request types (`http::spec::rules`), one line per type.
fn schema_rules(spec: &mut utoipa::openapi::OpenApi) {
    use crate::http::spec::rules::apply;
    let applied = [
        apply::<crate::auth::dto::GrantInput>(spec),
        apply::<crate::auth::dto::UpdateUser>(spec),
        apply::<crate::auth::dto::ClientTokenRequest>(spec),
        apply::<crate::integrations::wechat::WechatBindRequest>(spec),
        apply::<crate::membership::CreateUnit>(spec),
        apply::<crate::membership::CreateDues>(spec),
        apply::<crate::democracy::CheckInRequest>(spec),
    ];
    debug_assert!(applied.iter().all(|a| *a), "a type with schema rules is not an object in the spec: {applied:?}");
}

/// The application for one worker.
pub fn build(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, _) = App::new()
        .app_data(state)
        .app_data(web::Data::new(webhook_events()))
        .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()))
        .app_data(
            web::QueryConfig::default()
                .error_handler(|e, _| ApiError::BadRequest("malformed_query", e.to_string()).into()),
        )
        .app_data(
            web::JsonConfig::default()
                .error_handler(|e, _| ApiError::BadRequest("malformed_json", e.to_string()).into()),
        )
        .wrap(from_fn(idempotency_middleware))
        .wrap(from_fn(context_middleware))
        .wrap(from_fn(crate::http::headers::security_headers))
        .into_utoipa_app()
        .configure(configure_routes)
        .split_for_parts();
    app.service(web::redirect("/docs", "/docs/"))
        .service(SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::new(["/api/v1/openapi.json"])))
        .default_service(web::to(not_found_or_method_not_allowed))
}

/// This OpenAPI document (3.1), generated from the code.
#[utoipa::path(tag = "service", responses((status = 200, description = "The OpenAPI document", body = Object)))]
#[get("/openapi.json")]
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(&*state.spec)
}

/// What `/healthz` and `/readyz` answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ServiceStatus {
    /// `ok` (alive) or `ready` (the database answers).
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(tag = "service", responses((status = 200, description = "Alive", body = ServiceStatus)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(ServiceStatus { status: "ok" })
}

/// Readiness: the database answers a query within the pool's timeouts.
#[utoipa::path(
    tag = "service",
    responses(
        (status = 200, description = "Ready", body = ServiceStatus),
        (status = 503, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    diesel::sql_query("SELECT 1").execute(&mut conn).await.map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(HttpResponse::Ok().json(ServiceStatus { status: "ready" }))
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(tag = "service", responses((status = 200, description = "Prometheus text", body = String, content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let status = state.pool.status();
    let text = state.metrics.render(&[
        ("gonghui_db_pool_max", "Maximum pool connections.", status.max_size as f64),
        ("gonghui_db_pool_size", "Open pool connections.", status.size as f64),
        ("gonghui_db_pool_available", "Idle pool connections.", status.available as f64),
        ("gonghui_db_pool_waiting", "Requests waiting for a connection.", status.waiting as f64),
        ("gonghui_process_resident_memory_bytes", "Resident memory.", resident_bytes()),
    ]);
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text)
}
