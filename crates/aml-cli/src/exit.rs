//! Exit codes, one per kind of failure, and [`Failure`], what a command returns when it fails.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done: every operation succeeded, every spec converged |
//! | 1 | a failure at run time not listed below (the service failed an operation, a transport error, an unexpected answer) |
//! | 2 | invalid input: usage, an invalid spec or configuration (every problem is listed, nothing was sent) |
//! | 3 | not found: the compute, cluster or workspace does not exist |
//! | 4 | refused: the service's state forbids the change (exists already, attached twice, differs in a way that cannot change in place, unsupported Kubernetes version) |
//! | 5 | authentication: no credential, or the service said 401/403 |
//! | 6 | timeout or throttling: waiting stopped; the message carries a resume token for `aml wait` |
//! | 7 | declined: a confirmation was answered no (nothing was sent) |
//! | 8 | `aml apply` of several specs: some did not converge (the summary says which) |
//! | 9 | a local file could not be read or written |

use std::fmt;

use aml_compute::ErrorKind;

/// An exit code of `aml`, by kind of failure (the crate README's table of exit codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Exit {
    /// 0: done.
    Success,
    /// 1: another failure at run time.
    Runtime,
    /// 2: invalid input, nothing sent.
    Invalid,
    /// 3: the compute, cluster or workspace does not exist.
    NotFound,
    /// 4: the service's state forbids the change.
    Refused,
    /// 5: no credential, or 401/403.
    Auth,
    /// 6: waiting stopped (timeout, throttling); resumable.
    Timeout,
    /// 7: a confirmation was declined.
    Declined,
    /// 8: `apply` of several specs: some did not converge.
    Partial,
    /// 9: a local file could not be read or written.
    Io,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Runtime => 1,
            Self::Invalid => 2,
            Self::NotFound => 3,
            Self::Refused => 4,
            Self::Auth => 5,
            Self::Timeout => 6,
            Self::Declined => 7,
            Self::Partial => 8,
            Self::Io => 9,
        }
    }

    /// A stable short name, the `kind` of a JSON error.
    pub fn name(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Runtime => "runtime",
            Self::Invalid => "invalid",
            Self::NotFound => "not_found",
            Self::Refused => "refused",
            Self::Auth => "auth",
            Self::Timeout => "timeout",
            Self::Declined => "declined",
            Self::Partial => "partial",
            Self::Io => "io",
        }
    }

    /// The exit code of a library error, by its kind.
    pub(crate) fn of(error: &aml_compute::Error) -> Self {
        match error.kind() {
            ErrorKind::Validation => Self::Invalid,
            ErrorKind::NotFound => Self::NotFound,
            ErrorKind::AlreadyExists
            | ErrorKind::AlreadyAttached
            | ErrorKind::Conflict
            | ErrorKind::Refused
            | ErrorKind::UnsupportedKubernetesVersion => Self::Refused,
            ErrorKind::Auth => Self::Auth,
            ErrorKind::Timeout | ErrorKind::Throttled => Self::Timeout,
            _ if matches!(error, aml_compute::Error::Config { .. }) => Self::Invalid,
            _ => Self::Runtime,
        }
    }
}

/// The table above, for `--help`.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  done (every operation succeeded, every spec converged)
  1  another failure at run time (an operation failed, a transport error)
  2  invalid input (usage, spec, configuration); nothing was sent
  3  not found (compute, cluster or workspace)
  4  refused by the service's state (exists, attached twice, cannot change in place)
  5  authentication (no credential, 401/403)
  6  timeout or throttling; resume with `aml wait TOKEN`
  7  a confirmation was declined; nothing was sent
  8  apply: some specs did not converge
  9  a local file could not be read or written";

/// Why a command failed: its exit code, the message for a person (every cause once; its
/// `Display`), and for JSON output the rule code, ARM error code and resume token when there
/// are any.
#[derive(Clone, PartialEq, Eq)]
pub struct Failure {
    /// The exit code.
    pub(crate) exit: Exit,
    /// What went wrong and what to do, every cause once.
    pub(crate) message: String,
    /// The rule code, like `purpose.production_nodes`.
    pub(crate) rule: Option<String>,
    /// The ARM error code.
    pub(crate) arm_code: Option<String>,
    /// The `aml wait` token, when waiting stopped before the operation ended.
    pub(crate) resume: Option<String>,
    /// What of the Azure ML control plane a cluster's authorized IP ranges miss (rule
    /// `cluster.control_plane_missing`), when that is the failure.
    pub(crate) control_plane: Option<Box<MissingControlPlane>>,
    /// The computes of the workspace that still use a cluster to delete (rule
    /// `cluster.still_attached`), when that is the failure.
    pub(crate) still_attached: Option<Box<StillAttached>>,
}

/// The computes of the workspace that still use the AKS cluster `delete-cluster` was asked to
/// delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StillAttached {
    /// The computes' names.
    pub(crate) computes: Vec<String>,
}

