//! Every operation and refusal of aml-compute against the local emulator, over real HTTP on
//! 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support

use std::time::Duration;

use aml_arm::{
    ArmClient, ArmClientOptions, Cloud, PollOptions, RetryOptions, StaticTokenCredential,
};
use aml_compute::config::{
    AksAttachConfiguration, AksProvisioningConfiguration, AksUpdateConfiguration,
    LoadBalancerSettings, TlsSettings,
};
use aml_compute::{
    AttachOptions, Completion, ComputeTarget, Desired, Ensured, Error, OperationKind, Workspace,
};
use aml_emulator::{Emulator, OperationOutcome};
use aml_emulator::{OTHER_SUBSCRIPTION, STANDARD_CLUSTER_RESOURCE_GROUP, STANDARD_SUBSCRIPTION};
use aml_model::wire::ClusterPurpose;
use aml_model::wire::ErrorDetail;
use aml_model::{AksClusterId, PrivateKeyPem};
use futures::TryStreamExt;

const TOKEN: &str = "emulator-test-token-4c1f";

async fn emulator() -> Emulator {
    Emulator::builder()
        .operation_duration(Duration::from_millis(60))
        .retry_after(Duration::from_millis(10))
        .start()
        .await
        .unwrap()
}

fn arm(emu: &Emulator) -> ArmClient {
    arm_with(emu, RetryOptions::none())
}

