//! Waiting for a compute operation: progress a person can read, a callback for embedding, a
//! timeout, resumption, and errors that carry the ARM code, message and provisioning errors.

use std::fmt;
use std::io::Write;
use std::time::Duration;

use aml_arm::{Poller, Progress, ResumeToken};
use aml_model::wire::ComputeResource;
use aml_model::wire::OperationStatus;

use aml_model::config::AksUpdateConfiguration;

use crate::aks::ComputeTarget;
use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// What a long-running compute operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperationKind {
    /// Create a new cluster (R1).
    Create,
    /// Attach an existing cluster (R2).
    Attach,
    /// Change TLS or load balancer settings (R5).
    Update,
    /// Remove the compute and keep the cluster (R3).
    Detach,
    /// Remove the compute and delete the cluster the workspace created.
    Delete,
}

impl OperationKind {
    /// The verb, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Attach => "attach",
            Self::Update => "update",
            Self::Detach => "detach",
            Self::Delete => "delete",
        }
    }

    /// Whether the compute is gone once the operation succeeds.
    pub fn removes_compute(self) -> bool {
        matches!(self, Self::Detach | Self::Delete)
    }
}

impl fmt::Display for OperationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One progress event, as the callback of [`WaitOptions::on_progress`] receives it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProgressEvent {
    /// The compute.
    pub name: String,
    /// The operation.
    pub kind: OperationKind,
    /// The state the service reports.
    pub status: String,
    /// Time since the operation began.
    pub elapsed: Duration,
    /// Polls so far.
    pub polls: u32,
    /// Whether this is the last event.
    pub finished: bool,
}

impl fmt::Display for ProgressEvent {
    /// `myaks: create Creating (12.0s)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {} ({:.1}s)",
            self.name,
            self.kind,
            self.status,
            self.elapsed.as_secs_f64()
        )
    }
}

/// How to wait.
#[derive(Default)]
pub struct WaitOptions<'a> {
    /// Write one line per state change to this writer (the Python SDK's `show_output`).
    pub output: Option<&'a mut (dyn Write + Send)>,
    /// Called with every poll's progress.
    pub on_progress: Option<&'a mut (dyn FnMut(&ProgressEvent) + Send)>,
    /// Give up waiting after this long (the operation continues in Azure; resume it with the
    /// token in [`Error::Timeout`]).
    pub timeout: Option<Duration>,
}

impl fmt::Debug for WaitOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("output", &self.output.is_some())
            .field("on_progress", &self.on_progress.is_some())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The result of a finished operation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Completion {
    /// The compute as it is now (create, attach, update).
    Compute(ComputeTarget),
    /// The compute is gone (detach, delete); the cluster is kept after a detach.
    Removed,
}

impl Completion {
    /// The compute, for create, attach and update.
    pub fn compute(self) -> Option<ComputeTarget> {
        match self {
            Self::Compute(c) => Some(c),
            Self::Removed => None,
        }
    }
}

/// A long-running compute operation in flight. Await it with
/// [`wait_for_completion`](ComputeOperation::wait_for_completion) or
/// [`wait`](ComputeOperation::wait), step it, or save its
/// [`resume_token`](ComputeOperation::resume_token) and continue elsewhere.
pub struct ComputeOperation {
    poller: Poller,
    poll: aml_arm::PollOptions,
    name: String,
    kind: OperationKind,
    warnings: Vec<aml_model::Issue>,
    follow_up: Option<(Box<Workspace>, AksUpdateConfiguration)>,
}

impl fmt::Debug for ComputeOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComputeOperation")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("status", self.poller.status())
            .finish_non_exhaustive()
    }
}

impl ComputeOperation {
    pub(crate) fn new(
        poller: Poller,
        name: impl Into<String>,
        kind: OperationKind,
        warnings: Vec<aml_model::Issue>,
    ) -> Self {
        Self {
            poller,
            poll: aml_arm::PollOptions::default(),
            name: name.into(),
            kind,
            warnings,
            follow_up: None,
        }
    }

    /// Uses the polling options of the client the operation came from.
    pub(crate) fn with_poll_options(mut self, poll: aml_arm::PollOptions) -> Self {
        self.poll = poll;
        self
    }

    /// Applies `update` once this operation succeeds (an attach followed by the switch to an
    /// internal load balancer, R20).
    pub(crate) fn then_update(
        mut self,
        workspace: Workspace,
        update: AksUpdateConfiguration,
    ) -> Self {
        self.follow_up = Some((Box::new(workspace), update));
        self
    }

    /// Whether waiting also applies a follow-up update (R20).
    pub fn has_follow_up(&self) -> bool {
        self.follow_up.is_some()
    }

    /// Continues an operation from a token saved by [`ComputeOperation::resume_token`],
    /// without re-sending the original request.
    pub fn resume(
        arm: &aml_arm::ArmClient,
        token: &ResumeToken,
        name: impl Into<String>,
        kind: OperationKind,
    ) -> Result<Self> {
        Ok(Self::new(arm.resume(token)?, name, kind, Vec::new())
            .with_poll_options(arm.options().poll))
    }

    /// The compute's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The operation.
    pub fn kind(&self) -> OperationKind {
        self.kind
    }

    /// Advice found while validating (never blocking).
    pub fn warnings(&self) -> &[aml_model::Issue] {
        &self.warnings
    }

    /// The state after the latest poll.
    pub fn status(&self) -> &OperationStatus {
        self.poller.status()
    }

    /// A token from which [`ComputeOperation::resume`] continues, in this process or another.
    /// It holds the operation's URLs: keep it out of public logs.
    pub fn resume_token(&self) -> ResumeToken {
        self.poller.resume_token()
    }

