//! `aml delete-cluster` against an emulator started in this process on 127.0.0.1: a cluster
//! `aml create-cluster` made is refused while its compute uses it (exit 4, the compute named in
//! `attached_computes`, nothing deleted), a declined confirmation sends nothing (exit 7), a dry
//! run sends nothing, a missing cluster is exit 3, and once the compute is detached the
//! cluster is deleted, waiting or with `--no-wait` then `aml wait`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/env.rs"]
mod env;

use std::time::Duration;

use aml_emulator::{STANDARD_SUBSCRIPTION, Timings};
use aml_model::AksClusterId;
use serde_json::Value;

use env::Env;

const GROUP: &str = "aks-rg";
const CLUSTER: &str = "aks-made";

fn cluster_id() -> String {
    format!(
        "/subscriptions/{STANDARD_SUBSCRIPTION}/resourceGroups/{GROUP}/providers/Microsoft.ContainerService/managedClusters/{CLUSTER}"
    )
}

fn exists(env: &Env) -> bool {
    let id: AksClusterId = cluster_id().parse().unwrap();
    env.emulator().cluster(&id).is_some()
}

/// The DELETEs of the cluster the emulator received.
fn cluster_deletes(env: &Env) -> usize {
    env.deletes(&format!("/managedClusters/{CLUSTER}"))
}

/// `aml create-cluster made` of a production cluster, waited for.
fn create_cluster(env: &Env) {
    let out = env.json(&[
        "create-cluster",
        "made",
        "--cluster-resource-group",
        GROUP,
        "--cluster-name",
        CLUSTER,
        "--location",
        "eastus",
        "--system-pool-vm-size",
        "Standard_D4s_v3",
        "--system-pool-count",
        "3",
    ]);
    assert_eq!(out["status"], "succeeded", "{out}");
    assert!(exists(env));
}

const BY_NAME: [&str; 5] = [
    "delete-cluster",
    "--cluster-resource-group",
    GROUP,
    "--cluster-name",
    CLUSTER,
];

fn with<'a>(args: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend_from_slice(extra);
    all
}

#[test]
fn a_cluster_in_use_is_refused_then_deleted_once_its_compute_is_detached() {
    let env = Env::start("delcluster");
    create_cluster(&env);

    // refused while the compute uses it: exit 4, the compute named, nothing deleted
    let (code, error) = env.json_failure(&with(&BY_NAME, &["--yes"]));
    assert_eq!(code, 4, "{error}");
    assert_eq!(error["error"]["kind"], "refused");
    assert_eq!(error["error"]["rule"], "cluster.still_attached");
    assert_eq!(
        error["error"]["attached_computes"],
        serde_json::json!(["made"])
    );
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("aml detach made"), "{message}");
    assert_eq!(cluster_deletes(&env), 0);
    assert!(exists(&env), "the cluster is kept");

    env.json(&["detach", "made"]);
    assert!(exists(&env), "detach keeps the cluster");

    // asked; "no" (or no answer) sends nothing and exits 7, with the JSON error on its own line
    let before = env.emulator().requests().len();
    for answer in ["no\n", ""] {
        let out = env
            .aml(&with(&["--output", "json"], &BY_NAME))
            .write_stdin(answer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(7), "{stderr}");
        assert!(
            stderr
                .starts_with("delete AKS cluster aks-made (resource group aks-rg) and its nodes?"),
            "{stderr}"
        );
        let json = stderr.lines().skip(1).collect::<Vec<_>>().join("\n");
        let error: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {stderr}"));
        assert_eq!(error["error"]["kind"], "declined");
    }
    assert!(
        env.emulator()
            .requests()
            .entries()
            .iter()
            .skip(before)
            .all(|r| r.method == "GET"),
        "a declined deletion writes nothing"
    );
    assert_eq!(cluster_deletes(&env), 0);

    // a dry run: the plan (the check, the DELETE), nothing sent, nothing asked
    let dry = env.json(&with(&BY_NAME, &["--dry-run"]));
    assert_eq!(dry["operation"], "delete cluster");
    assert_eq!(dry["name"], CLUSTER);
    assert_eq!(dry["dry_run"], true);
    let plan = dry["plan"].as_str().unwrap();
    assert!(
        plan.contains("[cluster.still_attached]")
            && plan.contains(&format!("DELETE {}", env.emulator().base_url())),
        "{plan}"
    );
    assert_eq!(cluster_deletes(&env), 0);

    // confirmed: deleted, and gone
    let out = env
        .aml(&with(&["--output", "json"], &BY_NAME))
        .write_stdin("yes\n")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(done["operation"], "delete cluster");
    assert_eq!(done["name"], CLUSTER);
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["compute"], Value::Null);
    assert_eq!(cluster_deletes(&env), 1);
    assert!(!exists(&env), "the cluster is gone");

    // missing now: not found (3), nothing sent
    let (code, error) =
        env.json_failure(&["delete-cluster", "--cluster-id", &cluster_id(), "--yes"]);
    assert_eq!(code, 3, "{error}");
    assert_eq!(error["error"]["kind"], "not_found");
    assert_eq!(cluster_deletes(&env), 1);
}

