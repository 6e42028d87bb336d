//! Configurations for creating, attaching and updating AKS computes, mirroring the Python SDK's
//! `AksCompute.provisioning_configuration`, `AksCompute.attach_configuration`,
//! `AksUpdateConfiguration` and `enable_ssl`, in Rust form.
//!
//! Each configuration comes in two forms:
//! - a builder with public, optional fields (what a user or a spec file says), and
//! - the validated configuration with private fields (what can be sent), obtained only through
//!   the builder's `build()`, which reports every problem at once.
//!
//! The cluster purpose and the load balancer type are the wire enums
//! [`wire::ClusterPurpose`](crate::wire::ClusterPurpose) and
//! [`wire::LoadBalancerType`](crate::wire::LoadBalancerType); a value they hold as `Unknown` is
//! refused by `build()` (rules `purpose.unknown` and `load_balancer.type`) with the other
//! problems.
//!
//! Problems are reported with the [`ComputeSpec`](crate::spec::ComputeSpec) names:
//! `create.agent_count`, `create.vnet.dns_service_ip`, `attach.resource_id`,
//! `load_balancer.subnet`, `tls.cname`.

mod attach;
mod load_balancer;
mod managed_cluster;
mod provisioning;
mod purpose;
mod scale;
mod tls;
mod update;
mod vnet;

pub use attach::{AksAttachBuilder, AksAttachConfiguration, ClusterRef};
pub use load_balancer::{LoadBalancer, LoadBalancerSettings};
pub use managed_cluster::{
    ClusterIdentity, ClusterOutbound, DEFAULT_ACCELERATOR_POOL, DEFAULT_SYSTEM_POOL,
    ManagedClusterBuilder, ManagedClusterConfiguration, NodePool, NodePoolSettings,
    derive_dns_prefix,
};
pub use provisioning::{AksProvisioningBuilder, AksProvisioningConfiguration};
pub use purpose::{DEVTEST_RECOMMENDED_VCPUS, PRODUCTION_MIN_NODES, PRODUCTION_MIN_VCPUS};
pub use scale::{Autoscale, ScaleBuilder, ScaleConfiguration};
pub use tls::{CustomTls, MicrosoftTls, TlsConfig, TlsSettings};
pub use update::{AksUpdateBuilder, AksUpdateConfiguration};
pub use vnet::{Vnet, VnetSettings};

/// Nodes in a new cluster when none is given (the Python SDK's default).
pub const DEFAULT_AGENT_COUNT: u32 = 3;
/// VM size of a new cluster when none is given (the Python SDK's default; 4 vCPUs).
pub const DEFAULT_VM_SIZE: &str = "Standard_D3_v2";
