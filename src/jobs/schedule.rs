//! Recurring jobs. Each occurrence is an ordinary job with a dedupe key naming its period
//! (`membership.birthday_list:2026-12`), enqueued ahead of time by whichever worker looks
//! first, so several workers schedule it exactly once. Domains register their schedules on
//! the [`Registry`](crate::jobs::Registry) with [`Schedule::monthly`] or [`Schedule::daily`].

use chrono::{Datelike, NaiveDate, TimeZone, Utc};

use crate::error::ApiError;
use crate::jobs::queue::{self, NewJob};
use crate::jobs::worker::{JobContext, Registry};

/// When a recurring job runs. Times are in UTC (Asia/Shanghai is UTC+8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    /// On the first day of each month at this hour (UTC); the payload is `{"month": "YYYY-MM"}`.
    Month { hour_utc: u32 },
    /// Every day at this hour (UTC); the payload is `{"day": "YYYY-MM-DD"}`.
    Day { hour_utc: u32 },
}

/// A job kind that runs on a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub kind: &'static str,
    pub every: Every,
}

impl Schedule {
    pub fn monthly(kind: &'static str, hour_utc: u32) -> Self {
        Schedule { kind, every: Every::Month { hour_utc } }
    }

    pub fn daily(kind: &'static str, hour_utc: u32) -> Self {
        Schedule { kind, every: Every::Day { hour_utc } }
    }

    /// The occurrences due around `today`: this period's and the next one's.
    pub fn occurrences(&self, today: NaiveDate) -> Vec<NewJob> {
        let kind = self.kind;
        match self.every {
            Every::Month { hour_utc } => [today, next_month(today)]
                .into_iter()
                .map(|month| {
                    let period = month.format("%Y-%m").to_string();
                    NewJob::new(kind, serde_json::json!({ "month": period }))
                        .at(at_hour(first_of_month(month), hour_utc))
                        .dedupe(format!("{kind}:{period}"))
                        .max_attempts(5)
                })
                .collect(),
            Every::Day { hour_utc } => [today, today.succ_opt().unwrap_or(today)]
                .into_iter()
                .map(|day| {
                    NewJob::new(kind, serde_json::json!({ "day": day }))
                        .at(at_hour(day, hour_utc))
                        .dedupe(format!("{kind}:{day}"))
                        .max_attempts(5)
                })
                .collect(),
        }
    }
}

/// First day of the month after `d`.
fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap_or(d)
}

fn at_hour(day: NaiveDate, hour_utc: u32) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(hour_utc.min(23), 0, 0).unwrap_or_default())
}

/// Enqueues every registered schedule's coming occurrences (idempotent by dedupe key).
pub async fn ensure_scheduled(ctx: &JobContext, registry: &Registry) -> Result<(), ApiError> {
    let mut conn = ctx.pool.get().await?;
    let today = crate::kernel::calendar::today_shanghai();
    for schedule in registry.schedules() {
        for job in schedule.occurrences(today) {
            queue::enqueue(&mut conn, job).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monthly_schedules_this_month_and_next_once_each() {
        let jobs = Schedule::monthly("m.list", 0).occurrences(NaiveDate::from_ymd_opt(2026, 12, 15).unwrap());
        let keys: Vec<_> = jobs.iter().map(|j| j.dedupe_key.clone().unwrap()).collect();
        assert_eq!(keys, ["m.list:2026-12", "m.list:2027-01"]);
        assert_eq!(jobs[1].run_at.unwrap().to_rfc3339(), "2027-01-01T00:00:00+00:00");
    }

    #[test]
    fn daily_schedules_today_and_tomorrow() {
        let jobs = Schedule::daily("d.remind", 1).occurrences(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        let keys: Vec<_> = jobs.iter().map(|j| j.dedupe_key.clone().unwrap()).collect();
        assert_eq!(keys, ["d.remind:2026-12-31", "d.remind:2027-01-01"]);
        assert_eq!(jobs[0].run_at.unwrap().to_rfc3339(), "2026-12-31T01:00:00+00:00");
    }
}
