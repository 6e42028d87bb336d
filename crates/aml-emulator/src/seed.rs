//! What the emulator holds when it starts: subscriptions, resource groups, workspaces, existing
//! AKS clusters and the Kubernetes version table. Read from YAML or JSON, or built in Rust.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use aml_model::AksClusterId;
use aml_model::resource_id::check_resource_group;
use aml_model::wire::{AgentPoolMode, LoadBalancerSku, OutboundType};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::versions::{VersionTable, is_version};

/// The subscription of the standard seed's workspace.
pub const STANDARD_SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";
/// A second subscription in the standard seed, holding a cluster that cannot be attached (R9).
pub const OTHER_SUBSCRIPTION: &str = "11111111-1111-1111-1111-111111111111";
/// The resource group of the standard seed's workspace.
pub const STANDARD_RESOURCE_GROUP: &str = "aml-rg";
/// The standard seed's workspace (in `eastus`).
pub const STANDARD_WORKSPACE: &str = "aml-ws";
/// The resource group of the standard seed's existing clusters.
pub const STANDARD_CLUSTER_RESOURCE_GROUP: &str = "aks-rg";

/// Everything the emulator starts with.
///
/// ```yaml
/// subscriptions:
///   - id: 00000000-0000-0000-0000-000000000000
///     resourceGroups:
///       - name: aml-rg
///         workspaces:
///           - { name: aml-ws, location: eastus }
///       - name: aks-rg
///         clusters:
///           - name: aks-prod
///             location: eastus
///             kubernetesVersion: 1.30.4
///             agentPools:
///               - { name: nodepool1, count: 3, vmSize: Standard_D3_v2 }
///           - name: aks-private
///             location: eastus
///             kubernetesVersion: 1.29.9
///             private: true
///             authorizedIpRanges: []
///             loadBalancerSku: standard
///             agentPools:
///               - { name: system, count: 3, vmSize: Standard_D4s_v5 }
/// kubernetesVersions:          # optional; the built-in table otherwise
///   default:
///     - { version: "1.30", isDefault: true, patches: ["1.30.4"] }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// The subscriptions.
    pub subscriptions: Vec<SubscriptionSeed>,
    /// The Kubernetes versions per location; [`VersionTable::default`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_versions: Option<VersionTable>,
}

/// One subscription.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionSeed {
    /// The subscription id (a GUID on Azure; any path-safe text here).
    pub id: String,
    /// Its resource groups.
    #[serde(default)]
    pub resource_groups: Vec<ResourceGroupSeed>,
}

/// One resource group.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceGroupSeed {
    /// The resource group name.
    pub name: String,
    /// Azure ML workspaces in it.
    #[serde(default)]
    pub workspaces: Vec<WorkspaceSeed>,
    /// Existing AKS managed clusters in it.
    #[serde(default)]
    pub clusters: Vec<ClusterSeed>,
}

/// One Azure ML workspace.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceSeed {
    /// The workspace name.
    pub name: String,
    /// Its Azure region, such as `eastus`: where created clusters go by default.
    pub location: String,
}

/// One existing AKS managed cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSeed {
    /// The cluster name.
    pub name: String,
    /// Its Azure region.
    pub location: String,
    /// The Kubernetes version it runs, such as `1.30.4`.
    pub kubernetes_version: String,
    /// Its agent pools (at least one; the first is the system pool unless modes say otherwise).
    pub agent_pools: Vec<AgentPoolSeed>,
    /// Whether the API server is private (Private Link).
    #[serde(default)]
    pub private: bool,
    /// The IP ranges allowed to reach the API server (empty: no restriction).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorized_ip_ranges: Vec<String>,
    /// The load balancer SKU (`standard` unless given).
    #[serde(default = "standard_sku")]
    pub load_balancer_sku: LoadBalancerSku,
    /// Resource tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// AKS-managed Microsoft Entra ID (Azure AD) integration (`aadProfile.managed`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub aad: bool,
    /// Azure RBAC for Kubernetes authorization (`aadProfile.enableAzureRBAC`; needs `aad`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub azure_rbac: bool,
    /// How traffic leaves the cluster (`loadBalancer` unless given).
    #[serde(default = "load_balancer_outbound")]
    pub outbound_type: OutboundType,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_false(value: &bool) -> bool {
    !*value
}

fn load_balancer_outbound() -> OutboundType {
    OutboundType::LoadBalancer
}

fn standard_sku() -> LoadBalancerSku {
    LoadBalancerSku::Standard
}

