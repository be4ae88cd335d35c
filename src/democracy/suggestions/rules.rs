//! Pure rules of suggestions (意见建议): who a new suggestion is recorded for, the one
//! transition (open → responded), and statistics that list every category and source.

use crate::democracy::error::DemocracyError;
use crate::democracy::suggestions::dto::{CategoryCount, SourceCount};
use crate::democracy::types::{SuggestionSource, SuggestionStatus};
use crate::error::{ApiError, FieldIssue};

/// The member a new suggestion belongs to.
///
/// - A suggestions manager records one for any member named in `requested`, or for nobody
///   (an unnamed opinion gathered at a meeting).
/// - A member makes their own; naming another member is 422 `member_id` `not_own_member`.
/// - Anyone else (no member profile, no manager role) is 403 `member_profile_required`.
pub fn suggestion_owner(manager: bool, own: Option<i64>, requested: Option<i64>) -> Result<Option<i64>, ApiError> {
    if manager {
        return Ok(requested);
    }
    match (own, requested) {
        (Some(own), None) => Ok(Some(own)),
        (Some(own), Some(r)) if r == own => Ok(Some(own)),
        (Some(_), Some(_)) => Err(ApiError::Validation(vec![FieldIssue::new("member_id", "not_own_member")])),
        (None, _) => Err(DemocracyError::MemberProfileRequired.into()),
    }
}

/// The status after a response, or 409 `invalid_transition` when it was answered already.
pub fn respond(from: SuggestionStatus) -> Result<SuggestionStatus, DemocracyError> {
    match from {
        SuggestionStatus::Open => Ok(SuggestionStatus::Responded),
        SuggestionStatus::Responded => Err(DemocracyError::InvalidTransition),
    }
}

/// Every category (in its order), with the counts found, zero where none.
pub fn by_category(categories: &[(String, String)], counts: &[(String, i64, i64)]) -> Vec<CategoryCount> {
    categories
        .iter()
        .map(|(code, name)| {
            let (count, responded) =
                counts.iter().find(|(c, _, _)| c == code).map(|(_, n, r)| (*n, *r)).unwrap_or((0, 0));
            CategoryCount { code: code.clone(), name: name.clone(), count, responded }
        })
        .collect()
}

/// Every source, with the counts found, zero where none.
pub fn by_source(counts: &[(String, i64)]) -> Vec<SourceCount> {
    SuggestionSource::all()
        .iter()
        .map(|s| SourceCount {
            source: *s,
            label: s.label().to_owned(),
            count: counts.iter().find(|(c, _)| c == s.as_str()).map_or(0, |(_, n)| *n),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_of_a_new_suggestion() {
        assert_eq!(suggestion_owner(true, None, Some(7)).unwrap(), Some(7));
        assert_eq!(suggestion_owner(true, None, None).unwrap(), None);
        assert_eq!(suggestion_owner(true, Some(3), Some(7)).unwrap(), Some(7));
        assert_eq!(suggestion_owner(false, Some(3), None).unwrap(), Some(3));
        assert_eq!(suggestion_owner(false, Some(3), Some(3)).unwrap(), Some(3));
        assert!(matches!(suggestion_owner(false, Some(3), Some(7)), Err(ApiError::Validation(_))));
        assert!(matches!(suggestion_owner(false, None, None), Err(ApiError::Refused("member_profile_required"))));
        assert!(matches!(suggestion_owner(false, None, Some(7)), Err(ApiError::Refused("member_profile_required"))));
    }

    #[test]
    fn a_suggestion_is_answered_once() {
        assert_eq!(respond(SuggestionStatus::Open).unwrap(), SuggestionStatus::Responded);
        assert!(matches!(respond(SuggestionStatus::Responded), Err(DemocracyError::InvalidTransition)));
    }

    #[test]
    fn statistics_list_every_category_and_source() {
        let cats: Vec<(String, String)> =
            [("a", "甲"), ("b", "乙"), ("c", "丙")].iter().map(|(c, n)| (c.to_string(), n.to_string())).collect();
        let out = by_category(&cats, &[("b".into(), 5, 2)]);
        assert_eq!(out.len(), 3);
        assert_eq!((out[0].code.as_str(), out[0].count, out[0].responded), ("a", 0, 0));
        assert_eq!((out[1].name.as_str(), out[1].count, out[1].responded), ("乙", 5, 2));
        let sources = by_source(&[("late_proposal".into(), 4)]);
        assert_eq!(sources.len(), 3);
        assert_eq!((sources[0].source, sources[0].count), (SuggestionSource::Direct, 0));
        assert_eq!((sources[1].source, sources[1].count), (SuggestionSource::LateProposal, 4));
    }
}
