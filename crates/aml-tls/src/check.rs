//! Certificate hygiene checks, all collected into one [`Report`], and the [`CheckedBundle`] they
//! produce.

use std::fmt;
use std::path::Path;

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::key::PrivateKey;
use crate::x509::{Certificate, CertificateChain, KeyAlgorithm};

/// How close to expiry a certificate draws a warning unless told otherwise: 30 days.
pub const DEFAULT_EXPIRY_WARNING: Duration = Duration::days(30);

/// Smallest RSA key accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

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
    pub fn from_error(target: Target, error: &Error) -> Self {
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

    fn error(&mut self, target: Target, code: Code, message: impl Into<String>) {
        self.errors.push(Problem::new(target, code, message));
    }

    fn warning(&mut self, target: Target, code: Code, message: impl Into<String>) {
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

/// Runs every check on a parsed chain and key.
///
/// Checks: the key matches the leaf; the leaf has a DNS name and one covers the CNAME (if given,
/// RFC 6125 wildcards); every certificate is valid at `now` (and warns when it expires within the
/// threshold); RSA keys have at least 2048 bits; each certificate is issued by the next one.
pub fn check(chain: &CertificateChain, key: &PrivateKey, options: &CheckOptions) -> Report {
    let mut report = Report::default();
    check_chain(chain, options, &mut report);
    check_key(chain, key, &mut report);
    report
}

/// Parses PEM texts and runs every check; parse failures are problems in the same report.
pub fn check_pem(cert_pem: &[u8], key_pem: &[u8], options: &CheckOptions) -> Report {
    collect(
        CertificateChain::from_pem(cert_pem),
        PrivateKey::from_pem(key_pem),
        options,
    )
    .0
}

/// Reads PEM files and runs every check; read and parse failures (naming the file) are problems
/// in the same report.
pub fn check_files(
    cert_path: impl AsRef<Path>,
    key_path: impl AsRef<Path>,
    options: &CheckOptions,
) -> Report {
    collect(
        CertificateChain::read(cert_path),
        PrivateKey::read(key_path),
        options,
    )
    .0
}

fn collect(
    chain: Result<CertificateChain>,
    key: Result<PrivateKey>,
    options: &CheckOptions,
) -> (Report, Option<(CertificateChain, PrivateKey)>) {
    let mut report = Report::default();
    // Parse errors first, as a reader expects, then everything the parsed parts allow checking.
    if let Err(err) = &chain {
        report.errors.push(Problem::from_error(Target::Chain, err));
    }
    if let Err(err) = &key {
        report.errors.push(Problem::from_error(Target::Key, err));
    }
    if let Ok(chain) = &chain {
        check_chain(chain, options, &mut report);
    }
    match (chain, key) {
        (Ok(chain), Ok(key)) => {
            check_key(&chain, &key, &mut report);
            (report, Some((chain, key)))
        }
        _ => (report, None),
    }
}

fn check_key(chain: &CertificateChain, key: &PrivateKey, report: &mut Report) {
    let leaf = chain.leaf();
    if key.matches(leaf) {
        return;
    }
    let advice = match chain.certificates().iter().position(|c| key.matches(c)) {
        Some(index) => {
            format!(
                "it matches certificates[{index}]: put the certificate that matches the key first"
            )
        }
        None => "use the key that was generated with this certificate".to_owned(),
    };
    let message = format!(
        "the private key ({}) does not match the leaf certificate's public key ({}); {advice}",
        key.info(),
        leaf.info().key
    );
    report.error(Target::Key, Code::KeyMismatch, message);
}

fn check_chain(chain: &CertificateChain, options: &CheckOptions, report: &mut Report) {
    check_names(chain.leaf(), options, report);
    for (index, certificate) in chain.certificates().iter().enumerate() {
        check_validity(index, certificate, options, report);
        let key = &certificate.info().key;
        if key.algorithm == KeyAlgorithm::Rsa && key.bits < MIN_RSA_BITS {
            report.error(
                Target::Certificate(index),
                Code::KeyTooSmall,
                format!(
                    "certificate \"{}\" has a {}-bit RSA key; reissue it with at least {MIN_RSA_BITS} bits",
                    certificate.info().display_name(),
                    key.bits
                ),
            );
        }
    }
    check_order(chain, report);
}

fn check_names(leaf: &Certificate, options: &CheckOptions, report: &mut Report) {
    let info = leaf.info();
    if info.dns_names.is_empty() {
        let cn = match &info.common_name {
            Some(cn) => format!(" (its common name \"{cn}\" is ignored by clients)"),
            None => String::new(),
        };
        report.error(
            Target::Certificate(0),
            Code::NoDnsName,
            format!(
                "the leaf certificate has no DNS subject alternative name{cn}; reissue it with \
                 the CNAME as a DNS name"
            ),
        );
        return;
    }
    let Some(cname) = options.cname.as_deref().filter(|c| !c.trim().is_empty()) else {
        return;
    };
    if !info
        .dns_names
        .iter()
        .any(|name| dns_name_matches(name, cname))
    {
        report.error(
            Target::Cname,
            Code::CnameNotCovered,
            format!(
                "CNAME \"{cname}\" is not covered by the certificate's DNS names ({}); a wildcard \
                 covers exactly one left-most label",
                quoted_list(&info.dns_names)
            ),
        );
    }
}

fn check_validity(
    index: usize,
    certificate: &Certificate,
    options: &CheckOptions,
    report: &mut Report,
) {
    let info = certificate.info();
    let name = info.display_name();
    let target = Target::Certificate(index);
    if options.now < info.not_before {
        report.error(
            target,
            Code::NotYetValid,
            format!(
                "certificate \"{name}\" is not valid before {}; check the clock or wait",
                timestamp(info.not_before)
            ),
        );
    } else if options.now > info.not_after {
        report.error(
            target,
            Code::Expired,
            format!(
                "certificate \"{name}\" expired at {}; renew it",
                timestamp(info.not_after)
            ),
        );
    } else if info.not_after - options.now < options.expiry_warning {
        report.warning(
            target,
            Code::ExpiresSoon,
            format!(
                "certificate \"{name}\" expires at {} ({} days from now); renew it soon",
                timestamp(info.not_after),
                (info.not_after - options.now).whole_days()
            ),
        );
    }
}

fn check_order(chain: &CertificateChain, report: &mut Report) {
    let certificates = chain.certificates();
    let parsed: Vec<Option<X509Certificate<'_>>> =
        certificates.iter().map(Certificate::parsed).collect();
    for index in 0..certificates.len().saturating_sub(1) {
        let (Some(child), Some(parent)) = (&parsed[index], &parsed[index + 1]) else {
            continue;
        };
        if issued_by(child, parent) {
            continue;
        }
        let child_name = certificates[index].info().display_name();
        let parent_name = certificates[index + 1].info().display_name();
        let actual = parsed.iter().enumerate().find_map(|(other, candidate)| {
            let candidate = candidate.as_ref()?;
            (other != index && other != index + 1 && issued_by(child, candidate)).then_some(other)
        });
        let message = match actual {
            _ if issued_by(child, child) => format!(
                "certificates[{index}] (\"{child_name}\") is self-signed, so it must be the \
                 last certificate of the chain; put it at the end (a root can also be left out)"
            ),
            Some(other) => format!(
                "certificates[{index}] (\"{child_name}\") is issued by certificates[{other}], \
                 not by the next one (\"{parent_name}\"); order the chain leaf first, each \
                 certificate followed by its issuer"
            ),
            None if child.issuer().as_raw() == parent.subject().as_raw() => format!(
                "certificates[{}] (\"{parent_name}\") has the name of the issuer of \
                 certificates[{index}] (\"{child_name}\") but its key did not sign it; use the \
                 issuer certificate that matches",
                index + 1
            ),
            None => format!(
                "certificates[{}] (\"{parent_name}\") did not issue certificates[{index}] \
                 (\"{child_name}\", issued by \"{}\") and no other certificate in the chain did; \
                 remove unrelated certificates and add the right intermediate",
                index + 1,
                certificates[index].info().issuer
            ),
        };
        report.warning(Target::Certificate(index + 1), Code::ChainOrder, message);
    }
}

fn issued_by(child: &X509Certificate<'_>, parent: &X509Certificate<'_>) -> bool {
    child.issuer().as_raw() == parent.subject().as_raw()
        && child.verify_signature(Some(parent.public_key())).is_ok()
}

/// Whether the DNS name `pattern` of a certificate covers the host name `host` (RFC 6125).
///
/// Comparison ignores ASCII case and a trailing dot. A wildcard is accepted only as the whole
/// left-most label (`*.example.com`); it covers exactly one label, never the bare domain, and is
/// not honoured directly under a top-level domain (`*.com`).
///
/// ```
/// use aml_tls::dns_name_matches;
/// assert!(dns_name_matches("*.contoso.com", "api.Contoso.com."));
/// assert!(!dns_name_matches("*.contoso.com", "contoso.com"));
/// assert!(!dns_name_matches("*.contoso.com", "a.b.contoso.com"));
/// assert!(!dns_name_matches("a*.contoso.com", "api.contoso.com"));
/// ```
pub fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if pattern.is_empty() || host.is_empty() || host.contains('*') {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => {
            if suffix.contains('*') || !suffix.contains('.') {
                return false;
            }
            host.split_once('.')
                .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix)
        }
        None => !pattern.contains('*') && pattern == host,
    }
}

fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    quoted.join(", ")
}

fn timestamp(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// A certificate chain and its private key that passed every check: ready to be sent as a
/// custom TLS configuration.
///
/// The layer above turns it into its configuration type with [`CheckedBundle::cert_chain_pem`]
/// and [`CheckedBundle::key_pem`] (see the crate documentation for why the conversion lives
/// there). Warnings found by the checks stay available.
#[derive(Debug)]
pub struct CheckedBundle {
    chain: CertificateChain,
    key: PrivateKey,
    cname: Option<String>,
    warnings: Vec<Problem>,
}

impl CheckedBundle {
    /// Checks a parsed chain and key; any error rejects them with the whole [`Report`].
    pub fn new(chain: CertificateChain, key: PrivateKey, options: &CheckOptions) -> Result<Self> {
        let report = check(&chain, &key, options);
        Self::accept(report, chain, key, options)
    }

    /// Parses PEM texts and checks them; parse failures and check failures are reported together
    /// in [`Error::Rejected`].
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8], options: &CheckOptions) -> Result<Self> {
        Self::collected(
            CertificateChain::from_pem(cert_pem),
            PrivateKey::from_pem(key_pem),
            options,
        )
    }

    /// Reads PEM files and checks them; read, parse and check failures are reported together in
    /// [`Error::Rejected`], each naming its file.
    pub fn read(
        cert_path: impl AsRef<Path>,
        key_path: impl AsRef<Path>,
        options: &CheckOptions,
    ) -> Result<Self> {
        Self::collected(
            CertificateChain::read(cert_path),
            PrivateKey::read(key_path),
            options,
        )
    }

    fn collected(
        chain: Result<CertificateChain>,
        key: Result<PrivateKey>,
        options: &CheckOptions,
    ) -> Result<Self> {
        match collect(chain, key, options) {
            (report, Some((chain, key))) => Self::accept(report, chain, key, options),
            (report, None) => Err(Error::Rejected {
                report: Box::new(report),
            }),
        }
    }

    fn accept(
        report: Report,
        chain: CertificateChain,
        key: PrivateKey,
        options: &CheckOptions,
    ) -> Result<Self> {
        if !report.is_ok() {
            return Err(Error::Rejected {
                report: Box::new(report),
            });
        }
        Ok(Self {
            chain,
            key,
            cname: options.cname.clone(),
            warnings: report.warnings,
        })
    }

    /// The certificate chain, leaf first.
    pub fn chain(&self) -> &CertificateChain {
        &self.chain
    }

    /// The leaf certificate.
    pub fn leaf(&self) -> &Certificate {
        self.chain.leaf()
    }

    /// The private key.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// The CNAME the leaf was checked against, if one was given.
    pub fn cname(&self) -> Option<&str> {
        self.cname.as_deref()
    }

    /// Warnings of the checks (expiring soon, chain order).
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// The chain as PEM, leaf first (what Azure ML's custom certificate field takes).
    pub fn cert_chain_pem(&self) -> String {
        self.chain.to_pem()
    }

    /// The key as PEM (its original encoding), in a string zeroized on drop.
    pub fn key_pem(&self) -> Zeroizing<String> {
        self.key.to_pem()
    }

    /// Both PEM texts, consuming the bundle: `(certificate chain, key)`.
    pub fn into_pem(self) -> (String, Zeroizing<String>) {
        (self.cert_chain_pem(), self.key_pem())
    }

    /// The chain and the key, consuming the bundle.
    pub fn into_parts(self) -> (CertificateChain, PrivateKey) {
        (self.chain, self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_covers_one_left_most_label_only() {
        assert!(dns_name_matches("*.example.com", "www.example.com"));
        assert!(dns_name_matches("*.EXAMPLE.com.", "WWW.example.COM"));
        assert!(!dns_name_matches("*.example.com", "example.com"));
        assert!(!dns_name_matches("*.example.com", "a.www.example.com"));
        assert!(!dns_name_matches("*.example.com", ".example.com"));
        assert!(!dns_name_matches("www.*.com", "www.example.com"));
        assert!(!dns_name_matches("*.*.example.com", "a.b.example.com"));
        assert!(!dns_name_matches("*.com", "example.com"));
        assert!(!dns_name_matches("w*.example.com", "www.example.com"));
        assert!(!dns_name_matches("*.example.com", "*.example.com"));
    }

    #[test]
    fn exact_names_match_case_insensitively() {
        assert!(dns_name_matches("api.contoso.com", "API.contoso.com"));
        assert!(!dns_name_matches("api.contoso.com", "api.contoso.co"));
        assert!(!dns_name_matches("", ""));
    }

    #[test]
    fn codes_are_stable_strings() {
        assert_eq!(Code::KeyMismatch.as_str(), "tls.key_mismatch");
        assert_eq!(Target::Certificate(2).to_string(), "certificates[2]");
    }
}
