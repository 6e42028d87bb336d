//! Secured clusters end to end (R12, R15, R16): the guide says to create such AKS clusters
//! outside Azure ML and attach them; this creates one and attaches it as one operation. The
//! cluster has a Standard load balancer, authorized API-server IP ranges and a GPU pool; the
//! Azure ML control plane of the workspace's region and of its paired region is read from the
//! `Microsoft.Network` service tags (`AzureMachineLearning.<Region>`, the pair from the
//! subscription's locations), never from a list kept here.
//!
//! ```text
//! cargo run -p aml-examples --example secured_cluster
//! ```
//!
//! 1. a configuration that breaks the secured-cluster rules: every problem at once, nothing sent;
//! 2. the dry run of create-and-attach: both writes (the AKS cluster, then the compute);
//! 3. ranges that miss the control plane are refused with the exact missing prefixes, nothing
//!    written;
//! 4. with `admit_control_plane`, the prefixes join the cluster's ranges and it is created and
//!    attached;
//! 5. an existing cluster whose ranges miss the control plane is admitted (GET-modify-PUT of the
//!    cluster) and then attached;
//! 6. what attach reports from the cluster itself: a GPU pool that is not the one Azure ML
//!    deploys to (R12), Microsoft Entra ID with Azure RBAC, egress through user-defined routes;
//! 7. deleting the new cluster is its own call, refused while its compute is attached;
//! 8. detach everything (detach keeps every cluster);
//! 9. delete the cluster step 4 created, explicitly (the existing clusters are kept).
//!
//! By default it runs against an embedded emulator on 127.0.0.1 (whose service tags are
//! synthetic prefixes from reserved ranges) and finishes in seconds. With `AML_TARGET=azure` it
//! creates a real cluster (3 x Standard_D4s_v3 and 3 x Standard_NC6s_v3, billed, about ten
//! minutes) named by `AML_NEW_CLUSTER` in `AML_NEW_CLUSTER_RESOURCE_GROUP` (default: the
//! workspace's), admitting `AML_OFFICE_RANGE` (default `203.0.113.0/24`, a documentation range:
//! set your own to reach the API server), and runs steps 5 and 6 only for the clusters named by
//! `AML_AKS_OFFICE_RANGES`, `AML_AKS_GPU` and `AML_AKS_ENTRA_UDR`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aml_arm::{ArmClient, ArmClientOptions, Cloud, CredentialChainOptions, StaticTokenCredential};
use aml_compute::config::{
    AksAttachBuilder, ManagedClusterBuilder, ManagedClusterConfiguration, TlsSettings,
};
use aml_compute::{
    AksCompute, AttachOptions, ComputeTarget, CreateClusterOptions, Error, Workspace,
    describe_error,
};
use aml_emulator::Emulator;
use aml_examples::{ARM_SCOPE, Failure, Pace, Result, existing_cluster};
use aml_model::AksClusterId;
use aml_model::wire::{ClusterPurpose, LoadBalancerSku, OutboundType};

/// The compute this example creates with its cluster.
const NAME: &str = "secure-aks";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The office range the cluster's API server admits besides the Azure ML control plane.
fn office_range() -> String {
    env("AML_OFFICE_RANGE").unwrap_or_else(|| "203.0.113.0/24".to_owned())
}

/// The cluster to create: a system pool (3 x 4 vCPUs), a GPU pool created with the cluster,
/// which is the pool Azure ML deploys to (R12) and so holds the production minimum (3 nodes,
/// 3 x 6 = 18 vCPUs, R8), a Standard load balancer and authorized ranges (R15), egress through
/// the load balancer's public IP (R16).
fn secured(location: &str) -> ManagedClusterBuilder {
    ManagedClusterConfiguration::builder()
        .location(location)
        .system_pool("Standard_D4s_v3", 3)
        .accelerator_pool("Standard_NC6s_v3", 3)
        .load_balancer_sku(LoadBalancerSku::Standard)
        .authorized_ip_range(office_range())
        .outbound_type(OutboundType::LoadBalancer)
        .tag("purpose", "aml-inference")
}

