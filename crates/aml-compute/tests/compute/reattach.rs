//! Re-attach: with TLS recovered from the cluster's secret, of a created compute, the dry runs
//! of delete and re-attach, and the rollback when attaching fails after the detach.

use aml_compute::Error;
use aml_compute::config::TlsSettings;
use aml_emulator::Emulator;

use crate::support::{aks, attach_prod_as, cluster_id, create_devtest, fail_puts, setup};

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
        .plan_reattach("reatt", Some(settings()))
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
    let op = ws.begin_reattach("reatt", Some(settings())).await.unwrap();
    let done = aks(op.await.unwrap());
    assert_eq!(done.ssl_status().unwrap().as_str(), "Enabled");
    assert_eq!(done.ssl_cname(), Some("score.contoso.com"));
    assert!(emu.cluster(&cluster_id("aks-prod")).is_some());
    assert_eq!(emu.requests().count("DELETE", "/computes/reatt"), 1);

    // A compute the workspace created is re-attached too (keeping its TLS when none is
    // given), and counts as attached afterwards: the plan says so.
    let made = aks(create_devtest(&ws, "made").await);
    let plan = ws.plan_reattach("made", None).await.unwrap();
    assert!(
        plan.warnings()
            .iter()
            .any(|w| w.code == aml_model::Rule::ReattachCreated),
        "{plan}"
    );
    let again = aks(ws
        .begin_reattach("made", None)
        .await
        .unwrap()
        .await
        .unwrap());
    assert!(again.is_attached());
    assert_eq!(again.cluster_id(), made.cluster_id());
    assert!(emu.cluster(&made.cluster_id().unwrap()).is_some());
}

#[tokio::test]
async fn a_failed_attach_after_the_detach_is_rolled_back() {
    let (emu, ws) = setup().await;
    attach_prod_as(&ws, "rbk").await;
    let op = ws
        .begin_reattach("rbk", Some(TlsSettings::microsoft("rbk", false)))
        .await
        .unwrap();
    // The detach is under way; the attach that follows it fails.
    fail_puts(&emu, "rbk", 1);
    let err = op.await.unwrap_err();
    let Error::ReattachRolledBack { lost, .. } = &err else {
        panic!("expected a rollback, got {err}");
    };
    assert_eq!(lost, &None, "TLS was off: everything was restored");
    assert_eq!(aml_model::error::repeated_sentence(&err), None);
    let back = ws.get_aks("rbk").await.unwrap();
    assert!(back.is_attached());
    assert!(
        !back.ssl_enabled(),
        "the previous settings, not the new ones"
    );
    assert_eq!(back.cluster_id(), Some(cluster_id("aks-prod")));

    // The attach's operation ends Failed: rolled back the same way.
    let op = ws
        .begin_reattach("rbk", Some(TlsSettings::microsoft("rbk", false)))
        .await
        .unwrap();
    crate::support::fail_next_operation(&emu);
    let err = op.await.unwrap_err();
    assert!(matches!(err, Error::ReattachRolledBack { .. }), "{err}");
    // The service's error, once in the chain (not again as a provisioning error).
    assert_eq!(aml_model::error::repeated_sentence(&err), None, "{err:?}");
    assert!(ws.get_aks("rbk").await.unwrap().is_attached());
}

