//! Pure request building: a validated operation and a workspace in, the exact ARM request out
//! (method, path, api-version, JSON body). Nothing here sends anything; `aml-arm` does.

use std::fmt::{self, Write as _};

use serde_json::{Map, Value, json};

use crate::Rule;
use crate::config::{
    AksAttachBuilder, AksAttachConfiguration, AksProvisioningBuilder, AksProvisioningConfiguration,
    AksUpdateConfiguration, LoadBalancer, TlsConfig,
};
use crate::name::{self, ComputeName};
use crate::resource_id::{AksClusterId, ComputeId, WorkspaceId};
use crate::secret::REDACTED;
use crate::validate::{Issue, Report, check_location};

/// The api-version of `Microsoft.MachineLearningServices` this crate is written against.
pub const DEFAULT_API_VERSION: &str = "2024-04-01";

/// HTTP method of an ARM request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// POST
    Post,
    /// DELETE
    Delete,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Post => "POST",
            Self::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One ARM request, ready to send against an endpoint such as `https://management.azure.com`.
#[derive(Clone, PartialEq)]
pub struct ArmRequest {
    /// The method.
    pub method: Method,
    /// The resource path, starting with `/subscriptions/`.
    pub path: String,
    /// The api-version query parameter.
    pub api_version: String,
    /// Further query parameters, in order.
    pub query: Vec<(String, String)>,
    /// The JSON body, if any. It may hold secrets: render it with [`ArmRequest::redacted_body`].
    pub body: Option<Value>,
}

impl fmt::Debug for ArmRequest {
    /// Shows the redacted body, never the secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("api_version", &self.api_version)
            .field("query", &self.query)
            .field("body", &self.redacted_body())
            .finish()
    }
}

impl ArmRequest {
    fn new(method: Method, path: String, api_version: &str) -> Self {
        Self {
            method,
            path,
            api_version: api_version.to_owned(),
            query: Vec::new(),
            body: None,
        }
    }

    /// The path and query string (`/subscriptions/...?api-version=...`), percent-encoded.
    pub fn path_and_query(&self) -> String {
        let mut out = encode_path(&self.path);
        out.push_str("?api-version=");
        out.push_str(&encode_component(&self.api_version));
        for (k, v) in &self.query {
            out.push('&');
            out.push_str(&encode_component(k));
            out.push('=');
            out.push_str(&encode_component(v));
        }
        out
    }

    /// The full URL against `endpoint` (a trailing `/` on the endpoint is ignored).
    pub fn url(&self, endpoint: &str) -> String {
        format!(
            "{}{}",
            endpoint.trim_end_matches('/'),
            self.path_and_query()
        )
    }

    /// The body with every secret replaced by `[redacted]`.
    pub fn redacted_body(&self) -> Option<Value> {
        self.body.clone().map(|mut b| {
            redact(&mut b);
            b
        })
    }

    /// `METHOD URL` then the pretty redacted body, for dry runs.
    pub fn render_redacted(&self, endpoint: &str) -> String {
        let mut out = format!("{} {}", self.method, self.url(endpoint));
        if let Some(body) = self.redacted_body() {
            out.push('\n');
            out.push_str(&serde_json::to_string_pretty(&body).unwrap_or_default());
        }
        out
    }
}

/// Field names whose values are secrets wherever they appear in a compute body.
const SECRET_FIELDS: [&str; 3] = ["key", "userKubeConfig", "adminKubeConfig"];

/// Replaces every secret in a compute body (TLS key, kubeconfigs) with `[redacted]`.
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if SECRET_FIELDS.contains(&k.as_str()) && !v.is_null() {
                    *v = Value::String(REDACTED.to_owned());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn encode_path(path: &str) -> String {
    path.split('/')
        .map(encode_component)
        .collect::<Vec<_>>()
        .join("/")
}

/// A workspace as request building needs it: its id and, when known, its region.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkspaceRef {
    /// The workspace's ARM id.
    pub id: WorkspaceId,
    /// The workspace's region, such as `eastus`.
    pub location: Option<String>,
}

