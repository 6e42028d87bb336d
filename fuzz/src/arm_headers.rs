//! Feeds arbitrary response headers to every header reader of `aml-arm`: the retry hints
//! ([`RetryOptions::parse_retry_after`]), the poll URLs ([`ArmClient::header_url`] for
//! `Azure-AsyncOperation` and `Location`) and the request ids ([`RequestIds::from_headers`]).
//!
//! # Input format
//!
//! The first byte picks `now` (see [`NOWS`]). The rest is header lines separated by `\n`, each
//! `name:value` split at the first `:` (one leading space of the value is dropped, a trailing
//! `\r` too). A name of one digit stands for a header the client reads:
//!
//! | digit | header |
//! |---|---|
//! | `0` | `retry-after` |
//! | `1` | `retry-after-ms` |
//! | `2` | `x-ms-retry-after-ms` |
//! | `3` | `location` |
//! | `4` | `azure-asyncoperation` |
//! | `5` | `x-ms-request-id` |
//! | `6` | `x-ms-correlation-request-id` |
//! | `7` | `x-ms-client-request-id` |
//! | `8` | `content-type` |
//!
//! Lines whose name or value hyper would not accept on the wire (a [`HeaderName`] or
//! [`HeaderValue`] that does not build) are skipped: the client can never see them. A header
//! may repeat; the map keeps every value in order.
//!
//! # Properties checked
//!
//! - nothing panics, overflows or hangs, whatever the bytes and whatever `now` (year 1 to 9999);
//! - a retry hint is never longer than [`RetryOptions::MAX_RETRY_AFTER`], and a first
//!   `retry-after-ms` / `Retry-After` value of plain decimal digits reads as exactly that many
//!   milliseconds / seconds (capped);
//! - a poll URL that is accepted is on the client's endpoint (scheme, host and port); a refused
//!   one is [`Error::InvalidHeader`] (exactly when the value is not UTF-8), [`Error::InvalidUrl`]
//!   or [`Error::ForeignHost`]; a blank or absent header is `None`;
//! - every request id is non-empty printable ASCII of at most [`RequestIds::MAX_LEN`] bytes.

use std::sync::OnceLock;
use std::time::Duration;

use aml_arm::{
    ArmClient, ArmClientOptions, Cloud, Error, RequestIds, RetryOptions, StaticTokenCredential,
    UrlSource,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use time::OffsetDateTime;
use url::Url;

/// The endpoint of the client the poll URLs are checked against.
const ENDPOINT: &str = "http://127.0.0.1:8080/arm";
/// The URL of the request whose response carries the headers.
const REQUEST: &str =
    "http://127.0.0.1:8080/arm/subscriptions/s/resourceGroups/rg/x?api-version=2024-10-01";

/// The instants the first byte picks from (modulo their number), in Unix seconds: the epoch,
/// 2027-01-01, the first and last second `time` can write in an HTTP date (years 1 and 9999),
/// and one before the epoch.
pub const NOWS: [i64; 5] = [
    0,
    1_798_761_600,
    -62_135_596_800,
    253_402_300_799,
    -2_208_988_800,
];

/// The header a one-digit name stands for.
const SHORT_NAMES: [&str; 9] = [
    "retry-after",
    "retry-after-ms",
    "x-ms-retry-after-ms",
    "location",
    "azure-asyncoperation",
    "x-ms-request-id",
    "x-ms-correlation-request-id",
    "x-ms-client-request-id",
    "content-type",
];

fn client() -> &'static ArmClient {
    static CLIENT: OnceLock<ArmClient> = OnceLock::new();
    CLIENT.get_or_init(|| {
        ArmClient::new(
            StaticTokenCredential::new("fuzz"),
            ArmClientOptions {
                cloud: Cloud::custom(ENDPOINT, "https://management.azure.com/.default")
                    .expect("a loopback endpoint is a valid cloud"),
                api_version: Some("2024-10-01".to_owned()),
                ..ArmClientOptions::default()
            },
        )
        .expect("the fuzz client builds")
    })
}

