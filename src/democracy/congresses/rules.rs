//! Pure rules of congresses and attendance: the status machine (preparing → in session →
//! closed), which fields are "rules" frozen once the congress opens, the level a unit may
//! hold, the default proposal-number prefix, and the checks a congress's dates and quorum
//! must pass. No I/O; unit-tested below.

use crate::democracy::error::DemocracyError;
use chrono::NaiveDate;

use crate::auth::permissions::UnitScope;
use crate::democracy::types::{CheckInStatus, CongressLevel, CongressStatus};
use crate::error::FieldIssue;
use crate::membership::types::UnitKind;

/// What can happen to a congress's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CongressAction {
    /// 开幕: preparing → in session.
    Open,
    /// 闭幕: in session → closed.
    Close,
}

impl CongressAction {
    /// The action's name in routes, history rows and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            CongressAction::Open => "open",
            CongressAction::Close => "close",
        }
    }
}

/// The status a congress moves to, or `invalid_transition` (409).
pub fn congress_transition(from: CongressStatus, action: CongressAction) -> Result<CongressStatus, DemocracyError> {
    match (from, action) {
        (CongressStatus::Preparing, CongressAction::Open) => Ok(CongressStatus::InSession),
        (CongressStatus::InSession, CongressAction::Close) => Ok(CongressStatus::Closed),
        _ => Err(DemocracyError::InvalidTransition),
    }
}

/// Delegates are added, removed and re-classified only while the congress is prepared; once
/// it opens the roll is what quorums and ballots are counted against.
pub fn roll_editable(status: CongressStatus) -> Result<(), DemocracyError> {
    match status {
        CongressStatus::Preparing => Ok(()),
        CongressStatus::InSession => Err(DemocracyError::CongressNotPreparing),
        CongressStatus::Closed => Err(DemocracyError::CongressClosed),
    }
}

/// New delegates may join until the congress closes (a by-election during the session).
pub fn delegates_addable(status: CongressStatus) -> Result<(), DemocracyError> {
    if status == CongressStatus::Closed { Err(DemocracyError::CongressClosed) } else { Ok(()) }
}

/// Check-ins are taken at sittings, i.e. while the congress is in session.
pub fn check_ins_open(status: CongressStatus) -> Result<(), DemocracyError> {
    if status == CongressStatus::InSession { Ok(()) } else { Err(DemocracyError::CongressNotInSession) }
}

/// A change to a congress: closed ones are frozen, and the rules (deadline, numbering,
/// co-signers, windows, quorum, majority) change only while the congress is prepared, so no
/// proposal or vote is judged by a rule that changed under it.
pub fn check_update(status: CongressStatus, touches_rules: bool) -> Result<(), DemocracyError> {
    match status {
        CongressStatus::Closed => Err(DemocracyError::CongressClosed),
        CongressStatus::InSession if touches_rules => Err(DemocracyError::CongressRulesFrozen),
        _ => Ok(()),
    }
}

/// School level ⇔ the school union (root); unit level ⇔ a secondary union.
pub fn level_fits_unit(level: CongressLevel, unit: UnitKind) -> bool {
    matches!((level, unit), (CongressLevel::School, UnitKind::School) | (CongressLevel::Unit, UnitKind::Secondary))
}

/// The default proposal-number prefix: `2023-TA` for the school congress, `2023-JX-TA` for a
/// unit whose code is `JX` (underscores become hyphens). A unit without a usable code, or one
/// whose code makes the prefix longer than 20 characters, gets `2023-U<id>-TA`.
pub fn default_prefix(level: CongressLevel, year: i32, unit_id: i64, unit_code: Option<&str>) -> String {
    match level {
        CongressLevel::School => crate::democracy::proposals::rules::default_proposal_prefix(year, "TA"),
        CongressLevel::Unit => {
            let code = unit_code.map(|c| c.replace('_', "-")).filter(|c| !c.is_empty());
            let candidate =
                code.map(|c| crate::democracy::proposals::rules::default_proposal_prefix(year, &format!("{c}-TA")));
            candidate.filter(|p| prefix_ok(p)).unwrap_or_else(|| {
                crate::democracy::proposals::rules::default_proposal_prefix(year, &format!("U{unit_id}-TA"))
            })
        }
    }
}

/// The first of `base`, `base2`, `base3`, … that no congress holds yet, so a second congress
/// of the same unit in one year (an extraordinary session) gets `2023-TA2` instead of a
/// conflict. Falls back to `<year>-U<unit>-<n>` when the base is too long to extend.
pub fn first_free_prefix(base: &str, year: i32, unit_id: i64, taken: &[String]) -> String {
    let free = |p: &String| prefix_ok(p) && !taken.contains(p);
    std::iter::once(base.to_owned())
        .chain((2..100).map(|n| format!("{base}{n}")))
        .chain((2..100).map(|n| format!("{year}-U{unit_id}-{n}")))
        .find(free)
        .unwrap_or_else(|| format!("{year}-U{unit_id}"))
}

