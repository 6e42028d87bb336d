//! Long-running operations: the ARM asynchronous-operation contract.
//!
//! `Azure-AsyncOperation` is preferred, then `Location`, then the resource's own
//! `properties.provisioningState`. Terminal states are `Succeeded`, `Failed` and `Canceled`
//! (any case). After success a `PUT`/`PATCH` ends with a `GET` of the resource; a `DELETE` is done
//! on `Succeeded` or when the resource answers 404/204; a `POST` ends with a `GET` of its
//! `Location` when it had one.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use futures::Stream;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::client::{ArmClient, ArmRequest, ArmResponse, Method};
use crate::error::{ArmErrorDetail, Error, OperationError, Result, UrlSource, decode_arm_error};
use crate::options::{PollOptions, RequestOptions, path_of};
use crate::retry::{retry_after, usable_hint};

/// The state of a long-running operation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OperationStatus {
    /// Not finished; the service's word for it (`InProgress`, `Creating`, `Accepted`, ...).
    InProgress(String),
    /// Finished successfully.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Cancelled before finishing.
    Canceled,
}

impl OperationStatus {
    /// Parses a status or provisioning state, case-insensitively (`Cancelled` is `Canceled`).
    pub fn parse(s: &str) -> Self {
        if s.eq_ignore_ascii_case("succeeded") {
            Self::Succeeded
        } else if s.eq_ignore_ascii_case("failed") {
            Self::Failed
        } else if s.eq_ignore_ascii_case("canceled") || s.eq_ignore_ascii_case("cancelled") {
            Self::Canceled
        } else {
            Self::InProgress(s.to_owned())
        }
    }

    /// `Succeeded`, `Failed` or `Canceled`.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Self::InProgress(_))
    }

    /// The status as text.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InProgress(s) => s,
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Canceled => "Canceled",
        }
    }
}

impl fmt::Display for OperationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One observation of a long-running operation.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Progress {
    /// The status after the latest poll.
    pub status: OperationStatus,
    /// Time since `begin_*` (including time before a resume).
    pub elapsed: Duration,
    /// Status polls made so far by this poller (the final `GET` is not counted).
    pub polls: u32,
    /// `percentComplete`, when the service reports it as a number; clamped to `0.0..=100.0`.
    pub percent_complete: Option<f64>,
    /// When the next poll will be made; `None` once finished.
    pub next_poll_in: Option<Duration>,
}

impl Progress {
    /// Whether the operation has finished (successfully or not).
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }
}

/// How the operation is being polled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum PollMode {
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
struct TokenState {
    v: u32,
    method: Method,
    resource_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    async_operation_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location_url: Option<String>,
    mode: PollMode,
    status: String,
    elapsed_ms: u64,
}

