//! Hostile servers: whatever bytes a server puts in its headers and bodies, the client answers
//! with a typed error or a capped wait, never a panic and never a hang.
//!
//! The server here is rawer than `support::Server`: each answer is written as bytes, so header
//! values can hold anything hyper accepts on the wire (non-UTF-8 bytes, numbers no `Duration`
//! can hold), including values no HTTP library would build. Every test runs on tokio's paused
//! clock: the waits they bound take no real time.

#![allow(
    clippy::unwrap_used,
    reason = "test server and helpers: a failure here is a test failure"
)]

use std::time::Duration;

use aml_arm::{Error, PollOptions, RequestIds, RetryOptions, TimeoutScope, Timeouts};
use serde_json::json;
use tokio::time::Instant;

use crate::lro::RESOURCE;
use crate::raw_server::{Raw, RawServer, json_response, ok, response};
use crate::support::get;

/// Absurd hints that used to panic (`Duration::from_secs_f64`) or that no timer can hold: each
/// ends the call at once with `Throttled` carrying the capped hint, since the cap is beyond the
/// retry policy's `max_delay`.
#[tokio::test(start_paused = true)]
async fn absurd_retry_hints_end_in_a_throttle_with_the_capped_hint() {
    let cap = RetryOptions::MAX_RETRY_AFTER;
    for (status, name, value) in [
        (429, "retry-after-ms", &b"1e30"[..]),
        (503, "retry-after-ms", b"1e30"),
        (429, "x-ms-retry-after-ms", b"1.7976931348623157e308"),
        (503, "Retry-After", b"1e20"),
        (429, "Retry-After", b"99999999999999999999"),
        (429, "Retry-After", b"18446744073709551615"),
        (503, "Retry-After", b"Fri, 31 Dec 9999 23:59:59 GMT"),
    ] {
        let server =
            RawServer::start(move |_, _| Raw::Bytes(response(status, &[(name, value)], b""))).await;
        let start = Instant::now();
        let err = server.client(|_| {}).send(get("/ws")).await.unwrap_err();
        let what = format!("{status} {name}: {}", value.escape_ascii());
        assert!(matches!(err, Error::Throttled(_)), "{what}: {err:?}");
        assert_eq!(err.status(), Some(status), "{what}");
        assert_eq!(err.retry_after(), Some(cap), "{what}");
        assert_eq!(server.count(), 1, "{what}: not retried");
        assert_eq!(start.elapsed(), Duration::ZERO, "{what}: no wait");
        assert!(err.to_string().contains("3600s"), "{what}: {err}");
    }
}

/// Hints that are not hints (negative, not a number, not text) are ignored: the policy's own
/// back-off applies and the retries run out as usual.
#[tokio::test(start_paused = true)]
async fn unusable_retry_hints_fall_back_to_the_computed_back_off() {
    for (name, value) in [
        ("Retry-After", &b"-5"[..]),
        ("Retry-After", b"NaN"),
        ("Retry-After", b"inf"),
        ("Retry-After", b"\xff\xfe"),
        ("Retry-After", b"Mon, 99 Foo 99999 99:99:99 GMT"),
        ("retry-after-ms", b"-inf"),
        ("retry-after-ms", b"\xc3\xa9"),
        // Zero and sub-millisecond hints would be a tight loop: backed off instead.
        ("Retry-After", b"0"),
        ("retry-after-ms", b"0.0001"),
    ] {
        let server = RawServer::start(move |i, _| {
            if i < 3 {
                Raw::Bytes(response(503, &[(name, value)], b""))
            } else {
                ok()
            }
        })
        .await;
        let start = Instant::now();
        let answer = server.client(|_| {}).send(get("/ws")).await.unwrap();
        let what = format!("{name}: {}", value.escape_ascii());
        assert_eq!(answer.attempts(), 4, "{what}");
        // 0.8 s + 1.6 s + 3.2 s, each scaled by a jitter factor in [0.8, 1.2].
        let waited = start.elapsed();
        let nominal = Duration::from_millis(5600);
        assert!(
            waited >= nominal.mul_f64(0.8) && waited <= nominal.mul_f64(1.2),
            "{what}: {waited:?}"
        );
    }
}

