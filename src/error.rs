//! The one error vocabulary on the wire: `ApiError` → RFC 9457 problem+json.
//!
//! Handlers return `Result<_, ApiError>`. The body is rendered by the `http::context`
//! middleware, which knows the request's language and id; `error_response` below renders
//! a Chinese body without request id for the rare case where that middleware is absent.
//! Internal causes are logged once and never returned to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::i18n::{Lang, field_message, problem_text};

/// One invalid field (or, for imports, one cell of one row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// JSON path of the field (`name`, `grants[0].unit_id`), or the column of an imported row.
    #[schema(example = "staff_no")]
    pub field: String,
    /// Stable machine-readable reason, e.g. `required`, `length`, `invalid_date`.
    #[schema(example = "length")]
    pub code: String,
    /// Human-readable message in the request's language.
    pub message: String,
    /// Spreadsheet row number (header = 1) for import errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
}

pub use crate::kernel::issue::FieldIssue;

// The issue is plain data (kernel, so that domain error types can hold it without naming this
// module); how it reads in the request's language is decided here.
impl FieldIssue {
    pub fn render(&self, lang: Lang) -> FieldError {
        FieldError {
            field: self.field.clone(),
            code: self.code.clone(),
            message: field_message(&self.code, &self.params, lang),
            row: self.row,
        }
    }
}

