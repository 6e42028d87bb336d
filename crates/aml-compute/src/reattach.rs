//! Re-attach: detach a compute and attach its cluster again with new TLS settings, the guide's
//! troubleshooting flow (R19, R22).

use aml_model::config::{AksAttachBuilder, TlsConfig, TlsSettings};
use aml_model::plan::Plan;
use aml_model::wire::ClusterPurpose;

use crate::error::{Error, Result};
use crate::operation::ComputeOperation;
use crate::workspace::Workspace;

impl Workspace {
    /// The plan of [`Workspace::begin_reattach_with_tls`]. The compute is read to learn its
    /// cluster and purpose (nothing is written); the plan then reads it again and checks it is
    /// still attached to that cluster, runs every check of the new attachment (the cluster's
    /// version and capacity) before the detach, then detaches, waits, attaches, waits.
    pub async fn plan_reattach_with_tls(&self, name: &str, tls: TlsSettings) -> Result<Plan> {
        let existing = self.get_aks(name).await?;
        let refuse = |reason: &str| Error::Refused {
            action: "re-attach",
            name: name.to_owned(),
            reason: reason.to_owned(),
            rule: None,
        };
        let Some(cluster) = existing.cluster_id() else {
            return Err(refuse("the compute names no AKS cluster (resourceId)"));
        };
        // A purpose this crate does not know is attached again as the service's default.
        let purpose = existing
            .cluster_purpose()
            .filter(|p| !matches!(p, ClusterPurpose::Unknown(_)))
            .cloned()
            .unwrap_or_default();
        let config = AksAttachBuilder::default()
            .resource_id(cluster.to_string())
            .cluster_purpose(purpose)
            .enable_ssl(tls);
        let attach = self.prepare_attach(name, config)?;
        if !attach.config().tls().is_enabled()
            || matches!(attach.config().tls(), TlsConfig::Renew { .. })
        {
            return Err(refuse(
                "re-attaching with TLS needs a custom certificate (cert, key, cname) or a leaf domain label",
            ));
        }
        Ok(self.plan(Plan::reattach(&self.requests, &attach)))
    }

    /// Detaches the compute and attaches the same cluster again with `tls`, as
    /// [`plan_reattach_with_tls`] shows. Use [`crate::tls::settings_from_secret`] to recover the
    /// material from an `azuremlfessl` secret dump. Returns once the detach is accepted; await
    /// the operation to run the rest.
    ///
    /// [`plan_reattach_with_tls`]: Workspace::plan_reattach_with_tls
    pub async fn begin_reattach_with_tls(
        &self,
        name: &str,
        tls: TlsSettings,
    ) -> Result<ComputeOperation> {
        let plan = self.plan_reattach_with_tls(name, tls).await?;
        Box::pin(ComputeOperation::start(self.clone(), plan)).await
    }
}
