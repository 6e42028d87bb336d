//! Conformance with every `x-ms-examples` file under the repository's `spec/` folder: the emulator, driven with
//! the example's request, answers in the example's shape.
//!
//! "In the shape" means: every key of the example's body is in the emulator's answer with a
//! value of the same JSON kind, recursively (an example `null` matches anything, even an
//! absent key; each element of an example array must match some element of the answer's; maps
//! whose keys are data, such as `patchVersions`, compare their values). The few exceptions are
//! listed per example with the reason. Both bodies must also parse as the aml-model wire type.
//!
//! The files are vendored byte for byte from Azure/azure-rest-api-specs in `<repo>/spec/`
//! (provenance and licence in `spec/README.md`), so the test needs nothing outside the repository.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use aml_emulator::{
    AgentPoolSeed, ClusterSeed, Emulator, ResourceGroupSeed, Seed, SubscriptionSeed, WorkspaceSeed,
};
use aml_model::wire::{
    AgentPool, AgentPoolMode, AksComputeSecrets, ComputeResource, CredentialResults,
    KubernetesVersionListResult, Location, ManagedCluster, OrchestratorVersionProfileListResult,
    PaginatedComputeResourcesList, ServiceTagsListResult,
};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::support::{Env, quick};

const ML: &str =
    "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable";
const AKS: &str = "containerservice/resource-manager/Microsoft.ContainerService/aks/stable";
const NETWORK: &str = "network/resource-manager/Microsoft.Network/stable";
const RESOURCES: &str = "resources/resource-manager/Microsoft.Resources/stable";

fn spec_root() -> PathBuf {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/azure-rest-api-specs/specification");
    assert!(
        root.is_dir(),
        "the wire-contract examples were not found at {}: they live in the repository's spec/ \
         folder, so run this test from a checkout of the repository (not from a packaged crate)",
        root.display()
    );
    root
}

/// Every example file, relative to the specification folder.
fn example_files() -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, in_examples: bool, out: &mut BTreeSet<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let examples =
                    in_examples || path.file_name().is_some_and(|name| name == "examples");
                walk(root, &path, examples, out);
            } else if in_examples && path.extension().is_some_and(|ext| ext == "json") {
                out.insert(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    let root = spec_root();
    let mut out = BTreeSet::new();
    walk(&root, &root, false, &mut out);
    out
}

fn example(relative: &str) -> Value {
    let text = fs::read_to_string(spec_root().join(relative)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The emulator seeded with the examples' subscriptions, groups, workspace and clusters.
async fn env() -> Env {
    let cluster = |name: &str, location: &str| {
        ClusterSeed::new(
            name,
            location,
            "1.30.4",
            AgentPoolSeed::new("nodepool1", 3, "Standard_D3_v2"),
        )
    };
    let mut tagged = cluster("clustername1", "location1");
    tagged.tags.insert("archv2".into(), String::new());
    tagged.tags.insert("tier".into(), "production".into());
    // AgentPoolsGet.json reads this pool.
    tagged.agent_pools.push(AgentPoolSeed {
        mode: Some(AgentPoolMode::User),
        ..AgentPoolSeed::new("agentpool1", 3, "Standard_DS1_v2")
    });
    let seed = Seed {
        subscriptions: vec![
            SubscriptionSeed {
                id: "34adfa4f-cedf-4dc0-ba29-b6d1a69ab345".into(),
                resource_groups: vec![ResourceGroupSeed {
                    name: "testrg123".into(),
                    workspaces: vec![WorkspaceSeed {
                        name: "workspaces123".into(),
                        location: "eastus".into(),
                    }],
                    clusters: vec![
                        cluster("compute123-56826-c9b00420020b2", "eastus"),
                        cluster("compute1234-56826-c9b00420020b2", "eastus"),
                    ],
                }],
            },
            SubscriptionSeed {
                id: "00000000-0000-0000-0000-000000000000".into(),
                resource_groups: vec![ResourceGroupSeed {
                    name: "rg1".into(),
                    workspaces: Vec::new(),
                    clusters: vec![tagged],
                }],
            },
            SubscriptionSeed {
                id: "subid1".into(),
                resource_groups: Vec::new(),
            },
            // ServiceTagsList.json's and GetLocations.json's subscriptions.
            SubscriptionSeed {
                id: "subId".into(),
                resource_groups: Vec::new(),
            },
            SubscriptionSeed {
                id: "291bba3f-e0a5-47bc-a099-3bdcb2a50a05".into(),
                resource_groups: Vec::new(),
            },
        ],
        kubernetes_versions: None,
    };
    Env::with(Emulator::builder().seed(seed).timings(quick()).page_size(1)).await
}

const WORKSPACE: &str = "/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resourceGroups/testrg123/providers/Microsoft.MachineLearningServices/workspaces/workspaces123";

fn compute_url(example: &Value, name: &str) -> String {
    format!(
        "{WORKSPACE}/computes/{name}?api-version={}",
        example["parameters"]["api-version"].as_str().unwrap()
    )
}

/// Where an answer differs in shape from an example body.
#[derive(Default)]
struct Shape<'a> {
    /// Paths the emulator may leave out, each with a reason at the call site.
    optional: Vec<String>,
    /// Paths of objects whose keys are data.
    maps: &'a [&'a str],
    /// Paths of arrays the emulator may answer empty.
    may_be_empty: &'a [&'a str],
}

