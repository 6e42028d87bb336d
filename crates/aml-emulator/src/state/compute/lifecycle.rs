//! Creating, attaching, deleting and PATCHing computes: PUT dispatches to create, attach or
//! [`update`](super::update), with the rules checked before anything changes (R8, R9, R14, R18).

use std::str::FromStr;

use aml_model::AksClusterId;
use aml_model::request::UnderlyingResourceAction;
use aml_model::wire::{
    AgentPoolMode, AksCompute, ClusterPurpose, Compute as WireCompute, ComputeResource,
    LoadBalancerSku, LoadBalancerType, ProvisioningState,
};
use serde_json::{Map, Value};

use super::endpoint::{fill_leaf_domain, scoring_ip, take_renew};
use super::rules::{check_name, check_purpose, check_settings, rejected};
use super::{
    Aks, Compute, DEFAULT_AGENT_COUNT, DEFAULT_VM_SIZE, Kind, Names, busy, compute_key,
    compute_not_found,
};
use crate::arm_error::{ArmError, detail};
use crate::regions;
use crate::state::cluster::{Pool, cluster_not_found};
use crate::state::operation::{Ending, OperationKind};
use crate::state::{Cluster, ClusterKey, Ctx, OperationRef, State, WorkspacePath, key};

impl State {
    /// `PUT .../computes/{name}`: create, attach or update. Returns the body, the operation,
    /// and whether the compute is new.
    pub(crate) fn compute_put(
        &mut self,
        ctx: &Ctx<'_>,
        path: &WorkspacePath<'_>,
        name: &str,
        body: &ComputeResource,
    ) -> Result<(ComputeResource, OperationRef, bool), ArmError> {
        let names = self.names(path)?;
        let Some(properties) = body.properties.clone() else {
            return Err(
                ArmError::invalid_content("properties is required").with_target("properties")
            );
        };
        let existing = self.workspace(path)?.computes.get(&key(name)).cloned();
        let (reference, created) = match (existing, properties) {
            (Some(existing), properties) => (
                self.update(ctx, path, &names, existing, body, properties)?,
                false,
            ),
            (None, properties) => {
                check_name(name)?;
                let reference = match properties {
                    WireCompute::Aks(aks) if aks.resource_id.is_some() => {
                        self.attach(ctx, path, &names, name, body, &aks)?
                    }
                    WireCompute::Aks(aks) => self.create(ctx, path, &names, name, body, &aks)?,
                    WireCompute::Other(raw) => {
                        self.create_other(ctx, path, &names, name, body, raw)?
                    }
                };
                (reference, true)
            }
        };
        Ok((self.compute_get(path, name)?, reference, created))
    }

    /// Stores a new compute and starts its operation.
    fn insert(
        &mut self,
        ctx: &Ctx<'_>,
        path: &WorkspacePath<'_>,
        names: &Names,
        mut compute: Compute,
        kind: OperationKind,
        planned: Ending,
    ) -> Result<OperationRef, ArmError> {
        let target = compute_key(path, &compute.name);
        let reference = self.start_operation(
            ctx,
            &names.subscription,
            &names.location,
            kind,
            target.clone(),
            planned,
        );
        compute.operation = Some(reference.id.clone());
        self.workspace_mut(path)?
            .computes
            .insert(target.name, compute);
        Ok(reference)
    }

    fn new_compute(
        ctx: &Ctx<'_>,
        name: &str,
        body: &ComputeResource,
        location: String,
        kind: Kind,
    ) -> Compute {
        let description = match &body.properties {
            Some(WireCompute::Aks(aks)) => aks.description.clone(),
            _ => None,
        };
        Compute {
            name: name.to_owned(),
            location,
            description,
            tags: body.tags.clone(),
            identity: body.identity.clone(),
            sku: body.sku.clone(),
            kind,
            state: ProvisioningState::Creating,
            errors: Vec::new(),
            created_on: ctx.time,
            modified_on: ctx.time,
            operation: None,
        }
    }

