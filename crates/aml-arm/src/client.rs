//! The ARM client: request building, host pinning, retries, response reading.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use azure_core::Bytes;
use azure_core::credentials::TokenCredential;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::{Instrument, field};
use url::Url;

use crate::error::{
    ApiError, Error, RequestIds, Result, TimeoutScope, UrlSource, decode_arm_error, excerpt,
};
use crate::options::{ArmClientOptions, RequestOptions, origin_of, path_of, redact_url};
use crate::pager::Pager;
use crate::poller::{Poller, ResumeToken};
use crate::retry::{RetryOptions, jitter_unit, random_u64, retry_after, usable_hint};
use crate::token_cache::TokenCache;

const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";
const RETURN_CLIENT_REQUEST_ID: &str = "x-ms-return-client-request-id";
const CORRELATION_REQUEST_ID: &str = "x-ms-correlation-request-id";

/// An HTTP method ARM uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
}

impl Method {
    /// The method's name, upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Post => "POST",
            Self::Delete => "DELETE",
            Self::Head => "HEAD",
        }
    }

    fn to_reqwest(self) -> reqwest::Method {
        match self {
            Self::Get => reqwest::Method::GET,
            Self::Put => reqwest::Method::PUT,
            Self::Patch => reqwest::Method::PATCH,
            Self::Post => reqwest::Method::POST,
            Self::Delete => reqwest::Method::DELETE,
            Self::Head => reqwest::Method::HEAD,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One ARM request: method, target (a path such as `/subscriptions/...` or an absolute URL on the
/// ARM endpoint), optional JSON body, extra headers and per-call options.
///
/// Bodies are built elsewhere (by pure functions); this type only carries them.
#[derive(Clone)]
pub struct ArmRequest {
    method: Method,
    target: String,
    body: Option<Bytes>,
    headers: Vec<(HeaderName, HeaderValue)>,
    options: RequestOptions,
    pub(crate) source: UrlSource,
}

impl ArmRequest {
    /// A request with no body.
    pub fn new(method: Method, target: impl Into<String>) -> Self {
        Self {
            method,
            target: target.into(),
            body: None,
            headers: Vec::new(),
            options: RequestOptions::default(),
            source: UrlSource::Request,
        }
    }

    /// `GET target`.
    pub fn get(target: impl Into<String>) -> Self {
        Self::new(Method::Get, target)
    }

    /// `PUT target`.
    pub fn put(target: impl Into<String>) -> Self {
        Self::new(Method::Put, target)
    }

    /// `PATCH target`.
    pub fn patch(target: impl Into<String>) -> Self {
        Self::new(Method::Patch, target)
    }

    /// `POST target`.
    pub fn post(target: impl Into<String>) -> Self {
        Self::new(Method::Post, target)
    }

    /// `DELETE target`.
    pub fn delete(target: impl Into<String>) -> Self {
        Self::new(Method::Delete, target)
    }

    /// Serializes `body` as the JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::InvalidConfig {
            message: format!("request body does not serialize as JSON: {e}"),
        })?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// Uses already-serialized JSON as the body.
    #[must_use]
    pub fn json_bytes(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Adds a header such as `If-Match`. Headers the client owns (`Authorization`, `Host`,
    /// `User-Agent`, `Content-Type`, `Content-Length`, the request-id headers) are refused.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self> {
        let lower = name.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "authorization"
                | "host"
                | "user-agent"
                | "content-type"
                | "content-length"
                | "transfer-encoding"
                | CLIENT_REQUEST_ID
                | RETURN_CLIENT_REQUEST_ID
                | CORRELATION_REQUEST_ID
        ) {
            return Err(Error::InvalidConfig {
                message: format!(
                    "header {name:?} is set by the client; use RequestOptions for request ids"
                ),
            });
        }
        let n = HeaderName::from_bytes(lower.as_bytes()).map_err(|_| Error::InvalidConfig {
            message: format!("{name:?} is not a valid header name"),
        })?;
        let v = HeaderValue::from_str(value).map_err(|_| Error::InvalidConfig {
            message: format!("the value of header {name:?} is not valid"),
        })?;
        self.headers.push((n, v));
        Ok(self)
    }

    /// Per-call options (api-version, request ids, timeout, retry).
    #[must_use]
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// Overrides the `api-version` for this call.
    #[must_use]
    pub fn api_version(mut self, api_version: impl Into<String>) -> Self {
        self.options.api_version = Some(api_version.into());
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The target as given.
    pub fn target(&self) -> &str {
        &self.target
    }

    pub(crate) fn api_version_override(&self) -> Option<&str> {
        self.options.api_version.as_deref()
    }

    /// The per-call options the requests that follow this one (next pages, polls, the final
    /// `GET` of an operation) inherit: correlation id, timeout and retry policy. Not the client
    /// request id, which names one request, nor the api-version override, which is already in
    /// the URLs those requests use (or is applied to them separately).
    pub(crate) fn follow_up_options(&self) -> RequestOptions {
        RequestOptions {
            api_version: None,
            client_request_id: None,
            ..self.options.clone()
        }
    }

    pub(crate) fn with_source(mut self, source: UrlSource) -> Self {
        self.source = source;
        self
    }
}

impl fmt::Debug for ArmRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmRequest")
            .field("method", &self.method)
            .field("target", &redact_url(&self.target))
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .finish_non_exhaustive()
    }
}

