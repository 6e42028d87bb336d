//! Recovering TLS material from `kubectl get secret/azuremlfessl` output.

use aml_tls::{CheckOptions, Code, Error, RecoveredSecret, SECRET_NAME, recover_secret};
use base64::Engine as _;

use super::fixtures::{Alg, CNAME, NOW, Spec, TempDir, ca_chain, key_pem, self_signed};

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The certificate (leaf + intermediate) and key of the CA chain, as kubectl prints them.
fn material() -> (String, String) {
    let chain = ca_chain();
    (
        format!("{}{}", chain.leaf, chain.intermediate),
        chain.leaf_key.clone(),
    )
}

fn yaml(cert_b64: &str, key_b64: &str) -> String {
    format!(
        "apiVersion: v1\n\
         data:\n  cert.pem: {cert_b64}\n  key.pem: {key_b64}\n\
         kind: Secret\n\
         metadata:\n  creationTimestamp: \"2030-01-15T08:21:03Z\"\n  name: azuremlfessl\n  \
         namespace: default\n  resourceVersion: \"48213\"\n  \
         uid: 5b7f7c0e-3c5e-4d0a-9a59-0e6f0d8f2b11\n\
         type: Opaque\n"
    )
}

fn json(cert_b64: &str, key_b64: &str) -> String {
    format!(
        "{{\n    \"apiVersion\": \"v1\",\n    \"data\": {{\n        \"cert.pem\": \"{cert_b64}\",\n        \
         \"key.pem\": \"{key_b64}\"\n    }},\n    \"kind\": \"Secret\",\n    \"metadata\": {{\n        \
         \"name\": \"azuremlfessl\",\n        \"namespace\": \"default\"\n    }},\n    \
         \"type\": \"Opaque\"\n}}\n"
    )
}

fn options() -> CheckOptions {
    CheckOptions::new(NOW).with_cname(CNAME)
}

#[test]
fn kubectl_yaml_output_is_recovered_and_checked() {
    let (cert, key) = material();
    let text = yaml(&b64(&cert), &b64(&key));
    let secret = RecoveredSecret::parse(text.as_bytes()).unwrap();
    assert_eq!(secret.name(), Some(SECRET_NAME));
    assert_eq!(secret.namespace(), Some("default"));
    assert_eq!(secret.chain().len(), 2);
    assert!(secret.report(&options()).is_ok());

    let bundle = recover_secret(text.as_bytes(), &options()).unwrap();
    assert_eq!(bundle.cert_chain_pem(), cert);
    assert_eq!(bundle.key_pem().as_str(), key);
}

#[test]
fn kubectl_json_output_is_recovered() {
    let (cert, key) = material();
    let text = json(&b64(&cert), &b64(&key));
    let bundle = recover_secret(text.as_bytes(), &options()).unwrap();
    assert_eq!(bundle.cert_chain_pem(), cert);
}

#[test]
fn string_data_is_accepted() {
    let (cert, key) = material();
    let indent = |text: &str| {
        text.lines()
            .flat_map(|l| ["    ", l, "\n"])
            .collect::<String>()
    };
    let text = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: azuremlfessl\nstringData:\n  \
         cert.pem: |\n{}  key.pem: |\n{}",
        indent(&cert),
        indent(&key)
    );
    let bundle = recover_secret(text.as_bytes(), &options()).unwrap();
    assert_eq!(bundle.cert_chain_pem(), cert);
}

#[test]
fn a_list_from_kubectl_get_secrets_is_searched_for_azuremlfessl() {
    let (cert, key) = material();
    let text = format!(
        "apiVersion: v1\nkind: List\nitems:\n\
         - apiVersion: v1\n  kind: Secret\n  metadata:\n    name: default-token\n  data:\n    token: dG9rZW4=\n\
         - apiVersion: v1\n  kind: Secret\n  metadata:\n    name: azuremlfessl\n  data:\n    \
         cert.pem: {}\n    key.pem: {}\n",
        b64(&cert),
        b64(&key)
    );
    let secret = RecoveredSecret::parse(text.as_bytes()).unwrap();
    assert_eq!(secret.name(), Some("azuremlfessl"));

    let without = "kind: List\nitems:\n- kind: Secret\n  metadata:\n    name: a\n  data: {}\n\
                   - kind: Secret\n  metadata:\n    name: b\n  data: {}\n";
    let err = RecoveredSecret::parse(without.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the List holds no Secret named \"azuremlfessl\" (secrets found: \"a\", \"b\")"
    );
}

