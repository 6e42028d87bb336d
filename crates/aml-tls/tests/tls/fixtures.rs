//! Certificates and keys generated once per test run with rcgen.

use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_ED25519, PKCS_RSA_SHA256, RsaKeySize,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The time every test judges validity at.
pub(crate) const NOW: OffsetDateTime = datetime!(2030-06-01 12:00 UTC);

/// The CNAME the default certificates are issued for.
pub(crate) const CNAME: &str = "api.contoso.com";

/// Key algorithms the issue asks to cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alg {
    Rsa2048,
    Rsa4096,
    P256,
    P384,
    Ed25519,
}

pub(crate) const ALL: [Alg; 5] = [
    Alg::Rsa2048,
    Alg::Rsa4096,
    Alg::P256,
    Alg::P384,
    Alg::Ed25519,
];

impl Alg {
    fn slot(self) -> usize {
        self as usize
    }

    /// The algorithm as `KeyInfo` displays it.
    pub(crate) fn described(self) -> &'static str {
        match self {
            Self::Rsa2048 => "RSA 2048 bits",
            Self::Rsa4096 => "RSA 4096 bits",
            Self::P256 => "ECDSA P-256",
            Self::P384 => "ECDSA P-384",
            Self::Ed25519 => "Ed25519",
        }
    }

    fn generate(self) -> KeyPair {
        match self {
            Self::Rsa2048 => KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048),
            Self::Rsa4096 => KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_4096),
            Self::P256 => KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256),
            Self::P384 => KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384),
            Self::Ed25519 => KeyPair::generate_for(&PKCS_ED25519),
        }
        .unwrap()
    }
}

/// Key number `which` (0 or 1) of `alg`, generated once: two per algorithm, for mismatches.
pub(crate) fn key(alg: Alg, which: usize) -> &'static KeyPair {
    static KEYS: [OnceLock<KeyPair>; 10] = [const { OnceLock::new() }; 10];
    KEYS[alg.slot() * 2 + which].get_or_init(|| alg.generate())
}

/// The PKCS#8 PEM of a key.
pub(crate) fn key_pem(alg: Alg, which: usize) -> String {
    key(alg, which).serialize_pem()
}

/// What a generated certificate says.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    pub(crate) common_name: &'static str,
    pub(crate) dns_names: Vec<&'static str>,
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
    pub(crate) ca: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Self {
            common_name: CNAME,
            dns_names: vec![CNAME],
            not_before: NOW - Duration::days(30),
            not_after: NOW + Duration::days(365),
            ca: false,
        }
    }
}

impl Spec {
    pub(crate) fn params(&self) -> CertificateParams {
        let names: Vec<String> = self.dns_names.iter().map(|s| (*s).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, self.common_name);
        dn.push(DnType::OrganizationName, "Contoso test");
        params.distinguished_name = dn;
        params.not_before = self.not_before;
        params.not_after = self.not_after;
        if self.ca {
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        params
    }
}

/// A self-signed certificate (PEM) for key `which` of `alg`.
pub(crate) fn self_signed(alg: Alg, which: usize, spec: &Spec) -> String {
    spec.params().self_signed(key(alg, which)).unwrap().pem()
}

/// A root CA -> intermediate CA -> leaf chain, each certificate as PEM.
pub(crate) struct Chain {
    pub(crate) root: String,
    pub(crate) intermediate: String,
    pub(crate) leaf: String,
    /// The leaf's key (PKCS#8 PEM).
    pub(crate) leaf_key: String,
}

/// The CA-signed chain: root on P-384, intermediate on RSA-2048, leaf on P-256.
pub(crate) fn ca_chain() -> &'static Chain {
    static CHAIN: OnceLock<Chain> = OnceLock::new();
    CHAIN.get_or_init(|| {
        let root_key = key(Alg::P384, 1);
        let root_params = Spec {
            common_name: "Contoso Test Root CA",
            dns_names: vec![],
            ca: true,
            not_after: NOW + Duration::days(3650),
            ..Spec::default()
        }
        .params();
        let root = root_params.self_signed(root_key).unwrap().pem();
        let root_issuer = Issuer::new(root_params, root_key);

        let intermediate_key = key(Alg::Rsa2048, 1);
        let intermediate_params = Spec {
            common_name: "Contoso Test Issuing CA",
            dns_names: vec![],
            ca: true,
            not_after: NOW + Duration::days(1825),
            ..Spec::default()
        }
        .params();
        let intermediate = intermediate_params
            .signed_by(intermediate_key, &root_issuer)
            .unwrap()
            .pem();
        let intermediate_issuer = Issuer::new(intermediate_params, intermediate_key);

        let leaf_key = key(Alg::P256, 0);
        let leaf = Spec::default()
            .params()
            .signed_by(leaf_key, &intermediate_issuer)
            .unwrap()
            .pem();
        Chain {
            root,
            intermediate,
            leaf,
            leaf_key: leaf_key.serialize_pem(),
        }
    })
}

