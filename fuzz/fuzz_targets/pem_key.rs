//! Private keys: `PrivateKey::from_pem` on any text, and `PrivateKey::from_der` (PKCS#8, PKCS#1
//! or SEC1, as rustls-pki-types guesses) when the input looks like DER. A key that parses writes
//! PEM that parses back to the same key.
#![no_main]

use aml_tls::PrivateKey;
use libfuzzer_sys::fuzz_target;
use rustls_pki_types::PrivateKeyDer;

fn look_at(key: &PrivateKey) {
    let _ = (key.format(), key.public_key_der(), format!("{key:?}"));
    let _ = format!("{:?}", key.info());
    let pem = key.to_pem();
    let again = PrivateKey::from_pem(pem.as_bytes())
        .unwrap_or_else(|e| panic!("our own key PEM does not parse: {e}"));
    assert_eq!(again.format(), key.format());
    assert_eq!(again.public_key_der(), key.public_key_der());
}

fuzz_target!(|data: &[u8]| {
    if data.first() == Some(&0x30) {
        if let Ok(der) = PrivateKeyDer::try_from(data.to_vec())
            && let Ok(key) = PrivateKey::from_der(der)
        {
            look_at(&key);
        }
        return;
    }
    if let Ok(key) = PrivateKey::from_pem(data) {
        look_at(&key);
    }
});
