//! Create: the compute and its cluster, and the refusals that send nothing.

use aml_compute::config::{AksProvisioningConfiguration, LoadBalancerSettings, TlsSettings};
use aml_compute::{Completion, ComputeTarget, Error, OperationKind};
use futures::TryStreamExt;

use crate::support::{aks, create_devtest, devtest, setup, wait};

#[tokio::test]
async fn create_get_list_detach() {
    let (emu, ws) = setup().await;
    let op = ws
        .begin_create(
            "dev-aks",
            devtest().enable_ssl(TlsSettings::microsoft("contoso", false)),
        )
        .await
        .unwrap();
    assert_eq!(op.kind(), OperationKind::Create);
    let created = aks(wait(op).await);
    assert_eq!(created.provisioning_state().unwrap().as_str(), "Succeeded");
    assert_eq!(created.agent_count(), Some(2));
    assert_eq!(created.ssl_status().unwrap().as_str(), "Auto");
    assert!(!created.is_attached());

    let listed: Vec<ComputeTarget> = ws.list().try_collect().await.unwrap();
    assert!(listed.iter().any(|c| c.name() == "dev-aks"));
    let got = ws.get_aks("dev-aks").await.unwrap();
    assert_eq!(got.name(), "dev-aks");
    let cluster = got.cluster_id().expect("the created cluster's id");

    // Detach keeps the cluster, and waiting does not fail because the compute is gone.
    let done = wait(ws.begin_detach("dev-aks").await.unwrap()).await;
    assert_eq!(done, Completion::Removed);
    assert!(matches!(
        ws.get("dev-aks").await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        emu.cluster(&cluster).is_some(),
        "detach must never delete the cluster"
    );
}

#[tokio::test]
async fn invalid_configuration_sends_nothing_and_lists_every_problem() {
    let (emu, ws) = setup().await;
    let bad = AksProvisioningConfiguration::builder()
        .agent_count(2)
        .vm_size("Standard_D2_v2")
        .load_balancer(LoadBalancerSettings::internal("aks-subnet"))
        .enable_ssl(TlsSettings::microsoft("Contoso", false));
    let err = ws.begin_create("1-bad", bad).await.unwrap_err();
    let report = err.report().expect("a validation report");
    for code in [
        "name.start",
        "purpose.production_nodes",
        "purpose.production_vcpus",
        "tls.leaf_domain_label",
        "tls.internal_load_balancer",
    ] {
        assert!(report.has_error(code), "{code} missing from {report}");
    }
    assert!(err.is_client_side());
    assert_eq!(
        emu.requests().len(),
        0,
        "nothing may be sent from an invalid configuration"
    );
}

#[tokio::test]
async fn creating_an_existing_name_is_refused_before_any_write() {
    let (emu, ws) = setup().await;
    create_devtest(&ws, "dup-aks").await;
    let err = ws.begin_create("dup-aks", devtest()).await.unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    assert_eq!(emu.requests().count("PUT", "/computes/dup-aks"), 1);
}
