//! Creates a new AKS cluster through the workspace (R1): every rule checked at once before any
//! request, the exact requests shown by a dry run, the long-running create with progress, the
//! refusal of a name that exists (R11), and `ensure` adopting the compute without a write.
//!
//! ```text
//! cargo run -p aml-examples --example create_aks
//! ```
//!
//! By default it runs against an embedded emulator on 127.0.0.1 and finishes in seconds. With
//! `AML_TARGET=azure` (workspace from `AML_*` or `config.json`, credential from the environment)
//! it creates a real production cluster (3 x Standard_D3_v2, about 10 minutes, billed), without
//! the custom virtual network the emulator run uses. Either way it ends with a detach: the
//! compute leaves the workspace and the cluster is kept (delete it with
//! `Workspace::begin_delete` only if you mean to destroy it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aml_arm::{ArmClient, ArmClientOptions, Cloud, CredentialChainOptions, StaticTokenCredential};
use aml_compute::config::{
    AksProvisioningBuilder, LoadBalancerSettings, TlsSettings, VnetSettings,
};
use aml_compute::{AksCompute, Desired, Ensured, Error, Workspace, describe_error};
use aml_emulator::Emulator;
use aml_examples::{ARM_SCOPE, Failure, Pace, Result};
use aml_model::wire::ClusterPurpose;

/// The compute this example creates.
const NAME: &str = "ml-aks";

/// The guide's custom virtual network (R21): all six settings together.
fn vnet() -> VnetSettings {
    VnetSettings {
        resource_group: Some("net-rg".into()),
        vnet_name: Some("ml-vnet".into()),
        subnet_name: Some("aks-subnet".into()),
        service_cidr: Some("10.0.0.0/16".into()),
        dns_service_ip: Some("10.0.0.10".into()),
        docker_bridge_cidr: Some("172.17.0.1/16".into()),
    }
}

/// The guide's production example: 3 x Standard_D3_v2 = 12 vCPUs (R8), a Microsoft-issued
/// certificate (R17), a custom virtual network where it exists.
fn production(with_vnet: bool) -> AksProvisioningBuilder {
    let config = AksProvisioningBuilder::default()
        .agent_count(3)
        .vm_size("Standard_D3_v2")
        .cluster_purpose(ClusterPurpose::FastProd)
        .enable_ssl(TlsSettings::microsoft("contoso-ml", false));
    if with_vnet {
        config.vnet(vnet())
    } else {
        config
    }
}

