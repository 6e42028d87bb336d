//! One plan per ensure: for every convergence (an absent compute created, a created compute
//! updated and scaled, an attached compute re-attached for a new purpose onto an internal load
//! balancer, a create-and-attach's cluster scaled and its compute updated in place), the writes
//! the emulator receives are exactly the writes the convergence's plan lists, in order, whether
//! run by `begin_ensure` or as the shown plan by `begin_plan`; a second ensure of the same spec
//! is up to date and writes nothing. A re-attach that a live check refuses before its detach
//! writes nothing at all.

use aml_compute::config::{AksAttachConfiguration, LoadBalancerSettings, TlsSettings};
use aml_compute::{
    AttachOptions, ComputeOperation, CreateClusterOptions, Desired, Ensured, Error, ErrorKind,
    OperationKind, Plan, Workspace,
};
use aml_emulator::Emulator;
use aml_model::wire::ClusterPurpose;

use crate::plans::{planned_writes, runs_as_planned, setup};
use crate::support::{cluster, cluster_id, devtest, received_writes};

/// The operation an ensure started; an adopted compute fails the test.
fn started(ensured: Ensured) -> ComputeOperation {
    match ensured {
        Ensured::Started(op) => op,
        Ensured::Adopted(c) => panic!("expected writes, adopted {c}"),
    }
}

/// Shows the convergence to `desired`, runs it with `begin_ensure`, and checks that the
/// emulator received exactly the writes its plan listed; returns them.
async fn ensures_as_planned(
    emu: &Emulator,
    ws: &Workspace,
    name: &str,
    desired: impl Fn() -> Desired,
) -> Vec<String> {
    let convergence = ws.plan_ensure(name, desired()).await.unwrap();
    let plan = convergence
        .plan()
        .unwrap_or_else(|| panic!("changes to make: {convergence}"));
    emu.requests().clear();
    let op = started(ws.begin_ensure(name, desired()).await.unwrap());
    runs_as_planned(emu, plan, op).await;
    planned_writes(plan)
}

