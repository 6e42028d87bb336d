//! Computes (`.../workspaces/{ws}/computes/{name}`): create, attach, update, delete, PATCH,
//! listKeys, GET and list, with the service's rules (R8, R9, R10, R11, R14, R18).

use std::collections::BTreeMap;
use std::str::FromStr;

use aml_model::wire::{
    AksCompute, AksComputeSecrets, AksProperties, ClusterPurpose, Compute as WireCompute,
    ComputeResource, ComputeType, ErrorResponse, LoadBalancerType, ManagedServiceIdentity,
    ProvisioningState, Sku, SslConfigStatus, SslConfiguration, SystemService,
};
use aml_model::{AksClusterId, Kubeconfig};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use self::rules::{
    already_exists, check_name, check_purpose, check_settings, created_again, rejected,
};
use super::cluster::{Pool, cluster_not_found};
use super::operation::{Ending, OperationKind};
use crate::arm_error::{ArmError, detail};
use crate::state::{Cluster, ClusterKey, ComputeKey, Ctx, OperationRef, State, WorkspacePath, key};
use crate::versions::normalize_location;

mod rules;

/// The compute resource type.
const COMPUTE_TYPE: &str = "Microsoft.MachineLearningServices/workspaces/computes";
/// The VM size the service uses when a create gives none.
const DEFAULT_VM_SIZE: &str = "Standard_D3_v2";
/// The node count the service uses when a create gives none.
const DEFAULT_AGENT_COUNT: u32 = 3;

/// `underlyingResourceAction` of a DELETE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeleteAction {
    /// Remove the compute and the cluster the workspace created.
    Delete,
    /// Remove the compute only.
    Detach,
}

impl DeleteAction {
    /// Reads the query value, ignoring case (the Python SDK sends `detach` and `delete`).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        if text.eq_ignore_ascii_case("delete") {
            Some(Self::Delete)
        } else if text.eq_ignore_ascii_case("detach") {
            Some(Self::Detach)
        } else {
            None
        }
    }
}

/// An AKS compute's own state.
#[derive(Debug, Clone)]
pub(crate) struct Aks {
    cluster: ClusterKey,
    /// The `resourceId` as the compute reports it.
    resource_id: String,
    attached: bool,
    compute_location: String,
    /// The settings, TLS key included (never rendered).
    settings: AksProperties,
    disable_local_auth: Option<bool>,
    fqdn: String,
    scoring_ip: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Aks(Box<Aks>),
    /// Any other compute type: its `properties` object, verbatim.
    Other(Map<String, Value>),
}

/// One compute.
#[derive(Debug, Clone)]
pub(crate) struct Compute {
    name: String,
    location: String,
    description: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    identity: Option<ManagedServiceIdentity>,
    sku: Option<Sku>,
    kind: Kind,
    pub(crate) state: ProvisioningState,
    pub(crate) errors: Vec<ErrorResponse>,
    created_on: OffsetDateTime,
    pub(crate) modified_on: OffsetDateTime,
    /// The operation in progress on it, if any.
    pub(crate) operation: Option<String>,
}

/// The stored spellings of a workspace's subscription, resource group and name.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    subscription: String,
    resource_group: String,
    workspace: String,
    location: String,
}

fn rfc3339(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap_or_default()
}

impl Compute {
    /// The cluster an AKS compute runs on.
    pub(crate) fn cluster(&self) -> Option<&ClusterKey> {
        match &self.kind {
            Kind::Aks(aks) => Some(&aks.cluster),
            Kind::Other(_) => None,
        }
    }

