//! One test per validation rule of the guide, each with its passing and its failing side.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use aml_model::config::{
    AksAttachConfiguration, AksProvisioningBuilder, AksProvisioningConfiguration,
    AksUpdateConfiguration, LoadBalancerSettings, TlsConfig, TlsSettings, VnetSettings,
};
use aml_model::request::{AttachCompute, CreateCompute, Requests, WorkspaceRef};
use aml_model::wire::{ClusterPurpose, LoadBalancerType};
use aml_model::{PrivateKeyPem, Report, WorkspaceId};

const SUB: &str = "00000000-0000-0000-0000-000000000000";
const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

fn workspace() -> WorkspaceRef {
    WorkspaceRef::new(
        WorkspaceId::new(SUB, "ml-rg", "ml-ws").unwrap(),
        Some("eastus".into()),
    )
}

fn create(name: &str, b: AksProvisioningBuilder) -> Result<CreateCompute, Report> {
    CreateCompute::new(workspace(), name, b).map_err(|e| e.report().cloned().expect("a report"))
}

fn errors(name: &str, b: AksProvisioningBuilder) -> Report {
    create(name, b).expect_err("expected validation errors")
}

fn codes(report: &Report) -> Vec<&'static str> {
    report.errors.iter().map(|i| i.code.code()).collect()
}

fn vnet() -> VnetSettings {
    VnetSettings {
        resource_group: Some("net-rg".into()),
        vnet_name: Some("vnet".into()),
        subnet_name: Some("aks-subnet".into()),
        service_cidr: Some("10.0.0.0/16".into()),
        dns_service_ip: Some("10.0.0.10".into()),
        docker_bridge_cidr: Some("172.17.0.1/16".into()),
    }
}

fn base() -> AksProvisioningBuilder {
    AksProvisioningConfiguration::builder()
}

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
fn r7_name_rule() {
    assert!(create("my-aks-1", base()).is_ok());
    let r = errors("1a", base());
    assert!(codes(&r).contains(&"name.length"));
    assert!(codes(&r).contains(&"name.start"));
    assert!(r.errors.iter().all(|i| i.path == "name"));
}

#[test]
fn reserved_names_refused_for_create_only() {
    assert_eq!(codes(&errors("amlcompute", base())), ["name.reserved"]);
    let attach = AksAttachConfiguration::builder().cluster("aks-rg", "cluster");
    assert!(AttachCompute::new(workspace(), "local", attach).is_ok());
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

#[test]
fn tls_custom_needs_all_three() {
    let ok = TlsSettings::custom(CERT, PrivateKeyPem::new(KEY), "www.contoso.com");
    assert!(create("myaks", base().enable_ssl(ok)).is_ok());
    let partial = TlsSettings {
        cert_pem: Some(CERT.into()),
        ..TlsSettings::default()
    };
    let r = errors("myaks", base().enable_ssl(partial));
    assert_eq!(codes(&r), ["tls.incomplete", "tls.incomplete"]);
    let paths: Vec<_> = r.errors.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["tls.key", "tls.cname"]);
}

#[test]
fn tls_leaf_label_excludes_custom_certificate() {
    let mut t = TlsSettings::microsoft("contoso", false);
    t.cname = Some("www.contoso.com".into());
    assert!(codes(&errors("myaks", base().enable_ssl(t))).contains(&"tls.conflict"));
    assert!(
        create(
            "myaks",
            base().enable_ssl(TlsSettings::microsoft("contoso", false))
        )
        .is_ok()
    );
}

#[test]
fn tls_overwrite_needs_a_label() {
    let t = TlsSettings {
        overwrite_existing_domain: Some(true),
        ..TlsSettings::default()
    };
    assert_eq!(
        codes(&errors("myaks", base().enable_ssl(t))),
        ["tls.overwrite_without_label"]
    );
}

#[test]
fn tls_renew_needs_auto() {
    let mut t = TlsSettings::renew();
    t.cert_pem = Some(CERT.into());
    t.key_pem = Some(PrivateKeyPem::new(KEY));
    t.cname = Some("www.contoso.com".into());
    let err = AksUpdateConfiguration::builder()
        .ssl(t)
        .build()
        .unwrap_err();
    assert!(err.report().unwrap().has_error("tls.renew_needs_auto"));
    let ok = AksUpdateConfiguration::builder()
        .ssl(TlsSettings::renew())
        .build()
        .unwrap();
    assert!(matches!(ok.tls(), Some(TlsConfig::Renew { .. })));
}

