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

use std::io::Write;
use std::process::ExitCode;

use aml_compute::config::{AksAttachBuilder, AksUpdateBuilder, TlsSettings};
use aml_compute::{AksCompute, AttachOptions, Completion, ComputeTarget, Error};
use aml_examples::{
    Connection, GeneratedCertificate, Result, describe_error, run_main, wait_with_progress,
};
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
    /// Everything printed, to check no key leaked.
    keys: Vec<GeneratedCertificate>,
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
async fn update_tls(
    ws: &aml_compute::Workspace,
    tls: TlsSettings,
    out: &mut (dyn Write + Send),
) -> Result<AksCompute> {
    let operation = ws
        .update(NAME, AksUpdateBuilder::default().ssl(tls))
        .await?;
    aks(wait_with_progress(operation, out).await?)
}

async fn run(conn: &Connection, out: &mut (dyn Write + Send)) -> Result<Outcome> {
    let ws = conn.workspace();
    let mut outcome = Outcome::default();
    let cluster = conn.existing_cluster("prod")?;
    writeln!(out, "tls on {}", conn.describe())?;

    // 1. Hygiene before upload: every problem at once.
    writeln!(
        out,
        "\n1. attach with an expired certificate for old.contoso.com, CNAME {CNAME}, and the key of another certificate"
    )?;
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
    match ws.attach(NAME, config, AttachOptions::default()).await {
        Err(error @ Error::Validation(_)) => {
            writeln!(out, "  {}", describe_error(&error))?;
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
    writeln!(
        out,
        "\n2. attach as {NAME} with a certificate for {CNAME} generated now"
    )?;
    let config = AksAttachBuilder::default()
        .resource_id(cluster.clone())
        .cluster_purpose(ClusterPurpose::FastProd)
        .enable_ssl(first.tls_settings());
    let attached = aks(wait_with_progress(
        ws.attach(NAME, config, AttachOptions::default()).await?,
        out,
    )
    .await?)?;
    writeln!(
        out,
        "  {}; point {CNAME} at {}",
        tls_line(&attached),
        attached.scoring_ip().unwrap_or("?")
    )?;
    outcome.states.push(attached);

    // 3. Rotate: a new certificate and key by update (R5).
    let second = GeneratedCertificate::new(CNAME)?;
    writeln!(out, "\n3. rotate to a new certificate and key (update)")?;
    let rotated = update_tls(ws, second.tls_settings(), out).await?;
    writeln!(out, "  {}", tls_line(&rotated))?;
    outcome.states.push(rotated);

    // 4. A Microsoft-issued certificate for a leaf domain label (R17), then a renewal.
    writeln!(
        out,
        "\n4. switch to a Microsoft certificate for the label {LABEL}, then renew it"
    )?;
    let microsoft = update_tls(ws, TlsSettings::microsoft(LABEL, true), out).await?;
    writeln!(out, "  {}", tls_line(&microsoft))?;
    outcome.states.push(microsoft);
    let renewed = update_tls(ws, TlsSettings::renew(), out).await?;
    writeln!(out, "  renewed: {}", tls_line(&renewed))?;
    outcome.states.push(renewed);

    // 5. Files lost: recover them from the azuremlfessl secret and re-attach (R19, R22).
    writeln!(
        out,
        "\n5. re-attach with the custom certificate; its files are lost, but a dump of the azuremlfessl secret was saved"
    )?;
    let dump = second.azuremlfessl_yaml();
    let tls =
        aml_compute::tls::settings_from_secret(dump.as_bytes(), CNAME, OffsetDateTime::now_utc())?;
    writeln!(
        out,
        "  recovered cert.pem and key.pem (base64-decoded from the {}-byte dump, checked)",
        dump.len()
    )?;
    let reattached = ws.reattach_with_tls(NAME, tls, out).await?;
    writeln!(out, "  {}", tls_line(&reattached))?;
    outcome.states.push(reattached);
    outcome.keys.extend([first, second]);

    writeln!(out, "\n6. detach {NAME} (the cluster is kept)")?;
    wait_with_progress(ws.detach(NAME).await?, out).await?;
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
    async fn hygiene_first_then_every_tls_shape_and_no_key_in_the_output() {
        let (conn, outcome, text) = run_captured(run).await;
        let emulator = conn.emulator().unwrap();

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

        // The broken certificate never left; no key ever reached the output.
        let puts = emulator
            .requests()
            .matching("PUT", &format!("/computes/{NAME}"));
        assert_eq!(puts.len(), 5, "attach, rotate, Microsoft, renew, re-attach");
        for cert in &outcome.keys {
            assert!(!cert.leaks_into(&text), "a private key was printed");
        }
        assert!(!text.contains("PRIVATE KEY"));
        conn.shutdown().await;
    }
}