/// Minimal DER writer for hand-made structures.
pub(crate) fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap());
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | u8::try_from(bytes.len() - skip).unwrap());
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A positive DER INTEGER of `len` bytes with the top bit set (so its size is `len * 8` bits).
pub(crate) fn big_integer(len: usize, fill: u8) -> Vec<u8> {
    let mut value = vec![0u8];
    value.push(0x80 | fill);
    value.extend(std::iter::repeat_n(fill | 1, len - 1));
    der(0x02, &value)
}

/// The DER RSAPublicKey of a 1024-bit modulus (no private key exists for it).
pub(crate) fn rsa1024_public_key() -> Vec<u8> {
    let mut content = big_integer(128, 0x35);
    content.extend(der(0x02, &[0x01, 0x00, 0x01]));
    der(0x30, &content)
}

/// A PKCS#1 RSAPrivateKey structure with a 1024-bit modulus (not a working key).
pub(crate) fn rsa1024_pkcs1_private_key() -> Vec<u8> {
    let mut content = der(0x02, &[0]);
    content.extend(big_integer(128, 0x35));
    content.extend(der(0x02, &[0x01, 0x00, 0x01]));
    content.extend(big_integer(128, 0x11));
    for fill in [0x21, 0x23, 0x25, 0x27, 0x29] {
        content.extend(big_integer(64, fill));
    }
    der(0x30, &content)
}

/// The same structure wrapped as PKCS#8.
pub(crate) fn pkcs8_wrap_rsa(pkcs1: &[u8]) -> Vec<u8> {
    let rsa_encryption = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ];
    let mut algorithm = rsa_encryption.to_vec();
    algorithm.extend([0x05, 0x00]);
    let mut content = der(0x02, &[0]);
    content.extend(der(0x30, &algorithm));
    content.extend(der(0x04, pkcs1));
    der(0x30, &content)
}

/// PEM of arbitrary DER with `label`.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// The DER inside the first PEM block of `text`.
pub(crate) fn pem_der(text: &str) -> Vec<u8> {
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    aml_tls::decode_base64(body.as_bytes()).unwrap().to_vec()
}

/// The inner private key of a PKCS#8 structure: PKCS#1 for RSA, SEC1 (without curve parameters)
/// for EC.
pub(crate) fn pkcs8_inner(pkcs8: &[u8]) -> Vec<u8> {
    use x509_parser::asn1_rs::{Any, FromDer as _};
    let (_, outer) = Any::from_der(pkcs8).unwrap();
    let (rest, _version) = Any::from_der(outer.data).unwrap();
    let (rest, _algorithm) = Any::from_der(rest).unwrap();
    let (_, key) = Any::from_der(rest).unwrap();
    key.data.to_vec()
}

/// A temporary directory for one test, removed on drop.
pub(crate) struct TempDir(pub(crate) std::path::PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("aml-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
