//! Reads: one compute, every compute, credentials, Kubernetes versions, a managed cluster.

use aml_arm::ResumeToken;
use aml_model::plan::{OperationKind, Plan};
use aml_model::request::Request;
use aml_model::wire::{
    AksComputeSecrets, ComputeResource, KubernetesVersionListResult, ManagedCluster,
    OrchestratorVersionProfileListResult,
};
use aml_model::{AksClusterId, ComputeId, ComputeName, Report};
use futures::{Stream, StreamExt, TryStreamExt};

use crate::aks::{AksCompute, ComputeTarget};
use crate::checks::attached_to;
use crate::error::{Error, Result};
use crate::operation::ComputeOperation;
use crate::versions::KubernetesVersions;
use crate::workspace::Workspace;

impl Workspace {
    /// Reads one compute, of any type.
    pub async fn get(&self, name: &str) -> Result<ComputeTarget> {
        let id = self.compute_id(name)?;
        let resource = self
            .get_resource(self.requests.get(&id))
            .await?
            .ok_or_else(|| self.not_found(name))?;
        Ok(ComputeTarget::from_resource(resource))
    }

    /// Reads one AKS compute; another type is [`Error::Refused`].
    pub async fn get_aks(&self, name: &str) -> Result<AksCompute> {
        match self.get(name).await? {
            ComputeTarget::Aks(a) => Ok(a),
            ComputeTarget::Other { compute_type, .. } => Err(Error::Refused {
                action: "read",
                name: name.to_owned(),
                reason: format!("it is of type {compute_type}, not AKS"),
                rule: None,
            }),
        }
    }

