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
        }
    }

    /// Whether the compute is gone once the operation succeeds.
    pub fn removes_compute(self) -> bool {
        matches!(self, Self::Detach | Self::Delete)
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
    /// The compute is an attached cluster, without an internal load balancer, still attached to
    /// the cluster the plan attaches again.
    Reattachable(AksClusterId),
    /// The cluster's Kubernetes version is supported in its region.
    KubernetesVersion,
    /// The cluster's nodes and vCPUs suit the purpose; warns about authorized IP ranges.
    Capacity(ClusterPurpose),
    /// The cluster is not attached to this workspace under another name.
    NotAttachedElsewhere,
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
            Self::Capacity(_) => &[
                Rule::PurposeProductionNodes,
                Rule::PurposeProductionVcpus,
                Rule::ClusterAuthorizedRanges,
            ],
            Self::NotAttachedElsewhere => &[Rule::AttachClusterAttached],
            Self::ScaleFits { .. } => &[
                Rule::ScalePoolMissing,
                Rule::PurposeProductionNodes,
                Rule::PurposeProductionVcpus,
            ],
            Self::Reattachable(_) => &[Rule::TlsInternalLoadBalancer],
            Self::IsAks | Self::CreatedByWorkspace => &[],
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
                "the compute is attached to cluster {}, without an internal load balancer",
                cluster.name()
            ),
            Self::KubernetesVersion => {
                f.write_str("the cluster's Kubernetes version is supported in its region")
            }
            Self::Capacity(purpose) => write!(
                f,
                "the cluster's nodes and vCPUs suit {purpose}; authorized IP ranges are reported"
            ),
            Self::NotAttachedElsewhere => {
                f.write_str("the cluster is not attached to this workspace under another name")
            }
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
