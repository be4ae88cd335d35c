//! Helpers every domain shares and which name no domain: dates in Asia/Shanghai and working
//! days, money in fen and ratios in basis points, wire enums, SQL helpers.

pub mod calendar;
pub mod ids;
pub mod issue;
pub mod money;
pub mod patch;
pub mod sql;
pub mod wire;
