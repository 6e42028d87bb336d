//! Attaches existing AKS clusters (R2) and shows every refusal the guide's rules call for, each
//! before anything is written: a cluster in another subscription (R9), too small for production
//! (R8), on an unsupported Kubernetes version (R14, with the supported list), or missing. It
//! attaches by ARM id as `az aks show --query id` prints it (lower-case `resourcegroups`), by
//! resource group and name, and a private cluster; a cluster whose authorized IP ranges do not
//! admit the Azure ML control plane is refused with the exact missing prefixes (R15; the
//! `secured_cluster` example adds them instead); then it detaches them all (the clusters are
//! kept).
//!
//! ```text
//! cargo run -p aml-examples --example attach_aks
//! ```
//!
//! By default it runs against an embedded emulator on 127.0.0.1 (its seed holds `aks-dev`,
//! `aks-private`, `aks-authorized`, `aks-old` and `aks-other-sub`) and finishes in seconds.
//! With `AML_TARGET=azure` it needs the ARM ids of such clusters in `AML_AKS_DEV`,
//! `AML_AKS_PRIVATE`, `AML_AKS_AUTHORIZED`, `AML_AKS_OLD` and `AML_AKS_OTHER_SUB`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aml_arm::{ArmClient, ArmClientOptions, Cloud, CredentialChainOptions, StaticTokenCredential};
use aml_compute::config::AksAttachBuilder;
use aml_compute::{AksCompute, AttachOptions, ComputeTarget, Error, Workspace, describe_error};
use aml_emulator::Emulator;
use aml_examples::{ARM_SCOPE, Failure, Pace, Result, existing_cluster};
use aml_model::AksClusterId;
use aml_model::wire::ClusterPurpose;

/// A refusal, by the error's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    /// The configuration broke rules: these codes.
    Validation(Vec<&'static str>),
    /// R14, with the supported versions.
    UnsupportedVersion(Vec<String>),
    /// The cluster does not exist.
    ClusterNotFound,
    /// R15: the authorized IP ranges miss these control-plane prefixes.
    ControlPlane(Vec<String>),
}

/// What the run saw, for the tests.
#[derive(Debug, Default)]
struct Outcome {
    /// The computes attached, as the service reported them.
    attached: Vec<AksCompute>,
    /// The refusals, by compute name.
    refused: Vec<(String, Refusal)>,
    /// The warnings of each attach, by compute name.
    warnings: Vec<(String, Vec<&'static str>)>,
}

/// `az aks show --query id` spelling: `resourcegroups` in lower case (ARM ids ignore case).
fn as_az_prints_it(id: &str) -> String {
    id.replace("/resourceGroups/", "/resourcegroups/")
}

async fn attach(
    ws: &Workspace,
    name: &str,
    config: AksAttachBuilder,
    outcome: &mut Outcome,
) -> Result<()> {
    match ws
        .begin_attach(name, config, AttachOptions::default())
        .await
    {
        Ok(operation) => {
            let codes = operation.warnings().iter().map(|w| w.code.code()).collect();
            outcome.warnings.push((name.to_owned(), codes));
            let compute = aml_examples::watch(operation, "  ")
                .await?
                .compute()
                .and_then(ComputeTarget::into_aks)
                .ok_or("the attach returned no AKS compute")?;
            println!("  {compute}");
            outcome.attached.push(compute);
        }
        Err(error)
            if error.is_client_side()
                || matches!(
                    error,
                    Error::ClusterNotFound { .. } | Error::ControlPlaneNotAdmitted { .. }
                ) =>
        {
            println!("  refused before any write: {}", describe_error(&error));
            let refusal = match &error {
                Error::UnsupportedKubernetesVersion { supported, .. } => {
                    Refusal::UnsupportedVersion(supported.clone())
                }
                Error::ClusterNotFound { .. } => Refusal::ClusterNotFound,
                Error::ControlPlaneNotAdmitted { missing, .. } => {
                    Refusal::ControlPlane(missing.clone())
                }
                other => Refusal::Validation(
                    other
                        .report()
                        .map(|r| r.errors.iter().map(|i| i.code.code()).collect())
                        .unwrap_or_default(),
                ),
            };
            outcome.refused.push((name.to_owned(), refusal));
        }
        Err(other) => return Err(other.into()),
    }
    Ok(())
}

async fn run(ws: &Workspace, emulator: Option<&Emulator>) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let target = if emulator.is_some() {
        "the embedded emulator"
    } else {
        "Azure"
    };
    println!(
        "attach_aks on {target} (workspace {} in {})",
        ws.id().name(),
        ws.location().unwrap_or("?")
    );
    let dev = existing_cluster(emulator, "dev")?;

    println!(
        "\n1. attach aks-dev (1 x Standard_DS2_v2, westus2) as dev-aks, DevTest, by the id az prints (another region is fine, another subscription is not)"
    );
    let by_id = AksAttachBuilder::default()
        .resource_id(as_az_prints_it(&dev))
        .cluster_purpose(ClusterPurpose::DevTest);
    attach(ws, "dev-aks", by_id, &mut outcome).await?;

