//! The crate's error type: one enum a caller can match on, with the lower layers' errors kept
//! as sources.

use aml_model::plan::OperationKind;
use aml_model::wire::ErrorDetail;
use aml_model::{Report, Rule};

use crate::difference::Difference;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong managing a compute.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration broke rules; every problem is listed. Nothing was sent.
    #[error("{}", .0.summary())]
    Validation(Report),

    /// A compute of that name exists in the workspace already (rule `compute.exists`).
    /// Nothing was written.
    #[error(
        "compute {name:?} already exists in workspace {workspace} ({compute_type}); choose another name, or use ensure to adopt it [compute.exists]"
    )]
    AlreadyExists {
        /// The compute name.
        name: String,
        /// The workspace.
        workspace: String,
        /// The existing compute's type.
        compute_type: String,
    },

    /// The cluster is attached to the workspace already under another name (rule
    /// `attach.cluster_attached`): attaching it again would break that attachment. Nothing was
    /// written.
    #[error(
        "AKS cluster {cluster} is already attached to this workspace as {existing:?}, and a second attachment breaks the first; detach {existing:?} first, or use it [attach.cluster_attached]"
    )]
    AlreadyAttached {
        /// The cluster's id.
        cluster: String,
        /// The name it is attached under.
        existing: String,
    },

    /// The compute (or the workspace) does not exist.
    #[error("compute {name:?} was not found in workspace {workspace}")]
    NotFound {
        /// The compute name.
        name: String,
        /// The workspace.
        workspace: String,
    },

    /// The AKS cluster to attach (or to delete) does not exist, or this identity cannot see
    /// it. Nothing was written.
    #[error(
        "AKS cluster {cluster} was not found; check the id (`az aks show -g RG -n NAME --query id`) and that this identity can read it"
    )]
    ClusterNotFound {
        /// The cluster's id.
        cluster: String,
    },

    /// The AKS cluster to delete is still used by computes of the workspace (rule
    /// `cluster.still_attached`): deleting it would break them. Nothing was written.
    #[error(
        "AKS cluster {cluster} is still used by {} of this workspace, which would break; detach {} first (Workspace::begin_detach keeps the cluster), then delete the cluster [cluster.still_attached]",
        quoted(computes),
        if computes.len() == 1 { "it" } else { "them" }
    )]
    ClusterStillAttached {
        /// The cluster's id.
        cluster: String,
        /// The computes of the workspace that use it.
        computes: Vec<String>,
    },

    /// The cluster's Kubernetes version is not supported in its region (rule
    /// `cluster.kubernetes_version`). Nothing was written.
    #[error(
        "AKS cluster {cluster} runs Kubernetes {version}, which {location} does not support; upgrade it to one of: {} [cluster.kubernetes_version]",
        supported.join(", ")
    )]
    UnsupportedKubernetesVersion {
        /// The cluster's id.
        cluster: String,
        /// The cluster's version.
        version: String,
        /// The region.
        location: String,
        /// The versions the region supports.
        supported: Vec<String>,
    },

    /// The cluster's authorized API-server IP ranges do not admit the Azure ML control plane
    /// (rule `cluster.control_plane_missing`): the exact prefixes missing, from the service tags
    /// of the workspace's region and its paired region. Nothing was written.
    #[error(
        "the authorized IP ranges of AKS cluster {cluster} do not admit the Azure ML control plane of {}: missing {}; add them to the cluster's ranges (or let this library add them: AttachOptions::admit_control_plane) [cluster.control_plane_missing]",
        regions.join(" and "),
        missing.join(", ")
    )]
    ControlPlaneNotAdmitted {
        /// The cluster's id.
        cluster: String,
        /// The regions whose control plane was checked (the workspace's and its pair).
        regions: Vec<String>,
        /// The prefixes no authorized range covers, as the service tags write them.
        missing: Vec<String>,
    },

    /// Admitting the Azure ML control plane would give the cluster more authorized API-server
    /// IP ranges than AKS accepts (rule `cluster.authorized_ranges_count`): its ranges, the
    /// control-plane prefixes to add that it lacks, and the limit. Nothing was written.
    #[error(
        "cannot admit the Azure ML control plane into the authorized IP ranges of AKS cluster {cluster}: its {ranges} ranges and the {adding} prefixes to add make {}, over AKS's limit of {limit}; merge ranges into wider CIDRs or drop some so that the prefixes fit [cluster.authorized_ranges_count]",
        ranges + adding
    )]
    TooManyAuthorizedRanges {
        /// The cluster's id.
        cluster: String,
        /// The authorized ranges before the prefixes are added.
        ranges: usize,
        /// The control-plane prefixes to add (those not among the ranges yet).
        adding: usize,
        /// AKS's limit ([`aml_model::control_plane::MAX_AUTHORIZED_RANGES`]).
        limit: usize,
    },

    /// A compute of that name exists with settings `ensure` cannot change in place (the
    /// differences marked [`Remedy::Recreate`](crate::Remedy::Recreate); every difference is
    /// listed).
    #[error(
        "compute {name:?} exists with settings that cannot change in place: {}; detach (or delete) it and create or attach again, or change the spec",
        differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    Conflict {
        /// The compute name.
        name: String,
        /// Every field that differs.
        differences: Vec<Difference>,
    },

    /// The compute exists but its provisioning failed; it must be recovered before use.
    #[error(
        "compute {name:?} is in state Failed{}; detach it (the cluster is kept) and attach or create it again",
        errors.first().map(|e| format!(" ({}: {})", e.code.as_deref().unwrap_or("error"), e.message.as_deref().unwrap_or(""))).unwrap_or_default()
    )]
    FailedCompute {
        /// The compute name.
        name: String,
        /// The compute's provisioning errors.
        errors: Vec<ErrorDetail>,
    },

    /// The operation was refused client-side because the service would refuse it too, or
    /// because it would be destructive in a way that was not asked for.
    #[error("refused to {}: {reason}{}", target(action, name), aml_model::rule::Tag(*.rule))]
    Refused {
        /// What was asked.
        action: &'static str,
        /// The compute name (the cluster's, for a cluster's deletion).
        name: String,
        /// Why, and what to do instead.
        reason: String,
        /// The catalogue's rule behind the refusal, when there is one.
        rule: Option<Rule>,
    },

    /// The long-running operation finished `Failed` or `Canceled`. The service's code and
    /// message are in the source (and in [`Error::arm_code`]).
    #[error("the {} ended {status}", of(action, name))]
    OperationFailed {
        /// What was being done.
        action: &'static str,
        /// The compute name (the cluster's, for a cluster's deletion).
        name: String,
        /// `Failed` or `Canceled`.
        status: aml_model::wire::OperationStatus,
        /// The ARM error code.
        code: Option<String>,
        /// The compute's provisioning errors.
        provisioning_errors: Vec<String>,
        /// The transport's error: the ARM code and message, request ids.
        #[source]
        source: Box<aml_arm::Error>,
    },

    /// The service refused a write, and nothing of it was written: a `PUT` retried after a lost
    /// answer was refused (409) by an operation that was not its own, and the compute shows no
    /// trace of the earlier try. Safe to send again once the other operation is over.
    #[error("the service refused the {action} of compute {name:?}; nothing was written")]
    Rejected {
        /// What was being done.
        action: &'static str,
        /// The compute name.
        name: String,
        /// The service's answer.
        #[source]
        source: Box<aml_arm::Error>,
    },

    /// A re-attach failed after its detach; the compute was attached again with its previous
    /// settings (`lost` says what of them could not be restored). The source says what failed.
    #[error(
        "the re-attach of compute {name:?} failed after its detach; it was attached again with its previous settings{}",
        lost.as_deref().map(|l| format!(", except {l}")).unwrap_or_default()
    )]
    ReattachRolledBack {
        /// The compute name.
        name: String,
        /// What of the previous settings could not be restored, if anything.
        lost: Option<String>,
        /// What failed.
        #[source]
        source: Box<Error>,
    },

    /// A re-attach failed after its detach, and attaching the cluster again with the previous
    /// settings failed too: the cluster is kept, the compute detached (or left `Failed` by the
    /// attach that failed, when detaching it failed too). `previous` is what to attach by hand;
    /// `restore` is why restoring failed. The source says what failed first.
    #[error(
        "the re-attach of compute {name:?} failed after its detach, and restoring it failed too; its cluster is kept: detach the compute if it is still listed, then attach {previous} by hand{}",
        lost.as_deref().map(|l| format!(" (and restore {l}, which this library could not)")).unwrap_or_default()
    )]
    ReattachStranded {
        /// The compute name.
        name: String,
        /// The previous settings (no secrets): the cluster's resource id, purpose, TLS (a
        /// custom certificate's CNAME), load balancer.
        previous: String,
        /// What of the previous settings the restore could not have restored, if anything.
        lost: Option<String>,
        /// Why attaching again with the previous settings failed.
        restore: Box<Error>,
        /// What failed first.
        #[source]
        source: Box<Error>,
    },

    /// Waiting ran out of time. The operation goes on in Azure: resume it with the token.
    #[error(
        "gave up waiting for the {} after {waited:?}; the operation continues in Azure, resume it with its resume token",
        of(action, name)
    )]
    Timeout {
        /// What was being done.
        action: &'static str,
        /// The compute name (the cluster's, for a cluster's deletion).
        name: String,
        /// How long it was waited for.
        waited: std::time::Duration,
        /// The token to resume waiting with.
        resume_token: aml_arm::ResumeToken,
    },

    /// Polling kept failing (the connection, or unreadable status bodies) although the
    /// operation had not been seen to fail. It may still be running in Azure: resume it.
    #[error(
        "lost track of the {} while waiting; the operation may still be running in Azure, resume it with its resume token",
        of(action, name)
    )]
    WaitInterrupted {
        /// What was being done.
        action: &'static str,
        /// The compute name (the cluster's, for a cluster's deletion).
        name: String,
        /// The token to resume waiting with.
        resume_token: aml_arm::ResumeToken,
        /// The last polling error.
        #[source]
        source: Box<aml_arm::Error>,
    },

    /// The workspace's `config.json` could not be found or read.
    #[error("workspace configuration: {message}")]
    Config {
        /// What is wrong and what to do.
        message: String,
        /// Why the file could not be read or parsed, when that is the cause.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The TLS certificate or key is unusable (checked before anything is sent).
    #[error("the TLS certificate or key is unusable")]
    Tls(#[source] aml_tls::Error),

    /// A model-level problem (ids, names, an update the compute cannot take).
    #[error(transparent)]
    Model(aml_model::Error),

    /// The ARM transport failed (auth, throttling, network, an ARM error status).
    #[error(transparent)]
    Arm(Box<aml_arm::Error>),

    /// A response did not have the expected shape.
    #[error("unexpected response from {what}")]
    Decode {
        /// What was being read.
        what: String,
        /// The decoder's complaint.
        #[source]
        source: serde_json::Error,
    },
}

/// A flat classification of [`Error`], for callers that branch on what happened rather than on
/// which layer noticed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The configuration broke rules (nothing was sent).
    Validation,
    /// The compute name is taken (rule `compute.exists`).
    AlreadyExists,
    /// The cluster is attached under another name (rule `attach.cluster_attached`).
    AlreadyAttached,
    /// The compute, workspace or cluster does not exist.
    NotFound,
    /// The cluster's Kubernetes version is not supported (rule `cluster.kubernetes_version`).
    UnsupportedKubernetesVersion,
    /// An existing compute differs from the desired one, or is `Failed`, or another operation
    /// on it refused a write (nothing was written).
    Conflict,
    /// Refused client-side (a destructive or unsupported action).
    Refused,
    /// The long-running operation ended `Failed` or `Canceled`.
    OperationFailed,
    /// ARM throttled the requests (429) beyond the retry policy.
    Throttled,
    /// No token could be had, or ARM refused it (401/403).
    Auth,
    /// The connection failed or broke.
    Transport,
    /// A time limit was reached (a try, a call, or waiting for an operation).
    Timeout,
    /// Anything else (an unexpected response, a local file).
    Other,
}

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Validation(_) | Self::Tls(_) => ErrorKind::Validation,
            Self::Model(e) if e.report().is_some() => ErrorKind::Validation,
            Self::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            Self::AlreadyAttached { .. } => ErrorKind::AlreadyAttached,
            Self::NotFound { .. } | Self::ClusterNotFound { .. } => ErrorKind::NotFound,
            Self::UnsupportedKubernetesVersion { .. } => ErrorKind::UnsupportedKubernetesVersion,
            Self::Conflict { .. } | Self::FailedCompute { .. } | Self::Rejected { .. } => {
                ErrorKind::Conflict
            }
            Self::ReattachRolledBack { source, .. } | Self::ReattachStranded { source, .. } => {
                source.kind()
            }
            Self::Refused { .. }
            | Self::ControlPlaneNotAdmitted { .. }
            | Self::TooManyAuthorizedRanges { .. }
            | Self::ClusterStillAttached { .. } => ErrorKind::Refused,
            Self::OperationFailed { .. } => ErrorKind::OperationFailed,
            Self::Timeout { .. } => ErrorKind::Timeout,
            Self::Arm(e) | Self::WaitInterrupted { source: e, .. } => arm_kind(e),
            Self::Config { .. } | Self::Decode { .. } | Self::Model(_) => ErrorKind::Other,
        }
    }

    /// The token to resume waiting with, when waiting stopped before the operation ended.
    pub fn resume_token(&self) -> Option<&aml_arm::ResumeToken> {
        match self {
            Self::Timeout { resume_token, .. } | Self::WaitInterrupted { resume_token, .. } => {
                Some(resume_token)
            }
            _ => None,
        }
    }

    /// The ARM error code, when the service produced one.
    pub fn arm_code(&self) -> Option<&str> {
        match self {
            Self::OperationFailed { code, .. } => code.as_deref(),
            Self::Arm(e) | Self::Rejected { source: e, .. } => e.arm_code(),
            _ => None,
        }
    }

    /// The catalogue's rule this error stands for, when it stands for one: a compute that
    /// exists, a cluster attached twice, an unsupported Kubernetes version, a refusal the rules
    /// ask for. A validation failure carries one rule per problem in its [`report`](Self::report).
    pub fn rule(&self) -> Option<Rule> {
        match self {
            Self::AlreadyExists { .. } => Some(Rule::ComputeExists),
            Self::AlreadyAttached { .. } => Some(Rule::AttachClusterAttached),
            Self::UnsupportedKubernetesVersion { .. } => Some(Rule::ClusterKubernetesVersion),
            Self::ControlPlaneNotAdmitted { .. } => Some(Rule::ClusterControlPlaneMissing),
            Self::TooManyAuthorizedRanges { .. } => Some(Rule::ClusterAuthorizedRangesCount),
            Self::ClusterStillAttached { .. } => Some(Rule::ClusterStillAttached),
            Self::Refused { rule, .. } | Self::Model(aml_model::Error::Update { rule, .. }) => {
                *rule
            }
            _ => None,
        }
    }

    /// The validation report, for [`Error::Validation`].
    pub fn report(&self) -> Option<&Report> {
        match self {
            Self::Validation(r) => Some(r),
            Self::Model(e) => e.report(),
            _ => None,
        }
    }

    /// Whether nothing can have been written: validation, client-side refusals, and what was
    /// learned by reads alone (a missing compute or cluster).
    pub fn is_client_side(&self) -> bool {
        matches!(
            self,
            Self::Validation(_)
                | Self::NotFound { .. }
                | Self::ClusterNotFound { .. }
                | Self::AlreadyExists { .. }
                | Self::AlreadyAttached { .. }
                | Self::UnsupportedKubernetesVersion { .. }
                | Self::Conflict { .. }
                | Self::Refused { .. }
                | Self::ControlPlaneNotAdmitted { .. }
                | Self::TooManyAuthorizedRanges { .. }
                | Self::ClusterStillAttached { .. }
                | Self::Rejected { .. }
                | Self::Config { .. }
                | Self::Tls(_)
                | Self::Model(_)
        )
    }
}

