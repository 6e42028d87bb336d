//! The `azuremlfessl` Kubernetes secret (`kubectl get secret -o yaml` or `-o json`):
//! `RecoveredSecret::parse`, then its report and check at a fixed `now`.
#![no_main]

use aml_tls::{CheckOptions, RecoveredSecret, recover_secret};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = CheckOptions::new(aml_fuzz::now());
    match RecoveredSecret::parse(data) {
        Ok(secret) => {
            let _ = (secret.name(), secret.namespace(), secret.chain().len());
            let report = secret.report(&options);
            let checked = secret.check(&options);
            assert_eq!(report.is_ok(), checked.is_ok(), "report and check disagree");
        }
        Err(error) => {
            let _ = (error.to_string(), error.chain_text());
            assert!(recover_secret(data, &options).is_err());
        }
    }
});
