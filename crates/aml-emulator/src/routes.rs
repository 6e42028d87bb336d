//! The HTTP side: one entry point for every request, which applies faults, throttling, the
//! bearer token and `api-version` checks, routes ARM paths (case-insensitively, as ARM does) to
//! the state, stamps the ARM headers and logs the request.
//!
//! Routes (`{sub}`, `{rg}`, ... are path segments; keywords match in any case):
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}` | the workspace |
//! | GET | `.../workspaces/{ws}/computes` | list, paged with `$skip` and `nextLink` |
//! | GET, PUT, PATCH, DELETE | `.../workspaces/{ws}/computes/{name}` | one compute |
//! | POST | `.../workspaces/{ws}/computes/{name}/listKeys` | its secrets |
//! | POST | `.../workspaces/{ws}/computes/{name}/listNodes` | AmlCompute nodes (always none) |
//! | GET | `/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/locations/{loc}/computeOperationsStatus/{id}` | `Azure-AsyncOperation` status |
//! | GET | `.../locations/{loc}/computeOperationsResult/{id}` | `Location` poll |
//! | GET | `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters[/{name}]` | clusters |
//! | POST | `.../managedClusters/{name}/listClusterUserCredential` (and `...AdminCredential`) | kubeconfigs |
//! | GET | `.../managedClusters/{name}/agentPools` | agent pools |
//! | GET, PUT | `.../managedClusters/{name}/agentPools/{pool}` | one agent pool; PUT is long-running |
//! | GET | `/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/{loc}/operations/{id}` | agent pool `Azure-AsyncOperation` status |
//! | GET | `.../locations/{loc}/operationresults/{id}` | agent pool `Location` poll |
//! | GET | `/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/{loc}/kubernetesVersions` | versions |
//! | GET | `/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/{loc}/orchestrators` | versions, old shape |
//! | GET, PUT, DELETE | `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}` | one cluster; PUT and DELETE are long-running |
//! | GET | `/subscriptions/{sub}/providers/Microsoft.Network/locations/{loc}/serviceTags` | service tags (synthetic prefixes) |
//! | GET | `/subscriptions/{sub}` | the subscription |
//! | GET | `/subscriptions/{sub}/locations` | its locations, with paired regions |

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State as AxumState};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde::Serialize;
use time::OffsetDateTime;
use tokio::time::Instant;

use self::request::{api_version, authorize, decode, header, parse_query, request_host};
use crate::arm_error::{ArmError, code_for_status};
use crate::faults::{Fault, Faults, Throttled};
use crate::ids::IdSource;
use crate::listener::ConnectionHandle;
use crate::request_log::{LoggedRequest, RequestLog};
use crate::state::{Ctx, Provider, State, Timings};

pub(crate) mod admin;
mod clusters;
mod computes;
mod locations;
mod operations;
mod request;
mod versions;

/// The largest request body accepted.
const BODY_LIMIT: usize = 4 * 1024 * 1024;
/// What [`Fault::MalformedJson`] sends: plausible, and not JSON.
const MALFORMED: &[u8] =
    b"{\"id\": \"/subscriptions/\", \"properties\": {\"provisioningState\": Succeeded}";
const ML: &str = "Microsoft.MachineLearningServices";
const AKS: &str = "Microsoft.ContainerService";
const NETWORK: &str = "Microsoft.Network";
const ML_OPS: Provider = Provider::MachineLearning;
const AKS_OPS: Provider = Provider::ContainerService;

/// Everything the handlers share.
pub(crate) struct App {
    pub(crate) state: Mutex<State>,
    pub(crate) faults: Faults,
    pub(crate) log: RequestLog,
    pub(crate) ids: IdSource,
    /// The one bearer token accepted, if any.
    pub(crate) token: Option<String>,
    pub(crate) page_size: usize,
    pub(crate) timings: Timings,
    /// `http` or `https`.
    pub(crate) scheme: &'static str,
    /// `127.0.0.1:{port}`, for URLs when a request has no `Host`.
    pub(crate) authority: String,
}

impl App {
    /// The state, with every due operation finished.
    pub(crate) fn state(&self, now: Instant, time: OffsetDateTime) -> MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.advance(now, time);
        state
    }
}

/// An answer before the ARM headers are stamped on it.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    headers: Vec<(HeaderName, String)>,
    body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json<T: Serialize>(status: u16, value: &T) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_default();
        Self {
            status,
            headers: vec![(CONTENT_TYPE, "application/json; charset=utf-8".into())],
            body,
        }
    }

    pub(crate) fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    #[allow(
        clippy::needless_pass_by_value,
        reason = "used as `map_err(Reply::error)` and `unwrap_or_else(Reply::error)`"
    )]
    pub(crate) fn error(error: ArmError) -> Self {
        Self::json(error.status, &error.envelope())
    }

    #[must_use]
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers
            .push((HeaderName::from_static(name), value.into()));
        self
    }

    /// `Retry-After` (whole seconds, rounded up, at least 1) and `retry-after-ms`.
    #[must_use]
    fn retry_after(self, wait: Duration) -> Self {
        let millis = wait.as_millis().max(1);
        let seconds = millis.div_ceil(1000);
        self.header("retry-after", seconds.to_string())
            .header("retry-after-ms", millis.to_string())
    }

    fn into_response(self, ids: &RequestIds) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.append(name, value);
            }
        }
        let stamps = [
            ("x-ms-request-id", Some(&ids.request)),
            ("x-ms-correlation-request-id", Some(&ids.correlation)),
            ("x-ms-client-request-id", ids.client.as_ref()),
        ];
        for (name, value) in stamps {
            if let Some(value) = value.and_then(|value| HeaderValue::from_str(value).ok()) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        response
    }
}

impl From<ArmError> for Reply {
    fn from(error: ArmError) -> Self {
        Self::error(error)
    }
}

/// The ids stamped on a response.
struct RequestIds {
    request: String,
    correlation: String,
    client: Option<String>,
}

/// The entry point of every request.
pub(crate) async fn handle(
    AxumState(app): AxumState<Arc<App>>,
    ConnectInfo(connection): ConnectInfo<ConnectionHandle>,
    request: Request,
) -> Response {
    let started = std::time::Instant::now();
    let time = OffsetDateTime::now_utc();
    let (parts, body) = request.into_parts();
    let request = crate::ids::uuid();
    let ids = RequestIds {
        correlation: header(&parts.headers, "x-ms-correlation-request-id")
            .unwrap_or_else(|| request.clone()),
        client: header(&parts.headers, "x-ms-client-request-id"),
        request,
    };
    if admin::is_admin(parts.uri.path()) {
        return admin::handle(&app, &parts, body).await.into_response(&ids);
    }
    let (reply, fault) = arm(&app, &connection, &parts, body, time).await;
    let status = reply.as_ref().map(|reply| reply.status);
    tracing::info!(
        target: "aml_emulator",
        method = %parts.method,
        uri = %parts.uri,
        status = status.map_or_else(|| "reset".to_owned(), |status| status.to_string()),
        fault = fault.unwrap_or("-"),
        "request"
    );
    app.log.push(LoggedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        status,
        time,
        duration: started.elapsed(),
        request_id: ids.request.clone(),
        client_request_id: ids.client.clone(),
        fault: fault.map(str::to_owned),
    });
    // A killed connection writes nothing, so this response is never sent.
    reply.map_or_else(
        || Response::new(Body::empty()),
        |reply| reply.into_response(&ids),
    )
}

/// An ARM request: faults and throttling first, then the token, `api-version`, the route, and
/// the faults that spoil an answer. `None` means the connection was reset.
async fn arm(
    app: &App,
    connection: &ConnectionHandle,
    parts: &Parts,
    body: Body,
    time: OffsetDateTime,
) -> (Option<Reply>, Option<&'static str>) {
    let path = parts.uri.path();
    let fault = app.faults.take(parts.method.as_str(), path);
    let kind = fault.as_ref().map(Fault::kind);
    match &fault {
        Some(Fault::Delay { delay }) => tokio::time::sleep(*delay).await,
        Some(Fault::Throttle { retry_after }) => {
            let reply = Reply::error(ArmError::new(
                429,
                "TooManyRequests",
                format!(
                    "The request was throttled by an injected fault; retry after {} ms.",
                    retry_after.as_millis()
                ),
            ));
            return (Some(reply.retry_after(*retry_after)), kind);
        }
        Some(Fault::Status {
            status,
            retry_after,
        }) => {
            let status = if (400..600).contains(status) {
                *status
            } else {
                500
            };
            let mut reply = Reply::error(ArmError::new(
                status,
                code_for_status(status),
                format!("An injected fault answered {status}."),
            ));
            if let Some(wait) = retry_after {
                reply = reply.retry_after(*wait);
            }
            return (Some(reply), kind);
        }
        Some(Fault::Reset) => {
            connection.kill();
            return (None, kind);
        }
        _ => {}
    }
    let now = Instant::now();
    let write = !matches!(parts.method, Method::GET | Method::HEAD);
    let mut remaining = None;
    let subscription = subscription_of(path);
    match app.faults.throttle(&subscription, write, now) {
        Some(Throttled::Refused { retry_after }) => {
            let reply = Reply::error(ArmError::new(
                429,
                "SubscriptionRequestsThrottled",
                format!(
                    "Number of '{}' requests for subscription '{subscription}' exceeded. Please \
                     try again after '{}' seconds.",
                    if write { "write" } else { "read" },
                    retry_after.as_secs_f64().ceil()
                ),
            ));
            return (Some(reply.retry_after(retry_after)), Some("throttled"));
        }
        Some(Throttled::Allowed { remaining: left }) => remaining = Some(left),
        None => {}
    }
    let mut reply = match checked(app, parts, body, now, time).await {
        Ok(reply) | Err(reply) => reply,
    };
    if let Some(left) = remaining {
        let name = if write {
            "x-ms-ratelimit-remaining-subscription-writes"
        } else {
            "x-ms-ratelimit-remaining-subscription-reads"
        };
        reply = reply.header(name, left.to_string());
    }
    match fault {
        Some(Fault::MalformedJson) => MALFORMED.clone_into(&mut reply.body),
        Some(Fault::TruncatedJson) => {
            let half = reply.body.len() / 2;
            reply.body.truncate(half);
        }
        Some(Fault::ResetAfterHandling) => {
            connection.kill();
            return (None, kind);
        }
        _ => {}
    }
    (Some(reply), kind)
}

/// The subscription a path names (`""` when none).
fn subscription_of(path: &str) -> String {
    let mut segments = path.split('/').filter(|segment| !segment.is_empty());
    match (segments.next(), segments.next()) {
        (Some(keyword), Some(subscription)) if keyword.eq_ignore_ascii_case("subscriptions") => {
            decode(subscription, false)
        }
        _ => String::new(),
    }
}

/// A request the emulator received, parsed (the server side of what aml-arm sends).
struct Incoming {
    method: Method,
    /// The decoded path segments.
    segments: Vec<String>,
    /// The raw path, for `nextLink`.
    path: String,
    query: Vec<(String, String)>,
    api_version: String,
    body: Bytes,
    /// `scheme://host`, for URLs in answers.
    base: String,
    now: Instant,
    time: OffsetDateTime,
}

