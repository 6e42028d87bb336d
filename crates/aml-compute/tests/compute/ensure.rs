//! Ensure: create what is absent, adopt what matches without writing, converge what differs
//! (in place, by scaling, by re-attaching), refuse what cannot change.

use aml_compute::config::AksAttachBuilder;
use aml_compute::{AttachOptions, Desired, Ensured, Error};

use crate::support::{devtest, received_writes, setup, wait};

/// An attach with the default options.
fn attached(attach: AksAttachBuilder) -> Desired {
    Desired::Attach {
        attach,
        options: AttachOptions::default(),
    }
}

#[tokio::test]
async fn ensure_adopts_without_writing_and_reports_differences() {
    let (emu, ws) = setup().await;
    let first = ws
        .begin_ensure("ens-aks", Desired::Create(devtest()))
        .await
        .unwrap();
    let Ensured::Started(op) = first else {
        panic!("an absent compute is created")
    };
    wait(op).await;
    let puts = emu.requests().count("PUT", "/computes/ens-aks");
    assert_eq!(puts, 1);
    let again = ws
        .begin_ensure("ens-aks", Desired::Create(devtest()))
        .await
        .unwrap();
    assert!(matches!(again, Ensured::Adopted(_)), "{again:?}");
    assert_eq!(
        emu.requests().count("PUT", "/computes/ens-aks"),
        puts,
        "adopting must not write"
    );
    let err = ws
        .begin_ensure(
            "ens-aks",
            Desired::Create(devtest().agent_count(3).vm_size("Standard_D4_v3")),
        )
        .await
        .unwrap_err();
    let Error::Conflict { differences, .. } = &err else {
        panic!("expected a conflict, got {err}")
    };
    let fields: Vec<_> = differences.iter().map(|d| d.field).collect();
    assert_eq!(fields, ["create.agent_count", "create.vm_size"], "{err}");
    assert_eq!(emu.requests().count("PUT", "/computes/ens-aks"), puts);
}

#[tokio::test]
async fn ensure_converges_in_place_and_a_second_ensure_writes_nothing() {
    use aml_compute::config::{LoadBalancerSettings, TlsSettings};
    use aml_compute::{Remedy, aml_model::plan::OperationKind};

    let (emu, ws) = setup().await;
    wait(
        match ws
            .begin_ensure("conv", Desired::Create(devtest()))
            .await
            .unwrap()
        {
            Ensured::Started(op) => op,
            other @ Ensured::Adopted(_) => panic!("{other:?}"),
        },
    )
    .await;

    // Three more nodes, a Microsoft certificate and an internal load balancer... which TLS
    // does not allow: the TLS change alone, with the node count.
    let desired = || {
        devtest()
            .agent_count(3)
            .enable_ssl(TlsSettings::microsoft("conv", false))
    };
    let convergence = ws
        .plan_ensure("conv", Desired::Create(desired()))
        .await
        .unwrap();
    let shown = convergence.to_string();
    assert!(shown.starts_with("~ compute conv"), "{shown}");
    assert!(
        shown.contains("~ create.agent_count 2 -> 3 (scale)"),
        "{shown}"
    );
    assert!(
        shown.contains("~ tls.status Disabled -> Auto (update)"),
        "{shown}"
    );
    let remedies: Vec<Remedy> = convergence.differences().iter().map(|d| d.remedy).collect();
    assert!(remedies.contains(&Remedy::Scale) && remedies.contains(&Remedy::Update));
    let plan = convergence.plan().unwrap();
    assert_eq!(plan.kind(), OperationKind::Converge);
    assert_eq!(plan.writes().count(), 2, "an update, then a scale: {plan}");

    let before = received_writes(&emu).len();
    let compute = ws
        .begin_ensure("conv", Desired::Create(desired()))
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(compute.agent_count(), Some(3));
    assert_eq!(compute.leaf_domain_label(), Some("conv"));
    assert_eq!(received_writes(&emu).len(), before + 2);

    // The same spec again: up to date, nothing written.
    let again = ws
        .plan_ensure("conv", Desired::Create(desired()))
        .await
        .unwrap();
    assert!(again.is_up_to_date(), "{again}");
    assert!(matches!(
        ws.begin_ensure("conv", Desired::Create(desired()))
            .await
            .unwrap(),
        Ensured::Adopted(_)
    ));
    assert_eq!(
        received_writes(&emu).len(),
        before + 2,
        "a converged spec writes nothing"
    );

    // The load balancer changes in place too (TLS off first: not with an internal one).
    let internal = || {
        devtest()
            .agent_count(3)
            .load_balancer(LoadBalancerSettings::internal("aks-subnet"))
    };
    let compute = ws
        .begin_ensure("conv", Desired::Create(internal()))
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(compute.has_internal_load_balancer());
    assert!(!compute.ssl_enabled());
}

