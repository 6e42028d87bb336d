//! Secured clusters (R12, R15, R16): creating an AKS cluster and attaching it as one operation,
//! the Azure ML control plane's admission by authorized IP ranges (refused with the exact
//! missing prefixes, or added on request), and what attach reports about a cluster.

use aml_compute::config::{
    AksAttachBuilder, AksAttachConfiguration, ManagedClusterBuilder, ManagedClusterConfiguration,
};
use aml_compute::{
    Activity, AttachOptions, CreateClusterOptions, Error, OperationKind, ProgressEvent, Workspace,
};
use aml_emulator::Emulator;
use aml_emulator::service_tags::control_plane_prefixes;
use aml_model::Rule;
use futures::StreamExt;

use crate::support::{aks, cluster, cluster_id, received_writes, setup, wait, workspace};

/// The IPv4 prefixes of the control plane of the emulator's workspace region and its pair.
fn control_plane() -> Vec<String> {
    control_plane_prefixes("eastus")
        .unwrap()
        .into_iter()
        .filter(|p| !p.contains(':'))
        .collect()
}

/// A new cluster in the workspace's region, 3 x 4 vCPUs, with an office range.
fn secure() -> ManagedClusterBuilder {
    ManagedClusterConfiguration::builder()
        .location("eastus")
        .system_pool("Standard_D4s_v3", 3)
        .authorized_ip_range("203.0.113.0/24")
}

fn admitting() -> ManagedClusterBuilder {
    control_plane()
        .into_iter()
        .fold(secure(), ManagedClusterBuilder::authorized_ip_range)
}

fn named(name: &str) -> AksAttachBuilder {
    AksAttachConfiguration::builder().cluster(aml_emulator::STANDARD_CLUSTER_RESOURCE_GROUP, name)
}

fn ranges(emu: &Emulator, name: &str) -> Vec<String> {
    emu.cluster(&cluster_id(name))
        .map(|c| c.authorized_ip_ranges().to_vec())
        .unwrap_or_default()
}

fn codes(warnings: &[aml_model::Issue]) -> Vec<&'static str> {
    warnings.iter().map(|w| w.code.code()).collect()
}

/// `METHOD /path?query` of every write a plan lists, in order.
fn planned(plan: &aml_compute::Plan) -> Vec<String> {
    plan.writes()
        .map(|r| format!("{} {}", r.method(), r.uri()))
        .collect()
}

#[tokio::test]
async fn a_cluster_is_created_then_attached_as_one_operation_that_sends_what_its_plan_shows() {
    let (emu, ws) = setup().await;
    let options = CreateClusterOptions::default();
    let plan = ws
        .plan_create_cluster("secure", admitting(), named("aks-new"), options)
        .unwrap();
    assert_eq!(plan.kind(), OperationKind::CreateCluster);
    assert_eq!(plan.writes().count(), 2, "{plan}");
    emu.requests().clear();
    let mut op = ws
        .begin_create_cluster("secure", admitting(), named("aks-new"), options)
        .await
        .unwrap();
    // The plan run is the one shown (the live checks only add warnings to it).
    assert_eq!(planned(op.plan()), planned(&plan));
    assert_eq!(op.plan().steps().len(), plan.steps().len());
    // The region's default version is named; the cluster's own hazards are not (none).
    assert!(
        codes(op.warnings()).contains(&"cluster.default_version"),
        "{:?}",
        op.warnings()
    );
    let events: Vec<ProgressEvent> = op.progress().map(Result::unwrap).collect().await;
    assert!(matches!(
        events.last().unwrap().activity,
        Activity::Finished
    ));
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.activity, Activity::Ran(w) if w.starts_with("create AKS cluster aks-new"))),
        "{events:#?}"
    );
    let compute = aks(op.await.unwrap());
    assert_eq!(compute.cluster_id(), Some(cluster_id("aks-new")));
    assert!(compute.is_attached());
    assert_eq!(received_writes(&emu), planned(&plan));
    // The cluster exists with what was configured.
    let created = emu.cluster(&cluster_id("aks-new")).unwrap();
    assert_eq!(created.location.as_deref(), Some("eastus"));
    assert!(ranges(&emu, "aks-new").contains(&"203.0.113.0/24".to_owned()));
}

