//! One plan per operation: for every mutating operation (create, attach, update, scale,
//! re-attach, detach, delete, create-and-attach a cluster, delete a cluster), the writes the
//! emulator receives are
//! exactly the writes the operation's plan (its dry run) lists, in order — and the plan is the
//! one the operation runs.

use std::time::Duration;

use aml_compute::config::{
    AksAttachConfiguration, AksProvisioningConfiguration, AksUpdateConfiguration,
    LoadBalancerSettings, TlsSettings,
};
use aml_compute::{AttachOptions, ComputeOperation, Plan, Workspace};
use aml_emulator::Emulator;
use aml_model::wire::ClusterPurpose;

use crate::support::{cluster, emulator_taking, received_writes, workspace};

pub(crate) async fn setup() -> (Emulator, Workspace) {
    let emu = emulator_taking(Duration::from_millis(30)).await;
    let ws = workspace(&emu);
    (emu, ws)
}

/// `METHOD /path?query` of every write a plan lists, in order.
pub(crate) fn planned_writes(plan: &Plan) -> Vec<String> {
    plan.writes()
        .map(|r| format!("{} {}", r.method(), r.uri()))
        .collect()
}

/// Runs `op` to the end and checks that the emulator received exactly the plan's writes.
pub(crate) async fn runs_as_planned(emu: &Emulator, shown: &Plan, op: ComputeOperation) {
    // The plan the operation runs is the one the dry run showed (its live checks may add
    // warnings, nothing else).
    let without_warnings = |p: &Plan| {
        p.to_string()
            .lines()
            .filter(|l| !l.starts_with("  warning: "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(without_warnings(op.plan()), without_warnings(shown));
    op.await.unwrap();
    let planned = planned_writes(shown);
    assert!(!planned.is_empty(), "{shown}");
    assert_eq!(received_writes(emu), planned, "{shown}");
}

#[tokio::test]
async fn every_operation_sends_exactly_the_writes_its_plan_lists() {
    let (emu, ws) = setup().await;
    let devtest = || {
        AksProvisioningConfiguration::builder()
            .agent_count(2)
            .vm_size("Standard_D2_v3")
            .location("eastus")
            .cluster_purpose(ClusterPurpose::DevTest)
            .enable_ssl(TlsSettings::microsoft("contoso", false))
    };

    // create
    let plan = ws.plan_create("made", devtest()).unwrap();
    emu.requests().clear();
    let op = ws.begin_create("made", devtest()).await.unwrap();
    runs_as_planned(&emu, &plan, op).await;

    // attach, with the update that sets the internal load balancer afterwards
    let attach = || {
        AksAttachConfiguration::builder()
            .resource_id(cluster("aks-prod"))
            .load_balancer(LoadBalancerSettings::internal("aks-subnet"))
    };
    let plan = ws
        .plan_attach("att", attach(), AttachOptions::default())
        .unwrap();
    assert_eq!(plan.writes().count(), 2, "{plan}");
    emu.requests().clear();
    let op = ws
        .begin_attach("att", attach(), AttachOptions::default())
        .await
        .unwrap();
    runs_as_planned(&emu, &plan, op).await;

    // update
    let update = || {
        AksUpdateConfiguration::builder()
            .ssl(TlsSettings::disabled())
            .load_balancer(LoadBalancerSettings::public())
    };
    let plan = ws.plan_update("att", update()).unwrap();
    emu.requests().clear();
    let op = ws.begin_update("att", update()).await.unwrap();
    runs_as_planned(&emu, &plan, op).await;

    // scale the attached cluster's pool
    let scale = || aml_compute::config::ScaleConfiguration::builder().node_count(4);
    let plan = ws.plan_scale("att", scale()).await.unwrap();
    emu.requests().clear();
    let op = ws.begin_scale("att", scale()).await.unwrap();
    runs_as_planned(&emu, &plan, op).await;

    // re-attach with TLS: detach, then attach again
    let tls = || TlsSettings::microsoft("att", true);
    let plan = ws.plan_reattach("att", Some(tls())).await.unwrap();
    emu.requests().clear();
    let op = ws.begin_reattach("att", Some(tls())).await.unwrap();
    runs_as_planned(&emu, &plan, op).await;

    // detach
    let plan = ws.plan_detach("att").unwrap();
    emu.requests().clear();
    let op = ws.begin_detach("att").await.unwrap();
    runs_as_planned(&emu, &plan, op).await;

    // delete
    let plan = ws.plan_delete("made").unwrap();
    emu.requests().clear();
    let op = ws.begin_delete("made").await.unwrap();
    runs_as_planned(&emu, &plan, op).await;

    // create a cluster with authorized ranges, adding the control plane's prefixes, then
    // attach it: the cluster's PUT, then the compute's
    let secured = || {
        aml_compute::config::ManagedClusterConfiguration::builder()
            .location("eastus")
            .system_pool("Standard_D4s_v3", 3)
            .authorized_ip_range("203.0.113.0/24")
    };
    let named = || AksAttachConfiguration::builder().cluster("aks-rg", "aks-made");
    let options = aml_compute::CreateClusterOptions::default().admit_control_plane(true);
    let plan = ws
        .plan_create_cluster("secured", secured(), named(), options)
        .unwrap();
    assert_eq!(plan.writes().count(), 2, "{plan}");
    emu.requests().clear();
    let op = ws
        .begin_create_cluster("secured", secured(), named(), options)
        .await
        .unwrap();
    runs_as_planned(&emu, &plan, op).await;

    // delete that cluster explicitly, once its compute is detached
    ws.begin_detach("secured").await.unwrap().await.unwrap();
    let made = crate::support::cluster_id("aks-made");
    let plan = ws.plan_delete_cluster(&made).unwrap();
    assert_eq!(plan.writes().count(), 1, "{plan}");
    emu.requests().clear();
    let op = ws.begin_delete_cluster(&made).await.unwrap();
    runs_as_planned(&emu, &plan, op).await;
    assert!(emu.cluster(&made).is_none());
}

#[tokio::test]
async fn a_refusing_check_stops_the_plan_before_its_write() {
    let (emu, ws) = setup().await;
    let attach = || AksAttachConfiguration::builder().resource_id(cluster("aks-prod"));
    ws.begin_attach("first", attach(), AttachOptions::default())
        .await
        .unwrap()
        .await
        .unwrap();
    emu.requests().clear();
    // The cluster is attached already: the plan's check refuses, its write is never sent.
    let err = ws
        .begin_attach("second", attach(), AttachOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.rule(), Some(aml_model::Rule::AttachClusterAttached));
    assert!(received_writes(&emu).is_empty());
    // The dry run showed that check before the write.
    let plan = ws
        .plan_attach("second", attach(), AttachOptions::default())
        .unwrap()
        .to_string();
    let check = plan.find("[attach.cluster_attached]").unwrap();
    assert!(check < plan.find("PUT").unwrap(), "{plan}");
}

#[tokio::test]
async fn a_plan_runs_only_in_its_own_workspace() {
    let (emu, ws) = setup().await;
    let plan = ws.plan_detach("anything").unwrap();
    let other = Workspace::from_ids(
        ws.arm().clone(),
        ws.id().subscription_id(),
        "another-rg",
        "another-ws",
    )
    .unwrap();
    emu.requests().clear();
    let err = other.begin_plan(plan).await.unwrap_err();
    assert!(matches!(err, aml_compute::Error::Refused { .. }), "{err}");
    assert!(emu.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_reattach_on_an_internal_load_balancer_sends_exactly_the_writes_its_plan_lists() {
    let (emu, ws) = setup().await;
    let internal = || {
        AksAttachConfiguration::builder()
            .resource_id(cluster("aks-prod"))
            .load_balancer(LoadBalancerSettings::internal("aks-subnet"))
    };
    ws.begin_attach("ilbplan", internal(), AttachOptions::default())
        .await
        .unwrap()
        .await
        .unwrap();

    // Without TLS: detach, attach, then the update that switches back to the internal load
    // balancer (R20).
    let plan = ws.plan_reattach("ilbplan", None).await.unwrap();
    let planned = planned_writes(&plan);
    let compute = "/computes/ilbplan?";
    assert!(
        planned.len() == 3
            && planned[0].starts_with("DELETE ")
            && planned[0].contains(compute)
            && planned[0].contains("underlyingResourceAction=Detach")
            && planned[1].starts_with("PUT ")
            && planned[1].contains(compute)
            && planned[2].starts_with("PUT ")
            && planned[2].contains(compute),
        "detach, attach, switch back: {plan}"
    );
    emu.requests().clear();
    let op = ws.begin_reattach("ilbplan", None).await.unwrap();
    runs_as_planned(&emu, &plan, op).await;
    let done = ws.get_aks("ilbplan").await.unwrap();
    assert!(done.has_internal_load_balancer(), "{done}");
    assert_eq!(done.load_balancer_subnet(), Some("aks-subnet"));
}
