//! Creating an AKS cluster outside the workspace, to attach it (R12, R15, R16): the secured
//! clusters the guide says to create yourself (a Standard load balancer, a private cluster,
//! authorized API-server IP ranges, egress through user-defined routes, GPU or FPGA nodes).
//!
//! The cluster gets a system pool and, optionally, an accelerator pool created WITH the cluster
//! (mode `User`): when there is one, it is the pool Azure ML deploys to (R12: GPU and FPGA
//! nodes must be chosen when the cluster is created; a second pool added later for deployment
//! is not supported, which is why this configuration has no way to add one afterwards).

use std::collections::BTreeMap;

mod network;
mod pool;

pub use network::{ClusterIdentity, ClusterOutbound};
pub use pool::{NodePool, NodePoolSettings};

use crate::Rule;
use crate::validate::{Issue, Report, check_location};
use crate::wire::{LoadBalancerSku, OutboundType};

/// Name of the system pool when none is given.
pub const DEFAULT_SYSTEM_POOL: &str = "system";
/// Name of the accelerator pool when none is given.
pub const DEFAULT_ACCELERATOR_POOL: &str = "gpu";

/// A validated configuration of a new AKS managed cluster.
#[derive(Debug, Clone)]
pub struct ManagedClusterConfiguration {
    location: String,
    kubernetes_version: Option<String>,
    dns_prefix: Option<String>,
    system_pool: NodePool,
    accelerator_pool: Option<NodePool>,
    private_cluster: bool,
    authorized_ip_ranges: Vec<String>,
    outbound: ClusterOutbound,
    identity: ClusterIdentity,
    tags: BTreeMap<String, String>,
    warnings: Vec<Issue>,
}

impl ManagedClusterConfiguration {
    /// A builder with every field unset (the defaults apply at `build()`).
    pub fn builder() -> ManagedClusterBuilder {
        ManagedClusterBuilder::default()
    }
    /// The cluster's region.
    pub fn location(&self) -> &str {
        &self.location
    }
    /// The Kubernetes version asked for; `None`: the region's default (what the versions API
    /// marks `isDefault`), which AKS uses when the request names none (R14).
    pub fn kubernetes_version(&self) -> Option<&str> {
        self.kubernetes_version.as_deref()
    }
    /// The DNS prefix asked for; `None`: derived from the cluster's name.
    pub fn dns_prefix(&self) -> Option<&str> {
        self.dns_prefix.as_deref()
    }
    /// The system pool.
    pub fn system_pool(&self) -> &NodePool {
        &self.system_pool
    }
    /// The accelerator pool created with the cluster, if any.
    pub fn accelerator_pool(&self) -> Option<&NodePool> {
        self.accelerator_pool.as_ref()
    }
    /// The pool Azure ML deploys to: the accelerator pool when there is one, else the system
    /// pool. The cluster purpose's capacity (R8) is checked on this pool.
    pub fn deployment_pool(&self) -> &NodePool {
        self.accelerator_pool.as_ref().unwrap_or(&self.system_pool)
    }
    /// Whether the API server is private (Private Link).
    pub fn private_cluster(&self) -> bool {
        self.private_cluster
    }
    /// The authorized API-server IP ranges (IPv4 CIDRs, normalized; empty for none).
    pub fn authorized_ip_ranges(&self) -> &[String] {
        &self.authorized_ip_ranges
    }
    /// How egress leaves the cluster, and its subnet.
    pub fn outbound(&self) -> &ClusterOutbound {
        &self.outbound
    }
    /// The cluster's identity.
    pub fn identity(&self) -> &ClusterIdentity {
        &self.identity
    }
    /// Resource tags.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }
    /// Advice found while validating.
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }
}

/// What a user says about a new cluster; `build()` validates it, reporting every problem at
/// once (paths `cluster.*`).
#[derive(Debug, Clone, Default)]
pub struct ManagedClusterBuilder {
    /// Region of the cluster (required).
    pub location: Option<String>,
    /// Kubernetes version; unset for the region's default.
    pub kubernetes_version: Option<String>,
    /// DNS prefix of the API server's name; unset to derive it from the cluster's name.
    pub dns_prefix: Option<String>,
    /// The system pool (default name `system`, 3 x `Standard_D3_v2`).
    pub system_pool: NodePoolSettings,
    /// An accelerator (GPU or FPGA) pool created with the cluster, the pool Azure ML deploys
    /// to (default name `gpu`).
    pub accelerator_pool: Option<NodePoolSettings>,
    /// Load balancer SKU; unset for Standard. Basic is refused.
    pub load_balancer_sku: Option<LoadBalancerSku>,
    /// Whether the API server is private.
    pub private_cluster: bool,
    /// Authorized API-server IP ranges (IPv4 addresses or CIDRs).
    pub authorized_ip_ranges: Vec<String>,
    /// `loadBalancer` (default) or `userDefinedRouting`.
    pub outbound_type: Option<OutboundType>,
    /// The subnet of the nodes (a full subnet resource id).
    pub subnet_id: Option<String>,
    /// A user-assigned identity's resource id; unset for a system-assigned identity.
    pub user_assigned_identity: Option<String>,
    /// Resource tags.
    pub tags: BTreeMap<String, String>,
}

