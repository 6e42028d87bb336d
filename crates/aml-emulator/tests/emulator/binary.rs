//! The standalone binary: starts, prints where it listens (and its CA certificate), answers,
//! serves HTTPS with the printed certificate, and stops on Ctrl-C (SIGINT).

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

/// How long to wait for the binary to print or exit: a bound on a hang, not a timing check.
const PATIENCE: Duration = Duration::from_secs(60);

/// A running binary and the lines it prints.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aml-emulator"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads lines until one contains `text`; returns it.
    fn until(&mut self, text: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|_| panic!("no line with {text:?}; saw {:?}", self.seen));
            self.seen.push(line.clone());
            if line.contains(text) {
                return line;
            }
        }
    }

    /// Sends SIGINT (what Ctrl-C sends) and waits for a clean exit.
    fn interrupt(mut self) -> Vec<String> {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.until("stopped");
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}");
                return std::mem::take(&mut self.seen);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the binary did not exit"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Only if a test failed half-way: never leave the server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aml-emulator-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const WORKSPACE: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/aml-rg/providers/Microsoft.MachineLearningServices/workspaces/aml-ws?api-version=2024-04-01";

#[tokio::test]
async fn serves_https_with_the_printed_certificate_and_stops_on_ctrl_c() {
    let dir = scratch("https");
    let mut running = Running::start(&[
        "--port",
        "0",
        "--https",
        "--cert-dir",
        dir.to_str().unwrap(),
        "--operation-ms",
        "50",
    ]);
    let cert_line = running.until("CA certificate (PEM): ");
    let path = cert_line
        .split("CA certificate (PEM): ")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(PathBuf::from(&path), dir.join("ca.pem"));
    let listening = running.until("listening on ");
    let base = listening
        .split("listening on ")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    // It says what it holds.
    running.until("workspace aml-ws (eastus)");
    running.until("press Ctrl-C to stop");

    let pem = std::fs::read(&path).unwrap();
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .build()
        .unwrap();
    let answer = client
        .get(format!("{base}{WORKSPACE}"))
        .bearer_auth("token")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["name"], "aml-ws");
    // `localhost` is in the certificate too.
    let localhost = base.replace("127.0.0.1", "localhost");
    let answer = client
        .get(format!("{localhost}{WORKSPACE}"))
        .bearer_auth("token")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    // Without the certificate, TLS fails.
    let untrusting = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([])
        .build()
        .unwrap();
    assert!(
        untrusting
            .get(format!("{base}{WORKSPACE}"))
            .send()
            .await
            .is_err()
    );

    let seen = running.interrupt();
    assert!(seen.iter().any(|line| line == "stopped"), "{seen:?}");
    // Stopped means the port is closed.
    assert!(
        client
            .get(format!("{base}{WORKSPACE}"))
            .send()
            .await
            .is_err()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn serves_a_seed_file_over_http() {
    let dir = scratch("seed");
    let seed = dir.join("seed.yaml");
    std::fs::write(
        &seed,
        "subscriptions:
  - id: sub-a
    resourceGroups:
      - name: rg-a
        workspaces: [{ name: ws-a, location: westeurope }]
        clusters:
          - name: k1
            location: westeurope
            kubernetesVersion: 1.30.4
            agentPools: [{ name: p, count: 3, vmSize: Standard_D3_v2 }]
",
    )
    .unwrap();
    let mut running = Running::start(&[
        "--port",
        "0",
        "--seed",
        seed.to_str().unwrap(),
        "--token",
        "tok",
    ]);
    let listening = running.until("listening on ");
    let base = listening
        .split("listening on ")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    running.until("cluster k1 (westeurope, Kubernetes 1.30.4, 3 x Standard_D3_v2");
    let client = super::support::client();
    let url = format!(
        "{base}/subscriptions/sub-a/resourceGroups/rg-a/providers/Microsoft.MachineLearningServices/workspaces/ws-a?api-version=2024-04-01"
    );
    let answer = client.get(&url).bearer_auth("tok").send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let wrong = client.get(&url).bearer_auth("other").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    running.interrupt();
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_arguments_and_bad_seeds_exit_with_an_explanation() {
    let binary = env!("CARGO_BIN_EXE_aml-emulator");
    let usage = Command::new(binary).arg("--help").output().unwrap();
    assert!(usage.status.success());
    assert!(String::from_utf8_lossy(&usage.stdout).contains("--https"));

    let bad = Command::new(binary).arg("--nope").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unexpected argument '--nope'"));

    let dir = scratch("bad-seed");
    let seed = dir.join("seed.json");
    std::fs::write(&seed, r#"{"subscriptions": [{"id": "s", "resourceGroups": [{"name": "rg", "clusters": [{"name": "c", "location": "eastus", "kubernetesVersion": "x", "agentPools": []}]}]}]}"#).unwrap();
    let invalid = Command::new(binary)
        .args(["--port", "0", "--seed", seed.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(invalid.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&invalid.stderr);
    assert!(
        stderr.contains("seed is invalid") && stderr.contains("agentPools is empty"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