/// RFC 9457 problem details, as sent.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:gonghui:problem:validation_failed", "title": "请求数据无效", "status": 422,
    "detail": "请求中有字段未通过校验。", "code": "validation_failed",
    "errors": [{"field": "staff_no", "code": "required", "message": "必填"}],
    "request_id": "0f7c2a9e-5b1d-4f7e-9b8e-2d1c3a4b5c6d"
}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// 415 only: the media type(s) the operation reads, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "application/json")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    BadRequest(&'static str, String),
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    #[error("forbidden")]
    Forbidden,
    /// 403 with its own code (an identity known elsewhere but not here, a disabled account).
    #[error("refused: {0}")]
    Refused(&'static str),
    /// An optional integration (WeChat, CAS) this deployment has not configured: 404 with its
    /// own code — nothing a client could retry, unlike a 503.
    #[error("not configured: {0}")]
    Unconfigured(&'static str),
    #[error("not found")]
    NotFound,
    #[error("no such route")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed(Vec<String>),
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("stale version (If-Match)")]
    PreconditionFailed,
    #[error("payload too large")]
    PayloadTooLarge,
    /// The body did not arrive within `GONGHUI_BODY_READ_TIMEOUT_MS` (a slow-body client).
    #[error("request body timed out")]
    BodyTimeout,
    /// 415, naming the media type(s) the route reads (`application/json`; for uploads
    /// `text/csv, application/vnd…sheet`).
    #[error("unsupported media type (expected {0})")]
    UnsupportedMediaType(&'static str),
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldIssue>),
    #[error("unprocessable: {0}")]
    Unprocessable(&'static str, Vec<FieldIssue>),
    #[error("rate limited for {0}s")]
    TooManyRequests(u64),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// 503 because another system (CAS, WeChat) failed or did not answer; the cause is logged, not sent.
    #[error("upstream unavailable: {0}: {1}")]
    Upstream(&'static str, String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn invalid(field: &str, code: &str) -> Self {
        ApiError::Validation(vec![FieldIssue::new(field, code)])
    }

    pub fn status(&self) -> StatusCode {
        use ApiError::*;
        match self {
            BadRequest(..) => StatusCode::BAD_REQUEST,
            Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Forbidden | Refused(_) => StatusCode::FORBIDDEN,
            Unconfigured(_) => StatusCode::NOT_FOUND,
            NotFound | RouteNotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Conflict(_) => StatusCode::CONFLICT,
            PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Validation(_) | Unprocessable(..) => StatusCode::UNPROCESSABLE_ENTITY,
            TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Unavailable(_) | Upstream(..) => StatusCode::SERVICE_UNAVAILABLE,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable snake_case code clients switch on.
    pub fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            BadRequest(code, _) | Conflict(code) | Unprocessable(code, _) | Unauthenticated(code) | Refused(code) => {
                code
            }
            Upstream(code, _) => code,
            Unconfigured(code) => code,
            Forbidden => "forbidden",
            NotFound => "not_found",
            RouteNotFound => "route_not_found",
            MethodNotAllowed(_) => "method_not_allowed",
            PreconditionFailed => "stale_version",
            PayloadTooLarge => "payload_too_large",
            BodyTimeout => "body_timeout",
            UnsupportedMediaType(_) => "unsupported_media_type",
            Validation(_) => "validation_failed",
            TooManyRequests(_) => "rate_limited",
            Unavailable(_) => "service_unavailable",
            Internal(_) => "internal_error",
        }
    }

    pub fn to_problem(&self, lang: Lang, request_id: Option<String>) -> Problem {
        let code = self.code();
        let status = self.status();
        let (title, mut detail) = problem_text(code, status.as_u16(), lang);
        let expected = match self {
            ApiError::UnsupportedMediaType(expected) => {
                detail = detail.replace("{expected}", expected);
                Some((*expected).to_owned())
            }
            _ => None,
        };
        let errors = match self {
            ApiError::Validation(issues) | ApiError::Unprocessable(_, issues) => {
                issues.iter().map(|i| i.render(lang)).collect()
            }
            _ => Vec::new(),
        };
        Problem {
            type_: format!("urn:gonghui:problem:{code}"),
            title,
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            errors,
            expected,
            request_id,
        }
    }

    /// Renders the full response (body and headers) in `lang`.
    pub fn render(&self, lang: Lang, request_id: Option<String>) -> HttpResponse {
        let problem = self.to_problem(lang, request_id);
        let mut res = HttpResponse::build(self.status());
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        res.insert_header((header::CONTENT_LANGUAGE, lang.tag()));
        match self {
            ApiError::TooManyRequests(secs) => {
                res.insert_header((header::RETRY_AFTER, secs.to_string()));
            }
            ApiError::Unavailable(_) | ApiError::Upstream(..) => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            ApiError::MethodNotAllowed(allow) => {
                if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                    res.insert_header((header::ALLOW, v));
                }
            }
            ApiError::Unauthenticated(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        res.body(body)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.render(Lang::Zh, None)
    }
}

/// A database value that does not parse into its enum: the row breaks the schema's rules.
/// Logged once (where the error is rendered) as an internal error, never defaulted.
pub fn internal(e: crate::kernel::wire::CorruptValue) -> ApiError {
    ApiError::Internal(anyhow::Error::new(e))
}

impl From<crate::kernel::wire::CorruptValue> for ApiError {
    fn from(e: crate::kernel::wire::CorruptValue) -> Self {
        internal(e)
    }
}

impl From<crate::db::PoolError> for ApiError {
    fn from(e: crate::db::PoolError) -> Self {
        ApiError::Unavailable(e.to_string())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match e {
            E::NotFound => ApiError::NotFound,
            E::DatabaseError(kind, info) => match kind {
                K::UniqueViolation => ApiError::Conflict(unique_code(info.constraint_name())),
                K::ForeignKeyViolation => ApiError::Conflict("referenced_record_missing"),
                K::CheckViolation | K::NotNullViolation => ApiError::Unprocessable("constraint_violated", Vec::new()),
                K::SerializationFailure => ApiError::Conflict("concurrent_update"),
                K::ClosedConnection | K::UnableToSendCommand => ApiError::Unavailable(info.message().to_owned()),
                // The server ended the session (restart, failover, pg_terminate_backend).
                K::Unknown if is_connection_loss(info.message()) => ApiError::Unavailable(info.message().to_owned()),
                _ => ApiError::Internal(anyhow::anyhow!("database error {kind:?}: {}", info.message())),
            },
            E::BrokenTransactionManager => ApiError::Unavailable("broken transaction manager".into()),
            other => ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Domain errors: each domain's enum, mapped to a status and code here, exhaustively.
// ---------------------------------------------------------------------------------------

impl From<crate::membership::error::ImportRejected> for ApiError {
    fn from(e: crate::membership::error::ImportRejected) -> Self {
        ApiError::Unprocessable("import_rejected", e.0)
    }
}

impl From<crate::membership::error::MembershipError> for ApiError {
    fn from(e: crate::membership::error::MembershipError) -> Self {
        use crate::membership::error::MembershipError as E;
        ApiError::Conflict(match e {
            E::MemberNotActive => "member_not_active",
            E::SameUnit => "same_unit",
            E::MemberNotLeft => "member_not_left",
            E::UnitCycle => "unit_cycle",
            E::UnitKindMisplaced => "unit_kind_misplaced",
        })
    }
}

impl From<crate::democracy::error::DemocracyError> for ApiError {
    fn from(e: crate::democracy::error::DemocracyError) -> Self {
        use crate::democracy::error::DemocracyError as E;
        match e {
            E::NotADelegate => ApiError::Refused("not_a_delegate"),
            E::NotAFormalDelegate => ApiError::Refused("not_a_formal_delegate"),
            E::NotProposer => ApiError::Refused("not_proposer"),
            E::NotInvited => ApiError::Refused("not_invited"),
            E::NotLeadHandler => ApiError::Refused("not_lead_handler"),
            E::MemberProfileRequired => ApiError::Refused("member_profile_required"),
            E::InvalidTransition => ApiError::Conflict("invalid_transition"),
            E::CongressClosed => ApiError::Conflict("congress_closed"),
            E::CongressNotInSession => ApiError::Conflict("congress_not_in_session"),
            E::CongressNotPreparing => ApiError::Conflict("congress_not_preparing"),
            E::CongressRulesFrozen => ApiError::Conflict("congress_rules_frozen"),
            E::NotCheckedIn => ApiError::Conflict("not_checked_in"),
            E::DelegateInUse => ApiError::Conflict("delegate_in_use"),
            E::MemberNotActive => ApiError::Conflict("member_not_active"),
            E::MotionNotDraft => ApiError::Conflict("motion_not_draft"),
            E::VotingNotOpen => ApiError::Conflict("voting_not_open"),
            E::CampaignIncomplete => ApiError::Conflict("campaign_incomplete"),
            E::CampaignNotDraft => ApiError::Conflict("campaign_not_draft"),
            E::CampaignNotOpen => ApiError::Conflict("campaign_not_open"),
            E::ResultsNotPublished => ApiError::Conflict("results_not_published"),
            E::ProposalLocked => ApiError::Conflict("proposal_locked"),
            E::AlreadyAnswered => ApiError::Conflict("already_answered"),
            E::ExtensionAlreadyRequested => ApiError::Conflict("extension_already_requested"),
            E::NoExtensionRequested => ApiError::Conflict("no_extension_requested"),
            E::ReopenRequiresUnsatisfied => ApiError::Conflict("reopen_requires_unsatisfied"),
            E::RehandleUsed => ApiError::Conflict("rehandle_used"),
            E::FeedbackWindowOpen => ApiError::Conflict("feedback_window_open"),
            E::TooFewCosigners { min } => ApiError::Unprocessable(
                "too_few_cosigners",
                vec![FieldIssue::new("cosigner_delegate_ids", "too_few_cosigners").with("min", min)],
            ),
        }
    }
}

/// Messages PostgreSQL sends when it ends a session (SQLSTATE classes 08 and 57P0x);
/// diesel reports them as `Unknown`, but for a client they mean "retry shortly".
fn is_connection_loss(message: &str) -> bool {
    ["terminating connection", "the database system is", "server closed the connection", "connection reset"]
        .iter()
        .any(|m| message.contains(m))
}

/// Unique constraints, by name, and the conflict code they mean for a client.
fn unique_code(constraint: Option<&str>) -> &'static str {
    match constraint.unwrap_or_default() {
        "members_staff_no_key" => "staff_no_taken",
        "members_id_card_hash_key" => "id_card_taken",
        "users_username_key" => "username_taken",
        "users_member_id_key" => "member_already_has_user",
        "role_grants_unique" => "role_already_granted",
        "units_name_per_parent" => "unit_name_taken",
        "units_code_key" => "unit_code_taken",
        "units_single_root" => "root_unit_exists",
        "honors_unique" => "honor_exists",
        "dues_one_per_month" => "dues_already_recorded",
        "wechat_bindings_openid_key" => "wechat_already_bound",
        "wechat_bindings_member_key" => "member_already_bound",
        "congresses_term_session" => "congress_exists",
        "congresses_proposal_prefix_key" => "proposal_prefix_taken",
        "delegates_one_per_member" => "already_delegate",
        "ballot_receipts_one_per_delegate" => "already_voted",
        "evaluation_receipts_one_per_delegate" => "already_evaluated",
        "departments_name_key" => "department_name_taken",
        "departments_code_key" => "department_code_taken",
        "department_handlers_pkey" => "already_handler",
        "proposal_cosigners_one_per_delegate" => "already_invited",
        "suggestions_from_proposal_key" => "already_converted",
        "evaluation_targets_name_key" => "target_name_taken",
        "evaluation_criteria_name_key" => "criterion_name_taken",
        _ => "duplicate",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_text_in_both_languages() {
        let errors = [
            ApiError::BadRequest("malformed_json", String::new()),
            ApiError::Unauthenticated("missing_token"),
            ApiError::Unauthenticated("invalid_token"),
            ApiError::Unauthenticated("invalid_credentials"),
            ApiError::Forbidden,
            ApiError::NotFound,
            ApiError::RouteNotFound,
            ApiError::MethodNotAllowed(vec!["GET".into()]),
            ApiError::Conflict("staff_no_taken"),
            ApiError::PreconditionFailed,
            ApiError::PayloadTooLarge,
            ApiError::BodyTimeout,
            ApiError::UnsupportedMediaType("application/json"),
            ApiError::Validation(vec![FieldIssue::new("name", "required")]),
            ApiError::TooManyRequests(3),
            ApiError::Unavailable(String::new()),
            ApiError::Refused("cas_user_unknown"),
            ApiError::Upstream("cas_unavailable", String::new()),
            ApiError::Internal(anyhow::anyhow!("boom")),
        ];
        for e in errors {
            let zh = e.to_problem(Lang::Zh, None);
            let en = e.to_problem(Lang::En, None);
            assert!(!zh.detail.is_empty() && !en.detail.is_empty(), "{}", e.code());
            assert_ne!(zh.title, en.title, "{} is translated", e.code());
            assert_eq!(zh.status, e.status().as_u16());
        }
    }

    /// Every domain error variant has its own text in both languages, for the problem and
    /// for each field issue it carries (no generic fallback).
    #[test]
    fn every_domain_error_has_its_own_text() {
        use crate::democracy::error::DemocracyError;
        use crate::membership::error::MembershipError;
        let mut errors: Vec<ApiError> = DemocracyError::ALL.iter().map(|e| ApiError::from(*e)).collect();
        errors.extend(
            [
                MembershipError::MemberNotActive,
                MembershipError::SameUnit,
                MembershipError::MemberNotLeft,
                MembershipError::UnitCycle,
                MembershipError::UnitKindMisplaced,
            ]
            .map(ApiError::from),
        );
        let generic = problem_text("no_such_code", 409, Lang::En).1;
        let generic_field = field_message("no_such_code", &[], Lang::En);
        let mut missing = Vec::new();
        for e in errors {
            for lang in [Lang::Zh, Lang::En] {
                let p = e.to_problem(lang, None);
                if p.detail == problem_text("no_such_code", 409, lang).1 || p.detail == generic {
                    missing.push(format!("problem {} ({lang:?})", e.code()));
                }
                for f in &p.errors {
                    if f.message == field_message("no_such_code", &[], lang) || f.message == generic_field {
                        missing.push(format!("field {} ({lang:?})", f.code));
                    }
                    assert!(!f.message.contains('{'), "unfilled placeholder in {}", f.message);
                }
            }
        }
        assert!(missing.is_empty(), "codes without text in src/i18n.rs: {missing:?}");
    }

    #[test]
    fn internal_cause_is_not_returned() {
        let e = ApiError::Internal(anyhow::anyhow!("password=hunter2"));
        let p = e.to_problem(Lang::En, None);
        assert!(!serde_json::to_string(&p).unwrap().contains("hunter2"));
    }

    #[test]
    fn a_terminated_session_is_unavailable_not_internal() {
        assert!(is_connection_loss("terminating connection due to administrator command"));
        assert!(is_connection_loss("the database system is shutting down"));
        assert!(!is_connection_loss("division by zero"));
    }

    #[test]
    fn unique_violations_map_by_constraint() {
        assert_eq!(unique_code(Some("members_staff_no_key")), "staff_no_taken");
        assert_eq!(unique_code(Some("something_else")), "duplicate");
        assert_eq!(unique_code(None), "duplicate");
    }
}