#[test]
fn corrupted_base64_names_the_entry_and_the_offset() {
    let (cert, key) = material();
    let mut key_b64 = b64(&key);
    key_b64.replace_range(40..41, "!");
    let err = RecoveredSecret::parse(yaml(&b64(&cert), &key_b64).as_bytes()).unwrap_err();
    assert!(
        matches!(&err, Error::SecretEntry { entry: "key.pem", source }
            if matches!(**source, Error::Base64Character { offset: 40 })),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the secret entry \"key.pem\" is not usable"
    );
    assert!(err.chain_text().ends_with("invalid base64 character at byte offset 40: expected the standard alphabet (A-Z, a-z, 0-9, '+', '/') and '=' padding"));

    let truncated = &b64(&cert)[..101];
    let err = RecoveredSecret::parse(yaml(truncated, &b64(&key)).as_bytes()).unwrap_err();
    assert!(
        matches!(
            err.innermost(),
            Error::Base64Incomplete { significant: 101 }
        ),
        "{err:?}"
    );
}

#[test]
fn missing_entries_name_what_was_expected_and_what_was_found() {
    let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: azuremlfessl\ntype: kubernetes.io/tls\n\
                data:\n  tls.crt: Y2VydA==\n  tls.key: a2V5\n";
    let err = RecoveredSecret::parse(text.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the secret lacks \"cert.pem\", \"key.pem\" in `data` and `stringData` \
         (entries found: \"tls.crt\", \"tls.key\")"
    );

    let (cert, _) = material();
    let only_cert = format!("kind: Secret\ndata:\n  cert.pem: {}\n", b64(&cert));
    let err = RecoveredSecret::parse(only_cert.as_bytes()).unwrap_err();
    assert!(
        matches!(&err, Error::SecretEntryMissing { missing, found }
            if missing == &["key.pem"] && found == &["cert.pem"]),
        "{err:?}"
    );

    let not_string = "kind: Secret\ndata:\n  cert.pem: [1, 2]\n  key.pem: a2V5\n";
    let err = RecoveredSecret::parse(not_string.as_bytes()).unwrap_err();
    assert!(
        matches!(err, Error::SecretEntryNotString { entry: "cert.pem" }),
        "{err:?}"
    );
}

#[test]
fn other_documents_are_refused_with_what_was_found() {
    let err = RecoveredSecret::parse(b"apiVersion: v1\nkind: ConfigMap\ndata: {}\n").unwrap_err();
    assert!(
        err.to_string().ends_with("found kind \"ConfigMap\""),
        "{err}"
    );

    let err = RecoveredSecret::parse(b"- a\n- b\n").unwrap_err();
    assert!(err.to_string().ends_with("found a list"), "{err}");

    let err = RecoveredSecret::parse(b"kind: Secret\ndata: [unclosed\n").unwrap_err();
    assert!(
        matches!(err, Error::SecretSyntax { format: "YAML", .. }),
        "{err:?}"
    );

    let err = RecoveredSecret::parse(b"{\"kind\": \"Secret\",}").unwrap_err();
    assert!(
        matches!(
            err,
            Error::SecretSyntax {
                format: "JSON",
                line: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn an_invalid_entry_names_the_entry() {
    let (cert, _) = material();
    let text = yaml(
        &b64(&cert),
        &b64("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
    );
    let err = RecoveredSecret::parse(text.as_bytes()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::SecretEntry {
                entry: "key.pem",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        matches!(err.innermost(), Error::UnsupportedKey { .. }),
        "{err:?}"
    );
}

#[test]
fn recovered_material_that_fails_a_check_is_rejected_but_can_be_inspected() {
    let cert = self_signed(
        Alg::P256,
        0,
        &Spec {
            not_before: NOW - time::Duration::days(400),
            not_after: NOW - time::Duration::days(5),
            ..Spec::default()
        },
    );
    let text = yaml(&b64(&cert), &b64(&key_pem(Alg::P256, 0)));
    let err = recover_secret(text.as_bytes(), &options()).unwrap_err();
    assert!(
        matches!(&err, Error::Rejected { report } if report.has(Code::Expired)),
        "{err:?}"
    );

    let secret = RecoveredSecret::parse(text.as_bytes()).unwrap();
    assert!(secret.report(&options()).has(Code::Expired));
    let (chain, key) = secret.into_parts();
    assert!(key.matches(chain.leaf()));
}

#[test]
fn a_saved_file_is_read_and_named_in_errors() {
    let dir = TempDir::new("secret");
    let (cert, key) = material();
    let path = dir.0.join("azuremlfessl.yaml");
    std::fs::write(&path, yaml(&b64(&cert), &b64(&key))).unwrap();
    assert!(RecoveredSecret::read(&path).is_ok());

    let bad = dir.0.join("bad.yaml");
    std::fs::write(&bad, "kind: Pod\n").unwrap();
    let err = RecoveredSecret::read(&bad).unwrap_err();
    assert!(err.to_string().contains(&*bad.to_string_lossy()), "{err}");
}
