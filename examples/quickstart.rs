//! The quickstart: the Azure ML guide's whole job in one run, with visible progress.
//!
//! ```text
//! cargo run -p aml-examples --example quickstart
//! ```
//!
//! It creates a dev-test cluster with a Microsoft-issued TLS certificate; attaches an existing
//! cluster (`aks-prod`) with a custom certificate generated on the fly; shows that attaching
//! that cluster a second time under another name is refused (R10); shows that switching it to an
//! internal load balancer while TLS is on is refused (R18), then turns TLS off and switches in
//! one update; lists the workspace; gets the kube credentials (printing only their size); goes
//! back to a public IP and re-attaches with the TLS material recovered from a saved
//! `azuremlfessl` secret dump (R19, R22); on the emulator, shows a re-attach whose attach fails
//! rolled back to the previous attachment; scales the attached cluster's pool through AKS, after
//! a scale-down below the production minimum is refused (R13, R8), turns the pool's autoscaler
//! on (3 to 6 nodes) and off again, and shows a new VM size refused (`scale.vm_size`);
//! converges the created compute to a spec with one more node (`plan_ensure` shows `~
//! create.agent_count 1 -> 2 (scale)`, the plan runs, and the same spec again is up to date);
//! converges the attached compute by an update in place (a Microsoft certificate) and by a
//! re-attach (its purpose); shows what only a new compute can change (a created compute's VM
//! size) refused with every difference and nothing written, and a production re-attach of a
//! too-small cluster refused by its checks of the live cluster before its detach; and detaches
//! everything it made (detach, never delete: the clusters are kept). A summary closes the run.
//!
//! By default it runs against an embedded emulator on 127.0.0.1, seeded with a workspace and
//! existing clusters, and finishes in a few seconds. With `AML_TARGET=azure`, a workspace
//! (`AML_SUBSCRIPTION_ID`, `AML_RESOURCE_GROUP`, `AML_WORKSPACE_NAME`, or a `config.json`), a
//! credential in the environment and `AML_AKS_PROD` holding the ARM id of a cluster to attach,
//! it does the same on Azure, where creating takes about 10 minutes and costs money.
//! Private keys, tokens and kubeconfigs are never printed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use aml_arm::{ArmClient, ArmClientOptions, Cloud, CredentialChainOptions, StaticTokenCredential};
use aml_compute::config::{
    AksAttachBuilder, AksProvisioningBuilder, AksUpdateBuilder, LoadBalancerSettings,
    ScaleConfiguration, TlsSettings,
};
use aml_compute::{
    AksCompute, AttachOptions, Completion, ComputeOperation, ComputeTarget, Convergence, Desired,
    Error, Workspace, describe_error,
};
use aml_emulator::Emulator;
use aml_examples::{
    ARM_SCOPE, BoxError, Failure, GeneratedCertificate, Pace, Result, existing_cluster,
};
use aml_model::AksClusterId;
use aml_model::wire::{AgentPoolMode, ClusterPurpose, ErrorDetail};
use aml_tls::OffsetDateTime;
use futures::TryStreamExt;

/// The compute created through the workspace.
pub(crate) const CREATED: &str = "dev-aks";
/// The compute the existing cluster is attached as.
pub(crate) const ATTACHED: &str = "prod-aks";
/// The name a second, refused attachment of the same cluster would take.
pub(crate) const SECOND_NAME: &str = "prod-aks-2";
/// Leaf domain label of the Microsoft certificate.
const LABEL: &str = "contoso-dev";
/// Leaf domain label of the attached compute's Microsoft certificate, once converged.
const PROD_LABEL: &str = "contoso-prod";
/// Host name of the custom certificate.
const CNAME: &str = "www.contoso.com";
/// Subnet of the internal load balancer (the one that holds AKS).
const SUBNET: &str = "aks-subnet";

