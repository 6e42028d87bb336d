//! Waiting: the progress stream, resuming from a token in a new client, timeouts, and polls
//! that cannot be read.

use std::time::Duration;

use aml_compute::{Error, OperationKind};

use crate::support::{aks, devtest, emulator_taking, setup, wait, workspace};

#[tokio::test]
async fn progress_is_a_stream_of_every_step_and_poll() {
    use aml_compute::Activity;
    use futures::StreamExt;

    let (_emu, ws) = setup().await;
    let mut op = ws.begin_create("prog", devtest()).await.unwrap();
    let steps = op.plan().steps().len();
    let events: Vec<aml_compute::ProgressEvent> =
        op.progress().map(Result::unwrap).collect::<Vec<_>>().await;
    // The create's read, check and write ran before `begin_create` returned: the stream
    // reports them first, numbered as the plan numbers them, then the wait's polls, then the end.
    assert!(
        events
            .iter()
            .all(|e| e.steps == steps && e.compute == "prog")
    );
    let ran: Vec<(usize, &Activity)> = events[..3].iter().map(|e| (e.step, &e.activity)).collect();
    assert!(
        matches!(
            ran[..],
            [
                (1, Activity::Ran(_)),
                (2, Activity::Ran(_)),
                (3, Activity::Ran(_))
            ]
        ),
        "{events:?}"
    );
    let (last, rest) = events.split_last().unwrap();
    assert_eq!(last.activity, Activity::Finished);
    assert_eq!(last.to_string(), "prog: create done");
    let polls = &rest[3..];
    assert!(!polls.is_empty(), "{events:?}");
    assert!(
        polls
            .iter()
            .all(|e| e.step == 4 && matches!(e.activity, Activity::Polled { .. })),
        "{events:?}"
    );
    let Activity::Polled { status, .. } = &polls.last().unwrap().activity else {
        unreachable!()
    };
    assert_eq!(status.as_str(), "Succeeded");
    assert!(
        polls
            .last()
            .unwrap()
            .to_string()
            .starts_with("prog: create 4/4 Succeeded ("),
        "{}",
        polls.last().unwrap()
    );
    // Awaiting after the stream returns the outcome without another request.
    assert!(op.await.unwrap().compute().is_some());
}

#[tokio::test]
async fn an_operation_resumes_in_a_new_client_without_a_second_put() {
    let (emu, ws) = setup().await;
    let op = ws.begin_create("resumed", devtest()).await.unwrap();
    let token = op.resume_token().unwrap();
    drop(op);
    let fresh = workspace(&emu);
    let op = fresh
        .resume(&token, "resumed", OperationKind::Create)
        .unwrap();
    let done = aks(wait(op).await);
    assert_eq!(done.name(), "resumed");
    assert_eq!(emu.requests().count("PUT", "/computes/resumed"), 1);
}

#[tokio::test]
async fn waiting_times_out_with_a_resume_token() {
    let emu = emulator_taking(Duration::from_millis(400)).await;
    let ws = workspace(&emu);
    let op = ws.begin_create("slow", devtest()).await.unwrap();
    let err = op
        .with_timeout(Duration::from_millis(50))
        .await
        .unwrap_err();
    let Error::Timeout { resume_token, .. } = err else {
        panic!("expected a timeout, got {err}")
    };
    let done = aks(wait(
        ws.resume(&resume_token, "slow", OperationKind::Create)
            .unwrap(),
    )
    .await);
    assert_eq!(done.provisioning_state().unwrap().as_str(), "Succeeded");
}

#[tokio::test]
async fn unreadable_polls_end_with_a_resume_token_not_a_lost_operation() {
    use aml_emulator::{Fault, FaultRule};
    let (emu, ws) = setup().await;
    let op = ws.begin_create("polls", devtest()).await.unwrap();
    let rule = emu.faults().inject(
        FaultRule::new(Fault::MalformedJson)
            .always()
            .path_contains("computeOperationsStatus"),
    );
    let err = op.await.unwrap_err();
    let Error::WaitInterrupted {
        ref resume_token, ..
    } = err
    else {
        panic!("expected WaitInterrupted, got {err}")
    };
    assert_eq!(err.resume_token(), Some(resume_token));
    emu.faults().remove(rule);
    let done = aks(wait(
        ws.resume(resume_token, "polls", OperationKind::Create)
            .unwrap(),
    )
    .await);
    assert_eq!(done.provisioning_state().unwrap().as_str(), "Succeeded");
    assert_eq!(emu.requests().count("PUT", "/computes/polls"), 1);
}
