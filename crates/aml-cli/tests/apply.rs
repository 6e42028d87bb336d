//! `aml apply` of several specs against an emulator on 127.0.0.1: `--dry-run` exits as
//! `aml plan` does, a `create:` spec takes the workspace's region read from ARM, specs that
//! contradict each other are refused before any request, `aml plan` shows what differs from
//! the live compute (and refuses what cannot change in place), and an apply after a scale or an
//! update writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/env.rs"]
mod env;

use aml_emulator::{STANDARD_RESOURCE_GROUP, STANDARD_SUBSCRIPTION, STANDARD_WORKSPACE};

use env::Env;

/// A spec of compute `name` in the standard workspace (with `location` when given), `body`
/// after it.
fn spec(env: &Env, file: &str, name: &str, location: Option<&str>, body: &str) -> String {
    let location = location.map_or_else(String::new, |l| format!(", location: {l}"));
    env.file(
        file,
        &format!(
            "workspace: {{subscription_id: {STANDARD_SUBSCRIPTION}, resource_group: {STANDARD_RESOURCE_GROUP}, workspace_name: {STANDARD_WORKSPACE}{location}}}\nname: {name}\n{body}"
        ),
    )
    .to_str()
    .unwrap()
    .to_owned()
}

const DEV: &str = "create: {agent_count: 1, vm_size: Standard_D3_v2, cluster_purpose: DevTest}\n";

#[test]
fn a_dry_run_exits_as_plan_does() {
    let env = Env::start("apply-dry");
    let valid = spec(&env, "ok/dev.yaml", "dev", Some("eastus"), DEV);
    let (code, text) = env.code(&["apply", "--dry-run", &valid]);
    assert_eq!(code, 0, "{text}");

    let invalid = spec(&env, "bad/bad.yaml", "1bad", Some("eastus"), DEV);
    for command in [&["plan"][..], &["apply", "--dry-run"][..]] {
        let mut args = command.to_vec();
        args.push(&invalid);
        let (code, text) = env.code(&args);
        assert_eq!(code, 2, "{args:?}: {text}");
    }
    // A refusal of one spec is its own exit (4: the name is taken), several are 8.
    env.json(&[
        "create",
        "taken",
        "--agent-count",
        "1",
        "--cluster-purpose",
        "DevTest",
    ]);
    let taken = spec(
        &env,
        "taken/taken.yaml",
        "taken",
        Some("eastus"),
        "attach: {resource_group: aks-rg, cluster_name: aks-prod}\n",
    );
    let (code, text) = env.code(&["apply", "--dry-run", &taken]);
    assert_eq!(code, 4, "{text}");
    let (code, text) = env.code(&["apply", "--dry-run", &taken, &invalid]);
    assert_eq!(code, 8, "{text}");
    assert_eq!(env.puts("/computes/1bad"), 0);
}

#[test]
fn a_create_spec_without_a_region_takes_the_workspaces_read_from_arm() {
    let env = Env::start("apply-region");
    let path = spec(&env, "dev.yaml", "regionless", None, DEV);
    // Offline, the region cannot be known.
    let (code, text) = env.code(&["plan", "--offline", &path]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("location.unknown"), "{text}");

    let planned = env.json(&["plan", &path]);
    assert_eq!(planned["specs"][0]["action"], "create", "{planned}");
    let out = env.json(&["apply", &path]);
    assert_eq!(out["results"][0]["outcome"], "applied", "{out}");
    assert_eq!(out["results"][0]["compute"]["location"], "eastus", "{out}");
    let out = env.json(&["apply", &path]);
    assert_eq!(out["results"][0]["outcome"], "up_to_date", "{out}");

    // Other problems of such a spec are still found before anything is sent.
    let bad = spec(
        &env,
        "bad.yaml",
        "regionless2",
        None,
        "create: {agent_count: 0, cluster_purpose: DevTest}\n",
    );
    let (code, text) = env.code(&["apply", &bad]);
    assert_eq!(code, 2, "{text}");
    assert!(!text.contains("location.unknown"), "{text}");
    assert_eq!(env.puts("/computes/regionless2"), 0);
}

