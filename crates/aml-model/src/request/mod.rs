//! Pure request building: a validated operation and a workspace in, the exact ARM request out,
//! as an [`http::Request`] (method, origin-form URI with the api-version, JSON body). Nothing
//! here sends anything: `aml-arm` sends these requests as they are.

use http::header::{CONTENT_TYPE, HeaderValue};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::Rule;
use crate::config::AksUpdateConfiguration;
use crate::name::ComputeName;
use crate::resource_id::{AksClusterId, ComputeId, WorkspaceId};
use crate::secret::REDACTED;
use crate::validate::{Report, check_location};

mod attach;
mod body;
mod cluster;
mod create;
mod update;

pub use attach::AttachCompute;
pub use cluster::{CreateCluster, admit_body, admit_in_new_body};
pub use create::CreateCompute;
pub use update::update_body;

/// The request currency of the workspace: what aml-model builds and aml-arm sends.
pub type Request = http::Request<Body>;

/// The bytes of a request body (JSON; empty for none). Bodies may hold secrets (a TLS key), so
/// `Debug` shows the JSON with every secret redacted, never the bytes, and the bytes are
/// zeroized when the body is dropped (copies made by the HTTP stack are out of its reach).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Body(Vec<u8>);

impl Body {
    /// A body of these bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The JSON serialization of `value`.
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<Self> {
        serde_json::to_vec(value).map(Self)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, owned (the caller's to wipe from here on).
    pub fn into_bytes(mut self) -> Vec<u8> {
        std::mem::take(&mut self.0)
    }

    /// Whether there is no body.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The body as JSON with every secret replaced by `[redacted]`; `None` when empty (a body
    /// that is not JSON is shown as its length only).
    pub fn redacted(&self) -> Option<Value> {
        if self.0.is_empty() {
            return None;
        }
        Some(match serde_json::from_slice::<Value>(&self.0) {
            Ok(mut body) => {
                redact(&mut body);
                body
            }
            Err(_) => Value::String(format!("[{} bytes, not JSON]", self.0.len())),
        })
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl From<Body> for Vec<u8> {
    fn from(body: Body) -> Self {
        body.into_bytes()
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl std::ops::Deref for Body {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Body {
    /// The redacted JSON, never the bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.redacted() {
            None => f.write_str("Body(empty)"),
            Some(v) => write!(f, "Body({v})"),
        }
    }
}

/// The api-version of `Microsoft.MachineLearningServices` this crate is written against.
pub const DEFAULT_API_VERSION: &str = "2024-04-01";

/// The api-version of `Microsoft.ContainerService` used to read clusters and their regions'
/// Kubernetes versions.
pub const CONTAINER_SERVICE_API_VERSION: &str = "2024-09-01";

/// The api-version of `Microsoft.Network` used to read service tags.
pub const NETWORK_API_VERSION: &str = "2024-05-01";

/// The api-version of `Microsoft.Resources` used to read a subscription's locations.
pub const RESOURCES_API_VERSION: &str = "2022-12-01";

/// The api-version of the older `orchestrators` listing, the fallback for regions without
/// `kubernetesVersions`.
pub const ORCHESTRATORS_API_VERSION: &str = "2019-04-01";

/// What a path segment or query value may hold unencoded: RFC 3986's unreserved characters.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `path` (segments separated by `/`) and `query`, each piece percent-encoded.
fn path_and_query(path: &str, query: &[(&str, &str)]) -> String {
    let mut out = path
        .split('/')
        .map(|segment| utf8_percent_encode(segment, COMPONENT).to_string())
        .collect::<Vec<_>>()
        .join("/");
    for (i, (k, v)) in query.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(&utf8_percent_encode(k, COMPONENT).to_string());
        out.push('=');
        out.push_str(&utf8_percent_encode(v, COMPONENT).to_string());
    }
    out
}

/// An origin-form request (`/subscriptions/...?api-version=...`) with a JSON body, if any.
pub(crate) fn build(
    method: http::Method,
    path: &str,
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> Request {
    let target = path_and_query(path, query);
    // Serializing a `serde_json::Value` cannot fail (its map keys are strings).
    let bytes = body.map(|b| Body::json(b).unwrap_or_default());
    let has_body = bytes.is_some();
    let mut request = Request::new(bytes.unwrap_or_default());
    *request.method_mut() = method;
    // Every byte of `target` is unreserved, `%`, `/`, `?`, `=` or `&` (path_and_query encodes the
    // rest), so it is always a valid origin-form URI; the proptest in tests/request.rs shows it.
    *request.uri_mut() = http::Uri::try_from(target).unwrap_or_default();
    if has_body {
        request
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    request
}

/// The JSON body of `request` with every secret replaced by `[redacted]`; `None` without a body.
pub fn redacted_body(request: &Request) -> Option<Value> {
    request.body().redacted()
}

/// `METHOD URL` against `endpoint` (a trailing `/` is ignored), then the pretty redacted body.
pub fn render(request: &Request, endpoint: &str) -> String {
    let mut out = format!(
        "{} {}{}",
        request.method(),
        endpoint.trim_end_matches('/'),
        request.uri()
    );
    if let Some(body) = redacted_body(request) {
        out.push('\n');
        out.push_str(&serde_json::to_string_pretty(&body).unwrap_or_default());
    }
    out
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

/// Builds the ARM requests of compute operations for one `Microsoft.MachineLearningServices`
/// api-version and one `Microsoft.ContainerService` api-version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requests {
    api_version: String,
    container_service_api_version: String,
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
    /// Requests for `api_version` (such as `2024-04-01`) and the default
    /// [`CONTAINER_SERVICE_API_VERSION`].
    pub fn new(api_version: impl Into<String>) -> Self {
        Self {
            api_version: api_version.into(),
            container_service_api_version: CONTAINER_SERVICE_API_VERSION.to_owned(),
        }
    }

    /// Uses another `Microsoft.ContainerService` api-version to read clusters and versions.
    #[must_use]
    pub fn with_container_service_api_version(mut self, api_version: impl Into<String>) -> Self {
        self.container_service_api_version = api_version.into();
        self
    }

    /// The `Microsoft.MachineLearningServices` api-version in use.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The `Microsoft.ContainerService` api-version in use.
    pub fn container_service_api_version(&self) -> &str {
        &self.container_service_api_version
    }

    fn compute(&self, method: http::Method, path: &str, body: Option<&Value>) -> Request {
        build(method, path, &[("api-version", &self.api_version)], body)
    }

    /// `GET` one compute.
    pub fn get(&self, id: &ComputeId) -> Request {
        self.compute(http::Method::GET, &id.to_string(), None)
    }

    /// `GET` the first page of the workspace's computes.
    pub fn list(&self, workspace: &WorkspaceId) -> Request {
        self.compute(http::Method::GET, &format!("{workspace}/computes"), None)
    }

    /// `GET` the workspace (its region).
    pub fn workspace(&self, workspace: &WorkspaceId) -> Request {
        self.compute(http::Method::GET, &workspace.to_string(), None)
    }

    /// `POST .../listKeys`: the compute's secrets (kubeconfigs for AKS).
    pub fn list_keys(&self, id: &ComputeId) -> Request {
        self.compute(http::Method::POST, &format!("{id}/listKeys"), None)
    }

    /// `DELETE` with `underlyingResourceAction`.
    pub fn delete(&self, id: &ComputeId, action: UnderlyingResourceAction) -> Request {
        build(
            http::Method::DELETE,
            &id.to_string(),
            &[
                ("api-version", &self.api_version),
                ("underlyingResourceAction", action.as_str()),
            ],
            None,
        )
    }

    /// `DELETE ...?underlyingResourceAction=Detach`: the cluster is kept (R3).
    pub fn detach(&self, id: &ComputeId) -> Request {
        self.delete(id, UnderlyingResourceAction::Detach)
    }

    /// `PUT` creating a new cluster.
    pub fn create(&self, op: &CreateCompute) -> Request {
        self.compute(http::Method::PUT, &op.id().to_string(), Some(&op.body()))
    }

    /// `PUT` attaching an existing cluster.
    pub fn attach(&self, op: &AttachCompute) -> Request {
        self.compute(http::Method::PUT, &op.id().to_string(), Some(&op.body()))
    }

    /// `PUT` of the GET-modify-PUT update: `current` is the compute as GET returned it. Every
    /// field this crate does not know is kept; read-only fields are dropped.
    pub fn update(
        &self,
        id: &ComputeId,
        current: &Value,
        update: &AksUpdateConfiguration,
    ) -> crate::Result<Request> {
        let body = update_body(id, current, update)?;
        Ok(self.compute(http::Method::PUT, &id.to_string(), Some(&body)))
    }

    /// `PUT` of a compute with no body yet: the target of a GET-modify-PUT update, shown by
    /// plans before the compute is read.
    pub fn update_target(&self, id: &ComputeId) -> Request {
        self.compute(http::Method::PUT, &id.to_string(), None)
    }

    /// `GET` an AKS cluster (`Microsoft.ContainerService/managedClusters`).
    pub fn cluster(&self, id: &AksClusterId) -> Request {
        build(
            http::Method::GET,
            &id.to_string(),
            &[("api-version", &self.container_service_api_version)],
            None,
        )
    }

    /// `GET` the agent pools of an AKS cluster.
    pub fn agent_pools(&self, cluster: &AksClusterId) -> Request {
        build(
            http::Method::GET,
            &format!("{cluster}/agentPools"),
            &[("api-version", &self.container_service_api_version)],
            None,
        )
    }

    /// `GET` one agent pool of an AKS cluster.
    pub fn agent_pool(&self, cluster: &AksClusterId, pool: &str) -> Request {
        build(
            http::Method::GET,
            &format!("{cluster}/agentPools/{pool}"),
            &[("api-version", &self.container_service_api_version)],
            None,
        )
    }

    /// `PUT` one agent pool of an AKS cluster with `body` (the pool as read, changed; `None`
    /// for the target alone, as plans show it before the pool is read): a long-running
    /// operation.
    pub fn put_agent_pool(
        &self,
        cluster: &AksClusterId,
        pool: &str,
        body: Option<&Value>,
    ) -> Request {
        build(
            http::Method::PUT,
            &format!("{cluster}/agentPools/{pool}"),
            &[("api-version", &self.container_service_api_version)],
            body,
        )
    }

    /// `PUT` a managed cluster with `body` (`None` for the target alone, as plans show a
    /// GET-modify-PUT before the cluster is read): a long-running operation.
    pub fn put_managed_cluster(&self, cluster: &AksClusterId, body: Option<&Value>) -> Request {
        build(
            http::Method::PUT,
            &cluster.to_string(),
            &[("api-version", &self.container_service_api_version)],
            body,
        )
    }

    /// `PUT` creating the new cluster of a create-and-attach.
    pub fn put_cluster(&self, op: &CreateCluster) -> Request {
        self.put_managed_cluster(op.cluster(), Some(&op.body()))
    }

    /// `DELETE` a managed cluster: a long-running operation that deletes its nodes too.
    pub fn delete_cluster(&self, cluster: &AksClusterId) -> Request {
        build(
            http::Method::DELETE,
            &cluster.to_string(),
            &[("api-version", &self.container_service_api_version)],
            None,
        )
    }

    /// `GET` the service tags of the cloud, as seen from `location` (`Microsoft.Network`,
    /// [`NETWORK_API_VERSION`]).
    pub fn service_tags(&self, subscription_id: &str, location: &str) -> Request {
        build(
            http::Method::GET,
            &format!(
                "/subscriptions/{subscription_id}/providers/Microsoft.Network/locations/{location}/serviceTags"
            ),
            &[("api-version", NETWORK_API_VERSION)],
            None,
        )
    }

    /// `GET` the locations of a subscription, with their paired regions
    /// ([`RESOURCES_API_VERSION`]).
    pub fn locations(&self, subscription_id: &str) -> Request {
        build(
            http::Method::GET,
            &format!("/subscriptions/{subscription_id}/locations"),
            &[("api-version", RESOURCES_API_VERSION)],
            None,
        )
    }

    /// `GET` the Kubernetes versions `location` supports (`kubernetesVersions`).
    pub fn kubernetes_versions(&self, subscription_id: &str, location: &str) -> Request {
        build(
            http::Method::GET,
            &format!(
                "/subscriptions/{subscription_id}/providers/Microsoft.ContainerService/locations/{location}/kubernetesVersions"
            ),
            &[("api-version", &self.container_service_api_version)],
            None,
        )
    }

    /// `GET` the older `orchestrators` listing of `location`, for regions without
    /// `kubernetesVersions`.
    pub fn orchestrators(&self, subscription_id: &str, location: &str) -> Request {
        build(
            http::Method::GET,
            &format!(
                "/subscriptions/{subscription_id}/providers/Microsoft.ContainerService/locations/{location}/orchestrators"
            ),
            &[
                ("api-version", ORCHESTRATORS_API_VERSION),
                ("resource-type", "managedClusters"),
            ],
            None,
        )
    }
}
