//! The worker loop: claim a due job, run its handler under a timeout shorter than the
//! lease, record the outcome; sleep when the queue is empty; stop on shutdown.
//! Any number of workers (in `serve` processes or `gonghui worker`) share one queue.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::watch;
use tracing::Instrument;

use crate::config::Config;
use crate::db::DbPool;
use crate::error::ApiError;
use crate::jobs::queue::{self, ClaimedJob};
use crate::jobs::rules::backoff;
use crate::jobs::schedule::Schedule;

/// What handlers get: the pool, the configuration and the outgoing HTTP client.
pub struct JobContext {
    pub pool: DbPool,
    pub config: Arc<Config>,
    pub http: reqwest::Client,
}

/// How a handler failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another try later (network errors, 5xx, timeouts).
    #[error("retry: {0}")]
    Retry(String),
    /// Will never succeed (bad payload, receiver gone for good).
    #[error("permanent: {0}")]
    Permanent(String),
}

impl From<ApiError> for JobError {
    fn from(e: ApiError) -> Self {
        JobError::Retry(e.to_string())
    }
}

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;
pub type Handler = Arc<dyn Fn(Arc<JobContext>, ClaimedJob) -> HandlerFuture + Send + Sync>;

/// Job kinds and their handlers, and the schedules of recurring ones. Each domain fills it
/// in its `jobs(registry)`; the queue itself names no domain.
#[derive(Default, Clone)]
pub struct Registry {
    handlers: HashMap<&'static str, Handler>,
    schedules: Vec<Schedule>,
}

impl Registry {
    pub fn register<F, Fut>(&mut self, kind: &'static str, f: F) -> &mut Self
    where
        F: Fn(Arc<JobContext>, ClaimedJob) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        self.handlers.insert(kind, Arc::new(move |ctx, job| Box::pin(f(ctx, job))));
        self
    }

    /// Runs `schedule.kind` on its calendar (its handler is registered with `register`).
    pub fn schedule(&mut self, schedule: Schedule) -> &mut Self {
        self.schedules.push(schedule);
        self
    }

    pub fn schedules(&self) -> &[Schedule] {
        &self.schedules
    }

    pub fn kinds(&self) -> Vec<&'static str> {
        let mut k: Vec<_> = self.handlers.keys().copied().collect();
        k.sort_unstable();
        k
    }
}

pub struct Worker {
    pub name: String,
    pub ctx: Arc<JobContext>,
    pub registry: Arc<Registry>,
    pub poll: Duration,
    pub lease: Duration,
    pub retry_base: Duration,
    pub retry_cap: Duration,
}

impl Worker {
    /// Claims and runs one job; `Ok(false)` when none was due.
    pub async fn run_once(&self) -> Result<bool, ApiError> {
        let job = {
            let mut conn = self.ctx.pool.get().await?;
            match queue::claim(&mut conn, &self.name, self.lease).await? {
                Some(job) => job,
                None => return Ok(false),
            }
        };
        let span = tracing::info_span!("job", job_id = job.id, kind = %job.kind, attempt = job.attempts);
        self.execute(job).instrument(span).await?;
        Ok(true)
    }

    async fn execute(&self, job: ClaimedJob) -> Result<(), ApiError> {
        let outcome = match self.registry.handlers.get(job.kind.as_str()) {
            None => Err(JobError::Permanent(format!("no handler for job kind {}", job.kind))),
            Some(handler) => {
                // Finish well inside the lease, so no other worker takes the job over meanwhile.
                let limit = self.lease.mul_f64(0.8);
                match tokio::time::timeout(limit, handler(self.ctx.clone(), job.clone())).await {
                    Ok(result) => result,
                    Err(_) => Err(JobError::Retry(format!("timed out after {limit:?}"))),
                }
            }
        };
        let mut conn = self.ctx.pool.get().await?;
        match outcome {
            Ok(()) => {
                queue::finish(&mut conn, &job).await?;
                tracing::info!("job done");
            }
            Err(e) => {
                let permanent = matches!(e, JobError::Permanent(_));
                let jitter = rand::thread_rng().r#gen::<f64>();
                let delay = backoff(job.attempts, self.retry_base, self.retry_cap, jitter);
                queue::fail(&mut conn, &job, &e.to_string(), delay, permanent).await?;
                tracing::warn!(error = %e, retry_in_secs = delay.as_secs(), "job failed");
            }
        }
        Ok(())
    }

    /// Runs until `shutdown` turns true; a job in hand is finished first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(worker = %self.name, kinds = ?self.registry.kinds(), "job worker started");
        let mut last_schedule = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            if last_schedule.is_none_or(|t: std::time::Instant| t.elapsed() > Duration::from_secs(60)) {
                if let Err(e) = crate::jobs::schedule::ensure_scheduled(&self.ctx, &self.registry).await {
                    tracing::warn!(error = %e, "scheduling failed");
                }
                last_schedule = Some(std::time::Instant::now());
            }
            let worked = match self.run_once().await {
                Ok(worked) => worked,
                Err(e) => {
                    tracing::warn!(error = %e, "job queue unavailable");
                    false
                }
            };
            if !worked {
                tokio::select! {
                    _ = tokio::time::sleep(self.poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tracing::info!(worker = %self.name, "job worker stopped");
    }
}
