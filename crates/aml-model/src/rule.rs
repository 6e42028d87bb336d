//! The rule catalogue's codes: every code an [`Issue`](crate::Issue), an error or a warning of
//! this workspace can carry.
//!
//! A code is short, stable and searchable: `area.rule`, lower-case, such as
//! `tls.internal_load_balancer`. Messages show it in one form, in square brackets at the end:
//! `tls: TLS termination is not supported with an internal load balancer; ...
//! [tls.internal_load_balancer]`. Each code has an entry in the repository's rule catalogue,
//! `docs/rules.md` (<https://github.com/aml-rs/aml/blob/main/docs/rules.md>): what the rule says,
//! why, where it is checked, whether it is an error or a warning, and how to fix it.
//!
//! ```
//! use aml_model::Rule;
//!
//! let rule: Rule = "tls.internal_load_balancer".parse().unwrap();
//! assert_eq!(rule, Rule::TlsInternalLoadBalancer);
//! assert_eq!(rule.to_string(), "tls.internal_load_balancer");
//! assert!(Rule::ALL.contains(&rule));
//! ```

use std::fmt;
use std::str::FromStr;

macro_rules! rules {
    ($( $(#[doc = $doc:literal])+ $variant:ident = $code:literal, )+) => {
        /// A rule of the catalogue, named by its stable code ([`Rule::code`]).
        ///
        /// New rules are added over time, so the enum is non-exhaustive.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Rule {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl Rule {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [Rule] = &[ $( Rule::$variant, )+ ];

            /// The stable code, such as `tls.internal_load_balancer`.
            pub const fn code(self) -> &'static str {
                match self {
                    $( Rule::$variant => $code, )+
                }
            }
        }
    };
}