#[test]
fn leaf_label_leaves_room_for_six_characters() {
    let fits = "a".repeat(57);
    assert!(
        create(
            "myaks",
            base().enable_ssl(TlsSettings::microsoft(fits, false))
        )
        .is_ok()
    );
    let too_long = "a".repeat(58);
    let r = errors(
        "myaks",
        base().enable_ssl(TlsSettings::microsoft(too_long, false)),
    );
    assert_eq!(codes(&r), ["tls.leaf_domain_label"]);
    assert!(r.errors[0].message.contains("57"), "{r}");
    for bad in ["Contoso", "con.toso", "-contoso", "con_toso", "1contoso"] {
        let r = errors(
            "myaks",
            base().enable_ssl(TlsSettings::microsoft(bad, false)),
        );
        assert_eq!(codes(&r), ["tls.leaf_domain_label"], "{bad}");
    }
}

#[test]
fn cname_must_be_a_host_name() {
    let t = TlsSettings::custom(CERT, PrivateKeyPem::new(KEY), "not a host");
    assert_eq!(codes(&errors("myaks", base().enable_ssl(t))), ["tls.cname"]);
}

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
fn r9_attach_in_the_workspace_subscription() {
    let same = format!(
        "/subscriptions/{SUB}/resourcegroups/rg/providers/Microsoft.ContainerService/managedClusters/c"
    );
    assert!(
        AttachCompute::new(
            workspace(),
            "myaks",
            AksAttachConfiguration::builder().resource_id(same)
        )
        .is_ok()
    );
    let other = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c";
    let err = AttachCompute::new(
        workspace(),
        "myaks",
        AksAttachConfiguration::builder().resource_id(other),
    )
    .unwrap_err();
    assert!(err.report().unwrap().has_error("attach.other_subscription"));
}

#[test]
fn attach_id_must_be_a_managed_cluster() {
    let vm = format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"
    );
    let err = AttachCompute::new(
        workspace(),
        "myaks",
        AksAttachConfiguration::builder().resource_id(vm),
    )
    .unwrap_err();
    let r = err.report().unwrap();
    assert_eq!(codes(r), ["attach.resource_id"]);
    assert!(r.errors[0].message.contains("managedClusters"), "{r}");
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

#[test]
fn update_body_keeps_unknown_fields_and_drops_read_only_ones() {
    let id = aml_model::ComputeId::new(workspace().id, "myaks".parse().unwrap());
    let current = serde_json::json!({
        "id": id.to_string(),
        "location": "eastus",
        "systemData": {"createdBy": "x"},
        "futureTopLevel": 1,
        "properties": {
            "computeType": "AKS",
            "provisioningState": "Succeeded",
            "isAttachedCompute": true,
            "resourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c",
            "futureField": {"a": 1},
            "properties": {
                "agentCount": 3,
                "clusterPurpose": "FastProd",
                "systemServices": [{"systemServiceType": "x"}],
                "sslConfiguration": {"status": "Auto", "leafDomainLabel": "contoso"},
                "futureAks": "kept"
            }
        }
    });
    let update = AksUpdateConfiguration::builder()
        .ssl(TlsSettings::disabled())
        .load_balancer(LoadBalancerSettings::internal("aks-subnet"))
        .build()
        .unwrap();
    let body = Requests::default()
        .update(&id, &current, &update)
        .unwrap()
        .body()
        .redacted()
        .unwrap();
    assert_eq!(body["futureTopLevel"], 1);
    assert_eq!(body["properties"]["futureField"]["a"], 1);
    assert_eq!(body["properties"]["properties"]["futureAks"], "kept");
    assert_eq!(body["properties"]["properties"]["agentCount"], 3);
    assert_eq!(
        body["properties"]["properties"]["loadBalancerType"],
        "InternalLoadBalancer"
    );
    assert_eq!(
        body["properties"]["properties"]["loadBalancerSubnet"],
        "aks-subnet"
    );
    assert_eq!(
        body["properties"]["properties"]["sslConfiguration"]["status"],
        "Disabled"
    );
    assert!(body.get("systemData").is_none());
    assert!(body["properties"].get("provisioningState").is_none());
    assert!(
        body["properties"]["properties"]
            .get("systemServices")
            .is_none()
    );

    // Switching to an internal load balancer while TLS stays on is R18.
    let lb_only = AksUpdateConfiguration::builder()
        .load_balancer(LoadBalancerSettings::internal("aks-subnet"))
        .build()
        .unwrap();
    let err = Requests::default()
        .update(&id, &current, &lb_only)
        .unwrap_err();
    assert!(
        err.to_string().ends_with("[tls.internal_load_balancer]"),
        "{err}"
    );

    // Renew keeps the current label.
    let renew = AksUpdateConfiguration::builder()
        .ssl(TlsSettings::renew())
        .build()
        .unwrap();
    let body = Requests::default()
        .update(&id, &current, &renew)
        .unwrap()
        .body()
        .redacted()
        .unwrap();
    let ssl = &body["properties"]["properties"]["sslConfiguration"];
    assert_eq!(ssl["status"], "Auto");
    assert_eq!(ssl["leafDomainLabel"], "contoso");
    assert_eq!(ssl["overwriteExistingDomain"], true);
}

