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
//! * [`Failure`] and [`describe_error`]: an error's whole chain of causes, each text once.
//! * [`GeneratedCertificate`]: a throwaway TLS certificate and key made at run time with rcgen,
//!   and the `kubectl get secret/azuremlfessl -o yaml` dump that would hold them.
//! * [`spec`]: the compute-spec glue of the `aml` command line (`plan`, `apply`).
//! * [`testing`]: an emulator and a workspace on it, for the examples' tests and benches.
//!
//! Nothing here prints, and nothing here shows a private key, a token or a kubeconfig.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use aml_compute::config::TlsSettings;
use aml_emulator::{Emulator, Seed, Timings};
use aml_model::{AksClusterId, PrivateKeyPem, WorkspaceId};
use time::OffsetDateTime;
use zeroize::Zeroizing;

pub use aml_compute;
pub use aml_emulator;

/// The error type of the examples: anything, with its chain of causes.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// `Result` with [`BoxError`].
pub type Result<T, E = BoxError> = std::result::Result<T, E>;

/// `azure` runs the examples against Azure; `emulator` (or nothing) against the embedded one.
pub const TARGET_VAR: &str = "AML_TARGET";
/// With `AML_TARGET=azure`: the workspace's subscription.
pub const SUBSCRIPTION_VAR: &str = "AML_SUBSCRIPTION_ID";
/// With `AML_TARGET=azure`: the workspace's resource group.
pub const RESOURCE_GROUP_VAR: &str = "AML_RESOURCE_GROUP";
/// With `AML_TARGET=azure`: the workspace's name.
pub const WORKSPACE_VAR: &str = "AML_WORKSPACE_NAME";
/// The token scope of Azure Resource Manager, which the emulator stands in for.
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";

