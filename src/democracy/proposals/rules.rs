//! The proposal state machine and the rules of numbers and deadlines, as plain functions.
//! No I/O; unit-tested below.

use chrono::NaiveDate;

use crate::democracy::error::DemocracyError;
use crate::democracy::types::{Feedback, ProposalStatus};

/// Everything that can happen to a proposal. Each `POST /proposals/{id}/{action}` maps to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalAction {
    /// The proposer submits the draft. `late`: after the congress's deadline (it becomes a
    /// suggestion); `cosigned`: enough co-signers have already agreed.
    Submit {
        late: bool,
        cosigned: bool,
    },
    /// An invited co-signer answers; `threshold_reached` once enough have agreed.
    Cosign {
        threshold_reached: bool,
    },
    Withdraw,
    Accept,
    Decline,
    ConvertToSuggestion,
    Merge,
    Assign,
    RequestExtension,
    ApproveExtension,
    RejectExtension,
    Reply,
    Feedback,
    /// One re-handling after an unsatisfied verdict.
    Reopen {
        verdict: Option<Feedback>,
        rehandled: bool,
    },
    /// `feedback_window_over`: a replied proposal without feedback may be closed once the
    /// proposer's feedback window has passed.
    Close {
        feedback_window_over: bool,
    },
}

impl ProposalAction {
    /// The action's name in routes, history rows and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            ProposalAction::Submit { .. } => "submit",
            ProposalAction::Cosign { .. } => "cosign",
            ProposalAction::Withdraw => "withdraw",
            ProposalAction::Accept => "accept",
            ProposalAction::Decline => "decline",
            ProposalAction::ConvertToSuggestion => "convert-to-suggestion",
            ProposalAction::Merge => "merge",
            ProposalAction::Assign => "assign",
            ProposalAction::RequestExtension => "request-extension",
            ProposalAction::ApproveExtension => "approve-extension",
            ProposalAction::RejectExtension => "reject-extension",
            ProposalAction::Reply => "reply",
            ProposalAction::Feedback => "feedback",
            ProposalAction::Reopen { .. } => "reopen",
            ProposalAction::Close { .. } => "close",
        }
    }
}

/// The one transition function: the status after `action` from `from`, or why not.
///
/// ```text
/// draft ─submit─▶ submitted ─(co-signers agreed)─▶ under_review ─accept─▶ accepted ─assign─▶ assigned
///   │  (late: ─▶ converted)                        │ decline ─▶ declined ─convert/merge─▶ converted/merged
///   └─withdraw (draft, submitted, under_review)    │ convert / merge
/// assigned ─reply─▶ replied ─feedback─▶ feedback_given ─close─▶ closed
///                           └─close (feedback window over)   └─reopen (unsatisfied, once)─▶ assigned
/// ```
pub fn proposal_transition(from: ProposalStatus, action: ProposalAction) -> Result<ProposalStatus, DemocracyError> {
    use ProposalAction as A;
    use ProposalStatus as S;
    let invalid = Err(DemocracyError::InvalidTransition);
    match (from, action) {
        (S::Draft, A::Submit { late: true, .. }) => Ok(S::Converted),
        (S::Draft, A::Submit { cosigned: true, .. }) => Ok(S::UnderReview),
        (S::Draft, A::Submit { .. }) => Ok(S::Submitted),
        (S::Submitted, A::Cosign { threshold_reached: true }) => Ok(S::UnderReview),
        (S::Submitted, A::Cosign { threshold_reached: false }) => Ok(S::Submitted),
        // Late answers are recorded; the proposal does not move back.
        (S::UnderReview, A::Cosign { .. }) => Ok(S::UnderReview),
        (S::Draft | S::Submitted | S::UnderReview, A::Withdraw) => Ok(S::Withdrawn),
        (S::UnderReview, A::Accept) => Ok(S::Accepted),
        (S::UnderReview, A::Decline) => Ok(S::Declined),
        (S::UnderReview | S::Declined, A::ConvertToSuggestion) => Ok(S::Converted),
        (S::UnderReview | S::Declined, A::Merge) => Ok(S::Merged),
        // Re-assigning (other departments, another deadline) is allowed until the reply.
        (S::Accepted | S::Assigned, A::Assign) => Ok(S::Assigned),
        (S::Assigned, A::RequestExtension | A::ApproveExtension | A::RejectExtension) => Ok(S::Assigned),
        (S::Assigned, A::Reply) => Ok(S::Replied),
        (S::Replied, A::Feedback) => Ok(S::FeedbackGiven),
        (S::FeedbackGiven, A::Reopen { verdict, rehandled }) => {
            if verdict != Some(Feedback::Unsatisfied) {
                Err(DemocracyError::ReopenRequiresUnsatisfied)
            } else if rehandled {
                Err(DemocracyError::RehandleUsed)
            } else {
                Ok(S::Assigned)
            }
        }
        (S::FeedbackGiven, A::Close { .. }) => Ok(S::Closed),
        (S::Replied, A::Close { feedback_window_over: true }) => Ok(S::Closed),
        (S::Replied, A::Close { feedback_window_over: false }) => Err(DemocracyError::FeedbackWindowOpen),
        _ => invalid,
    }
}

