//! The network rules of a managed cluster PUT: `networkProfile`, `apiServerAccessProfile`, and
//! the rules between them and the pools (authorized ranges, outbound types, subnets).

use aml_model::wire::{ErrorDetail, LoadBalancerSku, ManagedCluster, OutboundType};
use serde_json::Value;

use super::{fixed, invalid};
use crate::ids::IdSource;
use crate::state::Cluster;

/// The most authorized IP ranges AKS accepts.
const MAX_RANGES: usize = 200;
/// Network plugins AKS knows.
const PLUGINS: [&str; 3] = ["kubenet", "azure", "none"];

/// `networkProfile`: the plugin and the load balancer SKU cannot change; the outbound type can.
pub(super) fn network(
    cluster: &mut Cluster,
    creating: bool,
    body: &ManagedCluster,
    problems: &mut Vec<ErrorDetail>,
) {
    let Some(network) = body
        .properties
        .as_ref()
        .and_then(|properties| properties.network_profile.as_ref())
    else {
        return;
    };
    if let Some(plugin) = &network.network_plugin {
        if !PLUGINS.contains(&plugin.as_str()) {
            problems.push(invalid(
                "properties.networkProfile.networkPlugin",
                format!("Network plugin '{plugin}' is invalid: use 'kubenet', 'azure' or 'none'."),
            ));
        } else if !creating && *plugin != cluster.network_plugin {
            problems.push(fixed(
                "properties.networkProfile.networkPlugin",
                "networkPlugin",
                &cluster.network_plugin,
                plugin,
            ));
        } else {
            plugin.clone_into(&mut cluster.network_plugin);
        }
    }
    if let Some(sku) = &network.load_balancer_sku {
        if matches!(sku, LoadBalancerSku::Unknown(_)) {
            problems.push(invalid(
                "properties.networkProfile.loadBalancerSku",
                format!("Load balancer SKU '{sku}' is invalid: use 'standard' or 'basic'."),
            ));
        } else if !creating && *sku != cluster.load_balancer_sku {
            problems.push(fixed(
                "properties.networkProfile.loadBalancerSku",
                "loadBalancerSku",
                &cluster.load_balancer_sku.to_string(),
                &sku.to_string(),
            ));
        } else {
            cluster.load_balancer_sku = sku.clone();
        }
    }
    if let Some(outbound) = &network.outbound_type {
        if matches!(outbound, OutboundType::Unknown(_)) {
            problems.push(invalid(
                "properties.networkProfile.outboundType",
                format!(
                    "Outbound type '{outbound}' is invalid: use 'loadBalancer', \
                     'userDefinedRouting', 'managedNATGateway' or 'userAssignedNATGateway'."
                ),
            ));
        } else {
            cluster.outbound_type = outbound.clone();
        }
    }
}

/// `apiServerAccessProfile`: a private cluster stays private (or public); the authorized
/// ranges may change (an empty list removes them).
pub(super) fn access(
    cluster: &mut Cluster,
    creating: bool,
    body: &ManagedCluster,
    ids: &IdSource,
    problems: &mut Vec<ErrorDetail>,
) {
    let Some(access) = body
        .properties
        .as_ref()
        .and_then(|properties| properties.api_server_access_profile.as_ref())
    else {
        return;
    };
    if let Some(private) = access.enable_private_cluster {
        if !creating && private != cluster.private {
            problems.push(fixed(
                "properties.apiServerAccessProfile.enablePrivateCluster",
                "enablePrivateCluster",
                &cluster.private.to_string(),
                &private.to_string(),
            ));
        } else {
            cluster.private = private;
        }
    }
    if let Some(ranges) = &access.authorized_ip_ranges {
        cluster.authorized_ip_ranges.clone_from(ranges);
    }
    if let Some(zone) = &access.private_dns_zone {
        cluster.echo.private_dns_zone = Some(zone.clone());
    }
    match access
        .extra
        .get("enablePrivateClusterPublicFQDN")
        .and_then(Value::as_bool)
    {
        Some(true) if cluster.public_fqdn.is_none() => {
            cluster.public_fqdn = Some(crate::state::cluster::fqdn(
                &cluster.dns_prefix,
                &cluster.location,
                false,
                ids,
            ));
        }
        Some(false) => cluster.public_fqdn = None,
        _ => {}
    }
}

