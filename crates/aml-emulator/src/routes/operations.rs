//! The long-running operation routes: `computeOperationsStatus` (the `Azure-AsyncOperation`
//! status) and `computeOperationsResult` (the `Location` poll) for computes, `operations` and
//! `operationresults` for ContainerService agent pools, and the headers that announce an
//! operation.

use super::{AKS, App, Incoming, ML, Reply};
use crate::arm_error::ArmError;
use crate::state::{Ending, OperationRef, Progress, Provider};

/// Which of an operation's URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Poll {
    /// The status resource (`Azure-AsyncOperation`).
    Status,
    /// The result (`Location`).
    Result,
}

/// The namespace and the path keyword of an operation URL.
fn url_parts(provider: Provider, poll: Poll) -> (&'static str, &'static str) {
    match (provider, poll) {
        (Provider::MachineLearning, Poll::Status) => (ML, "computeOperationsStatus"),
        (Provider::MachineLearning, Poll::Result) => (ML, "computeOperationsResult"),
        (Provider::ContainerService, Poll::Status) => (AKS, "operations"),
        (Provider::ContainerService, Poll::Result) => (AKS, "operationresults"),
    }
}

/// The path of an operation's status or result URL.
fn operation_path(
    provider: Provider,
    poll: Poll,
    subscription: &str,
    location: &str,
    id: &str,
) -> String {
    let (namespace, kind) = url_parts(provider, poll);
    format!("/subscriptions/{subscription}/providers/{namespace}/locations/{location}/{kind}/{id}")
}

/// The URL of an operation's status or result.
pub(super) fn operation_url(request: &Incoming, operation: &OperationRef, poll: Poll) -> String {
    format!(
        "{}{}?api-version={}",
        request.base,
        operation_path(
            operation.provider,
            poll,
            &operation.subscription,
            &operation.location,
            &operation.id
        ),
        request.api_version
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
            operation_url(request, operation, Poll::Status),
        )
        .retry_after(app.timings.retry_after)
}

pub(super) fn operation_status(
    app: &App,
    request: &Incoming,
    provider: Provider,
    subscription: &str,
    id: &str,
) -> Result<Reply, ArmError> {
    let state = app.state(request.now, request.time);
    let operation = state.operation(provider, subscription, id)?;
    let id_path = operation_path(
        provider,
        Poll::Status,
        &operation.subscription,
        &operation.location,
        &operation.id,
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
    provider: Provider,
    subscription: &str,
    id: &str,
) -> Result<Reply, ArmError> {
    let state = app.state(request.now, request.time);
    let operation = state.operation(provider, subscription, id)?;
    match operation.progress() {
        Progress::Running => Ok(Reply::empty(202)
            .header(
                "location",
                operation_url(request, &operation.reference(), Poll::Result),
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
