//! The HTTP client for outgoing calls (WeChat, CAS, webhook receivers): rustls with the
//! ring provider, a total timeout, no redirects (a receiver must not bounce a signed
//! delivery elsewhere), no cookies.

use crate::config::Config;

pub fn client(config: &Config) -> anyhow::Result<reqwest::Client> {
    // Installing the process-wide provider twice is harmless; the first one stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(reqwest::Client::builder()
        .timeout(config.http_timeout)
        .connect_timeout(config.http_timeout.min(std::time::Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("gonghui/", env!("CARGO_PKG_VERSION")))
        .build()?)
}
