//! A custom virtual network (R21), and the Azure name check it shares with the load balancer.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::Rule;
use crate::resource_id::SubnetId;
use crate::validate::{Report, join, overlaps, parse_cidr, parse_ipv4};

/// The six custom-vnet fields of R21, as given (all or none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VnetSettings {
    /// Resource group of the virtual network.
    pub resource_group: Option<String>,
    /// Name of the virtual network.
    pub vnet_name: Option<String>,
    /// Name of the subnet the nodes join.
    pub subnet_name: Option<String>,
    /// Kubernetes service address range, such as `10.0.0.0/16`.
    pub service_cidr: Option<String>,
    /// IP of the Kubernetes DNS service, inside `service_cidr`, such as `10.0.0.10`.
    pub dns_service_ip: Option<String>,
    /// Docker bridge range, such as `172.17.0.1/16`, not overlapping `service_cidr`.
    pub docker_bridge_cidr: Option<String>,
}

impl VnetSettings {
    /// Validates into a [`Vnet`], writing problems under `prefix` (for example `create.vnet`).
    pub(crate) fn check(self, report: &mut Report, prefix: &str) -> Option<Vnet> {
        let fields = [
            ("resource_group", &self.resource_group),
            ("vnet_name", &self.vnet_name),
            ("subnet_name", &self.subnet_name),
            ("service_cidr", &self.service_cidr),
            ("dns_service_ip", &self.dns_service_ip),
            ("docker_bridge_cidr", &self.docker_bridge_cidr),
        ];
        let is_given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        let count = fields.iter().filter(|(_, v)| is_given(v)).count();
        if count == 0 {
            return None;
        }
        let before = report.errors.len();
        if count < fields.len() {
            let given: Vec<&str> = fields
                .iter()
                .filter(|(_, v)| is_given(v))
                .map(|(k, _)| *k)
                .collect();
            for (field, value) in fields {
                if value.as_deref().is_none_or(|s| s.trim().is_empty()) {
                    report.error(
                        join(prefix, field),
                        Rule::VnetIncomplete,
                        format!(
                            "is missing; a custom virtual network needs all six of resource_group, vnet_name, subnet_name, service_cidr, dns_service_ip and docker_bridge_cidr (given: {})",
                            given.join(", ")
                        ),
                    );
                }
            }
        }
        for (field, value) in [
            ("resource_group", &self.resource_group),
            ("vnet_name", &self.vnet_name),
            ("subnet_name", &self.subnet_name),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty())
                && let Err(why) = check_arm_name(v)
            {
                report.error(join(prefix, field), Rule::VnetName, why);
            }
        }
        let cidr = |field: &str, value: &Option<String>, report: &mut Report| {
            let v = value.as_deref().filter(|v| !v.trim().is_empty())?;
            parse_cidr(v)
                .map_err(|why| report.error(join(prefix, field), Rule::VnetCidr, why))
                .ok()
        };
        let service = cidr("service_cidr", &self.service_cidr, report);
        let bridge = cidr("docker_bridge_cidr", &self.docker_bridge_cidr, report);
        let dns = self
            .dns_service_ip
            .as_deref()
            .filter(|v| !v.trim().is_empty())
            .and_then(|v| {
                parse_ipv4(v)
                    .map_err(|why| report.error(join(prefix, "dns_service_ip"), Rule::VnetIp, why))
                    .ok()
            });
        if let (Some(service), Some(dns)) = (service, dns) {
            check_dns_ip(service, dns, report, prefix);
        }
        if let (Some(service), Some(bridge)) = (service, bridge)
            && overlaps(service, bridge)
        {
            report.error(
                    join(prefix, "docker_bridge_cidr"),
                    Rule::VnetBridgeOverlapsServiceCidr,
                    format!(
                        "{bridge} overlaps the service CIDR {service}; pick a Docker bridge range outside it, like 172.17.0.1/16"
                    ),
                );
        }
        if report.errors.len() > before {
            return None;
        }
        Some(Vnet {
            resource_group: self.resource_group?,
            vnet_name: self.vnet_name?,
            subnet_name: self.subnet_name?,
            service_cidr: service?,
            dns_service_ip: dns?,
            docker_bridge_cidr: bridge?,
        })
    }
}

