//! Sending: one call's tries, retries and back-off, time limits, and reading the response.

use std::time::Duration;

use azure_core::Bytes;
use http::Method;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use tokio::time::Instant;
use tracing::{Instrument, field};
use url::Url;

use crate::client::ArmClient;
use crate::error::{Error, Result, TimeoutScope};
use crate::request::{
    CLIENT_REQUEST_ID, CORRELATION_REQUEST_ID, Outgoing, RETURN_CLIENT_REQUEST_ID, new_request_id,
};
use crate::request_ids::RequestIds;
use crate::response::ArmResponse;
use crate::retry::{RetryOptions, retry_after, usable_hint};

impl ArmClient {
    /// Sends with retries and returns the final response whatever its status (except 3xx,
    /// which becomes [`Error::Redirect`]).
    pub(crate) async fn execute(&self, request: &Outgoing) -> Result<ArmResponse> {
        let opts = &request.options;
        let url = self.resolve(
            &request.method,
            &request.target,
            opts.api_version.as_deref(),
            request.source,
        )?;
        let client_request_id = opts
            .client_request_id
            .clone()
            .unwrap_or_else(new_request_id);
        let correlation_id = opts
            .correlation_id
            .clone()
            .or_else(|| self.inner.options.correlation_id.clone());
        let span = tracing::info_span!(
            "arm.request",
            method = request.method.as_str(),
            path = url.path(),
            client_request_id = client_request_id.as_str(),
            status = field::Empty,
            attempts = field::Empty,
            request_id = field::Empty,
        );
        let limit = opts.timeout.or(self.inner.options.timeouts.operation);
        let ids = RequestIds {
            client_request_id: Some(client_request_id.clone()),
            ..RequestIds::default()
        };
        let headers = self.call_headers(request, &client_request_id, correlation_id.as_deref())?;
        let progress = TryProgress::default();
        let run = self
            .execute_tries(request, &url, &headers, &client_request_id, &progress)
            .instrument(span.clone());
        let result = match limit {
            Some(limit) => match tokio::time::timeout(limit, run).await {
                Ok(r) => r,
                Err(_) => Err(Error::Timeout {
                    method: request.method.clone(),
                    path: url.path().to_owned(),
                    scope: TimeoutScope::Operation,
                    limit,
                    attempts: progress.attempts(),
                    may_have_been_sent: progress.sent(),
                    request_ids: Box::new(ids),
                }),
            },
            None => run.await,
        };
        match &result {
            Ok(r) => {
                span.record("status", r.status);
                span.record("attempts", r.attempts);
                if let Some(id) = &r.request_ids.request_id {
                    span.record("request_id", id.as_str());
                }
            }
            Err(e) => {
                span.in_scope(|| tracing::debug!(error = %e, "ARM request failed"));
            }
        }
        result
    }

    /// Sends one try, under its own span, bounded by the per-try timeout.
    async fn send_try(
        &self,
        request: &Outgoing,
        url: &Url,
        headers: &HeaderMap,
        auth: HeaderValue,
        attempt: u32,
        progress: &TryProgress,
    ) -> Result<(tracing::Span, TryOutcome)> {
        let span = tracing::debug_span!(
            "arm.try",
            attempt,
            status = field::Empty,
            request_id = field::Empty,
            elapsed_ms = field::Empty
        );
        let started = Instant::now();
        let builder = self.build_try(request, url, headers, auth);
        let cap = self.inner.options.max_response_bytes;
        let once = send_once(builder, cap, progress);
        let outcome = match self.inner.options.timeouts.per_try {
            Some(limit) => tokio::time::timeout(limit, once)
                .instrument(span.clone())
                .await
                .map_err(|_| limit),
            None => Ok(once.instrument(span.clone()).await),
        };
        span.record("elapsed_ms", started.elapsed().as_millis());
        Ok((span, outcome))
    }

