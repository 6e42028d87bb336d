//! Clouds, client options and per-call options.

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::error::{Error, Result};
use crate::retry::RetryOptions;
use crate::url::{is_loopback, origin_of, redact_url};

/// One Azure cloud: its Resource Manager endpoint, the token scope that endpoint accepts and
/// the Entra ID authority that issues those tokens.
///
/// It is the one setting both halves of a connection derive from: [`crate::ArmClient`] sends
/// requests to [`Cloud::endpoint`] with tokens for [`Cloud::scope`], and
/// [`crate::ArmClient::from_environment`] builds its credential chain against
/// [`Cloud::authority_host`] of the same value, so the token authority and the ARM endpoint
/// cannot disagree. The built-in clouds are parsed from the Azure CLI's names
/// (`AzureCloud`, `AzureChinaCloud`, `AzureUSGovernment`) and a few aliases:
///
/// ```
/// use aml_arm::Cloud;
/// let cloud: Cloud = "AzureChinaCloud".parse()?;
/// assert_eq!(cloud.endpoint().as_str(), "https://management.chinacloudapi.cn/");
/// assert_eq!(cloud.scope(), "https://management.chinacloudapi.cn/.default");
/// assert_eq!(cloud.az_name(), "AzureChinaCloud");
/// assert!("Mars".parse::<Cloud>().is_err());
/// # Ok::<(), aml_arm::Error>(())
/// ```
///
/// The endpoint's scheme, host and port are the only place the bearer token is ever sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Cloud {
    name: &'static str,
    endpoint: Url,
    scope: String,
    authority_host: Option<Url>,
}

impl Cloud {
    /// Azure public cloud: `https://management.azure.com`.
    pub fn azure_public() -> Self {
        Self::well_known(
            "AzurePublic",
            "https://management.azure.com/",
            "https://login.microsoftonline.com/",
        )
    }

    /// Azure operated by 21Vianet in China: `https://management.chinacloudapi.cn`.
    pub fn azure_china() -> Self {
        Self::well_known(
            "AzureChina",
            "https://management.chinacloudapi.cn/",
            "https://login.chinacloudapi.cn/",
        )
    }

    /// Azure US Government: `https://management.usgovcloudapi.net`.
    pub fn azure_us_government() -> Self {
        Self::well_known(
            "AzureUSGovernment",
            "https://management.usgovcloudapi.net/",
            "https://login.microsoftonline.us/",
        )
    }

    fn well_known(name: &'static str, endpoint: &'static str, authority: &'static str) -> Self {
        let endpoint = constant_url(endpoint);
        let scope = format!("{}/.default", endpoint.as_str().trim_end_matches('/'));
        Self {
            name,
            endpoint,
            scope,
            authority_host: Some(constant_url(authority)),
        }
    }

    /// A custom endpoint (an emulator, Azure Stack, a test server) with the token scope it accepts.
    ///
    /// `https` is required unless the host is a loopback address (`127.0.0.0/8`, `::1` or
    /// `localhost`): plain `http` would put the token on the network in clear text.
    /// The endpoint may carry a path prefix (`http://127.0.0.1:8080/arm`); it may not carry
    /// credentials, a query or a fragment.
    ///
    /// ```
    /// let cloud = aml_arm::Cloud::custom("http://127.0.0.1:8080", "https://management.azure.com/.default")?;
    /// assert_eq!(cloud.endpoint().as_str(), "http://127.0.0.1:8080/");
    /// assert!(aml_arm::Cloud::custom("http://example.com", "s").is_err());
    /// # Ok::<(), aml_arm::Error>(())
    /// ```
    pub fn custom(endpoint: &str, scope: impl Into<String>) -> Result<Self> {
        let url = Url::parse(endpoint).map_err(|source| Error::InvalidUrl {
            url: redact_url(endpoint),
            source,
        })?;
        check_endpoint(&url)?;
        let mut url = url;
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        let scope = scope.into();
        if scope.trim().is_empty() {
            return Err(Error::InvalidConfig {
                message: "the token scope of a custom cloud must not be empty".to_owned(),
            });
        }
        Ok(Self {
            name: "Custom",
            endpoint: url,
            scope,
            authority_host: None,
        })
    }

    /// A custom cloud given whole, as `az cloud register` takes one: its Resource Manager
    /// endpoint, its Entra ID authority host (`https`) and the audience its tokens are for
    /// (the scope is `<audience>/.default`; an audience ending in `.default` is the scope).
    pub fn custom_cloud(
        resource_manager: &str,
        authority_host: &str,
        audience: &str,
    ) -> Result<Self> {
        let audience = audience.trim();
        if audience.is_empty() {
            return Err(Error::InvalidConfig {
                message: "the audience of a custom cloud must not be empty (for example https://management.core.windows.net/)".to_owned(),
            });
        }
        let scope = if audience.ends_with("/.default") {
            audience.to_owned()
        } else {
            format!("{}/.default", audience.trim_end_matches('/'))
        };
        Self::custom(resource_manager, scope)?.with_authority_host(authority_host)
    }

