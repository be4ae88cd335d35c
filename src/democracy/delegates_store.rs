//! Delegates of a congress, check-ins per sitting and participation.
