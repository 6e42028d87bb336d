//! The declarative compute spec: its exact shape, unknown keys, and paths in its own names.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use aml_model::spec::{ComputeSpec, TlsFiles, Validated};
use aml_model::{PrivateKeyPem, Report};

fn yaml(text: &str) -> ComputeSpec {
    yaml_serde::from_str(text).unwrap()
}

fn plan_err(text: &str) -> Report {
    yaml(text).validate(TlsFiles::default()).unwrap_err()
}

const WS: &str = "workspace: {subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: rg, workspace_name: ws, location: eastus}\n";

#[test]
fn the_issue_shape_parses() {
    let text = format!(
        "{WS}name: myaks
create:
  agent_count: 3
  vm_size: Standard_D3_v2
  location: eastus
  cluster_purpose: FastProd
  vnet: {{resource_group: net, vnet_name: v, subnet_name: s, service_cidr: 10.0.0.0/16,
         dns_service_ip: 10.0.0.10, docker_bridge_cidr: 172.17.0.1/16}}
load_balancer: {{type: InternalLoadBalancer, subnet: aks-subnet}}
"
    );
    let plan = yaml(&text).validate(TlsFiles::default()).unwrap();
    assert!(matches!(plan, Validated::Create(_)));
    let json = serde_json::to_value(yaml(&text)).unwrap();
    let back: ComputeSpec = serde_json::from_value(json).unwrap();
    assert_eq!(back, yaml(&text));
}

#[test]
fn unknown_keys_are_errors_naming_the_key() {
    let err =
        yaml_serde::from_str::<ComputeSpec>(&format!("{WS}name: a\ncreate: {{vm_sise: x}}\n"))
            .unwrap_err()
            .to_string();
    assert!(err.contains("vm_sise"), "{err}");
    let err = yaml_serde::from_str::<ComputeSpec>(&format!("{WS}name: a\ntsl: {{}}\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("tsl"), "{err}");
    let err = ComputeSpec::from_json(r#"{"workspace":{"subscription_id":"s","resource_group":"r","workspace_name":"w","region":"x"},"name":"a"}"#)
        .unwrap_err();
    assert!(err.to_string().ends_with("[spec.invalid]"), "{err}");
    let err = std::error::Error::source(&err).unwrap().to_string();
    assert!(err.contains("region"), "{err}");
}

#[test]
fn exactly_one_of_create_and_attach() {
    let r = plan_err(&format!("{WS}name: myaks\n"));
    assert!(r.has_error("spec.operation"));
    let r = plan_err(&format!(
        "{WS}name: myaks\ncreate: {{}}\nattach: {{cluster_name: c, resource_group: g}}\n"
    ));
    assert!(r.has_error("spec.operation"));
}

#[test]
fn paths_use_the_spec_names() {
    let r = plan_err(&format!(
        "{WS}name: myaks
create:
  cluster_purpose: Production
  agent_count: -2
  vnet: {{resource_group: net, vnet_name: v, subnet_name: s, service_cidr: 10.0.0.0/16,
         dns_service_ip: 10.9.0.10, docker_bridge_cidr: 172.17.0.1/16}}
load_balancer: {{type: Internal}}
tls: {{cname: www.contoso.com}}
"
    ));
    let paths: Vec<&str> = r.errors.iter().map(|i| i.path.as_str()).collect();
    for expected in [
        "create.cluster_purpose",
        "create.agent_count",
        "create.vnet.dns_service_ip",
        "load_balancer.type",
        "tls.cert_file",
        "tls.key_file",
    ] {
        assert!(paths.contains(&expected), "missing {expected} in {paths:?}");
    }
}

#[test]
fn attach_paths_and_subscription() {
    let r = plan_err(&format!(
        "{WS}name: myaks\nattach: {{resource_id: /subscriptions/other/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c}}\n"
    ));
    assert_eq!(r.errors.len(), 1, "{r}");
    assert_eq!(r.errors[0].path, "attach.resource_id");
    assert_eq!(r.errors[0].code, "attach.other_subscription");
}

#[test]
fn tls_files_are_read_by_the_caller() {
    let spec = yaml(&format!(
        "{WS}name: myaks\ncreate: {{}}\ntls: {{cert_file: c.pem, key_file: k.pem, cname: www.contoso.com}}\n"
    ));
    assert_eq!(spec.tls_files(), (Some("c.pem"), Some("k.pem")));
    let files = TlsFiles {
        cert_pem: Some("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".into()),
        key_pem: Some(PrivateKeyPem::new(
            "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
        )),
    };
    let plan = spec.clone().validate(files).unwrap();
    let steps = plan.plan(&aml_model::request::Requests::default());
    // Read the name, check it is free, the PUT, the wait: one write.
    assert_eq!(steps.writes().count(), 1);
    assert_eq!(steps.steps().len(), 4);
    let shown = format!("{steps} {steps:?}");
    assert!(!shown.contains("MIIE"), "{shown}");
    let r = spec.validate(TlsFiles::default()).unwrap_err();
    assert_eq!(r.errors.len(), 2, "{r}");
    assert!(r.errors.iter().all(|i| i.code == "tls.file_not_loaded"));
}
