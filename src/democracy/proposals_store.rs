//! Proposals (`/proposals`): filing, co-signatures, decisions, handling, feedback.