#[test]
fn specs_that_contradict_each_other_are_refused_before_any_request() {
    let env = Env::start("apply-conflicts");
    let first = spec(&env, "a/first.yaml", "same", Some("eastus"), DEV);
    let second = spec(
        &env,
        "a/second.yaml",
        "SAME",
        Some("eastus"),
        "attach: {resource_group: aks-rg, cluster_name: aks-prod}\n",
    );
    let cluster = |n: &str| {
        format!(
            "create_cluster:\n  resource_group: aks-rg\n  cluster_name: aks-twice\n  location: eastus\n  system_pool: {{vm_size: Standard_D4s_v3, count: 3}}\n  cluster_purpose: {n}\n"
        )
    };
    let third = spec(
        &env,
        "b/third.yaml",
        "one",
        Some("eastus"),
        &cluster("FastProd"),
    );
    let fourth = spec(
        &env,
        "b/fourth.yaml",
        "two",
        Some("eastus"),
        &cluster("FastProd"),
    );
    env.emulator().requests().clear();
    for (a, b, what) in [
        (&first, &second, "both declare compute"),
        (&third, &fourth, "both create AKS cluster aks-twice"),
    ] {
        for command in [&["apply"][..], &["apply", "--dry-run"][..], &["plan"][..]] {
            let mut args = command.to_vec();
            args.extend([a.as_str(), b.as_str()]);
            let (code, error) = env.json_failure(&args);
            assert_eq!(code, 2, "{args:?}: {error}");
            let message = error["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(what)
                    && message.contains(a.as_str())
                    && message.contains(b.as_str()),
                "{message}"
            );
        }
    }
    // The folder: both pairs at once, one line each.
    let (code, error) = env.json_failure(&[
        "apply",
        env.home.join("a").to_str().unwrap(),
        env.home.join("b").to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{error}");
    assert_eq!(
        error["error"]["message"].as_str().unwrap().lines().count(),
        2,
        "{error}"
    );
    assert!(
        env.emulator().requests().entries().is_empty(),
        "nothing is sent, not even a read"
    );
}

/// `METHOD path` of every write the emulator received: each PUT, PATCH, DELETE and POST but
/// `listKeys` (a POST that reads).
fn writes(env: &Env) -> Vec<String> {
    env.emulator()
        .requests()
        .entries()
        .into_iter()
        .filter(|r| matches!(r.method.as_str(), "PUT" | "PATCH" | "DELETE" | "POST"))
        .filter(|r| !r.path.ends_with("/listKeys"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// A `create:` spec of compute `dev` in `file`: `agent_count` nodes of `vm_size`, `extra`
/// after it.
fn dev(env: &Env, file: &str, agent_count: u32, vm_size: &str, extra: &str) -> String {
    spec(
        env,
        file,
        "dev",
        Some("eastus"),
        &format!(
            "create: {{agent_count: {agent_count}, vm_size: {vm_size}, cluster_purpose: DevTest}}\n{extra}"
        ),
    )
}

#[test]
fn plan_shows_what_differs_from_the_live_compute_and_refuses_what_cannot_change_in_place() {
    let env = Env::start("apply-diff");
    let one = dev(&env, "one.yaml", 1, "Standard_D3_v2", "");
    env.json(&["apply", &one]);
    let written = writes(&env);

    // A node count: terraform-like, the field, the live value -> the spec's, the remedy.
    let three = dev(&env, "three.yaml", 3, "Standard_D3_v2", "");
    let (code, text) = env.code(&["plan", &three]);
    assert_eq!(code, 0, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"~ compute dev"), "{text}");
    assert!(
        lines.contains(&"  ~ create.agent_count 1 -> 3 (scale)"),
        "{text}"
    );
    let planned = env.json(&["plan", &three]);
    assert_eq!(planned["specs"][0]["action"], "scale", "{planned}");
    assert_eq!(
        planned["specs"][0]["differences"][0]["field"],
        "create.agent_count"
    );
    assert_eq!(planned["specs"][0]["differences"][0]["remedy"], "scale");

    // A VM size cannot change in place: refused (4), the difference listed, nothing written,
    // by plan and by apply alike.
    let resized = dev(&env, "resized.yaml", 1, "Standard_D4_v2", "");
    for command in ["plan", "apply"] {
        let (code, text) = env.code(&[command, &resized]);
        assert_eq!(code, 4, "{command}: {text}");
        assert!(
            text.contains(
                "~ create.vm_size Standard_D3_v2 -> Standard_D4_v2 (cannot change in place)"
            ),
            "{command}: {text}"
        );
    }
    let out = env
        .aml(&["--output", "json", "plan", &resized])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let planned: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(planned["specs"][0]["error"]["kind"], "refused", "{planned}");
    assert_eq!(planned["specs"][0]["plan"], serde_json::Value::Null);
    assert_eq!(
        writes(&env),
        written,
        "neither plan nor a refused apply writes"
    );
}

#[test]
fn a_second_apply_after_a_scale_or_an_update_writes_nothing() {
    let env = Env::start("apply-again");
    let one = dev(&env, "one.yaml", 1, "Standard_D3_v2", "");
    env.json(&["apply", &one]);
    let lb = "load_balancer: {type: InternalLoadBalancer, subnet: aks-subnet}\n";
    let changes = [
        ("scale", dev(&env, "three.yaml", 3, "Standard_D3_v2", "")),
        (
            "update",
            dev(&env, "internal.yaml", 3, "Standard_D3_v2", lb),
        ),
    ];
    for (action, path) in changes {
        let out = env.json(&["apply", &path]);
        assert_eq!(out["results"][0]["action"], action, "{out}");
        assert_eq!(out["results"][0]["outcome"], "applied", "{out}");
        let written = writes(&env);
        let out = env.json(&["apply", &path]);
        assert_eq!(out["results"][0]["action"], "none", "{out}");
        assert_eq!(out["results"][0]["outcome"], "up_to_date", "{out}");
        assert_eq!(
            writes(&env),
            written,
            "the apply after the {action} writes nothing"
        );
    }
    let shown = env.json(&["show", "dev"]);
    assert_eq!(shown["agent_count"], 3, "{shown}");
    assert_eq!(shown["load_balancer"]["type"], "InternalLoadBalancer");
}
