//! The outgoing request: what a caller's `aml_model::request::Request` may carry, checked before
//! anything is sent, and the requests the client makes itself (polls, next pages).

use azure_core::Bytes;
use http::Method;
use http::header::{self, HeaderMap, HeaderName};
use serde::Serialize;

use crate::error::{Error, Result, UrlSource};
use crate::options::RequestOptions;
use crate::url::redact_url;

pub(crate) const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";
pub(crate) const RETURN_CLIENT_REQUEST_ID: &str = "x-ms-return-client-request-id";
pub(crate) const CORRELATION_REQUEST_ID: &str = "x-ms-correlation-request-id";

/// Headers the client owns: a request that sets one is refused (`Authorization` included, so a
/// token of the caller's never goes out in place of, or next to, the client's own).
static CLIENT_OWNED: [HeaderName; 8] = [
    header::AUTHORIZATION,
    header::HOST,
    header::USER_AGENT,
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
    HeaderName::from_static(CLIENT_REQUEST_ID),
    HeaderName::from_static(RETURN_CLIENT_REQUEST_ID),
    HeaderName::from_static(CORRELATION_REQUEST_ID),
];

/// A request checked and ready for the transport.
#[derive(Clone)]
pub(crate) struct Outgoing {
    pub(crate) method: Method,
    /// An absolute path (`/subscriptions/...?...`) or an absolute URL, resolved per try.
    pub(crate) target: String,
    /// The caller's headers (no client-owned name among them).
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) options: RequestOptions,
    pub(crate) source: UrlSource,
}

impl Outgoing {
    /// Checks a caller's request: an ARM method, a target in origin form or absolute form, no
    /// client-owned header. [`RequestOptions`] are taken from its extensions.
    pub(crate) fn from_http(request: aml_model::request::Request) -> Result<Self> {
        let (mut parts, body) = request.into_parts();
        let options = parts
            .extensions
            .remove::<RequestOptions>()
            .unwrap_or_default();
        check_method(&parts.method)?;
        check_headers(&parts.headers)?;
        Ok(Self {
            target: target_of(&parts.uri)?,
            method: parts.method,
            headers: parts.headers,
            body: Bytes::from(body.into_bytes()),
            options,
            source: UrlSource::Request,
        })
    }

    /// A request with no body and no header of the caller's.
    pub(crate) fn new(method: Method, target: &str, options: RequestOptions) -> Self {
        Self {
            method,
            target: target.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            options,
            source: UrlSource::Request,
        }
    }

