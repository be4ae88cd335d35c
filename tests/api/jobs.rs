//! The job queue against real PostgreSQL: dedupe keys, SKIP LOCKED with two workers, lease
//! expiry after a crash (and the fencing of the crashed worker's late outcome), retries with
//! backoff until max attempts, permanent failures, unknown kinds, manual retry.

use crate::common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::TestApp;
use gonghui::jobs::queue::{self, ClaimedJob};
use gonghui::jobs::{JobContext, JobError, NewJob, Registry, Worker, enqueue};
use serde_json::json;

async fn spawn() -> TestApp {
    TestApp::spawn_with(&[("GONGHUI_JOBS_RETRY_BASE_MS", "1"), ("GONGHUI_JOBS_LEASE_SECS", "5")]).await
}

/// Job ids each handler call saw, in order.
type Seen = Arc<Mutex<Vec<i64>>>;

/// A worker with test handlers: `test.ok` (records and succeeds after a short pause),
/// `test.flaky` (fails until its third attempt), `test.broken` (fails for good).
fn worker(app: &TestApp, name: &str, seen: &Seen) -> Worker {
    let mut r = Registry::default();
    let s = seen.clone();
    r.register("test.ok", move |_ctx: Arc<JobContext>, job: ClaimedJob| {
        let s = s.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(3)).await;
            s.lock().unwrap().push(job.id);
            Ok(())
        }
    });
    let s = seen.clone();
    r.register("test.flaky", move |_ctx, job: ClaimedJob| {
        let s = s.clone();
        async move {
            s.lock().unwrap().push(job.id);
            if job.attempts < 3 { Err(JobError::Retry(format!("attempt {}", job.attempts))) } else { Ok(()) }
        }
    });
    r.register("test.broken", |_ctx, _job| async { Err(JobError::Permanent("bad payload".into())) });
    let mut w = gonghui::app::worker(app.state.pool.clone(), app.state.config.clone(), app.state.http.clone());
    w.name = name.to_owned();
    w.registry = Arc::new(r);
    w
}

async fn status(app: &TestApp, id: i64) -> (String, i64) {
    let done = app.scalar(&format!("SELECT (status = 'done')::int::int8 AS id FROM jobs WHERE id = {id}")).await;
    let failed = app.scalar(&format!("SELECT (status = 'failed')::int::int8 AS id FROM jobs WHERE id = {id}")).await;
    let attempts = app.scalar(&format!("SELECT attempts::int8 AS id FROM jobs WHERE id = {id}")).await;
    let s = if done == 1 {
        "done"
    } else if failed == 1 {
        "failed"
    } else {
        "open"
    };
    (s.to_owned(), attempts)
}

async fn drain(app: &TestApp, w: &Worker) {
    let start = Instant::now();
    loop {
        if !w.run_once().await.unwrap() {
            if app.scalar("SELECT count(*) AS id FROM jobs WHERE status IN ('pending', 'running')").await == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "jobs did not drain");
    }
}

#[actix_web::test]
async fn a_dedupe_key_makes_enqueue_idempotent() {
    let app = spawn().await;
    let mut conn = app.conn().await;
    let job = || NewJob::new("test.ok", json!({"n": 1})).dedupe("report:2026-05");
    let first = enqueue(&mut conn, job()).await.unwrap();
    assert!(first.is_some());
    assert_eq!(enqueue(&mut conn, job()).await.unwrap(), None);
    assert_eq!(enqueue(&mut conn, job().max_attempts(3)).await.unwrap(), None);
    assert_eq!(app.scalar("SELECT count(*) AS id FROM jobs WHERE dedupe_key = 'report:2026-05'").await, 1);
    // Even after the job ran, the key still holds.
    let seen = Seen::default();
    drain(&app, &worker(&app, "w", &seen)).await;
    assert_eq!(*seen.lock().unwrap(), [first.unwrap()]);
    assert_eq!(enqueue(&mut conn, job()).await.unwrap(), None);
    // Jobs without a key are never deduplicated.
    assert!(enqueue(&mut conn, NewJob::new("test.ok", json!({}))).await.unwrap().is_some());
    assert!(enqueue(&mut conn, NewJob::new("test.ok", json!({}))).await.unwrap().is_some());
    // Scheduled occurrences, enqueued by several workers, exist once per period.
    for _ in 0..3 {
        let birthdays = gonghui::jobs::Schedule::monthly(gonghui::membership::BIRTHDAY_LIST, 0);
        for j in birthdays.occurrences(chrono::NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()) {
            enqueue(&mut conn, j).await.unwrap();
        }
    }
    assert_eq!(app.scalar("SELECT count(*) AS id FROM jobs WHERE kind = 'membership.birthday_list'").await, 2);
}

