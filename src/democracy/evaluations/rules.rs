//! Pure rules of democratic evaluations (民主评议): the campaign's state machine, the
//! completeness of a score sheet, and the aggregation of sheets into published results.
//!
//! A sheet scores every (target, criterion) pair of the campaign exactly once, each score
//! between 0 and the criterion's maximum. Results are means over sheets in exact integer
//! hundredths (`mean_x100`, rounded half up), ranked by the total mean (ties share a rank).

use crate::democracy::error::DemocracyError;
use std::collections::{HashMap, HashSet};

use crate::democracy::types::CampaignStatus;
use crate::error::FieldIssue;
use crate::kernel::money::Bp;

/// The actions that move a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignAction {
    /// draft → open (needs at least one target and one criterion).
    Open,
    /// open → closed: results are published.
    Close,
}

/// The campaign's next status, or 409 `invalid_transition`.
pub fn campaign_transition(from: CampaignStatus, action: CampaignAction) -> Result<CampaignStatus, DemocracyError> {
    match (from, action) {
        (CampaignStatus::Draft, CampaignAction::Open) => Ok(CampaignStatus::Open),
        (CampaignStatus::Open, CampaignAction::Close) => Ok(CampaignStatus::Closed),
        _ => Err(DemocracyError::InvalidTransition),
    }
}

/// A campaign opens only with something to score: 409 `campaign_incomplete` otherwise.
pub fn ready_to_open(targets: usize, criteria: usize) -> Result<(), DemocracyError> {
    if targets == 0 || criteria == 0 { Err(DemocracyError::CampaignIncomplete) } else { Ok(()) }
}

/// 422 `duplicate` on every name (after the first) that repeats an earlier one, with the
/// JSON path `<list>[i].name`.
pub fn duplicate_names<'a>(list: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<FieldIssue> {
    let mut seen = HashSet::new();
    names
        .into_iter()
        .enumerate()
        .filter(|(_, n)| !seen.insert(n.trim().to_owned()))
        .map(|(i, _)| FieldIssue::new(format!("{list}[{i}].name"), "duplicate"))
        .collect()
}

/// One score of a submitted sheet, as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreIn {
    pub target_id: i64,
    pub criterion_id: i64,
    pub score: i64,
}

/// A criterion of the sheet: its id and maximum score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Criterion {
    pub id: i64,
    pub max_score: i64,
}

/// Checks a sheet against the campaign's targets and criteria: every pair exactly once,
/// every score within `0..=max`. Returns the (target, criterion, score) triples to store,
/// or every problem found, each with its JSON path (`scores[3].score`).
pub fn check_sheet(
    targets: &[i64],
    criteria: &[Criterion],
    scores: &[ScoreIn],
) -> Result<Vec<(i64, i64, i16)>, Vec<FieldIssue>> {
    let targets: HashSet<i64> = targets.iter().copied().collect();
    let max: HashMap<i64, i64> = criteria.iter().map(|c| (c.id, c.max_score)).collect();
    let mut issues = Vec::new();
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(scores.len());
    for (i, s) in scores.iter().enumerate() {
        let mut ok = true;
        if !targets.contains(&s.target_id) {
            issues.push(FieldIssue::new(format!("scores[{i}].target_id"), "unknown_target").with("value", s.target_id));
            ok = false;
        }
        match max.get(&s.criterion_id) {
            None => {
                issues.push(
                    FieldIssue::new(format!("scores[{i}].criterion_id"), "unknown_criterion")
                        .with("value", s.criterion_id),
                );
                ok = false;
            }
            Some(&m) if s.score < 0 || s.score > m => {
                issues.push(FieldIssue::new(format!("scores[{i}].score"), "range").with("min", 0).with("max", m));
                ok = false;
            }
            Some(_) => {}
        }
        if ok && !seen.insert((s.target_id, s.criterion_id)) {
            issues.push(FieldIssue::new(format!("scores[{i}]"), "duplicate_score"));
            ok = false;
        }
        if ok {
            out.push((s.target_id, s.criterion_id, i16::try_from(s.score).unwrap_or(0)));
        }
    }
    let expected = targets.len() * max.len();
    if issues.is_empty() && seen.len() < expected {
        issues.push(FieldIssue::new("scores", "incomplete_sheet").with("missing", expected - seen.len()));
    }
    if issues.is_empty() { Ok(out) } else { Err(issues) }
}

/// `sum / n` in hundredths, rounded half up (scores are never negative); `None` for no sheets.
pub fn mean_x100(sum: i64, n: i64) -> Option<i64> {
    if n <= 0 {
        return None;
    }
    Some((sum * 200 + n) / (2 * n))
}

