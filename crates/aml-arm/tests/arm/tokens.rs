//! The token cache as seen through the client.

use std::time::Duration;

use aml_arm::Error;
use serde_json::json;

use crate::support::{Reply, Server, TestCredential, client_with, get};

#[tokio::test]
async fn one_get_token_serves_many_requests() {
    let server = Server::start(|_, _| Reply::json(200, &json!({}))).await;
    let credential = TestCredential::new();
    let client = client_with(&server, credential.clone(), |_| {});
    for _ in 0..20 {
        client.send(get("/ws")).await.unwrap();
    }
    assert_eq!(credential.calls(), 1);
    assert_eq!(server.count(), 20);
}

#[tokio::test(start_paused = true)]
async fn concurrent_requests_share_one_refresh() {
    let server = Server::start(|_, _| Reply::json(200, &json!({}))).await;
    // A slow credential: every request arrives while the first refresh is in flight.
    let credential = TestCredential::with(time::Duration::hours(1), Duration::from_secs(2));
    let client = client_with(&server, credential.clone(), |_| {});
    let calls = (0..16).map(|_| client.send(get("/ws")));
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(credential.calls(), 1);
    assert_eq!(server.count(), 16);
}

#[tokio::test]
async fn a_token_within_five_minutes_of_expiry_is_refreshed() {
    let server = Server::start(|_, _| Reply::json(200, &json!({}))).await;
    let credential = TestCredential::with(time::Duration::minutes(4), Duration::ZERO);
    let client = client_with(&server, credential.clone(), |_| {});
    client.send(get("/ws")).await.unwrap();
    client.send(get("/ws")).await.unwrap();
    assert_eq!(credential.calls(), 2);
}

#[tokio::test]
async fn a_401_gets_one_fresh_token_and_one_more_try() {
    let server = Server::start(|_, i| {
        if i == 0 {
            Reply::arm_error(401, "ExpiredAuthenticationToken", "expired")
        } else {
            Reply::json(200, &json!({}))
        }
    })
    .await;
    let credential = TestCredential::new();
    let client = client_with(&server, credential.clone(), |_| {});
    client.send(get("/ws")).await.unwrap();
    assert_eq!(credential.calls(), 2);
    assert_eq!(server.count(), 2);

    // A second 401 in the same call is returned, not looped on.
    let always =
        Server::start(|_, _| Reply::arm_error(401, "InvalidAuthenticationToken", "no")).await;
    let err = client_with(&always, TestCredential::new(), |_| {})
        .send(get("/ws"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(always.count(), 2);
}

#[tokio::test]
async fn a_credential_failure_is_typed_and_nothing_is_sent() {
    let server = Server::start(|_, _| Reply::json(200, &json!({}))).await;
    let client = client_with(&server, TestCredential::failing(), |_| {});
    let err = client.send(get("/ws")).await.unwrap_err();
    assert!(matches!(err, Error::Credential { .. }), "{err:?}");
    assert!(!err.may_have_been_sent());
    assert_eq!(server.count(), 0);
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("test credential refuses"), "{source}");
}
