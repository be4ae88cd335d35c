//! The rules of motions as plain functions: the voting window's state machine, what a
//! result shows while voting and after it, and the quorum's threshold. No I/O; unit-tested.

use crate::democracy::error::DemocracyError;
use crate::democracy::types::{MajorityBase, MotionStatus};

/// What can happen to a motion's voting window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MotionAction {
    /// Edit the title, kind, description or sitting.
    Edit,
    OpenVoting,
    CloseVoting,
    /// A formal delegate casts a ballot (the status does not change).
    CastBallot,
}

impl MotionAction {
    /// The action's name in history rows and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            MotionAction::Edit => "edit",
            MotionAction::OpenVoting => "open-voting",
            MotionAction::CloseVoting => "close-voting",
            MotionAction::CastBallot => "ballot",
        }
    }

    /// The 409 code when the action does not apply in the motion's status.
    pub fn refusal(self) -> DemocracyError {
        match self {
            MotionAction::Edit => DemocracyError::MotionNotDraft,
            MotionAction::OpenVoting => DemocracyError::InvalidTransition,
            MotionAction::CloseVoting => DemocracyError::InvalidTransition,
            MotionAction::CastBallot => DemocracyError::VotingNotOpen,
        }
    }
}

/// draft ─open-voting─▶ voting ─close-voting─▶ closed; edits in draft only; ballots while voting.
pub fn motion_transition(from: MotionStatus, action: MotionAction) -> Result<MotionStatus, DemocracyError> {
    use MotionAction as A;
    use MotionStatus as S;
    match (from, action) {
        (S::Draft, A::Edit) => Ok(S::Draft),
        (S::Draft, A::OpenVoting) => Ok(S::Voting),
        (S::Voting, A::CloseVoting) => Ok(S::Closed),
        (S::Voting, A::CastBallot) => Ok(S::Voting),
        _ => Err(action.refusal()),
    }
}

/// The least number of present formal delegates that makes the quorum (`formal_total` = 0:
/// no quorum is possible, reported as 1).
pub fn quorum_needed(rule: &VotingRule, formal_total: i64) -> i64 {
    if formal_total <= 0 || rule.quorum_den <= 0 {
        return 1;
    }
    let product = rule.quorum_num * formal_total;
    if rule.quorum_inclusive {
        // ceil(num × total / den)
        (product + rule.quorum_den - 1) / rule.quorum_den
    } else {
        product / rule.quorum_den + 1
    }
}

/// The result as the rules make it: what the counts mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub quorum_met: bool,
    pub quorum_needed: i64,
    pub majority_denominator: i64,
    pub votes_needed: i64,
    pub passed: bool,
}

pub fn decide(rule: &VotingRule, att: &Attendance, tally: &Tally) -> Decision {
    Decision {
        quorum_met: quorum_met(rule, att),
        quorum_needed: quorum_needed(rule, att.formal_total),
        majority_denominator: majority_denominator(rule, att),
        votes_needed: votes_needed(rule, att),
        passed: motion_passes(rule, att, tally),
    }
}

/// Per-choice counts are shown only once voting has closed: live counts would let anyone
/// who watches them change tell how the delegate who just voted chose.
pub fn choices_visible(status: MotionStatus) -> bool {
    status == MotionStatus::Closed
}

/// The congress's voting rule (dated data on the congress row, with its source).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VotingRule {
    pub quorum_num: i64,
    pub quorum_den: i64,
    /// "三分之二以上" includes the two thirds themselves (以上 includes the number).
    pub quorum_inclusive: bool,
    pub majority_base: MajorityBase,
}

impl Default for VotingRule {
    fn default() -> Self {
        VotingRule { quorum_num: 2, quorum_den: 3, quorum_inclusive: true, majority_base: MajorityBase::AllFormal }
    }
}

/// Formal delegates at a sitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attendance {
    pub formal_total: i64,
    pub present: i64,
    pub excused: i64,
}

