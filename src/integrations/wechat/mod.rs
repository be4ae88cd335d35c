//! The WeChat mini-program (微信小程序): login from a `wx.login` code, binding an openid to a
//! member on first use, unbinding by an administrator, the access-token lifecycle and
//! subscribe messages (订阅消息).
//!
//! Rules:
//! - `POST /auth/wechat/login {code}` exchanges the code at `jscode2session`. A bound openid
//!   gets tokens for the member's account; an unbound one gets a binding ticket: a JWT of its
//!   own audience (`<aud>:wechat-binding`), valid `GONGHUI_WECHAT_BINDING_TTL_SECS`, usable once.
//!   `session_key` is never sent nor stored.
//! - `POST /auth/wechat/bind` binds the ticket's openid to a member proven by exactly one of:
//!   a CAS service ticket (strongest), the phone-number API (the number must belong to
//!   exactly one active member), or staff number + name + ID-card last 6 (weakest; only with
//!   `GONGHUI_WECHAT_BIND_BY_IDENTITY=true`). Failed proofs are throttled per openid.
//!   One openid ↔ one member (unique constraints).
//! - WeChat not configured (`GONGHUI_WECHAT_APPID` unset): the WeChat routes answer 404
//!   `wechat_not_configured`, and [`messages::enqueue_member_message`] does nothing.
//! - Openids, codes, phone numbers and tokens are never logged; audit rows carry a keyed
//!   hash of the openid ([`openid_hash`]), never the openid.

pub mod bind;
pub mod client;
pub mod login;
pub mod messages;
pub mod token;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::auth::dto::TokenPair;
use crate::config::{Config, WechatConfig};
use crate::crypto::SecretKey;
use crate::error::ApiError;
use crate::http::spec::rules::SchemaRules;

/// Routes under `/api/v1`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(login::wechat_login)
        .service(bind::wechat_bind)
        .service(bind::get_wechat_binding)
        .service(bind::delete_wechat_binding);
}

/// The WeChat configuration, or 404 `wechat_not_configured`.
pub fn configured(config: &Config) -> Result<&WechatConfig, ApiError> {
    config.wechat.as_ref().ok_or(ApiError::Unconfigured("wechat_not_configured"))
}

/// A short keyed hash of an openid, for audit rows and throttling keys (not reversible
/// without the service's key, stable across instances).
pub fn openid_hash(key: &SecretKey, openid: &str) -> String {
    hex::encode(&key.lookup_hash("wechat_openid", openid)[..8])
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WechatLoginRequest {
    /// The code from `wx.login()` (single-use, valid 5 minutes).
    #[validate(length(min = 1, max = 128))]
    #[schema(example = "0a3Xk1000Qp2uS1mYd300kG0P33Xk10S", min_length = 1, max_length = 128)]
    pub code: String,
}

/// The openid is not bound to a member yet: bind it with this ticket at `/auth/wechat/bind`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BindingRequired {
    /// Always `true`.
    pub binding_required: bool,
    /// Single-use; pass it to `/auth/wechat/bind`.
    pub binding_ticket: String,
    /// Seconds the ticket stays valid.
    #[schema(example = 600)]
    pub expires_in: u64,
}

/// Tokens (the openid is bound), or a binding ticket (it is not).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum WechatLoginResponse {
    Tokens(TokenPair),
    BindingRequired(BindingRequired),
}

/// A CAS service ticket obtained in a web-view, and the exact service URL it was issued for.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CasProof {
    #[validate(length(min = 1, max = 512))]
    #[schema(example = "ST-1-abcdef", min_length = 1, max_length = 512)]
    pub ticket: String,
    #[validate(length(min = 1, max = 2048))]
    #[schema(example = "https://gonghui.example.edu.cn/wechat/bind", min_length = 1, max_length = 2048)]
    pub service: String,
}

/// Binds the ticket's openid to a member. Give exactly one proof: `cas`, `phone_code`, or
/// `staff_no` + `name` + `id_card_last6` (only when the server allows it).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WechatBindRequest {
    #[validate(length(min = 1, max = 4096))]
    #[schema(min_length = 1, max_length = 4096)]
    pub binding_ticket: String,
    #[validate(nested)]
    pub cas: Option<CasProof>,
    /// The code of `<button open-type="getPhoneNumber">` (single-use, valid 5 minutes).
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128)]
    pub phone_code: Option<String>,
    #[validate(length(min = 1, max = 32))]
    #[schema(example = "A001", min_length = 1, max_length = 32, extensions(("x-text" = json!("not_blank"))))]
    pub staff_no: Option<String>,
    #[validate(length(min = 1, max = 50))]
    #[schema(example = "张三", min_length = 1, max_length = 50, extensions(("x-text" = json!("not_blank"))))]
    pub name: Option<String>,
    /// The last 6 characters of the ID-card number (`X` in either case).
    #[validate(length(equal = 6))]
    #[schema(example = "12345X", min_length = 6, max_length = 6, extensions(("x-text" = json!("not_blank"))))]
    pub id_card_last6: Option<String>,
}

impl SchemaRules for WechatBindRequest {
    /// Exactly one proof, the identity proof with all three fields (`bind::proof_of`; blank
    /// identity fields are refused by the `not_blank` patterns). `null` is the same as absent.
    fn schema_rules() -> serde_json::Value {
        let absent = json!({"type": "null"});
        let proof = |given: &[&str], schema: serde_json::Value| {
            let mut properties = serde_json::Map::new();
            for field in ["cas", "phone_code", "staff_no", "name", "id_card_last6"] {
                let s = if given.contains(&field) { schema.clone() } else { absent.clone() };
                properties.insert(field.to_owned(), s);
            }
            json!({"required": given, "properties": properties})
        };
        json!({"oneOf": [
            proof(&["cas"], json!({"type": "object"})),
            proof(&["phone_code"], json!({"type": "string"})),
            proof(&["staff_no", "name", "id_card_last6"], json!({"type": "string"})),
        ]})
    }
}

/// Whether a member has a WeChat binding (the openid itself is never shown).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WechatBindingView {
    pub member_id: i64,
    pub bound: bool,
    /// How the member proved who they are: `cas`, `phone` or `identity`.
    #[schema(example = "phone")]
    pub method: Option<String>,
    pub bound_at: Option<DateTime<Utc>>,
    /// Whether WeChat gave a unionid (the mini-program is bound to an open-platform account).
    pub has_unionid: bool,
}
