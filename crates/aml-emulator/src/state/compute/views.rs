//! How computes look from outside: GET and list bodies, the workspace, `listKeys`,
//! `listNodes`, and the admin endpoint's state dump.

use aml_model::Kubeconfig;
use aml_model::wire::{
    AksCompute, AksComputeSecrets, Compute as WireCompute, ComputeResource, ComputeType,
    ProvisioningState, SystemService,
};
use serde_json::Value;

use super::{Aks, COMPUTE_TYPE, Compute, Kind, Names, compute_not_found, compute_type_of, rfc3339};
use crate::arm_error::ArmError;
use crate::state::{Cluster, ClusterKey, State, WorkspacePath, key};

impl Compute {
    /// The cluster an AKS compute runs on.
    pub(crate) fn cluster(&self) -> Option<&ClusterKey> {
        match &self.kind {
            Kind::Aks(aks) => Some(&aks.cluster),
            Kind::Other(_) => None,
        }
    }

    /// The GET body; `cluster` is the AKS cluster it runs on, if it still exists.
    pub(crate) fn render(&self, names: &Names, cluster: Option<&Cluster>) -> ComputeResource {
        let properties = match &self.kind {
            Kind::Aks(aks) => WireCompute::Aks(self.render_aks(aks, cluster)),
            Kind::Other(raw) => {
                let mut raw = raw.clone();
                raw.insert("provisioningState".into(), Value::from(self.state.as_str()));
                raw.insert("createdOn".into(), Value::from(rfc3339(self.created_on)));
                raw.insert("modifiedOn".into(), Value::from(rfc3339(self.modified_on)));
                let attached = raw.get("resourceId").is_some_and(|id| !id.is_null());
                raw.entry("isAttachedCompute")
                    .or_insert(Value::from(attached));
                if !self.errors.is_empty() {
                    raw.insert(
                        "provisioningErrors".into(),
                        serde_json::to_value(&self.errors).unwrap_or_default(),
                    );
                }
                WireCompute::Other(raw)
            }
        };
        ComputeResource {
            id: Some(format!(
                "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/{}/computes/{}",
                names.subscription, names.resource_group, names.workspace, self.name
            )),
            name: Some(self.name.clone()),
            type_: Some(COMPUTE_TYPE.into()),
            location: Some(self.location.clone()),
            tags: self.tags.clone(),
            sku: self.sku.clone(),
            identity: self.identity.clone(),
            properties: Some(properties),
            ..Default::default()
        }
    }

    fn render_aks(&self, aks: &Aks, cluster: Option<&Cluster>) -> AksCompute {
        let mut settings = aks.settings.clone();
        // R13: the node count of the pool AML deploys to, as it is now (the pool may have been
        // scaled through ContainerService).
        if let Some(pool) = cluster.and_then(Cluster::deploy_pool) {
            settings.agent_count = Some(pool.count);
        }
        if let Some(ssl) = &mut settings.ssl_configuration {
            ssl.key = None;
        }
        settings.cluster_fqdn = Some(aks.fqdn.clone());
        settings.system_services = (self.state == ProvisioningState::Succeeded).then(|| {
            vec![SystemService {
                system_service_type: Some("ScoringFrontEnd".into()),
                public_ip_address: Some(aks.scoring_ip.clone()),
                version: Some("1.0".into()),
                ..Default::default()
            }]
        });
        AksCompute {
            compute_location: Some(aks.compute_location.clone()),
            provisioning_state: Some(self.state.clone()),
            description: self.description.clone(),
            created_on: Some(rfc3339(self.created_on)),
            modified_on: Some(rfc3339(self.modified_on)),
            resource_id: Some(aks.resource_id.clone()),
            provisioning_errors: (!self.errors.is_empty()).then(|| self.errors.clone()),
            is_attached_compute: Some(aks.attached),
            disable_local_auth: Some(aks.disable_local_auth.unwrap_or(false)),
            properties: Some(settings),
            ..Default::default()
        }
    }
}

impl State {
    /// A compute's GET body, with its cluster as it is now.
    fn render_compute(&self, compute: &Compute, names: &Names) -> ComputeResource {
        compute.render(
            names,
            compute.cluster().and_then(|cluster| self.cluster(cluster)),
        )
    }

    /// The stored spellings of a workspace's names, or 404.
    pub(crate) fn names(&self, path: &WorkspacePath<'_>) -> Result<Names, ArmError> {
        let subscription = self.subscription(path.subscription)?;
        let group = self.group(path.subscription, path.resource_group)?;
        let workspace = self.workspace(path)?;
        Ok(Names {
            subscription: subscription.id.clone(),
            resource_group: group.name.clone(),
            workspace: workspace.name.clone(),
            location: workspace.location.clone(),
        })
    }

    /// `GET .../workspaces/{ws}`.
    pub(crate) fn workspace_get(&self, path: &WorkspacePath<'_>) -> Result<Value, ArmError> {
        let names = self.names(path)?;
        Ok(serde_json::json!({
            "id": format!(
                "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/{}",
                names.subscription, names.resource_group, names.workspace
            ),
            "name": names.workspace,
            "type": "Microsoft.MachineLearningServices/workspaces",
            "location": names.location,
            "sku": {"name": "Basic", "tier": "Basic"},
            "properties": {
                "friendlyName": names.workspace,
                "provisioningState": "Succeeded",
            },
        }))
    }