/// One agent pool of a cluster.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentPoolSeed {
    /// The pool name.
    pub name: String,
    /// The number of nodes.
    pub count: u32,
    /// The VM size of the nodes, such as `Standard_D3_v2`.
    pub vm_size: String,
    /// `System` or `User`; the first pool is `System` and the others `User` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<AgentPoolMode>,
    /// The subnet of the pool's nodes (a bring-your-own virtual network), a
    /// `Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}` id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vnet_subnet_id: Option<String>,
}

impl AgentPoolSeed {
    /// A pool of `count` nodes of `vm_size`.
    pub fn new(name: impl Into<String>, count: u32, vm_size: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            count,
            vm_size: vm_size.into(),
            mode: None,
            vnet_subnet_id: None,
        }
    }
}

impl ClusterSeed {
    /// A public cluster with a standard load balancer and one system pool.
    pub fn new(
        name: impl Into<String>,
        location: impl Into<String>,
        kubernetes_version: impl Into<String>,
        pool: AgentPoolSeed,
    ) -> Self {
        Self {
            name: name.into(),
            location: location.into(),
            kubernetes_version: kubernetes_version.into(),
            agent_pools: vec![pool],
            private: false,
            authorized_ip_ranges: Vec::new(),
            load_balancer_sku: LoadBalancerSku::Standard,
            tags: BTreeMap::new(),
            aad: false,
            azure_rbac: false,
            outbound_type: OutboundType::LoadBalancer,
        }
    }
}

impl Seed {
    /// A seed with nothing in it (every request finds no subscription).
    pub fn empty() -> Self {
        Self {
            subscriptions: Vec::new(),
            kubernetes_versions: None,
        }
    }

    /// The seed the emulator starts with when given none; the crate docs list what it holds.
    pub fn standard() -> Self {
        let mut private = ClusterSeed::new(
            "aks-private",
            "eastus",
            "1.29.9",
            AgentPoolSeed::new("system", 3, "Standard_D4s_v5"),
        );
        private.private = true;
        let mut authorized = ClusterSeed::new(
            "aks-authorized",
            "eastus",
            "1.30.5",
            AgentPoolSeed::new("nodepool1", 3, "Standard_D3_v2"),
        );
        authorized.authorized_ip_ranges = vec!["203.0.113.0/24".into()];
        authorized.load_balancer_sku = LoadBalancerSku::Basic;
        let mut gpu = ClusterSeed::new(
            "aks-gpu",
            "eastus",
            "1.30.4",
            AgentPoolSeed::new("system", 3, "Standard_D4s_v3"),
        );
        gpu.agent_pools
            .push(AgentPoolSeed::new("gpu", 2, "Standard_NC6s_v3"));
        let [office, entra] = secured_clusters();
        Self {
            subscriptions: vec![
                SubscriptionSeed {
                    id: STANDARD_SUBSCRIPTION.into(),
                    resource_groups: vec![
                        ResourceGroupSeed {
                            name: STANDARD_RESOURCE_GROUP.into(),
                            workspaces: vec![WorkspaceSeed {
                                name: STANDARD_WORKSPACE.into(),
                                location: "eastus".into(),
                            }],
                            clusters: Vec::new(),
                        },
                        ResourceGroupSeed {
                            name: STANDARD_CLUSTER_RESOURCE_GROUP.into(),
                            workspaces: Vec::new(),
                            clusters: vec![
                                ClusterSeed::new(
                                    "aks-prod",
                                    "eastus",
                                    "1.30.4",
                                    AgentPoolSeed::new("nodepool1", 3, "Standard_D3_v2"),
                                ),
                                ClusterSeed::new(
                                    "aks-dev",
                                    "westus2",
                                    "1.29.7",
                                    AgentPoolSeed::new("nodepool1", 1, "Standard_DS2_v2"),
                                ),
                                ClusterSeed::new(
                                    "aks-old",
                                    "eastus",
                                    "1.25.11",
                                    AgentPoolSeed::new("nodepool1", 3, "Standard_D4s_v3"),
                                ),
                                private,
                                authorized,
                                gpu,
                                office,
                                entra,
                            ],
                        },
                    ],
                },
                SubscriptionSeed {
                    id: OTHER_SUBSCRIPTION.into(),
                    resource_groups: vec![ResourceGroupSeed {
                        name: "other-rg".into(),
                        workspaces: Vec::new(),
                        clusters: vec![ClusterSeed::new(
                            "aks-other-sub",
                            "eastus",
                            "1.30.4",
                            AgentPoolSeed::new("nodepool1", 3, "Standard_D3_v2"),
                        )],
                    }],
                },
            ],
            kubernetes_versions: None,
        }
    }

