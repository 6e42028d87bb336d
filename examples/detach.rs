//! Detaching (R3): the compute leaves the workspace and the AKS cluster is kept, for created
//! and attached clusters alike. Shows the dry run of a detach, the refusal to `delete` an
//! attached cluster through the workspace (that would destroy a cluster the workspace did not
//! create), waiting on a detach that ends with the compute gone (a success, where the Python
//! SDK's `wait_for_completion` raises `ComputeTargetNotFound`), and the typed `NotFound` after.
//!
//! ```text
//! cargo run -p aml-examples --example detach
//! ```
//!
//! By default it runs against an embedded emulator on 127.0.0.1 and finishes in seconds. With
//! `AML_TARGET=azure` (workspace from `AML_*` or `config.json`, credential from the environment)
//! it creates a real dev-test cluster (billed; it stays in your subscription after the detach)
//! and attaches the cluster in `AML_AKS_DEV`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aml_arm::{ArmClient, ArmClientOptions, Cloud, CredentialChainOptions, StaticTokenCredential};
use aml_compute::config::{AksAttachBuilder, AksProvisioningBuilder};
use aml_compute::{AttachOptions, Completion, Error, Workspace};
use aml_emulator::Emulator;
use aml_examples::{ARM_SCOPE, Failure, Pace, Result, existing_cluster};
use aml_model::wire::ClusterPurpose;

/// A compute the workspace creates.
const CREATED: &str = "tmp-aks";
/// A compute attached from an existing cluster.
const ATTACHED: &str = "dev-aks";

/// What the run saw, for the tests.
#[derive(Debug, Default)]
struct Outcome {
    /// The clusters behind the two computes.
    clusters: Vec<String>,
    /// Whether `delete` of the attached compute was refused client-side.
    delete_refused: bool,
    /// Whether each detach finished as `Completion::Removed`.
    removed: Vec<bool>,
    /// Whether reading a detached compute was `NotFound`.
    not_found_after: bool,
    /// Whether detaching again was `NotFound`.
    detach_again_not_found: bool,
    /// The dry run of a detach, as printed.
    dry_run: String,
}

