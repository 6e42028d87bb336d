//! Shared support for the examples of the aml workspace.
//!
//! Every example builds its own credential, ARM client and workspace in `main`, in the few
//! lines a program of yours would have. What is here is what such a program would not copy:
//!
//! * [`start_emulator`]: the embedded [`Emulator`] on 127.0.0.1 the examples run against by
//!   default (seeded with a workspace and existing AKS clusters, so the examples, which create,
//!   attach and detach clusters, never touch Azure by accident), or none with `AML_TARGET=azure`.
//! * [`azure_workspace_id`]: with `AML_TARGET=azure`, the workspace from `AML_SUBSCRIPTION_ID`,
//!   `AML_RESOURCE_GROUP` and `AML_WORKSPACE_NAME`, or else from the nearest `config.json` (the
//!   Python SDK's `Workspace.from_config`).
//! * [`existing_cluster`]: the ARM id of an existing cluster to attach, by role: from the
//!   emulator's seed, or from `AML_AKS_<ROLE>` on Azure.
//! * [`Failure`]: what an example's `main` returns, shown as `aml_compute::describe_error` shows
//!   an error: its whole chain of causes, each text once.
//! * [`GeneratedCertificate`]: a throwaway TLS certificate and key made at run time with rcgen,
//!   and the `kubectl get secret/azuremlfessl -o yaml` dump that would hold them.
//! * [`testing`]: an emulator and a workspace on it, for the examples' tests and benches.
//! * [`watch`]: the examples' renderer of an operation's progress stream, the one thing here
//!   that prints (the libraries never do).
//!
//! Nothing here shows a private key, a token or a kubeconfig.

use std::error::Error as StdError;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use aml_emulator::{Emulator, Seed, Timings};
use aml_model::{AksClusterId, WorkspaceId};

pub use aml_emulator;

mod cert;
mod error;
mod progress;
pub mod testing;

pub use cert::GeneratedCertificate;
pub use error::Failure;
pub use progress::watch;

/// The error type of the examples: anything, with its chain of causes.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// `Result` with [`BoxError`].
pub type Result<T, E = BoxError> = std::result::Result<T, E>;

/// `azure` runs the examples against Azure; `emulator` (or nothing) against the embedded one.
const TARGET_VAR: &str = "AML_TARGET";
/// With `AML_TARGET=azure`: the workspace's subscription.
const SUBSCRIPTION_VAR: &str = "AML_SUBSCRIPTION_ID";
/// With `AML_TARGET=azure`: the workspace's resource group.
const RESOURCE_GROUP_VAR: &str = "AML_RESOURCE_GROUP";
/// With `AML_TARGET=azure`: the workspace's name.
const WORKSPACE_VAR: &str = "AML_WORKSPACE_NAME";
/// The token scope of Azure Resource Manager, which the emulator stands in for.
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";

/// How long the emulator's long-running operations take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Slow enough to watch the progress lines (create 0.8 s, other operations 0.3 s, a poll
    /// every 100 ms): what `cargo run --example` uses.
    Demo,
    /// Fast, with a few polls per operation (create 40 ms, others 20 ms, a poll every 5 ms):
    /// what the examples' tests use.
    Test,
    /// Every operation is done at its first poll: for benchmarks of the client and emulator.
    Instant,
}

impl Pace {
    /// The emulator timings of this pace.
    pub fn timings(self) -> Timings {
        let (create, other, poll) = match self {
            Self::Demo => (800, 300, 100),
            Self::Test => (40, 20, 5),
            Self::Instant => (0, 0, 0),
        };
        let mut timings = Timings::uniform(Duration::from_millis(other));
        timings.create = Duration::from_millis(create);
        timings.retry_after = Duration::from_millis(poll);
        timings
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Whether `AML_TARGET` asks for Azure (`azure`) rather than an emulator (`emulator`, or unset).
fn target_is_azure() -> Result<bool> {
    match env(TARGET_VAR).unwrap_or_default().to_ascii_lowercase().as_str() {
        "azure" => Ok(true),
        "" | "emulator" => Ok(false),
        other => Err(format!(
            "{TARGET_VAR}={other:?} is not a target; use azure, or leave it unset for the embedded emulator"
        )
        .into()),
    }
}

/// Starts the embedded emulator at `pace` with the standard seed, unless `AML_TARGET=azure`
/// (then `None`: the example runs against Azure).
pub async fn start_emulator(pace: Pace) -> Result<Option<Emulator>> {
    if target_is_azure()? {
        return Ok(None);
    }
    Ok(Some(
        Emulator::builder().timings(pace.timings()).start().await?,
    ))
}

/// The workspace named by `AML_SUBSCRIPTION_ID`, `AML_RESOURCE_GROUP` and `AML_WORKSPACE_NAME`,
/// if all three are set; an error naming the missing ones if only some are.
fn workspace_id_from_env() -> Result<Option<WorkspaceId>> {
    let vars = [SUBSCRIPTION_VAR, RESOURCE_GROUP_VAR, WORKSPACE_VAR];
    let values: Vec<Option<String>> = vars.iter().map(|v| env(v)).collect();
    match values.as_slice() {
        [Some(s), Some(g), Some(w)] => Ok(Some(WorkspaceId::new(s, g, w)?)),
        [None, None, None] => Ok(None),
        _ => {
            let missing: Vec<&str> = vars
                .iter()
                .zip(&values)
                .filter(|(_, v)| v.is_none())
                .map(|(n, _)| *n)
                .collect();
            Err(format!(
                "set {} too, or unset all three to use config.json",
                missing.join(" and ")
            )
            .into())
        }
    }
}

/// The workspace an Azure run uses: the `AML_SUBSCRIPTION_ID`, `AML_RESOURCE_GROUP` and
/// `AML_WORKSPACE_NAME` variables, or else the nearest `config.json` from the current directory
/// up (the Python SDK's `Workspace.from_config`).
pub fn azure_workspace_id() -> Result<WorkspaceId> {
    if let Some(id) = workspace_id_from_env()? {
        return Ok(id);
    }
    let (path, config) = aml_compute::find_config(&std::env::current_dir()?)?;
    WorkspaceId::new(
        &config.subscription_id,
        &config.resource_group,
        &config.workspace_name,
    )
    .map_err(|e| {
        InvalidConfig {
            path,
            source: e.into(),
        }
        .into()
    })
}

/// A `config.json` whose ids make no workspace id; why is its source.
#[derive(Debug)]
struct InvalidConfig {
    path: PathBuf,
    source: BoxError,
}

impl fmt::Display for InvalidConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} names an invalid workspace", self.path.display())
    }
}

