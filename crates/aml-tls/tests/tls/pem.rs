//! Reading PEM certificates and keys as users have them.

use aml_tls::{CertificateChain, Error, PrivateKey};

use super::fixtures::{Alg, Spec, key_pem, pem_der, self_signed};

#[test]
fn a_combined_file_yields_the_chain_and_the_key() {
    let cert = self_signed(Alg::P256, 0, &Spec::default());
    let key = key_pem(Alg::P256, 0);
    let combined = format!("subject=CN = api.contoso.com\n{cert}\n{key}");
    let chain = CertificateChain::from_pem(combined.as_bytes()).unwrap();
    assert_eq!(chain.len(), 1);
    assert_eq!(chain.leaf().der().as_ref(), pem_der(&cert).as_slice());
    let key = PrivateKey::from_pem(combined.as_bytes()).unwrap();
    assert!(key.matches(chain.leaf()));
}

#[test]
fn certificate_der_and_fingerprint_are_exposed() {
    let cert = self_signed(Alg::Ed25519, 0, &Spec::default());
    let chain = CertificateChain::from_pem(cert.as_bytes()).unwrap();
    let der = pem_der(&cert);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
    assert_eq!(chain.leaf().sha256().as_slice(), digest.as_ref());
    let fingerprint = chain.leaf().sha256_fingerprint();
    assert_eq!(fingerprint.split(':').count(), 32);
    assert!(
        fingerprint
            .chars()
            .all(|c| c == ':' || c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
    );
    assert_eq!(chain.leaf().to_pem(), cert);
}

#[test]
fn an_encrypted_pkcs8_key_is_refused_with_advice() {
    let body = key_pem(Alg::P256, 0).replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY");
    let err = PrivateKey::from_pem(body.as_bytes()).unwrap_err();
    assert!(matches!(err, Error::EncryptedPrivateKey), "{err:?}");
    assert!(err.to_string().contains("decrypt it first"));
}

#[test]
fn a_legacy_encrypted_key_is_recognised_by_its_proc_type_header() {
    let key = key_pem(Alg::Rsa2048, 0).replace("PRIVATE KEY", "RSA PRIVATE KEY");
    let encrypted = key.replacen(
        "-----\n",
        "-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,0123456789ABCDEF0123456789ABCDEF\n\n",
        1,
    );
    let err = PrivateKey::from_pem(encrypted.as_bytes()).unwrap_err();
    assert!(matches!(err, Error::EncryptedPrivateKey), "{err:?}");
}

#[test]
fn no_key_and_two_keys_are_clear_errors() {
    let cert = self_signed(Alg::P256, 0, &Spec::default());
    let err = PrivateKey::from_pem(cert.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no private key found: expected one `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY` \
         block (its PEM blocks are \"CERTIFICATE\")"
    );

    let two = format!("{}{}", key_pem(Alg::P256, 0), key_pem(Alg::P256, 1));
    let err = PrivateKey::from_pem(two.as_bytes()).unwrap_err();
    assert!(
        matches!(err, Error::MultiplePrivateKeys { count: 2 }),
        "{err:?}"
    );

    let err = PrivateKey::from_pem(b"").unwrap_err();
    assert!(
        err.to_string().ends_with("(the text holds no PEM block)"),
        "{err}"
    );
}

#[test]
fn a_corrupted_certificate_is_reported_at_its_line_and_column() {
    let cert = self_signed(Alg::P256, 0, &Spec::default());
    let mut lines: Vec<String> = cert.lines().map(str::to_owned).collect();
    lines[3].replace_range(5..6, "%");
    let corrupted = lines.join("\n");
    let err = CertificateChain::from_pem(corrupted.as_bytes()).unwrap_err();
    assert!(
        matches!(&err, Error::PemBase64 { label, line: 4, column: 6 } if label == "CERTIFICATE"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "invalid base64 in PEM block \"CERTIFICATE\" at line 4, column 6"
    );
}

#[test]
fn a_truncated_certificate_is_reported() {
    let cert = self_signed(Alg::P256, 0, &Spec::default());
    // Drop the last body line but keep the END marker: the DER is cut short.
    let mut lines: Vec<&str> = cert.lines().collect();
    let end = lines.len() - 1;
    lines.remove(end - 1);
    let truncated = lines.join("\n");
    let err = CertificateChain::from_pem(truncated.as_bytes()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::PemTruncated { .. } | Error::Certificate { index: 0, .. }
        ),
        "{err:?}"
    );
}

#[test]
fn a_certificate_that_is_not_x509_names_its_position() {
    let cert = self_signed(Alg::P256, 0, &Spec::default());
    let bogus = super::fixtures::pem("CERTIFICATE", b"\x30\x03\x02\x01\x05");
    let err = CertificateChain::from_pem(format!("{cert}{bogus}").as_bytes()).unwrap_err();
    assert!(
        matches!(err, Error::Certificate { index: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn an_unsupported_key_is_refused() {
    // A PKCS#8 structure of an unknown algorithm.
    let der = super::fixtures::der(
        0x30,
        &[
            super::fixtures::der(0x02, &[0]),
            super::fixtures::der(0x30, &super::fixtures::der(0x06, &[0x2b, 0x06, 0x01])),
            super::fixtures::der(0x04, &[1, 2, 3, 4]),
        ]
        .concat(),
    );
    let err =
        PrivateKey::from_pem(super::fixtures::pem("PRIVATE KEY", &der).as_bytes()).unwrap_err();
    assert!(matches!(err, Error::UnsupportedKey { .. }), "{err:?}");
}
