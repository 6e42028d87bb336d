//! Long-running operations: status resource, progress, timing, forced outcomes, cancellation.

use std::time::Duration;

use aml_emulator::{Emulator, OperationOutcome};
use aml_model::wire::{ErrorDetail, OperationStatus, OperationStatusResult};
use reqwest::StatusCode;

use super::support::{API, Env, attach, create, frozen};

#[tokio::test]
async fn the_status_goes_from_in_progress_to_succeeded() {
    let env = Env::with(Emulator::builder().timings(frozen())).await;
    let answer = env.put_compute("stepwise", &attach("aks-prod")).await;
    let url = answer.header("azure-asyncoperation").unwrap().to_owned();
    assert!(url.starts_with(env.emulator.base_url()), "{url}");
    assert!(url.contains(
        "/providers/Microsoft.MachineLearningServices/locations/eastus/computeOperationsStatus/"
    ));
    assert!(url.ends_with(&format!("?{API}")), "{url}");

    let running = env.get(&url).await;
    assert_eq!(running.status, StatusCode::OK);
    assert_eq!(running.header("retry-after-ms"), Some("10"));
    assert_eq!(running.header("retry-after"), Some("1"));
    let status: OperationStatusResult = serde_json::from_value(running.json).unwrap();
    assert_eq!(status.status, Some(OperationStatus::InProgress));
    assert!(status.start_time.is_some() && status.end_time.is_none());
    assert!(status.percent().unwrap() < 100.0);
    assert_eq!(
        env.get_compute("stepwise").await.json["properties"]["provisioningState"],
        "Creating"
    );

    assert_eq!(env.emulator.complete_operations(), 1);
    let done = env.get(&url).await;
    assert!(done.header("retry-after").is_none());
    let status: OperationStatusResult = serde_json::from_value(done.json).unwrap();
    assert_eq!(status.status, Some(OperationStatus::Succeeded));
    assert_eq!(status.percent(), Some(100.0));
    assert!(status.end_time.is_some());
    assert_eq!(
        env.get_compute("stepwise").await.json["properties"]["provisioningState"],
        "Succeeded"
    );
}

#[tokio::test]
async fn operations_finish_by_themselves_after_their_duration() {
    // 50 ms operations, 10 ms polls: the client just polls until the end.
    let env = Env::start().await;
    let answer = env
        .put_compute("timed", &create(3, "Standard_D3_v2", "FastProd"))
        .await;
    let status = env.wait(&answer).await;
    assert_eq!(status["status"], "Succeeded");
    // The client polled at least once, and every poll is in the log.
    let polls = env
        .emulator
        .requests()
        .count("GET", "/computeOperationsStatus/");
    assert!(polls >= 1);
    assert_eq!(env.emulator.requests().count("PUT", "/computes/timed"), 1);
}

#[tokio::test]
async fn a_forced_failure_ends_the_operation_failed_with_its_error() {
    let env = Env::start().await;
    env.emulator.faults().fail_next_operation(ErrorDetail {
        code: Some("QuotaExceeded".into()),
        message: Some("Not enough cores in eastus.".into()),
        ..Default::default()
    });
    let status = env
        .put_and_wait("unlucky", &create(3, "Standard_D3_v2", "FastProd"))
        .await;
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"]["code"], "QuotaExceeded");
    let get = env.get_compute("unlucky").await;
    assert_eq!(get.json["properties"]["provisioningState"], "Failed");
    assert_eq!(
        get.json["properties"]["provisioningErrors"][0]["error"]["code"],
        "QuotaExceeded"
    );
    // The new cluster failed with it.
    let cluster = get.json["properties"]["resourceId"].as_str().unwrap();
    let cluster = env.get(&format!("{cluster}?api-version=2024-09-01")).await;
    assert_eq!(cluster.json["properties"]["provisioningState"], "Failed");
    // Only the next operation was affected.
    let status = env.put_and_wait("lucky", &attach("aks-prod")).await;
    assert_eq!(status["status"], "Succeeded");
}

#[tokio::test]
async fn a_forced_cancellation_ends_the_operation_canceled() {
    let env = Env::start().await;
    env.emulator
        .faults()
        .end_next_operations(OperationOutcome::Canceled, 1);
    let status = env.put_and_wait("canceled", &attach("aks-prod")).await;
    assert_eq!(status["status"], "Canceled");
    assert_eq!(
        env.get_compute("canceled").await.json["properties"]["provisioningState"],
        "Canceled"
    );
}

#[tokio::test]
async fn deleting_a_compute_being_created_cancels_the_creation() {
    let env = Env::with(Emulator::builder().timings(frozen())).await;
    let create_answer = env
        .put_compute("doomed", &create(3, "Standard_D3_v2", "FastProd"))
        .await;
    let delete = env.delete_compute("doomed", "Delete").await;
    assert_eq!(delete.status, StatusCode::ACCEPTED);
    let created = env
        .get(create_answer.header("azure-asyncoperation").unwrap())
        .await;
    assert_eq!(created.json["status"], "Canceled");
    assert_eq!(
        env.get_compute("doomed").await.json["properties"]["provisioningState"],
        "Deleting"
    );
    // A repeated DELETE while deleting answers with the same operation.
    let again = env.delete_compute("doomed", "Delete").await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    assert_eq!(
        again.header("azure-asyncoperation"),
        delete.header("azure-asyncoperation")
    );
    env.emulator.complete_operations();
    assert_eq!(
        env.get_compute("doomed").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn unknown_operations_are_404() {
    let env = Env::start().await;
    let answer = env
        .get(&format!("/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.MachineLearningServices/locations/eastus/computeOperationsStatus/nope?{API}"))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    // An operation is only visible from its own subscription.
    let real = env.put_compute("visible", &attach("aks-prod")).await;
    let url = real.header("azure-asyncoperation").unwrap().replace(
        "00000000-0000-0000-0000-000000000000",
        "11111111-1111-1111-1111-111111111111",
    );
    assert_eq!(env.get(&url).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_advertised_poll_interval_is_configurable() {
    let env = Env::with(
        Emulator::builder()
            .operation_duration(Duration::from_secs(3600))
            .retry_after(Duration::from_millis(2500)),
    )
    .await;
    let answer = env.put_compute("slow", &attach("aks-prod")).await;
    assert_eq!(answer.header("retry-after"), Some("3"));
    assert_eq!(answer.header("retry-after-ms"), Some("2500"));
}
