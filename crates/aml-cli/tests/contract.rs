//! What scripts rely on, through the built `aml` binary against an emulator on 127.0.0.1:
//! the JSON of every command has exactly the field names the crate README documents, every
//! exit code of the README's table that can be provoked on this machine is the one a failure
//! of that kind gets (with its JSON error), and the cloud comes from `--cloud`, else
//! `AZURE_CLOUD`, else the Azure CLI's active cloud.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/env.rs"]
mod env;

use std::collections::BTreeSet;
use std::time::Duration;

use aml_emulator::{
    Fault, FaultRule, OperationOutcome, STANDARD_RESOURCE_GROUP, STANDARD_SUBSCRIPTION,
    STANDARD_WORKSPACE, Timings,
};
use serde_json::Value;

use env::{Env, PROD, Pair, json_failure};

/// The README's field names of a compute, and of its `tls` and `load_balancer`.
const COMPUTE: &[&str] = &[
    "name",
    "type",
    "provisioning_state",
    "location",
    "agent_count",
    "vm_size",
    "cluster_purpose",
    "cluster_id",
    "cluster_fqdn",
    "attached",
    "tls",
    "load_balancer",
    "scoring_ip",
    "errors",
];
const OPERATION: &[&str] = &["operation", "name", "status", "compute"];
const STARTED: &[&str] = &["operation", "name", "status", "resume_token"];
const DRY_RUN: &[&str] = &["operation", "name", "dry_run", "plan"];
const PLANNED: &[&str] = &[
    "file",
    "workspace",
    "name",
    "action",
    "differences",
    "plan",
    "error",
];
const APPLIED: &[&str] = &[
    "file",
    "workspace",
    "name",
    "action",
    "outcome",
    "error",
    "compute",
];
const ERROR: &[&str] = &[
    "kind",
    "exit_code",
    "message",
    "rule",
    "arm_code",
    "resume_token",
    "missing_prefixes",
    "control_plane_regions",
    "attached_computes",
];

/// Panics unless `value` is an object with exactly the fields `names`.
fn fields(value: &Value, names: &[&str]) {
    let have: BTreeSet<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    let want: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(have, want, "{value}");
}

fn compute(value: &Value) {
    fields(value, COMPUTE);
    fields(&value["tls"], &["status", "leaf_domain_label", "cname"]);
    fields(&value["load_balancer"], &["type", "subnet"]);
    for error in value["errors"].as_array().unwrap() {
        fields(error, &["code", "message"]);
    }
}

fn operation(value: &Value, kind: &str) {
    fields(value, OPERATION);
    assert_eq!(value["operation"], kind, "{value}");
    assert_eq!(value["status"], "succeeded", "{value}");
    if !value["compute"].is_null() {
        compute(&value["compute"]);
    }
}

fn spec(env: &Env, file: &str, name: &str, body: &str) -> String {
    env.file(
        file,
        &format!(
            "workspace: {{subscription_id: {STANDARD_SUBSCRIPTION}, resource_group: {STANDARD_RESOURCE_GROUP}, workspace_name: {STANDARD_WORKSPACE}, location: eastus}}\nname: {name}\n{body}"
        ),
    )
    .to_str()
    .unwrap()
    .to_owned()
}

const DEV: &str = "create: {agent_count: 1, vm_size: Standard_D3_v2, cluster_purpose: DevTest}\n";