impl From<Report> for Error {
    fn from(report: Report) -> Self {
        Self::Validation(report)
    }
}

impl From<aml_arm::Error> for Error {
    fn from(e: aml_arm::Error) -> Self {
        Self::Arm(Box::new(e))
    }
}

impl From<aml_tls::Error> for Error {
    fn from(e: aml_tls::Error) -> Self {
        Self::Tls(e)
    }
}

impl From<aml_model::Error> for Error {
    /// A validation failure becomes [`Error::Validation`], anything else [`Error::Model`].
    fn from(e: aml_model::Error) -> Self {
        from_model(e)
    }
}

/// Turns aml-model's validation failure into [`Error::Validation`], other model errors into
/// [`Error::Model`].
pub(crate) fn from_model(e: aml_model::Error) -> Error {
    match e {
        aml_model::Error::Invalid(report) => Error::Validation(report),
        other => Error::Model(other),
    }
}

/// `compute "a"` or `computes "a", "b"`.
fn quoted(computes: &[String]) -> String {
    let names: Vec<String> = computes.iter().map(|n| format!("{n:?}")).collect();
    let noun = if names.len() == 1 {
        "compute"
    } else {
        "computes"
    };
    format!("{noun} {}", names.join(", "))
}

/// What a refusal refused: `delete compute "web"`, or `delete AKS cluster "aks-made"` for a
/// cluster's deletion (whose `name` is the cluster's).
fn target(action: &str, name: &str) -> String {
    if action == OperationKind::DeleteCluster.as_str() {
        format!("delete AKS cluster {name:?}")
    } else {
        format!("{action} compute {name:?}")
    }
}