/// The rules between profiles: authorized ranges need a Standard load balancer and a public
/// API server, and valid CIDRs; an outbound type other than `loadBalancer` needs a Standard
/// load balancer; `userDefinedRouting` and `userAssignedNATGateway` need every pool in a
/// subnet; pools are in subnets all or none.
pub(super) fn consistency(cluster: &Cluster, problems: &mut Vec<ErrorDetail>) {
    const RANGES: &str = "properties.apiServerAccessProfile.authorizedIPRanges";
    const OUTBOUND: &str = "properties.networkProfile.outboundType";
    let ranges = &cluster.authorized_ip_ranges;
    if !ranges.is_empty() {
        if cluster.load_balancer_sku != LoadBalancerSku::Standard {
            problems.push(invalid(
                RANGES,
                format!(
                    "apiServerAccessProfile.authorizedIPRanges needs a Standard load balancer; \
                     networkProfile.loadBalancerSku is '{}'.",
                    cluster.load_balancer_sku
                ),
            ));
        }
        if cluster.private {
            problems.push(invalid(
                RANGES,
                "apiServerAccessProfile.enablePrivateCluster and \
                 apiServerAccessProfile.authorizedIPRanges cannot be used together: a private \
                 cluster's API server has no public endpoint to restrict."
                    .into(),
            ));
        }
        let bad: Vec<&str> = ranges
            .iter()
            .filter(|range| crate::cidr::parse(range).is_none())
            .map(String::as_str)
            .collect();
        if !bad.is_empty() {
            problems.push(invalid(
                RANGES,
                format!(
                    "apiServerAccessProfile.authorizedIPRanges has values that are not CIDRs \
                     such as 203.0.113.0/24: {}.",
                    bad.join(", ")
                ),
            ));
        }
        if ranges.len() > MAX_RANGES {
            problems.push(invalid(
                RANGES,
                format!(
                    "apiServerAccessProfile.authorizedIPRanges has {} ranges; at most \
                     {MAX_RANGES} are allowed.",
                    ranges.len()
                ),
            ));
        }
    }
    let outbound = &cluster.outbound_type;
    if *outbound != OutboundType::LoadBalancer
        && cluster.load_balancer_sku != LoadBalancerSku::Standard
    {
        problems.push(invalid(
            OUTBOUND,
            format!(
                "outboundType '{outbound}' needs a Standard load balancer; \
                 networkProfile.loadBalancerSku is '{}'.",
                cluster.load_balancer_sku
            ),
        ));
    }
    let without: Vec<&str> = cluster
        .pools
        .iter()
        .filter(|pool| pool.vnet_subnet_id.is_none())
        .map(|pool| pool.name.as_str())
        .collect();
    if matches!(
        outbound,
        OutboundType::UserDefinedRouting | OutboundType::UserAssignedNatGateway
    ) && !without.is_empty()
    {
        problems.push(invalid(
            OUTBOUND,
            format!(
                "outboundType '{outbound}' needs every agent pool in a subnet of your own \
                 virtual network (vnetSubnetID), whose route table or NAT gateway sends the \
                 egress; these pools have none: {}.",
                without.join(", ")
            ),
        ));
    } else if !without.is_empty() && without.len() < cluster.pools.len() {
        problems.push(invalid(
            "properties.agentPoolProfiles",
            format!(
                "All or none of the agent pools should set vnetSubnetID; these do not: {}.",
                without.join(", ")
            ),
        ));
    }
}
