//! Reading a request: headers, the bearer token, `api-version`, the query string (decoded
//! with `percent-encoding`) and the host named for the URLs in answers.

use axum::http::header::{AUTHORIZATION, HOST};
use axum::http::request::Parts;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderValue};
use percent_encoding::percent_decode_str;

use super::{App, Reply};
use crate::arm_error::ArmError;

pub(super) fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// The longest `Host` used in answers' URLs (a DNS name is at most 253 bytes, plus a port).
const MAX_HOST_LEN: usize = 270;

/// The host the request names (its `Host` header, else its URI's authority) for the URLs in
/// answers (`nextLink`, `Azure-AsyncOperation`, `Location`); `fallback` (the emulator's own
/// address) when it names none usable. Usable means an authority and nothing else (`host` or
/// `host:port`): a hostile `Host` (`evil/x?`, `user@host`, non-ASCII, kilobytes) cannot reshape
/// those URLs.
pub(super) fn request_host(parts: &Parts, fallback: &str) -> String {
    header(&parts.headers, HOST.as_str())
        .or_else(|| parts.uri.authority().map(ToString::to_string))
        .filter(|host| {
            host.len() <= MAX_HOST_LEN
                && !host.contains('@')
                && host.parse::<Authority>().is_ok_and(|authority| {
                    // Nothing after the host but a port that is a port.
                    host.strip_prefix(authority.host())
                        .is_some_and(|rest| rest.is_empty() || authority.port_u16().is_some())
                })
        })
        .unwrap_or_else(|| fallback.to_owned())
}

/// 401 with the ARM envelope and a `WWW-Authenticate` challenge.
fn unauthorized(code: &str, message: &str) -> Reply {
    Reply::error(ArmError::new(401, code, message)).header(
        "www-authenticate",
        format!("Bearer error=\"invalid_token\", error_description=\"{message}\""),
    )
}

/// Every ARM request needs `Authorization: Bearer <token>`; the token must be the configured
/// one, if one is.
pub(super) fn authorize(app: &App, headers: &HeaderMap) -> Result<(), Reply> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        ));
    };
    match bearer_token(value) {
        None => Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        )),
        Some(token)
            if app
                .token
                .as_deref()
                .is_some_and(|expected| expected != token) =>
        {
            Err(unauthorized(
                "InvalidAuthenticationToken",
                "The access token is invalid.",
            ))
        }
        Some(_) => Ok(()),
    }
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive); `None` for
/// any other value, text or not.
fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let text = value.to_str().ok()?;
    text.get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
        .and_then(|_| text.get(7..))
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

/// `api-version` is required and looks like `2024-04-01` or `2024-04-01-preview`.
pub(super) fn api_version(query: &[(String, String)]) -> Result<String, Reply> {
    let value = query
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("api-version"))
        .map(|(_, value)| value.as_str())
        .unwrap_or_default();
    if value.is_empty() {
        return Err(Reply::error(ArmError::new(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )));
    }
    let bytes = value.as_bytes();
    let date_like = bytes.len() >= 10
        && bytes[..10]
            .iter()
            .enumerate()
            .all(|(index, byte)| match index {
                4 | 7 => *byte == b'-',
                _ => byte.is_ascii_digit(),
            })
        && (bytes.len() == 10
            || (bytes[10] == b'-'
                && bytes.len() > 11
                && bytes[11..]
                    .iter()
                    .all(|byte| byte.is_ascii_alphanumeric() || *byte == b'.')));
    if !date_like {
        return Err(Reply::error(ArmError::new(
            400,
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{value}' is invalid. The supported versions look like \
                 '2024-04-01' or '2024-04-01-preview'."
            ),
        )));
    }
    Ok(value.to_owned())
}

/// Query pairs, percent-decoded (`+` is a space).
pub(super) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key, true), decode(value, true))
        })
        .collect()
}

