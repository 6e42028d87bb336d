#![doc = include_str!("../README.md")]

pub mod config;
pub mod control_plane;
pub mod error;
pub mod findings;
pub mod name;
pub mod plan;
pub mod request;
pub mod resource_id;
pub mod rule;
pub mod secret;
pub mod spec;
pub mod validate;
pub mod vm_size;
pub mod wire;

pub use error::{Error, Result};
pub use name::ComputeName;
pub use resource_id::{AksClusterId, ComputeId, ResourceId, SubnetId, WorkspaceId};
pub use rule::Rule;
pub use secret::{Kubeconfig, PrivateKeyPem};
pub use validate::{Issue, Report};