fn arm_with(emu: &Emulator, retry: RetryOptions) -> ArmClient {
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

async fn setup() -> (Emulator, Workspace) {
    let emu = emulator().await;
    let ws = Workspace::new(arm(&emu), emu.workspace_id().unwrap());
    (emu, ws)
}

fn cluster(name: &str) -> String {
    format!(
        "/subscriptions/{STANDARD_SUBSCRIPTION}/resourcegroups/{STANDARD_CLUSTER_RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters/{name}"
    )
}

fn cluster_id(name: &str) -> AksClusterId {
    cluster(name).parse().unwrap()
}

fn devtest() -> aml_compute::config::AksProvisioningBuilder {
    AksProvisioningConfiguration::builder()
        .agent_count(2)
        .vm_size("Standard_D2_v3")
        .cluster_purpose(ClusterPurpose::DevTest)
}

fn attach_prod() -> aml_compute::config::AksAttachBuilder {
    AksAttachConfiguration::builder().resource_id(cluster("aks-prod"))
}

async fn wait(op: aml_compute::ComputeOperation) -> Completion {
    op.await.unwrap()
}

fn aks(c: Completion) -> aml_compute::AksCompute {
    c.compute()
        .and_then(ComputeTarget::into_aks)
        .expect("an AKS compute")
}

#[tokio::test]
async fn create_get_list_detach() {
    let (emu, ws) = setup().await;
    let op = ws
        .begin_create(
            "dev-aks",
            devtest().enable_ssl(TlsSettings::microsoft("contoso", false)),
        )
        .await
        .unwrap();
    assert_eq!(op.kind(), OperationKind::Create);
    let created = aks(wait(op).await);
    assert_eq!(created.provisioning_state().unwrap().as_str(), "Succeeded");
    assert_eq!(created.agent_count(), Some(2));
    assert_eq!(created.ssl_status().unwrap().as_str(), "Auto");
    assert!(!created.is_attached());

    let listed: Vec<ComputeTarget> = ws.list().try_collect().await.unwrap();
    assert!(listed.iter().any(|c| c.name() == "dev-aks"));
    let got = ws.get_aks("dev-aks").await.unwrap();
    assert_eq!(got.name(), "dev-aks");
    let cluster = got.cluster_id().expect("the created cluster's id");

    // Detach keeps the cluster, and waiting does not fail because the compute is gone.
    let done = wait(ws.begin_detach("dev-aks").await.unwrap()).await;
    assert_eq!(done, Completion::Removed);
    assert!(matches!(
        ws.get("dev-aks").await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        emu.cluster(&cluster).is_some(),
        "detach must never delete the cluster"
    );
}

#[tokio::test]
async fn invalid_configuration_sends_nothing_and_lists_every_problem() {
    let (emu, ws) = setup().await;
    let bad = AksProvisioningConfiguration::builder()
        .agent_count(2)
        .vm_size("Standard_D2_v2")
        .load_balancer(LoadBalancerSettings::internal("aks-subnet"))
        .enable_ssl(TlsSettings::microsoft("Contoso", false));
    let err = ws.begin_create("1-bad", bad).await.unwrap_err();
    let report = err.report().expect("a validation report");
    for code in [
        "name.start",
        "purpose.production_nodes",
        "purpose.production_vcpus",
        "tls.leaf_domain_label",
        "tls.internal_load_balancer",
    ] {
        assert!(report.has_error(code), "{code} missing from {report}");
    }
    assert!(err.is_client_side());
    assert_eq!(
        emu.requests().len(),
        0,
        "nothing may be sent from an invalid configuration"
    );
}

#[tokio::test]
async fn creating_an_existing_name_is_refused_before_any_write() {
    let (emu, ws) = setup().await;
    wait(ws.begin_create("dup-aks", devtest()).await.unwrap()).await;
    let err = ws.begin_create("dup-aks", devtest()).await.unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    assert_eq!(emu.requests().count("PUT", "/computes/dup-aks"), 1);
}

#[tokio::test]
async fn attach_checks_the_live_cluster() {
    let (emu, ws) = setup().await;
    // R14: an unsupported version fails with the supported list.
    let err = ws
        .begin_attach(
            "old",
            AksAttachConfiguration::builder().resource_id(cluster("aks-old")),
            AttachOptions::default(),
        )
        .await
        .unwrap_err();
    match &err {
        Error::UnsupportedKubernetesVersion {
            version, supported, ..
        } => {
            assert_eq!(version, "1.25.11");
            assert!(!supported.is_empty());
        }
        other => panic!("expected UnsupportedKubernetesVersion, got {other}"),
    }
    // R8: 1 x DS2_v2 cannot serve production, but can serve dev-test.
    let err = ws
        .begin_attach(
            "dev",
            AksAttachConfiguration::builder().cluster(STANDARD_CLUSTER_RESOURCE_GROUP, "aks-dev"),
            AttachOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        err.report().unwrap().has_error("purpose.production_vcpus"),
        "{err}"
    );
    let dev = ws
        .begin_attach(
            "dev",
            AksAttachConfiguration::builder()
                .cluster(STANDARD_CLUSTER_RESOURCE_GROUP, "aks-dev")
                .cluster_purpose(ClusterPurpose::DevTest),
            AttachOptions::default(),
        )
        .await
        .unwrap();
    assert!(aks(wait(dev).await).is_attached());
    // A missing cluster.
    let err = ws
        .begin_attach(
            "ghost",
            AksAttachConfiguration::builder().resource_id(cluster("aks-ghost")),
            AttachOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ClusterNotFound { .. }), "{err}");
    // R15: authorized ranges on a basic load balancer is a warning, not a refusal.
    let op = ws
        .begin_attach(
            "authorized",
            AksAttachConfiguration::builder().resource_id(cluster("aks-authorized")),
            AttachOptions::default(),
        )
        .await
        .unwrap();
    assert!(
        op.warnings()
            .iter()
            .any(|w| w.code == "cluster.authorized_ranges_basic_lb"),
        "{:?}",
        op.warnings()
    );
    wait(op).await;
    assert_eq!(emu.requests().count("PUT", "/computes/old"), 0);
    assert_eq!(emu.requests().count("PUT", "/computes/ghost"), 0);
}

#[tokio::test]
async fn r9_other_subscription_is_refused_client_side() {
    let (emu, ws) = setup().await;
    let other = format!(
        "/subscriptions/{OTHER_SUBSCRIPTION}/resourceGroups/other-rg/providers/Microsoft.ContainerService/managedClusters/aks-other-sub"
    );
    let err = ws
        .begin_attach(
            "other",
            AksAttachConfiguration::builder().resource_id(other),
            AttachOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        err.report().unwrap().has_error("attach.other_subscription"),
        "{err}"
    );
    assert_eq!(emu.requests().len(), 0);
}

#[tokio::test]
async fn r10_a_second_attachment_is_refused_and_the_hazard_is_real() {
    let (emu, ws) = setup().await;
    wait(
        ws.begin_attach("first", attach_prod(), AttachOptions::default())
            .await
            .unwrap(),
    )
    .await;
    // The guard: refused, nothing written. The id is spelled differently on purpose.
    let shouting = cluster("aks-prod")
        .replace("resourcegroups", "RESOURCEGROUPS")
        .replace("aks-rg", "AKS-RG");
    let err = ws
        .begin_attach(
            "second",
            AksAttachConfiguration::builder().resource_id(shouting),
            AttachOptions::default(),
        )
        .await
        .unwrap_err();
    match &err {
        Error::AlreadyAttached { existing, .. } => assert_eq!(existing, "first"),
        other => panic!("expected AlreadyAttached, got {other}"),
    }
    assert_eq!(emu.requests().count("PUT", "/computes/second"), 0);
    // The documented opt-out shows why the guard exists: the first attachment breaks.
    let op = ws
        .begin_attach(
            "second",
            attach_prod(),
            AttachOptions::default().allow_second_attachment(true),
        )
        .await
        .unwrap();
    wait(op).await;
    let first = ws.get_aks("first").await.unwrap();
    assert!(
        first.is_failed(),
        "the emulator breaks the first attachment, as the service does"
    );
    // ensure on the broken compute says how to recover.
    let err = ws
        .ensure("first", Desired::Attach(attach_prod()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::FailedCompute { .. }), "{err}");
    assert!(err.to_string().contains("detach"), "{err}");
}

#[tokio::test]
async fn ensure_adopts_without_writing_and_reports_differences() {
    let (emu, ws) = setup().await;
    let first = ws
        .ensure("ens-aks", Desired::Create(devtest()))
        .await
        .unwrap();
    let Ensured::Started(op) = first else {
        panic!("an absent compute is created")
    };
    wait(op).await;
    let puts = emu.requests().count("PUT", "/computes/ens-aks");
    assert_eq!(puts, 1);
    let again = ws
        .ensure("ens-aks", Desired::Create(devtest()))
        .await
        .unwrap();
    assert!(matches!(again, Ensured::Adopted(_)), "{again:?}");
    assert_eq!(
        emu.requests().count("PUT", "/computes/ens-aks"),
        puts,
        "adopting must not write"
    );
    let err = ws
        .ensure(
            "ens-aks",
            Desired::Create(devtest().agent_count(3).vm_size("Standard_D4_v3")),
        )
        .await
        .unwrap_err();
    let Error::Conflict { differences, .. } = &err else {
        panic!("expected a conflict, got {err}")
    };
    let fields: Vec<_> = differences.iter().map(|d| d.field).collect();
    assert_eq!(fields, ["create.agent_count", "create.vm_size"], "{err}");
    assert_eq!(emu.requests().count("PUT", "/computes/ens-aks"), puts);
}

#[tokio::test]
async fn update_switches_load_balancer_keeps_unknown_fields_and_refuses_tls_with_ilb() {
    let (emu, ws) = setup().await;
    let op = ws
        .begin_attach(
            "upd",
            attach_prod().enable_ssl(TlsSettings::microsoft("upd", true)),
            AttachOptions::default(),
        )
        .await
        .unwrap();
    wait(op).await;
    let id = ws.id().compute("upd".parse().unwrap());
    // R18 against the current state: TLS is on, so an internal load balancer is refused.
    let err = ws
        .begin_update(
            "upd",
            AksUpdateConfiguration::builder()
                .load_balancer(LoadBalancerSettings::internal("aks-subnet")),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Refused { .. })
            && err.rule() == Some(aml_model::Rule::TlsInternalLoadBalancer)
            && err.to_string().ends_with("[tls.internal_load_balancer]"),
        "{err}"
    );
    let puts = emu.requests().count("PUT", "/computes/upd");

    let op = ws
        .begin_update(
            "upd",
            AksUpdateConfiguration::builder()
                .ssl(TlsSettings::disabled())
                .load_balancer(LoadBalancerSettings::internal("aks-subnet")),
        )
        .await
        .unwrap();
    let updated = aks(wait(op).await);
    assert!(updated.load_balancer_type().is_internal());
    assert_eq!(updated.load_balancer_subnet(), Some("aks-subnet"));
    assert!(!updated.ssl_enabled());
    assert_eq!(emu.requests().count("PUT", "/computes/upd"), puts + 1);

    // GET-modify-PUT sends back every field the service gave, not just the changed ones (the
    // model's tests cover fields unknown to this library): the plan says so, and after the
    // update the compute still names its cluster and keeps its size and FQDN.
    let plan = ws
        .plan_update(
            "upd",
            AksUpdateConfiguration::builder().load_balancer(LoadBalancerSettings::public()),
        )
        .unwrap();
    assert!(
        plan.to_string()
            .contains("the compute as read, with the changes"),
        "{plan}"
    );
    let back = aks(wait(
        ws.begin_update(
            "upd",
            AksUpdateConfiguration::builder().load_balancer(LoadBalancerSettings::public()),
        )
        .await
        .unwrap(),
    )
    .await);
    assert_eq!(back.cluster_id(), updated.cluster_id());
    assert_eq!(back.cluster_fqdn(), updated.cluster_fqdn());
    assert_eq!(back.agent_count(), Some(3));
    assert_eq!(
        *back.load_balancer_type(),
        aml_model::wire::LoadBalancerType::PublicIp
    );
    assert!(emu.compute(&id).is_some());
}

