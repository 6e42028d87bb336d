//! R21: the virtual network settings, all or nothing, and their addresses.

use crate::{base, codes, create, errors, vnet};

#[test]
fn r21_vnet_all_or_nothing() {
    assert!(create("myaks", base().vnet(vnet())).is_ok());
    let mut partial = vnet();
    partial.dns_service_ip = None;
    partial.docker_bridge_cidr = None;
    let r = errors("myaks", base().vnet(partial));
    assert_eq!(codes(&r), ["vnet.incomplete", "vnet.incomplete"]);
    let paths: Vec<_> = r.errors.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "create.vnet.dns_service_ip",
            "create.vnet.docker_bridge_cidr"
        ]
    );
}

#[test]
fn cidr_octets_are_range_checked() {
    let mut v = vnet();
    v.service_cidr = Some("999.1.1.1/8".into());
    let r = errors("myaks", base().vnet(v));
    assert_eq!(codes(&r), ["vnet.cidr"]);
    assert_eq!(r.errors[0].path, "create.vnet.service_cidr");
}

#[test]
fn dns_ip_inside_service_cidr() {
    let mut v = vnet();
    v.dns_service_ip = Some("10.1.0.10".into());
    assert_eq!(
        codes(&errors("myaks", base().vnet(v))),
        ["vnet.dns_ip_outside_service_cidr"]
    );
}

#[test]
fn dns_ip_not_network_address() {
    let mut v = vnet();
    v.dns_service_ip = Some("10.0.0.0".into());
    assert_eq!(
        codes(&errors("myaks", base().vnet(v))),
        ["vnet.dns_ip_is_network_address"]
    );
}

#[test]
fn dns_ip_not_the_kubernetes_api_address() {
    let mut v = vnet();
    v.dns_service_ip = Some("10.0.0.1".into());
    assert_eq!(
        codes(&errors("myaks", base().vnet(v))),
        ["vnet.dns_ip_is_kubernetes_api"]
    );
    let mut v = vnet();
    v.dns_service_ip = Some("10.0.0.2".into());
    assert!(create("myaks", base().vnet(v)).is_ok());
}

#[test]
fn docker_bridge_must_not_overlap_service_cidr() {
    let mut v = vnet();
    v.docker_bridge_cidr = Some("10.0.128.1/17".into());
    assert_eq!(
        codes(&errors("myaks", base().vnet(v))),
        ["vnet.bridge_overlaps_service_cidr"]
    );
}
