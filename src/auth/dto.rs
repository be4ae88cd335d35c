//! Request and response types of the auth and user-administration routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::permissions::Role;
use crate::http::spec::rules::SchemaRules;
use crate::http::spec::text;
use crate::kernel::wire::wire_enum;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 64))]
    #[schema(example = "admin", min_length = 1, max_length = 64)]
    pub username: String,
    #[validate(length(min = 1, max = 128))]
    #[schema(example = "correct-horse-42", min_length = 1, max_length = 128)]
    pub password: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 256))]
    #[schema(min_length = 1, max_length = 256)]
    pub refresh_token: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    /// EdDSA-signed JWT, valid `expires_in` seconds; send as `Authorization: Bearer …`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Single-use: exchange it at `/auth/refresh` for a new pair.
    pub refresh_token: String,
}

/// One role grant; `unit_id` is set for unit-scoped roles (unit_admin).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    pub role: Role,
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub unit_id: Option<i64>,
}

impl SchemaRules for GrantInput {
    /// `unit_id` exactly when the role is unit-scoped (`users::store::check_grant`).
    fn schema_rules() -> serde_json::Value {
        let (scoped, other): (Vec<Role>, Vec<Role>) = Role::ALL.into_iter().partition(|r| r.is_unit_scoped());
        let names = |roles: Vec<Role>| roles.into_iter().map(Role::as_str).collect::<Vec<_>>();
        json!({"oneOf": [
            {"required": ["unit_id"], "properties": {"role": {"enum": names(scoped)}, "unit_id": {"type": "integer"}}},
            {"properties": {"role": {"enum": names(other)}, "unit_id": {"type": "null"}}},
        ]})
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GrantView {
    pub id: i64,
    pub role: Role,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
}

wire_enum! {
    /// Whether an account may sign in.
    UserStatus {
        Active = "active", "正常", [];
        Disabled = "disabled", "停用", [];
        Deleted = "deleted", "已删除", [];
    }
}

wire_enum! {
    /// Whether an API client may still obtain tokens.
    ClientStatus {
        Active = "active", "有效", [];
        Revoked = "revoked", "已吊销", [];
    }
}

/// An administrative account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub member_id: Option<i64>,
    pub status: UserStatus,
    pub grants: Vec<GrantView>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The created account; `initial_password` is shown once, when the server generated it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: UserView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_password: Option<String>,
}

fn username_ok(v: &str) -> Result<(), validator::ValidationError> {
    let ok = (3..=64).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
    if ok { Ok(()) } else { Err(validator::ValidationError::new("invalid_format")) }
}

fn password_ok(v: &str) -> Result<(), validator::ValidationError> {
    if crate::auth::password::is_strong_enough(v) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("weak_password"))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 3–64 characters: lower-case letters, digits, `_`, `.`, `-`.
    #[validate(custom(function = "username_ok"))]
    #[schema(example = "unit3-admin", pattern = "^[a-z0-9_.-]{3,64}$")]
    pub username: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(example = "机械学院工会管理员", min_length = 1, max_length = 100)]
    pub display_name: String,
    /// Omit to have one generated and returned once. 12–128 characters with a letter (any
    /// alphabet) and an ASCII digit.
    #[validate(custom(function = "password_ok"))]
    #[schema(min_length = 12, max_length = 128, extensions(("x-text" = json!("with_digit"))))]
    pub password: Option<String>,
    /// Link to the member this account belongs to.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub member_id: Option<i64>,
    #[validate(nested, length(max = 20))]
    #[serde(default)]
    #[schema(max_items = 20)]
    pub grants: Vec<GrantInput>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: Option<String>,
    /// `active` or `disabled` (use DELETE to delete).
    pub status: Option<UserStatus>,
    /// 12–128 characters with a letter (any alphabet) and an ASCII digit.
    #[validate(custom(function = "password_ok"))]
    #[schema(min_length = 12, max_length = 128, extensions(("x-text" = json!("with_digit"))))]
    pub password: Option<String>,
}

impl SchemaRules for UpdateUser {
    /// `status` is `active` or `disabled`: an account is deleted with DELETE.
    fn schema_rules() -> serde_json::Value {
        json!({"not": {"required": ["status"], "properties": {"status": {"const": UserStatus::Deleted.as_str()}}}})
    }
}

/// Who is calling: the principal, their roles, and their member profile when bound.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// The account, for users.
    pub user_id: Option<i64>,
    /// The public client id, for API clients.
    pub client_id: Option<String>,
    /// Username, or the API client's name.
    pub username: String,
    pub display_name: String,
    pub roles: Vec<GrantView>,
    /// An API client's scopes (empty for users).
    pub scopes: Vec<crate::auth::permissions::ClientScope>,
    /// The caller's own member record (unmasked: it is theirs), when the account is bound to one.
    pub member: Option<crate::membership::MemberProfile>,
    /// The handling departments this account replies to proposals for (handlers).
    pub departments: Vec<crate::democracy::HandledDepartment>,
}

/// An API client (the integrated system, a dashboard). The secret is never shown again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiClientView {
    pub id: i64,
    /// Send as `client_id` to `/auth/token`.
    #[schema(example = "ghc_3fJ9kQ2mXw7aLp0R")]
    pub client_id: String,
    #[schema(example = "学校一体化平台")]
    pub name: String,
    pub scopes: Vec<crate::auth::permissions::ClientScope>,
    pub status: ClientStatus,
    /// When the client last obtained a token.
    pub last_used_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A client with its secret: the only time the secret is shown.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiClientWithSecret {
    #[serde(flatten)]
    pub client: ApiClientView,
    #[schema(example = "ghs_…")]
    pub client_secret: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiClient {
    #[validate(length(min = 1, max = 100))]
    #[schema(example = "学校一体化平台", min_length = 1, max_length = 100)]
    pub name: String,
    #[validate(length(min = 1, max = 4))]
    #[schema(min_items = 1, max_items = 4)]
    pub scopes: Vec<crate::auth::permissions::ClientScope>,
}

/// OAuth2 client-credentials request (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ClientTokenRequest {
    /// Must be `client_credentials` (422 `unsupported_grant_type` otherwise).
    #[validate(length(min = 1, max = 64))]
    #[schema(pattern = "^client_credentials$")]
    pub grant_type: String,
    /// In the form (`client_secret_post`), or in `Authorization: Basic` (`client_secret_basic`).
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128)]
    pub client_id: Option<String>,
    #[validate(length(min = 1, max = 256))]
    #[schema(min_length = 1, max_length = 256)]
    pub client_secret: Option<String>,
    /// Space-separated subset of the client's scopes; all of them when omitted.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub scope: Option<String>,
}

impl SchemaRules for ClientTokenRequest {
    /// Other form fields are ignored, but like every field they may hold no control character
    /// (`http::extract::parse_query`).
    fn schema_rules() -> serde_json::Value {
        let text = json!({"type": "string", "pattern": text::pattern(None, text::QUERY_CONTROLS)});
        json!({"propertyNames": text, "additionalProperties": text})
    }
}

/// OAuth2 token response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClientTokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    #[schema(example = 900)]
    pub expires_in: u64,
    /// The granted scopes, space-separated.
    #[schema(example = "reports:read")]
    pub scope: String,
}
