//! Private keys: PKCS#8, PKCS#1 (RSA) and SEC1 (EC), never copied, never printed.

use std::fmt;
use std::path::Path;

use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
use x509_parser::asn1_rs::Tag;
use x509_parser::oid_registry::OID_PKCS1_RSAENCRYPTION;
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::SubjectPublicKeyInfo;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};
use crate::pem;
use crate::x509::{Certificate, KeyInfo, der_items, der_sequence, same_public_key, unsigned_bits};

/// How a private key is encoded.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyFormat {
    /// PKCS#8 / RFC 5958 (`-----BEGIN PRIVATE KEY-----`): any algorithm.
    Pkcs8,
    /// PKCS#1 / RFC 8017 (`-----BEGIN RSA PRIVATE KEY-----`): RSA only.
    Pkcs1,
    /// SEC1 / RFC 5915 (`-----BEGIN EC PRIVATE KEY-----`): elliptic curves only.
    Sec1,
}

impl KeyFormat {
    /// The PEM label of this format.
    pub(crate) const fn pem_label(self) -> &'static str {
        match self {
            Self::Pkcs8 => "PRIVATE KEY",
            Self::Pkcs1 => "RSA PRIVATE KEY",
            Self::Sec1 => "EC PRIVATE KEY",
        }
    }

    /// The format's usual name: `PKCS#8`, `PKCS#1` or `SEC1`.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Pkcs8 => "PKCS#8",
            Self::Pkcs1 => "PKCS#1",
            Self::Sec1 => "SEC1",
        }
    }

    fn from_pem_label(label: &str) -> Option<Self> {
        match label {
            "PRIVATE KEY" => Some(Self::Pkcs8),
            "RSA PRIVATE KEY" => Some(Self::Pkcs1),
            "EC PRIVATE KEY" => Some(Self::Sec1),
            _ => None,
        }
    }
}

