//! A validated attach and its `PUT` body.

use serde_json::{Value, json};

use super::body::ssl_body;
use super::{WorkspaceRef, check_name, check_workspace_location};
use crate::Rule;
use crate::config::{AksAttachBuilder, AksAttachConfiguration, AksUpdateConfiguration};
use crate::resource_id::{AksClusterId, ComputeId};
use crate::validate::{Issue, Report};

/// A validated attach: name, configuration and workspace checked together.
#[derive(Debug)]
pub struct AttachCompute {
    id: ComputeId,
    workspace_location: Option<String>,
    cluster: AksClusterId,
    config: AksAttachConfiguration,
    warnings: Vec<Issue>,
}

impl AttachCompute {
    /// Validates everything at once: the name (R7), the configuration, and that the cluster is
    /// in the workspace's subscription (R9; its region may differ).
    pub fn new(
        workspace: WorkspaceRef,
        name: &str,
        config: AksAttachBuilder,
    ) -> crate::Result<Self> {
        let mut report = Report::new();
        match Self::check(workspace, name, config, &mut report) {
            Some(attach) if report.is_ok() => Ok(attach),
            _ => Err(crate::Error::Invalid(report)),
        }
    }

    /// Validates into `report`; `None` when something is wrong (reported there).
    pub(crate) fn check(
        workspace: WorkspaceRef,
        name: &str,
        config: AksAttachBuilder,
        report: &mut Report,
    ) -> Option<Self> {
        let mut local = Report::new();
        let name = check_name(name, &mut local, false);
        check_workspace_location(&workspace, &mut local);
        let config = config.check(&mut local);
        let subscription = workspace.id.subscription_id().to_owned();
        let cluster = config
            .as_ref()
            .and_then(|c| match c.cluster().resolve(&subscription) {
                Ok(id) => Some(id),
                Err(e) => {
                    local.error("attach.resource_id", Rule::AttachResourceId, e.to_string());
                    None
                }
            });
        if let Some(cluster) = &cluster
            && !cluster
                .subscription_id()
                .eq_ignore_ascii_case(&subscription)
        {
            local.error(
                    "attach.resource_id",
                    Rule::AttachOtherSubscription,
                    format!(
                        "the cluster is in subscription {} but the workspace is in {subscription}; an attached cluster must be in the workspace's subscription",
                        cluster.subscription_id()
                    ),
                );
        }
        let warnings = local.warnings.clone();
        let ok = local.is_ok();
        report.merge(local);
        match (name, config, cluster) {
            (Some(name), Some(config), Some(cluster)) if ok => Some(Self {
                id: ComputeId::new(workspace.id, name),
                workspace_location: workspace.location,
                cluster,
                config,
                warnings,
            }),
            _ => None,
        }
    }

    /// The compute's id.
    pub fn id(&self) -> &ComputeId {
        &self.id
    }
    /// The workspace's region, when known.
    pub fn workspace_location(&self) -> Option<&str> {
        self.workspace_location.as_deref()
    }
    /// The cluster to attach.
    pub fn cluster(&self) -> &AksClusterId {
        &self.cluster
    }
    /// The configuration.
    pub fn config(&self) -> &AksAttachConfiguration {
        &self.config
    }
    /// Every warning of the name, configuration and workspace checks.
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }

    /// The PUT body. A load balancer other than the default is not part of it: it is applied
    /// by an update once the cluster is attached (R20), see [`AttachCompute::follow_up`].
    pub fn body(&self) -> Value {
        let c = &self.config;
        let mut body = json!({
            "properties": {
                "computeType": "AKS",
                "resourceId": self.cluster.to_string(),
                "properties": {
                    "clusterPurpose": c.cluster_purpose().as_str(),
                    "sslConfiguration": ssl_body(c.tls(), None),
                },
            }
        });
        if let Some(location) = &self.workspace_location {
            body["location"] = json!(location);
        }
        body
    }

    /// The update to apply after attaching: an internal load balancer (R20), or nothing.
    pub fn follow_up(&self) -> Option<AksUpdateConfiguration> {
        let lb = self.config.load_balancer();
        lb.is_internal()
            .then(|| AksUpdateConfiguration::switch_to(lb.clone()))
    }
}
