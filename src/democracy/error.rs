//! What democratic management refuses, without HTTP: `crate::error` maps each variant to a
//! status (403 for the caller's standing on the object, 409 for the object's state, 422 for
//! an incomplete request) and its stable code, exhaustively.

/// A democracy rule refused the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DemocracyError {
    // The caller's standing on the object (403).
    #[error("the caller is not a delegate of this congress")]
    NotADelegate,
    #[error("the caller is an observer, not a formal delegate")]
    NotAFormalDelegate,
    #[error("only the proposer may do this")]
    NotProposer,
    #[error("the caller was not invited to co-sign")]
    NotInvited,
    #[error("only a handler of the lead department may do this")]
    NotLeadHandler,
    #[error("the caller has no member profile")]
    MemberProfileRequired,

    // The object's state (409).
    #[error("the action does not apply in the current status")]
    InvalidTransition,
    #[error("the congress is closed")]
    CongressClosed,
    #[error("the congress is not in session")]
    CongressNotInSession,
    #[error("the roll changes only while the congress is preparing")]
    CongressNotPreparing,
    #[error("the congress's rules are frozen once it opens")]
    CongressRulesFrozen,
    #[error("the delegate is not checked in present at the motion's sitting")]
    NotCheckedIn,
    #[error("the delegate has acted (ballot, check-in, proposal) and cannot be removed")]
    DelegateInUse,
    #[error("the member is not active")]
    MemberNotActive,
    #[error("the motion can be edited only as a draft")]
    MotionNotDraft,
    #[error("voting on the motion is not open")]
    VotingNotOpen,
    #[error("the campaign needs a target and a criterion to open")]
    CampaignIncomplete,
    #[error("the campaign can be edited only as a draft")]
    CampaignNotDraft,
    #[error("the campaign is not open")]
    CampaignNotOpen,
    #[error("results are published when the campaign closes")]
    ResultsNotPublished,
    #[error("the proposal can no longer be edited this way")]
    ProposalLocked,
    #[error("the invitation was answered already")]
    AlreadyAnswered,
    #[error("an extension is pending already")]
    ExtensionAlreadyRequested,
    #[error("no extension is pending")]
    NoExtensionRequested,
    #[error("a proposal is reopened only after an unsatisfied verdict")]
    ReopenRequiresUnsatisfied,
    #[error("the one re-handling has been used")]
    RehandleUsed,
    #[error("the proposer may still give feedback")]
    FeedbackWindowOpen,

    // An incomplete request (422).
    #[error("fewer co-signers than the congress requires ({min})")]
    TooFewCosigners { min: i16 },
}

impl DemocracyError {
    /// Every variant once (with a sample field where it has one), for the text tests.
    pub const ALL: &'static [DemocracyError] = &[
        DemocracyError::NotADelegate,
        DemocracyError::NotAFormalDelegate,
        DemocracyError::NotProposer,
        DemocracyError::NotInvited,
        DemocracyError::NotLeadHandler,
        DemocracyError::MemberProfileRequired,
        DemocracyError::InvalidTransition,
        DemocracyError::CongressClosed,
        DemocracyError::CongressNotInSession,
        DemocracyError::CongressNotPreparing,
        DemocracyError::CongressRulesFrozen,
        DemocracyError::NotCheckedIn,
        DemocracyError::DelegateInUse,
        DemocracyError::MemberNotActive,
        DemocracyError::MotionNotDraft,
        DemocracyError::VotingNotOpen,
        DemocracyError::CampaignIncomplete,
        DemocracyError::CampaignNotDraft,
        DemocracyError::CampaignNotOpen,
        DemocracyError::ResultsNotPublished,
        DemocracyError::ProposalLocked,
        DemocracyError::AlreadyAnswered,
        DemocracyError::ExtensionAlreadyRequested,
        DemocracyError::NoExtensionRequested,
        DemocracyError::ReopenRequiresUnsatisfied,
        DemocracyError::RehandleUsed,
        DemocracyError::FeedbackWindowOpen,
        DemocracyError::TooFewCosigners { min: 2 },
    ];
}
