//! Key material never appears in `Debug` output, error messages or reports.

use aml_tls::{CertificateChain, CheckOptions, CheckedBundle, Error, PrivateKey, RecoveredSecret};
use base64::Engine as _;
use zeroize::ZeroizeOnDrop;

use super::fixtures::{ALL, Alg, CNAME, NOW, Spec, key, key_pem, self_signed};

/// Fails if `text` holds any 12-character run of the key's base64 text, or any 6-byte run of its
/// DER in hex or in `Debug` list form (runs that are also in the public key, which certificates
/// legitimately print, excepted).
fn assert_no_key_material(text: &str, alg: Alg, which: usize) {
    use rcgen::PublicKeyData as _;
    let der = key(alg, which).serialize_der();
    let public = key(alg, which).subject_public_key_info();
    let base64: String = key_pem(alg, which)
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let base64 = base64.as_bytes();
    for window in base64.windows(12) {
        let window = std::str::from_utf8(window).unwrap();
        assert!(
            !text.contains(window),
            "base64 key text {window:?} leaked into: {text}"
        );
    }
    let lower = text.to_ascii_lowercase();
    for window in der.windows(6) {
        if public.windows(6).any(|w| w == window) {
            continue;
        }
        let hex: String = window.iter().fold(String::new(), |mut hex, b| {
            use std::fmt::Write as _;
            let _ = write!(hex, "{b:02x}");
            hex
        });
        assert!(
            !lower.contains(&hex),
            "key bytes leaked as hex into: {text}"
        );
        let listed = format!("{window:?}");
        assert!(
            !text.contains(&listed[1..listed.len() - 1]),
            "key bytes leaked into: {text}"
        );
    }
}

#[test]
fn debug_of_a_key_is_redacted() {
    for alg in ALL {
        let key = PrivateKey::from_pem(key_pem(alg, 0).as_bytes()).unwrap();
        let debug = format!("{key:?}");
        assert!(debug.contains("[redacted]"), "{debug}");
        assert_eq!(
            debug,
            format!(
                "PrivateKey {{ format: Pkcs8, key: {}, der: [redacted], .. }}",
                alg.described()
            )
        );
        assert_no_key_material(&debug, alg, 0);
        assert_no_key_material(&format!("{key:#?}"), alg, 0);
    }
}

#[test]
fn debug_of_bundles_and_recovered_secrets_is_redacted() {
    let cert = self_signed(Alg::P256, 0, &Spec::default());
    let bundle = CheckedBundle::from_pem(
        cert.as_bytes(),
        key_pem(Alg::P256, 0).as_bytes(),
        &CheckOptions::new(NOW).with_cname(CNAME),
    )
    .unwrap();
    assert_no_key_material(&format!("{bundle:?}"), Alg::P256, 0);

    let b64 = |t: &str| base64::engine::general_purpose::STANDARD.encode(t);
    let yaml = format!(
        "kind: Secret\ndata:\n  cert.pem: {}\n  key.pem: {}\n",
        b64(&cert),
        b64(&key_pem(Alg::P256, 0))
    );
    let secret = RecoveredSecret::parse(yaml.as_bytes()).unwrap();
    assert_no_key_material(&format!("{secret:?}"), Alg::P256, 0);
}

#[test]
fn keys_are_not_clone_and_are_zeroized_on_drop() {
    // `PrivateKey: ZeroizeOnDrop` is checked at compile time; that it is not `Clone` is checked
    // by the absence of the impl (a `Clone` bound on it would not compile).
    fn zeroized_on_drop<T: ZeroizeOnDrop>() {}
    zeroized_on_drop::<PrivateKey>();
}

/// Inputs that hold a real key and are wrong in some way.
fn broken_inputs(alg: Alg) -> Vec<(String, Vec<u8>)> {
    let key = key_pem(alg, 0);
    let cert = self_signed(alg, 0, &Spec::default());
    let mut lines: Vec<String> = key.lines().map(str::to_owned).collect();
    lines[2].replace_range(10..11, "*");
    let corrupted = lines.join("\n");
    let truncated: String = key
        .lines()
        .take(4)
        .chain(key.lines().last())
        .collect::<Vec<_>>()
        .join("\n");
    let b64 = |t: &str| base64::engine::general_purpose::STANDARD.encode(t);
    let mut key_b64 = b64(&key);
    key_b64.replace_range(30..31, "#");
    vec![
        ("corrupted".to_owned(), corrupted.into_bytes()),
        ("truncated".to_owned(), truncated.into_bytes()),
        ("two keys".to_owned(), format!("{key}{key}").into_bytes()),
        (
            "encrypted".to_owned(),
            key.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY")
                .into_bytes(),
        ),
        (
            "unterminated".to_owned(),
            key.replace("-----END PRIVATE KEY-----", "").into_bytes(),
        ),
        (
            "mismatched end".to_owned(),
            key.replace("END PRIVATE KEY", "END CERTIFICATE")
                .into_bytes(),
        ),
        (
            "malformed marker".to_owned(),
            key.replace("-----BEGIN PRIVATE KEY-----", "-----BEGIN PRIVATE KEY--")
                .into_bytes(),
        ),
        (
            "secret with corrupted key".to_owned(),
            format!(
                "kind: Secret\ndata:\n  cert.pem: {}\n  key.pem: {key_b64}\n",
                b64(&cert)
            )
            .into_bytes(),
        ),
        (
            "secret with data as a string".to_owned(),
            format!("kind: Secret\ndata: {}\n", b64(&key)).into_bytes(),
        ),
        (
            "secret with a list for key.pem".to_owned(),
            format!(
                "kind: Secret\ndata:\n  cert.pem: x\n  key.pem: [{}]\n",
                b64(&key)
            )
            .into_bytes(),
        ),
        (
            "secret with bad yaml".to_owned(),
            format!("kind: Secret\ndata:\n  key.pem: \"{}\n", b64(&key)).into_bytes(),
        ),
        (
            "json secret with bad syntax".to_owned(),
            format!("{{\"data\": {{\"key.pem\": {}}}}}", b64(&key)).into_bytes(),
        ),
        (
            "kind is the key".to_owned(),
            format!("kind: {}\n", b64(&key)).into_bytes(),
        ),
    ]
}

#[test]
fn no_error_message_contains_key_material() {
    for alg in ALL {
        for (case, input) in broken_inputs(alg) {
            let mut errors: Vec<Error> = Vec::new();
            errors.extend(PrivateKey::from_pem(&input).err());
            errors.extend(CertificateChain::from_pem(&input).err());
            errors.extend(RecoveredSecret::parse(&input).err());
            assert!(!errors.is_empty(), "{alg:?} {case}: expected an error");
            for err in &errors {
                let text = format!("{}\n{}\n{err:?}", err.chain_text(), err);
                assert_no_key_material(&text, alg, 0);
            }
        }
    }
}

#[test]
fn reports_and_rejections_contain_no_key_material() {
    for alg in ALL {
        let cert = self_signed(alg, 1, &Spec::default());
        let key = key_pem(alg, 0);
        let err = CheckedBundle::from_pem(
            cert.as_bytes(),
            key.as_bytes(),
            &CheckOptions::new(NOW).with_cname("other.example.com"),
        )
        .unwrap_err();
        let Error::Rejected { report } = &err else {
            panic!("{err:?}");
        };
        assert_no_key_material(&format!("{err}\n{err:?}\n{report}"), alg, 0);
    }
}
