//! What the soak records of every library call, and how it classifies errors.

use std::error::Error as _;
use std::fmt::Write as _;

use aml_compute::{Error, OperationKind};

use crate::{Soak, TOKEN, lock};

/// One library call and what it returned.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) step: &'static str,
    pub(crate) name: String,
    /// `None` for success, else the error's variant.
    pub(crate) error: Option<String>,
    /// The error's kind (`Error::kind`).
    pub(crate) kind: Option<aml_compute::ErrorKind>,
    /// The error's text, for the report.
    pub(crate) text: String,
    pub(crate) expected: bool,
    /// The `x-ms-client-request-id` of the request that failed, when the transport knows it.
    pub(crate) client_request_id: Option<String>,
}

/// How the library reported the end of a long-running operation to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reported {
    Succeeded,
    /// `Error::OperationFailed` with this status (`Failed` or `Canceled`).
    Ended(String),
    /// Waiting gave up on another error (after resuming a few times).
    GaveUp(String),
}

/// A long-running operation the soak waited for.
#[derive(Debug)]
pub(crate) struct Lro {
    pub(crate) name: String,
    pub(crate) kind: OperationKind,
    pub(crate) token: aml_arm::ResumeToken,
    pub(crate) reported: Reported,
}

impl Soak {
    /// Records a call's result, and looks for the token in everything it printed.
    pub(crate) fn record<T: std::fmt::Debug>(
        &self,
        step: &'static str,
        name: &str,
        result: &Result<T, Error>,
    ) {
        let mut texts = vec![format!("{result:?}"), format!("{result:#?}")];
        if let Err(e) = result {
            texts.push(e.to_string());
            let mut source = e.source();
            while let Some(s) = source {
                texts.push(s.to_string());
                texts.push(format!("{s:?}"));
                source = s.source();
            }
        }
        for text in &texts {
            if text.contains(TOKEN) {
                lock(&self.leaks).push(format!("{step} {name}: {text}"));
            }
        }
        let call = match result {
            Ok(_) => Call {
                step,
                name: name.to_owned(),
                error: None,
                kind: None,
                text: String::new(),
                expected: true,
                client_request_id: None,
            },
            Err(e) => {
                let mut text = e.to_string();
                let mut source = e.source();
                while let Some(s) = source {
                    let _ = write!(text, ": {s}");
                    source = s.source();
                }
                Call {
                    step,
                    name: name.to_owned(),
                    error: Some(variant(e)),
                    kind: Some(e.kind()),
                    text,
                    expected: expected(e),
                    client_request_id: match e {
                        Error::Arm(arm) => arm
                            .request_ids()
                            .and_then(|ids| ids.client_request_id.clone()),
                        _ => None,
                    },
                }
            }
        };
        lock(&self.calls).push(call);
    }
}

/// The variant of an error, with the transport's variant and status for `Arm`.
pub(crate) fn variant(e: &Error) -> String {
    match e {
        Error::Validation(_) => "Validation".into(),
        Error::AlreadyExists { .. } => "AlreadyExists".into(),
        Error::AlreadyAttached { .. } => "AlreadyAttached".into(),
        Error::NotFound { .. } => "NotFound".into(),
        Error::ClusterNotFound { .. } => "ClusterNotFound".into(),
        Error::UnsupportedKubernetesVersion { .. } => "UnsupportedKubernetesVersion".into(),
        Error::Conflict { .. } => "Conflict".into(),
        Error::FailedCompute { .. } => "FailedCompute".into(),
        Error::Refused { .. } => "Refused".into(),
        Error::Rejected { source, .. } => format!("Rejected({})", arm_variant(source)),
        Error::OperationFailed { status, .. } => format!("OperationFailed({status})"),
        Error::Timeout { .. } => "Timeout".into(),
        Error::Config { .. } => "Config".into(),
        Error::Tls(_) => "Tls".into(),
        Error::Model(_) => "Model".into(),
        Error::Decode { .. } => "Decode".into(),
        Error::Arm(arm) => format!("Arm({})", arm_variant(arm)),
        Error::WaitInterrupted { source, .. } => {
            format!("WaitInterrupted({})", arm_variant(source))
        }
        other => format!("unknown variant: {other:?}"),
    }
}

fn arm_variant(e: &aml_arm::Error) -> String {
    use aml_arm::Error as A;
    match e {
        A::Transport { .. } => "Transport".into(),
        A::Timeout { scope, .. } => format!("Timeout({scope})"),
        A::Api(api) => format!("Api({})", api.status),
        A::Throttled(api) => format!("Throttled({})", api.status),
        A::Decode { .. } => "Decode".into(),
        A::UnexpectedResponse { status, .. } => format!("UnexpectedResponse({status})"),
        A::OperationFailed(_) => "OperationFailed".into(),
        A::OperationTimeout { .. } => "OperationTimeout".into(),
        A::ForeignHost { .. } => "ForeignHost".into(),
        A::Redirect { .. } => "Redirect".into(),
        A::Credential { .. } => "Credential".into(),
        A::ResponseTooLarge { .. } => "ResponseTooLarge".into(),
        other => format!("other: {other}"),
    }
}

/// Whether the injected faults explain the error: contention (R10, R11), a compute already
/// gone, a failed operation, or the transport giving up on injected faults. Anything else
/// (a validation error, a missing seeded cluster, a 4xx the library caused, a foreign host,
/// ...) is a defect.
fn expected(e: &Error) -> bool {
    use aml_arm::Error as A;
    match e {
        Error::AlreadyExists { .. }
        | Error::AlreadyAttached { .. }
        | Error::NotFound { .. }
        | Error::OperationFailed { .. }
        | Error::Rejected { .. }
        | Error::Decode { .. } => true,
        Error::Arm(arm) | Error::WaitInterrupted { source: arm, .. } => match &**arm {
            A::Transport { .. } | A::Timeout { .. } | A::Throttled(_) | A::Decode { .. } => true,
            // 5xx after the retries ran out; 409 when a retried write finds its own first
            // try still running.
            A::Api(api) => api.status >= 500 || api.status == 409,
            _ => false,
        },
        _ => false,
    }
}

/// Whether the first try of a write may have reached the service, so that a careful caller
/// calls again (and the library's R11 check must then say AlreadyExists).
pub(crate) fn may_have_been_sent(e: &Error) -> bool {
    matches!(e, Error::Arm(arm) if arm.may_have_been_sent())
}