#[test]
fn the_cluster_is_named_by_id_or_by_group_and_name_never_both() {
    let env = Env::start("delcluster-args");
    let (code, text) = env.code(&["delete-cluster", "--yes"]);
    assert_eq!(code, 2, "{text}");
    let (code, text) = env.code(&["delete-cluster", "--cluster-name", CLUSTER, "--yes"]);
    assert_eq!(code, 2, "{text}");
    let (code, text) = env.code(&with(&BY_NAME, &["--cluster-id", &cluster_id(), "--yes"]));
    assert_eq!(code, 2, "{text}");
    let (code, text) = env.code(&["delete-cluster", "--cluster-id", "not-an-id", "--yes"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("--cluster-id"), "{text}");
    let (code, text) = env.code(&["delete-cluster", "--cluster-id", &cluster_id(), "--yes"]);
    assert_eq!(code, 3, "a cluster that does not exist: {text}");
    assert_eq!(env.emulator().requests().matching("DELETE", "/").len(), 0);
}

#[test]
fn a_deletion_started_without_waiting_is_resumed_by_aml_wait() {
    // Deletions (and detaches) take ten minutes until the test ends them.
    let env = Env::start_with("delcluster-wait", |builder| {
        let mut timings = Timings::uniform(Duration::from_millis(30));
        timings.retry_after = Duration::from_millis(5);
        timings.delete = Duration::from_secs(600);
        builder.timings(timings)
    });
    create_cluster(&env);
    let detach = env.json(&["detach", "made", "--no-wait"]);
    env.emulator().complete_operations();
    env.json(&["wait", detach["resume_token"].as_str().unwrap()]);

    let started = env.json(&with(&BY_NAME, &["--yes", "--no-wait"]));
    assert_eq!(started["operation"], "delete cluster");
    assert_eq!(started["name"], CLUSTER);
    assert_eq!(started["status"], "started");
    let token = started["resume_token"].as_str().unwrap();
    assert_eq!(cluster_deletes(&env), 1);
    assert!(exists(&env), "still deleting");

    // waiting that stops gives a token that resumes the same deletion
    let (code, error) = env.json_failure(&["--timeout", "300ms", "wait", token]);
    assert_eq!(code, 6, "{error}");
    let again = error["error"]["resume_token"].as_str().unwrap().to_owned();
    assert!(exists(&env));

    env.emulator().complete_operations();
    let done = env.json(&["wait", &again]);
    assert_eq!(done["operation"], "delete cluster");
    assert_eq!(done["name"], CLUSTER);
    assert_eq!(done["status"], "succeeded");
    assert_eq!(cluster_deletes(&env), 1, "wait sends no second DELETE");
    assert!(!exists(&env), "the cluster is gone");
}
