//! The HTTP calls to WeChat's server API, and what their error codes mean for our clients.
//!
//! WeChat answers HTTP 200 with `{errcode, errmsg}` on most errors (and sometimes with
//! `text/plain` as content type), so every body is parsed as JSON whatever its headers say.
//! URLs carrying `access_token` or `secret` are never logged: transport errors are stripped
//! of their URL before they are formatted.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::WechatConfig;
use crate::error::ApiError;

/// System busy: retry later.
pub const ERR_BUSY: i64 = -1;
/// The access token is invalid (revoked by a refresh elsewhere): refresh and retry once.
pub const ERR_INVALID_TOKEN: i64 = 40001;
/// The access token expired.
pub const ERR_TOKEN_EXPIRED: i64 = 42001;
/// `js_code` (or phone code) is invalid.
pub const ERR_INVALID_CODE: i64 = 40029;
/// `js_code` was already used.
pub const ERR_CODE_USED: i64 = 40163;
/// Rate limited.
pub const ERR_RATE_LIMITED: i64 = 45011;
/// The user is blocked (high-risk account).
pub const ERR_USER_BLOCKED: i64 = 40226;
/// Subscribe message: the user has no remaining consent for this template.
pub const ERR_NO_CONSENT: i64 = 43101;

/// How long a client should wait after WeChat's per-minute rate limit.
pub const RATE_LIMIT_RETRY_SECS: u64 = 60;

/// A failed call to WeChat.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WechatError {
    /// WeChat answered with a non-zero `errcode`.
    #[error("wechat errcode {errcode}: {errmsg}")]
    Api { errcode: i64, errmsg: String },
    /// No answer, a timeout, or an HTTP error status.
    #[error("wechat unreachable: {0}")]
    Transport(String),
    /// An answer we cannot read.
    #[error("unreadable wechat answer: {0}")]
    Unparseable(String),
}

impl WechatError {
    pub fn errcode(&self) -> Option<i64> {
        match self {
            WechatError::Api { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }

    /// Worth retrying later: busy, transport failures, unreadable answers (5xx pages).
    pub fn is_transient(&self) -> bool {
        match self {
            WechatError::Api { errcode, .. } => *errcode == ERR_BUSY,
            WechatError::Transport(_) | WechatError::Unparseable(_) => true,
        }
    }

    pub fn is_invalid_token(&self) -> bool {
        matches!(self.errcode(), Some(ERR_INVALID_TOKEN | ERR_TOKEN_EXPIRED))
    }
}

/// The problem a client gets for a WeChat failure during login or binding.
pub fn api_error(e: &WechatError) -> ApiError {
    match e.errcode() {
        Some(ERR_INVALID_CODE) => ApiError::Unauthenticated("wechat_code_invalid"),
        Some(ERR_CODE_USED) => ApiError::Conflict("wechat_code_used"),
        Some(ERR_RATE_LIMITED) => ApiError::TooManyRequests(RATE_LIMIT_RETRY_SECS),
        Some(ERR_BUSY) => ApiError::Upstream("wechat_busy", e.to_string()),
        Some(ERR_USER_BLOCKED) => ApiError::Refused("wechat_user_blocked"),
        _ => ApiError::Upstream("wechat_unavailable", e.to_string()),
    }
}

fn transport(e: reqwest::Error) -> WechatError {
    // Without the URL: it may carry the access token or the app secret.
    WechatError::Transport(e.without_url().to_string())
}

/// Reads an answer: non-2xx is a transport failure; a non-zero `errcode` is an API error.
async fn read(res: Result<reqwest::Response, reqwest::Error>) -> Result<Value, WechatError> {
    let res = res.map_err(transport)?;
    let status = res.status();
    let bytes = res.bytes().await.map_err(transport)?;
    if !status.is_success() {
        return Err(WechatError::Transport(format!("HTTP {}", status.as_u16())));
    }
    parse(&bytes)
}

/// Parses a WeChat body; `errcode` absent or 0 is success.
pub fn parse(bytes: &[u8]) -> Result<Value, WechatError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|_| WechatError::Unparseable(format!("{} bytes, not JSON", bytes.len())))?;
    if !value.is_object() {
        return Err(WechatError::Unparseable("not a JSON object".into()));
    }
    match value.get("errcode") {
        None | Some(Value::Null) => Ok(value),
        Some(code) => match code.as_i64() {
            Some(0) => Ok(value),
            Some(errcode) => Err(WechatError::Api {
                errcode,
                errmsg: value.get("errmsg").and_then(Value::as_str).unwrap_or_default().chars().take(200).collect(),
            }),
            None => Err(WechatError::Unparseable("errcode is not a number".into())),
        },
    }
}

/// What `jscode2session` tells us. `session_key` is deliberately not kept.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Session {
    pub openid: String,
    #[serde(default)]
    pub unionid: Option<String>,
}

fn session_of(value: Value) -> Result<Session, WechatError> {
    let session: Session =
        serde_json::from_value(value).map_err(|_| WechatError::Unparseable("no openid in jscode2session".into()))?;
    let valid = |s: &str| !s.is_empty() && s.len() <= 128;
    if !valid(&session.openid) || session.unionid.as_deref().is_some_and(|u| !valid(u)) {
        return Err(WechatError::Unparseable("openid or unionid out of range".into()));
    }
    Ok(session)
}

/// `GET /sns/jscode2session`: exchanges a mini-program login code for the openid.
pub async fn jscode2session(http: &reqwest::Client, wx: &WechatConfig, code: &str) -> Result<Session, WechatError> {
    let res = http
        .get(format!("{}/sns/jscode2session", wx.api_base))
        .query(&[
            ("appid", wx.appid.as_str()),
            ("secret", wx.secret.expose()),
            ("js_code", code),
            ("grant_type", "authorization_code"),
        ])
        .send()
        .await;
    session_of(read(res).await?)
}

