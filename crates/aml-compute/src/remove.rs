//! Detach (the cluster is kept, R3) and delete (the cluster too, asked for explicitly).

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
    /// refuses too): detach it, then delete the cluster with the AKS tools if you mean to.
    pub async fn begin_delete(&self, name: &str) -> Result<ComputeOperation> {
        let plan = self.plan_delete(name)?;
        Box::pin(ComputeOperation::start(self.clone(), plan)).await
    }
}
