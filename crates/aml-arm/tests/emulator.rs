//! The ARM transport against `aml-emulator`, the local stateful ARM emulator, over real HTTP on
//! 127.0.0.1: long-running operations (create, update, delete, failure, cancellation, timeout and
//! resume), `nextLink` paging, retries through the emulator's fault injection and throttling,
//! request ids, and host pinning.
//!
//! These run on the real clock with short emulator timings (operations of 30 ms, polls
//! advertised every 5 ms) and assert on what happened (the emulator's request log, statuses,
//! bodies), never on how long it took. Tests that need an operation to stay in progress use
//! operations of ten minutes and end them with `Emulator::complete_operations`.
//!
//! Protocol edge cases an emulator should not have to fake (hangs, malformed pages, loops,
//! redirects) are scripted in `tests/arm/`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failure here is a test failure"
)]

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use aml_arm::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use aml_arm::{
    ArmClient, ArmClientOptions, Cloud, Error, PollOptions, RequestOptions, ResumeToken,
    RetryOptions, UrlSource,
};
use aml_emulator::{
    Bucket, Emulator, Fault, FaultRule, LoggedRequest, OperationOutcome, STANDARD_RESOURCE_GROUP,
    STANDARD_SUBSCRIPTION, STANDARD_WORKSPACE, Throttling,
};
use aml_model::wire::OperationStatus;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The only token the emulators here accept; no error may show it.
const TOKEN: &str = "eyJ0eXAiOiJKV1QifQ.emulator-arm-test-token.c2lnbmF0dXJl";
/// A token the emulators refuse.
const WRONG_TOKEN: &str = "eyJ0eXAiOiJKV1QifQ.revoked-token.c2lnbmF0dXJl";
const SCOPE: &str = "https://management.azure.com/.default";
const API_VERSION: &str = "2024-04-01";
/// The wait the emulators advertise between polls (`retry-after-ms: 5`, `Retry-After: 1`).
const HINT: Duration = Duration::from_millis(5);
/// Long enough that an operation only ends through `complete_operations`.
const FOREVER: Duration = Duration::from_secs(600);

/// A credential that hands out [`WRONG_TOKEN`] for its first `wrong` calls, then [`TOKEN`],
/// and counts its calls. (aml-compute's `StaticTokenCredential` is a layer above this crate.)
#[derive(Debug, Default)]
struct TestCredential {
    wrong: u32,
    calls: AtomicU32,
}

