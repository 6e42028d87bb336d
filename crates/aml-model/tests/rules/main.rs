//! One test per validation rule of the guide, each with its passing and its failing side.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

mod attach;
mod cluster;
mod cluster_plans;
mod create;
mod load_balancer;
mod names;
mod requests;
mod tls;
mod update;
mod vnet;

use aml_model::config::{AksProvisioningBuilder, AksProvisioningConfiguration, VnetSettings};
use aml_model::request::{CreateCompute, WorkspaceRef};
use aml_model::{Report, WorkspaceId};

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
