//! A credential chain built from what `azure_identity` 1.0 offers (it has no
//! `DefaultAzureCredential`).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use azure_core::http::ClientOptions;
use azure_identity::{
    ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    DeveloperToolsCredential, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};

use crate::cloud::Cloud;

mod azure_cli;

use crate::error::{Error, Result};
use azure_cli::azure_cli_mismatch;
pub use azure_cli::{azure_cli_active_cloud, azure_cli_config_dir};

const NONE_SELECTED: usize = usize::MAX;

/// A kind of credential [`crate::ArmClient::from_environment`] can build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialKind {
    /// Kubernetes workload identity: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
    /// `AZURE_FEDERATED_TOKEN_FILE`.
    WorkloadIdentity,
    /// A service principal's secret: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`.
    ClientSecret,
    /// Managed identity (App Service, or the VM's instance metadata service).
    ManagedIdentity,
    /// The Azure CLI, then the Azure Developer CLI (`az`, `azd`).
    DeveloperTools,
}

impl CredentialKind {
    /// The order the Azure SDKs' `DefaultAzureCredential` uses.
    pub const DEFAULT_ORDER: [Self; 4] = [
        Self::WorkloadIdentity,
        Self::ClientSecret,
        Self::ManagedIdentity,
        Self::DeveloperTools,
    ];

    /// A short name, used in errors.
    pub fn name(self) -> &'static str {
        match self {
            Self::WorkloadIdentity => "workload identity",
            Self::ClientSecret => "client secret",
            Self::ManagedIdentity => "managed identity",
            Self::DeveloperTools => "developer tools (az, azd)",
        }
    }
}

/// Which credentials [`crate::ArmClient::from_environment`] may use. The cloud whose
/// authority they use is the client's own ([`crate::ArmClientOptions::cloud`]), never a
/// separate setting.
#[derive(Clone, Debug)]
pub struct CredentialChainOptions {
    /// The kinds to try, in order. Default: [`CredentialKind::DEFAULT_ORDER`].
    pub kinds: Vec<CredentialKind>,
    /// Client id of a user-assigned managed identity; `AZURE_CLIENT_ID` when `None`.
    pub managed_identity_client_id: Option<String>,
    /// How long the first managed-identity request may take before the chain moves on (off
    /// Azure, the metadata endpoint may never answer). Default 2 s.
    pub managed_identity_probe_timeout: Duration,
}

impl Default for CredentialChainOptions {
    fn default() -> Self {
        Self {
            kinds: CredentialKind::DEFAULT_ORDER.to_vec(),
            managed_identity_client_id: None,
            managed_identity_probe_timeout: Duration::from_secs(2),
        }
    }
}

struct Link {
    name: String,
    credential: Arc<dyn TokenCredential>,
    probe_timeout: Option<Duration>,
}

/// Tries credentials in order; the first that produces a token is used from then on.
///
/// [`crate::ArmClient::from_environment`] builds the chain the Azure SDKs'
/// `DefaultAzureCredential` would, for the client's cloud: workload identity, client secret, managed identity,
/// developer tools. It is the only place this crate reads environment variables, and only
/// when called. When no credential produces a token the error lists, for each, why it was
/// skipped or how it failed.
pub struct CredentialChain {
    links: Vec<Link>,
    skipped: Vec<(String, String)>,
    selected: AtomicUsize,
}

impl CredentialChain {
    /// A chain of the given credentials, tried in order.
    pub fn new(credentials: Vec<(String, Arc<dyn TokenCredential>)>) -> Arc<Self> {
        Arc::new(Self {
            links: credentials
                .into_iter()
                .map(|(name, credential)| Link {
                    name,
                    credential,
                    probe_timeout: None,
                })
                .collect(),
            skipped: Vec::new(),
            selected: AtomicUsize::new(NONE_SELECTED),
        })
    }