    /// A new compute with a new managed cluster (R1).
    fn create(
        &mut self,
        ctx: &Ctx<'_>,
        path: &WorkspacePath<'_>,
        names: &Names,
        name: &str,
        body: &ComputeResource,
        aks: &AksCompute,
    ) -> Result<OperationRef, ArmError> {
        let mut settings = aks.properties.clone().unwrap_or_default();
        // A new compute gets a new certificate anyway: `renew` means nothing here.
        if let Some(ssl) = &mut settings.ssl_configuration {
            take_renew(ssl)?;
        }
        let location = aks
            .compute_location
            .clone()
            .or_else(|| body.location.clone())
            .unwrap_or_else(|| names.location.clone());
        let count = *settings.agent_count.get_or_insert(DEFAULT_AGENT_COUNT);
        let vm_size = settings
            .agent_vm_size
            .get_or_insert_with(|| DEFAULT_VM_SIZE.to_owned())
            .clone();
        let purpose = settings
            .cluster_purpose
            .get_or_insert(ClusterPurpose::FastProd)
            .clone();
        settings
            .load_balancer_type
            .get_or_insert(LoadBalancerType::PublicIp);
        let vcpus = aml_model::vm_size::lookup(&vm_size).map(|size| size.vcpus * count);
        let mut problems = check_purpose(&purpose, count, vcpus, &format!("{count} x {vm_size}"));
        problems.extend(check_settings(&settings));
        rejected(problems)?;
        fill_leaf_domain(&mut settings, &location, ctx);

        let version = self
            .versions
            .default_patch(&location)
            .unwrap_or("1.30.5")
            .to_owned();
        let cluster_name = format!(
            "{name}-{}-{}",
            10_000 + ctx.ids.next_u64() % 90_000,
            ctx.ids.hex(13)
        );
        let id = AksClusterId::new(
            names.subscription.as_str(),
            names.resource_group.as_str(),
            cluster_name.as_str(),
        )
        .map_err(|error| ArmError::bad_request(error.to_string()))?;
        let pool = Pool::new("agentpool", count, &vm_size, AgentPoolMode::System);
        let mut cluster = Cluster::new(id, &location, &version, vec![pool], ctx.ids);
        cluster.provisioning_state = ProvisioningState::Creating;
        cluster.created_by = Some(compute_key(path, name));
        let cluster_key = ClusterKey::of(&cluster.id);
        let aks_state = Aks {
            cluster: cluster_key.clone(),
            resource_id: cluster.id_text(),
            attached: false,
            compute_location: location,
            fqdn: cluster.fqdn.clone(),
            disable_local_auth: aks.disable_local_auth,
            scoring_ip: scoring_ip(
                settings.load_balancer_type == Some(LoadBalancerType::InternalLoadBalancer),
                ctx,
            ),
            settings,
        };
        if let Some(group) = self
            .subscriptions
            .get_mut(&cluster_key.subscription)
            .and_then(|subscription| subscription.groups.get_mut(&cluster_key.resource_group))
        {
            group.clusters.insert(cluster_key.name.clone(), cluster);
        }
        let compute = Self::new_compute(
            ctx,
            name,
            body,
            body.location
                .clone()
                .unwrap_or_else(|| names.location.clone()),
            Kind::Aks(Box::new(aks_state)),
        );
        self.insert(
            ctx,
            path,
            names,
            compute,
            OperationKind::Create,
            Ending::Succeeded,
        )
    }

    /// A new compute on an existing cluster (R2), with R9, R8, R18 checked now and R14 when
    /// the operation ends.
    fn attach(
        &mut self,
        ctx: &Ctx<'_>,
        path: &WorkspacePath<'_>,
        names: &Names,
        name: &str,
        body: &ComputeResource,
        aks: &AksCompute,
    ) -> Result<OperationRef, ArmError> {
        let text = aks.resource_id.clone().unwrap_or_default();
        let id = AksClusterId::from_str(&text).map_err(|error| {
            ArmError::bad_request(format!(
                "resourceId '{text}' is not the id of an AKS managed cluster: {error}."
            ))
            .with_target("properties.resourceId")
        })?;
        if key(id.subscription_id()) != key(path.subscription) {
            return Err(ArmError::bad_request(format!(
                "The AKS cluster must be in the same subscription as the workspace: the cluster is \
                 in subscription '{}', the workspace in '{}'.",
                id.subscription_id(),
                names.subscription
            ))
            .with_target("properties.resourceId"));
        }
        let cluster_key = ClusterKey::of(&id);
        let cluster = self
            .cluster(&cluster_key)
            .ok_or_else(|| cluster_not_found(id.resource_group(), id.name()))?
            .clone();
        let mut settings = aks.properties.clone().unwrap_or_default();
        // A new compute gets a new certificate anyway: `renew` means nothing here.
        if let Some(ssl) = &mut settings.ssl_configuration {
            take_renew(ssl)?;
        }
        let purpose = settings
            .cluster_purpose
            .get_or_insert(ClusterPurpose::FastProd)
            .clone();
        let what = format!("cluster '{}' ({})", cluster.id.name(), cluster.pools_text());
        let mut problems = check_purpose(&purpose, cluster.node_count(), cluster.vcpus(), &what);
        problems.extend(check_settings(&settings));
        rejected(problems)?;
        // The compute reports the pool AML deploys to (R13).
        settings.agent_count = cluster.deploy_pool().map(|pool| pool.count);
        settings.agent_vm_size = cluster.deploy_pool().map(|pool| pool.vm_size.clone());
        settings
            .load_balancer_type
            .get_or_insert(LoadBalancerType::PublicIp);
        fill_leaf_domain(&mut settings, &cluster.location, ctx);
        let planned = match self.version_check(&cluster) {
            Ending::Succeeded => reachability_check(&cluster, &names.location),
            failed => failed,
        };
        let aks_state = Aks {
            cluster: cluster_key,
            resource_id: text,
            attached: true,
            compute_location: cluster.location.clone(),
            fqdn: cluster.fqdn.clone(),
            scoring_ip: scoring_ip(
                settings.load_balancer_type == Some(LoadBalancerType::InternalLoadBalancer),
                ctx,
            ),
            settings,
            disable_local_auth: aks.disable_local_auth,
        };
        let location = body
            .location
            .clone()
            .unwrap_or_else(|| names.location.clone());
        let compute = Self::new_compute(ctx, name, body, location, Kind::Aks(Box::new(aks_state)));
        self.insert(ctx, path, names, compute, OperationKind::Attach, planned)
    }

