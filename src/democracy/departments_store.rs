//! Handling departments (`/departments`) and their handler accounts.