    /// The GET body.
    pub(crate) fn render(&self, names: &Names) -> ComputeResource {
        let properties = match &self.kind {
            Kind::Aks(aks) => WireCompute::Aks(self.render_aks(aks)),
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

    fn render_aks(&self, aks: &Aks) -> AksCompute {
        let mut settings = aks.settings.clone();
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

/// 404 for a compute.
fn compute_not_found(path: &WorkspacePath<'_>, name: &str) -> ArmError {
    ArmError::resource_not_found(
        &format!(
            "Microsoft.MachineLearningServices/workspaces/{}/computes/{name}",
            path.workspace
        ),
        path.resource_group,
    )
}

/// 409 while an operation runs.
fn busy(compute: &Compute) -> ArmError {
    ArmError::conflict(format!(
        "Compute '{}' is in provisioning state '{}': wait for the running operation to finish.",
        compute.name, compute.state
    ))
}

impl State {
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
            .map(|compute| compute.render(&names))
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
                .map(|(_, compute)| compute.render(&names))
                .collect(),
            next,
        ))
    }

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
        let pool = Pool {
            name: "agentpool".into(),
            count,
            vm_size,
            mode: aml_model::wire::AgentPoolMode::System,
        };
        let mut cluster = Cluster::new(id, &location, &version, vec![pool], ctx.ids);
        cluster.provisioning_state = "Creating";
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
        settings.agent_count = Some(cluster.node_count());
        settings.agent_vm_size = cluster.pools.first().map(|pool| pool.vm_size.clone());
        settings
            .load_balancer_type
            .get_or_insert(LoadBalancerType::PublicIp);
        fill_leaf_domain(&mut settings, &cluster.location, ctx);
        let planned = self.version_check(&cluster);
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
    fn version_check(&self, cluster: &Cluster) -> Ending {
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

    /// A PUT on an existing compute: an update when only mutable settings differ, R11
    /// otherwise.
    fn update(
        &mut self,
        ctx: &Ctx<'_>,
        path: &WorkspacePath<'_>,
        names: &Names,
        existing: Compute,
        body: &ComputeResource,
        properties: WireCompute,
    ) -> Result<OperationRef, ArmError> {
        if existing.operation.is_some() {
            return Err(busy(&existing));
        }
        let mut compute = existing;
        match (&mut compute.kind, properties) {
            (Kind::Aks(stored), WireCompute::Aks(new)) => {
                let changed_count = Self::update_aks(
                    ctx,
                    names,
                    &compute.name,
                    &compute.location,
                    stored,
                    body,
                    &new,
                )?;
                if let Some(count) = changed_count
                    && let Some(cluster) = self.cluster_mut(&stored.cluster)
                {
                    let others: u32 = cluster.pools.iter().skip(1).map(|pool| pool.count).sum();
                    if let Some(pool) = cluster.pools.first_mut() {
                        pool.count = count.saturating_sub(others).max(1);
                    }
                }
                if let Some(description) = new.description {
                    compute.description = Some(description);
                }
            }
            (Kind::Other(raw), WireCompute::Other(new))
                if raw
                    .get("computeType")
                    .and_then(Value::as_str)
                    .map(ComputeType::parse)
                    == new
                        .get("computeType")
                        .and_then(Value::as_str)
                        .map(ComputeType::parse) =>
            {
                *raw = new;
            }
            (kind, new) => {
                let old_type = match kind {
                    Kind::Aks(_) => ComputeType::Aks,
                    Kind::Other(raw) => raw
                        .get("computeType")
                        .and_then(Value::as_str)
                        .map_or(ComputeType::Unknown(String::new()), ComputeType::parse),
                };
                return Err(already_exists(
                    names,
                    &compute.name,
                    &[format!(
                        "computeType ('{old_type}', not '{}')",
                        new.compute_type()
                    )],
                ));
            }
        }
        if let Some(tags) = &body.tags {
            compute.tags = Some(tags.clone());
        }
        let target = compute_key(path, &compute.name);
        let planned = match compute.cluster().and_then(|cluster| self.cluster(cluster)) {
            Some(cluster) if matches!(&compute.kind, Kind::Aks(aks) if aks.attached) => {
                self.version_check(cluster)
            }
            _ => Ending::Succeeded,
        };
        let reference = self.start_operation(
            ctx,
            &names.subscription,
            &names.location,
            OperationKind::Update,
            target.clone(),
            planned,
        );
        compute.state = ProvisioningState::Updating;
        compute.modified_on = ctx.time;
        compute.operation = Some(reference.id.clone());
        self.workspace_mut(path)?
            .computes
            .insert(target.name, compute);
        Ok(reference)
    }

    /// Checks and merges an AKS update into `stored`; returns the new node count if it changed.
    fn update_aks(
        ctx: &Ctx<'_>,
        names: &Names,
        name: &str,
        location: &str,
        stored: &mut Aks,
        body: &ComputeResource,
        new: &AksCompute,
    ) -> Result<Option<u32>, ArmError> {
        // R11. Which PUTs on a taken name are updates:
        // (a) no `resourceId`: a create (what the SDK, the CLI, the studio and a create template
        //     send), refused whatever else the body says;
        // (b) a `resourceId` naming another cluster (ARM ids compare ignoring case): an
        //     attachment of a different cluster, refused;
        // (c) the body of a GET, modified, with the same `resourceId`: an update;
        // (d) an attach body with the same `resourceId` (a re-deployed attach template): an
        //     update too, under the same rules as (c). The service cannot tell it from (c): the
        //     swagger's own "Update an AKS Compute" example is exactly such a body (resourceId,
        //     computeType, agentCount; no read-only field), and the read-only fields cannot be
        //     the mark, since the Python SDK v1 sends them back in its updates and this
        //     library's `update_body` drops them. Settings that cannot change still make it a
        //     409 below.
        let Some(text) = &new.resource_id else {
            return Err(created_again(names, name));
        };
        let wanted = new.properties.clone().unwrap_or_default();
        let mut differences = Vec::new();
        let same_cluster =
            AksClusterId::from_str(text).is_ok_and(|id| ClusterKey::of(&id) == stored.cluster);
        if !same_cluster {
            differences.push(format!("properties.resourceId ('{text}')"));
        }
        if let Some(wanted_location) = &new.compute_location
            && normalize_location(wanted_location) != normalize_location(&stored.compute_location)
        {
            differences.push(format!("properties.computeLocation ('{wanted_location}')"));
        }
        if let Some(wanted_location) = &body.location
            && normalize_location(wanted_location) != normalize_location(location)
        {
            differences.push(format!("location ('{wanted_location}')"));
        }
        let current = &stored.settings;
        if let Some(size) = &wanted.agent_vm_size
            && !current
                .agent_vm_size
                .as_deref()
                .is_some_and(|old| old.eq_ignore_ascii_case(size))
        {
            differences.push(format!("properties.properties.agentVmSize ('{size}')"));
        }
        if let Some(purpose) = &wanted.cluster_purpose
            && Some(purpose) != current.cluster_purpose.as_ref()
        {
            differences.push(format!(
                "properties.properties.clusterPurpose ('{purpose}')"
            ));
        }
        if let Some(network) = &wanted.aks_networking_configuration
            && Some(network) != current.aks_networking_configuration.as_ref()
        {
            differences.push("properties.properties.aksNetworkingConfiguration".to_owned());
        }
        if !differences.is_empty() {
            return Err(already_exists(names, name, &differences));
        }

        let mut merged = current.clone();
        let changed_count = wanted
            .agent_count
            .filter(|&count| Some(count) != current.agent_count);
        if let Some(count) = wanted.agent_count {
            merged.agent_count = Some(count);
        }
        // No `sslConfiguration` in an update keeps the current one: that is what the Python
        // SDK v1 and this library send when TLS does not change.
        if let Some(ssl) = wanted.ssl_configuration.clone() {
            merged.ssl_configuration = Some(updated_ssl(
                current.ssl_configuration.as_ref(),
                ssl,
                &stored.compute_location,
                ctx,
            )?);
        }
        if let Some(kind) = &wanted.load_balancer_type {
            merged.load_balancer_type = Some(kind.clone());
        }
        if let Some(subnet) = &wanted.load_balancer_subnet {
            merged.load_balancer_subnet = Some(subnet.clone());
        }
        let mut problems = Vec::new();
        if let Some(count) = changed_count {
            let purpose = merged
                .cluster_purpose
                .clone()
                .unwrap_or(ClusterPurpose::FastProd);
            let size = merged.agent_vm_size.clone().unwrap_or_default();
            let vcpus = aml_model::vm_size::lookup(&size).map(|found| found.vcpus * count);
            problems.extend(check_purpose(
                &purpose,
                count,
                vcpus,
                &format!("{count} x {size}"),
            ));
        }
        problems.extend(check_settings(&merged));
        rejected(problems)?;
        let internal = |settings: &AksProperties| {
            settings.load_balancer_type == Some(LoadBalancerType::InternalLoadBalancer)
        };
        if internal(&merged) != internal(current) {
            stored.scoring_ip = scoring_ip(internal(&merged), ctx);
        }
        stored.settings = merged;
        Ok(changed_count)
    }

    /// `DELETE .../computes/{name}?underlyingResourceAction=...`: `None` when there was nothing
    /// to delete (204).
    pub(crate) fn compute_delete(
        &mut self,
        ctx: &Ctx<'_>,
        path: &WorkspacePath<'_>,
        name: &str,
        action: DeleteAction,
    ) -> Result<Option<OperationRef>, ArmError> {
        let names = self.names(path)?;
        let Some(compute) = self.workspace(path)?.computes.get(&key(name)).cloned() else {
            return Ok(None);
        };
        let delete_cluster = match (&compute.kind, action) {
            (Kind::Aks(aks), DeleteAction::Delete) if aks.attached => {
                return Err(ArmError::bad_request(format!(
                    "Compute '{}' is an attached AKS cluster: underlyingResourceAction 'Delete' \
                     would delete a cluster the workspace did not create. Use 'Detach'.",
                    compute.name
                ))
                .with_target("underlyingResourceAction"));
            }
            (Kind::Aks(_), DeleteAction::Delete) => true,
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
                compute_type: raw
                    .get("computeType")
                    .and_then(Value::as_str)
                    .map(ComputeType::parse),
                ..Default::default()
            }),
        }
    }
}

