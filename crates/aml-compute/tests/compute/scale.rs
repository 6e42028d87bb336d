//! Scale (R13): the node count or the autoscaler of the cluster's agent pool, never its VM
//! size; a production compute is not scaled below 3 nodes or 12 vCPUs.

use aml_compute::config::ScaleConfiguration;
use aml_compute::{Error, OperationKind};
use aml_model::Rule;

use crate::support::{aks, attach_prod_as, cluster_id, create_devtest, setup, wait};

fn pool_puts(emu: &aml_emulator::Emulator) -> usize {
    emu.requests().count("PUT", "/agentPools/")
}

#[tokio::test]
async fn scaling_out_changes_the_pool_and_the_compute_follows() {
    let (emu, ws) = setup().await;
    attach_prod_as(&ws, "prod").await;
    let plan = ws
        .plan_scale("prod", ScaleConfiguration::builder().node_count(5))
        .await
        .unwrap();
    assert_eq!(plan.kind(), OperationKind::Scale);
    let text = plan.to_string();
    assert!(text.contains("/agentPools/nodepool1"), "{text}");
    assert!(text.contains("[scale.pool_missing"), "{text}");
    assert_eq!(plan.writes().count(), 1, "{text}");
    assert_eq!(pool_puts(&emu), 0, "a plan writes nothing");

    let op = ws
        .begin_scale("prod", ScaleConfiguration::builder().node_count(5))
        .await
        .unwrap();
    assert!(op.resume_token().is_some());
    let scaled = aks(wait(op).await);
    assert_eq!(scaled.agent_count(), Some(5));
    assert_eq!(pool_puts(&emu), 1);
    let cluster = ws.managed_cluster(&cluster_id("aks-prod")).await.unwrap();
    let pool = &cluster.properties.unwrap().agent_pool_profiles.unwrap()[0];
    assert_eq!(pool.count, Some(5));
    assert_eq!(
        pool.vm_size.as_deref(),
        Some("Standard_D3_v2"),
        "the VM size never changes"
    );
}

#[tokio::test]
async fn a_scale_resumes_from_its_token_in_a_new_client_without_a_second_put() {
    let (emu, ws) = setup().await;
    attach_prod_as(&ws, "prod").await;
    let op = ws
        .begin_scale("prod", ScaleConfiguration::builder().node_count(4))
        .await
        .unwrap();
    let token = op.resume_token().unwrap();
    drop(op);
    // The operation answers with the agent pool; the resumed operation reads the compute.
    let fresh = crate::support::workspace(&emu);
    let op = fresh.resume(&token, "prod", OperationKind::Scale).unwrap();
    assert_eq!(op.plan().writes().count(), 0, "{}", op.plan());
    let scaled = aks(wait(op).await);
    assert_eq!(scaled.agent_count(), Some(4));
    assert_eq!(pool_puts(&emu), 1);
}

#[tokio::test]
async fn the_autoscaler_goes_on_and_off() {
    let (_emu, ws) = setup().await;
    attach_prod_as(&ws, "prod").await;
    let pool = |ws: aml_compute::Workspace| async move {
        let cluster = ws.managed_cluster(&cluster_id("aks-prod")).await.unwrap();
        cluster.properties.unwrap().agent_pool_profiles.unwrap()[0].clone()
    };
    wait(
        ws.begin_scale("prod", ScaleConfiguration::builder().autoscale(3, 6))
            .await
            .unwrap(),
    )
    .await;
    let on = pool(ws.clone()).await;
    assert_eq!(on.enable_auto_scaling, Some(true));
    assert_eq!((on.min_count, on.max_count), (Some(3), Some(6)));
    wait(
        ws.begin_scale(
            "prod",
            ScaleConfiguration::builder().autoscale_off().node_count(4),
        )
        .await
        .unwrap(),
    )
    .await;
    let off = pool(ws).await;
    assert_eq!(off.enable_auto_scaling, Some(false));
    assert_eq!(off.count, Some(4));
}

#[tokio::test]
async fn refusals_come_before_any_write() {
    let (emu, ws) = setup().await;
    attach_prod_as(&ws, "prod").await;

    // R8: a production compute scaled down to 2 nodes of 4 vCPUs.
    let err = ws
        .begin_scale("prod", ScaleConfiguration::builder().node_count(2))
        .await
        .unwrap_err();
    let report = err.report().expect("a validation report");
    assert!(report.has_error(Rule::PurposeProductionNodes), "{err}");
    assert!(report.has_error(Rule::PurposeProductionVcpus), "{err}");
    // An autoscaler whose minimum is too low is the same scale-down.
    let err = ws
        .begin_scale("prod", ScaleConfiguration::builder().autoscale(1, 5))
        .await
        .unwrap_err();
    assert!(
        err.report()
            .unwrap()
            .has_error(Rule::PurposeProductionNodes),
        "{err}"
    );

    // The VM size never changes (the guide), and a scale says what to change.
    let before = emu.requests().len();
    let mut vm = ScaleConfiguration::builder().node_count(4);
    vm.vm_size = Some("Standard_D8s_v5".into());
    let err = ws.begin_scale("prod", vm).await.unwrap_err();
    assert!(err.report().unwrap().has_error(Rule::ScaleVmSize), "{err}");
    let err = ws
        .begin_scale("prod", ScaleConfiguration::builder())
        .await
        .unwrap_err();
    assert!(err.report().unwrap().has_error(Rule::ScaleEmpty), "{err}");
    assert_eq!(emu.requests().len(), before, "invalid scales send nothing");

    // A pool the cluster does not have.
    let err = ws
        .begin_scale(
            "prod",
            ScaleConfiguration::builder().node_count(4).pool("gpu"),
        )
        .await
        .unwrap_err();
    assert!(
        err.report().unwrap().has_error(Rule::ScalePoolMissing),
        "{err}"
    );
    let listed = err
        .report()
        .unwrap()
        .errors
        .iter()
        .any(|i| i.message.contains("nodepool1"));
    assert!(listed, "the error lists the pools there are: {err}");

    // A missing compute.
    let err = ws
        .begin_scale("nothing", ScaleConfiguration::builder().node_count(4))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert_eq!(pool_puts(&emu), 0);
}

#[tokio::test]
async fn a_dev_test_compute_scales_down_to_one_node() {
    let (emu, ws) = setup().await;
    create_devtest(&ws, "dev").await;
    let scaled = aks(wait(
        ws.begin_scale("dev", ScaleConfiguration::builder().node_count(1))
            .await
            .unwrap(),
    )
    .await);
    assert_eq!(scaled.agent_count(), Some(1));
    assert_eq!(pool_puts(&emu), 1);
}
