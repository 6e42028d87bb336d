//! Retries through the emulator's fault injection and subscription throttling, and the errors
//! that are not retried.

use std::time::Duration;

use aml_arm::{Error, RequestOptions};
use aml_emulator::{Bucket, Fault, FaultRule, Throttling};
use serde_json::Value;

use crate::support::{
    HINT, TOKEN, WithOptions, aks_create, client, compute, emulator, get, statuses, workspace,
};

#[tokio::test]
async fn injected_throttling_is_waited_out_with_one_client_request_id() {
    let emu = emulator().await;
    emu.faults()
        .inject(FaultRule::new(Fault::throttle(HINT)).times(2).method("GET"));
    let response = client(&emu).send(get(workspace())).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.attempts(), 3);

    let entries = emu.requests().entries();
    assert_eq!(statuses(&entries), [Some(429), Some(429), Some(200)]);
    let faults: Vec<_> = entries.iter().map(|e| e.fault.as_deref()).collect();
    assert_eq!(faults, [Some("throttle"), Some("throttle"), None]);
    let id = response.request_ids().client_request_id.clone().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    for entry in &entries {
        assert_eq!(entry.client_request_id.as_deref(), Some(id.as_str()));
    }
    // The response's request id is the emulator's for the last try.
    assert_eq!(
        response.request_ids().request_id.as_deref(),
        Some(entries[2].request_id.as_str())
    );
}

#[tokio::test]
async fn resets_and_5xx_bursts_are_retried_on_one_client_request_id() {
    let emu = emulator().await;
    let faults = emu.faults();
    faults.inject(FaultRule::new(Fault::Reset).method("GET"));
    faults.inject(FaultRule::new(Fault::status(503)).method("GET"));
    faults.inject(
        FaultRule::new(Fault::Status {
            status: 502,
            retry_after: Some(HINT),
        })
        .method("GET"),
    );
    let response = client(&emu)
        .send(get(workspace()).options(RequestOptions {
            client_request_id: Some("caller-chosen-id".to_owned()),
            ..RequestOptions::default()
        }))
        .await
        .unwrap();
    assert_eq!(response.attempts(), 4, "1 try + 3 retries");
    let entries = emu.requests().entries();
    let seen: Vec<_> = entries
        .iter()
        .map(|e| (e.status, e.fault.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (None, Some("reset")),
            (Some(503), Some("status")),
            (Some(502), Some("status")),
            (Some(200), None),
        ]
    );
    assert!(
        entries
            .iter()
            .all(|e| e.client_request_id.as_deref() == Some("caller-chosen-id"))
    );
    assert_eq!(
        response.request_ids().client_request_id.as_deref(),
        Some("caller-chosen-id")
    );
}

#[tokio::test]
async fn a_reset_put_is_sent_again_and_a_failing_poll_is_retried() {
    // Reset before handling: the PUT did not take effect, so sending it again is safe.
    let emu = emulator().await;
    emu.faults()
        .inject(FaultRule::new(Fault::Reset).method("PUT"));
    emu.faults().inject(
        FaultRule::new(Fault::status(500))
            .times(2)
            .path_contains("/computeOperationsStatus/"),
    );
    let created: Value = client(&emu)
        .begin_put(&compute("flaky"), &aks_create())
        .await
        .unwrap()
        .wait_json()
        .await
        .unwrap();
    assert_eq!(created["properties"]["provisioningState"], "Succeeded");

    let puts = emu.requests().matching("PUT", "/computes/flaky");
    assert_eq!(statuses(&puts), [None, Some(201)]);
    assert_eq!(puts[0].client_request_id, puts[1].client_request_id);
    // The first poll failed twice and succeeded on its third try, under one id.
    let polls = emu.requests().matching("GET", "/computeOperationsStatus/");
    assert_eq!(polls[0].status, Some(500));
    assert_eq!(polls[1].status, Some(500));
    assert_eq!(polls[2].status, Some(200));
    assert_eq!(polls[0].client_request_id, polls[2].client_request_id);
    assert_ne!(puts[0].client_request_id, polls[0].client_request_id);
}