    /// Reads a seed from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        let seed: Self = serde_json::from_str(text).map_err(Error::SeedJson)?;
        seed.validate()?;
        Ok(seed)
    }

    /// Reads a seed from YAML text.
    pub fn from_yaml(text: &str) -> Result<Self> {
        let seed: Self = yaml_serde::from_str(text).map_err(Error::SeedYaml)?;
        seed.validate()?;
        Ok(seed)
    }

    /// Reads a seed file: JSON when its name ends in `.json`, YAML otherwise.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadSeed {
            path: path.to_owned(),
            source,
        })?;
        let is_json = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
        if is_json {
            Self::from_json(&text)
        } else {
            Self::from_yaml(&text)
        }
    }

    /// The version table in force: the seed's, or the built-in one.
    pub(crate) fn versions(&self) -> VersionTable {
        self.kubernetes_versions.clone().unwrap_or_default()
    }

    /// Checks the rules a seed must follow: names present and unique (ignoring case), resource
    /// group names ARM accepts, at least one agent pool per cluster and one node in the first,
    /// versions of the form `1.30.4`, a valid version table. Every problem is reported.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        let mut subscriptions = HashSet::new();
        for (s, subscription) in self.subscriptions.iter().enumerate() {
            let at = format!("subscriptions[{s}]");
            check_segment(&mut problems, &at, "id", &subscription.id);
            if !subscriptions.insert(subscription.id.to_ascii_lowercase()) {
                problems.push(format!(
                    "{at}: subscription {:?} appears twice",
                    subscription.id
                ));
            }
            let mut groups = HashSet::new();
            for (g, group) in subscription.resource_groups.iter().enumerate() {
                let at = format!("{at}.resourceGroups[{g}]");
                for rule in check_resource_group(&group.name) {
                    problems.push(format!("{at}.name: resource group name {rule}"));
                }
                if !groups.insert(group.name.to_lowercase()) {
                    problems.push(format!(
                        "{at}: resource group {:?} appears twice",
                        group.name
                    ));
                }
                check_group(&mut problems, &at, group);
                for (c, cluster) in group.clusters.iter().enumerate() {
                    if let Err(error) = AksClusterId::new(
                        subscription.id.as_str(),
                        group.name.as_str(),
                        cluster.name.as_str(),
                    ) {
                        problems.push(format!("{at}.clusters[{c}]: {error}"));
                    }
                }
            }
        }
        if let Some(table) = &self.kubernetes_versions {
            problems.extend(table.problems());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidSeed { problems })
        }
    }

    /// A human-readable list of what the seed holds, one item a line.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for subscription in &self.subscriptions {
            let _ = writeln!(out, "subscription {}", subscription.id);
            for group in &subscription.resource_groups {
                let _ = writeln!(out, "  resource group {}", group.name);
                for workspace in &group.workspaces {
                    let _ = writeln!(
                        out,
                        "    workspace {} ({})",
                        workspace.name, workspace.location
                    );
                }
                for cluster in &group.clusters {
                    let _ = writeln!(out, "    cluster {}", describe_cluster(cluster));
                }
            }
        }
        let table = self.versions();
        let _ = writeln!(
            out,
            "Kubernetes versions (every location{}): {}",
            if table.locations.is_empty() {
                ""
            } else {
                " not listed separately"
            },
            table
                .default
                .iter()
                .map(|minor| {
                    let mut text = minor.version.clone();
                    if minor.is_default {
                        text.push_str(" (default)");
                    }
                    if minor.is_preview {
                        text.push_str(" (preview)");
                    }
                    text
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
        for (location, list) in &table.locations {
            let versions: Vec<&str> = list.iter().map(|minor| minor.version.as_str()).collect();
            let _ = writeln!(
                out,
                "Kubernetes versions in {location}: {}",
                versions.join(", ")
            );
        }
        out
    }
}

/// The standard seed's clusters secured since issue 14: authorized ranges that shut out the
/// Azure Machine Learning control plane, and Entra ID with Azure RBAC and user-defined routing.
fn secured_clusters() -> [ClusterSeed; 2] {
    // Authorized ranges on a Standard load balancer that do not admit the Azure Machine
    // Learning control plane: the attach fails.
    let mut office = ClusterSeed::new(
        "aks-office-ranges",
        "eastus",
        "1.30.4",
        AgentPoolSeed::new("nodepool1", 3, "Standard_D3_v2"),
    );
    office.authorized_ip_ranges = vec!["203.0.113.0/24".into()];
    let mut entra = ClusterSeed::new(
        "aks-entra-udr",
        "eastus",
        "1.30.5",
        AgentPoolSeed {
            vnet_subnet_id: Some(format!(
                "/subscriptions/{STANDARD_SUBSCRIPTION}/resourceGroups/{STANDARD_CLUSTER_RESOURCE_GROUP}/providers/Microsoft.Network/virtualNetworks/aks-vnet/subnets/aks-nodes"
            )),
            ..AgentPoolSeed::new("system", 3, "Standard_D4s_v5")
        },
    );
    entra.aad = true;
    entra.azure_rbac = true;
    entra.outbound_type = OutboundType::UserDefinedRouting;
    [office, entra]
}

/// One line about a cluster: location, version, pools, access and load balancer.
fn describe_cluster(cluster: &ClusterSeed) -> String {
    let pools: Vec<String> = cluster
        .agent_pools
        .iter()
        .map(|pool| format!("{} x {}", pool.count, pool.vm_size))
        .collect();
    let mut text = format!(
        "{} ({}, Kubernetes {}, {}",
        cluster.name,
        cluster.location,
        cluster.kubernetes_version,
        pools.join(" + ")
    );
    if cluster.private {
        text.push_str(", private");
    }
    if !cluster.authorized_ip_ranges.is_empty() {
        let _ = write!(
            text,
            ", authorized IP ranges {}",
            cluster.authorized_ip_ranges.join(" ")
        );
    }
    if cluster.aad {
        text.push_str(if cluster.azure_rbac {
            ", Entra ID with Azure RBAC"
        } else {
            ", Entra ID"
        });
    }
    if cluster.outbound_type != OutboundType::LoadBalancer {
        let _ = write!(text, ", outbound {}", cluster.outbound_type);
    }
    if cluster
        .agent_pools
        .iter()
        .any(|pool| pool.vnet_subnet_id.is_some())
    {
        text.push_str(", own subnet");
    }
    let _ = write!(text, ", {} load balancer)", cluster.load_balancer_sku);
    text
}

/// Reports a name that is empty or cannot be one URL path segment.
fn check_segment(problems: &mut Vec<String>, at: &str, field: &str, value: &str) {
    if value.is_empty() {
        problems.push(format!("{at}.{field} is empty"));
    } else if value
        .chars()
        .any(|c| matches!(c, '/' | '?' | '#' | '%') || c.is_whitespace() || c.is_control())
    {
        problems.push(format!(
            "{at}.{field} {value:?} cannot be a URL path segment (no '/', '?', '#', '%' or spaces)"
        ));
    }
}

/// Checks the workspaces and clusters of one resource group.
fn check_group(problems: &mut Vec<String>, at: &str, group: &ResourceGroupSeed) {
    let mut workspaces = HashSet::new();
    for (w, workspace) in group.workspaces.iter().enumerate() {
        let at = format!("{at}.workspaces[{w}]");
        check_segment(problems, &at, "name", &workspace.name);
        if workspace.location.trim().is_empty() {
            problems.push(format!("{at}.location is empty"));
        }
        if !workspaces.insert(workspace.name.to_lowercase()) {
            problems.push(format!(
                "{at}: workspace {:?} appears twice",
                workspace.name
            ));
        }
    }
    let mut clusters = HashSet::new();
    for (c, cluster) in group.clusters.iter().enumerate() {
        let at = format!("{at}.clusters[{c}]");
        check_segment(problems, &at, "name", &cluster.name);
        if !clusters.insert(cluster.name.to_lowercase()) {
            problems.push(format!("{at}: cluster {:?} appears twice", cluster.name));
        }
        if cluster.location.trim().is_empty() {
            problems.push(format!("{at}.location is empty"));
        }
        if !is_version(&cluster.kubernetes_version, 2..=3) {
            problems.push(format!(
                "{at}.kubernetesVersion {:?} is not a version such as 1.30.4",
                cluster.kubernetes_version
            ));
        }
        match cluster.agent_pools.first() {
            None => problems.push(format!("{at}.agentPools is empty; a cluster needs one")),
            Some(first) if first.count == 0 => problems.push(format!(
                "{at}.agentPools[0].count is 0; the system pool needs a node"
            )),
            Some(_) => {}
        }
        for range in &cluster.authorized_ip_ranges {
            if crate::cidr::parse(range).is_none() {
                problems.push(format!(
                    "{at}.authorizedIpRanges: {range:?} is not a CIDR such as 203.0.113.0/24"
                ));
            }
        }
        if cluster.azure_rbac && !cluster.aad {
            problems.push(format!(
                "{at}.azureRbac needs aad: Azure RBAC works through Microsoft Entra ID"
            ));
        }
        for (p, pool) in cluster.agent_pools.iter().enumerate() {
            if pool.vm_size.trim().is_empty() {
                problems.push(format!("{at}.agentPools[{p}].vmSize is empty"));
            }
            if pool.name.trim().is_empty() {
                problems.push(format!("{at}.agentPools[{p}].name is empty"));
            }
        }
    }
}

#[cfg(test)]
mod tests;
