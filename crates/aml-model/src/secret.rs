//! Secret values held by configurations: redacted in `Debug`, zeroized on drop, never `Clone`.

use std::fmt;

use zeroize::Zeroizing;

/// The placeholder printed instead of a secret.
pub const REDACTED: &str = "[redacted]";

/// A PEM-encoded private key (the `key` of a custom TLS configuration).
///
/// The text is zeroized when the value is dropped, `Debug` prints `[redacted]`, and the type is
/// deliberately not `Clone`: a copy of a key is something the caller must ask for by name
/// ([`PrivateKeyPem::expose`] and a new value).
pub struct PrivateKeyPem(Zeroizing<String>);

impl PrivateKeyPem {
    /// Wraps PEM text. No parsing happens here: `aml-tls` checks key material.
    pub fn new(pem: impl Into<String>) -> Self {
        Self(Zeroizing::new(pem.into()))
    }

    /// The PEM text, for building the request body that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the text is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for PrivateKeyPem {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<Zeroizing<String>> for PrivateKeyPem {
    fn from(value: Zeroizing<String>) -> Self {
        Self(value)
    }
}

impl PartialEq for PrivateKeyPem {
    fn eq(&self, other: &Self) -> bool {
        // Length first, then every byte, so equal-length keys take the same time to compare.
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl Eq for PrivateKeyPem {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let key =
            PrivateKeyPem::new("-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----");
        let shown = format!("{key:?} {key:#?}");
        assert!(!shown.contains("MIIEvQ"), "{shown}");
        assert!(shown.contains(REDACTED));
    }

    #[test]
    fn blank_and_equality() {
        assert!(PrivateKeyPem::new("  \n").is_blank());
        assert!(!PrivateKeyPem::new("k").is_blank());
        assert_eq!(PrivateKeyPem::new("abc"), PrivateKeyPem::new("abc"));
        assert_ne!(PrivateKeyPem::new("abc"), PrivateKeyPem::new("abd"));
        assert_ne!(PrivateKeyPem::new("abc"), PrivateKeyPem::new("abcd"));
    }
}
