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

use std::io::Write;
use std::process::ExitCode;

use aml_compute::config::AksAttachBuilder;
use aml_compute::{AttachOptions, Error, KubernetesVersions};
use aml_examples::{Connection, Result, run_main};

/// What the run saw, for the tests.
#[derive(Debug, Default)]
struct Outcome {
    /// Each region's versions.
    regions: Vec<KubernetesVersions>,
    /// The versions the refused attach listed.
    refused_with: Option<Vec<String>>,
}

async fn run(
    conn: &Connection,
    locations: &[String],
    out: &mut (dyn Write + Send),
) -> Result<Outcome> {
    let ws = conn.workspace();
    let mut outcome = Outcome::default();
    writeln!(out, "kubernetes_versions on {}", conn.describe())?;
    for location in locations {
        writeln!(out)?;
        let versions = ws.kubernetes_versions(location).await?;
        write!(out, "{versions}")?;
        match versions.default_version() {
            Some(default) => writeln!(
                out,
                "  new clusters in {location} get {} (creating uses the default)",
                default.version
            )?,
            None => writeln!(out, "  no default listed for {location}")?,
        }
        outcome.regions.push(versions);
    }

    let Ok(old) = conn.existing_cluster("old") else {
        writeln!(
            out,
            "\n(set AML_AKS_OLD to try attaching an outdated cluster)"
        )?;
        return Ok(outcome);
    };
    writeln!(out, "\nattach a cluster running an unsupported version:")?;
    match ws
        .attach(
            "old-aks",
            AksAttachBuilder::default().resource_id(old),
            AttachOptions::default(),
        )
        .await
    {
        Err(error @ Error::UnsupportedKubernetesVersion { .. }) => {
            writeln!(out, "  refused before any write: {error}")?;
            if let Error::UnsupportedKubernetesVersion { supported, .. } = error {
                outcome.refused_with = Some(supported);
            }
        }
        Err(other) => return Err(other.into()),
        Ok(_) => {
            writeln!(
                out,
                "  the cluster's version is supported after all; nothing to show"
            )?;
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
async fn main() -> ExitCode {
    let locations = locations();
    run_main(
        async |conn: &Connection, out: &mut (dyn std::io::Write + Send)| {
            run(conn, &locations, out).await
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aml_examples::Pace;

    #[tokio::test]
    async fn each_region_has_one_default_and_the_refusal_lists_the_same_versions() {
        let conn = Connection::embedded(Pace::Test).await.unwrap();
        let mut out = Vec::new();
        let regions = ["eastus".to_owned(), "westus2".to_owned()];
        let outcome = run(&conn, &regions, &mut out).await.unwrap();
        let text = String::from_utf8(out).unwrap();

        assert_eq!(outcome.regions.len(), 2);
        for versions in &outcome.regions {
            let defaults = versions.versions.iter().filter(|v| v.is_default).count();
            assert_eq!(defaults, 1, "{versions}");
            // aks-old (1.25.11) is not supported anywhere in the standard seed.
            assert!(!versions.supports("1.25.11"));
            assert!(versions.supports("1.30.4"), "{versions}");
        }
        assert!(text.contains("(default)"), "{text}");
        assert_eq!(
            outcome.refused_with.as_deref(),
            Some(outcome.regions[0].supported_list().as_slice()),
            "aks-old is in eastus: {text}"
        );
        // The refusal came from reads alone.
        let log = conn.emulator().unwrap().requests();
        assert!(log.matching("PUT", "/computes/").is_empty());

        // Creating uses the region's default version.
        let op = conn
            .workspace()
            .create(
                "fresh-aks",
                aml_compute::config::AksProvisioningBuilder::default()
                    .agent_count(1)
                    .cluster_purpose(aml_model::wire::ClusterPurpose::DevTest),
            )
            .await
            .unwrap();
        let created = op
            .wait_for_completion(false)
            .await
            .unwrap()
            .compute()
            .unwrap();
        let cluster = created.as_aks().unwrap().cluster_id().unwrap();
        let version = conn
            .emulator()
            .unwrap()
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
        conn.shutdown().await;
    }
}
