//! Member status transitions: only an active member transfers or leaves, only one who left rejoins.

use crate::membership::error::MembershipError;
use crate::membership::types::MemberStatus;

pub fn can_transfer(status: MemberStatus, from_unit: i64, to_unit: i64) -> Result<(), MembershipError> {
    if status != MemberStatus::Active {
        return Err(MembershipError::MemberNotActive);
    }
    if from_unit == to_unit {
        return Err(MembershipError::SameUnit);
    }
    Ok(())
}

pub fn can_leave(status: MemberStatus) -> Result<(), MembershipError> {
    match status {
        MemberStatus::Active => Ok(()),
        MemberStatus::Left => Err(MembershipError::MemberNotActive),
    }
}

pub fn can_rejoin(status: MemberStatus) -> Result<(), MembershipError> {
    match status {
        MemberStatus::Left => Ok(()),
        MemberStatus::Active => Err(MembershipError::MemberNotLeft),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_transitions() {
        assert!(can_transfer(MemberStatus::Active, 1, 2).is_ok());
        assert!(matches!(can_transfer(MemberStatus::Left, 1, 2), Err(MembershipError::MemberNotActive)));
        assert!(matches!(can_transfer(MemberStatus::Active, 2, 2), Err(MembershipError::SameUnit)));
        assert!(can_leave(MemberStatus::Active).is_ok());
        assert!(can_leave(MemberStatus::Left).is_err());
        assert!(can_rejoin(MemberStatus::Left).is_ok());
        assert!(can_rejoin(MemberStatus::Active).is_err());
    }
}
