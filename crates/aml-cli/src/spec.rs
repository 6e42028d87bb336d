//! Compute specs: read a spec (YAML or JSON) and the TLS files it names, validate everything
//! at once (aml-model's rules and aml-tls's certificate checks), build the plan (its `Display`
//! is what `aml plan --offline` prints), and turn it into what
//! [`Workspace::plan_ensure`](aml_compute::Workspace::plan_ensure) takes. A spec names its
//! workspace (`workspace:`), so one directory can hold specs of many workspaces.

use std::path::{Path, PathBuf};

use aml_compute::config::{
    AksAttachBuilder, AksProvisioningBuilder, LoadBalancerSettings, TlsSettings,
};
use aml_compute::tls::check_material;
use aml_compute::{AttachOptions, CreateClusterOptions, Desired};
use aml_emulator::{ResourceGroupSeed, Seed, SubscriptionSeed, WorkspaceSeed};
use aml_model::plan::Plan;
use aml_model::request::Requests;
use aml_model::spec::{ComputeSpec, TlsFiles, WorkspaceSpec, spec_paths};
use aml_model::wire::{ClusterPurpose, LoadBalancerType};
use aml_model::{PrivateKeyPem, Report};
use aml_tls::OffsetDateTime;
use zeroize::Zeroizing;

/// Why a spec cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecError {
    /// A file could not be read (exit status 1).
    Unreadable(String),
    /// The spec breaks rules; every problem, rendered (exit status 2).
    Invalid(String),
}

