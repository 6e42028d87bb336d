//! Certificates: `CertificateChain::from_pem` on any text, and `Certificate::from_der` when the
//! input looks like DER (starts with a SEQUENCE tag). A chain that parses writes PEM that parses
//! back to the same certificates.
#![no_main]

use aml_tls::{Certificate, CertificateChain, decode_base64};
use libfuzzer_sys::fuzz_target;

fn look_at(certificate: &Certificate) {
    let info = certificate.info();
    let _ = (info.display_name(), format!("{info:?}"));
    let _ = certificate.sha256_fingerprint();
    let pem = certificate.to_pem();
    let again = CertificateChain::from_pem(pem.as_bytes())
        .unwrap_or_else(|e| panic!("our own PEM does not parse: {e}\n{pem}"));
    assert_eq!(again.leaf(), certificate);
}

fuzz_target!(|data: &[u8]| {
    if data.first() == Some(&0x30) {
        if let Ok(certificate) = Certificate::from_der(data.to_vec()) {
            look_at(&certificate);
        }
        return;
    }
    let _ = decode_base64(data);
    let Ok(chain) = CertificateChain::from_pem(data) else {
        return;
    };
    assert!(chain.len() >= 1);
    for certificate in chain.certificates() {
        look_at(certificate);
    }
    let pem = chain.to_pem();
    let again = CertificateChain::from_pem(pem.as_bytes())
        .unwrap_or_else(|e| panic!("our own PEM does not parse: {e}\n{pem}"));
    assert_eq!(chain, again, "PEM round-trip changed the chain");
});
