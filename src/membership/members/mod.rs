pub mod api;
pub mod birthdays;
pub mod idcard;
pub mod names;
pub mod store;
