//! The declarative compute spec: one file (YAML or JSON) that says which compute a workspace
//! should have. Parsing is serde's (the caller picks the format); [`ComputeSpec::validate`] turns it
//! into validated operations and the exact requests they send, reporting every problem at once
//! under the spec's own field names (`create.vnet.dns_service_ip`, `tls.cname`,
//! `create_cluster.system_pool.count`, ...).
//!
//! ```yaml
//! workspace: {subscription_id: ..., resource_group: ..., workspace_name: ..., location: eastus}
//! name: myaks
//! create:            # exactly one of create / attach / create_cluster
//!   agent_count: 3
//!   vm_size: Standard_D3_v2
//!   location: eastus
//!   cluster_purpose: FastProd
//!   vnet: {resource_group: ..., vnet_name: ..., subnet_name: ..., service_cidr: 10.0.0.0/16,
//!          dns_service_ip: 10.0.0.10, docker_bridge_cidr: 172.17.0.1/16}
//! attach:
//!   resource_id: /subscriptions/.../managedClusters/x   # or resource_group + cluster_name
//!   cluster_purpose: DevTest
//!   admit_control_plane: true                    # add the control plane's prefixes to its ranges
//! create_cluster:    # a new AKS cluster in the workspace's subscription, then attached
//!   resource_group: aks-rg
//!   cluster_name: aks-secure
//!   location: eastus
//!   kubernetes_version: "1.30"                   # default: the region's
//!   dns_prefix: aks-secure                       # default: from cluster_name
//!   system_pool: {vm_size: Standard_D4s_v3, count: 3}
//!   accelerator_pool: {vm_size: Standard_NC6s_v3, count: 3}   # where Azure ML deploys
//!   load_balancer_sku: standard
//!   private_cluster: false
//!   authorized_ip_ranges: [203.0.113.0/24]
//!   admit_control_plane: true                    # add the Azure ML control plane's prefixes
//!   outbound_type: loadBalancer                  # or userDefinedRouting (with subnet_id)
//!   subnet_id: /subscriptions/.../virtualNetworks/v/subnets/aks
//!   user_assigned_identity: /subscriptions/.../userAssignedIdentities/id
//!   tags: {team: ml}
//!   cluster_purpose: FastProd
//! load_balancer: {type: InternalLoadBalancer, subnet: aks-subnet}
//! tls: {leaf_domain_label: contoso, overwrite_existing_domain: true}
//! # or tls: {cert_file: cert.pem, key_file: key.pem, cname: www.contoso.com}
//! ```
//!
//! Unknown keys are refused by the parser, naming the key: a typo is never silently ignored.

use serde::{Deserialize, Serialize};

use crate::Rule;
use crate::config::{
    AksAttachConfiguration, AksProvisioningConfiguration, LoadBalancerSettings, TlsSettings,
    VnetSettings,
};
use crate::request::{AttachCompute, CreateCluster, CreateCompute, Requests, WorkspaceRef};
use crate::resource_id::WorkspaceId;
use crate::secret::PrivateKeyPem;
use crate::validate::{Issue, Report};
use crate::wire::{ClusterPurpose, LoadBalancerType};

mod cluster;

pub use cluster::{CreateClusterSpec, NodePoolSpec};

/// A compute as a file declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComputeSpec {
    /// The workspace the compute belongs to.
    pub workspace: WorkspaceSpec,
    /// The compute's name (R7).
    pub name: String,
    /// Create a new cluster through the workspace (exactly one of `create` / `attach` /
    /// `create_cluster`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<CreateSpec>,
    /// Attach an existing cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<AttachSpec>,
    /// Create a new AKS cluster in the workspace's subscription, then attach it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_cluster: Option<CreateClusterSpec>,
    /// Load balancer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<LoadBalancerSpec>,
    /// TLS termination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSpec>,
}

/// The workspace, named as in the Azure ML `config.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSpec {
    /// Subscription of the workspace.
    pub subscription_id: String,
    /// Resource group of the workspace.
    pub resource_group: String,
    /// Name of the workspace.
    pub workspace_name: String,
    /// Region of the workspace, such as `eastus`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// A new cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSpec {
    /// Number of nodes (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_count: Option<i64>,
    /// VM size (default `Standard_D3_v2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_size: Option<String>,
    /// Region (default: the workspace's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// `DevTest`, `FastProd` (default) or `DenseProd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_purpose: Option<String>,
    /// Custom virtual network (all six fields or none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vnet: Option<VnetSettings>,
}

