//! Attach: the checks of the live cluster, the refusals of R9 and R10, an internal load
//! balancer applied after attaching, and concurrent attaches of one cluster.

use aml_compute::config::{AksAttachConfiguration, LoadBalancerSettings, TlsSettings};
use aml_compute::{AttachOptions, Desired, Error};
use aml_emulator::{OTHER_SUBSCRIPTION, STANDARD_CLUSTER_RESOURCE_GROUP};
use aml_model::wire::ClusterPurpose;

use crate::support::{aks, attach_prod, attach_prod_as, cluster, setup, wait};

#[tokio::test]
async fn attach_checks_the_live_cluster() {
    let (emu, ws) = setup().await;
    // R14: an unsupported version fails with the supported list.
    let err = ws
        .begin_attach(
            "old",
            AksAttachConfiguration::builder().resource_id(cluster("aks-old")),
            AttachOptions::default(),
        )
        .await
        .unwrap_err();
    match &err {
        Error::UnsupportedKubernetesVersion {
            version, supported, ..
        } => {
            assert_eq!(version, "1.25.11");
            assert!(!supported.is_empty());
        }
        other => panic!("expected UnsupportedKubernetesVersion, got {other}"),
    }
    // R8: 1 x DS2_v2 cannot serve production, but can serve dev-test.
    let err = ws
        .begin_attach(
            "dev",
            AksAttachConfiguration::builder().cluster(STANDARD_CLUSTER_RESOURCE_GROUP, "aks-dev"),
            AttachOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        err.report().unwrap().has_error("purpose.production_vcpus"),
        "{err}"
    );
    let dev = ws
        .begin_attach(
            "dev",
            AksAttachConfiguration::builder()
                .cluster(STANDARD_CLUSTER_RESOURCE_GROUP, "aks-dev")
                .cluster_purpose(ClusterPurpose::DevTest),
            AttachOptions::default(),
        )
        .await
        .unwrap();
    assert!(aks(wait(dev).await).is_attached());
    // A missing cluster.
    let err = ws
        .begin_attach(
            "ghost",
            AksAttachConfiguration::builder().resource_id(cluster("aks-ghost")),
            AttachOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ClusterNotFound { .. }), "{err}");
    // R15: authorized ranges that miss the Azure ML control plane are refused (that they sit
    // on a basic load balancer is reported by the findings: see `secured.rs`).
    let err = ws
        .begin_attach(
            "authorized",
            AksAttachConfiguration::builder().resource_id(cluster("aks-authorized")),
            AttachOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.rule(),
        Some(aml_model::Rule::ClusterControlPlaneMissing),
        "{err}"
    );
    assert_eq!(emu.requests().count("PUT", "/computes/authorized"), 0);
    assert_eq!(emu.requests().count("PUT", "/computes/old"), 0);
    assert_eq!(emu.requests().count("PUT", "/computes/ghost"), 0);
}

#[tokio::test]
async fn r9_other_subscription_is_refused_client_side() {
    let (emu, ws) = setup().await;
    let other = format!(
        "/subscriptions/{OTHER_SUBSCRIPTION}/resourceGroups/other-rg/providers/Microsoft.ContainerService/managedClusters/aks-other-sub"
    );
    let err = ws
        .begin_attach(
            "other",
            AksAttachConfiguration::builder().resource_id(other),
            AttachOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        err.report().unwrap().has_error("attach.other_subscription"),
        "{err}"
    );
    assert_eq!(emu.requests().len(), 0);
}

#[tokio::test]
async fn r10_a_second_attachment_is_refused_and_the_hazard_is_real() {
    let (emu, ws) = setup().await;
    attach_prod_as(&ws, "first").await;
    // The guard: refused, nothing written. The id is spelled differently on purpose.
    let shouting = cluster("aks-prod")
        .replace("resourcegroups", "RESOURCEGROUPS")
        .replace("aks-rg", "AKS-RG");
    let err = ws
        .begin_attach(
            "second",
            AksAttachConfiguration::builder().resource_id(shouting),
            AttachOptions::default(),
        )
        .await
        .unwrap_err();
    match &err {
        Error::AlreadyAttached { existing, .. } => assert_eq!(existing, "first"),
        other => panic!("expected AlreadyAttached, got {other}"),
    }
    assert_eq!(emu.requests().count("PUT", "/computes/second"), 0);
    // The documented opt-out shows why the guard exists: the first attachment breaks.
    let op = ws
        .begin_attach(
            "second",
            attach_prod(),
            AttachOptions::default().allow_second_attachment(true),
        )
        .await
        .unwrap();
    wait(op).await;
    let first = ws.get_aks("first").await.unwrap();
    assert!(
        first.is_failed(),
        "the emulator breaks the first attachment, as the service does"
    );
    // ensure on the broken compute says how to recover.
    let err = ws
        .begin_ensure(
            "first",
            Desired::Attach {
                attach: attach_prod(),
                options: AttachOptions::default(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::FailedCompute { .. }), "{err}");
    assert!(err.to_string().contains("detach"), "{err}");
}

#[tokio::test]
async fn attach_with_an_internal_load_balancer_applies_it_after_attaching() {
    let (emu, ws) = setup().await;
    let op = ws
        .begin_attach(
            "ilb",
            attach_prod().load_balancer(LoadBalancerSettings::internal("aks-subnet")),
            AttachOptions::default(),
        )
        .await
        .unwrap();
    // The plan ends with the update that switches the load balancer.
    assert_eq!(op.plan().writes().count(), 2, "{}", op.plan());
    let done = aks(wait(op).await);
    assert!(done.load_balancer_type().is_internal());
    assert_eq!(
        emu.requests().count("PUT", "/computes/ilb"),
        2,
        "attach, then the update to an internal load balancer"
    );
    // A re-attach keeps the internal load balancer, so TLS with it is refused (R18) before
    // anything is sent.
    let now = ws.get_aks("ilb").await.unwrap();
    assert!(now.load_balancer_type().is_internal(), "{now}");
    let err = ws
        .begin_reattach("ilb", Some(TlsSettings::microsoft("ilb", true)))
        .await
        .unwrap_err();
    let report = err.report().expect("a validation error");
    assert!(
        report
            .errors
            .iter()
            .any(|i| i.code == aml_model::Rule::TlsInternalLoadBalancer),
        "{err}"
    );
    assert_eq!(emu.requests().count("DELETE", "/computes/ilb"), 0);
}

#[tokio::test]
async fn concurrent_attaches_of_one_cluster_through_clones_attach_it_once() {
    let (emu, ws) = setup().await;
    let spellings = [
        cluster("aks-prod"),
        cluster("aks-prod")
            .to_uppercase()
            .replace("/SUBSCRIPTIONS/", "/subscriptions/"),
        cluster("aks-prod").replace("aks-rg", "AKS-RG"),
    ];
    let tasks: Vec<_> = spellings
        .into_iter()
        .enumerate()
        .map(|(i, id)| {
            let ws = ws.clone();
            tokio::spawn(async move {
                ws.begin_attach(
                    &format!("race-{i}"),
                    AksAttachConfiguration::builder().resource_id(id),
                    AttachOptions::default(),
                )
                .await
            })
        })
        .collect();
    let mut started = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(op) => {
                started += 1;
                wait(op).await;
            }
            Err(Error::AlreadyAttached { .. }) => {}
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!(started, 1, "exactly one attach of the cluster may be sent");
    assert_eq!(emu.requests().count("PUT", "/computes/race-"), 1);
}
