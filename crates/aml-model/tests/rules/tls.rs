//! TLS: a custom certificate (R17), a Microsoft certificate's leaf domain label, renewal.

use aml_model::PrivateKeyPem;
use aml_model::config::{AksUpdateConfiguration, TlsConfig, TlsSettings};

use crate::{CERT, KEY, base, codes, create, errors};

#[test]
fn tls_custom_needs_all_three() {
    let ok = TlsSettings::custom(CERT, PrivateKeyPem::new(KEY), "www.contoso.com");
    assert!(create("myaks", base().enable_ssl(ok)).is_ok());
    let partial = TlsSettings {
        cert_pem: Some(CERT.into()),
        ..TlsSettings::default()
    };
    let r = errors("myaks", base().enable_ssl(partial));
    assert_eq!(codes(&r), ["tls.incomplete", "tls.incomplete"]);
    let paths: Vec<_> = r.errors.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["tls.key", "tls.cname"]);
}

#[test]
fn tls_leaf_label_excludes_custom_certificate() {
    let mut t = TlsSettings::microsoft("contoso", false);
    t.cname = Some("www.contoso.com".into());
    assert!(codes(&errors("myaks", base().enable_ssl(t))).contains(&"tls.conflict"));
    assert!(
        create(
            "myaks",
            base().enable_ssl(TlsSettings::microsoft("contoso", false))
        )
        .is_ok()
    );
}

#[test]
fn tls_overwrite_needs_a_label() {
    let t = TlsSettings {
        overwrite_existing_domain: Some(true),
        ..TlsSettings::default()
    };
    assert_eq!(
        codes(&errors("myaks", base().enable_ssl(t))),
        ["tls.overwrite_without_label"]
    );
}

#[test]
fn tls_renew_needs_auto() {
    let mut t = TlsSettings::renew();
    t.cert_pem = Some(CERT.into());
    t.key_pem = Some(PrivateKeyPem::new(KEY));
    t.cname = Some("www.contoso.com".into());
    let err = AksUpdateConfiguration::builder()
        .ssl(t)
        .build()
        .unwrap_err();
    assert!(err.report().unwrap().has_error("tls.renew_needs_auto"));
    let ok = AksUpdateConfiguration::builder()
        .ssl(TlsSettings::renew())
        .build()
        .unwrap();
    assert!(matches!(ok.tls(), Some(TlsConfig::Renew { .. })));
}

#[test]
fn leaf_label_leaves_room_for_six_characters() {
    let fits = "a".repeat(57);
    assert!(
        create(
            "myaks",
            base().enable_ssl(TlsSettings::microsoft(fits, false))
        )
        .is_ok()
    );
    let too_long = "a".repeat(58);
    let r = errors(
        "myaks",
        base().enable_ssl(TlsSettings::microsoft(too_long, false)),
    );
    assert_eq!(codes(&r), ["tls.leaf_domain_label"]);
    assert!(r.errors[0].message.contains("57"), "{r}");
    for bad in ["Contoso", "con.toso", "-contoso", "con_toso", "1contoso"] {
        let r = errors(
            "myaks",
            base().enable_ssl(TlsSettings::microsoft(bad, false)),
        );
        assert_eq!(codes(&r), ["tls.leaf_domain_label"], "{bad}");
    }
}

#[test]
fn cname_must_be_a_host_name() {
    let t = TlsSettings::custom(CERT, PrivateKeyPem::new(KEY), "not a host");
    assert_eq!(codes(&errors("myaks", base().enable_ssl(t))), ["tls.cname"]);
}
