//! The integration tests: one binary (one link of the crate), a module per area.
//!
//! Every test runs the real service on a loopback port against its own PostgreSQL database
//! cloned from a migrated template (see `common`). Outside peers (WeChat, CAS, webhook
//! receivers) are wiremock servers on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod api_clients;
mod architecture;
mod audit;
mod auth;
mod authorization_matrix;
mod cas;
mod concurrency;
mod democracy;
mod hardening;
mod honors_dues;
mod http_basics;
mod import;
mod jobs;
mod members;
mod migrations;
mod openapi_spec;
mod principal_cache;
mod roster;
mod units;
mod users;
mod webhooks;
mod wechat;
mod wire_enums;
