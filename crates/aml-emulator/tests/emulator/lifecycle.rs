//! The in-process handle: start, HTTPS, inspection from Rust, shutdown and drop.

use std::time::Duration;

use aml_emulator::{Emulator, STANDARD_SUBSCRIPTION, Seed};
use aml_model::AksClusterId;
use reqwest::StatusCode;

use super::support::{API, Env, attach, client, quick};

/// Polls until requests to `url` fail to connect (the server is gone); bounded, not timed.
async fn until_refused(url: &str) {
    for _ in 0..600 {
        if client().get(url).bearer_auth("t").send().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} still answers");
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let emulator = Emulator::start().await.unwrap();
    assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
    assert!(emulator.ca_certificate_pem().is_none());
    let url = emulator.url(&format!("{}?{API}", Env::workspace()));
    let answer = client().get(&url).bearer_auth("t").send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    drop(emulator);
    until_refused(&url).await;
}

#[tokio::test]
async fn shutdown_waits_for_the_server_to_stop() {
    let emulator = Emulator::start().await.unwrap();
    let url = emulator.url(&format!("{}?{API}", Env::workspace()));
    // Keep a connection in the client's pool: shutdown must not wait for it.
    let http = client();
    assert_eq!(
        http.get(&url)
            .bearer_auth("t")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    emulator.shutdown().await;
    assert!(http.get(&url).bearer_auth("t").send().await.is_err());
}

#[tokio::test]
async fn https_in_process_with_the_generated_ca() {
    let emulator = Emulator::builder().https(true).start().await.unwrap();
    assert!(emulator.base_url().starts_with("https://127.0.0.1:"));
    let pem = emulator.ca_certificate_pem().unwrap();
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()])
        .build()
        .unwrap();
    let answer = http
        .get(emulator.url(&format!("{}?{API}", Env::workspace())))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    // The operation URLs it hands out are https too.
    let put = http
        .put(emulator.url(&format!("{}?{API}", Env::compute("secure"))))
        .bearer_auth("t")
        .json(&attach("aks-prod"))
        .send()
        .await
        .unwrap();
    let poll = put.headers()["azure-asyncoperation"].to_str().unwrap();
    assert!(poll.starts_with(emulator.base_url()), "{poll}");
}

#[tokio::test]
async fn the_handle_inspects_the_state() {
    let env = Env::with(Emulator::builder().timings(quick())).await;
    let workspace = env.emulator.workspace_id().unwrap();
    assert_eq!(workspace.subscription_id(), STANDARD_SUBSCRIPTION);
    assert_eq!(workspace.name(), "aml-ws");
    assert_eq!(env.emulator.seed(), &Seed::standard());
    let id = workspace.compute("inspected".parse().unwrap());
    assert!(env.emulator.compute(&id).is_none());
    env.put_and_wait("inspected", &attach("aks-prod")).await;
    let compute = env.emulator.compute(&id).unwrap();
    assert_eq!(compute.name.as_deref(), Some("inspected"));
    let cluster: AksClusterId = compute
        .aks()
        .unwrap()
        .resource_id
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        env.emulator.cluster(&cluster).unwrap().name.as_deref(),
        Some("aks-prod")
    );
}

#[tokio::test]
async fn an_empty_seed_knows_no_subscription_and_the_log_keeps_its_capacity() {
    let env = Env::with(
        Emulator::builder()
            .seed(Seed::empty())
            .request_log_capacity(2),
    )
    .await;
    assert!(env.emulator.workspace_id().is_none());
    for _ in 0..3 {
        let answer = env.get(&format!("{}?{API}", Env::workspace())).await;
        assert_eq!(answer.code(), "SubscriptionNotFound");
    }
    assert_eq!(env.emulator.requests().len(), 2);
}
