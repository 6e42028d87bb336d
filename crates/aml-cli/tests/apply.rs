//! `aml apply` of several specs against an emulator on 127.0.0.1: `--dry-run` exits as
//! `aml plan` does, a `create:` spec takes the workspace's region read from ARM, and specs
//! that contradict each other are refused before any request.

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
