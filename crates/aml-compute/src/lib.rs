#![doc = include_str!("../README.md")]

mod aks;

mod attach;
mod checks;
mod create;
mod difference;
mod ensure;
mod error;
mod operation;
mod read;
mod reattach;
mod remove;
mod run;
mod scale;
mod secured;
pub mod tls;
mod update;
mod versions;
mod workspace;

pub use aks::{AksCompute, ComputeTarget};
pub use aml_model::plan::{OperationKind, Plan};
pub use attach::AttachOptions;
pub use difference::{Difference, Remedy};
pub use ensure::{Convergence, Desired, Ensured};
pub use error::{Error, ErrorKind, Result, describe_error};
pub use operation::{Activity, Completion, ComputeOperation, ProgressEvent};
pub use secured::CreateClusterOptions;
pub use versions::{KubernetesVersionInfo, KubernetesVersions};
pub use workspace::{
    CONFIG_FILE, LEGACY_CONFIG_FILE, Workspace, WorkspaceConfig, find_config, find_config_named,
};

/// The configuration types, re-exported from `aml-model` so one import suffices.
pub mod config {
    pub use aml_model::config::*;
}

/// The lower layers, re-exported for callers that need them.
pub use {aml_arm, aml_model, aml_tls};
