//! What the binary's tests share: an emulator on 127.0.0.1 started in the test process, a home
//! folder for the child processes, `aml` with nothing from this machine's environment, and
//! certificates generated at run time.

#![allow(
    dead_code,
    reason = "each test binary uses part of this module; the rest is dead code there"
)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use aml_emulator::{
    Emulator, EmulatorBuilder, STANDARD_RESOURCE_GROUP, STANDARD_SUBSCRIPTION, STANDARD_WORKSPACE,
    Timings,
};
use assert_cmd::Command;
use serde_json::Value;

/// The standard seed's production cluster.
pub(crate) const PROD: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/aks-prod";

/// An emulator on a runtime of its own, and a home folder for the child processes.
pub(crate) struct Env {
    emulator: Option<Emulator>,
    runtime: tokio::runtime::Runtime,
    pub(crate) home: PathBuf,
}

impl Env {
    /// An emulator whose operations take 30 ms and advise polling every 5 ms.
    pub(crate) fn start(tag: &str) -> Self {
        Self::start_with(tag, |builder| builder)
    }

    /// As [`Env::start`], with `configure` applied to the emulator's builder last.
    pub(crate) fn start_with(
        tag: &str,
        configure: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let mut timings = Timings::uniform(Duration::from_millis(30));
        timings.retry_after = Duration::from_millis(5);
        let builder = configure(Emulator::builder().timings(timings));
        let emulator = runtime.block_on(builder.start()).unwrap();
        let home = std::env::temp_dir().join(format!("aml-cli-test-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
        Self {
            emulator: Some(emulator),
            runtime,
            home,
        }
    }

    pub(crate) fn emulator(&self) -> &Emulator {
        self.emulator.as_ref().unwrap()
    }

    /// `aml` with the emulator and the standard workspace, and nothing from this machine's
    /// environment (no Azure CLI configuration, no kubeconfig).
    pub(crate) fn aml(&self, args: &[&str]) -> Command {
        let mut cmd = bare(&self.home);
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

    /// `aml --output json ARGS`, which must succeed: its standard output parsed.
    pub(crate) fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let out = self.aml(&all).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "aml {args:?}: {stderr}");
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"))
    }

    /// `aml --output json ARGS`, which must fail: its exit code and the JSON error on standard
    /// error, checked to carry that exit code.
    pub(crate) fn json_failure(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        json_failure(&mut self.aml(&all))
    }

    /// `aml ARGS`: the exit code and everything it printed.
    pub(crate) fn code(&self, args: &[&str]) -> (i32, String) {
        let out = self.aml(args).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap(), text)
    }

    /// The PUTs the emulator received whose path contains `path`.
    pub(crate) fn puts(&self, path: &str) -> usize {
        self.emulator().requests().matching("PUT", path).len()
    }

    /// The DELETEs the emulator received whose path contains `path`.
    pub(crate) fn deletes(&self, path: &str) -> usize {
        self.emulator().requests().matching("DELETE", path).len()
    }

    /// Writes `text` to `name` in the home folder; its path.
    pub(crate) fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.home.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
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

/// Runs `cmd`, which must fail and print a JSON error: its exit code and that error, checked
/// to name the same exit code.
pub(crate) fn json_failure(cmd: &mut Command) -> (i32, Value) {
    let out = cmd.output().unwrap();
    let code = out.status.code().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(code, 0, "{stderr}");
    let error: Value =
        serde_json::from_slice(&out.stderr).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(error["error"]["exit_code"], code, "{error}");
    (code, error)
}

/// `aml` with none of the variables it reads, `HOME` and the Azure CLI's folder in `home`, run
/// in `home`.
pub(crate) fn bare(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aml"));
    for var in [
        "AZURE_CLOUD",
        "AML_ENDPOINT",
        "AML_SUBSCRIPTION_ID",
        "AML_RESOURCE_GROUP",
        "AML_WORKSPACE_NAME",
        "AML_CONFIG",
        "AML_EMULATOR_TOKEN",
        "KUBECONFIG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("AZURE_CONFIG_DIR", home.join(".azure"));
    cmd.current_dir(home);
    cmd
}

/// A certificate for `cname` and its private key, generated now, both PEM.
pub(crate) struct Pair {
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
}

impl Pair {
    pub(crate) fn generate(cname: &str) -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![cname.to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        Self {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// What `kubectl get secret/azuremlfessl -o yaml` prints for this pair.
    pub(crate) fn secret_dump(&self) -> String {
        format!(
            "apiVersion: v1\ndata:\n  cert.pem: {}\n  key.pem: {}\nkind: Secret\nmetadata:\n  name: azuremlfessl\n  namespace: default\ntype: Opaque\n",
            b64(&self.cert_pem),
            b64(&self.key_pem)
        )
    }

    /// Panics if `text` holds the private key: as PEM, any line of its body, or the base64 of
    /// the whole PEM (as in the secret).
    pub(crate) fn assert_key_absent(&self, text: &str) {
        assert!(
            !text.contains("PRIVATE KEY"),
            "a private key printed: {text}"
        );
        for line in self.key_pem.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!text.contains(line), "a line of the key printed: {text}");
        }
        assert!(
            !text.contains(&b64(&self.key_pem)),
            "the secret's key printed"
        );
    }
}

fn b64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// `aml [global...] create NAME --agent-count 1 --vm-size Standard_D3_v2 --cluster-purpose
/// DevTest [more...]`: the one-node DevTest compute the tests create.
pub(crate) fn create_devtest<'a>(
    global: &[&'a str],
    name: &'a str,
    more: &[&'a str],
) -> Vec<&'a str> {
    let mut args = global.to_vec();
    args.extend([
        "create",
        name,
        "--agent-count",
        "1",
        "--vm-size",
        "Standard_D3_v2",
        "--cluster-purpose",
        "DevTest",
    ]);
    args.extend(more);
    args
}
