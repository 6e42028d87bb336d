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

    /// A workspace from its configuration file, found as the Python SDK's
    /// `Workspace.from_config(path=start)` finds it (see [`find_config_named`]): `start` may be
    /// the file or the folder to search from.
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

/// The folders searched for a configuration file, in this order: `.azureml/`, the legacy
/// `aml_config/`, then the folder itself (`None`).
const CONFIG_DIRS: [Option<&str>; 3] = [Some(".azureml"), Some("aml_config"), None];

/// The legacy name of the configuration file (`project.json`, holding a `Scope`).
pub const LEGACY_CONFIG_FILE: &str = "project.json";

/// Finds and reads the workspace configuration the way the Python SDK's
/// `azureml.core.Workspace.from_config(path=start)` does (azureml-core 1.x), and returns the
/// file's path and contents.
///
/// Equivalent to [`find_config_named`] without a file name override.
pub fn find_config(start: &Path) -> Result<(PathBuf, WorkspaceConfig)> {
    find_config_named(start, None)
}

/// Finds and reads the workspace configuration exactly as the Python SDK's
/// `azureml.core.Workspace.from_config(path, _file_name)` does (azureml-core 1.x, with
/// `azureml._base_sdk_common.utils.traverse_up_path_and_find_file` and
/// `azureml._project.project_info.get_workspace_info`):
///
/// 1. `path` (made absolute) that is a file is the configuration itself.
/// 2. Otherwise, for each folder name in turn, `.azureml`, then `aml_config`, then none (the
///    folder itself), and for each file name in turn, `config.json` then `project.json` (or
///    only `file_name` when given), the search walks from `path` up to the root and takes the
///    first `<folder>/<name>/<file>` that is a file. So `.azureml/config.json` in any parent
///    wins over a `config.json` beside `path`: the order is the SDK's, not "nearest first".
/// 3. The file holds `subscription_id`, `resource_group` and `workspace_name`, or a `Scope`
///    (the workspace's ARM id, as the legacy `project.json` has it).
pub fn find_config_named(
    path: &Path,
    file_name: Option<&str>,
) -> Result<(PathBuf, WorkspaceConfig)> {
    let start = std::path::absolute(path).map_err(|e| Error::Config {
        message: format!("cannot resolve the path {}", path.display()),
        source: Some(Box::new(e)),
    })?;
    if start.is_file() {
        let config = read_config(&start)?;
        return Ok((start, config));
    }
    let files: Vec<&str> = match file_name {
        Some(name) => vec![name],
        None => vec![CONFIG_FILE, LEGACY_CONFIG_FILE],
    };
    for dir in CONFIG_DIRS {
        for file in &files {
            let relative = match dir {
                Some(dir) => Path::new(dir).join(file),
                None => PathBuf::from(file),
            };
            let mut current = Some(start.as_path());
            while let Some(folder) = current {
                let candidate = folder.join(&relative);
                if candidate.is_file() {
                    let config = read_config(&candidate)?;
                    return Ok((candidate, config));
                }
                current = folder.parent();
            }
        }
    }
    Err(Error::Config {
        message: format!(
            "no workspace configuration found from {} up to the root (looked for .azureml/, aml_config/ and plain {}); pass the file's path, or download config.json from the workspace's overview page in the Azure portal",
            start.display(),
            files.join(" and ")
        ),
        source: None,
    })
}

