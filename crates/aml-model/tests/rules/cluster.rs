//! Creating an AKS cluster to attach (R12, R14, R15, R16, R8 on the deployment pool, R9 for
//! the subnet): each rule's passing and failing side, all problems at once, the bodies, and
//! the plan.

use aml_model::config::{
    AksAttachConfiguration, ClusterOutbound, ManagedClusterBuilder, ManagedClusterConfiguration,
    TlsSettings,
};
use aml_model::request::{CreateCluster, Requests, admit_body, admit_in_new_body};
use aml_model::wire::{ClusterPurpose, LoadBalancerSku, ManagedCluster, OutboundType};
use aml_model::{AksClusterId, Report};

use crate::{SUB, codes, workspace};

fn subnet() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aks"
    )
}

pub(crate) fn secure() -> ManagedClusterBuilder {
    ManagedClusterConfiguration::builder()
        .location("eastus")
        .system_pool("Standard_D4s_v3", 3)
        .authorized_ip_range("203.0.113.0/24")
}

pub(crate) fn attach() -> aml_model::config::AksAttachBuilder {
    AksAttachConfiguration::builder().cluster("aks-rg", "secure-aks")
}

pub(crate) fn create(cluster: ManagedClusterBuilder) -> Result<CreateCluster, Report> {
    CreateCluster::new(workspace(), "secure", cluster, attach())
        .map_err(|e| e.report().cloned().expect("a report"))
}

fn problems(cluster: ManagedClusterBuilder) -> Report {
    create(cluster).expect_err("expected validation errors")
}

fn paths(report: &Report) -> Vec<&str> {
    report.errors.iter().map(|i| i.path.as_str()).collect()
}

#[test]
fn a_secured_cluster_passes_with_its_defaults() {
    let c = create(secure()).unwrap();
    let config = c.config();
    assert_eq!(config.system_pool().name(), "system");
    assert_eq!(config.kubernetes_version(), None);
    assert_eq!(config.authorized_ip_ranges(), ["203.0.113.0/24"]);
    assert_eq!(
        config.outbound(),
        &ClusterOutbound::LoadBalancer { subnet: None }
    );
    assert_eq!(c.dns_prefix(), "secure-aks");
    assert_eq!(c.cluster().name(), "secure-aks");
    assert_eq!(config.deployment_pool().name(), "system");
}

#[test]
fn location_is_required_and_checked() {
    let r = problems(ManagedClusterConfiguration::builder().system_pool("Standard_D4s_v3", 3));
    assert_eq!(codes(&r), ["location.unknown"]);
    let r = problems(secure().location("East US"));
    assert_eq!(codes(&r), ["location.invalid"]);
}

#[test]
fn a_requested_version_is_major_minor_patch() {
    assert!(create(secure().kubernetes_version("1.30")).is_ok());
    let r = problems(secure().kubernetes_version("latest"));
    assert_eq!(codes(&r), ["cluster.version_format"]);
}

#[test]
fn dns_prefix_follows_the_aks_rule() {
    assert_eq!(
        create(secure().dns_prefix("my-api")).unwrap().dns_prefix(),
        "my-api"
    );
    let r = problems(secure().dns_prefix("-bad_prefix"));
    assert_eq!(codes(&r), ["cluster.dns_prefix"]);
}

#[test]
fn pool_names_are_short_lower_case_and_distinct() {
    let mut b = secure().accelerator_pool("Standard_NC6s_v3", 3);
    b.system_pool.name = Some("System_Pool".into());
    let r = problems(b);
    assert_eq!(codes(&r), ["cluster.pool_name"]);
    let mut b = secure().accelerator_pool("Standard_NC6s_v3", 3);
    if let Some(p) = b.accelerator_pool.as_mut() {
        p.name = Some("system".into());
    }
    let r = problems(b);
    assert_eq!(paths(&r), ["cluster.accelerator_pool.name"]);
}

#[test]
fn r12_the_accelerator_pool_needs_a_gpu_or_fpga_size_and_is_where_aml_deploys() {
    let c = create(secure().accelerator_pool("Standard_NC6s_v3", 3)).unwrap();
    assert_eq!(c.config().deployment_pool().name(), "gpu");
    let body = c.body();
    let pools = body["properties"]["agentPoolProfiles"].as_array().unwrap();
    assert_eq!(pools.len(), 2);
    assert_eq!(pools[1]["mode"], "User");
    assert_eq!(pools[1]["vmSize"], "Standard_NC6s_v3");
    for size in ["Standard_D4s_v3", "Standard_Imaginary_v9"] {
        let r = problems(secure().accelerator_pool(size, 3));
        assert_eq!(codes(&r), ["cluster.accelerator_vm_size"], "{size}");
    }
    let mut b = secure();
    b.accelerator_pool = Some(aml_model::config::NodePoolSettings::default());
    assert_eq!(codes(&problems(b)), ["vm_size.empty"]);
}

