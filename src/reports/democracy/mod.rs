//! `GET /reports/democracy`: the figures of democratic management for a year, a congress and
//! optionally one delegation — proposals from filing to feedback, delegates, participation,
//! motions, suggestions by category, the unit congresses (二级教代会建制率) and a breakdown
//! by delegation. Counts only: nothing names a person or reveals a vote.
//!
//! Definitions (rates in basis points, 10000 = 100%, rounded down):
//! - the congresses counted are those in the caller's scope matching `year` and `congress_id`
//!   (school and unit level alike); `unit_id` keeps the delegations in that unit's subtree:
//!   their delegates, the proposals their delegates filed and the suggestions of members of
//!   that subtree (motions are the congress's and are never filtered by unit);
//! - filed: every proposal past its draft; accepted: every proposal the committee accepted
//!   (whatever happened after); replied: with at least one reply; on time: every reply on time;
//!   on-time rate: replied on time / replied;
//! - satisfaction and result codes: the latest reply of each replied proposal; satisfaction
//!   rate: (satisfied + basically satisfied) / replied proposals with feedback;
//! - teachers: formal delegates of category teacher, as a share of the formal delegates (the
//!   60% rule); participation: formal delegates present at one sitting at least / formal;
//! - suggestions: those of the congresses counted (with `year` only, also those made that
//!   year outside any congress), all nine categories listed, zeros included;
//! - unit congresses: secondary unions (in the `unit_id` subtree) that held a unit-level
//!   congress (in session or closed) in the year (`year`, else the year of `congress_id`).

mod api;
mod dto;
mod store;

pub use api::get_democracy_report;
