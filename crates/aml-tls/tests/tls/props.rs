//! Property tests: the parsers never panic, and base64 decoding is exact.

use aml_tls::{CertificateChain, Error, PrivateKey, RecoveredSecret, decode_base64};
use base64::Engine as _;
use proptest::prelude::*;

/// Lines that look like PEM, so that generated inputs reach deep into the scanner.
fn pem_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("-----BEGIN CERTIFICATE-----".to_owned()),
        Just("-----END CERTIFICATE-----".to_owned()),
        Just("-----BEGIN PRIVATE KEY-----".to_owned()),
        Just("-----END PRIVATE KEY-----".to_owned()),
        Just("-----BEGIN RSA PRIVATE KEY-----".to_owned()),
        Just("-----END RSA PRIVATE KEY-----".to_owned()),
        Just("-----BEGIN EC PRIVATE KEY-----".to_owned()),
        Just("-----BEGIN ENCRYPTED PRIVATE KEY-----".to_owned()),
        Just("Proc-Type: 4,ENCRYPTED".to_owned()),
        Just("-----BEGIN ".to_owned()),
        Just("-----END".to_owned()),
        Just(String::new()),
        "[A-Za-z0-9+/=]{0,80}",
        "MII[A-Za-z0-9+/]{0,60}={0,2}",
        "\\PC{0,20}",
    ];
    prop::collection::vec(line, 0..24).prop_map(|lines| lines.join("\n"))
}

/// Documents that look like kubectl output.
fn secret_like() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        "[A-Za-z0-9+/=]{0,120}",
        Just("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==".to_owned()),
        Just("[1, 2]".to_owned()),
        Just("{}".to_owned()),
        Just("|\n    -----BEGIN PRIVATE KEY-----".to_owned()),
        "\\PC{0,30}",
    ];
    (
        prop_oneof![Just("Secret"), Just("List"), Just("ConfigMap"), Just("")],
        prop_oneof![
            Just("data"),
            Just("stringData"),
            Just("items"),
            Just("metadata")
        ],
        value.clone(),
        value,
    )
        .prop_map(|(kind, section, cert, key)| {
            format!("kind: {kind}\n{section}:\n  cert.pem: {cert}\n  key.pem: {key}\n")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode_base64(&input);
        let _ = CertificateChain::from_pem(&input);
        let _ = PrivateKey::from_pem(&input);
        let _ = RecoveredSecret::parse(&input);
    }

    #[test]
    fn pem_parsers_never_panic_on_pem_like_text(input in pem_like()) {
        let _ = CertificateChain::from_pem(input.as_bytes());
        let _ = PrivateKey::from_pem(input.as_bytes());
    }

    #[test]
    fn secret_parser_never_panics_on_kubectl_like_text(input in secret_like()) {
        let _ = RecoveredSecret::parse(input.as_bytes());
        let json = format!("{{\"kind\": \"Secret\", \"data\": {input:?}}}");
        let _ = RecoveredSecret::parse(json.as_bytes());
    }

    #[test]
    fn base64_decodes_exactly_whatever_whitespace_is_inserted(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        breaks in prop::collection::vec((any::<prop::sample::Index>(), prop_oneof![Just(' '), Just('\n'), Just('\r'), Just('\t')]), 0..20),
    ) {
        let mut text: Vec<char> = base64::engine::general_purpose::STANDARD.encode(&bytes).chars().collect();
        for (index, space) in breaks {
            let at = index.index(text.len() + 1);
            text.insert(at, space);
        }
        let text: String = text.into_iter().collect();
        prop_assert_eq!(&decode_base64(text.as_bytes()).unwrap()[..], &bytes[..]);
    }

    #[test]
    fn an_invalid_character_is_reported_where_it_is(
        bytes in prop::collection::vec(any::<u8>(), 3..300),
        index in any::<prop::sample::Index>(),
        bad in prop_oneof![Just('!'), Just('-'), Just('_'), Just('*'), Just('.')],
    ) {
        let mut text = base64::engine::general_purpose::STANDARD.encode(&bytes);
        // Replace a character before any padding.
        let limit = text.trim_end_matches('=').len();
        let at = index.index(limit);
        text.replace_range(at..=at, &bad.to_string());
        let err = decode_base64(text.as_bytes()).unwrap_err();
        prop_assert!(matches!(err, Error::Base64Character { offset } if offset == at), "{:?}", err);
    }
}
