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
//! | GET | `/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/{loc}/kubernetesVersions` | versions |
//! | GET | `/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/{loc}/orchestrators` | versions, old shape |

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use aml_model::wire::{ComputeResource, PaginatedComputeResourcesList};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State as AxumState};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use axum::http::request::Parts;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde::Serialize;
use time::OffsetDateTime;
use tokio::time::Instant;

use crate::arm_error::{ArmError, code_for_status};
use crate::faults::{Fault, Faults, Throttled};
use crate::ids::IdSource;
use crate::listener::ConnectionHandle;
use crate::request_log::{LoggedRequest, RequestLog};
use crate::state::{Ctx, DeleteAction, OperationRef, Progress, State, Timings, WorkspacePath};

pub(crate) mod admin;

/// The largest request body accepted.
const BODY_LIMIT: usize = 4 * 1024 * 1024;
/// What [`Fault::MalformedJson`] sends: plausible, and not JSON.
const MALFORMED: &[u8] =
    b"{\"id\": \"/subscriptions/\", \"properties\": {\"provisioningState\": Succeeded}";
const ML: &str = "Microsoft.MachineLearningServices";
const AKS: &str = "Microsoft.ContainerService";

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

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
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
    let request = app.ids.uuid();
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

/// A parsed ARM request.
struct ArmRequest {
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

impl ArmRequest {
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
    let request = ArmRequest {
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

/// The longest `Host` used in answers' URLs (a DNS name is at most 253 bytes, plus a port).
const MAX_HOST_LEN: usize = 270;

/// The host the request names (its `Host` header, else its URI's authority) for the URLs in
/// answers (`nextLink`, `Azure-AsyncOperation`, `Location`); `fallback` (the emulator's own
/// address) when it names none usable. Usable means an authority and nothing else (`host` or
/// `host:port`): a hostile `Host` (`evil/x?`, `user@host`, non-ASCII, kilobytes) cannot reshape
/// those URLs.
fn request_host(parts: &Parts, fallback: &str) -> String {
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
fn authorize(app: &App, headers: &HeaderMap) -> Result<(), Reply> {
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
fn api_version(query: &[(String, String)]) -> Result<String, Reply> {
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
fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key, true), decode(value, true))
        })
        .collect()
}

/// Percent-decoding; `plus` turns `+` into a space (query strings).
fn decode(text: &str, plus: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' => {
                let hex = bytes
                    .get(index + 1..index + 3)
                    .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok());
                if let Some(byte) = hex {
                    out.push(byte);
                    index += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' if plus => out.push(b' '),
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is(segment: &str, keyword: &str) -> bool {
    segment.eq_ignore_ascii_case(keyword)
}

/// 404 for a path no route knows.
fn no_route(request: &ArmRequest) -> ArmError {
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
fn wrong_method(request: &ArmRequest) -> ArmError {
    ArmError::new(
        405,
        "MethodNotAllowed",
        format!(
            "The requested resource does not support http method '{}'.",
            request.method
        ),
    )
}

fn route(app: &App, request: &ArmRequest) -> Result<Reply, ArmError> {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        [s, subscription, g, group, p, namespace, rest @ ..]
            if is(s, "subscriptions") && is(g, "resourceGroups") && is(p, "providers") =>
        {
            if is(namespace, ML) {
                workspace_route(app, request, subscription, group, rest)
            } else if is(namespace, AKS) {
                cluster_route(app, request, subscription, group, rest)
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
                    operation_status(app, request, subscription, id)
                }
                [kind, id] if is(namespace, ML) && is(kind, "computeOperationsResult") => {
                    operation_result(app, request, subscription, id)
                }
                [kind] if is(namespace, AKS) && is(kind, "kubernetesVersions") => {
                    let state = app.state(request.now, request.time);
                    state.subscription(subscription)?;
                    Ok(Reply::json(
                        200,
                        &state.versions.kubernetes_versions(location),
                    ))
                }
                [kind] if is(namespace, AKS) && is(kind, "orchestrators") => {
                    let state = app.state(request.now, request.time);
                    let id = state.subscription(subscription)?.id.clone();
                    Ok(Reply::json(
                        200,
                        &state.versions.orchestrators(&id, location),
                    ))
                }
                _ => Err(no_route(request)),
            }
        }
        _ => Err(no_route(request)),
    }
}

/// The compute routes under a workspace.
fn workspace_route(
    app: &App,
    request: &ArmRequest,
    subscription: &str,
    resource_group: &str,
    rest: &[&str],
) -> Result<Reply, ArmError> {
    let (workspace, rest) = match rest {
        [w, workspace, rest @ ..] if is(w, "workspaces") => (*workspace, rest),
        _ => return Err(no_route(request)),
    };
    let path = WorkspacePath {
        subscription,
        resource_group,
        workspace,
    };
    let method = &request.method;
    match rest {
        [] if method == Method::GET => {
            let state = app.state(request.now, request.time);
            Ok(Reply::json(200, &state.workspace_get(&path)?))
        }
        [c] if is(c, "computes") && method == Method::GET => list_computes(app, request, &path),
        [c, name] if is(c, "computes") => match *method {
            Method::GET => {
                let state = app.state(request.now, request.time);
                Ok(Reply::json(200, &state.compute_get(&path, name)?))
            }
            Method::PUT => put_compute(app, request, &path, name),
            Method::PATCH => patch_compute(app, request, &path, name),
            Method::DELETE => delete_compute(app, request, &path, name),
            _ => Err(wrong_method(request)),
        },
        [c, name, action] if is(c, "computes") && is(action, "listKeys") => {
            if *method != Method::POST {
                return Err(wrong_method(request));
            }
            let state = app.state(request.now, request.time);
            Ok(Reply::json(200, &state.compute_keys(&path, name)?))
        }
        [c, name, action] if is(c, "computes") && is(action, "listNodes") => {
            if *method != Method::POST {
                return Err(wrong_method(request));
            }
            let state = app.state(request.now, request.time);
            Ok(Reply::json(200, &state.compute_nodes(&path, name)?))
        }
        [] => Err(wrong_method(request)),
        [c] if is(c, "computes") => Err(wrong_method(request)),
        _ => Err(no_route(request)),
    }
}

fn list_computes(
    app: &App,
    request: &ArmRequest,
    path: &WorkspacePath<'_>,
) -> Result<Reply, ArmError> {
    let state = app.state(request.now, request.time);
    let after = request.query("$skip").map(str::to_lowercase);
    let (value, next) = state.compute_list(path, after.as_deref(), app.page_size)?;
    let page = PaginatedComputeResourcesList {
        value: Some(value),
        next_link: next.map(|token| {
            format!(
                "{}{}?api-version={}&$skip={}",
                request.base, request.path, request.api_version, token
            )
        }),
        ..Default::default()
    };
    Ok(Reply::json(200, &page))
}

fn ctx<'a>(app: &'a App, request: &ArmRequest) -> Ctx<'a> {
    Ctx {
        now: request.now,
        time: request.time,
        ids: &app.ids,
        faults: &app.faults,
    }
}