impl StdError for InvalidConfig {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

/// The id of the cluster `name` in `seed`, in whichever subscription holds it.
pub fn seed_cluster_id(seed: &Seed, name: &str) -> Option<AksClusterId> {
    seed.subscriptions.iter().find_map(|subscription| {
        subscription.resource_groups.iter().find_map(|group| {
            group
                .clusters
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
                .and_then(|c| {
                    AksClusterId::new(
                        subscription.id.as_str(),
                        group.name.as_str(),
                        c.name.as_str(),
                    )
                    .ok()
                })
        })
    })
}

/// The ARM id of an existing cluster an example attaches, by role: `prod`, `dev`, `old`,
/// `private`, `authorized`, `gpu` or `other-sub`. On the emulator it is the seed's
/// `aks-<role>`; on Azure the variable `AML_AKS_<ROLE>` (like `AML_AKS_PROD`) must hold it.
pub fn existing_cluster(emulator: Option<&Emulator>, role: &str) -> Result<String> {
    if let Some(emulator) = emulator {
        let name = format!("aks-{role}");
        return seed_cluster_id(emulator.seed(), &name)
            .map(|id| id.to_string())
            .ok_or_else(|| format!("the emulator's seed has no cluster {name}").into());
    }
    let var = format!("AML_AKS_{}", role.to_ascii_uppercase().replace('-', "_"));
    env(&var).ok_or_else(|| {
        format!(
            "set {var} to the ARM id of an existing AKS cluster to use as the {role:?} cluster (az aks show -g RG -n NAME --query id -o tsv)"
        )
        .into()
    })
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;

    #[test]
    fn generated_certificate_passes_the_hygiene_checks_and_hides_its_key() {
        let cert = GeneratedCertificate::new("www.contoso.com").unwrap();
        let report =
            aml_compute::tls::check_settings(&cert.tls_settings(), OffsetDateTime::now_utc());
        assert!(report.is_ok(), "{report}");
        assert!(!format!("{cert:?}").contains("PRIVATE KEY"));
        let dump = cert.azuremlfessl_yaml();
        assert!(cert.leaks_into(&dump), "the dump holds the key, base64");
        assert!(!cert.leaks_into(cert.cert_pem()));
        let recovered = aml_compute::tls::settings_from_secret(
            dump.as_bytes(),
            "www.contoso.com",
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        assert_eq!(recovered.cert_pem.as_deref(), Some(cert.cert_pem()));
    }

    #[test]
    fn an_error_is_shown_with_every_cause_once() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("cannot read the workspace")
            }
        }
        impl StdError for Outer {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let failure = Failure::from(Outer(std::io::Error::other("connection reset by peer")));
        assert_eq!(
            format!("{failure}"),
            "cannot read the workspace\n  caused by: connection reset by peer"
        );
        assert_eq!(format!("{failure:?}"), format!("{failure}"));
    }

    #[test]
    fn an_invalid_config_json_keeps_its_reason_as_the_source() {
        let reason = WorkspaceId::new("", "rg", "ws").unwrap_err();
        let because = reason.to_string();
        let error = InvalidConfig {
            path: PathBuf::from("config.json"),
            source: reason.into(),
        };
        assert_eq!(error.to_string(), "config.json names an invalid workspace");
        assert_eq!(error.source().map(ToString::to_string), Some(because));
    }
}