/// How long the emulator's long-running operations take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Slow enough to watch the progress lines (create 1 s, other operations 0.4 s, a poll
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
            Self::Demo => (1000, 400, 100),
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
pub fn target_is_azure() -> Result<bool> {
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
pub fn workspace_id_from_env() -> Result<Option<WorkspaceId>> {
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

/// The workspace an Azure run uses: [`workspace_id_from_env`], or else the nearest
/// `config.json` from the current directory up (the Python SDK's `Workspace.from_config`).
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
    .map_err(|e| format!("{} names an invalid workspace: {e}", path.display()).into())
}

/// Refuses an emulator URL that is not on this machine (loopback): the examples talk to
/// emulators on 127.0.0.1 only, and to Azure only with `AML_TARGET=azure`.
pub fn check_loopback(url: &str) -> Result<()> {
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if !h.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(format!(
            "{url} is not on this machine; the examples talk to emulators on 127.0.0.1 only (set {TARGET_VAR}=azure for Azure)"
        )
        .into())
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

/// An error as a person reads it, every text of its chain once: a validation failure as its
/// problems, one per line (its own message only summarizes them); otherwise the error, then
/// each cause on a line of its own (smithy-rs RFC 0022: no message repeats its source's).
pub fn describe_error(error: &(dyn StdError + 'static)) -> String {
    if let Some(report) = error
        .downcast_ref::<aml_compute::Error>()
        .and_then(aml_compute::Error::report)
    {
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

/// What an example's `main` returns on failure: its `Debug` (what Rust prints for an error
/// returned from `main`) is [`describe_error`]'s text.
pub struct Failure(BoxError);

impl<E: Into<BoxError>> From<E> for Failure {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe_error(&*self.0))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe_error(&*self.0))
    }
}

impl Failure {
    /// The error.
    pub fn error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.0
    }
}

pub mod testing {
    //! For the examples' tests and benches: an embedded emulator and a workspace on it.
    //! (An example's `main` builds its own, in the open.)

    use super::{ARM_SCOPE, Duration, Result};
    use aml_arm::{ArmClient, ArmClientOptions, Cloud, PollOptions, StaticTokenCredential};
    use aml_compute::Workspace;
    use aml_emulator::{Emulator, EmulatorBuilder};

    /// Starts the emulator `builder` describes and returns it with a workspace on its seed's
    /// first workspace, region read. Polls every 5 ms when the emulator gives no hint (an
    /// emulator at [`crate::Pace::Instant`] gives none).
    pub async fn start(builder: EmulatorBuilder) -> Result<(Emulator, Workspace)> {
        let emulator = builder.start().await?;
        let options = ArmClientOptions {
            cloud: Cloud::custom(emulator.base_url(), ARM_SCOPE)?,
            poll: PollOptions {
                interval: Duration::from_millis(5),
                timeout: Some(Duration::from_secs(60)),
                max_interval: Duration::from_secs(1),
            },
            ..ArmClientOptions::default()
        };
        let arm = ArmClient::new(StaticTokenCredential::new("emulator"), options)?;
        let id = emulator
            .workspace_id()
            .ok_or("the emulator's seed holds no workspace")?;
        let workspace = Workspace::fetch(arm, id).await?;
        Ok((emulator, workspace))
    }

    /// [`start`] with the standard seed at [`crate::Pace::Test`].
    ///
    /// # Panics
    ///
    /// When the emulator cannot start: this is for tests.
    pub async fn standard() -> (Emulator, Workspace) {
        start(Emulator::builder().timings(crate::Pace::Test.timings()))
            .await
            .unwrap_or_else(|e| panic!("embedded emulator: {}", crate::describe_error(&*e)))
    }
}

/// A throwaway TLS certificate and private key made at run time (ECDSA P-256, self-signed, the
/// CNAME as common name and only DNS name). The key is zeroized on drop and never printed.
pub struct GeneratedCertificate {
    cname: String,
    cert_pem: String,
    key_pem: Zeroizing<String>,
}

impl fmt::Debug for GeneratedCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedCertificate")
            .field("cname", &self.cname)
            .field("key_pem", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl GeneratedCertificate {
    /// A certificate for `cname`, valid from a day ago for 90 days.
    pub fn new(cname: &str) -> Result<Self> {
        let now = OffsetDateTime::now_utc();
        Self::valid_between(
            cname,
            now - time::Duration::days(1),
            now + time::Duration::days(90),
        )
    }

    /// A certificate for `cname` valid between the two times (an expired one, to show the
    /// hygiene checks).
    pub fn valid_between(
        cname: &str,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Self> {
        let key = rcgen::KeyPair::generate()?;
        let mut params = rcgen::CertificateParams::new(vec![cname.to_owned()])?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cname);
        params.not_before = not_before;
        params.not_after = not_after;
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cname: cname.to_owned(),
            cert_pem: cert.pem(),
            key_pem: Zeroizing::new(key.serialize_pem()),
        })
    }

    /// The host name the certificate is for.
    pub fn cname(&self) -> &str {
        &self.cname
    }

    /// The PEM certificate (public).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A copy of the private key, for a configuration (it stays redacted in `Debug`).
    pub fn private_key(&self) -> PrivateKeyPem {
        PrivateKeyPem::new(self.key_pem.as_str())
    }

    /// TLS settings with this certificate, its key and its CNAME (R17).
    pub fn tls_settings(&self) -> TlsSettings {
        TlsSettings::custom(
            self.cert_pem.clone(),
            self.private_key(),
            self.cname.clone(),
        )
    }

    /// What `kubectl get secret/azuremlfessl -o yaml` prints for a cluster using this
    /// certificate (R19): `cert.pem` and `key.pem`, base64-encoded. Holds the key: never print it.
    pub fn azuremlfessl_yaml(&self) -> Zeroizing<String> {
        use base64::Engine as _;
        let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
        let created = OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Zeroizing::new(format!(
            "apiVersion: v1\ndata:\n  cert.pem: {}\n  key.pem: {}\nkind: Secret\nmetadata:\n  creationTimestamp: \"{created}\"\n  name: azuremlfessl\n  namespace: default\n  resourceVersion: \"4711\"\n  uid: 5f0c3c1e-8d1a-4c53-9a44-6b1b1f7e2d10\ntype: Opaque\n",
            b64(&self.cert_pem),
            b64(&self.key_pem),
        ))
    }

    /// Whether `text` shows any part of the private key (its PEM body or its base64 form):
    /// the examples' tests assert their output never does.
    pub fn leaks_into(&self, text: &str) -> bool {
        use base64::Engine as _;
        let body: String = self
            .key_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let encoded = base64::engine::general_purpose::STANDARD.encode(self.key_pem.as_bytes());
        let probe = |s: &str| s.len() >= 24 && text.contains(&s[..24]);
        probe(&body) || probe(&encoded[8..]) || body.lines().any(probe)
    }
}

