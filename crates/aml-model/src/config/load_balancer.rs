//! The load balancer in front of the scoring endpoint (R18, R20).

use serde::{Deserialize, Serialize};

use super::vnet::check_arm_name;
use crate::Rule;
use crate::validate::{Report, join};
use crate::wire::LoadBalancerType;

/// The load balancer as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerSettings {
    /// `PublicIp` (default) or `InternalLoadBalancer`; an `Unknown` type is refused.
    #[serde(rename = "type")]
    pub kind: Option<LoadBalancerType>,
    /// Subnet of an internal load balancer (only with `InternalLoadBalancer`).
    pub subnet: Option<String>,
}

impl LoadBalancerSettings {
    /// An internal load balancer in `subnet`.
    pub fn internal(subnet: impl Into<String>) -> Self {
        Self {
            kind: Some(LoadBalancerType::InternalLoadBalancer),
            subnet: Some(subnet.into()),
        }
    }

    /// A public IP.
    pub fn public() -> Self {
        Self {
            kind: Some(LoadBalancerType::PublicIp),
            subnet: None,
        }
    }

    /// Whether nothing was said.
    pub fn is_empty(&self) -> bool {
        self.kind.is_none() && self.subnet.is_none()
    }

    /// Whether these settings ask for an internal load balancer (whatever their validity).
    pub(super) fn asks_for_internal(&self) -> bool {
        self.kind == Some(LoadBalancerType::InternalLoadBalancer)
    }

    /// Validates, writing problems under `prefix` (usually `load_balancer`).
    pub(crate) fn check(&self, report: &mut Report, prefix: &str) -> Option<LoadBalancer> {
        let kind = self.kind.clone().unwrap_or_default();
        let subnet = self.subnet.as_deref().map(str::trim);
        let internal = match &kind {
            LoadBalancerType::PublicIp => false,
            LoadBalancerType::InternalLoadBalancer => true,
            LoadBalancerType::Unknown(text) => {
                report.error(
                    join(prefix, "type"),
                    Rule::LoadBalancerType,
                    format!(
                        "load balancer type {text:?} is unknown; use PublicIp or InternalLoadBalancer"
                    ),
                );
                return None;
            }
        };
        match (internal, subnet) {
            (false, Some(_)) => {
                report.error(
                    join(prefix, "subnet"),
                    Rule::LoadBalancerSubnetWithoutInternal,
                    "a load balancer subnet applies only to an internal load balancer; set type: InternalLoadBalancer or remove the subnet",
                );
                None
            }
            (true, Some("")) => {
                report.error(
                    join(prefix, "subnet"),
                    Rule::LoadBalancerSubnetEmpty,
                    "is empty; name the subnet of the cluster's virtual network that holds AKS, like aks-subnet",
                );
                None
            }
            (true, Some(s)) => match check_arm_name(s) {
                Ok(()) => Some(LoadBalancer {
                    kind,
                    subnet: Some(s.to_owned()),
                }),
                Err(why) => {
                    report.error(join(prefix, "subnet"), Rule::LoadBalancerSubnet, why);
                    None
                }
            },
            (true, None) => {
                report.warn(
                    join(prefix, "subnet"),
                    Rule::LoadBalancerSubnetDefault,
                    "no subnet given for the internal load balancer; the service picks the cluster's subnet. Name the subnet that holds AKS to be sure",
                );
                Some(LoadBalancer { kind, subnet: None })
            }
            (false, None) => Some(LoadBalancer { kind, subnet: None }),
        }
    }
}

/// A validated load balancer choice: never of an `Unknown` type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadBalancer {
    kind: LoadBalancerType,
    subnet: Option<String>,
}

impl LoadBalancer {
    /// The type: `PublicIp` or `InternalLoadBalancer`.
    pub fn kind(&self) -> &LoadBalancerType {
        &self.kind
    }
    /// The subnet of an internal load balancer.
    pub fn subnet(&self) -> Option<&str> {
        self.subnet.as_deref()
    }
    /// Whether this is an internal load balancer.
    pub fn is_internal(&self) -> bool {
        self.kind == LoadBalancerType::InternalLoadBalancer
    }
}