#[tokio::test]
async fn delete_is_refused_for_an_attached_cluster_and_removes_a_created_one() {
    let (emu, ws) = setup().await;
    wait(
        ws.begin_attach("att", attach_prod(), AttachOptions::default())
            .await
            .unwrap(),
    )
    .await;
    let err = ws.begin_delete("att").await.unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err}");
    assert_eq!(emu.requests().count("DELETE", "/computes/att"), 0);
    assert!(emu.cluster(&cluster_id("aks-prod")).is_some());

    let created = aks(wait(ws.begin_create("made", devtest()).await.unwrap()).await);
    let made_cluster = created.cluster_id().unwrap();
    assert!(emu.cluster(&made_cluster).is_some());
    assert_eq!(
        wait(ws.begin_delete("made").await.unwrap()).await,
        Completion::Removed
    );
    assert!(
        emu.cluster(&made_cluster).is_none(),
        "delete removes the cluster the workspace made"
    );
    // Detach of the attached one keeps aks-prod.
    wait(ws.begin_detach("att").await.unwrap()).await;
    assert!(emu.cluster(&cluster_id("aks-prod")).is_some());
}

#[tokio::test]
async fn progress_is_a_stream_of_every_step_and_poll() {
    use aml_compute::Activity;
    use futures::StreamExt;

    let (_emu, ws) = setup().await;
    let mut op = ws.begin_create("prog", devtest()).await.unwrap();
    let steps = op.plan().steps().len();
    let events: Vec<aml_compute::ProgressEvent> =
        op.progress().map(Result::unwrap).collect::<Vec<_>>().await;
    // The create's read, check and write ran before `begin_create` returned: the stream
    // reports them first, numbered as the plan numbers them, then the wait's polls, then the end.
    assert!(
        events
            .iter()
            .all(|e| e.steps == steps && e.compute == "prog")
    );
    let ran: Vec<(usize, &Activity)> = events[..3].iter().map(|e| (e.step, &e.activity)).collect();
    assert!(
        matches!(
            ran[..],
            [
                (1, Activity::Ran(_)),
                (2, Activity::Ran(_)),
                (3, Activity::Ran(_))
            ]
        ),
        "{events:?}"
    );
    let (last, rest) = events.split_last().unwrap();
    assert_eq!(last.activity, Activity::Finished);
    assert_eq!(last.to_string(), "prog: create done");
    let polls = &rest[3..];
    assert!(!polls.is_empty(), "{events:?}");
    assert!(
        polls
            .iter()
            .all(|e| e.step == 4 && matches!(e.activity, Activity::Polled { .. })),
        "{events:?}"
    );
    let Activity::Polled { status, .. } = &polls.last().unwrap().activity else {
        unreachable!()
    };
    assert_eq!(status.as_str(), "Succeeded");
    assert!(
        polls
            .last()
            .unwrap()
            .to_string()
            .starts_with("prog: create 4/4 Succeeded ("),
        "{}",
        polls.last().unwrap()
    );
    // Awaiting after the stream returns the outcome without another request.
    assert!(op.await.unwrap().compute().is_some());
}