/// R17: a Microsoft-issued certificate's FQDN is `<label>` + six random characters +
/// `.<region>.cloudapp.azure.com`; it is reported as the `cname`.
fn fill_leaf_domain(settings: &mut AksProperties, location: &str, ctx: &Ctx<'_>) {
    if let Some(SslConfiguration {
        leaf_domain_label: Some(label),
        cname,
        ..
    }) = &mut settings.ssl_configuration
        && cname.is_none()
    {
        *cname = Some(leaf_domain_fqdn(label, location, ctx));
    }
}

fn leaf_domain_fqdn(label: &str, location: &str, ctx: &Ctx<'_>) -> String {
    format!(
        "{label}{}.{}.cloudapp.azure.com",
        ctx.ids.alphanumeric(6),
        normalize_location(location)
    )
}

/// Where a `renew` flag is reported.
const RENEW_TARGET: &str = "properties.properties.sslConfiguration.renew";

/// Takes `sslConfiguration.renew` out of `ssl` (it is a request, never stored or shown).
///
/// The swagger's `SslConfiguration` (2024-04-01) has no such field; the Python SDK v1 sends
/// `"renew": true` on the current configuration to renew a Microsoft-issued certificate
/// (`AksCompute._build_update_payload`), so the emulator understands it.
fn take_renew(ssl: &mut SslConfiguration) -> Result<bool, ArmError> {
    match ssl.extra.remove("renew") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(renew)) => Ok(renew),
        Some(other) => Err(ArmError::invalid_content(format!(
            "sslConfiguration.renew must be true or false, not {other}"
        ))
        .with_target(RENEW_TARGET)),
    }
}

