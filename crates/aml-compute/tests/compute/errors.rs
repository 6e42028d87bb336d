//! How errors are reported: operations that end `Failed` or `Canceled`, and the kind of every
//! error (auth, throttling, transport and the rest).

use std::time::Duration;

use aml_compute::Error;
use aml_emulator::{Emulator, OperationOutcome};
use aml_model::wire::ErrorDetail;

use crate::support::{TOKEN, create_devtest, devtest, setup, workspace};

#[tokio::test]
async fn a_failed_operation_carries_the_arm_error() {
    let (emu, ws) = setup().await;
    emu.faults().fail_next_operation(ErrorDetail {
        code: Some("QuotaExceeded".into()),
        message: Some(
            "Operation could not be completed as it results in exceeding approved cores quota"
                .into(),
        ),
        ..ErrorDetail::default()
    });
    let op = ws.begin_create("quota", devtest()).await.unwrap();
    let err = op.await.unwrap_err();
    assert_eq!(err.arm_code(), Some("QuotaExceeded"), "{err}");
    // The code is in the source chain, not repeated in the message.
    let chain = aml_model::error::chain(&err);
    assert!(!chain[0].contains("QuotaExceeded"), "{chain:?}");
    assert!(chain[1].contains("QuotaExceeded"), "{chain:?}");
    assert!(matches!(err, Error::OperationFailed { .. }));
}

#[tokio::test]
async fn a_canceled_operation_is_reported() {
    let (emu, ws) = setup().await;
    emu.faults()
        .end_next_operations(OperationOutcome::Canceled, 1);
    let err = ws
        .begin_create("cxl", devtest())
        .await
        .unwrap()
        .await
        .unwrap_err();
    match err {
        Error::OperationFailed { status, .. } => assert_eq!(status.as_str(), "Canceled"),
        other => panic!("expected OperationFailed, got {other}"),
    }
}

#[tokio::test]
async fn error_kinds_cover_auth_throttling_transport_and_the_rest() {
    use aml_compute::ErrorKind;
    use aml_emulator::{Fault, FaultRule};
    // Auth: the emulator expects another token.
    let emu = Emulator::builder()
        .token("the-right-token")
        .start()
        .await
        .unwrap();
    let ws = workspace(&emu);
    let err = ws.get("anything").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(
        !format!("{err} {err:?}").contains(TOKEN),
        "the token never appears in errors"
    );

    // Throttled: 429s beyond the (disabled) retry policy.
    let (emu, ws) = setup().await;
    emu.faults()
        .inject(FaultRule::new(Fault::throttle(Duration::from_millis(5))).times(1));
    let err = ws.get("anything").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled, "{err}");

    // NotFound, AlreadyExists, Validation.
    assert_eq!(
        ws.get("missing").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        ws.get("1x").await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    create_devtest(&ws, "kinds").await;
    assert_eq!(
        ws.begin_create("kinds", devtest())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::AlreadyExists
    );

    // Transport: nothing listens there any more.
    let addr = emu.addr();
    emu.shutdown().await;
    let err = ws.get("anything").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err} ({addr})");
}
