//! Clouds: the Resource Manager endpoint, its token scope and the Entra ID authority.

use std::fmt;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use url::Url;

use crate::error::{Error, Result};
use crate::url::{is_loopback, origin_of, redact_url};

/// The built-in clouds: name, Resource Manager endpoint, authority host.
const AZURE_PUBLIC: (&str, &str, &str) = (
    "AzurePublic",
    "https://management.azure.com/",
    "https://login.microsoftonline.com/",
);
const AZURE_CHINA: (&str, &str, &str) = (
    "AzureChina",
    "https://management.chinacloudapi.cn/",
    "https://login.chinacloudapi.cn/",
);
const AZURE_US_GOVERNMENT: (&str, &str, &str) = (
    "AzureUSGovernment",
    "https://management.usgovcloudapi.net/",
    "https://login.microsoftonline.us/",
);

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
/// # Which clouds have an authority
///
/// The credential chain needs the authority, and takes it from nowhere else: there is no
/// fallback to the public cloud's.
///
/// - The built-in clouds ([`Cloud::azure_public`], [`Cloud::azure_china`],
///   [`Cloud::azure_us_government`], [`str::parse`], [`Default`]) and
///   [`Cloud::custom_cloud`] carry theirs.
/// - [`Cloud::custom`] carries none: it is an endpoint and a scope for a credential of the
///   caller's ([`crate::ArmClient::new`] with a [`crate::StaticTokenCredential`], say, against an
///   emulator). [`crate::ArmClient::from_environment`] and [`crate::ArmClient::from_lookup`]
///   refuse it with [`Error::InvalidConfig`] before any credential is built; use
///   [`Cloud::custom_cloud`], or add the authority with [`Cloud::with_authority_host`].
/// - [`Cloud::with_authority_host`] sets the authority the credentials use, on any cloud.
/// - [`Cloud::at_local_endpoint`] keeps the cloud's authority (or its lack of one).
///
/// ```
/// use aml_arm::{ArmClient, ArmClientOptions, Cloud, CredentialChainOptions, Error};
/// let endpoint_and_scope = Cloud::custom("https://arm.contoso.example", "https://arm.contoso.example/.default")?;
/// let options = ArmClientOptions { cloud: endpoint_and_scope, ..ArmClientOptions::default() };
/// let err = ArmClient::from_lookup(options, &CredentialChainOptions::default(), |_| None).unwrap_err();
/// assert!(matches!(err, Error::InvalidConfig { .. }));
/// assert!(err.to_string().contains("Cloud::custom_cloud"));
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
        Self::well_known(AZURE_PUBLIC)
    }

    /// Azure operated by 21Vianet in China: `https://management.chinacloudapi.cn`.
    pub fn azure_china() -> Self {
        Self::well_known(AZURE_CHINA)
    }

    /// Azure US Government: `https://management.usgovcloudapi.net`.
    pub fn azure_us_government() -> Self {
        Self::well_known(AZURE_US_GOVERNMENT)
    }

    fn well_known((name, endpoint, authority): (&'static str, &'static str, &'static str)) -> Self {
        let endpoint = constant_url(endpoint);
        let scope = format!("{}/.default", endpoint.as_str().trim_end_matches('/'));
        Self {
            name,
            endpoint,
            scope,
            authority_host: Some(constant_url(authority)),
        }
    }

    /// A custom endpoint (an emulator, a test server) with the token scope it accepts, and no
    /// authority: for [`crate::ArmClient::new`] with a credential of the caller's.
    /// [`crate::ArmClient::from_environment`] and [`crate::ArmClient::from_lookup`] refuse it
    /// (they would not know where to authenticate); a real custom cloud (Azure Stack) is
    /// [`Cloud::custom_cloud`].
    ///
    /// `https` is required unless the host is a loopback address (`127.0.0.0/8`, `::1` or
    /// `localhost`): plain `http` would put the token on the network in clear text.
    /// The endpoint may carry a path prefix (`http://127.0.0.1:8080/arm`); it may not carry
    /// credentials, a query or a fragment.
    ///
    /// ```
    /// let cloud = aml_arm::Cloud::custom("http://127.0.0.1:8080", "https://management.azure.com/.default")?;
    /// assert_eq!(cloud.endpoint().as_str(), "http://127.0.0.1:8080/");
    /// assert!(cloud.authority_host().is_none());
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
    /// The credential chain of [`crate::ArmClient::from_environment`] authenticates against
    /// that authority.
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
    /// and the authority stay this cloud's (a [`Cloud::custom`] stays without one), only the
    /// host requests go to changes. The endpoint must be on a loopback address (`127.0.0.0/8`,
    /// `::1` or `localhost`), so a token for a real cloud never travels to another machine this
    /// way; the token is sent only there.
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

    /// Sets the Entra ID authority host (for example `https://login.microsoftonline.com`); it
    /// must be `https`. The credentials [`crate::ArmClient::from_environment`] builds
    /// authenticate against it, whichever cloud this is (a built-in cloud included).
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

    /// The Entra ID authority host the credential chain authenticates against; `None` for a
    /// [`Cloud::custom`] without one, which only [`crate::ArmClient::new`] (a credential of the
    /// caller's) accepts.
    pub fn authority_host(&self) -> Option<&Url> {
        self.authority_host.as_ref()
    }

    /// The `azure_core` cloud configuration the credential chain's credentials are built with:
    /// always [`Cloud::authority_host`], never a default. A cloud without an authority is an
    /// error naming the fix.
    pub(crate) fn azure_core_cloud(&self) -> Result<CloudConfiguration> {
        let Some(host) = &self.authority_host else {
            return Err(Error::InvalidConfig {
                message: format!(
                    "the custom cloud at {} has no Entra ID authority host, so no credential can be built for it; a custom cloud needs its authority host: use `Cloud::custom_cloud(resource_manager, authority, audience)` (or pass a credential to `ArmClient::new`)",
                    origin_of(&self.endpoint)
                ),
            });
        };
        let built_in = [
            (AZURE_PUBLIC, CloudConfiguration::AzurePublic),
            (AZURE_CHINA, CloudConfiguration::AzureChina),
            (AZURE_US_GOVERNMENT, CloudConfiguration::AzureGovernment),
        ]
        .into_iter()
        .find(|((name, _, authority), _)| *name == self.name && host.as_str() == *authority);
        if let Some((_, configuration)) = built_in {
            return Ok(configuration);
        }
        let mut custom = CustomConfiguration::default();
        host.as_str()
            .trim_end_matches('/')
            .clone_into(&mut custom.authority_host);
        Ok(custom.into())
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
            .field(
                "authority_host",
                &self.authority_host.as_ref().map(Url::as_str),
            )
            .finish()
    }
}

/// Parses one of this file's URL literals (each checked by `well_known_clouds_*` in the tests).
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

#[cfg(test)]
mod tests;
