//! The checks: each has a passing and a failing case, on every algorithm where it applies.

use aml_tls::{
    CertificateChain, CheckOptions, CheckedBundle, Code, Error, KeyAlgorithm, KeyFormat,
    PrivateKey, Report, Target, check, check_files, check_pem,
};
use rcgen::{Issuer, PKCS_RSA_SHA256, PublicKeyData, SignatureAlgorithm};
use time::Duration;

use super::fixtures::{
    ALL, Alg, CNAME, NOW, Spec, TempDir, ca_chain, key, key_pem, pem, pkcs8_wrap_rsa,
    rsa1024_pkcs1_private_key, rsa1024_public_key, self_signed,
};

fn options() -> CheckOptions {
    CheckOptions::new(NOW).with_cname(CNAME)
}

fn codes(problems: &[aml_tls::Problem]) -> Vec<Code> {
    problems.iter().map(|p| p.code).collect()
}

#[test]
fn every_algorithm_passes_with_its_own_key() {
    for alg in ALL {
        let cert = self_signed(alg, 0, &Spec::default());
        let report = check_pem(cert.as_bytes(), key_pem(alg, 0).as_bytes(), &options());
        assert_eq!(report, Report::default(), "{alg:?}: {report}");

        let chain = CertificateChain::from_pem(cert.as_bytes()).unwrap();
        let info = chain.leaf().info();
        assert_eq!(info.key.to_string(), alg.described(), "{alg:?}");
        assert!(info.self_signed, "{alg:?}");
        assert_eq!(info.common_name.as_deref(), Some(CNAME));
        assert_eq!(info.dns_names, [CNAME]);
        assert_eq!(info.not_after, NOW + Duration::days(365));
        let key = PrivateKey::from_pem(key_pem(alg, 0).as_bytes()).unwrap();
        assert_eq!(key.info(), &info.key, "{alg:?}");
        assert_eq!(key.format(), KeyFormat::Pkcs8);
        assert!(key.matches(chain.leaf()));
    }
}

#[test]
fn every_algorithm_reports_a_key_from_another_pair() {
    for alg in ALL {
        let cert = self_signed(alg, 0, &Spec::default());
        let report = check_pem(cert.as_bytes(), key_pem(alg, 1).as_bytes(), &options());
        assert_eq!(
            codes(&report.errors),
            [Code::KeyMismatch],
            "{alg:?}: {report}"
        );
        assert_eq!(report.errors[0].target, Target::Key);
        assert!(
            report.errors[0]
                .message
                .contains("use the key that was generated with this certificate"),
            "{report}"
        );
    }
}

#[test]
fn a_key_of_another_algorithm_is_a_mismatch_naming_both() {
    let cert = self_signed(Alg::Rsa2048, 0, &Spec::default());
    let report = check_pem(
        cert.as_bytes(),
        key_pem(Alg::P256, 0).as_bytes(),
        &options(),
    );
    assert_eq!(codes(&report.errors), [Code::KeyMismatch]);
    let message = &report.errors[0].message;
    assert!(message.contains("(ECDSA P-256)"), "{message}");
    assert!(message.contains("(RSA 2048 bits)"), "{message}");
}

#[test]
fn pkcs1_rsa_and_sec1_ec_keys_are_read_and_keep_their_format() {
    let pkcs8 = key(Alg::Rsa2048, 0).serialize_der();
    let pkcs1 = pem("RSA PRIVATE KEY", &super::fixtures::pkcs8_inner(&pkcs8));
    let key = PrivateKey::from_pem(pkcs1.as_bytes()).unwrap();
    assert_eq!(key.format(), KeyFormat::Pkcs1);
    assert!(
        key.to_pem()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----\n")
    );
    let cert = self_signed(Alg::Rsa2048, 0, &Spec::default());
    assert!(check_pem(cert.as_bytes(), pkcs1.as_bytes(), &options()).is_ok());

    for (alg, signing) in [
        (
            Alg::P256,
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        ),
        (
            Alg::P384,
            &aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        ),
    ] {
        use aws_lc_rs::encoding::AsDer as _;
        let pair = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
            signing,
            &super::fixtures::key(alg, 0).serialize_der(),
        )
        .unwrap();
        let sec1_der = pair.private_key().as_der().unwrap();
        let sec1 = pem("EC PRIVATE KEY", sec1_der.as_ref());
        let key = PrivateKey::from_pem(sec1.as_bytes()).unwrap();
        assert_eq!(key.format(), KeyFormat::Sec1);
        let cert = self_signed(alg, 0, &Spec::default());
        let report = check_pem(cert.as_bytes(), sec1.as_bytes(), &options());
        assert!(report.is_ok(), "{alg:?}: {report}");
    }
}

