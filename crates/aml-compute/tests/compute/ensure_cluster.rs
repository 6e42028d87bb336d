//! Ensure of a new, secured cluster (`Desired::CreateCluster`): created and attached from
//! nothing, adopted without a write, a pool's node count scaled, and what the live cluster
//! cannot change (region, VM size, the spec's authorized ranges) refused with every
//! difference; ranges that lost the Azure ML control plane refused without
//! `admit_control_plane`, and given it back in place with it. A create-and-attach interrupted
//! after the cluster's creation (the cluster alone, no compute) is finished by ensure with the
//! attach alone (the control plane admitted by it when asked), or refused, nothing written,
//! when the cluster cannot change in place; `begin_create_cluster` stays strict.

use aml_compute::config::{
    AksAttachBuilder, AksAttachConfiguration, ManagedClusterBuilder, ManagedClusterConfiguration,
};
use aml_compute::{
    CreateClusterOptions, Desired, Ensured, Error, OperationKind, Remedy, Workspace,
};
use aml_emulator::Emulator;
use aml_model::plan::{Read, Step};

use crate::support::{cluster_id, narrow_ranges, received_writes, remedies, setup};

/// 3 x 4 vCPUs for the system, 3 GPUs where Azure ML deploys, an office range.
pub(crate) fn secured() -> ManagedClusterBuilder {
    ManagedClusterConfiguration::builder()
        .location("eastus")
        .system_pool("Standard_D4s_v3", 3)
        .accelerator_pool("Standard_NC6s_v3", 3)
        .authorized_ip_range("203.0.113.0/24")
}

pub(crate) fn attach() -> AksAttachBuilder {
    AksAttachConfiguration::builder()
        .cluster(aml_emulator::STANDARD_CLUSTER_RESOURCE_GROUP, "aks-ens")
}

pub(crate) fn desired(cluster: ManagedClusterBuilder, admit: bool) -> Desired {
    Desired::CreateCluster {
        cluster,
        attach: attach(),
        options: CreateClusterOptions::default().admit_control_plane(admit),
    }
}

/// Ensures `desired` and waits for what it started.
async fn converge(ws: &Workspace, desired: Desired) {
    match ws.begin_ensure("secure", desired).await.unwrap() {
        Ensured::Started(op) => {
            op.await.unwrap();
        }
        Ensured::Adopted(c) => panic!("expected a write, adopted {c:?}"),
    }
}

/// Ensures `desired` again: adopted, and not one write sent.
async fn assert_converged(emu: &Emulator, ws: &Workspace, desired: Desired) {
    emu.requests().clear();
    let again = ws.begin_ensure("secure", desired).await.unwrap();
    assert!(matches!(again, Ensured::Adopted(_)), "{again:?}");
    assert_eq!(received_writes(emu), Vec::<String>::new());
}

pub(crate) fn pool_count(emu: &Emulator, pool: &str) -> Option<u32> {
    emu.cluster(&cluster_id("aks-ens"))
        .and_then(|c| c.properties)
        .and_then(|p| p.agent_pool_profiles)
        .and_then(|pools| pools.into_iter().find(|p| p.name.as_deref() == Some(pool)))
        .and_then(|p| p.count)
}

