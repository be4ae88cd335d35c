//! Congresses (`/congresses`): term, session, dates, status and the rules they apply.
