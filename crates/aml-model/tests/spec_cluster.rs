//! The spec's `create_cluster:` section: its shape (round trips), the plan it validates into,
//! and every field's problems reported under `create_cluster.<field>`, all at once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use aml_model::Rule;
use aml_model::plan::{Change, OperationKind, Step};
use aml_model::request::Requests;
use aml_model::spec::{ComputeSpec, TlsFiles, Validated};

const WS: &str = "workspace: {subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: rg, workspace_name: ws, location: eastus}\nname: secure\n";

/// Every field of the section, valid.
const FULL: &str = "create_cluster:
  resource_group: aks-rg
  cluster_name: aks-secure
  location: eastus
  kubernetes_version: '1.30'
  dns_prefix: aks-secure
  system_pool: {vm_size: Standard_D4s_v3, count: 3}
  accelerator_pool: {vm_size: Standard_NC6s_v3, count: 3}
  load_balancer_sku: standard
  private_cluster: false
  authorized_ip_ranges: [203.0.113.0/24, 198.51.100.7]
  admit_control_plane: true
  outbound_type: loadBalancer
  subnet_id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/aks
  user_assigned_identity: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aks-id
  tags: {team: ml, env: prod}
  cluster_purpose: FastProd
tls: {leaf_domain_label: secure}
";

/// The smallest valid section: a production cluster of 3 x 4 vCPUs with an office range.
const BASE: &str = "create_cluster:
  resource_group: aks-rg
  cluster_name: aks-secure
  location: eastus
  system_pool: {vm_size: Standard_D4s_v3, count: 3}
  authorized_ip_ranges: [203.0.113.0/24]
";

fn yaml(text: &str) -> ComputeSpec {
    yaml_serde::from_str(&format!("{WS}{text}")).unwrap()
}

fn validated(text: &str) -> Validated {
    yaml(text)
        .validate(TlsFiles::default())
        .unwrap_or_else(|r| panic!("{r}"))
}

fn errors(text: &str) -> Vec<(String, &'static str)> {
    yaml(text)
        .validate(TlsFiles::default())
        .unwrap_err()
        .errors
        .into_iter()
        .map(|i| (i.path, i.code.code()))
        .collect()
}

/// `BASE` with `line` added to the section (or replacing the key it sets).
fn with(line: &str) -> String {
    let key = line.trim_start().split(':').next().unwrap();
    let kept: Vec<&str> = BASE
        .lines()
        .filter(|l| l.trim_start().split(':').next() != Some(key) || !l.starts_with("  "))
        .collect();
    format!("{}\n  {}\n", kept.join("\n"), line.trim_start())
}

#[test]
fn every_field_round_trips_through_json_and_yaml() {
    let spec = yaml(FULL);
    let section = spec.create_cluster.as_ref().unwrap();
    assert_eq!(section.accelerator_pool.as_ref().unwrap().count, Some(3));
    assert!(section.admit_control_plane);
    assert_eq!(section.tags.len(), 2);
    let json = serde_json::to_string(&spec).unwrap();
    assert_eq!(ComputeSpec::from_json(&json).unwrap(), spec);
    let text = yaml_serde::to_string(&spec).unwrap();
    assert_eq!(yaml_serde::from_str::<ComputeSpec>(&text).unwrap(), spec);
    // Defaults are not written back: the smallest section stays small.
    let small = serde_json::to_value(yaml(BASE)).unwrap();
    let keys: Vec<&String> = small["create_cluster"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        keys,
        [
            "resource_group",
            "cluster_name",
            "location",
            "system_pool",
            "authorized_ip_ranges"
        ]
    );
}

