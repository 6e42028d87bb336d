//! Configurations for creating, attaching and updating AKS computes, mirroring the Python SDK's
//! `AksCompute.provisioning_configuration`, `AksCompute.attach_configuration`,
//! `AksUpdateConfiguration` and `enable_ssl`, in Rust form.
//!
//! Each configuration comes in two forms:
//! - a builder with public, optional fields (what a user or a spec file says), and
//! - the validated configuration with private fields (what can be sent), obtained only through
//!   the builder's `build()`, which reports every problem at once.
//!
//! Problems are reported with the [`ComputeSpec`](crate::spec::ComputeSpec) names:
//! `create.agent_count`, `create.vnet.dns_service_ip`, `attach.resource_id`,
//! `load_balancer.subnet`, `tls.cname`.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::Rule;
use crate::resource_id::{AksClusterId, SubnetId};
use crate::secret::PrivateKeyPem;
use crate::validate::{
    Issue, Report, check_dns_label, check_host_name, check_location, join, overlaps, parse_cidr,
    parse_ipv4,
};
use crate::vm_size;

/// Nodes in a new cluster when none is given (the Python SDK's default).
pub const DEFAULT_AGENT_COUNT: u32 = 3;
/// VM size of a new cluster when none is given (the Python SDK's default; 4 vCPUs).
pub const DEFAULT_VM_SIZE: &str = "Standard_D3_v2";
/// vCPUs a production cluster needs in total (R8: node count x cores of the VM size).
pub const PRODUCTION_MIN_VCPUS: u32 = 12;
/// Nodes a production cluster needs.
pub const PRODUCTION_MIN_NODES: u32 = 3;
/// vCPUs recommended for a dev-test cluster (R8).
pub const DEVTEST_RECOMMENDED_VCPUS: u32 = 2;
/// Characters the service appends to a leaf domain label (R17: `<label>######.<region>...`).
pub const LEAF_LABEL_SUFFIX_LEN: usize = 6;
/// Longest leaf domain label: a DNS label is at most 63 characters and six are added.
pub const LEAF_LABEL_MAX_LEN: usize = 63 - LEAF_LABEL_SUFFIX_LEN;

/// Intended usage of the cluster (R8). The default is production (`FastProd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ClusterPurpose {
    /// Development and testing: not fault tolerant, not for production traffic.
    DevTest,
    /// Production (the default): at least 12 vCPUs over at least 3 nodes.
    #[default]
    FastProd,
    /// Production with denser packing: same minimums as `FastProd`.
    DenseProd,
}

impl ClusterPurpose {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DevTest => "DevTest",
            Self::FastProd => "FastProd",
            Self::DenseProd => "DenseProd",
        }
    }

    /// Whether R8's production minimums apply.
    pub fn is_production(self) -> bool {
        !matches!(self, Self::DevTest)
    }
}

impl fmt::Display for ClusterPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A cluster purpose that is not one of `DevTest`, `FastProd`, `DenseProd`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cluster purpose {0:?} is unknown; use DevTest, FastProd or DenseProd")]
pub struct UnknownPurpose(pub String);

impl FromStr for ClusterPurpose {
    type Err = UnknownPurpose;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::DevTest, Self::FastProd, Self::DenseProd]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownPurpose(s.to_owned()))
    }
}

/// How the scoring endpoint is exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum LoadBalancerType {
    /// A public IP (the default; R16).
    #[default]
    PublicIp,
    /// An internal load balancer with a private IP in a subnet of the cluster's vnet (R20).
    InternalLoadBalancer,
}

impl LoadBalancerType {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PublicIp => "PublicIp",
            Self::InternalLoadBalancer => "InternalLoadBalancer",
        }
    }
}

impl fmt::Display for LoadBalancerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A load balancer type that is not `PublicIp` or `InternalLoadBalancer`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("load balancer type {0:?} is unknown; use PublicIp or InternalLoadBalancer")]
pub struct UnknownLoadBalancerType(pub String);

impl FromStr for LoadBalancerType {
    type Err = UnknownLoadBalancerType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::PublicIp, Self::InternalLoadBalancer]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownLoadBalancerType(s.to_owned()))
    }
}

