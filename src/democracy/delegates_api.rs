//! Delegates of a congress, check-ins per sitting and participation.

use utoipa_actix_web::service_config::ServiceConfig;

/// Routes of this part, fixed paths before `{id}`.
pub fn routes(_cfg: &mut ServiceConfig) {}