/// The URL of an operation's status (`computeOperationsStatus`) or result
/// (`computeOperationsResult`).
fn operation_url(request: &ArmRequest, operation: &OperationRef, kind: &str) -> String {
    format!(
        "{}/subscriptions/{}/providers/{ML}/locations/{}/{kind}/{}?api-version={}",
        request.base, operation.subscription, operation.location, operation.id, request.api_version
    )
}

/// `reply` announcing a running operation: its `Azure-AsyncOperation` status URL and the
/// advertised wait.
fn with_async_operation(
    reply: Reply,
    app: &App,
    request: &ArmRequest,
    operation: &OperationRef,
) -> Reply {
    reply
        .header(
            "azure-asyncoperation",
            operation_url(request, operation, "computeOperationsStatus"),
        )
        .retry_after(app.timings.retry_after)
}

fn put_compute(
    app: &App,
    request: &ArmRequest,
    path: &WorkspacePath<'_>,
    name: &str,
) -> Result<Reply, ArmError> {
    if request.body.is_empty() {
        return Err(ArmError::invalid_content("the request body is empty"));
    }
    let body: ComputeResource =
        serde_json::from_slice(&request.body).map_err(ArmError::invalid_content)?;
    let mut state = app.state(request.now, request.time);
    let (resource, operation, _created) =
        state.compute_put(&ctx(app, request), path, name, &body)?;
    Ok(with_async_operation(
        Reply::json(201, &resource),
        app,
        request,
        &operation,
    ))
}