/// What an operation was: `create of compute "web"`, or `deletion of AKS cluster "aks-made"`.
fn of(action: &str, name: &str) -> String {
    if action == OperationKind::DeleteCluster.as_str() {
        format!("deletion of AKS cluster {name:?}")
    } else {
        format!("{action} of compute {name:?}")
    }
}

fn arm_kind(e: &aml_arm::Error) -> ErrorKind {
    use aml_arm::Error as A;
    match e {
        A::Throttled(_) => ErrorKind::Throttled,
        A::Credential { .. } | A::CredentialUnavailable { .. } => ErrorKind::Auth,
        A::Api(api) if matches!(api.status, 401 | 403) => ErrorKind::Auth,
        A::Api(api) if api.status == 404 => ErrorKind::NotFound,
        A::Api(api) if api.status == 429 => ErrorKind::Throttled,
        A::Transport { .. } => ErrorKind::Transport,
        A::Timeout { .. } | A::OperationTimeout { .. } => ErrorKind::Timeout,
        A::OperationFailed(_) => ErrorKind::OperationFailed,
        _ => ErrorKind::Other,
    }
}

impl Error {
    /// The workspace's region is needed (to look up its Azure ML control plane) and unknown.
    pub(crate) fn unknown_workspace_region() -> Self {
        Self::Config {
            message: "the workspace's region is unknown, so its Azure ML control plane cannot be looked up; set it with Workspace::with_location".to_owned(),
            source: None,
        }
    }
}

/// An error as a person reads it, every text of its chain once: a validation failure as its
/// problems, one per line (its own message only summarizes them); otherwise the error, then
/// each cause on a line of its own (smithy-rs RFC 0022: no message repeats its source's).
/// For a program's output; the library itself never prints.
pub fn describe_error(error: &(dyn std::error::Error + 'static)) -> String {
    if let Some(report) = error.downcast_ref::<Error>().and_then(Error::report) {
        let n = report.errors.len();
        let mut text = format!(
            "the configuration has {n} problem{} (nothing was sent):",
            if n == 1 { "" } else { "s" }
        );
        for line in report.to_string().lines() {
            text.push_str("\n  ");
            text.push_str(line);
        }
        return text;
    }
    aml_model::error::chain(error).join("\n  caused by: ")
}