// ---------------------------------------------------------------------------------------------
// Virtual network (R21)

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
    pub fn check(self, report: &mut Report, prefix: &str) -> Option<Vnet> {
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
fn check_arm_name(name: &str) -> Result<(), String> {
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

// ---------------------------------------------------------------------------------------------
// Load balancer (R18, R20)

/// The load balancer as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerSettings {
    /// `PublicIp` (default) or `InternalLoadBalancer`.
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

    /// Validates, writing problems under `prefix` (usually `load_balancer`).
    pub fn check(&self, report: &mut Report, prefix: &str) -> Option<LoadBalancer> {
        let kind = self.kind.unwrap_or_default();
        let subnet = self.subnet.as_deref().map(str::trim);
        match (kind, subnet) {
            (LoadBalancerType::PublicIp, Some(_)) => {
                report.error(
                    join(prefix, "subnet"),
                    Rule::LoadBalancerSubnetWithoutInternal,
                    "a load balancer subnet applies only to an internal load balancer; set type: InternalLoadBalancer or remove the subnet",
                );
                None
            }
            (LoadBalancerType::InternalLoadBalancer, Some("")) => {
                report.error(
                    join(prefix, "subnet"),
                    Rule::LoadBalancerSubnetEmpty,
                    "is empty; name the subnet of the cluster's virtual network that holds AKS, like aks-subnet",
                );
                None
            }
            (LoadBalancerType::InternalLoadBalancer, Some(s)) => match check_arm_name(s) {
                Ok(()) => Some(LoadBalancer {
                    kind,
                    subnet: Some(s.to_owned()),
                }),
                Err(why) => {
                    report.error(join(prefix, "subnet"), Rule::LoadBalancerSubnet, why);
                    None
                }
            },
            (LoadBalancerType::InternalLoadBalancer, None) => {
                report.warn(
                    join(prefix, "subnet"),
                    Rule::LoadBalancerSubnetDefault,
                    "no subnet given for the internal load balancer; the service picks the cluster's subnet. Name the subnet that holds AKS to be sure",
                );
                Some(LoadBalancer { kind, subnet: None })
            }
            (LoadBalancerType::PublicIp, None) => Some(LoadBalancer { kind, subnet: None }),
        }
    }
}

/// A validated load balancer choice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadBalancer {
    kind: LoadBalancerType,
    subnet: Option<String>,
}

impl LoadBalancer {
    /// The type.
    pub fn kind(&self) -> LoadBalancerType {
        self.kind
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

// ---------------------------------------------------------------------------------------------
// TLS (R17, R18, R19)

/// TLS settings as given, the fields of the Python SDK's `enable_ssl` / `SslConfiguration`.
///
/// Exactly one shape is valid: nothing (TLS off), `disabled`, a custom certificate
/// (`cert_pem` + `key_pem` + `cname`), a Microsoft certificate (`leaf_domain_label`, optionally
/// `overwrite_existing_domain`), or `renew` of a Microsoft certificate.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// Turn TLS off explicitly (an update that disables it).
    pub disabled: bool,
    /// PEM certificate (chain, leaf first) of a custom certificate.
    pub cert_pem: Option<String>,
    /// PEM private key of a custom certificate.
    pub key_pem: Option<PrivateKeyPem>,
    /// Host name the custom certificate is for; point its DNS at the scoring endpoint's IP.
    pub cname: Option<String>,
    /// Leaf domain label of a Microsoft certificate; the FQDN becomes
    /// `<label>######.<region>.cloudapp.azure.com`.
    pub leaf_domain_label: Option<String>,
    /// Take over the leaf domain if it exists already.
    pub overwrite_existing_domain: Option<bool>,
    /// Renew the Microsoft-issued certificate of an `Auto` configuration.
    pub renew: bool,
}

impl TlsSettings {
    /// A custom certificate and key for `cname`.
    pub fn custom(
        cert_pem: impl Into<String>,
        key_pem: PrivateKeyPem,
        cname: impl Into<String>,
    ) -> Self {
        Self {
            cert_pem: Some(cert_pem.into()),
            key_pem: Some(key_pem),
            cname: Some(cname.into()),
            ..Self::default()
        }
    }

    /// A Microsoft-issued certificate for `leaf_domain_label`.
    pub fn microsoft(
        leaf_domain_label: impl Into<String>,
        overwrite_existing_domain: bool,
    ) -> Self {
        Self {
            leaf_domain_label: Some(leaf_domain_label.into()),
            overwrite_existing_domain: Some(overwrite_existing_domain),
            ..Self::default()
        }
    }

    /// TLS off.
    pub fn disabled() -> Self {
        Self {
            disabled: true,
            ..Self::default()
        }
    }

    /// Renew a Microsoft-issued certificate.
    pub fn renew() -> Self {
        Self {
            renew: true,
            ..Self::default()
        }
    }

    /// Whether nothing was said at all.
    pub fn is_empty(&self) -> bool {
        !self.disabled
            && !self.renew
            && self.cert_pem.is_none()
            && self.key_pem.is_none()
            && self.cname.is_none()
            && self.leaf_domain_label.is_none()
            && self.overwrite_existing_domain.is_none()
    }

