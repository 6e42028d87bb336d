//! Each exit code of the README's table that can be provoked here, with its JSON error.

use super::*;

#[test]
fn exit_1_an_operation_the_service_failed() {
    let env = Env::start("exit1");
    env.emulator().faults().end_next_operations(
        OperationOutcome::failed("InternalServerError", "no capacity"),
        1,
    );
    let (code, error) = env.json_failure(&create_devtest(&[], "dev-aks", &[]));
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
    let (code, error) = env.json_failure(&create_devtest(&["--timeout", "100ms"], "dev-aks", &[]));
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
    env.json(&create_devtest(&[], "dev-aks", &[]));
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