/// A response read in full (up to the size cap).
#[derive(Clone)]
pub struct ArmResponse {
    method: Method,
    url: Url,
    status: u16,
    headers: HeaderMap,
    body: Bytes,
    request_ids: RequestIds,
    attempts: u32,
}

impl ArmResponse {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body, owned.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// Decodes the body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|source| Error::Decode {
            method: self.method,
            path: self.path(),
            status: self.status,
            len: self.body.len(),
            expected: std::any::type_name::<T>(),
            request_ids: Box::new(self.request_ids.clone()),
            source,
        })
    }

    /// Request ids of this response.
    pub fn request_ids(&self) -> &RequestIds {
        &self.request_ids
    }

    /// How many tries it took.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The URL requested (including its query: treat as sensitive).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The method requested.
    pub fn method(&self) -> Method {
        self.method
    }

    pub(crate) fn path(&self) -> String {
        path_of(&self.url, false)
    }

    pub(crate) fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A response made up by the client (a DELETE resumed after it had finished).
    pub(crate) fn synthetic(method: Method, url: Url, status: u16) -> Self {
        Self {
            method,
            url,
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            request_ids: RequestIds::default(),
            attempts: 0,
        }
    }

    /// Turns an error status into the matching [`Error`].
    pub(crate) fn into_error(self) -> Error {
        let retry_after = retry_after(&self.headers, time::OffsetDateTime::now_utc());
        let error = decode_arm_error(&self.body);
        let body_excerpt = if error.is_none() && !self.body.is_empty() {
            Some(excerpt(&self.body))
        } else {
            None
        };
        if (300..400).contains(&self.status) {
            return Error::Redirect {
                method: self.method,
                path: self.path(),
                status: self.status,
                // Query removed, and cut short: a server can send a Location of any length.
                location: self
                    .header("location")
                    .map(|l| excerpt(redact_url(l).as_bytes()))
                    .unwrap_or_default(),
                request_ids: Box::new(self.request_ids),
            };
        }
        let api = Box::new(ApiError {
            method: self.method,
            path: self.path(),
            status: self.status,
            error,
            body_excerpt,
            request_ids: self.request_ids,
            retry_after,
            attempts: self.attempts,
        });
        if self.status == 429 || (retry_after.is_some() && self.status == 503) {
            Error::Throttled(api)
        } else {
            Error::Api(api)
        }
    }
}

impl fmt::Debug for ArmResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmResponse")
            .field("method", &self.method)
            .field("path", &self.path())
            .field("status", &self.status)
            .field("request_ids", &self.request_ids)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// The ARM client. Cheap to clone (one shared connection pool and token cache).
///
/// ```no_run
/// # async fn run() -> aml_arm::Result<()> {
/// use aml_arm::{ArmClient, ArmClientOptions, CredentialChain, CredentialChainOptions};
/// let credential = CredentialChain::from_environment(&CredentialChainOptions::default())?;
/// let client = ArmClient::new(credential, ArmClientOptions {
///     api_version: Some("2024-10-01".into()),
///     ..ArmClientOptions::default()
/// })?;
/// let workspace: serde_json::Value = client
///     .get_json("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws")
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ArmClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    tokens: TokenCache,
    options: ArmClientOptions,
    user_agent: HeaderValue,
    origin: Origin,
    /// `api-version=<encoded client default>`, ready to append.
    api_version_pair: Option<String>,
}

/// Scheme, host and port: the only place the token may go.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    fn of(url: &Url) -> Self {
        Self {
            scheme: url.scheme().to_owned(),
            host: url.host_str().unwrap_or("").to_ascii_lowercase(),
            port: url.port_or_known_default(),
        }
    }

    /// Whether `url` is on this origin (no allocation: this runs on every request).
    fn matches(&self, url: &Url) -> bool {
        url.scheme() == self.scheme
            && url
                .host_str()
                .is_some_and(|h| h.eq_ignore_ascii_case(&self.host))
            && url.port_or_known_default() == self.port
    }
}

