//! Running one step of a plan: reads, checks, writes and polls.
//!
//! The dry run and the real run walk the same [`Plan`](aml_model::plan::Plan): this module is
//! the only place a plan's step is turned into requests, so nothing is sent that the plan does
//! not show.

use aml_arm::Poller;
use aml_model::plan::{Change, Check, Read, Step};
use aml_model::request::Request;
use aml_model::wire::{
    AgentPool, ComputeResource, LocationListResult, ManagedCluster, ProvisioningState,
    ServiceTagsListResult,
};
use aml_model::{AksClusterId, Report};

use crate::aks::ComputeTarget;
use crate::checks;
use crate::error::{Error, Result, from_model};
use crate::operation::{Activity, ComputeOperation};
use crate::versions::KubernetesVersions;
use crate::workspace::Workspace;

mod steps;

/// What the latest read of the compute found.
#[derive(Debug, Default)]
pub(crate) enum Lookup {
    /// Not read yet.
    #[default]
    NotRead,
    /// It does not exist.
    Absent,
    /// As the service returned it.
    Found(Box<ComputeResource>),
}

/// What the plan's reads found so far.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// The latest read of the compute.
    pub(crate) compute: Lookup,
    /// The cluster to attach.
    pub(crate) cluster: Option<(AksClusterId, ManagedCluster)>,
    /// Its region's Kubernetes versions (none when the cluster reports no region or version).
    pub(crate) versions: Option<KubernetesVersions>,
    /// The workspace's computes.
    pub(crate) computes: Option<Vec<ComputeTarget>>,
    /// The agent pools of the compute's cluster.
    pub(crate) pools: Option<Vec<AgentPool>>,
    /// Whether the cluster a plan is to create exists already.
    pub(crate) new_cluster_exists: Option<bool>,
    /// The workspace's region, when the plan read it.
    pub(crate) workspace_location: Option<String>,
    /// The subscription's locations.
    pub(crate) locations: Option<LocationListResult>,
    /// The service tags.
    pub(crate) service_tags: Option<ServiceTagsListResult>,
    /// The control-plane prefixes the authorized ranges miss, as the check found them.
    pub(crate) missing_prefixes: Vec<String>,
}

impl Seen {
    /// The authorized IP ranges of the cluster read, if it has any.
    pub(crate) fn cluster_ranges(&self) -> Option<&[String]> {
        self.cluster
            .as_ref()
            .map(|(_, c)| c.authorized_ip_ranges())
            .filter(|r| !r.is_empty())
    }

    /// Whether a conditional step's condition holds.
    pub(crate) fn holds(&self, condition: aml_model::plan::Condition) -> bool {
        use aml_model::plan::Condition as C;
        match condition {
            C::ClusterHasAuthorizedRanges => self.cluster_ranges().is_some(),
            C::ControlPlaneMissing => !self.missing_prefixes.is_empty(),
            _ => true,
        }
    }
}

/// Consecutive failed polls tolerated before waiting gives up with a resume token.
const MAX_FAILED_POLLS: u32 = 4;

