//! The request ids of a response, for support tickets and log searches.

use std::fmt;

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
    /// use http::{HeaderMap, HeaderValue};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-ms-request-id", HeaderValue::from_static("rid-1"));
    /// headers.insert("x-ms-correlation-request-id", HeaderValue::from_bytes(b"c\xff").unwrap());
    /// let ids = aml_arm::RequestIds::from_headers(&headers);
    /// assert_eq!(ids.request_id.as_deref(), Some("rid-1"));
    /// assert_eq!(ids.correlation_request_id.as_deref(), Some("c\\xff"));
    /// assert_eq!(ids.client_request_id, None);
    /// ```
    pub fn from_headers(headers: &http::HeaderMap) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn id_headers(value: &[u8]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        if let Ok(v) = http::HeaderValue::from_bytes(value) {
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
}