impl WorkspaceRef {
    /// A workspace with a known region.
    pub fn new(id: WorkspaceId, location: Option<String>) -> Self {
        Self { id, location }
    }
}

fn check_name(name: &str, report: &mut Report, for_create: bool) -> Option<ComputeName> {
    match name.parse::<ComputeName>() {
        Ok(n) if for_create && n.is_reserved() => {
            report.error(
                "name",
                Rule::NameReserved,
                format!("{name:?} is reserved by the service; choose another name"),
            );
            None
        }
        Ok(n) => Some(n),
        Err(e) => {
            for rule in e.problems {
                report.error("name", rule.code(), format!("compute name {name:?} {rule}"));
            }
            None
        }
    }
}

fn check_workspace_location(ws: &WorkspaceRef, report: &mut Report) {
    if let Some(l) = &ws.location
        && let Err(why) = check_location(l)
    {
        report.error("workspace.location", Rule::LocationInvalid, why);
    }
}

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

fn insert_load_balancer(props: &mut Map<String, Value>, lb: &LoadBalancer) {
    props.insert("loadBalancerType".into(), json!(lb.kind().as_str()));
    if let Some(subnet) = lb.subnet() {
        props.insert("loadBalancerSubnet".into(), json!(subnet));
    }
}

/// The `sslConfiguration` body for `tls`; `current` is the compute's present configuration,
/// needed to renew (which keeps the present leaf domain label).
///
/// Renewing a Microsoft-issued certificate has no field of its own in the swagger: the
/// `SslConfiguration` of 2024-04-01 (this crate's [`DEFAULT_API_VERSION`], the only one it
/// supports) has `status` (`Disabled`, `Enabled`, `Auto`), `cert`, `key`, `cname`,
/// `leafDomainLabel` and `overwriteExistingDomain`. The Python SDK v1
/// (`AksCompute._build_update_payload` with `SslConfiguration(renew=True)`) sends the current
/// configuration with `"renew": true` added; the swagger does not show that flag, and whether
/// the service still reads it at 2024-04-01 is not documented. The body here says both:
/// `"renew": true` for a service that reads the flag, and, in the swagger's own terms, a
/// Microsoft certificate (`Auto`) for the same label that may take over the domain the compute
/// already holds (`overwriteExistingDomain`), with the current `cname` when the label is
/// unchanged so that the domain stays.
fn ssl_body(tls: &TlsConfig, current: Option<&Value>) -> Value {
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
        let name = check_name(name, &mut report, false);
        check_workspace_location(&workspace, &mut report);
        let config = config.check(&mut report);
        let subscription = workspace.id.subscription_id().to_owned();
        let cluster = config
            .as_ref()
            .and_then(|c| match c.cluster().resolve(&subscription) {
                Ok(id) => Some(id),
                Err(e) => {
                    report.error("attach.resource_id", Rule::AttachResourceId, e.to_string());
                    None
                }
            });
        if let Some(cluster) = &cluster
            && !cluster
                .subscription_id()
                .eq_ignore_ascii_case(&subscription)
        {
            report.error(
                    "attach.resource_id",
                    Rule::AttachOtherSubscription,
                    format!(
                        "the cluster is in subscription {} but the workspace is in {subscription}; an attached cluster must be in the workspace's subscription",
                        cluster.subscription_id()
                    ),
                );
        }
        let warnings = report.warnings.clone();
        match (name, config, cluster) {
            (Some(name), Some(config), Some(cluster)) if report.is_ok() => Ok(Self {
                id: ComputeId::new(workspace.id, name),
                workspace_location: workspace.location,
                cluster,
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
        if !lb.is_internal() {
            return None;
        }
        let mut settings = crate::config::LoadBalancerSettings::internal("");
        settings.subnet = lb.subnet().map(str::to_owned);
        crate::config::AksUpdateConfiguration::builder()
            .load_balancer(settings)
            .build()
            .ok()
    }
}

/// Builds ARM requests for one api-version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requests {
    api_version: String,
}

impl Default for Requests {
    fn default() -> Self {
        Self::new(DEFAULT_API_VERSION)
    }
}

/// What DELETE does to the cluster behind a compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnderlyingResourceAction {
    /// Remove the compute from the workspace and keep the cluster (R3).
    Detach,
    /// Remove the compute and delete the cluster the workspace created.
    Delete,
}

