//! `aml scale` against an emulator on 127.0.0.1: a VM size is refused by the library's rule
//! `scale.vm_size` before anything is sent, and a scale started with `--no-wait` is finished by
//! `aml wait`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/env.rs"]
mod env;

use std::time::Duration;

use aml_emulator::Timings;

use env::{Env, create_devtest};

/// `aml create dev`: one node, DevTest.
fn create_dev(env: &Env) {
    env.json(&create_devtest(&[], "dev", &[]));
}

#[test]
fn a_vm_size_is_refused_with_the_rule_and_the_guides_reason_and_nothing_is_sent() {
    let env = Env::start("scale-vm-size");
    create_dev(&env);
    env.emulator().requests().clear();
    let (code, error) = env.json_failure(&[
        "scale",
        "dev",
        "--node-count",
        "3",
        "--vm-size",
        "Standard_NC6s_v3",
    ]);
    assert_eq!(code, 2, "{error}");
    assert_eq!(error["error"]["kind"], "invalid");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("[scale.vm_size]")
            && message.contains("asked for Standard_NC6s_v3")
            && message.contains("only its node count can")
            && message.contains("create a new cluster (or add a pool in AKS)"),
        "{message}"
    );
    // Also as text, and with --dry-run: the same refusal.
    for extra in [&[][..], &["--dry-run"][..]] {
        let mut args = vec!["scale", "dev", "--vm-size", "Standard_NC6s_v3"];
        args.extend_from_slice(extra);
        let (code, text) = env.code(&args);
        assert_eq!(code, 2, "{args:?}: {text}");
        assert!(text.contains("[scale.vm_size]"), "{text}");
    }
    assert!(
        env.emulator().requests().entries().is_empty(),
        "nothing is sent, not even a read"
    );
    assert_eq!(env.json(&["show", "dev"])["vm_size"], "Standard_D3_v2");
}

#[test]
fn a_scale_started_without_waiting_is_finished_by_aml_wait() {
    // Updates (an agent pool's PUT among them) take ten minutes unless the test ends them.
    let env = Env::start_with("scale-wait", |builder| {
        let mut timings = Timings::uniform(Duration::from_millis(30));
        timings.retry_after = Duration::from_millis(5);
        timings.update = Duration::from_secs(600);
        builder.timings(timings)
    });
    create_dev(&env);
    let started = env.json(&["scale", "dev", "--node-count", "3", "--no-wait"]);
    assert_eq!(started["operation"], "scale", "{started}");
    assert_eq!(started["status"], "started", "{started}");
    let token = started["resume_token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("aml1."), "{token}");
    assert_eq!(env.puts("/agentPools/"), 1);

    // Waiting that stops while the scale runs gives a token that resumes the same scale.
    let (code, error) = env.json_failure(&["--timeout", "300ms", "wait", &token]);
    assert_eq!(code, 6, "{error}");
    let again = error["error"]["resume_token"].as_str().unwrap().to_owned();
    assert_eq!(error["error"]["kind"], "timeout");

    env.emulator().complete_operations();
    let done = env.json(&["wait", &again]);
    assert_eq!(done["operation"], "scale", "{done}");
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(env.puts("/agentPools/"), 1, "wait sends no second PUT");
    assert_eq!(env.json(&["show", "dev"])["agent_count"], 3);
}
