//! The rules of motions as plain functions: the voting window's state machine, what a
//! result shows while voting and after it, and the quorum's threshold. No I/O; unit-tested.

use crate::democracy::rules::{self, Attendance, Tally, VotingRule};
use crate::democracy::types::MotionStatus;

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
    pub fn refusal(self) -> &'static str {
        match self {
            MotionAction::Edit => "motion_not_draft",
            MotionAction::OpenVoting => "invalid_transition",
            MotionAction::CloseVoting => "invalid_transition",
            MotionAction::CastBallot => "voting_not_open",
        }
    }
}

/// draft ─open-voting─▶ voting ─close-voting─▶ closed; edits in draft only; ballots while voting.
pub fn motion_transition(from: MotionStatus, action: MotionAction) -> Result<MotionStatus, &'static str> {
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
        quorum_met: rules::quorum_met(rule, att),
        quorum_needed: quorum_needed(rule, att.formal_total),
        majority_denominator: rules::majority_denominator(rule, att),
        votes_needed: rules::votes_needed(rule, att),
        passed: rules::motion_passes(rule, att, tally),
    }
}

/// Per-choice counts are shown only once voting has closed: live counts would let anyone
/// who watches them change tell how the delegate who just voted chose.
pub fn choices_visible(status: MotionStatus) -> bool {
    status == MotionStatus::Closed
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
                    (_, A::Edit) => Err("motion_not_draft"),
                    (_, A::CastBallot) => Err("voting_not_open"),
                    _ => Err("invalid_transition"),
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
        assert_eq!(motion_transition(S::Closed, A::CloseVoting), Err("invalid_transition"));
        assert_eq!(motion_transition(S::Closed, A::OpenVoting), Err("invalid_transition"));
        assert_eq!(motion_transition(S::Voting, A::OpenVoting), Err("invalid_transition"));
        assert_eq!(motion_transition(S::Draft, A::CloseVoting), Err("invalid_transition"));
        assert_eq!(motion_transition(S::Closed, A::CastBallot), Err("voting_not_open"));
        assert_eq!(motion_transition(S::Draft, A::CastBallot), Err("voting_not_open"));
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
                assert!(rules::quorum_met(&rule, &at(needed)), "{rule:?} {total}");
                assert!(!rules::quorum_met(&rule, &at(needed - 1)), "{rule:?} {total}");
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