/// The compute's settings: production, TLS with a Microsoft-issued certificate (R17).
fn attach_settings(resource_group: &str, cluster: &str) -> AksAttachBuilder {
    AksAttachBuilder::default()
        .cluster(resource_group, cluster)
        .cluster_purpose(ClusterPurpose::FastProd)
        .enable_ssl(TlsSettings::microsoft("contoso-secure", false))
}

/// What the run saw, for the tests.
#[derive(Debug, Default)]
struct Outcome {
    /// Error codes of the refused configuration, all reported at once.
    invalid_codes: Vec<&'static str>,
    /// The dry run, as printed.
    dry_run: String,
    /// The prefixes the refusal named.
    missing: Vec<String>,
    /// The compute created with its cluster.
    created: Option<AksCompute>,
    /// The new cluster's authorized IP ranges, as read once it was created.
    live_ranges: Vec<String>,
    /// The VM sizes of its pools.
    live_pools: Vec<String>,
    /// The existing cluster admitted then attached.
    admitted: Option<AksCompute>,
    /// The warnings of each attach, by compute name.
    findings: Vec<(String, Vec<&'static str>)>,
    /// Whether deleting the cluster while its compute was attached was refused.
    delete_refused: bool,
    /// The cluster deleted at the end.
    deleted: Option<AksClusterId>,
}

/// An existing cluster by role: the emulator's `aks-<role>`, or `AML_AKS_<ROLE>` on Azure
/// (`None` there when unset: the step is skipped).
fn optional_cluster(emulator: Option<&Emulator>, role: &str) -> Result<Option<AksClusterId>> {
    let var = format!("AML_AKS_{}", role.to_ascii_uppercase().replace('-', "_"));
    if emulator.is_none() && env(&var).is_none() {
        println!("  skipped: set {var} to the ARM id of such a cluster");
        return Ok(None);
    }
    Ok(Some(existing_cluster(emulator, role)?.parse()?))
}

async fn attach_and_report(
    ws: &Workspace,
    name: &str,
    cluster: &AksClusterId,
    options: AttachOptions,
) -> Result<(AksCompute, Vec<&'static str>)> {
    let config = AksAttachBuilder::default()
        .cluster(cluster.resource_group(), cluster.name())
        .cluster_purpose(ClusterPurpose::DevTest);
    let operation = ws.begin_attach(name, config, options).await?;
    let codes = operation.warnings().iter().map(|w| w.code.code()).collect();
    let compute = aml_examples::watch(operation, "  ")
        .await?
        .compute()
        .and_then(ComputeTarget::into_aks)
        .ok_or("the attach returned no AKS compute")?;
    println!("  {compute}");
    Ok((compute, codes))
}

#[allow(clippy::too_many_lines)] // one numbered story, read top to bottom
async fn run(ws: &Workspace, emulator: Option<&Emulator>) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let location = ws.location().ok_or("the workspace's region is not known")?;
    let target = if emulator.is_some() {
        "the embedded emulator"
    } else {
        "Azure"
    };
    println!(
        "secured_cluster on {target} (workspace {} in {location})",
        ws.id().name()
    );
    let resource_group =
        env("AML_NEW_CLUSTER_RESOURCE_GROUP").unwrap_or_else(|| ws.id().resource_group().into());
    let cluster = env("AML_NEW_CLUSTER").unwrap_or_else(|| "aks-secure".to_owned());

