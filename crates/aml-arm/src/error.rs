//! The crate's error type.
//!
//! Per smithy-rs RFC 0022: a cause is a `#[source]`, never formatted into the message; a variant
//! that only forwards is `#[error(transparent)]`; large payloads are boxed.

use std::fmt;
use std::time::Duration;

use aml_model::wire::OperationStatus;
use http::Method;

use crate::api_error::{ApiError, OperationError};
use crate::poller::resume::ResumeToken;
use crate::request_ids::RequestIds;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong between a caller and ARM.
///
/// No variant ever holds a token or a request body. URLs are shown without their query
/// (poll URLs carry signatures there).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A client or request option is unusable. Nothing was sent.
    #[error("invalid configuration: {message}")]
    InvalidConfig {
        /// What is wrong and what to do.
        message: String,
    },

    /// A request body does not serialize as JSON. Nothing was sent.
    #[error("the request body does not serialize as JSON")]
    Serialize {
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },

    /// The HTTP client could not be built (TLS roots, resolver). Nothing was sent.
    #[error("the HTTP client could not be built")]
    HttpClient {
        /// The HTTP library's error.
        #[source]
        source: reqwest::Error,
    },

    /// A URL (endpoint, request target, header value) does not parse. Nothing was sent.
    #[error("invalid URL {url}")]
    InvalidUrl {
        /// The URL, query removed.
        url: String,
        /// The parser's complaint.
        #[source]
        source: url::ParseError,
    },

    /// Plain `http` to a host that is not loopback. Nothing was sent.
    #[error("refusing plain http to {origin}: http is allowed only on loopback, use https")]
    InsecureEndpoint {
        /// `scheme://host:port` of the refused endpoint.
        origin: String,
    },

    /// A URL (poll URL, `Location`, `nextLink`, redirect, resume token, request target) points
    /// outside the configured ARM endpoint. It was not requested, so the token did not leave.
    #[error(
        "refusing to send the ARM token to {origin} (from {source_kind}); only {allowed} is trusted"
    )]
    ForeignHost {
        /// `scheme://host:port` the URL pointed at.
        origin: String,
        /// `scheme://host:port` of the configured endpoint.
        allowed: String,
        /// Where the URL came from.
        source_kind: UrlSource,
    },

    /// No `api-version` was configured for a request whose URL has none. Nothing was sent.
    #[error(
        "no api-version for {method} {path}: set ArmClientOptions::api_version or RequestOptions::api_version"
    )]
    MissingApiVersion {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
    },

    /// The credential failed to produce a token. Nothing was sent to ARM.
    #[error("could not get an access token for scope {scope}")]
    Credential {
        /// The scope requested.
        scope: String,
        /// The credential's error (its message lists why each chained credential failed).
        #[source]
        source: azure_core::Error,
    },

    /// No credential of a [`crate::CredentialChain`] could be built from the environment.
    #[error("no credential is available: {}", reasons.join("; "))]
    CredentialUnavailable {
        /// One line per credential kind: why it was skipped.
        reasons: Vec<String>,
    },

    /// The connection failed or broke, on every try.
    #[error("{method} {path} failed after {attempts} tries: connection error")]
    Transport {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// How many tries were made.
        attempts: u32,
        /// `false` only when no try got as far as sending bytes (connect failures).
        may_have_been_sent: bool,
        /// The client request id sent.
        request_ids: Box<RequestIds>,
        /// The last transport error (its URL removed: a poll URL's query may be signed).
        #[source]
        source: reqwest::Error,
    },

    /// A try or the whole call ran out of time.
    #[error("{method} {path} timed out: {scope} limit of {limit:?} reached after {attempts} tries")]
    Timeout {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// Which limit was hit.
        scope: TimeoutScope,
        /// The limit.
        limit: Duration,
        /// How many tries were started.
        attempts: u32,
        /// Whether a request may have reached the server.
        may_have_been_sent: bool,
        /// The client request id sent.
        request_ids: Box<RequestIds>,
    },

    /// ARM answered with an error status (after retries, for retryable statuses).
    #[error(transparent)]
    Api(Box<ApiError>),

    /// ARM answered 429 (or another retryable status) with a `Retry-After` beyond the retry
    /// policy's patience, or kept throttling until retries ran out.
    #[error(transparent)]
    Throttled(Box<ApiError>),

    /// The response body was larger than [`crate::ArmClientOptions::max_response_bytes`].
    #[error("{method} {path}: response body is larger than the {limit}-byte limit")]
    ResponseTooLarge {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// The limit in bytes.
        limit: usize,
        /// Request ids of the response.
        request_ids: Box<RequestIds>,
    },

    /// A successful response's body did not decode as the expected type.
    ///
    /// The body is not quoted here: successful bodies can hold secrets (kubeconfigs).
    #[error(
        "{method} {path}: could not decode the {status} response body ({len} bytes) as {expected}"
    )]
    Decode {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// The HTTP status.
        status: u16,
        /// Body length in bytes.
        len: usize,
        /// What the body should have been.
        expected: &'static str,
        /// Request ids of the response.
        request_ids: Box<RequestIds>,
        /// The decoder's error.
        #[source]
        source: serde_json::Error,
    },

    /// ARM answered with a redirect. Redirects are never followed: the token would go with it.
    #[error(
        "{method} {path} answered {status} redirecting to {location}; redirects are not followed"
    )]
    Redirect {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// The 3xx status.
        status: u16,
        /// The target, query removed.
        location: String,
        /// Request ids of the response.
        request_ids: Box<RequestIds>,
    },

    /// A long-running operation ended `Failed` or `Canceled`.
    #[error(transparent)]
    OperationFailed(Box<OperationError>),

    /// A long-running operation did not finish within [`crate::PollOptions::timeout`].
    /// The operation goes on in Azure; `resume_token` continues waiting later.
    #[error(
        "long-running operation on {path} still {status} after {elapsed:?} (timeout {limit:?}); it goes on in Azure and can be resumed"
    )]
    OperationTimeout {
        /// The resource path.
        path: String,
        /// The last status seen.
        status: OperationStatus,
        /// Time waited, including time before a resume.
        elapsed: Duration,
        /// The configured timeout.
        limit: Duration,
        /// Continue from here with [`crate::ArmClient::resume`].
        resume_token: Box<ResumeToken>,
    },

    /// The service responded in a way the long-running-operation contract does not allow.
    #[error("{method} {path}: unexpected {status} response: {reason}")]
    UnexpectedResponse {
        /// The request method.
        method: Method,
        /// The request path.
        path: String,
        /// The HTTP status.
        status: u16,
        /// What was wrong.
        reason: String,
        /// Request ids of the response.
        request_ids: Box<RequestIds>,
    },

    /// A response header the client must follow (`Azure-AsyncOperation`, `Location`) holds
    /// bytes that are not UTF-8 text, so it names no URL. Nothing was sent to it.
    #[error("{path}: the response's {name} header is not UTF-8 text, so it cannot be followed")]
    InvalidHeader {
        /// The header's name.
        name: &'static str,
        /// The path of the request that was answered.
        path: String,
        /// Request ids of the response.
        request_ids: Box<RequestIds>,
    },

    /// A `nextLink` pointed at a page already fetched; paging stops instead of looping.
    #[error("nextLink loop: {url} was already fetched")]
    NextLinkLoop {
        /// The repeated URL, query removed.
        url: String,
    },

    /// A resume token does not parse or names an unsupported version.
    #[error("invalid resume token: {reason}")]
    InvalidResumeToken {
        /// What is wrong.
        reason: String,
        /// The JSON parser's error, when the token is not a resume token's JSON.
        #[source]
        source: Option<serde_json::Error>,
    },
}

