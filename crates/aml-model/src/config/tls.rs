//! TLS termination on the scoring endpoint (R17, R18, R19).

use crate::Rule;
use crate::secret::PrivateKeyPem;
use crate::validate::{Report, check_dns_label, check_host_name, join};

/// Characters the service appends to a leaf domain label (R17: `<label>######.<region>...`).
pub(crate) const LEAF_LABEL_SUFFIX_LEN: usize = 6;
/// Longest leaf domain label: a DNS label is at most 63 characters and six are added.
pub(crate) const LEAF_LABEL_MAX_LEN: usize = 63 - LEAF_LABEL_SUFFIX_LEN;

/// TLS settings as given, the fields of the Python SDK's `enable_ssl` / `SslConfiguration`.
///
/// Exactly one shape is valid: nothing (TLS off), `disabled`, a custom certificate
/// (`cert_pem` + `key_pem` + `cname`), a Microsoft certificate (`leaf_domain_label`, optionally
/// `overwrite_existing_domain`), or `renew` of a Microsoft certificate.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// Turn TLS off explicitly (an update that disables it).
    pub disabled: bool,
    /// PEM certificate (chain, leaf first) of a custom certificate.
    pub cert_pem: Option<String>,
    /// PEM private key of a custom certificate.
    pub key_pem: Option<PrivateKeyPem>,
    /// Host name the custom certificate is for; point its DNS at the scoring endpoint's IP.
    pub cname: Option<String>,
    /// Leaf domain label of a Microsoft certificate; the FQDN becomes
    /// `<label>######.<region>.cloudapp.azure.com`.
    pub leaf_domain_label: Option<String>,
    /// Take over the leaf domain if it exists already.
    pub overwrite_existing_domain: Option<bool>,
    /// Renew the Microsoft-issued certificate of an `Auto` configuration.
    pub renew: bool,
}

impl TlsSettings {
    /// A custom certificate and key for `cname`.
    pub fn custom(
        cert_pem: impl Into<String>,
        key_pem: PrivateKeyPem,
        cname: impl Into<String>,
    ) -> Self {
        Self {
            cert_pem: Some(cert_pem.into()),
            key_pem: Some(key_pem),
            cname: Some(cname.into()),
            ..Self::default()
        }
    }

    /// A Microsoft-issued certificate for `leaf_domain_label`.
    pub fn microsoft(
        leaf_domain_label: impl Into<String>,
        overwrite_existing_domain: bool,
    ) -> Self {
        Self {
            leaf_domain_label: Some(leaf_domain_label.into()),
            overwrite_existing_domain: Some(overwrite_existing_domain),
            ..Self::default()
        }
    }

    /// TLS off.
    pub fn disabled() -> Self {
        Self {
            disabled: true,
            ..Self::default()
        }
    }

    /// Renew a Microsoft-issued certificate.
    pub fn renew() -> Self {
        Self {
            renew: true,
            ..Self::default()
        }
    }

    /// Whether nothing was said at all.
    pub fn is_empty(&self) -> bool {
        !self.disabled
            && !self.renew
            && self.cert_pem.is_none()
            && self.key_pem.is_none()
            && self.cname.is_none()
            && self.leaf_domain_label.is_none()
            && self.overwrite_existing_domain.is_none()
    }

    /// The values themselves: PEM shapes, the CNAME and the leaf domain label.
    fn check_values(&self, report: &mut Report, prefix: &str) {
        let path = |f: &str| join(prefix, f);
        if let Some(cert) = &self.cert_pem {
            if cert.trim().is_empty() {
                report.error(
                    path("cert"),
                    Rule::TlsCertEmpty,
                    "is empty; give the PEM certificate",
                );
            } else if !cert.contains("-----BEGIN CERTIFICATE-----") {
                report.error(
                    path("cert"),
                    Rule::TlsCertNotPem,
                    "is not a PEM certificate (no BEGIN CERTIFICATE line); give the certificate in PEM form",
                );
            }
        }
        if let Some(key) = &self.key_pem {
            if key.is_blank() {
                report.error(
                    path("key"),
                    Rule::TlsKeyEmpty,
                    "is empty; give the PEM private key",
                );
            } else if !key.expose().contains("PRIVATE KEY-----") {
                report.error(
                    path("key"),
                    Rule::TlsKeyNotPem,
                    "is not a PEM private key (no BEGIN ... PRIVATE KEY line); give the key in PEM form",
                );
            }
        }
        if let Some(cname) = &self.cname
            && let Err(why) = check_host_name(cname)
        {
            report.error(path("cname"), Rule::TlsCname, why);
        }
        if let Some(label) = &self.leaf_domain_label {
            check_leaf_label(label, report, prefix);
        }
    }

