//! Where a command runs: the cloud (one setting for the credential and ARM), the workspace,
//! and the ARM client built from them.
//!
//! The cloud is, in this order: `--cloud` (or `AZURE_CLOUD`), else the active cloud of the
//! Azure CLI (`[cloud] name` in `$AZURE_CONFIG_DIR/config`, default `~/.azure/config`), else the
//! public cloud. Its one [`Cloud`] value gives the ARM endpoint, the token scope and the Entra ID
//! authority of the credential chain, so they cannot disagree.
//!
//! `--endpoint http://127.0.0.1:PORT` is the testing switch: requests go to an emulator on this
//! machine (loopback only, refused otherwise) with a static test token (`AML_EMULATOR_TOKEN`,
//! default `emulator`) asked for the cloud's own scope; no credential is read and the token
//! goes nowhere else.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aml_arm::credentials::TokenCredential;
use aml_arm::{
    ArmClient, ArmClientOptions, Cloud, CredentialChainOptions, PollOptions, StaticTokenCredential,
};
use aml_compute::Workspace;
use aml_model::WorkspaceId;

use crate::exit::{Exit, Failure};

/// The token the `--endpoint` test credential returns (default `emulator`).
pub(crate) const EMULATOR_TOKEN_VAR: &str = "AML_EMULATOR_TOKEN";

/// How the cloud was chosen, as given on the command line or in the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloudChoice {
    /// `--cloud` / `AZURE_CLOUD`: a built-in name, or `custom`.
    pub name: Option<String>,
    /// A custom cloud's Resource Manager endpoint.
    pub resource_manager: Option<String>,
    /// A custom cloud's Entra ID authority host.
    pub authority_host: Option<String>,
    /// A custom cloud's token audience.
    pub audience: Option<String>,
    /// The testing switch: an emulator on loopback.
    pub endpoint: Option<String>,
    /// Where the Azure CLI keeps its configuration (`AZURE_CONFIG_DIR`, else `~/.azure`).
    pub az_config_dir: Option<PathBuf>,
}

/// The resolved target: one cloud, and whether it is served by a local emulator.
#[derive(Debug, Clone)]
pub struct Target {
    cloud: Cloud,
    local: bool,
    poll_timeout: Option<Duration>,
}

impl Target {
    /// Resolves `choice` into one cloud (see the module's order).
    pub fn resolve(choice: &CloudChoice) -> Result<Self, Failure> {
        let custom_given = choice.resource_manager.is_some()
            || choice.authority_host.is_some()
            || choice.audience.is_some();
        // where the name comes from, for messages
        let mut source = "--cloud".to_owned();
        let name = match &choice.name {
            Some(name) => Some(name.clone()),
            None if custom_given => Some("custom".to_owned()),
            None => {
                let dir = choice.az_config_dir.as_deref();
                let active = dir.and_then(aml_arm::azure_cli_active_cloud);
                if let (Some(dir), Some(_)) = (dir, &active) {
                    source = format!(
                        "the Azure CLI's active cloud ({})",
                        dir.join("config").display()
                    );
                }
                active
            }
        };
        let invalid = |e: aml_arm::Error| Failure::invalid(format!("{source}: {e}"));
        let cloud = match name.as_deref() {
            Some(n) if n.eq_ignore_ascii_case("custom") => {
                let (Some(arm), Some(authority), Some(audience)) = (
                    &choice.resource_manager,
                    &choice.authority_host,
                    &choice.audience,
                ) else {
                    return Err(Failure::invalid(
                        "--cloud custom needs --resource-manager, --authority-host and --audience (the custom cloud's endpoints)",
                    ));
                };
                Cloud::custom_cloud(arm, authority, audience).map_err(invalid)?
            }
            Some(n) => {
                if custom_given {
                    return Err(Failure::invalid(format!(
                        "--resource-manager, --authority-host and --audience describe a custom cloud; they cannot be combined with --cloud {n}"
                    )));
                }
                n.parse().map_err(invalid)?
            }
            None => Cloud::azure_public(),
        };
        match &choice.endpoint {
            Some(url) => Ok(Self {
                cloud: cloud
                    .at_local_endpoint(url)
                    .map_err(|e| Failure::invalid(format!("--endpoint: {e}")))?,
                local: true,
                poll_timeout: None,
            }),
            None => Ok(Self {
                cloud,
                local: false,
                poll_timeout: None,
            }),
        }
    }

