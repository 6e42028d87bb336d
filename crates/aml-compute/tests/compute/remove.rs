//! Detach and delete: delete removes only a cluster the workspace created; a cluster made by
//! `begin_create_cluster` is deleted only explicitly, by `begin_delete_cluster`, once no compute
//! of the workspace uses it.

use std::time::Duration;

use aml_compute::config::{AksAttachConfiguration, ManagedClusterConfiguration};
use aml_compute::{
    Activity, AttachOptions, Completion, CreateClusterOptions, Error, ErrorKind, OperationKind,
    ProgressEvent,
};
use aml_emulator::STANDARD_CLUSTER_RESOURCE_GROUP;
use aml_model::Rule;
use aml_model::wire::ClusterPurpose;
use futures::StreamExt;

use crate::support::{
    aks, attach_prod_as, cluster, cluster_id, create_devtest, emulator_taking, received_writes,
    setup, wait, workspace,
};

#[tokio::test]
async fn delete_is_refused_for_an_attached_cluster_and_removes_a_created_one() {
    let (emu, ws) = setup().await;
    attach_prod_as(&ws, "att").await;
    let err = ws.begin_delete("att").await.unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err}");
    assert_eq!(emu.requests().count("DELETE", "/computes/att"), 0);
    assert!(emu.cluster(&cluster_id("aks-prod")).is_some());

    let created = aks(create_devtest(&ws, "made").await);
    let made_cluster = created.cluster_id().unwrap();
    assert!(emu.cluster(&made_cluster).is_some());
    assert_eq!(
        wait(ws.begin_delete("made").await.unwrap()).await,
        Completion::Removed
    );
    assert!(
        emu.cluster(&made_cluster).is_none(),
        "delete removes the cluster the workspace made"
    );
    // Detach of the attached one keeps aks-prod.
    wait(ws.begin_detach("att").await.unwrap()).await;
    assert!(emu.cluster(&cluster_id("aks-prod")).is_some());
}

/// Creates cluster `cluster` (3 x 4 vCPUs, no authorized ranges) and attaches it as `name`.
async fn create_cluster(ws: &aml_compute::Workspace, name: &str, cluster: &str) {
    let config = ManagedClusterConfiguration::builder()
        .location("eastus")
        .system_pool("Standard_D4s_v3", 3);
    let attach =
        AksAttachConfiguration::builder().cluster(STANDARD_CLUSTER_RESOURCE_GROUP, cluster);
    let op = ws
        .begin_create_cluster(name, config, attach, CreateClusterOptions::default())
        .await
        .unwrap();
    assert!(aks(wait(op).await).is_attached());
}

#[tokio::test]
async fn a_created_cluster_is_deleted_only_explicitly_and_only_once_its_compute_is_detached() {
    let (emu, ws) = setup().await;
    create_cluster(&ws, "made", "aks-made").await;
    let id = cluster_id("aks-made");

    // Neither the compute's delete nor its detach deletes the cluster.
    emu.requests().clear();
    let err = ws.begin_delete("made").await.unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err}");
    assert!(received_writes(&emu).is_empty());

    // The cluster's deletion is refused while the compute uses it: nothing is written.
    let err = ws.begin_delete_cluster(&id).await.unwrap_err();
    let Error::ClusterStillAttached { computes, .. } = &err else {
        panic!("expected ClusterStillAttached, got {err}")
    };
    assert_eq!(computes, &["made"]);
    assert_eq!(err.rule(), Some(Rule::ClusterStillAttached));
    assert_eq!(err.kind(), ErrorKind::Refused);
    assert!(err.is_client_side());
    let text = err.to_string();
    assert!(
        text.contains("compute \"made\"") && text.ends_with("[cluster.still_attached]"),
        "{text}"
    );
    assert!(received_writes(&emu).is_empty(), "nothing was written");
    assert!(emu.cluster(&id).is_some());

    wait(ws.begin_detach("made").await.unwrap()).await;
    assert!(emu.cluster(&id).is_some(), "detach keeps the cluster");

    // Now the deletion runs: one DELETE of the cluster, progress about the cluster.
    emu.requests().clear();
    let mut op = ws.begin_delete_cluster(&id).await.unwrap();
    assert_eq!(op.kind(), OperationKind::DeleteCluster);
    assert_eq!(op.name(), "aks-made");
    assert!(
        op.warnings()
            .iter()
            .any(|w| w.code == Rule::ClusterOtherWorkspaces),
        "{:?}",
        op.warnings()
    );
    assert!(op.resume_token().is_some());
    let events: Vec<ProgressEvent> = op.progress().map(Result::unwrap).collect().await;
    assert!(
        events
            .iter()
            .all(|e| e.compute == "aks-made" && e.kind == OperationKind::DeleteCluster),
        "{events:#?}"
    );
    assert!(events.iter().any(
        |e| matches!(&e.activity, Activity::Ran(w) if w.starts_with("delete AKS cluster aks-made"))
    ));
    assert!(matches!(
        events.last().unwrap().activity,
        Activity::Finished
    ));
    assert_eq!(op.await.unwrap(), Completion::Removed);
    assert_eq!(
        received_writes(&emu),
        [format!("DELETE {id}?api-version=2024-09-01")]
    );
    // The cluster is gone: its GET is a 404.
    assert!(emu.cluster(&id).is_none());
    emu.requests().clear();
    let err = ws.managed_cluster(&id).await.unwrap_err();
    assert!(matches!(err, Error::ClusterNotFound { .. }), "{err}");
    let gets = emu.requests().matching("GET", "/managedClusters/aks-made");
    assert_eq!(gets.len(), 1);
    assert_eq!(gets[0].status, Some(404));
}

