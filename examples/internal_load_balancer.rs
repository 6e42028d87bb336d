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

use std::io::Write;
use std::process::ExitCode;

use aml_compute::config::{
    AksAttachBuilder, AksProvisioningBuilder, LoadBalancerSettings, TlsSettings,
};
use aml_compute::{AksCompute, AttachOptions, ComputeTarget, Error};
use aml_examples::{Connection, Result, describe_error, run_main, wait_with_progress};
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
    /// Whether the attach announced its follow-up update.
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

async fn run(conn: &Connection, out: &mut (dyn Write + Send)) -> Result<Outcome> {
    let ws = conn.workspace();
    let mut outcome = Outcome::default();
    writeln!(out, "internal_load_balancer on {}", conn.describe())?;

    writeln!(
        out,
        "\n1. create with TLS and an internal load balancer [tls.internal_load_balancer]"
    )?;
    let both = dev_test()
        .load_balancer(LoadBalancerSettings::internal(SUBNET))
        .enable_ssl(TlsSettings::microsoft("contoso-ilb", false));
    match ws.create(CREATED, both).await {
        Err(error @ Error::Validation(_)) => {
            writeln!(out, "  {}", describe_error(&error))?;
            outcome.refused_codes = error
                .report()
                .map(|r| r.errors.iter().map(|i| i.code.code()).collect())
                .unwrap_or_default();
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("TLS with an internal load balancer was accepted".into()),
    }

    writeln!(
        out,
        "\n2. create {CREATED} behind an internal load balancer in {SUBNET} (at creation)"
    )?;
    let config = dev_test().load_balancer(LoadBalancerSettings::internal(SUBNET));
    let created = wait_with_progress(ws.create(CREATED, config).await?, out)
        .await?
        .compute()
        .and_then(ComputeTarget::into_aks)
        .ok_or("the create returned no AKS compute")?;
    writeln!(out, "  {created}\n  {}", describe_lb(&created))?;
    outcome.created = Some(created);

    writeln!(
        out,
        "\n3. attach aks-gpu as {ATTACHED} with an internal load balancer: the service applies it by an update after attaching"
    )?;
    let config = AksAttachBuilder::default()
        .resource_id(conn.existing_cluster("gpu")?)
        .cluster_purpose(ClusterPurpose::FastProd)
        .load_balancer(LoadBalancerSettings::internal(SUBNET));
    let operation = ws
        .attach(ATTACHED, config, AttachOptions::default())
        .await?;
    outcome.attach_had_follow_up = operation.has_follow_up();
    writeln!(
        out,
        "  waiting attaches, then updates{}",
        if operation.has_follow_up() {
            ""
        } else {
            " (no follow-up announced!)"
        }
    )?;
    let attached = wait_with_progress(operation, out)
        .await?
        .compute()
        .and_then(ComputeTarget::into_aks)
        .ok_or("the attach returned no AKS compute")?;
    writeln!(out, "  {attached}\n  {}", describe_lb(&attached))?;
    outcome.attached = Some(attached);

    writeln!(out, "\n4. detach both (the clusters are kept)")?;
    for name in [CREATED, ATTACHED] {
        wait_with_progress(ws.detach(name).await?, out).await?;
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
    async fn private_ips_at_creation_and_after_attaching_never_with_tls() {
        let (conn, outcome, text) = run_captured(run).await;
        let log = conn.emulator().unwrap().requests();

        assert!(!outcome.refused_codes.is_empty(), "{text}");
        let created = outcome.created.unwrap();
        assert!(created.load_balancer_type().is_internal());
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
        assert!(attached.load_balancer_type().is_internal());
        assert_eq!(attached.load_balancer_subnet(), Some(SUBNET));
        // The attach PUT, then the GET-modify-PUT update.
        assert_eq!(
            log.matching("PUT", &format!("/computes/{ATTACHED}")).len(),
            2
        );
        assert!(
            text.contains(&format!("{ATTACHED}: update Succeeded")),
            "{text}"
        );
        conn.shutdown().await;
    }
}
