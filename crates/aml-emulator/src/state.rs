//! The emulator's memory: subscriptions, resource groups, workspaces, computes, managed clusters
//! (with their agent pools) and long-running operations, kept consistent across requests.
//!
//! Time moves lazily: every request first calls [`State::advance`], which finishes the
//! operations whose duration has passed and applies their effects, in deadline order. Nothing
//! runs in the background.

use std::collections::{BTreeMap, HashMap};

use aml_model::AksClusterId;
use time::OffsetDateTime;
use tokio::time::Instant;

use crate::arm_error::ArmError;
use crate::faults::Faults;
use crate::ids::IdSource;
use crate::seed::{ClusterSeed, Seed};
use crate::versions::VersionTable;

mod agent_pool;
mod cluster;
mod cluster_rules;
mod compute;
mod managed_cluster;
mod operation;

pub(crate) use agent_pool::ClusterPath;
pub(crate) use cluster::{Cluster, TENANT};
pub(crate) use compute::Compute;
pub use operation::Timings;
pub(crate) use operation::{Ending, Operation, OperationRef, Progress, Provider};

/// What a state change needs from the request: the time, fresh ids, pending fault outcomes.
pub(crate) struct Ctx<'a> {
    /// The monotonic time, for operation deadlines.
    pub(crate) now: Instant,
    /// The wall-clock time, for `createdOn` and operation timestamps.
    pub(crate) time: OffsetDateTime,
    /// Fresh ids.
    pub(crate) ids: &'a IdSource,
    /// Operation outcomes forced by faults.
    pub(crate) faults: &'a Faults,
}

/// A workspace as a URL names it: subscription, resource group, workspace (as spelled there).
#[derive(Debug, Clone)]
pub(crate) struct WorkspacePath<'a> {
    pub(crate) subscription: &'a str,
    pub(crate) resource_group: &'a str,
    pub(crate) workspace: &'a str,
}

/// A compute's place, by lower-cased names: stable across requests spelled in any case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ComputeKey {
    pub(crate) subscription: String,
    pub(crate) resource_group: String,
    pub(crate) workspace: String,
    pub(crate) name: String,
}

/// A managed cluster's place, by lower-cased names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ClusterKey {
    pub(crate) subscription: String,
    pub(crate) resource_group: String,
    pub(crate) name: String,
}

impl ClusterKey {
    pub(crate) fn of(id: &AksClusterId) -> Self {
        Self {
            subscription: key(id.subscription_id()),
            resource_group: key(id.resource_group()),
            name: key(id.name()),
        }
    }
}

/// The lookup key of a name: ARM names compare ignoring case.
pub(crate) fn key(name: &str) -> String {
    name.to_lowercase()
}

#[derive(Debug)]
pub(crate) struct Subscription {
    pub(crate) id: String,
    pub(crate) groups: BTreeMap<String, Group>,
}

#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) name: String,
    pub(crate) workspaces: BTreeMap<String, Workspace>,
    pub(crate) clusters: BTreeMap<String, Cluster>,
}

#[derive(Debug)]
pub(crate) struct Workspace {
    pub(crate) name: String,
    pub(crate) location: String,
    /// Keyed by lower-cased name, so iteration order is the list order.
    pub(crate) computes: BTreeMap<String, Compute>,
}

/// Everything the emulator knows.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) subscriptions: BTreeMap<String, Subscription>,
    pub(crate) operations: HashMap<String, Operation>,
    /// Operations not finished yet.
    pub(crate) pending: Vec<String>,
    pub(crate) versions: VersionTable,
    pub(crate) timings: Timings,
}

impl State {
    /// The state a seed describes (the seed must be valid).
    pub(crate) fn from_seed(seed: &Seed, timings: Timings, ids: &IdSource) -> Self {
        let mut subscriptions = BTreeMap::new();
        for subscription in &seed.subscriptions {
            let mut groups = BTreeMap::new();
            for group in &subscription.resource_groups {
                let workspaces = group
                    .workspaces
                    .iter()
                    .map(|workspace| {
                        (
                            key(&workspace.name),
                            Workspace {
                                name: workspace.name.clone(),
                                location: workspace.location.clone(),
                                computes: BTreeMap::new(),
                            },
                        )
                    })
                    .collect();
                // A valid seed's ids all parse (`Seed::validate` checks them).
                let clusters = group
                    .clusters
                    .iter()
                    .filter_map(|cluster: &ClusterSeed| {
                        let id = AksClusterId::new(
                            subscription.id.as_str(),
                            group.name.as_str(),
                            cluster.name.as_str(),
                        )
                        .ok()?;
                        Some((key(&cluster.name), Cluster::from_seed(id, cluster, ids)))
                    })
                    .collect();
                groups.insert(
                    key(&group.name),
                    Group {
                        name: group.name.clone(),
                        workspaces,
                        clusters,
                    },
                );
            }
            subscriptions.insert(
                key(&subscription.id),
                Subscription {
                    id: subscription.id.clone(),
                    groups,
                },
            );
        }
        Self {
            subscriptions,
            operations: HashMap::new(),
            pending: Vec::new(),
            versions: seed.versions(),
            timings,
        }
    }

