//! `aml`: a small command line over compute specs (the YAML/JSON files of `examples/specs/`).
//!
//! ```text
//! cargo run -p aml-examples --example aml -- plan examples/specs/production.yaml
//! cargo run -p aml-examples --example aml -- --emulator apply my-spec.yaml
//! cargo run -p aml-examples --example aml -- --emulator versions eastus
//! ```
//!
//! `plan SPEC` validates a spec (every rule, and a custom certificate's hygiene) and prints its
//! plan (every read, check and ARM request it would send, secrets redacted); it sends nothing.
//! With a target given, it reads the live compute and prints what differs, terraform-like
//! (`~ create.agent_count 2 -> 3 (scale)`), and the plan that would converge it.
//! `apply SPEC` makes the spec true idempotently (`plan_ensure`, printed terraform-like:
//! `+ compute` when absent, `~ create.agent_count 2 -> 3 (scale)` for each difference; then the
//! plan runs: create or attach when absent, nothing when it matches, updates, a scale or a
//! re-attach when it differs, a refusal when a difference cannot change in place) and waits
//! with progress. `show
//! NAME`, `list`, `detach NAME` (the cluster is kept) and `versions LOCATION` do what they say.
//!
//! Targets: `--emulator` runs against an emulator embedded in the process (seeded with a
//! workspace, the spec's workspace too, and existing clusters; it forgets everything at exit);
//! `--emulator-url http://127.0.0.1:PORT` against one already running
//! (`cargo run -p aml-emulator -- --port 8443`); `AML_TARGET=azure` against Azure (the workspace
//! of the spec, or of `AML_*` / `config.json`; the credential from the environment). Without any
//! of these, the embedded emulator: this tool never reaches Azure unless told to.
//!
//! Long-running operations show a progress bar over the plan's steps on a terminal (indicatif,
//! from the operation's progress stream), and plain lines otherwise.
//!
//! Exit status: 0 done, 1 a runtime or IO failure (the service refused, a file is unreadable,
//! a compute is missing), 2 invalid input (usage, an invalid spec). `--stats` adds one line on
//! standard error with the process's peak memory and, on the embedded emulator, the time of
//! its first ARM request (for `benches/e2e.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use aml_arm::credentials::TokenCredential;
use aml_arm::{
    ArmClient, ArmClientOptions, Cloud, CredentialChain, CredentialChainOptions,
    StaticTokenCredential,
};
use aml_compute::{AksCompute, ComputeTarget, Workspace};
use aml_emulator::{Emulator, Seed};
use aml_examples::spec::{self, LoadedSpec, SpecError};
use aml_examples::{ARM_SCOPE, BoxError, Pace, describe_error};
use aml_model::WorkspaceId;
use futures::TryStreamExt;

const USAGE: &str = "\
usage: aml [--emulator | --emulator-url URL] [--stats] COMMAND

commands:
  plan SPEC           validate a spec and print its plan (nothing is sent); with a target
                      given (--emulator, --emulator-url, AML_TARGET=azure), read the compute and
                      print what differs, terraform-like, and the plan that would converge it
  apply SPEC          create or attach what the spec says, idempotently, and wait with progress
  show NAME           one compute of the workspace
  list                every compute of the workspace
  detach NAME         detach a compute (its AKS cluster is kept) and wait
  versions LOCATION   the Kubernetes versions of a region, the default marked

targets: --emulator (an emulator inside this process), --emulator-url http://127.0.0.1:PORT,
or AML_TARGET=azure (workspace from the spec, AML_SUBSCRIPTION_ID / AML_RESOURCE_GROUP /
AML_WORKSPACE_NAME or config.json). Default: the embedded emulator.
exit status: 0 done, 1 runtime or IO failure, 2 invalid input";

/// A subcommand.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Command {
    Plan(PathBuf),
    Apply(PathBuf),
    Show(String),
    List,
    Detach(String),
    Versions(String),
    Help,
}

/// Where to run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Choice {
    /// `AML_TARGET`, or the embedded emulator.
    Environment,
    /// `--emulator`.
    Embedded,
    /// `--emulator-url`.
    Url(String),
}

/// The parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cli {
    choice: Choice,
    stats: bool,
    command: Command,
}