impl TestCredential {
    fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn wrong_first(wrong: u32) -> Arc<Self> {
        Arc::new(Self {
            wrong,
            calls: AtomicU32::new(0),
        })
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl TokenCredential for TestCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        assert_eq!(scopes, [SCOPE]);
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let token = if call < self.wrong {
            WRONG_TOKEN
        } else {
            TOKEN
        };
        Ok(AccessToken::new(
            token,
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

/// An emulator accepting only [`TOKEN`], whose operations take 30 ms and advertise 5 ms polls.
async fn emulator() -> Emulator {
    Emulator::builder()
        .token(TOKEN)
        .operation_duration(Duration::from_millis(30))
        .retry_after(HINT)
        .start()
        .await
        .unwrap()
}

/// An emulator whose operations run until `complete_operations`, advertising `hint`.
async fn slow_emulator(hint: Duration) -> Emulator {
    Emulator::builder()
        .token(TOKEN)
        .operation_duration(FOREVER)
        .retry_after(hint)
        .start()
        .await
        .unwrap()
}

/// Client options for `base`: the emulator's api-version, the guideline's retry policy with a
/// 5 ms base delay (server hints are used as given), and the default 10 s poll interval, so a
/// poller that ignored the emulator's `retry-after-ms` would be slow, not wrong.
fn options(base: &str) -> ArmClientOptions {
    ArmClientOptions {
        cloud: Cloud::custom(base, SCOPE).unwrap(),
        api_version: Some(API_VERSION.to_owned()),
        retry: RetryOptions {
            base_delay: Duration::from_millis(5),
            ..RetryOptions::default()
        },
        ..ArmClientOptions::default()
    }
}

fn client(emu: &Emulator) -> ArmClient {
    ArmClient::new(TestCredential::new(), options(emu.base_url())).unwrap()
}

fn workspace() -> String {
    format!(
        "/subscriptions/{STANDARD_SUBSCRIPTION}/resourceGroups/{STANDARD_RESOURCE_GROUP}\
         /providers/Microsoft.MachineLearningServices/workspaces/{STANDARD_WORKSPACE}"
    )
}

fn compute(name: &str) -> String {
    format!("{}/computes/{name}", workspace())
}

/// A new AKS compute with a new cluster (the emulator's defaults: 3 x Standard_D3_v2, FastProd).
fn aks_create() -> Value {
    json!({ "properties": { "computeType": "AKS" } })
}

fn aml_compute() -> Value {
    json!({ "properties": { "computeType": "AmlCompute", "properties": { "vmSize": "STANDARD_D2_V2" } } })
}

fn is_status_poll(entry: &LoggedRequest) -> bool {
    entry.is("GET", "/computeOperationsStatus/")
}

/// `"METHOD /path"` of every logged request, with operation ids replaced by `{op}`.
fn lines(emu: &Emulator) -> Vec<String> {
    emu.requests()
        .entries()
        .iter()
        .map(|e| {
            let path = if is_status_poll(e) {
                "{status}".to_owned()
            } else {
                e.path.replace(&workspace(), "{ws}")
            };
            format!("{} {path}", e.method)
        })
        .collect()
}

/// Creates `name` and waits for it.
async fn create(client: &ArmClient, name: &str, body: &Value) -> Value {
    client
        .begin_put(&compute(name), body)
        .await
        .unwrap()
        .wait_json()
        .await
        .unwrap()
}

// --- Long-running operations -------------------------------------------------------------------

#[tokio::test]
async fn create_and_delete_run_to_success_through_the_async_operation() {
    let emu = emulator().await;
    let client = client(&emu);
    let target = compute("web");

    let poller = client.begin_put(&target, &aks_create()).await.unwrap();
    assert!(!poller.is_done());
    assert_eq!(
        poller.next_poll_in(),
        HINT,
        "retry-after-ms, not Retry-After"
    );
    let created: Value = poller.wait_json().await.unwrap();
    assert_eq!(created["name"], "web");
    assert_eq!(created["properties"]["provisioningState"], "Succeeded");

    // One PUT, status polls until Succeeded, then a GET of the resource.
    let log = lines(&emu);
    assert_eq!(log.first().unwrap(), "PUT {ws}/computes/web");
    assert_eq!(log.last().unwrap(), "GET {ws}/computes/web");
    let polls = &log[1..log.len() - 1];
    assert!(!polls.is_empty());
    assert!(polls.iter().all(|l| l == "GET {status}"), "{log:?}");
    let entries = emu.requests().entries();
    assert_eq!(entries[0].status, Some(201));
    assert!(entries.iter().all(|e| e.fault.is_none()));

    // The new cluster exists while the compute does.
    let cluster = created["properties"]["resourceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let aks: Value = client.get_json(&cluster).await.unwrap();
    assert_eq!(aks["properties"]["provisioningState"], "Succeeded");

    // Delete (with the cluster): 202 with both headers, polled through Azure-AsyncOperation,
    // done on Succeeded without a GET of the resource.
    emu.requests().clear();
    let response = client
        .begin_delete(&format!("{target}?underlyingResourceAction=Delete"))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().unwrap()["status"], "Succeeded");
    let log = lines(&emu);
    assert_eq!(log[0], "DELETE {ws}/computes/web");
    assert!(log.len() >= 2);
    assert!(log[1..].iter().all(|l| l == "GET {status}"), "{log:?}");
    let delete = &emu.requests().entries()[0];
    assert_eq!(delete.status, Some(202));
    assert_eq!(
        delete.query.as_deref(),
        Some(format!("underlyingResourceAction=Delete&api-version={API_VERSION}").as_str())
    );

    assert!(
        client
            .get_json::<Value>(&target)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        client
            .get_json::<Value>(&cluster)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn a_delete_of_nothing_is_a_204_that_is_never_polled() {
    let emu = emulator().await;
    let poller = client(&emu)
        .begin_delete(&format!(
            "{}?underlyingResourceAction=Detach",
            compute("absent")
        ))
        .await
        .unwrap();
    assert!(poller.is_done());
    assert_eq!(poller.status(), &OperationStatus::Succeeded);
    assert_eq!(poller.wait().await.unwrap().status(), 204);
    assert_eq!(lines(&emu), ["DELETE {ws}/computes/absent"]);
}

#[tokio::test]
async fn a_200_answer_without_an_operation_is_terminal_and_never_polled() {
    let emu = emulator().await;
    let client = client(&emu);
    create(&client, "keys", &aks_create()).await;
    emu.requests().clear();

    // An action answered 200 at once.
    let poller = client
        .begin(
            http::Request::post(format!("{}/listKeys", compute("keys")))
                .body(aml_model::request::Body::default())
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(poller.is_done());
    assert_eq!(poller.status(), &OperationStatus::Succeeded);
    let keys = poller.wait().await.unwrap();
    assert_eq!(keys.status(), 200);
    assert!(keys.json::<Value>().unwrap().is_object());
    // A plain read used as an operation.
    let workspace = client
        .begin(get(workspace()))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(
        workspace.json::<Value>().unwrap()["name"],
        STANDARD_WORKSPACE
    );
    assert_eq!(
        lines(&emu),
        ["POST {ws}/computes/keys/listKeys", "GET {ws}"]
    );
}

#[tokio::test]
async fn a_200_answer_with_an_async_operation_is_polled_then_the_resource_read() {
    // The emulator answers PATCH with 200 + Azure-AsyncOperation: the header decides, not the 200.
    let emu = emulator().await;
    let client = client(&emu);
    create(&client, "cpu", &aml_compute()).await;
    emu.requests().clear();

    let scale = json!({ "maxNodeCount": 4, "minNodeCount": 0 });
    let poller = client
        .begin(json_request(
            http::Method::PATCH,
            compute("cpu"),
            &json!({ "properties": { "properties": { "scaleSettings": scale } } }),
        ))
        .await
        .unwrap();
    assert!(!poller.is_done());
    let updated: Value = poller.wait_json().await.unwrap();
    assert_eq!(updated["properties"]["properties"]["scaleSettings"], scale);
    assert_eq!(updated["properties"]["provisioningState"], "Succeeded");
    let log = lines(&emu);
    assert_eq!(log.first().unwrap(), "PATCH {ws}/computes/cpu");
    assert_eq!(log.last().unwrap(), "GET {ws}/computes/cpu");
    assert!(log[1..log.len() - 1].iter().all(|l| l == "GET {status}"));
    assert!(log.len() >= 3, "{log:?}");
}

#[tokio::test]
async fn a_failed_operation_carries_its_error_details_and_the_provisioning_errors() {
    let emu = emulator().await;
    emu.faults().end_next_operations(
        OperationOutcome::Failed {
            error: serde_json::from_value(json!({
                "code": "AksCreateFailed",
                "message": "quota exceeded",
                "details": [ { "code": "QuotaExceeded", "message": "cores", "target": "agentCount" } ]
            }))
            .unwrap(),
        },
        1,
    );
    let err = client(&emu)
        .begin_put(&compute("doomed"), &aks_create())
        .await
        .unwrap()
        .wait()
        .await
        .unwrap_err();
    let Error::OperationFailed(op) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(op.status, OperationStatus::Failed);
    let error = op.error.as_ref().unwrap();
    assert_eq!(error.code.as_deref(), Some("AksCreateFailed"));
    assert_eq!(error.message.as_deref(), Some("quota exceeded"));
    let details = error.details.as_deref().unwrap();
    assert_eq!(details[0].code.as_deref(), Some("QuotaExceeded"));
    assert_eq!(details[0].target.as_deref(), Some("agentCount"));
    // The compute went Failed with the same error in provisioningErrors ({"error": {...}}).
    assert_eq!(op.provisioning_errors.len(), 1);
    assert_eq!(
        op.provisioning_errors[0].code.as_deref(),
        Some("AksCreateFailed")
    );
    assert_eq!(op.http_status, None);
    assert_eq!(err.arm_code(), Some("AksCreateFailed"));
    let text = err.to_string();
    assert!(
        text.contains("ended Failed: AksCreateFailed: quota exceeded; QuotaExceeded: cores"),
        "{text}"
    );
    // The request id is the emulator's, of the status poll that reported the failure.
    let request_id = op.request_ids.request_id.as_deref().unwrap();
    let entries = emu.requests().entries();
    let reporting = entries.iter().find(|e| e.request_id == request_id).unwrap();
    assert!(is_status_poll(reporting));
    // After the failure, one GET of the resource for its provisioning errors; no final GET.
    assert_eq!(lines(&emu).last().unwrap(), "GET {ws}/computes/doomed");
    assert_eq!(emu.requests().count("GET", "/computes/doomed"), 1);
}

#[tokio::test]
async fn a_canceled_operation_ends_canceled_and_is_not_polled_again() {
    let emu = emulator().await;
    emu.faults()
        .end_next_operations(OperationOutcome::Canceled, 1);
    let mut poller = client(&emu)
        .begin_put(&compute("stopped"), &aks_create())
        .await
        .unwrap();
    let err = loop {
        match poller.step().await {
            Ok(p) => assert!(!p.is_terminal(), "{p:?}"),
            Err(e) => break e,
        }
    };
    let Error::OperationFailed(op) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(op.status, OperationStatus::Canceled);
    assert!(poller.is_done());
    assert_eq!(poller.status(), &OperationStatus::Canceled);
    let before = emu.requests().len();
    assert!(matches!(
        poller.step().await,
        Err(Error::OperationFailed(_))
    ));
    assert_eq!(emu.requests().len(), before, "the outcome is remembered");
}

#[tokio::test]
async fn a_delete_during_a_create_cancels_the_create() {
    let emu = slow_emulator(HINT).await;
    let client = client(&emu);
    let target = compute("short-lived");
    let create = client.begin_put(&target, &aks_create()).await.unwrap();
    let delete = client
        .begin_delete(&format!("{target}?underlyingResourceAction=Delete"))
        .await
        .unwrap();

    let err = create.wait().await.unwrap_err();
    assert!(
        matches!(&err, Error::OperationFailed(op) if op.status == OperationStatus::Canceled),
        "{err:?}"
    );
    assert_eq!(emu.complete_operations(), 1, "only the delete was running");
    assert_eq!(delete.wait().await.unwrap().status(), 200);
    assert!(
        client
            .get_json::<Value>(&target)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn a_timeout_yields_a_resume_token_that_a_fresh_client_continues_without_a_second_put() {
    let emu = slow_emulator(HINT).await;
    let target = compute("resumed");
    let poller = client(&emu)
        .begin_put(&target, &aks_create())
        .await
        .unwrap()
        .with_options(PollOptions {
            timeout: Some(Duration::from_millis(100)),
            ..PollOptions::default()
        });
    let err = poller.wait().await.unwrap_err();
    let Error::OperationTimeout {
        resume_token,
        status,
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert!(!status.is_terminal(), "{status:?}");

    // Stored as text, read back by "another process" with its own client and credential.
    let stored = resume_token.as_str().to_owned();
    assert!(!stored.contains(TOKEN));
    assert_eq!(emu.complete_operations(), 1);
    let credential = TestCredential::new();
    let fresh = ArmClient::new(credential.clone(), options(emu.base_url())).unwrap();
    let before = emu.requests().len();
    let token: ResumeToken = stored.parse().unwrap();
    let resumed: Value = fresh.resume(&token).unwrap().wait_json().await.unwrap();
    assert_eq!(resumed["name"], "resumed");
    assert_eq!(resumed["properties"]["provisioningState"], "Succeeded");

    assert_eq!(
        emu.requests().count("PUT", "/computes/"),
        1,
        "no second PUT"
    );
    let after: Vec<String> = lines(&emu).split_off(before);
    assert_eq!(after, ["GET {status}", "GET {ws}/computes/resumed"]);
    assert_eq!(credential.calls(), 1);
}

#[tokio::test]
async fn a_resumed_delete_can_poll_the_location_header_too() {
    // The emulator answers DELETE with both Azure-AsyncOperation and Location; the poller
    // prefers the former. A token that only knows the Location URL (as from a service that
    // sends only Location) polls computeOperationsResult: 202 while running, then 204.
    let emu = slow_emulator(HINT).await;
    let client = client(&emu);
    create_now(&emu, &client, "located").await;
    let poller = client
        .begin_delete(&format!(
            "{}?underlyingResourceAction=Detach",
            compute("located")
        ))
        .await
        .unwrap();
    let mut state: Value = serde_json::from_str(poller.resume_token().as_str()).unwrap();
    let location = state["locationUrl"].as_str().unwrap().to_owned();
    assert!(location.contains("/computeOperationsResult/"), "{location}");
    state.as_object_mut().unwrap().remove("asyncOperationUrl");
    state["mode"] = json!("location");
    let token: ResumeToken = state.to_string().parse().unwrap();

    let mut resumed = client.resume(&token).unwrap();
    let progress = resumed.step().await.unwrap();
    assert!(!progress.is_terminal());
    assert_eq!(progress.next_poll_in, Some(HINT));
    emu.complete_operations();
    let response = resumed.wait().await.unwrap();
    assert_eq!(response.status(), 204);
    let results = emu.requests().matching("GET", "/computeOperationsResult/");
    let statuses: Vec<_> = results.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Some(202), Some(204)]);
    assert!(
        client
            .get_json::<Value>(&compute("located"))
            .await
            .unwrap_err()
            .is_not_found()
    );
}

/// Creates `name` on a slow emulator, finishing the operation at once.
async fn create_now(emu: &Emulator, client: &ArmClient, name: &str) {
    let poller = client
        .begin_put(&compute(name), &aks_create())
        .await
        .unwrap();
    emu.complete_operations();
    poller.wait().await.unwrap();
}

#[tokio::test]
async fn polls_wait_what_retry_after_ms_says_capped_at_max_interval() {
    // 1500 ms: `retry-after-ms: 1500` (and `Retry-After: 2`, rounded up) on every answer.
    let emu = slow_emulator(Duration::from_millis(1500)).await;
    let poller = client(&emu)
        .begin_put(&compute("hinted"), &aks_create())
        .await
        .unwrap();
    assert_eq!(poller.next_poll_in(), Duration::from_millis(1500));
    let capped = ArmClient::new(
        TestCredential::new(),
        ArmClientOptions {
            poll: PollOptions {
                max_interval: Duration::from_millis(20),
                ..PollOptions::default()
            },
            ..options(emu.base_url())
        },
    )
    .unwrap();
    let mut poller = capped
        .begin_put(&compute("capped"), &aml_compute())
        .await
        .unwrap();
    assert_eq!(poller.next_poll_in(), Duration::from_millis(20));
    let progress = poller.step().await.unwrap();
    assert_eq!(progress.status, OperationStatus::InProgress);
    assert_eq!(progress.polls, 1);
    assert_eq!(progress.next_poll_in, Some(Duration::from_millis(20)));
    let percent = progress.percent_complete.unwrap();
    assert!((0.0..100.0).contains(&percent), "{percent}");
}

// --- Paging --------------------------------------------------------------------------------------

#[tokio::test]
async fn items_and_pages_follow_next_link_to_the_end() {
    let emu = Emulator::builder()
        .token(TOKEN)
        .operation_duration(Duration::from_millis(30))
        .retry_after(HINT)
        .page_size(2)
        .start()
        .await
        .unwrap();
    let client = client(&emu);
    let names = ["cpu-1", "cpu-2", "cpu-3", "cpu-4", "cpu-5"];
    for name in names {
        client
            .begin_put(&compute(name), &aml_compute())
            .await
            .unwrap();
    }
    emu.requests().clear();
    let list = format!("{}/computes", workspace());

    let listed: Vec<String> = client
        .list::<Value>(&list)
        .map(|c| c.unwrap()["name"].as_str().unwrap().to_owned())
        .collect()
        .await;
    assert_eq!(listed, names);

    let pages: Vec<_> = client
        .list_pages::<Value>(get(&list))
        .map(Result::unwrap)
        .collect()
        .await;
    let sizes: Vec<_> = pages.iter().map(|p| (p.items.len(), p.has_next)).collect();
    assert_eq!(sizes, [(2, true), (2, true), (1, false)]);
    assert!(pages.iter().all(|p| p.request_ids.request_id.is_some()));

    // Three GETs per listing; the nextLinks' api-version and $skip are used as given.
    let entries = emu.requests().entries();
    assert_eq!(entries.len(), 6);
    for (i, entry) in entries.iter().enumerate() {
        assert!(entry.is("GET", &list) && entry.path.ends_with("/computes"));
        let query = entry.query.as_deref().unwrap();
        assert_eq!(query.matches("api-version=").count(), 1, "{query}");
        assert_eq!(i % 3 != 0, query.contains("$skip="), "{query}");
    }
}

// --- Retries -------------------------------------------------------------------------------------

#[tokio::test]
async fn injected_throttling_is_waited_out_with_one_client_request_id() {
    let emu = emulator().await;
    emu.faults()
        .inject(FaultRule::new(Fault::throttle(HINT)).times(2).method("GET"));
    let response = client(&emu).send(get(workspace())).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.attempts(), 3);

    let entries = emu.requests().entries();
    let statuses: Vec<_> = entries.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Some(429), Some(429), Some(200)]);
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
    let seen: Vec<_> = puts.iter().map(|e| e.status).collect();
    assert_eq!(seen, [None, Some(201)]);
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

    let statuses: Vec<_> = emu.requests().entries().iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Some(404), Some(400), Some(400)], "one try each");
    for err in [missing, bad_name, bad_version] {
        assert!(!format!("{err} {err:?}").contains(TOKEN));
    }
}

// --- Headers, request ids, tokens ----------------------------------------------------------------

#[tokio::test]
async fn requests_carry_the_ids_and_the_token_the_emulator_checks() {
    let emu = emulator().await;
    let client = ArmClient::new(
        TestCredential::new(),
        ArmClientOptions {
            correlation_id: Some("corr-emulator".to_owned()),
            user_agent_suffix: Some("emulator-test/1".to_owned()),
            ..options(emu.base_url())
        },
    )
    .unwrap();
    let response = client
        .send(get(workspace()).options(RequestOptions {
            client_request_id: Some("id-1".to_owned()),
            ..RequestOptions::default()
        }))
        .await
        .unwrap();
    // The emulator accepted the token (it accepts only TOKEN) and echoed the ids.
    let ids = response.request_ids();
    assert_eq!(ids.client_request_id.as_deref(), Some("id-1"));
    assert_eq!(ids.correlation_request_id.as_deref(), Some("corr-emulator"));
    let entry = &emu.requests().entries()[0];
    assert_eq!(ids.request_id.as_deref(), Some(entry.request_id.as_str()));
    assert_eq!(entry.client_request_id.as_deref(), Some("id-1"));
    assert_eq!(entry.path, workspace());
    assert_eq!(
        entry.query.as_deref(),
        Some(format!("api-version={API_VERSION}").as_str())
    );

    // Without a caller id, each call gets a fresh UUID.
    client.send(get(workspace())).await.unwrap();
    client.send(get(workspace())).await.unwrap();
    let generated: Vec<_> = emu.requests().entries()[1..]
        .iter()
        .map(|e| e.client_request_id.clone().unwrap())
        .collect();
    assert_ne!(generated[0], generated[1]);
    assert!(generated.iter().all(|id| id.len() == 36));
}

#[tokio::test]
async fn a_refused_token_is_replaced_once() {
    let emu = emulator().await;
    // The first token is refused (401 InvalidAuthenticationToken); the retry gets a new one.
    let credential = TestCredential::wrong_first(1);
    let client = ArmClient::new(credential.clone(), options(emu.base_url())).unwrap();
    let response = client.send(get(workspace())).await.unwrap();
    assert_eq!(response.attempts(), 2);
    assert_eq!(credential.calls(), 2);
    // The new token is cached.
    client.send(get(workspace())).await.unwrap();
    assert_eq!(credential.calls(), 2);
    let statuses: Vec<_> = emu.requests().entries().iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Some(401), Some(200), Some(200)]);

    // A credential that keeps producing a refused token: one refresh, then the 401.
    let stuck = TestCredential::wrong_first(u32::MAX);
    let err = ArmClient::new(stuck.clone(), options(emu.base_url()))
        .unwrap()
        .send(get(workspace()))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.arm_code(), Some("InvalidAuthenticationToken"));
    assert_eq!(stuck.calls(), 2);
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains(WRONG_TOKEN) && !text.contains(TOKEN),
        "{text}"
    );
}