#[tokio::test]
async fn a_secured_cluster_converges_from_nothing_then_writes_nothing_then_scales_its_pool() {
    let (emu, ws) = setup().await;
    let convergence = ws
        .plan_ensure("secure", desired(secured(), true))
        .await
        .unwrap();
    assert!(convergence.existing().is_none());
    let plan = convergence.plan().unwrap();
    assert_eq!(plan.kind(), OperationKind::CreateCluster);
    let planned: Vec<String> = plan
        .writes()
        .map(|r| format!("{} {}", r.method(), r.uri()))
        .collect();
    assert_eq!(planned.len(), 2, "{plan}");
    emu.requests().clear();
    converge(&ws, desired(secured(), true)).await;
    assert_eq!(received_writes(&emu), planned, "the writes the plan listed");
    assert_eq!(pool_count(&emu, "gpu"), Some(3));

    // The same spec again: up to date, adopted, nothing written.
    let again = ws
        .plan_ensure("secure", desired(secured(), true))
        .await
        .unwrap();
    assert!(again.is_up_to_date(), "{again}");
    assert_eq!(again.to_string(), "compute secure is up to date\n");
    emu.requests().clear();
    let adopted = ws
        .begin_ensure("secure", desired(secured(), true))
        .await
        .unwrap();
    assert!(matches!(adopted, Ensured::Adopted(_)), "{adopted:?}");
    assert_eq!(received_writes(&emu), Vec::<String>::new());

    // One more GPU node: a scale of the accelerator pool, nothing else.
    let more = || {
        let mut b = secured();
        b.accelerator_pool.as_mut().unwrap().count = Some(4);
        b
    };
    let convergence = ws
        .plan_ensure("secure", desired(more(), true))
        .await
        .unwrap();
    let shown = convergence.to_string();
    assert_eq!(convergence.differences().len(), 1, "{shown}");
    assert!(
        shown.contains("~ create_cluster.accelerator_pool.count 3 -> 4 (scale)"),
        "{shown}"
    );
    let plan = convergence.plan().unwrap();
    assert_eq!(plan.kind(), OperationKind::Scale);
    let writes: Vec<String> = plan.writes().map(|r| r.uri().path().to_owned()).collect();
    assert_eq!(writes.len(), 1, "{plan}");
    assert!(
        writes[0].ends_with("/managedClusters/aks-ens/agentPools/gpu"),
        "{writes:?}"
    );
    emu.requests().clear();
    converge(&ws, desired(more(), true)).await;
    assert_eq!(received_writes(&emu).len(), 1);
    assert_eq!(pool_count(&emu, "gpu"), Some(4));
    assert_eq!(
        pool_count(&emu, "system"),
        Some(3),
        "the other pool is kept"
    );
    let settled = ws
        .plan_ensure("secure", desired(more(), true))
        .await
        .unwrap();
    assert!(settled.is_up_to_date(), "{settled}");
}

#[tokio::test]
async fn what_the_cluster_cannot_change_is_refused_with_every_difference_and_nothing_written() {
    let (emu, ws) = setup().await;
    converge(&ws, desired(secured(), true)).await;
    let mut moved = secured()
        .location("westus2")
        .system_pool("Standard_D8s_v3", 3)
        .authorized_ip_range("198.51.100.0/24");
    moved.accelerator_pool.as_mut().unwrap().count = Some(5);
    emu.requests().clear();
    let err = ws
        .begin_ensure("secure", desired(moved, true))
        .await
        .unwrap_err();
    let Error::Conflict { differences, .. } = &err else {
        panic!("expected a conflict, got {err}")
    };
    let fields = remedies(differences);
    assert_eq!(
        fields,
        [
            ("create_cluster.location", Remedy::Recreate),
            ("create_cluster.system_pool.vm_size", Remedy::Recreate),
            ("create_cluster.accelerator_pool.count", Remedy::Scale),
            ("create_cluster.authorized_ip_ranges", Remedy::Recreate),
        ],
        "{err}"
    );
    let ranges = &differences[3];
    assert!(
        ranges.desired.contains("the spec's 198.51.100.0/24")
            && ranges.desired.contains(
                "az aks update -g aks-rg -n aks-ens --api-server-authorized-ip-ranges 203.0.113.0/24,"
            ),
        "{ranges}"
    );
    assert_eq!(received_writes(&emu), Vec::<String>::new());
}

fn live_ranges(emu: &Emulator) -> Vec<String> {
    emu.cluster(&cluster_id("aks-ens"))
        .map(|c| c.authorized_ip_ranges().to_vec())
        .unwrap_or_default()
}