    /// Every compute of the workspace, of every type, following `nextLink`.
    pub fn list(&self) -> impl Stream<Item = Result<ComputeTarget>> + Send + 'static {
        let request = self.requests.list(&self.id);
        self.arm
            .list_pages::<ComputeResource>(request)
            .into_items()
            .map(|item| item.map(ComputeTarget::from_resource).map_err(Error::from))
    }

    /// Every AKS compute of the workspace.
    pub fn list_aks(&self) -> impl Stream<Item = Result<AksCompute>> + Send + 'static {
        self.list().filter_map(|item| async move {
            match item {
                Ok(ComputeTarget::Aks(a)) => Some(Ok(a)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            }
        })
    }

    /// The kubeconfigs of an AKS compute (`listKeys`), for debugging with kubectl (R6).
    pub async fn get_credentials(&self, name: &str) -> Result<AksComputeSecrets> {
        let id = self.compute_id(name)?;
        match self.arm.send(self.requests.list_keys(&id)).await {
            Ok(r) => Ok(r.json()?),
            Err(e) if e.is_not_found() => Err(self.not_found(name)),
            Err(e) => Err(e.into()),
        }
    }

    /// The Kubernetes versions `location` supports, the default marked (R14). Uses the current
    /// `kubernetesVersions` API and falls back to the older `orchestrators` one.
    pub async fn kubernetes_versions(&self, location: &str) -> Result<KubernetesVersions> {
        let subscription = self.id.subscription_id();
        let current = self.requests.kubernetes_versions(subscription, location);
        match self.arm.send(current).await {
            Ok(r) => {
                let list: KubernetesVersionListResult = r.json()?;
                Ok(KubernetesVersions::from_list(location, &list))
            }
            Err(e) if e.is_not_found() => {
                let old = self.requests.orchestrators(subscription, location);
                let r = self.arm.send(old).await?;
                let list: OrchestratorVersionProfileListResult = r.json()?;
                Ok(KubernetesVersions::from_orchestrators(location, &list))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Reads a managed cluster (its Kubernetes version, agent pools, network profile, ...);
    /// a missing one is [`Error::ClusterNotFound`].
    pub async fn managed_cluster(&self, id: &AksClusterId) -> Result<ManagedCluster> {
        self.get_cluster(self.requests.cluster(id))
            .await?
            .ok_or_else(|| Error::ClusterNotFound {
                cluster: id.to_string(),
            })
    }

    /// The name under which `cluster` is attached to this workspace, if it is (compared as ARM
    /// ids: case-insensitively).
    pub async fn attached_name(&self, cluster: &AksClusterId) -> Result<Option<String>> {
        let computes: Vec<ComputeTarget> = self.list().try_collect().await?;
        Ok(attached_to(&computes, cluster))
    }

    /// Runs a plan a `plan_*` verb returned (after showing it, say): its reads and checks run
    /// again against the service as it is now, then its first write; await the operation for
    /// the rest. This is what the matching `begin_*` verb does with the plan it builds.
    ///
    /// A plan made for a compute of another workspace is refused.
    pub async fn begin_plan(&self, plan: Plan) -> Result<ComputeOperation> {
        if plan.workspace() != &self.id {
            return Err(Error::Refused {
                action: plan.kind().as_str(),
                name: plan.subject().name().to_owned(),
                reason: format!(
                    "the plan is for workspace {}, not {}; make it with this workspace",
                    plan.workspace(),
                    self.id
                ),
                rule: None,
            });
        }
        Box::pin(ComputeOperation::start(self.clone(), plan)).await
    }

    /// Continues an operation from a token saved from [`ComputeOperation::resume_token`], in
    /// this process or another, without sending its write again.
    ///
    /// A cluster's deletion ([`OperationKind::DeleteCluster`]) is about a cluster, not a
    /// compute `name`: it is refused here; continue it with [`Workspace::resume_plan`] and the
    /// plan of [`Workspace::plan_delete_cluster`].
    pub fn resume(
        &self,
        token: &ResumeToken,
        name: &str,
        kind: OperationKind,
    ) -> Result<ComputeOperation> {
        if kind == OperationKind::DeleteCluster {
            return Err(Error::Refused {
                action: kind.as_str(),
                name: name.to_owned(),
                reason: "a cluster's deletion is resumed with its plan: Workspace::resume_plan with the plan of Workspace::plan_delete_cluster, at ComputeOperation::resume_step".to_owned(),
                rule: None,
            });
        }
        let id = self.compute_id(name)?;
        let plan = Plan::resumed(&self.requests, kind, &id);
        let mut op = ComputeOperation::new(self.clone(), self.plan(plan));
        // The compute is read after the wait, whatever resource the operation answers with.
        op.answers_with_compute = false;
        op.poller = Some(Box::new(op.with_deadline(self.arm.resume(token)?)));
        Ok(op)
    }

    /// Continues `plan` (the same plan, made again with the same inputs) from a token saved
    /// from [`ComputeOperation::resume_token`] while its step `step`
    /// ([`ComputeOperation::resume_step`]) waited: waits for that operation without sending its
    /// write again, then runs the plan's later steps (their reads and checks run against the
    /// service as it is then). A create-and-attach resumed during the cluster's creation goes on
    /// to attach it. A plan of another workspace, or a step that is not a wait, is refused.
    pub fn resume_plan(
        &self,
        plan: Plan,
        step: usize,
        token: &ResumeToken,
    ) -> Result<ComputeOperation> {
        let refuse = |reason: String| Error::Refused {
            action: plan.kind().as_str(),
            name: plan.subject().name().to_owned(),
            reason,
            rule: None,
        };
        if plan.workspace() != &self.id {
            return Err(refuse(format!(
                "the plan is for workspace {}, not {}; make it with this workspace",
                plan.workspace(),
                self.id
            )));
        }
        if !matches!(plan.steps().get(step), Some(aml_model::plan::Step::Wait)) {
            return Err(refuse(format!(
                "step {} of the plan is not a wait for an operation; resume from ComputeOperation::resume_step",
                step + 1
            )));
        }
        // The operation answers with the compute when its write targets the compute.
        let answers_with_compute = step
            .checked_sub(1)
            .and_then(|i| plan.steps()[i].write())
            .zip(plan.compute())
            .is_some_and(|(w, id)| w.uri().path().eq_ignore_ascii_case(&id.to_string()));
        let mut op = ComputeOperation::new(self.clone(), self.plan(plan));
        op.next = step;
        op.answers_with_compute = answers_with_compute;
        op.poller = Some(Box::new(op.with_deadline(self.arm.resume(token)?)));
        Ok(op)
    }

    /// A compute by `request`; `None` when it does not exist.
    pub(crate) async fn get_resource(&self, request: Request) -> Result<Option<ComputeResource>> {
        match self.arm.send(request).await {
            Ok(response) => Ok(Some(response.json()?)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A managed cluster by `request`; `None` when it does not exist.
    pub(crate) async fn get_cluster(&self, request: Request) -> Result<Option<ManagedCluster>> {
        match self.arm.send(request).await {
            Ok(response) => Ok(Some(response.json()?)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn not_found(&self, name: &str) -> Error {
        Error::NotFound {
            name: name.to_owned(),
            workspace: self.id.to_string(),
        }
    }

    pub(crate) fn compute_id(&self, name: &str) -> Result<ComputeId> {
        let name: ComputeName = name.parse().map_err(|e: aml_model::name::InvalidName| {
            let mut report = Report::new();
            for rule in &e.problems {
                report.error("name", rule.code(), format!("compute name {name:?} {rule}"));
            }
            Error::Validation(report)
        })?;
        Ok(ComputeId::new(self.id.clone(), name))
    }

    /// Renders `plan` against this workspace's ARM endpoint.
    pub(crate) fn plan(&self, plan: Plan) -> Plan {
        plan.with_endpoint(self.arm.endpoint().as_str())
    }
}
