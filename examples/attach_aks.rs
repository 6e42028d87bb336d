//! Attaches existing AKS clusters (R2) and shows every refusal the guide's rules call for, each
//! before anything is written: a cluster in another subscription (R9), too small for production
//! (R8), on an unsupported Kubernetes version (R14, with the supported list), or missing. It
//! attaches by ARM id as `az aks show --query id` prints it (lower-case `resourcegroups`), by
//! resource group and name, a private cluster and one with authorized IP ranges (R15, with the
//! warning it deserves), then detaches them all (the clusters are kept).
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

use std::io::Write;
use std::process::ExitCode;

use aml_compute::config::AksAttachBuilder;
use aml_compute::{AksCompute, AttachOptions, ComputeTarget, Error};
use aml_examples::{Connection, Result, describe_error, run_main, wait_with_progress};
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
    conn: &Connection,
    name: &str,
    config: AksAttachBuilder,
    out: &mut (dyn Write + Send),
    outcome: &mut Outcome,
) -> Result<()> {
    match conn
        .workspace()
        .attach(name, config, AttachOptions::default())
        .await
    {
        Ok(operation) => {
            let codes = operation.warnings().iter().map(|w| w.code.code()).collect();
            outcome.warnings.push((name.to_owned(), codes));
            let compute = wait_with_progress(operation, out)
                .await?
                .compute()
                .and_then(ComputeTarget::into_aks)
                .ok_or("the attach returned no AKS compute")?;
            writeln!(out, "  {compute}")?;
            outcome.attached.push(compute);
        }
        Err(error) if error.is_client_side() || matches!(error, Error::ClusterNotFound { .. }) => {
            writeln!(
                out,
                "  refused before any write: {}",
                describe_error(&error)
            )?;
            let refusal = match &error {
                Error::UnsupportedKubernetesVersion { supported, .. } => {
                    Refusal::UnsupportedVersion(supported.clone())
                }
                Error::ClusterNotFound { .. } => Refusal::ClusterNotFound,
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

async fn run(conn: &Connection, out: &mut (dyn Write + Send)) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    writeln!(out, "attach_aks on {}", conn.describe())?;
    let dev = conn.existing_cluster("dev")?;

    writeln!(
        out,
        "\n1. attach aks-dev (1 x Standard_DS2_v2, westus2) as dev-aks, DevTest, by the id az prints (another region is fine, another subscription is not)"
    )?;
    let by_id = AksAttachBuilder::default()
        .resource_id(as_az_prints_it(&dev))
        .cluster_purpose(ClusterPurpose::DevTest);
    attach(conn, "dev-aks", by_id, out, &mut outcome).await?;

    writeln!(
        out,
        "\n2. attach a private cluster (created outside, then attached) by resource group and name"
    )?;
    let private: AksClusterId = conn.existing_cluster("private")?.parse()?;
    let by_name = AksAttachBuilder::default().cluster(private.resource_group(), private.name());
    attach(conn, "private-aks", by_name, out, &mut outcome).await?;

    writeln!(
        out,
        "\n3. attach a cluster with authorized API-server IP ranges on a basic load balancer [cluster.authorized_ranges_basic_lb]"
    )?;
    let authorized = AksAttachBuilder::default().resource_id(conn.existing_cluster("authorized")?);
    attach(conn, "authorized-aks", authorized, out, &mut outcome).await?;

    writeln!(
        out,
        "\n4. refusals: production on 2 vCPUs [purpose.production_vcpus], another subscription [attach.other_subscription], an unsupported version [cluster.kubernetes_version], a missing cluster"
    )?;
    let too_small = AksAttachBuilder::default()
        .resource_id(dev.clone())
        .cluster_purpose(ClusterPurpose::FastProd);
    writeln!(out, "  aks-dev as FastProd:")?;
    attach(conn, "dev-prod", too_small, out, &mut outcome).await?;
    writeln!(out, "  aks-other-sub:")?;
    let other = AksAttachBuilder::default().resource_id(conn.existing_cluster("other-sub")?);
    attach(conn, "other-aks", other, out, &mut outcome).await?;
    writeln!(out, "  aks-old:")?;
    let old = AksAttachBuilder::default().resource_id(conn.existing_cluster("old")?);
    attach(conn, "old-aks", old, out, &mut outcome).await?;
    writeln!(out, "  a cluster that does not exist:")?;
    let missing = AksAttachBuilder::default().resource_id(
        dev.rsplit_once('/')
            .map(|(prefix, _)| format!("{prefix}/aks-missing"))
            .unwrap_or_default(),
    );
    attach(conn, "missing-aks", missing, out, &mut outcome).await?;

    writeln!(out, "\n5. detach what was attached (the clusters are kept)")?;
    for compute in &outcome.attached {
        wait_with_progress(conn.workspace().detach(compute.name()).await?, out).await?;
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
    async fn attaches_three_refuses_four_and_writes_nothing_for_the_refused() {
        let (conn, outcome, text) = run_captured(run).await;
        let emulator = conn.emulator().unwrap();

        let names: Vec<&str> = outcome.attached.iter().map(AksCompute::name).collect();
        assert_eq!(
            names,
            ["dev-aks", "private-aks", "authorized-aks"],
            "{text}"
        );
        assert!(outcome.attached.iter().all(AksCompute::is_attached));
        // R9: the region may differ from the workspace's.
        assert_eq!(outcome.attached[0].compute_location(), Some("westus2"));
        // The lower-case id az prints names the same cluster.
        assert_eq!(
            outcome.attached[0].cluster_id().unwrap().to_string(),
            conn.existing_cluster("dev").unwrap()
        );
        // R15: the basic load balancer with authorized ranges is warned about, not refused.
        let (_, warnings) = outcome
            .warnings
            .iter()
            .find(|(n, _)| n == "authorized-aks")
            .unwrap();
        assert!(
            warnings.contains(&"cluster.authorized_ranges_basic_lb"),
            "{warnings:?}"
        );

        let refusal = |name: &str| {
            outcome.refused.iter().find(|(n, _)| n == name).map_or_else(
                || panic!("{name} was not refused: {text}"),
                |(_, r)| r.clone(),
            )
        };
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
        let listed = conn
            .workspace()
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
            let id = conn
                .workspace()
                .id()
                .compute(compute.name().parse().unwrap());
            assert!(emulator.compute(&id).is_none());
            assert!(emulator.cluster(&compute.cluster_id().unwrap()).is_some());
        }
        conn.shutdown().await;
    }
}
