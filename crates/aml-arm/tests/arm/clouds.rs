//! One cloud gives the credential's authority and the endpoint: a cloud without an authority
//! cannot build the credential chain, and falls back to no other cloud's.

use std::sync::atomic::{AtomicU32, Ordering};

use aml_arm::{ArmClient, ArmClientOptions, Cloud, CredentialChainOptions, CredentialKind, Error};

use crate::support::{Server, TOKEN, TestCredential, client_with, get, options};

const FIX: &str = "use `Cloud::custom_cloud(resource_manager, authority, audience)`";

fn client_secret_only() -> CredentialChainOptions {
    // Builds a credential without reaching the network or running `az`.
    CredentialChainOptions {
        kinds: vec![CredentialKind::ClientSecret],
        ..CredentialChainOptions::default()
    }
}

fn service_principal(name: &str) -> Option<String> {
    match name {
        "AZURE_TENANT_ID" => Some("00000000-0000-0000-0000-000000000001".to_owned()),
        "AZURE_CLIENT_ID" => Some("00000000-0000-0000-0000-000000000002".to_owned()),
        "AZURE_CLIENT_SECRET" => Some("s".to_owned()),
        _ => None,
    }
}

#[tokio::test]
async fn from_lookup_refuses_a_custom_endpoint_without_an_authority_and_sends_nothing() {
    let server = Server::start_ok().await;
    let reads = AtomicU32::new(0);
    let err = ArmClient::from_lookup(options(&server), &client_secret_only(), |name| {
        reads.fetch_add(1, Ordering::SeqCst);
        service_principal(name)
    })
    .unwrap_err();
    assert!(matches!(err, Error::InvalidConfig { .. }), "{err:?}");
    assert!(err.to_string().contains(FIX), "{err}");
    assert!(err.to_string().contains(&server.base()), "{err}");
    assert!(!err.may_have_been_sent());
    assert_eq!(reads.load(Ordering::SeqCst), 0, "no credential was built");

    // The process environment is never read either: the cloud is refused first.
    let err = ArmClient::from_environment(options(&server), &CredentialChainOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains(FIX), "{err}");
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn a_custom_endpoint_still_serves_a_credential_of_the_callers() {
    let server = Server::start_ok().await;
    let credential = TestCredential::new();
    let client = client_with(&server, credential.clone(), |_| {});
    client.send(get("/subscriptions/s")).await.unwrap();
    assert_eq!(credential.calls(), 1);
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[test]
fn from_lookup_builds_its_chain_for_a_custom_cloud_and_for_the_built_in_ones() {
    let custom = Cloud::custom_cloud(
        "https://management.local.azurestack.external",
        "https://login.local.azurestack.external",
        "https://management.adfs.azurestack.local/abc",
    )
    .unwrap();
    let completed = Cloud::custom(
        "http://127.0.0.1:9",
        "https://management.azure.com/.default",
    )
    .unwrap()
    .with_authority_host("https://login.microsoftonline.com")
    .unwrap();
    for cloud in [
        custom.clone(),
        custom.at_local_endpoint("http://127.0.0.1:9").unwrap(),
        completed,
        Cloud::azure_public(),
        Cloud::azure_china(),
        Cloud::azure_us_government(),
        Cloud::azure_us_government()
            .at_local_endpoint("http://127.0.0.1:9")
            .unwrap(),
    ] {
        let options = ArmClientOptions {
            cloud: cloud.clone(),
            ..ArmClientOptions::default()
        };
        if let Err(err) = ArmClient::from_lookup(options, &client_secret_only(), service_principal)
        {
            panic!("{cloud:?}: {err}");
        }
    }
}