#[test]
#[allow(clippy::too_many_lines, reason = "one walk through every command")]
fn every_command_prints_json_with_exactly_the_documented_fields() {
    let env = Env::start("json");

    let v = env.json(&["versions", "eastus"]);
    fields(&v, &["location", "default", "versions"]);
    for version in v["versions"].as_array().unwrap() {
        fields(version, &["version", "default", "preview", "patches"]);
    }

    let dry = env.json(&["attach", "prod-aks", "--cluster-id", PROD, "--dry-run"]);
    fields(&dry, DRY_RUN);
    assert_eq!(dry["operation"], "attach");
    operation(
        &env.json(&["attach", "prod-aks", "--cluster-id", PROD]),
        "attach",
    );
    compute(&env.json(&["show", "prod-aks"]));
    operation(
        &env.json(&["update", "prod-aks", "--leaf-domain-label", "prodaks"]),
        "update",
    );
    operation(
        &env.json(&["scale", "prod-aks", "--node-count", "4"]),
        "scale",
    );
    operation(&env.json(&["reattach", "prod-aks"]), "re-attach");

    let file = env.home.join("prod.kubeconfig");
    let creds = env.json(&["credentials", "prod-aks", "--file", file.to_str().unwrap()]);
    fields(&creds, &["name", "kind", "file", "merged", "kubeconfig"]);
    assert_eq!(creds["kind"], "user");
    assert_eq!(creds["merged"], false);
    assert_eq!(creds["kubeconfig"], Value::Null);

    let started = env.json(&[
        "create",
        "dev-aks",
        "--agent-count",
        "1",
        "--vm-size",
        "Standard_D3_v2",
        "--cluster-purpose",
        "DevTest",
        "--no-wait",
    ]);
    fields(&started, STARTED);
    assert_eq!(started["status"], "started");
    operation(
        &env.json(&["wait", started["resume_token"].as_str().unwrap()]),
        "create",
    );

    let listed = env.json(&["list"]);
    fields(&listed, &["workspace", "cloud", "computes"]);
    fields(&listed["cloud"], &["name", "resource_manager", "scope"]);
    let computes = listed["computes"].as_array().unwrap();
    assert_eq!(computes.len(), 2);
    computes.iter().for_each(compute);

    // plan: a spec that differs from its live compute (one node more than dev-aks has)
    let grown = spec(
        &env,
        "specs/dev.yaml",
        "dev-aks",
        "create: {agent_count: 2, vm_size: Standard_D3_v2, cluster_purpose: DevTest}\n",
    );
    let new = spec(&env, "specs/new.yaml", "new-aks", DEV);
    let planned = env.json(&["plan", &grown, &new]);
    fields(&planned, &["specs"]);
    let specs = planned["specs"].as_array().unwrap();
    for s in specs {
        fields(s, PLANNED);
    }
    let differences = specs[0]["differences"].as_array().unwrap();
    assert!(!differences.is_empty(), "{planned}");
    for d in differences {
        fields(d, &["field", "existing", "desired", "remedy"]);
    }
    let offline = env.json(&["plan", "--offline", &new]);
    fields(&offline, &["specs"]);
    fields(&offline["specs"][0], &["file", "plan", "error"]);
    let dry = env.json(&["apply", "--dry-run", &new]);
    fields(&dry["specs"][0], PLANNED);

    let applied = env.json(&["apply", &new]);
    fields(&applied, &["results", "converged", "total"]);
    fields(&applied["results"][0], APPLIED);
    assert_eq!(applied["results"][0]["outcome"], "applied");
    compute(&applied["results"][0]["compute"]);

    operation(&env.json(&["detach", "prod-aks"]), "detach");
    operation(&env.json(&["delete", "new-aks", "--yes"]), "delete");
    let dry = env.json(&["delete-cluster", "--cluster-id", PROD, "--dry-run"]);
    fields(&dry, DRY_RUN);
    assert_eq!(dry["operation"], "delete cluster");
    operation(
        &env.json(&["delete-cluster", "--cluster-id", PROD, "--yes"]),
        "delete cluster",
    );

    let pair = Pair::generate("score.contoso.com");
    let dump = env.file("azuremlfessl.yaml", &pair.secret_dump());
    let recovered = env.json(&[
        "recover-tls",
        dump.to_str().unwrap(),
        "--cname",
        "score.contoso.com",
        "--out-dir",
        env.home.join("tls").to_str().unwrap(),
    ]);
    fields(&recovered, &["cname", "cert_file", "key_file"]);

    // errors, on standard error
    let (_, error) = env.json_failure(&["show", "ghost"]);
    fields(&error, &["error"]);
    fields(&error["error"], ERROR);
}

