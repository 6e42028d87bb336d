//! The scoring endpoint: TLS configuration (Microsoft leaf domains, `renew`, keys kept across
//! a GET-modify-PUT) and the scoring IP address.

use aml_model::wire::{AksProperties, SslConfigStatus, SslConfiguration};
use serde_json::Value;

use crate::arm_error::ArmError;
use crate::state::Ctx;
use crate::versions::normalize_location;

/// R17: a Microsoft-issued certificate's FQDN is `<label>` + six random characters +
/// `.<region>.cloudapp.azure.com`; it is reported as the `cname`.
pub(super) fn fill_leaf_domain(settings: &mut AksProperties, location: &str, ctx: &Ctx<'_>) {
    if let Some(SslConfiguration {
        leaf_domain_label: Some(label),
        cname,
        ..
    }) = &mut settings.ssl_configuration
        && cname.is_none()
    {
        *cname = Some(leaf_domain_fqdn(label, location, ctx));
    }
}

fn leaf_domain_fqdn(label: &str, location: &str, ctx: &Ctx<'_>) -> String {
    format!(
        "{label}{}.{}.cloudapp.azure.com",
        ctx.ids.alphanumeric(6),
        normalize_location(location)
    )
}

/// Where a `renew` flag is reported.
const RENEW_TARGET: &str = "properties.properties.sslConfiguration.renew";

/// Takes `sslConfiguration.renew` out of `ssl` (it is a request, never stored or shown).
///
/// The swagger's `SslConfiguration` (2024-04-01) has no such field; the Python SDK v1 sends
/// `"renew": true` on the current configuration to renew a Microsoft-issued certificate
/// (`AksCompute._build_update_payload`), so the emulator understands it.
pub(super) fn take_renew(ssl: &mut SslConfiguration) -> Result<bool, ArmError> {
    match ssl.extra.remove("renew") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(renew)) => Ok(renew),
        Some(other) => Err(ArmError::invalid_content(format!(
            "sslConfiguration.renew must be true or false, not {other}"
        ))
        .with_target(RENEW_TARGET)),
    }
}

/// The TLS configuration after an update that sends `ssl`, given the `current` one.
///
/// - A block without a key for the current certificate keeps the key (a GET-modify-PUT: GET
///   never shows the key).
/// - `renew` re-issues the Microsoft certificate of an `Auto` configuration: the current label
///   (unless the block names another) and its domain are kept. Renewing anything else is a 400.
/// - A Microsoft certificate for the current label keeps the current domain; a new label gets a
///   new one (R17).
pub(super) fn updated_ssl(
    current: Option<&SslConfiguration>,
    mut ssl: SslConfiguration,
    location: &str,
    ctx: &Ctx<'_>,
) -> Result<SslConfiguration, ArmError> {
    let renew = take_renew(&mut ssl)?;
    if renew {
        let current_label = current
            .filter(|old| old.status == Some(SslConfigStatus::Auto))
            .and_then(|old| old.leaf_domain_label.clone());
        let asked_other = ssl
            .status
            .as_ref()
            .is_some_and(|status| *status != SslConfigStatus::Auto);
        let Some(label) = current_label.filter(|_| !asked_other) else {
            return Err(ArmError::bad_request(
                "sslConfiguration.renew renews a Microsoft-issued certificate: the compute's TLS \
                 status must be 'Auto' with a leafDomainLabel, and the update's status 'Auto' or \
                 absent. To replace a custom certificate, send the new cert, key and cname.",
            )
            .with_target(RENEW_TARGET));
        };
        ssl.status = Some(SslConfigStatus::Auto);
        ssl.leaf_domain_label.get_or_insert(label);
        ssl.cert = None;
        ssl.key = None;
    }
    if ssl.key.is_none()
        && let Some(old) = current
        && old.cert.is_some()
        && old.cert == ssl.cert
    {
        ssl.key.clone_from(&old.key);
    }
    if ssl.status != Some(SslConfigStatus::Disabled)
        && let Some(label) = ssl.leaf_domain_label.clone()
    {
        let same_domain = current
            .filter(|old| {
                old.leaf_domain_label
                    .as_deref()
                    .is_some_and(|old_label| old_label.eq_ignore_ascii_case(&label))
            })
            .and_then(|old| old.cname.clone());
        ssl.cname = Some(same_domain.unwrap_or_else(|| leaf_domain_fqdn(&label, location, ctx)));
    }
    Ok(ssl)
}

/// The scoring endpoint's address: a documentation-range public IP, or a private one behind an
/// internal load balancer. Never contacted.
pub(super) fn scoring_ip(internal: bool, ctx: &Ctx<'_>) -> String {
    if internal {
        format!("10.0.0.{}", 100 + ctx.ids.byte() % 100)
    } else {
        format!("203.0.113.{}", 1 + ctx.ids.byte() % 250)
    }
}
