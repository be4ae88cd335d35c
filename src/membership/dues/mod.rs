pub mod api;
pub mod dto;
pub mod rules;
pub mod store;
