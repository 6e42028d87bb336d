//! A PUT on an existing compute: an update when only mutable settings differ, "already
//! exists" otherwise (R11).

use std::str::FromStr;

use aml_model::AksClusterId;
use aml_model::wire::{
    AksCompute, AksProperties, ClusterPurpose, Compute as WireCompute, ComputeResource,
    ComputeType, LoadBalancerType, ProvisioningState,
};

use super::endpoint::{scoring_ip, updated_ssl};
use super::rules::{already_exists, check_purpose, check_settings, created_again, rejected};
use super::{Aks, Compute, Kind, Names, busy, cluster_busy, compute_key, compute_type_of};
use crate::arm_error::ArmError;
use crate::state::managed_cluster::cluster_deleted;
use crate::state::operation::{Ending, OperationKind};
use crate::state::{Cluster, ClusterKey, Ctx, OperationRef, State, WorkspacePath};
use crate::versions::normalize_location;

impl State {
    /// A PUT on an existing compute: an update when only mutable settings differ, R11
    /// otherwise.
    pub(super) fn update(
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
        // A failed create or attach is not updated into a working one: it is removed first.
        if existing.state == ProvisioningState::Failed {
            return Err(ArmError::conflict(format!(
                "Compute '{}' is in provisioning state 'Failed': detach or delete it, then attach or create it again.",
                existing.name
            )));
        }
        if let Some(running) = existing
            .cluster()
            .and_then(|cluster| self.aks_operation(cluster))
        {
            return Err(cluster_busy(&existing, &running.id));
        }
        let mut compute = existing;
        match (&mut compute.kind, properties) {
            (Kind::Aks(stored), WireCompute::Aks(new)) => {
                // The node count as it is now: the cluster's pools may have been scaled
                // through ContainerService since the compute last changed (R13).
                if let Some(pool) = self.cluster(&stored.cluster).and_then(Cluster::deploy_pool) {
                    stored.settings.agent_count = Some(pool.count);
                }
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
                    && let Some(pool) = self
                        .cluster_mut(&stored.cluster)
                        .and_then(Cluster::deploy_pool_mut)
                {
                    pool.count = count;
                }
                if let Some(description) = new.description {
                    compute.description = Some(description);
                }
            }
            (Kind::Other(raw), WireCompute::Other(new))
                if compute_type_of(raw) == compute_type_of(&new) =>
            {
                *raw = new;
            }
            (kind, new) => {
                let old_type = match kind {
                    Kind::Aks(_) => ComputeType::Aks,
                    Kind::Other(raw) => {
                        compute_type_of(raw).unwrap_or(ComputeType::Unknown(String::new()))
                    }
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
        let planned = match (
            &compute.kind,
            compute.cluster().and_then(|cluster| self.cluster(cluster)),
        ) {
            (Kind::Aks(aks), Some(cluster)) if aks.attached => self.version_check(cluster),
            // The cluster was deleted through ContainerService: nothing to update.
            (Kind::Aks(aks), None) => Ending::Failed(404, cluster_deleted(&aks.resource_id)),
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
}
