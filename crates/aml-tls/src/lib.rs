#![doc = include_str!("../README.md")]

mod base64;
mod check;
mod error;
mod key;
mod pem;
mod secret;
mod x509;

pub use crate::base64::decode_base64;
pub use crate::check::{
    CheckOptions, CheckedBundle, Code, DEFAULT_EXPIRY_WARNING, MIN_RSA_BITS, Problem, Report,
    Target, check, check_files, check_pem, dns_name_matches,
};
pub use crate::error::{Error, Result};
pub use crate::key::{KeyFormat, PrivateKey};
pub use crate::secret::{CERT_ENTRY, KEY_ENTRY, RecoveredSecret, SECRET_NAME, recover_secret};
pub use crate::x509::{Certificate, CertificateChain, CertificateInfo, KeyAlgorithm, KeyInfo};

/// Re-exported so callers can build `now` and thresholds without naming `time` themselves.
pub use time::{Duration, OffsetDateTime};