/// The command whose refusal of a cluster's authorized IP ranges (they miss the Azure ML
/// control plane) says how to admit it: each command has its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdmitHint {
    /// `aml attach` of an existing cluster: its `--admit-control-plane` flag.
    Attach,
    /// `aml create-cluster` (and `aml wait` of one): its `--admit-control-plane` flag.
    CreateCluster,
    /// A spec (`aml plan`, `aml apply`): the `admit_control_plane` key of its section, here
    /// `attach` or `create_cluster`.
    Spec(&'static str),
}

impl AdmitHint {
    /// What to do, as the refusal's message ends.
    pub(crate) fn text(self) -> String {
        match self {
            Self::Attach => "run `aml attach` again with `--admit-control-plane`".to_owned(),
            Self::CreateCluster => {
                "run `aml create-cluster` again with `--admit-control-plane`".to_owned()
            }
            Self::Spec(section) => {
                format!("set `admit_control_plane: true` in the spec's `{section}:` section")
            }
        }
    }
}

/// The Azure ML control plane's prefixes a cluster's authorized IP ranges do not admit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MissingControlPlane {
    /// The prefixes, as the service tags write them.
    pub(crate) prefixes: Vec<String>,
    /// The regions whose control plane was checked (the workspace's and its pair).
    pub(crate) regions: Vec<String>,
}

impl Failure {
    /// A failure with `exit` and `message`.
    pub(crate) fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            rule: None,
            arm_code: None,
            resume: None,
            control_plane: None,
            still_attached: None,
        }
    }

    /// Invalid input (exit 2).
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(Exit::Invalid, message)
    }

    /// A local file (exit 9).
    pub(crate) fn io(what: &str, error: &std::io::Error) -> Self {
        Self::new(Exit::Io, format!("{what}: {error}"))
    }

    /// A library error, with its exit code and whole chain. Authorized IP ranges that miss
    /// the Azure ML control plane also carry the missing prefixes; how to add them depends on
    /// the command ([`Failure::with_admit_hint`]).
    pub(crate) fn from_compute(error: &aml_compute::Error) -> Self {
        let mut message = describe(error);
        let control_plane = match error {
            aml_compute::Error::ControlPlaneNotAdmitted {
                missing, regions, ..
            } => Some(Box::new(MissingControlPlane {
                prefixes: missing.clone(),
                regions: regions.clone(),
            })),
            _ => None,
        };
        let still_attached = match error {
            aml_compute::Error::ClusterStillAttached { computes, .. } => {
                let commands: Vec<String> = computes
                    .iter()
                    .map(|c| format!("`aml detach {c}`"))
                    .collect();
                message.push_str("\n  to detach: ");
                message.push_str(&commands.join(", "));
                Some(Box::new(StillAttached {
                    computes: computes.clone(),
                }))
            }
            _ => None,
        };
        Self {
            exit: Exit::of(error),
            message,
            rule: error.rule().map(|r| r.code().to_owned()),
            arm_code: error.arm_code().map(str::to_owned),
            resume: None,
            control_plane,
            still_attached,
        }
    }

    /// When the failure is authorized IP ranges that miss the Azure ML control plane, the
    /// message ends with how `hint`'s command adds them; any other failure is returned as it is.
    #[must_use]
    pub(crate) fn with_admit_hint(mut self, hint: AdmitHint) -> Self {
        if self.control_plane.is_some() {
            self.message.push_str("\n  to add them: ");
            self.message.push_str(&hint.text());
        }
        self
    }

    /// The exit code.
    pub fn exit(&self) -> Exit {
        self.exit
    }

    /// The `aml wait` token that resumes the operation, when waiting stopped before it ended.
    pub fn resume_token(&self) -> Option<&str> {
        self.resume.as_deref()
    }

    /// The failure as JSON: `{"error": {"kind", "exit_code", "message", "rule", "arm_code",
    /// "resume_token", "missing_prefixes", "control_plane_regions", "attached_computes"}}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "kind": self.exit.name(),
                "exit_code": self.exit.code(),
                "message": self.message,
                "rule": self.rule,
                "arm_code": self.arm_code,
                "resume_token": self.resume,
                "missing_prefixes": self.control_plane.as_ref().map_or(&[][..], |c| &c.prefixes[..]),
                "control_plane_regions": self.control_plane.as_ref().map_or(&[][..], |c| &c.regions[..]),
                "attached_computes": self.still_attached.as_ref().map_or(&[][..], |s| &s.computes[..]),
            }
        })
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Failure({}, {:?})", self.exit.code(), self.message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<aml_compute::Error> for Failure {
    fn from(error: aml_compute::Error) -> Self {
        Self::from_compute(&error)
    }
}

impl From<aml_arm::Error> for Failure {
    fn from(error: aml_arm::Error) -> Self {
        Self::from_compute(&aml_compute::Error::from(error))
    }
}

impl From<crate::spec::SpecError> for Failure {
    /// The spec's error with its whole chain ([`describe`]), its exit code and rule.
    fn from(error: crate::spec::SpecError) -> Self {
        let mut failure = Self::new(error.exit(), describe(&error));
        failure.rule = error.rule().map(|r| r.code().to_owned());
        failure
    }
}