    /// `GET .../computes/{name}`.
    pub(crate) fn compute_get(
        &self,
        path: &WorkspacePath<'_>,
        name: &str,
    ) -> Result<ComputeResource, ArmError> {
        let names = self.names(path)?;
        self.workspace(path)?
            .computes
            .get(&key(name))
            .map(|compute| self.render_compute(compute, &names))
            .ok_or_else(|| compute_not_found(path, name))
    }

    /// `GET .../computes`: one page of at most `page_size` computes after the `$skip` token,
    /// and the token of the next page if there is one.
    pub(crate) fn compute_list(
        &self,
        path: &WorkspacePath<'_>,
        after: Option<&str>,
        page_size: usize,
    ) -> Result<(Vec<ComputeResource>, Option<String>), ArmError> {
        let names = self.names(path)?;
        let computes = &self.workspace(path)?.computes;
        let mut rest = computes
            .iter()
            .filter(|(name, _)| after.is_none_or(|after| name.as_str() > after));
        let page: Vec<(&String, &Compute)> = rest.by_ref().take(page_size.max(1)).collect();
        let next = match (page.last(), rest.next()) {
            (Some((last, _)), Some(_)) => Some((*last).clone()),
            _ => None,
        };
        Ok((
            page.into_iter()
                .map(|(_, compute)| self.render_compute(compute, &names))
                .collect(),
            next,
        ))
    }

    /// `POST .../computes/{name}/listNodes`: the nodes of an AmlCompute (none are emulated);
    /// AKS computes have no such list.
    pub(crate) fn compute_nodes(
        &self,
        path: &WorkspacePath<'_>,
        name: &str,
    ) -> Result<Value, ArmError> {
        let compute = self
            .workspace(path)?
            .computes
            .get(&key(name))
            .ok_or_else(|| compute_not_found(path, name))?;
        match &compute.kind {
            Kind::Aks(_) => Err(ArmError::bad_request(
                "listNodes lists the nodes of an AmlCompute; an AKS compute's nodes are its \
                 cluster's (see its managed cluster's agent pools).",
            )),
            Kind::Other(_) => Ok(serde_json::json!({ "nodes": [] })),
        }
    }

    /// `POST .../computes/{name}/listKeys`.
    pub(crate) fn compute_keys(
        &self,
        path: &WorkspacePath<'_>,
        name: &str,
    ) -> Result<AksComputeSecrets, ArmError> {
        let compute = self
            .workspace(path)?
            .computes
            .get(&key(name))
            .ok_or_else(|| compute_not_found(path, name))?;
        match &compute.kind {
            Kind::Aks(aks) => {
                let cluster = self.cluster(&aks.cluster).ok_or_else(|| {
                    ArmError::new(
                        404,
                        "ResourceNotFound",
                        format!(
                            "The AKS cluster of compute '{}' no longer exists.",
                            compute.name
                        ),
                    )
                })?;
                Ok(AksComputeSecrets {
                    compute_type: Some(ComputeType::Aks),
                    user_kube_config: Some(Kubeconfig::new(cluster.kubeconfig(false))),
                    admin_kube_config: Some(Kubeconfig::new(cluster.kubeconfig(true))),
                    image_pull_secret_name: Some("azureml-acr-pull".into()),
                    ..Default::default()
                })
            }
            Kind::Other(raw) => Ok(AksComputeSecrets {
                compute_type: compute_type_of(raw),
                ..Default::default()
            }),
        }
    }
}

impl State {
    /// Everything the emulator holds, as JSON: subscriptions, resource groups, workspaces with
    /// their computes (as GET shows them) and clusters (likewise).
    pub(crate) fn snapshot(&self) -> Value {
        let subscriptions: Vec<Value> = self
            .subscriptions
            .values()
            .map(|subscription| {
                let groups: Vec<Value> = subscription
                    .groups
                    .values()
                    .map(|group| {
                        let workspaces: Vec<Value> = group
                            .workspaces
                            .values()
                            .map(|workspace| {
                                let names = Names {
                                    subscription: subscription.id.clone(),
                                    resource_group: group.name.clone(),
                                    workspace: workspace.name.clone(),
                                    location: workspace.location.clone(),
                                };
                                let computes: Vec<ComputeResource> = workspace
                                    .computes
                                    .values()
                                    .map(|compute| self.render_compute(compute, &names))
                                    .collect();
                                serde_json::json!({
                                    "name": workspace.name,
                                    "location": workspace.location,
                                    "computes": computes,
                                })
                            })
                            .collect();
                        let clusters: Vec<_> =
                            group.clusters.values().map(Cluster::render).collect();
                        serde_json::json!({
                            "name": group.name,
                            "workspaces": workspaces,
                            "clusters": clusters,
                        })
                    })
                    .collect();
                serde_json::json!({"id": subscription.id, "resourceGroups": groups})
            })
            .collect();
        serde_json::json!({
            "subscriptions": subscriptions,
            "pendingOperations": self.pending.len(),
        })
    }
}