#[tokio::test]
async fn a_failed_restore_leaves_what_is_needed_to_attach_by_hand() {
    let (emu, ws) = setup().await;
    attach_prod_as(&ws, "lost").await;
    let op = ws
        .begin_reattach("lost", Some(TlsSettings::microsoft("lost", false)))
        .await
        .unwrap();
    fail_puts(&emu, "lost", 2);
    let err = op.await.unwrap_err();
    let Error::ReattachStranded {
        previous, restore, ..
    } = &err
    else {
        panic!("expected a stranded re-attach, got {err}");
    };
    assert!(previous.contains("aks-prod"), "{previous}");
    assert!(matches!(**restore, Error::Arm(_)), "{restore}");
    // The cluster by its resource id, to attach by hand.
    assert!(
        err.to_string()
            .contains(&format!("attach cluster {}", cluster_id("aks-prod"))),
        "{err}"
    );
    assert!(matches!(ws.get("lost").await, Err(Error::NotFound { .. })));
    assert!(
        emu.cluster(&cluster_id("aks-prod")).is_some(),
        "the cluster is kept"
    );
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
    let plan = ws.plan_reattach("dryre", Some(tls)).await.unwrap();
    let text = plan.to_string();
    // Read and check the compute, read the cluster and its versions and check them, the
    // findings, and (only when the cluster has authorized IP ranges) the control plane; then
    // detach, wait, attach, wait: two writes, every check before the first.
    assert_eq!(plan.writes().count(), 2, "{text}");
    let first_write = plan
        .steps()
        .iter()
        .position(|s| s.write().is_some())
        .unwrap();
    let checks: Vec<String> = plan.steps()[..first_write]
        .iter()
        .filter_map(|s| match s {
            aml_model::plan::Step::Check(c) => Some(format!("{c:?}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        checks.len(),
        5,
        "reattachable, version, capacity, findings, control plane: {text}"
    );
    assert!(
        checks.iter().any(|c| c.starts_with("ControlPlaneAdmitted")),
        "{checks:?}"
    );
    assert!(
        plan.steps()[first_write + 1..]
            .iter()
            .all(|s| !matches!(s, aml_model::plan::Step::Check(_)))
    );
    assert!(
        text.contains("(only if the cluster has authorized IP ranges)"),
        "{text}"
    );
    assert!(text.contains("underlyingResourceAction=Detach"), "{text}");
    assert!(text.contains("\"leafDomainLabel\": \"dryre\""), "{text}");
    assert_eq!(writes(&emu), before, "dry runs write nothing");
}

#[tokio::test]
async fn a_failed_detach_leaves_the_attachment_as_it_was() {
    use aml_emulator::{Fault, FaultRule};
    let (emu, ws) = setup().await;
    attach_prod_as(&ws, "keep").await;
    emu.faults().inject(
        FaultRule::new(Fault::status(500))
            .method("DELETE")
            .path_contains("/computes/keep")
            .times(1),
    );
    // The detach is the re-attach's first write: refused, nothing else is sent.
    let err = ws
        .begin_reattach("keep", Some(TlsSettings::microsoft("keep", false)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Arm(_)), "{err}");
    assert_eq!(
        emu.requests().count("PUT", "/computes/keep"),
        1,
        "only the first attach"
    );
    let still = ws.get_aks("keep").await.unwrap();
    assert!(still.is_attached() && !still.ssl_enabled());
}

#[tokio::test]
async fn a_timeout_while_attaching_is_not_rolled_back() {
    use std::time::Duration;
    // Detaching is quick, attaching slow: the wait on the attach gives up first.
    let mut timings = aml_emulator::Timings::default();
    timings.create = Duration::from_millis(30);
    timings.attach = Duration::from_secs(30);
    timings.update = Duration::from_millis(30);
    timings.delete = Duration::from_millis(30);
    timings.retry_after = Duration::from_millis(5);
    let emu = aml_emulator::Emulator::builder()
        .timings(timings)
        .start()
        .await
        .unwrap();
    let ws = crate::support::workspace(&emu);
    let op = ws
        .begin_attach(
            "slowat",
            crate::support::attach_prod(),
            aml_compute::AttachOptions::default(),
        )
        .await
        .unwrap();
    emu.complete_operations();
    op.await.unwrap();
    let err = ws
        .begin_reattach("slowat", Some(TlsSettings::microsoft("slowat", false)))
        .await
        .unwrap()
        .with_timeout(Duration::from_millis(300))
        .await
        .unwrap_err();
    // The attach may still succeed: no rollback, a token to resume it.
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert!(err.resume_token().is_some());
    assert_eq!(
        emu.requests().count("PUT", "/computes/slowat"),
        2,
        "the first attach and the re-attach's, no restoring attach"
    );
}

/// Attaches `aks-prod` as `name` on an internal load balancer in `aks-subnet`.
async fn attach_internal(ws: &aml_compute::Workspace, name: &str) {
    let op = ws
        .begin_attach(
            name,
            crate::support::attach_prod().load_balancer(
                aml_compute::config::LoadBalancerSettings::internal("aks-subnet"),
            ),
            aml_compute::AttachOptions::default(),
        )
        .await
        .unwrap();
    assert!(aks(op.await.unwrap()).has_internal_load_balancer());
}

#[tokio::test]
async fn a_compute_on_an_internal_load_balancer_is_reattached_on_it() {
    let (emu, ws) = setup().await;
    attach_internal(&ws, "ilbre").await;
    let plan = ws.plan_reattach("ilbre", None).await.unwrap();
    let shown = plan.to_string();
    // Detach, attach, then the update that switches back (an attach cannot set it: R20);
    // the rollback does the same.
    assert_eq!(plan.writes().count(), 3, "{shown}");
    assert!(
        shown.contains("switch to the internal load balancer"),
        "{shown}"
    );
    assert!(
        shown.contains("internal load balancer in subnet aks-subnet"),
        "{shown}"
    );
    assert!(
        shown.contains("then switch back to the internal load balancer"),
        "{shown}"
    );
    emu.requests().clear();
    let done = aks(ws
        .begin_reattach("ilbre", None)
        .await
        .unwrap()
        .await
        .unwrap());
    assert!(done.has_internal_load_balancer(), "{done}");
    assert_eq!(done.load_balancer_subnet(), Some("aks-subnet"));
    // `METHOD /…/computes/ilbre?api-version=…` -> `METHOD ilbre`
    let writes: Vec<String> = crate::support::received_writes(&emu)
        .iter()
        .map(|w| {
            let (method, uri) = w.split_once(' ').unwrap();
            let path = uri.split('?').next().unwrap();
            format!("{method} {}", path.rsplit('/').next().unwrap())
        })
        .collect();
    assert_eq!(
        writes,
        ["DELETE ilbre", "PUT ilbre", "PUT ilbre"],
        "detach, attach, switch back"
    );
}

#[tokio::test]
async fn a_rolled_back_reattach_puts_the_compute_back_on_its_internal_load_balancer() {
    let (emu, ws) = setup().await;
    attach_internal(&ws, "ilbrb").await;
    let op = ws.begin_reattach("ilbrb", None).await.unwrap();
    // The detach is under way; the attach after it fails; the rollback's attach and its
    // switch back go through.
    fail_puts(&emu, "ilbrb", 1);
    let err = op.await.unwrap_err();
    let Error::ReattachRolledBack { lost, .. } = &err else {
        panic!("expected a rollback, got {err}");
    };
    assert_eq!(lost, &None, "{err}");
    let back = ws.get_aks("ilbrb").await.unwrap();
    assert!(back.is_attached());
    assert!(back.has_internal_load_balancer(), "{back}");
    assert_eq!(back.load_balancer_subnet(), Some("aks-subnet"));

    // The switch back fails too: attached again on a public IP, and the error says so.
    let op = ws.begin_reattach("ilbrb", None).await.unwrap();
    fail_puts(&emu, "ilbrb", 1);
    emu.faults().inject(
        aml_emulator::FaultRule::new(aml_emulator::Fault::status(500))
            .method("PUT")
            .path_contains("/computes/ilbrb")
            .skip(1),
    );
    let err = op.await.unwrap_err();
    let Error::ReattachRolledBack {
        lost: Some(lost), ..
    } = &err
    else {
        panic!("expected a rollback that could not switch back, got {err}");
    };
    assert!(lost.contains("public IP"), "{lost}");
    assert!(err.to_string().contains("InternalLoadBalancer"), "{err}");
    let back = ws.get_aks("ilbrb").await.unwrap();
    assert!(
        back.is_attached() && !back.has_internal_load_balancer(),
        "{back}"
    );
}
