//! Reads (credentials, Kubernetes versions, the workspace) and dry runs of create, attach and
//! detach; and the read-only check against real Azure.

use aml_arm::{ArmClient, ArmClientOptions};
use aml_compute::config::TlsSettings;
use aml_compute::{AttachOptions, ComputeTarget, Workspace};
use aml_model::PrivateKeyPem;
use futures::TryStreamExt;

use crate::support::{attach_prod, attach_prod_as, devtest, setup};

#[tokio::test]
async fn credentials_versions_and_dry_runs() {
    let (emu, ws) = setup().await;
    attach_prod_as(&ws, "creds").await;
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

/// Against real Azure: set AML_LIVE_SUBSCRIPTION_ID, AML_LIVE_RESOURCE_GROUP and
/// AML_LIVE_WORKSPACE_NAME and run with `--ignored`. Read-only: lists computes and versions.
#[tokio::test]
#[ignore = "needs an Azure workspace and credentials"]
async fn live_list_and_versions() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("set {k}"));
    let arm = ArmClient::from_environment(
        ArmClientOptions::default(),
        &aml_arm::CredentialChainOptions::default(),
    )
    .unwrap();
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