// --- Host pinning ------------------------------------------------------------------------------

/// A scripted HTTP/1.1 server on 127.0.0.1 that answers every request with `reply(method,
/// path)` and counts them: an "ARM" that hands out URLs of another host.
async fn scripted(
    reply: impl Fn(&str, &str) -> (u16, Vec<(&'static str, String)>, String) + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let (reply, counter) = (Arc::new(reply), Arc::clone(&count));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (reply, counter) = (Arc::clone(&reply), Arc::clone(&counter));
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut chunk = [0u8; 4096];
                let head = loop {
                    if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        break String::from_utf8_lossy(&request[..end]).into_owned();
                    }
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                };
                let length: usize = head
                    .lines()
                    .filter_map(|l| l.split_once(':'))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.trim().parse().ok())
                    .unwrap_or(0);
                while request.len() < head.len() + 4 + length {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let mut parts = head.split(' ');
                let method = parts.next().unwrap_or_default();
                let path = parts.next().unwrap_or_default().split('?').next().unwrap();
                let (status, headers, body) = reply(method, path);
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (name, value) in headers {
                    let _ = write!(out, "{name}: {value}\r\n");
                }
                out.push_str("\r\n");
                out.push_str(&body);
                socket.write_all(out.as_bytes()).await.ok();
                socket.shutdown().await.ok();
            });
        }
    });
    (base, count)
}

