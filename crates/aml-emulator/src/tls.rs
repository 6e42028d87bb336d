//! The certificates of `https` mode: a throw-away certificate authority generated at start, and
//! a server certificate it signs for `localhost` and `127.0.0.1`.
//!
//! Clients trust the CA's PEM ([`Emulator::ca_certificate_pem`]); official Azure SDKs refuse
//! to send bearer tokens over plain HTTP, so this is how they talk to the emulator.
//!
//! [`Emulator::ca_certificate_pem`]: crate::Emulator::ca_certificate_pem

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::{Error, Result};

/// What `https` mode serves with.
pub(crate) struct Certificates {
    /// The CA certificate, PEM: what clients must trust.
    pub(crate) ca_pem: String,
    /// The TLS server configuration, with the server certificate and its chain.
    pub(crate) server: Arc<ServerConfig>,
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name.push(DnType::OrganizationName, "aml-emulator");
    name
}

/// A fresh CA and server certificate, and a server configuration using them.
pub(crate) fn generate() -> Result<Certificates> {
    let ca_key = KeyPair::generate().map_err(Error::Certificate)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(Error::Certificate)?;
    ca_params.distinguished_name = name("aml-emulator local CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(Error::Certificate)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().map_err(Error::Certificate)?;
    let mut server_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .map_err(Error::Certificate)?;
    server_params.distinguished_name = name("aml-emulator");
    server_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .map_err(Error::Certificate)?;

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut server = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(Error::Tls)?
        .with_no_client_auth()
        .with_single_cert(
            vec![server_cert.der().clone(), ca_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        )
        .map_err(Error::Tls)?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Certificates {
        ca_pem: ca_cert.pem(),
        server: Arc::new(server),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_a_ca_and_a_server_configuration() {
        let certificates = generate().unwrap();
        assert!(
            certificates
                .ca_pem
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
        assert_eq!(certificates.server.alpn_protocols, [b"http/1.1".to_vec()]);
    }
}
