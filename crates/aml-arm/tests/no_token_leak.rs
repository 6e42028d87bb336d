//! The token never appears in logs, `Debug` output or errors.
//!
//! A test binary of its own: it installs a thread-local `tracing` subscriber, and tracing caches
//! per-callsite interest process-wide, so other tests running in parallel threads could make
//! it miss events.

#[allow(dead_code, unreachable_pub, reason = "shared with the arm test binary")]
#[path = "arm/support.rs"]
mod support;

use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aml_arm::Error;
use futures::StreamExt;
use serde_json::json;

use support::{Reply, Server, TOKEN, TestCredential, client_with};

const RESOURCE: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/aks1";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs every path (success, retries, 401, errors, LRO failure, refusals, paging) with
/// TRACE logging captured, then searches the logs, every error's `Display`/`Debug`/sources and
/// the `Debug` of every value for the token.
#[tokio::test(start_paused = true)]
async fn the_token_never_appears_in_logs_debug_output_or_errors() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let evil = Server::start_ok().await;
    let evil_next = evil.url("/next");
    let server = Server::start_based(move |base, r, i| match (r.method.as_str(), r.path()) {
        (_, "/retry") if i % 2 == 0 => Reply::status(503).header("retry-after", "1"),
        (_, "/unauthorized") => Reply::arm_error(401, "InvalidAuthenticationToken", "bad token"),
        (_, "/missing") => Reply::arm_error(404, "ResourceNotFound", "no such compute"),
        (_, "/html") => Reply::status(502).body("<html>gateway</html>"),
        ("PUT", RESOURCE) => Reply::json(201, &json!({})).header(
            "azure-asyncoperation",
            &format!("{base}/operations/f?api-version=x"),
        ),
        ("GET", "/operations/f") => Reply::json(
            200,
            &json!({ "status": "Failed", "error": { "code": "Boom", "message": "failed" } }),
        ),
        (_, "/list") => Reply::json(200, &json!({ "value": [1], "nextLink": evil_next.clone() })),
        _ => Reply::json(200, &json!({ "ok": true })),
    })
    .await;
    let client = client_with(&server, TestCredential::new(), |o| {
        o.retry.max_retries = 1;
        o.poll.interval = Duration::from_secs(1);
    });

    let mut seen: Vec<String> = vec![format!("{client:?}")];
    let mut record = |r: aml_arm::Result<aml_arm::ArmResponse>| match r {
        Ok(resp) => seen.push(format!("{resp:?}")),
        Err(e) => seen.push(describe(&e)),
    };
    record(client.send(get("/ok")).await);
    record(client.send(get("/retry")).await);
    record(client.send(get("/unauthorized")).await);
    record(client.send(get("/missing")).await);
    record(client.send(get("/html")).await);
    record(client.send(get(evil.url("/x"))).await);
    let poller = client.begin_put(RESOURCE, &json!({})).await.unwrap();
    let debug_poller = format!("{poller:?} {:?}", poller.resume_token());
    record(poller.wait().await);
    let listed: Vec<_> = client.list::<u32>("/list").collect().await;
    for item in listed {
        if let Err(e) = item {
            record(Err(e));
        }
    }
    seen.push(debug_poller);
    // The client's Debug again, now that its token cache holds a token.
    seen.push(format!("{client:?} {client:#?}"));

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("arm.request") && logs.contains("arm.try"),
        "logging ran:\n{logs}"
    );
    assert!(logs.contains("attempt=2"), "retries were logged");
    let needle = "secret-test-token";
    assert!(TOKEN.contains(needle));
    assert!(!logs.contains(needle), "token in logs:\n{logs}");
    for s in &seen {
        assert!(!s.contains(needle), "token in: {s}");
        assert!(!s.contains("Bearer"), "authorization in: {s}");
    }
    // Positive control: the token did reach the ARM endpoint, and nothing reached the other host.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("authorization") == Some(format!("Bearer {TOKEN}").as_str()))
    );
    assert_eq!(evil.count(), 0);
}

/// `GET target`, as the client takes it.
#[allow(
    clippy::unwrap_used,
    reason = "test support: a failure here is a test failure"
)]
fn get(target: impl AsRef<str>) -> aml_model::request::Request {
    http::Request::get(target.as_ref())
        .body(aml_model::request::Body::default())
        .unwrap()
}

fn describe(e: &Error) -> String {
    let mut s = format!("{e} / {e:?}");
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        let _ = write!(s, " / {inner} / {inner:?}");
        source = inner.source();
    }
    s
}