fn check_dns_ip(service: Ipv4Net, dns: Ipv4Addr, report: &mut Report, prefix: &str) {
    let path = || join(prefix, "dns_service_ip");
    let net = service.trunc();
    if !net.contains(&dns) {
        report.error(
            path(),
            Rule::VnetDnsIpOutsideServiceCidr,
            format!(
                "{dns} is outside the service CIDR {service}; pick an address inside it, like {}",
                nth_host(net, 10)
            ),
        );
    } else if dns == net.network() {
        report.error(
            path(),
            Rule::VnetDnsIpIsNetworkAddress,
            format!(
                "{dns} is the network address of {service}; pick another address inside it, like {}",
                nth_host(net, 10)
            ),
        );
    } else if dns == nth_host(net, 1) {
        report.error(
            path(),
            Rule::VnetDnsIpIsKubernetesApi,
            format!(
                "{dns} is the first address of {service}, which the Kubernetes API service takes; pick another, like {}",
                nth_host(net, 10)
            ),
        );
    } else if net.prefix_len() < 31 && dns == net.broadcast() {
        report.error(
            path(),
            Rule::VnetDnsIpIsBroadcast,
            format!(
                "{dns} is the broadcast address of {service}; pick another address inside it, like {}",
                nth_host(net, 10)
            ),
        );
    }
}

/// The `n`-th address of a range, clamped to the range.
fn nth_host(net: Ipv4Net, n: u32) -> Ipv4Addr {
    let base = u32::from(net.network());
    let last = u32::from(net.broadcast());
    Ipv4Addr::from(base.saturating_add(n).min(last))
}

/// Checks an Azure resource name of the simple kind (resource groups, vnets, subnets): 1-90
/// characters of letters, digits, `_`, `-`, `.`, `(`, `)`, not ending with a period.
pub(super) fn check_arm_name(name: &str) -> Result<(), String> {
    // The common case, plain ASCII, is checked byte by byte.
    if name.len() <= 90
        && !name.ends_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'(' | b')'))
    {
        return Ok(());
    }
    if name.chars().count() > 90 {
        return Err(format!("{name:?} is longer than 90 characters"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')')))
    {
        return Err(format!(
            "{name:?} contains {c:?}; use letters, digits, '_', '-', '.', '(' and ')'"
        ));
    }
    if name.ends_with('.') {
        return Err(format!("{name:?} must not end with a period"));
    }
    Ok(())
}

/// A validated custom virtual network.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::struct_field_names)] // the names of R21, the spec and the Python SDK
pub struct Vnet {
    resource_group: String,
    vnet_name: String,
    subnet_name: String,
    service_cidr: Ipv4Net,
    dns_service_ip: Ipv4Addr,
    docker_bridge_cidr: Ipv4Net,
}

impl Vnet {
    /// Resource group of the virtual network.
    pub fn resource_group(&self) -> &str {
        &self.resource_group
    }
    /// Name of the virtual network.
    pub fn vnet_name(&self) -> &str {
        &self.vnet_name
    }
    /// Name of the subnet.
    pub fn subnet_name(&self) -> &str {
        &self.subnet_name
    }
    /// Kubernetes service address range.
    pub fn service_cidr(&self) -> Ipv4Net {
        self.service_cidr
    }
    /// Kubernetes DNS service IP.
    pub fn dns_service_ip(&self) -> Ipv4Addr {
        self.dns_service_ip
    }
    /// Docker bridge range.
    pub fn docker_bridge_cidr(&self) -> Ipv4Net {
        self.docker_bridge_cidr
    }
    /// The subnet's ARM id in `subscription_id`.
    pub fn subnet_id(&self, subscription_id: &str) -> crate::Result<SubnetId> {
        Ok(SubnetId::new(
            subscription_id,
            &self.resource_group,
            &self.vnet_name,
            &self.subnet_name,
        )?)
    }
}