#[tokio::test]
async fn urls_pointing_at_another_host_are_refused_and_that_host_hears_nothing() {
    // The emulator is the "other host": its request log proves nothing reached it.
    let other = emulator().await;
    let poll_url = other.url(&format!(
        "/subscriptions/{STANDARD_SUBSCRIPTION}/providers/Microsoft.MachineLearningServices\
         /locations/eastus/computeOperationsStatus/x?api-version={API_VERSION}"
    ));
    let next_link = other.url(&format!(
        "{}/computes?api-version={API_VERSION}&$skip=a",
        workspace()
    ));
    let (base, count) = scripted(move |method, _| match method {
        "PUT" => (
            201,
            vec![
                ("azure-asyncoperation", poll_url.clone()),
                ("retry-after-ms", "5".into()),
            ],
            json!({ "properties": { "provisioningState": "Creating" } }).to_string(),
        ),
        _ => (
            200,
            Vec::new(),
            json!({ "value": [ { "name": "a" } ], "nextLink": next_link }).to_string(),
        ),
    })
    .await;
    let scripted_client = ArmClient::new(TestCredential::new(), options(&base)).unwrap();
    let mut errors = Vec::new();

    // An Azure-AsyncOperation URL on the other host.
    let err = scripted_client
        .begin_put(&compute("a"), &aks_create())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ForeignHost {
                source_kind: UrlSource::AzureAsyncOperation,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(other.base_url()), "{err}");
    errors.push(err);

    // A nextLink on the other host: the first page's items, then the refusal.
    let listed: Vec<_> = scripted_client
        .list::<Value>(&format!("{}/computes", workspace()))
        .collect()
        .await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].as_ref().unwrap()["name"], "a");
    let Some(Err(err)) = listed.into_iter().nth(1) else {
        panic!("expected a refusal")
    };
    assert!(
        matches!(
            err,
            Error::ForeignHost {
                source_kind: UrlSource::NextLink,
                ..
            }
        ),
        "{err:?}"
    );
    errors.push(err);
    assert_eq!(
        count.load(Ordering::SeqCst),
        2,
        "the PUT and the first page"
    );

    // A target, and a resume token, from another emulator.
    let home = emulator().await;
    let home_client = client(&home);
    let err = home_client
        .send(get(other.url(&workspace())))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ForeignHost { .. }), "{err:?}");
    errors.push(err);
    let elsewhere = client(&other)
        .begin_put(&compute("elsewhere"), &aks_create())
        .await
        .unwrap()
        .resume_token();
    other.requests().clear();
    let err = home_client.resume(&elsewhere).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ForeignHost {
                source_kind: UrlSource::ResumeToken,
                ..
            }
        ),
        "{err:?}"
    );
    errors.push(err);

    assert!(other.requests().is_empty(), "{:?}", lines(&other));
    assert!(home.requests().is_empty());
    for err in &errors {
        let text = format!("{err} {err:?}");
        assert!(!text.contains(TOKEN), "{text}");
    }
}

