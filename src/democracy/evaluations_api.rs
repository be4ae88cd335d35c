//! Democratic evaluation campaigns (`/evaluations`) with anonymous sheets.

use utoipa_actix_web::service_config::ServiceConfig;

/// Routes of this part, fixed paths before `{id}`.
pub fn routes(_cfg: &mut ServiceConfig) {}