#[tokio::test]
async fn exhausted_retries_return_the_emulators_last_error() {
    let emu = emulator().await;
    emu.faults()
        .inject(FaultRule::new(Fault::status(503)).times(4));
    let err = client(&emu).send(get(workspace())).await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 503);
    assert_eq!(api.attempts, 4);
    assert_eq!(err.arm_code(), Some("ServiceUnavailable"));
    assert!(err.may_have_been_sent());
    let entries = emu.requests().entries();
    assert_eq!(entries.len(), 4);
    assert_eq!(
        err.request_ids().unwrap().request_id.as_deref(),
        Some(entries[3].request_id.as_str())
    );
    assert!(err.to_string().contains("(after 4 tries)"), "{err}");
}

#[tokio::test]
async fn subscription_throttling_headers_are_reported_and_an_empty_bucket_is_waited_out() {
    let emu = emulator().await;
    // One read in a burst, one more every 50 ms; writes are not limited here.
    emu.faults().set_throttling(Some(Throttling {
        reads: Bucket {
            capacity: 1,
            refill_per_second: 20.0,
        },
        writes: Bucket {
            capacity: 100,
            refill_per_second: 100.0,
        },
    }));
    let client = client(&emu);
    let first = client.send(get(workspace())).await.unwrap();
    assert_eq!(
        first.header("x-ms-ratelimit-remaining-subscription-reads"),
        Some("0")
    );
    let second = client.send(get(workspace())).await.unwrap();
    assert!(
        second
            .header("x-ms-ratelimit-remaining-subscription-reads")
            .is_some()
    );

    // Whatever the timing, every refusal (429 SubscriptionRequestsThrottled with retry-after-ms)
    // was followed by a retry of the same request, and the tries add up.
    let entries = emu.requests().entries();
    let throttled = entries
        .iter()
        .filter(|e| e.fault.as_deref() == Some("throttled"))
        .count();
    assert!(
        entries[1..]
            .iter()
            .all(|e| e.client_request_id == second.request_ids().client_request_id)
    );
    assert_eq!(usize::try_from(second.attempts()).unwrap(), 1 + throttled);
    assert_eq!(entries.len(), 2 + throttled);
    assert_eq!(entries.last().unwrap().status, Some(200));
}

#[tokio::test]
async fn throttling_beyond_max_delay_fails_at_once_with_the_hint() {
    let emu = emulator().await;
    // An empty bucket that never refills: the emulator asks for an hour.
    emu.faults().set_throttling(Some(Throttling {
        reads: Bucket {
            capacity: 1,
            refill_per_second: 0.0,
        },
        writes: Bucket {
            capacity: 1,
            refill_per_second: 0.0,
        },
    }));
    let client = client(&emu);
    client.send(get(workspace())).await.unwrap();
    let err = client.send(get(workspace())).await.unwrap_err();
    assert!(matches!(err, Error::Throttled(_)), "{err:?}");
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.arm_code(), Some("SubscriptionRequestsThrottled"));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(emu.requests().len(), 2, "not retried");
}

#[tokio::test]
async fn dropping_a_call_during_back_off_sends_nothing_more() {
    let emu = emulator().await;
    emu.faults()
        .inject(FaultRule::new(Fault::throttle(Duration::from_millis(150))));
    let client = client(&emu);
    let call = tokio::spawn(async move { client.send(get(workspace())).await });
    while emu.requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(emu.requests().len(), 1);
}

#[tokio::test]
async fn client_errors_from_real_routes_are_not_retried_and_keep_the_envelope() {
    let emu = emulator().await;
    let client = client(&emu);

    let missing = client
        .get_json::<Value>(&compute("nothing"))
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
    assert_eq!(missing.arm_code(), Some("ResourceNotFound"));

    let bad_name = client
        .begin_put(&compute("1-bad"), &aks_create())
        .await
        .unwrap_err();
    let Error::Api(api) = &bad_name else {
        panic!("{bad_name:?}")
    };
    assert_eq!(api.status, 400);
    assert_eq!(api.attempts, 1);
    let envelope = api.error.as_ref().unwrap();
    assert_eq!(envelope.code.as_deref(), Some("BadRequest"));
    assert_eq!(envelope.target.as_deref(), Some("computeName"));

    let bad_version = client
        .send(get(workspace()).api_version("latest"))
        .await
        .unwrap_err();
    assert_eq!(bad_version.status(), Some(400));
    assert_eq!(bad_version.arm_code(), Some("InvalidApiVersionParameter"));

    assert_eq!(
        statuses(&emu.requests().entries()),
        [Some(404), Some(400), Some(400)],
        "one try each"
    );
    for err in [missing, bad_name, bad_version] {
        assert!(!format!("{err} {err:?}").contains(TOKEN));
    }
}
