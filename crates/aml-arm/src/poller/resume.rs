//! Resume tokens: a poller written down, for another client (or process) to continue.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use aml_model::wire::OperationStatus;
use http::Method;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use url::Url;

use super::Poller;
use crate::client::ArmClient;
use crate::error::{Error, Result, UrlSource};
use crate::options::{PollOptions, RequestOptions};
use crate::url::redact_url;

/// How the operation is being polled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum PollMode {
    /// `GET` the `Azure-AsyncOperation` URL and read `status`.
    AsyncOperation,
    /// `GET` the `Location` URL: 202 means running, 200/201/204 means done.
    Location,
    /// `GET` the resource and read `properties.provisioningState` (404 ends a `DELETE`).
    ResourceState,
    /// Finished successfully; only the final `GET` may be left.
    Done,
}

/// What a resume token holds (serialized as JSON).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenState {
    pub(crate) v: u32,
    #[serde(with = "method_text")]
    pub(crate) method: Method,
    pub(crate) resource_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) async_operation_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) location_url: Option<String>,
    pub(crate) mode: PollMode,
    pub(crate) status: String,
    pub(crate) elapsed_ms: u64,
}

pub(crate) const TOKEN_VERSION: u32 = 1;

/// The method as its upper-case name (`"PUT"`); only the methods of a long-running operation
/// (and `GET`, `HEAD`) read back.
mod method_text {
    use http::Method;
    use serde::{Deserialize, Deserializer, Serializer, de};

    pub(super) fn serialize<S: Serializer>(method: &Method, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(method.as_str())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Method, D::Error> {
        let text = String::deserialize(d)?;
        [
            Method::GET,
            Method::PUT,
            Method::PATCH,
            Method::POST,
            Method::DELETE,
            Method::HEAD,
        ]
        .into_iter()
        .find(|m| m.as_str() == text)
        .ok_or_else(|| de::Error::custom("not an ARM method"))
    }
}

/// A serialized poller: enough for another process to continue polling without re-sending the
/// original request.
///
/// It holds the operation's URLs, which may carry signed query parameters: store it like a
/// credential-adjacent value (not in public logs). `Debug` does not print it; [`as_str`] does.
/// A resumed poller refuses any URL not on its own client's endpoint.
///
/// [`as_str`]: ResumeToken::as_str
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResumeToken(String);

impl ResumeToken {
    /// The token text, to store.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The token for `state`.
    pub(crate) fn of(state: &TokenState) -> Self {
        // Serializing this plain struct cannot fail; fall back to an empty object regardless.
        Self(serde_json::to_string(state).unwrap_or_else(|_| "{}".to_owned()))
    }

    pub(crate) fn state(&self) -> Result<TokenState> {
        let state: TokenState =
            serde_json::from_str(&self.0).map_err(|source| Error::InvalidResumeToken {
                reason: "the text is not the JSON of a resume token".to_owned(),
                source: Some(source),
            })?;
        if state.v != TOKEN_VERSION {
            return Err(Error::InvalidResumeToken {
                reason: format!(
                    "version {} is not supported (expected {TOKEN_VERSION})",
                    state.v
                ),
                source: None,
            });
        }
        Ok(state)
    }
}

impl FromStr for ResumeToken {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let token = Self(s.to_owned());
        token.state()?;
        Ok(token)
    }
}

impl TryFrom<String> for ResumeToken {
    type Error = Error;

    fn try_from(s: String) -> Result<Self> {
        let token = Self(s);
        token.state()?;
        Ok(token)
    }
}

impl From<ResumeToken> for String {
    fn from(t: ResumeToken) -> Self {
        t.0
    }
}

impl fmt::Debug for ResumeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResumeToken([redacted])")
    }
}

impl Poller {
    /// A token from which [`ArmClient::resume`] continues this operation, in this process or
    /// another, without re-sending the original request.
    pub fn resume_token(&self) -> ResumeToken {
        let state = TokenState {
            v: TOKEN_VERSION,
            method: self.method.clone(),
            resource_url: self.resource_url.to_string(),
            async_operation_url: self.async_operation_url.as_ref().map(Url::to_string),
            location_url: self.location_url.as_ref().map(Url::to_string),
            mode: self.mode,
            status: self.status.as_str().to_owned(),
            elapsed_ms: u64::try_from(self.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        ResumeToken::of(&state)
    }

    /// Rebuilds a poller from a token (see [`ArmClient::resume`]).
    pub(crate) fn from_token(
        client: ArmClient,
        token: &ResumeToken,
        options: PollOptions,
    ) -> Result<Self> {
        let state = token.state()?;
        let parse = |s: &str| -> Result<Url> {
            let url = Url::parse(s).map_err(|source| Error::InvalidUrl {
                url: redact_url(s),
                source,
            })?;
            client.check_origin(&url, UrlSource::ResumeToken)?;
            Ok(url)
        };
        let resource_url = parse(&state.resource_url)?;
        let async_operation_url = state
            .async_operation_url
            .as_deref()
            .map(parse)
            .transpose()?;
        let location_url = state.location_url.as_deref().map(parse).transpose()?;
        let missing = match state.mode {
            PollMode::AsyncOperation => async_operation_url.is_none(),
            PollMode::Location => location_url.is_none(),
            PollMode::ResourceState | PollMode::Done => false,
        };
        if missing {
            return Err(Error::InvalidResumeToken {
                reason: "the URL to poll is missing".to_owned(),
                source: None,
            });
        }
        Ok(Self {
            client,
            method: state.method,
            resource_url,
            async_operation_url,
            location_url,
            mode: state.mode,
            options,
            follow_up: RequestOptions::default(),
            started: Instant::now(),
            elapsed_before: Duration::from_millis(state.elapsed_ms),
            // A resumed poller looks at once: time has passed since the token was written.
            next_delay: Duration::ZERO,
            polls: 0,
            status: OperationStatus::parse(&state.status),
            percent: None,
            outcome: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_tokens_are_versioned_and_redacted_in_debug() {
        let err = "{\"v\":2}".parse::<ResumeToken>().unwrap_err();
        assert!(matches!(err, Error::InvalidResumeToken { .. }), "{err}");
        assert!("garbage".parse::<ResumeToken>().is_err());
        let ok = r#"{"v":1,"method":"PUT","resourceUrl":"http://127.0.0.1:1/r?sig=s","mode":"resourceState","status":"Creating","elapsedMs":5}"#;
        let t: ResumeToken = ok.parse().unwrap();
        assert_eq!(t.state().unwrap().method, Method::PUT);
        assert_eq!(format!("{t:?}"), "ResumeToken([redacted])");
        let json = serde_json::to_string(&t).unwrap();
        let back: ResumeToken = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        let bad = ok.replace("\"PUT\"", "\"CONNECT\"");
        assert!(bad.parse::<ResumeToken>().is_err());
    }
}