/// A proposal-number prefix as the database accepts it: `^[A-Za-z0-9-]{1,20}$`.
pub fn prefix_ok(p: &str) -> bool {
    (1..=20).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The cross-field checks of a congress: dates in order, the quorum a fraction ≤ 1.
pub fn check_congress_fields(
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    quorum_num: i16,
    quorum_den: i16,
) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if ends_on < starts_on {
        issues.push(FieldIssue::new("ends_on", "date_order").with("other", "starts_on"));
    }
    if quorum_num > quorum_den {
        issues.push(FieldIssue::new("quorum_num", "not_above").with("other", "quorum_den"));
    }
    issues
}

/// What a check-in does to an existing record: a new one is recorded, excused → present is
/// an update, and the same status again (or present → excused: who attended, attended) is
/// left unchanged, so a repeated check-in is idempotent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckInEffect {
    Record,
    Update,
    Unchanged,
}

pub fn check_in_effect(existing: Option<CheckInStatus>, wanted: CheckInStatus) -> CheckInEffect {
    match (existing, wanted) {
        (None, _) => CheckInEffect::Record,
        (Some(CheckInStatus::Excused), CheckInStatus::Present) => CheckInEffect::Update,
        (Some(_), _) => CheckInEffect::Unchanged,
    }
}

/// Which delegates of a congress a reader with `CongressesRead` sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visible {
    /// The whole roll: the congress is in the reader's scope.
    All,
    /// Only delegations whose unit path matches one of these LIKE patterns: a unit admin
    /// reading the school congress sees their own delegation.
    Delegations(Vec<String>),
}

impl Visible {
    /// LIKE patterns for the delegation unit's path, or `None` for all.
    pub fn patterns(&self) -> Option<Vec<String>> {
        match self {
            Visible::All => None,
            Visible::Delegations(p) => Some(p.clone()),
        }
    }
}

/// A congress in scope shows its whole roll; the school congress shows a scoped reader the
/// delegations in their scope; a unit congress outside the scope is not found (`None`).
pub fn delegate_visibility(congress_in_scope: bool, level: CongressLevel, scope: &UnitScope) -> Option<Visible> {
    if congress_in_scope {
        return Some(Visible::All);
    }
    match (level, scope.like_patterns()) {
        (CongressLevel::School, Some(patterns)) => Some(Visible::Delegations(patterns)),
        (CongressLevel::School, None) => Some(Visible::All),
        (CongressLevel::Unit, _) => None,
    }
}