#[tokio::test]
async fn a_failed_operation_carries_the_arm_error() {
    let (emu, ws) = setup().await;
    emu.faults().fail_next_operation(ErrorDetail {
        code: Some("QuotaExceeded".into()),
        message: Some(
            "Operation could not be completed as it results in exceeding approved cores quota"
                .into(),
        ),
        ..ErrorDetail::default()
    });
    let op = ws.begin_create("quota", devtest()).await.unwrap();
    let err = op.await.unwrap_err();
    assert_eq!(err.arm_code(), Some("QuotaExceeded"), "{err}");
    // The code is in the source chain, not repeated in the message.
    let chain = aml_model::error::chain(&err);
    assert!(!chain[0].contains("QuotaExceeded"), "{chain:?}");
    assert!(chain[1].contains("QuotaExceeded"), "{chain:?}");
    assert!(matches!(err, Error::OperationFailed { .. }));
}

#[tokio::test]
async fn a_canceled_operation_is_reported() {
    let (emu, ws) = setup().await;
    emu.faults()
        .end_next_operations(OperationOutcome::Canceled, 1);
    let err = ws
        .begin_create("cxl", devtest())
        .await
        .unwrap()
        .await
        .unwrap_err();
    match err {
        Error::OperationFailed { status, .. } => assert_eq!(status.as_str(), "Canceled"),
        other => panic!("expected OperationFailed, got {other}"),
    }
}

