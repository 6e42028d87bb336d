//! Typed views of computes as the service reports them.

use aml_model::AksClusterId;
use aml_model::wire::{self, ComputeResource, ErrorDetail, ProvisioningState, SslConfigStatus};

/// A compute of any type, as `get` and `list` return it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ComputeTarget {
    /// An AKS compute, fully typed.
    Aks(AksCompute),
    /// Another type of compute (AmlCompute, Kubernetes, ...), kept as the service sent it.
    Other {
        /// The compute's name.
        name: String,
        /// Its `computeType`.
        compute_type: String,
        /// The whole resource.
        resource: Box<ComputeResource>,
    },
}

impl ComputeTarget {
    /// Reads a compute resource.
    pub fn from_resource(resource: ComputeResource) -> Self {
        match resource.aks() {
            Some(_) => Self::Aks(AksCompute::from_resource(resource)),
            None => Self::Other {
                name: resource.name.clone().unwrap_or_default(),
                compute_type: resource
                    .properties
                    .as_ref()
                    .map(|p| p.compute_type().to_string())
                    .unwrap_or_default(),
                resource: Box::new(resource),
            },
        }
    }

    /// The compute's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Aks(a) => a.name(),
            Self::Other { name, .. } => name,
        }
    }

    /// The compute's type (`AKS`, `AmlCompute`, ...).
    pub fn compute_type(&self) -> &str {
        match self {
            Self::Aks(_) => "AKS",
            Self::Other { compute_type, .. } => compute_type,
        }
    }

    /// The AKS view, for an AKS compute.
    pub fn as_aks(&self) -> Option<&AksCompute> {
        match self {
            Self::Aks(a) => Some(a),
            Self::Other { .. } => None,
        }
    }

    /// The AKS view, for an AKS compute.
    pub fn into_aks(self) -> Option<AksCompute> {
        match self {
            Self::Aks(a) => Some(a),
            Self::Other { .. } => None,
        }
    }
}

/// An AKS compute: the fields a user reads, over the full resource (kept in [`AksCompute::resource`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AksCompute {
    resource: Box<ComputeResource>,
}

impl AksCompute {
    /// Wraps a resource whose `computeType` is AKS.
    pub fn from_resource(resource: ComputeResource) -> Self {
        Self {
            resource: Box::new(resource),
        }
    }

    fn aks(&self) -> Option<&wire::AksCompute> {
        self.resource.aks()
    }

    fn props(&self) -> Option<&wire::AksProperties> {
        self.aks().and_then(|a| a.properties.as_ref())
    }

    fn ssl(&self) -> Option<&wire::SslConfiguration> {
        self.props().and_then(|p| p.ssl_configuration.as_ref())
    }

    /// The whole resource, unknown fields included.
    pub fn resource(&self) -> &ComputeResource {
        &self.resource
    }

    /// The whole resource.
    pub fn into_resource(self) -> ComputeResource {
        *self.resource
    }

    /// The compute's name.
    pub fn name(&self) -> &str {
        self.resource.name.as_deref().unwrap_or_default()
    }

    /// The compute's ARM id.
    pub fn id(&self) -> Option<&str> {
        self.resource.id.as_deref()
    }

    /// The provisioning state (`Creating`, `Succeeded`, `Failed`, ...).
    pub fn provisioning_state(&self) -> Option<&ProvisioningState> {
        self.aks().and_then(|a| a.provisioning_state.as_ref())
    }

    /// Whether the provisioning state is `Failed`.
    pub fn is_failed(&self) -> bool {
        matches!(self.provisioning_state(), Some(ProvisioningState::Failed))
    }

    /// Whether the cluster was brought from outside (attached) rather than created.
    pub fn is_attached(&self) -> bool {
        self.aks()
            .and_then(|a| a.is_attached_compute)
            .unwrap_or(false)
    }

    /// The underlying managed cluster's id.
    pub fn cluster_resource_id(&self) -> Option<&str> {
        self.aks().and_then(|a| a.resource_id.as_deref())
    }

    /// The underlying managed cluster's id, parsed.
    pub fn cluster_id(&self) -> Option<AksClusterId> {
        self.cluster_resource_id().and_then(|s| s.parse().ok())
    }

    /// Region of the cluster.
    pub fn compute_location(&self) -> Option<&str> {
        self.aks().and_then(|a| a.compute_location.as_deref())
    }

