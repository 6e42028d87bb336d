//! AKS agent pools as their own resources (`.../managedClusters/{cluster}/agentPools[/{pool}]`,
//! ContainerService 2024-09-01): list, GET, and the long-running PUT that scales a pool,
//! switches its cluster autoscaler or adds a pool, with the service's rules checked before
//! anything changes (R13).
//!
//! A PUT changes the pool at once (GET shows the new settings in `Updating`, as AKS shows the
//! goal state); the operation ends `Succeeded`, or `Failed`/`Canceled` when a fault says so,
//! and then an existing pool gets its settings back. The computes on the cluster report the
//! node count of the pool AML deploys to as it is, so they follow.

use aml_model::wire::{
    AgentPool, AgentPoolListResult, AgentPoolMode, AgentPoolProfile, ErrorDetail, OsType,
    ProvisioningState,
};

use crate::arm_error::{ArmError, detail};
use crate::state::cluster::{Pool, cluster_not_found};
use crate::state::operation::{Ending, OperationKind, Target};
use crate::state::{Cluster, ClusterKey, Ctx, OperationRef, State, key};
use crate::versions::minor_of;

/// The agent pool resource type.
const POOL_TYPE: &str = "Microsoft.ContainerService/managedClusters/agentPools";
/// The most nodes AKS allows in one pool (and the most the autoscaler may reach).
pub(super) const MAX_NODES: u32 = 1000;
/// The longest name of a Linux pool.
const MAX_NAME: usize = 12;

/// A managed cluster as a URL names it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClusterPath<'a> {
    pub(crate) subscription: &'a str,
    pub(crate) resource_group: &'a str,
    pub(crate) cluster: &'a str,
}

impl Cluster {
    /// The pool named `name`, ignoring case.
    fn pool(&self, name: &str) -> Option<&Pool> {
        self.pools.iter().find(|pool| key(&pool.name) == key(name))
    }

    /// A pool as its own resource.
    fn render_agent_pool(&self, pool: &Pool) -> AgentPool {
        let mut properties = self.render_pool(pool);
        properties.name = None;
        AgentPool {
            id: Some(format!("{}/agentPools/{}", self.id_text(), pool.name)),
            name: Some(pool.name.clone()),
            type_: Some(POOL_TYPE.into()),
            properties: Some(properties),
            ..Default::default()
        }
    }
}

/// 404 for an agent pool.
fn pool_not_found(path: &ClusterPath<'_>, pool: &str) -> ArmError {
    ArmError::resource_not_found(
        &format!(
            "Microsoft.ContainerService/managedClusters/{}/agentPools/{pool}",
            path.cluster
        ),
        path.resource_group,
    )
}

/// 409 while an operation runs on the cluster.
pub(super) fn cluster_busy(cluster: &Cluster, operation: &str) -> ArmError {
    ArmError::conflict(format!(
        "Operation is not allowed because there's an operation ('{operation}') in progress on \
         managed cluster '{}'. Please wait for it to finish before starting a new operation.",
        cluster.id.name()
    ))
}

pub(super) fn problem(code: &str, target: &str, message: String) -> ErrorDetail {
    ErrorDetail {
        target: Some(target.to_owned()),
        ..detail(code, message)
    }
}

/// 400 with every problem in `details`; the first problem's code is the error's code, so a
/// single problem reads exactly as AKS reports it.
pub(super) fn refused(problems: Vec<ErrorDetail>) -> Result<(), ArmError> {
    let Some(first) = problems.first() else {
        return Ok(());
    };
    let message = problems
        .iter()
        .filter_map(|problem| problem.message.as_deref())
        .collect::<Vec<_>>()
        .join(" ");
    let mut error = ArmError::new(400, first.code.as_deref().unwrap_or("BadRequest"), message);
    if let [only] = problems.as_slice() {
        error.detail.target.clone_from(&only.target);
    }
    Err(error.with_details(problems))
}

/// AKS's rule for a Linux pool name: a lowercase letter, then lowercase letters and digits,
/// 12 characters at most.
pub(super) fn check_name(name: &str, problems: &mut Vec<ErrorDetail>) {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|first| first.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.len() <= MAX_NAME;
    if !valid {
        problems.push(problem(
            "InvalidParameter",
            "name",
            format!(
                "The agent pool name '{name}' is invalid: it must start with a lowercase letter, \
                 contain only lowercase letters and digits, and have at most {MAX_NAME} characters."
            ),
        ));
    }
}