    /// R14: an attachment of a cluster whose version the location does not support fails.
    pub(super) fn version_check(&self, cluster: &Cluster) -> Ending {
        if self
            .versions
            .supports(&cluster.location, &cluster.kubernetes_version)
        {
            return Ending::Succeeded;
        }
        let message = format!(
            "Specified kubernetes version {} is not supported. Supported versions are {}.",
            cluster.kubernetes_version,
            self.versions.supported_list(&cluster.location)
        );
        let mut error = detail("BadRequest", message.clone());
        error.details = Some(vec![detail("UnsupportedKubernetesVersion", message)]);
        Ending::Failed(400, error)
    }

    /// A compute of another type: stored as sent, provisioned without rules.
    fn create_other(
        &mut self,
        ctx: &Ctx<'_>,
        path: &WorkspacePath<'_>,
        names: &Names,
        name: &str,
        body: &ComputeResource,
        raw: Map<String, Value>,
    ) -> Result<OperationRef, ArmError> {
        let location = body
            .location
            .clone()
            .unwrap_or_else(|| names.location.clone());
        let compute = Self::new_compute(ctx, name, body, location, Kind::Other(raw));
        self.insert(
            ctx,
            path,
            names,
            compute,
            OperationKind::Create,
            Ending::Succeeded,
        )
    }

    /// `DELETE .../computes/{name}?underlyingResourceAction=...`: `None` when there was nothing
    /// to delete (204).
    pub(crate) fn compute_delete(
        &mut self,
        ctx: &Ctx<'_>,
        path: &WorkspacePath<'_>,
        name: &str,
        action: UnderlyingResourceAction,
    ) -> Result<Option<OperationRef>, ArmError> {
        let names = self.names(path)?;
        let Some(compute) = self.workspace(path)?.computes.get(&key(name)).cloned() else {
            return Ok(None);
        };
        let delete_cluster = match (&compute.kind, action) {
            (Kind::Aks(aks), UnderlyingResourceAction::Delete) if aks.attached => {
                return Err(ArmError::bad_request(format!(
                    "Compute '{}' is an attached AKS cluster: underlyingResourceAction 'Delete' \
                     would delete a cluster the workspace did not create. Use 'Detach'.",
                    compute.name
                ))
                .with_target("underlyingResourceAction"));
            }
            (Kind::Aks(_), UnderlyingResourceAction::Delete) => true,
            _ => false,
        };
        if let Some(running) = &compute.operation {
            let operation = self.operations.get(running);
            if let Some(operation) =
                operation.filter(|operation| matches!(operation.kind, OperationKind::Delete { .. }))
            {
                return Ok(Some(operation.reference()));
            }
            self.finish(&running.clone(), Some(Ending::Canceled), ctx.time);
        }
        let target = compute_key(path, name);
        let reference = self.start_operation(
            ctx,
            &names.subscription,
            &names.location,
            OperationKind::Delete { delete_cluster },
            target.clone(),
            Ending::Succeeded,
        );
        if let Some(compute) = self.compute_mut(&target) {
            compute.state = ProvisioningState::Deleting;
            compute.modified_on = ctx.time;
            compute.operation = Some(reference.id.clone());
        }
        Ok(Some(reference))
    }