/// Why a command failed, and its exit status.
#[derive(Debug)]
enum Failure {
    /// Exit status 1.
    Runtime(String),
    /// Exit status 2.
    Invalid(String),
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Self::Runtime(_) => 1,
            Self::Invalid(_) => 2,
        }
    }

    fn message(&self) -> &str {
        match self {
            Self::Runtime(m) | Self::Invalid(m) => m,
        }
    }
}

impl From<SpecError> for Failure {
    fn from(e: SpecError) -> Self {
        match e {
            SpecError::Unreadable(m) => Self::Runtime(m),
            SpecError::Invalid(m) => Self::Invalid(m),
        }
    }
}

impl From<aml_compute::Error> for Failure {
    fn from(e: aml_compute::Error) -> Self {
        let text = format!("error: {}", describe_error(&e));
        match e {
            aml_compute::Error::Validation(_)
            | aml_compute::Error::Model(_)
            | aml_compute::Error::Tls(_) => Self::Invalid(text),
            _ => Self::Runtime(text),
        }
    }
}

impl From<BoxError> for Failure {
    fn from(e: BoxError) -> Self {
        match e.downcast::<aml_compute::Error>() {
            Ok(e) => (*e).into(),
            Err(e) => runtime(e),
        }
    }
}

/// A failure at run time (exit status 1), with the error's whole chain.
fn runtime(error: impl Into<BoxError>) -> Failure {
    Failure::Runtime(format!("error: {}", describe_error(&*error.into())))
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Cli, String> {
    let mut choice = Choice::Environment;
    let mut stats = false;
    let mut positional = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--emulator" => choice = Choice::Embedded,
            "--emulator-url" => {
                choice = Choice::Url(args.next().ok_or("--emulator-url needs a URL")?);
            }
            "--stats" => stats = true,
            "-h" | "--help" => positional.insert(0, "help".to_owned()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => positional.push(arg),
        }
    }
    let mut words = positional.into_iter();
    let command = words.next().ok_or("no command given")?;
    let mut operand = |what: &str| {
        words
            .next()
            .ok_or_else(|| format!("{command} needs {what}"))
    };
    let command = match command.as_str() {
        "plan" => Command::Plan(operand("a spec file")?.into()),
        "apply" => Command::Apply(operand("a spec file")?.into()),
        "show" => Command::Show(operand("a compute name")?),
        "list" => Command::List,
        "detach" => Command::Detach(operand("a compute name")?),
        "versions" => Command::Versions(operand("a location, like eastus")?),
        "help" => Command::Help,
        other => return Err(format!("unknown command {other:?}")),
    };
    if let Some(extra) = words.next() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    Ok(Cli {
        choice,
        stats,
        command,
    })
}

/// Whether the command line or the environment names a target (`plan` then reads the live
/// compute).
fn target_given(cli: &Cli) -> bool {
    cli.choice != Choice::Environment
        || std::env::var("AML_TARGET").is_ok_and(|t| t.eq_ignore_ascii_case("azure"))
}

/// Validates the spec and prints its plan; no connection at all.
fn plan(path: &std::path::Path) -> Result<(), Failure> {
    let plan = spec::load(path)?.plan()?;
    // Written, not printed: a closed pipe (`aml plan ... | head`) is an error, not a panic.
    std::io::Write::write_all(&mut std::io::stdout(), plan.to_string().as_bytes())
        .map_err(|e| Failure::Runtime(format!("error: cannot write the plan: {e}")))
}

fn show_compute(compute: &ComputeTarget) {
    match compute.as_aks() {
        Some(aks) => {
            println!("{aks}");
            print!("{}", details(aks));
        }
        None => println!("{} ({})", compute.name(), compute.compute_type()),
    }
}

