//! CAS 3.0 service-ticket validation (the university's 统一身份认证).
//!
//! The browser logs in at the CAS server and comes back to a web app with `?ticket=ST-…`;
//! the web app hands the ticket and its own service URL to gonghui, which asks the CAS
//! server `GET {base}/p3/serviceValidate?service=…&ticket=…&format=JSON`. Only service URLs
//! on the configured allow-list are accepted, and that is checked before any call, so a
//! ticket issued for another application can never be redeemed here. The answer is read in
//! JSON (CAS ≥ 4.2 honours `format=JSON`) or XML (the protocol's original form, which many
//! servers still send whatever `format` says).
//!
//! Tickets and CAS failure descriptions (which quote the ticket) are never logged.

use std::collections::BTreeMap;

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use crate::config::CasConfig;
use crate::error::{ApiError, FieldIssue};

/// Longest answer read from the CAS server.
const MAX_RESPONSE_BYTES: usize = 256 * 1024;
const MAX_TICKET_LEN: usize = 256;
const MAX_SERVICE_LEN: usize = 2048;
const MAX_XML_DEPTH: usize = 16;

/// The person the CAS server vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasIdentity {
    /// The CAS user id (login name).
    pub user: String,
    /// Released attributes; every attribute may carry several values.
    pub attributes: BTreeMap<String, Vec<String>>,
}

