//! The certificate hygiene checks, all collected into one [`Report`].

use std::path::Path;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::certificate::X509Certificate;

use crate::error::Result;
use crate::key::PrivateKey;
use crate::report::{CheckOptions, Code, Problem, Report, Target};
use crate::x509::{Certificate, CertificateChain, KeyAlgorithm};

/// Smallest RSA key accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

/// Runs every check on a parsed chain and key.
///
/// Checks: the key matches the leaf; the leaf has a DNS name and one covers the CNAME (if given,
/// RFC 6125 wildcards); every certificate is valid at `now` (and warns when it expires within the
/// threshold); RSA keys have at least 2048 bits; each certificate is issued by the next one.
pub fn check(chain: &CertificateChain, key: &PrivateKey, options: &CheckOptions) -> Report {
    let mut report = Report::default();
    check_chain(chain, options, &mut report);
    check_key(chain, key, &mut report);
    report
}

/// Parses PEM texts and runs every check; parse failures are problems in the same report.
pub fn check_pem(cert_pem: &[u8], key_pem: &[u8], options: &CheckOptions) -> Report {
    collect(
        CertificateChain::from_pem(cert_pem),
        PrivateKey::from_pem(key_pem),
        options,
    )
    .0
}

/// Reads PEM files and runs every check; read and parse failures (naming the file) are problems
/// in the same report.
pub fn check_files(
    cert_path: impl AsRef<Path>,
    key_path: impl AsRef<Path>,
    options: &CheckOptions,
) -> Report {
    collect(
        CertificateChain::read(cert_path),
        PrivateKey::read(key_path),
        options,
    )
    .0
}

/// Runs the checks on whatever parsed, with parse failures as problems first; the chain and key
/// come back when both parsed.
pub(crate) fn collect(
    chain: Result<CertificateChain>,
    key: Result<PrivateKey>,
    options: &CheckOptions,
) -> (Report, Option<(CertificateChain, PrivateKey)>) {
    let mut report = Report::default();
    // Parse errors first, as a reader expects, then everything the parsed parts allow checking.
    if let Err(err) = &chain {
        report.errors.push(Problem::from_error(Target::Chain, err));
    }
    if let Err(err) = &key {
        report.errors.push(Problem::from_error(Target::Key, err));
    }
    if let Ok(chain) = &chain {
        check_chain(chain, options, &mut report);
    }
    match (chain, key) {
        (Ok(chain), Ok(key)) => {
            check_key(&chain, &key, &mut report);
            (report, Some((chain, key)))
        }
        _ => (report, None),
    }
}

fn check_key(chain: &CertificateChain, key: &PrivateKey, report: &mut Report) {
    let leaf = chain.leaf();
    if key.matches(leaf) {
        return;
    }
    let advice = match chain.certificates().iter().position(|c| key.matches(c)) {
        Some(index) => {
            format!(
                "it matches certificates[{index}]: put the certificate that matches the key first"
            )
        }
        None => "use the key that was generated with this certificate".to_owned(),
    };
    let message = format!(
        "the private key ({}) does not match the leaf certificate's public key ({}); {advice}",
        key.info(),
        leaf.info().key
    );
    report.error(Target::Key, Code::KeyMismatch, message);
}

fn check_chain(chain: &CertificateChain, options: &CheckOptions, report: &mut Report) {
    check_names(chain.leaf(), options, report);
    for (index, certificate) in chain.certificates().iter().enumerate() {
        check_validity(index, certificate, options, report);
        let key = &certificate.info().key;
        if key.algorithm == KeyAlgorithm::Rsa && key.bits < MIN_RSA_BITS {
            report.error(
                Target::Certificate(index),
                Code::KeyTooSmall,
                format!(
                    "certificate \"{}\" has a {}-bit RSA key; reissue it with at least {MIN_RSA_BITS} bits",
                    certificate.info().display_name(),
                    key.bits
                ),
            );
        }
    }
    check_order(chain, report);
}

fn check_names(leaf: &Certificate, options: &CheckOptions, report: &mut Report) {
    let info = leaf.info();
    if info.dns_names.is_empty() {
        let cn = match &info.common_name {
            Some(cn) => format!(" (its common name \"{cn}\" is ignored by clients)"),
            None => String::new(),
        };
        report.error(
            Target::Certificate(0),
            Code::NoDnsName,
            format!(
                "the leaf certificate has no DNS subject alternative name{cn}; reissue it with \
                 the CNAME as a DNS name"
            ),
        );
        return;
    }
    let Some(cname) = options.cname.as_deref().filter(|c| !c.trim().is_empty()) else {
        return;
    };
    if !info
        .dns_names
        .iter()
        .any(|name| dns_name_matches(name, cname))
    {
        report.error(
            Target::Cname,
            Code::CnameNotCovered,
            format!(
                "CNAME \"{cname}\" is not covered by the certificate's DNS names ({}); a wildcard \
                 covers exactly one left-most label",
                quoted_list(&info.dns_names)
            ),
        );
    }
}