/// A header sent twice counts by its first value; the second (absurd) one is never read.
#[tokio::test(start_paused = true)]
async fn a_repeated_retry_after_counts_by_its_first_value() {
    let server = RawServer::start(|i, _| {
        if i == 0 {
            Raw::Bytes(response(
                429,
                &[("Retry-After", b"2"), ("Retry-After", b"1e30")],
                b"",
            ))
        } else {
            ok()
        }
    })
    .await;
    let start = Instant::now();
    server.client(|_| {}).send(get("/ws")).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

/// `Azure-AsyncOperation: \xff\xfe` names no URL: a typed error naming the header, and nothing
/// is polled.
#[tokio::test(start_paused = true)]
async fn a_non_utf8_poll_url_is_a_typed_error() {
    for name in ["Azure-AsyncOperation", "Location"] {
        let server = RawServer::start(move |_, _| {
            Raw::Bytes(json_response(
                202,
                &[(name, b"\xff\xfe"), ("x-ms-request-id", b"rid-\xff")],
                &json!({}),
            ))
        })
        .await;
        let err = server
            .client(|_| {})
            .begin_put(RESOURCE, &json!({}))
            .await
            .unwrap_err();
        let Error::InvalidHeader {
            name: got,
            request_ids,
            ..
        } = &err
        else {
            panic!("{name}: {err:?}")
        };
        assert_eq!(*got, name);
        assert_eq!(request_ids.request_id.as_deref(), Some("rid-\\xff"));
        assert!(err.may_have_been_sent());
        assert_eq!(server.count(), 1, "{name}: nothing polled");
    }
}

/// A garbage poll URL that is text: `InvalidUrl`, as before; nothing polled.
#[tokio::test(start_paused = true)]
async fn a_garbage_poll_url_is_a_typed_error() {
    let server = RawServer::start(|_, _| {
        Raw::Bytes(json_response(
            201,
            &[("Azure-AsyncOperation", b"http://[::1:bad/op")],
            &json!({}),
        ))
    })
    .await;
    let err = server
        .client(|_| {})
        .begin_put(RESOURCE, &json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidUrl { .. }), "{err:?}");
    assert_eq!(server.count(), 1);
}

/// An enormous `Location`: one hyper reads (60 KiB) is followed like any other; one beyond
/// hyper's header limit (1 MiB) fails as a transport error. Neither panics.
#[tokio::test(start_paused = true)]
async fn enormous_location_headers_are_followed_or_refused() {
    let long = format!("/operations/{}", "a".repeat(60 * 1024));
    let path = long.clone();
    let server = RawServer::start(move |i, _| match i {
        0 => Raw::Bytes(response(202, &[("Location", path.as_bytes())], b"")),
        _ => Raw::Bytes(response(204, &[], b"")),
    })
    .await;
    let done = server
        .client(|_| {})
        .begin_delete(RESOURCE)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(done.status(), 204);
    assert_eq!(server.count(), 2);
    assert!(server.heads.lock().unwrap()[1].starts_with(&format!("GET {long}")));

    let huge = format!("/operations/{}", "a".repeat(1 << 20));
    let server = RawServer::start(move |_, _| {
        Raw::Bytes(response(202, &[("Location", huge.as_bytes())], b""))
    })
    .await;
    let err = server
        .client(|o| o.retry = RetryOptions::none())
        .begin_delete(RESOURCE)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().len() < 1024, "{err}");
}