    /// `PUT target` with `body` serialized as JSON.
    pub(crate) fn put_json<T: Serialize + ?Sized>(target: &str, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body).map_err(|source| Error::Serialize { source })?;
        let mut request = Self::new(Method::PUT, target, RequestOptions::default());
        request.body = Bytes::from(bytes);
        Ok(request)
    }

    /// A `GET` the client makes itself (a poll, a next page, a final `GET`).
    pub(crate) fn follow_up(url: &url::Url, options: RequestOptions, source: UrlSource) -> Self {
        Self {
            source,
            ..Self::new(Method::GET, url.as_str(), options)
        }
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
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("method", &self.method)
            .field("target", &redact_url(&self.target))
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

fn check_method(method: &Method) -> Result<()> {
    const ARM_METHODS: [Method; 6] = [
        Method::GET,
        Method::PUT,
        Method::PATCH,
        Method::POST,
        Method::DELETE,
        Method::HEAD,
    ];
    if ARM_METHODS.contains(method) {
        Ok(())
    } else {
        Err(Error::InvalidConfig {
            message: format!(
                "method {method} is not one ARM uses (GET, PUT, PATCH, POST, DELETE, HEAD)"
            ),
        })
    }
}

fn check_headers(headers: &HeaderMap) -> Result<()> {
    match CLIENT_OWNED.iter().find(|n| headers.contains_key(*n)) {
        Some(name) => Err(Error::InvalidConfig {
            message: format!(
                "header {name:?} is set by the client; use RequestOptions for request ids"
            ),
        }),
        None => Ok(()),
    }
}

/// The request target as text: the path and query of an origin-form URI, or the whole of an
/// absolute one. Any other form names no ARM resource.
fn target_of(uri: &http::Uri) -> Result<String> {
    match (uri.scheme(), uri.authority(), uri.path_and_query()) {
        (Some(_), Some(_), _) => Ok(uri.to_string()),
        (None, None, Some(pq)) if pq.as_str().starts_with('/') => Ok(pq.as_str().to_owned()),
        _ => Err(Error::InvalidConfig {
            message: format!(
                "request target {:?} must be an absolute path (/subscriptions/...) or a URL",
                redact_url(&uri.to_string())
            ),
        }),
    }
}

/// A random version-4 UUID for `x-ms-client-request-id`.
pub(crate) fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, target: &str) -> http::request::Builder {
        http::Request::builder().method(method).uri(target)
    }

    #[test]
    fn client_owned_headers_are_refused() {
        for name in [
            "Authorization",
            "host",
            "x-ms-client-request-id",
            "x-ms-correlation-request-id",
            "User-Agent",
            "content-length",
        ] {
            let r = request(Method::GET, "/x")
                .header(name, "v")
                .body(aml_model::request::Body::default())
                .unwrap();
            let err = Outgoing::from_http(r).unwrap_err();
            assert!(matches!(err, Error::InvalidConfig { .. }), "{name}: {err}");
            assert!(!err.may_have_been_sent());
        }
        let r = request(Method::PUT, "/x")
            .header("If-Match", "\"etag\"")
            .header("content-type", "application/merge-patch+json")
            .body(aml_model::request::Body::new(b"{}".to_vec()))
            .unwrap();
        let out = Outgoing::from_http(r).unwrap();
        assert_eq!(out.headers["if-match"], "\"etag\"");
        assert_eq!(out.body.as_ref(), b"{}");
    }

    #[test]
    fn targets_are_origin_form_or_absolute_and_options_come_from_extensions() {
        let mut r = request(Method::GET, "/subscriptions/s?$top=5")
            .body(aml_model::request::Body::default())
            .unwrap();
        r.extensions_mut().insert(RequestOptions {
            client_request_id: Some("mine".to_owned()),
            ..RequestOptions::default()
        });
        let out = Outgoing::from_http(r).unwrap();
        assert_eq!(out.target, "/subscriptions/s?$top=5");
        assert_eq!(out.options.client_request_id.as_deref(), Some("mine"));
        assert_eq!(out.follow_up_options().client_request_id, None);

        let r = request(Method::GET, "https://management.azure.com/x?a=1")
            .body(aml_model::request::Body::default())
            .unwrap();
        assert_eq!(
            Outgoing::from_http(r).unwrap().target,
            "https://management.azure.com/x?a=1"
        );
        for bad in ["*", "management.azure.com:443"] {
            let r = request(Method::GET, bad)
                .body(aml_model::request::Body::default())
                .unwrap();
            assert!(Outgoing::from_http(r).is_err(), "{bad}");
        }
        let r = request(Method::OPTIONS, "/x")
            .body(aml_model::request::Body::default())
            .unwrap();
        assert!(Outgoing::from_http(r).is_err());
    }

    #[test]
    fn request_ids_are_distinct_version_4_uuids() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        for id in [a, b] {
            let parsed = uuid::Uuid::parse_str(&id).unwrap();
            assert_eq!(parsed.get_version_num(), 4, "{id}");
            assert_eq!(id.len(), 36);
        }
    }

    #[test]
    fn debug_shows_no_query() {
        let out = Outgoing::new(Method::GET, "/x?sig=secret", RequestOptions::default());
        assert!(!format!("{out:?}").contains("secret"));
    }
}