    /// The values themselves: PEM shapes, the CNAME and the leaf domain label.
    fn check_values(&self, report: &mut Report, prefix: &str) {
        let path = |f: &str| join(prefix, f);
        if let Some(cert) = &self.cert_pem {
            if cert.trim().is_empty() {
                report.error(
                    path("cert"),
                    Rule::TlsCertEmpty,
                    "is empty; give the PEM certificate",
                );
            } else if !cert.contains("-----BEGIN CERTIFICATE-----") {
                report.error(
                    path("cert"),
                    Rule::TlsCertNotPem,
                    "is not a PEM certificate (no BEGIN CERTIFICATE line); give the certificate in PEM form",
                );
            }
        }
        if let Some(key) = &self.key_pem {
            if key.is_blank() {
                report.error(
                    path("key"),
                    Rule::TlsKeyEmpty,
                    "is empty; give the PEM private key",
                );
            } else if !key.expose().contains("PRIVATE KEY-----") {
                report.error(
                    path("key"),
                    Rule::TlsKeyNotPem,
                    "is not a PEM private key (no BEGIN ... PRIVATE KEY line); give the key in PEM form",
                );
            }
        }
        if let Some(cname) = &self.cname
            && let Err(why) = check_host_name(cname)
        {
            report.error(path("cname"), Rule::TlsCname, why);
        }
        if let Some(label) = &self.leaf_domain_label {
            check_leaf_label(label, report, prefix);
        }
    }

    /// Validates into a [`TlsConfig`], writing problems under `prefix` (usually `tls`).
    /// Nothing said means [`TlsConfig::Disabled`].
    pub fn check(self, report: &mut Report, prefix: &str) -> Option<TlsConfig> {
        let before = report.errors.len();
        let path = |f: &str| join(prefix, f);
        let custom_given = [
            ("cert", self.cert_pem.is_some()),
            ("key", self.key_pem.is_some()),
            ("cname", self.cname.is_some()),
        ];
        let any_custom = custom_given.iter().any(|(_, g)| *g);
        let microsoft = self.leaf_domain_label.is_some();

        if self.disabled && (any_custom || microsoft || self.renew) {
            report.error(
                path("disabled"),
                Rule::TlsConflict,
                "TLS cannot be disabled and configured at once; remove the certificate settings or the disable",
            );
        }
        if any_custom && microsoft {
            report.error(
                path("leaf_domain_label"),
                Rule::TlsConflict,
                "a leaf domain label asks for a Microsoft certificate and cannot be combined with cert, key or cname; choose one",
            );
        }
        if any_custom && !microsoft {
            for (field, given) in custom_given {
                if !given {
                    report.error(
                        path(field),
                        Rule::TlsIncomplete,
                        "is missing; a custom certificate needs cert, key and cname together",
                    );
                }
            }
        }
        if self.overwrite_existing_domain.is_some() && !microsoft && !self.renew {
            report.error(
                path("overwrite_existing_domain"),
                Rule::TlsOverwriteWithoutLabel,
                "applies only to a Microsoft certificate; set leaf_domain_label too, or remove it",
            );
        }
        if self.renew && any_custom {
            report.error(
                path("renew"),
                Rule::TlsRenewNeedsAuto,
                "renewing applies only to a Microsoft-issued (Auto) certificate; to replace a custom certificate, give the new cert, key and cname without renew",
            );
        }
        self.check_values(report, prefix);
        if report.errors.len() > before {
            return None;
        }
        if self.disabled {
            return Some(TlsConfig::Disabled);
        }
        if self.renew {
            return Some(TlsConfig::Renew {
                leaf_domain_label: self.leaf_domain_label,
            });
        }
        if let Some(leaf_domain_label) = self.leaf_domain_label {
            return Some(TlsConfig::Microsoft(MicrosoftTls {
                leaf_domain_label,
                overwrite_existing_domain: self.overwrite_existing_domain.unwrap_or(false),
            }));
        }
        match (self.cert_pem, self.key_pem, self.cname) {
            (Some(cert_pem), Some(key_pem), Some(cname)) => Some(TlsConfig::Custom(CustomTls {
                cert_pem,
                key_pem,
                cname,
            })),
            _ => Some(TlsConfig::Disabled),
        }
    }
}

fn check_leaf_label(label: &str, report: &mut Report, prefix: &str) {
    let path = || join(prefix, "leaf_domain_label");
    if label.chars().any(|c| c.is_ascii_uppercase()) {
        report.error(
            path(),
            Rule::TlsLeafDomainLabel,
            format!(
                "{label:?} has upper-case letters; DNS labels here must be lower-case, like {:?}",
                label.to_ascii_lowercase()
            ),
        );
        return;
    }
    if label.contains('.') {
        report.error(
            path(),
            Rule::TlsLeafDomainLabel,
            format!("{label:?} contains a dot; give one DNS label (the region's domain is added by the service)"),
        );
        return;
    }
    if let Err(why) = check_dns_label(label, LEAF_LABEL_MAX_LEN) {
        report.error(
            path(),
            Rule::TlsLeafDomainLabel,
            format!(
                "{label:?} {why}; the service appends {LEAF_LABEL_SUFFIX_LEN} characters to a DNS label of at most 63, so the label may have at most {LEAF_LABEL_MAX_LEN}"
            ),
        );
    } else if !label.starts_with(|c: char| c.is_ascii_lowercase()) {
        report.error(
            path(),
            Rule::TlsLeafDomainLabel,
            format!("{label:?} must start with a letter"),
        );
    }
}

/// A validated TLS choice.
#[derive(Debug, PartialEq, Eq, Default)]
pub enum TlsConfig {
    /// TLS off.
    #[default]
    Disabled,
    /// A custom certificate (status `Enabled` on the wire).
    Custom(CustomTls),
    /// A Microsoft-issued certificate for a leaf domain label (status `Auto`).
    Microsoft(MicrosoftTls),
    /// Renew the Microsoft-issued certificate of an `Auto` configuration; the label of the
    /// current configuration is kept unless one is given.
    Renew {
        /// A label to use instead of the current one.
        leaf_domain_label: Option<String>,
    },
}

impl TlsConfig {
    /// Whether TLS is on after this configuration applies.
    pub fn is_enabled(&self) -> bool {
        !matches!(self, Self::Disabled)
    }
}

/// A custom certificate, key and CNAME.
#[derive(Debug, PartialEq, Eq)]
pub struct CustomTls {
    cert_pem: String,
    key_pem: PrivateKeyPem,
    cname: String,
}

impl CustomTls {
    /// Validates the three parts; problems are under `tls.*`.
    pub fn new(
        cert_pem: impl Into<String>,
        key_pem: PrivateKeyPem,
        cname: impl Into<String>,
    ) -> crate::Result<Self> {
        let mut report = Report::new();
        match TlsSettings::custom(cert_pem, key_pem, cname).check(&mut report, "tls") {
            Some(TlsConfig::Custom(c)) => Ok(c),
            _ => Err(crate::Error::Invalid(report)),
        }
    }
    /// The PEM certificate (chain, leaf first).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }
    /// The PEM private key.
    pub fn key_pem(&self) -> &PrivateKeyPem {
        &self.key_pem
    }
    /// The host name the certificate is for.
    pub fn cname(&self) -> &str {
        &self.cname
    }
}

/// A Microsoft-issued certificate for a leaf domain label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MicrosoftTls {
    leaf_domain_label: String,
    overwrite_existing_domain: bool,
}

