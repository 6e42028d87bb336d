//! Fault injection from Rust and from the admin endpoint.

use std::time::Duration;

use aml_emulator::{Bucket, Emulator, Fault, FaultRule, Throttling};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::support::{API, Env, attach, client, frozen};

fn workspace_url(env: &Env) -> String {
    env.emulator.url(&format!("{}?{API}", Env::workspace()))
}

#[tokio::test]
async fn n_throttles_then_success() {
    let env = Env::start().await;
    env.emulator.faults().inject(
        FaultRule::new(Fault::throttle(Duration::from_millis(1500)))
            .times(3)
            .method("GET"),
    );
    for _ in 0..3 {
        let answer = env.get(&format!("{}?{API}", Env::workspace())).await;
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(answer.code(), "TooManyRequests");
        assert_eq!(answer.header("retry-after"), Some("2"));
        assert_eq!(answer.header("retry-after-ms"), Some("1500"));
        assert!(answer.header("x-ms-request-id").is_some());
    }
    let answer = env.get(&format!("{}?{API}", Env::workspace())).await;
    assert_eq!(answer.status, StatusCode::OK);
    let faults: Vec<_> = env
        .emulator
        .requests()
        .entries()
        .into_iter()
        .map(|entry| entry.fault)
        .collect();
    assert_eq!(
        faults,
        [
            Some("throttle".to_owned()),
            Some("throttle".to_owned()),
            Some("throttle".to_owned()),
            None
        ]
    );
}

