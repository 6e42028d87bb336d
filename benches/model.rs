//! aml-model benchmarks: validating a full create configuration, and parsing + serializing the
//! ARM compute list example.
//!
//! ```text
//! cargo bench -p aml-benches --bench model
//! ```
//!
//! Target: a full create validation (name, workspace, node count x vCPUs, vnet CIDRs and DNS IP,
//! load balancer, Microsoft TLS label) under 1 microsecond median. For scale, the Python SDK v1
//! takes about 1.1 us per configuration while checking only that fields are present. The same
//! run measures the cost of building the inputs alone, as the baseline the validation adds to.

#![allow(clippy::expect_used)] // benches may panic on broken fixtures

use std::hint::black_box;
use std::path::Path;

use aml_model::WorkspaceId;
use aml_model::config::{
    AksProvisioningBuilder, AksProvisioningConfiguration, LoadBalancerSettings, TlsSettings,
    VnetSettings,
};
use aml_model::request::{CreateCompute, WorkspaceRef};
use aml_model::wire::ClusterPurpose;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

fn builder() -> AksProvisioningBuilder {
    AksProvisioningConfiguration::builder()
        .agent_count(3)
        .vm_size("Standard_D3_v2")
        .location("eastus")
        .cluster_purpose(ClusterPurpose::FastProd)
        .vnet(VnetSettings {
            resource_group: Some("net-rg".into()),
            vnet_name: Some("ml-vnet".into()),
            subnet_name: Some("aks-subnet".into()),
            service_cidr: Some("10.0.0.0/16".into()),
            dns_service_ip: Some("10.0.0.10".into()),
            docker_bridge_cidr: Some("172.17.0.1/16".into()),
        })
        .load_balancer(LoadBalancerSettings::public())
        .enable_ssl(TlsSettings::microsoft("contoso", true))
}

fn validation(c: &mut Criterion) {
    let workspace = WorkspaceRef::new(
        WorkspaceId::new(
            "00000000-0000-0000-0000-000000000000",
            "ml-rg",
            "ml-workspace",
        )
        .expect("valid workspace id"),
        Some("eastus".into()),
    );
    let mut group = c.benchmark_group("validate");
    group.bench_function("baseline: build inputs only", |b| {
        b.iter_batched(builder, black_box, BatchSize::SmallInput);
    });
    group.bench_function("full create validation", |b| {
        b.iter_batched(
            || (workspace.clone(), builder()),
            |(ws, cfg)| black_box(CreateCompute::new(ws, black_box("prod-aks"), cfg)),
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

fn list_example() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../spec/azure-rest-api-specs/specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2024-04-01/examples/Compute/list.json",
    );
    let example: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read list.json"))
            .expect("list.json is JSON");
    serde_json::to_string(&example["responses"]["200"]["body"]).expect("serialize body")
}

fn wire(c: &mut Criterion) {
    let body = list_example();
    let mut group = c.benchmark_group("wire");
    group.bench_function("baseline: serde_json::Value parse + serialize", |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_str(black_box(&body)).expect("parse");
            black_box(serde_json::to_string(&v).expect("serialize"))
        });
    });
    group.bench_function("typed list parse + serialize", |b| {
        b.iter(|| {
            let v: aml_model::wire::PaginatedComputeResourcesList =
                serde_json::from_str(black_box(&body)).expect("parse");
            black_box(serde_json::to_string(&v).expect("serialize"))
        });
    });
    group.finish();
}

criterion_group!(benches, validation, wire);
criterion_main!(benches);
