//! A compute operation in flight: the rest of its [`Plan`], run step by step.
//!
//! Every mutating verb of [`Workspace`] builds a [`Plan`] (what its dry run shows), runs the
//! plan's reads and checks and its first write, and hands back a [`ComputeOperation`] that holds
//! the remaining steps. Await it to run them to the end, or read its [`progress`] stream to see
//! each step and each poll as it happens; every event is also a `tracing` event with the
//! operation's fields.
//!
//! [`progress`]: ComputeOperation::progress

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use aml_arm::{Poller, ResumeToken};
use aml_model::plan::{OperationKind, Plan, Step};
use aml_model::wire::{ComputeResource, OperationStatus};
use futures::Stream;

use crate::aks::ComputeTarget;
use crate::error::{Error, Result};
use crate::run::Seen;
use crate::workspace::Workspace;

/// The result of a finished operation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Completion {
    /// The compute as it is now (create, attach, update, re-attach).
    Compute(ComputeTarget),
    /// The compute is gone (detach, delete); the cluster is kept after a detach. For a
    /// cluster's deletion ([`Workspace::begin_delete_cluster`]): the cluster is gone.
    Removed,
}

impl Completion {
    /// The compute, for create, attach, update and re-attach.
    pub fn compute(self) -> Option<ComputeTarget> {
        match self {
            Self::Compute(c) => Some(c),
            Self::Removed => None,
        }
    }
}

/// What happened, in a [`ProgressEvent`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Activity {
    /// A read, check or write of the plan ran; the text says which (as the plan shows it).
    Ran(String),
    /// The running ARM operation was polled.
    Polled {
        /// The state the service reports.
        status: OperationStatus,
        /// Time since this ARM operation began (or was resumed).
        elapsed: Duration,
        /// Polls of this ARM operation so far.
        polls: u32,
    },
    /// A conditional step of the plan was skipped: its condition did not hold. The text says
    /// which step and why.
    Skipped(String),
    /// Every step ran; awaiting the operation now returns its [`Completion`].
    Finished,
}

/// One event of [`ComputeOperation::progress`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProgressEvent {
    /// The compute's name; the cluster's, for a cluster's deletion
    /// ([`OperationKind::DeleteCluster`], whose plan is about no compute).
    pub compute: String,
    /// The operation.
    pub kind: OperationKind,
    /// The plan's step this event is about, counted from 1.
    pub step: usize,
    /// The plan's number of steps.
    pub steps: usize,
    /// What happened.
    pub activity: Activity,
}

impl fmt::Display for ProgressEvent {
    /// `web: create 4/4 Creating (12.0s)`, `web: create 2/4 check: ...`, `web: create done`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ", self.compute, self.kind)?;
        match &self.activity {
            Activity::Ran(what) => write!(f, "{}/{} {what}", self.step, self.steps),
            Activity::Skipped(what) => write!(f, "{}/{} skipped: {what}", self.step, self.steps),
            Activity::Polled {
                status, elapsed, ..
            } => write!(
                f,
                "{}/{} {status} ({:.1}s)",
                self.step,
                self.steps,
                elapsed.as_secs_f64()
            ),
            Activity::Finished => f.write_str("done"),
        }
    }
}

/// A long-running compute operation in flight: the steps of its [`Plan`] that are left.
///
/// Await it (it implements [`IntoFuture`]) to run them to the end; or read
/// [`progress`](Self::progress) for an event per step and per poll, then await it for the
/// result; or save [`resume_token`](Self::resume_token) and continue elsewhere with
/// [`Workspace::resume`].
pub struct ComputeOperation {
    pub(crate) workspace: Workspace,
    pub(crate) plan: Plan,
    /// The index of the next step to run.
    pub(crate) next: usize,
    /// Boxed, like the poller and the final answer: an operation is moved around by callers.
    pub(crate) seen: Box<Seen>,
    pub(crate) poller: Option<Box<Poller>>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) failed_polls: u32,
    pub(crate) completion: Option<Completion>,
    /// The final answer of the latest finished ARM operation.
    pub(crate) last_resource: Option<Box<ComputeResource>>,
    /// Held from the listing that checks R10 to the attach's `PUT`.
    pub(crate) attach_guard: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// Events of the steps run before the operation was handed out, for the progress stream.
    pending: std::collections::VecDeque<ProgressEvent>,
    /// Whether the running ARM operation answers with the compute (not an agent pool).
    pub(crate) answers_with_compute: bool,
    /// Why the operation is over before its last step (a re-attach rolled back).
    ended: Option<String>,
}

