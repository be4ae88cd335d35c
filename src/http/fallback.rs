//! Answers for requests no route took: 405 with `Allow` when the path exists under
//! another method (actix's method guards would say 404); 404 `not_found` when it has the
//! shape of a route but names no resource (`/members/x`: ids are digits in the routes);
//! 404 `route_not_found` otherwise.

use actix_web::{HttpRequest, web};

use crate::error::ApiError;
use crate::state::AppState;

pub async fn not_found_or_method_not_allowed(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    let table = req.app_data::<web::Data<AppState>>().map(|s| s.routes.clone());
    Err(match table.and_then(|t| t.allowed(req.path())) {
        Some(methods) if !methods.iter().any(|m| m == req.method().as_str()) => ApiError::MethodNotAllowed(methods),
        Some(_) => ApiError::NotFound,
        None => ApiError::RouteNotFound,
    })
}
