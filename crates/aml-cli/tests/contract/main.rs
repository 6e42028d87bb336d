//! What scripts rely on, through the built `aml` binary against an emulator on 127.0.0.1:
//! the JSON of every command has exactly the field names the crate README documents, every
//! exit code of the README's table that can be provoked on this machine is the one a failure
//! of that kind gets (with its JSON error), and the cloud comes from `--cloud`, else
//! `AZURE_CLOUD`, else the Azure CLI's active cloud. One module per topic: `json` (the field
//! names), `exits` (one test per exit code), `clouds` (where the cloud comes from); the
//! documented names and the checks they share are here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/env.rs"]
mod env;

mod clouds;
mod exits;
mod json;

use std::collections::BTreeSet;
use std::time::Duration;

use aml_emulator::{
    Fault, FaultRule, OperationOutcome, STANDARD_RESOURCE_GROUP, STANDARD_SUBSCRIPTION,
    STANDARD_WORKSPACE, Timings,
};
use serde_json::Value;

use env::{Env, PROD, Pair, create_devtest, json_failure};

/// The README's field names of a compute, and of its `tls` and `load_balancer`.
const COMPUTE: &[&str] = &[
    "name",
    "type",
    "provisioning_state",
    "location",
    "agent_count",
    "vm_size",
    "cluster_purpose",
    "cluster_id",
    "cluster_fqdn",
    "attached",
    "tls",
    "load_balancer",
    "scoring_ip",
    "errors",
];
const OPERATION: &[&str] = &["operation", "name", "status", "compute"];
const STARTED: &[&str] = &["operation", "name", "status", "resume_token"];
const DRY_RUN: &[&str] = &["operation", "name", "dry_run", "plan"];
const PLANNED: &[&str] = &[
    "file",
    "workspace",
    "name",
    "action",
    "differences",
    "plan",
    "error",
];
const APPLIED: &[&str] = &[
    "file",
    "workspace",
    "name",
    "action",
    "outcome",
    "error",
    "compute",
];
const ERROR: &[&str] = &[
    "kind",
    "exit_code",
    "message",
    "rule",
    "arm_code",
    "resume_token",
    "missing_prefixes",
    "control_plane_regions",
    "attached_computes",
];

/// Panics unless `value` is an object with exactly the fields `names`.
fn fields(value: &Value, names: &[&str]) {
    let have: BTreeSet<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    let want: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(have, want, "{value}");
}

fn compute(value: &Value) {
    fields(value, COMPUTE);
    fields(&value["tls"], &["status", "leaf_domain_label", "cname"]);
    fields(&value["load_balancer"], &["type", "subnet"]);
    for error in value["errors"].as_array().unwrap() {
        fields(error, &["code", "message"]);
    }
}

fn operation(value: &Value, kind: &str) {
    fields(value, OPERATION);
    assert_eq!(value["operation"], kind, "{value}");
    assert_eq!(value["status"], "succeeded", "{value}");
    if !value["compute"].is_null() {
        compute(&value["compute"]);
    }
}

fn spec(env: &Env, file: &str, name: &str, body: &str) -> String {
    env.file(
        file,
        &format!(
            "workspace: {{subscription_id: {STANDARD_SUBSCRIPTION}, resource_group: {STANDARD_RESOURCE_GROUP}, workspace_name: {STANDARD_WORKSPACE}, location: eastus}}\nname: {name}\n{body}"
        ),
    )
    .to_str()
    .unwrap()
    .to_owned()
}

const DEV: &str = "create: {agent_count: 1, vm_size: Standard_D3_v2, cluster_purpose: DevTest}\n";