fn details(aks: &AksCompute) -> String {
    let line = |label: &str, value: Option<&str>| match value {
        Some(v) => format!("  {label:<14}{v}\n"),
        None => String::new(),
    };
    let mut text = String::new();
    text += &line("id", aks.id());
    text += &line("cluster", aks.cluster_resource_id());
    text += &line("cluster FQDN", aks.cluster_fqdn());
    let tls = match (aks.ssl_status(), aks.leaf_domain_label(), aks.ssl_cname()) {
        (Some(status), Some(label), cname) => format!(
            "{status} (Microsoft certificate, label {label}{})",
            cname.map(|c| format!(", {c}")).unwrap_or_default()
        ),
        (Some(status), None, Some(cname)) => format!("{status} (custom certificate for {cname})"),
        (Some(status), ..) => status.to_string(),
        (None, ..) => "Disabled".into(),
    };
    text += &line("TLS", Some(&tls));
    let lb = match aks.load_balancer_subnet() {
        Some(subnet) => format!("{} in subnet {subnet}", aks.load_balancer_type()),
        None => aks.load_balancer_type().to_string(),
    };
    text += &line("load balancer", Some(&lb));
    text += &line("scoring IP", aks.scoring_ip());
    for error in aks.provisioning_errors() {
        let e = format!(
            "{}: {}",
            error.code.as_deref().unwrap_or("error"),
            error.message.as_deref().unwrap_or("")
        );
        text += &line("error", Some(&e));
    }
    text
}

/// What a command did, for the tests.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Done {
    /// Nothing worth checking.
    Nothing,
    /// `apply` adopted an identical compute without writing.
    Adopted,
    /// `apply` created or attached: the compute, as `show` prints it.
    Applied(String),
    /// `show`: the compute as printed.
    Shown(String),
    /// `list`: one line per compute.
    Listed(Vec<String>),
    /// `versions`: the table as printed.
    Versions(String),
}

/// Runs one command (other than `plan` and `help`) on `ws`.
async fn execute(
    command: &Command,
    ws: &Workspace,
    spec: Option<&LoadedSpec>,
) -> Result<Done, Failure> {
    match command {
        Command::Plan(path) => {
            let owned;
            let loaded = if let Some(loaded) = spec {
                loaded
            } else {
                owned = spec::load(path)?;
                &owned
            };
            let convergence = ws
                .plan_ensure(&loaded.spec().name, loaded.desired()?)
                .await?;
            print!("{convergence}");
            Ok(Done::Nothing)
        }
        Command::Help => {
            println!("{USAGE}");
            Ok(Done::Nothing)
        }
        Command::Apply(path) => {
            let owned;
            let loaded = if let Some(loaded) = spec {
                loaded
            } else {
                owned = spec::load(path)?;
                &owned
            };
            apply(ws, loaded).await
        }
        Command::Show(name) => {
            let compute = ws.get(name).await?;
            show_compute(&compute);
            Ok(Done::Shown(match compute.as_aks() {
                Some(aks) => format!("{aks}\n{}", details(aks)),
                None => compute.name().to_owned(),
            }))
        }
        Command::List => {
            let computes: Vec<ComputeTarget> = ws.list().try_collect().await?;
            if computes.is_empty() {
                println!("no computes in workspace {}", ws.id().name());
            }
            let lines: Vec<String> = computes
                .iter()
                .map(|compute| match compute.as_aks() {
                    Some(aks) => aks.to_string(),
                    None => format!("{} ({})", compute.name(), compute.compute_type()),
                })
                .collect();
            for line in &lines {
                println!("{line}");
            }
            Ok(Done::Listed(lines))
        }
        Command::Detach(name) => {
            watch(ws.begin_detach(name).await?).await?;
            println!("detached {name}; its AKS cluster is kept");
            Ok(Done::Nothing)
        }
        Command::Versions(location) => {
            let versions = ws.kubernetes_versions(location).await?.to_string();
            print!("{versions}");
            Ok(Done::Versions(versions))
        }
    }
}

async fn apply(ws: &Workspace, loaded: &LoadedSpec) -> Result<Done, Failure> {
    // Everything is checked before anything is sent.
    let desired = loaded.desired()?;
    let name = &loaded.spec().name;
    println!(
        "apply {}: {name} in workspace {}",
        loaded.path().display(),
        ws.id().name()
    );
    // What differs, and the plan that makes the spec true (terraform-like), then the run.
    let convergence = ws.plan_ensure(name, desired).await?;
    print!("{convergence}");
    let existing = convergence.existing().cloned();
    match convergence.into_plan() {
        None => {
            println!("{name} exists as the spec says: adopted, nothing written");
            if let Some(compute) = existing {
                println!("{compute}");
            }
            Ok(Done::Adopted)
        }
        Some(plan) => {
            let operation = ws.begin_plan(plan).await?;
            let Some(compute) = watch(operation).await?.compute() else {
                println!("{name}: done");
                return Ok(Done::Nothing);
            };
            show_compute(&compute);
            Ok(Done::Applied(match compute.as_aks() {
                Some(aks) => format!("{aks}\n{}", details(aks)),
                None => compute.name().to_owned(),
            }))
        }
    }
}