impl CasIdentity {
    /// The staff number under the configured attribute: `user` means the CAS user id; any
    /// other name is looked up among the attributes (exactly, then ignoring case) and its
    /// first non-blank value is taken.
    pub fn staff_no(&self, attribute: &str) -> Option<String> {
        let non_blank = |s: &String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        if attribute == "user" {
            return non_blank(&self.user);
        }
        let values = self.attributes.get(attribute).or_else(|| {
            self.attributes.iter().find(|(name, _)| name.eq_ignore_ascii_case(attribute)).map(|(_, v)| v)
        })?;
        values.iter().find_map(non_blank)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CasError {
    /// The service URL is not on `GONGHUI_CAS_SERVICE_ALLOWLIST` (no call was made).
    #[error("service not on the CAS allow-list")]
    ServiceNotAllowed,
    /// The ticket does not look like a CAS service ticket (no call was made).
    #[error("not a CAS service ticket")]
    InvalidTicket,
    /// The CAS server refused the ticket (`authenticationFailure`).
    #[error("CAS authentication failure {code}")]
    Rejected { code: String, message: String },
    /// Network error, timeout or 5xx.
    #[error("CAS server unavailable: {0}")]
    Unavailable(String),
    /// An answer that is neither a CAS success nor a CAS failure.
    #[error("unreadable CAS answer: {0}")]
    Malformed(String),
}

impl From<CasError> for ApiError {
    fn from(e: CasError) -> Self {
        match e {
            CasError::ServiceNotAllowed => {
                ApiError::Validation(vec![FieldIssue::new("service", "service_not_allowed")])
            }
            CasError::InvalidTicket => ApiError::Validation(vec![FieldIssue::new("ticket", "invalid_ticket")]),
            CasError::Rejected { code, .. } if code == "INTERNAL_ERROR" => {
                tracing::warn!(cas_code = %code, "CAS server reported an internal error");
                ApiError::Upstream("cas_unavailable", "CAS INTERNAL_ERROR".into())
            }
            CasError::Rejected { code, .. } => {
                if !matches!(
                    code.as_str(),
                    "INVALID_TICKET" | "INVALID_TICKET_SPEC" | "INVALID_SERVICE" | "INVALID_REQUEST"
                ) {
                    tracing::warn!(cas_code = %code, "unexpected CAS failure code");
                }
                ApiError::Unauthenticated("invalid_cas_ticket")
            }
            CasError::Unavailable(cause) => {
                tracing::warn!(%cause, "CAS server unavailable");
                ApiError::Upstream("cas_unavailable", cause)
            }
            CasError::Malformed(cause) => {
                tracing::error!(%cause, "unreadable answer from the CAS server");
                ApiError::Upstream("cas_unavailable", cause)
            }
        }
    }
}

/// Exact match, or prefix match when the allow-list entry ends with `/`.
pub fn service_allowed(allowlist: &[String], service: &str) -> bool {
    if service.is_empty() || service.len() > MAX_SERVICE_LEN || service.chars().any(|c| c.is_control() || c == ' ') {
        return false;
    }
    allowlist
        .iter()
        .any(|entry| if entry.ends_with('/') { service.starts_with(entry.as_str()) } else { service == entry })
}

/// `ST-…`, at most 256 printable ASCII characters (CAS 3.0 §3.7).
pub fn ticket_well_formed(ticket: &str) -> bool {
    ticket.len() > 3
        && ticket.len() <= MAX_TICKET_LEN
        && ticket.starts_with("ST-")
        && ticket.bytes().all(|b| b.is_ascii_graphic())
}

/// Validates `ticket` for `service` at the CAS server.
pub async fn validate(
    http: &reqwest::Client,
    config: &CasConfig,
    ticket: &str,
    service: &str,
) -> Result<CasIdentity, CasError> {
    if !service_allowed(&config.service_allowlist, service) {
        return Err(CasError::ServiceNotAllowed);
    }
    if !ticket_well_formed(ticket) {
        return Err(CasError::InvalidTicket);
    }
    let url = format!("{}/p3/serviceValidate", config.base_url.trim_end_matches('/'));
    let mut res = http
        .get(&url)
        .query(&[("service", service), ("ticket", ticket), ("format", "JSON")])
        .header(reqwest::header::ACCEPT, "application/json, application/xml;q=0.9, text/xml;q=0.8")
        .send()
        .await
        // The URL carries the ticket: keep it out of the message.
        .map_err(|e| CasError::Unavailable(e.without_url().to_string()))?;
    let status = res.status();
    if status.is_server_error() {
        return Err(CasError::Unavailable(format!("HTTP {status}")));
    }
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| CasError::Unavailable(e.without_url().to_string()))? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(CasError::Malformed(format!("answer larger than {MAX_RESPONSE_BYTES} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(body).map_err(|_| CasError::Malformed(format!("HTTP {status}, not UTF-8")))?;
    parse_response(&text).map_err(|e| match e {
        CasError::Malformed(m) if !status.is_success() => CasError::Malformed(format!("HTTP {status}: {m}")),
        other => other,
    })
}

/// Reads a `serviceValidate` answer in either format: the identity on success,
/// `Rejected` on `authenticationFailure`, `Malformed` otherwise.
pub fn parse_response(body: &str) -> Result<CasIdentity, CasError> {
    let body = body.trim_start_matches('\u{feff}').trim();
    match body.chars().next() {
        Some('{') => parse_json(body),
        Some('<') => parse_xml(body),
        _ => Err(CasError::Malformed("neither JSON nor XML".into())),
    }
}

fn parse_json(body: &str) -> Result<CasIdentity, CasError> {
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|e| CasError::Malformed(format!("invalid JSON: {e}")))?;
    let response =
        value.get("serviceResponse").ok_or_else(|| CasError::Malformed("no serviceResponse in JSON".into()))?;
    if let Some(failure) = response.get("authenticationFailure") {
        let code = failure.get("code").and_then(|c| c.as_str()).unwrap_or_default().trim();
        if code.is_empty() {
            return Err(CasError::Malformed("authenticationFailure without code".into()));
        }
        let message = failure.get("description").map(scalar_text).unwrap_or_default();
        return Err(CasError::Rejected { code: code.to_owned(), message });
    }
    let success = response
        .get("authenticationSuccess")
        .ok_or_else(|| CasError::Malformed("neither authenticationSuccess nor authenticationFailure".into()))?;
    let user = success.get("user").map(scalar_text).unwrap_or_default();
    let mut attributes = BTreeMap::new();
    if let Some(serde_json::Value::Object(map)) = success.get("attributes") {
        for (name, value) in map {
            let values: Vec<String> = match value {
                serde_json::Value::Array(items) => items.iter().map(scalar_text).collect(),
                serde_json::Value::Null => Vec::new(),
                other => vec![scalar_text(other)],
            };
            attributes.insert(name.clone(), values);
        }
    }
    identity(user, attributes)
}

/// A JSON value as text: strings as they are, numbers and booleans printed.
fn scalar_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.trim().to_owned(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn identity(user: String, attributes: BTreeMap<String, Vec<String>>) -> Result<CasIdentity, CasError> {
    let user = user.trim().to_owned();
    if user.is_empty() {
        return Err(CasError::Malformed("authenticationSuccess without user".into()));
    }
    Ok(CasIdentity { user, attributes })
}

/// The answer in XML, read by local names (`cas:` or any other prefix):
///
/// ```xml
/// <cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
///   <cas:authenticationSuccess>
///     <cas:user>zhangsan</cas:user>
///     <cas:attributes><cas:memberOf>a</cas:memberOf><cas:memberOf>b</cas:memberOf></cas:attributes>
///   </cas:authenticationSuccess>
/// </cas:serviceResponse>
/// ```
///
/// Also accepts the `<cas:attribute name="…" value="…"/>` form some servers release.
/// quick-xml expands no DTD or external entity, so no entity tricks reach further.
fn parse_xml(body: &str) -> Result<CasIdentity, CasError> {
    let malformed = |e: &dyn std::fmt::Display| CasError::Malformed(format!("invalid XML: {e}"));
    let mut reader = Reader::from_str(body);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut doc = XmlDoc::default();
    loop {
        match reader.read_event().map_err(|e| malformed(&e))? {
            Event::Start(e) => {
                let name = local_name(&e)?;
                doc.open(&stack, &name, &e)?;
                stack.push(name);
                if stack.len() > MAX_XML_DEPTH {
                    return Err(CasError::Malformed("XML nested too deeply".into()));
                }
                text.clear();
            }
            Event::Empty(e) => {
                let name = local_name(&e)?;
                doc.open(&stack, &name, &e)?;
                stack.push(name);
                doc.close(&stack, "");
                stack.pop();
                text.clear();
            }
            Event::End(_) => {
                doc.close(&stack, text.trim());
                stack.pop();
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| malformed(&e))? {
                    text.push(c);
                } else if let Some(s) = resolve_predefined_entity(&r) {
                    text.push_str(s);
                } else {
                    return Err(CasError::Malformed("unknown XML entity".into()));
                }
            }
            Event::Eof if stack.is_empty() => break,
            Event::Eof => return Err(CasError::Malformed("XML ends inside an element".into())),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !doc.root_seen {
        return Err(CasError::Malformed("no cas:serviceResponse in XML".into()));
    }
    if let Some(code) = doc.failure_code {
        if code.is_empty() {
            return Err(CasError::Malformed("authenticationFailure without code".into()));
        }
        return Err(CasError::Rejected { code, message: doc.failure_message });
    }
    if !doc.success {
        return Err(CasError::Malformed("neither authenticationSuccess nor authenticationFailure".into()));
    }
    identity(doc.user.unwrap_or_default(), doc.attributes)
}

fn local_name(e: &BytesStart<'_>) -> Result<String, CasError> {
    Ok(e.local_name().as_ref().to_owned())
}

fn attribute_value(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, CasError> {
    match e.try_get_attribute(name) {
        Ok(Some(a)) => a
            .normalized_value(XmlVersion::Implicit1_0)
            .map(|v| Some(v.trim().to_owned()))
            .map_err(|err| CasError::Malformed(format!("invalid XML attribute: {err}"))),
        Ok(None) => Ok(None),
        Err(err) => Err(CasError::Malformed(format!("invalid XML attribute: {err}"))),
    }
}

#[derive(Default)]
struct XmlDoc {
    root_seen: bool,
    success: bool,
    user: Option<String>,
    attributes: BTreeMap<String, Vec<String>>,
    failure_code: Option<String>,
    failure_message: String,
}

impl XmlDoc {
    /// An element opens under `stack`.
    fn open(&mut self, stack: &[String], name: &str, e: &BytesStart<'_>) -> Result<(), CasError> {
        let path: Vec<&str> = stack.iter().map(String::as_str).collect();
        match (path.as_slice(), name) {
            ([], "serviceResponse") => self.root_seen = true,
            ([], _) => return Err(CasError::Malformed("the root element is not serviceResponse".into())),
            (["serviceResponse"], "authenticationSuccess") => self.success = true,
            (["serviceResponse"], "authenticationFailure") => {
                self.failure_code = Some(attribute_value(e, "code")?.unwrap_or_default());
            }
            (
                ["serviceResponse", "authenticationSuccess"]
                | ["serviceResponse", "authenticationSuccess", "attributes"],
                "attribute",
            ) => {
                if let (Some(n), Some(v)) = (attribute_value(e, "name")?, attribute_value(e, "value")?) {
                    self.attributes.entry(n).or_default().push(v);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The element on top of `stack` closes with this (trimmed) text.
    fn close(&mut self, stack: &[String], text: &str) {
        let path: Vec<&str> = stack.iter().map(String::as_str).collect();
        match path.as_slice() {
            ["serviceResponse", "authenticationSuccess", "user"] => self.user = Some(text.to_owned()),
            ["serviceResponse", "authenticationSuccess", "attributes", name] if *name != "attribute" => {
                self.attributes.entry((*name).to_owned()).or_default().push(text.to_owned());
            }
            ["serviceResponse", "authenticationFailure"] => self.failure_message = text.to_owned(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML_SUCCESS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
    <cas:authenticationSuccess>
        <cas:user>20190123</cas:user>
        <cas:attributes>
            <cas:cn>张三</cas:cn>
            <cas:employeeNumber>T2019-0123</cas:employeeNumber>
            <cas:eduPersonAffiliation>staff</cas:eduPersonAffiliation>
            <cas:eduPersonAffiliation>faculty</cas:eduPersonAffiliation>
            <cas:unitName>计算机学院 &amp; 软件学院</cas:unitName>
            <cas:note><![CDATA[a < b]]></cas:note>
            <cas:isFromNewLogin>true</cas:isFromNewLogin>
            <cas:authenticationDate>2026-11-25T08:00:00.123Z</cas:authenticationDate>
        </cas:attributes>
        <cas:proxyGrantingTicket>PGTIOU-84678-8a9d</cas:proxyGrantingTicket>
    </cas:authenticationSuccess>
</cas:serviceResponse>
"#;

    const JSON_SUCCESS: &str = r#"{
  "serviceResponse" : {
    "authenticationSuccess" : {
      "user" : "zhangsan",
      "proxyGrantingTicket" : "PGTIOU-84678-8a9d",
      "attributes" : {
        "cn" : [ "张三" ],
        "employeeNumber" : [ 20190123 ],
        "memberOf" : [ "教职工", "工会会员" ],
        "isFromNewLogin" : [ true ],
        "credentialType" : "UsernamePasswordCredential"
      }
    }
  }
}"#;

    #[test]
    fn reads_an_xml_success_with_multi_valued_and_chinese_attributes() {
        let id = parse_response(XML_SUCCESS).unwrap();
        assert_eq!(id.user, "20190123");
        assert_eq!(id.attributes["cn"], vec!["张三"]);
        assert_eq!(id.attributes["eduPersonAffiliation"], vec!["staff", "faculty"]);
        assert_eq!(id.attributes["unitName"], vec!["计算机学院 & 软件学院"]);
        assert_eq!(id.attributes["note"], vec!["a < b"]);
        assert_eq!(id.attributes["isFromNewLogin"], vec!["true"]);
        assert!(!id.attributes.contains_key("proxyGrantingTicket"));
        assert_eq!(id.staff_no("user").as_deref(), Some("20190123"));
        assert_eq!(id.staff_no("employeeNumber").as_deref(), Some("T2019-0123"));
        assert_eq!(id.staff_no("employeenumber").as_deref(), Some("T2019-0123"));
        assert_eq!(id.staff_no("missing"), None);
    }

    #[test]
    fn reads_a_json_success() {
        let id = parse_response(JSON_SUCCESS).unwrap();
        assert_eq!(id.user, "zhangsan");
        assert_eq!(id.attributes["cn"], vec!["张三"]);
        assert_eq!(id.attributes["memberOf"], vec!["教职工", "工会会员"]);
        assert_eq!(id.attributes["credentialType"], vec!["UsernamePasswordCredential"]);
        assert_eq!(id.staff_no("employeeNumber").as_deref(), Some("20190123"));
        assert_eq!(id.staff_no("isFromNewLogin").as_deref(), Some("true"));
    }

    #[test]
    fn reads_failures_in_both_formats() {
        let xml = r#"<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
  <cas:authenticationFailure code="INVALID_TICKET">
    Ticket ST-1856339-aA5Yuvrxzpv8Tau1cYQ7 not recognized
  </cas:authenticationFailure>
</cas:serviceResponse>"#;
        match parse_response(xml) {
            Err(CasError::Rejected { code, message }) => {
                assert_eq!(code, "INVALID_TICKET");
                assert_eq!(message, "Ticket ST-1856339-aA5Yuvrxzpv8Tau1cYQ7 not recognized");
            }
            other => panic!("{other:?}"),
        }
        let json = r#"{"serviceResponse":{"authenticationFailure":{"code":"INVALID_SERVICE","description":"Ticket ST-1 does not match supplied service."}}}"#;
        match parse_response(json) {
            Err(CasError::Rejected { code, message }) => {
                assert_eq!(code, "INVALID_SERVICE");
                assert!(message.contains("does not match"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_the_attribute_name_value_form_and_other_prefixes() {
        let xml = r#"<sso:serviceResponse xmlns:sso="http://www.yale.edu/tp/cas">
  <sso:authenticationSuccess>
    <sso:user>lisi</sso:user>
    <sso:attribute name="employeeNumber" value="T0042"/>
    <sso:attributes><sso:attribute name="cn" value="李四"/><sso:ou/></sso:attributes>
  </sso:authenticationSuccess>
</sso:serviceResponse>"#;
        let id = parse_response(xml).unwrap();
        assert_eq!(id.user, "lisi");
        assert_eq!(id.attributes["employeeNumber"], vec!["T0042"]);
        assert_eq!(id.attributes["cn"], vec!["李四"]);
        assert_eq!(id.attributes["ou"], vec![""]);
        assert_eq!(id.staff_no("ou"), None);
    }

    #[test]
    fn refuses_what_is_not_a_cas_answer() {
        for body in [
            "",
            "OK",
            "<html><body>Login</body></html>",
            "<cas:serviceResponse xmlns:cas=\"x\"></cas:serviceResponse>",
            "<cas:serviceResponse xmlns:cas=\"x\"><cas:authenticationSuccess></cas:authenticationSuccess></cas:serviceResponse>",
            "<cas:serviceResponse><cas:authenticationSuccess><cas:user>a</cas:user>",
            "<cas:serviceResponse><cas:authenticationFailure>no code</cas:authenticationFailure></cas:serviceResponse>",
            "<cas:serviceResponse><cas:authenticationSuccess><cas:user>&xxe;</cas:user></cas:authenticationSuccess></cas:serviceResponse>",
            "{\"serviceResponse\":{}}",
            "{\"serviceResponse\":{\"authenticationSuccess\":{\"user\":\"  \"}}}",
            "{\"other\":1}",
            "{not json",
        ] {
            assert!(matches!(parse_response(body), Err(CasError::Malformed(_))), "{body:?}");
        }
        let deep = format!("<serviceResponse>{}", "<a>".repeat(40));
        assert!(matches!(parse_response(&deep), Err(CasError::Malformed(_))));
    }

    #[test]
    fn services_must_be_on_the_allow_list() {
        let list = vec!["https://union.example.edu.cn/".to_owned(), "https://portal.example.edu.cn/login".to_owned()];
        assert!(service_allowed(&list, "https://union.example.edu.cn/"));
        assert!(service_allowed(&list, "https://union.example.edu.cn/cas/callback?next=%2Fme"));
        assert!(service_allowed(&list, "https://portal.example.edu.cn/login"));
        assert!(!service_allowed(&list, "https://portal.example.edu.cn/login2"));
        assert!(!service_allowed(&list, "https://portal.example.edu.cn/"));
        assert!(!service_allowed(&list, "https://union.example.edu.cn.evil.com/"));
        assert!(!service_allowed(&list, "http://union.example.edu.cn/"));
        assert!(!service_allowed(&list, "https://union.example.edu.cn/a b"));
        assert!(!service_allowed(&list, ""));
    }

    #[test]
    fn tickets_must_look_like_service_tickets() {
        assert!(ticket_well_formed("ST-1-aA5Yuvrxzpv8Tau1cYQ7-cas01.example.org"));
        assert!(!ticket_well_formed("ST-"));
        assert!(!ticket_well_formed("PT-1-abc"));
        assert!(!ticket_well_formed("ST-1 abc"));
        assert!(!ticket_well_formed("ST-1-票"));
        assert!(!ticket_well_formed(&format!("ST-{}", "a".repeat(254))));
        assert!(ticket_well_formed(&format!("ST-{}", "a".repeat(253))));
    }

    #[test]
    fn errors_map_to_problems() {
        let code = |e: CasError| {
            let api = ApiError::from(e);
            (api.status().as_u16(), api.code())
        };
        assert_eq!(code(CasError::ServiceNotAllowed), (422, "validation_failed"));
        assert_eq!(code(CasError::InvalidTicket), (422, "validation_failed"));
        for c in ["INVALID_TICKET", "INVALID_TICKET_SPEC", "INVALID_SERVICE", "INVALID_REQUEST"] {
            let e = CasError::Rejected { code: c.into(), message: String::new() };
            assert_eq!(code(e), (401, "invalid_cas_ticket"));
        }
        let internal = CasError::Rejected { code: "INTERNAL_ERROR".into(), message: String::new() };
        assert_eq!(code(internal), (503, "cas_unavailable"));
        assert_eq!(code(CasError::Unavailable("timeout".into())), (503, "cas_unavailable"));
        assert_eq!(code(CasError::Malformed("html".into())), (503, "cas_unavailable"));
    }
}