    /// Stops waiting for a long-running operation after `timeout` (`None`: wait for as long
    /// as the service reports progress).
    #[must_use]
    pub(crate) fn with_poll_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.poll_timeout = timeout;
        self
    }

    /// The cloud as JSON: `{"name", "resource_manager", "scope"}` (the Azure CLI's name, the
    /// endpoint requests go to, the token scope the credential is asked for).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.cloud.az_name(),
            "resource_manager": self.cloud.endpoint().as_str(),
            "scope": self.cloud.scope(),
        })
    }

    /// The ARM client: on a local emulator with the static test token, else with the
    /// credential chain of the process environment, for this one cloud.
    pub fn arm_client(&self) -> Result<ArmClient, Failure> {
        if self.local {
            let token = std::env::var(EMULATOR_TOKEN_VAR)
                .ok()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| "emulator".to_owned());
            return self.arm_client_with(StaticTokenCredential::new(token));
        }
        ArmClient::from_environment(self.options(), &CredentialChainOptions::default())
            .map_err(|e| Failure::from_compute(&e.into()))
    }

    /// The ARM client with a credential of the caller's (tests): the scope it is asked for and
    /// the endpoint are still this target's cloud's.
    pub fn arm_client_with(
        &self,
        credential: Arc<dyn TokenCredential>,
    ) -> Result<ArmClient, Failure> {
        ArmClient::new(credential, self.options()).map_err(|e| Failure::from_compute(&e.into()))
    }

    fn options(&self) -> ArmClientOptions {
        let mut options = ArmClientOptions {
            cloud: self.cloud.clone(),
            user_agent_suffix: Some(format!("aml-cli/{}", env!("CARGO_PKG_VERSION"))),
            ..ArmClientOptions::default()
        };
        if self.local {
            // An emulator advertises its polling interval; without one, poll quickly.
            options.poll = PollOptions {
                interval: Duration::from_millis(20),
                ..PollOptions::default()
            };
        }
        options.poll.timeout = self.poll_timeout;
        options
    }
}

/// The Azure CLI's configuration folder: `AZURE_CONFIG_DIR`, else `~/.azure`.
pub(crate) fn az_config_dir() -> Option<PathBuf> {
    aml_arm::azure_cli_config_dir(|name| std::env::var(name).ok())
}

/// How the workspace was named: flags (or `AML_*` variables), or a `config.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct WorkspaceChoice {
    /// `--subscription` / `AML_SUBSCRIPTION_ID`.
    pub(crate) subscription: Option<String>,
    /// `--resource-group` / `AML_RESOURCE_GROUP`.
    pub(crate) resource_group: Option<String>,
    /// `--workspace` / `AML_WORKSPACE_NAME`.
    pub(crate) workspace: Option<String>,
    /// `--config` / `AML_CONFIG`: the `config.json` file, or the folder to search from.
    pub(crate) config: Option<PathBuf>,
}