    println!(
        "\n2. attach a private cluster (created outside, then attached) by resource group and name"
    );
    let private: AksClusterId = existing_cluster(emulator, "private")?.parse()?;
    let by_name = AksAttachBuilder::default().cluster(private.resource_group(), private.name());
    attach(ws, "private-aks", by_name, &mut outcome).await?;

    println!(
        "\n3. attach a cluster whose authorized API-server IP ranges miss the Azure ML control plane (read from the service tags of the workspace's region and its pair) [cluster.control_plane_missing]"
    );
    let authorized =
        AksAttachBuilder::default().resource_id(existing_cluster(emulator, "authorized")?);
    attach(ws, "authorized-aks", authorized, &mut outcome).await?;

    println!(
        "\n4. refusals: production on 2 vCPUs [purpose.production_vcpus], another subscription [attach.other_subscription], an unsupported version [cluster.kubernetes_version], a missing cluster"
    );
    let too_small = AksAttachBuilder::default()
        .resource_id(dev.clone())
        .cluster_purpose(ClusterPurpose::FastProd);
    println!("  aks-dev as FastProd:");
    attach(ws, "dev-prod", too_small, &mut outcome).await?;
    println!("  aks-other-sub:");
    let other = AksAttachBuilder::default().resource_id(existing_cluster(emulator, "other-sub")?);
    attach(ws, "other-aks", other, &mut outcome).await?;
    println!("  aks-old:");
    let old = AksAttachBuilder::default().resource_id(existing_cluster(emulator, "old")?);
    attach(ws, "old-aks", old, &mut outcome).await?;
    println!("  a cluster that does not exist:");
    let missing = AksAttachBuilder::default().resource_id(
        dev.rsplit_once('/')
            .map(|(prefix, _)| format!("{prefix}/aks-missing"))
            .unwrap_or_default(),
    );
    attach(ws, "missing-aks", missing, &mut outcome).await?;

    println!("\n5. detach what was attached (the clusters are kept)");
    for compute in &outcome.attached {
        aml_examples::watch(ws.begin_detach(compute.name()).await?, "  ").await?;
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
    async fn attaches_three_refuses_four_and_writes_nothing_for_the_refused() {
        let (emulator, ws) = aml_examples::testing::standard().await;
        let outcome = run(&ws, Some(&emulator)).await.unwrap();
        let text = format!("{outcome:#?}");

        let names: Vec<&str> = outcome.attached.iter().map(AksCompute::name).collect();
        assert_eq!(names, ["dev-aks", "private-aks"], "{text}");
        assert!(outcome.attached.iter().all(AksCompute::is_attached));
        // R9: the region may differ from the workspace's.
        assert_eq!(outcome.attached[0].compute_location(), Some("westus2"));
        // The lower-case id az prints names the same cluster.
        assert_eq!(
            outcome.attached[0].cluster_id().unwrap().to_string(),
            existing_cluster(Some(&emulator), "dev").unwrap()
        );

        let refusal = |name: &str| {
            outcome.refused.iter().find(|(n, _)| n == name).map_or_else(
                || panic!("{name} was not refused: {text}"),
                |(_, r)| r.clone(),
            )
        };
        // R15: ranges that miss the control plane are refused, naming every missing prefix:
        // the emulator's AzureMachineLearning prefixes of the workspace's region and its pair.
        let Refusal::ControlPlane(missing) = refusal("authorized-aks") else {
            panic!("{text}")
        };
        let region = ws.location().unwrap();
        let mut expected = aml_emulator::service_tags::control_plane_prefixes(region).unwrap();
        expected.sort();
        let mut missing = missing.clone();
        missing.sort();
        assert_eq!(missing, expected, "{text}");
        let Refusal::Validation(codes) = refusal("dev-prod") else {
            panic!("purpose.production_vcpus")
        };
        assert!(codes.contains(&"purpose.production_vcpus"), "{codes:?}");
        let Refusal::Validation(codes) = refusal("other-aks") else {
            panic!("attach.other_subscription")
        };
        assert!(!codes.is_empty());
        let Refusal::UnsupportedVersion(supported) = refusal("old-aks") else {
            panic!("cluster.kubernetes_version")
        };
        let listed = ws
            .kubernetes_versions("eastus")
            .await
            .unwrap()
            .supported_list();
        assert_eq!(supported, listed);
        assert_eq!(refusal("missing-aks"), Refusal::ClusterNotFound);

        // Refused attachments never reached a PUT; the attached ones were detached and their
        // clusters kept.
        for name in ["dev-prod", "other-aks", "old-aks", "missing-aks"] {
            assert!(
                emulator
                    .requests()
                    .matching("PUT", &format!("/computes/{name}"))
                    .is_empty(),
                "{name}"
            );
        }
        for compute in &outcome.attached {
            let id = ws.id().compute(compute.name().parse().unwrap());
            assert!(emulator.compute(&id).is_none());
            assert!(emulator.cluster(&compute.cluster_id().unwrap()).is_some());
        }
        emulator.shutdown().await;
    }
}