/// Runs `operation` to the end: on a terminal as a progress bar over the plan's steps (one
/// line kept per step, the bar showing the latest event), otherwise as plain lines.
async fn watch(
    mut operation: aml_compute::ComputeOperation,
) -> aml_compute::Result<aml_compute::Completion> {
    use std::io::IsTerminal as _;

    use futures::StreamExt as _;

    if !std::io::stdout().is_terminal() {
        return aml_examples::watch(operation, "").await;
    }
    for warning in operation.warnings() {
        println!("warning: {warning}");
    }
    let steps = u64::try_from(operation.plan().steps().len()).unwrap_or(u64::MAX);
    let bar = indicatif::ProgressBar::new(steps).with_style(
        indicatif::ProgressStyle::with_template("{bar:24} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut events = operation.progress();
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                bar.abandon();
                return Err(e);
            }
        };
        if let aml_compute::Activity::Ran(what) = &event.activity {
            bar.println(format!("{}/{} {what}", event.step, event.steps));
        }
        bar.set_position(u64::try_from(event.step).unwrap_or(steps));
        bar.set_message(event.to_string());
    }
    drop(events);
    bar.finish_and_clear();
    operation.await
}

/// The process's peak resident memory (`VmHWM` of `/proc/self/status`), in KiB, on Linux.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `--stats`: one line for `benches/e2e.rs`.
fn stats_line(emulator: Option<&Emulator>) -> String {
    let first = emulator
        .and_then(|e| e.requests().entries().first().map(|r| r.time))
        .map_or_else(|| "-".into(), |t| t.unix_timestamp_nanos().to_string());
    let requests = emulator.map_or(0, |e| e.requests().entries().len());
    format!(
        "stats: peak_rss_kib={} first_request_unix_ns={first} requests={requests}",
        peak_rss_kib().map_or_else(|| "-".into(), |k| k.to_string())
    )
}

/// Builds the credential, the ARM client and the workspace the command runs on. Returns the
/// embedded emulator too when it started one, and says where it runs.
async fn connect(
    cli: &Cli,
    spec: Option<&LoadedSpec>,
) -> Result<(Workspace, Option<Emulator>, String), Failure> {
    let azure = cli.choice == Choice::Environment && aml_examples::target_is_azure()?;
    let mut emulator = None;
    let (credential, url, target): (Arc<dyn TokenCredential>, _, _) = if azure {
        // Workload identity, client secret, managed identity, then `az` / `azd`.
        let chain = CredentialChain::from_environment(&CredentialChainOptions::default())
            .map_err(runtime)?;
        (chain, None, "Azure".to_owned())
    } else if let Choice::Url(url) = &cli.choice {
        // An emulator running on this machine (it takes any token).
        aml_examples::check_loopback(url)?;
        let target = format!("the emulator at {url}");
        (
            StaticTokenCredential::new("emulator"),
            Some(url.clone()),
            target,
        )
    } else {
        // An emulator in this process, seeded with the spec's workspace too.
        let seed = match spec {
            Some(s) => spec::seed_with_workspace(Seed::standard(), s.workspace()),
            None => Seed::standard(),
        };
        let builder = Emulator::builder().seed(seed).timings(Pace::Demo.timings());
        let started = builder.start().await.map_err(runtime)?;
        let url = started.base_url().to_owned();
        emulator = Some(started);
        let target = "the embedded emulator".to_owned();
        (StaticTokenCredential::new("emulator"), Some(url), target)
    };
    let cloud = match &url {
        Some(url) => Cloud::custom(url, ARM_SCOPE).map_err(runtime)?,
        None => Cloud::azure_public(),
    };
    let options = ArmClientOptions {
        cloud,
        ..ArmClientOptions::default()
    };
    let arm = ArmClient::new(credential, options).map_err(runtime)?;
    // The spec's workspace; else on Azure AML_* or config.json; else the emulator's (or AML_*).
    let id = match spec {
        Some(s) => {
            let w = s.workspace();
            WorkspaceId::new(&w.subscription_id, &w.resource_group, &w.workspace_name)
                .map_err(runtime)?
        }
        None if azure => aml_examples::azure_workspace_id()?,
        None => match aml_examples::workspace_id_from_env()? {
            Some(id) => id,
            None => WorkspaceId::new(
                aml_emulator::STANDARD_SUBSCRIPTION,
                aml_emulator::STANDARD_RESOURCE_GROUP,
                aml_emulator::STANDARD_WORKSPACE,
            )
            .map_err(runtime)?,
        },
    };
    let mut workspace = Workspace::new(arm, id);
    if let Some(location) = spec.and_then(|s| s.workspace().location.clone()) {
        workspace = workspace.with_location(location);
    }
    Ok((workspace, emulator, target))
}