impl SpecError {
    /// The exit status: 1 for a file that cannot be read, 2 for an invalid spec.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Unreadable(_) => 1,
            Self::Invalid(_) => 2,
        }
    }
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreadable(text) | Self::Invalid(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for SpecError {}

/// A parsed spec and the contents of the TLS files it names. The key is zeroized on drop.
pub struct LoadedSpec {
    path: PathBuf,
    spec: ComputeSpec,
    cert_pem: Option<String>,
    key_pem: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for LoadedSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedSpec")
            .field("path", &self.path)
            .field("spec", &self.spec)
            .field("key_pem", &self.key_pem.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

fn read(path: &Path) -> Result<String, SpecError> {
    std::fs::read_to_string(path)
        .map_err(|e| SpecError::Unreadable(format!("cannot read {}: {e}", path.display())))
}

/// Reads and parses `path` (JSON when it ends in `.json`, YAML otherwise) and the
/// certificate and key files it names (relative to the spec).
pub fn load(path: &Path) -> Result<LoadedSpec, SpecError> {
    let text = read(path)?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let spec: ComputeSpec = if is_json {
        serde_json::from_str(&text)
            .map_err(|e| SpecError::Invalid(format!("error: {}: {e}", path.display())))?
    } else {
        yaml_serde::from_str(&text)
            .map_err(|e| SpecError::Invalid(format!("error: {}: {e}", path.display())))?
    };
    let base = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    let (cert_file, key_file) = spec.tls_files();
    let cert_pem = cert_file.map(|f| read(&base.join(f))).transpose()?;
    let key_pem = key_file
        .map(|f| read(&base.join(f)).map(Zeroizing::new))
        .transpose()?;
    Ok(LoadedSpec {
        path: path.to_owned(),
        spec,
        cert_pem,
        key_pem,
    })
}

impl LoadedSpec {
    /// The spec as written.
    pub fn spec(&self) -> &ComputeSpec {
        &self.spec
    }

    /// The spec's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The workspace the spec names.
    pub fn workspace(&self) -> &WorkspaceSpec {
        &self.spec.workspace
    }

    fn files(&self) -> TlsFiles {
        TlsFiles {
            cert_pem: self.cert_pem.clone(),
            key_pem: self
                .key_pem
                .as_ref()
                .map(|k| PrivateKeyPem::new(k.as_str())),
        }
    }

    /// Validates everything at once: the model's rules and, for a custom certificate,
    /// aml-tls's checks (key matches, CNAME covered, validity now, chain order). Returns the
    /// plan (what `aml plan` prints: its `Display`) with every warning, or every problem.
    pub fn plan(&self) -> Result<Plan, SpecError> {
        self.checked()
            .map_err(|report| SpecError::Invalid(report.to_string().trim_end().to_owned()))
    }

    /// Whether the spec's region is the workspace's, read from ARM: a `create:` section
    /// without `location` in a spec whose `workspace:` has none either.
    pub fn region_from_workspace(&self) -> bool {
        self.spec.workspace.location.is_none()
            && self
                .spec
                .create
                .as_ref()
                .is_some_and(|c| c.location.is_none())
    }

    /// Validates as [`LoadedSpec::plan`] does, before the workspace is read: when the region
    /// is the workspace's ([`LoadedSpec::region_from_workspace`]), its absence is no problem
    /// yet (every other rule is still checked); validate again once
    /// [`LoadedSpec::set_workspace_location`] gave it.
    pub fn check_before_fetch(&self) -> Result<(), SpecError> {
        match self.checked() {
            Ok(_) => Ok(()),
            Err(report)
                if self.region_from_workspace()
                    && report
                        .errors
                        .iter()
                        .all(|i| i.code == aml_model::Rule::LocationUnknown) =>
            {
                Ok(())
            }
            Err(report) => Err(SpecError::Invalid(report.to_string().trim_end().to_owned())),
        }
    }

    /// Sets the workspace's region, as read from ARM, when the spec does not give it.
    pub fn set_workspace_location(&mut self, location: &str) {
        self.spec
            .workspace
            .location
            .get_or_insert_with(|| location.to_owned());
    }

    fn checked(&self) -> Result<Plan, Report> {
        let tls_report = match (&self.cert_pem, &self.key_pem) {
            (Some(cert), Some(key)) => spec_paths(check_material(
                cert,
                &PrivateKeyPem::new(key.as_str()),
                self.spec.tls.as_ref().and_then(|t| t.cname.as_deref()),
                OffsetDateTime::now_utc(),
            )),
            _ => Report::new(),
        };
        match self.spec.clone().validate(self.files()) {
            Ok(validated) if tls_report.is_ok() => {
                let mut plan = validated.plan(&Requests::default());
                plan.push_warnings(tls_report.warnings);
                Ok(plan)
            }
            Ok(validated) => {
                let mut report = tls_report;
                report.warnings.extend(validated.warnings().iter().cloned());
                Err(report)
            }
            Err(mut report) => {
                report.merge(tls_report);
                Err(report)
            }
        }
    }

    /// The spec's TLS settings, with the files' contents.
    fn tls_settings(&self) -> TlsSettings {
        let Some(tls) = &self.spec.tls else {
            return TlsSettings::default();
        };
        TlsSettings {
            cert_pem: self.cert_pem.clone(),
            key_pem: self
                .key_pem
                .as_ref()
                .map(|k| PrivateKeyPem::new(k.as_str())),
            cname: tls.cname.clone(),
            leaf_domain_label: tls.leaf_domain_label.clone(),
            overwrite_existing_domain: tls.overwrite_existing_domain,
            ..TlsSettings::default()
        }
    }

    /// What `ensure` should make true, after [`LoadedSpec::plan`] passed.
    pub fn desired(&self) -> Result<Desired, SpecError> {
        self.plan()?;
        let invalid = |what: String| SpecError::Invalid(format!("error: {what}"));
        // Open enums: a value this crate does not know is kept, and validation (already
        // passed above) reports it.
        let purpose = |text: &Option<String>| text.as_deref().map(ClusterPurpose::parse);
        let load_balancer = match &self.spec.load_balancer {
            None => LoadBalancerSettings::default(),
            Some(lb) => LoadBalancerSettings {
                kind: lb.kind.as_deref().map(LoadBalancerType::parse),
                subnet: lb.subnet.clone(),
            },
        };
        match (
            &self.spec.create,
            &self.spec.attach,
            &self.spec.create_cluster,
        ) {
            (Some(create), None, None) => {
                let agent_count = create
                    .agent_count
                    .map(u32::try_from)
                    .transpose()
                    .map_err(|_| invalid("create.agent_count: must be at least 1".into()))?;
                Ok(Desired::Create(AksProvisioningBuilder {
                    agent_count,
                    vm_size: create.vm_size.clone(),
                    location: create.location.clone(),
                    cluster_purpose: purpose(&create.cluster_purpose),
                    vnet: create.vnet.clone(),
                    load_balancer,
                    tls: self.tls_settings(),
                }))
            }
            (None, None, Some(section)) => {
                let mut report = Report::new();
                let cluster = section.cluster_builder(&mut report);
                if !report.is_ok() {
                    return Err(SpecError::Invalid(report.to_string().trim_end().to_owned()));
                }
                let mut attach = section.attach_builder();
                attach.load_balancer = load_balancer;
                attach.tls = self.tls_settings();
                Ok(Desired::CreateCluster {
                    cluster,
                    attach,
                    options: CreateClusterOptions::default()
                        .admit_control_plane(section.admit_control_plane),
                })
            }
            (None, Some(attach), None) => Ok(Desired::Attach {
                attach: AksAttachBuilder {
                    resource_id: attach.resource_id.clone(),
                    resource_group: attach.resource_group.clone(),
                    cluster_name: attach.cluster_name.clone(),
                    cluster_purpose: purpose(&attach.cluster_purpose),
                    load_balancer,
                    tls: self.tls_settings(),
                },
                options: AttachOptions::default().admit_control_plane(attach.admit_control_plane),
            }),
            _ => Err(invalid(
                "create: a spec has exactly one of create, attach and create_cluster".into(),
            )),
        }
    }
}

/// `seed` with the spec's workspace added (when it lacks it), so an embedded emulator
/// answers for the workspace the spec names.
pub fn seed_with_workspace(mut seed: Seed, workspace: &WorkspaceSpec) -> Seed {
    let location = workspace
        .location
        .clone()
        .unwrap_or_else(|| "eastus".into());
    let same_subscription =
        |s: &SubscriptionSeed| s.id.eq_ignore_ascii_case(&workspace.subscription_id);
    if !seed.subscriptions.iter().any(same_subscription) {
        seed.subscriptions.push(SubscriptionSeed {
            id: workspace.subscription_id.clone(),
            resource_groups: Vec::new(),
        });
    }
    let Some(subscription) = seed.subscriptions.iter_mut().find(|s| same_subscription(s)) else {
        return seed;
    };
    let same_group = |g: &ResourceGroupSeed| g.name.eq_ignore_ascii_case(&workspace.resource_group);
    if !subscription.resource_groups.iter().any(same_group) {
        subscription.resource_groups.push(ResourceGroupSeed {
            name: workspace.resource_group.clone(),
            workspaces: Vec::new(),
            clusters: Vec::new(),
        });
    }
    let Some(group) = subscription
        .resource_groups
        .iter_mut()
        .find(|g| same_group(g))
    else {
        return seed;
    };
    if !group
        .workspaces
        .iter()
        .any(|w| w.name.eq_ignore_ascii_case(&workspace.workspace_name))
    {
        group.workspaces.push(WorkspaceSeed {
            name: workspace.workspace_name.clone(),
            location,
        });
    }
    seed
}

/// Every spec under `paths`: a file is one spec; a folder holds every `*.yaml`, `*.yml` and
/// `*.json` file directly in it, in name order. Nothing is parsed here.
pub fn spec_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SpecError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| {
                SpecError::Unreadable(format!("cannot read the folder {}: {e}", path.display()))
            })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                            ["yaml", "yml", "json"].contains(&e.to_ascii_lowercase().as_str())
                        })
                })
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(SpecError::Invalid(format!(
                    "error: {} holds no spec (*.yaml, *.yml or *.json)",
                    path.display()
                )));
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_gains_the_specs_workspace_once() {
        let ws = WorkspaceSpec {
            subscription_id: aml_emulator::STANDARD_SUBSCRIPTION.into(),
            resource_group: "ml-rg".into(),
            workspace_name: "ml-workspace".into(),
            location: Some("westus2".into()),
        };
        let seed = seed_with_workspace(Seed::standard(), &ws);
        let seed = seed_with_workspace(seed, &ws);
        seed.validate().unwrap();
        let groups = &seed.subscriptions[0].resource_groups;
        let group = groups.iter().find(|g| g.name == "ml-rg").unwrap();
        assert_eq!(group.workspaces.len(), 1);
        assert_eq!(group.workspaces[0].location, "westus2");
    }
}