impl Error {
    /// The HTTP status ARM answered with, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(e) | Self::Throttled(e) => Some(e.status),
            Self::OperationFailed(e) => e.http_status,
            Self::Decode { status, .. }
            | Self::Redirect { status, .. }
            | Self::UnexpectedResponse { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The ARM error code (`ResourceNotFound`, `Conflict`, ...), when ARM sent one.
    pub fn arm_code(&self) -> Option<&str> {
        match self {
            Self::Api(e) | Self::Throttled(e) => e.error.as_ref()?.code.as_deref(),
            Self::OperationFailed(e) => e.error.as_ref()?.code.as_deref(),
            _ => None,
        }
    }

    /// The request ids, for a support ticket or a log search.
    pub fn request_ids(&self) -> Option<&RequestIds> {
        match self {
            Self::Api(e) | Self::Throttled(e) => Some(&e.request_ids),
            Self::OperationFailed(e) => Some(&e.request_ids),
            Self::Transport { request_ids, .. }
            | Self::Timeout { request_ids, .. }
            | Self::ResponseTooLarge { request_ids, .. }
            | Self::Decode { request_ids, .. }
            | Self::Redirect { request_ids, .. }
            | Self::UnexpectedResponse { request_ids, .. }
            | Self::InvalidHeader { request_ids, .. } => Some(request_ids),
            _ => None,
        }
    }

    /// Whether the request may have reached ARM (and so may have had an effect).
    ///
    /// `false` means it certainly did not (configuration, credential, host pinning, connect
    /// failures) and is safe to retry; `true` means a non-idempotent request may have been applied.
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            Self::InvalidConfig { .. }
            | Self::Serialize { .. }
            | Self::HttpClient { .. }
            | Self::InvalidUrl { .. }
            | Self::InsecureEndpoint { .. }
            | Self::ForeignHost { .. }
            | Self::MissingApiVersion { .. }
            | Self::Credential { .. }
            | Self::CredentialUnavailable { .. }
            | Self::InvalidResumeToken { .. }
            | Self::NextLinkLoop { .. } => false,
            Self::Transport {
                may_have_been_sent, ..
            }
            | Self::Timeout {
                may_have_been_sent, ..
            } => *may_have_been_sent,
            _ => true,
        }
    }

    /// ARM answered 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The server asked to wait this long before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api(e) | Self::Throttled(e) => e.retry_after,
            _ => None,
        }
    }
}

/// Where a URL the client was asked to request came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlSource {
    /// The caller's request.
    Request,
    /// An `Azure-AsyncOperation` header.
    AzureAsyncOperation,
    /// A `Location` header.
    Location,
    /// A page's `nextLink`.
    NextLink,
    /// A resume token.
    ResumeToken,
}

impl fmt::Display for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Request => "the request",
            Self::AzureAsyncOperation => "the Azure-AsyncOperation header",
            Self::Location => "the Location header",
            Self::NextLink => "a nextLink",
            Self::ResumeToken => "a resume token",
        })
    }
}

/// Which time limit a [`Error::Timeout`] hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutScope {
    /// [`crate::Timeouts::per_try`], on the last try.
    Try,
    /// [`crate::Timeouts::operation`] or [`crate::RequestOptions::timeout`].
    Operation,
}

impl fmt::Display for TimeoutScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Try => "per-try",
            Self::Operation => "operation",
        })
    }
}

#[cfg(test)]
mod tests;
