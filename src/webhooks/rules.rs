//! Webhook rules as plain functions: which URLs may receive deliveries, how deliveries are
//! signed, and what a receiver's answer means.
//!
//! A URL is checked when a subscription is created or changed AND again before every
//! delivery (its DNS may have changed since): http(s) only, no userinfo, the host on the
//! allow-list when one is configured, and every address the host resolves to outside
//! link-local, cloud-metadata, unspecified, multicast and broadcast ranges (always), and
//! outside loopback and private ranges unless `GONGHUI_WEBHOOK_ALLOW_PRIVATE` is set.
//! The delivery then connects only to the addresses that were checked (no second lookup).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

use crate::config::WebhookConfig;

/// Host names of cloud metadata services, refused whatever they resolve to.
const METADATA_HOSTS: [&str; 3] = ["metadata.google.internal", "metadata.goog", "metadata"];

/// Why a URL may not receive deliveries (the `code` of the field error on `url`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Not an absolute URL with a host.
    Invalid,
    /// Not http or https.
    Scheme,
    /// Carries `user:password@`.
    Userinfo,
    /// Not on `GONGHUI_WEBHOOK_ALLOWED_HOSTS`.
    HostNotAllowed,
    /// A metadata, link-local, private, loopback or otherwise unroutable address.
    ForbiddenAddress,
    /// The host name does not resolve.
    Unresolvable,
}

impl UrlRefusal {
    pub fn code(self) -> &'static str {
        match self {
            UrlRefusal::Invalid => "invalid_url",
            UrlRefusal::Scheme => "url_scheme",
            UrlRefusal::Userinfo => "url_userinfo",
            UrlRefusal::HostNotAllowed => "url_host_not_allowed",
            UrlRefusal::ForbiddenAddress => "url_forbidden_address",
            UrlRefusal::Unresolvable => "url_unresolvable",
        }
    }
}

/// Whether `host` is on the allow-list: an exact name, or under an entry starting with `.`
/// (`.example.edu.cn` allows `hooks.example.edu.cn`, not `example.edu.cn`). An empty list
/// allows any host.
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    allowed.iter().map(|a| a.trim().to_ascii_lowercase()).any(|entry| match entry.strip_prefix('.') {
        Some(suffix) => !suffix.is_empty() && host.len() > entry.len() && host.ends_with(&entry),
        None => host == entry,
    })
}

fn v4_always_refused(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_unspecified()
        || o[0] == 0 // "this network"
        || ip.is_link_local() // 169.254/16, includes the metadata address 169.254.169.254
        || ip.is_multicast()
        || ip.is_broadcast()
        || o[0] >= 240 // reserved
        // IANA special-purpose ranges that are never a receiver: IETF protocol assignments,
        // the three documentation networks, the 6to4 relay anycast, benchmarking.
        || (o[0] == 192 && o[1] == 0 && (o[2] == 0 || o[2] == 2))
        || (o[0] == 198 && o[1] == 51 && o[2] == 100)
        || (o[0] == 203 && o[1] == 0 && o[2] == 113)
        || (o[0] == 192 && o[1] == 88 && o[2] == 99)
        || (o[0] == 198 && (o[1] & 0xfe) == 18)
}

fn v4_private(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_loopback() || ip.is_private() || (o[0] == 100 && (o[1] & 0xc0) == 64) // CGNAT 100.64/10
}

/// The IPv4 address an IPv6 address leads to, for every form that reaches one: IPv4-mapped
/// (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, deprecated but still routed by some
/// stacks), NAT64 (`64:ff9b::/96`, RFC 6052) and 6to4 (`2002:AABB:CCDD::/48`). Without this,
/// `[64:ff9b::a9fe:a9fe]` reached the metadata address through a NAT64 gateway.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if s[..6] == [0; 6] && !v6.is_unspecified() && !v6.is_loopback() {
        return Some(v4(s[6], s[7]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(v4(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(v4(s[1], s[2]));
    }
    None
}

/// IPv6 special-purpose ranges (IANA registry) that are never a receiver.
fn v6_always_refused(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    let metadata = v6 == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);
    let link_local = (s[0] & 0xffc0) == 0xfe80;
    v6.is_unspecified()
        || v6.is_multicast()
        || link_local
        || metadata
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // 64:ff9b:1::/48, local-use NAT64
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // 100::/64, discard-only
        || (s[0] == 0x2001 && s[1] < 0x0200) // 2001::/23: Teredo, benchmarking, ORCHID, …
        || (s[0] == 0x2001 && s[1] == 0x0db8) // 2001:db8::/32, documentation
        || (s[0] == 0x3fff && s[1] < 0x1000) // 3fff::/20, documentation
        || s[0] == 0x5f00 // 5f00::/16, SRv6 SIDs
}

/// Whether deliveries may go to `ip`. An IPv6 address that carries an IPv4 address is judged
/// by that IPv4 address.
pub fn ip_allowed(ip: IpAddr, allow_private: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => !v4_always_refused(v4) && (allow_private || !v4_private(v4)),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return ip_allowed(IpAddr::V4(v4), allow_private);
            }
            let private = v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00; // fc00::/7
            !v6_always_refused(v6) && (allow_private || !private)
        }
    }
}