/// What a run did: for the closing summary and for the tests.
#[derive(Debug, Default)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "one flag per refusal the run shows"
)]
pub(crate) struct Summary {
    /// Long-running operations waited for (create, attach, update, detach).
    pub(crate) operations: u32,
    /// Whether attaching the cluster a second time was refused with `AlreadyAttached` (R10).
    pub(crate) second_attachment_refused: bool,
    /// Whether the internal load balancer with TLS on was refused before any write (R18).
    pub(crate) tls_with_internal_lb_refused: bool,
    /// The computes' lines as listed.
    pub(crate) listed: Vec<String>,
    /// Size of the user kubeconfig, in bytes.
    pub(crate) kubeconfig_bytes: usize,
    /// Status of TLS after the re-attach.
    pub(crate) tls_after_reattach: String,
    /// Whether the re-attach whose attach failed was rolled back (emulator only).
    pub(crate) rolled_back: bool,
    /// Whether scaling the production compute down to 2 nodes was refused before any write (R8).
    pub(crate) scale_down_refused: bool,
    /// The node count of the attached compute after scaling it out.
    pub(crate) scaled_to: Option<u32>,
    /// Its pool as read after turning the autoscaler on, then off.
    pub(crate) autoscaler: Vec<String>,
    /// Whether a scale to another VM size was refused before any request (`scale.vm_size`).
    pub(crate) vm_size_refused: bool,
    /// The difference `ensure` found for the created compute, terraform-like.
    pub(crate) convergence: String,
    /// Whether a second `ensure` of the same spec found nothing to change.
    pub(crate) converged: bool,
    /// The differences `ensure` changed in place (TLS of the attached compute).
    pub(crate) updated: Vec<String>,
    /// The differences `ensure` changed by re-attaching (the attached compute's purpose).
    pub(crate) reattached: Vec<String>,
    /// The attached compute's purpose after that re-attach.
    pub(crate) purpose_after_reattach: String,
    /// The differences of the created compute that need it made again: refused by `ensure`.
    pub(crate) recreate_refused: Vec<String>,
    /// The re-attach of the created compute as production, refused by its checks of the live
    /// cluster before its detach: the error, as shown.
    pub(crate) reattach_refused: String,
    /// The computes detached at the end.
    pub(crate) detached: Vec<String>,
    /// The ARM ids of the clusters behind them, kept by the detach.
    pub(crate) clusters: Vec<String>,
}

fn into_aks(completion: Completion, what: &str) -> Result<AksCompute> {
    completion
        .compute()
        .and_then(ComputeTarget::into_aks)
        .ok_or_else(|| BoxError::from(format!("{what} did not return an AKS compute")))
}

/// [`watch`], counting the operation.
async fn wait(operation: ComputeOperation, summary: &mut Summary) -> Result<Completion> {
    summary.operations += 1;
    Ok(aml_examples::watch(operation, "  ").await?)
}

/// [`wait`] without the progress lines (warnings only): for the short steps.
async fn finish(operation: ComputeOperation, summary: &mut Summary) -> Result<Completion> {
    summary.operations += 1;
    for warning in operation.warnings() {
        println!("  warning: {warning}");
    }
    Ok(operation.await?)
}

/// Prints a refusal: what was asked, and the error a caller matches on.
fn refused(error: &Error) {
    println!("  refused before any write: {}", describe_error(error));
}

/// Prints `ensure`'s differences, one a line (the plan that follows is not shown), and returns
/// them.
fn differences(convergence: &Convergence) -> Vec<String> {
    let lines: Vec<String> = convergence
        .differences()
        .iter()
        .map(ToString::to_string)
        .collect();
    for line in &lines {
        println!("  {line}");
    }
    lines
}

/// The pool Azure ML deploys to (the first `System` pool, else the first) as the cluster
/// reports it: its node count and autoscaler.
async fn pool_state(ws: &Workspace, cluster: &AksClusterId) -> Result<String> {
    let live = ws.managed_cluster(cluster).await?;
    let pools = live
        .properties
        .and_then(|p| p.agent_pool_profiles)
        .unwrap_or_default();
    let pool = pools
        .iter()
        .find(|p| matches!(p.mode, Some(AgentPoolMode::System)))
        .or_else(|| pools.first())
        .ok_or("the cluster reports no agent pool")?;
    let name = pool.name.as_deref().unwrap_or("?");
    let count = pool.count.unwrap_or_default();
    Ok(
        match (pool.enable_auto_scaling, pool.min_count, pool.max_count) {
            (Some(true), Some(min), Some(max)) => {
                format!("pool {name}: autoscaler on, {min} to {max} nodes ({count} now)")
            }
            _ => format!("pool {name}: autoscaler off, {count} nodes"),
        },
    )
}