    /// Builds the chain for `cloud` from variables read through `lookup` (the process
    /// environment, a configuration file, a test). Reached through
    /// [`crate::ArmClient::from_environment`] and [`crate::ArmClient::from_lookup`], which pass
    /// their own cloud, so the chain's authority always matches the client's endpoint.
    ///
    /// Fails with [`Error::InvalidConfig`], before reading a variable or building a credential,
    /// when the cloud has no authority host (a [`Cloud::custom`]): there is no public-cloud
    /// fallback. Fails with [`Error::CredentialUnavailable`] when no credential at all could be
    /// built; whether one works is known at the first token request.
    ///
    /// `azure_identity`'s managed-identity and developer-tool credentials still read their own
    /// variables (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`, the `az`/`azd` configuration): its
    /// API offers no way to hand those in.
    pub(crate) fn from_lookup(
        cloud: &Cloud,
        options: &CredentialChainOptions,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Arc<Self>> {
        let authority = Arc::new(cloud.azure_core_cloud()?);
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let env = ChainEnv {
            tenant: var("AZURE_TENANT_ID"),
            client_id: var("AZURE_CLIENT_ID"),
            client_secret: var("AZURE_CLIENT_SECRET"),
            token_file: var("AZURE_FEDERATED_TOKEN_FILE"),
            certificate_path: var("AZURE_CLIENT_CERTIFICATE_PATH").is_some(),
            az_cloud: options
                .kinds
                .contains(&CredentialKind::DeveloperTools)
                .then(|| azure_cli_config_dir(&lookup).and_then(|dir| azure_cli_active_cloud(&dir)))
                .flatten(),
        };
        let mut links = Vec::new();
        let mut skipped = Vec::new();
        for kind in CredentialKind::DEFAULT_ORDER {
            if !options.kinds.contains(&kind) {
                skipped.push((kind.name().to_owned(), "not requested".to_owned()));
            }
        }
        for &kind in &options.kinds {
            match build(kind, cloud, &authority, options, &env) {
                Ok(credential) => links.push(Link {
                    name: kind.name().to_owned(),
                    credential,
                    probe_timeout: (kind == CredentialKind::ManagedIdentity)
                        .then_some(options.managed_identity_probe_timeout),
                }),
                Err(reason) => skipped.push((kind.name().to_owned(), reason)),
            }
        }
        // Report in the usual order, whatever order the caller asked for.
        skipped.sort_by_key(|(name, _)| {
            CredentialKind::DEFAULT_ORDER
                .iter()
                .position(|k| k.name() == name)
        });
        if links.is_empty() {
            return Err(Error::CredentialUnavailable {
                reasons: skipped
                    .into_iter()
                    .map(|(n, r)| format!("{n}: {r}"))
                    .collect(),
            });
        }
        Ok(Arc::new(Self {
            links,
            skipped,
            selected: AtomicUsize::new(NONE_SELECTED),
        }))
    }

    /// The credentials in the chain, in the order they are tried.
    pub fn sources(&self) -> Vec<&str> {
        self.links.iter().map(|l| l.name.as_str()).collect()
    }

    /// Credential kinds left out, with the reason.
    pub fn skipped(&self) -> &[(String, String)] {
        &self.skipped
    }

    /// The credential that produced the first token, once one has.
    pub fn selected(&self) -> Option<&str> {
        self.links
            .get(self.selected.load(Ordering::Acquire))
            .map(|l| l.name.as_str())
    }
}

/// The variables the chain reads.
struct ChainEnv {
    tenant: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    token_file: Option<String>,
    certificate_path: bool,
    /// The Azure CLI's active cloud (`[cloud] name` of its `config`), when it names one.
    az_cloud: Option<String>,
}

/// Builds one credential against `authority` (the cloud's, from [`Cloud::azure_core_cloud`]),
/// or says why it cannot be built.
fn build(
    kind: CredentialKind,
    cloud: &Cloud,
    authority: &Arc<azure_core::cloud::CloudConfiguration>,
    options: &CredentialChainOptions,
    env: &ChainEnv,
) -> std::result::Result<Arc<dyn TokenCredential>, String> {
    let client_options = || ClientOptions {
        cloud: Some(Arc::clone(authority)),
        ..ClientOptions::default()
    };
    let built = |r: azure_core::Result<Arc<dyn TokenCredential>>| {
        r.map_err(|e| format!("could not be built: {e}"))
    };
    match kind {
        CredentialKind::WorkloadIdentity => {
            let (Some(t), Some(c), Some(file)) = (&env.tenant, &env.client_id, &env.token_file)
            else {
                return Err(missing(&[
                    ("AZURE_TENANT_ID", env.tenant.is_some()),
                    ("AZURE_CLIENT_ID", env.client_id.is_some()),
                    ("AZURE_FEDERATED_TOKEN_FILE", env.token_file.is_some()),
                ]));
            };
            built(
                WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                    credential_options: ClientAssertionCredentialOptions {
                        client_options: client_options(),
                    },
                    client_id: Some(c.clone()),
                    tenant_id: Some(t.clone()),
                    token_file_path: Some(PathBuf::from(file)),
                }))
                .map(|c| c as Arc<dyn TokenCredential>),
            )
        }
        CredentialKind::ClientSecret => {
            let (Some(t), Some(c), Some(secret)) =
                (&env.tenant, &env.client_id, &env.client_secret)
            else {
                let mut reason = missing(&[
                    ("AZURE_TENANT_ID", env.tenant.is_some()),
                    ("AZURE_CLIENT_ID", env.client_id.is_some()),
                    ("AZURE_CLIENT_SECRET", env.client_secret.is_some()),
                ]);
                if env.certificate_path {
                    reason.push_str(
                        "; AZURE_CLIENT_CERTIFICATE_PATH is set but client certificates are not \
                         supported (azure_identity needs OpenSSL for them)",
                    );
                }
                return Err(reason);
            };
            built(
                ClientSecretCredential::new(
                    t,
                    c.clone(),
                    Secret::new(secret.clone()),
                    Some(ClientSecretCredentialOptions {
                        client_options: client_options(),
                    }),
                )
                .map(|c| c as Arc<dyn TokenCredential>),
            )
        }
        CredentialKind::ManagedIdentity => {
            let user_assigned_id = options
                .managed_identity_client_id
                .clone()
                .or_else(|| env.client_id.clone())
                .map(UserAssignedId::ClientId);
            built(
                ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                    user_assigned_id,
                    ..ManagedIdentityCredentialOptions::default()
                }))
                .map(|c| c as Arc<dyn TokenCredential>),
            )
        }
        CredentialKind::DeveloperTools => {
            if let Some(reason) = azure_cli_mismatch(cloud, env.az_cloud.as_deref()) {
                return Err(reason);
            }
            built(DeveloperToolsCredential::new(None).map(|c| c as Arc<dyn TokenCredential>))
        }
    }
}

