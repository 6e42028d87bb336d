//! The workspace a compute belongs to: built from ids, from an ARM id, or from the Azure ML
//! `config.json` convention (`Workspace.from_config` in the Python SDK).

use std::path::{Path, PathBuf};

use aml_arm::ArmClient;
use aml_model::WorkspaceId;
use aml_model::request::{DEFAULT_API_VERSION, Requests, WorkspaceRef};
use serde::Deserialize;

use crate::error::{Error, Result, from_model};

/// The file name the Python SDK and the Azure ML CLI write (`ws.write_config()`).
pub const CONFIG_FILE: &str = "config.json";

/// An Azure Machine Learning workspace and the ARM client that reaches it.
#[derive(Clone)]
pub struct Workspace {
    pub(crate) arm: ArmClient,
    pub(crate) id: WorkspaceId,
    pub(crate) location: Option<String>,
    pub(crate) requests: Requests,
    /// Serializes attaches through this workspace (and its clones) from the R10 check to the
    /// `PUT`, so two concurrent attaches of one cluster cannot both pass the check.
    pub(crate) attach_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("id", &self.id.to_string())
            .field("location", &self.location)
            .field("endpoint", &self.arm.endpoint().as_str())
            .field("api_version", &self.requests.api_version())
            .field(
                "container_service_api_version",
                &self.requests.container_service_api_version(),
            )
            .finish_non_exhaustive()
    }
}

/// The fields of an Azure ML `config.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WorkspaceConfig {
    /// Subscription of the workspace.
    pub subscription_id: String,
    /// Resource group of the workspace.
    pub resource_group: String,
    /// Name of the workspace.
    pub workspace_name: String,
}

impl Workspace {
    /// A workspace by id. Its region is unknown until [`Workspace::refresh`] or
    /// [`Workspace::with_location`].
    pub fn new(arm: ArmClient, id: WorkspaceId) -> Self {
        Self {
            arm,
            id,
            location: None,
            requests: Requests::new(DEFAULT_API_VERSION),
            attach_lock: std::sync::Arc::default(),
        }
    }

    /// A workspace by subscription, resource group and name.
    pub fn from_ids(
        arm: ArmClient,
        subscription_id: &str,
        resource_group: &str,
        workspace_name: &str,
    ) -> Result<Self> {
        let id = WorkspaceId::new(subscription_id, resource_group, workspace_name)
            .map_err(|e| from_model(e.into()))?;
        Ok(Self::new(arm, id))
    }

    /// A workspace by ARM id (`/subscriptions/.../workspaces/NAME`).
    pub fn from_arm_id(arm: ArmClient, id: &str) -> Result<Self> {
        let id: WorkspaceId = id
            .parse()
            .map_err(|e: aml_model::resource_id::ResourceIdError| from_model(e.into()))?;
        Ok(Self::new(arm, id))
    }

    /// A workspace from the nearest `config.json`: in `start`, its `.azureml/` folder, then each
    /// parent in turn, like the Python SDK's `Workspace.from_config`.
    pub fn from_config(arm: ArmClient, start: impl AsRef<Path>) -> Result<Self> {
        let (path, config) = find_config(start.as_ref())?;
        Self::from_ids(
            arm,
            &config.subscription_id,
            &config.resource_group,
            &config.workspace_name,
        )
        .map_err(|e| Error::Config {
            message: format!("{} names an invalid workspace", path.display()),
            source: Some(Box::new(e)),
        })
    }

    /// Sets the region, when the caller knows it.
    #[must_use]
    pub fn with_location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Uses another `Microsoft.MachineLearningServices` api-version (default 2024-04-01).
    #[must_use]
    pub fn with_api_version(mut self, api_version: impl Into<String>) -> Self {
        self.requests = Requests::new(api_version)
            .with_container_service_api_version(self.requests.container_service_api_version());
        self
    }

    /// Uses another `Microsoft.ContainerService` api-version (default 2024-09-01).
    #[must_use]
    pub fn with_container_service_api_version(mut self, api_version: impl Into<String>) -> Self {
        self.requests = self
            .requests
            .clone()
            .with_container_service_api_version(api_version);
        self
    }