rules! {
    // Compute names.
    /// A compute name has 3 to 24 characters.
    NameLength = "name.length",
    /// A compute name starts with a letter.
    NameStart = "name.start",
    /// A compute name ends with a letter or a digit.
    NameEnd = "name.end",
    /// A compute name has only letters, digits and dashes.
    NameCharacter = "name.character",
    /// A name the service reserves cannot be created.
    NameReserved = "name.reserved",
    // Azure resource names and ids.
    /// A resource group name has 1 to 90 characters.
    ResourceGroupLength = "resource_group.length",
    /// A resource group name does not end with a period.
    ResourceGroupEnd = "resource_group.end",
    /// A resource group name has only letters, digits, `_`, `-`, `.`, `(` and `)`.
    ResourceGroupCharacter = "resource_group.character",
    /// The workspace's subscription, resource group and name form a valid ARM id.
    WorkspaceId = "workspace.id",
    /// A region is an Azure location name such as `eastus`.
    LocationInvalid = "location.invalid",
    /// A created cluster's region is known: given, or the workspace's.
    LocationUnknown = "location.unknown",
    /// The cluster and the workspace are in different regions (advice).
    LocationDiffers = "location.differs",
    // Specs.
    /// A spec is well-formed YAML or JSON with only known keys.
    SpecInvalid = "spec.invalid",
    /// A spec has exactly one of `create` and `attach`.
    SpecOperation = "spec.operation",
    /// A certificate or key named by a file was read before validation.
    TlsFileNotLoaded = "tls.file_not_loaded",
    // Nodes, VM sizes and the cluster purpose.
    /// A cluster has at least one node.
    NodesCount = "nodes.count",
    /// A VM size is named.
    VmSizeEmpty = "vm_size.empty",
    /// The VM size is not in the built-in catalog, so its vCPUs are not checked (advice).
    VmSizeUnknown = "vm_size.unknown",
    /// GPU and FPGA sizes must be chosen when the cluster is created (advice).
    VmSizeAccelerator = "vm_size.accelerator",
    /// The cluster purpose is `DevTest`, `FastProd` or `DenseProd`.
    PurposeUnknown = "purpose.unknown",
    /// A production cluster has at least 12 vCPUs.
    PurposeProductionVcpus = "purpose.production_vcpus",
    /// A production cluster has at least 3 nodes.
    PurposeProductionNodes = "purpose.production_nodes",
    /// A dev-test cluster should have at least 2 vCPUs (advice).
    PurposeDevtestVcpus = "purpose.devtest_vcpus",
    // Custom virtual network.
    /// A custom virtual network gives all six of its settings together.
    VnetIncomplete = "vnet.incomplete",
    /// The virtual network's resource group, vnet and subnet names are valid Azure names.
    VnetName = "vnet.name",
    /// The service CIDR and docker bridge CIDR are IPv4 CIDRs.
    VnetCidr = "vnet.cidr",
    /// The DNS service IP is an IPv4 address.
    VnetIp = "vnet.ip",
    /// The docker bridge CIDR does not overlap the service CIDR.
    VnetBridgeOverlapsServiceCidr = "vnet.bridge_overlaps_service_cidr",
    /// The DNS service IP is inside the service CIDR.
    VnetDnsIpOutsideServiceCidr = "vnet.dns_ip_outside_service_cidr",
    /// The DNS service IP is not the service CIDR's network address.
    VnetDnsIpIsNetworkAddress = "vnet.dns_ip_is_network_address",
    /// The DNS service IP is not the Kubernetes API service's address (the CIDR's first host).
    VnetDnsIpIsKubernetesApi = "vnet.dns_ip_is_kubernetes_api",
    /// The DNS service IP is not the service CIDR's broadcast address.
    VnetDnsIpIsBroadcast = "vnet.dns_ip_is_broadcast",
    // Load balancer.
    /// The load balancer type is `PublicIp` or `InternalLoadBalancer`.
    LoadBalancerType = "load_balancer.type",
    /// A subnet is given only with an internal load balancer.
    LoadBalancerSubnetWithoutInternal = "load_balancer.subnet_without_internal",
    /// A load balancer subnet name is a valid Azure subnet name.
    LoadBalancerSubnet = "load_balancer.subnet",
    /// A load balancer subnet name is not empty.
    LoadBalancerSubnetEmpty = "load_balancer.subnet_empty",
    /// An internal load balancer without a subnet leaves the choice of subnet to the service
    /// (advice).
    LoadBalancerSubnetDefault = "load_balancer.subnet_default",
    // TLS settings.
    /// TLS termination is not supported with an internal load balancer.
    TlsInternalLoadBalancer = "tls.internal_load_balancer",
    /// TLS uses a Microsoft certificate or a custom one, not both.
    TlsConflict = "tls.conflict",
    /// A custom certificate comes with its key and a CNAME.
    TlsIncomplete = "tls.incomplete",
    /// `overwrite_existing_domain` goes with a leaf domain label.
    TlsOverwriteWithoutLabel = "tls.overwrite_without_label",
    /// Renewing applies to a Microsoft certificate.
    TlsRenewNeedsAuto = "tls.renew_needs_auto",
    /// A leaf domain label is one lower-case DNS label short enough for the service's suffix.
    TlsLeafDomainLabel = "tls.leaf_domain_label",
    /// The CNAME is a host name.
    TlsCname = "tls.cname",
    /// A certificate is not empty.
    TlsCertEmpty = "tls.cert_empty",
    /// A certificate is PEM.
    TlsCertNotPem = "tls.cert_not_pem",
    /// A private key is not empty.
    TlsKeyEmpty = "tls.key_empty",
    /// A private key is PEM.
    TlsKeyNotPem = "tls.key_not_pem",
    // Certificate hygiene (aml-tls).
    /// The certificate and key parse (PEM, then X.509 or PKCS#8 / PKCS#1 / SEC1).
    TlsUnreadable = "tls.unreadable",
    /// The private key is not encrypted.
    TlsKeyEncrypted = "tls.key_encrypted",
    /// The key is RSA, ECDSA (P-256, P-384, P-521) or Ed25519.
    TlsKeyUnsupported = "tls.key_unsupported",
    /// RSA keys have at least 2048 bits.
    TlsKeyTooSmall = "tls.key_too_small",
    /// The private key belongs to the leaf certificate.
    TlsKeyMismatch = "tls.key_mismatch",
    /// The leaf certificate has a DNS subject alternative name.
    TlsNoSan = "tls.no_san",
    /// The CNAME is covered by one of the leaf certificate's DNS names.
    TlsCnameMismatch = "tls.cname_mismatch",
    /// Every certificate of the chain is valid already.
    TlsNotYetValid = "tls.not_yet_valid",
    /// No certificate of the chain has expired.
    TlsExpired = "tls.expired",
    /// A certificate expires soon (advice).
    TlsExpiresSoon = "tls.expires_soon",
    /// The chain is in order: leaf first, each certificate signed by the next.
    TlsChainOrder = "tls.chain_order",
    // Attaching.
    /// The cluster is named one way: by id or by resource group and name.
    AttachClusterAmbiguous = "attach.cluster_ambiguous",
    /// The cluster to attach is named.
    AttachClusterMissing = "attach.cluster_missing",
    /// A resource group and a cluster name come together.
    AttachIncomplete = "attach.incomplete",
    /// The cluster's resource id is an AKS managed cluster id.
    AttachResourceId = "attach.resource_id",
    /// The cluster's name is a valid AKS cluster name.
    AttachClusterName = "attach.cluster_name",
    /// An attached cluster is in the workspace's subscription.
    AttachOtherSubscription = "attach.other_subscription",
    /// One cluster is attached under one name only.
    AttachClusterAttached = "attach.cluster_attached",
    // Live checks of the cluster and the workspace.
    /// A compute name is unique in the workspace: creating is not idempotent.
    ComputeExists = "compute.exists",
    /// The cluster runs a Kubernetes version its region supports.
    ClusterKubernetesVersion = "cluster.kubernetes_version",
    /// Authorized API-server IP ranges could not be compared with the Azure ML control plane of
    /// a region whose service tag is not published (advice).
    ClusterAuthorizedRanges = "cluster.authorized_ranges",
    /// Authorized API-server IP ranges need a Standard load balancer (advice).
    ClusterAuthorizedRangesBasicLb = "cluster.authorized_ranges_basic_lb",
    /// The cluster to create does not exist yet: an existing one is attached, not created.
    ClusterExists = "cluster.exists",
    /// Which Kubernetes version a new cluster gets when none is asked for (advice).
    ClusterDefaultVersion = "cluster.default_version",
    /// Authorized API-server IP ranges admit every Azure ML control-plane prefix of the
    /// workspace's region and its paired region.
    ClusterControlPlaneMissing = "cluster.control_plane_missing",
    /// IPv6 control-plane prefixes cannot be admitted by IPv4-only authorized ranges (advice).
    ClusterControlPlaneIpv6 = "cluster.control_plane_ipv6",
    /// A private cluster's API server is reachable only from its network (advice).
    ClusterPrivate = "cluster.private",
    /// Microsoft Entra ID (Azure AD) integration or Azure RBAC is on (advice).
    ClusterAad = "cluster.aad",
    /// GPU or FPGA nodes only in a secondary pool (advice).
    ClusterAcceleratorSecondaryPool = "cluster.accelerator_secondary_pool",
    /// Egress goes through user-defined routes or a NAT gateway (advice).
    ClusterEgress = "cluster.egress",
    /// The cluster's Kubernetes objects are not edited by hand (advice; not checked).
    ClusterYamlEdits = "cluster.yaml_edits",
    /// A cluster is deleted only once no compute of the workspace uses it.
    ClusterStillAttached = "cluster.still_attached",
    /// Computes of other workspaces cannot be seen, and break when their cluster is deleted
    /// (advice).
    ClusterOtherWorkspaces = "cluster.other_workspaces",
    // Creating an AKS cluster outside the workspace.
    /// A requested Kubernetes version is `MAJOR.MINOR` or `MAJOR.MINOR.PATCH`.
    ClusterVersionFormat = "cluster.version_format",
    /// A DNS prefix has 1 to 54 letters, digits and dashes, starting and ending with a letter
    /// or a digit.
    ClusterDnsPrefix = "cluster.dns_prefix",
    /// An agent pool name has 1 to 12 lower-case letters and digits, starting with a letter;
    /// pool names differ.
    ClusterPoolName = "cluster.pool_name",
    /// The accelerator pool's VM size is a GPU or FPGA size.
    ClusterAcceleratorVmSize = "cluster.accelerator_vm_size",
    /// A new cluster uses a Standard load balancer.
    ClusterLoadBalancerSku = "cluster.load_balancer_sku",
    /// Authorized API-server IP ranges need a Standard load balancer.
    ClusterRangesNeedStandardLb = "cluster.ranges_need_standard_lb",
    /// A private cluster has no authorized IP ranges.
    ClusterPrivateAndRanges = "cluster.private_and_ranges",
    /// Each authorized IP range is an IPv4 address or CIDR.
    ClusterAuthorizedRange = "cluster.authorized_range",
    /// A cluster has at most 200 authorized IP ranges, the control-plane prefixes added
    /// included.
    ClusterAuthorizedRangesCount = "cluster.authorized_ranges_count",
    /// The outbound type is `loadBalancer` or `userDefinedRouting`.
    ClusterOutboundType = "cluster.outbound_type",
    /// User-defined routing needs a subnet (its route table carries the egress route).
    ClusterOutboundUdrSubnet = "cluster.outbound_udr_subnet",
    /// The subnet is a subnet's resource id in the workspace's subscription.
    ClusterSubnet = "cluster.subnet",
    /// A user-assigned identity is a `Microsoft.ManagedIdentity/userAssignedIdentities` id.
    ClusterIdentity = "cluster.identity",
    /// Tag names and values fit Azure's limits.
    ClusterTags = "cluster.tags",
    // Updates.
    /// An update changes something.
    UpdateEmpty = "update.empty",
    // Scaling.
    /// A scale changes something: the node count or the autoscaler.
    ScaleEmpty = "scale.empty",
    /// The pool Azure ML deploys to keeps at least one node.
    ScaleNodeCount = "scale.node_count",
    /// The autoscaler's bounds hold: 1 <= min <= max, and a node count within them.
    ScaleAutoscaleRange = "scale.autoscale_range",
    /// A pool's VM size never changes.
    ScaleVmSize = "scale.vm_size",
    /// The pool to scale exists on the cluster.
    ScalePoolMissing = "scale.pool_missing",
    // Re-attaching.
    /// A created compute, once re-attached, counts as attached (advice).
    ReattachCreated = "reattach.created",
    /// The TLS settings to re-attach with are known.
    ReattachTls = "reattach.tls",
}