fn check_validity(
    index: usize,
    certificate: &Certificate,
    options: &CheckOptions,
    report: &mut Report,
) {
    let info = certificate.info();
    let name = info.display_name();
    let target = Target::Certificate(index);
    if options.now < info.not_before {
        report.error(
            target,
            Code::NotYetValid,
            format!(
                "certificate \"{name}\" is not valid before {}; check the clock or wait",
                timestamp(info.not_before)
            ),
        );
    } else if options.now > info.not_after {
        report.error(
            target,
            Code::Expired,
            format!(
                "certificate \"{name}\" expired at {}; renew it",
                timestamp(info.not_after)
            ),
        );
    } else if info.not_after - options.now < options.expiry_warning {
        report.warning(
            target,
            Code::ExpiresSoon,
            format!(
                "certificate \"{name}\" expires at {} ({} days from now); renew it soon",
                timestamp(info.not_after),
                (info.not_after - options.now).whole_days()
            ),
        );
    }
}

fn check_order(chain: &CertificateChain, report: &mut Report) {
    let certificates = chain.certificates();
    let parsed: Vec<Option<X509Certificate<'_>>> =
        certificates.iter().map(Certificate::parsed).collect();
    for index in 0..certificates.len().saturating_sub(1) {
        let (Some(child), Some(parent)) = (&parsed[index], &parsed[index + 1]) else {
            continue;
        };
        if issued_by(child, parent) {
            continue;
        }
        let child_name = certificates[index].info().display_name();
        let parent_name = certificates[index + 1].info().display_name();
        let actual = parsed.iter().enumerate().find_map(|(other, candidate)| {
            let candidate = candidate.as_ref()?;
            (other != index && other != index + 1 && issued_by(child, candidate)).then_some(other)
        });
        let message = match actual {
            _ if issued_by(child, child) => format!(
                "certificates[{index}] (\"{child_name}\") is self-signed, so it must be the \
                 last certificate of the chain; put it at the end (a root can also be left out)"
            ),
            Some(other) => format!(
                "certificates[{index}] (\"{child_name}\") is issued by certificates[{other}], \
                 not by the next one (\"{parent_name}\"); order the chain leaf first, each \
                 certificate followed by its issuer"
            ),
            None if child.issuer().as_raw() == parent.subject().as_raw() => format!(
                "certificates[{}] (\"{parent_name}\") has the name of the issuer of \
                 certificates[{index}] (\"{child_name}\") but its key did not sign it; use the \
                 issuer certificate that matches",
                index + 1
            ),
            None => format!(
                "certificates[{}] (\"{parent_name}\") did not issue certificates[{index}] \
                 (\"{child_name}\", issued by \"{}\") and no other certificate in the chain did; \
                 remove unrelated certificates and add the right intermediate",
                index + 1,
                certificates[index].info().issuer
            ),
        };
        report.warning(Target::Certificate(index + 1), Code::ChainOrder, message);
    }
}

fn issued_by(child: &X509Certificate<'_>, parent: &X509Certificate<'_>) -> bool {
    child.issuer().as_raw() == parent.subject().as_raw()
        && child.verify_signature(Some(parent.public_key())).is_ok()
}

/// Whether the DNS name `pattern` of a certificate covers the host name `host` (RFC 6125).
///
/// Comparison ignores ASCII case and a trailing dot. A wildcard is accepted only as the whole
/// left-most label (`*.example.com`); it covers exactly one label, never the bare domain, and is
/// not honoured directly under a top-level domain (`*.com`).
///
/// ```
/// use aml_tls::dns_name_matches;
/// assert!(dns_name_matches("*.contoso.com", "api.Contoso.com."));
/// assert!(!dns_name_matches("*.contoso.com", "contoso.com"));
/// assert!(!dns_name_matches("*.contoso.com", "a.b.contoso.com"));
/// assert!(!dns_name_matches("a*.contoso.com", "api.contoso.com"));
/// ```
pub fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if pattern.is_empty() || host.is_empty() || host.contains('*') {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => {
            if suffix.contains('*') || !suffix.contains('.') {
                return false;
            }
            host.split_once('.')
                .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix)
        }
        None => !pattern.contains('*') && pattern == host,
    }
}

fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    quoted.join(", ")
}

fn timestamp(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_covers_one_left_most_label_only() {
        assert!(dns_name_matches("*.example.com", "www.example.com"));
        assert!(dns_name_matches("*.EXAMPLE.com.", "WWW.example.COM"));
        assert!(!dns_name_matches("*.example.com", "example.com"));
        assert!(!dns_name_matches("*.example.com", "a.www.example.com"));
        assert!(!dns_name_matches("*.example.com", ".example.com"));
        assert!(!dns_name_matches("www.*.com", "www.example.com"));
        assert!(!dns_name_matches("*.*.example.com", "a.b.example.com"));
        assert!(!dns_name_matches("*.com", "example.com"));
        assert!(!dns_name_matches("w*.example.com", "www.example.com"));
        assert!(!dns_name_matches("*.example.com", "*.example.com"));
    }

    #[test]
    fn exact_names_match_case_insensitively() {
        assert!(dns_name_matches("api.contoso.com", "API.contoso.com"));
        assert!(!dns_name_matches("api.contoso.com", "api.contoso.co"));
        assert!(!dns_name_matches("", ""));
    }
}
