//! Every `x-ms-examples` file under the repository's `spec/` folder: each request body and each response body
//! parses into its typed wire model and serializes back to JSON equal to the original.
//!
//! The files are found at test time (any `*.json` below a folder named `examples`), so a new
//! example is covered without a code change. The model is chosen from the file's provider (its
//! path: Machine Learning Services, Container Service, Network or Resources) and the body's shape;
//! a body that fits no model fails the test, naming the file, unless it is listed in [`SKIPPED`]
//! with the reason. An example without any body (a delete answering 202 and 204) is listed as
//! such and checks nothing.
//!
//! One upstream quirk: the Resources `GetLocations*.json` examples give the response body as a
//! bare JSON array of locations, whereas the service (and the swagger's `LocationListResult`)
//! answers `{"value": [...]}`. Such an array is checked element by element as
//! `aml_model::wire::Location`, and then wrapped as `{"value": [...]}` and checked as
//! `aml_model::wire::LocationListResult`.
//!
//! The files are vendored byte for byte from Azure/azure-rest-api-specs in `<repo>/spec/`
//! (provenance and licence in `spec/README.md`), so the test needs nothing outside the repository.
//! Run with `cargo test -p aml-model --test spec_examples -- --nocapture` to see what was checked.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use aml_model::wire::{
    AgentPool, AksComputeSecrets, Compute, ComputeResource, ComputeType, CredentialResults,
    ErrorResponse, KubernetesVersionListResult, Location, LocationListResult, ManagedCluster,
    OperationStatusResult, OrchestratorVersionProfileListResult, PaginatedComputeResourcesList,
    ServiceTagsListResult,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Bodies that are deliberately not checked: (path suffix, body location, reason).
///
/// Only bodies that have nothing to do with AKS computes belong here.
const SKIPPED: &[(&str, &str, &str)] = &[
    (
        "examples/Compute/listNodes.json",
        "responses.200.body",
        "AmlCompute node list (`AmlComputeNodesInformation`): listNodes exists only for \
         AmlCompute clusters, which this library does not manage",
    ),
    (
        "examples/Compute/patch.json",
        "parameters.parameters",
        "PATCH body `ClusterUpdateParameters` only changes AmlCompute scale settings; AKS \
         computes are updated with a GET-modify-PUT of the whole resource",
    ),
];

/// The typed models a body can be checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Model {
    ComputeResource,
    ComputeList,
    AksComputeSecrets,
    ErrorResponse,
    OperationStatus,
    ManagedCluster,
    AgentPool,
    KubernetesVersions,
    Orchestrators,
    CredentialResults,
    /// Network `ServiceTagsListResult`.
    ServiceTags,
    /// Resources `LocationListResult`, or the bare array of `Location`s the upstream examples
    /// give instead (see the module docs).
    Locations,
}

/// The resource provider an example file belongs to, from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    MachineLearning,
    ContainerService,
    Network,
    Resources,
}

/// One body of one example file.
struct Body {
    /// Where it is in the file, such as `responses.200.body`.
    location: String,
    /// The HTTP status of a response body (`None` for a request body).
    status: Option<String>,
    value: Value,
}

fn spec_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec");
    assert!(
        root.is_dir(),
        "the wire-contract examples were not found at {}: they live in the repository's spec/ \
         folder, so run this test from a checkout of the repository (not from a packaged crate)",
        root.display()
    );
    root
}

/// Every `*.json` file below a folder named `examples`, sorted.
fn example_files(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, in_examples: bool, out: &mut Vec<PathBuf>) {
        let entries =
            fs::read_dir(dir).unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
                .path();
            if path.is_dir() {
                let examples = in_examples || path.file_name().is_some_and(|n| n == "examples");
                walk(&path, examples, out);
            } else if in_examples && path.extension().is_some_and(|ext| ext == "json") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, false, &mut out);
    out.sort();
    out
}

fn provider(path: &str) -> Option<Provider> {
    if path.contains("Microsoft.MachineLearningServices") {
        Some(Provider::MachineLearning)
    } else if path.contains("Microsoft.ContainerService") {
        Some(Provider::ContainerService)
    } else if path.contains("Microsoft.Network") {
        Some(Provider::Network)
    } else if path.contains("Microsoft.Resources") {
        Some(Provider::Resources)
    } else {
        None
    }
}

