//! Errors per smithy-rs RFC 0022: every variant of `aml_compute::Error`, built as the library
//! builds it, chains its cause as a `source()` and never repeats the cause's text.

use std::time::Duration;

use aml_compute::config::{AksAttachConfiguration, AksProvisioningConfiguration, TlsSettings};
use aml_compute::{AttachOptions, Desired, Error, Workspace};
use aml_emulator::STANDARD_SUBSCRIPTION;
use aml_emulator::{Emulator, OTHER_SUBSCRIPTION, STANDARD_CLUSTER_RESOURCE_GROUP};
use aml_model::error::{chain, repeated_sentence};
use aml_model::wire::{ClusterPurpose, ErrorDetail};

use crate::support::{arm, emulator_taking};

/// Which variant `e` is, to check that every variant was seen.
fn variant(e: &Error) -> &'static str {
    match e {
        Error::Validation(_) => "Validation",
        Error::AlreadyExists { .. } => "AlreadyExists",
        Error::AlreadyAttached { .. } => "AlreadyAttached",
        Error::NotFound { .. } => "NotFound",
        Error::ClusterNotFound { .. } => "ClusterNotFound",
        Error::UnsupportedKubernetesVersion { .. } => "UnsupportedKubernetesVersion",
        Error::Conflict { .. } => "Conflict",
        Error::FailedCompute { .. } => "FailedCompute",
        Error::Refused { .. } => "Refused",
        Error::OperationFailed { .. } => "OperationFailed",
        Error::Rejected { .. } => "Rejected",
        Error::Timeout { .. } => "Timeout",
        Error::WaitInterrupted { .. } => "WaitInterrupted",
        Error::Config { .. } => "Config",
        Error::Tls(_) => "Tls",
        Error::Model(_) => "Model",
        Error::Arm(_) => "Arm",
        Error::Decode { .. } => "Decode",
        Error::ReattachRolledBack { .. } => "ReattachRolledBack",
        Error::ReattachStranded { .. } => "ReattachStranded",
        Error::ControlPlaneNotAdmitted { .. } => "ControlPlaneNotAdmitted",
        Error::ClusterStillAttached { .. } => "ClusterStillAttached",
        Error::TooManyAuthorizedRanges { .. } => "TooManyAuthorizedRanges",
        _ => "a variant this test does not know: add it",
    }
}

const ALL: [&str; 23] = [
    "TooManyAuthorizedRanges",
    "ClusterStillAttached",
    "ControlPlaneNotAdmitted",
    "ReattachRolledBack",
    "ReattachStranded",
    "Validation",
    "AlreadyExists",
    "AlreadyAttached",
    "NotFound",
    "ClusterNotFound",
    "UnsupportedKubernetesVersion",
    "Conflict",
    "FailedCompute",
    "Refused",
    "OperationFailed",
    "Rejected",
    "Timeout",
    "WaitInterrupted",
    "Config",
    "Tls",
    "Model",
    "Arm",
    "Decode",
];

fn cluster(subscription: &str, name: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourcegroups/{STANDARD_CLUSTER_RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters/{name}"
    )
}

