//! The differences between a live compute and the desired one, each with its remedy: TLS and
//! the load balancer change in place, an attached cluster's purpose by re-attaching, the rest
//! (VM size, region, virtual network, another cluster) only by making the compute again.

use aml_model::config::TlsConfig;
use aml_model::request::{AttachCompute, CreateCompute};
use aml_model::wire::{ClusterPurpose, LoadBalancerType, SslConfigStatus};

use crate::aks::AksCompute;
use crate::difference::{Difference, Remedy};

pub(super) fn eq_opt(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

pub(super) fn show(v: Option<&str>) -> String {
    v.map_or_else(|| "unset".to_owned(), str::to_owned)
}

/// A difference of `field`.
pub(super) fn diff(
    field: &'static str,
    existing: String,
    desired: String,
    remedy: Remedy,
) -> Difference {
    Difference {
        field,
        existing,
        desired,
        remedy,
    }
}

/// The certificate's identity: its base64 body, whitespace ignored (PEM line breaks vary).
pub(crate) fn pem_body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect()
}

/// How a certificate is named in a difference: the SHA-256 fingerprint of its leaf, as
/// `openssl x509 -fingerprint -sha256` prints it (and how many certificates the chain has, when
/// more than one); the last characters of its body when it does not parse.
fn cert_tag(pem: &str) -> String {
    match aml_tls::CertificateChain::from_pem(pem.as_bytes()) {
        Ok(chain) if chain.len() > 1 => format!(
            "SHA-256 {} (chain of {})",
            chain.leaf().sha256_fingerprint(),
            chain.len()
        ),
        Ok(chain) => format!("SHA-256 {}", chain.leaf().sha256_fingerprint()),
        Err(_) => {
            let body = pem_body(pem);
            let tail = body.get(body.len().saturating_sub(12)..).unwrap_or(&body);
            format!("unparsable certificate ...{tail}")
        }
    }
}

/// TLS: status, CNAME, leaf domain label and the certificate itself, all in place (update).
pub(super) fn tls_differences(existing: &AksCompute, tls: &TlsConfig, out: &mut Vec<Difference>) {
    let status = existing
        .ssl_status()
        .cloned()
        .unwrap_or(SslConfigStatus::Disabled);
    let (want_status, want_cname, want_label, want_cert) = match tls {
        TlsConfig::Disabled => (SslConfigStatus::Disabled, None, None, None),
        TlsConfig::Custom(c) => (
            SslConfigStatus::Enabled,
            Some(c.cname()),
            None,
            Some(c.cert_pem()),
        ),
        TlsConfig::Microsoft(m) => (
            SslConfigStatus::Auto,
            None,
            Some(m.leaf_domain_label()),
            None,
        ),
        // Renewing is an action, not a state: a spec that renews matches any Auto compute.
        TlsConfig::Renew { .. } => (SslConfigStatus::Auto, None, None, None),
    };
    if status != want_status {
        out.push(diff(
            "tls.status",
            status.to_string(),
            want_status.to_string(),
            Remedy::Update,
        ));
    }
    if want_cname.is_some() && !eq_opt(existing.ssl_cname(), want_cname) {
        out.push(diff(
            "tls.cname",
            show(existing.ssl_cname()),
            show(want_cname),
            Remedy::Update,
        ));
    }
    if want_label.is_some() && !eq_opt(existing.leaf_domain_label(), want_label) {
        out.push(diff(
            "tls.leaf_domain_label",
            show(existing.leaf_domain_label()),
            show(want_label),
            Remedy::Update,
        ));
    }
    // A rotated certificate: the same CNAME with another certificate (or another chain).
    if let Some(cert) = want_cert
        && status == SslConfigStatus::Enabled
        && existing.ssl_cert().map(pem_body) != Some(pem_body(cert))
    {
        out.push(diff(
            "tls.cert",
            existing.ssl_cert().map_or_else(|| "unset".into(), cert_tag),
            cert_tag(cert),
            Remedy::Update,
        ));
    }
}