impl MicrosoftTls {
    /// The leaf domain label.
    pub fn leaf_domain_label(&self) -> &str {
        &self.leaf_domain_label
    }
    /// Whether an existing domain of that label is taken over.
    pub fn overwrite_existing_domain(&self) -> bool {
        self.overwrite_existing_domain
    }
}

fn check_tls_with_load_balancer(tls_on: bool, internal_lb: bool, report: &mut Report) {
    if tls_on && internal_lb {
        report.error(
            "tls",
            Rule::TlsInternalLoadBalancer,
            "TLS termination is not supported with an internal load balancer; use a public IP, or terminate TLS in front of the private endpoint",
        );
    }
}

impl TlsSettings {
    /// Whether these settings ask for TLS to be on (whatever their validity).
    fn asks_for_tls(&self) -> bool {
        !self.is_empty() && !self.disabled
    }
}

impl LoadBalancerSettings {
    /// Whether these settings ask for an internal load balancer (whatever their validity).
    fn asks_for_internal(&self) -> bool {
        self.kind == Some(LoadBalancerType::InternalLoadBalancer)
    }
}

// ---------------------------------------------------------------------------------------------
// Create (R1)

/// A validated configuration for creating a new AKS cluster through the workspace.
#[derive(Debug)]
pub struct AksProvisioningConfiguration {
    agent_count: u32,
    vm_size: String,
    location: Option<String>,
    cluster_purpose: ClusterPurpose,
    vnet: Option<Vnet>,
    load_balancer: LoadBalancer,
    tls: TlsConfig,
    warnings: Vec<Issue>,
}