/// A redirect to an enormous `Location` is reported with the location cut short.
#[tokio::test(start_paused = true)]
async fn a_redirect_to_an_enormous_location_is_reported_short() {
    let target = format!("/{}?sig=secret", "b".repeat(100_000));
    let server = RawServer::start(move |_, _| {
        Raw::Bytes(response(302, &[("Location", target.as_bytes())], b""))
    })
    .await;
    let err = server.client(|_| {}).send(get("/ws")).await.unwrap_err();
    let Error::Redirect { location, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(location.len() <= 515, "{}", location.len());
    assert!(!err.to_string().contains("secret"));
}

/// An operation that answers 202 with `Retry-After: 0` forever is polled at the configured
/// interval, not in a tight loop, and ends at the poll timeout with a resume token.
#[tokio::test(start_paused = true)]
async fn a_202_forever_with_retry_after_0_is_bounded_by_the_poll_options() {
    for (name, value) in [
        ("Retry-After", &b"0"[..]),
        ("retry-after-ms", b"0"),
        ("retry-after-ms", b"0.0001"),
        ("Retry-After", b"-1"),
    ] {
        let server = RawServer::start(move |_, _| {
            Raw::Bytes(response(
                202,
                &[("Location", b"/operations/forever"), (name, value)],
                b"",
            ))
        })
        .await;
        let poll = PollOptions {
            interval: Duration::from_secs(1),
            timeout: Some(Duration::from_secs(30)),
            max_interval: Duration::from_secs(60),
        };
        let poller = server
            .client(|o| o.poll = poll)
            .begin_delete(RESOURCE)
            .await
            .unwrap();
        assert_eq!(poller.next_poll_in(), Duration::from_secs(1));
        let start = Instant::now();
        let err = poller.wait().await.unwrap_err();
        let what = format!("{name}: {}", value.escape_ascii());
        assert!(
            matches!(err, Error::OperationTimeout { .. }),
            "{what}: {err:?}"
        );
        assert_eq!(start.elapsed(), Duration::from_secs(30), "{what}");
        // The first request, then one poll a second.
        assert_eq!(server.count(), 1 + 30, "{what}");
    }
}

/// An absurd poll hint is capped at `max_interval`: the poller waits that, not forever.
#[tokio::test(start_paused = true)]
async fn an_absurd_poll_hint_waits_max_interval() {
    let server = RawServer::start(|i, _| match i {
        0 => Raw::Bytes(json_response(
            201,
            &[
                ("Azure-AsyncOperation", b"/operations/1"),
                ("retry-after-ms", b"1e30"),
            ],
            &json!({}),
        )),
        1 => Raw::Bytes(json_response(
            200,
            &[("Retry-After", b"Fri, 31 Dec 9999 23:59:59 GMT")],
            &json!({ "status": "InProgress", "percentComplete": 1e308 }),
        )),
        2 => Raw::Bytes(json_response(200, &[], &json!({ "status": "Succeeded" }))),
        _ => Raw::Bytes(json_response(200, &[], &json!({ "name": "aks1" }))),
    })
    .await;
    let mut poller = server
        .client(|o| o.poll.max_interval = Duration::from_secs(7))
        .begin_put(RESOURCE, &json!({}))
        .await
        .unwrap();
    assert_eq!(poller.next_poll_in(), Duration::from_secs(7));
    let start = Instant::now();
    let progress = poller.step().await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(7));
    assert_eq!(progress.percent_complete, Some(100.0));
    assert_eq!(progress.next_poll_in, Some(Duration::from_secs(7)));
    poller.wait().await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(14));
}

