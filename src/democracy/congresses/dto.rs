//! Congresses (`/congresses`): term, session, dates, status and the rules they apply.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::democracy::types::{CongressKind, CongressLevel, CongressStatus, MajorityBase};

use crate::http::validators::no_surrounding_space;

fn prefix_format(v: &str) -> Result<(), validator::ValidationError> {
    if crate::democracy::congresses::rules::prefix_ok(v) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("invalid_format"))
    }
}

/// A congress with the rules it applies and the size of its roll.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CongressView {
    pub id: i64,
    /// The school union (school level) or the secondary union holding it.
    pub unit_id: i64,
    pub unit_name: String,
    pub level: CongressLevel,
    pub kind: CongressKind,
    #[schema(example = "第四届教职工代表大会第三次会议")]
    pub name: String,
    /// 届.
    pub term: i16,
    /// 次.
    pub session: i16,
    pub year: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub status: CongressStatus,
    /// Proposals submitted after this date become suggestions.
    pub proposal_deadline: Option<NaiveDate>,
    /// Proposal numbers are `<prefix>-NNN`.
    #[schema(example = "2023-TA")]
    pub proposal_prefix: String,
    /// Co-signers who must confirm before the committee sees a proposal.
    pub min_cosigners: i16,
    /// Days a lead department has to reply.
    pub reply_days: i32,
    /// The longest extension of a reply deadline that may be approved.
    pub max_extension_days: i32,
    /// Working days the proposer has for feedback.
    pub feedback_working_days: i32,
    /// Quorum: present / formal delegates ≥ (or >) quorum_num / quorum_den.
    pub quorum_num: i16,
    pub quorum_den: i16,
    /// Whether exactly the quorum fraction suffices (以上 includes the number).
    pub quorum_inclusive: bool,
    /// The denominator of "more than half".
    pub majority_base: MajorityBase,
    /// Where the rules come from (document and article).
    pub rule_source: String,
    /// Formal delegates on the roll.
    pub formal_delegates: i64,
    /// Observers on the roll.
    pub observer_delegates: i64,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CongressQuery {
    pub level: Option<CongressLevel>,
    pub status: Option<CongressStatus>,
    #[validate(range(min = 1949, max = 2100))]
    #[param(minimum = 1949, maximum = 2100)]
    pub year: Option<i32>,
    /// Congresses held by this unit.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub unit_id: Option<i64>,
}

/// A new congress. School level: the school union, by a caller with global scope; unit
/// level: a secondary union in the caller's scope. Rules left out take their defaults
/// (MoE Order No. 32 and the university's rules).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCongress {
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub unit_id: i64,
    pub level: CongressLevel,
    /// Defaults to `joint` (双代会).
    pub kind: Option<CongressKind>,
    #[validate(length(min = 1, max = 100), custom(function = "no_surrounding_space"))]
    #[schema(example = "第四届教职工代表大会第三次会议", min_length = 1, max_length = 100, extensions(("x-text" = json!("trimmed"))))]
    pub name: String,
    #[validate(range(min = 1, max = 99))]
    #[schema(minimum = 1, maximum = 99, example = 4)]
    pub term: i16,
    #[validate(range(min = 1, max = 99))]
    #[schema(minimum = 1, maximum = 99, example = 3)]
    pub session: i16,
    #[validate(range(min = 1949, max = 2100))]
    #[schema(minimum = 1949, maximum = 2100, example = 2023)]
    pub year: i32,
    pub starts_on: NaiveDate,
    /// On or after `starts_on`.
    pub ends_on: NaiveDate,
    pub proposal_deadline: Option<NaiveDate>,
    /// Defaults to `<year>-TA` (school) or `<year>-<unit code>-TA` (unit).
    #[validate(custom(function = "prefix_format"))]
    #[schema(example = "2023-TA", pattern = "^[A-Za-z0-9-]{1,20}$")]
    pub proposal_prefix: Option<String>,
    #[validate(range(min = 0, max = 50))]
    #[schema(minimum = 0, maximum = 50)]
    pub min_cosigners: Option<i16>,
    #[validate(range(min = 1, max = 730))]
    #[schema(minimum = 1, maximum = 730)]
    pub reply_days: Option<i32>,
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365)]
    pub max_extension_days: Option<i32>,
    #[validate(range(min = 1, max = 365))]
    #[schema(minimum = 1, maximum = 365)]
    pub feedback_working_days: Option<i32>,
    /// Not above `quorum_den`.
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub quorum_num: Option<i16>,
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub quorum_den: Option<i16>,
    pub quorum_inclusive: Option<bool>,
    pub majority_base: Option<MajorityBase>,
    #[validate(length(min = 1, max = 500), custom(function = "no_surrounding_space"))]
    #[schema(min_length = 1, max_length = 500, extensions(("x-text" = json!("trimmed"))))]
    pub rule_source: Option<String>,
}

/// The rule fields of a create or update request, borrowed (left out: keep / default).
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleChanges<'a> {
    pub min_cosigners: Option<i16>,
    pub reply_days: Option<i32>,
    pub max_extension_days: Option<i32>,
    pub feedback_working_days: Option<i32>,
    pub quorum_num: Option<i16>,
    pub quorum_den: Option<i16>,
    pub quorum_inclusive: Option<bool>,
    pub majority_base: Option<MajorityBase>,
    pub rule_source: Option<&'a str>,
}

