//! `aml reattach` (without TLS, with a custom certificate, and with one recovered from the
//! cluster's secret) and `aml recover-tls` from a saved `kubectl get secret/azuremlfessl -o
//! yaml`, the binary against an emulator on 127.0.0.1. Certificates and keys are generated at
//! run time with rcgen; no key is committed, and none may be printed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/env.rs"]
mod env;

use env::{Env, PROD, Pair};

const CNAME: &str = "score.contoso.com";

#[test]
fn reattach_without_tls_detaches_then_attaches_the_same_cluster_again() {
    let env = Env::start("reattach");
    env.json(&["attach", "prod-aks", "--cluster-id", PROD]);
    assert_eq!(
        (
            env.puts("/computes/prod-aks"),
            env.deletes("/computes/prod-aks")
        ),
        (1, 0)
    );

    let out = env.json(&["reattach", "prod-aks"]);
    assert_eq!(out["operation"], "re-attach", "{out}");
    assert_eq!(out["name"], "prod-aks");
    assert_eq!(out["status"], "succeeded");
    assert_eq!(out["compute"]["attached"], true, "{out}");
    assert_eq!(out["compute"]["provisioning_state"], "Succeeded");
    assert_eq!(out["compute"]["tls"]["status"], "Disabled", "{out}");
    // one detach, one attach, and the cluster is kept
    assert_eq!(env.deletes("/computes/prod-aks"), 1);
    assert_eq!(env.puts("/computes/prod-aks"), 2);
    assert!(env.emulator().cluster(&PROD.parse().unwrap()).is_some());

    // attached again afterwards, to the same cluster
    let shown = env.json(&["show", "prod-aks"]);
    assert_eq!(shown["attached"], true);
    assert_eq!(
        shown["cluster_id"].as_str().map(str::to_ascii_lowercase),
        Some(PROD.to_ascii_lowercase())
    );

    // a compute that does not exist: 3, nothing detached
    let (code, error) = env.json_failure(&["reattach", "ghost"]);
    assert_eq!(code, 3, "{error}");
    assert_eq!(error["error"]["kind"], "not_found");
    assert_eq!(env.deletes("/computes/"), 1);
}

