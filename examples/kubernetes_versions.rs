//! Kubernetes versions (R14): the versions a region supports with the default marked (what
//! `az aks get-versions` shows; creating uses the default), and what happens when an attached
//! cluster runs a version its region no longer supports: the attach fails before anything is
//! written, listing the supported versions.
//!
//! ```text
//! cargo run -p aml-examples --example kubernetes_versions            # eastus and westus2
//! cargo run -p aml-examples --example kubernetes_versions -- westeurope
//! ```
//!
//! By default it runs against an embedded emulator on 127.0.0.1 and finishes in under a second.
//! With `AML_TARGET=azure` (workspace from `AML_*` or `config.json`, credential from the
//! environment) it reads Azure's lists; the attach step needs an outdated cluster's ARM id in
//! `AML_AKS_OLD` and is skipped without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aml_arm::{ArmClient, ArmClientOptions, Cloud, CredentialChainOptions, StaticTokenCredential};
use aml_compute::config::AksAttachBuilder;
use aml_compute::{AttachOptions, Error, KubernetesVersions, Workspace};
use aml_emulator::Emulator;
use aml_examples::{ARM_SCOPE, Failure, Pace, Result, existing_cluster};

/// What the run saw, for the tests.
#[derive(Debug, Default)]
struct Outcome {
    /// Each region's versions.
    regions: Vec<KubernetesVersions>,
    /// The versions the refused attach listed.
    refused_with: Option<Vec<String>>,
}

async fn run(ws: &Workspace, emulator: Option<&Emulator>, locations: &[String]) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let target = if emulator.is_some() {
        "the embedded emulator"
    } else {
        "Azure"
    };
    println!(
        "kubernetes_versions on {target} (workspace {} in {})",
        ws.id().name(),
        ws.location().unwrap_or("?")
    );
    for location in locations {
        println!();
        let versions = ws.kubernetes_versions(location).await?;
        print!("{versions}");
        match versions.default_version() {
            Some(default) => println!(
                "  new clusters in {location} get {} (creating uses the default)",
                default.version
            ),
            None => println!("  no default listed for {location}"),
        }
        outcome.regions.push(versions);
    }

    let Ok(old) = existing_cluster(emulator, "old") else {
        println!("\n(set AML_AKS_OLD to try attaching an outdated cluster)");
        return Ok(outcome);
    };
    println!("\nattach a cluster running an unsupported version:");
    match ws
        .begin_attach(
            "old-aks",
            AksAttachBuilder::default().resource_id(old),
            AttachOptions::default(),
        )
        .await
    {
        Err(error @ Error::UnsupportedKubernetesVersion { .. }) => {
            println!("  refused before any write: {error}");
            if let Error::UnsupportedKubernetesVersion { supported, .. } = error {
                outcome.refused_with = Some(supported);
            }
        }
        Err(other) => return Err(other.into()),
        Ok(_) => {
            println!("  the cluster's version is supported after all; nothing to show");
        }
    }
    Ok(outcome)
}

fn locations() -> Vec<String> {
    let given: Vec<String> = std::env::args().skip(1).collect();
    if given.is_empty() {
        vec!["eastus".into(), "westus2".into()]
    } else {
        given
    }
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

    let locations = locations();
    run(&workspace, emulator.as_ref(), &locations).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_region_has_one_default_and_the_refusal_lists_the_same_versions() {
        let (emulator, ws) = aml_examples::testing::standard().await;
        let regions = ["eastus".to_owned(), "westus2".to_owned()];
        let outcome = run(&ws, Some(&emulator), &regions).await.unwrap();
        let text = format!("{outcome:#?}");

        assert_eq!(outcome.regions.len(), 2);
        for versions in &outcome.regions {
            let defaults = versions.versions.iter().filter(|v| v.is_default).count();
            assert_eq!(defaults, 1, "{versions}");
            // aks-old (1.25.11) is not supported anywhere in the standard seed.
            assert!(!versions.supports("1.25.11"));
            assert!(versions.supports("1.30.4"), "{versions}");
        }
        assert!(
            outcome.regions[0].to_string().contains("(default)"),
            "{text}"
        );
        assert_eq!(
            outcome.refused_with.as_deref(),
            Some(outcome.regions[0].supported_list().as_slice()),
            "aks-old is in eastus: {text}"
        );
        // The refusal came from reads alone.
        let log = emulator.requests();
        assert!(log.matching("PUT", "/computes/").is_empty());

        // Creating uses the region's default version.
        let op = ws
            .begin_create(
                "fresh-aks",
                aml_compute::config::AksProvisioningBuilder::default()
                    .agent_count(1)
                    .cluster_purpose(aml_model::wire::ClusterPurpose::DevTest),
            )
            .await
            .unwrap();
        let created = op.await.unwrap().compute().unwrap();
        let cluster = created.as_aks().unwrap().cluster_id().unwrap();
        let version = emulator
            .cluster(&cluster)
            .and_then(|c| c.properties)
            .and_then(|p| p.current_kubernetes_version.or(p.kubernetes_version))
            .unwrap();
        let default = outcome.regions[0].default_version().unwrap();
        assert!(
            version == default.version
                || default.patch_versions.contains(&version)
                || version.starts_with(&format!("{}.", default.version)),
            "{version} is not the default {default:?}"
        );
        emulator.shutdown().await;
    }
}