/// An existing cluster to attach.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachSpec {
    /// ARM id of the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// Resource group of the cluster (with `cluster_name`, in the workspace's subscription).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    /// Name of the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// `DevTest`, `FastProd` (default) or `DenseProd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_purpose: Option<String>,
    /// When the cluster's authorized IP ranges miss the Azure ML control plane's prefixes (of
    /// the workspace's region and its pair), add them to the cluster's ranges before attaching,
    /// instead of refusing.
    #[serde(default, skip_serializing_if = "cluster::is_false")]
    pub admit_control_plane: bool,
}

/// The load balancer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerSpec {
    /// `PublicIp` (default) or `InternalLoadBalancer`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Subnet of an internal load balancer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<String>,
}

/// TLS termination: a Microsoft certificate for a leaf domain label, or a custom certificate
/// and key read from files (paths relative to the spec file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSpec {
    /// PEM certificate file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<String>,
    /// PEM private key file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
    /// Host name of the custom certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cname: Option<String>,
    /// Leaf domain label of a Microsoft certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf_domain_label: Option<String>,
    /// Take over an existing domain of that label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overwrite_existing_domain: Option<bool>,
}

/// The contents of the TLS files a spec names, read by the caller (this crate does no IO).
#[derive(Debug, Default)]
pub struct TlsFiles {
    /// Contents of `tls.cert_file`.
    pub cert_pem: Option<String>,
    /// Contents of `tls.key_file`.
    pub key_pem: Option<PrivateKeyPem>,
}

/// A validated spec: the create, attach or create-and-attach it declares.
#[derive(Debug)]
pub enum Validated {
    /// Create a new cluster.
    Create(CreateCompute),
    /// Attach an existing cluster.
    Attach {
        /// The attach.
        op: AttachCompute,
        /// Whether the control-plane prefixes the cluster's authorized ranges miss are added.
        admit_control_plane: bool,
    },
    /// Create a new AKS cluster, then attach it.
    CreateCluster {
        /// The create-and-attach.
        op: Box<CreateCluster>,
        /// Whether the control-plane prefixes the authorized ranges miss are added.
        admit_control_plane: bool,
    },
}

impl Validated {
    /// Warnings found while validating.
    pub fn warnings(&self) -> &[Issue] {
        match self {
            Self::Create(c) => c.warnings(),
            Self::Attach { op, .. } => op.warnings(),
            Self::CreateCluster { op, .. } => op.warnings(),
        }
    }

    /// The plan that makes the spec true on a workspace where the compute is absent (the same
    /// plan `aml-compute` runs).
    pub fn plan(&self, requests: &Requests) -> crate::plan::Plan {
        match self {
            Self::Create(c) => crate::plan::Plan::create(requests, c),
            Self::Attach {
                op,
                admit_control_plane,
            } => crate::plan::Plan::attach(requests, op, false, *admit_control_plane),
            Self::CreateCluster {
                op,
                admit_control_plane,
            } => crate::plan::Plan::create_cluster(requests, op, *admit_control_plane),
        }
    }

    /// The provisioning configuration of a create plan.
    pub fn create_config(&self) -> Option<&AksProvisioningConfiguration> {
        match self {
            Self::Create(c) => Some(c.config()),
            Self::Attach { .. } | Self::CreateCluster { .. } => None,
        }
    }

    /// The attach configuration of an attach plan.
    pub fn attach_config(&self) -> Option<&AksAttachConfiguration> {
        match self {
            Self::Attach { op, .. } => Some(op.config()),
            Self::CreateCluster { op, .. } => Some(op.attach().config()),
            Self::Create(_) => None,
        }
    }

    /// The new cluster's configuration of a create-and-attach plan.
    pub fn cluster_config(&self) -> Option<&crate::config::ManagedClusterConfiguration> {
        match self {
            Self::CreateCluster { op, .. } => Some(op.config()),
            Self::Create(_) | Self::Attach { .. } => None,
        }
    }
}

impl ComputeSpec {
    /// Parses a spec from JSON (YAML callers use their YAML library with the same types).
    pub fn from_json(text: &str) -> crate::Result<Self> {
        serde_json::from_str(text).map_err(|e| crate::Error::Spec {
            format: "JSON",
            source: Box::new(e),
        })
    }

