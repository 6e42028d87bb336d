//! Certificates: parsing, fingerprints and inspection.

use std::fmt;
use std::path::Path;

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;
use x509_parser::asn1_rs::{Any, FromDer as _, Tag};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_PKCS1_RSASSAPSS, OID_SIG_ED448, OID_SIG_ED25519,
};
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::error::{Error, Result, X509ParseError};
use crate::pem;

/// PEM label of a certificate.
const CERTIFICATE: &str = "CERTIFICATE";

/// One X.509 certificate: its DER, its SHA-256 fingerprint and what it says.
///
/// Built only from DER that parses as X.509, so [`Certificate::info`] is always available.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    der: CertificateDer<'static>,
    sha256: [u8; 32],
    info: CertificateInfo,
}

impl Certificate {
    /// Parses one DER-encoded certificate.
    pub fn from_der(der: impl Into<Vec<u8>>) -> Result<Self> {
        Self::from_der_at(der.into(), 0)
    }

    fn from_der_at(der: Vec<u8>, index: usize) -> Result<Self> {
        let info = {
            let (rest, x509) = X509Certificate::from_der(&der).map_err(|err| {
                let source = match err {
                    x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => e,
                    x509_parser::nom::Err::Incomplete(_) => {
                        x509_parser::error::X509Error::InvalidCertificate
                    }
                };
                Error::Certificate {
                    index,
                    source: X509ParseError::new(source),
                }
            })?;
            if !rest.is_empty() {
                return Err(Error::CertificateTrailingData {
                    index,
                    count: rest.len(),
                });
            }
            CertificateInfo::from_x509(&x509)
        };
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(digest.as_ref());
        Ok(Self {
            der: CertificateDer::from(der),
            sha256,
            info,
        })
    }

    /// The DER encoding.
    pub fn der(&self) -> &CertificateDer<'static> {
        &self.der
    }

    /// The SHA-256 digest of the DER encoding.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }

    /// The SHA-256 fingerprint as tools print it: upper-case hex pairs joined by `:`.
    pub fn sha256_fingerprint(&self) -> String {
        let pairs: Vec<String> = self.sha256.iter().map(|b| format!("{b:02X}")).collect();
        pairs.join(":")
    }

    /// What the certificate says: names, validity, key, issuer.
    pub fn info(&self) -> &CertificateInfo {
        &self.info
    }

    /// The certificate as one PEM block.
    pub fn to_pem(&self) -> String {
        let mut out = String::new();
        pem::encode_public(CERTIFICATE, &self.der, &mut out);
        out
    }

    /// The parsed form, for checks. Parsing succeeded at construction, so this is `Some`.
    pub(crate) fn parsed(&self) -> Option<X509Certificate<'_>> {
        X509Certificate::from_der(&self.der)
            .ok()
            .map(|(_, x509)| x509)
    }
}

/// A certificate chain as served by a TLS endpoint: the leaf first, then each issuer.
///
/// Never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateChain {
    certificates: Vec<Certificate>,
}

impl CertificateChain {
    /// Parses every `CERTIFICATE` block of a PEM text, in order (other blocks are skipped).
    ///
    /// ```
    /// let err = aml_tls::CertificateChain::from_pem(b"no pem here").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "no `-----BEGIN CERTIFICATE-----` block found (the text holds no PEM block)"
    /// );
    /// ```
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let blocks = pem::scan(pem)?;
        let mut certificates = Vec::new();
        for block in blocks.iter().filter(|b| b.label == CERTIFICATE) {
            let der = block.decode()?;
            certificates.push(Certificate::from_der_at(der.to_vec(), certificates.len())?);
        }
        if certificates.is_empty() {
            return Err(Error::NoCertificate {
                found: blocks.iter().map(|b| b.label.to_owned()).collect(),
            });
        }
        Ok(Self { certificates })
    }

    /// Reads and parses a PEM file; every error names the file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_pem(&text).map_err(|err| err.in_file(path))
    }

    /// A chain from certificates already parsed, leaf first.
    pub fn from_certificates(certificates: Vec<Certificate>) -> Result<Self> {
        if certificates.is_empty() {
            return Err(Error::NoCertificate { found: Vec::new() });
        }
        Ok(Self { certificates })
    }

    /// The leaf (end-entity) certificate: the first one.
    pub fn leaf(&self) -> &Certificate {
        &self.certificates[0]
    }

    /// All certificates, leaf first.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// Number of certificates (at least 1).
    #[allow(clippy::len_without_is_empty)] // never empty
    pub fn len(&self) -> usize {
        self.certificates.len()
    }

    /// The whole chain as PEM, leaf first: the form Azure ML's `cert` field and most servers take.
    pub fn to_pem(&self) -> String {
        let mut out = String::new();
        for certificate in &self.certificates {
            pem::encode_public(CERTIFICATE, &certificate.der, &mut out);
        }
        out
    }
}