/// Competition ranks ("1, 1, 3") of values compared as exact fractions `num / den`,
/// highest first. A value with `den == 0` (no sheets) ranks after every other.
pub fn rank_desc(values: &[(i64, i64)]) -> Vec<i64> {
    let greater = |a: (i64, i64), b: (i64, i64)| -> bool {
        match (a.1 > 0, b.1 > 0) {
            (true, true) => i128::from(a.0) * i128::from(b.1) > i128::from(b.0) * i128::from(a.1),
            (true, false) => true,
            _ => false,
        }
    };
    values.iter().map(|&v| 1 + values.iter().filter(|&&o| greater(o, v)).count() as i64).collect()
}

/// Sum and count of one (target, criterion) pair over all sheets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairSum {
    pub target_id: i64,
    pub criterion_id: i64,
    pub sum: i64,
    pub count: i64,
}

/// The aggregate of one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetAggregate {
    pub target_id: i64,
    pub rank: i64,
    /// Sheets that scored this target.
    pub sheets: i64,
    /// Mean of the sheets' totals over all criteria, in hundredths.
    pub total_mean_x100: Option<i64>,
    /// The highest total a sheet can give.
    pub max_total: i64,
    /// Total mean as a share of the highest total, in basis points (rounded down).
    pub score_rate_bp: Option<crate::kernel::money::Bp>,
    /// (criterion id, mean in hundredths), in the order of `criteria`.
    pub criteria: Vec<(i64, Option<i64>)>,
}