#[tokio::test]
async fn ranges_missing_the_control_plane_are_refused_with_the_exact_prefixes_and_nothing_is_written()
 {
    let (emu, ws) = setup().await;
    emu.requests().clear();
    let err = ws
        .begin_create_cluster(
            "secure",
            secure(),
            named("aks-new"),
            CreateClusterOptions::default(),
        )
        .await
        .unwrap_err();
    let Error::ControlPlaneNotAdmitted {
        missing, regions, ..
    } = &err
    else {
        panic!("expected a refusal, got {err}")
    };
    assert_eq!(missing, &control_plane());
    assert_eq!(regions, &["eastus", "westus"]);
    assert_eq!(err.rule(), Some(Rule::ClusterControlPlaneMissing));
    assert!(err.is_client_side());
    assert!(received_writes(&emu).is_empty());
    assert!(emu.cluster(&cluster_id("aks-new")).is_none());

    // Attaching the seeded cluster whose ranges miss it is refused the same way.
    let err = ws
        .begin_attach(
            "office",
            named("aks-office-ranges"),
            AttachOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::ControlPlaneNotAdmitted { missing, .. } if *missing == control_plane()),
        "{err}"
    );
    assert!(received_writes(&emu).is_empty());
}

#[tokio::test]
async fn the_add_option_admits_the_control_plane_before_attaching() {
    let (emu, ws) = setup().await;
    let options = AttachOptions::default().admit_control_plane(true);
    let plan = ws
        .plan_attach("office", named("aks-office-ranges"), options)
        .unwrap();
    emu.requests().clear();
    let op = ws
        .begin_attach("office", named("aks-office-ranges"), options)
        .await
        .unwrap();
    // The tags' IPv6 prefixes cannot be admitted (AKS ranges are IPv4): a warning, not a
    // refusal.
    assert!(
        codes(op.warnings()).contains(&"cluster.control_plane_ipv6"),
        "{:?}",
        op.warnings()
    );
    let compute = aks(wait(op).await);
    assert_eq!(compute.cluster_id(), Some(cluster_id("aks-office-ranges")));
    // Two writes, as the dry run showed them: the cluster's ranges, then the compute.
    assert_eq!(received_writes(&emu), planned(&plan));
    let now = ranges(&emu, "aks-office-ranges");
    assert_eq!(now[0], "203.0.113.0/24");
    for prefix in control_plane() {
        assert!(now.contains(&prefix), "{prefix} not in {now:?}");
    }

    // A new cluster is created with the prefixes added to its ranges.
    let op = ws
        .begin_create_cluster(
            "secure",
            secure(),
            named("aks-new"),
            CreateClusterOptions::default().admit_control_plane(true),
        )
        .await
        .unwrap();
    wait(op).await;
    let mut expected = vec!["203.0.113.0/24".to_owned()];
    expected.extend(control_plane());
    assert_eq!(ranges(&emu, "aks-new"), expected);
}

#[tokio::test]
async fn conditional_steps_are_skipped_when_the_cluster_has_no_ranges() {
    let (emu, ws) = setup().await;
    let options = AttachOptions::default().admit_control_plane(true);
    let plan = ws
        .plan_attach("prod", crate::support::attach_prod(), options)
        .unwrap();
    assert!(plan.to_string().contains("(only if"), "{plan}");
    emu.requests().clear();
    let mut op = ws
        .begin_attach("prod", crate::support::attach_prod(), options)
        .await
        .unwrap();
    let events: Vec<ProgressEvent> = op.progress().map(Result::unwrap).collect().await;
    let skipped = events
        .iter()
        .filter(|e| matches!(e.activity, Activity::Skipped(_)))
        .count();
    // The workspace's region, locations, service tags, the check; the re-read, the cluster's
    // PUT and its wait.
    assert_eq!(skipped, 7, "{events:#?}");
    op.await.unwrap();
    let writes = received_writes(&emu);
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert!(writes[0].contains("/computes/prod"), "{writes:?}");
    assert_eq!(emu.requests().count("GET", "/serviceTags"), 0);
}

