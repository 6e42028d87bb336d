//! TLS glue between `aml-tls` (certificate hygiene) and `aml-model` (configurations).
//!
//! The conversion lives here, in the layer that depends on both, so neither of the two lower
//! crates needs the other.

use aml_model::config::TlsSettings;
use aml_model::{Issue, PrivateKeyPem, Report, Rule};
use aml_tls::{CheckOptions, CheckedBundle, OffsetDateTime, Target};

/// TLS settings for a checked certificate bundle and its CNAME (custom certificate, R17).
pub fn settings_from_bundle(bundle: CheckedBundle, cname: impl Into<String>) -> TlsSettings {
    let (cert, key) = bundle.into_pem();
    TlsSettings::custom(cert, PrivateKeyPem::from(key), cname)
}

/// Recovers TLS settings from a saved `kubectl get secret/azuremlfessl -o yaml` (or `-o json`)
/// dump (R19), checking the material at `now`.
pub fn settings_from_secret(
    dump: &[u8],
    cname: impl Into<String>,
    now: OffsetDateTime,
) -> crate::Result<TlsSettings> {
    let cname = cname.into();
    let bundle = aml_tls::recover_secret(dump, &CheckOptions::new(now).with_cname(cname.clone()))?;
    Ok(settings_from_bundle(bundle, cname))
}

/// Runs aml-tls's checks on the custom certificate of `tls`, if it has one, and reports the
/// problems under `tls.cert`, `tls.key` and `tls.cname`.
pub fn check_settings(tls: &TlsSettings, now: OffsetDateTime) -> Report {
    match (&tls.cert_pem, &tls.key_pem) {
        (Some(cert), Some(key)) => check_material(cert, key, tls.cname.as_deref(), now),
        _ => Report::new(),
    }
}

/// Runs aml-tls's checks on a certificate (chain) and key for `cname` at `now`: key matches,
/// CNAME covered by a SAN, validity, chain order, key size. Problems are reported under
/// `tls.cert`, `tls.key` and `tls.cname` (a spec's names follow from
/// [`aml_model::spec::spec_paths`]).
pub fn check_material(
    cert_pem: &str,
    key_pem: &PrivateKeyPem,
    cname: Option<&str>,
    now: OffsetDateTime,
) -> Report {
    let mut options = CheckOptions::new(now);
    if let Some(cname) = cname {
        options = options.with_cname(cname);
    }
    let checked = aml_tls::check_pem(cert_pem.as_bytes(), key_pem.expose().as_bytes(), &options);
    let issue = |p: &aml_tls::Problem| Issue {
        path: match p.target {
            Target::Key => "tls.key".into(),
            Target::Cname => "tls.cname".into(),
            _ => "tls.cert".into(),
        },
        code: rule(p.code),
        message: p.message.clone(),
    };
    Report {
        errors: checked.errors.iter().map(issue).collect(),
        warnings: checked.warnings.iter().map(issue).collect(),
    }
}

/// The catalogue's rule for an aml-tls problem code (both use the same `tls.*` codes).
pub fn rule(code: aml_tls::Code) -> Rule {
    // Every aml-tls code is in the catalogue (tested below); `tls.unreadable` is the fallback a
    // code added to aml-tls later would get until the catalogue lists it.
    Rule::from_code(code.as_str()).unwrap_or(Rule::TlsUnreadable)
}

#[cfg(test)]
mod tests {
    use super::rule;

    #[test]
    fn every_aml_tls_code_is_a_rule_of_the_catalogue() {
        for code in aml_tls::Code::ALL {
            assert_eq!(rule(*code).code(), code.as_str());
        }
    }
}
