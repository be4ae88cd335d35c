//! Webhook request and response bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// The events a subscription may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    /// A member was created (by hand).
    #[serde(rename = "member.created")]
    MemberCreated,
    /// A member's details changed.
    #[serde(rename = "member.updated")]
    MemberUpdated,
    /// A member moved to another unit.
    #[serde(rename = "member.transferred")]
    MemberTransferred,
    /// A member left the union.
    #[serde(rename = "member.left")]
    MemberLeft,
    /// A member who had left rejoined.
    #[serde(rename = "member.rejoined")]
    MemberRejoined,
    /// A file of members was imported (counts and units).
    #[serde(rename = "members.imported")]
    MembersImported,
    /// The monthly birthday list (active, non-retired members, by unit).
    #[serde(rename = "members.birthday_list")]
    MembersBirthdayList,
    /// A test delivery sent by `POST /webhooks/{id}/ping`.
    #[serde(rename = "webhook.ping")]
    WebhookPing,
    /// A proposal changed status (every transition: action, from, to, number).
    #[serde(rename = "proposal.status_changed")]
    ProposalStatusChanged,
    /// A proposal deadline is near or has passed (reply due in 7 days / 1 day, overdue, feedback due).
    #[serde(rename = "proposal.reminder")]
    ProposalReminder,
    /// Voting on a motion closed: counts, quorum and whether it passed (never who voted how).
    #[serde(rename = "motion.result")]
    MotionResult,
    /// A suggestion received its response.
    #[serde(rename = "suggestion.responded")]
    SuggestionResponded,
    /// An evaluation campaign closed and its aggregated results were published.
    #[serde(rename = "evaluation.published")]
    EvaluationPublished,
}

impl EventType {
    pub const ALL: [EventType; 13] = [
        EventType::MemberCreated,
        EventType::MemberUpdated,
        EventType::MemberTransferred,
        EventType::MemberLeft,
        EventType::MemberRejoined,
        EventType::MembersImported,
        EventType::MembersBirthdayList,
        EventType::WebhookPing,
        EventType::ProposalStatusChanged,
        EventType::ProposalReminder,
        EventType::MotionResult,
        EventType::SuggestionResponded,
        EventType::EvaluationPublished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::MemberCreated => "member.created",
            EventType::MemberUpdated => "member.updated",
            EventType::MemberTransferred => "member.transferred",
            EventType::MemberLeft => "member.left",
            EventType::MemberRejoined => "member.rejoined",
            EventType::MembersImported => "members.imported",
            EventType::MembersBirthdayList => "members.birthday_list",
            EventType::WebhookPing => "webhook.ping",
            EventType::ProposalStatusChanged => "proposal.status_changed",
            EventType::ProposalReminder => "proposal.reminder",
            EventType::MotionResult => "motion.result",
            EventType::SuggestionResponded => "suggestion.responded",
            EventType::EvaluationPublished => "evaluation.published",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// A subscription.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    #[schema(example = "https://oa.example.edu.cn/hooks/gonghui")]
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<EventType>,
    /// Inactive subscriptions get no new deliveries.
    pub active: bool,
    /// Set when the service deactivated it: `gone` (the receiver answered 410).
    pub disabled_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new subscription with its signing secret, shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The HMAC-SHA256 signing secret (the one given, or a generated `whsec_…`). Not shown again.
    pub secret: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// http(s) URL of the receiver; checked against the allow-list and refused when it
    /// resolves to a link-local, metadata, private or loopback address.
    #[validate(length(min = 1, max = 2000))]
    #[schema(example = "https://oa.example.edu.cn/hooks/gonghui", max_length = 2000)]
    pub url: String,
    #[validate(length(min = 1, max = 8))]
    #[schema(min_items = 1, max_items = 8)]
    pub event_types: Vec<EventType>,
    /// Signing secret, 16 to 200 characters; generated when omitted.
    #[validate(length(min = 16, max = 200))]
    #[schema(min_length = 16, max_length = 200)]
    pub secret: Option<String>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    #[validate(length(min = 1, max = 2000))]
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    #[validate(length(min = 1, max = 8))]
    #[schema(min_items = 1, max_items = 8)]
    pub event_types: Option<Vec<EventType>>,
    /// Reactivating clears `disabled_reason`.
    pub active: Option<bool>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt (or being sent now).
    Pending,
    Delivered,
    /// Given up: out of attempts, 410 Gone, a refused URL or an inactive subscription.
    Failed,
}

impl DeliveryStatus {
    pub fn parse(s: &str) -> DeliveryStatus {
        match s {
            "delivered" => DeliveryStatus::Delivered,
            "failed" => DeliveryStatus::Failed,
            _ => DeliveryStatus::Pending,
        }
    }
}

/// One event sent to one subscription.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    /// Also the `id` of the envelope and the `X-Gonghui-Delivery` header.
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: i64,
    #[schema(example = "member.transferred")]
    pub event_type: String,
    pub status: DeliveryStatus,
    /// HTTP attempts so far (all rounds).
    pub attempts: i32,
    /// Manual redeliveries so far.
    pub redeliveries: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One HTTP attempt of a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttemptView {
    pub attempt: i32,
    /// The receiver's status; absent when no answer came (timeout, connection refused).
    pub status_code: Option<i32>,
    pub duration_ms: i32,
    /// At most 500 characters.
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

/// A delivery with every attempt.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: DeliveryView,
    pub attempt_log: Vec<AttemptView>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFilter {
    /// Only deliveries in this status.
    pub status: Option<DeliveryStatus>,
}