/// The pool a PUT asks for, from the current one (`None`: the PUT creates it) and the body's
/// `properties`; every rule broken is a problem, and then nothing changes.
fn planned(
    cluster: &Cluster,
    current: Option<&Pool>,
    name: &str,
    wanted: &AgentPoolProfile,
) -> Result<Pool, ArmError> {
    let mut problems = Vec::new();
    let pool = plan_pool(cluster, current, name, wanted, &mut problems);
    refused(problems)?;
    Ok(pool)
}

/// The pool a PUT (of the pool, or of its managed cluster) asks for; the rules it breaks are
/// added to `problems`, with targets relative to the pool (`name`, `properties.count`, ...).
pub(super) fn plan_pool(
    cluster: &Cluster,
    current: Option<&Pool>,
    name: &str,
    wanted: &AgentPoolProfile,
    problems: &mut Vec<ErrorDetail>,
) -> Pool {
    let mut pool = if let Some(current) = current {
        if let Some(size) = &wanted.vm_size
            && !size.eq_ignore_ascii_case(&current.vm_size)
        {
            problems.push(problem(
                "PropertyChangeNotAllowed",
                "properties.vmSize",
                format!(
                    "Changing property 'vmSize' is not allowed: the VM size of agent pool '{}' \
                     ('{}') cannot change to '{size}'. Create a new agent pool with the new VM \
                     size instead, then delete this one.",
                    current.name, current.vm_size
                ),
            ));
        }
        if let Some(mode) = &wanted.mode
            && *mode != current.mode
        {
            problems.push(problem(
                "PropertyChangeNotAllowed",
                "properties.mode",
                format!(
                    "Changing property 'mode' of agent pool '{}' from '{}' to '{mode}' is not \
                     supported by the emulator.",
                    current.name, current.mode
                ),
            ));
        }
        if let Some(subnet) = &wanted.vnet_subnet_id
            && current
                .vnet_subnet_id
                .as_ref()
                .is_none_or(|now| !now.eq_ignore_ascii_case(subnet))
        {
            problems.push(problem(
                "PropertyChangeNotAllowed",
                "properties.vnetSubnetID",
                format!(
                    "Changing property 'vnetSubnetID' of agent pool '{}' is not allowed.",
                    current.name
                ),
            ));
        }
        current.clone()
    } else {
        new_pool(name, wanted, problems)
    };
    check_fixed(cluster, current.is_some(), name, wanted, problems);
    autoscaler(&mut pool, current.is_some(), wanted, problems);
    if pool.mode == AgentPoolMode::System && pool.count < 1 {
        problems.push(problem(
            "InvalidParameter",
            "properties.count",
            format!(
                "Agent pool '{name}' is a System pool: it must have at least 1 node, not {}. \
                 Only User pools scale to 0.",
                pool.count
            ),
        ));
    }
    if pool.count > MAX_NODES {
        problems.push(problem(
            "InvalidParameter",
            "properties.count",
            format!(
                "count {} is invalid: an agent pool has at most {MAX_NODES} nodes.",
                pool.count
            ),
        ));
    }
    pool
}

/// A pool a PUT creates: its name, mode, VM size and subnet checked.
fn new_pool(name: &str, wanted: &AgentPoolProfile, problems: &mut Vec<ErrorDetail>) -> Pool {
    check_name(name, problems);
    let mode = wanted.mode.clone().unwrap_or(AgentPoolMode::User);
    if !matches!(mode, AgentPoolMode::System | AgentPoolMode::User) {
        problems.push(problem(
            "InvalidParameter",
            "properties.mode",
            format!("The agent pool mode '{mode}' is invalid: use 'System' or 'User'."),
        ));
    }
    if wanted.vm_size.is_none() {
        problems.push(problem(
            "InvalidParameter",
            "properties.vmSize",
            format!("A new agent pool needs a vmSize; agent pool '{name}' has none."),
        ));
    }
    let vm_size = wanted.vm_size.clone().unwrap_or_default();
    if !vm_size.is_empty() && aml_model::vm_size::lookup(&vm_size).is_none() {
        problems.push(problem(
            "InvalidParameter",
            "properties.vmSize",
            format!(
                "The VM size '{vm_size}' of agent pool '{name}' is not available: it is not \
                 a VM size the emulator knows (aml-model's catalog)."
            ),
        ));
    }
    let mut pool = Pool::new(name, 1, &vm_size, mode);
    if let Some(subnet) = &wanted.vnet_subnet_id {
        if !is_subnet_id(subnet) {
            problems.push(problem(
                "InvalidParameter",
                "properties.vnetSubnetID",
                format!(
                    "vnetSubnetID '{subnet}' of agent pool '{name}' is not a subnet id: \
                     /subscriptions/{{s}}/resourceGroups/{{rg}}/providers/\
                     Microsoft.Network/virtualNetworks/{{vnet}}/subnets/{{subnet}}."
                ),
            ));
        }
        pool.vnet_subnet_id = Some(subnet.clone());
    }
    pool
}