#[tokio::test]
async fn attach_reports_what_the_guide_warns_about_from_the_cluster() {
    let (_emu, ws) = setup().await;
    for (cluster, expected) in [
        ("aks-private", vec!["cluster.private"]),
        ("aks-entra-udr", vec!["cluster.aad", "cluster.egress"]),
        ("aks-gpu", vec!["cluster.accelerator_secondary_pool"]),
        ("aks-prod", vec![]),
    ] {
        let plan = ws
            .plan_attach("probe", named(cluster), AttachOptions::default())
            .unwrap();
        let op = ws.begin_plan(plan).await.unwrap();
        let found: Vec<&str> = codes(op.warnings())
            .into_iter()
            .filter(|c| c.starts_with("cluster."))
            .collect();
        assert_eq!(found, expected, "{cluster}: {:?}", op.warnings());
        wait(op).await;
        wait(ws.begin_detach("probe").await.unwrap()).await;
    }
}

#[tokio::test]
async fn an_existing_cluster_or_an_unsupported_version_is_refused_before_any_write() {
    let (emu, ws) = setup().await;
    emu.requests().clear();
    let err = ws
        .begin_create_cluster(
            "secure",
            admitting(),
            named("aks-prod"),
            CreateClusterOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.rule(), Some(Rule::ClusterExists), "{err}");
    let err = ws
        .begin_create_cluster(
            "secure",
            admitting().kubernetes_version("1.10"),
            named("aks-new"),
            CreateClusterOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.rule(), Some(Rule::ClusterKubernetesVersion), "{err}");
    assert!(received_writes(&emu).is_empty());
}

#[tokio::test]
async fn a_create_cluster_operation_resumes_and_goes_on_to_attach() {
    let (emu, ws) = setup().await;
    let make = |ws: &Workspace| {
        ws.plan_create_cluster(
            "resumed",
            admitting(),
            named("aks-new"),
            CreateClusterOptions::default(),
        )
        .unwrap()
    };
    let op = ws.begin_plan(make(&ws)).await.unwrap();
    let token = op.resume_token().unwrap();
    let step = op.resume_step().unwrap();
    drop(op);
    let fresh = workspace(&emu);
    let op = fresh.resume_plan(make(&fresh), step, &token).unwrap();
    let compute = aks(wait(op).await);
    assert_eq!(compute.cluster_id(), Some(cluster_id("aks-new")));
    assert_eq!(emu.requests().count("PUT", "/managedClusters/aks-new"), 1);
    // A step that is not a wait is refused.
    assert!(matches!(
        fresh.resume_plan(make(&fresh), 0, &token),
        Err(Error::Refused { .. })
    ));
}

#[tokio::test]
async fn a_created_cluster_is_attached_like_any_other_and_detach_keeps_it() {
    let (emu, ws) = setup().await;
    let op = ws
        .begin_create_cluster(
            "secure",
            admitting(),
            named("aks-new"),
            CreateClusterOptions::default(),
        )
        .await
        .unwrap();
    wait(op).await;
    // Re-attach (R22) runs as for any attached compute.
    let again = aks(wait(ws.begin_reattach("secure", None).await.unwrap()).await);
    assert_eq!(again.cluster_id(), Some(cluster_id("aks-new")));
    // Delete through the workspace is refused: the cluster was attached, not created by it.
    let err = ws.begin_delete("secure").await.unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err}");
    // Detach keeps the cluster.
    wait(ws.begin_detach("secure").await.unwrap()).await;
    assert!(emu.cluster(&cluster_id("aks-new")).is_some());
    assert!(cluster("aks-new").ends_with("aks-new"));
}