#[tokio::test]
async fn ensure_reattaches_for_a_new_purpose_and_refuses_what_cannot_change() {
    use aml_compute::Remedy;
    use aml_compute::config::AksAttachConfiguration;
    use aml_model::wire::ClusterPurpose;

    let (emu, ws) = setup().await;
    let attach = |purpose| {
        AksAttachConfiguration::builder()
            .resource_id(crate::support::cluster("aks-prod"))
            .cluster_purpose(purpose)
    };
    ws.begin_ensure("reat", attached(attach(ClusterPurpose::FastProd)))
        .await
        .unwrap()
        .await
        .unwrap();
    // The purpose of an attached cluster is an attach setting: detach and attach again.
    let convergence = ws
        .plan_ensure("reat", attached(attach(ClusterPurpose::DevTest)))
        .await
        .unwrap();
    assert_eq!(convergence.differences()[0].remedy, Remedy::Reattach);
    let compute = ws
        .begin_ensure("reat", attached(attach(ClusterPurpose::DevTest)))
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(compute.cluster_purpose(), Some(&ClusterPurpose::DevTest));
    assert_eq!(emu.requests().count("DELETE", "/computes/reat"), 1);

    // A new purpose and an internal load balancer: one re-attach sets both (its attach, then
    // the switch to the internal load balancer); no separate update. Then nothing to do.
    let internal = || {
        attached(attach(ClusterPurpose::FastProd).load_balancer(
            aml_compute::config::LoadBalancerSettings::internal("aks-subnet"),
        ))
    };
    let convergence = ws.plan_ensure("reat", internal()).await.unwrap();
    let plan = convergence.plan().expect("changes to make");
    assert_eq!(plan.writes().count(), 3, "{plan}");
    let before = received_writes(&emu).len();
    let compute = ws
        .begin_ensure("reat", internal())
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(compute.cluster_purpose(), Some(&ClusterPurpose::FastProd));
    assert!(compute.has_internal_load_balancer(), "{compute}");
    assert_eq!(received_writes(&emu).len(), before + 3);
    assert!(
        ws.plan_ensure("reat", internal())
            .await
            .unwrap()
            .is_up_to_date()
    );
    // And back: a new purpose on a public IP is a re-attach alone (detach, attach).
    let before = received_writes(&emu).len();
    let compute = ws
        .begin_ensure("reat", attached(attach(ClusterPurpose::DevTest)))
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(!compute.has_internal_load_balancer(), "{compute}");
    assert_eq!(received_writes(&emu).len(), before + 2);

    // Another cluster is another attachment: refused with the difference, nothing written.
    let before = received_writes(&emu).len();
    let other = AksAttachConfiguration::builder().resource_id(crate::support::cluster("aks-dev"));
    let err = ws.begin_ensure("reat", attached(other)).await.unwrap_err();
    let Error::Conflict { differences, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        differences
            .iter()
            .any(|d| d.field == "attach.resource_id" && d.remedy == Remedy::Recreate),
        "{err}"
    );
    assert_eq!(received_writes(&emu).len(), before);
}

#[tokio::test]
async fn a_rotated_certificate_is_a_difference_applied_in_place() {
    use aml_compute::Remedy;
    use aml_compute::config::{AksAttachConfiguration, TlsSettings};
    use aml_model::PrivateKeyPem;

    let (emu, ws) = setup().await;
    // A certificate and key for the same name, made now: each call makes another pair.
    let pair = || crate::support::cert_pair("score.contoso.com");
    let desired = |(cert, key): &(String, String)| {
        attached(
            AksAttachConfiguration::builder()
                .resource_id(crate::support::cluster("aks-prod"))
                .enable_ssl(TlsSettings::custom(
                    cert.clone(),
                    PrivateKeyPem::new(key.clone()),
                    "score.contoso.com",
                )),
        )
    };
    let first = pair();
    ws.begin_ensure("tlsrot", desired(&first))
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(
        ws.plan_ensure("tlsrot", desired(&first))
            .await
            .unwrap()
            .is_up_to_date(),
        "the same certificate is no difference"
    );

    // Another certificate for the same CNAME: a difference, applied by one update.
    let rotated = pair();
    let convergence = ws.plan_ensure("tlsrot", desired(&rotated)).await.unwrap();
    let fields = crate::support::remedies(convergence.differences());
    assert_eq!(fields, [("tls.cert", Remedy::Update)], "{convergence}");
    // Named by the leaves' SHA-256 fingerprints, as `openssl x509 -fingerprint -sha256` prints them.
    let fingerprint = |pem: &str| {
        aml_tls::CertificateChain::from_pem(pem.as_bytes())
            .unwrap()
            .leaf()
            .sha256_fingerprint()
    };
    let shown = &convergence.differences()[0];
    assert_eq!(shown.existing, format!("SHA-256 {}", fingerprint(&first.0)));
    assert_eq!(
        shown.desired,
        format!("SHA-256 {}", fingerprint(&rotated.0))
    );
    assert!(
        !convergence.to_string().contains("PRIVATE KEY"),
        "{convergence}"
    );
    let before = received_writes(&emu).len();
    let compute = ws
        .begin_ensure("tlsrot", desired(&rotated))
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(
        compute.ssl_cert().map(str::trim),
        Some(rotated.0.trim()),
        "the new certificate is in place"
    );
    assert_eq!(received_writes(&emu).len(), before + 1, "one update");
}

