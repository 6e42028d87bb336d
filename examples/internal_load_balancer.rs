//! Internal load balancers with a private IP (R20): set at creation, or, for an attached
//! cluster, by the update that follows the attach (waiting on the attach applies it). TLS
//! termination is not supported behind an internal load balancer (R18): asking for both is
//! refused before any request. Both computes are detached at the end (the clusters are kept).
//!
//! ```text
//! cargo run -p aml-examples --example internal_load_balancer
//! ```
//!
//! By default it runs against an embedded emulator on 127.0.0.1 and finishes in seconds. With
//! `AML_TARGET=azure` (workspace from `AML_*` or `config.json`, credential from the environment)
//! it creates a real dev-test cluster (billed) and attaches the cluster in `AML_AKS_GPU`; the
//! subnet named here must then exist in the cluster's virtual network.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aml_arm::{ArmClient, ArmClientOptions, Cloud, CredentialChainOptions, StaticTokenCredential};
use aml_compute::config::{
    AksAttachBuilder, AksProvisioningBuilder, LoadBalancerSettings, TlsSettings,
};
use aml_compute::{AksCompute, AttachOptions, ComputeTarget, Error, Workspace, describe_error};
use aml_emulator::Emulator;
use aml_examples::{ARM_SCOPE, Failure, Pace, Result, existing_cluster};
use aml_model::wire::ClusterPurpose;

/// The compute created behind an internal load balancer.
const CREATED: &str = "ilb-aks";
/// The compute attached and then switched.
const ATTACHED: &str = "gpu-aks";
/// The subnet that holds AKS.
const SUBNET: &str = "aks-subnet";

/// What the run saw, for the tests.
#[derive(Debug, Default)]
struct Outcome {
    /// Codes of the refused TLS + internal load balancer configuration.
    refused_codes: Vec<&'static str>,
    /// The created compute.
    created: Option<AksCompute>,
    /// Whether the attach's plan has the follow-up update (a second write).
    attach_had_follow_up: bool,
    /// The attached compute after the follow-up update.
    attached: Option<AksCompute>,
}

fn dev_test() -> AksProvisioningBuilder {
    AksProvisioningBuilder::default()
        .agent_count(1)
        .vm_size("Standard_D3_v2")
        .cluster_purpose(ClusterPurpose::DevTest)
}

fn describe_lb(compute: &AksCompute) -> String {
    format!(
        "{} in subnet {}, scoring IP {}",
        compute.load_balancer_type(),
        compute.load_balancer_subnet().unwrap_or("-"),
        compute.scoring_ip().unwrap_or("?")
    )
}

async fn run(ws: &Workspace, emulator: Option<&Emulator>) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let target = if emulator.is_some() {
        "the embedded emulator"
    } else {
        "Azure"
    };
    println!(
        "internal_load_balancer on {target} (workspace {} in {})",
        ws.id().name(),
        ws.location().unwrap_or("?")
    );

    println!("\n1. create with TLS and an internal load balancer [tls.internal_load_balancer]");
    let both = dev_test()
        .load_balancer(LoadBalancerSettings::internal(SUBNET))
        .enable_ssl(TlsSettings::microsoft("contoso-ilb", false));
    match ws.begin_create(CREATED, both).await {
        Err(error @ Error::Validation(_)) => {
            println!("  {}", describe_error(&error));
            outcome.refused_codes = error
                .report()
                .map(|r| r.errors.iter().map(|i| i.code.code()).collect())
                .unwrap_or_default();
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("TLS with an internal load balancer was accepted".into()),
    }

    println!("\n2. create {CREATED} behind an internal load balancer in {SUBNET} (at creation)");
    let config = dev_test().load_balancer(LoadBalancerSettings::internal(SUBNET));
    let created = aml_examples::watch(ws.begin_create(CREATED, config).await?, "  ")
        .await?
        .compute()
        .and_then(ComputeTarget::into_aks)
        .ok_or("the create returned no AKS compute")?;
    println!("  {created}\n  {}", describe_lb(&created));
    outcome.created = Some(created);

    println!(
        "\n3. attach aks-gpu as {ATTACHED} with an internal load balancer: the service applies it by an update after attaching"
    );
    let config = AksAttachBuilder::default()
        .resource_id(existing_cluster(emulator, "gpu")?)
        .cluster_purpose(ClusterPurpose::FastProd)
        .load_balancer(LoadBalancerSettings::internal(SUBNET));
    let operation = ws
        .begin_attach(ATTACHED, config, AttachOptions::default())
        .await?;
    // The plan's writes: the attach, then the update that sets the load balancer.
    outcome.attach_had_follow_up = operation.plan().writes().count() == 2;
    println!(
        "  waiting attaches, then updates{}",
        if outcome.attach_had_follow_up {
            ""
        } else {
            " (no follow-up announced!)"
        }
    );
    let attached = aml_examples::watch(operation, "  ")
        .await?
        .compute()
        .and_then(ComputeTarget::into_aks)
        .ok_or("the attach returned no AKS compute")?;
    println!("  {attached}\n  {}", describe_lb(&attached));
    outcome.attached = Some(attached);

    println!("\n4. detach both (the clusters are kept)");
    for name in [CREATED, ATTACHED] {
        aml_examples::watch(ws.begin_detach(name).await?, "  ").await?;
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
    async fn private_ips_at_creation_and_after_attaching_never_with_tls() {
        let (emulator, ws) = aml_examples::testing::standard().await;
        let outcome = run(&ws, Some(&emulator)).await.unwrap();
        let text = format!("{outcome:#?}");
        let log = emulator.requests();

        assert!(!outcome.refused_codes.is_empty(), "{text}");
        let created = outcome.created.unwrap();
        assert!(created.has_internal_load_balancer(), "{created:?}");
        assert_eq!(created.load_balancer_subnet(), Some(SUBNET));
        assert!(
            created.scoring_ip().is_some_and(|ip| ip.starts_with("10.")),
            "{created:?}"
        );
        assert!(!created.ssl_enabled());
        // One create PUT: the refused configuration sent nothing.
        assert_eq!(
            log.matching("PUT", &format!("/computes/{CREATED}")).len(),
            1
        );

        assert!(outcome.attach_had_follow_up);
        let attached = outcome.attached.unwrap();
        assert!(attached.is_attached());
        assert!(attached.has_internal_load_balancer(), "{attached:?}");
        assert_eq!(attached.load_balancer_subnet(), Some(SUBNET));
        // The attach PUT, then the GET-modify-PUT update.
        assert_eq!(
            log.matching("PUT", &format!("/computes/{ATTACHED}")).len(),
            2
        );
        emulator.shutdown().await;
    }
}