/// What the run saw, for the tests.
#[derive(Debug, Default)]
struct Outcome {
    /// Error codes of the refused configuration, all reported at once.
    invalid_codes: Vec<&'static str>,
    /// The created compute.
    created: Option<AksCompute>,
    /// Whether creating it a second time was refused with `AlreadyExists` (R11).
    recreate_refused: bool,
    /// Whether `ensure` adopted it without a write.
    adopted: bool,
    /// The dry run, as printed.
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
        "create_aks on {target} (workspace {} in {})",
        ws.id().name(),
        ws.location().unwrap_or("?")
    );

    // 1. Every rule at once, before any request.
    println!(
        "\n1. a configuration that breaks several rules: all of them are reported, nothing is sent"
    );
    let mut bad_vnet = vnet();
    bad_vnet.dns_service_ip = Some("10.1.0.10".into()); // outside the service CIDR
    let bad = AksProvisioningBuilder::default()
        .agent_count(2)
        .vm_size("Standard_D2_v2") // 2 x 2 vCPUs: production needs 12 [purpose.production_vcpus]
        .cluster_purpose(ClusterPurpose::FastProd)
        .vnet(bad_vnet)
        .load_balancer(LoadBalancerSettings::internal("aks-subnet"))
        .enable_ssl(TlsSettings::microsoft("contoso-ml", false)); // TLS + internal LB [tls.internal_load_balancer]
    match ws.begin_create(NAME, bad).await {
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

    // 2. The dry run: the exact requests, nothing sent.
    println!("\n2. dry run of the production configuration with a custom virtual network");
    let plan = ws.plan_create(NAME, production(true))?;
    outcome.dry_run = plan.to_string();
    for line in outcome.dry_run.lines() {
        println!("  {line}");
    }

    // 3. Create, with progress.
    println!("\n3. create {NAME} and wait");
    let operation = ws
        .begin_create(NAME, production(emulator.is_some()))
        .await?;
    let created = aml_examples::watch(operation, "  ")
        .await?
        .compute()
        .and_then(aml_compute::ComputeTarget::into_aks)
        .ok_or("the create returned no AKS compute")?;
    println!("  {created}");
    println!(
        "  cluster {}, TLS for {}",
        created.cluster_resource_id().unwrap_or("?"),
        created.ssl_cname().unwrap_or("?")
    );

    // 4. Creating is not idempotent (R11): the name exists.
    println!("\n4. create {NAME} again");
    match ws.begin_create(NAME, production(emulator.is_some())).await {
        Err(error @ Error::AlreadyExists { .. }) => {
            println!("  refused before any write: {error}");
            outcome.recreate_refused = true;
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("a second create of the same name was not refused".into()),
    }

    // 5. ensure is: the identical compute is adopted, nothing written.
    println!("\n5. ensure {NAME} with the same configuration");
    match ws
        .begin_ensure(NAME, Desired::Create(production(emulator.is_some())))
        .await?
    {
        Ensured::Adopted(compute) => {
            println!("  adopted, nothing written: {compute}");
            outcome.adopted = true;
        }
        Ensured::Started(_) => return Err("ensure wrote to an identical compute".into()),
    }

    // 6. Clean up: detach keeps the cluster (R3).
    println!("\n6. detach {NAME} (the cluster is kept)");
    aml_examples::watch(ws.begin_detach(NAME).await?, "  ").await?;
    outcome.created = Some(created);
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
    async fn creates_once_refuses_the_rest_and_adopts_without_a_write() {
        let (emulator, ws) = aml_examples::testing::standard().await;
        let outcome = run(&ws, Some(&emulator)).await.unwrap();
        let text = &outcome.dry_run;
        let log = emulator.requests();

        // Every problem of the bad configuration in one report.
        for code in [
            "purpose.production_vcpus",
            "vnet.dns_ip_outside_service_cidr",
        ] {
            assert!(outcome.invalid_codes.contains(&code), "{code}: {text}");
        }
        assert!(
            outcome.invalid_codes.iter().any(|c| c.starts_with("tls")),
            "TLS with an internal load balancer: {:?}",
            outcome.invalid_codes
        );
        // One create PUT only: the refused configuration, the second create and the ensure
        // sent none.
        let puts = log.matching("PUT", &format!("/computes/{NAME}"));
        assert_eq!(puts.len(), 1, "{puts:#?}");
        assert!(outcome.recreate_refused);
        assert!(outcome.adopted);

        // The cluster was made as asked, in the custom network, and kept by the detach.
        let created = outcome.created.unwrap();
        assert_eq!(created.agent_count(), Some(3));
        assert_eq!(created.agent_vm_size(), Some("Standard_D3_v2"));
        assert_eq!(
            created
                .cluster_purpose()
                .map(ToString::to_string)
                .as_deref(),
            Some("FastProd")
        );
        assert!(
            created.ssl_cname().is_some_and(
                |c| c.starts_with("contoso-ml") && c.ends_with(".eastus.cloudapp.azure.com")
            ),
            "{created:?}"
        );
        let network = created
            .resource()
            .aks()
            .and_then(|a| a.properties.as_ref())
            .and_then(|p| p.aks_networking_configuration.as_ref())
            .expect("custom network");
        assert_eq!(network.dns_service_ip.as_deref(), Some("10.0.0.10"));
        let cluster = created.cluster_id().unwrap();
        assert!(emulator.cluster(&cluster).is_some());
        let id = ws.id().compute(NAME.parse().unwrap());
        assert!(emulator.compute(&id).is_none());

        // The dry run showed the requests.
        assert!(text.contains("\"dnsServiceIP\": \"10.0.0.10\""), "{text}");
        assert!(text.contains("PUT http"), "{text}");
        emulator.shutdown().await;
    }
}
