//! [`GeneratedCertificate`]: a throwaway TLS certificate and key made at run time with rcgen,
//! and the `kubectl get secret/azuremlfessl -o yaml` dump that would hold them.

use std::fmt;

use aml_compute::config::TlsSettings;
use aml_model::PrivateKeyPem;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::Result;

/// A throwaway TLS certificate and private key made at run time (ECDSA P-256, self-signed, the
/// CNAME as common name and only DNS name). The key is zeroized on drop and never printed.
pub struct GeneratedCertificate {
    cname: String,
    cert_pem: String,
    key_pem: Zeroizing<String>,
}

impl fmt::Debug for GeneratedCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedCertificate")
            .field("cname", &self.cname)
            .field("key_pem", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl GeneratedCertificate {
    /// A certificate for `cname`, valid from a day ago for 90 days.
    pub fn new(cname: &str) -> Result<Self> {
        let now = OffsetDateTime::now_utc();
        Self::valid_between(
            cname,
            now - time::Duration::days(1),
            now + time::Duration::days(90),
        )
    }

    /// A certificate for `cname` valid between the two times (an expired one, to show the
    /// hygiene checks).
    pub fn valid_between(
        cname: &str,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Self> {
        let key = rcgen::KeyPair::generate()?;
        let mut params = rcgen::CertificateParams::new(vec![cname.to_owned()])?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cname);
        params.not_before = not_before;
        params.not_after = not_after;
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cname: cname.to_owned(),
            cert_pem: cert.pem(),
            key_pem: Zeroizing::new(key.serialize_pem()),
        })
    }

    /// The PEM certificate (public).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A copy of the private key, for a configuration (it stays redacted in `Debug`).
    pub fn private_key(&self) -> PrivateKeyPem {
        PrivateKeyPem::new(self.key_pem.as_str())
    }

    /// TLS settings with this certificate, its key and its CNAME (R17).
    pub fn tls_settings(&self) -> TlsSettings {
        TlsSettings::custom(
            self.cert_pem.clone(),
            self.private_key(),
            self.cname.clone(),
        )
    }

    /// What `kubectl get secret/azuremlfessl -o yaml` prints for a cluster using this
    /// certificate (R19): `cert.pem` and `key.pem`, base64-encoded. Holds the key: never print it.
    pub fn azuremlfessl_yaml(&self) -> Zeroizing<String> {
        use base64::Engine as _;
        let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
        let created = OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Zeroizing::new(format!(
            "apiVersion: v1\ndata:\n  cert.pem: {}\n  key.pem: {}\nkind: Secret\nmetadata:\n  creationTimestamp: \"{created}\"\n  name: azuremlfessl\n  namespace: default\n  resourceVersion: \"4711\"\n  uid: 5f0c3c1e-8d1a-4c53-9a44-6b1b1f7e2d10\ntype: Opaque\n",
            b64(&self.cert_pem),
            b64(&self.key_pem),
        ))
    }

    /// Whether `text` shows any part of the private key (its PEM body or its base64 form):
    /// the examples' tests assert their output never does.
    pub fn leaks_into(&self, text: &str) -> bool {
        use base64::Engine as _;
        let body: String = self
            .key_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let encoded = base64::engine::general_purpose::STANDARD.encode(self.key_pem.as_bytes());
        let probe = |s: &str| s.len() >= 24 && text.contains(&s[..24]);
        probe(&body) || probe(&encoded[8..]) || body.lines().any(probe)
    }
}
