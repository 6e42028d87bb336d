//! The parts of a compute body that create, attach and update share: TLS and the load balancer.

use serde_json::{Map, Value, json};

use crate::config::{LoadBalancer, TlsConfig};

pub(crate) fn insert_load_balancer(props: &mut Map<String, Value>, lb: &LoadBalancer) {
    props.insert("loadBalancerType".into(), json!(lb.kind().as_str()));
    if let Some(subnet) = lb.subnet() {
        props.insert("loadBalancerSubnet".into(), json!(subnet));
    }
}

/// The `sslConfiguration` body for `tls`; `current` is the compute's present configuration,
/// needed to renew (which keeps the present leaf domain label).
///
/// Renewing a Microsoft-issued certificate has no field of its own in the swagger: the
/// `SslConfiguration` of 2024-04-01 (this crate's [`DEFAULT_API_VERSION`](super::DEFAULT_API_VERSION), the only one it
/// supports) has `status` (`Disabled`, `Enabled`, `Auto`), `cert`, `key`, `cname`,
/// `leafDomainLabel` and `overwriteExistingDomain`. The Python SDK v1
/// (`AksCompute._build_update_payload` with `SslConfiguration(renew=True)`) sends the current
/// configuration with `"renew": true` added; the swagger does not show that flag, and whether
/// the service still reads it at 2024-04-01 is not documented. The body here says both:
/// `"renew": true` for a service that reads the flag, and, in the swagger's own terms, a
/// Microsoft certificate (`Auto`) for the same label that may take over the domain the compute
/// already holds (`overwriteExistingDomain`), with the current `cname` when the label is
/// unchanged so that the domain stays.
pub(crate) fn ssl_body(tls: &TlsConfig, current: Option<&Value>) -> Value {
    match tls {
        TlsConfig::Disabled => json!({ "status": "Disabled" }),
        TlsConfig::Custom(c) => json!({
            "status": "Enabled",
            "cert": c.cert_pem(),
            "key": c.key_pem().expose(),
            "cname": c.cname(),
        }),
        TlsConfig::Microsoft(m) => json!({
            "status": "Auto",
            "leafDomainLabel": m.leaf_domain_label(),
            "overwriteExistingDomain": m.overwrite_existing_domain(),
        }),
        TlsConfig::Renew { leaf_domain_label } => {
            let current_label = current
                .and_then(|c| c.get("leafDomainLabel"))
                .and_then(Value::as_str);
            let label = leaf_domain_label.as_deref().or(current_label);
            let mut body = json!({
                "status": "Auto",
                "leafDomainLabel": label,
                "overwriteExistingDomain": true,
                "renew": true,
            });
            if let (Some(label), Some(current_label)) = (label, current_label)
                && label.eq_ignore_ascii_case(current_label)
                && let Some(cname) = current
                    .and_then(|c| c.get("cname"))
                    .filter(|cname| cname.is_string())
            {
                body["cname"] = cname.clone();
            }
            body
        }
    }
}