/// Percent-decoding; `plus` turns `+` into a space first (query strings). A `%` not followed by
/// two hex digits stays as it is; bytes that are not UTF-8 become U+FFFD.
pub(super) fn decode(text: &str, plus: bool) -> String {
    if plus && text.contains('+') {
        percent_decode_str(&text.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    } else {
        percent_decode_str(text).decode_utf8_lossy().into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(decode("a%20b+c", true), "a b c");
        assert_eq!(decode("a%20b+c", false), "a b+c");
        assert_eq!(decode("100%", false), "100%");
        assert_eq!(decode("%zz%4", false), "%zz%4");
        assert_eq!(decode("%41", false), "A");
        assert_eq!(
            parse_query("api-version=2024-04-01&$skip=abc&flag"),
            [
                ("api-version".to_owned(), "2024-04-01".to_owned()),
                ("$skip".to_owned(), "abc".to_owned()),
                ("flag".to_owned(), String::new())
            ]
        );
    }

    #[test]
    fn api_versions() {
        let query = |value: &str| vec![("API-Version".to_owned(), value.to_owned())];
        assert_eq!(api_version(&query("2024-04-01")).unwrap(), "2024-04-01");
        assert!(api_version(&query("2024-10-01-preview")).is_ok());
        for bad in ["", "latest", "2024-4-01", "2024-04-01-", "2024-04-01x"] {
            assert!(api_version(&query(bad)).is_err(), "{bad}");
        }
        assert!(api_version(&[]).is_err());
    }

    proptest::proptest! {
        /// Whatever bytes a client puts in `Host`, `Authorization` or the request-id headers,
        /// reading them never panics; the host put into answers is always a plain authority of
        /// bounded length (the fallback otherwise), and a bearer token is the value's own text.
        #[test]
        fn request_headers_of_any_bytes_are_read_safely(
            host in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            auth in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
            id in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
        ) {
            let mut request = axum::http::Request::new(());
            for (name, bytes) in [
                (HOST.as_str(), &host),
                (AUTHORIZATION.as_str(), &auth),
                ("x-ms-client-request-id", &id),
                ("x-ms-correlation-request-id", &id),
            ] {
                if let Ok(value) = HeaderValue::from_bytes(bytes) {
                    request.headers_mut().insert(name, value);
                }
            }
            let parts = request.into_parts().0;
            let shown = request_host(&parts, "127.0.0.1:1");
            proptest::prop_assert!(shown.len() <= MAX_HOST_LEN);
            proptest::prop_assert!(
                !shown.contains(['/', '?', '#', '@', ' ']) && shown.is_ascii(),
                "{shown:?}"
            );
            if let Some(value) = parts.headers.get(AUTHORIZATION)
                && let Some(token) = bearer_token(value)
            {
                proptest::prop_assert!(!token.is_empty());
                proptest::prop_assert!(value.to_str().is_ok_and(|text| text.contains(token)));
            }
            let _ = header(&parts.headers, "x-ms-client-request-id");
        }
    }

    #[test]
    fn bearer_tokens() {
        let token = |text: &[u8]| {
            HeaderValue::from_bytes(text)
                .ok()
                .and_then(|v| bearer_token(&v).map(str::to_owned))
        };
        assert_eq!(token(b"Bearer abc").as_deref(), Some("abc"));
        assert_eq!(token(b"bearer  abc ").as_deref(), Some("abc"));
        for bad in [
            &b"Bearer "[..],
            b"Basic abc",
            b"Bearer",
            b"\xff\xfe",
            b"Bearer \xff",
        ] {
            assert_eq!(token(bad), None, "{}", bad.escape_ascii());
        }
    }

    #[test]
    fn hosts_in_answers_are_plain_authorities() {
        let host = |value: &[u8]| {
            let mut request = axum::http::Request::new(());
            if let Ok(value) = HeaderValue::from_bytes(value) {
                request.headers_mut().insert(HOST, value);
            }
            request_host(&request.into_parts().0, "127.0.0.1:1")
        };
        assert_eq!(host(b"localhost:8443"), "localhost:8443");
        assert_eq!(host(b"[::1]:80"), "[::1]:80");
        assert_eq!(host(b"127.0.0.1"), "127.0.0.1");
        for bad in [
            &b"evil.example/x?"[..],
            b"user@evil.example",
            b"a b",
            b"h#frag",
            b"\xff\xfe",
            b"caf\xc3\xa9",
            b"",
            b"host:99999999999999999999",
            b"host:",
            b"host:-1",
        ] {
            assert_eq!(host(bad), "127.0.0.1:1", "{}", bad.escape_ascii());
        }
        assert_eq!(host("h".repeat(10_000).as_bytes()), "127.0.0.1:1");
    }
}
