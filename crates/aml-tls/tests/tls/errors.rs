//! Every variant of `aml_tls::Error`, built the way users meet it, follows smithy-rs RFC 0022: a
//! cause is a source, never formatted into the message, and no sentence of the chain repeats.

use std::collections::BTreeSet;

use aml_model::error::repeated_sentence;
use aml_tls::{
    Certificate, CertificateChain, CheckOptions, CheckedBundle, Error, PrivateKey, RecoveredSecret,
    decode_base64,
};
use time::Duration;

use super::fixtures::{
    Alg, CNAME, NOW, Spec, TempDir, key_pem, pem, pem_der, rsa1024_pkcs1_private_key, self_signed,
};

/// The variant's name, from its `Debug` text.
fn variant(error: &Error) -> String {
    format!("{error:?}")
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

fn leaf() -> String {
    self_signed(Alg::P256, 0, &Spec::default())
}

fn secret(data: &str) -> Result<RecoveredSecret, Error> {
    RecoveredSecret::parse(format!("apiVersion: v1\nkind: Secret\ndata:\n{data}").as_bytes())
}

fn b64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// One value of every variant, each with its sources, as the public API produces them.
fn every_error() -> Vec<Error> {
    let dir = TempDir::new("errors");
    let not_pem = dir.0.join("notes.txt");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    let bad_secret = dir.0.join("secret.yaml");
    std::fs::write(
        &bad_secret,
        format!(
            "kind: Secret\ndata:\n  cert.pem: {}\n  key.pem: {}\n",
            b64("-----BEGIN CERTIFICATE-----\naGVsbG8gd\n-----END CERTIFICATE-----\n"),
            b64(&key_pem(Alg::P256, 0)),
        ),
    )
    .unwrap();
    let cert = leaf();
    let key = key_pem(Alg::P256, 0);
    let mut trailing = pem_der(&cert);
    trailing.extend([0, 0]);
    let expired = self_signed(
        Alg::P256,
        0,
        &Spec {
            not_before: NOW - Duration::days(400),
            not_after: NOW - Duration::days(35),
            ..Spec::default()
        },
    );
    let options = CheckOptions::new(NOW).with_cname(CNAME);

    let results: Vec<Result<(), Error>> = vec![
        // Read
        CertificateChain::read(dir.0.join("missing.pem")).map(drop),
        // InFile, around NoCertificate
        CertificateChain::read(&not_pem).map(drop),
        // InFile, around SecretEntry, around PemTruncated
        RecoveredSecret::read(&bad_secret).map(drop),
        // Base64Character
        decode_base64(b"aGVs\nbG*=").map(drop),
        // Base64Incomplete
        decode_base64(b"aGVsbG8gd").map(drop),
        // PemMarker
        CertificateChain::from_pem(b"-----BEGIN CERTIFICATE\naGk=\n").map(drop),
        // PemUnterminated
        CertificateChain::from_pem(b"-----BEGIN CERTIFICATE-----\naGk=\n").map(drop),
        // PemMismatchedEnd
        CertificateChain::from_pem(b"-----BEGIN CERTIFICATE-----\naGk=\n-----END PRIVATE KEY-----\n")
            .map(drop),
        // PemStrayEnd
        CertificateChain::from_pem(b"aGk=\n-----END CERTIFICATE-----\n").map(drop),
        // PemBase64
        CertificateChain::from_pem(b"-----BEGIN CERTIFICATE-----\naGVs$G8=\n-----END CERTIFICATE-----\n")
            .map(drop),
        // PemTruncated
        CertificateChain::from_pem(b"-----BEGIN CERTIFICATE-----\naGVsbG8gd\n-----END CERTIFICATE-----\n")
            .map(drop),
        // NoCertificate
        CertificateChain::from_pem(key.as_bytes()).map(drop),
        // Certificate
        Certificate::from_der(vec![0x30, 0x03, 0x02, 0x01, 0x00]).map(drop),
        // CertificateTrailingData
        Certificate::from_der(trailing).map(drop),
        // NoPrivateKey
        PrivateKey::from_pem(cert.as_bytes()).map(drop),
        // MultiplePrivateKeys
        PrivateKey::from_pem(format!("{key}{}", key_pem(Alg::P384, 0)).as_bytes()).map(drop),
        // EncryptedPrivateKey
        PrivateKey::from_pem(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")
            .map(drop),
        // UnsupportedKey
        PrivateKey::from_pem(pem("PRIVATE KEY", &[0x30, 0x03, 0x02, 0x01, 0x00]).as_bytes()).map(drop),
        // RsaKeyTooSmall
        PrivateKey::from_pem(pem("RSA PRIVATE KEY", &rsa1024_pkcs1_private_key()).as_bytes()).map(drop),
        // SecretSyntax
        RecoveredSecret::parse(b"{\"kind\": \"Secret\", ").map(drop),
        // NotASecret
        RecoveredSecret::parse(b"apiVersion: v1\nkind: ConfigMap\n").map(drop),
        // SecretNotInList
        RecoveredSecret::parse(
            b"kind: List\nitems:\n- kind: Secret\n  metadata: {name: a}\n- kind: Secret\n  metadata: {name: b}\n",
        )
        .map(drop),
        // SecretEntryMissing
        secret(&format!("  cert.pem: {}\n", b64(&cert))).map(drop),
        // SecretEntryNotString
        secret("  cert.pem: 42\n  key.pem: 43\n").map(drop),
        // SecretEntry, around Base64Character
        secret(&format!("  cert.pem: 'not*base64'\n  key.pem: {}\n", b64(&key))).map(drop),
        // Rejected: an expired certificate and a key that is not its own
        CheckedBundle::from_pem(expired.as_bytes(), key_pem(Alg::P384, 0).as_bytes(), &options)
            .map(drop),
        // Rejected: parse failures of both inputs
        CheckedBundle::from_pem(b"no pem", b"", &options).map(drop),
    ];
    results
        .into_iter()
        .map(|result| result.expect_err("every input above is refused"))
        .collect()
}

#[test]
fn every_variant_is_built() {
    let built: BTreeSet<String> = every_error().iter().map(variant).collect();
    let expected: BTreeSet<String> = [
        "Read",
        "InFile",
        "Base64Character",
        "Base64Incomplete",
        "PemMarker",
        "PemUnterminated",
        "PemMismatchedEnd",
        "PemStrayEnd",
        "PemBase64",
        "PemTruncated",
        "NoCertificate",
        "Certificate",
        "CertificateTrailingData",
        "NoPrivateKey",
        "MultiplePrivateKeys",
        "EncryptedPrivateKey",
        "UnsupportedKey",
        "RsaKeyTooSmall",
        "SecretSyntax",
        "NotASecret",
        "SecretNotInList",
        "SecretEntryMissing",
        "SecretEntryNotString",
        "SecretEntry",
        "Rejected",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(built, expected);
}

#[test]
fn no_error_repeats_a_sentence_of_its_chain() {
    for error in every_error() {
        assert_eq!(
            repeated_sentence(&error),
            None,
            "{} repeats itself: {}",
            variant(&error),
            error.chain_text()
        );
    }
}

#[test]
fn no_message_formats_its_source() {
    for error in every_error() {
        let message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            assert!(
                !message.contains(&cause.to_string()),
                "{} formats its source: {message}",
                variant(&error)
            );
            source = cause.source();
        }
    }
}

#[test]
fn wrappers_keep_their_cause_as_the_source() {
    let errors = every_error();
    let wrappers: Vec<&Error> = errors
        .iter()
        .filter(|e| {
            matches!(
                e,
                Error::InFile { .. } | Error::SecretEntry { .. } | Error::Read { .. }
            )
        })
        .collect();
    assert!(wrappers.len() >= 4);
    for error in wrappers {
        assert!(std::error::Error::source(error).is_some(), "{error:?}");
    }
}