/// What a certificate says, as people read it.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Subject distinguished name, such as `CN=api.contoso.com, O=Contoso`.
    pub subject: String,
    /// Subject common name (CN), if any. Clients do not use it to match host names.
    pub common_name: Option<String>,
    /// Issuer distinguished name.
    pub issuer: String,
    /// DNS names of the subject alternative name extension, as written (may hold wildcards).
    pub dns_names: Vec<String>,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// The certificate's public key.
    pub key: KeyInfo,
    /// Whether the certificate is issued by itself (same name, and its own key verifies it).
    pub self_signed: bool,
    /// Whether basic constraints mark it as a certificate authority.
    pub is_ca: bool,
    /// Serial number, hex pairs joined by `:`.
    pub serial: String,
}

impl CertificateInfo {
    fn from_x509(x509: &X509Certificate<'_>) -> Self {
        let dns_names = match x509.subject_alternative_name() {
            Ok(Some(san)) => san
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let common_name = x509
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned);
        let self_signed = x509.subject().as_raw() == x509.issuer().as_raw()
            && x509.verify_signature(None).is_ok();
        Self {
            subject: x509.subject().to_string(),
            common_name,
            issuer: x509.issuer().to_string(),
            dns_names,
            not_before: x509.validity().not_before.to_datetime(),
            not_after: x509.validity().not_after.to_datetime(),
            key: KeyInfo::from_spki(x509.public_key()),
            self_signed,
            is_ca: x509.is_ca(),
            serial: x509.raw_serial_as_string(),
        }
    }

    /// A short name for messages: the common name, else the first DNS name, else the subject.
    pub fn display_name(&self) -> &str {
        self.common_name
            .as_deref()
            .or(self.dns_names.first().map(String::as_str))
            .unwrap_or(&self.subject)
    }
}

/// A public key's algorithm and size.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// The algorithm (and curve).
    pub algorithm: KeyAlgorithm,
    /// Size in bits: the RSA modulus, or the curve size.
    pub bits: usize,
}

impl KeyInfo {
    pub(crate) fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Self {
        let oid = &spki.algorithm.algorithm;
        let data: &[u8] = &spki.subject_public_key.data;
        if *oid == OID_PKCS1_RSAENCRYPTION || *oid == OID_PKCS1_RSASSAPSS {
            let bits = rsa_public_parts(data).map_or(0, |(modulus, _)| unsigned_bits(modulus));
            return Self {
                algorithm: KeyAlgorithm::Rsa,
                bits,
            };
        }
        if *oid == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            let (algorithm, bits) = match curve {
                Some(c) if c == OID_EC_P256 => (KeyAlgorithm::EcdsaP256, 256),
                Some(c) if c == OID_NIST_EC_P384 => (KeyAlgorithm::EcdsaP384, 384),
                Some(c) if c == OID_NIST_EC_P521 => (KeyAlgorithm::EcdsaP521, 521),
                other => (
                    KeyAlgorithm::OtherEc {
                        curve: other.map_or_else(String::new, |c| c.to_id_string()),
                    },
                    // Uncompressed point: 0x04 || X || Y.
                    data.len().saturating_sub(1) / 2 * 8,
                ),
            };
            return Self { algorithm, bits };
        }
        if *oid == OID_SIG_ED25519 {
            return Self {
                algorithm: KeyAlgorithm::Ed25519,
                bits: 256,
            };
        }
        if *oid == OID_SIG_ED448 {
            return Self {
                algorithm: KeyAlgorithm::Ed448,
                bits: 456,
            };
        }
        Self {
            algorithm: KeyAlgorithm::Other {
                oid: oid.to_id_string(),
            },
            bits: data.len() * 8,
        }
    }
}

impl fmt::Display for KeyInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.algorithm {
            KeyAlgorithm::Rsa => write!(f, "RSA {} bits", self.bits),
            KeyAlgorithm::EcdsaP256 => f.write_str("ECDSA P-256"),
            KeyAlgorithm::EcdsaP384 => f.write_str("ECDSA P-384"),
            KeyAlgorithm::EcdsaP521 => f.write_str("ECDSA P-521"),
            KeyAlgorithm::OtherEc { curve } => write!(f, "EC curve {curve} ({} bits)", self.bits),
            KeyAlgorithm::Ed25519 => f.write_str("Ed25519"),
            KeyAlgorithm::Ed448 => f.write_str("Ed448"),
            KeyAlgorithm::Other { oid } => write!(f, "algorithm {oid}"),
        }
    }
}