    /// This cloud served at a local endpoint (an emulator on `127.0.0.1`), for tests: the scope
    /// and the authority stay this cloud's, only the host requests go to changes. The endpoint
    /// must be on a loopback address (`127.0.0.0/8`, `::1` or `localhost`), so a token for a
    /// real cloud never travels to another machine this way; the token is sent only there.
    pub fn at_local_endpoint(&self, endpoint: &str) -> Result<Self> {
        let local = Self::custom(endpoint, self.scope.clone())?;
        if !is_loopback(&local.endpoint) {
            return Err(Error::InvalidConfig {
                message: format!(
                    "{} is not a loopback address; a local endpoint is for emulators on this machine (127.0.0.1, ::1, localhost)",
                    origin_of(&local.endpoint)
                ),
            });
        }
        Ok(Self {
            name: self.name,
            endpoint: local.endpoint,
            scope: self.scope.clone(),
            authority_host: self.authority_host.clone(),
        })
    }

    /// Sets the Entra ID authority host used by [`crate::CredentialChain`] for this cloud
    /// (for example `https://login.microsoftonline.com`). It must be `https`.
    pub fn with_authority_host(mut self, authority_host: &str) -> Result<Self> {
        let url = Url::parse(authority_host).map_err(|source| Error::InvalidUrl {
            url: redact_url(authority_host),
            source,
        })?;
        if url.scheme() != "https" {
            return Err(Error::InvalidConfig {
                message: format!("authority host {} must use https", origin_of(&url)),
            });
        }
        self.authority_host = Some(url);
        Ok(self)
    }

    /// A short name: `AzurePublic`, `AzureChina`, `AzureUSGovernment` or `Custom`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The name the Azure CLI gives this cloud (`az cloud list`): `AzureCloud`,
    /// `AzureChinaCloud`, `AzureUSGovernment`, or `Custom`.
    pub fn az_name(&self) -> &'static str {
        match self.name {
            "AzurePublic" => "AzureCloud",
            "AzureChina" => "AzureChinaCloud",
            other => other,
        }
    }

    /// The ARM endpoint, always ending with `/`.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// The scope requested from the credential (`https://management.azure.com/.default`).
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The Entra ID authority host, when known.
    pub fn authority_host(&self) -> Option<&Url> {
        self.authority_host.as_ref()
    }

    /// The matching `azure_core` cloud configuration, used to configure `azure_identity`
    /// credentials for the same cloud.
    pub(crate) fn azure_core_cloud(&self) -> azure_core::cloud::CloudConfiguration {
        use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
        match self.name {
            "AzureChina" => CloudConfiguration::AzureChina,
            "AzureUSGovernment" => CloudConfiguration::AzureGovernment,
            "AzurePublic" => CloudConfiguration::AzurePublic,
            _ => match &self.authority_host {
                Some(host) => {
                    let mut custom = CustomConfiguration::default();
                    host.as_str()
                        .trim_end_matches('/')
                        .clone_into(&mut custom.authority_host);
                    custom.into()
                }
                None => CloudConfiguration::AzurePublic,
            },
        }
    }
}

impl std::str::FromStr for Cloud {
    type Err = Error;

    /// A built-in cloud by the Azure CLI's name (`AzureCloud`, `AzureChinaCloud`,
    /// `AzureUSGovernment`) or an alias (`public`, `azure`, `AzurePublic`, `china`,
    /// `AzureChina`, `usgov`, `us-government`, `AzureUSGovernment`), case-insensitively.
    fn from_str(name: &str) -> Result<Self> {
        let key: String = name
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect::<String>()
            .to_ascii_lowercase();
        match key.as_str() {
            "azurecloud" | "azurepublic" | "azurepubliccloud" | "public" | "azure" => {
                Ok(Self::azure_public())
            }
            "azurechinacloud" | "azurechina" | "china" => Ok(Self::azure_china()),
            "azureusgovernment" | "azureusgovernmentcloud" | "usgovernment" | "usgov" => {
                Ok(Self::azure_us_government())
            }
            _ => Err(Error::InvalidConfig {
                message: format!(
                    "{name:?} is not a known cloud; use AzureCloud, AzureChinaCloud or AzureUSGovernment (or give a custom cloud's endpoints)"
                ),
            }),
        }
    }
}

impl Default for Cloud {
    fn default() -> Self {
        Self::azure_public()
    }
}

impl fmt::Debug for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cloud")
            .field("name", &self.name)
            .field("endpoint", &self.endpoint.as_str())
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Parses one of this file's URL literals (checked by `well_known_clouds_*` below).
#[allow(
    clippy::expect_used,
    reason = "only called with constant, valid URL literals; a unit test parses each one"
)]
fn constant_url(literal: &'static str) -> Url {
    Url::parse(literal).expect("constant URL literal parses")
}

