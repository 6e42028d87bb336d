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
use std::time::Duration;

use aml_model::wire::{ErrorDetail, OperationStatus};
use futures::Stream;
use http::Method;
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::api_error::{OperationError, decode_arm_error};
use crate::client::ArmClient;
use crate::error::{Error, Result, UrlSource};
use crate::operation_body::{
    percent_complete, provisioning_errors, provisioning_state, read_status,
};
use crate::options::{PollOptions, RequestOptions};

pub(crate) mod resume;
use crate::poller::resume::PollMode;
use crate::request::Outgoing;
use crate::response::ArmResponse;
use crate::retry::{retry_after, usable_hint};
use crate::url::path_of;

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
    /// `Outgoing::follow_up_options`).
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
        let method = response.method().clone();
        let request_url = response.url().clone();
        let headers = response.headers();
        let async_operation_url =
            client.header_url(&request_url, headers, UrlSource::AzureAsyncOperation)?;
        let location_url = client.header_url(&request_url, headers, UrlSource::Location)?;
        let status = response.status();
        let hint = retry_after(response.headers(), time::OffsetDateTime::now_utc());
        let mut poller = Self {
            client,
            method: method.clone(),
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
            status: OperationStatus::parse("Accepted"),
            percent: None,
            outcome: None,
        };
        poller.next_delay = poller.delay_from(hint);

        if poller.async_operation_url.is_some() {
            poller.mode = PollMode::AsyncOperation;
        } else if poller.location_url.is_some() && matches!(status, 201 | 202) {
            poller.mode = PollMode::Location;
        } else if status == 202 {
            if method == Method::DELETE {
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
            let state = if is_put_or_patch(&method) {
                provisioning_state(response.body())
            } else {
                None
            };
            match state {
                Some(s) if !s.is_terminal() => {
                    poller.status = s;
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
            status: OperationStatus::Unknown("Unknown".to_owned()),
            percent: None,
            outcome: None,
        }
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
    fn get_request(&self, url: &Url, source: UrlSource) -> Outgoing {
        Outgoing::follow_up(url, self.follow_up.clone(), source)
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
        let body = read_status(&response.json()?);
        let Some(status) = body.status.clone() else {
            return Err(Error::UnexpectedResponse {
                method: Method::GET,
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
        match status {
            OperationStatus::Succeeded => self.finish(Some(response)).await,
            s @ (OperationStatus::Failed | OperationStatus::Canceled) => {
                let provisioning_errors = self.fetch_provisioning_errors().await;
                self.fail(s, body.error, provisioning_errors, &response);
                Ok(())
            }
            s => {
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
                self.status = OperationStatus::InProgress;
                Ok(())
            }
            200 | 201 | 204 => self.finish(Some(response)).await,
            404 if self.method == Method::DELETE => self.finish(Some(response)).await,
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
        let deleting = self.method == Method::DELETE;
        if deleting && matches!(status, 404 | 204) {
            return self.finish(Some(response)).await;
        }
        if !(200..300).contains(&status) {
            return Err(response.into_error());
        }
        match provisioning_state(response.body()) {
            Some(s @ (OperationStatus::Failed | OperationStatus::Canceled)) => {
                let errors = provisioning_errors(response.body());
                self.fail(s, None, errors, &response);
                Ok(())
            }
            Some(s) if !s.is_terminal() => {
                self.status = s;
                Ok(())
            }
            _ if deleting => {
                self.status = OperationStatus::parse("Deleting");
                Ok(())
            }
            _ => {
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
        let final_response = if is_put_or_patch(&self.method) {
            let request = self.get_request(&self.resource_url, UrlSource::Request);
            self.client.send_outgoing(&request).await?
        } else if self.method == Method::POST
            && self.async_operation_url.is_some()
            && self.location_url.is_some()
        {
            let url = self.location_url.as_ref().unwrap_or(&self.resource_url);
            let request = self.get_request(url, UrlSource::Location);
            self.client.send_outgoing(&request).await?
        } else {
            match last {
                Some(r) => r,
                None => ArmResponse::synthetic(self.method.clone(), self.resource_url.clone(), 204),
            }
        };
        self.outcome = Some(Outcome::Done(Box::new(final_response)));
        Ok(())
    }

    fn fail(
        &mut self,
        status: OperationStatus,
        error: Option<ErrorDetail>,
        provisioning_errors: Vec<ErrorDetail>,
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
    async fn fetch_provisioning_errors(&self) -> Vec<ErrorDetail> {
        if !is_put_or_patch(&self.method) {
            return Vec::new();
        }
        match self.get(&self.resource_url, UrlSource::Request).await {
            Ok(r) if (200..300).contains(&r.status()) => provisioning_errors(r.body()),
            _ => Vec::new(),
        }
    }
}

/// A `PUT` or `PATCH`: an operation whose result is the resource.
fn is_put_or_patch(method: &Method) -> bool {
    *method == Method::PUT || *method == Method::PATCH
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