#[test]
fn unknown_keys_in_the_section_and_its_pools_are_refused_by_name() {
    for (text, key) in [
        (with("privat_cluster: true"), "privat_cluster"),
        (
            with("system_pool: {vm_size: Standard_D4s_v3, nodes: 3}"),
            "nodes",
        ),
    ] {
        let err = yaml_serde::from_str::<ComputeSpec>(&format!("{WS}{text}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{err}");
    }
    let err =
        yaml_serde::from_str::<ComputeSpec>(&format!("{WS}{}", with("admit_control_plane: maybe")))
            .unwrap_err()
            .to_string();
    assert!(err.contains("admit_control_plane"), "{err}");
}

#[test]
fn a_full_section_validates_into_the_create_cluster_plan() {
    let v = validated(FULL);
    let Validated::CreateCluster {
        op,
        admit_control_plane,
    } = &v
    else {
        panic!("{v:?}")
    };
    assert!(admit_control_plane);
    assert_eq!(op.cluster().name(), "aks-secure");
    assert_eq!(op.cluster().resource_group(), "aks-rg");
    let c = v.cluster_config().unwrap();
    assert_eq!(c.deployment_pool().vm_size(), "Standard_NC6s_v3");
    assert_eq!(
        c.authorized_ip_ranges(),
        ["203.0.113.0/24", "198.51.100.7/32"]
    );
    assert_eq!(c.tags()["team"], "ml");
    assert!(v.attach_config().is_some() && v.create_config().is_none());
    let plan = v.plan(&Requests::default());
    assert_eq!(plan.kind(), OperationKind::CreateCluster);
    assert_eq!(plan.writes().count(), 2, "{plan}");
    // With admit_control_plane, the cluster's PUT adds the missing prefixes.
    assert!(plan.steps().iter().any(|s| matches!(
        s,
        Step::Modify {
            change: Change::AdmitControlPlane,
            ..
        }
    )));
    // Without it, the PUT is sent as built (and the check refuses missing prefixes).
    let plan = validated(BASE).plan(&Requests::default());
    assert!(
        !plan
            .steps()
            .iter()
            .any(|s| matches!(s, Step::Modify { .. })),
        "{plan}"
    );
}

#[test]
fn exactly_one_of_create_attach_and_create_cluster() {
    for other in [
        "create: {}\n",
        "attach: {resource_group: g, cluster_name: c}\n",
    ] {
        let errs = errors(&format!("{other}{BASE}"));
        assert_eq!(
            errs,
            [("create_cluster".to_owned(), Rule::SpecOperation.code())]
        );
    }
    let errs = yaml("")
        .validate(TlsFiles::default())
        .unwrap_err()
        .to_string();
    assert!(errs.contains("create_cluster"), "{errs}");
}

#[test]
#[allow(clippy::too_many_lines, reason = "one case per field")]
fn each_field_is_reported_under_its_spec_path() {
    let other_sub = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/aks";
    let cases: Vec<(String, &str, Rule)> = vec![
        (
            with("resource_group: ''"),
            "create_cluster.resource_group",
            Rule::AttachIncomplete,
        ),
        (
            with("cluster_name: ''"),
            "create_cluster.cluster_name",
            Rule::AttachIncomplete,
        ),
        (
            with("cluster_name: a/b"),
            "create_cluster.cluster_name",
            Rule::AttachClusterName,
        ),
        (
            with("location: East US"),
            "create_cluster.location",
            Rule::LocationInvalid,
        ),
        (
            BASE.replace("  location: eastus\n", ""),
            "create_cluster.location",
            Rule::LocationUnknown,
        ),
        (
            with("kubernetes_version: v1.30"),
            "create_cluster.kubernetes_version",
            Rule::ClusterVersionFormat,
        ),
        (
            with("dns_prefix: -aks"),
            "create_cluster.dns_prefix",
            Rule::ClusterDnsPrefix,
        ),
        (
            with("system_pool: {vm_size: Standard_D4s_v3, count: -3}"),
            "create_cluster.system_pool.count",
            Rule::NodesCount,
        ),
        (
            with("system_pool: {vm_size: Standard_D4s_v3, count: 0}"),
            "create_cluster.system_pool.count",
            Rule::NodesCount,
        ),
        (
            with("system_pool: {vm_size: '', count: 3}"),
            "create_cluster.system_pool.vm_size",
            Rule::VmSizeEmpty,
        ),
        (
            with("system_pool: {vm_size: Standard_D2s_v3, count: 3}"),
            "create_cluster.system_pool.count",
            Rule::PurposeProductionVcpus,
        ),
        (
            with("accelerator_pool: {vm_size: Standard_D4s_v3, count: 3}"),
            "create_cluster.accelerator_pool.vm_size",
            Rule::ClusterAcceleratorVmSize,
        ),
        (
            with("accelerator_pool: {count: 3}"),
            "create_cluster.accelerator_pool.vm_size",
            Rule::VmSizeEmpty,
        ),
        (
            with("accelerator_pool: {vm_size: Standard_NC6s_v3, count: 2}"),
            "create_cluster.accelerator_pool.count",
            Rule::PurposeProductionNodes,
        ),
        (
            with("accelerator_pool: {vm_size: Standard_NC6s_v3, count: -1}"),
            "create_cluster.accelerator_pool.count",
            Rule::NodesCount,
        ),
        (
            with("load_balancer_sku: basic"),
            "create_cluster.load_balancer_sku",
            Rule::ClusterLoadBalancerSku,
        ),
        (
            with("private_cluster: true"),
            "create_cluster.authorized_ip_ranges",
            Rule::ClusterPrivateAndRanges,
        ),
        (
            with("authorized_ip_ranges: [203.0.113.0/24, 300.1.1.1]"),
            "create_cluster.authorized_ip_ranges[1]",
            Rule::ClusterAuthorizedRange,
        ),
        (
            with("authorized_ip_ranges: ['2001:db8::/32']"),
            "create_cluster.authorized_ip_ranges[0]",
            Rule::ClusterAuthorizedRange,
        ),
        (
            with("outbound_type: managedNATGateway"),
            "create_cluster.outbound_type",
            Rule::ClusterOutboundType,
        ),
        (
            with("outbound_type: userDefinedRouting"),
            "create_cluster.subnet_id",
            Rule::ClusterOutboundUdrSubnet,
        ),
        (
            with("subnet_id: aks-subnet"),
            "create_cluster.subnet_id",
            Rule::ClusterSubnet,
        ),
        (
            with(&format!("subnet_id: {other_sub}")),
            "create_cluster.subnet_id",
            Rule::ClusterSubnet,
        ),
        (
            with(
                "user_assigned_identity: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v",
            ),
            "create_cluster.user_assigned_identity",
            Rule::ClusterIdentity,
        ),
        (
            with("tags: {'a/b': x}"),
            "create_cluster.tags.a/b",
            Rule::ClusterTags,
        ),
        (
            with("cluster_purpose: Production"),
            "create_cluster.cluster_purpose",
            Rule::PurposeUnknown,
        ),
    ];
    for (text, path, rule) in cases {
        let errs = errors(&text);
        assert!(
            errs.contains(&(path.to_owned(), rule.code())),
            "expected {path} [{}] for\n{text}\ngot {errs:?}",
            rule.code()
        );
        assert!(
            errs.iter().all(|(p, _)| p.starts_with("create_cluster.")),
            "a path outside the section for\n{text}\n{errs:?}"
        );
    }
}

#[test]
fn every_problem_is_reported_at_once_with_the_spec_level_ones() {
    let text = "create_cluster:
  resource_group: aks-rg
  cluster_name: aks-secure
  location: East US
  dns_prefix: -aks
  system_pool: {vm_size: Standard_D4s_v3, count: -1}
  accelerator_pool: {vm_size: Standard_D4s_v3, count: 3}
  load_balancer_sku: basic
  authorized_ip_ranges: [300.1.1.1]
  outbound_type: userDefinedRouting
  tags: {'a<b': x}
  cluster_purpose: Production
load_balancer: {type: Internal}
";
    let paths: Vec<String> = errors(text).into_iter().map(|(p, _)| p).collect();
    for expected in [
        "create_cluster.location",
        "create_cluster.dns_prefix",
        "create_cluster.system_pool.count",
        "create_cluster.accelerator_pool.vm_size",
        "create_cluster.load_balancer_sku",
        "create_cluster.authorized_ip_ranges[0]",
        "create_cluster.subnet_id",
        "create_cluster.tags.a<b",
        "create_cluster.cluster_purpose",
        "load_balancer.type",
    ] {
        assert!(
            paths.iter().any(|p| p == expected),
            "missing {expected} in {paths:?}"
        );
    }
}

#[test]
fn tls_with_an_internal_load_balancer_is_refused_for_the_attach_too() {
    let text = format!(
        "{BASE}load_balancer: {{type: InternalLoadBalancer, subnet: aks-subnet}}\ntls: {{leaf_domain_label: secure}}\n"
    );
    let errs = errors(&text);
    assert!(
        errs.iter()
            .any(|(_, c)| *c == Rule::TlsInternalLoadBalancer.code()),
        "{errs:?}"
    );
}