/// Aggregates the pair sums into per-target means and ranks (targets and criteria in the
/// given order).
pub fn aggregate(targets: &[i64], criteria: &[Criterion], sums: &[PairSum]) -> Vec<TargetAggregate> {
    let by_pair: HashMap<(i64, i64), PairSum> = sums.iter().map(|s| ((s.target_id, s.criterion_id), *s)).collect();
    let max_total: i64 = criteria.iter().map(|c| c.max_score).sum();
    let mut out: Vec<TargetAggregate> = Vec::with_capacity(targets.len());
    let mut fractions = Vec::with_capacity(targets.len());
    for &t in targets {
        let pairs: Vec<Option<&PairSum>> = criteria.iter().map(|c| by_pair.get(&(t, c.id))).collect();
        let sheets = pairs.iter().map(|p| p.map_or(0, |p| p.count)).max().unwrap_or(0);
        let total: i64 = pairs.iter().map(|p| p.map_or(0, |p| p.sum)).sum();
        let total_mean_x100 = mean_x100(total, sheets);
        fractions.push((total, sheets));
        out.push(TargetAggregate {
            target_id: t,
            rank: 0,
            sheets,
            total_mean_x100,
            max_total,
            score_rate_bp: (sheets > 0 && max_total > 0).then(|| Bp::rate(total, sheets * max_total)),
            criteria: criteria
                .iter()
                .zip(&pairs)
                .map(|(c, p)| (c.id, p.and_then(|p| mean_x100(p.sum, p.count))))
                .collect(),
        });
    }
    for (agg, rank) in out.iter_mut().zip(rank_desc(&fractions)) {
        agg.rank = rank;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(issues: &[FieldIssue]) -> Vec<(String, String)> {
        issues.iter().map(|i| (i.field.clone(), i.code.clone())).collect()
    }

    const CRITERIA: [Criterion; 2] = [Criterion { id: 10, max_score: 10 }, Criterion { id: 11, max_score: 5 }];

    fn s(target_id: i64, criterion_id: i64, score: i64) -> ScoreIn {
        ScoreIn { target_id, criterion_id, score }
    }

    #[test]
    fn transitions_from_every_state() {
        use CampaignAction as A;
        use CampaignStatus as S;
        assert_eq!(campaign_transition(S::Draft, A::Open).unwrap(), S::Open);
        assert_eq!(campaign_transition(S::Open, A::Close).unwrap(), S::Closed);
        for (from, action) in [(S::Draft, A::Close), (S::Open, A::Open), (S::Closed, A::Open), (S::Closed, A::Close)] {
            assert!(matches!(campaign_transition(from, action), Err(DemocracyError::InvalidTransition)));
        }
        assert!(ready_to_open(1, 1).is_ok());
        assert!(matches!(ready_to_open(0, 3), Err(DemocracyError::CampaignIncomplete)));
        assert!(matches!(ready_to_open(2, 0), Err(DemocracyError::CampaignIncomplete)));
    }

    #[test]
    fn a_complete_sheet_passes() {
        let sheet = [s(1, 10, 10), s(1, 11, 0), s(2, 10, 7), s(2, 11, 5)];
        let stored = check_sheet(&[1, 2], &CRITERIA, &sheet).unwrap();
        assert_eq!(stored, vec![(1, 10, 10), (1, 11, 0), (2, 10, 7), (2, 11, 5)]);
    }

    #[test]
    fn every_fault_is_named_by_its_path() {
        let sheet = [s(1, 10, 11), s(1, 11, -1), s(9, 10, 3), s(2, 99, 3), s(2, 10, 4), s(2, 10, 4)];
        let issues = check_sheet(&[1, 2], &CRITERIA, &sheet).unwrap_err();
        assert_eq!(
            codes(&issues),
            vec![
                ("scores[0].score".into(), "range".into()),
                ("scores[1].score".into(), "range".into()),
                ("scores[2].target_id".into(), "unknown_target".into()),
                ("scores[3].criterion_id".into(), "unknown_criterion".into()),
                ("scores[5]".into(), "duplicate_score".into()),
            ]
        );
        assert!(issues[0].params.contains(&("max".to_owned(), "10".to_owned())));
        assert!(issues[1].params.contains(&("max".to_owned(), "5".to_owned())));
    }

    #[test]
    fn a_missing_pair_is_an_incomplete_sheet() {
        let issues = check_sheet(&[1, 2], &CRITERIA, &[s(1, 10, 1), s(1, 11, 1), s(2, 10, 1)]).unwrap_err();
        assert_eq!(codes(&issues), vec![("scores".into(), "incomplete_sheet".into())]);
        assert!(issues[0].params.contains(&("missing".to_owned(), "1".to_owned())));
        // The boundaries themselves are valid scores.
        assert!(check_sheet(&[1], &CRITERIA, &[s(1, 10, 0), s(1, 11, 5)]).is_ok());
    }

    #[test]
    fn means_are_exact_hundredths_rounded_half_up() {
        assert_eq!(mean_x100(0, 0), None);
        assert_eq!(mean_x100(10, 3), Some(333));
        assert_eq!(mean_x100(20, 3), Some(667));
        assert_eq!(mean_x100(1, 8), Some(13)); // 0.125 → 0.13
        assert_eq!(mean_x100(17, 2), Some(850));
        assert_eq!(mean_x100(289 * 100, 289), Some(10_000));
    }

    #[test]
    fn ranks_share_ties_and_compare_exact_fractions() {
        assert_eq!(rank_desc(&[(10, 3), (20, 6), (7, 2), (0, 0)]), vec![2, 2, 1, 4]);
        // 1/3 vs 333/1000: exact comparison, no rounding.
        assert_eq!(rank_desc(&[(1, 3), (333, 1000)]), vec![1, 2]);
        assert!(rank_desc(&[]).is_empty());
    }

    #[test]
    fn aggregation_means_totals_and_ranks() {
        // Two sheets: target 1 gets (10,5) and (8,4); target 2 gets (6,5) and (6,5).
        let sums = [
            PairSum { target_id: 1, criterion_id: 10, sum: 18, count: 2 },
            PairSum { target_id: 1, criterion_id: 11, sum: 9, count: 2 },
            PairSum { target_id: 2, criterion_id: 10, sum: 12, count: 2 },
            PairSum { target_id: 2, criterion_id: 11, sum: 10, count: 2 },
        ];
        let agg = aggregate(&[2, 1, 3], &CRITERIA, &sums);
        assert_eq!(agg[0].target_id, 2);
        assert_eq!(agg[0].total_mean_x100, Some(1100));
        assert_eq!(agg[0].rank, 2);
        assert_eq!(agg[0].criteria, vec![(10, Some(600)), (11, Some(500))]);
        assert_eq!(agg[1].total_mean_x100, Some(1350));
        assert_eq!(agg[1].rank, 1);
        assert_eq!(agg[1].max_total, 15);
        assert_eq!(agg[1].score_rate_bp, Some(Bp(9000)));
        assert_eq!(agg[1].sheets, 2);
        // A target nobody scored (no sheets yet) ranks last with empty means.
        assert_eq!((agg[2].sheets, agg[2].total_mean_x100, agg[2].rank), (0, None, 3));
        assert_eq!(agg[2].criteria, vec![(10, None), (11, None)]);
    }

    #[test]
    fn duplicate_names_point_at_the_repeat() {
        let issues = duplicate_names("targets", ["教务处", "人事处", "教务处 "]);
        assert_eq!(codes(&issues), vec![("targets[2].name".into(), "duplicate".into())]);
        assert!(duplicate_names("criteria", ["a", "b"]).is_empty());
    }
}