/// The IPv4 prefixes of the control plane of the emulator's workspace region and its pair.
fn control_plane() -> Vec<String> {
    aml_emulator::service_tags::control_plane_prefixes("eastus")
        .unwrap()
        .into_iter()
        .filter(|p| !p.contains(':'))
        .collect()
}

#[tokio::test]
async fn a_live_cluster_whose_ranges_lost_the_control_plane_is_refused_without_admit() {
    let (emu, ws) = setup().await;
    converge(&ws, desired(secured(), true)).await;
    narrow_ranges(&ws, "aks-ens").await;
    emu.requests().clear();

    let err = ws
        .plan_ensure("secure", desired(secured(), false))
        .await
        .unwrap_err();
    let Error::ControlPlaneNotAdmitted { missing, .. } = &err else {
        panic!("expected the control plane refused, got {err}")
    };
    assert_eq!(*missing, control_plane());
    let err = ws
        .begin_ensure("secure", desired(secured(), false))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ControlPlaneNotAdmitted { .. }),
        "{err}"
    );
    assert_eq!(received_writes(&emu), Vec::<String>::new());
    assert_eq!(live_ranges(&emu), ["203.0.113.0/24"]);
}

#[tokio::test]
async fn a_live_cluster_whose_ranges_lost_the_control_plane_gets_it_back_in_place() {
    let (emu, ws) = setup().await;
    converge(&ws, desired(secured(), true)).await;
    narrow_ranges(&ws, "aks-ens").await;
    emu.requests().clear();

    let convergence = ws
        .plan_ensure("secure", desired(secured(), true))
        .await
        .unwrap();
    let expected = control_plane();
    let fields = remedies(convergence.differences());
    assert_eq!(
        fields,
        [(
            "create_cluster.authorized_ip_ranges",
            Remedy::AdmitControlPlane
        )],
        "{convergence}"
    );
    let shown = convergence.to_string();
    assert!(
        shown.contains(&format!(
            "~ create_cluster.authorized_ip_ranges 203.0.113.0/24 -> also the Azure ML control plane's {} (added to the cluster's ranges as read) (admit the control plane)",
            expected.join(", ")
        )),
        "{shown}"
    );
    let plan = convergence.plan().unwrap();
    assert_eq!(plan.kind(), OperationKind::Converge);
    let id = cluster_id("aks-ens");
    assert!(
        plan.steps().iter().any(|s| matches!(
            s,
            Step::Read { read: Read::Cluster(c), .. } if *c == id
        )) && plan.steps().iter().any(|s| matches!(
            s,
            Step::Read {
                read: Read::Locations,
                ..
            }
        )) && plan.steps().iter().any(|s| matches!(
            s,
            Step::Read {
                read: Read::ServiceTags,
                ..
            }
        )),
        "{plan}"
    );
    let planned: Vec<String> = plan
        .writes()
        .map(|r| format!("{} {}", r.method(), r.uri()))
        .collect();
    assert_eq!(planned.len(), 1, "{plan}");
    assert!(
        planned[0].starts_with("PUT ") && planned[0].contains("/managedClusters/aks-ens?"),
        "{planned:?}"
    );
    assert_eq!(
        received_writes(&emu),
        Vec::<String>::new(),
        "planning writes nothing"
    );

    converge(&ws, desired(secured(), true)).await;
    assert_eq!(received_writes(&emu), planned, "exactly the cluster's PUT");
    let mut want = vec!["203.0.113.0/24".to_owned()];
    want.extend(expected);
    assert_eq!(live_ranges(&emu), want);
    assert_eq!(pool_count(&emu, "gpu"), Some(3), "the pools are kept");

    // Converged: the second ensure adopts the compute and writes nothing.
    assert_converged(&emu, &ws, desired(secured(), true)).await;
}

/// The secured cluster, its ranges admitting the Azure ML control plane already.
fn secured_admitted() -> ManagedClusterBuilder {
    control_plane()
        .into_iter()
        .fold(secured(), ManagedClusterBuilder::authorized_ip_range)
}