/// An error as a person reads it: the error, then each cause on a line of its own (`caused
/// by: ...`), each text once; a validation report, at the top or in the chain, as its problems
/// and warnings, one per line.
pub(crate) fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    if error.downcast_ref::<aml_compute::Error>().is_some() {
        return aml_compute::describe_error(error);
    }
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        if let Some(report) = cause
            .downcast_ref::<aml_model::Error>()
            .and_then(aml_model::Error::report)
        {
            // Its summary is one long line; a person reads one problem per line.
            for line in report.to_string().lines() {
                text.push_str("\n  ");
                text.push_str(line);
            }
            return text;
        }
        text.push_str("\n  caused by: ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_named() {
        let all = [
            Exit::Success,
            Exit::Runtime,
            Exit::Invalid,
            Exit::NotFound,
            Exit::Refused,
            Exit::Auth,
            Exit::Timeout,
            Exit::Declined,
            Exit::Partial,
            Exit::Io,
        ];
        let codes: std::collections::BTreeSet<u8> = all.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), all.len());
        for exit in all {
            assert!(
                EXIT_CODES_HELP.contains(&format!("  {}  ", exit.code())),
                "{exit:?} is not in the help"
            );
        }
    }

    #[test]
    fn library_errors_map_by_kind() {
        let not_found = aml_compute::Error::NotFound {
            name: "a".into(),
            workspace: "w".into(),
        };
        assert_eq!(Exit::of(&not_found), Exit::NotFound);
        let refused = aml_compute::Error::Refused {
            action: "scale",
            name: "a".into(),
            reason: "r".into(),
            rule: None,
        };
        assert_eq!(Exit::of(&refused), Exit::Refused);
        let json = Failure::from_compute(&refused).to_json();
        assert_eq!(json["error"]["kind"], "refused");
        assert_eq!(json["error"]["exit_code"], 4);
        assert_eq!(json["error"]["missing_prefixes"], serde_json::json!([]));
        assert_eq!(json["error"]["attached_computes"], serde_json::json!([]));
    }

    #[test]
    fn a_cluster_still_in_use_is_refused_with_its_computes() {
        let error = aml_compute::Error::ClusterStillAttached {
            cluster: "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c".into(),
            computes: vec!["web".into(), "batch".into()],
        };
        assert_eq!(Exit::of(&error), Exit::Refused);
        let failure = Failure::from_compute(&error);
        assert!(
            failure
                .message
                .contains("to detach: `aml detach web`, `aml detach batch`"),
            "{}",
            failure.message
        );
        let json = failure.to_json();
        assert_eq!(json["error"]["rule"], "cluster.still_attached");
        assert_eq!(
            json["error"]["attached_computes"],
            serde_json::json!(["web", "batch"])
        );
        assert_eq!(json["error"]["missing_prefixes"], serde_json::json!([]));
    }

    #[test]
    fn ranges_missing_the_control_plane_are_refused_with_the_prefixes() {
        let error = aml_compute::Error::ControlPlaneNotAdmitted {
            cluster: "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c".into(),
            regions: vec!["eastus".into(), "westus".into()],
            missing: vec!["20.0.0.0/24".into(), "40.1.2.0/26".into()],
        };
        assert_eq!(Exit::of(&error), Exit::Refused);
        let failure = Failure::from_compute(&error);
        assert!(
            failure.message.contains("missing 20.0.0.0/24, 40.1.2.0/26"),
            "{}",
            failure.message
        );
        // How to add them is the command's own way.
        let hint = |h| failure.clone().with_admit_hint(h).message;
        assert!(
            hint(AdmitHint::Attach)
                .ends_with("to add them: run `aml attach` again with `--admit-control-plane`"),
            "{}",
            hint(AdmitHint::Attach)
        );
        assert!(
            hint(AdmitHint::CreateCluster).ends_with(
                "to add them: run `aml create-cluster` again with `--admit-control-plane`"
            ),
            "{}",
            hint(AdmitHint::CreateCluster)
        );
        assert!(
            hint(AdmitHint::Spec("attach")).ends_with(
                "to add them: set `admit_control_plane: true` in the spec's `attach:` section"
            ),
            "{}",
            hint(AdmitHint::Spec("attach"))
        );
        assert!(
            hint(AdmitHint::Spec("create_cluster"))
                .ends_with("in the spec's `create_cluster:` section"),
        );
        for h in [AdmitHint::Attach, AdmitHint::Spec("attach")] {
            assert!(!hint(h).contains("create-cluster --admit"), "{}", hint(h));
        }
        // Other failures get no hint.
        let other = Failure::invalid("bad").with_admit_hint(AdmitHint::Attach);
        assert_eq!(other.message, "bad");
        let json = failure.to_json();
        assert_eq!(json["error"]["rule"], "cluster.control_plane_missing");
        assert_eq!(
            json["error"]["missing_prefixes"],
            serde_json::json!(["20.0.0.0/24", "40.1.2.0/26"])
        );
        assert_eq!(
            json["error"]["control_plane_regions"],
            serde_json::json!(["eastus", "westus"])
        );
    }
}