async fn run(ws: &Workspace, emulator: Option<&Emulator>) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let target = if emulator.is_some() {
        "the embedded emulator"
    } else {
        "Azure"
    };
    println!(
        "detach on {target} (workspace {} in {})",
        ws.id().name(),
        ws.location().unwrap_or("?")
    );

    println!("\n1. set up: create {CREATED}, attach aks-dev as {ATTACHED}");
    let config = AksProvisioningBuilder::default()
        .agent_count(1)
        .vm_size("Standard_D3_v2")
        .cluster_purpose(ClusterPurpose::DevTest);
    aml_examples::watch(ws.begin_create(CREATED, config).await?, "  ").await?;
    let config = AksAttachBuilder::default()
        .resource_id(existing_cluster(emulator, "dev")?)
        .cluster_purpose(ClusterPurpose::DevTest);
    aml_examples::watch(
        ws.begin_attach(ATTACHED, config, AttachOptions::default())
            .await?,
        "  ",
    )
    .await?;
    for name in [CREATED, ATTACHED] {
        let compute = ws.get_aks(name).await?;
        let cluster = compute.cluster_resource_id().unwrap_or_default().to_owned();
        println!("  {compute}\n    cluster {cluster}");
        outcome.clusters.push(cluster);
    }

    println!("\n2. delete {ATTACHED}? (it would destroy a cluster the workspace did not create)");
    match ws.begin_delete(ATTACHED).await {
        Err(error @ Error::Refused { .. }) => {
            println!("  refused before any write: {error}");
            outcome.delete_refused = true;
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("deleting an attached cluster was not refused".into()),
    }

    println!("\n3. dry run of detaching {ATTACHED}");
    outcome.dry_run = ws.plan_detach(ATTACHED)?.to_string();
    for line in outcome.dry_run.lines() {
        println!("  {line}");
    }

    println!("\n4. detach both and wait: the end, with the compute gone, is a success");
    for name in [CREATED, ATTACHED] {
        let completion = aml_examples::watch(ws.begin_detach(name).await?, "  ").await?;
        let removed = completion == Completion::Removed;
        println!(
            "  {name}: {}",
            if removed {
                "removed from the workspace, cluster kept"
            } else {
                "still there?"
            }
        );
        outcome.removed.push(removed);
    }

    println!("\n5. read and detach {ATTACHED} again");
    match ws.get(ATTACHED).await {
        Err(error @ Error::NotFound { .. }) => {
            println!("  read: {error}");
            outcome.not_found_after = true;
        }
        Err(other) => return Err(other.into()),
        Ok(_) => println!("  read: still there"),
    }
    match ws.begin_detach(ATTACHED).await {
        Err(error @ Error::NotFound { .. }) => {
            println!("  detach: {error}");
            outcome.detach_again_not_found = true;
        }
        Err(other) => return Err(other.into()),
        Ok(_) => println!("  detach: started again?"),
    }

    if let Some(emulator) = emulator {
        println!("\n6. the clusters, as the emulator holds them");
        for cluster in &outcome.clusters {
            let kept = cluster
                .parse()
                .ok()
                .and_then(|id| emulator.cluster(&id))
                .is_some();
            println!("  {cluster}: {}", if kept { "exists" } else { "GONE" });
        }
    }
    Ok(outcome)
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    // Where to run: an ARM emulator started here on 127.0.0.1 (the default), or Azure.
    let emulator = aml_examples::start_emulator(Pace::Demo).await?; // None with AML_TARGET=azure
    let (arm, workspace_id) = match &emulator {
        // The emulator takes any token and holds a workspace.
        Some(emulator) => (
            ArmClient::new(
                StaticTokenCredential::new("emulator"),
                ArmClientOptions {
                    cloud: Cloud::custom(emulator.base_url(), ARM_SCOPE)?,
                    ..ArmClientOptions::default()
                },
            )?,
            emulator
                .workspace_id()
                .ok_or("the emulator holds no workspace")?,
        ),
        // Workload identity, client secret, managed identity, then `az` / `azd`, against the
        // authority of the client's cloud (public by default); the workspace from
        // AML_SUBSCRIPTION_ID, AML_RESOURCE_GROUP and AML_WORKSPACE_NAME, or config.json.
        None => (
            ArmClient::from_environment(
                ArmClientOptions::default(),
                &CredentialChainOptions::default(),
            )?,
            aml_examples::azure_workspace_id()?,
        ),
    };
    let workspace = Workspace::fetch(arm, workspace_id).await?; // reads its region

    run(&workspace, emulator.as_ref()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn detach_keeps_both_clusters_and_waiting_succeeds() {
        let (emulator, ws) = aml_examples::testing::standard().await;
        let outcome = run(&ws, Some(&emulator)).await.unwrap();
        let text = format!("{outcome:#?}");

        assert!(outcome.delete_refused, "{text}");
        assert_eq!(outcome.removed, [true, true], "{text}");
        assert!(
            outcome.not_found_after && outcome.detach_again_not_found,
            "{text}"
        );
        for cluster in &outcome.clusters {
            assert!(
                emulator.cluster(&cluster.parse().unwrap()).is_some(),
                "{cluster}"
            );
        }
        // Every DELETE was a detach; the refused delete sent none.
        let deletes = emulator.requests().matching("DELETE", "/computes/");
        assert_eq!(deletes.len(), 2, "{deletes:#?}");
        assert!(deletes.iter().all(|r| {
            r.query
                .as_deref()
                .is_some_and(|q| q.contains("underlyingResourceAction=Detach"))
        }));
        assert!(
            outcome.dry_run.contains("underlyingResourceAction=Detach"),
            "dry run: {text}"
        );
        emulator.shutdown().await;
    }
}