#[actix_web::test]
async fn two_workers_never_run_the_same_job() {
    let app = spawn().await;
    let mut conn = app.conn().await;
    const N: usize = 60;
    for i in 0..N {
        enqueue(&mut conn, NewJob::new("test.ok", json!({ "i": i }))).await.unwrap();
    }
    let seen = Seen::default();
    let (w1, w2) = (worker(&app, "w1", &seen), worker(&app, "w2", &seen));
    let appr = &app;
    let run = |w: Worker| async move {
        let mut ran = 0;
        loop {
            if w.run_once().await.unwrap() {
                ran += 1;
            } else if appr.scalar("SELECT count(*) AS id FROM jobs WHERE status <> 'done'").await == 0 {
                return ran;
            } else {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    };
    let (a, b) = tokio::join!(run(w1), run(w2));
    assert_eq!(a + b, N);
    assert!(a > 0 && b > 0, "both worked: {a} + {b}");
    let ids = seen.lock().unwrap().clone();
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for id in &ids {
        *counts.entry(*id).or_default() += 1;
    }
    assert_eq!(counts.len(), N);
    assert!(counts.values().all(|c| *c == 1), "a job ran twice: {counts:?}");
    assert_eq!(app.scalar("SELECT count(*) AS id FROM jobs WHERE status = 'done' AND attempts = 1").await, N as i64);
    let by = app.scalar("SELECT count(DISTINCT locked_by) AS id FROM jobs").await;
    assert_eq!(by, 2, "each job names the worker that ran it");
}

#[actix_web::test]
async fn a_job_whose_lease_expired_is_picked_up_again_and_the_late_outcome_is_fenced() {
    let app = spawn().await;
    let mut conn = app.conn().await;
    let id = enqueue(&mut conn, NewJob::new("test.ok", json!({}))).await.unwrap().unwrap();
    // A worker claims it and "crashes": the job stays running under its lease.
    let crashed = queue::claim(&mut conn, "crashed", Duration::from_secs(60)).await.unwrap().unwrap();
    assert_eq!((crashed.id, crashed.attempts), (id, 1));
    let seen = Seen::default();
    let w = worker(&app, "rescuer", &seen);
    assert!(!w.run_once().await.unwrap(), "a leased job is not taken while its lease runs");
    assert!(queue::claim(&mut conn, "other", Duration::from_secs(60)).await.unwrap().is_none());
    // The lease runs out.
    app.sql(&format!(
        "UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = {id} AND status = 'running'"
    ))
    .await;
    assert!(w.run_once().await.unwrap());
    assert_eq!(*seen.lock().unwrap(), [id]);
    assert_eq!(status(&app, id).await, ("done".to_owned(), 2));
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS id FROM jobs WHERE id = {id} AND locked_by = 'rescuer'")).await,
        1
    );
    // The crashed worker comes back late: its outcome changes nothing.
    assert!(!queue::finish(&mut conn, &crashed).await.unwrap());
    assert!(!queue::fail(&mut conn, &crashed, "late", Duration::ZERO, true).await.unwrap());
    assert_eq!(status(&app, id).await, ("done".to_owned(), 2));
}

#[actix_web::test]
async fn failures_retry_with_backoff_until_success_or_max_attempts() {
    let app = spawn().await;
    let mut conn = app.conn().await;
    let flaky = enqueue(&mut conn, NewJob::new("test.flaky", json!({})).max_attempts(5)).await.unwrap().unwrap();
    let hopeless = enqueue(&mut conn, NewJob::new("test.flaky", json!({})).max_attempts(2)).await.unwrap().unwrap();
    let broken = enqueue(&mut conn, NewJob::new("test.broken", json!({})).max_attempts(9)).await.unwrap().unwrap();
    let unknown = enqueue(&mut conn, NewJob::new("test.nobody_handles", json!({}))).await.unwrap().unwrap();
    let seen = Seen::default();
    let w = worker(&app, "w", &seen);
    // A failed attempt is scheduled later, not immediately re-run.
    assert!(w.run_once().await.unwrap());
    let run_at_later = app
        .scalar(&format!(
            "SELECT (run_at > created_at)::int::int8 AS id FROM jobs WHERE id = {flaky} AND status = 'pending'"
        ))
        .await;
    assert_eq!(run_at_later, 1);
    drain(&app, &w).await;
    assert_eq!(status(&app, flaky).await, ("done".to_owned(), 3));
    assert_eq!(status(&app, hopeless).await, ("failed".to_owned(), 2));
    assert_eq!(status(&app, broken).await, ("failed".to_owned(), 1), "permanent: no retry");
    assert_eq!(status(&app, unknown).await, ("failed".to_owned(), 1));
    let error = app
        .scalar(&format!("SELECT (last_error LIKE '%no handler for job kind test.nobody_handles%')::int::int8 AS id FROM jobs WHERE id = {unknown}"))
        .await;
    assert_eq!(error, 1);
    let error = app
        .scalar(&format!("SELECT (last_error = 'retry: attempt 2')::int::int8 AS id FROM jobs WHERE id = {hopeless}"))
        .await;
    assert_eq!(error, 1);
    // A failed job can be put back by hand, for one more attempt.
    assert!(queue::retry_now(&mut conn, hopeless).await.unwrap());
    assert!(!queue::retry_now(&mut conn, hopeless).await.unwrap(), "already pending");
    drain(&app, &w).await;
    assert_eq!(status(&app, hopeless).await, ("done".to_owned(), 3));
}

#[actix_web::test]
async fn future_jobs_wait_for_their_time() {
    let app = spawn().await;
    let mut conn = app.conn().await;
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let id = enqueue(&mut conn, NewJob::new("test.ok", json!({})).at(later)).await.unwrap().unwrap();
    let seen = Seen::default();
    let w = worker(&app, "w", &seen);
    assert!(!w.run_once().await.unwrap());
    app.sql(&format!("UPDATE jobs SET run_at = now() WHERE id = {id}")).await;
    assert!(w.run_once().await.unwrap());
    assert_eq!(*seen.lock().unwrap(), [id]);
}