/// Public key algorithms.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// RSA (`rsaEncryption` or `RSASSA-PSS` keys).
    Rsa,
    /// ECDSA on NIST P-256 (secp256r1).
    EcdsaP256,
    /// ECDSA on NIST P-384 (secp384r1).
    EcdsaP384,
    /// ECDSA on NIST P-521 (secp521r1).
    EcdsaP521,
    /// Elliptic curve key on another curve.
    OtherEc {
        /// The curve's object identifier, dotted.
        curve: String,
    },
    /// Ed25519.
    Ed25519,
    /// Ed448.
    Ed448,
    /// Anything else.
    Other {
        /// The algorithm's object identifier, dotted.
        oid: String,
    },
}

/// Whether two SubjectPublicKeyInfo structures hold the same public key.
///
/// RSA keys compare by modulus and exponent (so `rsaEncryption` with or without a NULL parameter,
/// or an RSASSA-PSS identifier, still match); other keys by algorithm, parameters and key bits.
pub(crate) fn same_public_key(a: &SubjectPublicKeyInfo<'_>, b: &SubjectPublicKeyInfo<'_>) -> bool {
    let is_rsa = |s: &SubjectPublicKeyInfo<'_>| {
        s.algorithm.algorithm == OID_PKCS1_RSAENCRYPTION
            || s.algorithm.algorithm == OID_PKCS1_RSASSAPSS
    };
    if is_rsa(a) || is_rsa(b) {
        if !(is_rsa(a) && is_rsa(b)) {
            return false;
        }
        return match (
            rsa_public_parts(&a.subject_public_key.data),
            rsa_public_parts(&b.subject_public_key.data),
        ) {
            (Some((n1, e1)), Some((n2, e2))) => {
                trim_zeros(n1) == trim_zeros(n2) && trim_zeros(e1) == trim_zeros(e2)
            }
            _ => false,
        };
    }
    a.algorithm.algorithm == b.algorithm.algorithm
        && a.algorithm.parameters.as_ref().map(|p| p.data)
            == b.algorithm.parameters.as_ref().map(|p| p.data)
        && a.subject_public_key.data == b.subject_public_key.data
}

/// The modulus and exponent of a DER `RSAPublicKey`.
fn rsa_public_parts(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let items = der_sequence(der)?;
    match items.as_slice() {
        [n, e, ..] if n.tag() == Tag::Integer && e.tag() == Tag::Integer => Some((n.data, e.data)),
        _ => None,
    }
}

/// The elements of a DER SEQUENCE (not recursive).
pub(crate) fn der_sequence(der: &[u8]) -> Option<Vec<Any<'_>>> {
    let (_, sequence) = Any::from_der(der).ok()?;
    if sequence.tag() != Tag::Sequence {
        return None;
    }
    der_items(sequence.data)
}

/// Consecutive DER elements filling `content`.
pub(crate) fn der_items(mut content: &[u8]) -> Option<Vec<Any<'_>>> {
    let mut items = Vec::new();
    while !content.is_empty() {
        let (rest, item) = Any::from_der(content).ok()?;
        items.push(item);
        content = rest;
    }
    Some(items)
}

fn trim_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// Number of significant bits of a big-endian unsigned integer.
pub(crate) fn unsigned_bits(bytes: &[u8]) -> usize {
    let bytes = trim_zeros(bytes);
    match bytes.first() {
        None => 0,
        Some(first) => (bytes.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_bits_ignores_leading_zero_bytes() {
        assert_eq!(unsigned_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(unsigned_bits(&[0x01, 0xff]), 9);
        assert_eq!(unsigned_bits(&[0, 0]), 0);
    }

    #[test]
    fn garbage_der_is_a_certificate_error_not_a_panic() {
        let err = Certificate::from_der(vec![0x30, 0x03, 0x02, 0x01, 0x00]).unwrap_err();
        assert!(
            matches!(err, Error::Certificate { index: 0, .. }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "certificate 0 (0 is the leaf) is not a valid X.509 certificate"
        );
    }

    #[test]
    fn other_blocks_are_listed_when_no_certificate_is_found() {
        let err =
            CertificateChain::from_pem(b"-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n")
                .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("(its PEM blocks are \"PRIVATE KEY\")"),
            "{err}"
        );
    }
}