/// Checks one error: a chain without a repeated sentence, and no message that contains its
/// source's text.
fn check(e: &Error) {
    let texts = chain(e);
    assert_eq!(repeated_sentence(e), None, "{texts:#?}");
    for pair in texts.windows(2) {
        assert!(
            !pair[0].contains(pair[1].as_str()),
            "a message repeats its source: {texts:#?}"
        );
    }
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one scenario that provokes every variant in turn
async fn every_error_chains_its_cause_once() {
    let emu = emulator_taking(Duration::from_millis(30)).await;
    let arm = arm(&emu);
    let ws = Workspace::new(arm.clone(), emu.workspace_id().unwrap());
    let devtest = || {
        AksProvisioningConfiguration::builder()
            .agent_count(2)
            .vm_size("Standard_D2_v3")
            .cluster_purpose(ClusterPurpose::DevTest)
    };
    let attach =
        |sub: &str, name: &str| AksAttachConfiguration::builder().resource_id(cluster(sub, name));
    let mut errors: Vec<Error> = Vec::new();

    // Validation, and a model error (a compute name the service refuses).
    errors.push(ws.plan_create("x", devtest().agent_count(0)).unwrap_err());
    errors.push(ws.get("1x").await.unwrap_err());
    // Model: an ARM id that is not a workspace's.
    errors
        .push(Workspace::from_arm_id(arm.clone(), "/subscriptions/x/resourceGroups").unwrap_err());
    // Refused: an update the compute cannot take (TLS on an internal load balancer).
    ws.begin_create("made", devtest())
        .await
        .unwrap()
        .await
        .unwrap();
    errors.push(
        ws.begin_update(
            "made",
            aml_compute::config::AksUpdateConfiguration::builder()
                .load_balancer(aml_compute::config::LoadBalancerSettings::internal("s"))
                .ssl(TlsSettings::microsoft("made", false)),
        )
        .await
        .unwrap_err(),
    );
    // AlreadyExists, NotFound, Refused (delete of an attached cluster).
    errors.push(ws.begin_create("made", devtest()).await.unwrap_err());
    errors.push(ws.begin_detach("missing").await.unwrap_err());
    ws.begin_attach(
        "prod",
        attach(STANDARD_SUBSCRIPTION, "aks-prod"),
        AttachOptions::default(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    errors.push(ws.begin_delete("prod").await.unwrap_err());
    // ClusterStillAttached: deleting the cluster compute "prod" uses; ClusterNotFound: deleting
    // one that does not exist.
    let prod_cluster: aml_model::AksClusterId =
        cluster(STANDARD_SUBSCRIPTION, "aks-prod").parse().unwrap();
    errors.push(ws.begin_delete_cluster(&prod_cluster).await.unwrap_err());
    let nowhere: aml_model::AksClusterId = cluster(STANDARD_SUBSCRIPTION, "aks-nowhere")
        .parse()
        .unwrap();
    errors.push(ws.begin_delete_cluster(&nowhere).await.unwrap_err());
    // AlreadyAttached, ClusterNotFound, UnsupportedKubernetesVersion.
    let second = ws
        .begin_attach(
            "prod2",
            attach(STANDARD_SUBSCRIPTION, "aks-prod"),
            AttachOptions::default(),
        )
        .await
        .unwrap_err();
    errors.push(second);
    errors.push(
        ws.begin_attach(
            "nope",
            attach(STANDARD_SUBSCRIPTION, "aks-nowhere"),
            AttachOptions::default(),
        )
        .await
        .unwrap_err(),
    );
    errors.push(
        ws.begin_attach(
            "old",
            attach(STANDARD_SUBSCRIPTION, "aks-old").cluster_purpose(ClusterPurpose::DevTest),
            AttachOptions::default(),
        )
        .await
        .unwrap_err(),
    );
    // ControlPlaneNotAdmitted: authorized ranges that miss the Azure ML control plane.
    errors.push(
        ws.begin_attach(
            "office",
            attach(STANDARD_SUBSCRIPTION, "aks-office-ranges"),
            AttachOptions::default(),
        )
        .await
        .unwrap_err(),
    );
    // TooManyAuthorizedRanges: 199 ranges and the control plane's prefixes to add exceed
    // AKS's 200.
    let crowded = (0..199).fold(
        aml_compute::config::ManagedClusterConfiguration::builder()
            .location("eastus")
            .system_pool("Standard_D4s_v3", 3),
        |b, i| b.authorized_ip_range(format!("10.0.{i}.0/24")),
    );
    errors.push(
        ws.begin_create_cluster(
            "crowded",
            crowded,
            AksAttachConfiguration::builder()
                .cluster(aml_emulator::STANDARD_CLUSTER_RESOURCE_GROUP, "aks-crowded"),
            aml_compute::CreateClusterOptions::default().admit_control_plane(true),
        )
        .await
        .unwrap_err(),
    );
    // Model, with a source: a service-tag prefix that is no IP network (what the service
    // would have to send; the emulator never does).
    errors.push(Error::Model(aml_model::Error::ControlPlane(
        aml_model::control_plane::admission(&[], &["198.18.0.0/40".to_owned()]).unwrap_err(),
    )));
    // Conflict: ensure of a compute that exists with other settings.
    errors.push(
        ws.begin_ensure("made", Desired::Create(devtest().vm_size("Standard_D4_v3")))
            .await
            .unwrap_err(),
    );
    // OperationFailed: the service ends the operation Failed.
    emu.faults().fail_next_operation(ErrorDetail {
        code: Some("QuotaExceeded".into()),
        message: Some("Operation results in exceeding approved cores quota".into()),
        ..ErrorDetail::default()
    });
    errors.push(
        ws.begin_create("quota", devtest())
            .await
            .unwrap()
            .await
            .unwrap_err(),
    );
    // FailedCompute: ensure of the compute that failed.
    errors.push(
        ws.begin_ensure("quota", Desired::Create(devtest()))
            .await
            .unwrap_err(),
    );
    // Timeout: a slow operation waited for too briefly.
    let slow = emulator_taking(Duration::from_secs(5)).await;
    let slow_ws = crate::support::workspace(&slow);
    let op = slow_ws.begin_create("slow", devtest()).await.unwrap();
    let token = op.resume_token().unwrap();
    errors.push(
        op.with_timeout(Duration::from_millis(20))
            .await
            .unwrap_err(),
    );
    // WaitInterrupted: the emulator goes away while the operation is followed.
    drop(slow);
    errors.push(
        slow_ws
            .resume(&token, "slow", aml_compute::OperationKind::Create)
            .unwrap()
            .await
            .unwrap_err(),
    );
    // Arm: the transport's own error (the emulator expects another token).
    let other = Emulator::builder().token("another").start().await.unwrap();
    let other_ws = crate::support::workspace(&other);
    errors.push(other_ws.get("any").await.unwrap_err());
    // Rejected: a retried PUT met another operation's 409 (the tests in compute.rs drive that
    // path); here with a stand-in transport error as its source.
    errors.push(Error::Rejected {
        action: "create",
        name: "raced".into(),
        source: Box::new(aml_arm::Error::InvalidConfig {
            message: "another operation holds the compute".into(),
        }),
    });
    // ReattachRolledBack and ReattachStranded: the attach after a re-attach's detach fails
    // (once: restored; twice: the restore fails too).
    for (name, failures) in [("rolled", 1), ("strand", 2)] {
        ws.begin_attach(
            name,
            attach(STANDARD_SUBSCRIPTION, "aks-dev").cluster_purpose(ClusterPurpose::DevTest),
            AttachOptions::default().allow_second_attachment(true),
        )
        .await
        .unwrap()
        .await
        .unwrap();
        let op = ws
            .begin_reattach(name, Some(TlsSettings::microsoft(name, false)))
            .await
            .unwrap();
        emu.faults().inject(
            aml_emulator::FaultRule::new(aml_emulator::Fault::status(500))
                .method("PUT")
                .path_contains(format!("/computes/{name}"))
                .times(failures),
        );
        errors.push(op.await.unwrap_err());
    }
    // Config: a config.json that is not JSON.
    let dir = std::env::temp_dir().join(format!("aml-compute-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.json"), "{not json").unwrap();
    errors.push(Workspace::from_config(arm.clone(), &dir).unwrap_err());
    std::fs::remove_dir_all(&dir).ok();
    // Tls: a secret dump that holds no certificate.
    errors.push(
        aml_compute::tls::settings_from_secret(
            b"kind: Secret\n",
            "a.b.c",
            time::OffsetDateTime::now_utc(),
        )
        .unwrap_err(),
    );
    // Decode: a response that is not the expected shape.
    errors.push(Error::Decode {
        what: "compute \"x\"".into(),
        source: serde_json::from_str::<u32>("\"x\"").unwrap_err(),
    });
    // Refused for a second reason, and an attach in another subscription (validation).
    errors.push(
        ws.begin_attach(
            "other",
            attach(OTHER_SUBSCRIPTION, "aks-other-sub"),
            AttachOptions::default(),
        )
        .await
        .unwrap_err(),
    );

    let mut seen: Vec<&str> = errors.iter().map(variant).collect();
    seen.sort_unstable();
    seen.dedup();
    let mut all = ALL.to_vec();
    all.sort_unstable();
    assert_eq!(seen, all, "every variant is built");
    for e in &errors {
        check(e);
    }
}