impl ManagedClusterBuilder {
    /// Sets the region.
    #[must_use]
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }
    /// Asks for a Kubernetes version instead of the region's default.
    #[must_use]
    pub fn kubernetes_version(mut self, version: impl Into<String>) -> Self {
        self.kubernetes_version = Some(version.into());
        self
    }
    /// Sets the DNS prefix.
    #[must_use]
    pub fn dns_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.dns_prefix = Some(prefix.into());
        self
    }
    /// Sets the system pool's VM size and node count.
    #[must_use]
    pub fn system_pool(mut self, vm_size: impl Into<String>, count: u32) -> Self {
        self.system_pool.vm_size = Some(vm_size.into());
        self.system_pool.count = Some(count);
        self
    }
    /// Adds the accelerator pool, created with the cluster: the pool Azure ML deploys to.
    #[must_use]
    pub fn accelerator_pool(mut self, vm_size: impl Into<String>, count: u32) -> Self {
        self.accelerator_pool = Some(NodePoolSettings {
            name: None,
            vm_size: Some(vm_size.into()),
            count: Some(count),
        });
        self
    }
    /// Sets the load balancer SKU (only Standard is accepted).
    #[must_use]
    pub fn load_balancer_sku(mut self, sku: LoadBalancerSku) -> Self {
        self.load_balancer_sku = Some(sku);
        self
    }
    /// Makes the API server private (Private Link).
    #[must_use]
    pub fn private_cluster(mut self, private: bool) -> Self {
        self.private_cluster = private;
        self
    }
    /// Adds an authorized API-server IP range.
    #[must_use]
    pub fn authorized_ip_range(mut self, range: impl Into<String>) -> Self {
        self.authorized_ip_ranges.push(range.into());
        self
    }
    /// Sets the outbound type.
    #[must_use]
    pub fn outbound_type(mut self, outbound: OutboundType) -> Self {
        self.outbound_type = Some(outbound);
        self
    }
    /// Puts the nodes in a subnet (a full subnet resource id).
    #[must_use]
    pub fn subnet_id(mut self, id: impl Into<String>) -> Self {
        self.subnet_id = Some(id.into());
        self
    }
    /// Uses a user-assigned identity (its resource id).
    #[must_use]
    pub fn user_assigned_identity(mut self, id: impl Into<String>) -> Self {
        self.user_assigned_identity = Some(id.into());
        self
    }
    /// Adds a tag.
    #[must_use]
    pub fn tag(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(name.into(), value.into());
        self
    }

    /// Validates everything, returning every problem at once. The subnet's subscription is
    /// checked against the workspace's where the cluster is created (`CreateCluster`).
    pub fn build(self) -> crate::Result<ManagedClusterConfiguration> {
        let mut report = Report::new();
        match self.check(&mut report) {
            Some(config) if report.is_ok() => Ok(config),
            _ => Err(crate::Error::Invalid(report)),
        }
    }

    /// Validates into `report` (paths `cluster.*`).
    pub(crate) fn check(self, report: &mut Report) -> Option<ManagedClusterConfiguration> {
        let mut local = Report::new();
        let location = match self.location.as_deref().map(str::trim) {
            None | Some("") => {
                local.error(
                    "cluster.location",
                    Rule::LocationUnknown,
                    "is missing; give the region to create the cluster in, like eastus",
                );
                None
            }
            Some(l) => match check_location(l) {
                Ok(()) => Some(l.to_owned()),
                Err(why) => {
                    local.error("cluster.location", Rule::LocationInvalid, why);
                    None
                }
            },
        };
        let version = self
            .kubernetes_version
            .as_deref()
            .and_then(|v| check_version(v, &mut local));
        if let Some(prefix) = &self.dns_prefix {
            check_dns_prefix(prefix, "cluster.dns_prefix", &mut local);
        }
        let system = self.system_pool.check(
            DEFAULT_SYSTEM_POOL,
            "cluster.system_pool",
            false,
            &mut local,
        );
        let accelerator = self.accelerator_pool.as_ref().map(|p| {
            p.check(
                DEFAULT_ACCELERATOR_POOL,
                "cluster.accelerator_pool",
                true,
                &mut local,
            )
        });
        if let (Some(s), Some(Some(a))) = (&system, &accelerator)
            && s.name() == a.name()
        {
            local.error(
                "cluster.accelerator_pool.name",
                Rule::ClusterPoolName,
                format!(
                    "{:?} is the system pool's name too; give the accelerator pool another name",
                    a.name()
                ),
            );
        }
        let ranges = network::check_access(&self, &mut local);
        let outbound = network::check_outbound(&self, &mut local);
        let identity = network::check_identity(self.user_assigned_identity.as_deref(), &mut local);
        check_tags(&self.tags, &mut local);
        let ok = local.is_ok();
        let warnings = local.warnings.clone();
        report.merge(local);
        if !ok {
            return None;
        }
        Some(ManagedClusterConfiguration {
            location: location?,
            kubernetes_version: version,
            dns_prefix: self.dns_prefix,
            system_pool: system?,
            accelerator_pool: accelerator.flatten(),
            private_cluster: self.private_cluster,
            authorized_ip_ranges: ranges?,
            outbound: outbound?,
            identity: identity?,
            tags: self.tags,
            warnings,
        })
    }
}