impl fmt::Debug for ComputeOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComputeOperation")
            .field("compute", &self.name())
            .field("kind", &self.plan.kind())
            .field("next_step", &(self.next + 1))
            .field("steps", &self.plan.steps().len())
            .field("status", &self.poller.as_deref().map(Poller::status))
            .finish_non_exhaustive()
    }
}

impl ComputeOperation {
    pub(crate) fn new(workspace: Workspace, plan: Plan) -> Self {
        Self {
            workspace,
            plan,
            next: 0,
            seen: Box::default(),
            poller: None,
            timeout: None,
            failed_polls: 0,
            completion: None,
            last_resource: None,
            attach_guard: None,
            pending: std::collections::VecDeque::new(),
            answers_with_compute: true,
            ended: None,
        }
    }

    /// Whether this plan re-attaches and is at its attach (the write or its wait): the detach
    /// before it is done.
    fn detached_for_reattach(&self) -> bool {
        self.completion.is_none()
            && self
                .plan
                .rollback()
                .is_some_and(|rollback| rollback.steps.contains(&self.next))
    }

    /// The attach after a re-attach's detach failed with `failure`: attach the cluster again
    /// with the previous settings and wait, then say what happened. The operation is over.
    async fn roll_back(&mut self, failure: Error) -> Error {
        let name = self.name().to_owned();
        let Some(rollback) = self.plan.rollback() else {
            return failure;
        };
        let previous = rollback.previous.clone();
        let mut lost = rollback.lost.clone();
        let load_balancer = rollback.load_balancer.clone();
        let request = crate::run::clone_request(&rollback.request);
        tracing::warn!(
            compute = %name,
            error = %failure,
            "re-attach failed after its detach; attaching again with the previous settings"
        );
        self.poller = None;
        match self.restore(request).await {
            Ok(()) => {
                if let Some(lb) = load_balancer
                    && let Err(error) = self.switch_back(lb).await
                {
                    // Attached again with its previous purpose and TLS, on a public IP.
                    tracing::warn!(
                        compute = %name,
                        error = %error,
                        "re-attach rolled back, but switching back to the internal load balancer failed"
                    );
                    let fix = "its internal load balancer: the compute is on a public IP, and switching back failed (update it to InternalLoadBalancer)";
                    lost = Some(match lost {
                        Some(l) => format!("{l}; {fix}"),
                        None => fix.to_owned(),
                    });
                }
                self.ended =
                    Some("it failed and was rolled back to its previous attachment".into());
                Error::ReattachRolledBack {
                    name,
                    lost,
                    source: Box::new(failure),
                }
            }
            Err(restore) => {
                self.ended =
                    Some("it failed, and restoring the previous attachment failed too".into());
                Error::ReattachStranded {
                    name,
                    previous,
                    lost,
                    restore: Box::new(restore),
                    source: Box::new(failure),
                }
            }
        }
    }

    /// The rollback's attach: a compute the failed attach left behind (`Failed`) is detached
    /// first, as for any failed attachment; then the previous settings are attached, and the
    /// operation waited for.
    async fn restore(&self, request: aml_model::request::Request) -> Result<()> {
        let name = self.name();
        let id = self.workspace.compute_id(name)?;
        let requests = &self.workspace.requests;
        if self
            .workspace
            .get_resource(requests.get(&id))
            .await?
            .is_some()
        {
            let poller = self
                .workspace
                .begin(requests.detach(&id), name, OperationKind::Detach)
                .await?;
            self.with_deadline(poller)
                .wait()
                .await
                .map_err(|e| crate::run::operation_error(e, OperationKind::Detach, name))?;
        }
        let poller = self
            .workspace
            .begin(request, name, OperationKind::Attach)
            .await?;
        self.with_deadline(poller)
            .wait()
            .await
            .map(|_| ())
            .map_err(|e| crate::run::operation_error(e, OperationKind::Attach, name))
    }

