pub mod api;
pub mod birthdays;
pub mod dto;
pub mod events;
pub mod idcard;
pub mod names;
pub mod rules;
pub mod store;
