//! What the checks report: [`CheckOptions`] in, a [`Report`] of [`Problem`]s out, each with a
//! [`Target`] and a stable [`Code`].

use std::fmt;

use time::{Duration, OffsetDateTime};

use crate::error::Error;

/// How close to expiry a certificate draws a warning unless told otherwise: 30 days.
pub const DEFAULT_EXPIRY_WARNING: Duration = Duration::days(30);

/// What the checks need to know beyond the material itself.
///
/// There is no `Default`: the time is always passed in, so checks are reproducible and this crate
/// never reads a clock.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    /// The time at which validity is judged.
    pub now: OffsetDateTime,
    /// The host name clients will use (the CNAME of a custom-certificate TLS configuration); when
    /// set, a DNS name of the leaf certificate must cover it.
    pub cname: Option<String>,
    /// A certificate that expires sooner than this after `now` draws a warning.
    pub expiry_warning: Duration,
}

impl CheckOptions {
    /// Options judging validity at `now`, with no CNAME and the default 30-day expiry warning.
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            now,
            cname: None,
            expiry_warning: DEFAULT_EXPIRY_WARNING,
        }
    }

    /// Also checks that a DNS name of the leaf certificate covers `cname`.
    #[must_use]
    pub fn with_cname(mut self, cname: impl Into<String>) -> Self {
        self.cname = Some(cname.into());
        self
    }

    /// Warns about certificates expiring within `threshold` of `now`.
    #[must_use]
    pub fn with_expiry_warning(mut self, threshold: Duration) -> Self {
        self.expiry_warning = threshold;
        self
    }
}

/// What a problem is about.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// The certificate input as a whole (a file or PEM text).
    Chain,
    /// One certificate of the chain: 0 is the leaf.
    Certificate(usize),
    /// The private key.
    Key,
    /// The CNAME given in [`CheckOptions::cname`].
    Cname,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Chain => f.write_str("certificates"),
            Self::Certificate(index) => write!(f, "certificates[{index}]"),
            Self::Key => f.write_str("key"),
            Self::Cname => f.write_str("cname"),
        }
    }
}

/// Stable, machine-readable problem codes.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// The material could not be read or parsed (`tls.unreadable`).
    Unreadable,
    /// The private key is encrypted (`tls.key_encrypted`).
    KeyEncrypted,
    /// The private key's algorithm is not usable (`tls.key_unsupported`).
    KeyUnsupported,
    /// An RSA key is under 2048 bits (`tls.key_too_small`).
    KeyTooSmall,
    /// The private key is not the leaf certificate's (`tls.key_mismatch`).
    KeyMismatch,
    /// The leaf certificate has no DNS subject alternative name (`tls.no_san`).
    NoDnsName,
    /// No DNS name of the leaf certificate covers the CNAME (`tls.cname_mismatch`).
    CnameNotCovered,
    /// A certificate is not valid yet (`tls.not_yet_valid`).
    NotYetValid,
    /// A certificate has expired (`tls.expired`).
    Expired,
    /// A certificate expires within the warning threshold (`tls.expires_soon`).
    ExpiresSoon,
    /// The chain is misordered or holds an unrelated certificate (`tls.chain_order`).
    ChainOrder,
}

impl Code {
    /// Every code, in the order of the rule catalogue (`docs/rules.md`).
    pub const ALL: &'static [Code] = &[
        Self::Unreadable,
        Self::KeyEncrypted,
        Self::KeyUnsupported,
        Self::KeyTooSmall,
        Self::KeyMismatch,
        Self::NoDnsName,
        Self::CnameNotCovered,
        Self::NotYetValid,
        Self::Expired,
        Self::ExpiresSoon,
        Self::ChainOrder,
    ];

    /// The code as a string, such as `tls.key_mismatch`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unreadable => "tls.unreadable",
            Self::KeyEncrypted => "tls.key_encrypted",
            Self::KeyUnsupported => "tls.key_unsupported",
            Self::KeyTooSmall => "tls.key_too_small",
            Self::KeyMismatch => "tls.key_mismatch",
            Self::NoDnsName => "tls.no_san",
            Self::CnameNotCovered => "tls.cname_mismatch",
            Self::NotYetValid => "tls.not_yet_valid",
            Self::Expired => "tls.expired",
            Self::ExpiresSoon => "tls.expires_soon",
            Self::ChainOrder => "tls.chain_order",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem: what it is about, a stable code, and a sentence saying what to do.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What the problem is about.
    pub target: Target,
    /// Stable code.
    pub code: Code,
    /// What is wrong and what to do. Never contains key material.
    pub message: String,
}

impl Problem {
    fn new(target: Target, code: Code, message: impl Into<String>) -> Self {
        Self {
            target,
            code,
            message: message.into(),
        }
    }

    /// A problem describing a reading or parsing error.
    pub(crate) fn from_error(target: Target, error: &Error) -> Self {
        let (target, code) = match error.innermost() {
            Error::RsaKeyTooSmall { .. } => (target, Code::KeyTooSmall),
            Error::EncryptedPrivateKey => (target, Code::KeyEncrypted),
            Error::UnsupportedKey { .. } => (target, Code::KeyUnsupported),
            Error::Certificate { index, .. } | Error::CertificateTrailingData { index, .. } => {
                (Target::Certificate(*index), Code::Unreadable)
            }
            _ => (target, Code::Unreadable),
        };
        Self::new(target, code, error.chain_text())
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}]", self.target, self.message, self.code)
    }
}

/// Every problem found, errors (which block use) apart from warnings (advice).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Problems that make the material unusable.
    pub errors: Vec<Problem>,
    /// Advice that does not block.
    pub warnings: Vec<Problem>,
}

impl Report {
    /// Whether there is no error (warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// Whether a problem with `code` was reported, as an error or a warning.
    pub fn has(&self, code: Code) -> bool {
        self.errors
            .iter()
            .chain(&self.warnings)
            .any(|p| p.code == code)
    }

    pub(crate) fn error(&mut self, target: Target, code: Code, message: impl Into<String>) {
        self.errors.push(Problem::new(target, code, message));
    }

    pub(crate) fn warning(&mut self, target: Target, code: Code, message: impl Into<String>) {
        self.warnings.push(Problem::new(target, code, message));
    }

    /// The errors on one line, `; `-separated.
    pub(crate) fn summary(&self) -> String {
        let lines: Vec<String> = self.errors.iter().map(ToString::to_string).collect();
        lines.join("; ")
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.errors.is_empty() && self.warnings.is_empty() {
            return f.write_str("no problems");
        }
        for problem in &self.errors {
            writeln!(f, "error: {problem}")?;
        }
        for problem in &self.warnings {
            writeln!(f, "warning: {problem}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_strings() {
        assert_eq!(Code::KeyMismatch.as_str(), "tls.key_mismatch");
        assert_eq!(Target::Certificate(2).to_string(), "certificates[2]");
    }
}