impl AksProvisioningConfiguration {
    /// A builder with every field unset (the defaults apply at `build()`).
    pub fn builder() -> AksProvisioningBuilder {
        AksProvisioningBuilder::default()
    }
    /// Number of nodes (3 unless given).
    pub fn agent_count(&self) -> u32 {
        self.agent_count
    }
    /// VM size of the nodes (`Standard_D3_v2` unless given).
    pub fn vm_size(&self) -> &str {
        &self.vm_size
    }
    /// Region of the cluster; `None` means the workspace's.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }
    /// Cluster purpose (`FastProd` unless given).
    pub fn cluster_purpose(&self) -> ClusterPurpose {
        self.cluster_purpose
    }
    /// The custom virtual network.
    pub fn vnet(&self) -> Option<&Vnet> {
        self.vnet.as_ref()
    }
    /// The load balancer.
    pub fn load_balancer(&self) -> &LoadBalancer {
        &self.load_balancer
    }
    /// TLS.
    pub fn tls(&self) -> &TlsConfig {
        &self.tls
    }
    /// Advice found while validating.
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }
}

/// What a user says about a new cluster; `build()` validates it.
#[derive(Debug, Default)]
pub struct AksProvisioningBuilder {
    /// Number of nodes.
    pub agent_count: Option<u32>,
    /// VM size of the nodes.
    pub vm_size: Option<String>,
    /// Region of the cluster.
    pub location: Option<String>,
    /// Cluster purpose.
    pub cluster_purpose: Option<ClusterPurpose>,
    /// Custom virtual network.
    pub vnet: Option<VnetSettings>,
    /// Load balancer.
    pub load_balancer: LoadBalancerSettings,
    /// TLS.
    pub tls: TlsSettings,
}

impl AksProvisioningBuilder {
    /// Sets the number of nodes.
    #[must_use]
    pub fn agent_count(mut self, n: u32) -> Self {
        self.agent_count = Some(n);
        self
    }
    /// Sets the VM size.
    #[must_use]
    pub fn vm_size(mut self, size: impl Into<String>) -> Self {
        self.vm_size = Some(size.into());
        self
    }
    /// Sets the region.
    #[must_use]
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }
    /// Sets the cluster purpose.
    #[must_use]
    pub fn cluster_purpose(mut self, purpose: ClusterPurpose) -> Self {
        self.cluster_purpose = Some(purpose);
        self
    }
    /// Sets a custom virtual network.
    #[must_use]
    pub fn vnet(mut self, vnet: VnetSettings) -> Self {
        self.vnet = Some(vnet);
        self
    }
    /// Sets the load balancer.
    #[must_use]
    pub fn load_balancer(mut self, lb: LoadBalancerSettings) -> Self {
        self.load_balancer = lb;
        self
    }
    /// Sets TLS (the Python SDK's `enable_ssl`).
    #[must_use]
    pub fn enable_ssl(mut self, tls: TlsSettings) -> Self {
        self.tls = tls;
        self
    }

    /// Validates everything, returning every problem at once.
    pub fn build(self) -> crate::Result<AksProvisioningConfiguration> {
        let mut report = Report::new();
        match self.check(&mut report) {
            Some(config) if report.is_ok() => Ok(config),
            _ => Err(crate::Error::Invalid(report)),
        }
    }

    /// Validates into `report` (paths `create.*`, `load_balancer.*`, `tls.*`); the configuration
    /// is returned only when this part found no error. Warnings go to `report` and, on success,
    /// into the configuration too.
    pub fn check(self, report: &mut Report) -> Option<AksProvisioningConfiguration> {
        let mut local = Report::new();
        let agent_count = self.agent_count.unwrap_or(DEFAULT_AGENT_COUNT);
        let vm_size = match self.vm_size {
            Some(v) if v.trim().len() == v.len() => v,
            Some(v) => v.trim().to_owned(),
            None => DEFAULT_VM_SIZE.to_owned(),
        };
        let purpose = self.cluster_purpose.unwrap_or_default();
        if agent_count < 1 {
            local.error(
                "create.agent_count",
                Rule::NodesCount,
                "must be at least 1; a cluster needs a node",
            );
        }
        if vm_size.is_empty() {
            local.error(
                "create.vm_size",
                Rule::VmSizeEmpty,
                "is empty; name a VM size like Standard_D3_v2",
            );
        } else {
            check_capacity(agent_count, &vm_size, purpose, &mut local);
        }
        if let Some(location) = &self.location
            && let Err(why) = check_location(location)
        {
            local.error("create.location", Rule::LocationInvalid, why);
        }
        let vnet = self.vnet.and_then(|v| v.check(&mut local, "create.vnet"));
        let (tls_on, internal) = (
            self.tls.asks_for_tls(),
            self.load_balancer.asks_for_internal(),
        );
        let lb = self.load_balancer.check(&mut local, "load_balancer");
        let tls = self.tls.check(&mut local, "tls");
        check_tls_with_load_balancer(tls_on, internal, &mut local);
        let ok = local.is_ok();
        let warnings = local.warnings.clone();
        report.merge(local);
        if !ok {
            return None;
        }
        Some(AksProvisioningConfiguration {
            agent_count,
            vm_size,
            location: self.location,
            cluster_purpose: purpose,
            vnet,
            load_balancer: lb?,
            tls: tls?,
            warnings,
        })
    }
}