impl UnderlyingResourceAction {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Detach => "Detach",
            Self::Delete => "Delete",
        }
    }
}

impl Requests {
    /// Requests for `api_version` (such as `2024-04-01`).
    pub fn new(api_version: impl Into<String>) -> Self {
        Self {
            api_version: api_version.into(),
        }
    }

    /// The api-version in use.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// `GET` one compute.
    pub fn get(&self, id: &ComputeId) -> ArmRequest {
        ArmRequest::new(Method::Get, id.to_string(), &self.api_version)
    }

    /// `GET` the first page of the workspace's computes.
    pub fn list(&self, workspace: &WorkspaceId) -> ArmRequest {
        ArmRequest::new(
            Method::Get,
            format!("{workspace}/computes"),
            &self.api_version,
        )
    }

    /// `POST .../listKeys`: the compute's secrets (kubeconfigs for AKS).
    pub fn list_keys(&self, id: &ComputeId) -> ArmRequest {
        ArmRequest::new(Method::Post, format!("{id}/listKeys"), &self.api_version)
    }

    /// `DELETE` with `underlyingResourceAction`.
    pub fn delete(&self, id: &ComputeId, action: UnderlyingResourceAction) -> ArmRequest {
        let mut r = ArmRequest::new(Method::Delete, id.to_string(), &self.api_version);
        r.query
            .push(("underlyingResourceAction".into(), action.as_str().into()));
        r
    }

    /// `DELETE ...?underlyingResourceAction=Detach`: the cluster is kept (R3).
    pub fn detach(&self, id: &ComputeId) -> ArmRequest {
        self.delete(id, UnderlyingResourceAction::Detach)
    }

    /// `PUT` creating a new cluster.
    pub fn create(&self, op: &CreateCompute) -> ArmRequest {
        let mut r = ArmRequest::new(Method::Put, op.id().to_string(), &self.api_version);
        r.body = Some(op.body());
        r
    }

    /// `PUT` attaching an existing cluster.
    pub fn attach(&self, op: &AttachCompute) -> ArmRequest {
        let mut r = ArmRequest::new(Method::Put, op.id().to_string(), &self.api_version);
        r.body = Some(op.body());
        r
    }

    /// `PUT` of the GET-modify-PUT update: `current` is the compute as GET returned it. Every
    /// field this crate does not know is kept; read-only fields are dropped.
    pub fn update(
        &self,
        id: &ComputeId,
        current: &Value,
        update: &AksUpdateConfiguration,
    ) -> crate::Result<ArmRequest> {
        let mut r = ArmRequest::new(Method::Put, id.to_string(), &self.api_version);
        r.body = Some(update_body(id, current, update)?);
        Ok(r)
    }
}

const READ_ONLY_COMPUTE_FIELDS: [&str; 5] = [
    "provisioningState",
    "createdOn",
    "modifiedOn",
    "provisioningErrors",
    "isAttachedCompute",
];