#[test]
fn reattach_with_a_custom_certificate_turns_tls_on_and_prints_no_key() {
    let env = Env::start("reattach-tls");
    env.json(&["attach", "prod-aks", "--cluster-id", PROD]);
    let pair = Pair::generate(CNAME);
    let cert = env.file("tls/cert.pem", &pair.cert_pem);
    let key = env.file("tls/key.pem", &pair.key_pem);
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());

    // the dry run shows the plan with the key redacted, and sends nothing
    let (code, text) = env.code(&[
        "reattach",
        "prod-aks",
        "--cert-file",
        cert,
        "--key-file",
        key,
        "--cname",
        CNAME,
        "--dry-run",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("DELETE") && text.contains("PUT"), "{text}");
    pair.assert_key_absent(&text);
    assert_eq!(env.deletes("/computes/prod-aks"), 0);

    let out = env
        .aml(&[
            "--output",
            "json",
            "reattach",
            "prod-aks",
            "--cert-file",
            cert,
            "--key-file",
            key,
            "--cname",
            CNAME,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    pair.assert_key_absent(&stdout);
    pair.assert_key_absent(&stderr);
    let out: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(out["operation"], "re-attach");
    assert_eq!(out["status"], "succeeded");
    assert_eq!(out["compute"]["attached"], true, "{out}");
    assert_eq!(out["compute"]["tls"]["status"], "Enabled", "{out}");
    assert_eq!(out["compute"]["tls"]["cname"], CNAME);
    assert_eq!(env.deletes("/computes/prod-aks"), 1);

    let shown = env.json(&["show", "prod-aks"]);
    assert_eq!(shown["attached"], true);
    assert_eq!(shown["tls"]["cname"], CNAME);

    // a certificate for another name is refused before the detach: still attached
    let (code, error) = env.json_failure(&[
        "reattach",
        "prod-aks",
        "--cert-file",
        cert,
        "--key-file",
        key,
        "--cname",
        "other.contoso.com",
    ]);
    assert_eq!(code, 2, "{error}");
    assert_eq!(error["error"]["kind"], "invalid");
    pair.assert_key_absent(&error.to_string());
    assert_eq!(env.deletes("/computes/prod-aks"), 1, "nothing detached");
    assert_eq!(env.json(&["show", "prod-aks"])["attached"], true);
}

#[test]
fn recover_tls_writes_the_checked_pair_from_a_secret_dump_and_never_prints_the_key() {
    use std::os::unix::fs::PermissionsExt as _;

    let env = Env::start("recover");
    let pair = Pair::generate(CNAME);
    let dump = env.file("azuremlfessl.yaml", &pair.secret_dump());
    let dump = dump.to_str().unwrap();
    let out_dir = env.home.join("recovered");

    let out = env
        .aml(&[
            "--output",
            "json",
            "recover-tls",
            dump,
            "--cname",
            CNAME,
            "--out-dir",
            out_dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    pair.assert_key_absent(&stdout);
    pair.assert_key_absent(&stderr);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let cert_file = out_dir.join("cert.pem");
    let key_file = out_dir.join("key.pem");
    assert_eq!(json["cname"], CNAME);
    assert_eq!(json["cert_file"], cert_file.to_str().unwrap());
    assert_eq!(json["key_file"], key_file.to_str().unwrap());
    // the files hold the secret's certificate and key; the key is the owner's only
    assert_eq!(
        std::fs::read_to_string(&cert_file).unwrap().trim(),
        pair.cert_pem.trim()
    );
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap().trim(),
        pair.key_pem.trim()
    );
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // the table output names the files and the next step, and no key either
    let (code, text) = env.code(&[
        "recover-tls",
        dump,
        "--cname",
        CNAME,
        "--out-dir",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("aml reattach NAME --cert-file"), "{text}");
    pair.assert_key_absent(&text);

    // what it wrote re-attaches a compute with TLS
    env.json(&["attach", "prod-aks", "--cluster-id", PROD]);
    let out = env.json(&[
        "reattach",
        "prod-aks",
        "--cert-file",
        cert_file.to_str().unwrap(),
        "--key-file",
        key_file.to_str().unwrap(),
        "--cname",
        CNAME,
    ]);
    assert_eq!(out["compute"]["tls"]["status"], "Enabled", "{out}");
    assert_eq!(out["compute"]["attached"], true);
}

#[test]
fn recover_tls_refuses_a_wrong_name_and_a_missing_dump_without_writing_or_printing_the_key() {
    let env = Env::start("recover-bad");
    let pair = Pair::generate(CNAME);
    let dump = env.file("azuremlfessl.yaml", &pair.secret_dump());
    let out_dir = env.home.join("out");
    let out_dir = out_dir.to_str().unwrap();

    // a certificate that does not cover the name: 2, nothing written
    let out = env
        .aml(&[
            "recover-tls",
            dump.to_str().unwrap(),
            "--cname",
            "other.contoso.com",
            "--out-dir",
            out_dir,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("other.contoso.com"), "{stderr}");
    pair.assert_key_absent(&stderr);
    pair.assert_key_absent(&String::from_utf8_lossy(&out.stdout));
    assert!(!env.home.join("out").exists(), "nothing written");

    // a dump whose key is not the certificate's: 2
    let other = Pair::generate(CNAME);
    let mixed = Pair {
        cert_pem: pair.cert_pem.clone(),
        key_pem: other.key_pem.clone(),
    };
    let mixed_dump = env.file("mixed.yaml", &mixed.secret_dump());
    let (code, error) = env.json_failure(&[
        "recover-tls",
        mixed_dump.to_str().unwrap(),
        "--cname",
        CNAME,
        "--out-dir",
        out_dir,
    ]);
    assert_eq!(code, 2, "{error}");
    other.assert_key_absent(&error.to_string());
    assert!(!env.home.join("out").exists(), "nothing written");

    // no such file: 9
    let missing = env.home.join("missing.yaml");
    let (code, error) = env.json_failure(&[
        "recover-tls",
        missing.to_str().unwrap(),
        "--cname",
        CNAME,
        "--out-dir",
        out_dir,
    ]);
    assert_eq!(code, 9, "{error}");
    assert_eq!(error["error"]["kind"], "io");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("missing.yaml"),
        "{error}"
    );
}
