//! The kinds of operation and of step a plan is made of.

use std::fmt;

use crate::Rule;
use crate::config::{AksUpdateConfiguration, ScaleConfiguration};
use crate::request::{Request, redacted_body};
use crate::resource_id::AksClusterId;
use crate::wire::ClusterPurpose;

/// What a long-running compute operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperationKind {
    /// Create a new cluster (R1).
    Create,
    /// Attach an existing cluster (R2).
    Attach,
    /// Change TLS or load balancer settings (R5).
    Update,
    /// Remove the compute and keep the cluster (R3).
    Detach,
    /// Remove the compute and delete the cluster the workspace created.
    Delete,
    /// Detach and attach the same cluster again with new settings (R22).
    Reattach,
    /// Change the node count or the autoscaler of the cluster's agent pool (R13).
    Scale,
    /// Make an existing compute match a desired one: updates, a scale, a re-attach, in one plan.
    Converge,
    /// Create an AKS cluster (`Microsoft.ContainerService/managedClusters`), then attach it.
    CreateCluster,
    /// Delete an AKS cluster (`Microsoft.ContainerService/managedClusters`) and its nodes, once
    /// no compute of the workspace uses it. The plan's subject is the cluster, not a compute.
    DeleteCluster,
}

impl OperationKind {
    /// The verb, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Attach => "attach",
            Self::Update => "update",
            Self::Detach => "detach",
            Self::Delete => "delete",
            Self::Reattach => "re-attach",
            Self::Scale => "scale",
            Self::Converge => "converge",
            Self::CreateCluster => "create cluster and attach",
            Self::DeleteCluster => "delete cluster",
        }
    }

    /// Every kind.
    pub const ALL: [Self; 10] = [
        Self::Create,
        Self::Attach,
        Self::Update,
        Self::Detach,
        Self::Delete,
        Self::Reattach,
        Self::Scale,
        Self::Converge,
        Self::CreateCluster,
        Self::DeleteCluster,
    ];

    /// A stable name, for data that outlives a process (resume tokens, JSON output):
    /// `create`, `attach`, `update`, `detach`, `delete`, `reattach`, `scale`, `converge`,
    /// `create_cluster`, `delete_cluster`. [`FromStr`](std::str::FromStr) reads it back.
    pub fn name(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Attach => "attach",
            Self::Update => "update",
            Self::Detach => "detach",
            Self::Delete => "delete",
            Self::Reattach => "reattach",
            Self::Scale => "scale",
            Self::Converge => "converge",
            Self::CreateCluster => "create_cluster",
            Self::DeleteCluster => "delete_cluster",
        }
    }

    /// Whether the compute is gone once the operation succeeds (a cluster's deletion removes
    /// no compute: it is refused while one uses the cluster).
    pub fn removes_compute(self) -> bool {
        matches!(self, Self::Detach | Self::Delete)
    }
}

/// A name that is not one of [`OperationKind::name`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not an operation kind; expected one of create, attach, update, detach, delete, reattach, scale, converge, create_cluster, delete_cluster"
)]
pub struct UnknownOperationKind(pub String);

impl std::str::FromStr for OperationKind {
    type Err = UnknownOperationKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == s)
            .ok_or_else(|| UnknownOperationKind(s.to_owned()))
    }
}

impl fmt::Display for OperationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a read step reads.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Read {
    /// The compute (`GET`; a 404 is an answer, not a failure).
    Compute,
    /// The AKS cluster to attach (`GET` on `Microsoft.ContainerService`).
    Cluster(AksClusterId),
    /// The Kubernetes versions of the cluster's region (the region is known once the cluster
    /// is read); falls back to the older `orchestrators` listing.
    KubernetesVersions,
    /// Every compute of the workspace (`GET`, following `nextLink`).
    Computes,
    /// The agent pools of the compute's cluster (`GET` on `Microsoft.ContainerService`).
    AgentPools(AksClusterId),
    /// The cluster a plan is to create (`GET`; a 404 is an answer, the expected one).
    NewCluster(AksClusterId),
    /// The Kubernetes versions of a region known before the run.
    RegionVersions(String),
    /// The workspace (its region), when the plan was made without it.
    Workspace,
    /// The subscription's locations, with their paired regions (`Microsoft.Resources`).
    Locations,
    /// The service tags (`Microsoft.Network`): the Azure ML control plane's prefixes.
    ServiceTags,
}

/// When a step runs: a conditional step is skipped (with a progress event) when its condition
/// does not hold at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Condition {
    /// Only when the cluster read has authorized API-server IP ranges.
    ClusterHasAuthorizedRanges,
    /// Only when the control-plane check found prefixes the authorized ranges do not admit.
    ControlPlaneMissing,
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ClusterHasAuthorizedRanges => "only if the cluster has authorized IP ranges",
            Self::ControlPlaneMissing => {
                "only if the authorized IP ranges miss control-plane prefixes"
            }
        })
    }
}

