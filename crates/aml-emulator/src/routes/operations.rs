//! The long-running operation routes: `computeOperationsStatus` (the `Azure-AsyncOperation`
//! status) and `computeOperationsResult` (the `Location` poll), and the headers that announce
//! an operation.

use super::{App, Incoming, ML, Reply};
use crate::arm_error::ArmError;
use crate::state::{Ending, OperationRef, Progress};

/// The URL of an operation's status (`computeOperationsStatus`) or result
/// (`computeOperationsResult`).
pub(super) fn operation_url(request: &Incoming, operation: &OperationRef, kind: &str) -> String {
    format!(
        "{}/subscriptions/{}/providers/{ML}/locations/{}/{kind}/{}?api-version={}",
        request.base, operation.subscription, operation.location, operation.id, request.api_version
    )
}

/// `reply` announcing a running operation: its `Azure-AsyncOperation` status URL and the
/// advertised wait.
pub(super) fn with_async_operation(
    reply: Reply,
    app: &App,
    request: &Incoming,
    operation: &OperationRef,
) -> Reply {
    reply
        .header(
            "azure-asyncoperation",
            operation_url(request, operation, "computeOperationsStatus"),
        )
        .retry_after(app.timings.retry_after)
}

pub(super) fn operation_status(
    app: &App,
    request: &Incoming,
    subscription: &str,
    id: &str,
) -> Result<Reply, ArmError> {
    let state = app.state(request.now, request.time);
    let operation = state.operation(subscription, id)?;
    let id_path = format!(
        "/subscriptions/{}/providers/{ML}/locations/{}/computeOperationsStatus/{}",
        operation.subscription, operation.location, operation.id
    );
    let reply = Reply::json(200, &operation.status_body(request.now, id_path));
    Ok(match operation.progress() {
        Progress::Running => reply.retry_after(app.timings.retry_after),
        Progress::Done(_) => reply,
    })
}

pub(super) fn operation_result(
    app: &App,
    request: &Incoming,
    subscription: &str,
    id: &str,
) -> Result<Reply, ArmError> {
    let state = app.state(request.now, request.time);
    let operation = state.operation(subscription, id)?;
    match operation.progress() {
        Progress::Running => Ok(Reply::empty(202)
            .header(
                "location",
                operation_url(request, &operation.reference(), "computeOperationsResult"),
            )
            .retry_after(app.timings.retry_after)),
        Progress::Done(Ending::Succeeded) => Ok(Reply::empty(204)),
        Progress::Done(Ending::Failed(status, error)) => Err(ArmError {
            status,
            detail: Box::new(error),
        }),
        Progress::Done(Ending::Canceled) => Err(ArmError::new(
            409,
            "OperationCanceled",
            format!("The operation '{id}' was canceled."),
        )),
    }
}