    /// The subscription, or 404 `SubscriptionNotFound`.
    pub(crate) fn subscription(&self, subscription: &str) -> Result<&Subscription, ArmError> {
        self.subscriptions
            .get(&key(subscription))
            .ok_or_else(|| ArmError::subscription_not_found(subscription))
    }

    /// The resource group, or 404 (`SubscriptionNotFound` or `ResourceGroupNotFound`).
    pub(crate) fn group(
        &self,
        subscription: &str,
        resource_group: &str,
    ) -> Result<&Group, ArmError> {
        self.subscription(subscription)?
            .groups
            .get(&key(resource_group))
            .ok_or_else(|| ArmError::resource_group_not_found(resource_group))
    }

    fn group_mut(
        &mut self,
        subscription: &str,
        resource_group: &str,
    ) -> Result<&mut Group, ArmError> {
        self.subscriptions
            .get_mut(&key(subscription))
            .ok_or_else(|| ArmError::subscription_not_found(subscription))?
            .groups
            .get_mut(&key(resource_group))
            .ok_or_else(|| ArmError::resource_group_not_found(resource_group))
    }

    /// The workspace, or 404.
    pub(crate) fn workspace(&self, path: &WorkspacePath<'_>) -> Result<&Workspace, ArmError> {
        self.group(path.subscription, path.resource_group)?
            .workspaces
            .get(&key(path.workspace))
            .ok_or_else(|| workspace_not_found(path))
    }

    pub(crate) fn workspace_mut(
        &mut self,
        path: &WorkspacePath<'_>,
    ) -> Result<&mut Workspace, ArmError> {
        self.group_mut(path.subscription, path.resource_group)?
            .workspaces
            .get_mut(&key(path.workspace))
            .ok_or_else(|| workspace_not_found(path))
    }

    pub(crate) fn cluster(&self, key: &ClusterKey) -> Option<&Cluster> {
        self.subscriptions
            .get(&key.subscription)?
            .groups
            .get(&key.resource_group)?
            .clusters
            .get(&key.name)
    }

    pub(crate) fn cluster_mut(&mut self, key: &ClusterKey) -> Option<&mut Cluster> {
        self.subscriptions
            .get_mut(&key.subscription)?
            .groups
            .get_mut(&key.resource_group)?
            .clusters
            .get_mut(&key.name)
    }

    pub(crate) fn compute(&self, key: &ComputeKey) -> Option<&Compute> {
        self.subscriptions
            .get(&key.subscription)?
            .groups
            .get(&key.resource_group)?
            .workspaces
            .get(&key.workspace)?
            .computes
            .get(&key.name)
    }

    pub(crate) fn compute_mut(&mut self, key: &ComputeKey) -> Option<&mut Compute> {
        self.subscriptions
            .get_mut(&key.subscription)?
            .groups
            .get_mut(&key.resource_group)?
            .workspaces
            .get_mut(&key.workspace)?
            .computes
            .get_mut(&key.name)
    }

    /// Every compute, with its key.
    pub(crate) fn computes_mut(&mut self) -> impl Iterator<Item = (ComputeKey, &mut Compute)> {
        self.subscriptions.iter_mut().flat_map(|(s, subscription)| {
            subscription.groups.iter_mut().flat_map(move |(g, group)| {
                group.workspaces.iter_mut().flat_map(move |(w, workspace)| {
                    workspace.computes.iter_mut().map(move |(n, compute)| {
                        (
                            ComputeKey {
                                subscription: s.clone(),
                                resource_group: g.clone(),
                                workspace: w.clone(),
                                name: n.clone(),
                            },
                            compute,
                        )
                    })
                })
            })
        })
    }

    /// Finishes every operation whose time has come, in deadline order.
    pub(crate) fn advance(&mut self, now: Instant, time: OffsetDateTime) {
        if self.pending.is_empty() {
            return;
        }
        let mut due: Vec<(Instant, String)> = self
            .pending
            .iter()
            .filter_map(|id| {
                let operation = self.operations.get(id)?;
                let deadline = operation.deadline();
                (deadline <= now).then(|| (deadline, id.clone()))
            })
            .collect();
        due.sort();
        for (_, id) in due {
            self.finish(&id, None, time);
        }
    }

    /// Finishes every operation now; returns how many there were.
    pub(crate) fn complete_all(&mut self, time: OffsetDateTime) -> usize {
        let mut pending: Vec<(Instant, String)> = self
            .pending
            .iter()
            .filter_map(|id| Some((self.operations.get(id)?.deadline(), id.clone())))
            .collect();
        pending.sort();
        let count = pending.len();
        for (_, id) in pending {
            self.finish(&id, None, time);
        }
        count
    }
}

/// 404 for a workspace.
fn workspace_not_found(path: &WorkspacePath<'_>) -> ArmError {
    ArmError::resource_not_found(
        &format!(
            "Microsoft.MachineLearningServices/workspaces/{}",
            path.workspace
        ),
        path.resource_group,
    )
}
