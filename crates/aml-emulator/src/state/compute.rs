//! Computes (`.../workspaces/{ws}/computes/{name}`): create, attach, update, delete, PATCH,
//! listKeys, GET and list, with the service's rules (R8, R9, R10, R11, R14, R18).
//!
//! This module holds what a compute is; [`lifecycle`] creates, attaches, deletes and PATCHes
//! computes, [`update`] handles a PUT on an existing one, [`endpoint`] its TLS and scoring
//! address, [`rules`] the checks, and [`views`] the bodies GET, list and the POSTs answer.

use std::collections::BTreeMap;

use aml_model::wire::{
    AksProperties, ComputeType, ErrorResponse, ManagedServiceIdentity, ProvisioningState, Sku,
};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::arm_error::ArmError;
use crate::state::{ClusterKey, ComputeKey, WorkspacePath, key};

mod endpoint;
mod lifecycle;
mod rules;
mod update;
mod views;

/// The compute resource type.
const COMPUTE_TYPE: &str = "Microsoft.MachineLearningServices/workspaces/computes";
/// The VM size the service uses when a create gives none.
const DEFAULT_VM_SIZE: &str = "Standard_D3_v2";
/// The node count the service uses when a create gives none.
const DEFAULT_AGENT_COUNT: u32 = 3;

/// An AKS compute's own state.
#[derive(Debug, Clone)]
pub(crate) struct Aks {
    cluster: ClusterKey,
    /// The `resourceId` as the compute reports it.
    resource_id: String,
    attached: bool,
    compute_location: String,
    /// The settings, TLS key included (never rendered).
    settings: AksProperties,
    disable_local_auth: Option<bool>,
    fqdn: String,
    scoring_ip: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Aks(Box<Aks>),
    /// Any other compute type: its `properties` object, verbatim.
    Other(Map<String, Value>),
}

/// One compute.
#[derive(Debug, Clone)]
pub(crate) struct Compute {
    name: String,
    location: String,
    description: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    identity: Option<ManagedServiceIdentity>,
    sku: Option<Sku>,
    kind: Kind,
    pub(crate) state: ProvisioningState,
    pub(crate) errors: Vec<ErrorResponse>,
    created_on: OffsetDateTime,
    pub(crate) modified_on: OffsetDateTime,
    /// The operation in progress on it, if any.
    pub(crate) operation: Option<String>,
}

/// The stored spellings of a workspace's subscription, resource group and name.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    subscription: String,
    resource_group: String,
    workspace: String,
    location: String,
}

/// The `computeType` a compute of another type was stored with, if it names one.
fn compute_type_of(raw: &Map<String, Value>) -> Option<ComputeType> {
    raw.get("computeType")
        .and_then(Value::as_str)
        .map(ComputeType::parse)
}

fn rfc3339(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap_or_default()
}

/// 404 for a compute.
fn compute_not_found(path: &WorkspacePath<'_>, name: &str) -> ArmError {
    ArmError::resource_not_found(
        &format!(
            "Microsoft.MachineLearningServices/workspaces/{}/computes/{name}",
            path.workspace
        ),
        path.resource_group,
    )
}

/// 409 while an operation runs.
fn busy(compute: &Compute) -> ArmError {
    ArmError::conflict(format!(
        "Compute '{}' is in provisioning state '{}': wait for the running operation to finish.",
        compute.name, compute.state
    ))
}

/// 409 while an agent pool PUT runs on the compute's cluster (R13).
fn cluster_busy(compute: &Compute, operation: &str) -> ArmError {
    ArmError::conflict(format!(
        "An agent pool operation ('{operation}') is in progress on the AKS cluster of compute \
         '{}': wait for it to finish before updating the compute.",
        compute.name
    ))
}

fn compute_key(path: &WorkspacePath<'_>, name: &str) -> ComputeKey {
    ComputeKey {
        subscription: key(path.subscription),
        resource_group: key(path.resource_group),
        workspace: key(path.workspace),
        name: key(name),
    }
}
