//! Recurring jobs. Each occurrence is an ordinary job with a dedupe key naming its period
//! (`birthday_list:2026-12`), enqueued ahead of time by whichever worker looks first, so
//! several workers schedule it exactly once.

use chrono::{Datelike, NaiveDate, TimeZone, Utc};

use crate::error::ApiError;
use crate::jobs::queue::{self, NewJob};
use crate::jobs::worker::JobContext;

pub const BIRTHDAY_LIST: &str = "membership.birthday_list";

/// First day of the month after `d`.
fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

/// 08:00 Asia/Shanghai (00:00 UTC) on the first day of `d`'s month.
fn month_start_utc(d: NaiveDate) -> chrono::DateTime<Utc> {
    let first = NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap_or(d);
    Utc.from_utc_datetime(&first.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// The occurrences due this month and next: (job, dedupe key).
pub fn occurrences(today: NaiveDate) -> Vec<NewJob> {
    [today, next_month(today)]
        .into_iter()
        .map(|month| {
            let period = month.format("%Y-%m").to_string();
            NewJob::new(BIRTHDAY_LIST, serde_json::json!({ "month": period }))
                .at(month_start_utc(month))
                .dedupe(format!("{BIRTHDAY_LIST}:{period}"))
                .max_attempts(5)
        })
        .collect()
}

/// The daily proposal reminders, today's and tomorrow's, at 09:00 Asia/Shanghai (01:00 UTC).
pub fn daily_occurrences(today: NaiveDate) -> Vec<NewJob> {
    use crate::democracy::proposals::reminders::JOB_KIND;
    [today, today.succ_opt().unwrap_or(today)]
        .into_iter()
        .map(|day| {
            let at = Utc.from_utc_datetime(&day.and_hms_opt(1, 0, 0).unwrap_or_default());
            NewJob::new(JOB_KIND, serde_json::json!({ "day": day }))
                .at(at)
                .dedupe(format!("{JOB_KIND}:{day}"))
                .max_attempts(5)
        })
        .collect()
}

pub async fn ensure_scheduled(ctx: &JobContext) -> Result<(), ApiError> {
    let mut conn = ctx.pool.get().await?;
    let today = crate::kernel::calendar::today_shanghai();
    for job in occurrences(today).into_iter().chain(daily_occurrences(today)) {
        queue::enqueue(&mut conn, job).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_this_month_and_next_once_each() {
        let jobs = occurrences(NaiveDate::from_ymd_opt(2026, 12, 15).unwrap());
        let keys: Vec<_> = jobs.iter().map(|j| j.dedupe_key.clone().unwrap()).collect();
        assert_eq!(keys, ["membership.birthday_list:2026-12", "membership.birthday_list:2027-01"]);
        assert_eq!(jobs[1].run_at.unwrap().to_rfc3339(), "2027-01-01T00:00:00+00:00");
    }

    #[test]
    fn proposal_reminders_run_daily_once() {
        let jobs = daily_occurrences(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        let keys: Vec<_> = jobs.iter().map(|j| j.dedupe_key.clone().unwrap()).collect();
        assert_eq!(keys, ["democracy.proposal_reminders:2026-12-31", "democracy.proposal_reminders:2027-01-01"]);
        assert_eq!(jobs[0].run_at.unwrap().to_rfc3339(), "2026-12-31T01:00:00+00:00");
    }
}
