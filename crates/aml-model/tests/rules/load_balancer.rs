//! The load balancer: no TLS with an internal one (R18), a subnet only with an internal one.

use aml_model::config::{LoadBalancerSettings, TlsSettings};

use crate::{base, codes, create, errors};

#[test]
fn r18_no_tls_with_internal_load_balancer() {
    let r = errors(
        "myaks",
        base()
            .load_balancer(LoadBalancerSettings::internal("aks-subnet"))
            .enable_ssl(TlsSettings::microsoft("contoso", false)),
    );
    assert_eq!(codes(&r), ["tls.internal_load_balancer"]);
    assert!(
        create(
            "myaks",
            base().load_balancer(LoadBalancerSettings::internal("aks-subnet"))
        )
        .is_ok()
    );
}

#[test]
fn load_balancer_subnet_only_with_internal() {
    let lb = LoadBalancerSettings {
        kind: None,
        subnet: Some("aks-subnet".into()),
    };
    let r = errors("myaks", base().load_balancer(lb));
    assert_eq!(codes(&r), ["load_balancer.subnet_without_internal"]);
    assert_eq!(r.errors[0].path, "load_balancer.subnet");
}
