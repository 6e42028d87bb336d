//! The one error type of this crate.
//!
//! Every message says what was wrong and, where it helps, what to do. No message and no source
//! ever contains key material: positions, labels, counts and entry names only.

use std::path::PathBuf;

use crate::report::Report;

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while reading, decoding or checking TLS material.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("could not read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// A file was read but its content is not usable; the source says why.
    #[error("{} does not hold usable TLS material", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with its content.
        #[source]
        source: Box<Error>,
    },

    /// Base64 text holds a byte outside the standard alphabet.
    #[error(
        "invalid base64 character at byte offset {offset}: expected the standard alphabet \
         (A-Z, a-z, 0-9, '+', '/') and '=' padding"
    )]
    Base64Character {
        /// Zero-based offset of the offending byte in the text as given (whitespace counted).
        offset: usize,
    },

    /// Base64 text stops in the middle of a 4-character group, or its last group is not
    /// canonical: usually a truncated copy.
    #[error(
        "base64 text is incomplete: {significant} characters (whitespace ignored) do not form \
         whole 4-character groups; was it truncated when copied?"
    )]
    Base64Incomplete {
        /// Number of base64 characters, whitespace ignored.
        significant: usize,
    },

    /// A line starting with `-----BEGIN` or `-----END` is not a well-formed PEM marker.
    #[error("line {line} is not a well-formed PEM marker (expected `-----BEGIN LABEL-----`)")]
    PemMarker {
        /// One-based line number.
        line: usize,
    },

    /// A PEM block is never closed.
    #[error("PEM block \"{label}\" opened on line {line} has no `-----END {label}-----` line")]
    PemUnterminated {
        /// The block's label, such as `CERTIFICATE`.
        label: String,
        /// One-based line number of its BEGIN line.
        line: usize,
    },

    /// A PEM END line does not close the open block.
    #[error("line {line} ends PEM block \"{found}\" but the open block is \"{expected}\"")]
    PemMismatchedEnd {
        /// The label of the block that is open.
        expected: String,
        /// The label on the END line.
        found: String,
        /// One-based line number of the END line.
        line: usize,
    },

    /// A PEM END line closes no open block.
    #[error("line {line} ends PEM block \"{label}\" that was never opened")]
    PemStrayEnd {
        /// The label on the END line.
        label: String,
        /// One-based line number of the END line.
        line: usize,
    },

    /// The base64 body of a PEM block holds an invalid character.
    #[error("invalid base64 in PEM block \"{label}\" at line {line}, column {column}")]
    PemBase64 {
        /// The block's label.
        label: String,
        /// One-based line number.
        line: usize,
        /// One-based column (in bytes).
        column: usize,
    },

    /// The base64 body of a PEM block is incomplete.
    #[error(
        "PEM block \"{label}\" opened on line {line} is truncated: its base64 body does not \
         form whole 4-character groups"
    )]
    PemTruncated {
        /// The block's label.
        label: String,
        /// One-based line number of its BEGIN line.
        line: usize,
    },

    /// No certificate was found.
    #[error(
        "no `-----BEGIN CERTIFICATE-----` block found ({})",
        describe_blocks(found)
    )]
    NoCertificate {
        /// The labels of the PEM blocks that were found instead.
        found: Vec<String>,
    },

    /// A certificate is not valid X.509 DER.
    #[error("certificate {index} (0 is the leaf) is not a valid X.509 certificate")]
    Certificate {
        /// Position in the chain, leaf first.
        index: usize,
        /// What the X.509 parser reported.
        #[source]
        source: X509ParseError,
    },

    /// A certificate's DER is followed by unexpected bytes.
    #[error("certificate {index} (0 is the leaf) has {count} unexpected bytes after its end")]
    CertificateTrailingData {
        /// Position in the chain, leaf first.
        index: usize,
        /// How many bytes follow the certificate.
        count: usize,
    },

    /// No private key was found.
    #[error(
        "no private key found: expected one `PRIVATE KEY`, `RSA PRIVATE KEY` or \
         `EC PRIVATE KEY` block ({})",
        describe_blocks(found)
    )]
    NoPrivateKey {
        /// The labels of the PEM blocks that were found instead.
        found: Vec<String>,
    },

    /// More than one private key was found.
    #[error("found {count} private keys where exactly one is expected; keep only the leaf's key")]
    MultiplePrivateKeys {
        /// How many key blocks were found.
        count: usize,
    },

    /// The private key is encrypted with a passphrase.
    #[error(
        "the private key is encrypted; decrypt it first \
         (for example `openssl pkey -in key.pem -out key.plain.pem`)"
    )]
    EncryptedPrivateKey,

    /// The private key is of an unsupported kind or is corrupt.
    #[error(
        "the private key is not a usable RSA (2048 to 8192 bits), ECDSA (P-256, P-384, P-521) \
         or Ed25519 key"
    )]
    UnsupportedKey {
        /// What the crypto provider reported (never key material).
        #[source]
        source: rustls::Error,
    },

    /// The RSA private key is too small.
    #[error("the RSA private key has {bits} bits; use at least 2048")]
    RsaKeyTooSmall {
        /// Size of the modulus in bits.
        bits: usize,
    },

    /// The secret text is neither valid YAML nor valid JSON.
    #[error("the secret is not valid {format} (line {line}, column {column})")]
    SecretSyntax {
        /// `YAML` or `JSON`.
        format: &'static str,
        /// One-based line, 0 when unknown.
        line: usize,
        /// One-based column, 0 when unknown.
        column: usize,
    },

    /// The document is not a Kubernetes `Secret`.
    #[error(
        "expected the output of `kubectl get secret/azuremlfessl -o yaml` (a `kind: Secret` \
         object), found {found}"
    )]
    NotASecret {
        /// What was found instead (a kind or a shape; never a value).
        found: String,
    },

    /// A `List` holds no secret to use.
    #[error(
        "the List holds no Secret named \"azuremlfessl\" (secrets found: {})",
        describe_found(found)
    )]
    SecretNotInList {
        /// Names of the secrets in the list.
        found: Vec<String>,
    },

    /// Expected secret entries are missing.
    #[error(
        "the secret lacks {} in `data` and `stringData` (entries found: {})",
        describe_found(missing),
        describe_found(found)
    )]
    SecretEntryMissing {
        /// The entries that were expected but not found.
        missing: Vec<String>,
        /// The entries that were found.
        found: Vec<String>,
    },

    /// A secret entry is not a string.
    #[error("the secret entry \"{entry}\" is not a string")]
    SecretEntryNotString {
        /// The entry.
        entry: &'static str,
    },

    /// A secret entry does not decode; the source says why.
    #[error("the secret entry \"{entry}\" is not usable")]
    SecretEntry {
        /// The entry, such as `cert.pem`.
        entry: &'static str,
        /// What is wrong with it.
        #[source]
        source: Box<Error>,
    },

    /// The certificate and key failed one or more checks.
    #[error("the certificate and key failed {} check(s): {}", report.errors.len(), report.summary())]
    Rejected {
        /// Every problem found (errors and warnings).
        report: Box<Report>,
    },
}