#[test]
fn r8_production_needs_its_capacity_in_the_pool_aml_deploys_to() {
    // 3 x 4 vCPUs in the system pool: enough when it is the deployment pool.
    assert!(create(secure()).is_ok());
    // With an accelerator pool of 1 x 6 vCPUs, the big system pool does not count.
    let r = problems(secure().accelerator_pool("Standard_NC6s_v3", 1));
    assert_eq!(
        codes(&r),
        ["purpose.production_nodes", "purpose.production_vcpus"]
    );
    assert_eq!(paths(&r)[0], "cluster.accelerator_pool.count");
    assert!(r.errors[1].message.contains("pool gpu"), "{r}");
    // Dev-test is not held to it.
    let ok = CreateCluster::new(
        workspace(),
        "secure",
        secure().accelerator_pool("Standard_NC6s_v3", 1),
        attach().cluster_purpose(ClusterPurpose::DevTest),
    );
    assert!(ok.is_ok());
    // A pool of no nodes is refused.
    let r = problems(secure().system_pool("Standard_D4s_v3", 0));
    assert!(r.has_error("nodes.count"), "{r}");
}

#[test]
fn r15_basic_load_balancers_are_refused_and_ranges_need_standard() {
    let r = problems(secure().load_balancer_sku(LoadBalancerSku::Basic));
    assert_eq!(
        codes(&r),
        [
            "cluster.load_balancer_sku",
            "cluster.ranges_need_standard_lb"
        ]
    );
    let r = problems(
        ManagedClusterConfiguration::builder()
            .location("eastus")
            .load_balancer_sku(LoadBalancerSku::Basic),
    );
    assert_eq!(codes(&r), ["cluster.load_balancer_sku"]);
    assert!(create(secure().load_balancer_sku(LoadBalancerSku::Standard)).is_ok());
}

#[test]
fn r15_private_clusters_and_authorized_ranges_are_exclusive() {
    let r = problems(secure().private_cluster(true));
    assert_eq!(codes(&r), ["cluster.private_and_ranges"]);
    let mut private = secure().private_cluster(true);
    private.authorized_ip_ranges.clear();
    let c = create(private).unwrap();
    assert_eq!(
        c.body()["properties"]["apiServerAccessProfile"]["enablePrivateCluster"],
        true
    );
}

#[test]
fn each_bad_authorized_range_is_reported_at_its_index() {
    let r = problems(
        secure()
            .authorized_ip_range("10.0.0.300/24")
            .authorized_ip_range("52.1.2.3")
            .authorized_ip_range("2001:db8::/32"),
    );
    assert_eq!(
        paths(&r),
        [
            "cluster.authorized_ip_ranges[1]",
            "cluster.authorized_ip_ranges[3]"
        ]
    );
    assert!(r.errors[1].message.contains("IPv4 only"), "{r}");
    let c = create(secure().authorized_ip_range("52.1.2.3")).unwrap();
    assert_eq!(
        c.config().authorized_ip_ranges(),
        ["203.0.113.0/24", "52.1.2.3/32"]
    );
}

/// `secure()` with `more` ranges added: `1 + more` in all.
fn ranges(more: usize) -> ManagedClusterBuilder {
    (0..more).fold(secure(), |b, i| {
        b.authorized_ip_range(format!("10.{}.{}.0/24", i / 256, i % 256))
    })
}

#[test]
fn a_cluster_has_at_most_200_authorized_ranges_reported_with_the_other_problems() {
    let c = create(ranges(199)).unwrap();
    assert_eq!(c.config().authorized_ip_ranges().len(), 200);
    let r = problems(ranges(200).authorized_ip_range("nope").dns_prefix("-bad"));
    assert!(r.has_error("cluster.authorized_ranges_count"), "{r}");
    let issue = r
        .errors
        .iter()
        .find(|i| i.code == "cluster.authorized_ranges_count")
        .unwrap();
    assert_eq!(issue.path, "cluster.authorized_ip_ranges");
    assert!(
        issue
            .message
            .contains("202 authorized IP ranges, over AKS's limit of 200"),
        "{issue:?}"
    );
    // Every problem at once: the bad range and the DNS prefix too.
    assert!(r.has_error("cluster.authorized_range"), "{r}");
    assert!(r.has_error("cluster.dns_prefix"), "{r}");
    let r = problems(ranges(200));
    assert_eq!(codes(&r), ["cluster.authorized_ranges_count"]);
    assert_eq!(paths(&r), ["cluster.authorized_ip_ranges"]);
}