#[test]
fn no_dns_san_is_an_error_even_when_the_common_name_matches() {
    let spec = Spec {
        dns_names: vec![],
        ..Spec::default()
    };
    let cert = self_signed(Alg::P256, 0, &spec);
    let report = check_pem(
        cert.as_bytes(),
        key_pem(Alg::P256, 0).as_bytes(),
        &options(),
    );
    assert_eq!(codes(&report.errors), [Code::NoDnsName], "{report}");
    assert_eq!(report.errors[0].target, Target::Certificate(0));
    assert!(
        report.errors[0]
            .message
            .contains("\"api.contoso.com\" is ignored by clients")
    );

    // Also without a CNAME to compare: a certificate without DNS names serves no host.
    let report = check_pem(
        cert.as_bytes(),
        key_pem(Alg::P256, 0).as_bytes(),
        &CheckOptions::new(NOW),
    );
    assert_eq!(codes(&report.errors), [Code::NoDnsName]);
}

#[test]
fn wildcard_san_covers_exactly_one_left_most_label() {
    let spec = Spec {
        common_name: "*.contoso.com",
        dns_names: vec!["*.contoso.com"],
        ..Spec::default()
    };
    let cert = self_signed(Alg::P256, 0, &spec);
    let key = key_pem(Alg::P256, 0);
    for (cname, covered) in [
        ("api.contoso.com", true),
        ("API.Contoso.com.", true),
        ("contoso.com", false),
        ("a.api.contoso.com", false),
        ("api.fabrikam.com", false),
    ] {
        let report = check_pem(
            cert.as_bytes(),
            key.as_bytes(),
            &CheckOptions::new(NOW).with_cname(cname),
        );
        if covered {
            assert!(report.is_ok(), "{cname}: {report}");
        } else {
            assert_eq!(codes(&report.errors), [Code::CnameNotCovered], "{cname}");
            assert_eq!(report.errors[0].target, Target::Cname);
            assert!(report.errors[0].message.contains("\"*.contoso.com\""));
        }
    }
}

#[test]
fn a_cname_missing_from_the_sans_is_an_error() {
    let cert = self_signed(Alg::Ed25519, 0, &Spec::default());
    let report = check_pem(
        cert.as_bytes(),
        key_pem(Alg::Ed25519, 0).as_bytes(),
        &CheckOptions::new(NOW).with_cname("scoring.fabrikam.com"),
    );
    assert_eq!(codes(&report.errors), [Code::CnameNotCovered], "{report}");
}

#[test]
fn validity_is_judged_at_the_time_passed_in() {
    let key = key_pem(Alg::P256, 0);
    let expired = self_signed(
        Alg::P256,
        0,
        &Spec {
            not_before: NOW - Duration::days(400),
            not_after: NOW - Duration::days(1),
            ..Spec::default()
        },
    );
    let report = check_pem(expired.as_bytes(), key.as_bytes(), &options());
    assert_eq!(codes(&report.errors), [Code::Expired], "{report}");
    assert!(
        report.errors[0]
            .message
            .contains("expired at 2030-05-31T12:00:00Z")
    );

    let future = self_signed(
        Alg::P256,
        0,
        &Spec {
            not_before: NOW + Duration::days(2),
            not_after: NOW + Duration::days(400),
            ..Spec::default()
        },
    );
    let report = check_pem(future.as_bytes(), key.as_bytes(), &options());
    assert_eq!(codes(&report.errors), [Code::NotYetValid], "{report}");

    // The same certificates are fine at another `now`.
    let earlier = CheckOptions::new(NOW - Duration::days(10)).with_cname(CNAME);
    assert!(check_pem(expired.as_bytes(), key.as_bytes(), &earlier).is_ok());
    let later = CheckOptions::new(NOW + Duration::days(10)).with_cname(CNAME);
    assert!(check_pem(future.as_bytes(), key.as_bytes(), &later).is_ok());
}

