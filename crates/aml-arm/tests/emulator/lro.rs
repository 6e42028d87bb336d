//! Long-running operations: create, update, delete, failure, cancellation, timeout and resume.

use std::time::Duration;

use aml_arm::{ArmClient, ArmClientOptions, Error, PollOptions, ResumeToken};
use aml_emulator::{Emulator, OperationOutcome, STANDARD_WORKSPACE};
use aml_model::wire::OperationStatus;
use serde_json::{Value, json};

use crate::support::{
    API_VERSION, HINT, TOKEN, TestCredential, aks_create, aml_compute, client, client_with,
    compute, emulator, get, is_gone, is_status_poll, json_request, lines, options, slow_emulator,
    statuses, workspace,
};

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

    assert!(is_gone(&client, &target).await);
    assert!(is_gone(&client, &cluster).await);
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
    assert!(is_gone(&client, &target).await);
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
    assert_eq!(statuses(&results), [Some(202), Some(204)]);
    assert!(is_gone(&client, &compute("located")).await);
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
    let capped = client_with(ArmClientOptions {
        poll: PollOptions {
            max_interval: Duration::from_millis(20),
            ..PollOptions::default()
        },
        ..options(emu.base_url())
    });
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