#[tokio::test]
async fn ensure_of_an_attach_admits_the_control_plane_when_its_options_say_so() {
    use aml_compute::Remedy;
    use aml_compute::config::AksAttachConfiguration;

    let (emu, ws) = setup().await;
    let office = || {
        AksAttachConfiguration::builder().resource_id(crate::support::cluster("aks-office-ranges"))
    };
    // Without the option: refused as begin_attach refuses, nothing written.
    let err = ws
        .begin_ensure("office", attached(office()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ControlPlaneNotAdmitted { .. }),
        "{err}"
    );
    assert!(received_writes(&emu).is_empty());

    // With it: the plan admits the control plane into the cluster's ranges, then attaches.
    let admit = || Desired::Attach {
        attach: office(),
        options: AttachOptions::default().admit_control_plane(true),
    };
    let convergence = ws.plan_ensure("office", admit()).await.unwrap();
    assert_eq!(
        convergence.plan().unwrap().writes().count(),
        2,
        "{convergence}"
    );
    let compute = ws
        .begin_ensure("office", admit())
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(
        compute.cluster_id(),
        Some(crate::support::cluster_id("aks-office-ranges"))
    );
    let writes = received_writes(&emu);
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(
        writes[0].contains("/managedClusters/aks-office-ranges"),
        "{writes:?}"
    );
    assert!(writes[1].contains("/computes/office"), "{writes:?}");

    // Again: adopted, nothing written.
    let again = ws.begin_ensure("office", admit()).await.unwrap();
    assert!(matches!(again, Ensured::Adopted(_)), "{again:?}");
    assert_eq!(received_writes(&emu).len(), 2);

    // The cluster's ranges lose the control plane (AKS's own PUT, behind the workspace's back):
    // without the option ensure refuses, with it the prefixes are admitted again in place.
    crate::support::narrow_ranges(&ws, "aks-office-ranges").await;
    emu.requests().clear();
    let err = ws
        .plan_ensure("office", attached(office()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ControlPlaneNotAdmitted { .. }),
        "{err}"
    );
    let convergence = ws.plan_ensure("office", admit()).await.unwrap();
    let fields = crate::support::remedies(convergence.differences());
    assert_eq!(
        fields,
        [("cluster.authorized_ip_ranges", Remedy::AdmitControlPlane)],
        "{convergence}"
    );
    ws.begin_ensure("office", admit())
        .await
        .unwrap()
        .await
        .unwrap();
    let writes = received_writes(&emu);
    assert_eq!(writes.len(), 1, "only the cluster's PUT: {writes:?}");
    assert!(
        writes[0].contains("/managedClusters/aks-office-ranges"),
        "{writes:?}"
    );
    assert!(
        ws.plan_ensure("office", admit())
            .await
            .unwrap()
            .is_up_to_date()
    );
}

/// 3 x 4 vCPUs, created by the workspace: enough for production, so a FastProd spec is valid
/// on its own.
fn created_d4() -> aml_compute::config::AksProvisioningBuilder {
    devtest().agent_count(3).vm_size("Standard_D4_v3")
}

fn created_in_vnet() -> aml_compute::config::AksProvisioningBuilder {
    created_d4().vnet(aml_compute::config::VnetSettings {
        resource_group: Some("net-rg".into()),
        vnet_name: Some("ml-vnet".into()),
        subnet_name: Some("aks-subnet".into()),
        service_cidr: Some("10.0.0.0/16".into()),
        dns_service_ip: Some("10.0.0.10".into()),
        docker_bridge_cidr: Some("172.17.0.1/16".into()),
    })
}

/// A spec of a created compute, to compare with the live one.
type Spec = fn() -> aml_compute::config::AksProvisioningBuilder;

fn created_for_production() -> aml_compute::config::AksProvisioningBuilder {
    created_d4().cluster_purpose(aml_model::wire::ClusterPurpose::FastProd)
}

#[tokio::test]
async fn a_new_vnet_or_purpose_of_a_created_compute_is_refused_and_nothing_is_written() {
    use aml_compute::Remedy;

    let (emu, ws) = setup().await;
    ws.begin_ensure("fixed", Desired::Create(created_d4()))
        .await
        .unwrap()
        .await
        .unwrap();
    let cases: [(&str, Spec); 2] = [
        ("create.vnet", created_in_vnet),
        ("create.cluster_purpose", created_for_production),
    ];
    for (field, desired) in cases {
        let before = received_writes(&emu);
        // The dry run and the run refuse alike.
        let planned = ws.plan_ensure("fixed", Desired::Create(desired())).await;
        let run = ws.begin_ensure("fixed", Desired::Create(desired())).await;
        for err in [planned.unwrap_err(), run.unwrap_err()] {
            let Error::Conflict { differences, .. } = &err else {
                panic!("{field}: expected a conflict, got {err}")
            };
            let fields = crate::support::remedies(differences);
            assert_eq!(fields, [(field, Remedy::Recreate)], "{err}");
        }
        assert_eq!(received_writes(&emu), before, "{field}: nothing written");
    }
    let writes = received_writes(&emu);
    assert_eq!(writes.len(), 1, "the create alone: {writes:?}");
}
