//! A validated create and its `PUT` body.

use serde_json::{Map, Value, json};

use super::body::{insert_load_balancer, ssl_body};
use super::{WorkspaceRef, check_name, check_workspace_location};
use crate::Rule;
use crate::config::{AksProvisioningBuilder, AksProvisioningConfiguration};
use crate::resource_id::ComputeId;
use crate::validate::{Issue, Report};

/// A validated create: name, configuration and workspace checked together.
#[derive(Debug)]
pub struct CreateCompute {
    id: ComputeId,
    workspace_location: Option<String>,
    compute_location: String,
    config: AksProvisioningConfiguration,
    warnings: Vec<Issue>,
}

impl CreateCompute {
    /// Validates everything at once: the name (R7, reserved names), the configuration, and what
    /// depends on the workspace (a region for the compute, a different region is a warning).
    pub fn new(
        workspace: WorkspaceRef,
        name: &str,
        config: AksProvisioningBuilder,
    ) -> crate::Result<Self> {
        let mut report = Report::new();
        let name = check_name(name, &mut report, true);
        check_workspace_location(&workspace, &mut report);
        let config = config.check(&mut report);
        let location = config
            .as_ref()
            .and_then(|c| c.location().map(str::to_owned))
            .or_else(|| workspace.location.clone());
        match (&location, &workspace.location) {
            (None, _) if report.is_ok() => report.error(
                "create.location",
                Rule::LocationUnknown,
                "the cluster's region is unknown; set create.location or the workspace's location",
            ),
            (Some(c), Some(w)) if !c.eq_ignore_ascii_case(w) => report.warn(
                "create.location",
                Rule::LocationDiffers,
                format!(
                    "the cluster is in {c} and the workspace in {w}; traffic between them adds latency and egress cost"
                ),
            ),
            _ => {}
        }
        let warnings = report.warnings.clone();
        match (name, config, location) {
            (Some(name), Some(config), Some(compute_location)) if report.is_ok() => Ok(Self {
                id: ComputeId::new(workspace.id, name),
                workspace_location: workspace.location,
                compute_location,
                config,
                warnings,
            }),
            _ => Err(crate::Error::Invalid(report)),
        }
    }

    /// The compute's id.
    pub fn id(&self) -> &ComputeId {
        &self.id
    }
    /// The configuration.
    pub fn config(&self) -> &AksProvisioningConfiguration {
        &self.config
    }
    /// Every warning of the name, configuration and workspace checks.
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }
    /// The region the cluster is created in.
    pub fn compute_location(&self) -> &str {
        &self.compute_location
    }

    /// The PUT body, with every effective value sent explicitly.
    pub fn body(&self) -> Value {
        let c = &self.config;
        let mut props = Map::new();
        props.insert("agentCount".into(), json!(c.agent_count()));
        props.insert("agentVmSize".into(), json!(c.vm_size()));
        props.insert("clusterPurpose".into(), json!(c.cluster_purpose().as_str()));
        props.insert("sslConfiguration".into(), ssl_body(c.tls(), None));
        insert_load_balancer(&mut props, c.load_balancer());
        if let Some(v) = c.vnet() {
            let subnet_id = v
                .subnet_id(self.id.workspace().subscription_id())
                .map(|s| s.to_string())
                .unwrap_or_default();
            props.insert(
                "aksNetworkingConfiguration".into(),
                json!({
                    "subnetId": subnet_id,
                    "serviceCidr": v.service_cidr().to_string(),
                    "dnsServiceIP": v.dns_service_ip().to_string(),
                    "dockerBridgeCidr": v.docker_bridge_cidr().to_string(),
                }),
            );
        }
        json!({
            "location": self.workspace_location.as_deref().unwrap_or(&self.compute_location),
            "properties": {
                "computeType": "AKS",
                "computeLocation": self.compute_location,
                "properties": Value::Object(props),
            }
        })
    }
}