#[test]
fn renew_of_a_non_auto_configuration_is_refused() {
    let id = aml_model::ComputeId::new(workspace().id, "myaks".parse().unwrap());
    let current = serde_json::json!({"properties": {"computeType": "AKS", "properties": {"sslConfiguration": {"status": "Enabled", "cname": "a.b.c"}}}});
    let renew = AksUpdateConfiguration::builder()
        .ssl(TlsSettings::renew())
        .build()
        .unwrap();
    let err = Requests::default()
        .update(&id, &current, &renew)
        .unwrap_err();
    assert!(err.to_string().contains("Auto"), "{err}");
}

#[test]
fn an_empty_update_is_refused() {
    let err = AksUpdateConfiguration::builder().build().unwrap_err();
    assert!(err.report().unwrap().has_error("update.empty"));
}

#[test]
fn requests_have_exact_paths_and_secrets_are_redacted() {
    let t = TlsSettings::custom(CERT, PrivateKeyPem::new(KEY), "www.contoso.com");
    let c = create("myaks", base().enable_ssl(t)).unwrap();
    let r = Requests::default();
    let put = r.create(&c);
    let base_path = format!(
        "/subscriptions/{SUB}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ml-ws/computes/myaks"
    );
    assert_eq!(put.method(), http::Method::PUT);
    assert_eq!(put.uri().path(), base_path);
    assert_eq!(
        aml_model::request::render(&put, "https://management.azure.com/")
            .lines()
            .next()
            .unwrap(),
        format!("PUT https://management.azure.com{base_path}?api-version=2024-04-01")
    );
    let sent: serde_json::Value = serde_json::from_slice(put.body().as_bytes()).unwrap();
    assert_eq!(
        sent["properties"]["properties"]["sslConfiguration"]["key"],
        KEY
    );
    let shown = format!(
        "{} {:?}",
        aml_model::request::render(&put, "https://management.azure.com"),
        put
    );
    assert!(!shown.contains("MIIE"), "{shown}");
    assert!(shown.contains("[redacted]"));
    assert!(
        shown.contains("MIIB"),
        "the certificate is public and shown"
    );

    let id = c.id();
    assert_eq!(
        r.detach(id).uri().to_string(),
        format!("{base_path}?api-version=2024-04-01&underlyingResourceAction=Detach")
    );
    assert_eq!(
        r.delete(id, aml_model::request::UnderlyingResourceAction::Delete)
            .uri()
            .to_string(),
        format!("{base_path}?api-version=2024-04-01&underlyingResourceAction=Delete")
    );
    assert_eq!(r.list_keys(id).method(), http::Method::POST);
    assert_eq!(
        r.list_keys(id).uri().path(),
        format!("{base_path}/listKeys")
    );
    assert_eq!(
        r.list(id.workspace()).uri().path(),
        format!(
            "/subscriptions/{SUB}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ml-ws/computes"
        )
    );
    assert_eq!(
        Requests::new("2025-01-01-preview")
            .get(id)
            .uri()
            .to_string(),
        format!("{base_path}?api-version=2025-01-01-preview")
    );
}

#[test]
fn attach_body_names_the_cluster_canonically() {
    let a = AttachCompute::new(
        workspace(),
        "myaks",
        AksAttachConfiguration::builder()
            .cluster("aks-rg", "prod")
            .cluster_purpose(ClusterPurpose::DevTest),
    )
    .unwrap();
    let body = a.body();
    assert_eq!(
        body["properties"]["resourceId"],
        format!(
            "/subscriptions/{SUB}/resourceGroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/prod"
        )
    );
    assert_eq!(
        body["properties"]["properties"]["clusterPurpose"],
        "DevTest"
    );
    assert!(a.follow_up().is_none());
}