/// Applies `update` to the compute body `current` (as GET returned it).
///
/// The body keeps the compute's `resourceId` (an update of an existing name always carries it;
/// a body without it is a create, which the service refuses with "already exists") and every
/// field this crate does not know; read-only fields are dropped. `sslConfiguration` is sent only
/// when the update sets TLS; otherwise it is left out and the service keeps the current one.
pub fn update_body(
    id: &ComputeId,
    current: &Value,
    update: &AksUpdateConfiguration,
) -> crate::Result<Value> {
    let broken = |rule: Option<Rule>, reason: String| crate::Error::Update {
        compute: id.name().to_string(),
        reason,
        rule,
    };
    let fail = |reason: String| broken(None, reason);
    let mut body = current.clone();
    let Some(root) = body.as_object_mut() else {
        return Err(fail(
            "the service returned a compute that is not a JSON object".into(),
        ));
    };
    root.remove("systemData");
    let Some(compute) = root.get_mut("properties").and_then(Value::as_object_mut) else {
        return Err(fail(
            "the compute has no properties; GET it again and retry".into(),
        ));
    };
    let kind = compute
        .get("computeType")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !kind.eq_ignore_ascii_case("AKS") {
        return Err(fail(format!(
            "it is of type {kind:?}; only AKS computes take this update"
        )));
    }
    for f in READ_ONLY_COMPUTE_FIELDS {
        compute.remove(f);
    }
    let props = compute
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if props.is_null() {
        *props = Value::Object(Map::new());
    }
    let Some(props) = props.as_object_mut() else {
        return Err(fail("its AKS properties are not a JSON object".into()));
    };
    props.remove("systemServices");
    let current_ssl = props.get("sslConfiguration").cloned();
    let current_ssl_on = current_ssl
        .as_ref()
        .and_then(|s| s.get("status"))
        .and_then(Value::as_str)
        .is_some_and(|s| !s.eq_ignore_ascii_case("Disabled"));
    let current_internal = props
        .get("loadBalancerType")
        .and_then(Value::as_str)
        .is_some_and(|t| crate::wire::LoadBalancerType::parse(t).is_internal());
    let ssl_on = update.tls().map_or(current_ssl_on, TlsConfig::is_enabled);
    let internal = update
        .load_balancer()
        .map_or(current_internal, LoadBalancer::is_internal);
    if ssl_on && internal {
        return Err(broken(
            Some(Rule::TlsInternalLoadBalancer),
            "TLS termination is not supported with an internal load balancer; disable TLS in the same update, or keep the public IP".into(),
        ));
    }
    if let Some(tls) = update.tls() {
        if let TlsConfig::Renew { leaf_domain_label } = tls {
            check_renew(leaf_domain_label.as_deref(), current_ssl.as_ref())
                .map_err(|reason| broken(Some(Rule::TlsRenewNeedsAuto), reason))?;
        }
        props.insert(
            "sslConfiguration".into(),
            ssl_body(tls, current_ssl.as_ref()),
        );
    } else {
        // TLS does not change: leave the block out and the service keeps the current one. The
        // GET's block has no key, so sending it back would ask for a certificate without its
        // key. The Python SDK v1 leaves it out too.
        props.remove("sslConfiguration");
    }
    if let Some(lb) = update.load_balancer() {
        props.remove("loadBalancerSubnet");
        insert_load_balancer(props, lb);
    }
    Ok(body)
}

/// Why a renewal with `label` cannot apply to the `current` TLS configuration, if it cannot:
/// renewing needs a Microsoft-issued (`Auto`) certificate and a leaf domain label.
fn check_renew(label: Option<&str>, current: Option<&Value>) -> Result<(), String> {
    let status = current
        .and_then(|s| s.get("status"))
        .and_then(Value::as_str)
        .unwrap_or("Disabled");
    if !status.eq_ignore_ascii_case("Auto") {
        return Err(format!(
            "renewing applies to a Microsoft-issued (Auto) certificate, and this compute's TLS status is {status}; give a leaf domain label or a custom certificate instead"
        ));
    }
    let has_label = label.is_some()
        || current
            .and_then(|s| s.get("leafDomainLabel"))
            .and_then(Value::as_str)
            .is_some_and(|l| !l.is_empty());
    if has_label {
        Ok(())
    } else {
        Err("the current TLS configuration has no leaf domain label to renew; give one".into())
    }
}

/// Whether `name` may be used for a new compute (R7 and not reserved), as an error list.
pub fn check_new_name(name: &str) -> Report {
    let mut report = Report::new();
    check_name(name, &mut report, true);
    report
}