/// The TLS configuration after an update that sends `ssl`, given the `current` one.
///
/// - A block without a key for the current certificate keeps the key (a GET-modify-PUT: GET
///   never shows the key).
/// - `renew` re-issues the Microsoft certificate of an `Auto` configuration: the current label
///   (unless the block names another) and its domain are kept. Renewing anything else is a 400.
/// - A Microsoft certificate for the current label keeps the current domain; a new label gets a
///   new one (R17).
fn updated_ssl(
    current: Option<&SslConfiguration>,
    mut ssl: SslConfiguration,
    location: &str,
    ctx: &Ctx<'_>,
) -> Result<SslConfiguration, ArmError> {
    let renew = take_renew(&mut ssl)?;
    if renew {
        let current_label = current
            .filter(|old| old.status == Some(SslConfigStatus::Auto))
            .and_then(|old| old.leaf_domain_label.clone());
        let asked_other = ssl
            .status
            .as_ref()
            .is_some_and(|status| *status != SslConfigStatus::Auto);
        let Some(label) = current_label.filter(|_| !asked_other) else {
            return Err(ArmError::bad_request(
                "sslConfiguration.renew renews a Microsoft-issued certificate: the compute's TLS \
                 status must be 'Auto' with a leafDomainLabel, and the update's status 'Auto' or \
                 absent. To replace a custom certificate, send the new cert, key and cname.",
            )
            .with_target(RENEW_TARGET));
        };
        ssl.status = Some(SslConfigStatus::Auto);
        ssl.leaf_domain_label.get_or_insert(label);
        ssl.cert = None;
        ssl.key = None;
    }
    if ssl.key.is_none()
        && let Some(old) = current
        && old.cert.is_some()
        && old.cert == ssl.cert
    {
        ssl.key.clone_from(&old.key);
    }
    if ssl.status != Some(SslConfigStatus::Disabled)
        && let Some(label) = ssl.leaf_domain_label.clone()
    {
        let same_domain = current
            .filter(|old| {
                old.leaf_domain_label
                    .as_deref()
                    .is_some_and(|old_label| old_label.eq_ignore_ascii_case(&label))
            })
            .and_then(|old| old.cname.clone());
        ssl.cname = Some(same_domain.unwrap_or_else(|| leaf_domain_fqdn(&label, location, ctx)));
    }
    Ok(ssl)
}

/// The scoring endpoint's address: a documentation-range public IP, or a private one behind an
/// internal load balancer. Never contacted.
fn scoring_ip(internal: bool, ctx: &Ctx<'_>) -> String {
    if internal {
        format!("10.0.0.{}", 100 + ctx.ids.byte() % 100)
    } else {
        format!("203.0.113.{}", 1 + ctx.ids.byte() % 250)
    }
}

fn compute_key(path: &WorkspacePath<'_>, name: &str) -> ComputeKey {
    ComputeKey {
        subscription: key(path.subscription),
        resource_group: key(path.resource_group),
        workspace: key(path.workspace),
        name: key(name),
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
                                    .map(|compute| compute.render(&names))
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