    /// The headers every try of a call sends, `Authorization` aside: the caller's, then the
    /// client's (names the caller may not set, see `request::CLIENT_OWNED`). `Accept` and
    /// `Content-Type` default to `application/json` when the caller sets none.
    fn call_headers(
        &self,
        request: &Outgoing,
        client_request_id: &str,
        correlation_id: Option<&str>,
    ) -> Result<HeaderMap> {
        let value = |name: &str, text: &str| {
            HeaderValue::from_str(text).map_err(|_| Error::InvalidConfig {
                message: format!("the {name} is not a valid header value"),
            })
        };
        let mut headers = request.headers.clone();
        headers.insert(header::USER_AGENT, self.inner.user_agent.clone());
        if !headers.contains_key(header::ACCEPT) {
            headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        }
        headers.insert(
            HeaderName::from_static(CLIENT_REQUEST_ID),
            value("client request id", client_request_id)?,
        );
        headers.insert(
            HeaderName::from_static(RETURN_CLIENT_REQUEST_ID),
            HeaderValue::from_static("true"),
        );
        if let Some(c) = correlation_id {
            headers.insert(
                HeaderName::from_static(CORRELATION_REQUEST_ID),
                value("correlation id", c)?,
            );
        }
        if !request.body.is_empty() {
            if !headers.contains_key(header::CONTENT_TYPE) {
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
        } else if [Method::PUT, Method::POST, Method::PATCH].contains(&request.method) {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
        Ok(headers)
    }

    /// The request of one try, token included.
    fn build_try(
        &self,
        request: &Outgoing,
        url: &Url,
        headers: &HeaderMap,
        auth: HeaderValue,
    ) -> reqwest::RequestBuilder {
        let mut headers = headers.clone();
        // A sensitive header value, built once per token: hyper and reqwest never print it.
        headers.insert(header::AUTHORIZATION, auth);
        let builder = self
            .inner
            .http
            .request(request.method.clone(), url.clone())
            .headers(headers);
        if request.body.is_empty() {
            builder
        } else {
            builder.body(request.body.clone())
        }
    }

    async fn execute_tries(
        &self,
        request: &Outgoing,
        url: &Url,
        headers: &HeaderMap,
        client_request_id: &str,
        progress: &TryProgress,
    ) -> Result<ArmResponse> {
        let retry = request
            .options
            .retry
            .as_ref()
            .unwrap_or(&self.inner.options.retry);
        let cap = self.inner.options.max_response_bytes;
        let request_ids = || Box::new(sent_ids(client_request_id));
        let mut attempt: u32 = 0;
        let mut retries: u32 = 0;
        let mut reauthenticated = false;
        loop {
            attempt = attempt.saturating_add(1);
            progress.set_attempts(attempt);
            let (token, auth) = self.inner.tokens.get_with_header().await?;
            let (try_span, outcome) = self
                .send_try(request, url, headers, auth, attempt, progress)
                .await?;

            let failure = match outcome {
                Ok(Ok((status, headers, body))) => {
                    let ids = response_ids(&headers, client_request_id);
                    record_response(&try_span, status, &ids);
                    if status == 401 && !reauthenticated {
                        // The token may have been revoked early: get a fresh one, once.
                        reauthenticated = true;
                        self.inner.tokens.invalidate(&token);
                        try_span.in_scope(|| tracing::debug!("401: retrying with a new token"));
                        continue;
                    }
                    let response = ArmResponse {
                        method: request.method.clone(),
                        url: url.clone(),
                        status,
                        headers,
                        body,
                        request_ids: ids,
                        attempts: attempt,
                    };
                    match status_retry_delay(retry, retries, &response) {
                        Some(delay) => {
                            try_span.in_scope(|| {
                                tracing::debug!(
                                    status,
                                    delay_ms = delay.as_millis(),
                                    "backing off"
                                );
                            });
                            delay
                        }
                        None => return Ok(response),
                    }
                }
                Ok(Err(TryError::TooLarge)) => {
                    return Err(Error::ResponseTooLarge {
                        method: request.method.clone(),
                        path: url.path().to_owned(),
                        limit: cap,
                        request_ids: request_ids(),
                    });
                }
                Ok(Err(TryError::Transport(e))) => {
                    let retryable = retry.retry_transport_errors && !e.is_builder();
                    if !retryable || retries >= retry.max_retries {
                        return Err(Error::Transport {
                            method: request.method.clone(),
                            path: url.path().to_owned(),
                            attempts: attempt,
                            may_have_been_sent: progress.sent(),
                            request_ids: request_ids(),
                            source: e.without_url(),
                        });
                    }
                    let delay = retry.backoff(retries + 1, fastrand::f64());
                    try_span
                        .in_scope(|| tracing::debug!(error = %e, "transport error; backing off"));
                    delay
                }
                Err(per_try) => {
                    progress.mark_sent();
                    if !retry.retry_transport_errors || retries >= retry.max_retries {
                        return Err(Error::Timeout {
                            method: request.method.clone(),
                            path: url.path().to_owned(),
                            scope: TimeoutScope::Try,
                            limit: per_try,
                            attempts: attempt,
                            may_have_been_sent: true,
                            request_ids: request_ids(),
                        });
                    }
                    retry.backoff(retries + 1, fastrand::f64())
                }
            };
            retries += 1;
            tokio::time::sleep(failure).await;
        }
    }
}

/// What a call has done so far, readable after its future was cut short by a timeout.
#[derive(Default)]
struct TryProgress {
    attempts: std::sync::atomic::AtomicU32,
    sent: std::sync::atomic::AtomicBool,
}

impl TryProgress {
    fn set_attempts(&self, n: u32) {
        self.attempts.store(n, std::sync::atomic::Ordering::Relaxed);
    }
    fn attempts(&self) -> u32 {
        self.attempts.load(std::sync::atomic::Ordering::Relaxed)
    }
    fn mark_sent(&self) {
        self.sent.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    fn sent(&self) -> bool {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The back-off before retrying `response`, or `None` to hand it back as it is.
fn status_retry_delay(
    retry: &RetryOptions,
    retries: u32,
    response: &ArmResponse,
) -> Option<Duration> {
    if !retry.retries_status(response.status) || retries >= retry.max_retries {
        return None;
    }
    // A hint under a millisecond (`Retry-After: 0`) is no reason to retry at once: back off.
    match usable_hint(retry_after(
        &response.headers,
        time::OffsetDateTime::now_utc(),
    )) {
        Some(hint) if hint > retry.max_delay => {
            tracing::debug!(
                retry_after_ms = hint.as_millis(),
                "the server asks to wait longer than max_delay; not retrying"
            );
            None
        }
        Some(hint) => Some(hint),
        None => Some(retry.backoff(retries + 1, fastrand::f64())),
    }
}

/// A try's result, or the per-try limit that cut it.
type TryOutcome =
    std::result::Result<std::result::Result<(u16, HeaderMap, Bytes), TryError>, Duration>;

enum TryError {
    Transport(reqwest::Error),
    TooLarge,
}

/// One try: send, then read the body up to `cap` bytes.
async fn send_once(
    builder: reqwest::RequestBuilder,
    cap: usize,
    progress: &TryProgress,
) -> std::result::Result<(u16, HeaderMap, Bytes), TryError> {
    let mut response = match builder.send().await {
        Ok(r) => r,
        Err(e) => {
            if !e.is_connect() {
                progress.mark_sent();
            }
            return Err(TryError::Transport(e));
        }
    };
    progress.mark_sent();
    let status = response.status().as_u16();
    if response
        .content_length()
        .is_some_and(|n| n > u64::try_from(cap).unwrap_or(u64::MAX))
    {
        return Err(TryError::TooLarge);
    }
    let headers = std::mem::take(response.headers_mut());
    let mut first: Option<Bytes> = None;
    let mut rest: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(TryError::Transport)? {
        let len = first.as_ref().map_or(0, Bytes::len) + rest.len() + chunk.len();
        if len > cap {
            return Err(TryError::TooLarge);
        }
        match &first {
            None => first = Some(chunk),
            Some(f) => {
                if rest.is_empty() {
                    rest.extend_from_slice(f);
                }
                rest.extend_from_slice(&chunk);
            }
        }
    }
    let body = if rest.is_empty() {
        first.unwrap_or_default()
    } else {
        Bytes::from(rest)
    };
    Ok((status, headers, body))
}

fn record_response(span: &tracing::Span, status: u16, ids: &RequestIds) {
    span.record("status", status);
    if let Some(id) = &ids.request_id {
        span.record("request_id", id.as_str());
    }
}

/// The ids known before any response: the client request id.
fn sent_ids(client_request_id: &str) -> RequestIds {
    RequestIds {
        client_request_id: Some(client_request_id.to_owned()),
        ..RequestIds::default()
    }
}

/// The response's ids; the client request id sent when the response does not echo one.
fn response_ids(headers: &HeaderMap, sent_client_request_id: &str) -> RequestIds {
    let mut ids = RequestIds::from_headers(headers);
    if ids.client_request_id.is_none() {
        ids.client_request_id = Some(sent_client_request_id.to_owned());
    }
    ids
}