impl RuleChanges<'_> {
    pub fn is_empty(&self) -> bool {
        self.min_cosigners.is_none()
            && self.reply_days.is_none()
            && self.max_extension_days.is_none()
            && self.feedback_working_days.is_none()
            && self.quorum_num.is_none()
            && self.quorum_den.is_none()
            && self.quorum_inclusive.is_none()
            && self.majority_base.is_none()
            && self.rule_source.is_none()
    }
}

impl CreateCongress {
    pub fn rules(&self) -> RuleChanges<'_> {
        RuleChanges {
            min_cosigners: self.min_cosigners,
            reply_days: self.reply_days,
            max_extension_days: self.max_extension_days,
            feedback_working_days: self.feedback_working_days,
            quorum_num: self.quorum_num,
            quorum_den: self.quorum_den,
            quorum_inclusive: self.quorum_inclusive,
            majority_base: self.majority_base,
            rule_source: self.rule_source.as_deref(),
        }
    }
}

impl UpdateCongress {
    pub fn rules(&self) -> RuleChanges<'_> {
        RuleChanges {
            min_cosigners: self.min_cosigners,
            reply_days: self.reply_days,
            max_extension_days: self.max_extension_days,
            feedback_working_days: self.feedback_working_days,
            quorum_num: self.quorum_num,
            quorum_den: self.quorum_den,
            quorum_inclusive: self.quorum_inclusive,
            majority_base: self.majority_base,
            rule_source: self.rule_source.as_deref(),
        }
    }

    /// Whether the change touches a rule (frozen once the congress opens).
    pub fn touches_rules(&self) -> bool {
        !self.rules().is_empty() || self.proposal_deadline.is_some() || self.proposal_prefix.is_some()
    }
}

/// Changes to a congress (not its unit or level). Rules — deadline, prefix, co-signers, windows, quorum,
/// majority, source — change only while it is preparing.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCongress {
    pub kind: Option<CongressKind>,
    #[validate(length(min = 1, max = 100), custom(function = "no_surrounding_space"))]
    #[schema(min_length = 1, max_length = 100, extensions(("x-text" = json!("trimmed"))))]
    pub name: Option<String>,
    #[validate(range(min = 1, max = 99))]
    #[schema(minimum = 1, maximum = 99)]
    pub term: Option<i16>,
    #[validate(range(min = 1, max = 99))]
    #[schema(minimum = 1, maximum = 99)]
    pub session: Option<i16>,
    #[validate(range(min = 1949, max = 2100))]
    #[schema(minimum = 1949, maximum = 2100)]
    pub year: Option<i32>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// The last day to file proposals; `null` removes the deadline.
    #[serde(default, deserialize_with = "crate::kernel::patch::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub proposal_deadline: Option<Option<NaiveDate>>,
    #[validate(custom(function = "prefix_format"))]
    #[schema(pattern = "^[A-Za-z0-9-]{1,20}$")]
    pub proposal_prefix: Option<String>,
    #[validate(range(min = 0, max = 50))]
    #[schema(minimum = 0, maximum = 50)]
    pub min_cosigners: Option<i16>,
    #[validate(range(min = 1, max = 730))]
    #[schema(minimum = 1, maximum = 730)]
    pub reply_days: Option<i32>,
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365)]
    pub max_extension_days: Option<i32>,
    #[validate(range(min = 1, max = 365))]
    #[schema(minimum = 1, maximum = 365)]
    pub feedback_working_days: Option<i32>,
    /// Not above `quorum_den`.
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub quorum_num: Option<i16>,
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub quorum_den: Option<i16>,
    pub quorum_inclusive: Option<bool>,
    pub majority_base: Option<MajorityBase>,
    #[validate(length(min = 1, max = 500), custom(function = "no_surrounding_space"))]
    #[schema(min_length = 1, max_length = 500, extensions(("x-text" = json!("trimmed"))))]
    pub rule_source: Option<String>,
}

/// One status change of a congress.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CongressHistoryEntry {
    pub id: i64,
    /// `create`, `open`, `close`.
    pub action: String,
    pub from_status: Option<CongressStatus>,
    pub to_status: CongressStatus,
    pub actor_user_id: Option<i64>,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Defaults to the current year (Asia/Shanghai).
    #[validate(range(min = 1949, max = 2100))]
    #[param(minimum = 1949, maximum = 2100)]
    pub year: Option<i32>,
}

/// A unit, briefly.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitBrief {
    pub id: i64,
    pub name: String,
    pub code: Option<String>,
}

/// 二级教代会建制率: secondary unions holding their own unit-level congress in a year.
/// A congress counts as held once it has opened (in session or closed); one still being
/// prepared is counted apart as planned. Units are those in the caller's scope.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CongressStats {
    pub year: i32,
    /// Secondary unions (kind `secondary`) in scope.
    pub secondary_units: i64,
    /// Of those, units whose own congress of that year has opened.
    pub units_holding: i64,
    /// Units whose congress of that year is still being prepared (not counted as holding).
    pub units_preparing: i64,
    /// units_holding / secondary_units in basis points (10000 = 100%).
    pub rate_bp: crate::kernel::money::Bp,
    /// Secondary unions without an opened congress that year (bounded by the organisation's
    /// size, so not paginated).
    pub units_without: Vec<UnitBrief>,
}
