//! The Postgres-backed job queue: outbox deliveries, WeChat messages and recurring jobs.
//!
//! Rules: a job is enqueued in the same transaction as the change that causes it; workers
//! claim with `FOR UPDATE SKIP LOCKED` and a lease, so two workers never run the same job
//! and a worker that crashes mid-job leaves it to be retried when its lease expires;
//! failures retry with exponential backoff and jitter up to `max_attempts`; a dedupe key
//! makes enqueueing idempotent.

pub mod queue;
pub mod rules;
pub mod schedule;
pub mod worker;

use crate::config::Config;
use crate::db::DbPool;
pub use queue::{NewJob, enqueue};
pub use schedule::Schedule;
use std::sync::Arc;
pub use worker::{JobContext, JobError, Registry, Worker};

/// A worker named after the host and process, on `pool`, running the jobs of `registry`.
pub fn worker(pool: DbPool, config: Arc<Config>, http: reqwest::Client, registry: Registry) -> Worker {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    Worker {
        name: format!("{}:{}", host.trim(), std::process::id()),
        poll: config.jobs_poll,
        lease: config.jobs_lease,
        retry_base: config.jobs_retry_base,
        retry_cap: config.jobs_retry_cap,
        ctx: Arc::new(JobContext { pool, config, http }),
        registry: Arc::new(registry),
    }
}