/// `count` authorized ranges, none of which admits the control plane.
fn office_ranges(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256))
        .collect()
}

/// The standard emulator with one more cluster, `name`, in the workspace's region, whose
/// `count` authorized ranges miss the whole control plane.
async fn setup_with_crowded_cluster(name: &str, count: usize) -> (Emulator, Workspace) {
    let mut seed = aml_emulator::Seed::standard();
    let mut crowded = aml_emulator::ClusterSeed::new(
        name,
        "eastus",
        "1.30.4",
        aml_emulator::AgentPoolSeed::new("nodepool1", 3, "Standard_D3_v2"),
    );
    crowded.authorized_ip_ranges = office_ranges(count);
    seed.subscriptions
        .iter_mut()
        .flat_map(|s| s.resource_groups.iter_mut())
        .find(|g| g.name == aml_emulator::STANDARD_CLUSTER_RESOURCE_GROUP)
        .unwrap()
        .clusters
        .push(crowded);
    let emu = Emulator::builder()
        .seed(seed)
        .operation_duration(std::time::Duration::from_millis(60))
        .retry_after(std::time::Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let ws = workspace(&emu);
    (emu, ws)
}

fn assert_too_many(err: &Error, ranges: usize) {
    let Error::TooManyAuthorizedRanges {
        ranges: have,
        adding,
        limit,
        ..
    } = err
    else {
        panic!("expected too many authorized ranges, got {err}")
    };
    assert_eq!(
        (*have, *adding, *limit),
        (ranges, control_plane().len(), 200)
    );
    assert_eq!(err.rule(), Some(Rule::ClusterAuthorizedRangesCount));
    assert!(err.is_client_side());
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "make {}, over AKS's limit of 200",
            ranges + control_plane().len()
        )),
        "{text}"
    );
}

#[tokio::test]
async fn admitting_the_control_plane_into_a_new_cluster_past_200_ranges_is_refused_before_any_write()
 {
    let (emu, ws) = setup().await;
    // The office range and 198 more: 199.
    let crowded = office_ranges(198)
        .into_iter()
        .fold(secure(), ManagedClusterBuilder::authorized_ip_range);
    let options = CreateClusterOptions::default().admit_control_plane(true);
    // 199 ranges pass the configuration's check (the prefixes are known only live).
    ws.plan_create_cluster("crowded", crowded.clone(), named("aks-crowded"), options)
        .unwrap();
    emu.requests().clear();
    let err = ws
        .begin_create_cluster("crowded", crowded, named("aks-crowded"), options)
        .await
        .unwrap_err();
    assert_too_many(&err, 199);
    assert!(
        received_writes(&emu).is_empty(),
        "{:?}",
        received_writes(&emu)
    );
    assert!(emu.cluster(&cluster_id("aks-crowded")).is_none());
}

#[tokio::test]
async fn admitting_the_control_plane_into_an_attached_cluster_past_200_ranges_is_refused_before_any_write()
 {
    // One range more than fits with the control plane's prefixes.
    let count = 201 - control_plane().len();
    let (emu, ws) = setup_with_crowded_cluster("aks-crowded", count).await;
    let options = AttachOptions::default().admit_control_plane(true);
    emu.requests().clear();
    let err = ws
        .begin_attach("crowded", named("aks-crowded"), options)
        .await
        .unwrap_err();
    assert_too_many(&err, count);
    assert!(
        received_writes(&emu).is_empty(),
        "{:?}",
        received_writes(&emu)
    );
    assert_eq!(ranges(&emu, "aks-crowded"), office_ranges(count));

    // Exactly 200 fit: the prefixes are added, then the compute is attached.
    let (emu, ws) = setup_with_crowded_cluster("aks-full", count - 1).await;
    let op = ws
        .begin_attach("full", named("aks-full"), options)
        .await
        .unwrap();
    wait(op).await;
    assert_eq!(ranges(&emu, "aks-full").len(), 200);
}