/// Whether `id` names a subnet: `/subscriptions/{s}/resourceGroups/{rg}/providers/
/// Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}` (keywords in any case).
fn is_subnet_id(id: &str) -> bool {
    let segments: Vec<&str> = id.split('/').collect();
    matches!(
        segments.as_slice(),
        ["", subscriptions, _, groups, _, providers, namespace, networks, _, subnets, _]
            if subscriptions.eq_ignore_ascii_case("subscriptions")
                && groups.eq_ignore_ascii_case("resourceGroups")
                && providers.eq_ignore_ascii_case("providers")
                && namespace.eq_ignore_ascii_case("Microsoft.Network")
                && networks.eq_ignore_ascii_case("virtualNetworks")
                && subnets.eq_ignore_ascii_case("subnets")
    ) && segments.iter().skip(1).all(|segment| !segment.is_empty())
}

/// What the emulator cannot change or run: an OS other than Linux, a Kubernetes version other
/// than the cluster's. `exists`: the pool exists (a change), or the PUT creates it.
fn check_fixed(
    cluster: &Cluster,
    exists: bool,
    name: &str,
    wanted: &AgentPoolProfile,
    problems: &mut Vec<ErrorDetail>,
) {
    if let Some(os) = &wanted.os_type
        && *os != OsType::Linux
    {
        let (code, message) = if exists {
            (
                "PropertyChangeNotAllowed",
                format!("Changing property 'osType' of agent pool '{name}' is not allowed."),
            )
        } else {
            (
                "InvalidParameter",
                format!("The emulator only has Linux agent pools; osType '{os}' is not supported."),
            )
        };
        problems.push(problem(code, "properties.osType", message));
    }
    if let Some(version) = &wanted.orchestrator_version
        && *version != cluster.kubernetes_version
        && version != minor_of(&cluster.kubernetes_version)
    {
        problems.push(problem(
            if exists {
                "PropertyChangeNotAllowed"
            } else {
                "InvalidParameter"
            },
            "properties.orchestratorVersion",
            format!(
                "orchestratorVersion '{version}' is not supported by the emulator: every agent \
                 pool runs the cluster's version, {}.",
                cluster.kubernetes_version
            ),
        ));
    }
}

/// The count and cluster autoscaler settings: with `enableAutoScaling: true` the body gives
/// `minCount` and `maxCount`, `1 <= minCount <= maxCount` and `count` (when given) lies
/// between; with the autoscaler off neither may be given. A body without `enableAutoScaling`
/// keeps the pool's autoscaler, whose bounds it may change. A count not given stays (brought
/// within the bounds when the autoscaler is on).
fn autoscaler(
    pool: &mut Pool,
    exists: bool,
    wanted: &AgentPoolProfile,
    problems: &mut Vec<ErrorDetail>,
) {
    let on = wanted
        .enable_auto_scaling
        .unwrap_or(pool.autoscale.is_some());
    let (min, max) = if wanted.enable_auto_scaling.is_some() {
        (wanted.min_count, wanted.max_count)
    } else {
        (
            wanted.min_count.or(pool.autoscale.map(|(min, _)| min)),
            wanted.max_count.or(pool.autoscale.map(|(_, max)| max)),
        )
    };
    if !on {
        for (given, target) in [
            (wanted.min_count, "properties.minCount"),
            (wanted.max_count, "properties.maxCount"),
        ] {
            if let Some(value) = given {
                problems.push(problem(
                    "InvalidParameter",
                    target,
                    format!(
                        "{} ({value}) can only be set when enableAutoScaling is true.",
                        target.trim_start_matches("properties.")
                    ),
                ));
            }
        }
        pool.autoscale = None;
        if let Some(count) = wanted.count {
            pool.count = count;
        }
        return;
    }
    let (Some(min), Some(max)) = (min, max) else {
        problems.push(problem(
            "InvalidParameter",
            if min.is_none() {
                "properties.minCount"
            } else {
                "properties.maxCount"
            },
            "minCount and maxCount are required when enableAutoScaling is true.".to_owned(),
        ));
        return;
    };
    if min < 1 {
        problems.push(problem(
            "InvalidParameter",
            "properties.minCount",
            format!("minCount ({min}) must be at least 1."),
        ));
    }
    if min > max {
        problems.push(problem(
            "InvalidParameter",
            "properties.minCount",
            format!("minCount ({min}) must be less than or equal to maxCount ({max})."),
        ));
    }
    if max > MAX_NODES {
        problems.push(problem(
            "InvalidParameter",
            "properties.maxCount",
            format!("maxCount ({max}) must be at most {MAX_NODES}."),
        ));
    }
    match wanted.count {
        Some(count) if count < min || count > max => problems.push(problem(
            "InvalidParameter",
            "properties.count",
            format!(
                "count ({count}) must be within minCount ({min}) and maxCount ({max}) when \
                 enableAutoScaling is true."
            ),
        )),
        Some(count) => pool.count = count,
        None if exists => pool.count = pool.count.clamp(min.min(max), max),
        None => pool.count = min,
    }
    pool.autoscale = Some((min, max));
}