/// The whole quickstart on `ws`; `emulator` is the embedded emulator behind it, if any.
#[allow(clippy::too_many_lines, reason = "one script, read from top to bottom")]
pub(crate) async fn run(ws: &Workspace, emulator: Option<&Emulator>) -> Result<Summary> {
    let started = Instant::now();
    let mut summary = Summary::default();
    let target = if emulator.is_some() {
        "the embedded emulator"
    } else {
        "Azure"
    };
    println!(
        "aml quickstart on {target} (workspace {} in {})",
        ws.id().name(),
        ws.location().unwrap_or("?")
    );

    // 1. Create (R1): dev-test (R8), Microsoft certificate for a leaf domain label (R17).
    println!(
        "\n1. create {CREATED}: 1 x Standard_D3_v2, DevTest, Microsoft certificate for {LABEL}"
    );
    let config = AksProvisioningBuilder::default()
        .agent_count(1)
        .vm_size("Standard_D3_v2")
        .cluster_purpose(ClusterPurpose::DevTest)
        .enable_ssl(TlsSettings::microsoft(LABEL, false));
    let created = into_aks(
        wait(ws.begin_create(CREATED, config).await?, &mut summary).await?,
        "create",
    )?;
    println!("  {created}");
    if let Some(fqdn) = created.ssl_cname() {
        println!("  scoring endpoint: https://{fqdn} (the label plus six random characters)");
    }
    let created_cluster = created.cluster_resource_id().unwrap_or_default().to_owned();

    // 2. Attach (R2) with a custom certificate made now (R17).
    let prod = existing_cluster(emulator, "prod")?;
    let cert = GeneratedCertificate::new(CNAME)?;
    println!(
        "\n2. attach {prod}\n   as {ATTACHED} with a custom certificate for {CNAME} (generated now; the key stays in memory)"
    );
    let config = AksAttachBuilder::default()
        .resource_id(prod.clone())
        .cluster_purpose(ClusterPurpose::FastProd)
        .enable_ssl(cert.tls_settings());
    let attached = into_aks(
        wait(
            ws.begin_attach(ATTACHED, config, AttachOptions::default())
                .await?,
            &mut summary,
        )
        .await?,
        "attach",
    )?;
    println!("  {attached}");
    println!(
        "  point the DNS name {CNAME} at {} (a custom domain needs a DNS record)",
        attached.scoring_ip().unwrap_or("the scoring endpoint's IP")
    );

    // 3. A second attachment of the same cluster breaks the first (R10): refused.
    println!(
        "\n3. attach the same cluster again as {SECOND_NAME} (it would break {ATTACHED}) [attach.cluster_attached]"
    );
    let again = AksAttachBuilder::default()
        .resource_id(prod.clone())
        .cluster_purpose(ClusterPurpose::FastProd);
    match ws
        .begin_attach(SECOND_NAME, again, AttachOptions::default())
        .await
    {
        Err(error @ Error::AlreadyAttached { .. }) => {
            refused(&error);
            summary.second_attachment_refused = true;
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err(format!("attaching {prod} twice was not refused").into()),
    }

    // 4. Internal load balancer (R20): refused while TLS is on (R18); TLS off and switch at once.
    println!(
        "\n4. switch {ATTACHED} to an internal load balancer in {SUBNET} (an update after attaching)"
    );
    let internal_only =
        AksUpdateBuilder::default().load_balancer(LoadBalancerSettings::internal(SUBNET));
    match ws.begin_update(ATTACHED, internal_only).await {
        Err(error) if error.is_client_side() => {
            refused(&error);
            summary.tls_with_internal_lb_refused = true;
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("an internal load balancer with TLS on was not refused".into()),
    }
    println!("  so: disable TLS and switch in one update");
    let update = AksUpdateBuilder::default()
        .ssl(TlsSettings::disabled())
        .load_balancer(LoadBalancerSettings::internal(SUBNET));
    let internal = into_aks(
        wait(ws.begin_update(ATTACHED, update).await?, &mut summary).await?,
        "update",
    )?;
    println!("  {internal}");
    println!(
        "  internal load balancer in subnet {}, private IP {}",
        internal.load_balancer_subnet().unwrap_or("?"),
        internal.scoring_ip().unwrap_or("?")
    );

    // 5. List (R6).
    println!("\n5. list the workspace's computes");
    let computes: Vec<ComputeTarget> = ws.list().try_collect().await?;
    for compute in &computes {
        let line = match compute.as_aks() {
            Some(aks) => aks.to_string(),
            None => format!("{} ({})", compute.name(), compute.compute_type()),
        };
        println!("  {line}");
        summary.listed.push(line);
    }

    // 6. Kube credentials for debugging (R6): credentials, so only their size is shown.
    println!("\n6. get the kube credentials of {ATTACHED}");
    let secrets = ws.get_credentials(ATTACHED).await?;
    summary.kubeconfig_bytes = secrets
        .user_kube_config
        .as_ref()
        .map_or(0, aml_model::Kubeconfig::len);
    println!(
        "  user kubeconfig: {} bytes, admin kubeconfig: {} bytes (not shown: they grant access)",
        summary.kubeconfig_bytes,
        secrets
            .admin_kube_config
            .as_ref()
            .map_or(0, aml_model::Kubeconfig::len)
    );

    // 7. Back to a public IP; re-attach with TLS from the azuremlfessl secret (R19, R22).
    println!(
        "\n7. back to a public IP, then update the AML components by detach + re-attach with TLS on again"
    );
    let public = AksUpdateBuilder::default().load_balancer(LoadBalancerSettings::public());
    let back = into_aks(
        wait(ws.begin_update(ATTACHED, public).await?, &mut summary).await?,
        "update",
    )?;
    println!("  {back}");
    // The certificate files are gone; the dump was saved from the cluster while TLS was on
    // (`kubectl get secret/azuremlfessl -o yaml > azuremlfessl.yaml`).
    let dump = cert.azuremlfessl_yaml();
    drop(cert);
    let tls =
        aml_compute::tls::settings_from_secret(dump.as_bytes(), CNAME, OffsetDateTime::now_utc())?;
    println!(
        "  recovered cert.pem and key.pem from a {}-byte azuremlfessl dump (base64-decoded, key matches, {CNAME} covered, valid now)",
        dump.len()
    );
    drop(dump);
    summary.operations += 2; // the re-attach is a detach and an attach
    let operation = ws.begin_reattach(ATTACHED, Some(tls)).await?;
    let reattached = into_aks(aml_examples::watch(operation, "  ").await?, "re-attach")?;
    summary.tls_after_reattach = reattached
        .ssl_status()
        .map_or("Disabled", |s| s.as_str())
        .to_owned();
    println!("  {reattached}");

    // 7b. On the emulator, which can fail on request: a re-attach whose attach fails after
    //     its detach is rolled back to the previous attachment (and says what it could not
    //     restore: Azure never returns a custom certificate's key).
    if let Some(emulator) = emulator {
        println!(
            "\n7b. re-attach {ATTACHED} without TLS while the emulator fails the attach: rolled back"
        );
        let operation = ws
            .begin_reattach(ATTACHED, Some(TlsSettings::disabled()))
            .await?;
        // The detach is under way; the operation that follows it (the attach) ends Failed.
        emulator.faults().fail_next_operation(ErrorDetail {
            code: Some("InternalServerError".into()),
            message: Some("the Azure ML components could not be installed (injected)".into()),
            ..ErrorDetail::default()
        });
        summary.operations += 2; // the detach, and the attach that restores
        match aml_examples::watch(operation, "  ").await {
            Err(error @ Error::ReattachRolledBack { .. }) => {
                println!("  {}", describe_error(&error));
                summary.rolled_back = true;
            }
            Err(other) => return Err(other.into()),
            Ok(_) => return Err("the injected failure did not happen".into()),
        }
    }

    // 8. Scale (R13): the node count of the attached cluster's pool, through AKS (the SDK
    //    cannot); never its VM size, and never below what the production purpose needs (R8).
    println!(
        "\n8. scale {ATTACHED}: to 2 nodes (a production purpose needs 3 and 12 vCPUs), then to 4"
    );
    match ws
        .begin_scale(ATTACHED, ScaleConfiguration::builder().node_count(2))
        .await
    {
        Err(error) => {
            refused(&error);
            summary.scale_down_refused = true;
        }
        Ok(_) => return Err("a production scale-down to 2 nodes was not refused".into()),
    }
    let operation = ws
        .begin_scale(ATTACHED, ScaleConfiguration::builder().node_count(4))
        .await?;
    let scaled = into_aks(wait(operation, &mut summary).await?, "scale")?;
    summary.scaled_to = scaled.agent_count();
    println!("  {scaled}");

    // 8b. The cluster autoscaler (R13): on between 3 and 6 nodes (production needs 3), then off
    //     again (the pool keeps the nodes it has).
    println!("\n8b. turn the autoscaler of {ATTACHED}'s pool on (3 to 6 nodes), then off again");
    let prod_cluster = scaled.cluster_id().ok_or("the compute names no cluster")?;
    for autoscaler in [
        ScaleConfiguration::builder().autoscale(3, 6),
        ScaleConfiguration::builder().autoscale_off(),
    ] {
        finish(ws.begin_scale(ATTACHED, autoscaler).await?, &mut summary).await?;
        let state = pool_state(ws, &prod_cluster).await?;
        println!("  {state}");
        summary.autoscaler.push(state);
    }

    // 8c. A pool's VM size never changes (R13): refused before any request, with the reason.
    println!("\n8c. scale {ATTACHED} to 4 x Standard_D4_v2 (another VM size) [scale.vm_size]");
    let mut resize = ScaleConfiguration::builder().node_count(4);
    resize.vm_size = Some("Standard_D4_v2".into());
    match ws.begin_scale(ATTACHED, resize).await {
        Err(error) if error.is_client_side() => {
            refused(&error);
            summary.vm_size_refused = true;
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("a new VM size was not refused".into()),
    }

    // 9. Converge: the created compute as a spec that asks for 2 nodes. `plan_ensure` shows
    //    the difference and the plan, the plan runs, and the same spec again changes nothing.
    println!("\n9. ensure {CREATED} has 2 nodes: the difference, the plan, the run");
    let desired = || {
        Desired::Create(
            AksProvisioningBuilder::default()
                .agent_count(2)
                .vm_size("Standard_D3_v2")
                .cluster_purpose(ClusterPurpose::DevTest)
                .enable_ssl(TlsSettings::microsoft(LABEL, false)),
        )
    };
    let convergence = ws.plan_ensure(CREATED, desired()).await?;
    summary.convergence = convergence.to_string();
    for line in summary.convergence.lines() {
        println!("  {line}");
    }
    if let Some(plan) = convergence.into_plan() {
        wait(ws.begin_plan(plan).await?, &mut summary).await?;
    }
    let again = ws.plan_ensure(CREATED, desired()).await?;
    summary.converged = again.is_up_to_date();
    print!("  {again}");

    // 9b-9c. The attached compute as a spec: a TLS difference is changed in place (an update);
    //        a purpose difference by re-attaching (detach, attach, rolled back on failure).
    let attached_as = |purpose: ClusterPurpose| Desired::Attach {
        attach: AksAttachBuilder::default()
            .resource_id(prod.clone())
            .cluster_purpose(purpose)
            .enable_ssl(TlsSettings::microsoft(PROD_LABEL, false)),
        options: AttachOptions::default(),
    };
    println!(
        "\n9b. ensure {ATTACHED} has a Microsoft certificate for {PROD_LABEL}: updated in place"
    );
    let spec = attached_as(ClusterPurpose::FastProd);
    summary.updated = differences(&ws.plan_ensure(ATTACHED, spec).await?);
    summary.operations += 1;
    let updated = ws
        .begin_ensure(ATTACHED, attached_as(ClusterPurpose::FastProd))
        .await?
        .await?;
    println!("  {updated}");

    println!("\n9c. ensure {ATTACHED} is DevTest: its purpose changes only by a re-attach");
    let spec = attached_as(ClusterPurpose::DevTest);
    summary.reattached = differences(&ws.plan_ensure(ATTACHED, spec).await?);
    summary.operations += 2; // the detach and the attach
    let reattached = ws
        .begin_ensure(ATTACHED, attached_as(ClusterPurpose::DevTest))
        .await?
        .await?;
    summary.purpose_after_reattach = reattached
        .cluster_purpose()
        .map(ToString::to_string)
        .unwrap_or_default();
    println!("  {reattached}");

    // 9d. What cannot change in place (a created compute's VM size, region, virtual network,
    //     purpose) is refused with every difference, and nothing is written.
    println!("\n9d. ensure {CREATED} runs on Standard_D4_v2: only a new compute can (refused)");
    let bigger = AksProvisioningBuilder::default()
        .agent_count(2)
        .vm_size("Standard_D4_v2")
        .cluster_purpose(ClusterPurpose::DevTest)
        .enable_ssl(TlsSettings::microsoft(LABEL, false));
    match ws.begin_ensure(CREATED, Desired::Create(bigger)).await {
        Err(Error::Conflict { differences, .. }) => {
            summary.recreate_refused = differences.iter().map(ToString::to_string).collect();
            for line in &summary.recreate_refused {
                println!("  {line}");
            }
            println!(
                "  refused (a conflict), nothing written: detach it and create it again to change that"
            );
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("a new VM size of a created compute was not refused".into()),
    }

    // 9e. A re-attach checks the live cluster before its detach: the created compute's cluster
    //     (2 x Standard_D3_v2: 8 vCPUs) attached as production (3 nodes, 12 vCPUs) is refused,
    //     and the compute stays as it is.
    println!(
        "\n9e. ensure {CREATED} is attached as FastProd: a re-attach, checked before its detach"
    );
    let as_production = || Desired::Attach {
        attach: AksAttachBuilder::default()
            .resource_id(created_cluster.clone())
            .cluster_purpose(ClusterPurpose::FastProd)
            .enable_ssl(TlsSettings::microsoft(LABEL, false)),
        options: AttachOptions::default(),
    };
    differences(&ws.plan_ensure(CREATED, as_production()).await?);
    let outcome = match ws.begin_ensure(CREATED, as_production()).await {
        Ok(started) => started.await.map(|_| ()),
        Err(error) => Err(error),
    };
    match outcome {
        Err(error) if error.is_client_side() => {
            summary.reattach_refused = describe_error(&error);
            println!("  refused before the detach: {}", summary.reattach_refused);
        }
        Err(other) => return Err(other.into()),
        Ok(()) => return Err("a production re-attach of a 2-node cluster was not refused".into()),
    }
    if let Some(emulator) = emulator {
        let deletes = emulator
            .requests()
            .count("DELETE", &format!("/computes/{CREATED}"));
        println!("  DELETE requests for {CREATED} so far: {deletes}");
    }

    // 10. Detach everything this run made (R3): detach, never delete.
    println!("\n10. detach {CREATED} and {ATTACHED} (the AKS clusters are kept)");
    for name in [CREATED, ATTACHED] {
        wait(ws.begin_detach(name).await?, &mut summary).await?;
        summary.detached.push(name.to_owned());
    }
    summary.clusters = vec![created_cluster, prod];

    println!(
        "\nsummary: {} long-running operations in {:.1} s on {}",
        summary.operations,
        started.elapsed().as_secs_f64(),
        target
    );
    println!(
        "  refused before any write: a second attachment of one cluster [attach.cluster_attached], TLS with an internal load balancer [tls.internal_load_balancer], a production scale-down to 2 nodes [purpose.production_nodes]"
    );
    println!(
        "  and: a pool's new VM size [scale.vm_size], a created compute's new VM size (ensure's conflict), a production re-attach of a 2-node cluster before its detach [purpose.production_nodes]"
    );
    println!(
        "  detached {}; the clusters behind them are kept:",
        summary.detached.join(", ")
    );
    for cluster in &summary.clusters {
        let kept = match emulator {
            Some(emulator) => match cluster.parse().ok().and_then(|id| emulator.cluster(&id)) {
                Some(_) => "still exists",
                None => "MISSING",
            },
            None => "kept",
        };
        println!("    {cluster}: {kept}");
    }
    Ok(summary)
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
#[path = "quickstart/tests.rs"]
mod tests;
