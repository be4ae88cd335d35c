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

pub async fn ensure_scheduled(ctx: &JobContext) -> Result<(), ApiError> {
    let mut conn = ctx.pool.get().await?;
    for job in occurrences(crate::membership::rules::today_shanghai()) {
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
}
