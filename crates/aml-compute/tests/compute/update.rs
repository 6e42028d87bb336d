//! Update: GET-modify-PUT of the load balancer and TLS, checked against the current state.

use aml_compute::AttachOptions;
use aml_compute::config::{AksUpdateConfiguration, LoadBalancerSettings, TlsSettings};

use crate::support::{aks, assert_refused_tls_with_ilb, attach_prod, setup, wait};

#[tokio::test]
async fn update_switches_load_balancer_keeps_unknown_fields_and_refuses_tls_with_ilb() {
    let (emu, ws) = setup().await;
    let op = ws
        .begin_attach(
            "upd",
            attach_prod().enable_ssl(TlsSettings::microsoft("upd", true)),
            AttachOptions::default(),
        )
        .await
        .unwrap();
    wait(op).await;
    let id = ws.id().compute("upd".parse().unwrap());
    // R18 against the current state: TLS is on, so an internal load balancer is refused.
    let err = ws
        .begin_update(
            "upd",
            AksUpdateConfiguration::builder()
                .load_balancer(LoadBalancerSettings::internal("aks-subnet")),
        )
        .await
        .unwrap_err();
    assert_refused_tls_with_ilb(&err);
    let puts = emu.requests().count("PUT", "/computes/upd");

    let op = ws
        .begin_update(
            "upd",
            AksUpdateConfiguration::builder()
                .ssl(TlsSettings::disabled())
                .load_balancer(LoadBalancerSettings::internal("aks-subnet")),
        )
        .await
        .unwrap();
    let updated = aks(wait(op).await);
    assert!(updated.load_balancer_type().is_internal());
    assert_eq!(updated.load_balancer_subnet(), Some("aks-subnet"));
    assert!(!updated.ssl_enabled());
    assert_eq!(emu.requests().count("PUT", "/computes/upd"), puts + 1);

    // GET-modify-PUT sends back every field the service gave, not just the changed ones (the
    // model's tests cover fields unknown to this library): the plan says so, and after the
    // update the compute still names its cluster and keeps its size and FQDN.
    let plan = ws
        .plan_update(
            "upd",
            AksUpdateConfiguration::builder().load_balancer(LoadBalancerSettings::public()),
        )
        .unwrap();
    assert!(
        plan.to_string().contains("as read, with the changes above"),
        "{plan}"
    );
    let back = aks(wait(
        ws.begin_update(
            "upd",
            AksUpdateConfiguration::builder().load_balancer(LoadBalancerSettings::public()),
        )
        .await
        .unwrap(),
    )
    .await);
    assert_eq!(back.cluster_id(), updated.cluster_id());
    assert_eq!(back.cluster_fqdn(), updated.cluster_fqdn());
    assert_eq!(back.agent_count(), Some(3));
    assert_eq!(
        *back.load_balancer_type(),
        aml_model::wire::LoadBalancerType::PublicIp
    );
    assert!(emu.compute(&id).is_some());
}
