//! Motions put to the vote, secret ballots and results.