#[test]
fn expiring_within_the_threshold_is_a_warning_and_the_threshold_is_configurable() {
    let key = key_pem(Alg::P384, 0);
    let cert = self_signed(
        Alg::P384,
        0,
        &Spec {
            not_after: NOW + Duration::days(10),
            ..Spec::default()
        },
    );
    let report = check_pem(cert.as_bytes(), key.as_bytes(), &options());
    assert!(report.is_ok(), "{report}");
    assert_eq!(codes(&report.warnings), [Code::ExpiresSoon]);
    assert!(report.warnings[0].message.contains("(10 days from now)"));

    let relaxed = options().with_expiry_warning(Duration::days(7));
    assert_eq!(
        check_pem(cert.as_bytes(), key.as_bytes(), &relaxed),
        Report::default()
    );
}

#[test]
fn a_ca_signed_chain_in_order_passes() {
    let chain = ca_chain();
    let pem = format!("{}{}{}", chain.leaf, chain.intermediate, chain.root);
    let report = check_pem(pem.as_bytes(), chain.leaf_key.as_bytes(), &options());
    assert_eq!(report, Report::default(), "{report}");

    let parsed = CertificateChain::from_pem(pem.as_bytes()).unwrap();
    assert_eq!(parsed.len(), 3);
    let [leaf, intermediate, root] = parsed.certificates() else {
        panic!("three certificates expected");
    };
    assert!(!leaf.info().self_signed && !leaf.info().is_ca);
    assert_eq!(leaf.info().issuer, intermediate.info().subject);
    assert!(intermediate.info().is_ca && !intermediate.info().self_signed);
    assert_eq!(intermediate.info().key.algorithm, KeyAlgorithm::Rsa);
    assert!(root.info().is_ca && root.info().self_signed);
    assert_eq!(root.info().key.algorithm, KeyAlgorithm::EcdsaP384);
    assert_eq!(leaf.sha256_fingerprint().len(), 32 * 3 - 1);
}

#[test]
fn a_misordered_chain_is_a_warning_naming_the_real_issuer() {
    let chain = ca_chain();
    let pem = format!("{}{}{}", chain.leaf, chain.root, chain.intermediate);
    let report = check_pem(pem.as_bytes(), chain.leaf_key.as_bytes(), &options());
    assert!(report.is_ok(), "{report}");
    assert_eq!(
        codes(&report.warnings),
        [Code::ChainOrder, Code::ChainOrder],
        "{report}"
    );
    assert_eq!(report.warnings[0].target, Target::Certificate(1));
    assert!(
        report.warnings[0]
            .message
            .contains("certificates[0] (\"api.contoso.com\") is issued by certificates[2]"),
        "{report}"
    );
    assert!(
        report.warnings[1]
            .message
            .contains("certificates[1] (\"Contoso Test Root CA\") is self-signed"),
        "{report}"
    );
}

#[test]
fn an_unrelated_certificate_in_the_chain_is_a_warning() {
    let chain = ca_chain();
    let stranger = self_signed(
        Alg::Ed25519,
        1,
        &Spec {
            common_name: "Fabrikam Root",
            ca: true,
            ..Spec::default()
        },
    );
    let pem = format!("{}{stranger}", chain.leaf);
    let report = check_pem(pem.as_bytes(), chain.leaf_key.as_bytes(), &options());
    assert!(report.is_ok(), "{report}");
    assert_eq!(codes(&report.warnings), [Code::ChainOrder]);
    assert!(
        report.warnings[0]
            .message
            .contains("did not issue certificates[0]")
    );
}