/// What the X.509 parser reported about a certificate, as one message that ends the chain.
///
/// `x509-parser`'s errors format their own cause into their message and return it as their
/// source too, so a chain printed in full would say it twice; this wrapper keeps the message
/// and ends the chain there.
#[derive(Debug)]
pub struct X509ParseError(x509_parser::error::X509Error);

impl X509ParseError {
    pub(crate) fn new(error: x509_parser::error::X509Error) -> Self {
        Self(error)
    }

    /// The parser's error itself.
    pub fn x509_error(&self) -> &x509_parser::error::X509Error {
        &self.0
    }
}

impl std::fmt::Display for X509ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for X509ParseError {}

/// The PEM blocks of a text that held none of the expected kind: one phrase without `: `, so that
/// two such problems in one report (certificate and key) do not end in the same sentence.
fn describe_blocks(found: &[String]) -> String {
    if found.is_empty() {
        "the text holds no PEM block".to_owned()
    } else {
        format!("its PEM blocks are {}", describe_found(found))
    }
}

fn describe_found(found: &[String]) -> String {
    if found.is_empty() {
        "none".to_owned()
    } else {
        let quoted: Vec<String> = found.iter().map(|f| format!("\"{f}\"")).collect();
        quoted.join(", ")
    }
}

impl Error {
    /// Wraps `self` with the file it came from.
    pub(crate) fn in_file(self, path: impl Into<PathBuf>) -> Self {
        Self::InFile {
            path: path.into(),
            source: Box::new(self),
        }
    }

    /// The innermost error of this crate (through `InFile` and `SecretEntry`).
    pub fn innermost(&self) -> &Error {
        match self {
            Self::InFile { source, .. } | Self::SecretEntry { source, .. } => source.innermost(),
            other => other,
        }
    }

    /// The whole chain as one line: this error's sentence followed by each source's.
    ///
    /// Useful where only one string can be shown (a report line, a log line).
    pub fn chain_text(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}
