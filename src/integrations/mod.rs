//! Clients of the systems gonghui integrates with.

pub mod cas;
pub mod wechat;
