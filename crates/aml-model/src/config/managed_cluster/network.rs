//! The network and identity of a new cluster: API-server access (R15), egress (R16), subnet,
//! identity.

use super::ManagedClusterBuilder;
use crate::Rule;
use crate::control_plane::MAX_AUTHORIZED_RANGES;
use crate::resource_id::{ResourceId, SubnetId};
use crate::validate::{Report, parse_cidr, parse_ipv4};
use crate::wire::{LoadBalancerSku, OutboundType};

/// How egress leaves a new cluster (R16), and the subnet of its nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterOutbound {
    /// Through the cluster's Standard load balancer and its public IP (the default); the nodes
    /// are in `subnet` when one is given, else in a network AKS makes.
    LoadBalancer {
        /// The nodes' subnet, if any.
        subnet: Option<SubnetId>,
    },
    /// Through the routes of the subnet's route table (a firewall, for example): no public IP
    /// for egress is made, and the route table must send `0.0.0.0/0` somewhere that reaches
    /// the internet before the cluster is created.
    UserDefinedRouting {
        /// The nodes' subnet, whose route table carries the egress route.
        subnet: SubnetId,
    },
}

impl ClusterOutbound {
    /// The wire value of `networkProfile.outboundType`.
    pub fn outbound_type(&self) -> OutboundType {
        match self {
            Self::LoadBalancer { .. } => OutboundType::LoadBalancer,
            Self::UserDefinedRouting { .. } => OutboundType::UserDefinedRouting,
        }
    }
    /// The nodes' subnet, if any.
    pub fn subnet(&self) -> Option<&SubnetId> {
        match self {
            Self::LoadBalancer { subnet } => subnet.as_ref(),
            Self::UserDefinedRouting { subnet } => Some(subnet),
        }
    }
}

/// The identity of a new cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ClusterIdentity {
    /// A system-assigned identity (the default).
    #[default]
    SystemAssigned,
    /// A user-assigned identity, by resource id.
    UserAssigned(ResourceId),
}

/// The authorized ranges, normalized; checks them with the load balancer SKU and the private
/// flag (R15).
pub(super) fn check_access(b: &ManagedClusterBuilder, report: &mut Report) -> Option<Vec<String>> {
    let standard = match &b.load_balancer_sku {
        None | Some(LoadBalancerSku::Standard) => true,
        Some(other) => {
            report.error(
                "cluster.load_balancer_sku",
                Rule::ClusterLoadBalancerSku,
                format!(
                    "load balancer SKU {other:?} is refused; a new cluster uses a Standard load balancer (the Basic SKU is retired and supports neither several node pools nor authorized IP ranges)"
                ),
            );
            false
        }
    };
    let mut ranges = Vec::new();
    let mut ok = true;
    for (i, text) in b.authorized_ip_ranges.iter().enumerate() {
        let path = format!("cluster.authorized_ip_ranges[{i}]");
        let t = text.trim();
        let parsed = if t.contains(':') {
            Err(format!(
                "{t:?} is an IPv6 range; AKS authorized IP ranges are IPv4 only"
            ))
        } else if t.contains('/') {
            parse_cidr(t).map(|net| net.to_string())
        } else {
            parse_ipv4(t).map(|ip| format!("{ip}/32"))
        };
        match parsed {
            Ok(range) => ranges.push(range),
            Err(why) => {
                ok = false;
                report.error(path, Rule::ClusterAuthorizedRange, why);
            }
        }
    }
    if b.authorized_ip_ranges.len() > MAX_AUTHORIZED_RANGES {
        report.error(
            "cluster.authorized_ip_ranges",
            Rule::ClusterAuthorizedRangesCount,
            format!(
                "{} authorized IP ranges, over AKS's limit of {MAX_AUTHORIZED_RANGES}; merge adjacent ranges into wider CIDRs or drop some (with admit_control_plane, the Azure ML control plane's prefixes count too)",
                b.authorized_ip_ranges.len()
            ),
        );
    }
    if !b.authorized_ip_ranges.is_empty() {
        if !standard {
            report.error(
                "cluster.authorized_ip_ranges",
                Rule::ClusterRangesNeedStandardLb,
                "authorized IP ranges work only with a Standard load balancer; use the Standard SKU",
            );
        }
        if b.private_cluster {
            report.error(
                "cluster.authorized_ip_ranges",
                Rule::ClusterPrivateAndRanges,
                "a private cluster has no public API server to restrict; drop the authorized IP ranges or make the cluster public",
            );
        }
    }
    ok.then_some(ranges)
}

/// The outbound type and subnet (R16).
pub(super) fn check_outbound(
    b: &ManagedClusterBuilder,
    report: &mut Report,
) -> Option<ClusterOutbound> {
    let subnet = match b.subnet_id.as_deref().map(str::trim) {
        None => Ok(None),
        Some(text) => match text.parse::<SubnetId>() {
            Ok(id) => Ok(Some(id)),
            Err(e) => {
                report.error(
                    "cluster.subnet_id",
                    Rule::ClusterSubnet,
                    format!(
                        "{e}; give the subnet's full resource id (`az network vnet subnet show ... --query id`)"
                    ),
                );
                Err(())
            }
        },
    };
    match b
        .outbound_type
        .clone()
        .unwrap_or(OutboundType::LoadBalancer)
    {
        OutboundType::LoadBalancer => subnet
            .ok()
            .map(|subnet| ClusterOutbound::LoadBalancer { subnet }),
        OutboundType::UserDefinedRouting => match subnet {
            Ok(Some(subnet)) => Some(ClusterOutbound::UserDefinedRouting { subnet }),
            Ok(None) => {
                report.error(
                    "cluster.subnet_id",
                    Rule::ClusterOutboundUdrSubnet,
                    "user-defined routing needs the nodes' subnet: its route table carries the egress route (to a firewall, say); give subnet_id",
                );
                None
            }
            Err(()) => None,
        },
        other => {
            report.error(
                "cluster.outbound_type",
                Rule::ClusterOutboundType,
                format!(
                    "outbound type {other:?} is not supported here; use loadBalancer (egress through the load balancer's public IP) or userDefinedRouting (through the subnet's route table)"
                ),
            );
            None
        }
    }
}

/// A user-assigned identity's id, or the system-assigned default.
pub(super) fn check_identity(id: Option<&str>, report: &mut Report) -> Option<ClusterIdentity> {
    let Some(text) = id.map(str::trim) else {
        return Some(ClusterIdentity::SystemAssigned);
    };
    match text.parse::<ResourceId>() {
        Ok(id) if id.is_type("Microsoft.ManagedIdentity/userAssignedIdentities") => {
            Some(ClusterIdentity::UserAssigned(id))
        }
        Ok(id) => {
            report.error(
                "cluster.user_assigned_identity",
                Rule::ClusterIdentity,
                format!(
                    "{} is a {}, not a user-assigned identity (Microsoft.ManagedIdentity/userAssignedIdentities)",
                    id,
                    id.resource_type()
                ),
            );
            None
        }
        Err(e) => {
            report.error(
                "cluster.user_assigned_identity",
                Rule::ClusterIdentity,
                format!("{e}; give the identity's full resource id"),
            );
            None
        }
    }
}