impl WorkspaceChoice {
    /// The workspace: all three names when given (some but not all is an error naming the
    /// missing ones), else the configuration file found as the Python SDK's
    /// `Workspace.from_config` finds it, from `--config` or the current folder.
    pub(crate) fn resolve(&self) -> Result<WorkspaceId, Failure> {
        let given = [
            ("--subscription", &self.subscription),
            ("--resource-group", &self.resource_group),
            ("--workspace", &self.workspace),
        ];
        match (&self.subscription, &self.resource_group, &self.workspace) {
            (Some(s), Some(g), Some(w)) => WorkspaceId::new(s, g, w)
                .map_err(|e| Failure::invalid(format!("the workspace named by the flags: {e}"))),
            (None, None, None) => {
                let start = match &self.config {
                    Some(path) => path.clone(),
                    None => std::env::current_dir()
                        .map_err(|e| Failure::io("cannot read the current folder", &e))?,
                };
                let (path, config) = aml_compute::find_config(&start)?;
                WorkspaceId::new(
                    &config.subscription_id,
                    &config.resource_group,
                    &config.workspace_name,
                )
                .map_err(|e| {
                    Failure::invalid(format!(
                        "{} names an invalid workspace: {e}",
                        path.display()
                    ))
                })
            }
            _ => {
                let missing: Vec<&str> = given
                    .iter()
                    .filter(|(_, v)| v.is_none())
                    .map(|(n, _)| *n)
                    .collect();
                Err(Failure::new(
                    Exit::Invalid,
                    format!(
                        "give {} too (or the AML_* variables), or none of the three to use config.json",
                        missing.join(" and ")
                    ),
                ))
            }
        }
    }
}

/// The workspace `id` on `arm`, its region read from ARM.
pub(crate) async fn workspace(arm: ArmClient, id: WorkspaceId) -> Result<Workspace, Failure> {
    Ok(Workspace::fetch(arm, id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("aml-cli-target-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_azure_cli_active_cloud_is_read_from_its_config() {
        let dir = temp("az");
        std::fs::write(
            dir.join("config"),
            "[core]\noutput = json\nname = not-this\n\n[cloud]\nname = AzureUSGovernment\n",
        )
        .unwrap();
        assert_eq!(
            aml_arm::azure_cli_active_cloud(&dir).as_deref(),
            Some("AzureUSGovernment")
        );
        let target = Target::resolve(&CloudChoice {
            az_config_dir: Some(dir.clone()),
            ..CloudChoice::default()
        })
        .unwrap();
        assert_eq!(target.to_json()["name"], "AzureUSGovernment");
        // --cloud wins over the Azure CLI's choice
        let target = Target::resolve(&CloudChoice {
            name: Some("china".into()),
            az_config_dir: Some(dir.clone()),
            ..CloudChoice::default()
        })
        .unwrap();
        assert_eq!(target.to_json()["name"], "AzureChinaCloud");
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(aml_arm::azure_cli_active_cloud(&dir), None);
    }

    #[test]
    fn a_custom_cloud_needs_its_three_endpoints_and_the_endpoint_switch_is_loopback_only() {
        let partial = CloudChoice {
            resource_manager: Some("https://arm.example.com".into()),
            ..CloudChoice::default()
        };
        let err = Target::resolve(&partial).unwrap_err();
        assert_eq!(err.exit, Exit::Invalid);
        assert!(err.message.contains("--authority-host"), "{err}");
        let mixed = CloudChoice {
            name: Some("AzureCloud".into()),
            ..partial
        };
        assert!(Target::resolve(&mixed).is_err());
        let remote = CloudChoice {
            endpoint: Some("http://10.1.2.3:8443".into()),
            ..CloudChoice::default()
        };
        assert!(
            Target::resolve(&remote)
                .unwrap_err()
                .message
                .contains("--endpoint")
        );
    }

    #[test]
    fn some_workspace_flags_without_the_others_name_what_is_missing() {
        let err = WorkspaceChoice {
            subscription: Some("00000000-0000-0000-0000-000000000000".into()),
            ..WorkspaceChoice::default()
        }
        .resolve()
        .unwrap_err();
        assert_eq!(err.exit, Exit::Invalid);
        assert!(
            err.message.contains("--resource-group and --workspace"),
            "{err}"
        );
    }
}
