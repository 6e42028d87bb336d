//! Attach: an existing AKS cluster becomes a compute of the workspace (R2).

use aml_model::config::AksAttachBuilder;
use aml_model::plan::Plan;
use aml_model::request::AttachCompute;
use aml_tls::OffsetDateTime;

use crate::error::Result;
use crate::operation::ComputeOperation;
use crate::run::with_tls_report;
use crate::workspace::Workspace;

/// Options of [`Workspace::begin_attach`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttachOptions {
    /// Attach even when the cluster is already attached to this workspace under another name.
    ///
    /// The guide warns that each new attachment breaks the earlier one (R10): only set this
    /// to move an attachment deliberately, knowing the old compute will fail.
    pub allow_second_attachment: bool,
    /// When the cluster's authorized API-server IP ranges miss prefixes of the Azure ML
    /// control plane (of the workspace's region and its paired region, from the service tags),
    /// add them to the cluster's ranges (a GET-modify-PUT of the managed cluster, before the
    /// attach) instead of refusing with
    /// [`Error::ControlPlaneNotAdmitted`](crate::Error::ControlPlaneNotAdmitted).
    pub admit_control_plane: bool,
}

impl AttachOptions {
    /// Allows a second attachment of the same cluster (see the field's warning).
    #[must_use]
    pub fn allow_second_attachment(mut self, allow: bool) -> Self {
        self.allow_second_attachment = allow;
        self
    }

    /// Adds the missing control-plane prefixes to the cluster's authorized IP ranges (see the
    /// field).
    #[must_use]
    pub fn admit_control_plane(mut self, admit: bool) -> Self {
        self.admit_control_plane = admit;
        self
    }
}

impl Workspace {
    /// The plan of [`Workspace::begin_attach`]: read the cluster and its region's Kubernetes
    /// versions and check them (R14, R8) and report what the guide warns about (warnings: a
    /// private cluster, Entra ID, accelerators in a secondary pool, egress); when the cluster
    /// has authorized IP ranges, check that they admit the Azure ML control plane (R15; with
    /// [`AttachOptions::admit_control_plane`], add the missing prefixes first); list the workspace's computes and check the name
    /// (R11) and, unless allowed, an earlier attachment of the cluster (R10); `PUT`; wait; and
    /// for an internal load balancer, the update that sets it (R20). Validates everything
    /// (including R9, the workspace's subscription); sends nothing.
    pub fn plan_attach(
        &self,
        name: &str,
        config: AksAttachBuilder,
        options: AttachOptions,
    ) -> Result<Plan> {
        let attach = self.prepare_attach(name, config)?;
        Ok(self.plan(Plan::attach(
            &self.requests,
            &attach,
            options.allow_second_attachment,
            options.admit_control_plane,
        )))
    }

    /// Attaches an existing AKS cluster (R2), running [`plan_attach`]'s plan. A missing cluster
    /// is [`Error::ClusterNotFound`](crate::Error::ClusterNotFound); an unsupported version,
    /// too little capacity for the purpose, a taken name or a cluster attached already refuse
    /// before anything is written. Returns once the `PUT` is accepted; await the operation to
    /// wait for it (and for the follow-up update of an internal load balancer).
    ///
    /// [`plan_attach`]: Workspace::plan_attach
    pub async fn begin_attach(
        &self,
        name: &str,
        config: AksAttachBuilder,
        options: AttachOptions,
    ) -> Result<ComputeOperation> {
        let plan = self.plan_attach(name, config, options)?;
        Box::pin(ComputeOperation::start(self.clone(), plan)).await
    }

    pub(crate) fn prepare_attach(
        &self,
        name: &str,
        config: AksAttachBuilder,
    ) -> Result<AttachCompute> {
        let tls = crate::tls::check_settings(&config.tls, OffsetDateTime::now_utc());
        with_tls_report(AttachCompute::new(self.workspace_ref(), name, config), tls)
    }
}
