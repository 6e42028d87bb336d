//! The crate's error type and the ARM error envelope.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::client::Method;
use crate::poller::{OperationStatus, ResumeToken};

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
        /// The last transport error.
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
    #[error("{0}")]
    Api(Box<ApiError>),

    /// ARM answered 429 (or another retryable status) with a `Retry-After` beyond the retry
    /// policy's patience, or kept throttling until retries ran out.
    #[error("{0}")]
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
    #[error("{0}")]
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

/// The ids ARM and the client attach to a request, for support and log correlation.
///
/// Read from a response by [`RequestIds::from_headers`]: each id is at most
/// [`RequestIds::MAX_LEN`] bytes of printable ASCII, whatever the server sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestIds {
    /// `x-ms-request-id`, set by ARM.
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id`, set by ARM (or echoed from the client).
    pub correlation_request_id: Option<String>,
    /// `x-ms-client-request-id`, set by this client (the same on every try).
    pub client_request_id: Option<String>,
}

impl RequestIds {
    /// The longest id kept, in bytes; longer ones are cut and end in `...`. ARM's ids are
    /// 36-character GUIDs; a server sending kilobytes would otherwise put them into every error
    /// message and log line.
    pub const MAX_LEN: usize = 256;

    /// The ids of a response: `x-ms-request-id`, `x-ms-correlation-request-id` and
    /// `x-ms-client-request-id` (the first value of each, when a header is repeated).
    ///
    /// Never panics, whatever the bytes: a value that is not printable ASCII is kept with those
    /// bytes escaped (`\xff`), a blank one is dropped, and each is cut at
    /// [`RequestIds::MAX_LEN`] bytes.
    ///
    /// ```
    /// use reqwest::header::{HeaderMap, HeaderValue};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-ms-request-id", HeaderValue::from_static("rid-1"));
    /// headers.insert("x-ms-correlation-request-id", HeaderValue::from_bytes(b"c\xff").unwrap());
    /// let ids = aml_arm::RequestIds::from_headers(&headers);
    /// assert_eq!(ids.request_id.as_deref(), Some("rid-1"));
    /// assert_eq!(ids.correlation_request_id.as_deref(), Some("c\\xff"));
    /// assert_eq!(ids.client_request_id, None);
    /// ```
    pub fn from_headers(headers: &reqwest::header::HeaderMap) -> Self {
        let get = |name: &str| headers.get(name).and_then(|v| id_text(v.as_bytes()));
        Self {
            request_id: get("x-ms-request-id"),
            correlation_request_id: get("x-ms-correlation-request-id"),
            client_request_id: get("x-ms-client-request-id"),
        }
    }
}

/// A header value as a printable-ASCII id: other bytes escaped, trimmed, capped.
fn id_text(bytes: &[u8]) -> Option<String> {
    let mut text = match std::str::from_utf8(bytes) {
        Ok(s) if s.bytes().all(|b| matches!(b, b' '..=b'~')) => s.trim().to_owned(),
        _ => bytes.trim_ascii().escape_ascii().to_string(),
    };
    if text.is_empty() {
        return None;
    }
    if text.len() > RequestIds::MAX_LEN {
        // All ASCII: any byte index is a char boundary.
        text.truncate(RequestIds::MAX_LEN - 3);
        text.push_str("...");
    }
    Some(text)
}

impl fmt::Display for RequestIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        for (name, value) in [
            ("x-ms-request-id", &self.request_id),
            ("x-ms-correlation-request-id", &self.correlation_request_id),
            ("x-ms-client-request-id", &self.client_request_id),
        ] {
            if let Some(v) = value {
                write!(f, "{sep}{name}: {v}")?;
                sep = ", ";
            }
        }
        Ok(())
    }
}