/// R8 and R12: node count x vCPUs for the purpose, and accelerator notes.
fn check_capacity(agent_count: u32, vm_size: &str, purpose: ClusterPurpose, report: &mut Report) {
    let Some(size) = vm_size::lookup(vm_size) else {
        report.warn(
            "create.vm_size",
            Rule::VmSizeUnknown,
            format!(
                "{vm_size:?} is not in the built-in catalog, so its vCPUs cannot be checked here; the service will decide (see `az vm list-sizes`)"
            ),
        );
        if purpose.is_production() && agent_count < PRODUCTION_MIN_NODES {
            report.error(
                "create.agent_count",
                Rule::PurposeProductionNodes,
                format!(
                    "{purpose} needs at least {PRODUCTION_MIN_NODES} nodes, this has {agent_count}; add nodes or use cluster_purpose: DevTest"
                ),
            );
        }
        return;
    };
    let total = agent_count.saturating_mul(size.vcpus);
    if purpose.is_production() {
        if agent_count < PRODUCTION_MIN_NODES {
            report.error(
                "create.agent_count",
                Rule::PurposeProductionNodes,
                format!(
                    "{purpose} needs at least {PRODUCTION_MIN_NODES} nodes, this has {agent_count}; add nodes or use cluster_purpose: DevTest"
                ),
            );
        }
        if total < PRODUCTION_MIN_VCPUS {
            let needed = PRODUCTION_MIN_VCPUS.div_ceil(size.vcpus.max(1));
            report.error(
                "create.agent_count",
                Rule::PurposeProductionVcpus,
                format!(
                    "{purpose} needs at least {PRODUCTION_MIN_VCPUS} vCPUs, {agent_count} x {} ({} vCPUs each) has {total}; use at least {} nodes of this size, a larger size, or cluster_purpose: DevTest",
                    size.name,
                    size.vcpus,
                    needed.max(PRODUCTION_MIN_NODES)
                ),
            );
        }
    } else if total < DEVTEST_RECOMMENDED_VCPUS {
        report.warn(
            "create.agent_count",
            Rule::PurposeDevtestVcpus,
            format!(
                "a dev-test cluster should have at least {DEVTEST_RECOMMENDED_VCPUS} vCPUs, {agent_count} x {} has {total}",
                size.name
            ),
        );
    }
    if size.is_accelerated() {
        report.warn(
            "create.vm_size",
            Rule::VmSizeAccelerator,
            format!(
                "{} carries {}; GPU and FPGA nodes must be chosen when the cluster is created, a second node pool for deployment is not supported",
                size.name,
                size.accelerator.unwrap_or("an accelerator")
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Attach (R2, R9, R10)

/// How the cluster to attach is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterRef {
    /// By ARM id (`az aks show ... --query id`).
    Id(AksClusterId),
    /// By resource group and name, in the workspace's subscription.
    InWorkspaceSubscription {
        /// Resource group of the cluster.
        resource_group: String,
        /// Name of the cluster.
        cluster_name: String,
    },
}

impl ClusterRef {
    /// The full id, using `subscription_id` for a cluster named by resource group and name.
    pub fn resolve(&self, subscription_id: &str) -> crate::Result<AksClusterId> {
        match self {
            Self::Id(id) => Ok(id.clone()),
            Self::InWorkspaceSubscription {
                resource_group,
                cluster_name,
            } => Ok(AksClusterId::new(
                subscription_id,
                resource_group,
                cluster_name,
            )?),
        }
    }
}

/// A validated configuration for attaching an existing AKS cluster.
#[derive(Debug)]
pub struct AksAttachConfiguration {
    cluster: ClusterRef,
    cluster_purpose: ClusterPurpose,
    load_balancer: LoadBalancer,
    tls: TlsConfig,
    warnings: Vec<Issue>,
}

impl AksAttachConfiguration {
    /// A builder with every field unset.
    pub fn builder() -> AksAttachBuilder {
        AksAttachBuilder::default()
    }
    /// The cluster to attach.
    pub fn cluster(&self) -> &ClusterRef {
        &self.cluster
    }
    /// Cluster purpose (`FastProd` unless given).
    pub fn cluster_purpose(&self) -> ClusterPurpose {
        self.cluster_purpose
    }
    /// The load balancer to switch to once attached (R20: an update after attaching).
    pub fn load_balancer(&self) -> &LoadBalancer {
        &self.load_balancer
    }
    /// TLS.
    pub fn tls(&self) -> &TlsConfig {
        &self.tls
    }
    /// Advice found while validating.
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }
}

/// What a user says about a cluster to attach; `build()` validates it.
#[derive(Debug, Default)]
pub struct AksAttachBuilder {
    /// ARM id of the cluster (or give `resource_group` + `cluster_name`).
    pub resource_id: Option<String>,
    /// Resource group of the cluster, in the workspace's subscription.
    pub resource_group: Option<String>,
    /// Name of the cluster.
    pub cluster_name: Option<String>,
    /// Cluster purpose.
    pub cluster_purpose: Option<ClusterPurpose>,
    /// Load balancer, applied by an update after attaching.
    pub load_balancer: LoadBalancerSettings,
    /// TLS.
    pub tls: TlsSettings,
}

impl AksAttachBuilder {
    /// Names the cluster by ARM id.
    #[must_use]
    pub fn resource_id(mut self, id: impl Into<String>) -> Self {
        self.resource_id = Some(id.into());
        self
    }
    /// Names the cluster by resource group and name in the workspace's subscription.
    #[must_use]
    pub fn cluster(mut self, resource_group: impl Into<String>, name: impl Into<String>) -> Self {
        self.resource_group = Some(resource_group.into());
        self.cluster_name = Some(name.into());
        self
    }
    /// Sets the cluster purpose.
    #[must_use]
    pub fn cluster_purpose(mut self, purpose: ClusterPurpose) -> Self {
        self.cluster_purpose = Some(purpose);
        self
    }
    /// Sets the load balancer to switch to after attaching.
    #[must_use]
    pub fn load_balancer(mut self, lb: LoadBalancerSettings) -> Self {
        self.load_balancer = lb;
        self
    }
    /// Sets TLS (the Python SDK's `enable_ssl`).
    #[must_use]
    pub fn enable_ssl(mut self, tls: TlsSettings) -> Self {
        self.tls = tls;
        self
    }

    /// Validates everything, returning every problem at once.
    pub fn build(self) -> crate::Result<AksAttachConfiguration> {
        let mut report = Report::new();
        match self.check(&mut report) {
            Some(config) if report.is_ok() => Ok(config),
            _ => Err(crate::Error::Invalid(report)),
        }
    }

    /// Validates into `report` (paths `attach.*`, `load_balancer.*`, `tls.*`).
    pub fn check(self, report: &mut Report) -> Option<AksAttachConfiguration> {
        let mut local = Report::new();
        let cluster = self.check_cluster(&mut local);
        let (tls_on, internal) = (
            self.tls.asks_for_tls(),
            self.load_balancer.asks_for_internal(),
        );
        let lb = self.load_balancer.check(&mut local, "load_balancer");
        let tls = self.tls.check(&mut local, "tls");
        check_tls_with_load_balancer(tls_on, internal, &mut local);
        let ok = local.is_ok();
        let warnings = local.warnings.clone();
        report.merge(local);
        if !ok {
            return None;
        }
        Some(AksAttachConfiguration {
            cluster: cluster?,
            cluster_purpose: self.cluster_purpose.unwrap_or_default(),
            load_balancer: lb?,
            tls: tls?,
            warnings,
        })
    }

    fn check_cluster(&self, report: &mut Report) -> Option<ClusterRef> {
        let by_name = self.resource_group.is_some() || self.cluster_name.is_some();
        match (&self.resource_id, by_name) {
            (Some(_), true) => {
                report.error(
                    "attach.resource_id",
                    Rule::AttachClusterAmbiguous,
                    "give either resource_id or resource_group + cluster_name, not both",
                );
                None
            }
            (None, false) => {
                report.error(
                    "attach.resource_id",
                    Rule::AttachClusterMissing,
                    "name the cluster to attach: resource_id (from `az aks show -g RG -n NAME --query id`) or resource_group + cluster_name",
                );
                None
            }
            (Some(id), false) => match id.trim().parse::<AksClusterId>() {
                Ok(id) => Some(ClusterRef::Id(id)),
                Err(e) => {
                    report.error("attach.resource_id", Rule::AttachResourceId, e.to_string());
                    None
                }
            },
            (None, true) => {
                let rg = self.resource_group.clone().unwrap_or_default();
                let name = self.cluster_name.clone().unwrap_or_default();
                if rg.trim().is_empty() {
                    report.error(
                        "attach.resource_group",
                        Rule::AttachIncomplete,
                        "is missing; give the cluster's resource group with cluster_name",
                    );
                }
                if name.trim().is_empty() {
                    report.error(
                        "attach.cluster_name",
                        Rule::AttachIncomplete,
                        "is missing; give the cluster's name with resource_group",
                    );
                }
                if !rg.trim().is_empty() && !name.trim().is_empty() {
                    // Any subscription will do to check the shape; the real one comes later.
                    match AksClusterId::new("00000000-0000-0000-0000-000000000000", &rg, &name) {
                        Ok(_) => Some(ClusterRef::InWorkspaceSubscription {
                            resource_group: rg,
                            cluster_name: name,
                        }),
                        Err(e) => {
                            report.error(
                                "attach.cluster_name",
                                Rule::AttachClusterName,
                                e.to_string(),
                            );
                            None
                        }
                    }
                } else {
                    None
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Update (R5, R20)

/// A validated update: TLS and/or load balancer changes (the Python SDK's
/// `AksUpdateConfiguration(ssl_configuration, load_balancer_type, load_balancer_subnet)`).
#[derive(Debug, Default)]
pub struct AksUpdateConfiguration {
    tls: Option<TlsConfig>,
    load_balancer: Option<LoadBalancer>,
    warnings: Vec<Issue>,
}

impl AksUpdateConfiguration {
    /// A builder that changes nothing yet.
    pub fn builder() -> AksUpdateBuilder {
        AksUpdateBuilder::default()
    }
    /// The TLS change, if any.
    pub fn tls(&self) -> Option<&TlsConfig> {
        self.tls.as_ref()
    }
    /// The load balancer change, if any.
    pub fn load_balancer(&self) -> Option<&LoadBalancer> {
        self.load_balancer.as_ref()
    }
    /// Advice found while validating.
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }
    /// Whether this changes nothing.
    pub fn is_empty(&self) -> bool {
        self.tls.is_none() && self.load_balancer.is_none()
    }
}

/// What a user wants changed; `build()` validates it.
#[derive(Debug, Default)]
pub struct AksUpdateBuilder {
    /// New TLS settings.
    pub tls: Option<TlsSettings>,
    /// New load balancer.
    pub load_balancer: Option<LoadBalancerSettings>,
}

impl AksUpdateBuilder {
    /// Changes TLS.
    #[must_use]
    pub fn ssl(mut self, tls: TlsSettings) -> Self {
        self.tls = Some(tls);
        self
    }
    /// Changes the load balancer.
    #[must_use]
    pub fn load_balancer(mut self, lb: LoadBalancerSettings) -> Self {
        self.load_balancer = Some(lb);
        self
    }

    /// Validates everything, returning every problem at once.
    pub fn build(self) -> crate::Result<AksUpdateConfiguration> {
        let mut report = Report::new();
        match self.check(&mut report) {
            Some(config) if report.is_ok() => Ok(config),
            _ => Err(crate::Error::Invalid(report)),
        }
    }

    /// Validates into `report` (paths `load_balancer.*`, `tls.*`).
    pub fn check(self, report: &mut Report) -> Option<AksUpdateConfiguration> {
        let mut local = Report::new();
        if self.tls.as_ref().is_none_or(TlsSettings::is_empty)
            && self
                .load_balancer
                .as_ref()
                .is_none_or(LoadBalancerSettings::is_empty)
        {
            local.error(
                "update",
                Rule::UpdateEmpty,
                "changes nothing; set TLS settings or a load balancer",
            );
        }
        let tls_on = self.tls.as_ref().is_some_and(TlsSettings::asks_for_tls);
        let internal = self
            .load_balancer
            .as_ref()
            .is_some_and(LoadBalancerSettings::asks_for_internal);
        let lb = self
            .load_balancer
            .filter(|lb| !lb.is_empty())
            .map(|lb| lb.check(&mut local, "load_balancer"));
        let tls = self
            .tls
            .filter(|t| !t.is_empty())
            .map(|t| t.check(&mut local, "tls"));
        check_tls_with_load_balancer(tls_on, internal, &mut local);
        let ok = local.is_ok();
        let warnings = local.warnings.clone();
        report.merge(local);
        if !ok {
            return None;
        }
        Some(AksUpdateConfiguration {
            tls: tls.flatten(),
            load_balancer: lb.flatten(),
            warnings,
        })
    }
}
