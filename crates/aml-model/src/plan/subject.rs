//! What a plan acts on.

use std::fmt;

use crate::resource_id::{AksClusterId, ComputeId, WorkspaceId};

/// What a plan acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Subject {
    /// A compute of the workspace: every operation but a cluster's deletion.
    Compute(ComputeId),
    /// An AKS cluster, deleted on behalf of `workspace`, whose computes the plan checks
    /// ([`OperationKind::DeleteCluster`](super::OperationKind::DeleteCluster)).
    Cluster {
        /// The workspace whose computes must not use the cluster.
        workspace: WorkspaceId,
        /// The cluster.
        cluster: AksClusterId,
    },
}

impl Subject {
    /// The workspace the plan runs in.
    pub fn workspace(&self) -> &WorkspaceId {
        match self {
            Self::Compute(id) => id.workspace(),
            Self::Cluster { workspace, .. } => workspace,
        }
    }

    /// The compute's name, or the cluster's.
    pub fn name(&self) -> &str {
        match self {
            Self::Compute(id) => id.name().as_str(),
            Self::Cluster { cluster, .. } => cluster.name(),
        }
    }

    /// The compute, when the subject is one.
    pub fn compute(&self) -> Option<&ComputeId> {
        match self {
            Self::Compute(id) => Some(id),
            Self::Cluster { .. } => None,
        }
    }

    /// The cluster, when the subject is one.
    pub fn cluster(&self) -> Option<&AksClusterId> {
        match self {
            Self::Compute(_) => None,
            Self::Cluster { cluster, .. } => Some(cluster),
        }
    }
}

impl fmt::Display for Subject {
    /// `compute NAME` or `cluster NAME`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Compute(id) => write!(f, "compute {}", id.name()),
            Self::Cluster { cluster, .. } => write!(f, "cluster {}", cluster.name()),
        }
    }
}
