//! Managed clusters as their own resources (`.../managedClusters/{name}`, ContainerService
//! 2024-09-01): the long-running PUT that creates or updates a cluster (its rules are in
//! [`cluster_rules`](super::cluster_rules)), the long-running DELETE, and what finishing either
//! does.
//!
//! A PUT changes the cluster at once (GET shows the goal state in `Creating` or `Updating`, as
//! AKS does); the operation ends `Succeeded`, or `Failed`/`Canceled` when a fault says so: a
//! new cluster then stays in that state (AKS keeps a failed cluster), an updated one gets its
//! earlier settings back. A DELETE shows the cluster `Deleting` and removes it when it ends.
//! AKS knows nothing of Azure Machine Learning, so it never refuses to delete a cluster a
//! compute is attached to: the compute turns `Failed`, with an error saying its cluster is gone.

use aml_model::AksClusterId;
use aml_model::wire::{ErrorDetail, ErrorResponse, ManagedCluster, ProvisioningState};
use time::OffsetDateTime;

use crate::arm_error::{ArmError, detail};
use crate::state::agent_pool::cluster_busy;
use crate::state::cluster_rules::plan_cluster;
use crate::state::operation::{Ending, OperationKind, Target};
use crate::state::{Cluster, ClusterKey, ClusterPath, Ctx, OperationRef, State, key};

/// The error of a compute whose AKS cluster was deleted.
pub(crate) fn cluster_deleted(cluster_id: &str) -> ErrorDetail {
    detail(
        "ClusterNotFound",
        format!(
            "The AKS cluster '{cluster_id}' of this compute was deleted: the compute cannot be \
             used. Detach it (underlyingResourceAction=Detach), then create or attach another \
             cluster."
        ),
    )
}

impl State {
    /// `PUT .../managedClusters/{name}`: checks the rules, stores the cluster as asked and
    /// starts its operation. Returns the body, the operation, and whether the cluster is new.
    pub(crate) fn managed_cluster_put(
        &mut self,
        ctx: &Ctx<'_>,
        path: &ClusterPath<'_>,
        body: &ManagedCluster,
    ) -> Result<(ManagedCluster, OperationRef, bool), ArmError> {
        let group = self.group(path.subscription, path.resource_group)?;
        let current = group.clusters.get(&key(path.cluster)).cloned();
        let id = match &current {
            Some(cluster) => cluster.id.clone(),
            None => AksClusterId::new(
                self.subscription(path.subscription)?.id.as_str(),
                group.name.as_str(),
                path.cluster,
            )
            .map_err(|error| {
                ArmError::new(
                    400,
                    "InvalidParameter",
                    format!(
                        "The managed cluster name '{}' is invalid: {error}.",
                        path.cluster
                    ),
                )
                .with_target("name")
            })?,
        };
        let cluster_key = ClusterKey::of(&id);
        if let Some(current) = &current
            && let Some(running) = self.cluster_operation(&cluster_key)
        {
            return Err(cluster_busy(current, &running.id));
        }
        let draft = Cluster::new(id, "", "", Vec::new(), ctx.ids);
        let mut cluster = plan_cluster(current.as_ref(), draft, body, &self.versions, ctx.ids)?;
        let created = current.is_none();
        cluster.provisioning_state = if created {
            ProvisioningState::Creating
        } else {
            ProvisioningState::Updating
        };
        for pool in &mut cluster.pools {
            pool.state = None;
        }
        let reference = self.start_operation(
            ctx,
            cluster.id.subscription_id(),
            &cluster.location,
            OperationKind::ClusterPut { created },
            Target::Cluster {
                cluster: cluster_key.clone(),
                before: current.map(Box::new),
            },
            Ending::Succeeded,
        );
        let body = cluster.render();
        self.group_mut(path.subscription, path.resource_group)?
            .clusters
            .insert(cluster_key.name, cluster);
        Ok((body, reference, created))
    }

    /// `DELETE .../managedClusters/{name}`: `None` when there is no such cluster (204); a
    /// DELETE while deleting answers with the running operation.
    pub(crate) fn managed_cluster_delete(
        &mut self,
        ctx: &Ctx<'_>,
        path: &ClusterPath<'_>,
    ) -> Result<Option<OperationRef>, ArmError> {
        let Some(cluster) = self
            .group(path.subscription, path.resource_group)?
            .clusters
            .get(&key(path.cluster))
        else {
            return Ok(None);
        };
        let cluster_key = ClusterKey::of(&cluster.id);
        if let Some(running) = self.cluster_operation(&cluster_key) {
            if running.kind == OperationKind::ClusterDelete {
                return Ok(Some(running.reference()));
            }
            return Err(cluster_busy(cluster, &running.id));
        }
        let subscription = cluster.id.subscription_id().to_owned();
        let location = cluster.location.clone();
        let reference = self.start_operation(
            ctx,
            &subscription,
            &location,
            OperationKind::ClusterDelete,
            Target::Cluster {
                cluster: cluster_key.clone(),
                before: None,
            },
            Ending::Succeeded,
        );
        if let Some(cluster) = self.cluster_mut(&cluster_key) {
            cluster.provisioning_state = ProvisioningState::Deleting;
        }
        Ok(Some(reference))
    }

    /// What finishing a managed cluster PUT or DELETE does.
    pub(super) fn apply_cluster(
        &mut self,
        kind: OperationKind,
        cluster_key: &ClusterKey,
        before: Option<Cluster>,
        ending: &Ending,
        time: OffsetDateTime,
    ) {
        let state = match ending {
            Ending::Succeeded => ProvisioningState::Succeeded,
            Ending::Failed(..) => ProvisioningState::Failed,
            Ending::Canceled => ProvisioningState::Canceled,
        };
        if kind == OperationKind::ClusterDelete && *ending == Ending::Succeeded {
            let cluster_id = self
                .cluster(cluster_key)
                .map(Cluster::id_text)
                .unwrap_or_default();
            self.remove_cluster(cluster_key);
            for (_, compute) in self.computes_mut() {
                if compute.cluster() == Some(cluster_key)
                    && compute.state != ProvisioningState::Deleting
                {
                    compute.state = ProvisioningState::Failed;
                    compute.errors = vec![ErrorResponse {
                        error: Some(cluster_deleted(&cluster_id)),
                        ..Default::default()
                    }];
                    compute.modified_on = time;
                }
            }
            return;
        }
        let Some(cluster) = self.cluster_mut(cluster_key) else {
            return;
        };
        if *ending != Ending::Succeeded
            && let Some(before) = before
        {
            *cluster = before;
        }
        cluster.provisioning_state = state;
    }
}
