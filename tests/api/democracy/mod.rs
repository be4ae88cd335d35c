//! Democratic management over HTTP: congresses, delegates, voting, proposals, departments,
//! suggestions, evaluations, the report and the demo year.

mod congresses;
mod delegates;
mod departments;
mod evaluations;
mod proposal_access;
mod proposal_reminders;
mod proposal_states;
mod proposals;
mod report;
mod seed;
mod suggestions;
mod voting;
