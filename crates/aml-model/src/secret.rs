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
    pub(crate) fn is_blank(&self) -> bool {
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
        same_secret(&self.0, &other.0)
    }
}

impl Eq for PrivateKeyPem {}

/// Length first, then every byte, so equal-length secrets take the same time to compare.
fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A kubeconfig file (YAML text) with rights on a cluster, as `listKeys` returns it.
///
/// Like [`PrivateKeyPem`]: zeroized when dropped, `Debug` prints `[redacted]`, no `Display`,
/// not `Clone`. [`Kubeconfig::expose`] gives the text to whoever writes it to a file for kubectl.
pub struct Kubeconfig(Zeroizing<String>);

impl Kubeconfig {
    /// Wraps kubeconfig text.
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    /// The kubeconfig text.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Kubeconfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl PartialEq for Kubeconfig {
    fn eq(&self, other: &Self) -> bool {
        same_secret(&self.0, &other.0)
    }
}

impl Eq for Kubeconfig {}

impl serde::Serialize for Kubeconfig {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Kubeconfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

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
    fn kubeconfig_is_redacted_and_round_trips_as_a_string() {
        let text = "apiVersion: v1\nusers:\n- user: {token: KUBETOKEN}";
        let config: Kubeconfig = serde_json::from_value(serde_json::json!(text)).unwrap();
        let shown = format!("{config:?} {config:#?} {:?}", Some(&config));
        assert!(!shown.contains("KUBETOKEN"), "{shown}");
        assert!(shown.contains(REDACTED));
        assert_eq!(config.expose(), text);
        assert_eq!(config.len(), text.len());
        assert_eq!(
            serde_json::to_value(&config).unwrap(),
            serde_json::json!(text)
        );
        assert_eq!(config, Kubeconfig::new(text));
        assert_ne!(config, Kubeconfig::new("other"));
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