    /// The TLS files the spec names, as written (relative to the spec file).
    pub fn tls_files(&self) -> (Option<&str>, Option<&str>) {
        self.tls.as_ref().map_or((None, None), |t| {
            (t.cert_file.as_deref(), t.key_file.as_deref())
        })
    }

    /// Validates everything at once and returns the validated operation, or every problem.
    ///
    /// `files` holds the contents of `tls.cert_file` / `tls.key_file`, read by the caller.
    pub fn validate(self, files: TlsFiles) -> Result<Validated, Report> {
        let mut report = Report::new();
        let ws = &self.workspace;
        let workspace_id =
            match WorkspaceId::new(&ws.subscription_id, &ws.resource_group, &ws.workspace_name) {
                Ok(id) => Some(id),
                Err(e) => {
                    report.error("workspace", Rule::WorkspaceId, e.to_string());
                    None
                }
            };
        let load_balancer = self.load_balancer.map(|lb| lb.check(&mut report));
        let tls = self.tls.map(|t| t.into_settings(files, &mut report));
        let given = [
            self.create.is_some(),
            self.attach.is_some(),
            self.create_cluster.is_some(),
        ];
        match given.iter().filter(|g| **g).count() {
            0 => {
                report.error(
                    "create",
                    Rule::SpecOperation,
                    "a spec needs create (a cluster the workspace creates), attach (an existing one) or create_cluster (a new AKS cluster, then attached)",
                );
                return Err(report);
            }
            1 => {}
            _ => {
                let extra = if self.create_cluster.is_some() {
                    "create_cluster"
                } else {
                    "attach"
                };
                report.error(
                    extra,
                    Rule::SpecOperation,
                    "a spec has exactly one of create, attach and create_cluster; remove the others",
                );
                return Err(report);
            }
        }
        match (self.create, self.attach, self.create_cluster) {
            (Some(create), _, _) => {
                let mut b = crate::config::AksProvisioningConfiguration::builder();
                b.agent_count = create.agent_count.and_then(|n| {
                    u32::try_from(n)
                        .map_err(|_| {
                            report.error(
                                "create.agent_count",
                                Rule::NodesCount,
                                format!("{n} is not a node count; it must be at least 1"),
                            );
                        })
                        .ok()
                });
                b.vm_size = create.vm_size;
                b.location = create.location;
                b.cluster_purpose = purpose(create.cluster_purpose, "create", &mut report);
                b.vnet = create.vnet;
                b.load_balancer = load_balancer.flatten().unwrap_or_default();
                b.tls = tls.unwrap_or_default();
                let workspace_id = workspace_id.ok_or_else(|| report.clone())?;
                let outcome = CreateCompute::new(
                    WorkspaceRef::new(workspace_id, ws.location.clone()),
                    &self.name,
                    b,
                );
                finish(outcome.map(Validated::Create), report)
            }
            (None, Some(attach), _) => {
                let mut b = crate::config::AksAttachConfiguration::builder();
                b.resource_id = attach.resource_id;
                b.resource_group = attach.resource_group;
                b.cluster_name = attach.cluster_name;
                b.cluster_purpose = purpose(attach.cluster_purpose, "attach", &mut report);
                b.load_balancer = load_balancer.flatten().unwrap_or_default();
                b.tls = tls.unwrap_or_default();
                let workspace_id = workspace_id.ok_or_else(|| report.clone())?;
                let admit_control_plane = attach.admit_control_plane;
                let outcome = AttachCompute::new(
                    WorkspaceRef::new(workspace_id, ws.location.clone()),
                    &self.name,
                    b,
                )
                .map(|op| Validated::Attach {
                    op,
                    admit_control_plane,
                });
                finish(outcome, report)
            }
            (None, None, Some(spec)) => {
                let mut attach = spec.attach_builder();
                attach.load_balancer = load_balancer.flatten().unwrap_or_default();
                attach.tls = tls.unwrap_or_default();
                let workspace_id = workspace_id.ok_or_else(|| report.clone())?;
                let workspace = WorkspaceRef::new(workspace_id, ws.location.clone());
                cluster::validate(&spec, workspace, &self.name, attach, report)
            }
            (None, None, None) => Err(report),
        }
    }
}

/// Combines the spec-level findings with the operation's.
pub(super) fn finish(
    outcome: crate::Result<Validated>,
    mut report: Report,
) -> Result<Validated, Report> {
    let result = match outcome {
        Ok(plan) if report.is_ok() => Ok(plan),
        Ok(plan) => {
            report.warnings.extend(plan.warnings().iter().cloned());
            Err(report)
        }
        Err(crate::Error::Invalid(inner)) => {
            report.merge(inner);
            Err(report)
        }
        Err(other) => {
            report.error("spec", Rule::SpecInvalid, other.to_string());
            Err(report)
        }
    };
    result.map_err(spec_paths)
}

