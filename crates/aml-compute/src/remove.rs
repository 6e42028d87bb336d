//! Detach (the cluster is kept, R3), delete (the cluster too, asked for explicitly), and the
//! explicit deletion of an AKS cluster no compute of the workspace uses any more.

use aml_model::AksClusterId;
use aml_model::plan::Plan;

use crate::error::Result;
use crate::operation::ComputeOperation;
use crate::workspace::Workspace;

impl Workspace {
    /// The plan of [`Workspace::begin_detach`]: read the compute, check it is AKS, detach
    /// (`DELETE ...?underlyingResourceAction=Detach`), wait.
    pub fn plan_detach(&self, name: &str) -> Result<Plan> {
        let id = self.compute_id(name)?;
        Ok(self.plan(Plan::detach(&self.requests, &id)))
    }

    /// Detaches a compute (R3): the compute leaves the workspace, the AKS cluster is kept.
    /// Awaiting the operation succeeds when the compute is gone.
    pub async fn begin_detach(&self, name: &str) -> Result<ComputeOperation> {
        let plan = self.plan_detach(name)?;
        Box::pin(ComputeOperation::start(self.clone(), plan)).await
    }

    /// The plan of [`Workspace::begin_delete`]: read the compute, check it is AKS and was
    /// created by the workspace, delete it and its cluster, wait.
    pub fn plan_delete(&self, name: &str) -> Result<Plan> {
        let id = self.compute_id(name)?;
        Ok(self.plan(Plan::delete(&self.requests, &id)))
    }

    /// Deletes a compute the workspace created, and its AKS cluster. This destroys the cluster:
    /// use [`Workspace::begin_detach`] to keep it. Refused for an attached cluster (the service
    /// refuses too): detach it, then delete the cluster explicitly if you mean to
    /// ([`Workspace::begin_delete_cluster`]).
    pub async fn begin_delete(&self, name: &str) -> Result<ComputeOperation> {
        let plan = self.plan_delete(name)?;
        Box::pin(ComputeOperation::start(self.clone(), plan)).await
    }

    /// The plan of [`Workspace::begin_delete_cluster`]: read the cluster, list the workspace's
    /// computes and check that none uses the cluster, `DELETE` the cluster, wait. Its
    /// `Display` is the dry run; it always warns that computes of other workspaces cannot be
    /// seen (`cluster.other_workspaces`). Sends nothing.
    pub fn plan_delete_cluster(&self, cluster: &AksClusterId) -> Result<Plan> {
        Ok(self.plan(Plan::delete_cluster(&self.requests, &self.id, cluster)))
    }

    /// Deletes an AKS cluster (`Microsoft.ContainerService/managedClusters`, long-running) with
    /// its nodes: the explicit deletion of a cluster [`Workspace::begin_create_cluster`] made,
    /// which Azure ML sees as attached (so [`Workspace::begin_detach`] keeps it and
    /// [`Workspace::begin_delete`] refuses it). Nothing else deletes such a cluster.
    ///
    /// Refused before anything is written: a cluster that does not exist
    /// ([`Error::ClusterNotFound`](crate::Error::ClusterNotFound)), and one that a compute of
    /// this workspace still uses ([`Error::ClusterStillAttached`](crate::Error::ClusterStillAttached),
    /// rule `cluster.still_attached`: detach it first). Computes of other workspaces attached
    /// to the cluster cannot be seen and break: the operation's warnings say so. Returns once
    /// the `DELETE` is accepted; await the operation (it ends with
    /// [`Completion::Removed`](crate::Completion::Removed)), read its progress, or resume it
    /// with [`Workspace::resume_plan`] and this plan.
    pub async fn begin_delete_cluster(&self, cluster: &AksClusterId) -> Result<ComputeOperation> {
        let plan = self.plan_delete_cluster(cluster)?;
        Box::pin(ComputeOperation::start(self.clone(), plan)).await
    }
}
