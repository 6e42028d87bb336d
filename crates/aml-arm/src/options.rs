//! Client options and per-call options. The cloud is in `cloud`.

use std::fmt;
use std::time::Duration;

use crate::cloud::Cloud;
use crate::retry::RetryOptions;
use crate::url::redact_url;

/// Timeouts applied by [`crate::ArmClient`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP (and TLS) connection. Default 10 s.
    pub connect: Duration,
    /// One try: from sending the request to having read the whole response. Default 60 s.
    /// A try that times out is retried like a connection error. `None` arms no timer per try
    /// (slightly cheaper; then only `operation` bounds a stalled connection).
    pub per_try: Option<Duration>,
    /// The whole call, retries and back-off included. `None` (the default) means the retry
    /// policy alone bounds it.
    pub operation: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            per_try: Some(Duration::from_secs(60)),
            operation: None,
        }
    }
}

/// How a long-running operation is polled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollOptions {
    /// Wait between polls when the service gives no `Retry-After`. Default 10 s.
    pub interval: Duration,
    /// Give up waiting after this long (counted from `begin_*`, including time spent before a
    /// resume). `None` (the default) waits for as long as the service reports progress.
    pub timeout: Option<Duration>,
    /// Upper bound for a service-provided `Retry-After` between polls. Default 60 s.
    pub max_interval: Duration,
}

impl Default for PollOptions {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(10),
            timeout: None,
            max_interval: Duration::from_secs(60),
        }
    }
}

/// Options for [`crate::ArmClient::new`]. Public fields, `Default` for everything.
///
/// `Debug` shows the proxy without its user name and password.
#[derive(Clone)]
pub struct ArmClientOptions {
    /// The cloud (endpoint, token scope and authority). Default: Azure public cloud.
    pub cloud: Cloud,
    /// `api-version` added to every request whose URL has none, unless the call overrides it.
    /// `None` means every call must name one (or its URL must carry one).
    pub api_version: Option<String>,
    /// Retry policy. Default: the Azure SDK guideline (3 retries, 0.8 s exponential, 60 s cap).
    pub retry: RetryOptions,
    /// Timeouts. See [`Timeouts`].
    pub timeouts: Timeouts,
    /// Long-running-operation polling defaults.
    pub poll: PollOptions,
    /// Largest response body read, in bytes. Default 16 MiB.
    pub max_response_bytes: usize,
    /// `x-ms-correlation-request-id` sent on every request, unless a call sets its own.
    pub correlation_id: Option<String>,
    /// Appended to the `User-Agent` (`aml-arm/0.1.0 <suffix>`), for the application's name.
    pub user_agent_suffix: Option<String>,
    /// An explicit proxy URL. No proxy is used otherwise: the library reads no
    /// `HTTPS_PROXY`-style environment variables.
    pub proxy: Option<String>,
}

impl fmt::Debug for ArmClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmClientOptions")
            .field("cloud", &self.cloud)
            .field("api_version", &self.api_version)
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("poll", &self.poll)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("correlation_id", &self.correlation_id)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("proxy", &self.proxy.as_deref().map(redact_url))
            .finish()
    }
}

impl Default for ArmClientOptions {
    fn default() -> Self {
        Self {
            cloud: Cloud::default(),
            api_version: None,
            retry: RetryOptions::default(),
            timeouts: Timeouts::default(),
            poll: PollOptions::default(),
            max_response_bytes: 16 * 1024 * 1024,
            correlation_id: None,
            user_agent_suffix: None,
            proxy: None,
        }
    }
}

/// Per-call overrides. Every field is optional.
///
/// They travel in the request's [`http::Extensions`]: `request.extensions_mut().insert(options)`
/// before [`crate::ArmClient::send`], [`crate::ArmClient::begin`] or
/// [`crate::ArmClient::list_pages`]. A request without them uses the client's settings.
///
/// ```
/// use aml_arm::RequestOptions;
///
/// let mut request = http::Request::get("/subscriptions/00000000-0000-0000-0000-000000000000")
///     .body(aml_model::request::Body::default())
///     .unwrap();
/// request.extensions_mut().insert(RequestOptions {
///     api_version: Some("2022-12-01".to_owned()),
///     correlation_id: Some("deploy-42".to_owned()),
///     ..RequestOptions::default()
/// });
/// ```
#[derive(Clone, Debug, Default)]
pub struct RequestOptions {
    /// Overrides the client's `api-version` (and replaces one already in the URL).
    pub api_version: Option<String>,
    /// `x-ms-client-request-id` to send; a fresh UUID otherwise. The same id is sent on every try.
    pub client_request_id: Option<String>,
    /// `x-ms-correlation-request-id` for this call.
    pub correlation_id: Option<String>,
    /// Overrides [`Timeouts::operation`] for this call.
    pub timeout: Option<Duration>,
    /// Overrides the client's retry policy for this call.
    pub retry: Option<RetryOptions>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::REDACTED;

    #[test]
    fn proxy_credentials_never_show_in_debug_or_redacted_urls() {
        for proxy in [
            "http://alice:hunter2@proxy.contoso.com:3128",
            "http://alice:hunter2@proxy.contoso.com:3128/path?q=hunter2",
            "http://hunter2@proxy.contoso.com",
            "http://alice:hunter2@[not-a-host:3128",
            "socks5://alice:hunter2@@127.0.0.1:1080",
            "alice:hunter2@proxy",
        ] {
            let options = ArmClientOptions {
                proxy: Some(proxy.to_owned()),
                ..ArmClientOptions::default()
            };
            let shown = format!("{options:?} {options:#?} {}", redact_url(proxy));
            assert!(!shown.contains("hunter2"), "{proxy}: {shown}");
            assert!(shown.contains(REDACTED), "{proxy}: {shown}");
        }
    }
}
