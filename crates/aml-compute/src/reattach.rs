//! Re-attach: detach a compute and attach its cluster again, to update the Azure ML components
//! (R22) or change TLS (R19), with every check first and a rollback if attaching fails.

use aml_model::config::{AksAttachBuilder, LoadBalancerSettings, TlsConfig, TlsSettings};
use aml_model::plan::Plan;
use aml_model::request::AttachCompute;
use aml_model::wire::{ClusterPurpose, LoadBalancerType, SslConfigStatus};
use aml_model::{PrivateKeyPem, Report, Rule};

use crate::aks::AksCompute;
use crate::ensure::differences::pem_body;
use crate::error::{Error, Result};
use crate::operation::ComputeOperation;
use crate::workspace::Workspace;

impl Workspace {
    /// The plan of [`Workspace::begin_reattach`]. The compute is read to learn its cluster,
    /// purpose and TLS (nothing is written). With `tls` `None`, the compute keeps its TLS when
    /// it can be rebuilt (disabled, or a Microsoft certificate's label; a custom certificate's
    /// key is never returned by Azure: rule `reattach.tls`). The plan reads the compute again,
    /// checks it is still attached to that cluster, runs every check of the new attachment (the
    /// cluster's version and capacity, the findings, and the Azure ML control plane when the
    /// cluster has authorized IP ranges) before the detach, then detaches, waits, attaches,
    /// waits; if attaching fails after the detach, it detaches what the failed attach left and
    /// attaches the cluster again with the previous settings (the plan's rollback; a custom
    /// certificate is restored when the same certificate and key are given). A compute on an internal load balancer stays on
    /// it: the attach is followed by the update that switches to it (R20), in the re-attach and
    /// in its rollback; TLS with it is refused as for any attach (rule
    /// `tls.internal_load_balancer`). A compute the workspace created is re-attached too, and
    /// counts as attached afterwards (a `reattach.created` warning).
    pub async fn plan_reattach(&self, name: &str, tls: Option<TlsSettings>) -> Result<Plan> {
        let existing = self.get_aks(name).await?;
        let Some(cluster) = existing.cluster_id() else {
            return Err(Error::Refused {
                action: "re-attach",
                name: name.to_owned(),
                reason: "the compute names no AKS cluster (resourceId)".into(),
                rule: None,
            });
        };
        // A purpose this crate does not know is attached again as the service's default.
        let purpose = existing
            .cluster_purpose()
            .filter(|p| !matches!(p, ClusterPurpose::Unknown(_)))
            .cloned()
            .unwrap_or_default();
        let (kept, lost) = previous_tls(&existing, None);
        let Some(tls) = tls.or_else(|| lost.is_none().then_some(kept)) else {
            let mut report = Report::new();
            report.error(
                "tls",
                Rule::ReattachTls,
                format!(
                    "compute {name} has a custom certificate and Azure does not return its key; give the certificate and key again (aml_compute::tls::settings_from_secret recovers them from the azuremlfessl secret)"
                ),
            );
            return Err(Error::Validation(report));
        };
        let attach_as = |tls: TlsSettings| {
            AksAttachBuilder::default()
                .resource_id(cluster.to_string())
                .cluster_purpose(purpose.clone())
                .load_balancer(previous_load_balancer(&existing))
                .enable_ssl(tls)
        };
        let attach = self.prepare_attach(name, attach_as(tls))?;
        if matches!(attach.config().tls(), TlsConfig::Renew { .. }) {
            let mut report = Report::new();
            report.error(
                "tls",
                Rule::ReattachTls,
                "renewing a Microsoft certificate is an update, not a re-attach: use begin_update with TlsSettings::renew()",
            );
            return Err(Error::Validation(report));
        }
        self.reattach_plan(&existing, &attach)
    }