pub(super) fn lb_differences(
    existing: &AksCompute,
    lb: &aml_model::config::LoadBalancer,
    out: &mut Vec<Difference>,
) {
    let desired: &LoadBalancerType = lb.kind();
    if existing.load_balancer_type() != desired {
        out.push(diff(
            "load_balancer.type",
            existing.load_balancer_type().to_string(),
            desired.to_string(),
            Remedy::Update,
        ));
    }
    if lb.subnet().is_some() && !eq_opt(existing.load_balancer_subnet(), lb.subnet()) {
        out.push(diff(
            "load_balancer.subnet",
            show(existing.load_balancer_subnet()),
            show(lb.subnet()),
            Remedy::Update,
        ));
    }
}

pub(super) fn purpose_difference(
    existing: &AksCompute,
    purpose: &ClusterPurpose,
    field: &'static str,
    remedy: Remedy,
    out: &mut Vec<Difference>,
) {
    // The service's default purpose is FastProd.
    let have = existing.cluster_purpose().cloned().unwrap_or_default();
    if have != *purpose {
        out.push(diff(field, have.to_string(), purpose.to_string(), remedy));
    }
}

/// Every difference between an existing compute and a desired create.
pub(super) fn differences_create(existing: &AksCompute, create: &CreateCompute) -> Vec<Difference> {
    let c = create.config();
    let mut out = Vec::new();
    if existing.is_attached() {
        out.push(diff(
            "create",
            "an attached cluster".into(),
            "a cluster created by the workspace".into(),
            Remedy::Recreate,
        ));
    }
    if existing.agent_count() != Some(c.agent_count()) {
        out.push(diff(
            "create.agent_count",
            existing
                .agent_count()
                .map_or_else(|| "unset".into(), |n| n.to_string()),
            c.agent_count().to_string(),
            Remedy::Scale,
        ));
    }
    if !eq_opt(existing.agent_vm_size(), Some(c.vm_size())) {
        out.push(diff(
            "create.vm_size",
            show(existing.agent_vm_size()),
            c.vm_size().to_owned(),
            Remedy::Recreate,
        ));
    }
    if !eq_opt(existing.compute_location(), Some(create.compute_location())) {
        out.push(diff(
            "create.location",
            show(existing.compute_location()),
            create.compute_location().to_owned(),
            Remedy::Recreate,
        ));
    }
    let subscription = create.id().workspace().subscription_id();
    let want_subnet = c
        .vnet()
        .and_then(|v| v.subnet_id(subscription).ok())
        .map(|s| s.to_string());
    if !eq_opt(existing.vnet_subnet_id(), want_subnet.as_deref()) {
        out.push(diff(
            "create.vnet",
            show(existing.vnet_subnet_id()),
            show(want_subnet.as_deref()),
            Remedy::Recreate,
        ));
    }
    purpose_difference(
        existing,
        c.cluster_purpose(),
        "create.cluster_purpose",
        Remedy::Recreate,
        &mut out,
    );
    lb_differences(existing, c.load_balancer(), &mut out);
    tls_differences(existing, c.tls(), &mut out);
    out
}

/// Every difference between an existing compute and a desired attach.
pub(super) fn differences_attach(existing: &AksCompute, attach: &AttachCompute) -> Vec<Difference> {
    let c = attach.config();
    let mut out = Vec::new();
    if existing.cluster_id().as_ref() != Some(attach.cluster()) {
        out.push(diff(
            "attach.resource_id",
            show(existing.cluster_resource_id()),
            attach.cluster().to_string(),
            Remedy::Recreate,
        ));
    }
    purpose_difference(
        existing,
        c.cluster_purpose(),
        "attach.cluster_purpose",
        Remedy::Reattach,
        &mut out,
    );
    lb_differences(existing, c.load_balancer(), &mut out);
    tls_differences(existing, c.tls(), &mut out);
    out
}
