//! TLS termination from start to end (R17, R19, R22): certificate hygiene before upload (an
//! expired certificate, a CNAME it does not cover and a key from another certificate, all
//! reported at once, nothing sent); attaching with a custom certificate generated on the fly;
//! rotating it; switching to a Microsoft-issued certificate for a leaf domain label and renewing
//! it; and, with the certificate files lost, recovering them from a saved `azuremlfessl` secret
//! dump and re-attaching. Then it detaches (the cluster is kept).
//!
//! ```text
//! cargo run -p aml-examples --example tls
//! ```
//!
//! By default it runs against an embedded emulator on 127.0.0.1 and finishes in seconds. With
//! `AML_TARGET=azure` (workspace from `AML_*` or `config.json`, credential from the environment)
//! it uses the cluster whose ARM id is in `AML_AKS_PROD`. Private keys are never printed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aml_arm::{ArmClient, ArmClientOptions, Cloud, CredentialChainOptions, StaticTokenCredential};
use aml_compute::config::{AksAttachBuilder, AksUpdateBuilder, TlsSettings};
use aml_compute::{
    AksCompute, AttachOptions, Completion, ComputeTarget, Error, Workspace, describe_error,
};
use aml_emulator::Emulator;
use aml_examples::{ARM_SCOPE, Failure, GeneratedCertificate, Pace, Result, existing_cluster};
use aml_model::wire::ClusterPurpose;
use aml_tls::{Duration, OffsetDateTime};

/// The compute this example attaches.
const NAME: &str = "tls-aks";
/// The host name of the custom certificates.
const CNAME: &str = "www.contoso.com";
/// The leaf domain label of the Microsoft certificate.
const LABEL: &str = "contoso-tls";

/// What the run saw, for the tests.
#[derive(Debug, Default)]
struct Outcome {
    /// Codes of the refused certificate's problems, all at once.
    hygiene_codes: Vec<&'static str>,
    /// The compute after each step: attach, rotate, Microsoft, renew, re-attach.
    states: Vec<AksCompute>,
    /// The certificates used, to check no key leaked.
    keys: Vec<GeneratedCertificate>,
    /// The re-attach's plan as printed (bodies redacted).
    reattach_plan: String,
}

fn aks(completion: Completion) -> Result<AksCompute> {
    Ok(completion
        .compute()
        .and_then(ComputeTarget::into_aks)
        .ok_or("the operation returned no AKS compute")?)
}

fn tls_line(compute: &AksCompute) -> String {
    let status = compute.ssl_status().map_or("Disabled", |s| s.as_str());
    match (compute.leaf_domain_label(), compute.ssl_cname()) {
        (Some(label), Some(fqdn)) => format!("TLS {status}, label {label}: https://{fqdn}"),
        (Some(label), None) => format!("TLS {status}, label {label} (FQDN not reported yet)"),
        (None, Some(cname)) => format!("TLS {status} for {cname}"),
        (None, None) => format!("TLS {status}"),
    }
}

/// Changes the TLS settings of the compute by update (R5) and waits.
async fn update_tls(ws: &Workspace, tls: TlsSettings) -> Result<AksCompute> {
    let operation = ws
        .begin_update(NAME, AksUpdateBuilder::default().ssl(tls))
        .await?;
    aks(aml_examples::watch(operation, "  ").await?)
}