    /// A rollback's last part: the update that puts the compute attached again back on its
    /// internal load balancer (R20), run as its own plan.
    async fn switch_back(&self, lb: aml_model::config::LoadBalancer) -> Result<()> {
        let id = self.workspace.compute_id(self.name())?;
        let update = aml_model::config::AksUpdateConfiguration::switch_to(lb);
        let plan = self
            .workspace
            .plan(Plan::update(&self.workspace.requests, &id, update));
        let op = Box::pin(Self::start(self.workspace.clone(), plan)).await?;
        let op = match self.timeout {
            Some(timeout) => op.with_timeout(timeout),
            None => op,
        };
        Box::pin(op.into_future()).await.map(|_| ())
    }

    /// Runs the plan's reads, checks and first write: the operation has started in Azure when
    /// this returns (and can be resumed from its token).
    pub(crate) async fn start(workspace: Workspace, plan: Plan) -> Result<Self> {
        let mut op = Self::new(workspace, plan);
        while op.next < op.plan.steps().len() {
            let is_write = op.plan.steps()[op.next].write().is_some();
            let mut skipped = false;
            if let Some(event) = op.advance().await? {
                skipped = matches!(event.activity, Activity::Skipped(_));
                op.pending.push_back(event);
            }
            if is_write && !skipped {
                break;
            }
        }
        Ok(op)
    }

    /// Gives up waiting for each ARM operation of the plan after `timeout` of polling it (the
    /// operation goes on in Azure: [`Error::Timeout`](crate::Error::Timeout) carries the token
    /// to resume it; a re-attach is not rolled back then, its attach may still succeed).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        if let Some(poller) = self.poller.take() {
            self.poller = Some(Box::new(self.with_deadline(*poller)));
        }
        self
    }

    pub(crate) fn with_deadline(&self, poller: Poller) -> Poller {
        let mut options = self.workspace.arm.options().poll;
        if let Some(timeout) = self.timeout {
            options.timeout = Some(timeout + poller.elapsed());
        }
        poller.with_options(options)
    }

    /// The compute's name; the cluster's, for a cluster's deletion.
    pub fn name(&self) -> &str {
        self.plan.subject().name()
    }

    /// The operation.
    pub fn kind(&self) -> OperationKind {
        self.plan.kind()
    }

    /// The plan being run (its `Display` is the dry run's).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Advice found while validating and while checking the live cluster (never blocking).
    pub fn warnings(&self) -> &[aml_model::Issue] {
        self.plan.warnings()
    }

    /// The state of the running ARM operation after its latest poll, if one is running.
    pub fn status(&self) -> Option<&OperationStatus> {
        self.poller.as_deref().map(Poller::status)
    }

    /// Whether every step ran.
    pub fn is_done(&self) -> bool {
        self.completion.is_some()
    }

    /// A token from which [`Workspace::resume`] continues the running ARM operation, in this
    /// process or another; `None` when none is running. It holds the operation's URLs: keep it
    /// out of public logs. Writes the plan has after the running one are not part of it.
    pub fn resume_token(&self) -> Option<ResumeToken> {
        self.poller.as_deref().map(Poller::resume_token)
    }

    /// The plan's step (counted from 0) whose ARM operation is running, if one is: with
    /// [`resume_token`](Self::resume_token), what [`Workspace::resume_plan`] continues from,
    /// running the plan's later steps too.
    pub fn resume_step(&self) -> Option<usize> {
        self.poller.as_ref().map(|_| self.next)
    }

    /// Runs the next step, or polls the running operation once, and says what happened;
    /// `None` once every step ran. The steps `begin_*` ran before handing the operation out
    /// (reads, checks, the first write) come first. After an error, calling again retries
    /// where it stopped.
    pub async fn next_event(&mut self) -> Result<Option<ProgressEvent>> {
        if let Some(event) = self.pending.pop_front() {
            return Ok(Some(event));
        }
        self.advance().await
    }

    async fn advance(&mut self) -> Result<Option<ProgressEvent>> {
        if let Some(ended) = &self.ended {
            // A re-attach that was rolled back (or could not be) is over.
            return Err(Error::Refused {
                action: "re-attach",
                name: self.name().to_owned(),
                reason: ended.clone(),
                rule: None,
            });
        }
        match self.step_once().await {
            // Roll back only an attach known to have failed: after a timeout or lost polls the
            // attach may still be running (resume it with the token instead).
            Err(e)
                if self.detached_for_reattach()
                    && !matches!(e, Error::Timeout { .. } | Error::WaitInterrupted { .. }) =>
            {
                Err(Box::pin(self.roll_back(e)).await)
            }
            other => other,
        }
    }

    async fn step_once(&mut self) -> Result<Option<ProgressEvent>> {
        if self.completion.is_some() {
            return Ok(None);
        }
        let steps = self.plan.steps().len();
        // The step this event is about: the one run now, or the wait being polled.
        let index = self.next.min(steps.saturating_sub(1));
        let activity = if self.next >= steps {
            self.completion = Some(self.finish()?);
            Activity::Finished
        } else if let Some(condition) = self.plan.condition(self.next)
            && !self.seen.holds(condition)
        {
            let summary = self.plan.steps()[self.next].summary();
            self.next += 1;
            Activity::Skipped(format!("{summary} ({condition})"))
        } else if matches!(self.plan.steps()[self.next], Step::Wait) {
            // Boxed: the transport's futures are large, and a caller's stack should not carry
            // them in every future that awaits an operation.
            Box::pin(self.poll()).await?
        } else {
            let summary = self.plan.steps()[self.next].summary();
            Box::pin(self.run_step()).await?;
            self.next += 1;
            Activity::Ran(summary)
        };
        let event = ProgressEvent {
            compute: self.name().to_owned(),
            kind: self.kind(),
            step: index + 1,
            steps,
            activity,
        };
        trace(&event, &self.workspace);
        Ok(Some(event))
    }

    /// The events of the rest of the operation, one per step and one per poll, ending after
    /// [`Activity::Finished`] or after the first error. Await the operation afterwards for its
    /// [`Completion`] (or to go on after an error).
    pub fn progress(&mut self) -> impl Stream<Item = Result<ProgressEvent>> + Send + Unpin + '_ {
        Box::pin(futures::stream::unfold(
            (self, false),
            |(op, stopped)| async move {
                if stopped {
                    return None;
                }
                match op.next_event().await {
                    Ok(Some(event)) => Some((Ok(event), (op, false))),
                    Ok(None) => None,
                    Err(e) => Some((Err(e), (op, true))),
                }
            },
        ))
    }

    /// The outcome once every step ran.
    fn finish(&mut self) -> Result<Completion> {
        if self.kind().removes_compute() || self.kind() == OperationKind::DeleteCluster {
            return Ok(Completion::Removed);
        }
        // A plan that ends by reading the compute (a scale, whose operation answers with the
        // agent pool) returns the compute as read.
        if matches!(
            self.plan.steps().last(),
            Some(Step::Read {
                read: aml_model::plan::Read::Compute,
                ..
            })
        ) && let crate::run::Lookup::Found(compute) = std::mem::take(&mut self.seen.compute)
        {
            return Ok(Completion::Compute(ComputeTarget::from_resource(*compute)));
        }
        match self.last_resource.take() {
            Some(resource) => Ok(Completion::Compute(ComputeTarget::from_resource(*resource))),
            None => Err(self.workspace.not_found(self.name())),
        }
    }

    async fn run_to_end(mut self) -> Result<Completion> {
        while self.next_event().await?.is_some() {}
        self.completion
            .take()
            .ok_or_else(|| self.workspace.not_found(self.name()))
    }
}