/// The checks that need no DNS: scheme, userinfo, host, allow-list, metadata names and
/// literal addresses.
pub fn check_url(raw: &str, config: &WebhookConfig) -> Result<Url, UrlRefusal> {
    let url = Url::parse(raw.trim()).map_err(|_| UrlRefusal::Invalid)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlRefusal::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Userinfo);
    }
    let host = match url.host_str() {
        None | Some("") => return Err(UrlRefusal::Invalid),
        Some(h) => h.trim_end_matches('.').to_ascii_lowercase(),
    };
    if !host_allowed(&host, &config.allowed_hosts) {
        return Err(UrlRefusal::HostNotAllowed);
    }
    if METADATA_HOSTS.contains(&host.as_str()) {
        return Err(UrlRefusal::ForbiddenAddress);
    }
    if let Some(ip) = literal_ip(&url)
        && !ip_allowed(ip, config.allow_private)
    {
        return Err(UrlRefusal::ForbiddenAddress);
    }
    Ok(url)
}

/// The host as an address when it is one (the URL parser has normalised it already:
/// `http://0x7f.1/` is `127.0.0.1`, IPv6 hosts are bracketed).
fn literal_ip(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host).parse().ok()
}

/// Every address must be allowed (a name resolving to one public and one private address is
/// refused), and there must be at least one.
pub fn addresses_allowed(addrs: &[SocketAddr], allow_private: bool) -> Result<(), UrlRefusal> {
    if addrs.is_empty() {
        return Err(UrlRefusal::Unresolvable);
    }
    if addrs.iter().all(|a| ip_allowed(a.ip(), allow_private)) { Ok(()) } else { Err(UrlRefusal::ForbiddenAddress) }
}

/// Full check with DNS: returns the URL and the checked addresses to connect to.
pub async fn resolve_url(raw: &str, config: &WebhookConfig) -> Result<(Url, Vec<SocketAddr>), UrlRefusal> {
    let url = check_url(raw, config)?;
    let port = url.port_or_known_default().ok_or(UrlRefusal::Invalid)?;
    if let Some(ip) = literal_ip(&url) {
        return Ok((url, vec![SocketAddr::new(ip, port)]));
    }
    let host = url.host_str().ok_or(UrlRefusal::Invalid)?.to_owned();
    let lookup = tokio::task::spawn_blocking(move || {
        use std::net::ToSocketAddrs;
        (host.as_str(), port).to_socket_addrs().map(|a| a.collect::<Vec<_>>())
    });
    let addrs = match tokio::time::timeout(std::time::Duration::from_secs(5), lookup).await {
        Ok(Ok(Ok(addrs))) => addrs,
        _ => return Err(UrlRefusal::Unresolvable),
    };
    addresses_allowed(&addrs, config.allow_private)?;
    Ok((url, addrs))
}

/// `v1=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`, the `X-Gonghui-Signature` header.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mac = crate::crypto::hmac(secret.as_bytes(), &[timestamp.to_string().as_bytes(), b".", body]);
    format!("v1={}", hex::encode(mac))
}

/// What a receiver's answer means for the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// 410 Gone: the receiver asks not to be called again; the subscription is deactivated.
    Gone,
    /// Anything else: try again later (until the attempts run out).
    Retry,
}

pub fn outcome(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        410 => Outcome::Gone,
        _ => Outcome::Retry,
    }
}

