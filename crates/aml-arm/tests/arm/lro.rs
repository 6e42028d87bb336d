//! Long-running operations: the ARM async-operation contract.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use aml_arm::{Error, PollOptions, ResumeToken};
use aml_model::wire::OperationStatus;
use futures::StreamExt;
use serde_json::json;
use tokio::time::Instant;

use crate::support::{
    API_VERSION, Recorded, Reply, Server, TestCredential, client, client_with, json_request,
};

pub(crate) const RESOURCE: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/aks1";

fn resource(state: &str) -> serde_json::Value {
    json!({ "name": "aks1", "properties": { "computeType": "AKS", "provisioningState": state } })
}

fn failed_resource() -> serde_json::Value {
    json!({ "name": "aks1", "properties": {
        "provisioningState": "Failed",
        "provisioningErrors": [ { "error": { "code": "ProvisioningFailed", "message": "nodes not ready" } } ]
    }})
}

/// A create through `Azure-AsyncOperation` that reports `InProgress` for `in_progress` polls,
/// then `terminal` (any case), each answer saying `Retry-After: 5`.
fn create_script(
    in_progress: usize,
    terminal: &'static str,
) -> impl Fn(&str, &Recorded, usize) -> Reply + Send + Sync + 'static {
    let polls = Arc::new(AtomicUsize::new(0));
    move |base, r, _| {
        let done = polls.load(Ordering::SeqCst) > in_progress;
        match (r.method.as_str(), r.path()) {
            ("PUT", RESOURCE) => Reply::json(201, &resource("Creating"))
                .header(
                    "azure-asyncoperation",
                    &format!("{base}/operations/op1?api-version={API_VERSION}"),
                )
                .header("retry-after", "5"),
            ("GET", "/operations/op1") => {
                let n = polls.fetch_add(1, Ordering::SeqCst) + 1;
                if n <= in_progress {
                    Reply::json(
                        200,
                        &json!({ "status": "InProgress", "percentComplete": n * 10 }),
                    )
                    .header("retry-after", "5")
                } else if terminal.eq_ignore_ascii_case("succeeded") {
                    Reply::json(200, &json!({ "status": terminal }))
                } else {
                    Reply::json(
                        200,
                        &json!({ "status": terminal, "error": {
                            "code": "AksCreateFailed", "message": "quota exceeded",
                            "details": [ { "code": "QuotaExceeded", "message": "cores" } ] } }),
                    )
                }
            }
            ("GET", RESOURCE) if done && terminal.eq_ignore_ascii_case("succeeded") => {
                Reply::json(200, &resource("Succeeded"))
            }
            ("GET", RESOURCE) if done => Reply::json(200, &failed_resource()),
            ("GET", RESOURCE) => Reply::json(200, &resource("Creating")),
            _ => Reply::arm_error(404, "NotFound", "no route"),
        }
    }
}

fn count(server: &Server, line: &str) -> usize {
    server.lines().iter().filter(|l| *l == line).count()
}

