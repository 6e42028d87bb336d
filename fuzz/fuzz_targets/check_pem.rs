//! The whole TLS check (`check_pem` and `CheckedBundle::from_pem`) on a certificate PEM, a key
//! PEM and a CNAME, separated in the input by lines `%%`. `now` is fixed (2027-01-01).
#![no_main]

use aml_tls::{CheckOptions, CheckedBundle, check_pem, dns_name_matches};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [cert, key, cname] = aml_fuzz::split::<3>(data, b"\n%%\n");
    let mut options = CheckOptions::new(aml_fuzz::now());
    if let Ok(cname) = std::str::from_utf8(cname) {
        if !cname.is_empty() {
            options = options.with_cname(cname);
        }
        // Host names from the certificate text against the CNAME, both ways.
        if let Ok(pattern) = std::str::from_utf8(key) {
            let _ = dns_name_matches(pattern, cname);
            let _ = dns_name_matches(cname, pattern);
        }
    }
    let report = check_pem(cert, key, &options);
    let _ = (report.is_ok(), format!("{report:?}"));
    match CheckedBundle::from_pem(cert, key, &options) {
        Ok(bundle) => {
            assert!(
                report.is_ok(),
                "a bundle was built from material the report refuses"
            );
            let _ = (bundle.cname(), bundle.warnings(), bundle.leaf().info());
            let (chain_pem, key_pem) = bundle.into_pem();
            let again = CheckedBundle::from_pem(chain_pem.as_bytes(), key_pem.as_bytes(), &options)
                .unwrap_or_else(|e| panic!("our own bundle PEM is refused: {e}"));
            let _ = again;
        }
        Err(error) => {
            let _ = (error.to_string(), error.chain_text(), error.innermost());
        }
    }
});