pub mod spec {
    //! The compute-spec glue of the `aml` command line: read a spec (YAML or JSON) and the TLS
    //! files it names, validate everything at once (aml-model's rules and aml-tls's certificate
    //! checks), build the plan (its `Display` is what `aml plan` prints), and turn it into what [`Workspace::ensure`](aml_compute::Workspace::ensure) takes.
    //!
    //! The same steps as the `plan` example, kept here so `aml plan` and `aml apply` share them.

    use std::path::{Path, PathBuf};

    use aml_compute::Desired;
    use aml_compute::config::{
        AksAttachBuilder, AksProvisioningBuilder, LoadBalancerSettings, TlsSettings,
    };
    use aml_compute::tls::check_material;
    use aml_emulator::{ResourceGroupSeed, Seed, SubscriptionSeed, WorkspaceSeed};
    use aml_model::plan::Plan;
    use aml_model::request::Requests;
    use aml_model::spec::{ComputeSpec, TlsFiles, WorkspaceSpec, spec_paths};
    use aml_model::wire::{ClusterPurpose, LoadBalancerType};
    use aml_model::{PrivateKeyPem, Report};
    use aml_tls::OffsetDateTime;
    use zeroize::Zeroizing;

    /// Why a spec cannot be used.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum SpecError {
        /// A file could not be read (exit status 1).
        Unreadable(String),
        /// The spec breaks rules; every problem, rendered (exit status 2).
        Invalid(String),
    }

    impl SpecError {
        /// The exit status: 1 for a file that cannot be read, 2 for an invalid spec.
        pub fn exit_code(&self) -> u8 {
            match self {
                Self::Unreadable(_) => 1,
                Self::Invalid(_) => 2,
            }
        }
    }

    impl std::fmt::Display for SpecError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                Self::Unreadable(text) | Self::Invalid(text) => f.write_str(text),
            }
        }
    }

    impl std::error::Error for SpecError {}

    /// A parsed spec and the contents of the TLS files it names. The key is zeroized on drop.
    pub struct LoadedSpec {
        path: PathBuf,
        spec: ComputeSpec,
        cert_pem: Option<String>,
        key_pem: Option<Zeroizing<String>>,
    }

    impl std::fmt::Debug for LoadedSpec {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("LoadedSpec")
                .field("path", &self.path)
                .field("spec", &self.spec)
                .field("key_pem", &self.key_pem.as_ref().map(|_| "[redacted]"))
                .finish_non_exhaustive()
        }
    }

    fn read(path: &Path) -> Result<String, SpecError> {
        std::fs::read_to_string(path)
            .map_err(|e| SpecError::Unreadable(format!("cannot read {}: {e}", path.display())))
    }

    /// Reads and parses `path` (JSON when it ends in `.json`, YAML otherwise) and the
    /// certificate and key files it names (relative to the spec).
    pub fn load(path: &Path) -> Result<LoadedSpec, SpecError> {
        let text = read(path)?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let spec: ComputeSpec = if is_json {
            serde_json::from_str(&text)
                .map_err(|e| SpecError::Invalid(format!("error: {}: {e}", path.display())))?
        } else {
            yaml_serde::from_str(&text)
                .map_err(|e| SpecError::Invalid(format!("error: {}: {e}", path.display())))?
        };
        let base = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
        let (cert_file, key_file) = spec.tls_files();
        let cert_pem = cert_file.map(|f| read(&base.join(f))).transpose()?;
        let key_pem = key_file
            .map(|f| read(&base.join(f)).map(Zeroizing::new))
            .transpose()?;
        Ok(LoadedSpec {
            path: path.to_owned(),
            spec,
            cert_pem,
            key_pem,
        })
    }

    impl LoadedSpec {
        /// The spec as written.
        pub fn spec(&self) -> &ComputeSpec {
            &self.spec
        }

        /// The spec's file.
        pub fn path(&self) -> &Path {
            &self.path
        }

        /// The workspace the spec names.
        pub fn workspace(&self) -> &WorkspaceSpec {
            &self.spec.workspace
        }

        fn files(&self) -> TlsFiles {
            TlsFiles {
                cert_pem: self.cert_pem.clone(),
                key_pem: self
                    .key_pem
                    .as_ref()
                    .map(|k| PrivateKeyPem::new(k.as_str())),
            }
        }

        /// Validates everything at once: the model's rules and, for a custom certificate,
        /// aml-tls's checks (key matches, CNAME covered, validity now, chain order). Returns the
        /// plan (what `aml plan` prints: its `Display`) with every warning, or every problem.
        pub fn plan(&self) -> Result<Plan, SpecError> {
            let tls_report = match (&self.cert_pem, &self.key_pem) {
                (Some(cert), Some(key)) => spec_paths(check_material(
                    cert,
                    &PrivateKeyPem::new(key.as_str()),
                    self.spec.tls.as_ref().and_then(|t| t.cname.as_deref()),
                    OffsetDateTime::now_utc(),
                )),
                _ => Report::new(),
            };
            let render =
                |report: &Report| SpecError::Invalid(report.to_string().trim_end().to_owned());
            match self.spec.clone().validate(self.files()) {
                Ok(validated) if tls_report.is_ok() => {
                    let mut plan = validated.plan(&Requests::default());
                    plan.push_warnings(tls_report.warnings);
                    Ok(plan)
                }
                Ok(validated) => {
                    let mut report = tls_report;
                    report.warnings.extend(validated.warnings().iter().cloned());
                    Err(render(&report))
                }
                Err(mut report) => {
                    report.merge(tls_report);
                    Err(render(&report))
                }
            }
        }

        /// The spec's TLS settings, with the files' contents.
        fn tls_settings(&self) -> TlsSettings {
            let Some(tls) = &self.spec.tls else {
                return TlsSettings::default();
            };
            TlsSettings {
                cert_pem: self.cert_pem.clone(),
                key_pem: self
                    .key_pem
                    .as_ref()
                    .map(|k| PrivateKeyPem::new(k.as_str())),
                cname: tls.cname.clone(),
                leaf_domain_label: tls.leaf_domain_label.clone(),
                overwrite_existing_domain: tls.overwrite_existing_domain,
                ..TlsSettings::default()
            }
        }

        /// What `ensure` should make true, after [`LoadedSpec::plan`] passed.
        pub fn desired(&self) -> Result<Desired, SpecError> {
            self.plan()?;
            let invalid = |what: String| SpecError::Invalid(format!("error: {what}"));
            // Open enums: a value this crate does not know is kept, and validation (already
            // passed above) reports it.
            let purpose = |text: &Option<String>| text.as_deref().map(ClusterPurpose::parse);
            let load_balancer = match &self.spec.load_balancer {
                None => LoadBalancerSettings::default(),
                Some(lb) => LoadBalancerSettings {
                    kind: lb.kind.as_deref().map(LoadBalancerType::parse),
                    subnet: lb.subnet.clone(),
                },
            };
            match (&self.spec.create, &self.spec.attach) {
                (Some(create), None) => {
                    let agent_count = create
                        .agent_count
                        .map(u32::try_from)
                        .transpose()
                        .map_err(|_| invalid("create.agent_count: must be at least 1".into()))?;
                    Ok(Desired::Create(AksProvisioningBuilder {
                        agent_count,
                        vm_size: create.vm_size.clone(),
                        location: create.location.clone(),
                        cluster_purpose: purpose(&create.cluster_purpose),
                        vnet: create.vnet.clone(),
                        load_balancer,
                        tls: self.tls_settings(),
                    }))
                }
                (None, Some(attach)) => Ok(Desired::Attach(AksAttachBuilder {
                    resource_id: attach.resource_id.clone(),
                    resource_group: attach.resource_group.clone(),
                    cluster_name: attach.cluster_name.clone(),
                    cluster_purpose: purpose(&attach.cluster_purpose),
                    load_balancer,
                    tls: self.tls_settings(),
                })),
                _ => Err(invalid(
                    "create: a spec has exactly one of create and attach".into(),
                )),
            }
        }
    }

    /// `seed` with the spec's workspace added (when it lacks it), so an embedded emulator
    /// answers for the workspace the spec names.
    pub fn seed_with_workspace(mut seed: Seed, workspace: &WorkspaceSpec) -> Seed {
        let location = workspace
            .location
            .clone()
            .unwrap_or_else(|| "eastus".into());
        let same_subscription =
            |s: &SubscriptionSeed| s.id.eq_ignore_ascii_case(&workspace.subscription_id);
        if !seed.subscriptions.iter().any(same_subscription) {
            seed.subscriptions.push(SubscriptionSeed {
                id: workspace.subscription_id.clone(),
                resource_groups: Vec::new(),
            });
        }
        let Some(subscription) = seed.subscriptions.iter_mut().find(|s| same_subscription(s))
        else {
            return seed;
        };
        let same_group =
            |g: &ResourceGroupSeed| g.name.eq_ignore_ascii_case(&workspace.resource_group);
        if !subscription.resource_groups.iter().any(same_group) {
            subscription.resource_groups.push(ResourceGroupSeed {
                name: workspace.resource_group.clone(),
                workspaces: Vec::new(),
                clusters: Vec::new(),
            });
        }
        let Some(group) = subscription
            .resource_groups
            .iter_mut()
            .find(|g| same_group(g))
        else {
            return seed;
        };
        if !group
            .workspaces
            .iter()
            .any(|w| w.name.eq_ignore_ascii_case(&workspace.workspace_name))
        {
            group.workspaces.push(WorkspaceSeed {
                name: workspace.workspace_name.clone(),
                location,
            });
        }
        seed
    }
}