/// Creates the cluster of `cluster` and nothing else (the create-and-attach's own `PUT`): what
/// a create-and-attach that stopped before its attach leaves behind.
async fn create_cluster_alone(ws: &Workspace, cluster: ManagedClusterBuilder) {
    let plan = ws
        .plan_create_cluster("secure", cluster, attach(), CreateClusterOptions::default())
        .unwrap();
    let put = plan.writes().next().unwrap();
    assert!(
        put.uri().path().ends_with("/managedClusters/aks-ens"),
        "{plan}"
    );
    let body: serde_json::Value = serde_json::from_slice(put.body()).unwrap();
    ws.arm()
        .begin(
            ws.requests()
                .put_managed_cluster(&cluster_id("aks-ens"), Some(&body)),
        )
        .await
        .unwrap()
        .await
        .unwrap();
}

fn cluster_puts(emu: &Emulator) -> usize {
    received_writes(emu)
        .iter()
        .filter(|w| w.starts_with("PUT ") && w.contains("/managedClusters/aks-ens"))
        .count()
}

#[tokio::test]
async fn an_interrupted_create_and_attach_is_finished_by_ensure_with_the_attach_alone() {
    let (emu, ws) = setup().await;
    create_cluster_alone(&ws, secured_admitted()).await;
    emu.requests().clear();

    let convergence = ws
        .plan_ensure("secure", desired(secured_admitted(), false))
        .await
        .unwrap();
    assert!(convergence.existing().is_none());
    assert_eq!(convergence.differences(), &[], "{convergence}");
    let shown = convergence.to_string();
    assert!(
        shown.starts_with(&format!(
            "+ compute secure (absent; AKS cluster {} exists already: attached, not created)\n",
            cluster_id("aks-ens")
        )),
        "{shown}"
    );
    let plan = convergence.plan().unwrap();
    assert_eq!(plan.kind(), OperationKind::Attach, "{plan}");
    assert!(
        plan.warnings()
            .iter()
            .any(|w| w.code == aml_model::Rule::ClusterExists
                && w.message.contains("it is attached, not created")),
        "{plan}"
    );
    let planned: Vec<String> = plan.writes().map(|r| r.uri().path().to_owned()).collect();
    assert_eq!(planned.len(), 1, "{plan}");
    assert!(planned[0].ends_with("/computes/secure"), "{planned:?}");

    converge(&ws, desired(secured_admitted(), false)).await;
    let writes = received_writes(&emu);
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert!(
        writes[0].starts_with("PUT ") && writes[0].contains("/computes/secure?"),
        "{writes:?}"
    );
    assert_eq!(cluster_puts(&emu), 0, "the cluster is not created again");
    let compute = ws.get_aks("secure").await.unwrap();
    assert_eq!(compute.cluster_id(), Some(cluster_id("aks-ens")));

    // Converged: the same spec again writes nothing.
    assert_converged(&emu, &ws, desired(secured_admitted(), false)).await;
}

#[tokio::test]
async fn an_existing_cluster_missing_the_control_plane_is_admitted_by_the_attach_that_finishes() {
    let (emu, ws) = setup().await;
    create_cluster_alone(&ws, secured()).await;
    assert_eq!(live_ranges(&emu), ["203.0.113.0/24"]);
    emu.requests().clear();

    let convergence = ws
        .plan_ensure("secure", desired(secured(), true))
        .await
        .unwrap();
    let fields = remedies(convergence.differences());
    assert_eq!(
        fields,
        [(
            "create_cluster.authorized_ip_ranges",
            Remedy::AdmitControlPlane
        )],
        "{convergence}"
    );
    assert_eq!(
        convergence.plan().unwrap().kind(),
        OperationKind::Attach,
        "{convergence}"
    );
    converge(&ws, desired(secured(), true)).await;
    let writes = received_writes(&emu);
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert_eq!(
        cluster_puts(&emu),
        1,
        "the ranges' GET-modify-PUT: {writes:?}"
    );
    assert!(writes[1].contains("/computes/secure?"), "{writes:?}");
    let mut want = vec!["203.0.113.0/24".to_owned()];
    want.extend(control_plane());
    assert_eq!(live_ranges(&emu), want);

    assert_converged(&emu, &ws, desired(secured(), true)).await;
}