impl Rule {
    /// The rule with that code, if the catalogue has one.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|rule| rule.code() == code)
    }
}

impl fmt::Display for Rule {
    /// The code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Shows ` [code]` after a message for `Some(rule)`, and nothing for `None`: the one form in
/// which messages carry a rule code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag(pub Option<Rule>);

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(rule) => write!(f, " [{rule}]"),
            None => Ok(()),
        }
    }
}

/// A code that is not in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?} is not a rule code of the catalogue")]
pub struct UnknownRule {
    /// The code given.
    pub code: String,
}

impl FromStr for Rule {
    type Err = UnknownRule;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_code(s).ok_or_else(|| UnknownRule { code: s.to_owned() })
    }
}

impl PartialEq<str> for Rule {
    fn eq(&self, other: &str) -> bool {
        self.code() == other
    }
}

impl PartialEq<&str> for Rule {
    fn eq(&self, other: &&str) -> bool {
        self.code() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::Rule;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in Rule::ALL {
            let code = rule.code();
            assert!(seen.insert(code), "{code} is listed twice");
            let (area, name) = code.split_once('.').expect("area.rule");
            for part in [area, name] {
                assert!(
                    !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                    "{code} is not lower-case area.rule"
                );
            }
            assert_eq!(code.parse::<Rule>(), Ok(*rule));
        }
        assert!(
            format!("R{}", 10).parse::<Rule>().is_err(),
            "requirement numbers are no codes"
        );
    }
}