    /// The re-attach plan of `existing` to `attach`, with the rollback to its previous settings
    /// and the `reattach.created` warning for a compute the workspace created.
    pub(crate) fn reattach_plan(
        &self,
        existing: &AksCompute,
        attach: &AttachCompute,
    ) -> Result<Plan> {
        let name = attach.id().name().as_str();
        let (previous_settings, lost) = previous_tls(existing, Some(attach.config().tls()));
        let previous_config = AksAttachBuilder::default()
            .resource_id(attach.cluster().to_string())
            .cluster_purpose(
                existing
                    .cluster_purpose()
                    .filter(|p| !matches!(p, ClusterPurpose::Unknown(_)))
                    .cloned()
                    .unwrap_or_default(),
            )
            .load_balancer(previous_load_balancer(existing))
            .enable_ssl(previous_settings);
        let previous: AttachCompute = self.prepare_attach(name, previous_config)?;
        let mut plan = Plan::reattach(&self.requests, attach, &previous, lost);
        if !existing.is_attached() {
            let mut report = Report::new();
            report.warn(
                "name",
                Rule::ReattachCreated,
                format!(
                    "compute {name} was created by the workspace; once re-attached it counts as attached, and the workspace will refuse to delete its cluster through the compute (detach it, then `Workspace::begin_delete_cluster`)"
                ),
            );
            plan.push_warnings(report.warnings);
        }
        Ok(self.plan(plan))
    }

    /// Detaches the compute and attaches the same cluster again, as [`plan_reattach`] shows:
    /// every check first; if attaching fails after the detach, the previous attachment is
    /// restored and [`Error::ReattachRolledBack`] says what failed, or, if restoring fails
    /// too, [`Error::ReattachStranded`] carries the previous settings to restore by hand. Use
    /// [`crate::tls::settings_from_secret`] to recover custom TLS material from an
    /// `azuremlfessl` secret dump. Returns once the detach is accepted; await the operation to
    /// run the rest.
    ///
    /// [`plan_reattach`]: Workspace::plan_reattach
    pub async fn begin_reattach(
        &self,
        name: &str,
        tls: Option<TlsSettings>,
    ) -> Result<ComputeOperation> {
        let plan = self.plan_reattach(name, tls).await?;
        Box::pin(ComputeOperation::start(self.clone(), plan)).await
    }
}

/// The compute's load balancer as settings to attach with again: an internal one is switched
/// back to by an update once attached (R20).
fn previous_load_balancer(existing: &AksCompute) -> LoadBalancerSettings {
    if !existing.has_internal_load_balancer() {
        return LoadBalancerSettings::public();
    }
    LoadBalancerSettings {
        kind: Some(LoadBalancerType::InternalLoadBalancer),
        subnet: existing.load_balancer_subnet().map(str::to_owned),
    }
}

/// The compute's TLS as settings to attach with again, and what cannot be rebuilt. Azure
/// returns a custom certificate and its CNAME, never its key: the certificate is restored only
/// when `given` (the settings being attached) holds the same certificate for the same CNAME,
/// whose key is then kept for the rollback (in memory, zeroized when dropped).
fn previous_tls(existing: &AksCompute, given: Option<&TlsConfig>) -> (TlsSettings, Option<String>) {
    match existing.ssl_status() {
        Some(SslConfigStatus::Auto) => match existing.leaf_domain_label() {
            // The same label; taking over the domain the compute held keeps its address.
            Some(label) => (TlsSettings::microsoft(label, true), None),
            None => (
                TlsSettings::disabled(),
                Some("its Microsoft certificate (the compute reports no leaf domain label)".into()),
            ),
        },
        Some(SslConfigStatus::Enabled) => match given {
            Some(TlsConfig::Custom(custom))
                if existing.ssl_cert().map(pem_body) == Some(pem_body(custom.cert_pem()))
                    && existing
                        .ssl_cname()
                        .is_some_and(|c| c.eq_ignore_ascii_case(custom.cname())) =>
            {
                (
                    TlsSettings::custom(
                        custom.cert_pem(),
                        PrivateKeyPem::new(custom.key_pem().expose().to_owned()),
                        custom.cname(),
                    ),
                    None,
                )
            }
            _ => (
                TlsSettings::disabled(),
                Some(format!(
                    "its custom certificate for {} (Azure does not return the key; apply it again with begin_update)",
                    existing.ssl_cname().unwrap_or("its CNAME")
                )),
            ),
        },
        _ => (TlsSettings::disabled(), None),
    }
}