#[cfg(test)]
mod tests {
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
    fn only_loopback_emulators_are_reached() {
        assert!(check_loopback("http://127.0.0.1:8443").is_ok());
        assert!(check_loopback("http://localhost:8443/").is_ok());
        assert!(check_loopback("http://[::1]:8443").is_ok());
        assert!(check_loopback("https://management.azure.com").is_err());
        assert!(check_loopback("http://10.0.0.1:80").is_err());
        assert!(check_loopback("http://127.0.0.1.evil.example:80").is_err());
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
        let error = Outer(std::io::Error::other("connection reset by peer"));
        assert_eq!(
            describe_error(&error),
            "cannot read the workspace\n  caused by: connection reset by peer"
        );
        let failure = Failure::from(error);
        assert_eq!(format!("{failure:?}"), format!("{failure}"));
    }

    #[test]
    fn seed_gains_the_specs_workspace_once() {
        let ws = aml_model::spec::WorkspaceSpec {
            subscription_id: aml_emulator::STANDARD_SUBSCRIPTION.into(),
            resource_group: "ml-rg".into(),
            workspace_name: "ml-workspace".into(),
            location: Some("westus2".into()),
        };
        let seed = spec::seed_with_workspace(Seed::standard(), &ws);
        let seed = spec::seed_with_workspace(seed, &ws);
        seed.validate().unwrap();
        let groups = &seed.subscriptions[0].resource_groups;
        let group = groups.iter().find(|g| g.name == "ml-rg").unwrap();
        assert_eq!(group.workspaces.len(), 1);
        assert_eq!(group.workspaces[0].location, "westus2");
    }
}
