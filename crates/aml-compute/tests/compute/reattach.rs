//! Re-attach with TLS recovered from the cluster's secret, and the dry runs of delete and
//! re-attach.

use aml_compute::Error;
use aml_compute::config::TlsSettings;
use aml_emulator::Emulator;

use crate::support::{aks, attach_prod_as, cluster_id, create_devtest, setup};

/// A `kubectl get secret/azuremlfessl -o yaml` dump with a certificate for `cname`, generated now.
fn secret_dump(cname: &str) -> String {
    use base64::Engine as _;
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![cname.to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    format!(
        "apiVersion: v1\ndata:\n  cert.pem: {}\n  key.pem: {}\nkind: Secret\nmetadata:\n  name: azuremlfessl\n  namespace: default\ntype: Opaque\n",
        b64(cert.pem()),
        b64(key.serialize_pem())
    )
}

#[tokio::test]
async fn reattach_with_tls_recovered_from_the_secret() {
    let (emu, ws) = setup().await;
    attach_prod_as(&ws, "reatt").await;
    let dump = secret_dump("score.contoso.com");
    let settings = || {
        aml_compute::tls::settings_from_secret(
            dump.as_bytes(),
            "score.contoso.com",
            time::OffsetDateTime::now_utc(),
        )
        .unwrap()
    };
    let plan = ws
        .plan_reattach_with_tls("reatt", settings())
        .await
        .unwrap()
        .to_string();
    assert!(plan.starts_with("re-attach compute reatt"), "{plan}");
    // Every check of the new attachment comes before the detach.
    let detach_at = plan.find("DELETE").unwrap();
    assert!(
        plan.find("[cluster.kubernetes_version]").unwrap() < detach_at,
        "{plan}"
    );
    assert!(!plan.contains("PRIVATE KEY"), "{plan}");
    let op = ws
        .begin_reattach_with_tls("reatt", settings())
        .await
        .unwrap();
    let done = aks(op.await.unwrap());
    assert_eq!(done.ssl_status().unwrap().as_str(), "Enabled");
    assert_eq!(done.ssl_cname(), Some("score.contoso.com"));
    assert!(emu.cluster(&cluster_id("aks-prod")).is_some());
    assert_eq!(emu.requests().count("DELETE", "/computes/reatt"), 1);

    // A compute the workspace created is not re-attached: that would orphan its cluster.
    create_devtest(&ws, "made").await;
    let err = ws
        .begin_reattach_with_tls("made", settings())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err}");
    assert_eq!(emu.requests().count("DELETE", "/computes/made"), 0);
}

#[tokio::test]
async fn dry_runs_of_delete_and_reattach_send_no_write() {
    let (emu, ws) = setup().await;
    attach_prod_as(&ws, "dryre").await;
    let writes = |emu: &Emulator| {
        emu.requests().count("PUT", "/computes/") + emu.requests().count("DELETE", "/computes/")
    };
    let before = writes(&emu);
    let delete = ws.plan_delete("dryre").unwrap().to_string();
    assert!(
        delete.contains("underlyingResourceAction=Delete"),
        "{delete}"
    );
    let tls = TlsSettings::microsoft("dryre", true);
    let plan = ws.plan_reattach_with_tls("dryre", tls).await.unwrap();
    let text = plan.to_string();
    // Read and check the compute, read the cluster and its versions and check them, detach,
    // wait, attach, wait: two writes.
    assert_eq!(plan.steps().len(), 10, "{text}");
    assert_eq!(plan.writes().count(), 2, "{text}");
    assert!(text.contains("underlyingResourceAction=Detach"), "{text}");
    assert!(text.contains("\"leafDomainLabel\": \"dryre\""), "{text}");
    assert_eq!(writes(&emu), before, "dry runs write nothing");
}
