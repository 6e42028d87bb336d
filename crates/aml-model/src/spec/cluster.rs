//! The `create_cluster:` section of a spec: a new, secured AKS cluster in the workspace's
//! subscription, created and then attached as one operation ([`CreateCluster`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Validated, finish};
use crate::Rule;
use crate::config::{AksAttachBuilder, ManagedClusterBuilder, NodePoolSettings};
use crate::request::{CreateCluster, WorkspaceRef};
use crate::validate::Report;
use crate::wire::{ClusterPurpose, LoadBalancerSku, OutboundType};

/// A new AKS cluster to create in the workspace's subscription, then attach (R12, R15, R16).
/// The spec's `load_balancer:` and `tls:` apply to the attach.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateClusterSpec {
    /// Resource group of the cluster to create (in the workspace's subscription).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    /// Name of the cluster to create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// Region of the cluster (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Kubernetes version, `MAJOR.MINOR[.PATCH]` (default: the region's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// DNS prefix of the API server (default: derived from `cluster_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_prefix: Option<String>,
    /// The system pool (default: 3 x `Standard_D3_v2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_pool: Option<NodePoolSpec>,
    /// A GPU or FPGA pool created with the cluster: the pool Azure ML deploys to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator_pool: Option<NodePoolSpec>,
    /// `standard` (default; `basic` is refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_sku: Option<String>,
    /// A private API server (Private Link).
    #[serde(default, skip_serializing_if = "is_false")]
    pub private_cluster: bool,
    /// Authorized API-server IP ranges (IPv4 addresses or CIDRs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorized_ip_ranges: Vec<String>,
    /// Add the Azure ML control plane's prefixes (of the workspace's region and its pair) that
    /// `authorized_ip_ranges` misses, instead of refusing.
    #[serde(default, skip_serializing_if = "is_false")]
    pub admit_control_plane: bool,
    /// `loadBalancer` (default) or `userDefinedRouting` (needs `subnet_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_type: Option<String>,
    /// The nodes' subnet, as a full resource id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// A user-assigned identity's resource id (default: a system-assigned identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_assigned_identity: Option<String>,
    /// Resource tags of the cluster.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// `DevTest`, `FastProd` (default) or `DenseProd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_purpose: Option<String>,
}

/// An agent pool of a new cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodePoolSpec {
    /// VM size of its nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_size: Option<String>,
    /// Node count (at least 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference
pub(super) fn is_false(b: &bool) -> bool {
    !*b
}

impl CreateClusterSpec {
    /// The cluster's builder, as the spec says it; a count that is not a node count is reported
    /// into `report` (path `create_cluster.<pool>.count`) and left unset.
    pub fn cluster_builder(&self, report: &mut Report) -> ManagedClusterBuilder {
        let pool = |spec: &NodePoolSpec, path: &str, report: &mut Report| NodePoolSettings {
            name: None,
            vm_size: spec.vm_size.clone(),
            count: spec.count.and_then(|n| {
                let count = u32::try_from(n).ok();
                if count.is_none() {
                    report.error(
                        format!("{path}.count"),
                        Rule::NodesCount,
                        format!("{n} is not a node count; it must be at least 1"),
                    );
                }
                count
            }),
        };
        ManagedClusterBuilder {
            location: self.location.clone(),
            kubernetes_version: self.kubernetes_version.clone(),
            dns_prefix: self.dns_prefix.clone(),
            system_pool: self
                .system_pool
                .as_ref()
                .map(|p| pool(p, "create_cluster.system_pool", report))
                .unwrap_or_default(),
            accelerator_pool: self
                .accelerator_pool
                .as_ref()
                .map(|p| pool(p, "create_cluster.accelerator_pool", report)),
            load_balancer_sku: self
                .load_balancer_sku
                .as_deref()
                .map(LoadBalancerSku::parse),
            private_cluster: self.private_cluster,
            authorized_ip_ranges: self.authorized_ip_ranges.clone(),
            outbound_type: self.outbound_type.as_deref().map(OutboundType::parse),
            subnet_id: self.subnet_id.clone(),
            user_assigned_identity: self.user_assigned_identity.clone(),
            tags: self.tags.clone(),
        }
    }

    /// The attach's builder: the cluster by resource group and name, and the purpose (the
    /// caller adds the spec's load balancer and TLS). A value the purpose enum does not know
    /// is kept; validation reports it.
    pub fn attach_builder(&self) -> AksAttachBuilder {
        AksAttachBuilder {
            resource_group: Some(self.resource_group.clone().unwrap_or_default()),
            cluster_name: Some(self.cluster_name.clone().unwrap_or_default()),
            cluster_purpose: self.cluster_purpose.as_deref().map(ClusterPurpose::parse),
            ..AksAttachBuilder::default()
        }
    }
}

/// Validates the section with `attach` (its load balancer and TLS set from the spec) into the
/// create-and-attach, every problem under the spec's paths, with the spec-level ones of
/// `report`.
pub(super) fn validate(
    spec: &CreateClusterSpec,
    workspace: WorkspaceRef,
    name: &str,
    attach: AksAttachBuilder,
    mut report: Report,
) -> Result<Validated, Report> {
    let cluster = spec.cluster_builder(&mut report);
    let outcome =
        CreateCluster::new(workspace, name, cluster, attach).map(|op| Validated::CreateCluster {
            op: Box::new(op),
            admit_control_plane: spec.admit_control_plane,
        });
    finish(outcome, report).map_err(|mut report| {
        spec_paths(&mut report);
        report
    })
}

/// Renames the paths of a [`CreateCluster`] report to the spec's: `cluster.X` is
/// `create_cluster.X`, and the attach's cluster reference and purpose are
/// `create_cluster.resource_group`, `create_cluster.cluster_name` and
/// `create_cluster.cluster_purpose`.
fn spec_paths(report: &mut Report) {
    for issue in report.errors.iter_mut().chain(report.warnings.iter_mut()) {
        let renamed = match issue.path.as_str() {
            "attach.resource_group" => Some("create_cluster.resource_group".to_owned()),
            "attach.resource_id" | "attach.cluster_name" => {
                Some("create_cluster.cluster_name".to_owned())
            }
            "attach.cluster_purpose" => Some("create_cluster.cluster_purpose".to_owned()),
            other => other
                .strip_prefix("cluster.")
                .map(|rest| format!("create_cluster.{rest}")),
        };
        if let Some(path) = renamed {
            issue.path = path;
        }
    }
}