impl Incoming {
    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// The token and `api-version` checks, the body, then the route.
async fn checked(
    app: &App,
    parts: &Parts,
    body: Body,
    now: Instant,
    time: OffsetDateTime,
) -> Result<Reply, Reply> {
    authorize(app, &parts.headers)?;
    let query = parse_query(parts.uri.query().unwrap_or_default());
    let api_version = api_version(&query)?;
    let body = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        Reply::error(ArmError::new(
            413,
            "RequestEntityTooLarge",
            format!("The request body is larger than {BODY_LIMIT} bytes."),
        ))
    })?;
    let host = request_host(parts, &app.authority);
    let request = Incoming {
        method: parts.method.clone(),
        segments: parts
            .uri
            .path()
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(|segment| decode(segment, false))
            .collect(),
        path: parts.uri.path().to_owned(),
        query,
        api_version,
        body,
        base: format!("{}://{host}", app.scheme),
        now,
        time,
    };
    Ok(route(app, &request).unwrap_or_else(Reply::error))
}

/// What a state change needs from the request.
fn ctx<'a>(app: &'a App, request: &Incoming) -> Ctx<'a> {
    Ctx {
        now: request.now,
        time: request.time,
        ids: &app.ids,
        faults: &app.faults,
    }
}

fn is(segment: &str, keyword: &str) -> bool {
    segment.eq_ignore_ascii_case(keyword)
}

