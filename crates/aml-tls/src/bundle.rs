//! [`CheckedBundle`]: a chain and key that passed every check.

use std::path::Path;

use zeroize::Zeroizing;

use crate::check::{check, collect};
use crate::error::{Error, Result};
use crate::key::PrivateKey;
use crate::report::{CheckOptions, Problem, Report};
use crate::x509::{Certificate, CertificateChain};

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
