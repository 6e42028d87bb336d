//! URLs: resolving a request target against the endpoint (`api-version` included), reading the
//! URLs of a response's headers, pinning every URL to the endpoint's origin, and redacting URLs
//! for errors and logs.

use std::net::IpAddr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::HeaderMap;
use url::{Host, Url};

use crate::client::ArmClient;
use crate::error::{Error, Result, UrlSource};
use crate::request_ids::RequestIds;

/// What is shown in place of a secret (a proxy's user name and password, a query string).
pub(crate) const REDACTED: &str = "[redacted]";

/// What a query value keeps unencoded: RFC 3986's unreserved characters.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `api-version=<value>`, the value percent-encoded, ready to append to a query.
pub(crate) fn api_version_pair(value: &str) -> String {
    format!("api-version={}", utf8_percent_encode(value, QUERY_VALUE))
}

/// Scheme, host and port: the only place the token may go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    pub(crate) fn of(url: &Url) -> Self {
        Self {
            scheme: url.scheme().to_owned(),
            host: url.host_str().unwrap_or("").to_ascii_lowercase(),
            port: url.port_or_known_default(),
        }
    }

    /// Whether `url` is on this origin (no allocation: this runs on every request).
    pub(crate) fn matches(&self, url: &Url) -> bool {
        url.scheme() == self.scheme
            && url
                .host_str()
                .is_some_and(|h| h.eq_ignore_ascii_case(&self.host))
            && url.port_or_known_default() == self.port
    }
}

impl ArmClient {
    /// Resolves a target (an absolute path or a URL on the endpoint) to the URL that would be
    /// requested, `api-version` included, checking it is on the ARM endpoint.
    pub fn url(&self, target: &str) -> Result<Url> {
        self.resolve(&http::Method::GET, target, None, UrlSource::Request)
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
    /// use http::{HeaderMap, HeaderValue};
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

    /// The URL `target` resolves to: joined under the endpoint (a path) or taken as it is (a
    /// URL), fragment dropped, `api-version` applied, origin checked.
    pub(crate) fn resolve(
        &self,
        method: &http::Method,
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
        let mut url = Url::parse(&text).map_err(|source| Error::InvalidUrl {
            url: redact_url(&text),
            source,
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
            query.push(api_version_pair(v));
            url.set_query(Some(&query.join("&")));
        } else if add_default && self.inner.api_version_pair.is_none() {
            return Err(Error::MissingApiVersion {
                method: method.clone(),
                path: path_of(&url, false),
            });
        }
        Ok(url)
    }
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

/// Whether the URL's host is a loopback address or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.');
            d.eq_ignore_ascii_case("localhost")
        }
        None => false,
    }
}

/// `scheme://host:port` of a URL: what errors may show without leaking paths or queries.
pub(crate) fn origin_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port_or_known_default() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// A URL string with its query and fragment removed, for errors and logs.
///
/// A user name or password (`http://user:secret@proxy:3128`) is never shown: it becomes
/// `[redacted]@`, also in a string that does not parse as a URL.
pub(crate) fn redact_url(raw: &str) -> String {
    if let Ok(url) = Url::parse(raw) {
        let shown = path_of(&url, true);
        if url.username().is_empty() && url.password().is_none() {
            return without_user_info(&shown);
        }
        return match shown.split_once("://") {
            Some((scheme, rest)) => format!("{scheme}://{REDACTED}@{rest}"),
            None => without_user_info(&shown),
        };
    }
    let cut = raw.find(['?', '#']).unwrap_or(raw.len());
    let mut s = without_user_info(&raw[..cut].chars().take(200).collect::<String>());
    if cut < raw.len() {
        s.push('?');
        s.push_str(REDACTED);
    }
    s
}

/// `text` with whatever stands before the last `@` of its authority (after `scheme://`, or from
/// the start, up to the first `/`) replaced by `[redacted]`: a user name and password.
fn without_user_info(text: &str) -> String {
    let start = text.find("://").map_or(0, |i| i + 3);
    let end = text[start..].find('/').map_or(text.len(), |i| start + i);
    match text[start..end].rfind('@') {
        Some(at) => format!("{}{REDACTED}{}", &text[..start], &text[start + at..]),
        None => text.to_owned(),
    }
}

/// The URL without query or fragment; with `with_origin` the scheme, host and port too.
pub(crate) fn path_of(url: &Url, with_origin: bool) -> String {
    let mut s = if with_origin {
        origin_of(url)
    } else {
        String::new()
    };
    s.push_str(url.path());
    s
}

#[cfg(test)]
mod tests;
