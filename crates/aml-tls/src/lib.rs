#![doc = include_str!("../README.md")]

mod base64;
mod bundle;
mod check;
mod error;
mod key;
mod pem;
mod report;
mod secret;
mod x509;

pub use crate::base64::decode_base64;
pub use crate::bundle::CheckedBundle;
pub use crate::check::{check, check_files, check_pem, dns_name_matches};
pub use crate::error::{Error, Result, X509ParseError};
pub use crate::key::{KeyFormat, PrivateKey};
pub use crate::report::{CheckOptions, Code, DEFAULT_EXPIRY_WARNING, Problem, Report, Target};
pub use crate::secret::{RecoveredSecret, SECRET_NAME, recover_secret};
pub use crate::x509::{Certificate, CertificateChain, CertificateInfo, KeyAlgorithm, KeyInfo};

/// Re-exported so callers can build `now` and thresholds without naming `time` themselves.
pub use time::{Duration, OffsetDateTime};