/// Parses the input into `now` and a header map (see the module docs).
pub fn headers(data: &[u8]) -> (OffsetDateTime, HeaderMap) {
    let (selector, rest) = data.split_first().map_or((0, data), |(s, r)| (*s, r));
    let now = NOWS[usize::from(selector) % NOWS.len()];
    let now = OffsetDateTime::from_unix_timestamp(now).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut map = HeaderMap::new();
    for line in rest.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        let name = match name {
            [digit @ b'0'..=b'8'] => {
                HeaderName::from_static(SHORT_NAMES[usize::from(digit - b'0')])
            }
            _ => match HeaderName::from_bytes(name) {
                Ok(name) => name,
                Err(_) => continue,
            },
        };
        if let Ok(value) = HeaderValue::from_bytes(value) {
            map.append(name, value);
        }
    }
    (now, map)
}

/// Runs every header reader on the input and checks the properties in the module docs.
pub fn run(data: &[u8]) {
    let (now, map) = headers(data);
    check_retry_after(&map, now);
    check_request_ids(&map);
    let request = Url::parse(REQUEST).expect("a valid request URL");
    for source in [UrlSource::AzureAsyncOperation, UrlSource::Location] {
        check_poll_url(&request, &map, source);
    }
}

fn check_retry_after(map: &HeaderMap, now: OffsetDateTime) {
    let cap = RetryOptions::MAX_RETRY_AFTER;
    let hint = RetryOptions::parse_retry_after(map, now);
    if let Some(hint) = hint {
        assert!(hint <= cap, "hint {hint:?} beyond the cap");
    }
    let digits = |name: &str| {
        let value = map.get(name)?.to_str().ok()?.trim();
        (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
            .then(|| value.parse::<u64>().ok())
            .flatten()
    };
    if let Some(ms) = digits("retry-after-ms") {
        assert_eq!(
            hint,
            Some(Duration::from_millis(ms).min(cap)),
            "retry-after-ms {ms}"
        );
    } else if map.get("retry-after-ms").is_none()
        && map.get("x-ms-retry-after-ms").is_none()
        && let Some(secs) = digits("retry-after")
    {
        assert_eq!(
            hint,
            Some(Duration::from_secs(secs).min(cap)),
            "Retry-After {secs}"
        );
    }
}

fn check_request_ids(map: &HeaderMap) {
    let ids = RequestIds::from_headers(map);
    for id in [
        ids.request_id,
        ids.correlation_request_id,
        ids.client_request_id,
    ]
    .into_iter()
    .flatten()
    {
        assert!(!id.is_empty() && id.len() <= RequestIds::MAX_LEN, "{id:?}");
        assert!(id.bytes().all(|b| matches!(b, b' '..=b'~')), "{id:?}");
    }
}

fn check_poll_url(request: &Url, map: &HeaderMap, source: UrlSource) {
    let client = client();
    let name = match source {
        UrlSource::AzureAsyncOperation => "azure-asyncoperation",
        _ => "location",
    };
    let value = map.get(name).map(HeaderValue::as_bytes);
    match client.header_url(request, map, source) {
        Ok(Some(url)) => {
            let endpoint = client.endpoint();
            assert_eq!(url.scheme(), endpoint.scheme(), "{url}");
            assert_eq!(url.host_str(), endpoint.host_str(), "{url}");
            assert_eq!(
                url.port_or_known_default(),
                endpoint.port_or_known_default(),
                "{url}"
            );
        }
        Ok(None) => {
            let blank = |v: &[u8]| v.iter().all(|b| matches!(b, b' ' | b'\t'));
            assert!(value.is_none_or(blank), "{name} ignored");
        }
        Err(error) => {
            let utf8 = value.is_some_and(|v| std::str::from_utf8(v).is_ok());
            match &error {
                Error::InvalidHeader { .. } => assert!(!utf8, "{error}"),
                Error::InvalidUrl { .. } | Error::ForeignHost { .. } => assert!(utf8, "{error}"),
                other => panic!("unexpected error for {name}: {other:?}"),
            }
            // The message is built without panicking, whatever the value.
            let _ = error.to_string();
        }
    }
}