impl Shape<'_> {
    fn check(&self, example: &Value, actual: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        self.walk(example, actual, "", &mut problems);
        problems
    }

    fn walk(&self, example: &Value, actual: &Value, path: &str, problems: &mut Vec<String>) {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        match (example, actual) {
            (Value::Object(expected), Value::Object(found)) if self.maps.contains(&path) => {
                for value in expected.values() {
                    if !found
                        .values()
                        .any(|candidate| self.check_at(value, candidate, path))
                    {
                        problems.push(format!("{path}: no entry shaped like {value}"));
                    }
                }
            }
            (Value::Object(expected), Value::Object(found)) => {
                for (key, value) in expected {
                    let child = join(key);
                    match found.get(key) {
                        Some(found) => self.walk(value, found, &child, problems),
                        None if value.is_null() || self.optional.contains(&child) => {}
                        None => problems.push(format!("{child}: missing")),
                    }
                }
            }
            (Value::Array(expected), Value::Array(found)) => {
                if found.is_empty() && self.may_be_empty.contains(&path) {
                    return;
                }
                let child = format!("{path}[]");
                for value in expected {
                    if !found
                        .iter()
                        .any(|candidate| self.check_at(value, candidate, &child))
                    {
                        problems.push(format!("{child}: no element shaped like {value}"));
                    }
                }
            }
            (Value::Null, _)
            | (Value::Bool(_), Value::Bool(_))
            | (Value::Number(_), Value::Number(_))
            | (Value::String(_), Value::String(_)) => {}
            _ => problems.push(format!("{path}: {example} but the emulator sent {actual}")),
        }
    }

    fn check_at(&self, example: &Value, actual: &Value, path: &str) -> bool {
        let mut problems = Vec::new();
        self.walk(example, actual, path, &mut problems);
        problems.is_empty()
    }
}

/// Asserts the shape, and that both bodies parse as `T`.
fn conforms<T: DeserializeOwned>(file: &str, status: &str, shape: &Shape<'_>, actual: &Value) {
    let example = example(file)["responses"][status]["body"].clone();
    assert!(!example.is_null(), "{file} has no {status} body");
    let problems = shape.check(&example, actual);
    assert!(
        problems.is_empty(),
        "{file} {status}:\n{}\nemulator sent: {actual:#}",
        problems.join("\n")
    );
    serde_json::from_value::<T>(example).unwrap_or_else(|err| panic!("{file}: {err}"));
    serde_json::from_value::<T>(actual.clone()).unwrap_or_else(|err| panic!("{file}: {err}"));
}

/// For non-AKS computes the emulator stores and echoes what was sent: the fields the real
/// service computes for them (allocation state, node counts, extension settings) are not
/// emulated. They are the response's `properties.properties` keys the request did not have.
fn service_computed(file: &str, status: &str) -> Vec<String> {
    let example = example(file);
    let sent = &example["parameters"]["parameters"]["properties"]["properties"];
    let answered = &example["responses"][status]["body"]["properties"]["properties"];
    answered
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| sent.get(key.as_str()).is_none())
        .map(|(key, _)| format!("properties.properties.{key}"))
        .collect()
}