impl fmt::Display for KeyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Owns key DER and zeroizes it on drop, whatever path drops it.
struct SecretDer(PrivateKeyDer<'static>);

impl Drop for SecretDer {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// A private key that loads with the crypto provider (RSA 2048 to 8192 bits, ECDSA P-256, P-384,
/// P-521, or Ed25519).
///
/// It is deliberately not `Clone`, its `Debug` output is `[redacted]` for the key itself, and its
/// bytes are zeroized when it is dropped. No error of this crate contains its bytes.
///
/// ```
/// let err = aml_tls::PrivateKey::from_pem(
///     b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
/// )
/// .unwrap_err();
/// assert!(matches!(err, aml_tls::Error::EncryptedPrivateKey));
/// ```
pub struct PrivateKey {
    der: SecretDer,
    /// DER SubjectPublicKeyInfo of the matching public key, as the provider derived it.
    public_key: Vec<u8>,
    info: KeyInfo,
}

impl PrivateKey {
    /// Reads the one private key of a PEM text.
    ///
    /// Other blocks (certificates, `EC PARAMETERS`) are ignored, so a combined PEM file works.
    /// An encrypted key, no key, or more than one key is an error.
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let blocks = pem::scan(pem)?;
        let mut keys = blocks.iter().filter(|b| {
            KeyFormat::from_pem_label(b.label).is_some() || b.label == "ENCRYPTED PRIVATE KEY"
        });
        let Some(block) = keys.next() else {
            return Err(Error::NoPrivateKey {
                found: blocks.iter().map(|b| b.label.to_owned()).collect(),
            });
        };
        let extra = keys.count();
        if extra > 0 {
            return Err(Error::MultiplePrivateKeys { count: extra + 1 });
        }
        let format = match KeyFormat::from_pem_label(block.label) {
            Some(format) if !block.encrypted_header => format,
            _ => return Err(Error::EncryptedPrivateKey),
        };
        let mut decoded = block.decode()?;
        // Moving the Vec out of its zeroizing wrapper keeps the one allocation: no copy is left.
        let bytes = std::mem::take(&mut *decoded);
        let der = match format {
            KeyFormat::Pkcs8 => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(bytes)),
            KeyFormat::Pkcs1 => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(bytes)),
            KeyFormat::Sec1 => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(bytes)),
        };
        Self::from_der(der)
    }

    /// Reads the one private key of a PEM file; every error names the file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = zeroize::Zeroizing::new(std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?);
        Self::from_pem(&text).map_err(|err| err.in_file(path))
    }

    /// Takes ownership of DER key bytes and checks that the crypto provider can use them.
    pub fn from_der(der: PrivateKeyDer<'static>) -> Result<Self> {
        let der = SecretDer(der);
        let signing_key = match rustls::crypto::aws_lc_rs::sign::any_supported_type(&der.0) {
            Ok(key) => key,
            Err(source) => {
                return Err(match rsa_modulus_bits(&der.0) {
                    Some(bits) if bits < 2048 => Error::RsaKeyTooSmall { bits },
                    _ => Error::UnsupportedKey { source },
                });
            }
        };
        let unsupported = || Error::UnsupportedKey {
            source: rustls::Error::General("the provider derived no public key".to_owned()),
        };
        let public_key = signing_key
            .public_key()
            .ok_or_else(unsupported)?
            .as_ref()
            .to_vec();
        let (_, spki) = SubjectPublicKeyInfo::from_der(&public_key).map_err(|_| unsupported())?;
        let info = KeyInfo::from_spki(&spki);
        Ok(Self {
            der,
            public_key,
            info,
        })
    }

    /// How the key was encoded.
    pub fn format(&self) -> KeyFormat {
        match &self.der.0 {
            PrivateKeyDer::Pkcs1(_) => KeyFormat::Pkcs1,
            PrivateKeyDer::Sec1(_) => KeyFormat::Sec1,
            _ => KeyFormat::Pkcs8,
        }
    }

    /// Algorithm and size of the key.
    pub fn info(&self) -> &KeyInfo {
        &self.info
    }

    /// The matching public key, as DER SubjectPublicKeyInfo (not secret).
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_key
    }

    /// Whether this key is the private half of `certificate`'s public key.
    pub fn matches(&self, certificate: &Certificate) -> bool {
        let Some(x509) = certificate.parsed() else {
            return false;
        };
        match SubjectPublicKeyInfo::from_der(&self.public_key) {
            Ok((_, own)) => same_public_key(&own, x509.public_key()),
            Err(_) => false,
        }
    }

    /// The key's DER, for building a TLS configuration in-process (rustls takes this type).
    ///
    /// It is borrowed: copy it only into types that zeroize (such as `PrivateKeyDer` itself,
    /// which rustls drops with the configuration).
    pub fn secret_der(&self) -> &PrivateKeyDer<'static> {
        &self.der.0
    }

    /// The key as PEM in its original format (`PRIVATE KEY`, `RSA PRIVATE KEY` or
    /// `EC PRIVATE KEY`), in a string that is zeroized on drop.
    pub fn to_pem(&self) -> zeroize::Zeroizing<String> {
        pem::encode_secret(self.format().pem_label(), self.der.0.secret_der())
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("format", &self.format())
            .field("key", &format_args!("{}", self.info))
            .field("der", &format_args!("[redacted]"))
            .finish_non_exhaustive()
    }
}

impl ZeroizeOnDrop for PrivateKey {}

/// Modulus size of an RSA key (PKCS#1, or PKCS#8 with `rsaEncryption`), read from the structure
/// alone so that a key the provider refuses can still be described.
fn rsa_modulus_bits(der: &PrivateKeyDer<'_>) -> Option<usize> {
    let pkcs1 = match der {
        PrivateKeyDer::Pkcs1(key) => key.secret_pkcs1_der(),
        PrivateKeyDer::Pkcs8(key) => {
            let items = der_sequence(key.secret_pkcs8_der())?;
            let algorithm = der_items(items.get(1)?.data)?;
            let oid = algorithm.first()?;
            let private_key = items.get(2)?;
            if oid.tag() != Tag::Oid
                || oid.data != OID_PKCS1_RSAENCRYPTION.as_bytes()
                || private_key.tag() != Tag::OctetString
            {
                return None;
            }
            private_key.data
        }
        _ => return None,
    };
    let items = der_sequence(pkcs1)?;
    let modulus = items.get(1).filter(|m| m.tag() == Tag::Integer)?;
    Some(unsigned_bits(modulus.data))
}