    /// Polls once (after the service's `Retry-After`) and returns the new state.
    pub async fn step(&mut self) -> Result<Progress> {
        let name = self.name.clone();
        let kind = self.kind;
        self.poller
            .step()
            .await
            .map_err(|e| operation_error(e, kind, &name))
    }

    /// Waits until the operation finishes. With `show_output`, prints one line per state change
    /// to standard output (the Python SDK's `wait_for_completion(show_output=True)`).
    ///
    /// A detach or delete that ends with the compute gone is a success, not an error.
    pub async fn wait_for_completion(self, show_output: bool) -> Result<Completion> {
        if show_output {
            let mut stdout = std::io::stdout();
            self.wait(WaitOptions {
                output: Some(&mut stdout),
                ..WaitOptions::default()
            })
            .await
        } else {
            self.wait(WaitOptions::default()).await
        }
    }

    /// Waits with progress output, a progress callback and a timeout.
    pub async fn wait(mut self, mut options: WaitOptions<'_>) -> Result<Completion> {
        if let Some(timeout) = options.timeout {
            let mut poll = self.poll;
            poll.timeout = Some(timeout + self.poller.elapsed());
            self.poller = self.poller.with_options(poll);
        }
        let mut last_status: Option<String> = None;
        let mut failed_polls = 0u32;
        loop {
            let step = self.poller.step().await;
            let progress = match step {
                Ok(p) => {
                    failed_polls = 0;
                    p
                }
                // A poll that failed without the operation failing (a dropped connection, an
                // unreadable status body) leaves the poller usable: poll again, a few times.
                Err(e) if is_transient(&e) && failed_polls + 1 < MAX_FAILED_POLLS => {
                    failed_polls += 1;
                    tracing::debug!(compute = %self.name, attempt = failed_polls, "poll failed, polling again");
                    continue;
                }
                Err(e) => {
                    let err = if is_transient(&e) {
                        Error::WaitInterrupted {
                            action: self.kind.as_str(),
                            name: self.name.clone(),
                            resume_token: self.poller.resume_token(),
                            source: e,
                        }
                    } else {
                        operation_error(e, self.kind, &self.name)
                    };
                    if let Some(out) = options.output.as_deref_mut() {
                        let _ = writeln!(out, "{}: {} failed: {err}", self.name, self.kind);
                    }
                    return Err(err);
                }
            };
            let finished = progress.is_terminal() && self.poller.is_done();
            let event = ProgressEvent {
                name: self.name.clone(),
                kind: self.kind,
                status: progress.status.to_string(),
                elapsed: progress.elapsed,
                polls: progress.polls,
                finished,
            };
            if let Some(cb) = options.on_progress.as_deref_mut() {
                cb(&event);
            }
            if last_status.as_deref() != Some(event.status.as_str()) {
                if let Some(out) = options.output.as_deref_mut() {
                    let _ = writeln!(out, "{event}");
                }
                last_status = Some(event.status.clone());
            }
            if finished {
                break;
            }
        }
        let kind = self.kind;
        let name = self.name.clone();
        let response = self
            .poller
            .wait()
            .await
            .map_err(|e| operation_error(e, kind, &name))?;
        if kind.removes_compute() {
            return Ok(Completion::Removed);
        }
        if let Some((workspace, update)) = self.follow_up.take() {
            let id = workspace.id().compute(
                name.parse()
                    .map_err(|e: aml_model::name::InvalidName| Error::Model(e.into()))?,
            );
            let request = workspace.update_request(&id, &update).await?;
            let next = workspace
                .begin(&request, &name, OperationKind::Update, Vec::new())
                .await?;
            return Box::pin(next.wait(options)).await;
        }
        let resource: ComputeResource =
            serde_json::from_slice(response.body()).map_err(|source| Error::Decode {
                what: format!("the {kind} of compute {name:?}"),
                source,
            })?;
        Ok(Completion::Compute(ComputeTarget::from_resource(resource)))
    }
}

/// Consecutive failed polls tolerated before waiting gives up with a resume token.
const MAX_FAILED_POLLS: u32 = 4;

/// Whether a polling error leaves the operation's outcome unknown (rather than known failed).
fn is_transient(e: &aml_arm::Error) -> bool {
    !matches!(
        e,
        aml_arm::Error::OperationFailed(_)
            | aml_arm::Error::OperationTimeout { .. }
            | aml_arm::Error::ForeignHost { .. }
            | aml_arm::Error::InvalidResumeToken { .. }
    ) && !matches!(e.status(), Some(400..=499))
}

/// Maps the transport's operation errors to this crate's, keeping the ARM details.
pub(crate) fn operation_error(e: aml_arm::Error, kind: OperationKind, name: &str) -> Error {
    match e {
        aml_arm::Error::OperationFailed(ref op) => {
            let code = op.error.as_ref().and_then(|d| d.code.clone());
            let message = op.error.as_ref().and_then(|d| d.message.clone());
            let provisioning_errors = op
                .provisioning_errors
                .iter()
                .map(ToString::to_string)
                .collect();
            Error::OperationFailed {
                action: kind.as_str(),
                name: name.to_owned(),
                status: op.status.to_string(),
                code,
                message,
                provisioning_errors,
                source: e,
            }
        }
        aml_arm::Error::OperationTimeout {
            elapsed,
            resume_token,
            ..
        } => Error::Timeout {
            action: kind.as_str(),
            name: name.to_owned(),
            waited: elapsed,
            resume_token: *resume_token,
        },
        other => Error::Arm(other),
    }
}
