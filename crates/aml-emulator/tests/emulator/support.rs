//! Shared helpers: an emulator with short operations and a reqwest client for it.

use std::time::Duration;

use aml_emulator::{
    Emulator, EmulatorBuilder, STANDARD_CLUSTER_RESOURCE_GROUP, STANDARD_RESOURCE_GROUP,
    STANDARD_SUBSCRIPTION, STANDARD_WORKSPACE, Timings,
};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The api-version of the compute API.
pub(crate) const API: &str = "api-version=2024-04-01";
/// The api-version of the ContainerService API.
pub(crate) const AKS_API: &str = "api-version=2024-09-01";
/// How long a test waits for an operation before giving up: generous, because the machine may
/// be loaded; it is a bound on a hang, not a timing assertion.
const PATIENCE: Duration = Duration::from_secs(60);

/// A client for 127.0.0.1: no proxy, a bearer token on every request.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Operations finish after 50 ms; polls are advertised every 10 ms.
pub(crate) fn quick() -> Timings {
    let mut timings = Timings::uniform(Duration::from_millis(50));
    timings.retry_after = Duration::from_millis(10);
    timings
}

/// Operations that never finish by themselves (tests end them with `complete_operations`).
pub(crate) fn frozen() -> Timings {
    let mut timings = Timings::uniform(Duration::from_secs(3600));
    timings.retry_after = Duration::from_millis(10);
    timings
}

/// An answer: status, headers and the body as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) text: String,
    pub(crate) json: Value,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The ARM error code of an error answer.
    pub(crate) fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or_default()
    }

    pub(crate) fn message(&self) -> &str {
        self.json["error"]["message"].as_str().unwrap_or_default()
    }
}

/// A running emulator and a client.
pub(crate) struct Env {
    pub(crate) emulator: Emulator,
    pub(crate) client: reqwest::Client,
}

impl Env {
    /// The standard seed, quick operations.
    pub(crate) async fn start() -> Self {
        Self::with(Emulator::builder().timings(quick())).await
    }

    pub(crate) async fn with(builder: EmulatorBuilder) -> Self {
        Self {
            emulator: builder.start().await.unwrap(),
            client: client(),
        }
    }

    /// The standard workspace's path.
    pub(crate) fn workspace() -> String {
        format!(
            "/subscriptions/{STANDARD_SUBSCRIPTION}/resourceGroups/{STANDARD_RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/{STANDARD_WORKSPACE}"
        )
    }

    /// A compute's path in the standard workspace (no query).
    pub(crate) fn compute(name: &str) -> String {
        format!("{}/computes/{name}", Self::workspace())
    }

    /// `method path` with a bearer token and an optional JSON body.
    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            self.emulator.url(path)
        };
        let mut request = self.client.request(method, url).bearer_auth("test-token");
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            text,
            json,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    /// PUT a compute in the standard workspace.
    pub(crate) async fn put_compute(&self, name: &str, body: &Value) -> Answer {
        self.call(
            Method::PUT,
            &format!("{}?{API}", Self::compute(name)),
            Some(body),
        )
        .await
    }

    pub(crate) async fn get_compute(&self, name: &str) -> Answer {
        self.get(&format!("{}?{API}", Self::compute(name))).await
    }

    pub(crate) async fn delete_compute(&self, name: &str, action: &str) -> Answer {
        self.call(
            Method::DELETE,
            &format!(
                "{}?{API}&underlyingResourceAction={action}",
                Self::compute(name)
            ),
            None,
        )
        .await
    }

    /// Polls the `Azure-AsyncOperation` URL of `answer` until the operation ends, waiting what
    /// `retry-after-ms` says; returns the final status body.
    pub(crate) async fn wait(&self, answer: &Answer) -> Value {
        let url = answer
            .header("azure-asyncoperation")
            .unwrap_or_else(|| panic!("no Azure-AsyncOperation in {answer:?}"))
            .to_owned();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let poll = self.get(&url).await;
            assert_eq!(poll.status, StatusCode::OK, "{poll:?}");
            let status = poll.json["status"].as_str().unwrap().to_owned();
            if status != "InProgress" {
                return poll.json;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "operation still running after {PATIENCE:?}"
            );
            let wait: u64 = poll
                .header("retry-after-ms")
                .and_then(|ms| ms.parse().ok())
                .unwrap_or(10);
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
    }

    /// PUT a compute and wait for its operation; returns the final status body.
    pub(crate) async fn put_and_wait(&self, name: &str, body: &Value) -> Value {
        let answer = self.put_compute(name, body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        self.wait(&answer).await
    }
}

/// A seeded cluster's id, spelled as `az aks show` prints it (lower-case `resourcegroups`).
pub(crate) fn cluster_id(name: &str) -> String {
    format!(
        "/subscriptions/{STANDARD_SUBSCRIPTION}/resourcegroups/{STANDARD_CLUSTER_RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters/{name}"
    )
}

/// An attach body for a seeded cluster.
pub(crate) fn attach(cluster: &str) -> Value {
    json!({"properties": {"computeType": "AKS", "resourceId": cluster_id(cluster)}})
}

/// An attach body with AKS properties.
pub(crate) fn attach_with(cluster: &str, properties: &Value) -> Value {
    json!({"properties": {
        "computeType": "AKS",
        "resourceId": cluster_id(cluster),
        "properties": properties,
    }})
}

/// A create body (new cluster): `count` x `vm_size` with `purpose`.
pub(crate) fn create(count: u32, vm_size: &str, purpose: &str) -> Value {
    json!({"location": "eastus", "properties": {
        "computeType": "AKS",
        "properties": {"agentCount": count, "agentVmSize": vm_size, "clusterPurpose": purpose}
    }})
}

/// A self-signed certificate and key for TLS settings (the emulator does not check them).
pub(crate) fn tls(status: &str) -> Value {
    json!({
        "status": status,
        "cert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "key": "-----BEGIN PRIVATE KEY-----\nSECRETKEY\n-----END PRIVATE KEY-----\n",
        "cname": "www.contoso.com"
    })
}