#[test]
fn r16_outbound_is_load_balancer_or_udr_with_a_subnet() {
    let r = problems(secure().outbound_type(OutboundType::UserDefinedRouting));
    assert_eq!(codes(&r), ["cluster.outbound_udr_subnet"]);
    let c = create(
        secure()
            .outbound_type(OutboundType::UserDefinedRouting)
            .subnet_id(subnet()),
    )
    .unwrap();
    let body = c.body();
    assert_eq!(
        body["properties"]["networkProfile"]["outboundType"],
        "userDefinedRouting"
    );
    assert_eq!(
        body["properties"]["agentPoolProfiles"][0]["vnetSubnetID"],
        subnet()
    );
    let r = problems(secure().outbound_type(OutboundType::ManagedNatGateway));
    assert_eq!(codes(&r), ["cluster.outbound_type"]);
}

#[test]
fn r9_the_subnet_is_a_subnet_in_the_workspace_subscription() {
    let r = problems(secure().subnet_id("/subscriptions/x/resourceGroups/rg"));
    assert_eq!(codes(&r), ["cluster.subnet"]);
    let other = subnet().replace(SUB, "11111111-1111-1111-1111-111111111111");
    let r = problems(secure().subnet_id(other));
    assert_eq!(codes(&r), ["cluster.subnet"]);
    assert!(
        r.errors[0].message.contains("workspace's subscription"),
        "{r}"
    );
}

#[test]
fn identity_is_system_assigned_or_a_user_assigned_identity_id() {
    let body = create(secure()).unwrap().body();
    assert_eq!(body["identity"]["type"], "SystemAssigned");
    let id = format!(
        "/subscriptions/{SUB}/resourceGroups/id-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aks-id"
    );
    let body = create(secure().user_assigned_identity(&id)).unwrap().body();
    assert_eq!(body["identity"]["type"], "UserAssigned");
    assert!(body["identity"]["userAssignedIdentities"][&id].is_object());
    let r = problems(secure().user_assigned_identity(subnet()));
    assert_eq!(codes(&r), ["cluster.identity"]);
}

#[test]
fn tags_fit_azure_limits() {
    assert!(create(secure().tag("team", "ml")).is_ok());
    let r = problems(secure().tag("a/b", "x").tag("long", "v".repeat(257)));
    assert_eq!(codes(&r), ["cluster.tags", "cluster.tags"]);
}

#[test]
fn every_problem_of_cluster_and_attach_is_reported_at_once() {
    let r = CreateCluster::new(
        workspace(),
        "1bad",
        ManagedClusterConfiguration::builder()
            .kubernetes_version("x")
            .load_balancer_sku(LoadBalancerSku::Basic)
            .private_cluster(true)
            .authorized_ip_range("nope")
            .outbound_type(OutboundType::UserDefinedRouting),
        AksAttachConfiguration::builder()
            .cluster("aks-rg", "secure-aks")
            .enable_ssl(TlsSettings::microsoft("contoso", false))
            .load_balancer(aml_model::config::LoadBalancerSettings::internal("aks")),
    )
    .unwrap_err();
    let r = r.report().unwrap();
    for code in [
        "name.start",
        "tls.internal_load_balancer",
        "location.unknown",
        "cluster.version_format",
        "cluster.load_balancer_sku",
        "cluster.authorized_range",
        "cluster.ranges_need_standard_lb",
        "cluster.private_and_ranges",
        "cluster.outbound_udr_subnet",
    ] {
        assert!(r.has_error(code), "{code} missing from {r}");
    }
}

#[test]
fn the_put_body_sends_what_was_configured() {
    let c = create(
        secure()
            .kubernetes_version("1.30")
            .accelerator_pool("Standard_NC6s_v3", 3)
            .tag("team", "ml"),
    )
    .unwrap();
    let put = Requests::default().put_cluster(&c);
    assert_eq!(put.method(), "PUT");
    assert_eq!(
        put.uri().to_string(),
        format!(
            "/subscriptions/{SUB}/resourceGroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/secure-aks?api-version=2024-09-01"
        )
    );
    let body: serde_json::Value = serde_json::from_slice(put.body()).unwrap();
    assert_eq!(body["location"], "eastus");
    assert_eq!(body["tags"]["team"], "ml");
    let p = &body["properties"];
    assert_eq!(p["kubernetesVersion"], "1.30");
    assert_eq!(p["dnsPrefix"], "secure-aks");
    assert_eq!(p["networkProfile"]["loadBalancerSku"], "standard");
    assert_eq!(
        p["apiServerAccessProfile"]["authorizedIPRanges"],
        serde_json::json!(["203.0.113.0/24"])
    );
    // The body is a managed cluster the wire model reads.
    let cluster: ManagedCluster = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(
        cluster
            .properties
            .unwrap()
            .agent_pool_profiles
            .unwrap()
            .len(),
        2
    );
    // Without a version the PUT names none: AKS uses the region's default.
    let plain = create(secure()).unwrap().body();
    assert!(plain["properties"].get("kubernetesVersion").is_none());
}