/// A body that never ends is cut by the per-try timeout (and retried like one), or by the
/// whole-call timeout.
#[tokio::test(start_paused = true)]
async fn a_body_that_never_ends_is_bounded_by_the_timeouts() {
    let endless = || {
        RawServer::start(|_, _| {
            Raw::Endless(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                    .to_vec(),
            )
        })
    };
    let server = endless().await;
    let err = server
        .client(|o| {
            o.timeouts = Timeouts {
                per_try: Some(Duration::from_secs(2)),
                ..Timeouts::default()
            };
        })
        .send(get("/ws"))
        .await
        .unwrap_err();
    let Error::Timeout {
        scope, attempts, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(scope, TimeoutScope::Try);
    assert_eq!(attempts, 4);

    let server = endless().await;
    let start = Instant::now();
    let err = server
        .client(|o| {
            o.timeouts = Timeouts {
                per_try: None,
                operation: Some(Duration::from_secs(5)),
                ..Timeouts::default()
            };
        })
        .send(get("/ws"))
        .await
        .unwrap_err();
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
    assert_eq!(start.elapsed(), Duration::from_secs(5));
}

/// `content-type` is never read: a JSON body decodes whatever the header says, bytes included.
#[tokio::test(start_paused = true)]
async fn a_garbage_content_type_does_not_matter() {
    for value in [
        &b"\xff\xfe"[..],
        b"text/html; charset=\"nonsense",
        b"",
        b"application/json; charset=utf-8; q=1e30",
    ] {
        let server = RawServer::start(move |_, _| {
            Raw::Bytes(response(
                200,
                &[("content-type", value)],
                br#"{"name":"ws"}"#,
            ))
        })
        .await;
        let v: serde_json::Value = server.client(|_| {}).get_json("/ws").await.unwrap();
        assert_eq!(v, json!({ "name": "ws" }), "{}", value.escape_ascii());
    }
}

/// Request ids that are huge or not text are kept short and printable in errors.
#[tokio::test(start_paused = true)]
async fn huge_and_binary_request_ids_stay_short_and_printable() {
    let huge = "r".repeat(100_000);
    let server = RawServer::start(move |_, _| {
        Raw::Bytes(json_response(
            404,
            &[
                ("x-ms-request-id", huge.as_bytes()),
                ("x-ms-correlation-request-id", b"\xff\xfe\x80"),
                ("x-ms-client-request-id", b"   "),
            ],
            &json!({ "error": { "code": "NotFound", "message": "gone" } }),
        ))
    })
    .await;
    let err = server.client(|_| {}).send(get("/ws")).await.unwrap_err();
    let ids = err.request_ids().unwrap();
    assert_eq!(ids.request_id.as_ref().unwrap().len(), RequestIds::MAX_LEN);
    assert_eq!(
        ids.correlation_request_id.as_deref(),
        Some("\\xff\\xfe\\x80")
    );
    // Blank: the id the client sent is kept.
    assert_eq!(ids.client_request_id.as_ref().unwrap().len(), 36);
    assert!(err.to_string().len() < 1024, "{}", err.to_string().len());
}

/// Lengths no body can have, and a status no registry knows.
#[tokio::test(start_paused = true)]
async fn absurd_lengths_and_statuses_are_typed_errors() {
    for length in [&b"18446744073709551615"[..], b"99999999999999999999", b"-1"] {
        let server = RawServer::start(move |_, _| {
            let mut bytes = b"HTTP/1.1 200 OK\r\ncontent-length: ".to_vec();
            bytes.extend_from_slice(length);
            bytes.extend_from_slice(b"\r\nconnection: close\r\n\r\n{}");
            Raw::Bytes(bytes)
        })
        .await;
        let err = server
            .client(|o| o.retry = RetryOptions::none())
            .send(get("/ws"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::ResponseTooLarge { .. } | Error::Transport { .. }
            ),
            "{}: {err:?}",
            length.escape_ascii()
        );
    }
    let server =
        RawServer::start(|_, _| Raw::Bytes(response(999, &[("Retry-After", b"1e30")], b"\xff")))
            .await;
    let err = server.client(|_| {}).send(get("/ws")).await.unwrap_err();
    assert_eq!(err.status(), Some(999), "{err:?}");
    assert_eq!(err.retry_after(), Some(RetryOptions::MAX_RETRY_AFTER));
}

/// A proxy that takes the connection and closes it: the transport error, its `Debug` and its
/// whole source chain never show the proxy's user name and password.
#[tokio::test]
async fn a_failing_proxy_never_shows_its_credentials() {
    let proxy = RawServer::start(|_, _| Raw::Bytes(Vec::new())).await;
    let target = RawServer::start(|_, _| Raw::Bytes(b"HTTP/1.1 200 OK\r\n\r\n".to_vec())).await;
    let proxy_url = proxy.base.replacen("http://", "http://alice:hunter2@", 1);
    let client = target.client(|options| {
        options.proxy = Some(proxy_url.clone());
        options.retry = RetryOptions::none();
    });
    assert!(!format!("{client:?}").contains("hunter2"));
    let err = client.send(get("/subscriptions")).await.unwrap_err();
    let mut shown = format!("{err} {err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        shown = format!("{shown} | {cause} {cause:?}");
        source = cause.source();
    }
    // The password, and the Basic credentials a proxy would get (base64 of `alice:hunter2`).
    for secret in ["hunter2", "YWxpY2U6aHVudGVyMg"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let heads = proxy.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1, "the request went to the proxy: {heads:?}");
    assert!(
        heads[0].contains("Proxy-Authorization") || heads[0].contains("proxy-authorization"),
        "with its credentials: {heads:?}"
    );
    assert!(
        target.heads.lock().unwrap().is_empty(),
        "nothing went around the proxy"
    );
}
