//! Answers for requests no route took: 405 with `Allow` when the path exists under
//! another method (actix's method guards would say 404), 404 otherwise.

use actix_web::{HttpRequest, web};

use crate::error::ApiError;
use crate::state::AppState;

/// Path templates of the API (`/api/v1/members/{id}`) with their methods, from the spec.
#[derive(Debug, Default, Clone)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<String>)>,
}

impl RouteTable {
    pub fn from_openapi(spec: &utoipa::openapi::OpenApi) -> Self {
        let mut routes = Vec::new();
        for (path, item) in spec.paths.paths.iter() {
            let segments = path.trim_matches('/').split('/').map(str::to_owned).collect();
            let mut methods = Vec::new();
            let ops = [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ];
            for (name, op) in ops {
                if op.is_some() {
                    methods.push(name.to_owned());
                }
            }
            routes.push((segments, methods));
        }
        RouteTable { routes }
    }

    /// Methods allowed on `path`, or `None` when no route has this shape.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut found: Option<Vec<String>> = None;
        for (template, methods) in &self.routes {
            let matches = template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| t.starts_with('{') || t == s);
            if matches {
                found.get_or_insert_with(Vec::new).extend(methods.iter().cloned());
            }
        }
        found.map(|mut m| {
            m.sort();
            m.dedup();
            m
        })
    }
}

pub async fn not_found_or_method_not_allowed(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    let table = req.app_data::<web::Data<AppState>>().map(|s| s.routes.clone());
    Err(match table.and_then(|t| t.allowed(req.path())) {
        Some(methods) if !methods.iter().any(|m| m == req.method().as_str()) => ApiError::MethodNotAllowed(methods),
        _ => ApiError::RouteNotFound,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_templates() {
        let t = RouteTable {
            routes: vec![
                (vec!["api".into(), "v1".into(), "members".into()], vec!["GET".into(), "POST".into()]),
                (vec!["api".into(), "v1".into(), "members".into(), "{id}".into()], vec!["GET".into()]),
            ],
        };
        assert_eq!(t.allowed("/api/v1/members/5"), Some(vec!["GET".to_owned()]));
        assert_eq!(t.allowed("/api/v1/members"), Some(vec!["GET".to_owned(), "POST".to_owned()]));
        assert_eq!(t.allowed("/api/v1/nothing"), None);
    }
}
