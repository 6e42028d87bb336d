//! The installed `aml` binary against an emulator started in this process on 127.0.0.1:
//! every subcommand, JSON output parsed, exit codes, the delete confirmation, the kubeconfig
//! file's mode. The cloud pairing test is in `clouds.rs`; re-attach and TLS recovery in
//! `tls.rs`; every command's JSON fields, every exit code and the cloud's sources in
//! `contract.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/env.rs"]
mod env;

use std::path::Path;

use aml_emulator::{STANDARD_RESOURCE_GROUP, STANDARD_SUBSCRIPTION, STANDARD_WORKSPACE};
use serde_json::Value;

use env::{Env, PROD, bare, create_devtest};

const SUBCOMMANDS: [&str; 21] = [
    "plan",
    "apply",
    "create",
    "attach",
    "update",
    "scale",
    "reattach",
    "detach",
    "delete",
    "create-cluster",
    "delete-cluster",
    "show",
    "list",
    "credentials",
    "versions",
    "recover-tls",
    "wait",
    "emulator",
    "completions",
    "help",
    "--help",
];

#[test]
fn every_subcommand_has_help_and_completions_name_them() {
    let home = std::env::temp_dir();
    for sub in SUBCOMMANDS
        .iter()
        .filter(|s| !s.starts_with('-') && **s != "help")
    {
        let out = bare(&home).args([sub, "--help"]).output().unwrap();
        assert!(out.status.success(), "{sub}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage: aml"), "{sub}: {text}");
    }
    let top = bare(&home).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&top.stdout);
    assert!(
        text.contains("Exit codes:") && text.contains("8  apply"),
        "{text}"
    );
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = bare(&home).args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        for sub in [
            "apply",
            "recover-tls",
            "credentials",
            "wait",
            "create-cluster",
            "delete-cluster",
        ] {
            assert!(text.contains(sub), "{shell} completions lack {sub}");
        }
    }
    // a usage error is 2
    let out = bare(&home).args(["scale"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn attach_show_list_update_scale_versions_detach() {
    let env = Env::start("life");
    // dry run: the plan, nothing sent
    let before = env.emulator().requests().entries().len();
    let out = env.json(&["attach", "prod-aks", "--cluster-id", PROD, "--dry-run"]);
    assert_eq!(out["dry_run"], true);
    assert!(out["plan"].as_str().unwrap().contains("PUT "), "{out}");
    assert_eq!(env.puts("/computes/prod-aks"), 0);
    assert!(env.emulator().requests().entries().len() <= before + 1); // the workspace read

    let out = env.json(&["attach", "prod-aks", "--cluster-id", PROD]);
    assert_eq!(out["status"], "succeeded");
    assert_eq!(out["compute"]["name"], "prod-aks");
    assert_eq!(out["compute"]["attached"], true);
    assert_eq!(env.puts("/computes/prod-aks"), 1);

    // attaching the same cluster twice is refused (4), nothing written
    let (code, text) = env.code(&["attach", "other", "--cluster-id", PROD]);
    assert_eq!(code, 4, "{text}");
    assert!(text.contains("attach.cluster_attached"), "{text}");

    let shown = env.json(&["show", "prod-aks"]);
    assert_eq!(
        shown["cluster_id"].as_str().map(str::to_ascii_lowercase),
        Some(PROD.to_ascii_lowercase())
    );
    assert_eq!(shown["load_balancer"]["type"], "PublicIp");
    let listed = env.json(&["list"]);
    assert_eq!(listed["computes"].as_array().unwrap().len(), 1);
    let (code, table) = env.code(&["list"]);
    assert_eq!(code, 0);
    assert!(
        table.starts_with("NAME") && table.contains("prod-aks"),
        "{table}"
    );

    let out = env.json(&[
        "update",
        "prod-aks",
        "--load-balancer-type",
        "InternalLoadBalancer",
        "--load-balancer-subnet",
        "aks-subnet",
    ]);
    assert_eq!(out["status"], "succeeded");
    assert_eq!(
        env.json(&["show", "prod-aks"])["load_balancer"]["subnet"],
        "aks-subnet"
    );

    // a production cluster below 12 vCPUs is refused before any write
    let (code, text) = env.code(&["scale", "prod-aks", "--node-count", "1"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("purpose.production_nodes"), "{text}");
    let out = env.json(&["scale", "prod-aks", "--node-count", "4"]);
    assert_eq!(out["operation"], "scale");

    let versions = env.json(&["versions", "eastus"]);
    assert!(versions["default"].is_string(), "{versions}");
    assert!(!versions["versions"].as_array().unwrap().is_empty());

    let out = env.json(&["reattach", "prod-aks", "--dry-run"]);
    assert_eq!(out["operation"], "re-attach");

    let out = env.json(&["detach", "prod-aks"]);
    assert_eq!(out["operation"], "detach");
    assert!(
        env.emulator().cluster(&PROD.parse().unwrap()).is_some(),
        "detach keeps the cluster"
    );
    let (code, text) = env.code(&["show", "prod-aks"]);
    assert_eq!(code, 3, "{text}");
    // JSON errors on stderr
    let out = env
        .aml(&["--output", "json", "show", "prod-aks"])
        .output()
        .unwrap();
    let error: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(error["error"]["kind"], "not_found");
    assert_eq!(error["error"]["exit_code"], 3);
}

#[test]
fn create_without_waiting_then_wait_and_delete_after_confirmation() {
    let env = Env::start("create");
    let started = env.json(&create_devtest(&[], "dev-aks", &["--no-wait"]));
    assert_eq!(started["status"], "started");
    let token = started["resume_token"].as_str().unwrap();
    let done = env.json(&["wait", token]);
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["compute"]["provisioning_state"], "Succeeded");
    assert_eq!(env.puts("/computes/dev-aks"), 1, "wait sends no second PUT");
    let (code, _) = env.code(&["wait", "aml1.not-a-token"]);
    assert_eq!(code, 2);

    // delete asks; "no" sends nothing and exits 7
    let deletes = || {
        env.emulator()
            .requests()
            .matching("DELETE", "/computes/dev-aks")
            .len()
    };
    let out = env
        .aml(&["delete", "dev-aks"])
        .write_stdin("no\n")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(deletes(), 0);
    // no answer at all is no
    let out = env
        .aml(&["delete", "dev-aks"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    let out = env
        .aml(&["delete", "dev-aks"])
        .write_stdin("yes\n")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(deletes(), 1);
    assert_eq!(env.code(&["show", "dev-aks"]).0, 3);
}

#[test]
fn credentials_are_written_0600_and_printed_only_when_asked() {
    use std::os::unix::fs::PermissionsExt as _;

    let env = Env::start("creds");
    env.json(&["attach", "prod-aks", "--cluster-id", PROD]);
    let file = env.home.join("prod.kubeconfig");
    let out = env.json(&["credentials", "prod-aks", "--file", file.to_str().unwrap()]);
    assert_eq!(out["kubeconfig"], Value::Null);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("clusters"), "a kubeconfig");
    let (code, text) = env.code(&["credentials", "prod-aks", "--file", file.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        !text.contains(written.trim()),
        "the kubeconfig is not printed"
    );
    let (code, text) = env.code(&[
        "credentials",
        "prod-aks",
        "--file",
        file.to_str().unwrap(),
        "--show-secrets",
    ]);
    assert_eq!(code, 0);
    assert!(text.contains(written.trim()));

    // --merge into ~/.kube/config (HOME is the test's folder), 0600 too
    env.json(&["credentials", "prod-aks", "--merge"]);
    let merged = env.home.join(".kube").join("config");
    let mode = std::fs::metadata(&merged).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        std::fs::read_to_string(&merged)
            .unwrap()
            .contains("current-context")
    );
}

fn spec(dir: &Path, file: &str, workspace: &str, name: &str, body: &str) {
    std::fs::write(
        dir.join(file),
        format!(
            "workspace: {{subscription_id: {STANDARD_SUBSCRIPTION}, resource_group: {STANDARD_RESOURCE_GROUP}, workspace_name: {workspace}, location: eastus}}\nname: {name}\n{body}"
        ),
    )
    .unwrap();
}

#[test]
fn apply_a_directory_plans_all_then_converges_each_and_summarizes() {
    let env = Env::start("apply");
    let dir = env.home.join("specs");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..3 {
        spec(
            &dir,
            &format!("dev{i}.yaml"),
            STANDARD_WORKSPACE,
            &format!("dev-{i}"),
            "create: {agent_count: 1, vm_size: Standard_D3_v2, cluster_purpose: DevTest}\n",
        );
    }
    spec(
        &dir,
        "prod.yaml",
        STANDARD_WORKSPACE,
        "prod-aks",
        &format!("attach: {{resource_id: {PROD}, cluster_purpose: FastProd}}\n"),
    );
    let dirs = dir.to_str().unwrap();

    let plan = env.json(&["plan", dirs]);
    let actions: Vec<&str> = plan["specs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "create", "create", "attach"]);
    assert_eq!(env.puts("/computes/"), 0, "plan writes nothing");

    let out = env.json(&["apply", dirs, "--jobs", "2"]);
    assert_eq!(out["converged"], 4, "{out}");
    assert_eq!(out["total"], 4);
    assert_eq!(env.puts("/computes/"), 4);
    // again: everything is up to date, nothing written
    let out = env.json(&["apply", dirs]);
    let outcomes: Vec<&str> = out["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["up_to_date"; 4]);
    assert_eq!(env.puts("/computes/"), 4);

    // one invalid spec and one missing cluster: the others still run, exit 8
    spec(
        &dir,
        "bad.yaml",
        STANDARD_WORKSPACE,
        "1bad",
        "create: {agent_count: 0}\n",
    );
    spec(
        &dir,
        "ghost.yaml",
        STANDARD_WORKSPACE,
        "ghost",
        "attach: {resource_group: aks-rg, cluster_name: aks-ghost, cluster_purpose: DevTest}\n",
    );
    spec(
        &dir,
        "dev9.yaml",
        STANDARD_WORKSPACE,
        "dev-9",
        "create: {agent_count: 1, vm_size: Standard_D3_v2, cluster_purpose: DevTest}\n",
    );
    let (code, text) = env.code(&["apply", dirs]);
    assert_eq!(code, 8, "{text}");
    assert!(text.contains("5 of 7 converged"), "{text}");
    assert_eq!(env.json(&["show", "dev-9"])["name"], "dev-9");

    // a single invalid spec exits 2 and sends nothing
    let single = dir.join("bad.yaml");
    let (code, text) = env.code(&["apply", single.to_str().unwrap()]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("create.agent_count"), "{text}");
    let (code, text) = env.code(&["plan", "--offline", single.to_str().unwrap()]);
    assert_eq!(code, 2, "{text}");
    let (code, _) = env.code(&["plan", "--offline", dir.join("dev0.yaml").to_str().unwrap()]);
    assert_eq!(code, 0);
}

#[test]
fn the_workspace_comes_from_config_json_when_no_flags_name_it() {
    let env = Env::start("config");
    let project = env.home.join("project").join("deep");
    std::fs::create_dir_all(env.home.join("project").join(".azureml")).unwrap();
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        env.home.join("project").join(".azureml").join("config.json"),
        format!(r#"{{"subscription_id": "{STANDARD_SUBSCRIPTION}", "resource_group": "{STANDARD_RESOURCE_GROUP}", "workspace_name": "{STANDARD_WORKSPACE}"}}"#),
    )
    .unwrap();
    let out = bare(&env.home)
        .current_dir(&project)
        .args([
            "--endpoint",
            env.emulator().base_url(),
            "--output",
            "json",
            "list",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        listed["workspace"]
            .as_str()
            .unwrap()
            .ends_with("/workspaces/aml-ws"),
        "{listed}"
    );
    // none found: 2, saying where it looked
    let out = bare(&env.home)
        .current_dir(&env.home)
        .args(["--endpoint", env.emulator().base_url(), "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("aml_config/"));
}

#[test]
fn the_emulator_subcommand_serves_the_standard_seed() {
    use std::io::BufRead as _;

    let home = std::env::temp_dir();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_aml"))
        .args(["emulator", "--port", "0"])
        .env("HOME", &home)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .trim()
        .strip_prefix("emulator listening on ")
        .unwrap()
        .to_owned();
    let out = bare(&home)
        .args([
            "--endpoint",
            &url,
            "--subscription",
            STANDARD_SUBSCRIPTION,
            "--resource-group",
            STANDARD_RESOURCE_GROUP,
            "--workspace",
            STANDARD_WORKSPACE,
            "-o",
            "json",
            "versions",
            "eastus",
        ])
        .output()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
