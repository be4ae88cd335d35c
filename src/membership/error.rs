//! What membership refuses, without HTTP: `crate::error` maps each variant to a status and code.

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
}