async fn main_inner(cli: Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Help => {
            println!("{USAGE}");
            return Ok(());
        }
        // Offline unless a target is given: the spec's plan, no connection at all.
        Command::Plan(path) if !target_given(&cli) => return plan(path),
        _ => {}
    }
    // A spec is read and checked before connecting: an invalid one never reaches a service.
    let loaded = match &cli.command {
        Command::Apply(path) | Command::Plan(path) => {
            let loaded = spec::load(path)?;
            loaded.plan()?;
            Some(loaded)
        }
        _ => None,
    };
    let (workspace, emulator, target) = connect(&cli, loaded.as_ref()).await?;
    if emulator.is_none() || cli.stats {
        eprintln!("aml: on {target} (workspace {})", workspace.id().name());
    }
    let outcome = execute(&cli.command, &workspace, loaded.as_ref()).await;
    if cli.stats {
        eprintln!("{}", stats_line(emulator.as_ref()));
    }
    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    outcome.map(drop)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match parse(std::env::args().skip(1)) {
        Ok(cli) => cli,
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match Box::pin(main_inner(cli)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}", failure.message());
            ExitCode::from(failure.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use aml_examples::GeneratedCertificate;

    use super::*;

    fn args(list: &[&str]) -> Result<Cli, String> {
        parse(list.iter().map(|s| (*s).to_owned()))
    }

    fn sample(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("specs")
            .join(name)
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("aml-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A spec attaching aks-prod to the standard workspace with a custom certificate written
    /// next to it.
    fn attach_spec(dir: &Path, cert: &GeneratedCertificate, cname: &str) -> PathBuf {
        std::fs::write(dir.join("cert.pem"), cert.cert_pem()).unwrap();
        std::fs::write(dir.join("key.pem"), cert.private_key().expose()).unwrap();
        let path = dir.join("prod.yaml");
        std::fs::write(
            &path,
            format!(
                "workspace: {{subscription_id: {sub}, resource_group: {rg}, workspace_name: {ws}, location: eastus}}\n\
                 name: prod-aks\n\
                 attach:\n  resource_id: /subscriptions/{sub}/resourcegroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/aks-prod\n  cluster_purpose: FastProd\n\
                 tls: {{cert_file: cert.pem, key_file: key.pem, cname: {cname}}}\n",
                sub = aml_emulator::STANDARD_SUBSCRIPTION,
                rg = aml_emulator::STANDARD_RESOURCE_GROUP,
                ws = aml_emulator::STANDARD_WORKSPACE,
            ),
        )
        .unwrap();
        path
    }

    /// Runs a command on `ws`: its exit status, and what it did or its error message.
    async fn run(ws: &Workspace, list: &[&str]) -> (u8, Result<Done, String>) {
        let cli = args(list).unwrap();
        match execute(&cli.command, ws, None).await {
            Ok(done) => (0, Ok(done)),
            Err(failure) => (failure.exit_code(), Err(failure.message().to_owned())),
        }
    }

    /// The text of what a command did, for assertions.
    fn text_of(outcome: &Result<Done, String>) -> String {
        match outcome {
            Ok(Done::Applied(t) | Done::Shown(t) | Done::Versions(t)) | Err(t) => t.clone(),
            Ok(Done::Listed(lines)) => lines.join("\n"),
            Ok(other) => format!("{other:?}"),
        }
    }

    #[test]
    fn usage_errors_are_reported() {
        assert_eq!(
            args(&["--emulator", "list", "--stats"]).unwrap(),
            Cli {
                choice: Choice::Embedded,
                stats: true,
                command: Command::List
            }
        );
        assert_eq!(
            args(&["--emulator-url", "http://127.0.0.1:8443", "show", "a"])
                .unwrap()
                .choice,
            Choice::Url("http://127.0.0.1:8443".into())
        );
        assert!(args(&[]).unwrap_err().contains("no command"));
        assert!(
            args(&["show"])
                .unwrap_err()
                .contains("needs a compute name")
        );
        assert!(args(&["list", "extra"]).unwrap_err().contains("unexpected"));
        assert!(
            args(&["frobnicate"])
                .unwrap_err()
                .contains("unknown command")
        );
        assert!(
            args(&["--verbose", "list"])
                .unwrap_err()
                .contains("unknown option")
        );
    }

    #[test]
    fn plan_prints_requests_or_every_problem() {
        let text = spec::load(&sample("production.yaml"))
            .unwrap()
            .plan()
            .unwrap()
            .to_string();
        assert!(
            text.contains("PUT https://management.azure.com/subscriptions/"),
            "{text}"
        );
        plan(&sample("production.yaml")).unwrap();

        let invalid = plan(&sample("invalid.yaml")).unwrap_err();
        assert_eq!(invalid.exit_code(), 2);
        for path in ["error: name:", "error: create.agent_count:", "error: tls:"] {
            assert!(invalid.message().contains(path), "{}", invalid.message());
        }
        let missing = plan(&sample("no-such.yaml")).unwrap_err();
        assert_eq!(missing.exit_code(), 1);
        assert!(missing.message().contains("no-such.yaml"));
    }

    #[tokio::test]
    async fn apply_show_list_detach_versions_against_the_emulator() {
        let (emulator, ws) = aml_examples::testing::standard().await;
        let dir = temp_dir("apply");
        let cert = GeneratedCertificate::new("api.contoso.com").unwrap();
        let spec = attach_spec(&dir, &cert, "api.contoso.com");
        let spec = spec.to_str().unwrap();

        let (code, done) = run(&ws, &["apply", spec]).await;
        let text = text_of(&done);
        assert_eq!(code, 0, "{text}");
        assert!(text.starts_with("prod-aks [Succeeded]"), "{text}");
        assert!(
            text.contains("custom certificate for api.contoso.com"),
            "{text}"
        );
        assert!(!cert.leaks_into(&text));
        let puts = || {
            emulator
                .requests()
                .matching("PUT", "/computes/prod-aks")
                .len()
        };
        assert_eq!(puts(), 1);

        // Idempotent: the second apply adopts without a write.
        let (code, done) = run(&ws, &["apply", spec]).await;
        assert_eq!((code, done), (0, Ok(Done::Adopted)));
        assert_eq!(puts(), 1);

        let (code, done) = run(&ws, &["show", "prod-aks"]).await;
        let text = text_of(&done);
        assert_eq!(code, 0, "{text}");
        assert!(
            text.contains("aks-prod") && text.contains("Enabled"),
            "{text}"
        );

        let (code, done) = run(&ws, &["list"]).await;
        let text = text_of(&done);
        assert_eq!(code, 0, "{text}");
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.starts_with("prod-aks [Succeeded]"), "{text}");

        let (code, done) = run(&ws, &["versions", "eastus"]).await;
        let text = text_of(&done);
        assert_eq!(code, 0, "{text}");
        assert!(text.contains("(default)"), "{text}");

        let (code, done) = run(&ws, &["detach", "prod-aks"]).await;
        assert_eq!(code, 0, "{}", text_of(&done));
        let cluster = aml_examples::seed_cluster_id(emulator.seed(), "aks-prod").unwrap();
        assert!(emulator.cluster(&cluster).is_some());

        // Gone now: show and detach fail at run time (1), listing is empty.
        let (code, done) = run(&ws, &["show", "prod-aks"]).await;
        let text = text_of(&done);
        assert_eq!(code, 1, "{text}");
        assert!(text.contains("was not found"), "{text}");
        assert_eq!(run(&ws, &["detach", "prod-aks"]).await.0, 1);
        let (code, done) = run(&ws, &["list"]).await;
        assert_eq!((code, done), (0, Ok(Done::Listed(Vec::new()))));
        emulator.shutdown().await;
        std::fs::remove_dir_all(&dir).ok();
    }

    #[tokio::test]
    async fn an_invalid_spec_is_refused_with_2_before_any_request() {
        let (emulator, ws) = aml_examples::testing::standard().await;
        let dir = temp_dir("invalid");
        let now = aml_tls::OffsetDateTime::now_utc();
        let expired = GeneratedCertificate::valid_between(
            "api.contoso.com",
            now - aml_tls::Duration::days(100),
            now - aml_tls::Duration::days(1),
        )
        .unwrap();
        let spec = attach_spec(&dir, &expired, "www.fabrikam.com");
        let requests_before = emulator.requests().entries().len();
        let (code, done) = run(&ws, &["apply", spec.to_str().unwrap()]).await;
        let text = text_of(&done);
        assert_eq!(code, 2, "{text}");
        assert!(text.contains("error: tls.cert_file:"), "{text}");
        assert!(text.contains("error: tls.cname:"), "{text}");
        assert_eq!(emulator.requests().entries().len(), requests_before);

        // A spec that is valid but names a missing cluster fails at run time (1), nothing written.
        let missing = dir.join("missing.json");
        std::fs::write(
            &missing,
            format!(
                r#"{{"workspace": {{"subscription_id": "{}", "resource_group": "aml-rg", "workspace_name": "aml-ws"}},
                    "name": "ghost", "attach": {{"resource_group": "aks-rg", "cluster_name": "aks-ghost", "cluster_purpose": "DevTest"}}}}"#,
                aml_emulator::STANDARD_SUBSCRIPTION
            ),
        )
        .unwrap();
        let (code, done) = run(&ws, &["apply", missing.to_str().unwrap()]).await;
        let text = text_of(&done);
        assert_eq!(code, 1, "{text}");
        assert!(text.contains("aks-ghost was not found"), "{text}");
        assert!(emulator.requests().matching("PUT", "/computes/").is_empty());
        emulator.shutdown().await;
        std::fs::remove_dir_all(&dir).ok();
    }

    #[tokio::test]
    async fn apply_creates_from_a_spec_in_another_workspace_of_an_embedded_emulator() {
        let dir = temp_dir("create");
        let path = dir.join("dev.yaml");
        std::fs::write(
            &path,
            "workspace: {subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: ml-rg, workspace_name: ml-workspace, location: westus2}\n\
             name: dev-aks\ncreate: {agent_count: 1, vm_size: Standard_D3_v2, cluster_purpose: DevTest}\n\
             tls: {leaf_domain_label: contoso}\n",
        )
        .unwrap();
        let loaded = spec::load(&path).unwrap();
        let seed = spec::seed_with_workspace(Seed::standard(), loaded.workspace());
        let builder = Emulator::builder().seed(seed).timings(Pace::Test.timings());
        let (emulator, standard) = aml_examples::testing::start(builder).await.unwrap();
        let w = loaded.workspace();
        let ws = Workspace::from_ids(
            standard.arm().clone(),
            &w.subscription_id,
            &w.resource_group,
            &w.workspace_name,
        )
        .unwrap();
        let done = apply(&ws, &loaded).await.unwrap();
        let text = text_of(&Ok(done));
        assert!(text.starts_with("dev-aks [Succeeded]"), "{text}");
        assert!(text.contains("in westus2"), "{text}");
        let puts = emulator
            .requests()
            .matching("PUT", "/workspaces/ml-workspace/computes/dev-aks");
        assert_eq!(puts.len(), 1);
        emulator.shutdown().await;
        std::fs::remove_dir_all(&dir).ok();
    }
}
