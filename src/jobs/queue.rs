//! The queue table: enqueue, claim (FOR UPDATE SKIP LOCKED), finish, fail.
//!
//! A claimed job is `running` with a lease (`locked_until`); finishing or failing is fenced
//! by the attempt number, so a worker whose lease expired (and whose job another worker
//! took over) cannot overwrite the newer outcome.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, Interval, Jsonb, Nullable, Text, Timestamptz};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::error::ApiError;

/// A job to run later.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: &'static str,
    pub payload: Value,
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: i32,
    /// Enqueueing a second job with the same key does nothing.
    pub dedupe_key: Option<String>,
}

impl NewJob {
    pub fn new(kind: &'static str, payload: Value) -> Self {
        NewJob { kind, payload, run_at: None, max_attempts: 10, dedupe_key: None }
    }

    pub fn at(mut self, run_at: DateTime<Utc>) -> Self {
        self.run_at = Some(run_at);
        self
    }

    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = n.clamp(1, 100);
        self
    }
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Enqueues on `conn` — call it inside the transaction of the change that causes the job,
/// so the job exists exactly when the change commits (the outbox pattern).
/// Returns the job id, or `None` when a job with the same dedupe key exists.
pub async fn enqueue(conn: &mut AsyncPgConnection, job: NewJob) -> Result<Option<i64>, ApiError> {
    let row: Option<Id> = diesel::sql_query(
        "INSERT INTO jobs (kind, payload, run_at, max_attempts, dedupe_key) \
         VALUES ($1, $2, coalesce($3, now()), $4, $5) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind::<Text, _>(job.kind)
    .bind::<Jsonb, _>(&job.payload)
    .bind::<Nullable<Timestamptz>, _>(job.run_at)
    .bind::<Integer, _>(job.max_attempts)
    .bind::<Nullable<Text>, _>(job.dedupe_key.as_deref())
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(|r| r.id))
}

/// A job handed to a worker.
#[derive(Debug, Clone, QueryableByName)]
pub struct ClaimedJob {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Jsonb)]
    pub payload: Value,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Integer)]
    pub max_attempts: i32,
}

fn interval(d: Duration) -> diesel::pg::data_types::PgInterval {
    diesel::pg::data_types::PgInterval::from_microseconds(d.as_micros().min(i64::MAX as u128) as i64)
}

/// Takes the oldest due job (or one whose lease expired) and leases it to `worker`.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    worker: &str,
    lease: Duration,
) -> Result<Option<ClaimedJob>, ApiError> {
    let job = diesel::sql_query(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = now() + $1, locked_by = $2 \
         WHERE id = ( \
             SELECT id FROM jobs \
             WHERE (status = 'pending' AND run_at <= now()) OR (status = 'running' AND locked_until < now()) \
             ORDER BY run_at, id \
             FOR UPDATE SKIP LOCKED \
             LIMIT 1) \
         RETURNING id, kind, payload, attempts, max_attempts",
    )
    .bind::<Interval, _>(interval(lease))
    .bind::<Text, _>(worker)
    .get_result::<ClaimedJob>(conn)
    .await
    .optional()?;
    Ok(job)
}

/// Marks the job done (only if this worker's attempt is still the current one).
pub async fn finish(conn: &mut AsyncPgConnection, job: &ClaimedJob) -> Result<bool, ApiError> {
    let n = diesel::sql_query(
        "UPDATE jobs SET status = 'done', finished_at = now(), locked_until = NULL, last_error = NULL \
         WHERE id = $1 AND attempts = $2 AND status = 'running'",
    )
    .bind::<BigInt, _>(job.id)
    .bind::<Integer, _>(job.attempts)
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Records a failure: retried after `retry_in`, or failed for good when out of attempts
/// (or when `permanent`).
pub async fn fail(
    conn: &mut AsyncPgConnection,
    job: &ClaimedJob,
    error: &str,
    retry_in: Duration,
    permanent: bool,
) -> Result<bool, ApiError> {
    let give_up = permanent || job.attempts >= job.max_attempts;
    let error: String = error.chars().take(2000).collect();
    let n = diesel::sql_query(
        "UPDATE jobs SET status = CASE WHEN $3 THEN 'failed' ELSE 'pending' END, \
             run_at = CASE WHEN $3 THEN run_at ELSE now() + $4 END, \
             finished_at = CASE WHEN $3 THEN now() ELSE NULL END, \
             locked_until = NULL, last_error = $5 \
         WHERE id = $1 AND attempts = $2 AND status = 'running'",
    )
    .bind::<BigInt, _>(job.id)
    .bind::<Integer, _>(job.attempts)
    .bind::<diesel::sql_types::Bool, _>(give_up)
    .bind::<Interval, _>(interval(retry_in))
    .bind::<Text, _>(&error)
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Puts a finished or failed job back in the queue now (manual redelivery).
pub async fn retry_now(conn: &mut AsyncPgConnection, id: i64) -> Result<bool, ApiError> {
    let n = diesel::sql_query(
        "UPDATE jobs SET status = 'pending', run_at = now(), finished_at = NULL, max_attempts = attempts + 1 \
         WHERE id = $1 AND status IN ('done', 'failed')",
    )
    .bind::<BigInt, _>(id)
    .execute(conn)
    .await?;
    Ok(n == 1)
}
