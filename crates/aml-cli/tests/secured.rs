//! Secured clusters from the command line, against an emulator started in this process on
//! 127.0.0.1: `aml create-cluster` (dry run, end to end, refused ranges with the missing
//! prefixes in JSON, `--admit-control-plane`), `--no-wait` then `aml wait` (from another
//! folder, after a timeout; TLS files gone then back), `aml apply` of a `create_cluster:` spec
//! twice, and the sample specs under `examples/specs/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/env.rs"]
mod env;

use std::path::{Path, PathBuf};
use std::time::Duration;

use aml_emulator::{STANDARD_RESOURCE_GROUP, STANDARD_SUBSCRIPTION, STANDARD_WORKSPACE, Timings};
use serde_json::Value;

use env::{Env, Pair, bare};

/// `METHOD path` of every write the emulator received.
fn writes(env: &Env) -> Vec<String> {
    env.emulator()
        .requests()
        .entries()
        .into_iter()
        .filter(|r| matches!(r.method.as_str(), "PUT" | "PATCH" | "DELETE"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
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

/// The authorized IP ranges of cluster `name` of the emulator's `aks-rg`.
fn cluster_ranges(env: &Env, name: &str) -> Vec<String> {
    let id = format!(
        "/subscriptions/{STANDARD_SUBSCRIPTION}/resourceGroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/{name}"
    );
    env.emulator()
        .cluster(&id.parse().unwrap())
        .map(|c| c.authorized_ip_ranges().to_vec())
        .unwrap_or_default()
}

fn ranges(env: &Env) -> Vec<String> {
    cluster_ranges(env, "aks-new")
}

#[test]
fn a_dry_run_shows_the_clusters_put_and_the_attach_and_sends_nothing() {
    let env = Env::start("secured-dry");
    let out = env.json(&create_cluster(&["--admit-control-plane", "--dry-run"]));
    assert_eq!(out["operation"], "create cluster and attach");
    assert_eq!(out["dry_run"], true);
    let plan = out["plan"].as_str().unwrap();
    let planned: Vec<&str> = plan.lines().filter(|l| l.contains(". write: ")).collect();
    assert_eq!(planned.len(), 2, "{plan}");
    assert!(
        planned[0].contains("create AKS cluster aks-new in eastus"),
        "{plan}"
    );
    assert!(
        planned[1].contains("attach cluster aks-new as compute secure"),
        "{plan}"
    );
    assert!(
        plan.contains("/managedClusters/aks-new?api-version=")
            && plan.contains("/computes/secure?api-version="),
        "{plan}"
    );
    assert!(plan.contains("\"198.51.100.7/32\""), "{plan}");
    assert_eq!(writes(&env), Vec::<String>::new());
}

#[test]
fn ranges_missing_the_control_plane_are_refused_with_the_prefixes_then_admitted_on_request() {
    let env = Env::start("secured-refuse");
    let (code, err) = env.json_failure(&create_cluster(&[]));
    assert_eq!(code, 4, "{err}");
    assert_eq!(err["error"]["kind"], "refused");
    assert_eq!(err["error"]["rule"], "cluster.control_plane_missing");
    let missing: Vec<String> =
        serde_json::from_value(err["error"]["missing_prefixes"].clone()).unwrap();
    assert_eq!(missing, control_plane());
    assert_eq!(err["error"]["control_plane_regions"][0], "eastus");
    assert_eq!(writes(&env), Vec::<String>::new(), "nothing is written");
    // A person reads the prefixes and how to add them.
    let out = env.aml(&create_cluster(&[])).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains(&missing[0]) && text.contains("--admit-control-plane"),
        "{text}"
    );

    // --admit-control-plane: created with the office ranges and the control plane, attached.
    let out = env.json(&create_cluster(&["--admit-control-plane"]));
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
    let written = writes(&env);
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(
        written[0].ends_with("/managedClusters/aks-new"),
        "{written:?}"
    );
    assert!(written[1].ends_with("/computes/secure"), "{written:?}");
}

#[test]
fn a_cluster_without_ranges_is_created_and_attached_end_to_end() {
    let env = Env::start("secured-e2e");
    let out = env.json(&[
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
    assert_eq!(out["operation"], "create cluster and attach");
    assert_eq!(out["compute"]["name"], "plain");
    assert_eq!(out["compute"]["cluster_purpose"], "FastProd");
    let shown = env.json(&["show", "plain"]);
    assert_eq!(shown["attached"], true);
    // A tag that is not NAME=VALUE is invalid input, before anything is sent.
    let before = writes(&env).len();
    let (code, err) = env.json_failure(&[
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
    assert_eq!(writes(&env).len(), before);
}

#[test]
fn apply_of_a_create_cluster_spec_creates_then_has_nothing_to_do() {
    let env = Env::start("secured-apply");
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
    let planned = env.json(&["plan", path]);
    assert_eq!(planned["specs"][0]["action"], "create cluster and attach");
    let out = env.json(&["apply", path]);
    assert_eq!(out["results"][0]["outcome"], "applied", "{out}");
    assert_eq!(out["converged"], 1);
    let written = writes(&env).len();
    assert_eq!(written, 2, "{:?}", writes(&env));

    let out = env.json(&["apply", path]);
    assert_eq!(out["results"][0]["outcome"], "up_to_date", "{out}");
    assert_eq!(out["results"][0]["action"], "none");
    assert_eq!(writes(&env).len(), written, "a second apply writes nothing");
    let text = env.aml(&["plan", path]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("compute secure is up to date"), "{text}");
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/specs")
}

/// The writes of a plan as `aml plan` prints it: its `N. write: ...` steps.
fn plan_writes(plan: &str) -> usize {
    plan.lines()
        .filter_map(|l| l.trim_start().split_once(". "))
        .filter(|(n, rest)| n.parse::<u32>().is_ok() && rest.starts_with("write: "))
        .count()
}

#[test]
fn every_sample_spec_validates_and_the_invalid_one_stays_invalid() {
    let home = std::env::temp_dir();
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(samples()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let out = bare(&home)
            .args(["--output", "json", "plan", "--offline"])
            .arg(&path)
            .output()
            .unwrap();
        let planned: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        let spec = &planned["specs"][0];
        if name.starts_with("invalid") {
            assert_eq!(out.status.code(), Some(2), "{name}: {planned}");
            assert_eq!(spec["error"]["exit_code"], 2, "{name}: {planned}");
        } else {
            assert!(out.status.success(), "{name}: {planned}");
            let plan = spec["plan"].as_str().unwrap();
            // The cluster's PUT, the attach, and for the private one its internal load
            // balancer's update once attached.
            let writes = match name.as_str() {
                "secured.yaml" => Some(2),
                "secured-private.yaml" => Some(3),
                _ => None,
            };
            if let Some(n) = writes {
                assert_eq!(plan_writes(plan), n, "{name}: {plan}");
            }
        }
        seen.push(name);
    }
    for expected in ["secured.yaml", "secured-private.yaml", "invalid.yaml"] {
        assert!(seen.iter().any(|s| s == expected), "{expected} in {seen:?}");
    }
}

/// An emulator whose cluster creations take ten minutes until the test ends them.
fn slow_creations(tag: &str) -> Env {
    Env::start_with(tag, |builder| {
        let mut timings = Timings::uniform(Duration::from_millis(30));
        timings.retry_after = Duration::from_millis(5);
        timings.create = Duration::from_secs(600);
        builder.timings(timings)
    })
}

const CNAME: &str = "ml.contoso.example";

/// `create-cluster waited` with a custom certificate read from `cert.pem` and `key.pem` in the
/// home folder (relative paths), without waiting.
fn create_cluster_tls<'a>() -> Vec<&'a str> {
    vec![
        "create-cluster",
        "waited",
        "--cluster-resource-group",
        "aks-rg",
        "--cluster-name",
        "aks-waited",
        "--location",
        "eastus",
        "--system-pool-vm-size",
        "Standard_D4s_v3",
        "--cert-file",
        "cert.pem",
        "--key-file",
        "key.pem",
        "--cname",
        CNAME,
        "--no-wait",
    ]
}

/// `aml --output json ARGS` run in `dir`, which must succeed: its standard output parsed.
fn json_in(env: &Env, dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--output", "json"];
    all.extend_from_slice(args);
    let out = env.aml(&all).current_dir(dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "aml {args:?}: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"))
}

/// The text inside an `aml1.` token.
fn token_text(token: &str) -> String {
    use base64::Engine as _;
    let body = token.strip_prefix("aml1.").unwrap();
    String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn a_create_cluster_started_without_waiting_is_finished_by_aml_wait_with_the_attach() {
    let env = slow_creations("secured-wait");
    let pair = Pair::generate(CNAME);
    env.file("cert.pem", &pair.cert_pem);
    env.file("key.pem", &pair.key_pem);

    let started = env.json(&create_cluster_tls());
    assert_eq!(started["operation"], "create cluster and attach");
    assert_eq!(started["name"], "waited");
    assert_eq!(started["status"], "started");
    let token = started["resume_token"].as_str().unwrap().to_owned();
    // The token names the TLS files (absolute) and holds none of the key.
    let text = token_text(&token);
    pair.assert_key_absent(&text);
    assert!(
        text.contains(&env.home.join("key.pem").display().to_string()),
        "{text}"
    );
    assert_eq!(env.puts("/managedClusters/aks-waited"), 1);
    assert_eq!(env.puts("/computes/waited"), 0, "not attached yet");

    // Waiting that stops gives a token that resumes the same create-and-attach; from another
    // folder, the TLS files are found by their absolute paths.
    let elsewhere = env.home.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let (code, error) = env::json_failure(
        env.aml(&["--output", "json", "--timeout", "300ms", "wait", &token])
            .current_dir(&elsewhere),
    );
    assert_eq!(code, 6, "{error}");
    let again = error["error"]["resume_token"].as_str().unwrap().to_owned();
    assert_eq!(env.puts("/computes/waited"), 0);

    env.emulator().complete_operations();
    let done = json_in(&env, &elsewhere, &["wait", &again]);
    assert_eq!(done["operation"], "create cluster and attach");
    assert_eq!(done["name"], "waited");
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["compute"]["attached"], true, "{done}");
    assert!(
        done["compute"]["cluster_id"]
            .as_str()
            .unwrap()
            .ends_with("/managedClusters/aks-waited"),
        "{done}"
    );
    let shown = env.json(&["show", "waited"]);
    assert_eq!(shown["attached"], true);
    assert_eq!(
        env.puts("/managedClusters/aks-waited"),
        1,
        "wait does not create the cluster again"
    );
    assert_eq!(env.puts("/computes/waited"), 1, "one attach");
}

#[test]
fn aml_wait_of_a_create_cluster_whose_tls_files_are_gone_says_so_and_works_once_they_are_back() {
    let env = slow_creations("secured-wait-tls");
    let pair = Pair::generate(CNAME);
    env.file("cert.pem", &pair.cert_pem);
    let key = env.file("key.pem", &pair.key_pem);
    let started = env.json(&create_cluster_tls());
    let token = started["resume_token"].as_str().unwrap().to_owned();
    env.emulator().complete_operations();

    std::fs::remove_file(&key).unwrap();
    let (code, error) = env.json_failure(&["wait", &token]);
    assert_eq!(code, 9, "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&key.display().to_string())
            && message.contains("cannot make the create-and-attach's plan again")
            && message.contains("put them back"),
        "{message}"
    );
    assert_eq!(env.puts("/computes/waited"), 0, "nothing attached");

    env.file("key.pem", &pair.key_pem);
    let done = env.json(&["wait", &token]);
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["compute"]["attached"], true, "{done}");
    assert_eq!(env.puts("/managedClusters/aks-waited"), 1);
    assert_eq!(env.puts("/computes/waited"), 1);
}

/// `attach office` of the seeded cluster whose authorized ranges miss the control plane.
fn attach_office<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "attach",
        "office",
        "--cluster-resource-group",
        "aks-rg",
        "--cluster-name",
        "aks-office-ranges",
    ];
    args.extend_from_slice(extra);
    args
}

fn office_ranges(env: &Env) -> Vec<String> {
    cluster_ranges(env, "aks-office-ranges")
}

#[test]
fn attach_of_an_existing_cluster_is_refused_then_admits_the_control_plane_with_its_flag() {
    let env = Env::start("secured-attach");
    let (code, err) = env.json_failure(&attach_office(&[]));
    assert_eq!(code, 4, "{err}");
    assert_eq!(err["error"]["rule"], "cluster.control_plane_missing");
    let missing: Vec<String> =
        serde_json::from_value(err["error"]["missing_prefixes"].clone()).unwrap();
    assert_eq!(missing, control_plane());
    // The hint is attach's own flag, not create-cluster's nor a spec's.
    let message = err["error"]["message"].as_str().unwrap();
    assert!(
        message.ends_with("to add them: run `aml attach` again with `--admit-control-plane`"),
        "{message}"
    );
    assert!(
        !message.contains("create-cluster") && !message.contains("in the spec"),
        "{message}"
    );
    assert_eq!(writes(&env), Vec::<String>::new(), "nothing is written");

    let out = env.json(&attach_office(&["--admit-control-plane"]));
    assert_eq!(out["status"], "succeeded", "{out}");
    assert_eq!(out["compute"]["attached"], true, "{out}");
    let have = office_ranges(&env);
    for range in control_plane() {
        assert!(have.contains(&range), "{range} missing from {have:?}");
    }
    let written = writes(&env);
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(
        written[0].ends_with("/managedClusters/aks-office-ranges"),
        "{written:?}"
    );
    assert!(written[1].ends_with("/computes/office"), "{written:?}");
}

#[test]
fn attach_admitting_the_control_plane_without_waiting_is_finished_by_aml_wait() {
    let env = Env::start("secured-attach-wait");
    let started = env.json(&attach_office(&["--admit-control-plane", "--no-wait"]));
    assert_eq!(started["status"], "started", "{started}");
    // The token resumes the compute's attach: the ranges' update ran before it.
    assert_eq!(env.puts("/managedClusters/aks-office-ranges"), 1);
    assert_eq!(env.puts("/computes/office"), 1);
    let token = started["resume_token"].as_str().unwrap().to_owned();
    let done = env.json(&["wait", &token]);
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["compute"]["attached"], true, "{done}");
    assert_eq!(env.json(&["show", "office"])["attached"], true);
    assert_eq!(env.puts("/computes/office"), 1, "one attach");
}

#[test]
fn apply_of_an_attach_spec_admitting_the_control_plane_converges_then_writes_nothing() {
    let env = Env::start("secured-apply-attach");
    let write_spec = |admit: bool| {
        let spec = env.home.join("office.yaml");
        let admit = if admit {
            "  admit_control_plane: true\n"
        } else {
            ""
        };
        std::fs::write(
            &spec,
            format!(
                "workspace: {{subscription_id: {STANDARD_SUBSCRIPTION}, resource_group: {STANDARD_RESOURCE_GROUP}, workspace_name: {STANDARD_WORKSPACE}, location: eastus}}
name: office
attach:
  resource_group: aks-rg
  cluster_name: aks-office-ranges
{admit}"
            ),
        )
        .unwrap();
        spec.to_str().unwrap().to_owned()
    };
    // Without the key: refused, and the hint names the key of the spec's section.
    let path = write_spec(false);
    let out = env
        .aml(&["--output", "json", "apply", &path])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = &results["results"][0]["error"];
    assert_eq!(error["rule"], "cluster.control_plane_missing", "{results}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.ends_with(
            "to add them: set `admit_control_plane: true` in the spec's `attach:` section"
        ),
        "{message}"
    );
    assert_eq!(writes(&env), Vec::<String>::new());

    let path = write_spec(true);
    let offline = env.json(&["plan", "--offline", &path]);
    let plan = offline["specs"][0]["plan"].as_str().unwrap();
    assert!(plan.contains("aks-office-ranges"), "{plan}");
    let out = env.json(&["apply", &path]);
    assert_eq!(out["results"][0]["outcome"], "applied", "{out}");
    assert_eq!(out["results"][0]["action"], "attach", "{out}");
    let written = writes(&env);
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(
        written[0].ends_with("/managedClusters/aks-office-ranges"),
        "{written:?}"
    );

    let out = env.json(&["apply", &path]);
    assert_eq!(out["results"][0]["outcome"], "up_to_date", "{out}");
    assert_eq!(writes(&env).len(), 2, "a second apply writes nothing");
}