    /// `PATCH .../computes/{name}`: the swagger's `ClusterUpdateParameters`, which only scales
    /// an AmlCompute (`properties.properties.scaleSettings`).
    pub(crate) fn compute_patch(
        &mut self,
        ctx: &Ctx<'_>,
        path: &WorkspacePath<'_>,
        name: &str,
        body: &Value,
    ) -> Result<(ComputeResource, OperationRef), ArmError> {
        let names = self.names(path)?;
        let mut compute = self
            .workspace(path)?
            .computes
            .get(&key(name))
            .cloned()
            .ok_or_else(|| compute_not_found(path, name))?;
        let Some(scale) = body
            .pointer("/properties/properties/scaleSettings")
            .filter(|value| value.is_object())
        else {
            return Err(ArmError::invalid_content(
                "a PATCH body is {\"properties\": {\"properties\": {\"scaleSettings\": {...}}}}",
            )
            .with_target("properties.properties.scaleSettings"));
        };
        if compute.operation.is_some() {
            return Err(busy(&compute));
        }
        let Kind::Other(raw) = &mut compute.kind else {
            return Err(ArmError::bad_request(
                "PATCH updates the scaleSettings of an AmlCompute only. Update an AKS compute with \
                 PUT (agentCount, sslConfiguration, loadBalancerType, loadBalancerSubnet); scale its \
                 cluster with AKS.",
            )
            .with_target("properties.properties.scaleSettings"));
        };
        let inner = raw
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if !inner.is_object() {
            *inner = Value::Object(Map::new());
        }
        if let Some(inner) = inner.as_object_mut() {
            inner.insert("scaleSettings".into(), scale.clone());
        }
        let target = compute_key(path, name);
        let reference = self.start_operation(
            ctx,
            &names.subscription,
            &names.location,
            OperationKind::Update,
            target.clone(),
            Ending::Succeeded,
        );
        compute.state = ProvisioningState::Updating;
        compute.modified_on = ctx.time;
        compute.operation = Some(reference.id.clone());
        self.workspace_mut(path)?
            .computes
            .insert(target.name, compute);
        Ok((self.compute_get(path, name)?, reference))
    }
}

/// The emulator's model of the guide's "deployments fail" when a cluster's authorized IP ranges
/// shut out the Azure Machine Learning control plane: the attachment fails (its operation ends
/// `Failed`) when the ranges do not admit every IPv4 prefix of the `AzureMachineLearning`
/// service tags of the workspace's region and of its paired region (the emulator's synthetic
/// prefixes, [`crate::service_tags::control_plane_prefixes`]).
///
/// Not checked: clusters without authorized ranges; ranges on a Basic load balancer (AKS
/// refuses to make one, so only a seed holds one, and its ranges are not in force); private
/// clusters; workspaces in a region the emulator does not know.
fn reachability_check(cluster: &Cluster, workspace_location: &str) -> Ending {
    let ranges = &cluster.authorized_ip_ranges;
    if ranges.is_empty()
        || cluster.private
        || cluster.load_balancer_sku != LoadBalancerSku::Standard
    {
        return Ending::Succeeded;
    }
    let (Some(region), Some(required)) = (
        regions::find(workspace_location),
        crate::service_tags::control_plane_prefixes(workspace_location),
    ) else {
        return Ending::Succeeded;
    };
    let missing = crate::cidr::not_admitted(ranges, &required);
    if missing.is_empty() {
        return Ending::Succeeded;
    }
    let mut tags = vec![format!("AzureMachineLearning.{}", region.tag_name)];
    if let Some(pair) = region.paired_region.and_then(regions::find) {
        tags.push(format!("AzureMachineLearning.{}", pair.tag_name));
    }
    let message = format!(
        "The Azure Machine Learning control plane cannot reach the API server of AKS cluster \
         '{}': its authorized IP ranges ({}) do not admit the prefixes of service tags {} \
         (the workspace's region and its paired region). Missing: {}. Add them to \
         apiServerAccessProfile.authorizedIPRanges of the cluster, then attach again.",
        cluster.id.name(),
        ranges.join(", "),
        tags.join(" and "),
        missing.join(", ")
    );
    let mut error = detail("BadRequest", message.clone());
    error.details = Some(vec![detail("ApiServerNotReachable", message)]);
    Ending::Failed(400, error)
}