const TOKEN_VERSION: u32 = 1;

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

    fn state(&self) -> Result<TokenState> {
        let state: TokenState =
            serde_json::from_str(&self.0).map_err(|e| Error::InvalidResumeToken {
                reason: format!("not a resume token ({e})"),
            })?;
        if state.v != TOKEN_VERSION {
            return Err(Error::InvalidResumeToken {
                reason: format!(
                    "version {} is not supported (expected {TOKEN_VERSION})",
                    state.v
                ),
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

enum Outcome {
    Done(Box<ArmResponse>),
    Failed(Box<OperationError>),
}

/// A long-running operation in progress.
///
/// Await it (`poller.await` or [`Poller::wait`]) for the final response, call [`Poller::step`]
/// to poll once, watch [`Poller::progress`] as a stream, bound it with
/// [`PollOptions::timeout`], and persist [`Poller::resume_token`] to continue elsewhere.
///
/// ```no_run
/// # async fn run(client: aml_arm::ArmClient, body: serde_json::Value) -> aml_arm::Result<()> {
/// use futures::StreamExt;
/// let mut poller = client.begin_put("/subscriptions/.../computes/aks1", &body).await?;
/// std::fs::write("op.token", poller.resume_token().as_str()).ok();
/// {
///     let mut progress = std::pin::pin!(poller.progress());
///     while let Some(p) = progress.next().await {
///         let p = p?;
///         println!("{} after {:?}", p.status, p.elapsed);
///     }
/// }
/// let compute: serde_json::Value = poller.wait().await?.json()?;
/// # Ok(()) }
/// ```
pub struct Poller {
    client: ArmClient,
    method: Method,
    resource_url: Url,
    async_operation_url: Option<Url>,
    location_url: Option<Url>,
    mode: PollMode,
    options: PollOptions,
    /// Options every poll and the final `GET` carry (from the first request; see
    /// `ArmRequest::follow_up_options`).
    follow_up: RequestOptions,
    started: Instant,
    elapsed_before: Duration,
    next_delay: Duration,
    polls: u32,
    status: OperationStatus,
    percent: Option<f64>,
    outcome: Option<Outcome>,
}

impl Poller {
    /// Builds a poller from the response to the operation's first request.
    pub(crate) fn from_initial(
        client: ArmClient,
        response: ArmResponse,
        options: PollOptions,
        follow_up: RequestOptions,
    ) -> Result<Self> {
        let method = response.method();
        let request_url = response.url().clone();
        let headers = response.headers();
        let async_operation_url =
            client.header_url(&request_url, headers, UrlSource::AzureAsyncOperation)?;
        let location_url = client.header_url(&request_url, headers, UrlSource::Location)?;
        let status = response.status();
        let hint = retry_after(response.headers(), time::OffsetDateTime::now_utc());
        let mut poller = Self {
            client,
            method,
            resource_url: request_url,
            async_operation_url,
            location_url,
            mode: PollMode::Done,
            options,
            follow_up,
            started: Instant::now(),
            elapsed_before: Duration::ZERO,
            next_delay: Duration::ZERO,
            polls: 0,
            status: OperationStatus::InProgress("Accepted".to_owned()),
            percent: None,
            outcome: None,
        };
        poller.next_delay = poller.delay_from(hint);

        if poller.async_operation_url.is_some() {
            poller.mode = PollMode::AsyncOperation;
        } else if poller.location_url.is_some() && matches!(status, 201 | 202) {
            poller.mode = PollMode::Location;
        } else if status == 202 {
            if method == Method::Delete {
                poller.mode = PollMode::ResourceState;
            } else {
                return Err(Error::UnexpectedResponse {
                    method,
                    path: response.path(),
                    status,
                    reason: "202 Accepted without an Azure-AsyncOperation or Location header"
                        .to_owned(),
                    request_ids: Box::new(response.request_ids().clone()),
                });
            }
        } else {
            // 200, 201 or 204 with nothing to poll: finished, unless a PUT/PATCH reports a
            // provisioning state that is not terminal yet.
            let state = match method {
                Method::Put | Method::Patch => provisioning_state(response.body()),
                _ => None,
            };
            match state.map(|s| OperationStatus::parse(&s)) {
                Some(OperationStatus::InProgress(s)) => {
                    poller.status = OperationStatus::InProgress(s);
                    poller.mode = PollMode::ResourceState;
                }
                Some(s @ (OperationStatus::Failed | OperationStatus::Canceled)) => {
                    let provisioning_errors = provisioning_errors(response.body());
                    poller.fail(s, None, provisioning_errors, &response);
                }
                _ => {
                    poller.status = OperationStatus::Succeeded;
                    poller.outcome = Some(Outcome::Done(Box::new(response)));
                }
            }
        }
        tracing::debug!(
            method = method.as_str(),
            path = poller.resource_url.path(),
            mode = ?poller.mode,
            status = %poller.status,
            "long-running operation started"
        );
        Ok(poller)
    }

    /// A poller that reads the resource's `properties.provisioningState` until it is terminal
    /// (see [`ArmClient::follow_resource`]).
    pub(crate) fn for_resource(
        client: ArmClient,
        method: Method,
        resource_url: Url,
        options: PollOptions,
    ) -> Self {
        Self {
            client,
            method,
            resource_url,
            async_operation_url: None,
            location_url: None,
            mode: PollMode::ResourceState,
            options,
            follow_up: RequestOptions::default(),
            started: Instant::now(),
            elapsed_before: Duration::ZERO,
            next_delay: Duration::ZERO,
            polls: 0,
            status: OperationStatus::InProgress("Unknown".to_owned()),
            percent: None,
            outcome: None,
        }
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
                url: crate::options::redact_url(s),
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

    /// Replaces the polling options (interval, timeout).
    #[must_use]
    pub fn with_options(mut self, options: PollOptions) -> Self {
        self.options = options;
        self
    }

    /// The status after the latest poll.
    pub fn status(&self) -> &OperationStatus {
        &self.status
    }

    /// Whether the operation has finished and its result (or error) is known.
    pub fn is_done(&self) -> bool {
        self.outcome.is_some()
    }

    /// The wait before the next poll: the service's `Retry-After` (capped at
    /// [`PollOptions::max_interval`]) or [`PollOptions::interval`]. A hint under a millisecond
    /// (`Retry-After: 0`) counts as none, so a service cannot make the poller ask again in a
    /// tight loop; see [`crate::RetryOptions::parse_retry_after`] for how hints are read.
    pub fn next_poll_in(&self) -> Duration {
        self.next_delay
    }

    /// Time since the operation began (including time before a resume).
    pub fn elapsed(&self) -> Duration {
        self.elapsed_before.saturating_add(self.started.elapsed())
    }

    /// The current state as a [`Progress`].
    pub fn current(&self) -> Progress {
        Progress {
            status: self.status.clone(),
            elapsed: self.elapsed(),
            polls: self.polls,
            percent_complete: self.percent,
            next_poll_in: if self.outcome.is_some() {
                None
            } else {
                Some(self.next_delay)
            },
        }
    }

    /// A token from which [`ArmClient::resume`] continues this operation, in this process or
    /// another, without re-sending the original request.
    pub fn resume_token(&self) -> ResumeToken {
        let state = TokenState {
            v: TOKEN_VERSION,
            method: self.method,
            resource_url: self.resource_url.to_string(),
            async_operation_url: self.async_operation_url.as_ref().map(Url::to_string),
            location_url: self.location_url.as_ref().map(Url::to_string),
            mode: self.mode,
            status: self.status.as_str().to_owned(),
            elapsed_ms: u64::try_from(self.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        // Serializing this plain struct cannot fail; fall back to an empty object regardless.
        ResumeToken(serde_json::to_string(&state).unwrap_or_else(|_| "{}".to_owned()))
    }

    /// Waits for the next poll (see [`Poller::next_poll_in`]), polls once and returns the
    /// new state. Once finished it returns at once: the terminal [`Progress`], or the
    /// operation's error. A transient poll failure returns the error and leaves the poller
    /// usable: call `step` again.
    pub async fn step(&mut self) -> Result<Progress> {
        match &self.outcome {
            Some(Outcome::Done(_)) => return Ok(self.current()),
            Some(Outcome::Failed(e)) => return Err(Error::OperationFailed(e.clone())),
            None => {}
        }
        if self.mode != PollMode::Done {
            if let Some(limit) = self.options.timeout {
                let elapsed = self.elapsed();
                if elapsed.saturating_add(self.next_delay) > limit {
                    tokio::time::sleep(limit.saturating_sub(elapsed)).await;
                    return Err(Error::OperationTimeout {
                        path: path_of(&self.resource_url, false),
                        status: self.status.clone(),
                        elapsed: self.elapsed(),
                        limit,
                        resume_token: Box::new(self.resume_token()),
                    });
                }
            }
            tokio::time::sleep(self.next_delay).await;
        }
        self.poll_once().await?;
        match &self.outcome {
            Some(Outcome::Failed(e)) => Err(Error::OperationFailed(e.clone())),
            _ => Ok(self.current()),
        }
    }

    /// Polls until the operation finishes and returns the final response: the resource for a
    /// `PUT`/`PATCH`, the last status response for a `DELETE`, the `Location` result for a
    /// `POST`.
    pub async fn wait(mut self) -> Result<ArmResponse> {
        let span = tracing::info_span!(
            "arm.lro",
            method = self.method.as_str(),
            path = self.resource_url.path(),
        );
        async move {
            loop {
                self.step().await?;
                if matches!(self.outcome, Some(Outcome::Done(_)))
                    && let Some(Outcome::Done(r)) = self.outcome.take()
                {
                    tracing::debug!(polls = self.polls, "long-running operation succeeded");
                    return Ok(*r);
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Like [`Poller::wait`], decoding the final body as JSON.
    pub async fn wait_json<T: serde::de::DeserializeOwned>(self) -> Result<T> {
        self.wait().await?.json()
    }

    /// The operation's progress as a stream: one item per poll, ending after the terminal state
    /// (or after the first error). Afterwards [`Poller::wait`] returns the result at once.
    pub fn progress(&mut self) -> impl Stream<Item = Result<Progress>> + Send + '_ {
        futures::stream::unfold((self, false), |(poller, finished)| async move {
            if finished {
                return None;
            }
            let item = poller.step().await;
            let end = match &item {
                Ok(p) => p.is_terminal() && poller.outcome.is_some(),
                Err(_) => true,
            };
            Some((item, (poller, end)))
        })
    }

    fn delay_from(&self, hint: Option<Duration>) -> Duration {
        usable_hint(hint).map_or(self.options.interval, |h| h.min(self.options.max_interval))
    }

    async fn poll_once(&mut self) -> Result<()> {
        match self.mode {
            PollMode::AsyncOperation => self.poll_async_operation().await,
            PollMode::Location => self.poll_location().await,
            PollMode::ResourceState => self.poll_resource().await,
            PollMode::Done => self.finish(None).await,
        }
    }

    /// A `GET` of a poll URL or the resource, with the operation's follow-up options.
    fn get_request(&self, url: &Url, source: UrlSource) -> ArmRequest {
        ArmRequest::get(url.as_str())
            .options(self.follow_up.clone())
            .with_source(source)
    }

    async fn get(&self, url: &Url, source: UrlSource) -> Result<ArmResponse> {
        self.client.execute(&self.get_request(url, source)).await
    }

    async fn poll_async_operation(&mut self) -> Result<()> {
        let Some(url) = self.async_operation_url.clone() else {
            return self.finish(None).await;
        };
        let response = self.get(&url, UrlSource::AzureAsyncOperation).await?;
        self.polls = self.polls.saturating_add(1);
        if !(200..300).contains(&response.status()) {
            return Err(response.into_error());
        }
        let body: serde_json::Value = response.json()?;
        let Some(status) = body.get("status").and_then(serde_json::Value::as_str) else {
            return Err(Error::UnexpectedResponse {
                method: Method::Get,
                path: response.path(),
                status: response.status(),
                reason: "the operation status has no \"status\" field".to_owned(),
                request_ids: Box::new(response.request_ids().clone()),
            });
        };
        self.percent = percent_complete(&body);
        self.next_delay = self.delay_from(retry_after(
            response.headers(),
            time::OffsetDateTime::now_utc(),
        ));
        match OperationStatus::parse(status) {
            OperationStatus::Succeeded => self.finish(Some(response)).await,
            s @ (OperationStatus::Failed | OperationStatus::Canceled) => {
                let error = body
                    .get("error")
                    .and_then(|e| serde_json::from_value::<ArmErrorDetail>(e.clone()).ok());
                let provisioning_errors = self.fetch_provisioning_errors().await;
                self.fail(s, error, provisioning_errors, &response);
                Ok(())
            }
            s @ OperationStatus::InProgress(_) => {
                self.status = s;
                Ok(())
            }
        }
    }

    async fn poll_location(&mut self) -> Result<()> {
        let Some(url) = self.location_url.clone() else {
            return self.finish(None).await;
        };
        let response = self.get(&url, UrlSource::Location).await?;
        self.polls = self.polls.saturating_add(1);
        let status = response.status();
        self.next_delay = self.delay_from(retry_after(
            response.headers(),
            time::OffsetDateTime::now_utc(),
        ));
        match status {
            202 => {
                self.status = OperationStatus::InProgress("InProgress".to_owned());
                Ok(())
            }
            200 | 201 | 204 => self.finish(Some(response)).await,
            404 if self.method == Method::Delete => self.finish(Some(response)).await,
            400..=499 => {
                let error = decode_arm_error(response.body());
                let provisioning_errors = self.fetch_provisioning_errors().await;
                self.fail(
                    OperationStatus::Failed,
                    error,
                    provisioning_errors,
                    &response,
                );
                if let Some(Outcome::Failed(e)) = &mut self.outcome {
                    e.http_status = Some(status);
                }
                Ok(())
            }
            _ => Err(response.into_error()),
        }
    }

    async fn poll_resource(&mut self) -> Result<()> {
        let url = self.resource_url.clone();
        let response = self.get(&url, UrlSource::Request).await?;
        self.polls = self.polls.saturating_add(1);
        let status = response.status();
        self.next_delay = self.delay_from(retry_after(
            response.headers(),
            time::OffsetDateTime::now_utc(),
        ));
        if self.method == Method::Delete && matches!(status, 404 | 204) {
            return self.finish(Some(response)).await;
        }
        if !(200..300).contains(&status) {
            return Err(response.into_error());
        }
        let state = provisioning_state(response.body()).map(|s| OperationStatus::parse(&s));
        match (self.method, state) {
            (_, Some(s @ (OperationStatus::Failed | OperationStatus::Canceled))) => {
                let errors = provisioning_errors(response.body());
                self.fail(s, None, errors, &response);
                Ok(())
            }
            (Method::Delete, s) => {
                self.status = match s {
                    Some(OperationStatus::InProgress(s)) => OperationStatus::InProgress(s),
                    _ => OperationStatus::InProgress("Deleting".to_owned()),
                };
                Ok(())
            }
            (_, Some(OperationStatus::InProgress(s))) => {
                self.status = OperationStatus::InProgress(s);
                Ok(())
            }
            (_, _) => {
                // Succeeded (or no state at all): this response is the resource.
                self.status = OperationStatus::Succeeded;
                self.mode = PollMode::Done;
                self.outcome = Some(Outcome::Done(Box::new(response)));
                Ok(())
            }
        }
    }

    /// The operation succeeded: fetch the final result the contract prescribes.
    async fn finish(&mut self, last: Option<ArmResponse>) -> Result<()> {
        self.status = OperationStatus::Succeeded;
        self.mode = PollMode::Done;
        let final_response = match self.method {
            Method::Put | Method::Patch => {
                let request = self.get_request(&self.resource_url, UrlSource::Request);
                self.client.send(request).await?
            }
            Method::Post if self.async_operation_url.is_some() && self.location_url.is_some() => {
                let url = self.location_url.as_ref().unwrap_or(&self.resource_url);
                let request = self.get_request(url, UrlSource::Location);
                self.client.send(request).await?
            }
            _ => match last {
                Some(r) => r,
                None => ArmResponse::synthetic(self.method, self.resource_url.clone(), 204),
            },
        };
        self.outcome = Some(Outcome::Done(Box::new(final_response)));
        Ok(())
    }

    fn fail(
        &mut self,
        status: OperationStatus,
        error: Option<ArmErrorDetail>,
        provisioning_errors: Vec<ArmErrorDetail>,
        response: &ArmResponse,
    ) {
        tracing::debug!(
            path = self.resource_url.path(),
            status = %status,
            code = error.as_ref().and_then(|e| e.code.as_deref()),
            "long-running operation ended without success"
        );
        self.status = status.clone();
        self.outcome = Some(Outcome::Failed(Box::new(OperationError {
            path: path_of(&self.resource_url, false),
            status,
            error,
            provisioning_errors,
            http_status: None,
            request_ids: response.request_ids().clone(),
        })));
    }

    /// Best effort: the resource's `properties.provisioningErrors` after a failed PUT/PATCH.
    async fn fetch_provisioning_errors(&self) -> Vec<ArmErrorDetail> {
        if !matches!(self.method, Method::Put | Method::Patch) {
            return Vec::new();
        }
        match self.get(&self.resource_url, UrlSource::Request).await {
            Ok(r) if (200..300).contains(&r.status()) => provisioning_errors(r.body()),
            _ => Vec::new(),
        }
    }
}

impl IntoFuture for Poller {
    type Output = Result<ArmResponse>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<ArmResponse>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.wait())
    }
}

impl fmt::Debug for Poller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poller")
            .field("method", &self.method)
            .field("path", &self.resource_url.path())
            .field("mode", &self.mode)
            .field("status", &self.status)
            .field("polls", &self.polls)
            .finish_non_exhaustive()
    }
}

/// `percentComplete` of an operation status, if it is a number, clamped to `0..=100` (a service
/// can send any number; JSON has no NaN or infinity, and `as_f64` reads big integers as finite).
fn percent_complete(body: &serde_json::Value) -> Option<f64> {
    body.get("percentComplete")
        .and_then(serde_json::Value::as_f64)
        .filter(|p| p.is_finite())
        .map(|p| p.clamp(0.0, 100.0))
}

/// `properties.provisioningState` of a resource body.
fn provisioning_state(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("properties")?
        .get("provisioningState")?
        .as_str()
        .map(str::to_owned)
}

/// `properties.provisioningErrors` of a resource body. Items are either `{ "error": {...} }`
/// (Azure Machine Learning's shape) or bare error objects.
fn provisioning_errors(body: &[u8]) -> Vec<ArmErrorDetail> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let Some(items) = v
        .get("properties")
        .and_then(|p| p.get("provisioningErrors"))
        .and_then(serde_json::Value::as_array)
    else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let inner = item.get("error").unwrap_or(item);
            serde_json::from_value::<ArmErrorDetail>(inner.clone()).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_case_insensitively() {
        assert_eq!(
            OperationStatus::parse("SUCCEEDED"),
            OperationStatus::Succeeded
        );
        assert_eq!(OperationStatus::parse("failed"), OperationStatus::Failed);
        assert_eq!(
            OperationStatus::parse("Cancelled"),
            OperationStatus::Canceled
        );
        assert_eq!(
            OperationStatus::parse("canceled"),
            OperationStatus::Canceled
        );
        let s = OperationStatus::parse("Creating");
        assert!(!s.is_terminal());
        assert_eq!(s.to_string(), "Creating");
    }

    #[test]
    fn provisioning_errors_accept_both_shapes() {
        let body = br#"{"properties":{"provisioningState":"Failed","provisioningErrors":[
            {"error":{"code":"AksQuota","message":"no quota"}},
            {"code":"Bare","message":"bare"}]}}"#;
        let e = provisioning_errors(body);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].code.as_deref(), Some("AksQuota"));
        assert_eq!(e[1].code.as_deref(), Some("Bare"));
        assert_eq!(provisioning_state(body).as_deref(), Some("Failed"));
        assert!(provisioning_errors(b"{}").is_empty());
    }

    #[test]
    fn percent_complete_is_a_number_between_0_and_100() {
        let read = |text: &str| percent_complete(&serde_json::from_str(text).unwrap());
        assert_eq!(read(r#"{"percentComplete": 42.5}"#), Some(42.5));
        assert_eq!(read(r#"{"percentComplete": 1e308}"#), Some(100.0));
        assert_eq!(read(r#"{"percentComplete": -1e308}"#), Some(0.0));
        assert_eq!(
            read(r#"{"percentComplete": 18446744073709551615}"#),
            Some(100.0)
        );
        assert_eq!(
            read(r#"{"percentComplete": -9223372036854775808}"#),
            Some(0.0)
        );
        assert_eq!(read(r#"{"percentComplete": "50"}"#), None);
        assert_eq!(read(r#"{"percentComplete": null}"#), None);
        assert_eq!(read("{}"), None);
    }

    #[test]
    fn resume_tokens_are_versioned_and_redacted_in_debug() {
        let err = "{\"v\":2}".parse::<ResumeToken>().unwrap_err();
        assert!(matches!(err, Error::InvalidResumeToken { .. }), "{err}");
        assert!("garbage".parse::<ResumeToken>().is_err());
        let ok = r#"{"v":1,"method":"PUT","resourceUrl":"http://127.0.0.1:1/r?sig=s","mode":"resourceState","status":"Creating","elapsedMs":5}"#;
        let t: ResumeToken = ok.parse().unwrap();
        assert_eq!(format!("{t:?}"), "ResumeToken([redacted])");
        let json = serde_json::to_string(&t).unwrap();
        let back: ResumeToken = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
    }
}