/// What a check step checks, against what earlier steps read. A check sends nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Check {
    /// No compute of this name exists yet.
    NameFree,
    /// The compute exists and is an AKS compute.
    IsAks,
    /// The compute's cluster was created by the workspace: deleting an attached one through the
    /// workspace is refused (detach keeps the cluster).
    CreatedByWorkspace,
    /// The compute is still attached to the cluster the plan attaches again.
    Reattachable(AksClusterId),
    /// The cluster's Kubernetes version is supported in its region.
    KubernetesVersion,
    /// The cluster's nodes and vCPUs suit the purpose; warns about authorized IP ranges.
    Capacity(ClusterPurpose),
    /// The cluster is not attached to this workspace under another name.
    NotAttachedElsewhere,
    /// The cluster to create does not exist yet (an existing one is attached instead).
    ClusterAbsent,
    /// The Kubernetes version asked for is supported in the region; without one, says which
    /// default the region gives (R14).
    VersionAvailable(Option<String>),
    /// The cluster's authorized IP ranges admit the Azure ML control plane of the workspace's
    /// region and its pair (R15); with `add`, the missing prefixes are added by the write that
    /// follows instead of refusing.
    ControlPlaneAdmitted {
        /// Whether missing prefixes are added rather than refused.
        add: bool,
    },
    /// What the guide warns about, read from the cluster (private, Entra ID, load balancer with
    /// authorized ranges, accelerators in a secondary pool, egress): warnings only.
    /// `created_here`: the plan created the cluster with its pools.
    Findings {
        /// Whether the plan created the cluster.
        created_here: bool,
    },
    /// No compute of the workspace uses the cluster to delete (attached or created on it):
    /// each one would break. Computes of other workspaces cannot be seen.
    ClusterUnused(AksClusterId),
    /// The pool to scale exists, and for a production purpose the cluster keeps enough nodes
    /// and vCPUs once scaled down (R8).
    ScaleFits {
        /// The pool.
        pool: String,
        /// What changes.
        scale: ScaleConfiguration,
        /// The compute's purpose.
        purpose: ClusterPurpose,
    },
}

impl Check {
    /// The catalogue's rules this check enforces.
    pub fn rules(&self) -> &'static [Rule] {
        match self {
            Self::NameFree => &[Rule::ComputeExists],
            Self::KubernetesVersion => &[Rule::ClusterKubernetesVersion],
            Self::Capacity(_) => &[Rule::PurposeProductionNodes, Rule::PurposeProductionVcpus],
            Self::ClusterAbsent => &[Rule::ClusterExists],
            Self::VersionAvailable(_) => {
                &[Rule::ClusterKubernetesVersion, Rule::ClusterDefaultVersion]
            }
            Self::ControlPlaneAdmitted { .. } => &[
                Rule::ClusterControlPlaneMissing,
                Rule::ClusterControlPlaneIpv6,
                Rule::ClusterAuthorizedRanges,
            ],
            Self::Findings { .. } => &[
                Rule::ClusterPrivate,
                Rule::ClusterAad,
                Rule::ClusterAuthorizedRangesBasicLb,
                Rule::ClusterAcceleratorSecondaryPool,
                Rule::ClusterEgress,
            ],

            Self::NotAttachedElsewhere => &[Rule::AttachClusterAttached],
            Self::ClusterUnused(_) => &[Rule::ClusterStillAttached],
            Self::ScaleFits { .. } => &[
                Rule::ScalePoolMissing,
                Rule::PurposeProductionNodes,
                Rule::PurposeProductionVcpus,
            ],
            Self::Reattachable(_) | Self::IsAks | Self::CreatedByWorkspace => &[],
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NameFree => f.write_str("no compute of this name exists yet"),
            Self::IsAks => f.write_str("the compute exists and is an AKS compute"),
            Self::CreatedByWorkspace => f.write_str(
                "the cluster was created by the workspace (an attached one is refused: detach keeps it)",
            ),
            Self::Reattachable(cluster) => write!(
                f,
                "the compute is still attached to cluster {}",
                cluster.name()
            ),
            Self::KubernetesVersion => {
                f.write_str("the cluster's Kubernetes version is supported in its region")
            }
            Self::Capacity(purpose) => write!(f, "the cluster's nodes and vCPUs suit {purpose}"),
            Self::ClusterAbsent => f.write_str(
                "the cluster does not exist yet (an existing cluster is attached, not created)",
            ),
            Self::VersionAvailable(Some(v)) => {
                write!(f, "Kubernetes {v} is supported in the cluster's region")
            }
            Self::VersionAvailable(None) => {
                f.write_str("the region's default Kubernetes version is reported")
            }
            Self::ControlPlaneAdmitted { add: false } => f.write_str(
                "the authorized IP ranges admit the Azure ML control plane of the workspace's region and its pair (service tags)",
            ),
            Self::ControlPlaneAdmitted { add: true } => f.write_str(
                "the control-plane prefixes of the workspace's region and its pair (service tags) that the authorized IP ranges miss are found, to be added",
            ),
            Self::Findings { .. } => f.write_str(
                "what the guide warns about is reported: private cluster, Entra ID, load balancer with authorized ranges, accelerators in a secondary pool, egress",
            ),
            Self::NotAttachedElsewhere => {
                f.write_str("the cluster is not attached to this workspace under another name")
            }
            Self::ClusterUnused(cluster) => write!(
                f,
                "no compute of this workspace uses cluster {} (computes of other workspaces cannot be seen)",
                cluster.name()
            ),
            Self::ScaleFits { pool, purpose, .. } => write!(
                f,
                "pool {pool} exists, and once scaled the cluster still has the nodes and vCPUs {purpose} needs"
            ),
        }?;
        let rules = self.rules();
        if !rules.is_empty() {
            let codes: Vec<&str> = rules.iter().map(|r| r.code()).collect();
            write!(f, " [{}]", codes.join(", "))?;
        }
        Ok(())
    }
}

