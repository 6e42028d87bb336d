//! Shared setup: the emulators, the client and its credential, resource paths and bodies, and
//! readings of the emulator's request log.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aml_arm::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use aml_arm::{ArmClient, ArmClientOptions, Cloud, RequestOptions, RetryOptions};
use aml_emulator::{
    Emulator, EmulatorBuilder, LoggedRequest, STANDARD_RESOURCE_GROUP, STANDARD_SUBSCRIPTION,
    STANDARD_WORKSPACE,
};
use aml_model::request::{Body, Request};
use serde_json::{Value, json};

/// The only token the emulators here accept; no error may show it.
pub(crate) const TOKEN: &str = "eyJ0eXAiOiJKV1QifQ.emulator-arm-test-token.c2lnbmF0dXJl";
/// A token the emulators refuse.
pub(crate) const WRONG_TOKEN: &str = "eyJ0eXAiOiJKV1QifQ.revoked-token.c2lnbmF0dXJl";
const SCOPE: &str = "https://management.azure.com/.default";
pub(crate) const API_VERSION: &str = "2024-04-01";
/// The wait the emulators advertise between polls (`retry-after-ms: 5`, `Retry-After: 1`).
pub(crate) const HINT: Duration = Duration::from_millis(5);
/// Long enough that an operation only ends through `complete_operations`.
const FOREVER: Duration = Duration::from_secs(600);

/// A credential that hands out [`WRONG_TOKEN`] for its first `wrong` calls, then [`TOKEN`],
/// and counts its calls. (aml-compute's `StaticTokenCredential` is a layer above this crate.)
#[derive(Debug, Default)]
pub(crate) struct TestCredential {
    wrong: u32,
    calls: AtomicU32,
}

impl TestCredential {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub(crate) fn wrong_first(wrong: u32) -> Arc<Self> {
        Arc::new(Self {
            wrong,
            calls: AtomicU32::new(0),
        })
    }

    pub(crate) fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl TokenCredential for TestCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        assert_eq!(scopes, [SCOPE]);
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let token = if call < self.wrong {
            WRONG_TOKEN
        } else {
            TOKEN
        };
        Ok(AccessToken::new(
            token,
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

/// An emulator builder accepting only [`TOKEN`], whose operations take 30 ms and advertise
/// 5 ms polls.
fn builder() -> EmulatorBuilder {
    Emulator::builder()
        .token(TOKEN)
        .operation_duration(Duration::from_millis(30))
        .retry_after(HINT)
}

/// An emulator accepting only [`TOKEN`], whose operations take 30 ms and advertise 5 ms polls.
pub(crate) async fn emulator() -> Emulator {
    builder().start().await.unwrap()
}

/// [`emulator`] listing `page_size` computes per page.
pub(crate) async fn paged_emulator(page_size: usize) -> Emulator {
    builder().page_size(page_size).start().await.unwrap()
}

/// An emulator whose operations run until `complete_operations`, advertising `hint`.
pub(crate) async fn slow_emulator(hint: Duration) -> Emulator {
    builder()
        .operation_duration(FOREVER)
        .retry_after(hint)
        .start()
        .await
        .unwrap()
}

/// Client options for `base`: the emulator's api-version, the guideline's retry policy with a
/// 5 ms base delay (server hints are used as given), and the default 10 s poll interval, so a
/// poller that ignored the emulator's `retry-after-ms` would be slow, not wrong.
pub(crate) fn options(base: &str) -> ArmClientOptions {
    ArmClientOptions {
        cloud: Cloud::custom(base, SCOPE).unwrap(),
        api_version: Some(API_VERSION.to_owned()),
        retry: RetryOptions {
            base_delay: Duration::from_millis(5),
            ..RetryOptions::default()
        },
        ..ArmClientOptions::default()
    }
}

/// A client with a fresh [`TestCredential`] and `options`.
pub(crate) fn client_with(options: ArmClientOptions) -> ArmClient {
    ArmClient::new(TestCredential::new(), options).unwrap()
}

/// A client of `emu` with a fresh [`TestCredential`] and [`options`].
pub(crate) fn client(emu: &Emulator) -> ArmClient {
    client_with(options(emu.base_url()))
}

pub(crate) fn workspace() -> String {
    format!(
        "/subscriptions/{STANDARD_SUBSCRIPTION}/resourceGroups/{STANDARD_RESOURCE_GROUP}\
         /providers/Microsoft.MachineLearningServices/workspaces/{STANDARD_WORKSPACE}"
    )
}

/// The workspace's compute list.
pub(crate) fn computes() -> String {
    format!("{}/computes", workspace())
}

pub(crate) fn compute(name: &str) -> String {
    format!("{}/{name}", computes())
}

/// A new AKS compute with a new cluster (the emulator's defaults: 3 x Standard_D3_v2, FastProd).
pub(crate) fn aks_create() -> Value {
    json!({ "properties": { "computeType": "AKS" } })
}

pub(crate) fn aml_compute() -> Value {
    json!({ "properties": { "computeType": "AmlCompute", "properties": { "vmSize": "STANDARD_D2_V2" } } })
}

/// Starts creating an AmlCompute for each of `names`, without waiting for the operations.
pub(crate) async fn begin_computes(client: &ArmClient, names: &[&str]) {
    for name in names {
        client
            .begin_put(&compute(name), &aml_compute())
            .await
            .unwrap();
    }
}

/// Whether a GET of `target` answers 404.
pub(crate) async fn is_gone(client: &ArmClient, target: &str) -> bool {
    client
        .get_json::<Value>(target)
        .await
        .unwrap_err()
        .is_not_found()
}

pub(crate) fn is_status_poll(entry: &LoggedRequest) -> bool {
    entry.is("GET", "/computeOperationsStatus/")
}

/// `"METHOD /path"` of every logged request, with the workspace path written `{ws}` and a
/// status poll as a whole written `{status}`.
pub(crate) fn lines(emu: &Emulator) -> Vec<String> {
    emu.requests()
        .entries()
        .iter()
        .map(|e| {
            let path = if is_status_poll(e) {
                "{status}".to_owned()
            } else {
                e.path.replace(&workspace(), "{ws}")
            };
            format!("{} {path}", e.method)
        })
        .collect()
}

/// The status the emulator answered to each of `entries` (`None`: no answer).
pub(crate) fn statuses(entries: &[LoggedRequest]) -> Vec<Option<u16>> {
    entries.iter().map(|e| e.status).collect()
}

/// `GET target`, as the client takes it.
pub(crate) fn get(target: impl AsRef<str>) -> Request {
    http::Request::get(target.as_ref())
        .body(Body::default())
        .unwrap()
}

/// `method target` with `body` as JSON.
pub(crate) fn json_request(method: http::Method, target: impl AsRef<str>, body: &Value) -> Request {
    http::Request::builder()
        .method(method)
        .uri(target.as_ref())
        .body(Body::json(body).unwrap())
        .unwrap()
}

/// Per-call options on a request, as callers attach them: in its extensions.
pub(crate) trait WithOptions: Sized {
    fn options(self, options: RequestOptions) -> Self;

    fn api_version(self, api_version: &str) -> Self {
        self.options(RequestOptions {
            api_version: Some(api_version.to_owned()),
            ..RequestOptions::default()
        })
    }
}

impl WithOptions for Request {
    fn options(mut self, options: RequestOptions) -> Self {
        self.extensions_mut().insert(options);
        self
    }
}