    // 1. Every rule at once, before any request.
    println!("\n1. a cluster that breaks the secured-cluster rules: all reported, nothing is sent");
    let bad = ManagedClusterConfiguration::builder()
        .location(location)
        .system_pool("Standard_D2s_v3", 1)
        .accelerator_pool("Standard_NC6s_v3", 1) // Azure ML's pool: 1 x 6 vCPUs for production [purpose.production_nodes, purpose.production_vcpus]
        .load_balancer_sku(LoadBalancerSku::Basic) // retired; ranges need Standard [cluster.load_balancer_sku, cluster.ranges_need_standard_lb]
        .private_cluster(true) // with ranges [cluster.private_and_ranges]
        .authorized_ip_range("203.0.113.0/33") // not a CIDR [cluster.authorized_range]
        .outbound_type(OutboundType::UserDefinedRouting); // without a subnet [cluster.outbound_udr_subnet]
    let options = CreateClusterOptions::default();
    match ws
        .begin_create_cluster(
            NAME,
            bad,
            attach_settings(&resource_group, &cluster),
            options,
        )
        .await
    {
        Err(error @ Error::Validation(_)) => {
            println!("  {}", describe_error(&error));
            outcome.invalid_codes = error
                .report()
                .map(|r| r.errors.iter().map(|i| i.code.code()).collect())
                .unwrap_or_default();
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("the invalid configuration was accepted".into()),
    }

    // 2. The dry run: both writes, nothing sent.
    let admit = CreateClusterOptions::default().admit_control_plane(true);
    println!("\n2. dry run: create AKS cluster {cluster}, admit the control plane, attach it");
    let plan = ws.plan_create_cluster(
        NAME,
        secured(location),
        attach_settings(&resource_group, &cluster),
        admit,
    )?;
    outcome.dry_run = plan.to_string();
    for line in outcome.dry_run.lines() {
        println!("  {line}");
    }

    // 3. Without the option, ranges that miss the control plane are refused.
    println!(
        "\n3. create with only the office range: refused, nothing written [cluster.control_plane_missing]"
    );
    match ws
        .begin_create_cluster(
            NAME,
            secured(location),
            attach_settings(&resource_group, &cluster),
            options,
        )
        .await
    {
        Err(Error::ControlPlaneNotAdmitted {
            missing, regions, ..
        }) => {
            println!(
                "  refused: the ranges miss {} prefixes of the Azure ML control plane in {}: {}",
                missing.len(),
                regions.join(" and "),
                missing.join(", ")
            );
            outcome.missing = missing;
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("ranges missing the control plane were accepted".into()),
    }

    // 4. With the option: the prefixes join the ranges of the cluster's PUT.
    println!("\n4. create {cluster} admitting the control plane, then attach it as {NAME}");
    let operation = ws
        .begin_create_cluster(
            NAME,
            secured(location),
            attach_settings(&resource_group, &cluster),
            admit,
        )
        .await?;
    let created = aml_examples::watch(operation, "  ")
        .await?
        .compute()
        .and_then(ComputeTarget::into_aks)
        .ok_or("the create returned no AKS compute")?;
    println!("  {created}");
    let id: AksClusterId = created.cluster_id().ok_or("the compute names no cluster")?;
    let live = ws.managed_cluster(&id).await?;
    let ranges = live.authorized_ip_ranges().to_vec();
    println!("  authorized IP ranges now: {}", ranges.join(", "));
    outcome.live_ranges = ranges;
    outcome.live_pools = live
        .properties
        .and_then(|p| p.agent_pool_profiles)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.vm_size)
        .collect();
    outcome.created = Some(created);

    // 5. An existing cluster whose ranges miss the control plane: admitted, then attached.
    println!(
        "\n5. attach an existing cluster with an office range only, admitting the control plane first"
    );
    if let Some(office) = optional_cluster(emulator, "office-ranges")? {
        let (compute, _) = attach_and_report(
            ws,
            "office-aks",
            &office,
            AttachOptions::default().admit_control_plane(true),
        )
        .await?;
        outcome.admitted = Some(compute);
    }

    // 6. What attach reports from the cluster itself.
    println!("\n6. attach clusters the guide warns about: the warnings come from the clusters");
    for (name, role) in [("gpu-aks", "gpu"), ("entra-aks", "entra-udr")] {
        if let Some(id) = optional_cluster(emulator, role)? {
            let (_, codes) = attach_and_report(ws, name, &id, AttachOptions::default()).await?;
            outcome.findings.push((name.to_owned(), codes));
        }
    }

    // 7. Deleting a cluster is its own, explicit call: refused while a compute uses it.
    println!(
        "\n7. delete cluster {cluster} while {NAME} uses it: refused, nothing written [cluster.still_attached]"
    );
    match ws.begin_delete_cluster(&id).await {
        Err(error @ Error::ClusterStillAttached { .. }) => {
            println!("  refused: {error}");
            outcome.delete_refused = true;
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("a cluster in use was deleted".into()),
    }

    // 8. Detach keeps every cluster (R3).
    println!("\n8. detach (the clusters are kept)");
    let mut names = vec![NAME.to_owned()];
    names.extend(outcome.admitted.iter().map(|c| c.name().to_owned()));
    names.extend(outcome.findings.iter().map(|(n, _)| n.clone()));
    for name in names {
        aml_examples::watch(ws.begin_detach(&name).await?, "  ").await?;
    }

    // 9. Then the cluster this example created is deleted, explicitly; the others are kept.
    println!(
        "\n9. delete cluster {cluster}, which this example created (the existing ones are kept)"
    );
    aml_examples::watch(ws.begin_delete_cluster(&id).await?, "  ").await?;
    outcome.deleted = Some(id);
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
        // authority of the client's cloud; the workspace from AML_* or config.json.
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
    async fn creates_admits_attaches_and_reports_what_the_guide_warns_about() {
        let (emulator, ws) = aml_examples::testing::standard().await;
        let outcome = run(&ws, Some(&emulator)).await.unwrap();
        let text = format!("{outcome:#?}");

        for code in [
            "purpose.production_nodes",
            "purpose.production_vcpus",
            "cluster.load_balancer_sku",
            "cluster.ranges_need_standard_lb",
            "cluster.private_and_ranges",
            "cluster.authorized_range",
            "cluster.outbound_udr_subnet",
        ] {
            assert!(outcome.invalid_codes.contains(&code), "{code}: {text}");
        }

        // The dry run shows both writes: the cluster, then the compute.
        let plan = &outcome.dry_run;
        let cluster_put = plan.find("PUT http").expect(plan);
        assert!(
            plan[cluster_put..].contains("managedClusters/aks-secure"),
            "{plan}"
        );
        assert!(plan.contains("computes/secure-aks"), "{plan}");

        // The refusal named exactly the prefixes of the workspace's region and its pair.
        let mut expected =
            aml_emulator::service_tags::control_plane_prefixes(ws.location().unwrap()).unwrap();
        expected.sort();
        let mut missing = outcome.missing.clone();
        missing.sort();
        assert_eq!(missing, expected, "{text}");

        // The created cluster admits the office range and every control-plane prefix, and
        // its GPU pool was created with it.
        let id = outcome.created.as_ref().unwrap().cluster_id().unwrap();
        let ranges = &outcome.live_ranges;
        assert!(ranges.contains(&"203.0.113.0/24".to_owned()), "{ranges:?}");
        for prefix in &expected {
            assert!(ranges.contains(prefix), "{prefix} not in {ranges:?}");
        }
        let sizes = &outcome.live_pools;
        assert!(sizes.contains(&"Standard_NC6s_v3".to_owned()), "{sizes:?}");

        // The existing cluster was admitted, then attached.
        assert!(outcome.admitted.is_some(), "{text}");
        let office = aml_examples::seed_cluster_id(emulator.seed(), "aks-office-ranges").unwrap();
        let office_ranges = emulator
            .cluster(&office)
            .unwrap()
            .authorized_ip_ranges()
            .to_vec();
        assert!(
            expected.iter().all(|p| office_ranges.contains(p)),
            "{office_ranges:?}"
        );

        // The clusters' own hazards were reported.
        let findings = |name: &str| {
            outcome
                .findings
                .iter()
                .find(|(n, _)| n == name)
                .map_or_else(|| panic!("{name}: {text}"), |(_, c)| c.clone())
        };
        assert!(
            findings("gpu-aks").contains(&"cluster.accelerator_secondary_pool"),
            "{text}"
        );
        let entra = findings("entra-aks");
        assert!(entra.contains(&"cluster.aad"), "{text}");
        assert!(entra.contains(&"cluster.egress"), "{text}");

        // The cluster in use was not deleted; once detached, it was, and only it.
        assert!(outcome.delete_refused);
        assert_eq!(outcome.deleted.as_ref(), Some(&id));
        assert!(emulator.cluster(&id).is_none());
        let deletes = emulator.requests().matching("DELETE", "/managedClusters/");
        assert_eq!(deletes.len(), 1, "{deletes:#?}");
        // Detach kept the existing clusters; no compute is left.
        assert!(emulator.cluster(&office).is_some());
        let compute = ws.id().compute(NAME.parse().unwrap());
        assert!(emulator.compute(&compute).is_none());
        emulator.shutdown().await;
    }
}