/// An error status from ARM, with the decoded ARM error envelope.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The request method.
    pub method: Method,
    /// The request path (no query).
    pub path: String,
    /// The HTTP status.
    pub status: u16,
    /// The envelope's `error`, when the body was an ARM error.
    pub error: Option<ArmErrorDetail>,
    /// The start of the body (at most 512 characters) when it was not an ARM error envelope.
    pub body_excerpt: Option<String>,
    /// Request ids.
    pub request_ids: RequestIds,
    /// The wait the server asked for (`retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After`),
    /// at most [`crate::RetryOptions::MAX_RETRY_AFTER`] (see
    /// [`crate::RetryOptions::parse_retry_after`]).
    pub retry_after: Option<Duration>,
    /// How many tries were made.
    pub attempts: u32,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} returned {}", self.method, self.path, self.status)?;
        if let Some(reason) = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
        {
            write!(f, " {reason}")?;
        }
        match (&self.error, &self.body_excerpt) {
            (Some(e), _) => write!(f, ": {e}")?,
            (None, Some(body)) if !body.is_empty() => {
                write!(f, " with a body that is not an ARM error: {body:?}")?;
            }
            _ => {}
        }
        if let Some(d) = self.retry_after {
            write!(f, "; the server asked to retry after {d:?}")?;
        }
        if self.attempts > 1 {
            write!(f, " (after {} tries)", self.attempts)?;
        }
        if self.request_ids != RequestIds::default() {
            write!(f, " [{}]", self.request_ids)?;
        }
        Ok(())
    }
}

/// A long-running operation that ended `Failed` or `Canceled`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct OperationError {
    /// The resource path the operation was about.
    pub path: String,
    /// `Failed` or `Canceled`.
    pub status: OperationStatus,
    /// The operation's `error` (code, message, details).
    pub error: Option<ArmErrorDetail>,
    /// The resource's `properties.provisioningErrors`, when it has any.
    pub provisioning_errors: Vec<ArmErrorDetail>,
    /// The HTTP status of the response that reported the end, if it was an error status.
    pub http_status: Option<u16>,
    /// Request ids of the response that reported the end.
    pub request_ids: RequestIds,
}

impl fmt::Display for OperationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "long-running operation on {} ended {}",
            self.path, self.status
        )?;
        if let Some(e) = &self.error {
            write!(f, ": {e}")?;
        }
        for p in &self.provisioning_errors {
            write!(f, "; provisioning error: {p}")?;
        }
        if self.request_ids != RequestIds::default() {
            write!(f, " [{}]", self.request_ids)?;
        }
        Ok(())
    }
}

/// The ARM error body: `{"error": {...}}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ArmErrorEnvelope {
    /// The error.
    pub error: Option<ArmErrorDetail>,
}

/// One ARM error (`code`, `message`, `target`, nested `details`, `additionalInfo`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmErrorDetail {
    /// Machine-readable code, e.g. `ResourceNotFound`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The field or resource the error is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Nested errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ArmErrorDetail>,
    /// Extra typed information.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_info: Vec<ArmAdditionalInfo>,
}

impl fmt::Display for ArmErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, &self.message) {
            (Some(c), Some(m)) => write!(f, "{c}: {m}")?,
            (Some(c), None) => f.write_str(c)?,
            (None, Some(m)) => f.write_str(m)?,
            (None, None) => f.write_str("no error code or message")?,
        }
        if let Some(t) = &self.target {
            write!(f, " (target {t})")?;
        }
        for d in &self.details {
            write!(f, "; {d}")?;
        }
        Ok(())
    }
}

/// `additionalInfo` entry of an ARM error.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ArmAdditionalInfo {
    /// The kind of information.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The information itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<serde_json::Value>,
}

/// Decodes an ARM error body: the `{"error": ...}` envelope, or a bare `{code, message}` object
/// that some resource providers send.
pub(crate) fn decode_arm_error(body: &[u8]) -> Option<ArmErrorDetail> {
    if let Ok(ArmErrorEnvelope { error: Some(e) }) = serde_json::from_slice(body) {
        return Some(e);
    }
    match serde_json::from_slice::<ArmErrorDetail>(body) {
        Ok(e) if e.code.is_some() => Some(e),
        _ => None,
    }
}

