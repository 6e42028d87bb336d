//! Retries per the Azure SDK guideline.

use std::time::Duration;

use aml_arm::{Error, RetryOptions, TimeoutScope, Timeouts};
use tokio::time::Instant;

use crate::support::{
    Reply, Server, TestCredential, WithOptions, client, client_with, get, json_request,
};

fn ok() -> Reply {
    Reply::json(200, &serde_json::json!({ "name": "ws" }))
}

#[tokio::test(start_paused = true)]
async fn throttling_waits_exactly_what_each_retry_after_form_asks() {
    for (header, value, expected) in [
        ("retry-after-ms", "1500", Duration::from_millis(1500)),
        ("x-ms-retry-after-ms", "2500", Duration::from_millis(2500)),
        ("retry-after", "3", Duration::from_secs(3)),
    ] {
        let server = Server::start(move |_, i| {
            if i == 0 {
                Reply::arm_error(429, "TooManyRequests", "slow down").header(header, value)
            } else {
                ok()
            }
        })
        .await;
        let start = Instant::now();
        let response = client(&server).send(get("/ws")).await.unwrap();
        assert_eq!(start.elapsed(), expected, "{header}");
        assert_eq!(response.attempts(), 2);
        assert_eq!(server.count(), 2);
    }
}

#[tokio::test(start_paused = true)]
async fn throttling_honours_an_http_date_retry_after() {
    // HTTP dates have one-second resolution and are relative to the wall clock.
    let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(4);
    let date = azure_core::time::to_rfc7231(&at);
    let server = Server::start(move |_, i| {
        if i == 0 {
            Reply::status(429).header("retry-after", &date)
        } else {
            ok()
        }
    })
    .await;
    let start = Instant::now();
    client(&server).send(get("/ws")).await.unwrap();
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited <= Duration::from_secs(4),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn bursts_of_5xx_back_off_exponentially_with_jitter() {
    let server = Server::start(|_, i| match i {
        0 => Reply::status(500),
        1 => Reply::status(502),
        2 => Reply::status(503),
        _ => ok(),
    })
    .await;
    let start = Instant::now();
    let response = client(&server).send(get("/ws")).await.unwrap();
    let waited = start.elapsed();
    // 0.8 s + 1.6 s + 3.2 s, each scaled by a jitter factor in [0.8, 1.2].
    let nominal = Duration::from_millis(5600);
    assert!(
        waited >= nominal.mul_f64(0.8) && waited <= nominal.mul_f64(1.2),
        "{waited:?}"
    );
    assert_eq!(response.attempts(), 4);
}

// EMULATOR: also through aml-emulator's fault injection:
// `injected_throttling_is_waited_out_with_one_client_request_id` and
// `resets_and_5xx_bursts_are_retried_on_one_client_request_id` in tests/emulator/.
#[tokio::test(start_paused = true)]
async fn every_try_carries_the_same_client_request_id() {
    let server = Server::start(|_, i| if i < 2 { Reply::status(503) } else { ok() }).await;
    client(&server).send(get("/ws")).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let id = requests[0]
        .header("x-ms-client-request-id")
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    for r in &requests {
        assert_eq!(r.header("x-ms-client-request-id"), Some(id.as_str()));
        assert_eq!(r.header("x-ms-return-client-request-id"), Some("true"));
    }
}

#[tokio::test(start_paused = true)]
async fn exhausted_retries_return_the_last_arm_error() {
    let server = Server::start(|_, _| {
        Reply::arm_error(503, "ServiceUnavailable", "try later").header("x-ms-request-id", "rid-9")
    })
    .await;
    let err = client(&server).send(get("/ws")).await.unwrap_err();
    assert_eq!(server.count(), 4, "1 try + 3 retries");
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 503);
    assert_eq!(api.attempts, 4);
    assert_eq!(err.arm_code(), Some("ServiceUnavailable"));
    assert_eq!(
        err.request_ids().unwrap().request_id.as_deref(),
        Some("rid-9")
    );
    assert!(err.to_string().contains("(after 4 tries)"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn throttling_until_exhaustion_is_a_throttled_error_with_the_hint() {
    let server = Server::start(|_, _| Reply::status(429).header("retry-after", "2")).await;
    let err = client(&server).send(get("/ws")).await.unwrap_err();
    assert!(matches!(err, Error::Throttled(_)), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(server.count(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_max_delay_fails_at_once() {
    let server = Server::start(|_, _| Reply::status(429).header("retry-after", "120")).await;
    let start = Instant::now();
    let err = client(&server).send(get("/ws")).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(server.count(), 1);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(err.to_string().contains("retry after 120s"), "{err}");
}

// EMULATOR: also against aml-emulator's real routes:
// `client_errors_from_real_routes_are_not_retried_and_keep_the_envelope` in tests/emulator/.
#[tokio::test(start_paused = true)]
async fn client_errors_are_not_retried_and_keep_the_envelope() {
    for status in [400, 403, 404, 409] {
        let server = Server::start(move |_, _| {
            Reply::json(
                status,
                &serde_json::json!({ "error": {
                    "code": "Bad", "message": "no", "target": "name",
                    "details": [{ "code": "Inner", "message": "why" }],
                    "additionalInfo": [{ "type": "T", "info": { "k": 1 } }]
                }}),
            )
            .header("x-ms-request-id", "rid")
            .header("x-ms-correlation-request-id", "cid")
        })
        .await;
        let err = client(&server).send(get("/ws")).await.unwrap_err();
        assert_eq!(server.count(), 1, "{status}");
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.is_not_found(), status == 404);
        let Error::Api(api) = &err else {
            panic!("{err:?}")
        };
        let e = api.error.as_ref().unwrap();
        assert_eq!(e.target.as_deref(), Some("name"));
        assert_eq!(
            e.details.as_deref().unwrap()[0].code.as_deref(),
            Some("Inner")
        );
        assert_eq!(
            e.additional_info.as_deref().unwrap()[0].type_.as_deref(),
            Some("T")
        );
        let ids = &api.request_ids;
        assert_eq!(ids.request_id.as_deref(), Some("rid"));
        assert_eq!(ids.correlation_request_id.as_deref(), Some("cid"));
        assert!(ids.client_request_id.is_some());
    }
}

#[tokio::test(start_paused = true)]
async fn connection_resets_are_retried() {
    let server = Server::start(|_, i| if i < 2 { Reply::reset() } else { ok() }).await;
    let response = client(&server).send(get("/ws")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn resets_on_every_try_may_have_been_sent() {
    let server = Server::start(|_, _| Reply::reset()).await;
    let err = client(&server)
        .send(json_request(
            http::Method::PUT,
            "/ws",
            &serde_json::json!({}),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { attempts: 4, .. }),
        "{err:?}"
    );
    assert!(err.may_have_been_sent());
}

#[tokio::test(start_paused = true)]
async fn refused_connections_were_never_sent() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let server = Server::start_ok().await; // only for building options
    let client = client_with(&server, TestCredential::new(), |o| {
        o.cloud = aml_arm::Cloud::custom(
            &format!("http://127.0.0.1:{port}"),
            "https://management.azure.com/.default",
        )
        .unwrap();
    });
    let err = client.send(get("/ws")).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(!err.may_have_been_sent(), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_hits_the_per_try_timeout_on_every_try() {
    let server = Server::start(|_, _| Reply::hang()).await;
    let client = client_with(&server, TestCredential::new(), |o| {
        o.timeouts.per_try = Some(Duration::from_secs(5));
        o.retry.max_retries = 1;
    });
    let start = Instant::now();
    let err = client.send(get("/ws")).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                scope: TimeoutScope::Try,
                attempts: 2,
                may_have_been_sent: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.count(), 2);
    // Two 5 s tries and one back-off of 0.8 s +/- 20 %.
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(10_640) && waited <= Duration::from_millis(10_960),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_operation_timeout_bounds_retries_and_back_off() {
    let server = Server::start(|_, _| Reply::status(500)).await;
    let client = client_with(&server, TestCredential::new(), |o| {
        o.timeouts = Timeouts {
            operation: Some(Duration::from_millis(1500)),
            ..Timeouts::default()
        };
    });
    let start = Instant::now();
    let err = client.send(get("/ws")).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
    assert!(
        matches!(
            err,
            Error::Timeout {
                scope: TimeoutScope::Operation,
                ..
            }
        ),
        "{err:?}"
    );
    // Tries at 0 s and after 0.64..0.96 s; the third would start after 1.92 s at the earliest.
    assert_eq!(server.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_call_during_back_off_stops_everything() {
    let server = Server::start(|_, _| Reply::status(503).header("retry-after", "10")).await;
    let client = client(&server);
    tokio::select! {
        r = client.send(get("/ws")) => panic!("finished: {r:?}"),
        () = tokio::time::sleep(Duration::from_secs(5)) => {}
    }
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(server.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn retry_policy_is_configurable_per_client_and_per_call() {
    let server = Server::start(|_, _| Reply::status(500)).await;
    let none = client_with(&server, TestCredential::new(), |o| {
        o.retry = RetryOptions::none();
    });
    none.send(get("/a")).await.unwrap_err();
    assert_eq!(server.count(), 1);

    let custom = RetryOptions {
        max_retries: 1,
        statuses: vec![500],
        ..RetryOptions::default()
    };
    client(&server)
        .send(get("/b").options(aml_arm::RequestOptions {
            retry: Some(custom),
            ..aml_arm::RequestOptions::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(server.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn an_undecodable_error_body_is_quoted_truncated() {
    let html = format!("<html>{}</html>", "x".repeat(2000));
    let server = Server::start(move |_, _| Reply::status(400).body(html.clone())).await;
    let err = client(&server).send(get("/ws")).await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    let excerpt = api.body_excerpt.as_deref().unwrap();
    assert!(excerpt.starts_with("<html>xxx"));
    assert_eq!(excerpt.chars().count(), 515);
    assert!(err.to_string().contains("not an ARM error"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn bodies_over_the_size_cap_are_refused() {
    let server = Server::start(|_, _| Reply::status(200).body("y".repeat(4096))).await;
    let client = client_with(&server, TestCredential::new(), |o| {
        o.max_response_bytes = 1024;
    });
    let err = client.send(get("/ws")).await.unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 1024, .. }),
        "{err:?}"
    );
    assert_eq!(server.count(), 1);
}
