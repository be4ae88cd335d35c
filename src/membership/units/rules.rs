//! The unit tree: materialised paths, cycles, which kind of unit hangs under which.

use crate::membership::types::UnitKind;

/// The materialised path of a unit under `parent_path` (`/1/` + 5 → `/1/5/`).
pub fn child_path(parent_path: &str, id: i64) -> String {
    format!("{parent_path}{id}/")
}

/// Moving the unit at `unit_path` under `new_parent_path` would create a cycle when the
/// new parent is the unit itself or lies below it.
pub fn move_creates_cycle(unit_path: &str, new_parent_path: &str) -> bool {
    new_parent_path.starts_with(unit_path)
}

/// Which kinds may hang under which: secondary unions under the school union, groups under
/// a secondary union or another group. The school union is the single root.
pub fn kind_fits_under(kind: UnitKind, parent: UnitKind) -> bool {
    matches!(
        (kind, parent),
        (UnitKind::Secondary, UnitKind::School)
            | (UnitKind::Group, UnitKind::Secondary)
            | (UnitKind::Group, UnitKind::Group)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_rules() {
        assert_eq!(child_path("/1/", 5), "/1/5/");
        assert!(move_creates_cycle("/1/5/", "/1/5/"));
        assert!(move_creates_cycle("/1/5/", "/1/5/9/"));
        assert!(!move_creates_cycle("/1/5/", "/1/55/"));
        assert!(!move_creates_cycle("/1/5/", "/1/"));
        assert!(kind_fits_under(UnitKind::Secondary, UnitKind::School));
        assert!(kind_fits_under(UnitKind::Group, UnitKind::Group));
        assert!(!kind_fits_under(UnitKind::School, UnitKind::Secondary));
        assert!(!kind_fits_under(UnitKind::Secondary, UnitKind::Secondary));
    }
}
