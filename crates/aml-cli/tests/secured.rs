//! Secured clusters from the command line, against an emulator started in this process on
//! 127.0.0.1: `aml create-cluster` (dry run, end to end, refused ranges with the missing
//! prefixes in JSON, `--admit-control-plane`), `aml apply` of a `create_cluster:` spec twice,
//! and the sample specs under `examples/specs/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use aml_emulator::{
    Emulator, STANDARD_RESOURCE_GROUP, STANDARD_SUBSCRIPTION, STANDARD_WORKSPACE, Timings,
};
use assert_cmd::Command;
use serde_json::Value;

/// An emulator on a runtime of its own, and a home folder for the child processes.
struct Env {
    emulator: Option<Emulator>,
    runtime: tokio::runtime::Runtime,
    home: PathBuf,
}

impl Env {
    fn start(tag: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let mut timings = Timings::uniform(Duration::from_millis(30));
        timings.retry_after = Duration::from_millis(5);
        let emulator = runtime
            .block_on(Emulator::builder().timings(timings).start())
            .unwrap();
        let home =
            std::env::temp_dir().join(format!("aml-cli-secured-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
        Self {
            emulator: Some(emulator),
            runtime,
            home,
        }
    }

    fn emulator(&self) -> &Emulator {
        self.emulator.as_ref().unwrap()
    }

    /// `aml` with the emulator and the standard workspace, nothing from this machine.
    fn aml(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aml"));
        for var in [
            "AZURE_CLOUD",
            "AML_ENDPOINT",
            "AML_SUBSCRIPTION_ID",
            "AML_RESOURCE_GROUP",
            "AML_WORKSPACE_NAME",
            "AML_CONFIG",
            "KUBECONFIG",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", &self.home)
            .env("AZURE_CONFIG_DIR", self.home.join(".azure"))
            .current_dir(&self.home);
        cmd.args([
            "--endpoint",
            self.emulator().base_url(),
            "--subscription",
            STANDARD_SUBSCRIPTION,
            "--resource-group",
            STANDARD_RESOURCE_GROUP,
            "--workspace",
            STANDARD_WORKSPACE,
            "--quiet",
        ]);
        cmd.args(args);
        cmd
    }

    /// `aml --output json ARGS`: exit code, standard output and standard error parsed.
    fn json(&self, args: &[&str]) -> (i32, Value, Value) {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let out = self.aml(&all).output().unwrap();
        let parse = |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes);
            if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
            }
        };
        (
            out.status.code().unwrap(),
            parse(&out.stdout),
            parse(&out.stderr),
        )
    }

    /// `METHOD path` of every write the emulator received.
    fn writes(&self) -> Vec<String> {
        self.emulator()
            .requests()
            .entries()
            .into_iter()
            .filter(|r| matches!(r.method.as_str(), "PUT" | "PATCH" | "DELETE"))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            self.runtime.block_on(emulator.shutdown());
        }
        std::fs::remove_dir_all(&self.home).ok();
    }
}

/// `create-cluster secure` of a production cluster with an office range, plus `extra`.
fn create_cluster<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "create-cluster",
        "secure",
        "--cluster-resource-group",
        "aks-rg",
        "--cluster-name",
        "aks-new",
        "--location",
        "eastus",
        "--system-pool-vm-size",
        "Standard_D4s_v3",
        "--system-pool-count",
        "3",
        "--accelerator-vm-size",
        "Standard_NC6s_v3",
        "--accelerator-count",
        "3",
        "--authorized-ip-range",
        "203.0.113.0/24",
        "--authorized-ip-range",
        "198.51.100.7",
        "--outbound-type",
        "loadBalancer",
    ];
    args.extend_from_slice(extra);
    args
}

/// The IPv4 prefixes of the control plane of the emulator's workspace region and its pair.
fn control_plane() -> Vec<String> {
    aml_emulator::service_tags::control_plane_prefixes("eastus")
        .unwrap()
        .into_iter()
        .filter(|p| !p.contains(':'))
        .collect()
}

fn ranges(env: &Env) -> Vec<String> {
    let id = format!(
        "/subscriptions/{STANDARD_SUBSCRIPTION}/resourceGroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/aks-new"
    );
    env.emulator()
        .cluster(&id.parse().unwrap())
        .and_then(|c| c.properties)
        .and_then(|p| p.api_server_access_profile)
        .and_then(|a| a.authorized_ip_ranges)
        .unwrap_or_default()
}

