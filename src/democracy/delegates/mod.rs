pub mod api;
pub mod check_ins;
pub mod dto;
pub mod store;
