//! Attaching an existing AKS cluster (R2, R9, R10).

use super::load_balancer::{LoadBalancer, LoadBalancerSettings};
use super::purpose::check_purpose;
use super::tls::{TlsConfig, TlsSettings, check_tls_with_load_balancer};
use crate::Rule;
use crate::resource_id::AksClusterId;
use crate::validate::{Issue, Report};
use crate::wire::ClusterPurpose;

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
    /// Cluster purpose (`FastProd` unless given; never `Unknown`).
    pub fn cluster_purpose(&self) -> &ClusterPurpose {
        &self.cluster_purpose
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
    /// Cluster purpose; an `Unknown` purpose is refused by `build()`.
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
    pub(crate) fn check(self, report: &mut Report) -> Option<AksAttachConfiguration> {
        let mut local = Report::new();
        let cluster = self.check_cluster(&mut local);
        let purpose = check_purpose(self.cluster_purpose, "attach.cluster_purpose", &mut local);
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
            cluster_purpose: purpose?,
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