#[tokio::test]
async fn an_operation_resumes_in_a_new_client_without_a_second_put() {
    let (emu, ws) = setup().await;
    let op = ws.begin_create("resumed", devtest()).await.unwrap();
    let token = op.resume_token().unwrap();
    drop(op);
    let fresh = Workspace::new(arm(&emu), emu.workspace_id().unwrap());
    let op = fresh
        .resume(&token, "resumed", OperationKind::Create)
        .unwrap();
    let done = aks(wait(op).await);
    assert_eq!(done.name(), "resumed");
    assert_eq!(emu.requests().count("PUT", "/computes/resumed"), 1);
}

#[tokio::test]
async fn waiting_times_out_with_a_resume_token() {
    let emu = Emulator::builder()
        .operation_duration(Duration::from_millis(400))
        .retry_after(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let ws = Workspace::new(arm(&emu), emu.workspace_id().unwrap());
    let op = ws.begin_create("slow", devtest()).await.unwrap();
    let err = op
        .with_timeout(Duration::from_millis(50))
        .await
        .unwrap_err();
    let Error::Timeout { resume_token, .. } = err else {
        panic!("expected a timeout, got {err}")
    };
    let done = aks(wait(
        ws.resume(&resume_token, "slow", OperationKind::Create)
            .unwrap(),
    )
    .await);
    assert_eq!(done.provisioning_state().unwrap().as_str(), "Succeeded");
}

#[tokio::test]
async fn credentials_versions_and_dry_runs() {
    let (emu, ws) = setup().await;
    wait(
        ws.begin_attach("creds", attach_prod(), AttachOptions::default())
            .await
            .unwrap(),
    )
    .await;
    let secrets = ws.get_credentials("creds").await.unwrap();
    let kubeconfig = secrets
        .user_kube_config
        .as_ref()
        .map(|k| k.expose().to_owned())
        .unwrap_or_default();
    assert!(kubeconfig.contains("apiVersion"), "a kubeconfig");
    assert!(
        !format!("{secrets:?}").contains("apiVersion"),
        "kubeconfigs are redacted in Debug"
    );

    let versions = ws.kubernetes_versions("eastus").await.unwrap();
    assert!(versions.default_version().is_some(), "{versions}");
    assert!(versions.supports("1.30.4"));
    assert!(!versions.supports("1.25.11"));

    let ws = Workspace::fetch(ws.arm().clone(), ws.id().clone())
        .await
        .unwrap();
    assert_eq!(ws.location(), Some("eastus"));
    let before = emu.requests().len();
    let key = "-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n";
    let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let dry = ws.plan_attach(
        "dry",
        attach_prod().enable_ssl(TlsSettings::custom(
            cert,
            PrivateKeyPem::new(key),
            "www.contoso.com",
        )),
        AttachOptions::default(),
    );
    // The made-up certificate fails aml-tls's checks: a dry run validates like the real thing.
    assert!(dry.is_err());
    let dry = ws.plan_create("dry", devtest()).unwrap();
    let text = dry.to_string();
    assert!(text.contains("PUT http://127.0.0.1"), "{text}");
    assert!(!text.contains("SECRETKEYMATERIAL"));
    assert_eq!(emu.requests().len(), before, "a dry run sends nothing");
    let dry = ws.plan_detach("creds").unwrap().to_string();
    assert!(dry.contains("underlyingResourceAction=Detach"), "{dry}");
}

#[tokio::test]
async fn attach_with_an_internal_load_balancer_applies_it_after_attaching() {
    let (emu, ws) = setup().await;
    let op = ws
        .begin_attach(
            "ilb",
            attach_prod().load_balancer(LoadBalancerSettings::internal("aks-subnet")),
            AttachOptions::default(),
        )
        .await
        .unwrap();
    // The plan ends with the update that switches the load balancer.
    assert_eq!(op.plan().writes().count(), 2, "{}", op.plan());
    let done = aks(wait(op).await);
    assert!(done.load_balancer_type().is_internal());
    assert_eq!(
        emu.requests().count("PUT", "/computes/ilb"),
        2,
        "attach, then the update to an internal load balancer"
    );
    // Re-attaching with TLS would lose the internal load balancer or break R18: refused.
    let now = ws.get_aks("ilb").await.unwrap();
    assert!(now.load_balancer_type().is_internal(), "{now}");
    let err = ws
        .begin_reattach_with_tls("ilb", TlsSettings::microsoft("ilb", true))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Refused { .. })
            && err.rule() == Some(aml_model::Rule::TlsInternalLoadBalancer)
            && err.to_string().ends_with("[tls.internal_load_balancer]"),
        "{err}"
    );
    assert_eq!(emu.requests().count("DELETE", "/computes/ilb"), 0);
}