/// Error text kept for the delivery log: at most `max` characters, no line breaks.
pub fn truncate(text: &str, max: usize) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(allowed: &[&str], allow_private: bool) -> WebhookConfig {
        WebhookConfig { max_attempts: 3, allowed_hosts: allowed.iter().map(|s| s.to_string()).collect(), allow_private }
    }

    fn refusal(url: &str, c: &WebhookConfig) -> Option<UrlRefusal> {
        check_url(url, c).err()
    }

    #[test]
    fn only_http_and_https_without_userinfo() {
        let c = cfg(&[], false);
        assert_eq!(refusal("ftp://example.com/x", &c), Some(UrlRefusal::Scheme));
        assert_eq!(refusal("file:///etc/passwd", &c), Some(UrlRefusal::Scheme));
        assert_eq!(refusal("javascript:alert(1)", &c), Some(UrlRefusal::Scheme));
        assert_eq!(refusal("not a url", &c), Some(UrlRefusal::Invalid));
        assert_eq!(refusal("https://user:pw@example.com/", &c), Some(UrlRefusal::Userinfo));
        assert_eq!(refusal("https://user@example.com/", &c), Some(UrlRefusal::Userinfo));
        assert_eq!(refusal("https://example.com/hook", &c), None);
        assert_eq!(refusal("http://example.com:8080/hook?x=1", &c), None);
    }

    #[test]
    fn metadata_and_link_local_are_always_refused() {
        let c = cfg(&[], true);
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "http://169.254.1.1/",
            "http://[fe80::1]/",
            "http://[fd00:ec2::254]/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://METADATA.google.internal./",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://[ff02::1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://0xa9.0xfe.0xa9.0xfe/",
            // IPv4 inside IPv6 (issue 14): NAT64, IPv4-compatible, 6to4.
            "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
            "http://[::a9fe:a9fe]/",
            "http://[2002:a9fe:a9fe::]/",
            // Special-purpose ranges (IANA).
            "http://[64:ff9b:1::a00:1]/",
            "http://[2001::1]/",
            "http://[2001:db8::1]/",
            "http://[3fff::1]/",
            "http://[100::1]/",
            "http://198.18.0.1/",
            "http://198.19.255.254/",
            "http://192.0.0.8/",
            "http://192.0.2.1/",
            "http://198.51.100.7/",
            "http://203.0.113.9/",
        ] {
            assert_eq!(refusal(url, &c), Some(UrlRefusal::ForbiddenAddress), "{url}");
        }
    }

    #[test]
    fn private_and_loopback_only_when_allowed() {
        let strict = cfg(&[], false);
        let lax = cfg(&[], true);
        for url in [
            "http://127.0.0.1:8080/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://172.31.255.255/",
            "http://192.168.1.1/",
            "http://[::1]/",
            "http://[fc00::1]/",
            "http://[fd12:3456::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:c0a8:101::]/",
        ] {
            assert_eq!(refusal(url, &strict), Some(UrlRefusal::ForbiddenAddress), "{url}");
            assert_eq!(refusal(url, &lax), None, "{url}");
        }
        assert_eq!(refusal("http://172.32.0.1/", &strict), None, "outside 172.16/12");
        assert_eq!(refusal("http://8.8.8.8/", &strict), None);
        // Public addresses stay reachable in every form.
        assert_eq!(refusal("http://[64:ff9b::808:808]/", &strict), None, "NAT64 of 8.8.8.8");
        assert_eq!(refusal("http://[2606:4700::1111]/", &strict), None);
        assert_eq!(refusal("http://198.20.0.1/", &strict), None, "outside 198.18/15");
    }

    #[test]
    fn allow_list_exact_or_suffix() {
        let allowed = ["hooks.example.com".to_string(), ".hust.edu.cn".to_string()];
        assert!(host_allowed("hooks.example.com", &allowed));
        assert!(host_allowed("HOOKS.example.com.", &allowed));
        assert!(!host_allowed("evil.hooks.example.com", &allowed));
        assert!(host_allowed("oa.hust.edu.cn", &allowed));
        assert!(!host_allowed("hust.edu.cn", &allowed));
        assert!(!host_allowed("nothust.edu.cn", &allowed));
        assert!(!host_allowed("hust.edu.cn.evil.com", &allowed));
        assert!(host_allowed("anything.org", &[]));
        let c = cfg(&["hooks.example.com"], false);
        assert_eq!(refusal("https://other.example.com/", &c), Some(UrlRefusal::HostNotAllowed));
    }

    #[test]
    fn every_resolved_address_must_be_allowed() {
        let public: SocketAddr = "93.184.216.34:443".parse().unwrap();
        let private: SocketAddr = "10.0.0.1:443".parse().unwrap();
        assert_eq!(addresses_allowed(&[public], false), Ok(()));
        assert_eq!(addresses_allowed(&[public, private], false), Err(UrlRefusal::ForbiddenAddress));
        assert_eq!(addresses_allowed(&[public, private], true), Ok(()));
        assert_eq!(addresses_allowed(&[], true), Err(UrlRefusal::Unresolvable));
    }

    #[tokio::test]
    async fn localhost_is_refused_after_resolution_unless_private_allowed() {
        assert_eq!(
            resolve_url("http://localhost:9/", &cfg(&[], false)).await.err(),
            Some(UrlRefusal::ForbiddenAddress)
        );
        let (_, addrs) = resolve_url("http://localhost:9/", &cfg(&[], true)).await.unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 9), "{addrs:?}");
    }

    #[test]
    fn signature_is_hmac_of_timestamp_dot_body() {
        // Independently: HMAC-SHA256("secret", "1700000000.{}")
        let sig = signature("secret", 1_700_000_000, b"{}");
        assert!(sig.starts_with("v1=") && sig.len() == 3 + 64, "{sig}");
        assert_eq!(sig, signature("secret", 1_700_000_000, b"{}"));
        assert_ne!(sig, signature("secret", 1_700_000_001, b"{}"));
        assert_ne!(sig, signature("other", 1_700_000_000, b"{}"));
        let expected = hex::encode(crate::crypto::hmac(b"secret", &[b"1700000000.{}"]));
        assert_eq!(sig, format!("v1={expected}"));
    }

    #[test]
    fn receiver_answers() {
        assert_eq!(outcome(200), Outcome::Delivered);
        assert_eq!(outcome(204), Outcome::Delivered);
        assert_eq!(outcome(410), Outcome::Gone);
        for s in [301, 400, 404, 429, 500, 503] {
            assert_eq!(outcome(s), Outcome::Retry, "{s}");
        }
        assert_eq!(truncate("a\nb", 10), "a b");
        assert_eq!(truncate(&"x".repeat(600), 500).len(), 500);
    }
}