impl IntoFuture for ComputeOperation {
    type Output = Result<Completion>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Completion>> + Send>>;

    /// Runs the rest of the plan and returns the outcome. A detach or delete that ends with the
    /// compute gone is a success.
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run_to_end())
    }
}

/// Every progress event is a `tracing` event with the operation's fields.
fn trace(event: &ProgressEvent, workspace: &Workspace) {
    match &event.activity {
        Activity::Skipped(what) => tracing::info!(
            compute = %event.compute,
            workspace = %workspace.id().name(),
            operation = %event.kind,
            step = event.step,
            steps = event.steps,
            "skipped: {what}"
        ),
        Activity::Ran(what) => tracing::info!(
            compute = %event.compute,
            workspace = %workspace.id().name(),
            operation = %event.kind,
            step = event.step,
            steps = event.steps,
            "{what}"
        ),
        Activity::Polled {
            status,
            elapsed,
            polls,
        } => tracing::debug!(
            compute = %event.compute,
            workspace = %workspace.id().name(),
            operation = %event.kind,
            step = event.step,
            status = %status,
            elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            polls,
            "polled"
        ),
        Activity::Finished => tracing::info!(
            compute = %event.compute,
            workspace = %workspace.id().name(),
            operation = %event.kind,
            "finished"
        ),
    }
}