impl ComputeOperation {
    /// Runs the read, check or write at `self.next` (not a wait).
    pub(crate) async fn run_step(&mut self) -> Result<()> {
        enum Todo {
            Read(Read, Option<Request>),
            Check(Check),
            /// A write; `true` when its operation answers with the compute.
            Write(Request, bool),
            Nothing,
        }
        let todo = match &self.plan.steps()[self.next] {
            Step::Read { read, request } => {
                Todo::Read(read.clone(), request.as_ref().map(clone_request))
            }
            Step::Check(check) => Todo::Check(check.clone()),
            // A write answers with the compute when it targets the compute (not a cluster).
            Step::Write { request, .. } => Todo::Write(
                clone_request(request),
                self.plan
                    .compute()
                    .is_some_and(|id| request.uri().path().eq_ignore_ascii_case(&id.to_string())),
            ),
            // A managed cluster's operation answers with the cluster.
            Step::Modify {
                request,
                change: Change::AdmitControlPlane,
                ..
            } => Todo::Write(self.admitted(request)?, false),
            Step::Modify {
                request,
                change: Change::Compute(update),
                ..
            } => Todo::Write(self.modified(request, update)?, true),
            // An agent pool's operation answers with the pool, not the compute.
            Step::Modify {
                request,
                change: Change::Pool { pool, scale },
                ..
            } => Todo::Write(self.scaled(request, pool, scale)?, false),
            _ => Todo::Nothing,
        };
        match todo {
            Todo::Read(read, request) => self.read(&read, request).await,
            Todo::Check(check) => {
                let warnings = match check {
                    Check::ControlPlaneAdmitted { add } => {
                        crate::secured::control_plane_admitted(self, add)?
                    }
                    other => checks::run(&other, self)?,
                };
                self.plan.push_warnings(warnings);
                Ok(())
            }
            Todo::Write(request, answers_with_compute) => {
                self.answers_with_compute = answers_with_compute;
                self.write(request).await
            }
            Todo::Nothing => Ok(()),
        }
    }

    /// The workspace's region: as the plan read it, or as the workspace knows it.
    pub(crate) fn workspace_region(&self) -> Option<String> {
        self.seen
            .workspace_location
            .clone()
            .or_else(|| self.workspace.location.clone())
    }

    /// Sends a write that starts a long-running operation.
    async fn write(&mut self, request: Request) -> Result<()> {
        let poller = self
            .workspace
            .begin(request, self.name(), self.kind())
            .await;
        // The attach's `PUT` was sent (or refused): other attaches may check now.
        self.attach_guard = None;
        let poller = poller?;
        self.poller = Some(Box::new(self.with_deadline(poller)));
        self.failed_polls = 0;
        Ok(())
    }

    /// Polls the running operation once; when it ends, keeps its final answer and moves past
    /// the wait.
    pub(crate) async fn poll(&mut self) -> Result<Activity> {
        let name = self.name().to_owned();
        let kind = self.kind();
        let Some(poller) = self.poller.as_mut() else {
            // A wait with nothing running (a resumed operation whose token was spent).
            self.next += 1;
            return Ok(Activity::Ran("nothing to wait for".to_owned()));
        };
        let progress = match poller.step().await {
            Ok(p) => {
                self.failed_polls = 0;
                p
            }
            // A poll that failed without the operation failing (a dropped connection, an
            // unreadable status body) leaves the poller usable: poll again, a few times.
            Err(e) if is_transient(&e) && self.failed_polls + 1 < MAX_FAILED_POLLS => {
                self.failed_polls += 1;
                tracing::debug!(compute = %name, attempt = self.failed_polls, "poll failed, polling again");
                return Ok(Activity::Polled {
                    status: poller.status().clone(),
                    elapsed: poller.elapsed(),
                    polls: 0,
                });
            }
            Err(e) if is_transient(&e) => {
                return Err(Error::WaitInterrupted {
                    action: kind.as_str(),
                    name,
                    resume_token: poller.resume_token(),
                    source: Box::new(e),
                });
            }
            Err(e) => return Err(operation_error(e, kind, &name)),
        };
        let activity = Activity::Polled {
            status: progress.status.clone(),
            elapsed: progress.elapsed,
            polls: progress.polls,
        };
        if progress.is_terminal() && poller.is_done() {
            let Some(poller) = self.poller.take() else {
                return Ok(activity);
            };
            let response = (*poller)
                .wait()
                .await
                .map_err(|e| operation_error(e, kind, &name))?;
            self.last_resource = if kind.removes_compute()
                || !self.answers_with_compute
                || response.body().is_empty()
            {
                None
            } else {
                Some(Box::new(serde_json::from_slice(response.body()).map_err(
                    |source| Error::Decode {
                        what: format!("the {kind} of compute {name:?}"),
                        source,
                    },
                )?))
            };
            self.next += 1;
        }
        Ok(activity)
    }
}

