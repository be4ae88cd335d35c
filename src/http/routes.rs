//! The table of the API's routes, read from the OpenAPI document once per process: which
//! methods a path template allows (for 405 answers), and which operations carry markers the
//! HTTP layer honours (a body never hashed for `Idempotency-Key`).

/// The OpenAPI extension by which a route says that `Idempotency-Key` must never hash its
/// body (secret ballots): `extensions(("x-idempotency-body" = json!("ignored")))`.
pub const IDEMPOTENCY_BODY_EXTENSION: &str = "x-idempotency-body";

/// Path templates of the API (`/api/v1/members/{id}`) with their methods, from the spec,
/// and the routes whose operation says their body is never hashed.
#[derive(Debug, Default, Clone)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<String>)>,
    /// (method, template segments) of operations marked with [`IDEMPOTENCY_BODY_EXTENSION`].
    unhashed_bodies: Vec<(String, Vec<String>)>,
}

impl RouteTable {
    pub fn from_openapi(spec: &utoipa::openapi::OpenApi) -> Self {
        let mut routes = Vec::new();
        let mut unhashed_bodies = Vec::new();
        for (path, item) in spec.paths.paths.iter() {
            let segments: Vec<String> = path.trim_matches('/').split('/').map(str::to_owned).collect();
            let mut methods = Vec::new();
            let ops = [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ];
            for (name, op) in ops {
                let Some(op) = op else { continue };
                methods.push(name.to_owned());
                let marked = op.extensions.as_ref().and_then(|e| e.get(IDEMPOTENCY_BODY_EXTENSION));
                if marked.is_some_and(|v| v == "ignored") {
                    unhashed_bodies.push((name.to_owned(), segments.clone()));
                }
            }
            routes.push((segments, methods));
        }
        RouteTable { routes, unhashed_bodies }
    }

    /// Whether the operation at `method path` declared that its body is never hashed.
    pub fn body_never_hashed(&self, method: &str, path: &str) -> bool {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.unhashed_bodies.iter().any(|(m, template)| m == method && fits(template, &segments))
    }

    /// Methods allowed on `path`, or `None` when no route has this shape. A literal segment
    /// beats a parameter, as in the routes themselves (ids are digits: `/congresses/stats` is
    /// not `/congresses/{id}`), so only the templates with the most literal segments count.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let fitting: Vec<&(Vec<String>, Vec<String>)> =
            self.routes.iter().filter(|(template, _)| fits(template, &segments)).collect();
        let literals = |template: &[String]| template.iter().filter(|t| !t.starts_with('{')).count();
        let most = fitting.iter().map(|(t, _)| literals(t)).max()?;
        let mut methods: Vec<String> =
            fitting.into_iter().filter(|(t, _)| literals(t) == most).flat_map(|(_, m)| m.iter().cloned()).collect();
        methods.sort();
        methods.dedup();
        Some(methods)
    }
}

fn fits(template: &[String], segments: &[&str]) -> bool {
    template.len() == segments.len() && template.iter().zip(segments).all(|(t, s)| t.starts_with('{') || t == s)
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
            unhashed_bodies: Vec::new(),
        };
        assert_eq!(t.allowed("/api/v1/members/5"), Some(vec!["GET".to_owned()]));
        assert_eq!(t.allowed("/api/v1/members"), Some(vec!["GET".to_owned(), "POST".to_owned()]));
        assert_eq!(t.allowed("/api/v1/nothing"), None);
    }

    #[test]
    fn a_literal_segment_beats_a_parameter() {
        let route = |path: &str, methods: &[&str]| {
            (path.split('/').map(str::to_owned).collect(), methods.iter().map(|m| (*m).to_owned()).collect())
        };
        let t = RouteTable {
            routes: vec![
                route("congresses/stats", &["GET"]),
                route("congresses/{id}", &["GET", "PATCH"]),
                route("congresses/{id}/delegates/bulk", &["POST"]),
                route("congresses/{id}/delegates/{delegate_id}", &["DELETE", "GET", "PATCH"]),
            ],
            unhashed_bodies: Vec::new(),
        };
        assert_eq!(t.allowed("/congresses/stats"), Some(vec!["GET".to_owned()]));
        assert_eq!(t.allowed("/congresses/7"), Some(vec!["GET".to_owned(), "PATCH".to_owned()]));
        assert_eq!(t.allowed("/congresses/7/delegates/bulk"), Some(vec!["POST".to_owned()]));
        assert_eq!(t.allowed("/congresses/7/delegates/9").map(|m| m.len()), Some(3));
    }
}
