//! Dues arithmetic: the rate in force with its source, the amount in exact fen, periods.

use chrono::NaiveDate;

/// The dues rate in force: 0.5% of the monthly base salary (中华全国总工会 会员会费
/// 收缴办法: 会费按本人每月基本工资的 5‰ 缴纳, 中华全国总工会《关于规范工会会员会费收缴工作的
/// 通知》). A new rule is a new row with a later date.
pub struct DuesRate {
    pub from: NaiveDate,
    pub rate_bp: i32,
}

pub const DUES_RATES: &[DuesRate] =
    &[DuesRate { from: NaiveDate::from_ymd_opt(1978, 10, 1).expect("valid date"), rate_bp: 50 }];

/// The rate in force for a period (the latest rule starting on or before it).
pub fn dues_rate_for(period: NaiveDate) -> Option<&'static DuesRate> {
    DUES_RATES.iter().filter(|r| r.from <= period).max_by_key(|r| r.from)
}

/// `base × rate_bp / 10000`, rounded half up to the fen, in exact integer arithmetic.
pub fn dues_amount_fen(base_salary_fen: i64, rate_bp: i32) -> i64 {
    let product = i128::from(base_salary_fen) * i128::from(rate_bp);
    ((product + 5_000) / 10_000) as i64
}

/// Parses `YYYY-MM` into the first day of that month.
pub fn parse_period(s: &str) -> Option<NaiveDate> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

pub fn format_period(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

pub fn check_period(s: &str) -> Result<(), validator::ValidationError> {
    parse_period(s).map(|_| ()).ok_or_else(|| validator::ValidationError::new("invalid_month"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dues_are_exact_and_round_half_up() {
        assert_eq!(dues_amount_fen(850_000, 50), 4_250); // 8,500.00 元 → 42.50 元
        assert_eq!(dues_amount_fen(850_099, 50), 4_250); // 4250.495 → 4250
        assert_eq!(dues_amount_fen(850_100, 50), 4_251); // 4250.5 → 4251
        assert_eq!(dues_amount_fen(0, 50), 0);
        assert_eq!(dues_amount_fen(i64::MAX / 2, 50), ((i128::from(i64::MAX / 2) * 50 + 5000) / 10000) as i64);
        let period = NaiveDate::from_ymd_opt(2023, 3, 1).unwrap();
        assert_eq!(dues_rate_for(period).unwrap().rate_bp, 50);
    }

    #[test]
    fn periods() {
        assert_eq!(parse_period("2023-03"), NaiveDate::from_ymd_opt(2023, 3, 1));
        assert_eq!(parse_period("2023-13"), None);
        assert_eq!(parse_period("2023-3"), None);
        assert_eq!(parse_period("23-03"), None);
        assert_eq!(format_period(NaiveDate::from_ymd_opt(2023, 3, 1).unwrap()), "2023-03");
    }
}