/// The request bodies (object-valued parameters) and response bodies of an example.
fn bodies(example: &Value) -> Vec<Body> {
    let mut out = Vec::new();
    if let Some(parameters) = example.get("parameters").and_then(Value::as_object) {
        for (name, value) in parameters {
            if value.is_object() {
                out.push(Body {
                    location: format!("parameters.{name}"),
                    status: None,
                    value: value.clone(),
                });
            }
        }
    }
    if let Some(responses) = example.get("responses").and_then(Value::as_object) {
        for (status, response) in responses {
            if let Some(body) = response.get("body") {
                out.push(Body {
                    location: format!("responses.{status}.body"),
                    status: Some(status.clone()),
                    value: body.clone(),
                });
            }
        }
    }
    out
}

fn get<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, key| value.get(key))
}

fn is_compute_resource(value: &Value) -> bool {
    get(value, &["properties", "computeType"]).is_some_and(Value::is_string)
}

/// Picks the model for a body from the provider and the body's shape.
fn classify(provider: Provider, body: &Body) -> Option<Model> {
    let value = &body.value;
    let success = body
        .status
        .as_deref()
        .is_none_or(|status| status.starts_with('2'));
    if success && provider == Provider::Resources {
        // The upstream locations examples give a bare array (see the module docs).
        if let Some(items) = value.as_array() {
            return items
                .iter()
                .all(Value::is_object)
                .then_some(Model::Locations);
        }
    }
    let object = value.as_object()?;
    if !success {
        return object.contains_key("error").then_some(Model::ErrorResponse);
    }
    let is_operation_status = || {
        object.get("status").is_some_and(Value::is_string)
            && !object.contains_key("properties")
            && !object.contains_key("value")
    };
    match provider {
        Provider::MachineLearning => {
            if let Some(items) = object.get("value").and_then(Value::as_array) {
                items
                    .iter()
                    .all(is_compute_resource)
                    .then_some(Model::ComputeList)
            } else if let Some(kind) = object.get("computeType").and_then(Value::as_str) {
                // listKeys: only the AKS secrets are typed.
                kind.eq_ignore_ascii_case("AKS")
                    .then_some(Model::AksComputeSecrets)
            } else if is_compute_resource(value) {
                Some(Model::ComputeResource)
            } else if is_operation_status() {
                Some(Model::OperationStatus)
            } else {
                None
            }
        }
        Provider::ContainerService => {
            let is_agent_pool = object
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|kind| kind.to_ascii_lowercase().ends_with("/agentpools"))
                || object
                    .get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|id| id.to_ascii_lowercase().contains("/agentpools/"));
            if is_agent_pool {
                Some(Model::AgentPool)
            } else if object.contains_key("kubeconfigs") {
                Some(Model::CredentialResults)
            } else if object.get("values").is_some_and(Value::is_array) {
                Some(Model::KubernetesVersions)
            } else if get(value, &["properties", "orchestrators"]).is_some() {
                Some(Model::Orchestrators)
            } else if object
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|kind| {
                    kind.eq_ignore_ascii_case("Microsoft.ContainerService/managedClusters")
                })
                || get(value, &["properties", "agentPoolProfiles"]).is_some()
            {
                Some(Model::ManagedCluster)
            } else if is_operation_status() {
                Some(Model::OperationStatus)
            } else {
                None
            }
        }
        Provider::Network => object
            .get("values")
            .is_some_and(Value::is_array)
            .then_some(Model::ServiceTags),
        Provider::Resources => object
            .get("value")
            .is_some_and(Value::is_array)
            .then_some(Model::Locations),
    }
}

/// Parses `value` as `T` and serializes it back; returns the typed value or what went wrong.
fn round_trip<T: DeserializeOwned + Serialize>(value: &Value) -> Result<T, String> {
    let typed: T = serde_json::from_value(value.clone()).map_err(|err| format!("parse: {err}"))?;
    let back = serde_json::to_value(&typed).map_err(|err| format!("serialize: {err}"))?;
    if back == *value {
        Ok(typed)
    } else {
        Err(format!(
            "re-serialized JSON differs\n--- original\n{}\n--- re-serialized\n{}",
            pretty(value),
            pretty(&back)
        ))
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|err| format!("<{err}>"))
}

/// Keys of `extra` that are not explicit nulls: fields the typed model did not name.
fn untyped(extra: &Map<String, Value>) -> Vec<&str> {
    extra
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, _)| key.as_str())
        .collect()
}

/// An AKS compute in an example must be typed (not raw), with every field it carries named.
fn check_aks(compute: &ComputeResource) -> Result<(), String> {
    let Some(kind) = compute.properties.as_ref().map(Compute::compute_type) else {
        return Ok(());
    };
    if kind != ComputeType::Aks {
        return Ok(());
    }
    let aks = compute
        .aks()
        .ok_or("an AKS compute was not parsed as Compute::Aks")?;
    let mut missing = untyped(&aks.extra);
    if let Some(properties) = &aks.properties {
        missing.extend(untyped(&properties.extra));
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("AKS fields not typed by the model: {missing:?}"))
    }
}