#[test]
fn a_chain_starting_with_its_ca_says_which_certificate_matches_the_key() {
    let chain = ca_chain();
    let pem = format!("{}{}", chain.intermediate, chain.leaf);
    let report = check_pem(pem.as_bytes(), chain.leaf_key.as_bytes(), &options());
    assert!(report.has(Code::KeyMismatch), "{report}");
    assert!(
        report
            .errors
            .iter()
            .any(|p| p.message.contains("it matches certificates[1]"))
    );
    assert!(report.has(Code::ChainOrder));
}

/// A public key without a private half, to put a 1024-bit RSA key in a certificate.
struct RawRsaPublicKey(Vec<u8>);

impl PublicKeyData for RawRsaPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_RSA_SHA256
    }
}

#[test]
fn rsa_under_2048_bits_is_an_error_for_certificates_and_keys() {
    let ca_params = Spec {
        common_name: "Contoso Test CA",
        dns_names: vec![],
        ca: true,
        ..Spec::default()
    }
    .params();
    let ca_key = key(Alg::P256, 1);
    let issuer = Issuer::new(ca_params, ca_key);
    let weak = Spec::default()
        .params()
        .signed_by(&RawRsaPublicKey(rsa1024_public_key()), &issuer)
        .unwrap()
        .pem();
    let chain = CertificateChain::from_pem(weak.as_bytes()).unwrap();
    assert_eq!(chain.leaf().info().key.to_string(), "RSA 1024 bits");

    for key_pem in [
        pem("RSA PRIVATE KEY", &rsa1024_pkcs1_private_key()),
        pem("PRIVATE KEY", &pkcs8_wrap_rsa(&rsa1024_pkcs1_private_key())),
    ] {
        let err = PrivateKey::from_pem(key_pem.as_bytes()).unwrap_err();
        assert!(
            matches!(err, Error::RsaKeyTooSmall { bits: 1024 }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "the RSA private key has 1024 bits; use at least 2048"
        );

        let report = check_pem(weak.as_bytes(), key_pem.as_bytes(), &options());
        let found: Vec<(Target, Code)> = report.errors.iter().map(|p| (p.target, p.code)).collect();
        assert_eq!(
            found,
            [
                (Target::Key, Code::KeyTooSmall),
                (Target::Certificate(0), Code::KeyTooSmall)
            ],
            "{report}"
        );
    }

    // 2048 bits is enough.
    let cert = self_signed(Alg::Rsa2048, 0, &Spec::default());
    assert!(
        check_pem(
            cert.as_bytes(),
            key_pem(Alg::Rsa2048, 0).as_bytes(),
            &options()
        )
        .is_ok()
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let cert = self_signed(
        Alg::P256,
        0,
        &Spec {
            not_after: NOW - Duration::days(3),
            not_before: NOW - Duration::days(90),
            ..Spec::default()
        },
    );
    let report = check_pem(
        cert.as_bytes(),
        key_pem(Alg::P256, 1).as_bytes(),
        &CheckOptions::new(NOW).with_cname("www.fabrikam.com"),
    );
    let mut found = codes(&report.errors);
    found.sort_by_key(|c| c.as_str());
    assert_eq!(
        found,
        [Code::CnameNotCovered, Code::Expired, Code::KeyMismatch]
    );

    let err = CheckedBundle::from_pem(
        cert.as_bytes(),
        key_pem(Alg::P256, 1).as_bytes(),
        &CheckOptions::new(NOW).with_cname("www.fabrikam.com"),
    )
    .unwrap_err();
    let Error::Rejected { report: rejected } = &err else {
        panic!("expected Rejected, got {err:?}");
    };
    assert_eq!(rejected.errors.len(), 3);
    assert!(
        err.to_string()
            .starts_with("the certificate and key failed 3 check(s): ")
    );
}

#[test]
fn unreadable_inputs_are_problems_next_to_the_other_checks() {
    let cert = self_signed(
        Alg::P256,
        0,
        &Spec {
            dns_names: vec![],
            ..Spec::default()
        },
    );
    let report = check_pem(cert.as_bytes(), b"not a key", &options());
    let found: Vec<(Target, Code)> = report.errors.iter().map(|p| (p.target, p.code)).collect();
    assert_eq!(
        found,
        [
            (Target::Key, Code::Unreadable),
            (Target::Certificate(0), Code::NoDnsName)
        ]
    );
    assert!(report.errors[0].message.starts_with("no private key found"));
}

#[test]
fn the_checked_bundle_hands_pem_to_the_layer_above() {
    let chain = ca_chain();
    let pem = format!("{}{}", chain.leaf, chain.intermediate);
    let bundle =
        CheckedBundle::from_pem(pem.as_bytes(), chain.leaf_key.as_bytes(), &options()).unwrap();
    assert_eq!(bundle.cname(), Some(CNAME));
    assert!(bundle.warnings().is_empty());

    let chain_pem = bundle.cert_chain_pem();
    let reparsed = CertificateChain::from_pem(chain_pem.as_bytes()).unwrap();
    assert_eq!(&reparsed, bundle.chain());
    assert_eq!(reparsed.leaf(), bundle.leaf());

    let key_pem = bundle.key_pem();
    let key = PrivateKey::from_pem(key_pem.as_bytes()).unwrap();
    assert_eq!(key.public_key_der(), bundle.key().public_key_der());
    // rcgen and this crate write the same canonical PKCS#8 PEM.
    assert_eq!(key_pem.as_str(), chain.leaf_key);

    let (cert_text, key_text) = bundle.into_pem();
    assert_eq!(cert_text, chain_pem);
    assert_eq!(*key_text, *key_pem);
}

#[test]
fn files_are_read_and_named_in_every_error() {
    let dir = TempDir::new("files");
    let cert_path = dir.0.join("cert.pem");
    let key_path = dir.0.join("key.pem");
    std::fs::write(&cert_path, self_signed(Alg::P256, 0, &Spec::default())).unwrap();
    std::fs::write(&key_path, key_pem(Alg::P256, 0)).unwrap();
    assert!(check_files(&cert_path, &key_path, &options()).is_ok());
    assert!(CheckedBundle::read(&cert_path, &key_path, &options()).is_ok());

    let missing = dir.0.join("missing.pem");
    let report = check_files(&missing, &cert_path, &options());
    assert_eq!(report.errors.len(), 2, "{report}");
    assert!(
        report.errors[0]
            .message
            .contains(&*missing.to_string_lossy())
    );
    // The certificate file holds no key: that error names the file too.
    assert!(
        report.errors[1]
            .message
            .contains(&*cert_path.to_string_lossy())
    );
    assert!(report.errors[1].message.contains("no private key found"));

    let err = PrivateKey::read(&cert_path).unwrap_err();
    assert!(matches!(err, Error::InFile { .. }));
    assert!(err.to_string().contains(&*cert_path.to_string_lossy()));
    assert!(matches!(err.innermost(), Error::NoPrivateKey { found } if found == &["CERTIFICATE"]));
}

#[test]
fn checks_run_on_already_parsed_material() {
    let cert = self_signed(Alg::Rsa4096, 0, &Spec::default());
    let chain = CertificateChain::from_pem(cert.as_bytes()).unwrap();
    let key = PrivateKey::from_pem(key_pem(Alg::Rsa4096, 0).as_bytes()).unwrap();
    assert!(check(&chain, &key, &options()).is_ok());
    let bundle = CheckedBundle::new(chain, key, &options()).unwrap();
    let (chain, key) = bundle.into_parts();
    assert!(key.matches(chain.leaf()));
}
