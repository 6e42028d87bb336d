//! Create: a new AKS cluster through the workspace (R1).

use aml_model::config::{AksProvisioningBuilder, TlsSettings};
use aml_model::plan::Plan;
use aml_model::request::CreateCompute;
use aml_tls::OffsetDateTime;

use crate::error::Result;
use crate::operation::ComputeOperation;
use crate::run::with_tls_report;
use crate::workspace::Workspace;

/// A valid region used only to validate the rest of a configuration before the workspace's
/// real region is read.
const PROBE_LOCATION: &str = "eastus";

impl Workspace {
    /// The plan of [`Workspace::begin_create`]: check that the name is free, `PUT`, wait.
    /// Validates everything (aml-model's rules and aml-tls's certificate checks); sends nothing.
    pub fn plan_create(&self, name: &str, config: AksProvisioningBuilder) -> Result<Plan> {
        let tls = crate::tls::check_settings(&config.tls, OffsetDateTime::now_utc());
        let create = with_tls_report(CreateCompute::new(self.workspace_ref(), name, config), tls)?;
        Ok(self.plan(Plan::create(&self.requests, &create)))
    }

    /// Creates a new AKS cluster through the workspace (R1), running [`plan_create`]'s plan:
    /// a name that exists is [`Error::AlreadyExists`](crate::Error::AlreadyExists) and nothing
    /// is written. Returns once the `PUT` is accepted; await the operation to wait for it.
    ///
    /// When neither the configuration nor the workspace names a region, the workspace is read
    /// for its region first (after the rest of the configuration has passed validation).
    ///
    /// [`plan_create`]: Workspace::plan_create
    pub async fn begin_create(
        &self,
        name: &str,
        config: AksProvisioningBuilder,
    ) -> Result<ComputeOperation> {
        let create = self.prepare_create(name, config).await?;
        let plan = self.plan(Plan::create(&self.requests, &create));
        Box::pin(ComputeOperation::start(self.clone(), plan)).await
    }

    /// Validates a create, learning the workspace's region first when nothing else names one.
    ///
    /// The region is read only after the rest of the configuration has passed validation (on a
    /// deliberate copy of it), so an invalid configuration sends nothing.
    pub(crate) async fn prepare_create(
        &self,
        name: &str,
        config: AksProvisioningBuilder,
    ) -> Result<CreateCompute> {
        let tls = crate::tls::check_settings(&config.tls, OffsetDateTime::now_utc());
        let mut ws = self.workspace_ref();
        if ws.location.is_none() && config.location.is_none() {
            let mut probe_ws = self.workspace_ref();
            probe_ws.location = Some(PROBE_LOCATION.to_owned());
            with_tls_report(
                CreateCompute::new(probe_ws, name, duplicate(&config)),
                tls.clone(),
            )?;
            let mut fresh = self.clone();
            Box::pin(fresh.refresh()).await?;
            ws.location = fresh.location;
        }
        with_tls_report(CreateCompute::new(ws, name, config), tls)
    }
}

/// A deliberate copy of a provisioning builder, key included, used only for validation.
fn duplicate(b: &AksProvisioningBuilder) -> AksProvisioningBuilder {
    AksProvisioningBuilder {
        agent_count: b.agent_count,
        vm_size: b.vm_size.clone(),
        location: b.location.clone(),
        cluster_purpose: b.cluster_purpose.clone(),
        vnet: b.vnet.clone(),
        load_balancer: b.load_balancer.clone(),
        tls: TlsSettings {
            disabled: b.tls.disabled,
            cert_pem: b.tls.cert_pem.clone(),
            key_pem: b
                .tls
                .key_pem
                .as_ref()
                .map(|k| aml_model::PrivateKeyPem::new(k.expose())),
            cname: b.tls.cname.clone(),
            leaf_domain_label: b.tls.leaf_domain_label.clone(),
            overwrite_existing_domain: b.tls.overwrite_existing_domain,
            renew: b.tls.renew,
        },
    }
}