/// Reads one configuration file: the three fields, or a `Scope` holding the workspace's ARM id.
fn read_config(path: &Path) -> Result<WorkspaceConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
        message: format!("cannot read {}", path.display()),
        source: Some(Box::new(e)),
    })?;
    let invalid = |source: Option<Box<dyn std::error::Error + Send + Sync>>| Error::Config {
        message: format!(
            "{} is not a workspace configuration: it needs subscription_id, resource_group and workspace_name, or a Scope with the workspace's ARM id",
            path.display()
        ),
        source,
    };
    let value: serde_json::Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| invalid(Some(Box::new(e))))?;
    if let Some(scope) = value.get("Scope").and_then(serde_json::Value::as_str) {
        let id: WorkspaceId = scope
            .parse()
            .map_err(|e: aml_model::resource_id::ResourceIdError| invalid(Some(Box::new(e))))?;
        return Ok(WorkspaceConfig {
            subscription_id: id.subscription_id().to_owned(),
            resource_group: id.resource_group().to_owned(),
            workspace_name: id.name().to_owned(),
        });
    }
    serde_json::from_value(value).map_err(|e| invalid(Some(Box::new(e))))
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

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn named(ws: &str) -> String {
        CONFIG.replace("\"ws\"", &format!("{ws:?}"))
    }

    // The Python SDK's order (azureml-core `Workspace.from_config`): each (folder, file) pair in
    // turn, each walked from the start up to the root.
    #[test]
    fn each_location_is_found_and_the_sdks_order_decides() {
        let root = temp("order");
        let deep = root.join("a").join("b");
        std::fs::create_dir_all(&deep).unwrap();
        let found = |start: &Path| find_config(start).map(|(p, c)| (p, c.workspace_name));

        // plain config.json in a parent
        write(&root.join("a").join(CONFIG_FILE), &named("plain"));
        assert_eq!(
            found(&deep).unwrap(),
            (root.join("a").join(CONFIG_FILE), "plain".into())
        );
        // the legacy project.json beside the start comes after config.json anywhere up the tree
        write(&deep.join(LEGACY_CONFIG_FILE), &named("legacy-project"));
        assert_eq!(found(&deep).unwrap().1, "plain");
        // aml_config/ in the root beats plain files nearer the start
        write(
            &root.join("aml_config").join(LEGACY_CONFIG_FILE),
            &named("aml-config-project"),
        );
        assert_eq!(found(&deep).unwrap().1, "aml-config-project");
        write(
            &root.join("aml_config").join(CONFIG_FILE),
            &named("aml-config"),
        );
        assert_eq!(found(&deep).unwrap().1, "aml-config");
        // .azureml/ beats aml_config/, wherever each is
        write(
            &root.join(".azureml").join(LEGACY_CONFIG_FILE),
            &named("azureml-project"),
        );
        assert_eq!(found(&deep).unwrap().1, "azureml-project");
        write(&root.join(".azureml").join(CONFIG_FILE), &named("azureml"));
        assert_eq!(found(&deep).unwrap().1, "azureml");
        // ... and the nearest .azureml/config.json of all wins
        write(&deep.join(".azureml").join(CONFIG_FILE), &named("near"));
        assert_eq!(
            found(&deep).unwrap(),
            (deep.join(".azureml").join(CONFIG_FILE), "near".into())
        );
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn a_file_path_is_read_as_is_and_a_file_name_overrides_the_names() {
        let root = temp("file");
        let custom = root.join("ws-settings.json");
        write(&custom, &named("custom"));
        write(&root.join(".azureml").join(CONFIG_FILE), &named("default"));
        assert_eq!(find_config(&custom).unwrap().1.workspace_name, "custom");
        let sub = root.join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        let (path, config) = find_config_named(&sub, Some("ws-settings.json")).unwrap();
        assert_eq!((path, config.workspace_name.as_str()), (custom, "custom"));
        assert_eq!(find_config(&sub).unwrap().1.workspace_name, "default");
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn a_scope_names_the_workspace_by_arm_id() {
        let root = temp("scope");
        write(
            &root.join("aml_config").join(LEGACY_CONFIG_FILE),
            r#"{"Id": "p", "Scope": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws-1"}"#,
        );
        let config = find_config(&root).unwrap().1;
        assert_eq!(
            (
                config.resource_group.as_str(),
                config.workspace_name.as_str()
            ),
            ("rg-1", "ws-1")
        );
        write(&root.join(CONFIG_FILE), r#"{"Scope": "/not/an/arm/id"}"#);
        let err = find_config(&root.join(CONFIG_FILE))
            .unwrap_err()
            .to_string();
        assert!(err.contains("Scope"), "{err}");
        std::fs::remove_dir_all(&root).ok();
    }

    #[test]
    fn nothing_found_says_where_it_looked_and_what_to_do() {
        let root = temp("none");
        let err = find_config_named(&root, Some("nowhere-to-be-found.json"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(".azureml/") && err.contains("aml_config/"),
            "{err}"
        );
        assert!(err.contains("nowhere-to-be-found.json"), "{err}");
        assert!(err.contains("Azure portal"), "{err}");
        std::fs::remove_dir_all(&root).ok();
    }

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
        // A nearer plain config.json does not: `.azureml/` is searched first, up to the root.
        std::fs::write(deep.join(CONFIG_FILE), CONFIG.replace("\"ws\"", "\"near\"")).unwrap();
        assert_eq!(find_config(&deep).unwrap().1.workspace_name, "ws");
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