/// Whether `name` is one of the service's reserved names.
pub fn is_reserved_name(name: &str) -> bool {
    name::is_reserved(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LoadBalancerSettings, TlsSettings};
    use crate::secret::PrivateKeyPem;

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
    const CLUSTER: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/Microsoft.ContainerService/managedClusters/web-12345-0123456789abc";

    fn id() -> ComputeId {
        let workspace: WorkspaceId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
            .parse()
            .unwrap();
        ComputeId::new(workspace, "web".parse().unwrap())
    }

    /// A GET of a compute with TLS on: the service never shows the key.
    fn current(ssl: &Value) -> Value {
        json!({
            "id": id().to_string(),
            "name": "web",
            "location": "eastus",
            "properties": {
                "computeType": "AKS",
                "computeLocation": "eastus",
                "resourceId": CLUSTER,
                "provisioningState": "Succeeded",
                "isAttachedCompute": false,
                "properties": {
                    "agentCount": 3,
                    "agentVmSize": "Standard_D3_v2",
                    "clusterPurpose": "FastProd",
                    "loadBalancerType": "PublicIp",
                    "sslConfiguration": ssl,
                }
            }
        })
    }

    fn update(builder: crate::config::AksUpdateBuilder, current: &Value) -> Value {
        update_body(&id(), current, &builder.build().unwrap()).unwrap()
    }

    fn custom_tls() -> Value {
        json!({"status": "Enabled", "cert": CERT, "cname": "www.contoso.com"})
    }

    #[test]
    fn an_update_that_leaves_tls_alone_sends_no_ssl_configuration() {
        let body = update(
            AksUpdateConfiguration::builder().load_balancer(LoadBalancerSettings::public()),
            &current(&custom_tls()),
        );
        let settings = &body["properties"]["properties"];
        assert!(settings.get("sslConfiguration").is_none(), "{body}");
        assert_eq!(settings["loadBalancerType"], "PublicIp");
        // Still an update, not a create: the cluster is named.
        assert_eq!(body["properties"]["resourceId"], CLUSTER);
        assert!(body["properties"].get("provisioningState").is_none());
    }

    #[test]
    fn an_update_that_sets_tls_sends_the_whole_block_with_its_key() {
        let tls = TlsSettings::custom(CERT, PrivateKeyPem::new(KEY), "api.contoso.com");
        let body = update(
            AksUpdateConfiguration::builder().ssl(tls),
            &current(&custom_tls()),
        );
        let ssl = &body["properties"]["properties"]["sslConfiguration"];
        assert_eq!(
            ssl,
            &json!({"status": "Enabled", "cert": CERT, "key": KEY, "cname": "api.contoso.com"})
        );

        let body = update(
            AksUpdateConfiguration::builder().ssl(TlsSettings::microsoft("contoso", false)),
            &current(&custom_tls()),
        );
        assert_eq!(
            body["properties"]["properties"]["sslConfiguration"],
            json!({"status": "Auto", "leafDomainLabel": "contoso", "overwriteExistingDomain": false})
        );
    }

    #[test]
    fn renewing_sends_the_current_label_and_domain_with_the_renew_flag() {
        let auto = json!({
            "status": "Auto",
            "leafDomainLabel": "contoso",
            "overwriteExistingDomain": false,
            "cname": "contosoab12cd.eastus.cloudapp.azure.com",
        });
        let body = update(
            AksUpdateConfiguration::builder().ssl(TlsSettings::renew()),
            &current(&auto),
        );
        assert_eq!(
            body["properties"]["properties"]["sslConfiguration"],
            json!({
                "status": "Auto",
                "leafDomainLabel": "contoso",
                "overwriteExistingDomain": true,
                "renew": true,
                "cname": "contosoab12cd.eastus.cloudapp.azure.com",
            })
        );

        // Another label is a new domain: the current cname is not sent.
        let mut other = TlsSettings::renew();
        other.leaf_domain_label = Some("fabrikam".into());
        let body = update(
            AksUpdateConfiguration::builder().ssl(other),
            &current(&auto),
        );
        let ssl = &body["properties"]["properties"]["sslConfiguration"];
        assert_eq!(ssl["leafDomainLabel"], "fabrikam");
        assert_eq!(ssl["renew"], true);
        assert!(ssl.get("cname").is_none(), "{ssl}");
    }
}