/// Renames a configuration report's TLS paths to the spec's (`tls.cert` is `tls.cert_file` and
/// `tls.key` is `tls.key_file` in a spec) and drops "missing" errors for a file already
/// reported as not read. Use it on reports made outside [`ComputeSpec::validate`] (such as the
/// certificate checks of `aml-tls`) to list them with the plan's.
pub fn spec_paths(mut report: Report) -> Report {
    for issue in report.errors.iter_mut().chain(report.warnings.iter_mut()) {
        match issue.path.as_str() {
            "tls.cert" => issue.path = "tls.cert_file".into(),
            "tls.key" => issue.path = "tls.key_file".into(),
            _ => {}
        }
    }
    let unread: Vec<String> = report
        .errors
        .iter()
        .filter(|i| i.code == "tls.file_not_loaded")
        .map(|i| i.path.clone())
        .collect();
    report
        .errors
        .retain(|i| !(i.code == "tls.incomplete" && unread.contains(&i.path)));
    report
}

fn purpose(text: Option<String>, prefix: &str, report: &mut Report) -> Option<ClusterPurpose> {
    let text = text?;
    match text.parse() {
        Ok(p) => Some(p),
        Err(e) => {
            report.error(
                format!("{prefix}.cluster_purpose"),
                Rule::PurposeUnknown,
                e.to_string(),
            );
            None
        }
    }
}

impl LoadBalancerSpec {
    fn check(self, report: &mut Report) -> Option<LoadBalancerSettings> {
        let kind = match self.kind.as_deref().map(str::parse::<LoadBalancerType>) {
            None => None,
            Some(Ok(k)) => Some(k),
            Some(Err(e)) => {
                report.error("load_balancer.type", Rule::LoadBalancerType, e.to_string());
                return None;
            }
        };
        Some(LoadBalancerSettings {
            kind,
            subnet: self.subnet,
        })
    }
}

impl TlsSpec {
    fn into_settings(self, files: TlsFiles, report: &mut Report) -> TlsSettings {
        let cert_pem = match (&self.cert_file, files.cert_pem) {
            (Some(_), Some(pem)) => Some(pem),
            (Some(path), None) => {
                report.error(
                    "tls.cert_file",
                    Rule::TlsFileNotLoaded,
                    format!(
                        "{path:?} was not read; read the certificate file and pass its contents"
                    ),
                );
                None
            }
            (None, _) => None,
        };
        let key_pem = match (&self.key_file, files.key_pem) {
            (Some(_), Some(pem)) => Some(pem),
            (Some(path), None) => {
                report.error(
                    "tls.key_file",
                    Rule::TlsFileNotLoaded,
                    format!("{path:?} was not read; read the key file and pass its contents"),
                );
                None
            }
            (None, _) => None,
        };
        TlsSettings {
            cert_pem,
            key_pem,
            cname: self.cname,
            leaf_domain_label: self.leaf_domain_label,
            overwrite_existing_domain: self.overwrite_existing_domain,
            ..TlsSettings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attach_spec_carries_admit_control_plane_into_its_plan() {
        let spec = |admit: &str| {
            ComputeSpec::from_json(&format!(
                r#"{{"workspace": {{"subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group": "rg", "workspace_name": "ws", "location": "eastus"}},
                   "name": "office", "attach": {{"resource_group": "aks-rg", "cluster_name": "c"{admit}}}}}"#
            ))
            .unwrap()
        };
        let admitting = spec(r#", "admit_control_plane": true"#);
        assert!(admitting.attach.as_ref().unwrap().admit_control_plane);
        let json = serde_json::to_string(&spec("")).unwrap();
        assert!(!json.contains("admit_control_plane"), "{json}");
        let validated = admitting.validate(TlsFiles::default()).unwrap();
        assert!(matches!(
            validated,
            Validated::Attach {
                admit_control_plane: true,
                ..
            }
        ));
        // The admission's PUT of the cluster, then the attach.
        assert_eq!(validated.plan(&Requests::default()).writes().count(), 2);
        let plain = spec("").validate(TlsFiles::default()).unwrap();
        assert_eq!(plain.plan(&Requests::default()).writes().count(), 1);
    }
}