#[test]
fn the_emulator_command_prints_its_url_as_json() {
    use std::io::BufRead as _;

    let home = std::env::temp_dir();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_aml"))
        .args(["--output", "json", "emulator", "--port", "0"])
        .env("HOME", &home)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut text = String::new();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        text.push_str(&line);
        if line == "}" {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    fields(&json, &["url"]);
    assert!(
        json["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:"),
        "{json}"
    );
}

#[test]
fn exit_1_an_operation_the_service_failed() {
    let env = Env::start("exit1");
    env.emulator().faults().end_next_operations(
        OperationOutcome::failed("InternalServerError", "no capacity"),
        1,
    );
    let (code, error) = env.json_failure(&[
        "create",
        "dev-aks",
        "--agent-count",
        "1",
        "--vm-size",
        "Standard_D3_v2",
        "--cluster-purpose",
        "DevTest",
    ]);
    assert_eq!(code, 1, "{error}");
    assert_eq!(error["error"]["kind"], "runtime");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no capacity"),
        "{error}"
    );
}

#[test]
fn exit_2_invalid_input_lists_the_problems_and_sends_nothing() {
    let env = Env::start("exit2");
    let before = env.emulator().requests().len();
    let (code, error) = env.json_failure(&[
        "create",
        "1abc",
        "--agent-count",
        "0",
        "--vm-size",
        "Standard_D3_v2",
    ]);
    assert_eq!(code, 2, "{error}");
    assert_eq!(error["error"]["kind"], "invalid");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("name") && message.contains("create.agent_count"),
        "every problem: {message}"
    );
    assert!(
        env.emulator()
            .requests()
            .entries()
            .iter()
            .skip(before)
            .all(|r| r.method == "GET"),
        "nothing written"
    );
    assert_eq!(env.puts("/computes/"), 0);
    // a usage error is 2 as well (clap's own message)
    assert_eq!(
        env.code(&["scale", "prod-aks", "--node-count", "many"]).0,
        2
    );
    assert_eq!(env.code(&["--timeout", "soon", "list"]).0, 2);
}

#[test]
fn exit_3_not_found_and_4_refused() {
    let env = Env::start("exit34");
    let (code, error) = env.json_failure(&["show", "ghost"]);
    assert_eq!(
        (code, &error["error"]["kind"]),
        (3, &Value::from("not_found"))
    );
    let (code, error) = env.json_failure(&[
        "attach",
        "ghost",
        "--cluster-resource-group",
        "aks-rg",
        "--cluster-name",
        "aks-ghost",
    ]);
    assert_eq!(code, 3, "a missing cluster: {error}");

    env.json(&["attach", "prod-aks", "--cluster-id", PROD]);
    let (code, error) = env.json_failure(&[
        "create",
        "prod-aks",
        "--agent-count",
        "3",
        "--vm-size",
        "Standard_D3_v2",
    ]);
    assert_eq!(code, 4, "the name is taken: {error}");
    assert_eq!(error["error"]["kind"], "refused");
    assert_eq!(env.puts("/computes/prod-aks"), 1, "nothing written");
    // deleting an attached compute is refused (detach it instead)
    let (code, error) = env.json_failure(&["delete", "prod-aks", "--yes"]);
    assert_eq!(code, 4, "{error}");
    assert_eq!(env.deletes("/computes/prod-aks"), 0);
}

