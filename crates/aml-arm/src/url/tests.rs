//! Unit tests of URL resolution, header URLs and redaction.

use std::sync::Arc;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use reqwest::header::HeaderValue;

use super::*;
use crate::cloud::Cloud;
use crate::options::ArmClientOptions;

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
            &http::Method::GET,
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
    let read = |source, name, value: &[u8]| c.header_url(&base, &link_headers(name, value), source);
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

#[test]
fn origin_and_redaction_drop_path_and_query() {
    let url = Url::parse("https://h.example:444/a/b?sig=secret").unwrap();
    assert_eq!(origin_of(&url), "https://h.example:444");
    assert_eq!(redact_url(url.as_str()), "https://h.example:444/a/b");
    assert_eq!(redact_url("::bad?sig=secret"), "::bad?[redacted]");
    assert_eq!(
        redact_url("http://alice:hunter2@proxy.contoso.com:3128"),
        "http://[redacted]@proxy.contoso.com:3128/"
    );
    assert_eq!(
        redact_url("https://management.azure.com/subscriptions?api-version=1"),
        "https://management.azure.com:443/subscriptions"
    );
}

#[test]
fn api_versions_are_percent_encoded_as_query_values() {
    assert_eq!(
        api_version_pair("2024-10-01-preview"),
        "api-version=2024-10-01-preview"
    );
    assert_eq!(api_version_pair("a b&c=d"), "api-version=a%20b%26c%3Dd");
}
