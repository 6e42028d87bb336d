//! aml-tls benchmarks: parsing and fully checking a certificate + key pair before upload.
//!
//! ```text
//! cargo bench -p aml-benches --bench tls -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Target: a full check (PEM parse of both files, key load and key/certificate match, SAN and
//! CNAME, validity, chain order) of an RSA-2048 pair under 1 ms median. The same run measures
//! the certificate parse and the key load alone, the two parts the full check is made of, so the
//! cost of the checks themselves can be read off. Inputs are generated once at start-up with
//! rcgen (self-signed leaf with one DNS name, validity judged at a fixed time); nothing touches
//! the network.

// Benchmarks fail loudly on broken fixtures.
#![allow(clippy::expect_used)]

use std::hint::black_box;

use aml_tls::{CertificateChain, CheckOptions, CheckedBundle, OffsetDateTime, PrivateKey};
use criterion::{Criterion, criterion_group, criterion_main};
use rcgen::{
    CertificateParams, KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256, RsaKeySize, date_time_ymd,
};

const CNAME: &str = "api.contoso.com";

/// A self-signed certificate and its PKCS#8 key, both PEM.
fn pair(key: &KeyPair) -> (String, String) {
    let mut params = CertificateParams::new(vec![CNAME.to_owned()]).expect("valid name");
    params.not_before = date_time_ymd(2029, 1, 1);
    params.not_after = date_time_ymd(2031, 1, 1);
    let cert = params.self_signed(key).expect("self-signed certificate");
    (cert.pem(), key.serialize_pem())
}

fn options() -> CheckOptions {
    let now = OffsetDateTime::from_unix_timestamp(1_906_000_000).expect("valid time"); // 2030-05
    CheckOptions::new(now).with_cname(CNAME)
}

fn bench_pair(c: &mut Criterion, name: &str, key: &KeyPair) {
    let (cert, key) = pair(key);
    let options = options();
    // The inputs pass: the benchmark measures the path users take with good material.
    let bundle = CheckedBundle::from_pem(cert.as_bytes(), key.as_bytes(), &options)
        .expect("generated pair passes every check");
    assert!(bundle.warnings().is_empty());

    let mut group = c.benchmark_group(format!("tls/{name}"));
    group.bench_function("parse_and_check", |b| {
        b.iter(|| {
            CheckedBundle::from_pem(
                black_box(cert.as_bytes()),
                black_box(key.as_bytes()),
                &options,
            )
        });
    });
    group.bench_function("certificate_parse_only", |b| {
        b.iter(|| CertificateChain::from_pem(black_box(cert.as_bytes())));
    });
    group.bench_function("key_load_only", |b| {
        b.iter(|| PrivateKey::from_pem(black_box(key.as_bytes())));
    });
    group.finish();
}

fn rsa2048(c: &mut Criterion) {
    let key = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048).expect("RSA key");
    bench_pair(c, "rsa2048", &key);
}

fn p256(c: &mut Criterion) {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("P-256 key");
    bench_pair(c, "p256", &key);
}

criterion_group!(benches, rsa2048, p256);
criterion_main!(benches);
