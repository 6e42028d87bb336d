#![doc = include_str!("../README.md")]
// Errors here carry the ARM code, message, request ids and every provisioning error, and are
// returned from network operations: their size costs nothing next to the request, and callers
// match on their fields.
#![allow(clippy::result_large_err)]

mod aks;
mod client;
mod dry_run;
mod error;
pub mod tls;
mod versions;
mod wait;
mod workspace;

pub use aks::{AksCompute, ComputeTarget};
pub use aml_arm::StaticTokenCredential;
pub use client::{AttachOptions, Desired, Ensured};
pub use dry_run::DryRun;
pub use error::{Difference, Error, ErrorKind, Result};
pub use versions::{KubernetesVersionInfo, KubernetesVersions};
pub use wait::{Completion, ComputeOperation, OperationKind, ProgressEvent, WaitOptions};
pub use workspace::{
    CONFIG_FILE, CONTAINER_SERVICE_API_VERSION, Workspace, WorkspaceConfig, find_config,
};

/// The configuration types, re-exported from `aml-model` so one import suffices.
pub mod config {
    pub use aml_model::config::*;
}

/// The lower layers, re-exported for callers that need them.
pub use {aml_arm, aml_model, aml_tls};
