//! A response read in full, and the error an error status becomes.

use std::fmt;

use azure_core::Bytes;
use http::Method;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use url::Url;

use crate::api_error::{ApiError, decode_arm_error, excerpt};
use crate::error::{Error, Result};
use crate::request_ids::RequestIds;
use crate::retry::retry_after;
use crate::url::{path_of, redact_url};

/// A response read in full (up to the size cap).
#[derive(Clone)]
pub struct ArmResponse {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) request_ids: RequestIds,
    pub(crate) attempts: u32,
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
            method: self.method.clone(),
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
    pub fn method(&self) -> &Method {
        &self.method
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
            // Query removed, and cut short: a server can send a Location of any length.
            let location = self
                .header("location")
                .map(|l| excerpt(redact_url(l).as_bytes()))
                .unwrap_or_default();
            return Error::Redirect {
                path: self.path(),
                method: self.method,
                status: self.status,
                location,
                request_ids: Box::new(self.request_ids),
            };
        }
        let api = Box::new(ApiError {
            path: self.path(),
            method: self.method,
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
