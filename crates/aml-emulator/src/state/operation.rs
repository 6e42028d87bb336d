//! Long-running operations: how long they take, their status resource, and what finishing one
//! does to the computes, clusters and agent pools.

use std::time::Duration;

use aml_model::wire::{
    ErrorDetail, ErrorResponse, OperationStatus, OperationStatusResult, ProvisioningState,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::time::Instant;

use crate::arm_error::{ArmError, detail};
use crate::faults::OperationOutcome;
use crate::state::cluster::Pool;
use crate::state::{Cluster, ClusterKey, ComputeKey, Ctx, State, key};

/// How long each kind of long-running operation takes, and the polling interval the emulator
/// advertises (`Retry-After`, in whole seconds rounded up, and `retry-after-ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timings {
    /// Creating a compute with a new cluster (R1; about 10 minutes on Azure), or a managed
    /// cluster through ContainerService.
    pub create: Duration,
    /// Attaching an existing cluster (R2; about 5 minutes on Azure).
    pub attach: Duration,
    /// Updating a compute (PUT of an existing one, or PATCH), and a PUT of an AKS agent pool
    /// or of an existing managed cluster.
    pub update: Duration,
    /// Deleting or detaching a compute, or deleting a managed cluster.
    pub delete: Duration,
    /// The wait advertised between polls.
    pub retry_after: Duration,
}

impl Default for Timings {
    /// Create 2 s, attach, update and delete 1 s, polls every 200 ms: quick enough for
    /// examples, slow enough to show progress.
    fn default() -> Self {
        Self {
            create: Duration::from_secs(2),
            attach: Duration::from_secs(1),
            update: Duration::from_secs(1),
            delete: Duration::from_secs(1),
            retry_after: Duration::from_millis(200),
        }
    }
}

impl Timings {
    /// Every operation takes `duration`; polls are advertised every fifth of it (at least 1 ms).
    pub fn uniform(duration: Duration) -> Self {
        Self {
            create: duration,
            attach: duration,
            update: duration,
            delete: duration,
            retry_after: (duration / 5).max(Duration::from_millis(1)),
        }
    }
}

/// What an operation does when it finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OperationKind {
    /// A compute and its new cluster come up.
    Create,
    /// A compute attaches an existing cluster (and breaks any earlier attachment of it, R10).
    Attach,
    /// A compute's settings change.
    Update,
    /// A compute goes away, and its cluster too when `delete_cluster`.
    Delete {
        /// `underlyingResourceAction=Delete` on a compute that created its cluster.
        delete_cluster: bool,
    },
    /// An AKS agent pool is scaled, its autoscaler changed, or the pool created (R13).
    AgentPool,
    /// An AKS managed cluster is created (`created`) or updated by a PUT.
    ClusterPut {
        /// The PUT created the cluster.
        created: bool,
    },
    /// An AKS managed cluster is deleted.
    ClusterDelete,
}

/// What an operation works on.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A compute (`Microsoft.MachineLearningServices`).
    Compute(ComputeKey),
    /// An agent pool of a managed cluster (`Microsoft.ContainerService`).
    AgentPool {
        cluster: ClusterKey,
        /// The pool's lower-cased name.
        pool: String,
        /// The pool before the PUT (`None` when the PUT created it), restored if the operation
        /// does not succeed.
        before: Option<Box<Pool>>,
    },
    /// A managed cluster (`Microsoft.ContainerService`).
    Cluster {
        cluster: ClusterKey,
        /// The cluster before an update, restored if the operation does not succeed.
        before: Option<Box<Cluster>>,
    },
}

impl From<ComputeKey> for Target {
    fn from(key: ComputeKey) -> Self {
        Self::Compute(key)
    }
}

impl Target {
    /// The provider whose URLs poll the operation.
    fn provider(&self) -> Provider {
        match self {
            Self::Compute(_) => Provider::MachineLearning,
            Self::AgentPool { .. } | Self::Cluster { .. } => Provider::ContainerService,
        }
    }
}