#[test]
fn exit_5_a_token_the_service_refuses() {
    let env = Env::start_with("exit5", |b| b.token("only-this-token"));
    // the CLI's test credential gives "emulator", which this emulator refuses
    let (code, error) = env.json_failure(&["list"]);
    assert_eq!(code, 5, "{error}");
    assert_eq!(error["error"]["kind"], "auth");
    assert!(
        !error.to_string().contains("only-this-token"),
        "no token printed"
    );
    // the same command with the token it accepts succeeds
    let out = env
        .aml(&["--output", "json", "list"])
        .env("AML_EMULATOR_TOKEN", "only-this-token")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn exit_6_waiting_stops_at_the_timeout_and_aml_wait_resumes() {
    // operations take ten minutes unless the test completes them
    let env = Env::start_with("exit6", |b| {
        let mut timings = Timings::uniform(Duration::from_secs(600));
        timings.retry_after = Duration::from_millis(5);
        b.timings(timings)
    });
    let (code, error) = env.json_failure(&[
        "--timeout",
        "100ms",
        "create",
        "dev-aks",
        "--agent-count",
        "1",
        "--vm-size",
        "Standard_D3_v2",
        "--cluster-purpose",
        "DevTest",
    ]);
    assert_eq!(code, 6, "{error}");
    assert_eq!(error["error"]["kind"], "timeout");
    let token = error["error"]["resume_token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("aml1."), "an `aml wait` token: {token}");
    assert_eq!(env.puts("/computes/dev-aks"), 1);

    // without JSON the same advice is printed
    let (code, text) = env.code(&[
        "--timeout",
        "100ms",
        "attach",
        "prod-aks",
        "--cluster-id",
        PROD,
    ]);
    assert_eq!(code, 6, "{text}");
    assert!(text.contains("resume with: aml wait aml1."), "{text}");

    assert!(env.emulator().complete_operations() >= 2);
    let done = env.json(&["wait", &token]);
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["compute"]["provisioning_state"], "Succeeded");
    assert_eq!(env.puts("/computes/dev-aks"), 1, "no second PUT");

    // throttling longer than a retry may wait: 6 at once
    env.emulator().faults().inject(
        FaultRule::new(Fault::throttle(Duration::from_secs(600)))
            .method("GET")
            .path_contains("/computes/dev-aks"),
    );
    let (code, error) = env.json_failure(&["show", "dev-aks"]);
    assert_eq!(code, 6, "{error}");
    assert_eq!(error["error"]["kind"], "timeout");
}

#[test]
fn exit_7_a_declined_confirmation_sends_nothing() {
    let env = Env::start("exit7");
    env.json(&[
        "create",
        "dev-aks",
        "--agent-count",
        "1",
        "--vm-size",
        "Standard_D3_v2",
        "--cluster-purpose",
        "DevTest",
    ]);
    let out = env
        .aml(&["--output", "json", "delete", "dev-aks"])
        .write_stdin("n\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    // the question, then the JSON error on a line of its own
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (question, error) = stderr.trim_end().rsplit_once('\n').unwrap();
    assert!(question.trim_end().ends_with("[y/N]"), "{stderr}");
    let error: Value = serde_json::from_str(error).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(error["error"]["kind"], "declined");
    assert_eq!(error["error"]["exit_code"], 7);
    assert!(out.stdout.is_empty());
    assert_eq!(env.deletes("/computes/dev-aks"), 0);
}

#[test]
fn exit_8_apply_with_one_failing_spec_runs_the_others() {
    let env = Env::start("exit8");
    let good = spec(&env, "specs/good.yaml", "good-aks", DEV);
    let ghost = spec(
        &env,
        "specs/ghost.yaml",
        "ghost-aks",
        "attach: {resource_group: aks-rg, cluster_name: aks-ghost, cluster_purpose: DevTest}\n",
    );
    let out = env
        .aml(&["--output", "json", "apply", &good, &ghost])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(8),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&report["converged"], &report["total"]),
        (&Value::from(1), &Value::from(2))
    );
    let failed: Vec<&Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(failed[0]["name"], "ghost-aks");
    assert_eq!(failed[0]["error"]["kind"], "not_found", "{report}");
    assert_eq!(env.json(&["show", "good-aks"])["attached"], false);
}

#[test]
fn exit_9_a_local_file_that_cannot_be_read_or_written() {
    let env = Env::start("exit9");
    env.json(&["attach", "prod-aks", "--cluster-id", PROD]);
    // a kubeconfig path below a regular file cannot be written (not even by root)
    let blocker = env.file("not-a-folder", "");
    let file = blocker.join("prod.kubeconfig");
    let (code, error) =
        env.json_failure(&["credentials", "prod-aks", "--file", file.to_str().unwrap()]);
    assert_eq!(code, 9, "{error}");
    assert_eq!(error["error"]["kind"], "io");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not-a-folder"),
        "{error}"
    );
    // --merge into a KUBECONFIG there: 9 as well
    let (code, error) = json_failure(
        env.aml(&["--output", "json", "credentials", "prod-aks", "--merge"])
            .env("KUBECONFIG", &file),
    );
    assert_eq!(code, 9, "{error}");
    // a certificate file that does not exist
    let (code, error) = env.json_failure(&[
        "update",
        "prod-aks",
        "--cert-file",
        "missing.pem",
        "--key-file",
        "missing.key",
        "--cname",
        "score.contoso.com",
    ]);
    assert_eq!(code, 9, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("missing.pem")
    );
}