/// Whether the committee (and handlers, and the public list) may see a proposal in this
/// status: drafts and proposals still gathering co-signatures are the proposer's own.
pub fn visible_to_committee(status: ProposalStatus) -> bool {
    !matches!(status, ProposalStatus::Draft | ProposalStatus::Submitted) && !(status == ProposalStatus::Withdrawn)
}

/// `2023-TA` and 7 → `2023-TA-007`.
pub fn proposal_number(prefix: &str, seq: i32) -> String {
    format!("{prefix}-{seq:03}")
}

/// The default proposal number prefix of a congress held in `year`.
pub fn default_proposal_prefix(year: i32, level_code: &str) -> String {
    format!("{year}-{level_code}")
}

/// Submitted after the deadline (a proposal submitted on the deadline day is in time).
pub fn is_late(submitted_on: NaiveDate, deadline: Option<NaiveDate>) -> bool {
    deadline.is_some_and(|d| submitted_on > d)
}

/// Replied on or before the due date.
pub fn replied_on_time(replied_on: NaiveDate, due_on: NaiveDate) -> bool {
    replied_on <= due_on
}

/// Overdue: still waiting for the reply after the due date.
pub fn is_overdue(status: ProposalStatus, due_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    status == ProposalStatus::Assigned && due_on.is_some_and(|d| today > d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProposalStatus as S;

    fn all_actions() -> Vec<ProposalAction> {
        use ProposalAction as A;
        let mut v = vec![
            A::Withdraw,
            A::Accept,
            A::Decline,
            A::ConvertToSuggestion,
            A::Merge,
            A::Assign,
            A::RequestExtension,
            A::ApproveExtension,
            A::RejectExtension,
            A::Reply,
            A::Feedback,
        ];
        for late in [false, true] {
            for cosigned in [false, true] {
                v.push(A::Submit { late, cosigned });
            }
        }
        for t in [false, true] {
            v.push(A::Cosign { threshold_reached: t });
            v.push(A::Close { feedback_window_over: t });
        }
        for verdict in
            [None, Some(Feedback::Satisfied), Some(Feedback::BasicallySatisfied), Some(Feedback::Unsatisfied)]
        {
            for rehandled in [false, true] {
                v.push(A::Reopen { verdict, rehandled });
            }
        }
        v
    }

    /// The whole table: every action from every status, allowed or refused.
    #[test]
    fn every_action_from_every_status() {
        use ProposalAction as A;
        let mut allowed = 0;
        for from in S::all() {
            for action in all_actions() {
                let got = proposal_transition(*from, action);
                let expected: Option<S> = match (from, action) {
                    (S::Draft, A::Submit { late: true, .. }) => Some(S::Converted),
                    (S::Draft, A::Submit { cosigned: true, .. }) => Some(S::UnderReview),
                    (S::Draft, A::Submit { .. }) => Some(S::Submitted),
                    (S::Submitted, A::Cosign { threshold_reached }) => {
                        Some(if threshold_reached { S::UnderReview } else { S::Submitted })
                    }
                    (S::UnderReview, A::Cosign { .. }) => Some(S::UnderReview),
                    (S::Draft | S::Submitted | S::UnderReview, A::Withdraw) => Some(S::Withdrawn),
                    (S::UnderReview, A::Accept) => Some(S::Accepted),
                    (S::UnderReview, A::Decline) => Some(S::Declined),
                    (S::UnderReview | S::Declined, A::ConvertToSuggestion) => Some(S::Converted),
                    (S::UnderReview | S::Declined, A::Merge) => Some(S::Merged),
                    (S::Accepted | S::Assigned, A::Assign) => Some(S::Assigned),
                    (S::Assigned, A::RequestExtension | A::ApproveExtension | A::RejectExtension) => Some(S::Assigned),
                    (S::Assigned, A::Reply) => Some(S::Replied),
                    (S::Replied, A::Feedback) => Some(S::FeedbackGiven),
                    (S::FeedbackGiven, A::Reopen { verdict: Some(Feedback::Unsatisfied), rehandled: false }) => {
                        Some(S::Assigned)
                    }
                    (S::FeedbackGiven, A::Close { .. }) => Some(S::Closed),
                    (S::Replied, A::Close { feedback_window_over: true }) => Some(S::Closed),
                    _ => None,
                };
                match expected {
                    Some(to) => {
                        assert_eq!(got, Ok(to), "{from:?} {action:?}");
                        allowed += 1;
                    }
                    None => assert!(got.is_err(), "{from:?} {action:?} should be refused, got {got:?}"),
                }
            }
        }
        assert_eq!(allowed, 28);
        // Terminal statuses accept nothing.
        for terminal in [S::Declined, S::Converted, S::Merged, S::Withdrawn, S::Closed] {
            let n = all_actions().into_iter().filter(|a| proposal_transition(terminal, *a).is_ok()).count();
            let expected = if terminal == S::Declined { 2 } else { 0 };
            assert_eq!(n, expected, "{terminal:?}");
        }
    }

    #[test]
    fn refusals_say_why() {
        use ProposalAction as A;
        let reopen = |verdict, rehandled| proposal_transition(S::FeedbackGiven, A::Reopen { verdict, rehandled });
        assert_eq!(reopen(Some(Feedback::Satisfied), false), Err(DemocracyError::ReopenRequiresUnsatisfied));
        assert_eq!(reopen(Some(Feedback::Unsatisfied), true), Err(DemocracyError::RehandleUsed));
        assert_eq!(
            proposal_transition(S::Replied, A::Close { feedback_window_over: false }),
            Err(DemocracyError::FeedbackWindowOpen)
        );
        assert_eq!(proposal_transition(S::Draft, A::Reply), Err(DemocracyError::InvalidTransition));
    }

    #[test]
    fn drafts_and_cosigning_are_private() {
        assert!(!visible_to_committee(S::Draft));
        assert!(!visible_to_committee(S::Submitted));
        assert!(!visible_to_committee(S::Withdrawn));
        assert!(visible_to_committee(S::UnderReview));
        assert!(visible_to_committee(S::Closed));
    }

    #[test]
    fn numbers_and_deadlines() {
        assert_eq!(proposal_number("2023-TA", 1), "2023-TA-001");
        assert_eq!(proposal_number("2023-TA", 33), "2023-TA-033");
        assert_eq!(proposal_number("2023-TA", 1234), "2023-TA-1234");
        assert_eq!(default_proposal_prefix(2023, "TA"), "2023-TA");
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(!is_late(d("2023-03-10"), Some(d("2023-03-10"))));
        assert!(is_late(d("2023-03-11"), Some(d("2023-03-10"))));
        assert!(!is_late(d("2099-01-01"), None));
        assert!(replied_on_time(d("2023-06-18"), d("2023-06-18")));
        assert!(!replied_on_time(d("2023-06-19"), d("2023-06-18")));
        assert!(is_overdue(S::Assigned, Some(d("2023-06-18")), d("2023-06-19")));
        assert!(!is_overdue(S::Assigned, Some(d("2023-06-18")), d("2023-06-18")));
        assert!(!is_overdue(S::Replied, Some(d("2023-06-18")), d("2023-07-19")));
    }
}
