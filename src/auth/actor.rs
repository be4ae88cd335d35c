//! The audit actor of an authenticated request: who (user or API client) and which request.
//! It lives apart from `principal` so the principal's loading, which the request path and
//! its caches depend on, never depends on the HTTP request context.

use crate::auth::principal::Principal;
use crate::http::context::RequestContext;

impl crate::audit::Actor {
    /// The audit actor of an authenticated request.
    pub fn new(principal: &Principal, ctx: &RequestContext) -> Self {
        crate::audit::Actor {
            user_id: principal.user_id,
            client_id: principal.client.as_ref().map(|c| c.id),
            label: principal.label(),
            request_id: Some(ctx.request_id.clone()),
        }
    }
}