/// The delegation a member sits in by default: the secondary union above (or at) their unit,
/// else their own unit. `secondaries` are (id, path) of the secondary unions.
pub fn default_delegation(member_unit: (i64, &str), secondaries: &[(i64, String)]) -> i64 {
    secondaries
        .iter()
        .find(|(_, path)| member_unit.1.starts_with(path.as_str()))
        .map(|(id, _)| *id)
        .unwrap_or(member_unit.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_congress_in_a_year_gets_the_next_free_prefix() {
        let taken = vec!["2023-TA".to_owned(), "2023-TA2".to_owned()];
        assert_eq!(first_free_prefix("2023-TA", 2023, 1, &[]), "2023-TA");
        assert_eq!(first_free_prefix("2023-TA", 2023, 1, &taken), "2023-TA3");
        let long = "2023-ABCDEFGHIJKL-TA".to_owned();
        assert_eq!(first_free_prefix(&long, 2023, 7, std::slice::from_ref(&long)), "2023-U7-2");
    }
    use CongressStatus as S;

    #[test]
    fn every_action_from_every_status() {
        let expected = [
            (S::Preparing, CongressAction::Open, Ok(S::InSession)),
            (S::Preparing, CongressAction::Close, Err(DemocracyError::InvalidTransition)),
            (S::InSession, CongressAction::Open, Err(DemocracyError::InvalidTransition)),
            (S::InSession, CongressAction::Close, Ok(S::Closed)),
            (S::Closed, CongressAction::Open, Err(DemocracyError::InvalidTransition)),
            (S::Closed, CongressAction::Close, Err(DemocracyError::InvalidTransition)),
        ];
        for (from, action, want) in expected {
            assert_eq!(congress_transition(from, action), want, "{from:?} {}", action.name());
        }
        assert_eq!(S::all().len() * 2, expected.len());
    }

    #[test]
    fn what_each_status_allows() {
        assert_eq!(roll_editable(S::Preparing), Ok(()));
        assert_eq!(roll_editable(S::InSession), Err(DemocracyError::CongressNotPreparing));
        assert_eq!(roll_editable(S::Closed), Err(DemocracyError::CongressClosed));
        assert_eq!(delegates_addable(S::InSession), Ok(()));
        assert_eq!(delegates_addable(S::Closed), Err(DemocracyError::CongressClosed));
        assert_eq!(check_ins_open(S::InSession), Ok(()));
        assert_eq!(check_ins_open(S::Preparing), Err(DemocracyError::CongressNotInSession));
        assert_eq!(check_ins_open(S::Closed), Err(DemocracyError::CongressNotInSession));
        assert_eq!(check_update(S::Preparing, true), Ok(()));
        assert_eq!(check_update(S::InSession, false), Ok(()));
        assert_eq!(check_update(S::InSession, true), Err(DemocracyError::CongressRulesFrozen));
        assert_eq!(check_update(S::Closed, false), Err(DemocracyError::CongressClosed));
    }

    #[test]
    fn level_matches_the_unit_kind() {
        assert!(level_fits_unit(CongressLevel::School, UnitKind::School));
        assert!(level_fits_unit(CongressLevel::Unit, UnitKind::Secondary));
        assert!(!level_fits_unit(CongressLevel::School, UnitKind::Secondary));
        assert!(!level_fits_unit(CongressLevel::Unit, UnitKind::School));
        assert!(!level_fits_unit(CongressLevel::Unit, UnitKind::Group));
    }

    #[test]
    fn default_prefixes() {
        assert_eq!(default_prefix(CongressLevel::School, 2023, 1, Some("ROOT")), "2023-TA");
        assert_eq!(default_prefix(CongressLevel::Unit, 2023, 5, Some("JX")), "2023-JX-TA");
        assert_eq!(default_prefix(CongressLevel::Unit, 2023, 5, Some("JX_2")), "2023-JX-2-TA");
        assert_eq!(default_prefix(CongressLevel::Unit, 2023, 5, None), "2023-U5-TA");
        assert_eq!(default_prefix(CongressLevel::Unit, 2023, 5, Some("AVERYLONGUNITCODE")), "2023-U5-TA");
        assert!(prefix_ok("2023-TA") && !prefix_ok("2023_TA") && !prefix_ok("") && !prefix_ok(&"A".repeat(21)));
    }

    #[test]
    fn cross_field_checks() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(check_congress_fields(d("2023-03-20"), d("2023-03-20"), 2, 3).is_empty());
        assert!(check_congress_fields(d("2023-03-20"), d("2023-03-22"), 3, 3).is_empty());
        let issues = check_congress_fields(d("2023-03-20"), d("2023-03-19"), 4, 3);
        let fields: Vec<_> = issues.iter().map(|i| (i.field.as_str(), i.code.as_str())).collect();
        assert_eq!(fields, [("ends_on", "date_order"), ("quorum_num", "not_above")]);
    }

    #[test]
    fn who_sees_which_delegates() {
        let unit_admin = UnitScope::subtrees_for_test(&["/1/5/"]);
        assert_eq!(delegate_visibility(true, CongressLevel::Unit, &unit_admin), Some(Visible::All));
        assert_eq!(
            delegate_visibility(false, CongressLevel::School, &unit_admin),
            Some(Visible::Delegations(vec!["/1/5/%".into()]))
        );
        assert_eq!(delegate_visibility(false, CongressLevel::Unit, &unit_admin), None);
        assert_eq!(delegate_visibility(true, CongressLevel::School, &UnitScope::all_for_test()), Some(Visible::All));
    }

    #[test]
    fn default_delegation_is_the_secondary_union() {
        let secondaries = vec![(5, "/1/5/".to_owned()), (55, "/1/55/".to_owned())];
        assert_eq!(default_delegation((7, "/1/5/7/"), &secondaries), 5);
        assert_eq!(default_delegation((55, "/1/55/"), &secondaries), 55);
        assert_eq!(default_delegation((1, "/1/"), &secondaries), 1);
    }

    #[test]
    fn check_ins_are_idempotent_and_only_improve() {
        use CheckInStatus::{Excused, Present};
        assert_eq!(check_in_effect(None, Present), CheckInEffect::Record);
        assert_eq!(check_in_effect(None, Excused), CheckInEffect::Record);
        assert_eq!(check_in_effect(Some(Excused), Present), CheckInEffect::Update);
        assert_eq!(check_in_effect(Some(Present), Present), CheckInEffect::Unchanged);
        assert_eq!(check_in_effect(Some(Excused), Excused), CheckInEffect::Unchanged);
        assert_eq!(check_in_effect(Some(Present), Excused), CheckInEffect::Unchanged);
    }
}