    /// A workspace by id, read from ARM (its region): the Python SDK's `Workspace.get`.
    /// (`Workspace::get` is the compute getter here, hence the name.)
    pub async fn fetch(arm: ArmClient, id: WorkspaceId) -> Result<Self> {
        let mut workspace = Self::new(arm, id);
        workspace.refresh().await?;
        Ok(workspace)
    }

    /// Reads the workspace (its region) from ARM.
    pub async fn refresh(&mut self) -> Result<()> {
        #[derive(Deserialize)]
        struct WorkspaceBody {
            location: Option<String>,
        }
        let request = self.requests.workspace(&self.id);
        let body: WorkspaceBody = match self.arm.send(request).await {
            Ok(response) => response.json()?,
            Err(e) if e.is_not_found() => {
                return Err(Error::Config {
                    message: format!(
                        "workspace {} was not found; check the subscription, resource group and name",
                        self.id
                    ),
                    source: Some(Box::new(e)),
                });
            }
            Err(e) => return Err(e.into()),
        };
        self.location = body.location;
        Ok(())
    }

    /// The workspace's id.
    pub fn id(&self) -> &WorkspaceId {
        &self.id
    }

    /// The workspace's region, when known.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The ARM client.
    pub fn arm(&self) -> &ArmClient {
        &self.arm
    }

    /// The request builder (api-versions) in use.
    pub fn requests(&self) -> &Requests {
        &self.requests
    }

    pub(crate) fn workspace_ref(&self) -> WorkspaceRef {
        WorkspaceRef::new(self.id.clone(), self.location.clone())
    }
}

/// Finds and reads the nearest `config.json` from `start` upwards (each folder and its
/// `.azureml/`). Returns the file's path and contents.
pub fn find_config(start: &Path) -> Result<(PathBuf, WorkspaceConfig)> {
    let mut searched = Vec::new();
    let mut dir = Some(start);
    while let Some(d) = dir {
        for candidate in [d.join(CONFIG_FILE), d.join(".azureml").join(CONFIG_FILE)] {
            if candidate.is_file() {
                let text = std::fs::read_to_string(&candidate).map_err(|e| Error::Config {
                    message: format!("cannot read {}", candidate.display()),
                    source: Some(Box::new(e)),
                })?;
                let config: WorkspaceConfig =
                    serde_json::from_str(&text).map_err(|e| Error::Config {
                        message: format!(
                            "{} is not a workspace configuration (subscription_id, resource_group, workspace_name)",
                            candidate.display()
                        ),
                        source: Some(Box::new(e)),
                    })?;
                return Ok((candidate, config));
            }
            searched.push(candidate);
        }
        dir = d.parent();
    }
    Err(Error::Config {
        message: format!(
            "no {CONFIG_FILE} found in {} or its parents (looked in {} places); download it from the workspace's overview page in the Azure portal",
            start.display(),
            searched.len()
        ),
        source: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("aml-compute-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    const CONFIG: &str = r#"{"subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group": "rg", "workspace_name": "ws"}"#;

    #[test]
    fn config_is_found_in_azureml_folder_of_a_parent() {
        let root = temp("find");
        std::fs::create_dir_all(root.join(".azureml")).unwrap();
        std::fs::write(root.join(".azureml").join(CONFIG_FILE), CONFIG).unwrap();
        let deep = root.join("a").join("b");
        std::fs::create_dir_all(&deep).unwrap();
        let (path, config) = find_config(&deep).unwrap();
        assert_eq!(path, root.join(".azureml").join(CONFIG_FILE));
        assert_eq!(config.workspace_name, "ws");
        // A nearer config.json wins.
        std::fs::write(deep.join(CONFIG_FILE), CONFIG.replace("\"ws\"", "\"near\"")).unwrap();
        assert_eq!(find_config(&deep).unwrap().1.workspace_name, "near");
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn a_bad_config_names_the_file() {
        let root = temp("bad");
        std::fs::write(root.join(CONFIG_FILE), r#"{"subscription_id": "s"}"#).unwrap();
        let err = find_config(&root).unwrap_err().to_string();
        assert!(err.contains("config.json"), "{err}");
        assert!(err.contains("resource_group"), "{err}");
        std::fs::remove_dir_all(&root).ok();
    }
}