impl Attendance {
    /// Expected at the sitting: all formal delegates but those excused.
    pub fn expected(&self) -> i64 {
        (self.formal_total - self.excused).max(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub for_count: i64,
    pub against_count: i64,
    pub abstain_count: i64,
}

impl Tally {
    pub fn cast(&self) -> i64 {
        self.for_count + self.against_count + self.abstain_count
    }
}

/// Whether enough formal delegates are present for the sitting to decide anything.
pub fn quorum_met(rule: &VotingRule, att: &Attendance) -> bool {
    if att.formal_total == 0 {
        return false;
    }
    // present / total ⋛ num / den, in integers.
    let lhs = att.present * rule.quorum_den;
    let rhs = rule.quorum_num * att.formal_total;
    if rule.quorum_inclusive { lhs >= rhs } else { lhs > rhs }
}

/// The denominator of "more than half".
pub fn majority_denominator(rule: &VotingRule, att: &Attendance) -> i64 {
    match rule.majority_base {
        MajorityBase::AllFormal => att.formal_total,
        MajorityBase::Expected => att.expected(),
        MajorityBase::Present => att.present,
    }
}

/// Votes for needed to pass: the least number strictly more than half of the denominator.
pub fn votes_needed(rule: &VotingRule, att: &Attendance) -> i64 {
    majority_denominator(rule, att) / 2 + 1
}

/// A motion passes when the sitting has its quorum and more than half of the denominator
/// voted for (abstentions and absences count as not for).
pub fn motion_passes(rule: &VotingRule, att: &Attendance, tally: &Tally) -> bool {
    quorum_met(rule, att)
        && majority_denominator(rule, att) > 0
        && tally.for_count * 2 > majority_denominator(rule, att)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::democracy::types::MajorityBase;
    use MotionAction as A;
    use MotionStatus as S;

    const ACTIONS: [MotionAction; 4] = [A::Edit, A::OpenVoting, A::CloseVoting, A::CastBallot];

    /// Every action from every status: allowed (to which status) or refused (with which code).
    #[test]
    fn every_action_from_every_status() {
        let mut allowed = 0;
        for from in S::all() {
            for action in ACTIONS {
                let expected = match (from, action) {
                    (S::Draft, A::Edit) => Ok(S::Draft),
                    (S::Draft, A::OpenVoting) => Ok(S::Voting),
                    (S::Voting, A::CloseVoting) => Ok(S::Closed),
                    (S::Voting, A::CastBallot) => Ok(S::Voting),
                    (_, A::Edit) => Err(DemocracyError::MotionNotDraft),
                    (_, A::CastBallot) => Err(DemocracyError::VotingNotOpen),
                    _ => Err(DemocracyError::InvalidTransition),
                };
                assert_eq!(motion_transition(*from, action), expected, "{from:?} {action:?}");
                allowed += usize::from(expected.is_ok());
            }
        }
        assert_eq!(allowed, 4);
        assert_eq!(S::all().len() * ACTIONS.len(), 12);
    }

    #[test]
    fn closing_twice_and_reopening_are_refused() {
        assert_eq!(motion_transition(S::Closed, A::CloseVoting), Err(DemocracyError::InvalidTransition));
        assert_eq!(motion_transition(S::Closed, A::OpenVoting), Err(DemocracyError::InvalidTransition));
        assert_eq!(motion_transition(S::Voting, A::OpenVoting), Err(DemocracyError::InvalidTransition));
        assert_eq!(motion_transition(S::Draft, A::CloseVoting), Err(DemocracyError::InvalidTransition));
        assert_eq!(motion_transition(S::Closed, A::CastBallot), Err(DemocracyError::VotingNotOpen));
        assert_eq!(motion_transition(S::Draft, A::CastBallot), Err(DemocracyError::VotingNotOpen));
    }

    #[test]
    fn quorum_threshold_inclusive_and_strict() {
        let inclusive = VotingRule::default();
        assert_eq!(quorum_needed(&inclusive, 300), 200);
        assert_eq!(quorum_needed(&inclusive, 289), 193); // 192.67 → 193
        assert_eq!(quorum_needed(&inclusive, 3), 2);
        assert_eq!(quorum_needed(&inclusive, 0), 1);
        let strict = VotingRule { quorum_inclusive: false, ..VotingRule::default() };
        assert_eq!(quorum_needed(&strict, 300), 201);
        assert_eq!(quorum_needed(&strict, 289), 193);
        // The threshold agrees with quorum_met on both sides of it.
        for rule in [inclusive, strict] {
            for total in 1..=60 {
                let needed = quorum_needed(&rule, total);
                let at = |present| Attendance { formal_total: total, present, excused: 0 };
                assert!(quorum_met(&rule, &at(needed)), "{rule:?} {total}");
                assert!(!quorum_met(&rule, &at(needed - 1)), "{rule:?} {total}");
            }
        }
    }

    #[test]
    fn decisions_at_the_edges() {
        let rule = VotingRule::default();
        // Exactly two thirds present: quorum (以上 includes the number); exactly half for: not passed.
        let att = Attendance { formal_total: 300, present: 200, excused: 10 };
        let half = decide(&rule, &att, &Tally { for_count: 150, against_count: 40, abstain_count: 10 });
        assert!(half.quorum_met && !half.passed);
        assert_eq!((half.majority_denominator, half.votes_needed), (300, 151));
        let one_more = decide(&rule, &att, &Tally { for_count: 151, against_count: 39, abstain_count: 10 });
        assert!(one_more.passed);
        // One short of the quorum: nothing passes, however many vote for.
        let short = Attendance { formal_total: 300, present: 199, excused: 0 };
        assert!(!decide(&rule, &short, &Tally { for_count: 199, ..Tally::default() }).passed);
        // Other denominators.
        let present = VotingRule { majority_base: MajorityBase::Present, ..rule };
        let d = decide(&present, &att, &Tally { for_count: 101, ..Tally::default() });
        assert_eq!((d.majority_denominator, d.votes_needed, d.passed), (200, 101, true));
        let expected = VotingRule { majority_base: MajorityBase::Expected, ..rule };
        let d = decide(&expected, &att, &Tally { for_count: 145, ..Tally::default() });
        assert_eq!((d.majority_denominator, d.votes_needed, d.passed), (290, 146, false));
    }

    #[test]
    fn choices_show_only_after_close() {
        assert!(!choices_visible(S::Draft));
        assert!(!choices_visible(S::Voting));
        assert!(choices_visible(S::Closed));
    }
}

#[cfg(test)]
mod voting_tests {
    use super::*;
    use crate::democracy::types::MajorityBase;

    fn att(formal_total: i64, present: i64, excused: i64) -> Attendance {
        Attendance { formal_total, present, excused }
    }

    fn tally(f: i64, a: i64, ab: i64) -> Tally {
        Tally { for_count: f, against_count: a, abstain_count: ab }
    }

    #[test]
    fn quorum_at_exactly_two_thirds() {
        let rule = VotingRule::default();
        // 289 formal delegates: two thirds is 192.67, so 193 present is the least quorum.
        assert!(!quorum_met(&rule, &att(289, 192, 0)));
        assert!(quorum_met(&rule, &att(289, 193, 0)));
        // 300 formal: exactly two thirds (200) is a quorum under 以上 (inclusive) …
        assert!(quorum_met(&rule, &att(300, 200, 0)));
        assert!(!quorum_met(&rule, &att(300, 199, 0)));
        // … and not when the congress's rule says "more than".
        let strict = VotingRule { quorum_inclusive: false, ..rule };
        assert!(!quorum_met(&strict, &att(300, 200, 0)));
        assert!(quorum_met(&strict, &att(300, 201, 0)));
        assert!(!quorum_met(&rule, &att(0, 0, 0)), "no delegates, no quorum");
    }

    #[test]
    fn majority_is_more_than_half_of_all_formal_delegates() {
        let rule = VotingRule::default();
        let a = att(300, 250, 10);
        // Exactly half (150 of 300) does not pass; 151 does.
        assert!(!motion_passes(&rule, &a, &tally(150, 0, 100)));
        assert!(motion_passes(&rule, &a, &tally(151, 99, 0)));
        assert_eq!(votes_needed(&rule, &a), 151);
        // 289: more than half is 145.
        assert_eq!(votes_needed(&rule, &att(289, 289, 0)), 145);
        assert!(!motion_passes(&rule, &att(289, 289, 0), &tally(144, 0, 145)));
        assert!(motion_passes(&rule, &att(289, 289, 0), &tally(145, 144, 0)));
        // A majority of those voting is not enough when many are absent.
        assert!(!motion_passes(&rule, &att(300, 200, 0), &tally(140, 60, 0)));
    }

    #[test]
    fn the_denominator_is_configurable() {
        let a = att(300, 240, 20);
        let expected = VotingRule { majority_base: MajorityBase::Expected, ..VotingRule::default() };
        let present = VotingRule { majority_base: MajorityBase::Present, ..VotingRule::default() };
        assert_eq!(majority_denominator(&expected, &a), 280);
        assert_eq!(majority_denominator(&present, &a), 240);
        // 140 of 280 expected is exactly half: not passed; of 240 present it passes.
        assert!(!motion_passes(&expected, &a, &tally(140, 100, 0)));
        assert!(motion_passes(&present, &a, &tally(140, 100, 0)));
        assert!(!motion_passes(&present, &a, &tally(120, 120, 0)), "exactly half of those present");
    }

    #[test]
    fn no_quorum_no_decision() {
        let rule = VotingRule::default();
        assert!(!motion_passes(&rule, &att(300, 199, 0), &tally(199, 0, 0)));
    }
}
