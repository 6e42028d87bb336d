//! The ARM client and its calls. Building the outgoing request is in `request`, URLs and host
//! pinning in `url`, sending and retries in `transport`.

use std::fmt;
use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use http::Method;
use reqwest::header::HeaderValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::credential::{CredentialChain, CredentialChainOptions};
use crate::error::{Error, Result};
use crate::options::{ArmClientOptions, RequestOptions};
use crate::pager::Pager;
use crate::poller::Poller;
use crate::poller::resume::ResumeToken;
use crate::request::Outgoing;
use crate::response::ArmResponse;
use crate::token_cache::TokenCache;
use crate::url::{Origin, api_version_pair, redact_url};

/// The ARM client. Cheap to clone (one shared connection pool and token cache).
///
/// Requests are [`aml_model::request::Request`] (an [`http::Request`] with a JSON [`Body`](aml_model::request::Body), as aml-model builds them): the method, a URI that is either
/// origin-form (`/subscriptions/...?api-version=...`, resolved against the endpoint) or an
/// absolute URL on the endpoint, the caller's headers (`If-Match`, ...) and the body (JSON, or
/// empty). Per-call [`RequestOptions`] travel in the request's extensions.
///
/// ```no_run
/// # async fn run() -> aml_arm::Result<()> {
/// use aml_arm::{ArmClient, ArmClientOptions, CredentialChainOptions, RequestOptions};
/// let client = ArmClient::from_environment(ArmClientOptions {
///     api_version: Some("2024-10-01".into()),
///     ..ArmClientOptions::default()
/// }, &CredentialChainOptions::default())?;
/// let ws = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
/// let workspace: serde_json::Value = client.get_json(ws).await?;
///
/// // Any request: an `http::Request`, options in its extensions.
/// let mut request = http::Request::get(ws).header("if-none-match", "*").body(aml_model::request::Body::default()).unwrap();
/// request.extensions_mut().insert(RequestOptions {
///     client_request_id: Some("my-id".to_owned()),
///     ..RequestOptions::default()
/// });
/// let response = client.send(request).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ArmClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) tokens: TokenCache,
    pub(crate) options: ArmClientOptions,
    pub(crate) user_agent: HeaderValue,
    pub(crate) origin: Origin,
    /// `api-version=<encoded client default>`, ready to append.
    pub(crate) api_version_pair: Option<String>,
}

impl ArmClient {
    /// A client for `options.cloud` whose credential is the chain the Azure SDKs'
    /// `DefaultAzureCredential` would build from the process environment (workload identity,
    /// client secret, managed identity, then `az` / `azd`), against the same cloud's Entra ID
    /// authority: the token authority and the ARM endpoint come from one [`crate::Cloud`].
    ///
    /// A cloud without an authority host ([`crate::Cloud::custom`]) is refused with
    /// [`Error::InvalidConfig`] before any variable is read or credential built: use
    /// [`crate::Cloud::custom_cloud`], or [`ArmClient::new`] with a credential of your own.
    pub fn from_environment(
        options: ArmClientOptions,
        chain: &CredentialChainOptions,
    ) -> Result<Self> {
        Self::from_lookup(options, chain, |name| std::env::var(name).ok())
    }

    /// Like [`ArmClient::from_environment`], reading the chain's variables through `lookup`
    /// (a configuration file, a test). The same cloud rule applies: a [`crate::Cloud::custom`]
    /// without an authority host is [`Error::InvalidConfig`], and `lookup` is never called.
    pub fn from_lookup(
        options: ArmClientOptions,
        chain: &CredentialChainOptions,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let credential = CredentialChain::from_lookup(&options.cloud, chain, lookup)?;
        Self::new(credential, options)
    }