/// What a GET-modify-PUT step changes.
#[derive(Debug)]
#[non_exhaustive]
pub enum Change {
    /// The compute's TLS and load balancer (an update).
    Compute(AksUpdateConfiguration),
    /// The node count or autoscaler of an agent pool (a scale).
    Pool {
        /// The pool's name.
        pool: String,
        /// What changes.
        scale: ScaleConfiguration,
    },
    /// A cluster's authorized IP ranges, with the control-plane prefixes the check found
    /// missing added (the cluster as read; or, for a new cluster, the planned body).
    AdmitControlPlane,
}

/// One step of a plan.
#[non_exhaustive]
pub enum Step {
    /// A read whose answer later checks or writes use. `request` is `None` when it depends on
    /// an earlier read (the Kubernetes versions of the cluster's region).
    Read {
        /// What is read.
        read: Read,
        /// The request, when it is known before the run.
        request: Option<Request>,
    },
    /// A check of what earlier steps read.
    Check(Check),
    /// A write sent exactly as shown; it starts a long-running operation.
    Write {
        /// What the write does, for a person.
        purpose: String,
        /// The request.
        request: Request,
    },
    /// A GET-modify-PUT write: the resource as the latest read returned it, with `change`
    /// applied. `request` is the target (method and URI; the body is built at run time).
    Modify {
        /// What the write does, for a person.
        purpose: String,
        /// The method and URI of the write.
        request: Request,
        /// The changes.
        change: Change,
    },
    /// Wait for the long-running operation the previous write started.
    Wait,
}

impl Step {
    /// The request a write sends (`Write` and `Modify`), if this step is a write.
    pub fn write(&self) -> Option<&Request> {
        match self {
            Self::Write { request, .. } | Self::Modify { request, .. } => Some(request),
            _ => None,
        }
    }

    /// A one-line description, for progress.
    pub fn summary(&self) -> String {
        match self {
            Self::Read { read, .. } => match read {
                Read::Compute => "read the compute".to_owned(),
                Read::Cluster(c) => format!("read cluster {}", c.name()),
                Read::KubernetesVersions => {
                    "list the cluster region's Kubernetes versions".to_owned()
                }
                Read::Computes => "list the workspace's computes".to_owned(),
                Read::AgentPools(c) => format!("list the agent pools of cluster {}", c.name()),
                Read::NewCluster(c) => format!("read cluster {} (expected not to exist)", c.name()),
                Read::RegionVersions(l) => format!("list the Kubernetes versions of {l}"),
                Read::Workspace => "read the workspace's region".to_owned(),
                Read::Locations => "list the subscription's locations (paired regions)".to_owned(),
                Read::ServiceTags => {
                    "read the service tags (Azure ML control-plane prefixes)".to_owned()
                }
            },
            Self::Check(check) => format!("check: {check}"),
            Self::Write { purpose, .. } | Self::Modify { purpose, .. } => purpose.clone(),
            Self::Wait => "wait for the operation".to_owned(),
        }
    }
}

impl fmt::Debug for Step {
    /// Bodies redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Step");
        d.field("summary", &self.summary());
        if let Some(r) = self.write().or(match self {
            Self::Read { request, .. } => request.as_ref(),
            _ => None,
        }) {
            d.field("method", r.method())
                .field("uri", r.uri())
                .field("body", &redacted_body(r));
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::OperationKind;

    #[test]
    fn every_kind_reads_back_from_its_stable_name() {
        for kind in OperationKind::ALL {
            assert_eq!(kind.name().parse::<OperationKind>(), Ok(kind));
        }
        let err = "create cluster and attach"
            .parse::<OperationKind>()
            .unwrap_err();
        assert!(err.to_string().contains("create_cluster"), "{err}");
    }
}
