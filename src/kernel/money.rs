//! Money in integer fen (分) and ratios in basis points: never floats.
//!
//! `Fen` is an amount of renminbi in fen, stored as `BIGINT` and sent as a JSON integer; its
//! arithmetic is checked (an overflow is an error, not a wrap). `Bp` is a ratio in basis
//! points (10000 = 100%), rounded down, shown as a percentage with two decimals.

use std::fmt;

use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{Output, ToSql};
use diesel::sql_types::BigInt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An amount in fen (1 元 = 100 分).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, AsExpression, FromSqlRow,
)]
#[serde(transparent)]
#[diesel(sql_type = BigInt)]
pub struct Fen(pub i64);

/// An amount would not fit in 64 bits of fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("amount out of range")]
pub struct Overflow;

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn from_yuan(yuan: i64) -> Option<Fen> {
        yuan.checked_mul(100).map(Fen)
    }

    pub fn checked_add(self, other: Fen) -> Result<Fen, Overflow> {
        self.0.checked_add(other.0).map(Fen).ok_or(Overflow)
    }

    pub fn checked_sub(self, other: Fen) -> Result<Fen, Overflow> {
        self.0.checked_sub(other.0).map(Fen).ok_or(Overflow)
    }

    pub fn checked_mul(self, n: i64) -> Result<Fen, Overflow> {
        self.0.checked_mul(n).map(Fen).ok_or(Overflow)
    }

    /// The sum of `amounts`, or `Overflow`.
    pub fn sum(amounts: impl IntoIterator<Item = Fen>) -> Result<Fen, Overflow> {
        amounts.into_iter().try_fold(Fen::ZERO, Fen::checked_add)
    }

    /// `bp` basis points of this amount, rounded down to the fen (e.g. dues: 0.5% of salary).
    pub fn share(self, bp: Bp) -> Result<Fen, Overflow> {
        let product = i128::from(self.0) * i128::from(bp.0) / 10_000;
        i64::try_from(product).map(Fen).map_err(|_| Overflow)
    }
}

/// 元 with two decimals and thousands separators: `Fen(141_700_000_00)` → `141,700,000.00`.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let yuan = (abs / 100).to_string();
        let mut grouped = String::with_capacity(yuan.len() + yuan.len() / 3);
        for (i, c) in yuan.chars().enumerate() {
            if i > 0 && (yuan.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}{grouped}.{:02}", abs % 100)
    }
}

impl ToSql<BigInt, Pg> for Fen {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
        <i64 as ToSql<BigInt, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<BigInt, Pg> for Fen {
    fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
        <i64 as FromSql<BigInt, Pg>>::from_sql(bytes).map(Fen)
    }
}

impl utoipa::PartialSchema for Fen {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
            .description(Some("An amount in fen (分; 1 元 = 100 分)."))
            .into()
    }
}

impl ToSchema for Fen {}

/// A ratio in basis points (10000 = 100%).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bp(pub i64);

impl Bp {
    pub const FULL: Bp = Bp(10_000);

    /// `part` of `whole`, rounded down; 0 when `whole` is not positive.
    pub fn rate(part: i64, whole: i64) -> Bp {
        if whole <= 0 { Bp(0) } else { Bp((i128::from(part) * 10_000 / i128::from(whole)) as i64) }
    }
}

impl utoipa::PartialSchema for Bp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
            .description(Some("A ratio in basis points (10000 = 100%)."))
            .into()
    }
}

impl ToSchema for Bp {}

/// A percentage with two decimals: `Bp(6574)` → `65.74%`.
impl fmt::Display for Bp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}%", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_displays_as_yuan() {
        assert_eq!(Fen(1_417_000_000).to_string(), "14,170,000.00");
        assert_eq!(Fen(5).to_string(), "0.05");
        assert_eq!(Fen(-123_456).to_string(), "-1,234.56");
        assert_eq!(Fen(100_000).to_string(), "1,000.00");
    }

    #[test]
    fn fen_arithmetic_is_checked() {
        assert_eq!(Fen(1).checked_add(Fen(2)), Ok(Fen(3)));
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), Err(Overflow));
        assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), Err(Overflow));
        assert_eq!(Fen::sum([Fen(1), Fen(2), Fen(3)]), Ok(Fen(6)));
        assert_eq!(Fen::from_yuan(1_782_000), Some(Fen(178_200_000)));
        assert_eq!(Fen(800_000).share(Bp(50)), Ok(Fen(4_000)), "0.5% of 8000 元 is 40 元");
        assert_eq!(serde_json::to_string(&Fen(42)).unwrap(), "42");
    }

    #[test]
    fn basis_points() {
        assert_eq!(Bp::rate(320, 320), Bp::FULL);
        assert_eq!(Bp::rate(1, 3), Bp(3333));
        assert_eq!(Bp::rate(5, 0), Bp(0));
        assert_eq!(Bp(6574).to_string(), "65.74%");
        assert_eq!(Bp(5).to_string(), "0.05%");
    }
}