/// The start of a body, as text, for errors about bodies that are not ARM errors.
pub(crate) fn excerpt(body: &[u8]) -> String {
    const MAX_CHARS: usize = 512;
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(MAX_CHARS).collect();
    if text.chars().nth(MAX_CHARS).is_some() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_envelope_with_nested_details_and_additional_info() {
        let body = br#"{"error":{"code":"BadRequest","message":"invalid","target":"properties.x",
            "details":[{"code":"Inner","message":"deeper"}],
            "additionalInfo":[{"type":"PolicyViolation","info":{"policy":"p"}}]}}"#;
        let e = decode_arm_error(body).unwrap();
        assert_eq!(e.code.as_deref(), Some("BadRequest"));
        assert_eq!(e.target.as_deref(), Some("properties.x"));
        assert_eq!(e.details[0].code.as_deref(), Some("Inner"));
        assert_eq!(
            e.additional_info[0].kind.as_deref(),
            Some("PolicyViolation")
        );
        assert_eq!(
            e.to_string(),
            "BadRequest: invalid (target properties.x); Inner: deeper"
        );
    }

    #[test]
    fn decodes_bare_error_object_and_rejects_non_errors() {
        let e = decode_arm_error(br#"{"code":"Conflict","message":"exists"}"#).unwrap();
        assert_eq!(e.code.as_deref(), Some("Conflict"));
        assert!(decode_arm_error(b"<html>bad gateway</html>").is_none());
        assert!(decode_arm_error(br#"{"value":[]}"#).is_none());
    }

    #[test]
    fn excerpt_truncates_on_char_boundaries() {
        let body = "é".repeat(600);
        let e = excerpt(body.as_bytes());
        assert_eq!(e.chars().count(), 515);
        assert!(e.ends_with("..."));
        assert_eq!(excerpt(b"short"), "short");
    }

    fn id_headers(value: &[u8]) -> reqwest::header::HeaderMap {
        let mut h = reqwest::header::HeaderMap::new();
        if let Ok(v) = reqwest::header::HeaderValue::from_bytes(value) {
            for name in [
                "x-ms-request-id",
                "x-ms-correlation-request-id",
                "x-ms-client-request-id",
            ] {
                h.insert(name, v.clone());
            }
        }
        h
    }

    #[test]
    fn request_ids_are_printable_and_capped_whatever_the_bytes() {
        let ids = RequestIds::from_headers(&id_headers(b" 7c9e-1 "));
        assert_eq!(ids.request_id.as_deref(), Some("7c9e-1"));
        assert_eq!(ids.correlation_request_id.as_deref(), Some("7c9e-1"));
        assert_eq!(ids.client_request_id.as_deref(), Some("7c9e-1"));
        let ids = RequestIds::from_headers(&id_headers(b"\xff\xfe\tid"));
        assert_eq!(ids.request_id.as_deref(), Some("\\xff\\xfe\\tid"));
        let ids = RequestIds::from_headers(&id_headers("caf\u{e9}".as_bytes()));
        assert_eq!(ids.request_id.as_deref(), Some("caf\\xc3\\xa9"));
        assert_eq!(
            RequestIds::from_headers(&id_headers(b"   ")),
            RequestIds::default()
        );
        let huge = "r".repeat(100_000);
        let id = RequestIds::from_headers(&id_headers(huge.as_bytes()))
            .request_id
            .unwrap();
        assert_eq!(id.len(), RequestIds::MAX_LEN);
        assert!(id.ends_with("..."));
    }

    proptest::proptest! {
        #[test]
        fn any_id_header_bytes_give_short_printable_ids(
            value in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        ) {
            let ids = RequestIds::from_headers(&id_headers(&value));
            for id in [ids.request_id, ids.correlation_request_id, ids.client_request_id]
                .into_iter()
                .flatten()
            {
                proptest::prop_assert!(!id.is_empty() && id.len() <= RequestIds::MAX_LEN);
                proptest::prop_assert!(id.bytes().all(|b| matches!(b, b' '..=b'~')), "{:?}", id);
            }
        }

        #[test]
        fn printable_ids_round_trip(id in "[!-~]([ -~]{0,250}[!-~])?") {
            let ids = RequestIds::from_headers(&id_headers(id.as_bytes()));
            proptest::prop_assert_eq!(ids.request_id.as_deref(), Some(id.as_str()));
        }
    }

    #[test]
    fn api_error_display_names_status_code_message_and_ids() {
        let e = Error::Api(Box::new(ApiError {
            method: Method::Put,
            path: "/subscriptions/s/x".to_owned(),
            status: 409,
            error: Some(ArmErrorDetail {
                code: Some("Conflict".to_owned()),
                message: Some("already exists".to_owned()),
                ..ArmErrorDetail::default()
            }),
            body_excerpt: None,
            request_ids: RequestIds {
                request_id: Some("r-1".to_owned()),
                correlation_request_id: None,
                client_request_id: Some("c-1".to_owned()),
            },
            retry_after: None,
            attempts: 1,
        }));
        assert_eq!(
            e.to_string(),
            "PUT /subscriptions/s/x returned 409 Conflict: Conflict: already exists \
             [x-ms-request-id: r-1, x-ms-client-request-id: c-1]"
        );
        assert_eq!(e.arm_code(), Some("Conflict"));
        assert!(e.may_have_been_sent());
        assert!(!e.is_not_found());
    }
}