/// The cloud `aml list` reports, with `env` set and the Azure CLI's folder `az_dir`.
fn cloud_of(env: &Env, az_dir: &std::path::Path, vars: &[(&str, &str)], args: &[&str]) -> Value {
    let mut all = vec!["--output", "json"];
    all.extend_from_slice(args);
    all.push("list");
    let mut cmd = env.aml(&all);
    cmd.env("AZURE_CONFIG_DIR", az_dir);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    // wherever the cloud came from, the requests went to the emulator (--endpoint)
    assert_eq!(
        listed["cloud"]["resource_manager"],
        format!("{}/", env.emulator().base_url().trim_end_matches('/'))
    );
    listed["cloud"].clone()
}

#[test]
fn the_cloud_is_the_flag_else_azure_cloud_else_the_azure_clis_active_cloud() {
    let env = Env::start("clouds");
    let az = env.home.join("az");
    std::fs::create_dir_all(&az).unwrap();
    let pair = |v: &Value| {
        (
            v["name"].as_str().unwrap().to_owned(),
            v["scope"].as_str().unwrap().to_owned(),
        )
    };
    let public = (
        "AzureCloud".to_owned(),
        "https://management.azure.com/.default".to_owned(),
    );
    let china = (
        "AzureChinaCloud".to_owned(),
        "https://management.chinacloudapi.cn/.default".to_owned(),
    );
    let usgov = (
        "AzureUSGovernment".to_owned(),
        "https://management.usgovcloudapi.net/.default".to_owned(),
    );

    // nothing set: the public cloud
    assert_eq!(pair(&cloud_of(&env, &az, &[], &[])), public);
    // the Azure CLI's active cloud
    std::fs::write(az.join("config"), "[cloud]\nname = AzureChinaCloud\n").unwrap();
    assert_eq!(pair(&cloud_of(&env, &az, &[], &[])), china);
    // AZURE_CLOUD over the Azure CLI
    let gov = [("AZURE_CLOUD", "AzureUSGovernment")];
    assert_eq!(pair(&cloud_of(&env, &az, &gov, &[])), usgov);
    // --cloud over both
    assert_eq!(
        pair(&cloud_of(&env, &az, &gov, &["--cloud", "public"])),
        public
    );
    assert_eq!(
        pair(&cloud_of(&env, &az, &gov, &["--cloud", "china"])),
        china
    );
    // a custom cloud: the scope is its audience's
    let custom = cloud_of(
        &env,
        &az,
        &gov,
        &[
            "--cloud",
            "custom",
            "--resource-manager",
            "https://management.local.azurestack.external",
            "--authority-host",
            "https://login.local.azurestack.external",
            "--audience",
            "https://management.adfs.azurestack.local/4711",
        ],
    );
    assert_eq!(
        custom["scope"],
        "https://management.adfs.azurestack.local/4711/.default"
    );
}

#[test]
fn an_unknown_cloud_is_invalid_input_that_names_the_valid_clouds() {
    let env = Env::start("cloud-bad");
    let az = env.home.join("az");
    std::fs::create_dir_all(&az).unwrap();
    let valid = |message: &str| {
        for name in ["AzureCloud", "AzureChinaCloud", "AzureUSGovernment"] {
            assert!(message.contains(name), "{name}: {message}");
        }
    };
    let (code, error) = env.json_failure(&["--cloud", "mars", "list"]);
    assert_eq!(code, 2, "{error}");
    assert_eq!(error["error"]["kind"], "invalid");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("mars"), "{message}");
    valid(message);

    let (code, error) = json_failure(
        env.aml(&["--output", "json", "list"])
            .env("AZURE_CLOUD", "AzureMarsCloud"),
    );
    assert_eq!(code, 2, "{error}");
    valid(error["error"]["message"].as_str().unwrap());

    // the Azure CLI's active cloud unknown: 2, saying where it was read
    std::fs::write(az.join("config"), "[cloud]\nname = AzureStackHub\n").unwrap();
    let (code, error) = json_failure(
        env.aml(&["--output", "json", "list"])
            .env("AZURE_CONFIG_DIR", &az),
    );
    assert_eq!(code, 2, "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(az.join("config").to_str().unwrap()),
        "{message}"
    );
    valid(message);
    assert_eq!(env.emulator().requests().len(), 0, "nothing sent");
}
