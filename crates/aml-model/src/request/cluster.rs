//! A validated create-and-attach of a new AKS cluster, and the managed cluster's bodies.

use serde_json::{Map, Value, json};

use super::{AttachCompute, WorkspaceRef};
use crate::Rule;
use crate::config::{
    AksAttachBuilder, ClusterIdentity, DEFAULT_ACCELERATOR_POOL, DEFAULT_AGENT_COUNT,
    DEFAULT_SYSTEM_POOL, DEFAULT_VM_SIZE, ManagedClusterBuilder, ManagedClusterConfiguration,
    NodePool, NodePoolSettings, PRODUCTION_MIN_NODES, PRODUCTION_MIN_VCPUS, derive_dns_prefix,
};
use crate::control_plane::TooManyRanges;
use crate::resource_id::{AksClusterId, ComputeId};
use crate::validate::{Issue, Report};
use crate::wire::ManagedCluster;

/// A validated create-and-attach: the new cluster's configuration and the attach settings
/// (TLS, purpose, load balancer; their cluster reference names the cluster to create), checked
/// together.
#[derive(Debug)]
pub struct CreateCluster {
    config: ManagedClusterConfiguration,
    attach: AttachCompute,
    warnings: Vec<Issue>,
}

impl CreateCluster {
    /// Validates everything at once: the compute name (R7), the cluster's configuration, the
    /// attach settings (R18 with the load balancer), the cluster and its subnet in the
    /// workspace's subscription (R9), and the cluster purpose's capacity on the pool Azure ML
    /// deploys to (R8: the accelerator pool when there is one, else the system pool).
    pub fn new(
        workspace: WorkspaceRef,
        name: &str,
        cluster: ManagedClusterBuilder,
        attach: AksAttachBuilder,
    ) -> crate::Result<Self> {
        let mut report = Report::new();
        let subscription = workspace.id.subscription_id().to_owned();
        let workspace_location = workspace.location.clone();
        let attach = AttachCompute::check(workspace, name, attach, &mut report);
        // R8 is checked on the pool as given, so that it is reported with the configuration's
        // other problems, not only once they are fixed.
        let deployment_pool = DeploymentPool::of(&cluster);
        let config = cluster.check(&mut report);
        if let Some(attach) = &attach {
            deployment_pool.check(attach, &mut report);
        }
        if let Some(subnet) = config.as_ref().and_then(|c| c.outbound().subnet())
            && !subnet.subscription_id().eq_ignore_ascii_case(&subscription)
        {
            report.error(
                "cluster.subnet_id",
                Rule::ClusterSubnet,
                format!(
                    "the subnet is in subscription {} but the workspace is in {subscription}; the cluster and its network must be in the workspace's subscription",
                    subnet.subscription_id()
                ),
            );
        }
        if let (Some(config), Some(w)) = (&config, &workspace_location)
            && !config.location().eq_ignore_ascii_case(w)
        {
            report.warn(
                "cluster.location",
                Rule::LocationDiffers,
                format!(
                    "the cluster is in {} and the workspace in {w}; traffic between them adds latency and egress cost",
                    config.location()
                ),
            );
        }
        let warnings = report.warnings.clone();
        match (config, attach) {
            (Some(config), Some(attach)) if report.is_ok() => Ok(Self {
                config,
                attach,
                warnings,
            }),
            _ => Err(crate::Error::Invalid(report)),
        }
    }

    /// The compute's id.
    pub fn id(&self) -> &ComputeId {
        self.attach.id()
    }
    /// The cluster to create.
    pub fn cluster(&self) -> &AksClusterId {
        self.attach.cluster()
    }
    /// The new cluster's configuration.
    pub fn config(&self) -> &ManagedClusterConfiguration {
        &self.config
    }
    /// The attach that follows the cluster's creation.
    pub fn attach(&self) -> &AttachCompute {
        &self.attach
    }
    /// Every warning of the checks.
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }
    /// The DNS prefix sent: the one given, or derived from the cluster's name.
    pub fn dns_prefix(&self) -> String {
        self.config
            .dns_prefix()
            .map_or_else(|| derive_dns_prefix(self.cluster().name()), str::to_owned)
    }

    /// The managed cluster's `PUT` body (ContainerService `ManagedCluster`).
    pub fn body(&self) -> Value {
        let c = &self.config;
        let subnet = c.outbound().subnet().map(ToString::to_string);
        let pool = |p: &NodePool, mode: &str| {
            let mut body = json!({
                "name": p.name(),
                "count": p.count(),
                "vmSize": p.vm_size(),
                "mode": mode,
                "osType": "Linux",
                "type": "VirtualMachineScaleSets",
            });
            if let Some(subnet) = &subnet {
                body["vnetSubnetID"] = json!(subnet);
            }
            body
        };
        let mut pools = vec![pool(c.system_pool(), "System")];
        if let Some(accelerator) = c.accelerator_pool() {
            pools.push(pool(accelerator, "User"));
        }
        let mut network = json!({
            "loadBalancerSku": "standard",
            "outboundType": c.outbound().outbound_type().as_str(),
        });
        if subnet.is_some() {
            network["networkPlugin"] = json!("azure");
        }
        let mut access = json!({ "enablePrivateCluster": c.private_cluster() });
        if !c.authorized_ip_ranges().is_empty() {
            access["authorizedIPRanges"] = json!(c.authorized_ip_ranges());
        }
        let mut props = Map::new();
        if let Some(version) = c.kubernetes_version() {
            props.insert("kubernetesVersion".into(), json!(version));
        }
        props.insert("dnsPrefix".into(), json!(self.dns_prefix()));
        props.insert("enableRBAC".into(), json!(true));
        props.insert("agentPoolProfiles".into(), Value::Array(pools));
        props.insert("networkProfile".into(), network);
        props.insert("apiServerAccessProfile".into(), access);
        let identity = match c.identity() {
            ClusterIdentity::SystemAssigned => json!({ "type": "SystemAssigned" }),
            ClusterIdentity::UserAssigned(id) => json!({
                "type": "UserAssigned",
                "userAssignedIdentities": { id.to_string(): {} },
            }),
        };
        let mut body = json!({
            "location": c.location(),
            "identity": identity,
            "properties": Value::Object(props),
        });
        if !c.tags().is_empty() {
            body["tags"] = json!(c.tags());
        }
        body
    }
}

