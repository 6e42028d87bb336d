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

use std::io::Write;
use std::process::ExitCode;

use aml_compute::config::{AksAttachBuilder, AksProvisioningBuilder};
use aml_compute::{AttachOptions, Completion, Error};
use aml_examples::{Connection, Result, run_main, wait_with_progress};
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
}

async fn run(conn: &Connection, out: &mut (dyn Write + Send)) -> Result<Outcome> {
    let ws = conn.workspace();
    let mut outcome = Outcome::default();
    writeln!(out, "detach on {}", conn.describe())?;

    writeln!(
        out,
        "\n1. set up: create {CREATED}, attach aks-dev as {ATTACHED}"
    )?;
    let config = AksProvisioningBuilder::default()
        .agent_count(1)
        .vm_size("Standard_D3_v2")
        .cluster_purpose(ClusterPurpose::DevTest);
    wait_with_progress(ws.create(CREATED, config).await?, out).await?;
    let config = AksAttachBuilder::default()
        .resource_id(conn.existing_cluster("dev")?)
        .cluster_purpose(ClusterPurpose::DevTest);
    wait_with_progress(
        ws.attach(ATTACHED, config, AttachOptions::default())
            .await?,
        out,
    )
    .await?;
    for name in [CREATED, ATTACHED] {
        let compute = ws.get_aks(name).await?;
        let cluster = compute.cluster_resource_id().unwrap_or_default().to_owned();
        writeln!(out, "  {compute}\n    cluster {cluster}")?;
        outcome.clusters.push(cluster);
    }

    writeln!(
        out,
        "\n2. delete {ATTACHED}? (it would destroy a cluster the workspace did not create)"
    )?;
    match ws.delete(ATTACHED).await {
        Err(error @ Error::Refused { .. }) => {
            writeln!(out, "  refused before any write: {error}")?;
            outcome.delete_refused = true;
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("deleting an attached cluster was not refused".into()),
    }

    writeln!(out, "\n3. dry run of detaching {ATTACHED}")?;
    for line in ws.dry_run_detach(ATTACHED)?.to_string().lines() {
        writeln!(out, "  {line}")?;
    }

    writeln!(
        out,
        "\n4. detach both and wait: the end, with the compute gone, is a success"
    )?;
    for name in [CREATED, ATTACHED] {
        let completion = wait_with_progress(ws.detach(name).await?, out).await?;
        let removed = completion == Completion::Removed;
        writeln!(
            out,
            "  {name}: {}",
            if removed {
                "removed from the workspace, cluster kept"
            } else {
                "still there?"
            }
        )?;
        outcome.removed.push(removed);
    }

    writeln!(out, "\n5. read and detach {ATTACHED} again")?;
    match ws.get(ATTACHED).await {
        Err(error @ Error::NotFound { .. }) => {
            writeln!(out, "  read: {error}")?;
            outcome.not_found_after = true;
        }
        Err(other) => return Err(other.into()),
        Ok(_) => writeln!(out, "  read: still there")?,
    }
    match ws.detach(ATTACHED).await {
        Err(error @ Error::NotFound { .. }) => {
            writeln!(out, "  detach: {error}")?;
            outcome.detach_again_not_found = true;
        }
        Err(other) => return Err(other.into()),
        Ok(_) => writeln!(out, "  detach: started again?")?,
    }

    if let Some(emulator) = conn.emulator() {
        writeln!(out, "\n6. the clusters, as the emulator holds them")?;
        for cluster in &outcome.clusters {
            let kept = cluster
                .parse()
                .ok()
                .and_then(|id| emulator.cluster(&id))
                .is_some();
            writeln!(out, "  {cluster}: {}", if kept { "exists" } else { "GONE" })?;
        }
    }
    Ok(outcome)
}

#[tokio::main]
async fn main() -> ExitCode {
    run_main(run).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aml_examples::run_captured;

    #[tokio::test]
    async fn detach_keeps_both_clusters_and_waiting_succeeds() {
        let (conn, outcome, text) = run_captured(run).await;
        let emulator = conn.emulator().unwrap();

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
            text.contains("underlyingResourceAction=Detach"),
            "dry run: {text}"
        );
        conn.shutdown().await;
    }
}
