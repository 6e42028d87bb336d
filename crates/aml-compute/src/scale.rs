//! Scale: the node count or the cluster autoscaler of the agent pool Azure ML deploys to
//! (R13), through `Microsoft.ContainerService`. The VM size never changes.

use aml_model::config::ScaleBuilder;
use aml_model::plan::Plan;
use aml_model::wire::{AgentPool, AgentPoolListResult, AgentPoolMode};

use crate::error::{Error, Result};
use crate::operation::ComputeOperation;
use crate::workspace::Workspace;

impl Workspace {
    /// The plan of [`Workspace::begin_scale`]. Validates the change (a VM size is refused:
    /// `scale.vm_size`), then reads the compute (its cluster and purpose) and the cluster's
    /// agent pools to name the pool (nothing is written). The plan reads both again, checks the
    /// pool and, for a production compute scaled down, the nodes and vCPUs it keeps (R8), then
    /// `PUT`s the pool as read with the new count or autoscaler, waits, and reads the compute.
    pub async fn plan_scale(&self, name: &str, config: ScaleBuilder) -> Result<Plan> {
        let scale = config.build().map_err(Error::from)?;
        let id = self.compute_id(name)?;
        let compute = self.get_aks(name).await?;
        let Some(cluster) = compute.cluster_id() else {
            return Err(Error::Refused {
                action: "scale",
                name: name.to_owned(),
                reason: "the compute names no AKS cluster (resourceId)".into(),
                rule: None,
            });
        };
        let pool = match scale.pool() {
            Some(pool) => pool.to_owned(),
            None => self.deployment_pool(&cluster).await?,
        };
        let purpose = compute.cluster_purpose().cloned().unwrap_or_default();
        Ok(self.plan(Plan::scale(
            &self.requests,
            &id,
            &cluster,
            &pool,
            purpose,
            scale,
        )))
    }

    /// Scales the cluster behind a compute (R13), as [`plan_scale`] shows: the node count, or
    /// the autoscaler on (with bounds) or off, of the pool Azure ML deploys to (or the pool
    /// named). Refused before any write: a VM size, a missing pool, and a scale-down that
    /// leaves a production compute under 3 nodes or 12 vCPUs. Returns once the `PUT` is
    /// accepted; await the operation for the compute with its new node count.
    ///
    /// [`plan_scale`]: Workspace::plan_scale
    pub async fn begin_scale(&self, name: &str, config: ScaleBuilder) -> Result<ComputeOperation> {
        let plan = self.plan_scale(name, config).await?;
        Box::pin(ComputeOperation::start(self.clone(), plan)).await
    }

    /// The pool Azure ML deploys to: the cluster's first `System` pool, else its first pool.
    pub(crate) async fn deployment_pool(
        &self,
        cluster: &aml_model::AksClusterId,
    ) -> Result<String> {
        let list: AgentPoolListResult =
            match self.arm.send(self.requests.agent_pools(cluster)).await {
                Ok(response) => response.json()?,
                Err(e) if e.is_not_found() => {
                    return Err(Error::ClusterNotFound {
                        cluster: cluster.to_string(),
                    });
                }
                Err(e) => return Err(e.into()),
            };
        let pools = list.value.unwrap_or_default();
        let is_system = |p: &&AgentPool| {
            p.properties
                .as_ref()
                .and_then(|x| x.mode.as_ref())
                .is_some_and(|m| matches!(m, AgentPoolMode::System))
        };
        pools
            .iter()
            .find(is_system)
            .or_else(|| pools.first())
            .and_then(|p| p.name.clone())
            .ok_or_else(|| Error::Refused {
                action: "scale",
                name: cluster.name().to_owned(),
                reason: "the cluster reports no agent pool".into(),
                rule: Some(aml_model::Rule::ScalePoolMissing),
            })
    }
}