/// The resource provider an operation belongs to, which decides its polling URLs:
/// `computeOperationsStatus` / `computeOperationsResult` for Machine Learning, `operations` /
/// `operationresults` for ContainerService.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provider {
    MachineLearning,
    ContainerService,
}

/// How an operation ends.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ending {
    Succeeded,
    /// With the HTTP status the `Location` poll answers, and the error.
    Failed(u16, ErrorDetail),
    Canceled,
}

impl From<OperationOutcome> for Ending {
    fn from(outcome: OperationOutcome) -> Self {
        match outcome {
            OperationOutcome::Failed { error } => Self::Failed(500, error),
            OperationOutcome::Canceled => Self::Canceled,
        }
    }
}

/// One long-running operation.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub(crate) id: String,
    pub(crate) subscription: String,
    /// The location in its status URL (the workspace's; an agent pool's cluster's).
    pub(crate) location: String,
    pub(crate) kind: OperationKind,
    pub(crate) target: Target,
    started: Instant,
    started_at: OffsetDateTime,
    duration: Duration,
    planned: Ending,
    finished: Option<(OffsetDateTime, Ending)>,
}

/// Where to poll an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OperationRef {
    pub(crate) id: String,
    pub(crate) subscription: String,
    pub(crate) location: String,
    pub(crate) provider: Provider,
}

/// What a status poll or a `Location` poll reports.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Progress {
    /// Still running.
    Running,
    /// Finished this way.
    Done(Ending),
}

fn rfc3339(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap_or_default()
}

impl Operation {
    pub(crate) fn deadline(&self) -> Instant {
        self.started + self.duration
    }

    pub(crate) fn reference(&self) -> OperationRef {
        OperationRef {
            id: self.id.clone(),
            subscription: self.subscription.clone(),
            location: self.location.clone(),
            provider: self.target.provider(),
        }
    }

    pub(crate) fn progress(&self) -> Progress {
        match &self.finished {
            None => Progress::Running,
            Some((_, ending)) => Progress::Done(ending.clone()),
        }
    }

    /// The status body; `id_path` is the status URL's path.
    pub(crate) fn status_body(&self, now: Instant, id_path: String) -> OperationStatusResult {
        let mut body = OperationStatusResult {
            id: Some(id_path),
            name: Some(self.id.clone()),
            start_time: Some(rfc3339(self.started_at)),
            ..Default::default()
        };
        match &self.finished {
            None => {
                let elapsed = now.saturating_duration_since(self.started).as_secs_f64();
                let total = self.duration.as_secs_f64().max(f64::EPSILON);
                let percent = (elapsed / total * 100.0).clamp(0.0, 99.0).floor();
                body.status = Some(OperationStatus::InProgress);
                body.percent_complete = serde_json::Number::from_f64(percent);
            }
            Some((at, ending)) => {
                body.end_time = Some(rfc3339(*at));
                body.percent_complete = Some(100.into());
                body.status = Some(match ending {
                    Ending::Succeeded => OperationStatus::Succeeded,
                    Ending::Failed(_, error) => {
                        body.error = Some(error.clone());
                        OperationStatus::Failed
                    }
                    Ending::Canceled => OperationStatus::Canceled,
                });
            }
        }
        body
    }
}

/// The error an attachment reports once the same cluster was attached under another name (R10).
fn broken_by(cluster_id: &str, other: &ComputeKey) -> ErrorResponse {
    ErrorResponse {
        error: Some(detail(
            "ClusterAttachedElsewhere",
            format!(
                "The AKS cluster '{cluster_id}' was attached again, as compute '{}' in workspace \
                 '{}'; this attachment no longer works. Detach one of them; to change settings, \
                 detach and attach again.",
                other.name, other.workspace
            ),
        )),
        ..Default::default()
    }
}