/// `MAJOR.MINOR` or `MAJOR.MINOR.PATCH`, numbers only.
fn check_version(version: &str, report: &mut Report) -> Option<String> {
    let v = version.trim();
    let parts: Vec<&str> = v.split('.').collect();
    let ok = (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if ok {
        Some(v.to_owned())
    } else {
        report.error(
            "cluster.kubernetes_version",
            Rule::ClusterVersionFormat,
            format!(
                "{version:?} is not a Kubernetes version; write MAJOR.MINOR or MAJOR.MINOR.PATCH, like 1.30 (or leave it unset for the region's default)"
            ),
        );
        None
    }
}

/// AKS's DNS prefix rule: 1 to 54 letters, digits and dashes, starting and ending with a
/// letter or a digit.
pub(crate) fn check_dns_prefix(prefix: &str, path: &str, report: &mut Report) {
    let ok = (1..=54).contains(&prefix.len())
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !prefix.starts_with('-')
        && !prefix.ends_with('-');
    if !ok {
        report.error(
            path,
            Rule::ClusterDnsPrefix,
            format!(
                "{prefix:?} is not a DNS prefix; use 1 to 54 letters, digits and dashes, starting and ending with a letter or a digit"
            ),
        );
    }
}

/// The DNS prefix derived from a cluster's name: dashes for underscores, other characters
/// dropped, at most 54 characters, no dash at either end (`aks` when nothing is left).
pub fn derive_dns_prefix(cluster_name: &str) -> String {
    let cleaned: String = cluster_name
        .chars()
        .map(|c| if c == '_' { '-' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(54)
        .collect();
    let trimmed = cleaned.trim_matches('-');
    if trimmed.is_empty() {
        "aks".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Azure's tag limits: names of 1 to 512 characters without `<>%&\?/`, values of at most 256.
fn check_tags(tags: &BTreeMap<String, String>, report: &mut Report) {
    for (name, value) in tags {
        let path = format!("cluster.tags.{name}");
        if name.is_empty() || name.chars().count() > 512 {
            report.error(
                &path,
                Rule::ClusterTags,
                "a tag name has 1 to 512 characters",
            );
        } else if let Some(c) = name.chars().find(|c| "<>%&\\?/".contains(*c)) {
            report.error(
                &path,
                Rule::ClusterTags,
                format!(
                    "tag name {name:?} contains {c:?}; tag names cannot contain < > % & \\ ? /"
                ),
            );
        }
        if value.chars().count() > 256 {
            report.error(
                &path,
                Rule::ClusterTags,
                format!(
                    "the value has {} characters; a tag value has at most 256",
                    value.chars().count()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_prefixes_derive_from_names() {
        assert_eq!(derive_dns_prefix("aks_secure-1"), "aks-secure-1");
        assert_eq!(derive_dns_prefix("_x_"), "x");
        assert_eq!(derive_dns_prefix("__"), "aks");
        assert_eq!(derive_dns_prefix(&"a".repeat(70)).len(), 54);
        let mut r = Report::new();
        check_dns_prefix(&derive_dns_prefix("-a.b_c-"), "p", &mut r);
        assert!(r.is_ok(), "{r}");
    }

    #[test]
    fn versions_are_numbers() {
        let mut r = Report::new();
        assert_eq!(check_version("1.30", &mut r).as_deref(), Some("1.30"));
        assert_eq!(check_version("1.30.4", &mut r).as_deref(), Some("1.30.4"));
        assert!(r.is_ok());
        for bad in ["1", "v1.30", "1.30.", "1.30.4.1", ""] {
            let mut r = Report::new();
            assert!(check_version(bad, &mut r).is_none(), "{bad}");
            assert!(r.has_error(Rule::ClusterVersionFormat));
        }
    }
}