    /// A client for `options.cloud` that authenticates with `credential`. Any cloud works here,
    /// [`crate::Cloud::custom`] included: the credential is the caller's, and is asked for
    /// tokens for the cloud's scope.
    ///
    /// Fails if the options are unusable (a bad proxy URL, an empty api-version). The cloud's
    /// endpoint was already checked when the [`crate::Cloud`] was built.
    pub fn new(credential: Arc<dyn TokenCredential>, options: ArmClientOptions) -> Result<Self> {
        if options
            .api_version
            .as_deref()
            .is_some_and(|v| v.trim().is_empty())
        {
            return Err(Error::InvalidConfig {
                message: "api_version must not be empty; use None to require one per call"
                    .to_owned(),
            });
        }
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.timeouts.connect)
            .tcp_nodelay(true)
            .no_proxy();
        if let Some(proxy) = &options.proxy {
            // The proxy library's error is dropped: it would quote the URL, credentials and all.
            let p = reqwest::Proxy::all(proxy.as_str()).map_err(|_| Error::InvalidConfig {
                message: format!("proxy {} is not a valid proxy URL", redact_url(proxy)),
            })?;
            builder = builder.proxy(p);
        }
        let http = builder
            .build()
            .map_err(|source| Error::HttpClient { source })?;
        let mut ua = format!(
            "{}/{} (rust; {}; {})",
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        if let Some(s) = &options.user_agent_suffix {
            ua.push(' ');
            ua.push_str(s);
        }
        let user_agent = HeaderValue::from_str(&ua).map_err(|_| Error::InvalidConfig {
            message: "user_agent_suffix must be visible ASCII".to_owned(),
        })?;
        let tokens = TokenCache::new(credential, options.cloud.scope());
        let origin = Origin::of(options.cloud.endpoint());
        let api_version_pair = options.api_version.as_deref().map(api_version_pair);
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                tokens,
                options,
                user_agent,
                origin,
                api_version_pair,
            }),
        })
    }

    /// The options the client was built with.
    pub fn options(&self) -> &ArmClientOptions {
        &self.inner.options
    }

    /// The ARM endpoint.
    pub fn endpoint(&self) -> &Url {
        self.inner.options.cloud.endpoint()
    }

    /// Sends `request`, retrying per the policy, and returns a 2xx response; every other
    /// status becomes an [`Error`].
    ///
    /// The request's URI is origin-form (`/subscriptions/...`, joined under the endpoint) or an
    /// absolute URL on the endpoint (any other host is [`Error::ForeignHost`]). Its headers are
    /// sent, except that the client owns `Authorization`, `Host`, `User-Agent`,
    /// `Content-Length`, `Transfer-Encoding` and the request-id headers: a request that sets
    /// one is refused with [`Error::InvalidConfig`] before anything is sent (request ids go in
    /// [`RequestOptions`]). A non-empty body is sent as it is, with `Content-Type:
    /// application/json` unless the request names another. [`RequestOptions`] are read from
    /// the request's extensions (`request.extensions_mut().insert(RequestOptions { .. })`).
    pub async fn send(&self, request: aml_model::request::Request) -> Result<ArmResponse> {
        self.send_outgoing(&Outgoing::from_http(request)?).await
    }

    /// [`ArmClient::send`] of a checked request.
    pub(crate) async fn send_outgoing(&self, request: &Outgoing) -> Result<ArmResponse> {
        let response = self.execute(request).await?;
        if (200..300).contains(&response.status) {
            Ok(response)
        } else {
            Err(response.into_error())
        }
    }

    /// `GET target`, decoded as JSON. `target` is an absolute path or a URL on the endpoint.
    pub async fn get_json<T: DeserializeOwned>(&self, target: &str) -> Result<T> {
        let request = Outgoing::new(Method::GET, target, RequestOptions::default());
        self.send_outgoing(&request).await?.json()
    }

    /// Sends the first request of a long-running operation (`PUT`, `PATCH`, `DELETE`, `POST`)
    /// and returns a [`Poller`] for it; the request is checked as by [`ArmClient::send`]. The
    /// poller uses the client's [`crate::PollOptions`]. Its polls and final `GET` carry the
    /// request's correlation id, timeout and retry policy.
    pub async fn begin(&self, request: aml_model::request::Request) -> Result<Poller> {
        self.begin_outgoing(Outgoing::from_http(request)?).await
    }

    async fn begin_outgoing(&self, request: Outgoing) -> Result<Poller> {
        let follow_up = request.follow_up_options();
        let response = self.send_outgoing(&request).await?;
        Poller::from_initial(self.clone(), response, self.inner.options.poll, follow_up)
    }

    /// `PUT target` with a JSON body, as a long-running operation.
    pub async fn begin_put<T: Serialize + ?Sized>(&self, target: &str, body: &T) -> Result<Poller> {
        self.begin_outgoing(Outgoing::put_json(target, body)?).await
    }

    /// `DELETE target`, as a long-running operation.
    pub async fn begin_delete(&self, target: &str) -> Result<Poller> {
        let request = Outgoing::new(Method::DELETE, target, RequestOptions::default());
        self.begin_outgoing(request).await
    }

    /// Continues a long-running operation from a [`ResumeToken`], without re-sending the
    /// original request. Every URL in the token must be on this client's endpoint.
    pub fn resume(&self, token: &ResumeToken) -> Result<Poller> {
        Poller::from_token(self.clone(), token, self.inner.options.poll)
    }

    /// Follows an operation whose first response was lost, by reading `target`'s
    /// `properties.provisioningState` until it is terminal (`DELETE`: until the resource is
    /// gone). For example, a `PUT` whose first try reached the service but whose answer was
    /// lost, and whose retry was refused (409) because the operation it started is running.
    /// `method` is the original request's method. Nothing is sent until the poller is polled.
    pub fn follow_resource(&self, method: Method, target: &str) -> Result<Poller> {
        let url = self.url(target)?;
        Ok(Poller::for_resource(
            self.clone(),
            method,
            url,
            self.inner.options.poll,
        ))
    }

    /// Lists a collection page by page, following `nextLink`. The request is checked as by
    /// [`ArmClient::send`] (a request that fails the checks is the stream's one error). Every
    /// page's request carries the first request's correlation id, timeout and retry policy,
    /// and its api-version override when a `nextLink` has none.
    pub fn list_pages<T>(&self, request: aml_model::request::Request) -> Pager<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        Pager::new(self.clone(), Outgoing::from_http(request))
    }

    /// Lists a collection item by item, following `nextLink`. `target` is an absolute path or
    /// a URL on the endpoint.
    pub fn list<T>(&self, target: &str) -> impl futures::Stream<Item = Result<T>> + Send + use<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let request = Outgoing::new(Method::GET, target, RequestOptions::default());
        Pager::new(self.clone(), Ok(request)).into_items()
    }
}

impl fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmClient")
            .field("cloud", &self.inner.options.cloud)
            .field("api_version", &self.inner.options.api_version)
            .field("tokens", &self.inner.tokens)
            .finish_non_exhaustive()
    }
}