#[tokio::test]
async fn an_existing_cluster_that_cannot_change_in_place_is_refused_and_nothing_is_written() {
    let (emu, ws) = setup().await;
    create_cluster_alone(&ws, secured_admitted().system_pool("Standard_D8s_v3", 3)).await;
    emu.requests().clear();

    let err = ws
        .begin_ensure("secure", desired(secured_admitted(), false))
        .await
        .unwrap_err();
    let Error::Refused { reason, rule, .. } = &err else {
        panic!("expected a refusal, got {err}")
    };
    assert_eq!(*rule, Some(aml_model::Rule::ClusterExists), "{err}");
    assert!(
        reason.contains("create_cluster.system_pool.vm_size Standard_D8s_v3 -> Standard_D4s_v3"),
        "{err}"
    );
    assert_eq!(received_writes(&emu), Vec::<String>::new());

    // The explicit verb stays strict, and says how to finish.
    let err = ws
        .begin_create_cluster(
            "secure",
            secured_admitted(),
            attach(),
            CreateClusterOptions::default(),
        )
        .await
        .unwrap_err();
    let Error::Refused { reason, rule, .. } = &err else {
        panic!("expected a refusal, got {err}")
    };
    assert_eq!(*rule, Some(aml_model::Rule::ClusterExists), "{err}");
    assert!(
        reason.contains("Workspace::begin_ensure") && reason.contains("aml apply"),
        "{err}"
    );
    assert_eq!(received_writes(&emu), Vec::<String>::new());
}

#[tokio::test]
async fn lost_control_plane_ranges_and_a_new_purpose_admit_first_then_reattach() {
    use aml_model::wire::ClusterPurpose;

    let (emu, ws) = setup().await;
    converge(&ws, desired(secured(), true)).await;
    narrow_ranges(&ws, "aks-ens").await;
    emu.requests().clear();

    // DevTest instead of FastProd (a re-attach) while the ranges miss the control plane: the
    // re-attach checks the control plane before its detach, so the admission comes first.
    let devtest = || Desired::CreateCluster {
        cluster: secured(),
        attach: attach().cluster_purpose(ClusterPurpose::DevTest),
        options: CreateClusterOptions::default().admit_control_plane(true),
    };
    let convergence = ws.plan_ensure("secure", devtest()).await.unwrap();
    let plan = convergence.plan().expect("changes");
    let writes: Vec<String> = plan
        .writes()
        .map(|r| format!("{} {}", r.method(), r.uri().path()))
        .collect();
    assert_eq!(writes.len(), 3, "{plan}");
    assert!(
        writes[0].ends_with("/managedClusters/aks-ens"),
        "{writes:?}"
    );
    assert!(writes[1].starts_with("DELETE "), "{writes:?}");
    assert!(writes[2].ends_with("/computes/secure"), "{writes:?}");
    converge(&ws, devtest()).await;
    let compute = ws.get_aks("secure").await.unwrap();
    assert_eq!(compute.cluster_purpose(), Some(&ClusterPurpose::DevTest));
    let ranges = emu
        .cluster(&cluster_id("aks-ens"))
        .unwrap()
        .authorized_ip_ranges()
        .to_vec();
    for prefix in control_plane() {
        assert!(ranges.contains(&prefix), "{prefix} not in {ranges:?}");
    }
    assert!(
        ws.plan_ensure("secure", devtest())
            .await
            .unwrap()
            .is_up_to_date()
    );
}