fn patch_compute(
    app: &App,
    request: &ArmRequest,
    path: &WorkspacePath<'_>,
    name: &str,
) -> Result<Reply, ArmError> {
    let body: serde_json::Value =
        serde_json::from_slice(&request.body).map_err(ArmError::invalid_content)?;
    let mut state = app.state(request.now, request.time);
    let (resource, operation) = state.compute_patch(&ctx(app, request), path, name, &body)?;
    Ok(with_async_operation(
        Reply::json(200, &resource),
        app,
        request,
        &operation,
    ))
}

fn delete_compute(
    app: &App,
    request: &ArmRequest,
    path: &WorkspacePath<'_>,
    name: &str,
) -> Result<Reply, ArmError> {
    let action = request
        .query("underlyingResourceAction")
        .and_then(DeleteAction::parse)
        .ok_or_else(|| {
            ArmError::bad_request(
                "The query parameter 'underlyingResourceAction' is required and must be 'Delete' \
                 or 'Detach'.",
            )
            .with_target("underlyingResourceAction")
        })?;
    let mut state = app.state(request.now, request.time);
    match state.compute_delete(&ctx(app, request), path, name, action)? {
        None => Ok(Reply::empty(204)),
        Some(operation) => Ok(with_async_operation(
            Reply::empty(202).header(
                "location",
                operation_url(request, &operation, "computeOperationsResult"),
            ),
            app,
            request,
            &operation,
        )),
    }
}

fn operation_status(
    app: &App,
    request: &ArmRequest,
    subscription: &str,
    id: &str,
) -> Result<Reply, ArmError> {
    let state = app.state(request.now, request.time);
    let operation = state.operation(subscription, id)?;
    let id_path = format!(
        "/subscriptions/{}/providers/{ML}/locations/{}/computeOperationsStatus/{}",
        operation.subscription, operation.location, operation.id
    );
    let reply = Reply::json(200, &operation.status_body(request.now, id_path));
    Ok(match operation.progress() {
        Progress::Running => reply.retry_after(app.timings.retry_after),
        Progress::Done(_) => reply,
    })
}

fn operation_result(
    app: &App,
    request: &ArmRequest,
    subscription: &str,
    id: &str,
) -> Result<Reply, ArmError> {
    use crate::state::Ending;

    let state = app.state(request.now, request.time);
    let operation = state.operation(subscription, id)?;
    match operation.progress() {
        Progress::Running => Ok(Reply::empty(202)
            .header(
                "location",
                operation_url(request, &operation.reference(), "computeOperationsResult"),
            )
            .retry_after(app.timings.retry_after)),
        Progress::Done(Ending::Succeeded) => Ok(Reply::empty(204)),
        Progress::Done(Ending::Failed(status, error)) => Err(ArmError {
            status,
            detail: Box::new(error),
        }),
        Progress::Done(Ending::Canceled) => Err(ArmError::new(
            409,
            "OperationCanceled",
            format!("The operation '{id}' was canceled."),
        )),
    }
}

/// The managed cluster routes under a resource group.
fn cluster_route(
    app: &App,
    request: &ArmRequest,
    subscription: &str,
    resource_group: &str,
    rest: &[&str],
) -> Result<Reply, ArmError> {
    let state = app.state(request.now, request.time);
    let method = &request.method;
    match rest {
        [m] if is(m, "managedClusters") => {
            if *method != Method::GET {
                return Err(wrong_method(request));
            }
            let value = state.cluster_list(subscription, resource_group)?;
            Ok(Reply::json(200, &serde_json::json!({ "value": value })))
        }
        [m, name] if is(m, "managedClusters") => {
            if *method != Method::GET {
                return Err(wrong_method(request));
            }
            Ok(Reply::json(
                200,
                &state.cluster_get(subscription, resource_group, name)?,
            ))
        }
        [m, name, action] if is(m, "managedClusters") => {
            let admin = if is(action, "listClusterUserCredential") {
                false
            } else if is(action, "listClusterAdminCredential") {
                true
            } else {
                return Err(no_route(request));
            };
            if *method != Method::POST {
                return Err(wrong_method(request));
            }
            Ok(Reply::json(
                200,
                &state.cluster_credentials(subscription, resource_group, name, admin)?,
            ))
        }
        _ => Err(no_route(request)),
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