// --- Per-call options on follow-up requests ------------------------------------------------------

#[tokio::test]
async fn per_call_options_apply_to_every_page() {
    let emu = Emulator::builder()
        .token(TOKEN)
        .page_size(1)
        .start()
        .await
        .unwrap();
    let client = client(&emu);
    for name in ["one-1", "two-2", "three-3"] {
        client
            .begin_put(&compute(name), &aml_compute())
            .await
            .unwrap();
    }
    emu.requests().clear();
    let request = get(format!("{}/computes", workspace())).options(RequestOptions {
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

/// `GET target`, as the client takes it.
fn get(target: impl AsRef<str>) -> aml_model::request::Request {
    http::Request::get(target.as_ref())
        .body(aml_model::request::Body::default())
        .unwrap()
}

/// `method target` with `body` as JSON.
fn json_request(
    method: http::Method,
    target: impl AsRef<str>,
    body: &serde_json::Value,
) -> aml_model::request::Request {
    http::Request::builder()
        .method(method)
        .uri(target.as_ref())
        .body(aml_model::request::Body::json(body).unwrap())
        .unwrap()
}

/// Per-call options on a request, as callers attach them: in its extensions.
trait WithOptions: Sized {
    fn options(self, options: aml_arm::RequestOptions) -> Self;

    fn api_version(self, api_version: &str) -> Self {
        self.options(aml_arm::RequestOptions {
            api_version: Some(api_version.to_owned()),
            ..aml_arm::RequestOptions::default()
        })
    }
}

impl WithOptions for aml_model::request::Request {
    fn options(mut self, options: aml_arm::RequestOptions) -> Self {
        self.extensions_mut().insert(options);
        self
    }
}
