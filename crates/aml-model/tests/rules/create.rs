//! Creating a cluster: the guide's defaults, node counts, cluster purposes (R8), VM sizes,
//! regions, and every problem reported at once.

use aml_model::config::{
    AksAttachConfiguration, AksUpdateConfiguration, LoadBalancerSettings, TlsSettings,
};
use aml_model::wire::{ClusterPurpose, LoadBalancerType};

use crate::{base, codes, create, errors, vnet};

#[test]
fn defaults_are_the_guides_and_are_sent_explicitly() {
    let c = create("myaks", base()).unwrap();
    assert_eq!(c.config().agent_count(), 3);
    assert_eq!(c.config().vm_size(), "Standard_D3_v2");
    assert_eq!(c.config().cluster_purpose(), &ClusterPurpose::FastProd);
    let body = c.body();
    let p = &body["properties"]["properties"];
    assert_eq!(p["agentCount"], 3);
    assert_eq!(p["agentVmSize"], "Standard_D3_v2");
    assert_eq!(p["clusterPurpose"], "FastProd");
    assert_eq!(p["loadBalancerType"], "PublicIp");
    assert_eq!(p["sslConfiguration"]["status"], "Disabled");
    assert_eq!(body["properties"]["computeLocation"], "eastus");
    assert_eq!(body["location"], "eastus");
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
}

#[test]
fn node_count_at_least_one() {
    let r = errors(
        "myaks",
        base()
            .agent_count(0)
            .cluster_purpose(ClusterPurpose::DevTest),
    );
    assert!(codes(&r).contains(&"nodes.count"), "{r}");
    assert!(
        create(
            "myaks",
            base()
                .agent_count(1)
                .vm_size("Standard_D4_v3")
                .cluster_purpose(ClusterPurpose::DevTest)
        )
        .is_ok()
    );
}

#[test]
fn r8_production_needs_twelve_vcpus() {
    // 3 x D3_v2 (4 vCPUs) = 12: the guide's example.
    assert!(create("myaks", base().agent_count(3).vm_size("Standard_D3_v2")).is_ok());
    // 3 x D2_v2 (2 vCPUs) = 6.
    let r = errors("myaks", base().agent_count(3).vm_size("Standard_D2_v2"));
    assert_eq!(codes(&r), ["purpose.production_vcpus"]);
    assert!(r.errors[0].message.contains('6'), "{r}");
    // DenseProd has the same minimum.
    let r = errors(
        "myaks",
        base()
            .agent_count(3)
            .vm_size("standard_d2_v2")
            .cluster_purpose(ClusterPurpose::DenseProd),
    );
    assert_eq!(codes(&r), ["purpose.production_vcpus"]);
}

#[test]
fn unknown_purpose_and_load_balancer_type_are_reported_with_the_rest() {
    let settings = LoadBalancerSettings {
        kind: Some(LoadBalancerType::parse("Private")),
        subnet: None,
    };
    let r = errors(
        "myaks",
        base()
            .agent_count(0)
            .cluster_purpose(ClusterPurpose::parse("Big"))
            .load_balancer(settings.clone()),
    );
    assert_eq!(
        codes(&r),
        ["purpose.unknown", "nodes.count", "load_balancer.type"],
        "{r}"
    );
    let paths: Vec<&str> = r.errors.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "create.cluster_purpose",
            "create.agent_count",
            "load_balancer.type"
        ]
    );
    assert!(r.errors[0].message.contains("\"Big\""), "{r}");
    // An unknown purpose is no production: no capacity error comes with it.
    let r = errors(
        "myaks",
        base()
            .agent_count(1)
            .cluster_purpose(ClusterPurpose::Unknown("Big".into())),
    );
    assert_eq!(codes(&r), ["purpose.unknown"]);

    let attach = AksAttachConfiguration::builder()
        .cluster("aks-rg", "cluster")
        .cluster_purpose(ClusterPurpose::parse("Big"))
        .load_balancer(settings.clone());
    let report = attach.build().unwrap_err();
    let report = report.report().unwrap();
    assert!(report.has_error("purpose.unknown"), "{report}");
    assert!(report.has_error("load_balancer.type"), "{report}");
    let update = AksUpdateConfiguration::builder().load_balancer(settings);
    let report = update.build().unwrap_err();
    assert!(report.report().unwrap().has_error("load_balancer.type"));
}

#[test]
fn r8_production_needs_three_nodes() {
    let r = errors("myaks", base().agent_count(2).vm_size("Standard_D8_v3"));
    assert_eq!(codes(&r), ["purpose.production_nodes"]);
    assert!(create("myaks", base().agent_count(3).vm_size("Standard_D8_v3")).is_ok());
}

#[test]
fn r8_devtest_under_two_vcpus_warns() {
    let c = create(
        "myaks",
        base()
            .agent_count(1)
            .vm_size("Standard_A1_v2")
            .cluster_purpose(ClusterPurpose::DevTest),
    )
    .unwrap();
    assert!(
        c.warnings()
            .iter()
            .any(|w| w.code == "purpose.devtest_vcpus")
    );
    let c = create(
        "myaks",
        base()
            .agent_count(1)
            .vm_size("Standard_D2_v3")
            .cluster_purpose(ClusterPurpose::DevTest),
    )
    .unwrap();
    assert!(c.warnings().is_empty());
}

#[test]
fn unknown_vm_size_warns_and_gpu_sizes_get_a_note() {
    let c = create("myaks", base().vm_size("Standard_Q99_v9")).unwrap();
    assert!(c.warnings().iter().any(|w| w.code == "vm_size.unknown"));
    let c = create("myaks", base().vm_size("Standard_NC6s_v3")).unwrap();
    assert!(
        c.warnings().iter().any(|w| w.code == "vm_size.accelerator"),
        "{:?}",
        c.warnings()
    );
}

#[test]
fn location_must_be_a_region_name() {
    let r = errors("myaks", base().location("East US"));
    assert_eq!(codes(&r), ["location.invalid"]);
    assert!(r.errors[0].message.contains("eastus"));
    assert!(create("myaks", base().location("westeurope")).is_ok());
}

#[test]
fn a_compute_in_another_region_warns() {
    let c = create("myaks", base().location("westeurope")).unwrap();
    assert!(c.warnings().iter().any(|w| w.code == "location.differs"));
    assert_eq!(c.body()["properties"]["computeLocation"], "westeurope");
}

#[test]
fn five_problems_are_reported_as_five() {
    let mut v = vnet();
    v.dns_service_ip = Some("10.0.0.1".into()); // 3. Kubernetes API address
    let b = base()
        .agent_count(3)
        .vm_size("Standard_D2_v2") // 2. 6 vCPUs for production
        .location("East US") // 4. not a region name
        .vnet(v)
        .enable_ssl(TlsSettings::microsoft("Contoso", false)); // 5. upper-case label
    let r = errors("1abc", b); // 1. name starts with a digit
    assert_eq!(r.errors.len(), 5, "{r}");
    let paths: Vec<_> = r.errors.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "name",
            "create.agent_count",
            "create.location",
            "create.vnet.dns_service_ip",
            "tls.leaf_domain_label"
        ],
        "{r}"
    );
}
