//! Creating a new AKS cluster through the workspace (R1).

use super::load_balancer::{LoadBalancer, LoadBalancerSettings};
use super::purpose::{check_capacity, check_purpose};
use super::tls::{TlsConfig, TlsSettings, check_tls_with_load_balancer};
use super::vnet::{Vnet, VnetSettings};
use super::{DEFAULT_AGENT_COUNT, DEFAULT_VM_SIZE};
use crate::Rule;
use crate::validate::{Issue, Report, check_location};
use crate::wire::ClusterPurpose;

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
    /// Cluster purpose (`FastProd` unless given; never `Unknown`).
    pub fn cluster_purpose(&self) -> &ClusterPurpose {
        &self.cluster_purpose
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
    /// Cluster purpose; an `Unknown` purpose is refused by `build()`.
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
    pub(crate) fn check(self, report: &mut Report) -> Option<AksProvisioningConfiguration> {
        let mut local = Report::new();
        let agent_count = self.agent_count.unwrap_or(DEFAULT_AGENT_COUNT);
        let vm_size = match self.vm_size {
            Some(v) if v.trim().len() == v.len() => v,
            Some(v) => v.trim().to_owned(),
            None => DEFAULT_VM_SIZE.to_owned(),
        };
        let purpose = check_purpose(self.cluster_purpose, "create.cluster_purpose", &mut local);
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
            check_capacity(agent_count, &vm_size, purpose.as_ref(), &mut local);
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
            cluster_purpose: purpose?,
            vnet,
            load_balancer: lb?,
            tls: tls?,
            warnings,
        })
    }
}
