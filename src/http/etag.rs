//! `ETag` / `If-Match` for versioned resources: the tag is the row's `version`.

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponseBuilder};

use crate::error::ApiError;

pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

pub fn with_etag(builder: &mut HttpResponseBuilder, version: i32) -> &mut HttpResponseBuilder {
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        builder.insert_header((header::ETAG, v));
    }
    builder
}

/// The `If-Match` precondition of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    /// No header: the update applies to whatever version is current.
    Absent,
    /// `*`: any current version.
    Any,
    /// One of these versions (a tag we never issued never matches).
    Versions([Option<i32>; 4]),
}

impl IfMatch {
    pub fn parse(value: Option<&str>) -> IfMatch {
        let Some(value) = value else { return IfMatch::Absent };
        if value.trim() == "*" {
            return IfMatch::Any;
        }
        let mut versions = [None; 4];
        for (slot, tag) in versions.iter_mut().zip(value.split(',')) {
            let tag = tag.trim().trim_start_matches("W/").trim_matches('"');
            *slot = Some(tag.strip_prefix('v').and_then(|v| v.parse().ok()).unwrap_or(-1));
        }
        IfMatch::Versions(versions)
    }

    /// 412 unless the current version satisfies the precondition.
    pub fn check(&self, current: i32) -> Result<(), ApiError> {
        match self {
            IfMatch::Absent | IfMatch::Any => Ok(()),
            IfMatch::Versions(vs) if vs.contains(&Some(current)) => Ok(()),
            IfMatch::Versions(_) => Err(ApiError::PreconditionFailed),
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req.headers().get(header::IF_MATCH).map(|v| v.to_str().unwrap_or("\"invalid\""));
        std::future::ready(Ok(IfMatch::parse(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks() {
        assert!(IfMatch::parse(None).check(3).is_ok());
        assert!(IfMatch::parse(Some("*")).check(3).is_ok());
        assert!(IfMatch::parse(Some("\"v3\"")).check(3).is_ok());
        assert!(IfMatch::parse(Some("W/\"v3\"")).check(3).is_ok());
        assert!(IfMatch::parse(Some("\"v2\", \"v3\"")).check(3).is_ok());
        assert!(matches!(IfMatch::parse(Some("\"v2\"")).check(3), Err(ApiError::PreconditionFailed)));
        assert!(IfMatch::parse(Some("garbage")).check(3).is_err());
        assert_eq!(etag(7), "\"v7\"");
    }
}