#[test]
fn a_dry_run_shows_the_clusters_put_and_the_attach_and_sends_nothing() {
    let env = Env::start("dry");
    let (code, out, err) = env.json(&create_cluster(&["--admit-control-plane", "--dry-run"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["operation"], "create cluster and attach");
    assert_eq!(out["dry_run"], true);
    let plan = out["plan"].as_str().unwrap();
    let writes: Vec<&str> = plan.lines().filter(|l| l.contains(". write: ")).collect();
    assert_eq!(writes.len(), 2, "{plan}");
    assert!(
        writes[0].contains("create AKS cluster aks-new in eastus"),
        "{plan}"
    );
    assert!(
        writes[1].contains("attach cluster aks-new as compute secure"),
        "{plan}"
    );
    assert!(
        plan.contains("/managedClusters/aks-new?api-version=")
            && plan.contains("/computes/secure?api-version="),
        "{plan}"
    );
    assert!(plan.contains("\"198.51.100.7/32\""), "{plan}");
    assert_eq!(env.writes(), Vec::<String>::new());
}

#[test]
fn ranges_missing_the_control_plane_are_refused_with_the_prefixes_then_admitted_on_request() {
    let env = Env::start("refuse");
    let (code, _, err) = env.json(&create_cluster(&[]));
    assert_eq!(code, 4, "{err}");
    assert_eq!(err["error"]["kind"], "refused");
    assert_eq!(err["error"]["rule"], "cluster.control_plane_missing");
    let missing: Vec<String> =
        serde_json::from_value(err["error"]["missing_prefixes"].clone()).unwrap();
    assert_eq!(missing, control_plane());
    assert_eq!(err["error"]["control_plane_regions"][0], "eastus");
    assert_eq!(env.writes(), Vec::<String>::new(), "nothing is written");
    // A person reads the prefixes and how to add them.
    let out = env.aml(&create_cluster(&[])).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains(&missing[0]) && text.contains("--admit-control-plane"),
        "{text}"
    );

    // --admit-control-plane: created with the office ranges and the control plane, attached.
    let (code, out, err) = env.json(&create_cluster(&["--admit-control-plane"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["status"], "succeeded");
    assert_eq!(out["compute"]["attached"], true);
    assert!(
        out["compute"]["cluster_id"]
            .as_str()
            .unwrap()
            .ends_with("/managedClusters/aks-new"),
        "{out}"
    );
    let have = ranges(&env);
    for range in ["203.0.113.0/24", "198.51.100.7/32"]
        .iter()
        .map(|r| (*r).to_owned())
        .chain(control_plane())
    {
        assert!(have.contains(&range), "{range} missing from {have:?}");
    }
    let writes = env.writes();
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(
        writes[0].ends_with("/managedClusters/aks-new"),
        "{writes:?}"
    );
    assert!(writes[1].ends_with("/computes/secure"), "{writes:?}");
}

#[test]
fn a_cluster_without_ranges_is_created_and_attached_end_to_end() {
    let env = Env::start("e2e");
    let (code, out, err) = env.json(&[
        "create-cluster",
        "plain",
        "--cluster-resource-group",
        "aks-rg",
        "--cluster-name",
        "aks-plain",
        "--location",
        "eastus",
        "--system-pool-vm-size",
        "Standard_D4s_v3",
        "--cluster-purpose",
        "FastProd",
        "--tag",
        "team=ml",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["operation"], "create cluster and attach");
    assert_eq!(out["compute"]["name"], "plain");
    assert_eq!(out["compute"]["cluster_purpose"], "FastProd");
    let (code, shown, _) = env.json(&["show", "plain"]);
    assert_eq!(code, 0);
    assert_eq!(shown["attached"], true);
    // A tag that is not NAME=VALUE is invalid input, before anything is sent.
    let before = env.writes().len();
    let (code, _, err) = env.json(&[
        "create-cluster",
        "other",
        "--cluster-resource-group",
        "aks-rg",
        "--cluster-name",
        "aks-other",
        "--location",
        "eastus",
        "--tag",
        "team",
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(env.writes().len(), before);
}

#[test]
fn apply_of_a_create_cluster_spec_creates_then_has_nothing_to_do() {
    let env = Env::start("apply");
    let spec = env.home.join("secured.yaml");
    std::fs::write(
        &spec,
        format!(
            "workspace: {{subscription_id: {STANDARD_SUBSCRIPTION}, resource_group: {STANDARD_RESOURCE_GROUP}, workspace_name: {STANDARD_WORKSPACE}, location: eastus}}
name: secure
create_cluster:
  resource_group: aks-rg
  cluster_name: aks-new
  location: eastus
  system_pool: {{vm_size: Standard_D4s_v3, count: 3}}
  authorized_ip_ranges: [203.0.113.0/24]
  admit_control_plane: true
"
        ),
    )
    .unwrap();
    let path = spec.to_str().unwrap();
    let (code, planned, err) = env.json(&["plan", path]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(planned["specs"][0]["action"], "create cluster and attach");
    let (code, out, err) = env.json(&["apply", path]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["results"][0]["outcome"], "applied", "{out}");
    assert_eq!(out["converged"], 1);
    let writes = env.writes().len();
    assert_eq!(writes, 2, "{:?}", env.writes());

    let (code, out, err) = env.json(&["apply", path]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["results"][0]["outcome"], "up_to_date", "{out}");
    assert_eq!(out["results"][0]["action"], "none");
    assert_eq!(env.writes().len(), writes, "a second apply writes nothing");
    let text = env.aml(&["plan", path]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("compute secure is up to date"), "{text}");
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/specs")
}

#[test]
fn every_sample_spec_validates_and_the_invalid_one_stays_invalid() {
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(samples()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let outcome = aml_cli::spec::load(&path).and_then(|s| s.plan());
        if name.starts_with("invalid") {
            let err = outcome.unwrap_err();
            assert_eq!(err.exit_code(), 2, "{name}: {err}");
        } else {
            let plan = outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
            // The cluster's PUT, the attach, and for the private one its internal load
            // balancer's update once attached.
            let writes = match name.as_str() {
                "secured.yaml" => Some(2),
                "secured-private.yaml" => Some(3),
                _ => None,
            };
            if let Some(n) = writes {
                assert_eq!(plan.writes().count(), n, "{name}: {plan}");
            }
        }
        seen.push(name);
    }
    for expected in ["secured.yaml", "secured-private.yaml", "invalid.yaml"] {
        assert!(seen.iter().any(|s| s == expected), "{expected} in {seen:?}");
    }
}