impl State {
    /// The managed cluster, or 404.
    fn managed_cluster(&self, path: &ClusterPath<'_>) -> Result<&Cluster, ArmError> {
        self.group(path.subscription, path.resource_group)?
            .clusters
            .get(&key(path.cluster))
            .ok_or_else(|| cluster_not_found(path.resource_group, path.cluster))
    }

    /// `GET .../managedClusters/{cluster}/agentPools`.
    pub(crate) fn agent_pool_list(
        &self,
        path: &ClusterPath<'_>,
    ) -> Result<AgentPoolListResult, ArmError> {
        let cluster = self.managed_cluster(path)?;
        Ok(AgentPoolListResult {
            value: Some(
                cluster
                    .pools
                    .iter()
                    .map(|pool| cluster.render_agent_pool(pool))
                    .collect(),
            ),
            ..Default::default()
        })
    }

    /// `GET .../managedClusters/{cluster}/agentPools/{pool}`.
    pub(crate) fn agent_pool_get(
        &self,
        path: &ClusterPath<'_>,
        pool: &str,
    ) -> Result<AgentPool, ArmError> {
        let cluster = self.managed_cluster(path)?;
        cluster
            .pool(pool)
            .map(|found| cluster.render_agent_pool(found))
            .ok_or_else(|| pool_not_found(path, pool))
    }

    /// `PUT .../managedClusters/{cluster}/agentPools/{pool}`: checks the rules, changes (or
    /// adds) the pool and starts its operation. Returns the body, the operation, and whether
    /// the pool is new.
    pub(crate) fn agent_pool_put(
        &mut self,
        ctx: &Ctx<'_>,
        path: &ClusterPath<'_>,
        name: &str,
        body: &AgentPool,
    ) -> Result<(AgentPool, OperationRef, bool), ArmError> {
        let cluster = self.managed_cluster(path)?;
        let Some(wanted) = &body.properties else {
            return Err(
                ArmError::invalid_content("properties is required").with_target("properties")
            );
        };
        let cluster_key = ClusterKey::of(&cluster.id);
        if let Some(running) = self.cluster_operation(&cluster_key) {
            return Err(cluster_busy(cluster, &running.id));
        }
        let current = cluster.pool(name).cloned();
        let mut pool = planned(cluster, current.as_ref(), name, wanted)?;
        let created = current.is_none();
        pool.state = Some(if created {
            ProvisioningState::Creating
        } else {
            ProvisioningState::Updating
        });
        let subscription = cluster.id.subscription_id().to_owned();
        let location = cluster.location.clone();
        let target = Target::AgentPool {
            cluster: cluster_key.clone(),
            pool: key(&pool.name),
            before: current.map(Box::new),
        };
        let reference = self.start_operation(
            ctx,
            &subscription,
            &location,
            OperationKind::AgentPool,
            target,
            Ending::Succeeded,
        );
        let cluster = self
            .cluster_mut(&cluster_key)
            .ok_or_else(|| cluster_not_found(path.resource_group, path.cluster))?;
        let body = cluster.render_agent_pool(&pool);
        match cluster
            .pools
            .iter_mut()
            .find(|existing| key(&existing.name) == key(&pool.name))
        {
            Some(existing) => *existing = pool,
            None => cluster.pools.push(pool),
        }
        Ok((body, reference, created))
    }
}

#[cfg(test)]
mod tests;
