//! The top of the OpenAPI document: info, security schemes, tags and shared schemas.
//! Paths and their schemas are collected from the handlers by utoipa-actix-web.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gonghui — 智慧工会 API",
        description = "Backend of the university trade union's smart-union system: membership, democratic \
management, competitions, welfare, aid and finance.\n\nErrors are RFC 9457 problem+json with a stable `code`; \
messages are Chinese by default and English with `Accept-Language: en`. Lists take `page` and `per_page` (max 100). \
Money is integer fen (`*_fen`). POSTs accept `Idempotency-Key`; versioned resources send `ETag` and accept `If-Match`.",
        license(name = "MIT")
    ),
    servers((url = "/", description = "This server")),
    modifiers(&BearerAuth),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    tags(
        (name = "service", description = "Health, readiness, metrics, keys"),
        (name = "auth", description = "Login, tokens, the current principal"),
        (name = "users", description = "Administrative accounts and role grants (system_admin)"),
        (name = "audit", description = "The append-only audit log (auditor, system_admin)"),
        (name = "units", description = "The union's organisation tree"),
        (name = "members", description = "Union members, transfers, leaving and rejoining, imports"),
        (name = "honors", description = "Honors awarded to members"),
        (name = "dues", description = "Monthly member dues"),
        (name = "wechat", description = "WeChat mini-program login and binding; administrators' view and removal of bindings"),
        (name = "webhooks", description = "Signed event deliveries to the integrated system (system_admin, scope webhooks:manage)"),
        (name = "integration", description = "The HR roster sync for the integrated information system (API clients, scope roster:write)"),
        (name = "congresses", description = "教代会/工代会: congresses at school and unit level, their status and rules"),
        (name = "delegates", description = "Delegates (formal and observer) by delegation, check-ins and participation"),
        (name = "motions", description = "Reports and resolutions put to the vote; secret ballots; results (counts only)"),
        (name = "proposals", description = "提案: filing, co-signatures, the committee's decisions, handling, replies and feedback"),
        (name = "departments", description = "Handling departments (承办单位) and their handler accounts"),
        (name = "suggestions", description = "意见建议: categorised suggestions and responses"),
        (name = "evaluations", description = "民主评议: evaluation campaigns with anonymous score sheets and aggregated results"),
        (name = "reports", description = "Dashboards: aggregated figures by year, congress and unit, as JSON, CSV or XLSX (union_admin, scope reports:read)"),
        (name = "me", description = "The mini-program's personal views: my proposals, co-signature invitations, motions open for my vote"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}