/// Refuses endpoints that would leak the token: plain http off loopback, credentials in the URL,
/// query strings and fragments.
fn check_endpoint(url: &Url) -> Result<()> {
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(url) => {}
        "http" => {
            return Err(Error::InsecureEndpoint {
                origin: origin_of(url),
            });
        }
        other => {
            return Err(Error::InvalidConfig {
                message: format!("endpoint scheme {other:?} is not supported; use https"),
            });
        }
    }
    if url.host().is_none() {
        return Err(Error::InvalidConfig {
            message: "endpoint has no host".to_owned(),
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::InvalidConfig {
            message: "endpoint must not carry a user name or password".to_owned(),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::InvalidConfig {
            message: "endpoint must not carry a query or fragment".to_owned(),
        });
    }
    Ok(())
}

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
    /// The cloud (endpoint and token scope). Default: Azure public cloud.
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

    #[test]
    fn well_known_clouds_have_https_endpoints_and_default_scopes() {
        for (cloud, endpoint, scope) in [
            (
                Cloud::azure_public(),
                "https://management.azure.com/",
                "https://management.azure.com/.default",
            ),
            (
                Cloud::azure_china(),
                "https://management.chinacloudapi.cn/",
                "https://management.chinacloudapi.cn/.default",
            ),
            (
                Cloud::azure_us_government(),
                "https://management.usgovcloudapi.net/",
                "https://management.usgovcloudapi.net/.default",
            ),
        ] {
            assert_eq!(cloud.endpoint().as_str(), endpoint);
            assert_eq!(cloud.scope(), scope);
            assert!(cloud.authority_host().is_some());
        }
    }

    #[test]
    fn custom_cloud_allows_http_only_on_loopback() {
        for ok in [
            "http://127.0.0.1:1",
            "http://127.1.2.3",
            "http://[::1]:8080",
            "http://localhost:80",
            "http://LOCALHOST.",
            "https://arm.example.com",
        ] {
            assert!(Cloud::custom(ok, "s").is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "http://localhost.example.com",
            "http://0.0.0.0",
        ] {
            let err = Cloud::custom(bad, "s").expect_err(bad);
            assert!(
                matches!(err, Error::InsecureEndpoint { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn custom_cloud_refuses_credentials_query_and_other_schemes() {
        for bad in [
            "https://user:pw@arm.example.com",
            "https://arm.example.com/?sig=abc",
            "ftp://arm.example.com",
            "not a url",
        ] {
            let err = Cloud::custom(bad, "s").expect_err(bad);
            assert!(!err.to_string().contains("pw"), "{err}");
            assert!(!err.to_string().contains("sig=abc"), "{err}");
        }
    }

    #[test]
    fn clouds_parse_from_the_azure_cli_names_and_aliases() {
        for (names, az) in [
            (
                &["AzureCloud", "azurecloud", "public", "Azure", "AzurePublic"][..],
                "AzureCloud",
            ),
            (
                &["AzureChinaCloud", "china", "AzureChina"][..],
                "AzureChinaCloud",
            ),
            (
                &[
                    "AzureUSGovernment",
                    "usgov",
                    "us-government",
                    "US_Government",
                ][..],
                "AzureUSGovernment",
            ),
        ] {
            for name in names {
                let cloud: Cloud = name.parse().unwrap();
                assert_eq!(cloud.az_name(), az, "{name}");
            }
        }
        let err = "AzureGermanCloud".parse::<Cloud>().unwrap_err().to_string();
        assert!(
            err.contains("AzureGermanCloud") && err.contains("AzureCloud"),
            "{err}"
        );
    }

    #[test]
    fn a_custom_cloud_takes_its_three_endpoints_and_a_local_endpoint_keeps_the_identity() {
        let c = Cloud::custom_cloud(
            "https://management.local.azurestack.external",
            "https://login.local.azurestack.external",
            "https://management.adfs.azurestack.local/abc",
        )
        .unwrap();
        assert_eq!(
            c.scope(),
            "https://management.adfs.azurestack.local/abc/.default"
        );
        assert_eq!(
            c.authority_host().unwrap().as_str(),
            "https://login.local.azurestack.external/"
        );
        assert!(
            Cloud::custom_cloud("https://arm.example.com", "http://login.example.com", "a")
                .is_err()
        );
        assert!(
            Cloud::custom_cloud("https://arm.example.com", "https://login.example.com", " ")
                .is_err()
        );

        let china = Cloud::azure_china();
        let local = china.at_local_endpoint("http://127.0.0.1:9").unwrap();
        assert_eq!(local.endpoint().as_str(), "http://127.0.0.1:9/");
        assert_eq!(local.scope(), china.scope());
        assert_eq!(local.authority_host(), china.authority_host());
        assert_eq!(local.az_name(), "AzureChinaCloud");
        for remote in ["https://arm.example.com", "http://10.0.0.1:80"] {
            assert!(china.at_local_endpoint(remote).is_err(), "{remote}");
        }
    }

    #[test]
    fn custom_cloud_keeps_path_prefix_with_trailing_slash() {
        let c = Cloud::custom("http://127.0.0.1:9/arm", "s").unwrap();
        assert_eq!(c.endpoint().as_str(), "http://127.0.0.1:9/arm/");
    }
}