fn missing(vars: &[(&str, bool)]) -> String {
    let names: Vec<&str> = vars
        .iter()
        .filter(|(_, set)| !set)
        .map(|(n, _)| *n)
        .collect();
    format!("{} not set", names.join(", "))
}

#[async_trait::async_trait]
impl TokenCredential for CredentialChain {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        if let Some(link) = self.links.get(self.selected.load(Ordering::Acquire)) {
            return link.credential.get_token(scopes, options).await;
        }
        let mut reasons: Vec<String> = self
            .skipped
            .iter()
            .map(|(n, r)| format!("{n}: skipped ({r})"))
            .collect();
        for (index, link) in self.links.iter().enumerate() {
            let attempt = link.credential.get_token(scopes, options.clone());
            let result = match link.probe_timeout {
                Some(limit) => match tokio::time::timeout(limit, attempt).await {
                    Ok(r) => r,
                    Err(_) => Err(azure_core::Error::with_message(
                        ErrorKind::Credential,
                        format!("no answer within {limit:?}"),
                    )),
                },
                None => attempt.await,
            };
            match result {
                Ok(token) => {
                    tracing::debug!(credential = %link.name, "credential chain selected a credential");
                    self.selected.store(index, Ordering::Release);
                    return Ok(token);
                }
                Err(e) => reasons.push(format!("{}: failed ({e})", link.name)),
            }
        }
        Err(azure_core::Error::with_message(
            ErrorKind::Credential,
            format!(
                "no credential in the chain produced a token: {}",
                reasons.join("; ")
            ),
        ))
    }
}

impl fmt::Debug for CredentialChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialChain")
            .field("sources", &self.sources())
            .field("skipped", &self.skipped)
            .field("selected", &self.selected())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