#[tokio::test]
async fn server_error_bursts_match_method_and_path() {
    let env = Env::start().await;
    for status in [500, 502, 503] {
        env.emulator.faults().inject(
            FaultRule::new(Fault::status(status))
                .method("PUT")
                .path_contains("/computes/"),
        );
    }
    // Not a PUT: untouched.
    assert_eq!(
        env.get(&format!("{}?{API}", Env::workspace())).await.status,
        StatusCode::OK
    );
    for (expected, code) in [
        (500, "InternalServerError"),
        (502, "BadGateway"),
        (503, "ServiceUnavailable"),
    ] {
        let answer = env.put_compute("flaky", &attach("aks-prod")).await;
        assert_eq!(answer.status.as_u16(), expected);
        assert_eq!(answer.code(), code);
    }
    // The faulted PUTs never reached the state.
    assert_eq!(env.get_compute("flaky").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        env.put_compute("flaky", &attach("aks-prod")).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_reset_drops_the_connection_without_a_response() {
    let env = Env::start().await;
    env.emulator.faults().inject(FaultRule::new(Fault::Reset));
    let error = client()
        .get(workspace_url(&env))
        .bearer_auth("t")
        .send()
        .await
        .unwrap_err();
    assert!(error.status().is_none(), "{error:?}");
    let entry = env.emulator.requests().entries().pop().unwrap();
    assert_eq!(entry.status, None);
    assert_eq!(entry.fault.as_deref(), Some("reset"));
    // The next request works, on a new connection.
    let answer = client()
        .get(workspace_url(&env))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_reset_after_handling_loses_the_answer_but_not_the_change() {
    let env = Env::with(Emulator::builder().timings(frozen())).await;
    env.emulator
        .faults()
        .inject(FaultRule::new(Fault::ResetAfterHandling).method("PUT"));
    let error = client()
        .put(
            env.emulator
                .url(&format!("{}?{API}", Env::compute("maybe"))),
        )
        .bearer_auth("t")
        .json(&attach("aks-prod"))
        .send()
        .await
        .unwrap_err();
    assert!(error.status().is_none());
    // The PUT took effect: the client cannot tell, which is the point.
    let get = env.get_compute("maybe").await;
    assert_eq!(get.status, StatusCode::OK);
    assert_eq!(get.json["properties"]["provisioningState"], "Creating");
}

#[tokio::test]
async fn a_delay_holds_the_answer_back() {
    let env = Env::start().await;
    let delay = Duration::from_millis(150);
    env.emulator
        .faults()
        .inject(FaultRule::new(Fault::delay(delay)));
    let answer = env.get(&format!("{}?{API}", Env::workspace())).await;
    assert_eq!(answer.status, StatusCode::OK);
    let entry = env.emulator.requests().entries().pop().unwrap();
    assert_eq!(entry.fault.as_deref(), Some("delay"));
    // A lower bound only: the delay was served.
    assert!(entry.duration >= delay, "{entry:?}");
}

#[tokio::test]
async fn broken_json_keeps_the_status_and_breaks_the_body() {
    let env = Env::start().await;
    let good = env.get(&format!("{}?{API}", Env::workspace())).await;
    env.emulator
        .faults()
        .inject(FaultRule::new(Fault::MalformedJson));
    let malformed = env.get(&format!("{}?{API}", Env::workspace())).await;
    assert_eq!(malformed.status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&malformed.text).is_err());
    assert_eq!(
        malformed.header("content-type"),
        Some("application/json; charset=utf-8")
    );

    env.emulator
        .faults()
        .inject(FaultRule::new(Fault::TruncatedJson));
    let truncated = env.get(&format!("{}?{API}", Env::workspace())).await;
    assert_eq!(truncated.status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&truncated.text).is_err());
    assert!(good.text.starts_with(&truncated.text) && truncated.text.len() < good.text.len());
}

#[tokio::test]
async fn throttling_is_a_token_bucket_per_subscription_with_remaining_headers() {
    let env = Env::start().await;
    env.emulator.faults().set_throttling(Some(Throttling {
        reads: Bucket {
            capacity: 2,
            refill_per_second: 0.0,
        },
        writes: Bucket {
            capacity: 5,
            refill_per_second: 0.0,
        },
    }));
    let path = format!("{}?{API}", Env::workspace());
    let first = env.get(&path).await;
    assert_eq!(
        first.header("x-ms-ratelimit-remaining-subscription-reads"),
        Some("1")
    );
    let second = env.get(&path).await;
    assert_eq!(
        second.header("x-ms-ratelimit-remaining-subscription-reads"),
        Some("0")
    );
    let third = env.get(&path).await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(third.code(), "SubscriptionRequestsThrottled");
    assert!(third.header("retry-after").is_some());
    // Writes have their own bucket.
    let put = env.put_compute("writer", &attach("aks-prod")).await;
    assert_eq!(put.status, StatusCode::CREATED);
    assert_eq!(
        put.header("x-ms-ratelimit-remaining-subscription-writes"),
        Some("4")
    );
    // Throttling off: no headers, no refusals.
    env.emulator.faults().set_throttling(None);
    let free = env.get(&path).await;
    assert_eq!(free.status, StatusCode::OK);
    assert!(
        free.header("x-ms-ratelimit-remaining-subscription-reads")
            .is_none()
    );
}

/// The admin endpoint's URL for `path`.
fn admin(env: &Env, path: &str) -> String {
    env.emulator.url(&format!("/_emulator{path}"))
}

#[tokio::test]
async fn the_admin_endpoint_injects_lists_and_removes_faults() {
    let env = Env::start().await;
    let http = client();
    let health = http.get(admin(&env, "/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    // A 503 for the next two GETs, set without a token: the admin endpoint needs none.
    let created = http
        .post(admin(&env, "/faults"))
        .json(&json!({"fault": {"kind": "status", "status": 503, "retryAfterMs": 20}, "times": 2, "method": "GET"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_u64()
        .unwrap();
    let listed: Value = http
        .get(admin(&env, "/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["rule"]["times"], 2);
    // Admin requests are never faulted (that GET did not use the rule up).
    let answer = env.get(&format!("{}?{API}", Env::workspace())).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.header("retry-after-ms"), Some("20"));
    let removed = http
        .delete(admin(&env, &format!("/faults/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let again = http
        .delete(admin(&env, &format!("/faults/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        env.get(&format!("{}?{API}", Env::workspace())).await.status,
        StatusCode::OK
    );

    let unknown = http
        .request(Method::GET, admin(&env, "/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let bad = http
        .post(admin(&env, "/faults"))
        .json(&json!({"fault": {"kind": "nope"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_admin_endpoint_fails_and_completes_operations() {
    let env = Env::with(Emulator::builder().timings(frozen())).await;
    let http = client();
    let outcome = http
        .post(admin(&env, "/operations/outcomes"))
        .json(&json!({"status": "Failed", "error": {"code": "InternalServerError", "message": "boom"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(outcome.status(), StatusCode::NO_CONTENT);
    let put = env.put_compute("via-admin", &attach("aks-prod")).await;
    let completed: Value = http
        .post(admin(&env, "/operations/complete"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(completed["completed"], 1);
    let status = env.get(put.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(status.json["status"], "Failed");
    assert_eq!(status.json["error"]["message"], "boom");

    // The state dump holds the compute.
    let state: Value = http
        .get(admin(&env, "/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let group = state["subscriptions"][0]["resourceGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|group| group["name"] == "aml-rg")
        .unwrap()
        .clone();
    let compute = &group["workspaces"][0]["computes"][0];
    assert_eq!(compute["name"], "via-admin");
    assert_eq!(compute["properties"]["provisioningState"], "Failed");
    assert_eq!(state["pendingOperations"], 0);
}

#[tokio::test]
async fn the_admin_endpoint_sets_throttling_and_reads_the_log() {
    let env = Env::start().await;
    let http = client();
    let throttle = http
        .put(admin(&env, "/throttling"))
        .json(&json!({"reads": {"capacity": 1, "refillPerSecond": 0.0}, "writes": {"capacity": 1, "refillPerSecond": 0.0}}))
        .send()
        .await
        .unwrap();
    assert_eq!(throttle.status(), StatusCode::NO_CONTENT);
    let current: Value = http
        .get(admin(&env, "/throttling"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["reads"]["capacity"], 1);
    let path = format!("{}?{API}", Env::workspace());
    assert_eq!(env.get(&path).await.status, StatusCode::OK);
    assert_eq!(env.get(&path).await.status, StatusCode::TOO_MANY_REQUESTS);
    http.delete(admin(&env, "/throttling"))
        .send()
        .await
        .unwrap();
    assert_eq!(env.get(&path).await.status, StatusCode::OK);

    // The log, as JSON, then cleared; admin requests are not in it.
    let log: Value = http
        .get(admin(&env, "/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|entry| entry["path"] == Env::workspace()));
    assert_eq!(log[1]["status"], 429);
    assert_eq!(log[1]["fault"], "throttled");
    assert_eq!(log[0]["query"], API);
    assert!(log[0]["time"].as_str().unwrap().ends_with('Z'));
    assert!(log[0]["durationMs"].as_f64().unwrap() >= 0.0);
    http.delete(admin(&env, "/requests")).send().await.unwrap();
    assert!(env.emulator.requests().is_empty());
}