/// A copy of a planned request (an `http::Request` is not `Clone`: its extensions may not be).
pub(crate) fn clone_request(request: &Request) -> Request {
    let mut copy = Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// An update the compute as it is now cannot take, as this crate's refusal.
pub(crate) fn refused_update(e: aml_model::Error, name: &str) -> Error {
    match e {
        aml_model::Error::Update { reason, rule, .. } => Error::Refused {
            action: "update",
            name: name.to_owned(),
            reason,
            rule,
        },
        other => from_model(other),
    }
}

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
pub(crate) fn operation_error(
    e: aml_arm::Error,
    kind: aml_model::plan::OperationKind,
    name: &str,
) -> Error {
    match e {
        aml_arm::Error::OperationFailed(ref op) => {
            let code = op.error.as_ref().and_then(|d| d.code.clone());
            let provisioning_errors = op
                .provisioning_errors
                .iter()
                .map(ToString::to_string)
                .collect();
            Error::OperationFailed {
                action: kind.as_str(),
                name: name.to_owned(),
                status: op.status.clone(),
                code,
                provisioning_errors,
                source: Box::new(e),
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
        other => other.into(),
    }
}

/// What a compute shows after a retried `PUT` was refused with 409 (see
/// [`Workspace::conflicted`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conflicted {
    /// The operation an earlier try started: follow it.
    Ours,
    /// An update whose compute is at rest without the requested settings: send it again.
    Settled,
    /// No such compute: nothing was written.
    Absent,
    /// The compute could not be read.
    Unreadable,
}

/// Whether `current` has the TLS and load balancer settings the update body asks for.
fn has_requested_settings(body: &serde_json::Value, current: &ComputeResource) -> bool {
    let want =
        serde_json::from_value::<ComputeResource>(body.clone()).map(ComputeTarget::from_resource);
    let (Ok(ComputeTarget::Aks(want)), ComputeTarget::Aks(have)) =
        (want, ComputeTarget::from_resource(current.clone()))
    else {
        return false;
    };
    let same = |a: Option<&str>, b: Option<&str>| match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    };
    // An update that leaves TLS alone sends no `sslConfiguration`: nothing to compare.
    let same_tls = want.ssl_status().is_none()
        || (want.ssl_status() == have.ssl_status()
            && (want.leaf_domain_label().is_none()
                || same(want.leaf_domain_label(), have.leaf_domain_label())));
    want.load_balancer_type() == have.load_balancer_type()
        && same(want.load_balancer_subnet(), have.load_balancer_subnet())
        && same_tls
}

impl Workspace {
    /// Sends `request` and follows the long-running operation it starts. A `PUT` that was sent
    /// more than once and refused with 409 at the last try is examined first: an earlier try
    /// may have been handled, its answer lost.
    pub(crate) async fn begin(
        &self,
        request: Request,
        name: &str,
        kind: aml_model::plan::OperationKind,
    ) -> Result<Poller> {
        let retry = clone_request(&request);
        match self.arm.begin(request).await {
            Ok(poller) => Ok(poller),
            Err(e) if is_retried_conflict(&retry, &e) => {
                self.after_retried_conflict(retry, name, kind, e).await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A `PUT` was sent more than once and the last try was refused with 409: an earlier try
    /// may have been handled (its answer lost) and started the operation the retry ran into.
    /// The caller always gets either a poller for the write that happened, or
    /// [`Error::Rejected`]: nothing was written.
    async fn after_retried_conflict(
        &self,
        request: Request,
        name: &str,
        kind: aml_model::plan::OperationKind,
        conflict: aml_arm::Error,
    ) -> Result<Poller> {
        let rejected = |source| Error::Rejected {
            action: kind.as_str(),
            name: name.to_owned(),
            source: Box::new(source),
        };
        let id = self.compute_id(name)?;
        match self.conflicted(&id, kind, &request).await {
            Conflicted::Ours | Conflicted::Unreadable => {
                // Follow that operation (by the compute's provisioning state) instead of losing
                // track of it; an unreadable compute is followed too: the poller keeps reading
                // through transient failures and hands back a resume token.
                tracing::warn!(
                    compute = name,
                    "first answer lost; following the running operation"
                );
                let get = self.requests.get(&id);
                Ok(self
                    .arm
                    .follow_resource(http::Method::PUT, &get.uri().to_string())?)
            }
            Conflicted::Absent => Err(rejected(conflict)),
            Conflicted::Settled => {
                tracing::warn!(
                    compute = name,
                    "update refused while another operation ran; sending it again"
                );
                match self.arm.begin(request).await {
                    Ok(poller) => Ok(poller),
                    Err(e) if e.status() == Some(409) => Err(rejected(e)),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    /// After a retried `PUT` was refused (409): what the compute says about the operation an
    /// earlier try, whose answer was lost, may have started.
    ///
    /// - [`Conflicted::Ours`]: an operation is in progress or has just failed; or, for a create
    ///   or attach (whose name was free just before), the compute now exists; or, for an update,
    ///   it already has the settings the update asked for.
    /// - [`Conflicted::Settled`]: an update whose compute is at rest without the requested
    ///   settings: the operation that refused the retry is over, so the same PUT can be sent
    ///   again (an update is a whole GET-modify-PUT body: sending it twice is harmless).
    /// - [`Conflicted::Absent`]: no compute of that name: nothing of this PUT was written.
    /// - [`Conflicted::Unreadable`]: the compute could not be read; follow it all the same.
    async fn conflicted(
        &self,
        id: &aml_model::ComputeId,
        kind: aml_model::plan::OperationKind,
        request: &Request,
    ) -> Conflicted {
        use aml_model::plan::OperationKind as K;
        let body: Option<serde_json::Value> = serde_json::from_slice(request.body()).ok();
        // The read that decides may itself meet a flaky connection: try it a few times.
        for _ in 0..3 {
            match self.get_resource(self.requests.get(id)).await {
                Ok(Some(resource)) => {
                    let state = resource.aks().and_then(|a| a.provisioning_state.as_ref());
                    // Busy, or just ended without success (the handled try's operation failed).
                    let busy_or_failed = state.is_some_and(|s| {
                        !s.is_terminal()
                            || matches!(s, ProvisioningState::Failed | ProvisioningState::Canceled)
                    });
                    let ours = busy_or_failed
                        || matches!(kind, K::Create | K::Attach | K::Reattach)
                        || body
                            .as_ref()
                            .is_some_and(|body| has_requested_settings(body, &resource));
                    return if ours {
                        Conflicted::Ours
                    } else {
                        Conflicted::Settled
                    };
                }
                Ok(None) => return Conflicted::Absent,
                Err(_) => {}
            }
        }
        Conflicted::Unreadable
    }
}

/// Whether `e` is a 409 to a `PUT` that was sent more than once: an earlier try may have been
/// handled, its answer lost, and the operation it started may be what the retry ran into.
fn is_retried_conflict(request: &Request, e: &aml_arm::Error) -> bool {
    matches!(e, aml_arm::Error::Api(api) if api.status == 409 && api.attempts > 1)
        && request.method() == http::Method::PUT
}

/// Merges aml-tls's findings on the custom certificate into a model validation outcome.
pub(crate) fn with_tls_report<T>(outcome: aml_model::Result<T>, tls: Report) -> Result<T> {
    match outcome {
        Ok(value) if tls.is_ok() => Ok(value),
        Ok(_) => Err(Error::Validation(tls)),
        Err(aml_model::Error::Invalid(mut report)) => {
            report.merge(tls);
            Err(Error::Validation(report))
        }
        Err(other) => Err(from_model(other)),
    }
}