/// Against real Azure: set AML_LIVE_SUBSCRIPTION_ID, AML_LIVE_RESOURCE_GROUP and
/// AML_LIVE_WORKSPACE_NAME and run with `--ignored`. Read-only: lists computes and versions.
#[tokio::test]
#[ignore = "needs an Azure workspace and credentials"]
async fn live_list_and_versions() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("set {k}"));
    let chain =
        aml_arm::CredentialChain::from_environment(&aml_arm::CredentialChainOptions::default())
            .unwrap();
    let arm = ArmClient::new(chain, ArmClientOptions::default()).unwrap();
    let mut ws = Workspace::from_ids(
        arm,
        &var("AML_LIVE_SUBSCRIPTION_ID"),
        &var("AML_LIVE_RESOURCE_GROUP"),
        &var("AML_LIVE_WORKSPACE_NAME"),
    )
    .unwrap();
    ws.refresh().await.unwrap();
    let computes: Vec<ComputeTarget> = ws.list().try_collect().await.unwrap();
    println!("{} computes", computes.len());
    let location = ws.location().unwrap().to_owned();
    println!("{}", ws.kubernetes_versions(&location).await.unwrap());
}

/// A `kubectl get secret/azuremlfessl -o yaml` dump with a certificate for `cname`, generated now.
fn secret_dump(cname: &str) -> String {
    use base64::Engine as _;
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![cname.to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    format!(
        "apiVersion: v1\ndata:\n  cert.pem: {}\n  key.pem: {}\nkind: Secret\nmetadata:\n  name: azuremlfessl\n  namespace: default\ntype: Opaque\n",
        b64(cert.pem()),
        b64(key.serialize_pem())
    )
}

#[tokio::test]
async fn reattach_with_tls_recovered_from_the_secret() {
    let (emu, ws) = setup().await;
    wait(
        ws.begin_attach("reatt", attach_prod(), AttachOptions::default())
            .await
            .unwrap(),
    )
    .await;
    let dump = secret_dump("score.contoso.com");
    let tls = aml_compute::tls::settings_from_secret(
        dump.as_bytes(),
        "score.contoso.com",
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
    let settings = || {
        aml_compute::tls::settings_from_secret(
            dump.as_bytes(),
            "score.contoso.com",
            time::OffsetDateTime::now_utc(),
        )
        .unwrap()
    };
    let plan = ws
        .plan_reattach_with_tls("reatt", settings())
        .await
        .unwrap()
        .to_string();
    assert!(plan.starts_with("re-attach compute reatt"), "{plan}");
    // Every check of the new attachment comes before the detach.
    let detach_at = plan.find("DELETE").unwrap();
    assert!(
        plan.find("[cluster.kubernetes_version]").unwrap() < detach_at,
        "{plan}"
    );
    assert!(!plan.contains("PRIVATE KEY"), "{plan}");
    drop(tls);
    let op = ws
        .begin_reattach_with_tls("reatt", settings())
        .await
        .unwrap();
    let done = aks(op.await.unwrap());
    assert_eq!(done.ssl_status().unwrap().as_str(), "Enabled");
    assert_eq!(done.ssl_cname(), Some("score.contoso.com"));
    assert!(emu.cluster(&cluster_id("aks-prod")).is_some());
    assert_eq!(emu.requests().count("DELETE", "/computes/reatt"), 1);

    // A compute the workspace created is not re-attached: that would orphan its cluster.
    wait(ws.begin_create("made", devtest()).await.unwrap()).await;
    let tls = aml_compute::tls::settings_from_secret(
        dump.as_bytes(),
        "score.contoso.com",
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
    let err = ws.begin_reattach_with_tls("made", tls).await.unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err}");
    assert_eq!(emu.requests().count("DELETE", "/computes/made"), 0);
}

#[tokio::test]
async fn error_kinds_cover_auth_throttling_transport_and_the_rest() {
    use aml_compute::ErrorKind;
    use aml_emulator::{Fault, FaultRule};
    // Auth: the emulator expects another token.
    let emu = Emulator::builder()
        .token("the-right-token")
        .start()
        .await
        .unwrap();
    let ws = Workspace::new(arm(&emu), emu.workspace_id().unwrap());
    let err = ws.get("anything").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(
        !format!("{err} {err:?}").contains(TOKEN),
        "the token never appears in errors"
    );

    // Throttled: 429s beyond the (disabled) retry policy.
    let (emu, ws) = setup().await;
    emu.faults()
        .inject(FaultRule::new(Fault::throttle(Duration::from_millis(5))).times(1));
    let err = ws.get("anything").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled, "{err}");

    // NotFound, AlreadyExists, Validation.
    assert_eq!(
        ws.get("missing").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        ws.get("1x").await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    wait(ws.begin_create("kinds", devtest()).await.unwrap()).await;
    assert_eq!(
        ws.begin_create("kinds", devtest())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::AlreadyExists
    );

    // Transport: nothing listens there any more.
    let addr = emu.addr();
    emu.shutdown().await;
    let err = ws.get("anything").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err} ({addr})");
}

#[tokio::test]
async fn dry_runs_of_delete_and_reattach_send_no_write() {
    let (emu, ws) = setup().await;
    wait(
        ws.begin_attach("dryre", attach_prod(), AttachOptions::default())
            .await
            .unwrap(),
    )
    .await;
    let writes = |emu: &Emulator| {
        emu.requests().count("PUT", "/computes/") + emu.requests().count("DELETE", "/computes/")
    };
    let before = writes(&emu);
    let delete = ws.plan_delete("dryre").unwrap().to_string();
    assert!(
        delete.contains("underlyingResourceAction=Delete"),
        "{delete}"
    );
    let tls = TlsSettings::microsoft("dryre", true);
    let plan = ws.plan_reattach_with_tls("dryre", tls).await.unwrap();
    let text = plan.to_string();
    // Read and check the compute, read the cluster and its versions and check them, detach,
    // wait, attach, wait: two writes.
    assert_eq!(plan.steps().len(), 10, "{text}");
    assert_eq!(plan.writes().count(), 2, "{text}");
    assert!(text.contains("underlyingResourceAction=Detach"), "{text}");
    assert!(text.contains("\"leafDomainLabel\": \"dryre\""), "{text}");
    assert_eq!(writes(&emu), before, "dry runs write nothing");
}

#[tokio::test]
async fn concurrent_attaches_of_one_cluster_through_clones_attach_it_once() {
    let (emu, ws) = setup().await;
    let spellings = [
        cluster("aks-prod"),
        cluster("aks-prod")
            .to_uppercase()
            .replace("/SUBSCRIPTIONS/", "/subscriptions/"),
        cluster("aks-prod").replace("aks-rg", "AKS-RG"),
    ];
    let tasks: Vec<_> = spellings
        .into_iter()
        .enumerate()
        .map(|(i, id)| {
            let ws = ws.clone();
            tokio::spawn(async move {
                ws.begin_attach(
                    &format!("race-{i}"),
                    AksAttachConfiguration::builder().resource_id(id),
                    AttachOptions::default(),
                )
                .await
            })
        })
        .collect();
    let mut started = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(op) => {
                started += 1;
                wait(op).await;
            }
            Err(Error::AlreadyAttached { .. }) => {}
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!(started, 1, "exactly one attach of the cluster may be sent");
    assert_eq!(emu.requests().count("PUT", "/computes/race-"), 1);
}

#[tokio::test]
async fn unreadable_polls_end_with_a_resume_token_not_a_lost_operation() {
    use aml_emulator::{Fault, FaultRule};
    let (emu, ws) = setup().await;
    let op = ws.begin_create("polls", devtest()).await.unwrap();
    let rule = emu.faults().inject(
        FaultRule::new(Fault::MalformedJson)
            .always()
            .path_contains("computeOperationsStatus"),
    );
    let err = op.await.unwrap_err();
    let Error::WaitInterrupted {
        ref resume_token, ..
    } = err
    else {
        panic!("expected WaitInterrupted, got {err}")
    };
    assert_eq!(err.resume_token(), Some(resume_token));
    emu.faults().remove(rule);
    let done = aks(wait(
        ws.resume(resume_token, "polls", OperationKind::Create)
            .unwrap(),
    )
    .await);
    assert_eq!(done.provisioning_state().unwrap().as_str(), "Succeeded");
    assert_eq!(emu.requests().count("PUT", "/computes/polls"), 1);
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_followed_not_lost() {
    use aml_emulator::{Fault, FaultRule};
    // Long enough that the retry meets the running operation.
    let (emu, ws) = quick_retries(Duration::from_millis(300)).await;
    // The service handles the first PUT, but its answer never arrives.
    emu.faults().inject(
        FaultRule::new(Fault::ResetAfterHandling)
            .times(1)
            .method("PUT")
            .path_contains("/computes/lost"),
    );
    let op = ws.begin_create("lost", devtest()).await.unwrap();
    let done = aks(wait(op).await);
    assert_eq!(done.provisioning_state().unwrap().as_str(), "Succeeded");
    let puts = emu.requests().matching("PUT", "/computes/lost");
    let statuses: Vec<_> = puts.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [None, Some(409)],
        "the handled try, then the refused retry"
    );
}

/// A client whose retries are quick, against an emulator whose operations take `duration`.
async fn quick_retries(duration: Duration) -> (Emulator, Workspace) {
    let emu = Emulator::builder()
        .operation_duration(duration)
        .retry_after(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let arm = arm_with(
        &emu,
        RetryOptions {
            max_retries: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            ..RetryOptions::default()
        },
    );
    let ws = Workspace::new(arm, emu.workspace_id().unwrap()).with_location("eastus");
    (emu, ws)
}

/// The first try of a PUT is refused with 503 (not handled), the retry with 409 (not handled):
/// as if another operation on the compute had been running.
fn refuse_put_then_conflict(emu: &Emulator, compute: &str) {
    use aml_emulator::{Fault, FaultRule};
    let path = format!("/computes/{compute}");
    for status in [503, 409] {
        emu.faults().inject(
            FaultRule::new(Fault::Status {
                status,
                retry_after: None,
            })
            .times(1)
            .method("PUT")
            .path_contains(&path),
        );
    }
}

#[tokio::test]
async fn a_retried_update_refused_by_another_operation_is_sent_again() {
    let (emu, ws) = quick_retries(Duration::from_millis(20)).await;
    wait(ws.begin_create("again", devtest()).await.unwrap()).await;
    refuse_put_then_conflict(&emu, "again");
    let op = ws
        .begin_update(
            "again",
            AksUpdateConfiguration::builder()
                .load_balancer(LoadBalancerSettings::internal("aks-subnet")),
        )
        .await
        .unwrap();
    let updated = aks(wait(op).await);
    assert!(updated.load_balancer_type().is_internal());
    let statuses: Vec<_> = emu
        .requests()
        .matching("PUT", "/computes/again")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses[1..],
        [Some(503), Some(409), Some(201)],
        "the create, the refused tries, then the update sent again: {statuses:?}"
    );
}

#[tokio::test]
async fn a_retried_create_refused_by_another_operation_is_rejected_with_nothing_written() {
    let (emu, ws) = quick_retries(Duration::from_millis(20)).await;
    refuse_put_then_conflict(&emu, "nowrite");
    let err = ws.begin_create("nowrite", devtest()).await.unwrap_err();
    assert!(matches!(err, Error::Rejected { .. }), "{err}");
    assert!(err.is_client_side(), "nothing was written: {err}");
    assert_eq!(err.arm_code(), Some("Conflict"), "{err:?}");
    assert!(
        emu.compute(&ws.id().compute("nowrite".parse().unwrap()))
            .is_none()
    );
}