/// 404 for a path no route knows.
fn no_route(request: &Incoming) -> ArmError {
    ArmError::new(
        404,
        "NotFound",
        format!(
            "No HTTP resource was found that matches the request URI '{}'.",
            request.path
        ),
    )
}

/// 405 for a known path and an unknown method.
fn wrong_method(request: &Incoming) -> ArmError {
    ArmError::new(
        405,
        "MethodNotAllowed",
        format!(
            "The requested resource does not support http method '{}'.",
            request.method
        ),
    )
}

fn route(app: &App, request: &Incoming) -> Result<Reply, ArmError> {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        [s, subscription, g, group, p, namespace, rest @ ..]
            if is(s, "subscriptions") && is(g, "resourceGroups") && is(p, "providers") =>
        {
            if is(namespace, ML) {
                computes::workspace_route(app, request, subscription, group, rest)
            } else if is(namespace, AKS) {
                clusters::cluster_route(app, request, subscription, group, rest)
            } else {
                Err(no_route(request))
            }
        }
        [s, subscription, p, namespace, l, location, rest @ ..]
            if is(s, "subscriptions") && is(p, "providers") && is(l, "locations") =>
        {
            if request.method != Method::GET {
                return Err(wrong_method(request));
            }
            match rest {
                [kind, id] if is(namespace, ML) && is(kind, "computeOperationsStatus") => {
                    operations::operation_status(app, request, ML_OPS, subscription, id)
                }
                [kind, id] if is(namespace, ML) && is(kind, "computeOperationsResult") => {
                    operations::operation_result(app, request, ML_OPS, subscription, id)
                }
                [kind, id] if is(namespace, AKS) && is(kind, "operations") => {
                    operations::operation_status(app, request, AKS_OPS, subscription, id)
                }
                [kind, id] if is(namespace, AKS) && is(kind, "operationresults") => {
                    operations::operation_result(app, request, AKS_OPS, subscription, id)
                }
                [kind] if is(namespace, AKS) && is(kind, "kubernetesVersions") => {
                    versions::kubernetes_versions(app, request, subscription, location)
                }
                [kind] if is(namespace, AKS) && is(kind, "orchestrators") => {
                    versions::orchestrators(app, request, subscription, location)
                }
                [kind] if is(namespace, NETWORK) && is(kind, "serviceTags") => {
                    locations::service_tags(app, request, subscription, location)
                }
                _ => Err(no_route(request)),
            }
        }
        [s, subscription, rest @ ..] if is(s, "subscriptions") && rest.len() <= 1 => {
            let locations = match rest {
                [] => false,
                [l] if is(l, "locations") => true,
                _ => return Err(no_route(request)),
            };
            if request.method != Method::GET {
                return Err(wrong_method(request));
            }
            if locations {
                locations::locations(app, request, subscription)
            } else {
                locations::subscription(app, request, subscription)
            }
        }
        _ => Err(no_route(request)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_of_paths() {
        assert_eq!(
            subscription_of("/subscriptions/abc/resourceGroups/x"),
            "abc"
        );
        assert_eq!(subscription_of("/SUBSCRIPTIONS/a%2Db"), "a-b");
        assert_eq!(subscription_of("/providers/x"), "");
    }
}