/// PUTs the example's request body as `name` and waits for it.
async fn put_example(env: &Env, file: &str, name: &str) -> Value {
    let example = example(file);
    let answer = env
        .call(
            Method::PUT,
            &compute_url(&example, name),
            Some(&example["parameters"]["parameters"]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{file}: {answer:?}");
    assert_eq!(env.wait(&answer).await["status"], "Succeeded", "{file}");
    answer.json
}

/// The AKS attachment of the examples (`compute123` on the cluster the examples name).
async fn attach_compute123(env: &Env, name: &str) {
    let file = format!("{ML}/2024-04-01/examples/Compute/createOrUpdate/AKSCompute.json");
    let mut body = example(&file)["parameters"]["parameters"].clone();
    body["properties"]["resourceId"] = format!(
        "/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resourcegroups/testrg123/providers/Microsoft.ContainerService/managedClusters/{name}-56826-c9b00420020b2"
    )
    .into();
    let answer = env
        .call(
            Method::PUT,
            &format!("{WORKSPACE}/computes/{name}?api-version=2024-04-01"),
            Some(&body),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    env.wait(&answer).await;
}

/// The files the tests below check, relative to the specification folder.
fn checked() -> BTreeSet<String> {
    let compute = |file: &str| format!("{ML}/2024-04-01/examples/Compute/{file}");
    [
        compute("createOrUpdate/AKSCompute.json"),
        compute("createOrUpdate/KubernetesCompute.json"),
        compute("createOrUpdate/AmlCompute.json"),
        compute("get/AKSCompute.json"),
        compute("get/KubernetesCompute.json"),
        compute("get/AmlCompute.json"),
        compute("list.json"),
        compute("listKeys.json"),
        compute("listNodes.json"),
        compute("delete.json"),
        compute("patch.json"),
        format!("{ML}/2024-10-01/examples/Compute/createOrUpdate/BasicAKSCompute.json"),
        format!("{AKS}/2024-09-01/examples/ManagedClustersGet.json"),
        format!("{AKS}/2024-09-01/examples/ManagedClustersListClusterUserCredentials.json"),
        format!("{AKS}/2024-09-01/examples/KubernetesVersions_List.json"),
        format!("{AKS}/2019-04-01/examples/ContainerServiceListOrchestrators.json"),
        format!("{AKS}/2024-09-01/examples/AgentPoolsGet.json"),
        format!("{AKS}/2024-09-01/examples/ManagedClustersCreate_Update.json"),
        format!("{AKS}/2024-09-01/examples/ManagedClustersCreate_PrivateClusterPublicFQDN.json"),
        format!("{AKS}/2024-09-01/examples/ManagedClustersCreate_GPUMIG.json"),
        format!("{AKS}/2024-09-01/examples/ManagedClustersCreate_UpdateWithEnableAzureRBAC.json"),
        format!("{AKS}/2024-08-01/examples/ManagedClustersDelete.json"),
        format!("{NETWORK}/2024-05-01/examples/ServiceTagsList.json"),
        format!("{RESOURCES}/2022-12-01/examples/GetLocations.json"),
        format!("{RESOURCES}/2022-12-01/examples/GetLocationsWithExtendedLocations.json"),
    ]
    .into_iter()
    .collect()
}

#[test]
fn every_example_file_has_a_check() {
    let files = example_files();
    let checked = checked();
    let unchecked: Vec<_> = files.difference(&checked).collect();
    assert!(
        unchecked.is_empty(),
        "examples with no conformance check: {unchecked:?}"
    );
    let unknown: Vec<_> = checked.difference(&files).collect();
    assert!(
        unknown.is_empty(),
        "checked files that do not exist: {unknown:?}"
    );
}

/// PUT an AKS compute: attach (201), then the same PUT with a new agentCount is an update
/// (201 Updating, as the example shows), which ends with the example's 200 body.
#[tokio::test]
async fn put_then_update_an_aks_compute() {
    let file = format!("{ML}/2024-04-01/examples/Compute/createOrUpdate/AKSCompute.json");
    let plain = Shape::default();
    let env = env().await;
    let body = example(&file)["parameters"]["parameters"].clone();
    let url = compute_url(&example(&file), "compute123");
    let first = env.call(Method::PUT, &url, Some(&body)).await;
    assert_eq!(first.status, StatusCode::CREATED);
    conforms::<ComputeResource>(&file, "201", &plain, &first.json);
    env.wait(&first).await;
    let update = env.call(Method::PUT, &url, Some(&body)).await;
    assert_eq!(update.status, StatusCode::CREATED, "{update:?}");
    assert_eq!(update.json["properties"]["provisioningState"], "Updating");
    conforms::<ComputeResource>(&file, "201", &plain, &update.json);
    env.wait(&update).await;
    let get = env.get(&url).await;
    conforms::<ComputeResource>(&file, "200", &plain, &get.json);
    assert_eq!(get.json["properties"]["properties"]["agentCount"], 4);
}

/// R11 with the examples' bodies: creating again is refused whatever it says; the body of a
/// GET sent back whole (read-only fields included, as the Python SDK v1 sends its updates) is
/// an update.
#[tokio::test]
async fn creating_an_existing_aks_compute_again_is_refused_and_a_get_put_back_is_an_update() {
    let create_file =
        format!("{ML}/2024-10-01/examples/Compute/createOrUpdate/BasicAKSCompute.json");
    let update_file = format!("{ML}/2024-04-01/examples/Compute/createOrUpdate/AKSCompute.json");
    let plain = Shape::default();
    let env = env().await;
    let created = put_example(&env, &create_file, "compute123").await;
    conforms::<ComputeResource>(&create_file, "201", &plain, &created);
    let create = example(&create_file);
    let url = compute_url(&create, "compute123");

    // (a) The same create again, as a re-deployed template sends it: 409 in the ARM envelope.
    let again = env
        .call(Method::PUT, &url, Some(&create["parameters"]["parameters"]))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{again:?}");
    let envelope: aml_model::wire::ErrorResponse = serde_json::from_value(again.json.clone())
        .unwrap_or_else(|e| panic!("not an ARM error envelope: {e}: {again:?}"));
    let error = envelope.error.unwrap();
    assert_eq!(error.code.as_deref(), Some("Conflict"));
    assert!(error.message.unwrap().contains("already exists"));

    // (b) The update example's body names another cluster: refused the same way.
    let other_cluster = example(&update_file)["parameters"]["parameters"].clone();
    let answer = env.call(Method::PUT, &url, Some(&other_cluster)).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{answer:?}");

    // (c) The GET, sent back with its read-only fields and a description (as the update
    // example has): an update, in the update example's 201 shape.
    let mut body = env.get(&url).await.json;
    body["properties"]["description"] = "some compute".into();
    let answer = env.call(Method::PUT, &url, Some(&body)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    assert_eq!(answer.json["properties"]["provisioningState"], "Updating");
    conforms::<ComputeResource>(&update_file, "201", &plain, &answer.json);
}

/// PUT and GET computes of other types: kept as sent.
#[tokio::test]
async fn put_and_get_computes_of_other_types() {
    for (file, get_file) in [
        (
            "createOrUpdate/KubernetesCompute.json",
            "get/KubernetesCompute.json",
        ),
        ("createOrUpdate/AmlCompute.json", "get/AmlCompute.json"),
    ] {
        let file = format!("{ML}/2024-04-01/examples/Compute/{file}");
        let get_file = format!("{ML}/2024-04-01/examples/Compute/{get_file}");
        let env = env().await;
        let created = put_example(&env, &file, "compute123").await;
        let shape = Shape {
            optional: service_computed(&file, "201"),
            ..Shape::default()
        };
        conforms::<ComputeResource>(&file, "201", &shape, &created);
        let get = env.get(&compute_url(&example(&file), "compute123")).await;
        let shape = Shape {
            optional: service_computed(&file, "200"),
            ..Shape::default()
        };
        conforms::<ComputeResource>(&file, "200", &shape, &get.json);
        let shape = Shape {
            optional: service_computed(&get_file, "200"),
            ..Shape::default()
        };
        conforms::<ComputeResource>(&get_file, "200", &shape, &get.json);
    }
}

/// Create an AKS compute with nothing but its type (the 2024-10-01 example).
#[tokio::test]
async fn create_an_aks_compute_with_service_defaults() {
    let file = format!("{ML}/2024-10-01/examples/Compute/createOrUpdate/BasicAKSCompute.json");
    let plain = Shape::default();
    let env = env().await;
    let example_value = example(&file);
    let answer = env
        .call(
            Method::PUT,
            &compute_url(&example_value, "compute123"),
            Some(&example_value["parameters"]["parameters"]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert!(answer.header("azure-asyncoperation").is_some());
    conforms::<ComputeResource>(&file, "201", &plain, &answer.json);
    conforms::<ComputeResource>(&file, "200", &plain, &answer.json);
}

/// GET, list and listKeys of attached AKS computes.
#[tokio::test]
async fn get_list_and_list_keys_of_attached_computes() {
    let plain = Shape::default();
    let env = env().await;
    attach_compute123(&env, "compute123").await;
    attach_compute123(&env, "compute1234").await;
    let file = format!("{ML}/2024-04-01/examples/Compute/get/AKSCompute.json");
    let get = env
        .get(&format!(
            "{WORKSPACE}/computes/compute123?api-version=2024-04-01"
        ))
        .await;
    conforms::<ComputeResource>(&file, "200", &plain, &get.json);

    // Page size 1, so the first page has a nextLink as the example does.
    let file = format!("{ML}/2024-04-01/examples/Compute/list.json");
    let list = env
        .get(&format!("{WORKSPACE}/computes?api-version=2024-04-01"))
        .await;
    conforms::<PaginatedComputeResourcesList>(&file, "200", &plain, &list.json);

    let file = format!("{ML}/2024-04-01/examples/Compute/listKeys.json");
    let keys = env
        .call(
            Method::POST,
            &format!("{WORKSPACE}/computes/compute123/listKeys?api-version=2024-04-01"),
            None,
        )
        .await;
    conforms::<AksComputeSecrets>(&file, "200", &plain, &keys.json);
}

/// DELETE with underlyingResourceAction=Delete: 202 with both polling headers, 204 when gone.
#[tokio::test]
async fn delete_answers_with_both_polling_headers() {
    let file = format!("{ML}/2024-04-01/examples/Compute/delete.json");
    let env = env().await;
    let created = env
        .call(
            Method::PUT,
            &format!("{WORKSPACE}/computes/compute123?api-version=2024-04-01"),
            Some(&serde_json::json!({"location": "eastus", "properties": {"computeType": "AKS"}})),
        )
        .await;
    env.wait(&created).await;
    let parameters = example(&file)["parameters"].clone();
    let url = format!(
        "{WORKSPACE}/computes/compute123?api-version={}&underlyingResourceAction={}",
        parameters["api-version"].as_str().unwrap(),
        parameters["underlyingResourceAction"].as_str().unwrap()
    );
    let answer = env.call(Method::DELETE, &url, None).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    for header in example(&file)["responses"]["202"]["headers"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(answer.header(header).is_some(), "{file}: no {header}");
    }
    env.wait(&answer).await;
    assert_eq!(
        env.call(Method::DELETE, &url, None).await.status,
        StatusCode::NO_CONTENT
    );
}

/// PATCH an AmlCompute's scale settings; listNodes of an AmlCompute.
#[tokio::test]
async fn patch_and_list_nodes_of_an_aml_compute() {
    let env = env().await;
    put_example(
        &env,
        &format!("{ML}/2024-04-01/examples/Compute/createOrUpdate/AmlCompute.json"),
        "compute123",
    )
    .await;
    let file = format!("{ML}/2024-04-01/examples/Compute/patch.json");
    let example_value = example(&file);
    let answer = env
        .call(
            Method::PATCH,
            &compute_url(&example_value, "compute123"),
            Some(&example_value["parameters"]["parameters"]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert!(answer.header("azure-asyncoperation").is_some());
    conforms::<ComputeResource>(&file, "200", &Shape::default(), &answer.json);
    assert_eq!(answer.json["properties"]["provisioningState"], "Updating");

    // Nodes of an AmlCompute are not emulated: the list is empty, so has no nextLink.
    let file = format!("{ML}/2024-04-01/examples/Compute/listNodes.json");
    let nodes = env
        .call(
            Method::POST,
            &format!("{WORKSPACE}/computes/compute123/listNodes?api-version=2024-04-01"),
            None,
        )
        .await;
    assert_eq!(nodes.status, StatusCode::OK);
    let shape = Shape {
        optional: vec!["nextLink".into()],
        may_be_empty: &["nodes"],
        ..Shape::default()
    };
    conforms::<Value>(&file, "200", &shape, &nodes.json);
}

mod container_service;
