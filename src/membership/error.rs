//! What membership refuses, without HTTP: `crate::error` maps each variant to a status and code.

use crate::kernel::issue::FieldIssue;

/// A membership rule refused the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MembershipError {
    /// Only an active member can transfer or leave.
    #[error("the member is not active")]
    MemberNotActive,
    /// A transfer to the unit the member is already in.
    #[error("the member is already in that unit")]
    SameUnit,
    /// Only a member who left can rejoin.
    #[error("the member has not left")]
    MemberNotLeft,
    /// Moving a unit under itself or one of its descendants.
    #[error("the move would make the unit its own ancestor")]
    UnitCycle,
    /// A unit kind under a parent it cannot hang under (a group under the school union…).
    #[error("this kind of unit cannot be placed there")]
    UnitKindMisplaced,
}

/// An import file with row errors (each issue names its `row` and `field`): the whole file is
/// refused and nothing is written.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the import file has {} problems", .0.len())]
pub struct ImportRejected(pub Vec<FieldIssue>);