impl ArmClient {
    /// A client for `options.cloud` that authenticates with `credential`.
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
            let p = reqwest::Proxy::all(proxy.as_str()).map_err(|_| Error::InvalidConfig {
                message: format!("proxy {} is not a valid proxy URL", redact_url(proxy)),
            })?;
            builder = builder.proxy(p);
        }
        let http = builder.build().map_err(|e| Error::InvalidConfig {
            message: format!("the HTTP client could not be built: {e}"),
        })?;
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
        let api_version_pair = options.api_version.as_deref().map(|v| {
            let encoded: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
            format!("api-version={encoded}")
        });
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

    /// The token cache (to share one with another client of the same credential and scope).
    pub fn token_cache(&self) -> &TokenCache {
        &self.inner.tokens
    }

    /// Resolves a target (an absolute path or a URL on the endpoint) to the URL that would be
    /// requested, `api-version` included, checking it is on the ARM endpoint.
    pub fn url(&self, target: &str) -> Result<Url> {
        self.resolve(Method::Get, target, None, UrlSource::Request)
    }

    /// Sends `request`, retrying per the policy, and returns a 2xx response; every other
    /// status becomes an [`Error`].
    pub async fn send(&self, request: ArmRequest) -> Result<ArmResponse> {
        let response = self.execute(&request).await?;
        if (200..300).contains(&response.status) {
            Ok(response)
        } else {
            Err(response.into_error())
        }
    }

    /// `GET target`, decoded as JSON.
    pub async fn get_json<T: DeserializeOwned>(&self, target: &str) -> Result<T> {
        self.send(ArmRequest::get(target)).await?.json()
    }

    /// Sends the first request of a long-running operation (`PUT`, `PATCH`, `DELETE`, `POST`)
    /// and returns a [`Poller`] for it. The poller uses the client's [`crate::PollOptions`].
    /// Its polls and final `GET` carry the request's correlation id, timeout and retry policy.
    pub async fn begin(&self, request: ArmRequest) -> Result<Poller> {
        let follow_up = request.follow_up_options();
        let response = self.send(request).await?;
        Poller::from_initial(self.clone(), response, self.inner.options.poll, follow_up)
    }

    /// `PUT target` with a JSON body, as a long-running operation.
    pub async fn begin_put<T: Serialize + ?Sized>(&self, target: &str, body: &T) -> Result<Poller> {
        self.begin(ArmRequest::put(target).json(body)?).await
    }

    /// `DELETE target`, as a long-running operation.
    pub async fn begin_delete(&self, target: &str) -> Result<Poller> {
        self.begin(ArmRequest::delete(target)).await
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

    /// Lists a collection page by page, following `nextLink`. Every page's request carries the
    /// first request's correlation id, timeout and retry policy, and its api-version override
    /// when a `nextLink` has none.
    pub fn list_pages<T>(&self, request: ArmRequest) -> Pager<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        Pager::new(self.clone(), request)
    }

    /// Lists a collection item by item, following `nextLink`.
    pub fn list<T>(&self, target: &str) -> impl futures::Stream<Item = Result<T>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.list_pages(ArmRequest::get(target)).into_items()
    }

    /// The URL a long-running operation's response points at, read exactly as the poller reads
    /// it: the `Azure-AsyncOperation` header for [`UrlSource::AzureAsyncOperation`], the
    /// `Location` header for [`UrlSource::Location`]. The value, without the spaces and tabs
    /// around it, is resolved against `request_url` (relative references are allowed) and must
    /// be on the ARM endpoint, since the token goes with every poll.
    ///
    /// `Ok(None)` when the header is absent or blank (of a header sent several times, the first
    /// value counts). Errors: [`Error::InvalidHeader`] when the value is not UTF-8 text,
    /// [`Error::InvalidUrl`] when it is not a URL, [`Error::ForeignHost`] when it points
    /// elsewhere, and [`Error::InvalidConfig`] for a `source` that names no header. It never
    /// panics, whatever the bytes.
    ///
    /// ```
    /// # fn main() -> aml_arm::Result<()> {
    /// use aml_arm::{ArmClient, ArmClientOptions, Error, StaticTokenCredential, UrlSource};
    /// use reqwest::header::{HeaderMap, HeaderValue};
    ///
    /// let client = ArmClient::new(StaticTokenCredential::new("t"), ArmClientOptions::default())?;
    /// let request = url::Url::parse("https://management.azure.com/subscriptions/s/x").unwrap();
    /// let mut headers = HeaderMap::new();
    /// headers.insert("azure-asyncoperation", HeaderValue::from_static("/operations/1?api-version=1"));
    /// let url = client.header_url(&request, &headers, UrlSource::AzureAsyncOperation)?;
    /// assert_eq!(url.unwrap().path(), "/operations/1");
    ///
    /// headers.insert("location", HeaderValue::from_static("https://elsewhere.example/op"));
    /// let err = client.header_url(&request, &headers, UrlSource::Location).unwrap_err();
    /// assert!(matches!(err, Error::ForeignHost { .. }));
    /// # Ok(()) }
    /// ```
    pub fn header_url(
        &self,
        request_url: &Url,
        headers: &HeaderMap,
        source: UrlSource,
    ) -> Result<Option<Url>> {
        let (key, name) = match source {
            UrlSource::AzureAsyncOperation => ("azure-asyncoperation", "Azure-AsyncOperation"),
            UrlSource::Location => ("location", "Location"),
            _ => {
                return Err(Error::InvalidConfig {
                    message: format!(
                        "{source} names no response header; use UrlSource::AzureAsyncOperation \
                         or UrlSource::Location"
                    ),
                });
            }
        };
        let Some(value) = headers.get(key) else {
            return Ok(None);
        };
        // Header values may carry any byte but controls; a URL is text. UTF-8 is accepted
        // (the URL parser percent-encodes it), anything else is refused rather than guessed.
        let Ok(text) = std::str::from_utf8(value.as_bytes()) else {
            return Err(Error::InvalidHeader {
                name,
                path: path_of(request_url, false),
                request_ids: Box::new(RequestIds::from_headers(headers)),
            });
        };
        // Optional whitespace around a header value is spaces and tabs only (RFC 9110).
        let text = text.trim_matches([' ', '\t']);
        if text.is_empty() {
            return Ok(None);
        }
        let url = parse_link(request_url, text)?;
        self.check_origin(&url, source)?;
        Ok(Some(url))
    }

    /// Checks that `url` is on the endpoint's origin.
    pub(crate) fn check_origin(&self, url: &Url, source: UrlSource) -> Result<()> {
        if self.inner.origin.matches(url) {
            Ok(())
        } else {
            Err(Error::ForeignHost {
                origin: origin_of(url),
                allowed: origin_of(self.endpoint()),
                source_kind: source,
            })
        }
    }

    fn resolve(
        &self,
        method: Method,
        target: &str,
        api_version: Option<&str>,
        source: UrlSource,
    ) -> Result<Url> {
        let mut text = if target.starts_with("https://") || target.starts_with("http://") {
            target.to_owned()
        } else if target.starts_with('/') {
            let base = self.endpoint().as_str().trim_end_matches('/');
            let mut s = String::with_capacity(base.len() + target.len() + 24);
            s.push_str(base);
            s.push_str(target);
            s
        } else {
            return Err(Error::InvalidConfig {
                message: format!(
                    "request target {:?} must be an absolute path (/subscriptions/...) or a URL",
                    redact_url(target)
                ),
            });
        };
        if let Some(hash) = text.find('#') {
            text.truncate(hash);
        }
        let has_version = query_has_api_version(&text);
        // The common case, adding the client's api-version, is done on the text: one parse.
        let add_default = api_version.is_none() && !has_version;
        if add_default && let Some(v) = &self.inner.api_version_pair {
            text.push(if text.contains('?') { '&' } else { '?' });
            text.push_str(v);
        }
        let mut url = Url::parse(&text).map_err(|e| Error::InvalidUrl {
            url: redact_url(&text),
            source: e,
        })?;
        self.check_origin(&url, source)?;
        if let Some(v) = api_version {
            // Keep the other parameters exactly as written (no re-encoding).
            let mut query: Vec<String> = url
                .query()
                .unwrap_or("")
                .split('&')
                .filter(|p| !p.is_empty() && p.split('=').next() != Some("api-version"))
                .map(str::to_owned)
                .collect();
            let v: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
            query.push(format!("api-version={v}"));
            url.set_query(Some(&query.join("&")));
        } else if add_default && self.inner.api_version_pair.is_none() {
            return Err(Error::MissingApiVersion {
                method,
                path: path_of(&url, false),
            });
        }
        Ok(url)
    }

    /// Sends with retries and returns the final response whatever its status (except 3xx,
    /// which becomes [`Error::Redirect`]).
    pub(crate) async fn execute(&self, request: &ArmRequest) -> Result<ArmResponse> {
        let opts = &request.options;
        let url = self.resolve(
            request.method,
            &request.target,
            opts.api_version.as_deref(),
            request.source,
        )?;
        let client_request_id = opts
            .client_request_id
            .clone()
            .unwrap_or_else(new_request_id);
        let correlation_id = opts
            .correlation_id
            .clone()
            .or_else(|| self.inner.options.correlation_id.clone());
        let span = tracing::info_span!(
            "arm.request",
            method = request.method.as_str(),
            path = url.path(),
            client_request_id = client_request_id.as_str(),
            status = field::Empty,
            attempts = field::Empty,
            request_id = field::Empty,
        );
        let limit = opts.timeout.or(self.inner.options.timeouts.operation);
        let ids = RequestIds {
            client_request_id: Some(client_request_id.clone()),
            ..RequestIds::default()
        };
        let progress = TryProgress::default();
        let run = self
            .execute_tries(
                request,
                &url,
                &client_request_id,
                correlation_id.as_deref(),
                &progress,
            )
            .instrument(span.clone());
        let result = match limit {
            Some(limit) => match tokio::time::timeout(limit, run).await {
                Ok(r) => r,
                Err(_) => Err(Error::Timeout {
                    method: request.method,
                    path: url.path().to_owned(),
                    scope: TimeoutScope::Operation,
                    limit,
                    attempts: progress.attempts(),
                    may_have_been_sent: progress.sent(),
                    request_ids: Box::new(ids),
                }),
            },
            None => run.await,
        };
        match &result {
            Ok(r) => {
                span.record("status", r.status);
                span.record("attempts", r.attempts);
                if let Some(id) = &r.request_ids.request_id {
                    span.record("request_id", id.as_str());
                }
            }
            Err(e) => {
                span.in_scope(|| tracing::debug!(error = %e, "ARM request failed"));
            }
        }
        result
    }

    /// Sends one try, under its own span, bounded by the per-try timeout.
    async fn send_try(
        &self,
        request: &ArmRequest,
        url: &Url,
        auth: HeaderValue,
        attempt: u32,
        ids: (&str, Option<&str>),
        progress: &TryProgress,
    ) -> Result<(tracing::Span, TryOutcome)> {
        let (client_request_id, correlation_id) = ids;
        let span = tracing::debug_span!(
            "arm.try",
            attempt,
            status = field::Empty,
            request_id = field::Empty,
            elapsed_ms = field::Empty
        );
        let started = Instant::now();
        let builder = self.build_try(request, url, auth, client_request_id, correlation_id);
        let cap = self.inner.options.max_response_bytes;
        let once = send_once(builder, cap, progress);
        let outcome = match self.inner.options.timeouts.per_try {
            Some(limit) => tokio::time::timeout(limit, once)
                .instrument(span.clone())
                .await
                .map_err(|_| limit),
            None => Ok(once.instrument(span.clone()).await),
        };
        span.record("elapsed_ms", started.elapsed().as_millis());
        Ok((span, outcome))
    }

    /// The request of one try, token included.
    fn build_try(
        &self,
        request: &ArmRequest,
        url: &Url,
        auth: HeaderValue,
        client_request_id: &str,
        correlation_id: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut builder = self
            .inner
            .http
            .request(request.method.to_reqwest(), url.clone())
            .header(header::USER_AGENT, self.inner.user_agent.clone())
            .header(header::ACCEPT, "application/json")
            .header(
                HeaderName::from_static(CLIENT_REQUEST_ID),
                client_request_id,
            )
            .header(
                HeaderName::from_static(RETURN_CLIENT_REQUEST_ID),
                HeaderValue::from_static("true"),
            );
        // A sensitive header value, built once per token: hyper and reqwest never print it.
        builder = builder.header(header::AUTHORIZATION, auth);
        if let Some(c) = correlation_id {
            builder = builder.header(HeaderName::from_static(CORRELATION_REQUEST_ID), c);
        }
        for (n, v) in &request.headers {
            builder = builder.header(n.clone(), v.clone());
        }
        match &request.body {
            Some(body) => {
                builder = builder
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            None if matches!(request.method, Method::Put | Method::Post | Method::Patch) => {
                builder = builder.header(header::CONTENT_LENGTH, "0");
            }
            None => {}
        }
        builder
    }

    async fn execute_tries(
        &self,
        request: &ArmRequest,
        url: &Url,
        client_request_id: &str,
        correlation_id: Option<&str>,
        progress: &TryProgress,
    ) -> Result<ArmResponse> {
        let retry = request
            .options
            .retry
            .as_ref()
            .unwrap_or(&self.inner.options.retry);
        let cap = self.inner.options.max_response_bytes;
        let request_ids = || Box::new(sent_ids(client_request_id));
        let ids = (client_request_id, correlation_id);
        let mut attempt: u32 = 0;
        let mut retries: u32 = 0;
        let mut reauthenticated = false;
        loop {
            attempt = attempt.saturating_add(1);
            progress.set_attempts(attempt);
            let (token, auth) = self.inner.tokens.get_with_header().await?;
            let (try_span, outcome) = self
                .send_try(request, url, auth, attempt, ids, progress)
                .await?;

            let failure = match outcome {
                Ok(Ok((status, headers, body))) => {
                    let ids = response_ids(&headers, client_request_id);
                    record_response(&try_span, status, &ids);
                    if status == 401 && !reauthenticated {
                        // The token may have been revoked early: get a fresh one, once.
                        reauthenticated = true;
                        self.inner.tokens.invalidate(&token);
                        try_span.in_scope(|| tracing::debug!("401: retrying with a new token"));
                        continue;
                    }
                    let response = ArmResponse {
                        method: request.method,
                        url: url.clone(),
                        status,
                        headers,
                        body,
                        request_ids: ids,
                        attempts: attempt,
                    };
                    match status_retry_delay(retry, retries, &response) {
                        Some(delay) => {
                            try_span.in_scope(|| {
                                tracing::debug!(
                                    status,
                                    delay_ms = delay.as_millis(),
                                    "backing off"
                                );
                            });
                            delay
                        }
                        None => return Ok(response),
                    }
                }
                Ok(Err(TryError::TooLarge)) => {
                    return Err(Error::ResponseTooLarge {
                        method: request.method,
                        path: url.path().to_owned(),
                        limit: cap,
                        request_ids: request_ids(),
                    });
                }
                Ok(Err(TryError::Transport(e))) => {
                    let retryable = retry.retry_transport_errors && !e.is_builder();
                    if !retryable || retries >= retry.max_retries {
                        return Err(Error::Transport {
                            method: request.method,
                            path: url.path().to_owned(),
                            attempts: attempt,
                            may_have_been_sent: progress.sent(),
                            request_ids: request_ids(),
                            source: e,
                        });
                    }
                    let delay = retry.backoff(retries + 1, jitter_unit());
                    try_span
                        .in_scope(|| tracing::debug!(error = %e, "transport error; backing off"));
                    delay
                }
                Err(per_try) => {
                    progress.mark_sent();
                    if !retry.retry_transport_errors || retries >= retry.max_retries {
                        return Err(Error::Timeout {
                            method: request.method,
                            path: url.path().to_owned(),
                            scope: TimeoutScope::Try,
                            limit: per_try,
                            attempts: attempt,
                            may_have_been_sent: true,
                            request_ids: request_ids(),
                        });
                    }
                    retry.backoff(retries + 1, jitter_unit())
                }
            };
            retries += 1;
            tokio::time::sleep(failure).await;
        }
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

/// What a call has done so far, readable after its future was cut short by a timeout.
#[derive(Default)]
struct TryProgress {
    attempts: std::sync::atomic::AtomicU32,
    sent: std::sync::atomic::AtomicBool,
}

impl TryProgress {
    fn set_attempts(&self, n: u32) {
        self.attempts.store(n, std::sync::atomic::Ordering::Relaxed);
    }
    fn attempts(&self) -> u32 {
        self.attempts.load(std::sync::atomic::Ordering::Relaxed)
    }
    fn mark_sent(&self) {
        self.sent.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    fn sent(&self) -> bool {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The back-off before retrying `response`, or `None` to hand it back as it is.
fn status_retry_delay(
    retry: &RetryOptions,
    retries: u32,
    response: &ArmResponse,
) -> Option<Duration> {
    if !retry.retries_status(response.status) || retries >= retry.max_retries {
        return None;
    }
    // A hint under a millisecond (`Retry-After: 0`) is no reason to retry at once: back off.
    match usable_hint(retry_after(
        &response.headers,
        time::OffsetDateTime::now_utc(),
    )) {
        Some(hint) if hint > retry.max_delay => {
            tracing::debug!(
                retry_after_ms = hint.as_millis(),
                "the server asks to wait longer than max_delay; not retrying"
            );
            None
        }
        Some(hint) => Some(hint),
        None => Some(retry.backoff(retries + 1, jitter_unit())),
    }
}

/// A try's result, or the per-try limit that cut it.
type TryOutcome =
    std::result::Result<std::result::Result<(u16, HeaderMap, Bytes), TryError>, Duration>;

enum TryError {
    Transport(reqwest::Error),
    TooLarge,
}

/// One try: send, then read the body up to `cap` bytes.
async fn send_once(
    builder: reqwest::RequestBuilder,
    cap: usize,
    progress: &TryProgress,
) -> std::result::Result<(u16, HeaderMap, Bytes), TryError> {
    let mut response = match builder.send().await {
        Ok(r) => r,
        Err(e) => {
            if !e.is_connect() {
                progress.mark_sent();
            }
            return Err(TryError::Transport(e));
        }
    };
    progress.mark_sent();
    let status = response.status().as_u16();
    if response
        .content_length()
        .is_some_and(|n| n > u64::try_from(cap).unwrap_or(u64::MAX))
    {
        return Err(TryError::TooLarge);
    }
    let headers = std::mem::take(response.headers_mut());
    let mut first: Option<Bytes> = None;
    let mut rest: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(TryError::Transport)? {
        let len = first.as_ref().map_or(0, Bytes::len) + rest.len() + chunk.len();
        if len > cap {
            return Err(TryError::TooLarge);
        }
        match &first {
            None => first = Some(chunk),
            Some(f) => {
                if rest.is_empty() {
                    rest.extend_from_slice(f);
                }
                rest.extend_from_slice(&chunk);
            }
        }
    }
    let body = if rest.is_empty() {
        first.unwrap_or_default()
    } else {
        Bytes::from(rest)
    };
    Ok((status, headers, body))
}

fn record_response(span: &tracing::Span, status: u16, ids: &RequestIds) {
    span.record("status", status);
    if let Some(id) = &ids.request_id {
        span.record("request_id", id.as_str());
    }
}

/// The ids known before any response: the client request id.
fn sent_ids(client_request_id: &str) -> RequestIds {
    RequestIds {
        client_request_id: Some(client_request_id.to_owned()),
        ..RequestIds::default()
    }
}

/// The response's ids; the client request id sent when the response does not echo one.
fn response_ids(headers: &HeaderMap, sent_client_request_id: &str) -> RequestIds {
    let mut ids = RequestIds::from_headers(headers);
    if ids.client_request_id.is_none() {
        ids.client_request_id = Some(sent_client_request_id.to_owned());
    }
    ids
}

/// A random version-4 UUID for `x-ms-client-request-id`. Request ids need uniqueness, not
/// unpredictability, so this uses the standard library's randomly keyed hasher instead of a
/// system call per request.
fn new_request_id() -> String {
    let (a, b) = (random_u64(), random_u64());
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000; // version 4
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000; // RFC 4122 variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// Whether the query of a URL string names `api-version`.
fn query_has_api_version(url: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        query
            .split('&')
            .any(|p| p == "api-version" || p.starts_with("api-version="))
    })
}

/// Parses a URL found in a response (a header or `nextLink`), relative to the request URL.
pub(crate) fn parse_link(base: &Url, link: &str) -> Result<Url> {
    base.join(link).map_err(|source| Error::InvalidUrl {
        url: redact_url(link),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Cloud;
    use azure_core::credentials::{AccessToken, TokenRequestOptions};

    #[derive(Debug)]
    struct Never;

    #[async_trait::async_trait]
    impl TokenCredential for Never {
        async fn get_token(
            &self,
            _: &[&str],
            _: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            unreachable!("URL tests never ask for a token")
        }
    }

    fn client(api_version: Option<&str>) -> ArmClient {
        ArmClient::new(
            Arc::new(Never),
            ArmClientOptions {
                cloud: Cloud::custom("http://127.0.0.1:8080/arm", "s").unwrap(),
                api_version: api_version.map(str::to_owned),
                ..ArmClientOptions::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn resolves_paths_under_the_endpoint_prefix_and_adds_api_version() {
        let c = client(Some("2024-01-01"));
        assert_eq!(
            c.url("/subscriptions/s?$top=5").unwrap().as_str(),
            "http://127.0.0.1:8080/arm/subscriptions/s?$top=5&api-version=2024-01-01"
        );
        // An api-version already in the URL (a nextLink) is kept.
        assert_eq!(
            c.url("http://127.0.0.1:8080/x?api-version=1999-01-01")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/x?api-version=1999-01-01"
        );
    }

    #[test]
    fn per_call_api_version_replaces_the_one_in_the_url() {
        let c = client(Some("2024-01-01"));
        let u = c
            .resolve(
                Method::Get,
                "/x?a=1&api-version=old",
                Some("new"),
                UrlSource::Request,
            )
            .unwrap();
        assert_eq!(u.query(), Some("a=1&api-version=new"));
    }

    #[test]
    fn missing_api_version_is_an_error_before_sending() {
        let err = client(None).url("/subscriptions/s").unwrap_err();
        assert!(matches!(err, Error::MissingApiVersion { .. }), "{err}");
        assert!(!err.may_have_been_sent());
    }

    #[test]
    fn foreign_hosts_schemes_and_ports_are_refused() {
        let c = client(Some("v"));
        for bad in [
            "http://127.0.0.2:8080/x",
            "https://127.0.0.1:8080/x",
            "http://127.0.0.1:8081/x",
            "http://evil.example/x",
        ] {
            let err = c.url(bad).unwrap_err();
            assert!(matches!(err, Error::ForeignHost { .. }), "{bad}: {err}");
        }
        assert!(c.url("relative/path").is_err());
    }

    #[test]
    fn header_refuses_client_owned_names() {
        for name in [
            "Authorization",
            "host",
            "x-ms-client-request-id",
            "User-Agent",
        ] {
            assert!(ArmRequest::get("/x").header(name, "v").is_err(), "{name}");
        }
        assert!(ArmRequest::get("/x").header("If-Match", "\"etag\"").is_ok());
    }

    #[test]
    fn request_ids_are_distinct_version_4_uuids() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        for id in [a, b] {
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            assert!(parts[2].starts_with('4'), "{id}");
            assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{id}");
        }
    }

    #[test]
    fn api_version_detection_looks_at_whole_parameters_only() {
        assert!(query_has_api_version("/x?a=1&api-version=2"));
        assert!(query_has_api_version("/x?api-version"));
        assert!(!query_has_api_version("/x?my-api-version=2"));
        assert!(!query_has_api_version("/api-version=2"));
        let c = client(Some("v1"));
        assert_eq!(
            c.url("/x#frag").unwrap().as_str(),
            "http://127.0.0.1:8080/arm/x?api-version=v1"
        );
    }

    #[test]
    fn links_resolve_relative_to_the_request() {
        let base = Url::parse("http://127.0.0.1:1/a/b?x=1").unwrap();
        assert_eq!(
            parse_link(&base, "/ops/1").unwrap().as_str(),
            "http://127.0.0.1:1/ops/1"
        );
        assert_eq!(
            parse_link(&base, "https://other.example/ops")
                .unwrap()
                .as_str(),
            "https://other.example/ops"
        );
    }

    fn link_headers(name: &'static str, value: &[u8]) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_bytes(value) {
            h.insert(name, v);
        }
        h
    }

    #[test]
    fn header_urls_resolve_or_fail_with_a_typed_error() {
        let c = client(Some("v"));
        let base = Url::parse("http://127.0.0.1:8080/arm/subscriptions/s/x?api-version=v").unwrap();
        let read =
            |source, name, value: &[u8]| c.header_url(&base, &link_headers(name, value), source);
        let aao = UrlSource::AzureAsyncOperation;
        assert_eq!(
            read(aao, "azure-asyncoperation", b"  /arm/ops/1?sig=s  ")
                .unwrap()
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/arm/ops/1?sig=s"
        );
        assert_eq!(
            read(UrlSource::Location, "location", b"ops/2")
                .unwrap()
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/arm/subscriptions/s/ops/2"
        );
        // UTF-8 is percent-encoded by the URL parser.
        assert_eq!(
            read(aao, "azure-asyncoperation", "/arm/op\u{e9}".as_bytes())
                .unwrap()
                .unwrap()
                .path(),
            "/arm/op%C3%A9"
        );
        assert_eq!(read(aao, "azure-asyncoperation", b"   ").unwrap(), None);
        assert_eq!(read(aao, "location", b"/arm/ops/1").unwrap(), None);
        let err = read(aao, "azure-asyncoperation", b"\xff\xfe").unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidHeader {
                    name: "Azure-AsyncOperation",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "/arm/subscriptions/s/x: the response's Azure-AsyncOperation header is not UTF-8 \
             text, so it cannot be followed"
        );
        assert!(err.may_have_been_sent());
        let err = read(aao, "azure-asyncoperation", b"http://[::1").unwrap_err();
        assert!(matches!(err, Error::InvalidUrl { .. }), "{err}");
        let err = read(UrlSource::Location, "location", b"//evil.example/x").unwrap_err();
        assert!(matches!(err, Error::ForeignHost { .. }), "{err}");
        let err = read(UrlSource::NextLink, "location", b"/x").unwrap_err();
        assert!(matches!(err, Error::InvalidConfig { .. }), "{err}");
        // A megabyte of path: a URL like any other, no panic.
        let long = format!("/arm/{}", "a".repeat(1 << 20));
        let url = read(UrlSource::Location, "location", long.as_bytes())
            .unwrap()
            .unwrap();
        assert_eq!(url.path().len(), long.len());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// One client for every case: building one (its TLS roots) costs milliseconds.
        fn shared() -> &'static ArmClient {
            static CLIENT: std::sync::OnceLock<ArmClient> = std::sync::OnceLock::new();
            CLIENT.get_or_init(|| client(Some("v")))
        }

        proptest! {
            #[test]
            fn any_link_header_bytes_give_an_on_endpoint_url_or_a_typed_error(
                value in prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..200),
                    "[ -~]{0,120}".prop_map(String::into_bytes),
                    "(https?://127\\.0\\.0\\.1(:8080)?)?/?[a-z/?&=%.:@#-]{0,60}".prop_map(String::into_bytes),
                ],
                location in any::<bool>(),
            ) {
                let c = shared();
                let base = Url::parse("http://127.0.0.1:8080/arm/x").unwrap();
                let (name, source) = if location {
                    ("location", UrlSource::Location)
                } else {
                    ("azure-asyncoperation", UrlSource::AzureAsyncOperation)
                };
                match c.header_url(&base, &link_headers(name, &value), source) {
                    Ok(Some(url)) => prop_assert!(c.inner.origin.matches(&url), "{}", url),
                    Ok(None) => prop_assert!(
                        HeaderValue::from_bytes(&value).is_err() || value.trim_ascii().is_empty()
                    ),
                    Err(Error::InvalidHeader { .. }) => {
                        prop_assert!(std::str::from_utf8(&value).is_err());
                    }
                    Err(Error::InvalidUrl { .. } | Error::ForeignHost { .. }) => {}
                    Err(e) => prop_assert!(false, "unexpected error {}", e),
                }
            }

            #[test]
            fn paths_on_the_endpoint_round_trip(path in "/arm/[a-zA-Z0-9/_.~-]{0,80}", query in "[a-z0-9=&]{0,20}") {
                let c = shared();
                let base = Url::parse("http://127.0.0.1:8080/arm/x").unwrap();
                let link = if query.is_empty() { path.clone() } else { format!("{path}?{query}") };
                for value in [link.clone(), format!("http://127.0.0.1:8080{link}")] {
                    let url = c
                        .header_url(&base, &link_headers("location", value.as_bytes()), UrlSource::Location)
                        .unwrap()
                        .unwrap();
                    prop_assert_eq!(url.clone(), base.join(&link).unwrap());
                    prop_assert_eq!(url.query().unwrap_or(""), query.as_str());
                }
            }
        }
    }

    #[test]
    fn http_client_debug_holds_no_secrets() {
        let c = client(Some("v"));
        let s = format!("{c:?}");
        assert!(s.contains("127.0.0.1"));
        assert!(!s.contains("Bearer"));
    }
}
