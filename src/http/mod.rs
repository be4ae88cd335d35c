//! Cross-cutting HTTP pieces shared by every domain.

pub mod context;
pub mod etag;
pub mod export;
pub mod extract;
pub mod fallback;
pub mod headers;
pub mod idempotency;
pub mod metrics;
pub mod pagination;
pub mod routes;
pub mod spec;
pub mod validators;