#[test]
fn other_cluster_requests() {
    let r = Requests::default();
    let id: AksClusterId = format!(
        "/subscriptions/{SUB}/resourceGroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/c"
    )
    .parse()
    .unwrap();
    let del = r.delete_cluster(&id);
    assert_eq!(del.method(), "DELETE");
    assert!(
        del.uri()
            .to_string()
            .ends_with("/managedClusters/c?api-version=2024-09-01")
    );
    assert_eq!(
        r.service_tags(SUB, "eastus").uri().to_string(),
        format!(
            "/subscriptions/{SUB}/providers/Microsoft.Network/locations/eastus/serviceTags?api-version=2024-05-01"
        )
    );
    assert_eq!(
        r.locations(SUB).uri().to_string(),
        format!("/subscriptions/{SUB}/locations?api-version=2022-12-01")
    );
    let target = r.put_managed_cluster(&id, None);
    assert!(target.body().is_empty());
}

#[test]
fn admitting_the_control_plane_extends_the_ranges_and_keeps_the_rest() {
    let cluster: ManagedCluster = serde_json::from_value(serde_json::json!({
        "location": "eastus",
        "sku": {"name": "Base"},
        "properties": {
            "provisioningState": "Succeeded",
            "apiServerAccessProfile": {"authorizedIPRanges": ["203.0.113.0/24"]},
            "futureField": 1
        }
    }))
    .unwrap();
    let missing = vec!["20.1.0.0/28".to_owned()];
    let body = serde_json::to_value(admit_body(&cluster, &missing).unwrap()).unwrap();
    assert_eq!(
        body["properties"]["apiServerAccessProfile"]["authorizedIPRanges"],
        serde_json::json!(["203.0.113.0/24", "20.1.0.0/28"])
    );
    assert_eq!(body["sku"]["name"], "Base");
    assert_eq!(body["properties"]["futureField"], 1);
    assert!(body["properties"].get("provisioningState").is_none());
    let new = admit_in_new_body(create(secure()).unwrap().body(), &missing).unwrap();
    assert_eq!(
        new["properties"]["apiServerAccessProfile"]["authorizedIPRanges"],
        serde_json::json!(["203.0.113.0/24", "20.1.0.0/28"])
    );
}

#[test]
fn admitting_the_control_plane_past_200_ranges_builds_no_body() {
    let missing = vec!["20.1.0.0/28".to_owned(), "20.2.0.0/28".to_owned()];
    // 198 + 2 = 200 fit; 199 + 2 do not, in a new cluster's body and in a cluster as read.
    let fits = admit_in_new_body(create(ranges(197)).unwrap().body(), &missing).unwrap();
    assert_eq!(
        fits["properties"]["apiServerAccessProfile"]["authorizedIPRanges"]
            .as_array()
            .unwrap()
            .len(),
        200
    );
    let too_many = aml_model::control_plane::TooManyRanges {
        ranges: 199,
        adding: 2,
        limit: 200,
    };
    let body = create(ranges(198)).unwrap().body();
    assert_eq!(
        admit_in_new_body(body.clone(), &missing).unwrap_err(),
        too_many
    );
    let cluster: ManagedCluster = serde_json::from_value(serde_json::json!({
        "location": "eastus",
        "properties": {"apiServerAccessProfile": {
            "authorizedIPRanges": body["properties"]["apiServerAccessProfile"]["authorizedIPRanges"]
        }}
    }))
    .unwrap();
    assert_eq!(admit_body(&cluster, &missing).unwrap_err(), too_many);
    let e = admit_body(&cluster, &missing).unwrap_err();
    assert!(
        e.to_string().ends_with("[cluster.authorized_ranges_count]"),
        "{e}"
    );
}

#[test]
fn the_production_minimum_is_reported_with_the_configurations_other_problems() {
    // The deployment pool is too small for production, and the cluster breaks other rules:
    // all are reported in one report, R8 included.
    let report = problems(
        secure()
            .accelerator_pool("Standard_NC6s_v3", 1)
            .load_balancer_sku(LoadBalancerSku::Basic)
            .private_cluster(true),
    );
    let codes = codes(&report);
    for code in [
        "purpose.production_nodes",
        "purpose.production_vcpus",
        "cluster.load_balancer_sku",
        "cluster.private_and_ranges",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    assert!(
        paths(&report).contains(&"cluster.accelerator_pool.count"),
        "{report:?}"
    );
    // The system pool's defaults (3 x Standard_D3_v2 = 12 vCPUs) meet the minimum.
    let defaults = ManagedClusterConfiguration::builder().location("eastus");
    assert!(create(defaults).is_ok());
}