    /// Validates into a [`TlsConfig`], writing problems under `prefix` (usually `tls`).
    /// Nothing said means [`TlsConfig::Disabled`].
    pub(crate) fn check(self, report: &mut Report, prefix: &str) -> Option<TlsConfig> {
        let before = report.errors.len();
        let path = |f: &str| join(prefix, f);
        let custom_given = [
            ("cert", self.cert_pem.is_some()),
            ("key", self.key_pem.is_some()),
            ("cname", self.cname.is_some()),
        ];
        let any_custom = custom_given.iter().any(|(_, g)| *g);
        let microsoft = self.leaf_domain_label.is_some();

        if self.disabled && (any_custom || microsoft || self.renew) {
            report.error(
                path("disabled"),
                Rule::TlsConflict,
                "TLS cannot be disabled and configured at once; remove the certificate settings or the disable",
            );
        }
        if any_custom && microsoft {
            report.error(
                path("leaf_domain_label"),
                Rule::TlsConflict,
                "a leaf domain label asks for a Microsoft certificate and cannot be combined with cert, key or cname; choose one",
            );
        }
        if any_custom && !microsoft {
            for (field, given) in custom_given {
                if !given {
                    report.error(
                        path(field),
                        Rule::TlsIncomplete,
                        "is missing; a custom certificate needs cert, key and cname together",
                    );
                }
            }
        }
        if self.overwrite_existing_domain.is_some() && !microsoft && !self.renew {
            report.error(
                path("overwrite_existing_domain"),
                Rule::TlsOverwriteWithoutLabel,
                "applies only to a Microsoft certificate; set leaf_domain_label too, or remove it",
            );
        }
        if self.renew && any_custom {
            report.error(
                path("renew"),
                Rule::TlsRenewNeedsAuto,
                "renewing applies only to a Microsoft-issued (Auto) certificate; to replace a custom certificate, give the new cert, key and cname without renew",
            );
        }
        self.check_values(report, prefix);
        if report.errors.len() > before {
            return None;
        }
        if self.disabled {
            return Some(TlsConfig::Disabled);
        }
        if self.renew {
            return Some(TlsConfig::Renew {
                leaf_domain_label: self.leaf_domain_label,
            });
        }
        if let Some(leaf_domain_label) = self.leaf_domain_label {
            return Some(TlsConfig::Microsoft(MicrosoftTls {
                leaf_domain_label,
                overwrite_existing_domain: self.overwrite_existing_domain.unwrap_or(false),
            }));
        }
        match (self.cert_pem, self.key_pem, self.cname) {
            (Some(cert_pem), Some(key_pem), Some(cname)) => Some(TlsConfig::Custom(CustomTls {
                cert_pem,
                key_pem,
                cname,
            })),
            _ => Some(TlsConfig::Disabled),
        }
    }
}

fn check_leaf_label(label: &str, report: &mut Report, prefix: &str) {
    let path = || join(prefix, "leaf_domain_label");
    if label.chars().any(|c| c.is_ascii_uppercase()) {
        report.error(
            path(),
            Rule::TlsLeafDomainLabel,
            format!(
                "{label:?} has upper-case letters; DNS labels here must be lower-case, like {:?}",
                label.to_ascii_lowercase()
            ),
        );
        return;
    }
    if label.contains('.') {
        report.error(
            path(),
            Rule::TlsLeafDomainLabel,
            format!("{label:?} contains a dot; give one DNS label (the region's domain is added by the service)"),
        );
        return;
    }
    if let Err(why) = check_dns_label(label, LEAF_LABEL_MAX_LEN) {
        report.error(
            path(),
            Rule::TlsLeafDomainLabel,
            format!(
                "{label:?} {why}; the service appends {LEAF_LABEL_SUFFIX_LEN} characters to a DNS label of at most 63, so the label may have at most {LEAF_LABEL_MAX_LEN}"
            ),
        );
    } else if !label.starts_with(|c: char| c.is_ascii_lowercase()) {
        report.error(
            path(),
            Rule::TlsLeafDomainLabel,
            format!("{label:?} must start with a letter"),
        );
    }
}

/// A validated TLS choice.
#[derive(Debug, PartialEq, Eq, Default)]
pub enum TlsConfig {
    /// TLS off.
    #[default]
    Disabled,
    /// A custom certificate (status `Enabled` on the wire).
    Custom(CustomTls),
    /// A Microsoft-issued certificate for a leaf domain label (status `Auto`).
    Microsoft(MicrosoftTls),
    /// Renew the Microsoft-issued certificate of an `Auto` configuration; the label of the
    /// current configuration is kept unless one is given.
    Renew {
        /// A label to use instead of the current one.
        leaf_domain_label: Option<String>,
    },
}

impl TlsConfig {
    /// Whether TLS is on after this configuration applies.
    pub fn is_enabled(&self) -> bool {
        !matches!(self, Self::Disabled)
    }
}

/// A custom certificate, key and CNAME.
#[derive(Debug, PartialEq, Eq)]
pub struct CustomTls {
    cert_pem: String,
    key_pem: PrivateKeyPem,
    cname: String,
}

impl CustomTls {
    /// The PEM certificate (chain, leaf first).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }
    /// The PEM private key.
    pub fn key_pem(&self) -> &PrivateKeyPem {
        &self.key_pem
    }
    /// The host name the certificate is for.
    pub fn cname(&self) -> &str {
        &self.cname
    }
}

/// A Microsoft-issued certificate for a leaf domain label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MicrosoftTls {
    leaf_domain_label: String,
    overwrite_existing_domain: bool,
}

impl MicrosoftTls {
    /// The leaf domain label.
    pub fn leaf_domain_label(&self) -> &str {
        &self.leaf_domain_label
    }
    /// Whether an existing domain of that label is taken over.
    pub fn overwrite_existing_domain(&self) -> bool {
        self.overwrite_existing_domain
    }
}

pub(super) fn check_tls_with_load_balancer(tls_on: bool, internal_lb: bool, report: &mut Report) {
    if tls_on && internal_lb {
        report.error(
            "tls",
            Rule::TlsInternalLoadBalancer,
            "TLS termination is not supported with an internal load balancer; use a public IP, or terminate TLS in front of the private endpoint",
        );
    }
}

impl TlsSettings {
    /// Whether these settings ask for TLS to be on (whatever their validity).
    pub(super) fn asks_for_tls(&self) -> bool {
        !self.is_empty() && !self.disabled
    }
}