    /// Number of nodes.
    pub fn agent_count(&self) -> Option<u32> {
        self.props().and_then(|p| p.agent_count)
    }

    /// VM size of the nodes.
    pub fn agent_vm_size(&self) -> Option<&str> {
        self.props().and_then(|p| p.agent_vm_size.as_deref())
    }

    /// Cluster purpose as the service reports it.
    pub fn cluster_purpose(&self) -> Option<&wire::ClusterPurpose> {
        self.props().and_then(|p| p.cluster_purpose.as_ref())
    }

    /// TLS status (`Disabled`, `Enabled` for a custom certificate, `Auto` for Microsoft's).
    pub fn ssl_status(&self) -> Option<&SslConfigStatus> {
        self.ssl().and_then(|s| s.status.as_ref())
    }

    /// Whether TLS is on.
    pub fn ssl_enabled(&self) -> bool {
        self.ssl_status()
            .is_some_and(|s| !matches!(s, SslConfigStatus::Disabled))
    }

    /// CNAME of a custom certificate.
    pub fn ssl_cname(&self) -> Option<&str> {
        self.ssl().and_then(|s| s.cname.as_deref())
    }

    /// Leaf domain label of a Microsoft certificate.
    pub fn leaf_domain_label(&self) -> Option<&str> {
        self.ssl().and_then(|s| s.leaf_domain_label.as_deref())
    }

    /// The custom certificate (PEM) the service reports; never its key.
    pub fn ssl_cert(&self) -> Option<&str> {
        self.ssl().and_then(|s| s.cert.as_deref())
    }

    /// The subnet of the cluster's custom virtual network, for a created compute that has one.
    pub fn vnet_subnet_id(&self) -> Option<&str> {
        self.props()
            .and_then(|p| p.aks_networking_configuration.as_ref())
            .and_then(|n| n.subnet_id.as_deref())
    }

    /// Load balancer type as the service reports it (`PublicIp` when unset).
    pub fn load_balancer_type(&self) -> &wire::LoadBalancerType {
        const PUBLIC_IP: &wire::LoadBalancerType = &wire::LoadBalancerType::PublicIp;
        self.props()
            .and_then(|p| p.load_balancer_type.as_ref())
            .unwrap_or(PUBLIC_IP)
    }

    /// Whether the scoring endpoint is behind an internal load balancer (R20).
    pub fn has_internal_load_balancer(&self) -> bool {
        self.load_balancer_type().is_internal()
    }

    /// Subnet of an internal load balancer.
    pub fn load_balancer_subnet(&self) -> Option<&str> {
        self.props().and_then(|p| p.load_balancer_subnet.as_deref())
    }

    /// The cluster's FQDN.
    pub fn cluster_fqdn(&self) -> Option<&str> {
        self.props().and_then(|p| p.cluster_fqdn.as_deref())
    }

    /// The public IP of the scoring front end, when the service reports one.
    pub fn scoring_ip(&self) -> Option<&str> {
        self.props()
            .and_then(|p| p.system_services.as_ref())
            .and_then(|s| s.iter().find_map(|s| s.public_ip_address.as_deref()))
    }

    /// The provisioning errors the service reports.
    pub fn provisioning_errors(&self) -> Vec<ErrorDetail> {
        self.aks()
            .and_then(|a| a.provisioning_errors.as_ref())
            .map(|errs| errs.iter().filter_map(|e| e.error.clone()).collect())
            .unwrap_or_default()
    }
}

impl std::fmt::Display for AksCompute {
    /// One line: name, state, size, purpose, TLS and load balancer.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} [{}] {} x {} {} in {}, TLS {}, {}{}",
            self.name(),
            self.provisioning_state()
                .map_or("?", ProvisioningState::as_str),
            self.agent_count()
                .map_or_else(|| "?".into(), |n| n.to_string()),
            self.agent_vm_size().unwrap_or("?"),
            self.cluster_purpose()
                .map_or("?", wire::ClusterPurpose::as_str),
            self.compute_location().unwrap_or("?"),
            self.ssl_status()
                .map_or("Disabled", SslConfigStatus::as_str),
            self.load_balancer_type(),
            if self.is_attached() { ", attached" } else { "" }
        )
    }
}
