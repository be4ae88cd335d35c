//! Business dates are Chinese calendar dates (Asia/Shanghai, UTC+8 without daylight saving):
//! birthdays, deadlines, fiscal years. Working days skip Saturdays and Sundays; public
//! holidays are not modelled (a deadline falling in a holiday is extended by whoever owns it).

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Today's date in Asia/Shanghai.
pub fn today_shanghai() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// `days` calendar days after `from` (saturating at the end of the calendar).
pub fn add_days(from: NaiveDate, days: u32) -> NaiveDate {
    from.checked_add_days(Days::new(u64::from(days))).unwrap_or(NaiveDate::MAX)
}

/// `days` working days after `from` (Saturdays and Sundays skipped).
pub fn add_working_days(from: NaiveDate, days: u32) -> NaiveDate {
    let mut d = from;
    let mut left = days;
    while left > 0 {
        d = add_days(d, 1);
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn calendar_and_working_days() {
        assert_eq!(add_days(d("2023-03-20"), 90), d("2023-06-18"));
        assert_eq!(add_working_days(d("2023-06-16"), 1), d("2023-06-19"), "Friday + 1 is Monday");
        assert_eq!(add_working_days(d("2023-06-16"), 15), d("2023-07-07"));
        assert_eq!(add_working_days(d("2023-06-17"), 1), d("2023-06-19"), "from a Saturday");
        assert_eq!(add_days(NaiveDate::MAX, 1), NaiveDate::MAX);
    }

    #[test]
    fn shanghai_is_never_behind_utc() {
        assert!(today_shanghai() >= chrono::Utc::now().date_naive());
    }
}
