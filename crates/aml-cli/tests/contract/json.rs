//! Every command's JSON has exactly the README's field names.

use super::*;

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

    let started = env.json(&create_devtest(&[], "dev-aks", &["--no-wait"]));
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
