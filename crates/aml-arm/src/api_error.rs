//! The errors ARM reports: an error status ([`ApiError`]) and a failed long-running operation
//! ([`OperationError`]), both carrying the ARM error body (`aml_model::wire::ErrorDetail`).

use std::fmt;
use std::time::Duration;

use aml_model::wire::{ErrorDetail, ErrorResponse, OperationStatus};

use crate::request_ids::RequestIds;

/// An error status from ARM, with the decoded ARM error envelope.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The request method.
    pub method: http::Method,
    /// The request path (no query).
    pub path: String,
    /// The HTTP status.
    pub status: u16,
    /// The envelope's `error`, when the body was an ARM error.
    pub error: Option<ErrorDetail>,
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
    pub error: Option<ErrorDetail>,
    /// The resource's `properties.provisioningErrors`, when it has any.
    pub provisioning_errors: Vec<ErrorDetail>,
    /// The HTTP status of the response that reported the end, if it was an error status.
    pub http_status: Option<u16>,
    /// Request ids of the response that reported the end.
    pub request_ids: RequestIds,
}

impl std::error::Error for ApiError {}

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
        // A provisioning error that says what the operation's error says is shown once.
        for p in &self.provisioning_errors {
            if self.error.as_ref() != Some(p) {
                write!(f, "; provisioning error: {p}")?;
            }
        }
        if self.request_ids != RequestIds::default() {
            write!(f, " [{}]", self.request_ids)?;
        }
        Ok(())
    }
}

impl std::error::Error for OperationError {}

/// Decodes an ARM error body: the `{"error": ...}` envelope, or a bare `{code, message}` object
/// that some resource providers send.
pub(crate) fn decode_arm_error(body: &[u8]) -> Option<ErrorDetail> {
    if let Ok(ErrorResponse { error: Some(e), .. }) = serde_json::from_slice(body) {
        return Some(e);
    }
    match serde_json::from_slice::<ErrorDetail>(body) {
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
    use crate::error::Error;

    #[test]
    fn decodes_envelope_with_nested_details_and_additional_info() {
        let body = br#"{"error":{"code":"BadRequest","message":"invalid","target":"properties.x",
            "details":[{"code":"Inner","message":"deeper"}],
            "additionalInfo":[{"type":"PolicyViolation","info":{"policy":"p"}}]}}"#;
        let e = decode_arm_error(body).unwrap();
        assert_eq!(e.code.as_deref(), Some("BadRequest"));
        assert_eq!(e.target.as_deref(), Some("properties.x"));
        assert_eq!(
            e.details.as_ref().unwrap()[0].code.as_deref(),
            Some("Inner")
        );
        assert_eq!(
            e.additional_info.as_ref().unwrap()[0].type_.as_deref(),
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

    #[test]
    fn api_error_display_names_status_code_message_and_ids() {
        let e = Error::Api(Box::new(ApiError {
            method: http::Method::PUT,
            path: "/subscriptions/s/x".to_owned(),
            status: 409,
            error: Some(ErrorDetail {
                code: Some("Conflict".to_owned()),
                message: Some("already exists".to_owned()),
                ..ErrorDetail::default()
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