/// R8 on the pool Azure ML deploys to: a production purpose needs 3 nodes and 12 vCPUs there.
/// The pool Azure ML deploys to, as the builder gives it (R12: the accelerator pool if there is
/// one, else the system pool), with the defaults applied.
struct DeploymentPool {
    path: &'static str,
    name: String,
    count: u32,
    vm_size: Option<String>,
}

impl DeploymentPool {
    fn of(cluster: &ManagedClusterBuilder) -> Self {
        let (path, pool, default_name, default_size): (_, &NodePoolSettings, _, _) =
            match &cluster.accelerator_pool {
                Some(pool) => (
                    "cluster.accelerator_pool.count",
                    pool,
                    DEFAULT_ACCELERATOR_POOL,
                    None,
                ),
                None => (
                    "cluster.system_pool.count",
                    &cluster.system_pool,
                    DEFAULT_SYSTEM_POOL,
                    Some(DEFAULT_VM_SIZE),
                ),
            };
        Self {
            path,
            name: pool.name.clone().unwrap_or_else(|| default_name.to_owned()),
            count: pool.count.unwrap_or(DEFAULT_AGENT_COUNT),
            vm_size: pool
                .vm_size
                .clone()
                .or_else(|| default_size.map(str::to_owned)),
        }
    }

    /// R8 for a production purpose: the production minimums of nodes and vCPUs.
    fn check(&self, attach: &AttachCompute, report: &mut Report) {
        let purpose = attach.config().cluster_purpose();
        if !purpose.is_production() {
            return;
        }
        let Self {
            path,
            name,
            count,
            vm_size,
        } = self;
        if *count < PRODUCTION_MIN_NODES {
            report.error(
                *path,
                Rule::PurposeProductionNodes,
                format!(
                    "{purpose} needs at least {PRODUCTION_MIN_NODES} nodes in pool {name}, the pool Azure ML deploys to, which has {count}; add nodes or attach with cluster_purpose: DevTest"
                ),
            );
        }
        let Some(size) = vm_size else { return };
        let Some(vcpus) =
            crate::vm_size::lookup(size.trim()).map(|s| s.vcpus.saturating_mul(*count))
        else {
            return; // an unknown size is reported by the pool's own check
        };
        if vcpus < PRODUCTION_MIN_VCPUS {
            report.error(
                *path,
                Rule::PurposeProductionVcpus,
                format!(
                    "{purpose} needs at least {PRODUCTION_MIN_VCPUS} vCPUs in pool {name}, the pool Azure ML deploys to, which has {count} x {size} = {vcpus}; add nodes, use a larger size, or attach with cluster_purpose: DevTest"
                ),
            );
        }
    }
}

/// The body of the GET-modify-PUT that adds `missing` to a cluster's authorized IP ranges:
/// the cluster as read, its ranges extended, its provisioning state (read-only) left out.
/// More ranges than AKS accepts is an error ([`control_plane::admitted`]).
///
/// [`control_plane::admitted`]: crate::control_plane::admitted
pub fn admit_body(
    cluster: &ManagedCluster,
    missing: &[String],
) -> Result<ManagedCluster, TooManyRanges> {
    let mut cluster = cluster.clone();
    if let Some(props) = cluster.properties.as_mut() {
        props.provisioning_state = None;
        let access = props
            .api_server_access_profile
            .get_or_insert_with(Default::default);
        let ranges = access.authorized_ip_ranges.take().unwrap_or_default();
        access.authorized_ip_ranges = Some(crate::control_plane::admitted(&ranges, missing)?);
    }
    Ok(cluster)
}

/// `body` (a new cluster's `PUT` body) with `missing` added to its authorized IP ranges. More
/// ranges than AKS accepts is an error ([`control_plane::admitted`]).
///
/// [`control_plane::admitted`]: crate::control_plane::admitted
pub fn admit_in_new_body(mut body: Value, missing: &[String]) -> Result<Value, TooManyRanges> {
    let current: Vec<String> = serde_json::from_value(
        body["properties"]["apiServerAccessProfile"]["authorizedIPRanges"].take(),
    )
    .unwrap_or_default();
    body["properties"]["apiServerAccessProfile"]["authorizedIPRanges"] =
        json!(crate::control_plane::admitted(&current, missing)?);
    Ok(body)
}
