//! Per-call options on follow-up requests: every page of a listing, every poll of an operation.

use aml_arm::{RequestOptions, RetryOptions};
use aml_emulator::{Fault, FaultRule};
use futures::StreamExt;
use serde_json::Value;

use crate::support::{
    WithOptions, aks_create, begin_computes, client, compute, computes, emulator, get,
    json_request, paged_emulator,
};

#[tokio::test]
async fn per_call_options_apply_to_every_page() {
    let emu = paged_emulator(1).await;
    let client = client(&emu);
    begin_computes(&client, &["one-1", "two-2", "three-3"]).await;
    emu.requests().clear();
    let request = get(computes()).options(RequestOptions {
        correlation_id: Some("corr-listing".to_owned()),
        client_request_id: Some("first-page".to_owned()),
        retry: Some(RetryOptions::none()),
        ..RequestOptions::default()
    });
    let mut pages = client.list_pages::<Value>(request);
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!(
        first.request_ids.correlation_request_id.as_deref(),
        Some("corr-listing")
    );
    let second = pages.next().await.unwrap().unwrap();
    assert_eq!(
        second.request_ids.correlation_request_id.as_deref(),
        Some("corr-listing"),
        "the listing's correlation id goes with every page"
    );
    // A client request id names one request: later pages get their own.
    assert_ne!(
        second.request_ids.client_request_id.as_deref(),
        Some("first-page")
    );
    // The listing's retry policy too: no retries.
    emu.faults().inject(FaultRule::new(Fault::status(503)));
    let err = pages.next().await.unwrap().unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(emu.requests().len(), 3, "page 3 was tried once");
}

#[tokio::test]
async fn per_call_options_apply_to_every_poll_and_the_final_get() {
    let emu = emulator().await;
    let request = json_request(http::Method::PUT, compute("correlated"), &aks_create()).options(
        RequestOptions {
            correlation_id: Some("corr-operation".to_owned()),
            client_request_id: Some("the-put".to_owned()),
            ..RequestOptions::default()
        },
    );
    let response = client(&emu)
        .begin(request)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let ids = response.request_ids();
    assert_eq!(
        ids.correlation_request_id.as_deref(),
        Some("corr-operation")
    );
    assert_ne!(ids.client_request_id.as_deref(), Some("the-put"));
    let entries = emu.requests().entries();
    assert_eq!(entries[0].client_request_id.as_deref(), Some("the-put"));
    assert!(
        entries[1..]
            .iter()
            .all(|e| e.client_request_id.as_deref() != Some("the-put"))
    );
}