// EMULATOR: also against aml-emulator, asserting on its request log:
// `create_and_delete_run_to_success_through_the_async_operation` in tests/emulator/.
#[tokio::test(start_paused = true)]
async fn create_polls_the_async_operation_then_gets_the_resource() {
    let server = Server::start_based(create_script(2, "succeeded")).await;
    let client = client(&server);
    let start = Instant::now();
    let poller = client
        .begin_put(RESOURCE, &json!({ "properties": { "computeType": "AKS" } }))
        .await
        .unwrap();
    assert_eq!(poller.next_poll_in(), Duration::from_secs(5));
    let response = poller.await.unwrap();
    assert_eq!(
        response.json::<serde_json::Value>().unwrap(),
        resource("Succeeded")
    );
    // Three Retry-After waits of 5 s: the initial one and after each InProgress.
    assert_eq!(start.elapsed(), Duration::from_secs(15));
    assert_eq!(
        server.lines(),
        [
            format!("PUT {RESOURCE}"),
            "GET /operations/op1".to_owned(),
            "GET /operations/op1".to_owned(),
            "GET /operations/op1".to_owned(),
            format!("GET {RESOURCE}"),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn server_work_of_t_returns_within_t_plus_one_interval_with_the_hinted_polls() {
    // The server finishes 12 s after the PUT and hints Retry-After: 5, so polls come at
    // 5, 10 and 15 s: three polls, done at 15 s <= 12 + 5.
    let work = Duration::from_secs(12);
    let started: Arc<std::sync::Mutex<Option<Instant>>> = Arc::default();
    let server = Server::start_based(move |base, r, _| {
        let mut s = started.lock().unwrap();
        match (r.method.as_str(), r.path()) {
            ("PUT", _) => {
                *s = Some(Instant::now());
                Reply::json(201, &resource("Creating"))
                    .header("azure-asyncoperation", &format!("{base}/operations/op1"))
                    .header("retry-after", "5")
            }
            ("GET", "/operations/op1") if s.unwrap().elapsed() >= work => {
                Reply::json(200, &json!({ "status": "Succeeded" }))
            }
            ("GET", "/operations/op1") => {
                Reply::json(200, &json!({ "status": "InProgress" })).header("retry-after", "5")
            }
            _ => Reply::json(200, &resource("Succeeded")),
        }
    })
    .await;
    let start = Instant::now();
    client(&server)
        .begin_put(RESOURCE, &json!({}))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let took = start.elapsed();
    assert!(
        took >= work && took <= work + Duration::from_secs(5),
        "{took:?}"
    );
    assert_eq!(count(&server, "GET /operations/op1"), 3);
}

// EMULATOR: also against aml-emulator's failure injection:
// `a_failed_operation_carries_its_error_details_and_the_provisioning_errors` in tests/emulator/.
#[tokio::test(start_paused = true)]
async fn a_failed_operation_carries_its_error_and_the_provisioning_errors() {
    let server = Server::start_based(create_script(1, "Failed")).await;
    let err = client(&server)
        .begin_put(RESOURCE, &json!({}))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap_err();
    let Error::OperationFailed(op) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(op.status, OperationStatus::Failed);
    let e = op.error.as_ref().unwrap();
    assert_eq!(e.code.as_deref(), Some("AksCreateFailed"));
    assert_eq!(
        e.details.as_deref().unwrap()[0].code.as_deref(),
        Some("QuotaExceeded")
    );
    assert_eq!(
        op.provisioning_errors[0].code.as_deref(),
        Some("ProvisioningFailed")
    );
    assert_eq!(err.arm_code(), Some("AksCreateFailed"));
    let text = err.to_string();
    assert!(
        text.contains("ended Failed: AksCreateFailed: quota exceeded; QuotaExceeded: cores"),
        "{text}"
    );
    assert!(
        text.contains("provisioning error: ProvisioningFailed: nodes not ready"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_canceled_operation_is_an_error_too() {
    let server = Server::start_based(create_script(0, "canceled")).await;
    let mut poller = client(&server)
        .begin_put(RESOURCE, &json!({}))
        .await
        .unwrap();
    let err = poller.step().await.unwrap_err();
    assert!(
        matches!(&err, Error::OperationFailed(op) if op.status == OperationStatus::Canceled),
        "{err:?}"
    );
    // The poller remembers the outcome: no new request.
    let before = server.count();
    assert!(poller.step().await.is_err());
    assert!(poller.is_done());
    assert_eq!(server.count(), before);
}

#[tokio::test(start_paused = true)]
async fn step_polls_once_and_progress_streams_every_poll() {
    let server = Server::start_based(create_script(2, "Succeeded")).await;
    let mut poller = client(&server)
        .begin_put(RESOURCE, &json!({}))
        .await
        .unwrap();
    let first = poller.step().await.unwrap();
    assert_eq!(first.status, OperationStatus::InProgress);
    assert_eq!(first.polls, 1);
    assert_eq!(first.percent_complete, Some(10.0));
    assert_eq!(first.elapsed, Duration::from_secs(5));
    assert_eq!(first.next_poll_in, Some(Duration::from_secs(5)));

    let events: Vec<_> = poller.progress().collect().await;
    let events: Vec<_> = events.into_iter().map(Result::unwrap).collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].polls, 2);
    assert_eq!(events[0].elapsed, Duration::from_secs(10));
    assert_eq!(events[1].status, OperationStatus::Succeeded);
    assert_eq!(events[1].elapsed, Duration::from_secs(15));
    assert_eq!(events[1].next_poll_in, None);

    let before = server.count();
    let response = poller.wait().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        server.count(),
        before,
        "wait after the stream sends nothing"
    );
}

// EMULATOR: also against aml-emulator, whose log shows one PUT: same name in tests/emulator/.
#[tokio::test(start_paused = true)]
async fn a_timeout_yields_a_resume_token_that_a_fresh_client_continues_without_a_second_put() {
    let finished = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&finished);
    let server = Server::start_based(move |base, r, _| {
        let done = flag.load(Ordering::SeqCst);
        match (r.method.as_str(), r.path()) {
            ("PUT", RESOURCE) => Reply::json(201, &resource("Creating"))
                .header(
                    "azure-asyncoperation",
                    &format!("{base}/operations/op1?api-version={API_VERSION}"),
                )
                .header("retry-after", "5"),
            ("GET", "/operations/op1") if done => {
                Reply::json(200, &json!({ "status": "Succeeded" }))
            }
            ("GET", "/operations/op1") => {
                Reply::json(200, &json!({ "status": "Running" })).header("retry-after", "5")
            }
            ("GET", RESOURCE) => Reply::json(200, &resource("Succeeded")),
            _ => Reply::status(404),
        }
    })
    .await;
    let poller = client(&server)
        .begin_put(RESOURCE, &json!({}))
        .await
        .unwrap()
        .with_options(PollOptions {
            timeout: Some(Duration::from_secs(12)),
            ..PollOptions::default()
        });
    let start = Instant::now();
    let err = poller.wait().await.unwrap_err();
    // Polls at 5 and 10 s; the next would be at 15 s, past the 12 s limit.
    assert_eq!(start.elapsed(), Duration::from_secs(12));
    let Error::OperationTimeout {
        resume_token,
        status,
        elapsed,
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status, OperationStatus::Unknown("Running".to_owned()));
    assert_eq!(elapsed, Duration::from_secs(12));
    assert_eq!(count(&server, "GET /operations/op1"), 2);

    // Persist as text, as another process would, then continue there.
    let stored: String = resume_token.as_str().to_owned();
    finished.store(true, Ordering::SeqCst);
    let fresh_credential = TestCredential::new();
    let fresh = client_with(&server, fresh_credential.clone(), |_| {});
    let token: ResumeToken = stored.parse().unwrap();
    let resumed = fresh.resume(&token).unwrap();
    assert!(resumed.elapsed() >= Duration::from_secs(12));
    let resume_start = Instant::now();
    let response = resumed.wait().await.unwrap();
    assert_eq!(
        resume_start.elapsed(),
        Duration::ZERO,
        "a resumed poller looks at once"
    );
    assert_eq!(
        response.json::<serde_json::Value>().unwrap(),
        resource("Succeeded")
    );
    assert_eq!(count(&server, &format!("PUT {RESOURCE}")), 1);
    assert_eq!(fresh_credential.calls(), 1);
}

// EMULATOR: also against aml-emulator: `create_and_delete_run_to_success_through_the_async_operation`
// (Azure-AsyncOperation) and `a_resumed_delete_can_poll_the_location_header_too` (Location).
#[tokio::test(start_paused = true)]
async fn delete_through_location_ends_on_204_without_a_final_get() {
    let polls = Arc::new(AtomicUsize::new(0));
    let server = Server::start_based(move |base, r, _| match (r.method.as_str(), r.path()) {
        ("DELETE", RESOURCE) => Reply::status(202)
            .header(
                "location",
                &format!("{base}/operationResults/d1?api-version=x&sig=abc"),
            )
            .header("retry-after", "1"),
        ("GET", "/operationResults/d1") if polls.fetch_add(1, Ordering::SeqCst) == 0 => {
            Reply::status(202).header("retry-after", "2")
        }
        ("GET", "/operationResults/d1") => Reply::status(204),
        _ => Reply::status(500),
    })
    .await;
    let start = Instant::now();
    let response = client(&server)
        .begin_delete(RESOURCE)
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(
        server.lines(),
        [
            format!("DELETE {RESOURCE}"),
            "GET /operationResults/d1".to_owned(),
            "GET /operationResults/d1".to_owned(),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn delete_without_headers_polls_the_resource_until_404() {
    let gets = Arc::new(AtomicUsize::new(0));
    let server = Server::start(move |r, _| match r.method.as_str() {
        "DELETE" => Reply::status(202),
        _ if gets.fetch_add(1, Ordering::SeqCst) < 2 => Reply::json(200, &resource("Deleting")),
        _ => Reply::arm_error(404, "ResourceNotFound", "gone"),
    })
    .await;
    let client = client_with(&server, TestCredential::new(), |o| {
        o.poll.interval = Duration::from_secs(3);
    });
    let start = Instant::now();
    let response = client
        .begin_delete(RESOURCE)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(9),
        "the configured interval"
    );
    assert_eq!(server.count(), 4);
}

#[tokio::test(start_paused = true)]
async fn put_with_only_a_location_header_ends_with_a_get_of_the_resource() {
    let server = Server::start_based(|base, r, i| match (r.method.as_str(), r.path()) {
        ("PUT", _) => Reply::status(202).header("location", &format!("{base}/results/p1")),
        ("GET", "/results/p1") if i < 2 => Reply::status(202),
        ("GET", "/results/p1") => Reply::status(200),
        _ => Reply::json(200, &resource("Succeeded")),
    })
    .await;
    let client = client_with(&server, TestCredential::new(), |o| {
        o.poll.interval = Duration::from_millis(100);
    });
    let body: serde_json::Value = client
        .begin_put(RESOURCE, &json!({}))
        .await
        .unwrap()
        .wait_json()
        .await
        .unwrap();
    assert_eq!(body, resource("Succeeded"));
    assert_eq!(server.lines().last().unwrap(), &format!("GET {RESOURCE}"));
}

#[tokio::test(start_paused = true)]
async fn put_with_a_non_terminal_provisioning_state_polls_the_resource() {
    let gets = Arc::new(AtomicUsize::new(0));
    let server = Server::start(move |r, _| match r.method.as_str() {
        "PUT" => Reply::json(201, &resource("Creating")),
        _ if gets.fetch_add(1, Ordering::SeqCst) == 0 => Reply::json(200, &resource("Updating")),
        _ => Reply::json(200, &resource("succeeded")),
    })
    .await;
    let start = Instant::now();
    let mut poller = client(&server)
        .begin_put(RESOURCE, &json!({}))
        .await
        .unwrap();
    assert_eq!(
        poller.status(),
        &OperationStatus::Unknown("Creating".to_owned())
    );
    assert!(!poller.is_done());
    poller.step().await.unwrap();
    let response = poller.wait().await.unwrap();
    assert_eq!(
        response.json::<serde_json::Value>().unwrap(),
        resource("succeeded")
    );
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(20),
        "default 10 s interval"
    );
    assert_eq!(server.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_200_response_is_terminal_and_never_polled() {
    let server = Server::start(|_, _| Reply::json(200, &resource("Succeeded"))).await;
    let poller = client(&server)
        .begin(json_request(
            http::Method::PUT,
            RESOURCE,
            &json!({ "properties": {} }),
        ))
        .await
        .unwrap();
    assert!(poller.is_done());
    assert_eq!(poller.status(), &OperationStatus::Succeeded);
    let start = Instant::now();
    let response = poller.wait().await.unwrap();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(
        response.json::<serde_json::Value>().unwrap(),
        resource("Succeeded")
    );
    assert_eq!(server.lines(), [format!("PUT {RESOURCE}")]);
}

#[tokio::test(start_paused = true)]
async fn a_202_without_anything_to_poll_is_an_unexpected_response() {
    let server = Server::start(|_, _| Reply::status(202)).await;
    let err = client(&server)
        .begin_put(RESOURCE, &json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::UnexpectedResponse { status: 202, .. }),
        "{err:?}"
    );
}