impl State {
    /// Starts an operation on `target`: it ends as `planned` after its kind's duration, unless
    /// a fault forces another outcome.
    pub(crate) fn start_operation(
        &mut self,
        ctx: &Ctx<'_>,
        subscription: &str,
        location: &str,
        kind: OperationKind,
        target: impl Into<Target>,
        planned: Ending,
    ) -> OperationRef {
        let duration = match kind {
            OperationKind::Create | OperationKind::ClusterPut { created: true } => {
                self.timings.create
            }
            OperationKind::Attach => self.timings.attach,
            OperationKind::Update
            | OperationKind::AgentPool
            | OperationKind::ClusterPut { created: false } => self.timings.update,
            OperationKind::Delete { .. } | OperationKind::ClusterDelete => self.timings.delete,
        };
        let planned = match ctx.faults.take_outcome() {
            Some(outcome) => outcome.into(),
            None => planned,
        };
        let operation = Operation {
            id: crate::ids::uuid(),
            subscription: subscription.to_owned(),
            location: crate::versions::normalize_location(location),
            kind,
            target: target.into(),
            started: ctx.now,
            started_at: ctx.time,
            duration,
            planned,
            finished: None,
        };
        let reference = operation.reference();
        self.pending.push(operation.id.clone());
        self.operations.insert(operation.id.clone(), operation);
        reference
    }

    /// The operation `id` of `subscription` under `provider`'s URLs, or 404.
    pub(crate) fn operation(
        &self,
        provider: Provider,
        subscription: &str,
        id: &str,
    ) -> Result<&Operation, ArmError> {
        self.subscription(subscription)?;
        self.operations
            .get(id)
            .filter(|operation| {
                key(&operation.subscription) == key(subscription)
                    && operation.target.provider() == provider
            })
            .ok_or_else(|| {
                ArmError::new(
                    404,
                    "NotFound",
                    format!("The operation '{id}' was not found."),
                )
            })
    }

    /// Finishes operation `id` now, as planned or as `ending` says.
    pub(crate) fn finish(&mut self, id: &str, ending: Option<Ending>, time: OffsetDateTime) {
        self.pending.retain(|pending| pending != id);
        let Some(operation) = self.operations.get_mut(id) else {
            return;
        };
        if operation.finished.is_some() {
            return;
        }
        let ending = ending.unwrap_or_else(|| operation.planned.clone());
        operation.finished = Some((time, ending.clone()));
        match operation.target.clone() {
            Target::Compute(target) => {
                let kind = operation.kind;
                self.apply(id, kind, &target, &ending, time);
            }
            Target::AgentPool {
                cluster,
                pool,
                before,
            } => self.apply_agent_pool(&cluster, &pool, before.map(|before| *before), &ending),
            Target::Cluster { cluster, before } => {
                let kind = operation.kind;
                self.apply_cluster(kind, &cluster, before.map(|before| *before), &ending, time);
            }
        }
    }

    /// The operation running on `cluster`, if any: an agent pool PUT, or an operation on a
    /// compute that runs on the cluster (creating, attaching, updating or deleting it).
    pub(crate) fn cluster_operation(&self, cluster: &ClusterKey) -> Option<&Operation> {
        self.pending
            .iter()
            .filter_map(|id| self.operations.get(id))
            .find(|operation| match &operation.target {
                Target::AgentPool { cluster: on, .. } | Target::Cluster { cluster: on, .. } => {
                    on == cluster
                }
                Target::Compute(compute) => self
                    .compute(compute)
                    .and_then(super::Compute::cluster)
                    .is_some_and(|on| on == cluster),
            })
    }

    /// The ContainerService operation running on `cluster` (an agent pool PUT, a managed
    /// cluster PUT or DELETE), if any.
    pub(crate) fn aks_operation(&self, cluster: &ClusterKey) -> Option<&Operation> {
        self.pending
            .iter()
            .filter_map(|id| self.operations.get(id))
            .find(|operation| match &operation.target {
                Target::AgentPool { cluster: on, .. } | Target::Cluster { cluster: on, .. } => {
                    on == cluster
                }
                Target::Compute(_) => false,
            })
    }