fn check(model: Model, value: &Value) -> Result<(), String> {
    match model {
        Model::ComputeResource => check_aks(&round_trip::<ComputeResource>(value)?),
        Model::ComputeList => {
            let page = round_trip::<PaginatedComputeResourcesList>(value)?;
            page.value.iter().flatten().try_for_each(check_aks)
        }
        Model::AksComputeSecrets => {
            let secrets = round_trip::<AksComputeSecrets>(value)?;
            let missing = untyped(&secrets.extra);
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "AKS secret fields not typed by the model: {missing:?}"
                ))
            }
        }
        Model::ErrorResponse => round_trip::<ErrorResponse>(value).map(drop),
        Model::OperationStatus => round_trip::<OperationStatusResult>(value).map(drop),
        Model::ManagedCluster => round_trip::<ManagedCluster>(value).map(drop),
        Model::KubernetesVersions => round_trip::<KubernetesVersionListResult>(value).map(drop),
        Model::Orchestrators => round_trip::<OrchestratorVersionProfileListResult>(value).map(drop),
        Model::CredentialResults => round_trip::<CredentialResults>(value).map(drop),
        Model::AgentPool => round_trip::<AgentPool>(value).map(drop),
        Model::ServiceTags => round_trip::<ServiceTagsListResult>(value).map(drop),
        Model::Locations => check_locations(value),
    }
}

/// A locations body: `{"value": [...]}` as the service answers, or the bare array the upstream
/// examples give. An array is checked element by element as [`Location`], then wrapped in
/// `{"value": [...]}` and checked as [`LocationListResult`].
fn check_locations(value: &Value) -> Result<(), String> {
    let Some(items) = value.as_array() else {
        return round_trip::<LocationListResult>(value).map(drop);
    };
    for (index, item) in items.iter().enumerate() {
        round_trip::<Location>(item).map_err(|err| format!("[{index}] as Location: {err}"))?;
    }
    let wrapped = serde_json::json!({ "value": value });
    round_trip::<LocationListResult>(&wrapped)
        .map(drop)
        .map_err(|err| format!("wrapped in {{\"value\": [...]}}: {err}"))
}

#[test]
fn every_example_body_round_trips_through_its_typed_model() {
    let root = spec_root();
    let files = example_files(&root);
    assert!(
        !files.is_empty(),
        "no example files under {}",
        root.display()
    );

    let mut failures = Vec::new();
    let mut checked: BTreeMap<Model, usize> = BTreeMap::new();
    let mut skipped_used = vec![false; SKIPPED.len()];
    let mut skipped = 0;

    for file in &files {
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .display()
            .to_string();
        let slashed = shown.replace('\\', "/");
        let text =
            fs::read_to_string(file).unwrap_or_else(|err| panic!("cannot read {shown}: {err}"));
        let example: Value = match serde_json::from_str(&text) {
            Ok(example) => example,
            Err(err) => {
                failures.push(format!("{shown}: not JSON: {err}"));
                continue;
            }
        };
        let Some(provider) = provider(&slashed) else {
            failures.push(format!(
                "{shown}: no wire models for this resource provider"
            ));
            continue;
        };
        let found = bodies(&example);
        if found.is_empty() {
            // Such as a delete answering 202 (headers only) and 204.
            println!("none  {shown}: no request or response body");
        }
        for body in found {
            let skip = SKIPPED.iter().position(|(suffix, location, _)| {
                slashed.ends_with(suffix) && body.location == *location
            });
            if let Some(index) = skip {
                skipped_used[index] = true;
                skipped += 1;
                println!("skip  {shown} {}: {}", body.location, SKIPPED[index].2);
                continue;
            }
            let Some(model) = classify(provider, &body) else {
                failures.push(format!(
                    "{shown} {}: no typed model fits this body (add one, or list it in SKIPPED \
                     with the reason if it is not about AKS computes)",
                    body.location
                ));
                continue;
            };
            match check(model, &body.value) {
                Ok(()) => {
                    *checked.entry(model).or_default() += 1;
                    println!("ok    {shown} {} as {model:?}", body.location);
                }
                Err(err) => failures.push(format!("{shown} {} as {model:?}: {err}", body.location)),
            }
        }
    }

    for (used, (suffix, location, _)) in skipped_used.iter().zip(SKIPPED) {
        if !used {
            failures.push(format!(
                "SKIPPED entry {suffix} {location} matches no body: remove it"
            ));
        }
    }

    let total: usize = checked.values().sum();
    println!(
        "checked {total} bodies in {} example files ({skipped} skipped): {checked:?}",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(total > 0, "no bodies were checked");
}