async fn run(ws: &Workspace, emulator: Option<&Emulator>) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let cluster = existing_cluster(emulator, "prod")?;
    let target = if emulator.is_some() {
        "the embedded emulator"
    } else {
        "Azure"
    };
    println!(
        "tls on {target} (workspace {} in {})",
        ws.id().name(),
        ws.location().unwrap_or("?")
    );

    // 1. Hygiene before upload: every problem at once.
    println!(
        "\n1. attach with an expired certificate for old.contoso.com, CNAME {CNAME}, and the key of another certificate"
    );
    let now = OffsetDateTime::now_utc();
    let expired = GeneratedCertificate::valid_between(
        "old.contoso.com",
        now - Duration::days(400),
        now - Duration::days(35),
    )?;
    let other = GeneratedCertificate::new(CNAME)?;
    let broken = TlsSettings::custom(expired.cert_pem(), other.private_key(), CNAME);
    let config = AksAttachBuilder::default()
        .resource_id(cluster.clone())
        .cluster_purpose(ClusterPurpose::FastProd)
        .enable_ssl(broken);
    match ws
        .begin_attach(NAME, config, AttachOptions::default())
        .await
    {
        Err(error @ Error::Validation(_)) => {
            println!("  {}", describe_error(&error));
            outcome.hygiene_codes = error
                .report()
                .map(|r| r.errors.iter().map(|i| i.code.code()).collect())
                .unwrap_or_default();
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("the broken certificate was accepted".into()),
    }
    outcome.keys.extend([expired, other]);

    // 2. A good custom certificate (R17).
    let first = GeneratedCertificate::new(CNAME)?;
    println!("\n2. attach as {NAME} with a certificate for {CNAME} generated now");
    let config = AksAttachBuilder::default()
        .resource_id(cluster.clone())
        .cluster_purpose(ClusterPurpose::FastProd)
        .enable_ssl(first.tls_settings());
    let attached = aks(aml_examples::watch(
        ws.begin_attach(NAME, config, AttachOptions::default())
            .await?,
        "  ",
    )
    .await?)?;
    println!(
        "  {}; point {CNAME} at {}",
        tls_line(&attached),
        attached.scoring_ip().unwrap_or("?")
    );
    outcome.states.push(attached);

    // 3. Rotate: a new certificate and key by update (R5).
    let second = GeneratedCertificate::new(CNAME)?;
    println!("\n3. rotate to a new certificate and key (update)");
    let rotated = update_tls(ws, second.tls_settings()).await?;
    println!("  {}", tls_line(&rotated));
    outcome.states.push(rotated);

    // 4. A Microsoft-issued certificate for a leaf domain label (R17), then a renewal.
    println!("\n4. switch to a Microsoft certificate for the label {LABEL}, then renew it");
    let microsoft = update_tls(ws, TlsSettings::microsoft(LABEL, true)).await?;
    println!("  {}", tls_line(&microsoft));
    outcome.states.push(microsoft);
    let renewed = update_tls(ws, TlsSettings::renew()).await?;
    println!("  renewed: {}", tls_line(&renewed));
    outcome.states.push(renewed);

    // 5. Files lost: recover them from the azuremlfessl secret and re-attach (R19, R22).
    println!(
        "\n5. re-attach with the custom certificate; its files are lost, but a dump of the azuremlfessl secret was saved"
    );
    let dump = second.azuremlfessl_yaml();
    let tls =
        aml_compute::tls::settings_from_secret(dump.as_bytes(), CNAME, OffsetDateTime::now_utc())?;
    println!(
        "  recovered cert.pem and key.pem (base64-decoded from the {}-byte dump, checked)",
        dump.len()
    );
    let operation = ws.begin_reattach(NAME, Some(tls)).await?;
    outcome.reattach_plan = operation.plan().to_string();
    println!("  the re-attach's plan (the key redacted):");
    for line in outcome.reattach_plan.lines() {
        println!("    {line}");
    }
    let reattached = aks(aml_examples::watch(operation, "  ").await?)?;
    println!("  {}", tls_line(&reattached));
    outcome.states.push(reattached);
    outcome.keys.extend([first, second]);

    println!("\n6. detach {NAME} (the cluster is kept)");
    aml_examples::watch(ws.begin_detach(NAME).await?, "  ").await?;
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
    async fn hygiene_first_then_every_tls_shape_and_no_key_in_the_output() {
        let (emulator, ws) = aml_examples::testing::standard().await;
        let outcome = run(&ws, Some(&emulator)).await.unwrap();
        let text = format!("{outcome:#?}\n{}", outcome.reattach_plan);

        for code in ["tls.expired", "tls.cname_mismatch", "tls.key_mismatch"] {
            assert!(outcome.hygiene_codes.contains(&code), "{code}: {text}");
        }
        let ssl_of = |c: &AksCompute| c.ssl_status().map(|s| s.as_str().to_owned());
        let states: Vec<_> = outcome.states.iter().map(ssl_of).collect();
        let expected =
            ["Enabled", "Enabled", "Auto", "Auto", "Enabled"].map(|s| Some(s.to_owned()));
        assert_eq!(states, expected, "{text}");
        assert_eq!(outcome.states[0].ssl_cname(), Some(CNAME));
        // The Microsoft certificate replaced the custom one: its label, not the old CNAME.
        for microsoft in &outcome.states[2..4] {
            assert_eq!(microsoft.leaf_domain_label(), Some(LABEL), "{text}");
            assert_ne!(microsoft.ssl_cname(), Some(CNAME), "{text}");
            if let Some(fqdn) = microsoft.ssl_cname() {
                assert!(
                    fqdn.starts_with(LABEL) && fqdn.ends_with(".eastus.cloudapp.azure.com"),
                    "{fqdn}"
                );
            }
        }
        assert_eq!(outcome.states[4].ssl_cname(), Some(CNAME));

        // The broken certificate never left; no key reached the plan or the outcome's Debug.
        assert!(text.contains("[redacted]"), "{text}");
        let puts = emulator
            .requests()
            .matching("PUT", &format!("/computes/{NAME}"));
        assert_eq!(puts.len(), 5, "attach, rotate, Microsoft, renew, re-attach");
        for cert in &outcome.keys {
            assert!(!cert.leaks_into(&text), "a private key was printed");
        }
        assert!(!text.contains("PRIVATE KEY"));
        emulator.shutdown().await;
    }
}