/// A fresh access token and its lifetime in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreshToken {
    pub token: String,
    pub expires_in: i64,
}

/// `POST /cgi-bin/stable_token`.
pub async fn stable_token(
    http: &reqwest::Client,
    wx: &WechatConfig,
    force_refresh: bool,
) -> Result<FreshToken, WechatError> {
    let body = json!({
        "grant_type": "client_credential",
        "appid": wx.appid,
        "secret": wx.secret.expose(),
        "force_refresh": force_refresh,
    });
    let res = http.post(format!("{}/cgi-bin/stable_token", wx.api_base)).json(&body).send().await;
    let value = read(res).await?;
    let token = value.get("access_token").and_then(Value::as_str).filter(|t| !t.is_empty() && t.len() <= 2048);
    let expires_in = value.get("expires_in").and_then(Value::as_i64).filter(|s| *s > 0);
    match (token, expires_in) {
        (Some(token), Some(expires_in)) => Ok(FreshToken { token: token.to_owned(), expires_in }),
        _ => Err(WechatError::Unparseable("no access_token in stable_token".into())),
    }
}

/// `POST {path}?access_token=…` with a JSON body.
pub async fn post_with_access_token(
    http: &reqwest::Client,
    wx: &WechatConfig,
    path: &str,
    access_token: &str,
    body: &Value,
) -> Result<Value, WechatError> {
    let res =
        http.post(format!("{}{path}", wx.api_base)).query(&[("access_token", access_token)]).json(body).send().await;
    read(res).await
}

/// The verified phone number of a `getuserphonenumber` answer: the watermark must name our
/// appid (a code obtained by another mini-program proves nothing here).
pub fn phone_of(value: &Value, appid: &str) -> Result<String, WechatError> {
    let info = value.get("phone_info").ok_or_else(|| WechatError::Unparseable("no phone_info".into()))?;
    let watermark = info.get("watermark").and_then(|w| w.get("appid")).and_then(Value::as_str);
    if watermark != Some(appid) {
        return Err(WechatError::Unparseable("phone_info watermark names another appid".into()));
    }
    let country = match info.get("countryCode") {
        Some(Value::String(s)) => s.trim().trim_start_matches('+').to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "86".to_owned(),
    };
    let phone = info.get("purePhoneNumber").and_then(Value::as_str).unwrap_or_default().trim();
    if country != "86" || phone.is_empty() {
        return Err(WechatError::Unparseable("not a mainland phone number".into()));
    }
    Ok(phone.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_success_and_error_bodies() {
        assert_eq!(parse(br#"{"openid":"o1","session_key":"k"}"#).unwrap()["openid"], "o1");
        assert_eq!(parse(br#"{"errcode":0,"errmsg":"ok"}"#).unwrap()["errmsg"], "ok");
        assert_eq!(
            parse(br#"{"errcode":40029,"errmsg":"invalid code"}"#),
            Err(WechatError::Api { errcode: 40029, errmsg: "invalid code".into() })
        );
        assert!(matches!(parse(b"<html>502</html>"), Err(WechatError::Unparseable(_))));
        assert!(matches!(parse(b"[]"), Err(WechatError::Unparseable(_))));
        assert!(matches!(parse(br#"{"errcode":"x"}"#), Err(WechatError::Unparseable(_))));
    }

    #[test]
    fn sessions_never_keep_the_session_key() {
        let s = session_of(json!({"openid": "o1", "session_key": "secret", "unionid": "u1"})).unwrap();
        assert_eq!(s, Session { openid: "o1".into(), unionid: Some("u1".into()) });
        assert!(session_of(json!({"session_key": "k"})).is_err());
        assert!(session_of(json!({"openid": ""})).is_err());
    }

    #[test]
    fn errcodes_map_to_problems() {
        let api = |errcode| WechatError::Api { errcode, errmsg: String::new() };
        let cases = [
            (api(40029), 401, "wechat_code_invalid"),
            (api(40163), 409, "wechat_code_used"),
            (api(45011), 429, "rate_limited"),
            (api(-1), 503, "wechat_busy"),
            (api(40226), 403, "wechat_user_blocked"),
            (api(40013), 503, "wechat_unavailable"),
            (WechatError::Transport("timeout".into()), 503, "wechat_unavailable"),
            (WechatError::Unparseable("x".into()), 503, "wechat_unavailable"),
        ];
        for (e, status, code) in cases {
            let problem = api_error(&e);
            assert_eq!((problem.status().as_u16(), problem.code()), (status, code), "{e}");
        }
        assert!(matches!(api_error(&api(45011)), ApiError::TooManyRequests(60)));
        assert!(api(-1).is_transient() && !api(40029).is_transient());
        assert!(api(40001).is_invalid_token() && api(42001).is_invalid_token() && !api(40003).is_invalid_token());
    }

    #[test]
    fn phone_numbers_need_our_watermark() {
        let answer = |appid: &str, country: Value| {
            json!({"errcode": 0, "phone_info": {"phoneNumber": "+86 13812341234", "purePhoneNumber": "13812341234",
                "countryCode": country, "watermark": {"timestamp": 1, "appid": appid}}})
        };
        assert_eq!(phone_of(&answer("wxapp", json!("86")), "wxapp").unwrap(), "13812341234");
        assert_eq!(phone_of(&answer("wxapp", json!(86)), "wxapp").unwrap(), "13812341234");
        assert!(phone_of(&answer("other", json!("86")), "wxapp").is_err());
        assert!(phone_of(&answer("wxapp", json!("852")), "wxapp").is_err());
        assert!(phone_of(&json!({"errcode": 0}), "wxapp").is_err());
    }
}