#[tokio::test]
async fn every_compute_that_uses_the_cluster_is_named_in_the_refusal() {
    let (emu, ws) = setup().await;
    let dev = || {
        AksAttachConfiguration::builder()
            .resource_id(cluster("aks-dev"))
            .cluster_purpose(ClusterPurpose::DevTest)
    };
    for name in ["one", "two"] {
        let options = AttachOptions::default().allow_second_attachment(true);
        wait(ws.begin_attach(name, dev(), options).await.unwrap()).await;
    }
    emu.requests().clear();
    let err = ws
        .begin_delete_cluster(&cluster_id("aks-dev"))
        .await
        .unwrap_err();
    let Error::ClusterStillAttached { computes, .. } = &err else {
        panic!("expected ClusterStillAttached, got {err}")
    };
    let mut names = computes.clone();
    names.sort();
    assert_eq!(names, ["one", "two"]);
    assert!(err.to_string().contains("detach them first"), "{err}");
    assert!(received_writes(&emu).is_empty());
    assert!(emu.cluster(&cluster_id("aks-dev")).is_some());
}

#[tokio::test]
async fn a_missing_cluster_is_cluster_not_found_and_nothing_else_is_sent() {
    let (emu, ws) = setup().await;
    let id = cluster_id("aks-nowhere");
    emu.requests().clear();
    let err = ws.begin_delete_cluster(&id).await.unwrap_err();
    let Error::ClusterNotFound { cluster: named } = &err else {
        panic!("expected ClusterNotFound, got {err}")
    };
    assert_eq!(named, &id.to_string());
    assert!(err.is_client_side());
    // Only the cluster's GET: neither the listing nor a write.
    let sent: Vec<String> = emu
        .requests()
        .entries()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(sent, [format!("GET {id}")]);
}

#[tokio::test]
async fn a_cluster_deletion_resumes_from_its_token_with_its_plan_without_a_second_delete() {
    let emu = emulator_taking(Duration::from_secs(600)).await;
    let ws = workspace(&emu);
    let id = cluster_id("aks-dev");
    let op = ws.begin_delete_cluster(&id).await.unwrap();
    let (token, step) = (op.resume_token().unwrap(), op.resume_step().unwrap());
    drop(op);

    // The token alone names no compute: `resume` refuses, and says how to go on.
    let err = ws
        .resume(&token, "aks-dev", OperationKind::DeleteCluster)
        .unwrap_err();
    assert!(
        matches!(err, Error::Refused { .. }) && err.to_string().contains("resume_plan"),
        "{err}"
    );

    let fresh = workspace(&emu);
    let op = fresh
        .resume_plan(fresh.plan_delete_cluster(&id).unwrap(), step, &token)
        .unwrap();
    emu.complete_operations();
    assert_eq!(wait(op).await, Completion::Removed);
    assert!(emu.cluster(&id).is_none());
    assert_eq!(
        emu.requests().count("DELETE", "/managedClusters/aks-dev"),
        1
    );
}

#[tokio::test]
async fn a_failed_cluster_deletion_is_reported_about_the_cluster() {
    let (emu, ws) = setup().await;
    let id = cluster_id("aks-dev");
    emu.faults()
        .fail_next_operation(aml_model::wire::ErrorDetail {
            code: Some("DeleteFailed".into()),
            message: Some("the nodes could not be deleted".into()),
            ..aml_model::wire::ErrorDetail::default()
        });
    let err = ws
        .begin_delete_cluster(&id)
        .await
        .unwrap()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OperationFailed { .. }), "{err}");
    assert_eq!(err.arm_code(), Some("DeleteFailed"));
    assert_eq!(
        err.to_string(),
        "the deletion of AKS cluster \"aks-dev\" ended Failed"
    );
}