/// Runs a shown plan with `begin_plan` and checks that the emulator received exactly the
/// writes it listed; returns them.
async fn runs_shown_plan(emu: &Emulator, ws: &Workspace, plan: Plan) -> Vec<String> {
    let planned = planned_writes(&plan);
    assert!(!planned.is_empty(), "{plan}");
    let shown = plan.to_string();
    emu.requests().clear();
    let op = ws.begin_plan(plan).await.unwrap();
    let without_warnings = |text: &str| {
        text.lines()
            .filter(|l| !l.starts_with("  warning: "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        without_warnings(&op.plan().to_string()),
        without_warnings(&shown),
        "the operation runs the shown plan"
    );
    op.await.unwrap();
    assert_eq!(received_writes(emu), planned, "{shown}");
    planned
}

/// The same spec again: up to date (no plan), adopted, and not one write.
async fn writes_nothing_again(
    emu: &Emulator,
    ws: &Workspace,
    name: &str,
    desired: impl Fn() -> Desired,
) {
    let again = ws.plan_ensure(name, desired()).await.unwrap();
    assert!(again.is_up_to_date() && again.plan().is_none(), "{again}");
    assert_eq!(again.to_string(), format!("compute {name} is up to date\n"));
    emu.requests().clear();
    let adopted = ws.begin_ensure(name, desired()).await.unwrap();
    assert!(matches!(adopted, Ensured::Adopted(_)), "{adopted:?}");
    assert_eq!(received_writes(emu), Vec::<String>::new(), "not one write");
}

/// `METHOD parent/name` of a write (its query and the rest of its path left out).
fn short(write: &str) -> String {
    let (method, uri) = write.split_once(' ').unwrap();
    let path = uri.split('?').next().unwrap();
    let tail: Vec<&str> = path.rsplit('/').take(2).collect();
    format!("{method} {}/{}", tail[1], tail[0])
}

fn shorts(writes: &[String]) -> Vec<String> {
    writes.iter().map(|w| short(w)).collect()
}

#[tokio::test]
async fn ensure_of_a_created_compute_sends_exactly_the_writes_its_plan_lists() {
    let (emu, ws) = setup().await;

    // Absent: ensure creates it, with the create's single PUT.
    let convergence = ws
        .plan_ensure("conv", Desired::Create(devtest()))
        .await
        .unwrap();
    assert!(convergence.existing().is_none(), "{convergence}");
    assert_eq!(convergence.plan().unwrap().kind(), OperationKind::Create);
    let writes = ensures_as_planned(&emu, &ws, "conv", || Desired::Create(devtest())).await;
    assert_eq!(shorts(&writes), ["PUT computes/conv"]);
    writes_nothing_again(&emu, &ws, "conv", || Desired::Create(devtest())).await;

    // One more node and a Microsoft certificate, in one convergence: the update (TLS), then
    // the scale of the created cluster's pool. Run as the shown plan.
    let grown = || {
        Desired::Create(
            devtest()
                .agent_count(3)
                .enable_ssl(TlsSettings::microsoft("conv", false)),
        )
    };
    let plan = ws
        .plan_ensure("conv", grown())
        .await
        .unwrap()
        .into_plan()
        .expect("changes to make");
    assert_eq!(plan.kind(), OperationKind::Converge);
    let writes = runs_shown_plan(&emu, &ws, plan).await;
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert_eq!(short(&writes[0]), "PUT computes/conv", "the update first");
    assert!(
        writes[1].starts_with("PUT ") && writes[1].contains("/agentPools/"),
        "then the scale: {writes:?}"
    );
    let compute = ws.get_aks("conv").await.unwrap();
    assert_eq!(compute.agent_count(), Some(3));
    assert_eq!(compute.leaf_domain_label(), Some("conv"));
    writes_nothing_again(&emu, &ws, "conv", grown).await;

    // The same convergence through begin_ensure: a node fewer and TLS off.
    let back = || Desired::Create(devtest());
    let writes = ensures_as_planned(&emu, &ws, "conv", back).await;
    assert_eq!(writes.len(), 2, "{writes:?}");
    writes_nothing_again(&emu, &ws, "conv", back).await;
}

#[tokio::test]
async fn ensure_reattaching_onto_an_internal_load_balancer_sends_exactly_its_plan_writes() {
    let (emu, ws) = setup().await;
    let attach = |purpose| {
        AksAttachConfiguration::builder()
            .resource_id(cluster("aks-prod"))
            .cluster_purpose(purpose)
    };
    let public = |purpose| Desired::Attach {
        attach: attach(purpose),
        options: AttachOptions::default(),
    };
    // Absent: ensure attaches, with the attach's single PUT.
    let writes = ensures_as_planned(&emu, &ws, "purp", || public(ClusterPurpose::FastProd)).await;
    assert_eq!(shorts(&writes), ["PUT computes/purp"]);
    writes_nothing_again(&emu, &ws, "purp", || public(ClusterPurpose::FastProd)).await;

    // A new purpose and an internal load balancer: detach, attach, then the switch to the
    // internal load balancer.
    let internal = || Desired::Attach {
        attach: attach(ClusterPurpose::DevTest)
            .load_balancer(LoadBalancerSettings::internal("aks-subnet")),
        options: AttachOptions::default(),
    };
    let writes = ensures_as_planned(&emu, &ws, "purp", internal).await;
    assert_eq!(
        shorts(&writes),
        [
            "DELETE computes/purp",
            "PUT computes/purp",
            "PUT computes/purp"
        ],
        "detach, attach, switch"
    );
    assert!(
        writes[0].contains("underlyingResourceAction=Detach"),
        "{writes:?}"
    );
    let compute = ws.get_aks("purp").await.unwrap();
    assert_eq!(compute.cluster_purpose(), Some(&ClusterPurpose::DevTest));
    assert!(compute.has_internal_load_balancer(), "{compute}");
    assert_eq!(compute.load_balancer_subnet(), Some("aks-subnet"));
    writes_nothing_again(&emu, &ws, "purp", internal).await;

    // Back to production on a public IP, as the shown plan: detach, attach (public by default).
    let plan = ws
        .plan_ensure("purp", public(ClusterPurpose::FastProd))
        .await
        .unwrap()
        .into_plan()
        .expect("changes to make");
    let writes = runs_shown_plan(&emu, &ws, plan).await;
    assert_eq!(
        shorts(&writes),
        ["DELETE computes/purp", "PUT computes/purp"],
        "detach, attach"
    );
    assert!(
        !ws.get_aks("purp")
            .await
            .unwrap()
            .has_internal_load_balancer()
    );
    writes_nothing_again(&emu, &ws, "purp", || public(ClusterPurpose::FastProd)).await;
}

#[tokio::test]
async fn ensure_of_a_created_cluster_converging_in_place_sends_exactly_its_plan_writes() {
    use crate::ensure_cluster::{attach, desired, pool_count, secured};

    let (emu, ws) = setup().await;
    // From nothing: the cluster's PUT, then the compute's.
    let writes = ensures_as_planned(&emu, &ws, "secure", || desired(secured(), true)).await;
    assert_eq!(
        shorts(&writes),
        ["PUT managedClusters/aks-ens", "PUT computes/secure"]
    );
    writes_nothing_again(&emu, &ws, "secure", || desired(secured(), true)).await;

    // One more GPU node and a Microsoft certificate, in one convergence: the compute's update,
    // then the scale of the accelerator pool.
    let grown = || {
        let mut cluster = secured();
        cluster.accelerator_pool.as_mut().unwrap().count = Some(4);
        Desired::CreateCluster {
            cluster,
            attach: attach().enable_ssl(TlsSettings::microsoft("secure", false)),
            options: CreateClusterOptions::default().admit_control_plane(true),
        }
    };
    let writes = ensures_as_planned(&emu, &ws, "secure", grown).await;
    assert_eq!(
        shorts(&writes),
        ["PUT computes/secure", "PUT agentPools/gpu"],
        "the update, then the scale"
    );
    assert_eq!(pool_count(&emu, "gpu"), Some(4));
    assert_eq!(pool_count(&emu, "system"), Some(3));
    assert!(ws.get_aks("secure").await.unwrap().ssl_enabled());
    writes_nothing_again(&emu, &ws, "secure", grown).await;
}

/// Shrinks pool `nodepool1` of `aks-prod` to `count` nodes behind the workspace's back (an
/// agent pool `PUT`, as `az aks nodepool scale` would).
async fn shrink_prod_pool(ws: &Workspace, count: u32) {
    let body = serde_json::json!({"properties": {"count": count}});
    ws.arm()
        .begin(
            ws.requests()
                .put_agent_pool(&cluster_id("aks-prod"), "nodepool1", Some(&body)),
        )
        .await
        .unwrap()
        .await
        .unwrap();
}

/// Writes (PUT, PATCH, DELETE, POST) the emulator received for compute `name`.
fn compute_writes(emu: &Emulator, name: &str) -> usize {
    ["PUT", "PATCH", "DELETE", "POST"]
        .iter()
        .map(|m| emu.requests().count(m, &format!("/computes/{name}")))
        .sum()
}

#[tokio::test]
async fn a_production_reattach_of_a_too_small_cluster_is_refused_before_its_detach() {
    let (emu, ws) = setup().await;
    crate::support::attach_prod_as(&ws, "shrunk").await;
    // 2 x Standard_D3_v2: 8 vCPUs on 2 nodes, too small for FastProd (12 vCPUs, 3 nodes).
    shrink_prod_pool(&ws, 2).await;
    let plan = ws.plan_reattach("shrunk", None).await.unwrap();
    let shown = plan.to_string();
    assert!(
        shown
            .find("purpose.production_nodes")
            .is_some_and(|check| check < shown.find("DELETE").unwrap()),
        "the capacity check comes before the detach: {shown}"
    );
    emu.requests().clear();
    let err = ws.begin_reattach("shrunk", None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
    let report = err.report().unwrap_or_else(|| panic!("a report: {err}"));
    assert!(
        report.has_error(aml_model::Rule::PurposeProductionNodes)
            && report.has_error(aml_model::Rule::PurposeProductionVcpus),
        "{err}"
    );
    assert_eq!(received_writes(&emu), Vec::<String>::new(), "not one write");
    assert_eq!(compute_writes(&emu, "shrunk"), 0);
    let still = ws.get_aks("shrunk").await.unwrap();
    assert!(still.is_attached(), "{still}");
}

#[tokio::test]
async fn an_ensure_reattach_to_production_on_a_too_small_cluster_writes_nothing() {
    let (emu, ws) = setup().await;
    let dev = |purpose| Desired::Attach {
        attach: AksAttachConfiguration::builder()
            .resource_id(cluster("aks-dev"))
            .cluster_purpose(purpose),
        options: AttachOptions::default(),
    };
    ws.begin_ensure("small", dev(ClusterPurpose::DevTest))
        .await
        .unwrap()
        .await
        .unwrap();
    // 1 x Standard_DS2_v2 cannot serve production: the convergence is a re-attach whose
    // capacity check, before its detach, refuses it when it runs.
    let convergence = ws
        .plan_ensure("small", dev(ClusterPurpose::FastProd))
        .await
        .unwrap();
    assert_eq!(
        crate::support::remedies(convergence.differences()),
        [("attach.cluster_purpose", aml_compute::Remedy::Reattach)],
        "{convergence}"
    );
    let shown = convergence.plan().unwrap().to_string();
    assert!(
        shown
            .find("purpose.production_vcpus")
            .is_some_and(|check| check < shown.find("DELETE").unwrap()),
        "the capacity check comes before the detach: {shown}"
    );
    emu.requests().clear();
    let err = ws
        .begin_ensure("small", dev(ClusterPurpose::FastProd))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
    assert!(
        err.report()
            .is_some_and(|r| r.has_error(aml_model::Rule::PurposeProductionVcpus)),
        "{err}"
    );
    assert_eq!(received_writes(&emu), Vec::<String>::new(), "not one write");
    assert_eq!(compute_writes(&emu, "small"), 0);
    let still = ws.get_aks("small").await.unwrap();
    assert_eq!(still.cluster_purpose(), Some(&ClusterPurpose::DevTest));
}

#[tokio::test]
async fn a_reattach_of_a_cluster_on_an_unsupported_version_is_refused_before_its_detach() {
    use aml_model::request::{AttachCompute, WorkspaceRef};

    let (emu, ws) = setup().await;
    // aks-old runs 1.25.11: the workspace refuses to attach it, so attach it behind its back;
    // the service accepts the PUT and the operation ends Failed, leaving a Failed compute
    // that names the cluster.
    let raw = AttachCompute::new(
        WorkspaceRef::new(ws.id().clone(), Some("eastus".into())),
        "stale",
        AksAttachConfiguration::builder().resource_id(cluster("aks-old")),
    )
    .unwrap();
    let attached = ws
        .arm()
        .begin(ws.requests().attach(&raw))
        .await
        .unwrap()
        .await;
    assert!(attached.is_err(), "the service's attach fails");
    let stale = ws.get_aks("stale").await.unwrap();
    assert_eq!(stale.cluster_id(), Some(cluster_id("aks-old")));

    emu.requests().clear();
    let err = ws.begin_reattach("stale", None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsupportedKubernetesVersion, "{err}");
    let Error::UnsupportedKubernetesVersion { version, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(version, "1.25.11");
    assert_eq!(received_writes(&emu), Vec::<String>::new(), "not one write");
    assert_eq!(compute_writes(&emu, "stale"), 0);
}
