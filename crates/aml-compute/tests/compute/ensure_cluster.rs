//! Ensure of a new, secured cluster (`Desired::CreateCluster`): created and attached from
//! nothing, adopted without a write, a pool's node count scaled, and what the live cluster
//! cannot change (region, VM size, authorized ranges, the control plane) refused with every
//! difference.

use aml_compute::config::{
    AksAttachBuilder, AksAttachConfiguration, ManagedClusterBuilder, ManagedClusterConfiguration,
};
use aml_compute::{
    CreateClusterOptions, Desired, Ensured, Error, OperationKind, Remedy, Workspace,
};
use aml_emulator::Emulator;

use crate::support::{cluster_id, received_writes, setup};

/// 3 x 4 vCPUs for the system, 3 GPUs where Azure ML deploys, an office range.
fn secured() -> ManagedClusterBuilder {
    ManagedClusterConfiguration::builder()
        .location("eastus")
        .system_pool("Standard_D4s_v3", 3)
        .accelerator_pool("Standard_NC6s_v3", 3)
        .authorized_ip_range("203.0.113.0/24")
}

fn attach() -> AksAttachBuilder {
    AksAttachConfiguration::builder()
        .cluster(aml_emulator::STANDARD_CLUSTER_RESOURCE_GROUP, "aks-ens")
}

fn desired(cluster: ManagedClusterBuilder, admit: bool) -> Desired {
    Desired::CreateCluster {
        cluster,
        attach: attach(),
        options: CreateClusterOptions::default().admit_control_plane(admit),
    }
}

/// Ensures `desired` and waits for what it started.
async fn converge(ws: &Workspace, desired: Desired) {
    match ws.ensure("secure", desired).await.unwrap() {
        Ensured::Started(op) => {
            op.await.unwrap();
        }
        Ensured::Adopted(c) => panic!("expected a write, adopted {c:?}"),
    }
}

fn pool_count(emu: &Emulator, pool: &str) -> Option<u32> {
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
    let adopted = ws.ensure("secure", desired(secured(), true)).await.unwrap();
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
    let err = ws.ensure("secure", desired(moved, true)).await.unwrap_err();
    let Error::Conflict { differences, .. } = &err else {
        panic!("expected a conflict, got {err}")
    };
    let fields: Vec<(&str, Remedy)> = differences.iter().map(|d| (d.field, d.remedy)).collect();
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

#[tokio::test]
async fn a_live_cluster_whose_ranges_lost_the_control_plane_is_refused_or_reported() {
    let (emu, ws) = setup().await;
    converge(&ws, desired(secured(), true)).await;
    // Someone narrows the cluster's ranges to the office alone.
    let id = cluster_id("aks-ens");
    let mut live = ws.managed_cluster(&id).await.unwrap();
    let props = live.properties.as_mut().unwrap();
    props.provisioning_state = None;
    props
        .api_server_access_profile
        .as_mut()
        .unwrap()
        .authorized_ip_ranges = Some(vec!["203.0.113.0/24".to_owned()]);
    let body = serde_json::to_value(&live).unwrap();
    ws.arm()
        .begin(ws.requests().put_managed_cluster(&id, Some(&body)))
        .await
        .unwrap()
        .await
        .unwrap();
    emu.requests().clear();

    // Without admit_control_plane: refused, with the exact prefixes.
    let err = ws
        .plan_ensure("secure", desired(secured(), false))
        .await
        .unwrap_err();
    let Error::ControlPlaneNotAdmitted { missing, .. } = &err else {
        panic!("expected the control plane refused, got {err}")
    };
    let expected: Vec<String> = aml_emulator::service_tags::control_plane_prefixes("eastus")
        .unwrap()
        .into_iter()
        .filter(|p| !p.contains(':'))
        .collect();
    assert_eq!(*missing, expected);
    // With it: a difference naming the command that adds them.
    let err = ws
        .plan_ensure("secure", desired(secured(), true))
        .await
        .unwrap_err();
    let Error::Conflict { differences, .. } = &err else {
        panic!("expected a conflict, got {err}")
    };
    assert_eq!(differences.len(), 1, "{err}");
    assert_eq!(differences[0].field, "create_cluster.authorized_ip_ranges");
    assert!(
        differences[0].desired.contains(&format!(
            "the Azure ML control plane's {}",
            expected.join(", ")
        )),
        "{}",
        differences[0]
    );
    assert_eq!(received_writes(&emu), Vec::<String>::new());
}