    /// What finishing an agent pool PUT does: on success the pool keeps its new settings and
    /// is `Succeeded`. Otherwise it is `Failed` or `Canceled`, and a pool that existed before
    /// the PUT gets its earlier settings back (a new pool stays).
    fn apply_agent_pool(
        &mut self,
        cluster: &ClusterKey,
        pool: &str,
        before: Option<Pool>,
        ending: &Ending,
    ) {
        let Some(cluster) = self.cluster_mut(cluster) else {
            return;
        };
        let Some(current) = cluster
            .pools
            .iter_mut()
            .find(|candidate| key(&candidate.name) == pool)
        else {
            return;
        };
        let state = match ending {
            Ending::Succeeded => ProvisioningState::Succeeded,
            Ending::Failed(..) => ProvisioningState::Failed,
            Ending::Canceled => ProvisioningState::Canceled,
        };
        if *ending != Ending::Succeeded
            && let Some(before) = before
        {
            *current = before;
        }
        current.state = Some(state);
    }

    /// What finishing an operation does to its compute and cluster.
    fn apply(
        &mut self,
        id: &str,
        kind: OperationKind,
        target: &ComputeKey,
        ending: &Ending,
        time: OffsetDateTime,
    ) {
        let Some(compute) = self.compute_mut(target) else {
            return;
        };
        if compute.operation.as_deref() == Some(id) {
            compute.operation = None;
        }
        compute.modified_on = time;
        let cluster = compute.cluster().cloned();
        match (kind, ending) {
            (OperationKind::Delete { delete_cluster }, Ending::Succeeded) => {
                self.remove_compute(target);
                if delete_cluster && let Some(cluster) = &cluster {
                    self.remove_cluster(cluster);
                }
                return;
            }
            (_, Ending::Succeeded) => {
                compute.state = ProvisioningState::Succeeded;
                compute.errors.clear();
            }
            (_, Ending::Failed(_, error)) => {
                compute.state = ProvisioningState::Failed;
                compute.errors = vec![ErrorResponse {
                    error: Some(error.clone()),
                    ..Default::default()
                }];
            }
            (_, Ending::Canceled) => compute.state = ProvisioningState::Canceled,
        }
        if kind == OperationKind::Create
            && let Some(cluster) = cluster.as_ref().and_then(|key| self.cluster_mut(key))
        {
            cluster.provisioning_state = match ending {
                Ending::Succeeded => ProvisioningState::Succeeded,
                Ending::Failed(..) => ProvisioningState::Failed,
                Ending::Canceled => ProvisioningState::Canceled,
            };
        }
        if matches!(kind, OperationKind::Attach | OperationKind::Update)
            && *ending == Ending::Succeeded
            && let Some(cluster) = cluster
        {
            self.break_other_attachments(&cluster, target, time);
        }
    }

    /// R10: every other compute on `cluster` stops working once `by` attached it (or updated
    /// itself, which deploys the AML components to the cluster again).
    fn break_other_attachments(
        &mut self,
        cluster: &ClusterKey,
        by: &ComputeKey,
        time: OffsetDateTime,
    ) {
        let cluster_id = self
            .cluster(cluster)
            .map(super::Cluster::id_text)
            .unwrap_or_default();
        for (key, compute) in self.computes_mut() {
            if key != *by
                && compute.cluster() == Some(cluster)
                && compute.state != ProvisioningState::Deleting
            {
                compute.state = ProvisioningState::Failed;
                compute.errors = vec![broken_by(&cluster_id, by)];
                compute.modified_on = time;
            }
        }
    }

    fn remove_compute(&mut self, key: &ComputeKey) {
        if let Some(workspace) = self
            .subscriptions
            .get_mut(&key.subscription)
            .and_then(|subscription| subscription.groups.get_mut(&key.resource_group))
            .and_then(|group| group.workspaces.get_mut(&key.workspace))
        {
            workspace.computes.remove(&key.name);
        }
    }

    pub(crate) fn remove_cluster(&mut self, key: &ClusterKey) {
        if let Some(group) = self
            .subscriptions
            .get_mut(&key.subscription)
            .and_then(|subscription| subscription.groups.get_mut(&key.resource_group))
        {
            group.clusters.remove(&key.name);
        }
    }
}
