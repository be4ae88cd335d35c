//! Webhook request and response bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::kernel::wire::wire_enum;

/// An event type a subscription asks for (`member.created`, `proposal.status_changed`, …).
/// The types are registered by their domains (see [`crate::webhooks::EventCatalog`]); the
/// spec lists them as this schema's `enum`, filled in when the document is generated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventType(pub String);

impl EventType {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl utoipa::PartialSchema for EventType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("An event type registered by a domain (the enum lists them all)."))
            .into()
    }
}

impl ToSchema for EventType {}

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
    /// resolves to a link-local, metadata, private or loopback address. The pattern is the
    /// usual shape (a host name or IPv4 address, a port, printable ASCII after it); the
    /// service parses any URL (`webhooks::rules::check_url`).
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        example = "https://oa.example.edu.cn/hooks/gonghui",
        min_length = 1,
        max_length = 2000,
        pattern = r"^https?://(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}|(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?::[0-9]{1,4})?(?:[/?#][!-~]*)?$"
    )]
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

/// A new signing secret: the one given (16 to 200 characters), or a generated `whsec_…`.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateWebhookSecret {
    #[validate(length(min = 16, max = 200))]
    #[schema(min_length = 16, max_length = 200)]
    pub secret: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    /// As in `CreateWebhook`.
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^https?://(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}|(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?::[0-9]{1,4})?(?:[/?#][!-~]*)?$"
    )]
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

wire_enum! {
    /// Where a delivery stands.
    DeliveryStatus {
        /// Waiting for its first or next attempt (or being sent now).
        Pending = "pending", "待发送", [];
        Delivered = "delivered", "已送达", [];
        /// Given up: out of attempts, 410 Gone, a refused URL or an inactive subscription.
        Failed = "failed", "失败", [];
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
