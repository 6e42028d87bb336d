//! Retried writes: a create whose answer was lost is followed, and a retry refused because
//! another operation runs is sent again (update) or rejected with nothing written (create).

use std::time::Duration;

use aml_arm::RetryOptions;
use aml_compute::config::{AksUpdateConfiguration, LoadBalancerSettings};
use aml_compute::{Error, Workspace};
use aml_emulator::{Emulator, Fault, FaultRule};

use crate::support::{aks, arm_with, create_devtest, devtest, emulator_taking, wait};

/// A client whose retries are quick, against an emulator whose operations take `duration`.
async fn quick_retries(duration: Duration) -> (Emulator, Workspace) {
    let emu = emulator_taking(duration).await;
    let arm = arm_with(
        &emu,
        RetryOptions {
            max_retries: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            ..RetryOptions::default()
        },
    );
    let ws = Workspace::new(arm, emu.workspace_id().unwrap()).with_location("eastus");
    (emu, ws)
}

/// The first try of a PUT is refused with 503 (not handled), the retry with 409 (not handled):
/// as if another operation on the compute had been running.
fn refuse_put_then_conflict(emu: &Emulator, compute: &str) {
    let path = format!("/computes/{compute}");
    for status in [503, 409] {
        emu.faults().inject(
            FaultRule::new(Fault::Status {
                status,
                retry_after: None,
            })
            .times(1)
            .method("PUT")
            .path_contains(&path),
        );
    }
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_followed_not_lost() {
    // Long enough that the retry meets the running operation.
    let (emu, ws) = quick_retries(Duration::from_millis(300)).await;
    // The service handles the first PUT, but its answer never arrives.
    emu.faults().inject(
        FaultRule::new(Fault::ResetAfterHandling)
            .times(1)
            .method("PUT")
            .path_contains("/computes/lost"),
    );
    let op = ws.begin_create("lost", devtest()).await.unwrap();
    let done = aks(wait(op).await);
    assert_eq!(done.provisioning_state().unwrap().as_str(), "Succeeded");
    let puts = emu.requests().matching("PUT", "/computes/lost");
    let statuses: Vec<_> = puts.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [None, Some(409)],
        "the handled try, then the refused retry"
    );
}

#[tokio::test]
async fn a_retried_update_refused_by_another_operation_is_sent_again() {
    let (emu, ws) = quick_retries(Duration::from_millis(20)).await;
    create_devtest(&ws, "again").await;
    refuse_put_then_conflict(&emu, "again");
    let op = ws
        .begin_update(
            "again",
            AksUpdateConfiguration::builder()
                .load_balancer(LoadBalancerSettings::internal("aks-subnet")),
        )
        .await
        .unwrap();
    let updated = aks(wait(op).await);
    assert!(updated.load_balancer_type().is_internal());
    let statuses: Vec<_> = emu
        .requests()
        .matching("PUT", "/computes/again")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses[1..],
        [Some(503), Some(409), Some(201)],
        "the create, the refused tries, then the update sent again: {statuses:?}"
    );
}

#[tokio::test]
async fn a_retried_create_refused_by_another_operation_is_rejected_with_nothing_written() {
    let (emu, ws) = quick_retries(Duration::from_millis(20)).await;
    refuse_put_then_conflict(&emu, "nowrite");
    let err = ws.begin_create("nowrite", devtest()).await.unwrap_err();
    assert!(matches!(err, Error::Rejected { .. }), "{err}");
    assert!(err.is_client_side(), "nothing was written: {err}");
    assert_eq!(err.arm_code(), Some("Conflict"), "{err:?}");
    assert!(
        emu.compute(&ws.id().compute("nowrite".parse().unwrap()))
            .is_none()
    );
}
