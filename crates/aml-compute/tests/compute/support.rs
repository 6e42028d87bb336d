//! The emulator, the client and the workspace every test starts from, and the configurations
//! the tests share.

use std::time::Duration;

use aml_arm::{
    ArmClient, ArmClientOptions, Cloud, PollOptions, RetryOptions, StaticTokenCredential,
};
use aml_compute::config::{
    AksAttachBuilder, AksAttachConfiguration, AksProvisioningBuilder, AksProvisioningConfiguration,
};
use aml_compute::{
    AksCompute, AttachOptions, Completion, ComputeOperation, ComputeTarget, Error, Workspace,
};
use aml_emulator::{Emulator, STANDARD_CLUSTER_RESOURCE_GROUP, STANDARD_SUBSCRIPTION};
use aml_model::AksClusterId;
use aml_model::wire::ClusterPurpose;

pub(crate) const TOKEN: &str = "emulator-test-token-4c1f";

/// An emulator whose operations take `duration`.
pub(crate) async fn emulator_taking(duration: Duration) -> Emulator {
    Emulator::builder()
        .operation_duration(duration)
        .retry_after(Duration::from_millis(10))
        .start()
        .await
        .unwrap()
}

pub(crate) fn arm(emu: &Emulator) -> ArmClient {
    arm_with(emu, RetryOptions::none())
}

pub(crate) fn arm_with(emu: &Emulator, retry: RetryOptions) -> ArmClient {
    ArmClient::new(
        StaticTokenCredential::new(TOKEN),
        ArmClientOptions {
            cloud: Cloud::custom(emu.base_url(), "https://management.azure.com/.default").unwrap(),
            poll: PollOptions {
                interval: Duration::from_millis(10),
                max_interval: Duration::from_millis(50),
                timeout: None,
            },
            retry,
            ..ArmClientOptions::default()
        },
    )
    .unwrap()
}

/// The emulator's workspace, through a client that does not retry.
pub(crate) fn workspace(emu: &Emulator) -> Workspace {
    Workspace::new(arm(emu), emu.workspace_id().unwrap())
}

pub(crate) async fn setup() -> (Emulator, Workspace) {
    let emu = emulator_taking(Duration::from_millis(60)).await;
    let ws = workspace(&emu);
    (emu, ws)
}

pub(crate) fn cluster(name: &str) -> String {
    format!(
        "/subscriptions/{STANDARD_SUBSCRIPTION}/resourcegroups/{STANDARD_CLUSTER_RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters/{name}"
    )
}

pub(crate) fn cluster_id(name: &str) -> AksClusterId {
    cluster(name).parse().unwrap()
}

pub(crate) fn devtest() -> AksProvisioningBuilder {
    AksProvisioningConfiguration::builder()
        .agent_count(2)
        .vm_size("Standard_D2_v3")
        .cluster_purpose(ClusterPurpose::DevTest)
}

pub(crate) fn attach_prod() -> AksAttachBuilder {
    AksAttachConfiguration::builder().resource_id(cluster("aks-prod"))
}

pub(crate) async fn wait(op: ComputeOperation) -> Completion {
    op.await.unwrap()
}

pub(crate) fn aks(c: Completion) -> AksCompute {
    c.compute()
        .and_then(ComputeTarget::into_aks)
        .expect("an AKS compute")
}

/// Creates `name` with [`devtest`] and waits for it.
pub(crate) async fn create_devtest(ws: &Workspace, name: &str) -> Completion {
    wait(ws.begin_create(name, devtest()).await.unwrap()).await
}

/// Attaches `aks-prod` as `name` with the default options and waits for it.
pub(crate) async fn attach_prod_as(ws: &Workspace, name: &str) -> Completion {
    wait(
        ws.begin_attach(name, attach_prod(), AttachOptions::default())
            .await
            .unwrap(),
    )
    .await
}

/// R18: TLS and an internal load balancer together are refused before anything is written.
pub(crate) fn assert_refused_tls_with_ilb(err: &Error) {
    assert!(
        matches!(err, Error::Refused { .. })
            && err.rule() == Some(aml_model::Rule::TlsInternalLoadBalancer)
            && err.to_string().ends_with("[tls.internal_load_balancer]"),
        "{err}"
    );
}

/// `METHOD /path?query` of every write the emulator received (PUT, PATCH, DELETE, and POST
/// other than `listKeys`, which only reads), since its log was last cleared.
pub(crate) fn received_writes(emu: &Emulator) -> Vec<String> {
    emu.requests()
        .entries()
        .into_iter()
        .filter(|r| matches!(r.method.as_str(), "PUT" | "PATCH" | "DELETE" | "POST"))
        .filter(|r| !r.path.ends_with("/listKeys"))
        .map(|r| match &r.query {
            Some(q) => format!("{} {}?{q}", r.method, r.path),
            None => format!("{} {}", r.method, r.path),
        })
        .collect()
}

/// Fails the next `times` PUTs of compute `name` with a 500 (the client does not retry).
pub(crate) fn fail_puts(emu: &Emulator, name: &str, times: u32) {
    use aml_emulator::{Fault, FaultRule};
    emu.faults().inject(
        FaultRule::new(Fault::status(500))
            .method("PUT")
            .path_contains(format!("/computes/{name}"))
            .times(times),
    );
}

/// A self-signed certificate and its key for `cname`, made now: each call makes another pair.
pub(crate) fn cert_pair(cname: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![cname.to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

/// Narrows the authorized ranges of cluster `name` to the office's `203.0.113.0/24` alone (a
/// managed cluster's `PUT` behind the workspace's back, as `az aks update` would), so that
/// they no longer admit the Azure ML control plane.
pub(crate) async fn narrow_ranges(ws: &Workspace, name: &str) {
    let id = cluster_id(name);
    let mut live = ws.managed_cluster(&id).await.unwrap();
    let props = live.properties.as_mut().unwrap();
    props.provisioning_state = None;
    props
        .api_server_access_profile
        .as_mut()
        .unwrap()
        .authorized_ip_ranges = Some(vec!["203.0.113.0/24".to_owned()]);
    let body = serde_json::to_value(&live).unwrap();
    ws.arm()
        .begin(ws.requests().put_managed_cluster(&id, Some(&body)))
        .await
        .unwrap()
        .await
        .unwrap();
}

/// Each difference of a convergence as (field, remedy).
pub(crate) fn remedies(
    differences: &[aml_compute::Difference],
) -> Vec<(&str, aml_compute::Remedy)> {
    differences.iter().map(|d| (d.field, d.remedy)).collect()
}

/// Makes the emulator's next long-running operation end `Failed`, as an attach whose Azure ML
/// components cannot be installed.
pub(crate) fn fail_next_operation(emu: &Emulator) {
    emu.faults()
        .fail_next_operation(aml_model::wire::ErrorDetail {
            code: Some("InternalServerError".into()),
            message: Some("the Azure ML components could not be installed".into()),
            ..aml_model::wire::ErrorDetail::default()
        });
}
