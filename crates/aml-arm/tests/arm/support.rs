//! A scripted HTTP/1.1 server on 127.0.0.1 and a counting credential.
//!
//! The server is a raw `TcpListener` so a script can also reset a connection or never answer.
//! It records every request it receives, so tests can assert on what was (not) sent.

#![allow(
    clippy::unwrap_used,
    reason = "test support: a failure here is a test failure"
)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aml_arm::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use aml_arm::{ArmClient, ArmClientOptions, Cloud};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The token every test credential hands out; no log, error or `Debug` may contain it.
pub(crate) const TOKEN: &str =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.secret-test-token.c2lnbmF0dXJl";

pub(crate) const API_VERSION: &str = "2024-10-01";

#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: Vec<u8>,
}

impl Recorded {
    pub(crate) fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// `"GET /path"`, for asserting on sequences.
    pub(crate) fn line(&self) -> String {
        format!("{} {}", self.method, self.path())
    }
}

enum Kind {
    Respond,
    Reset,
    Hang,
}

pub(crate) struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    kind: Kind,
}

impl Reply {
    pub(crate) fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
            kind: Kind::Respond,
        }
    }

    pub(crate) fn json(status: u16, body: &serde_json::Value) -> Self {
        Self::status(status)
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    /// An ARM error envelope.
    pub(crate) fn arm_error(status: u16, code: &str, message: &str) -> Self {
        Self::json(
            status,
            &serde_json::json!({ "error": { "code": code, "message": message } }),
        )
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub(crate) fn body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }

    /// Read the request, then close the connection with a TCP reset.
    pub(crate) fn reset() -> Self {
        Self {
            kind: Kind::Reset,
            ..Self::status(0)
        }
    }

    /// Read the request and never answer.
    pub(crate) fn hang() -> Self {
        Self {
            kind: Kind::Hang,
            ..Self::status(0)
        }
    }
}

type Handler = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    /// Starts a server whose `handler` gets each request and its 0-based index.
    pub(crate) async fn start(
        handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::start_based(move |_, r, i| handler(r, i)).await
    }

    /// Like [`Server::start`]; the handler also gets the server's base URL (`http://127.0.0.1:port`)
    /// for absolute links in headers and bodies.
    pub(crate) async fn start_based(
        handler: impl Fn(&str, &Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(move |r: &Recorded, i| handler(&base, r, i));
        let counter = Arc::new(AtomicUsize::new(0));
        let task_log = Arc::clone(&log);
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let (log, handler, counter) = (
                    Arc::clone(&task_log),
                    Arc::clone(&handler),
                    Arc::clone(&counter),
                );
                tokio::spawn(async move {
                    serve(socket, &log, &*handler, &counter).await;
                });
            }
        });
        Self { addr, log }
    }

    /// A server that answers 200 `{}` to everything (a second, "foreign" host).
    pub(crate) async fn start_ok() -> Self {
        Self::start(|_, _| Reply::json(200, &serde_json::json!({}))).await
    }

    pub(crate) fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    pub(crate) fn lines(&self) -> Vec<String> {
        self.requests().iter().map(Recorded::line).collect()
    }

    pub(crate) fn count(&self) -> usize {
        self.log.lock().unwrap().len()
    }
}

async fn serve(
    mut socket: TcpStream,
    log: &Mutex<Vec<Recorded>>,
    handler: &Handler,
    counter: &AtomicUsize,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or("").split(' ');
    let method = request_line.next().unwrap_or("").to_owned();
    let target = request_line.next().unwrap_or("").to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let recorded = Recorded {
        method,
        target,
        headers,
        body,
    };
    let index = counter.fetch_add(1, Ordering::SeqCst);
    log.lock().unwrap().push(recorded.clone());
    let reply = handler(&recorded, index);
    match reply.kind {
        Kind::Reset => {
            socket.set_zero_linger().ok();
            drop(socket);
        }
        Kind::Hang => {
            futures::future::pending::<()>().await;
        }
        Kind::Respond => {
            let mut out = format!(
                "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                reply.status,
                reply.body.len()
            );
            for (k, v) in &reply.headers {
                let _ = write!(out, "{k}: {v}\r\n");
            }
            out.push_str("\r\n");
            out.push_str(&reply.body);
            socket.write_all(out.as_bytes()).await.ok();
            socket.shutdown().await.ok();
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A credential that counts its calls and hands out [`TOKEN`] (suffixed by the call number when
/// `numbered`), valid for `lifetime`, after `delay`.
#[derive(Debug)]
pub(crate) struct TestCredential {
    pub(crate) calls: AtomicU32,
    pub(crate) lifetime: time::Duration,
    pub(crate) delay: Duration,
    pub(crate) fail: bool,
}

impl TestCredential {
    pub(crate) fn new() -> Arc<Self> {
        Self::with(time::Duration::hours(1), Duration::ZERO)
    }

    pub(crate) fn with(lifetime: time::Duration, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicU32::new(0),
            lifetime,
            delay,
            fail: false,
        })
    }

    pub(crate) fn failing() -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicU32::new(0),
            lifetime: time::Duration::hours(1),
            delay: Duration::ZERO,
            fail: true,
        })
    }

    pub(crate) fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl TokenCredential for TestCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        assert_eq!(scopes, ["https://management.azure.com/.default"]);
        self.calls.fetch_add(1, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if self.fail {
            return Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                "test credential refuses",
            ));
        }
        Ok(AccessToken::new(
            TOKEN,
            time::OffsetDateTime::now_utc() + self.lifetime,
        ))
    }
}

/// Client options for a scripted server, with a fixed api-version.
pub(crate) fn options(server: &Server) -> ArmClientOptions {
    ArmClientOptions {
        cloud: Cloud::custom(&server.base(), "https://management.azure.com/.default").unwrap(),
        api_version: Some(API_VERSION.to_owned()),
        ..ArmClientOptions::default()
    }
}

pub(crate) fn client(server: &Server) -> ArmClient {
    ArmClient::new(TestCredential::new(), options(server)).unwrap()
}

pub(crate) fn client_with(
    server: &Server,
    credential: Arc<TestCredential>,
    edit: impl FnOnce(&mut ArmClientOptions),
) -> ArmClient {
    let mut o = options(server);
    edit(&mut o);
    ArmClient::new(credential, o).unwrap()
}

/// `GET target`, as the client takes it.
pub(crate) fn get(target: impl AsRef<str>) -> aml_model::request::Request {
    http::Request::get(target.as_ref())
        .body(aml_model::request::Body::default())
        .unwrap()
}

/// `method target` with `body` as JSON.
pub(crate) fn json_request(
    method: http::Method,
    target: impl AsRef<str>,
    body: &serde_json::Value,
) -> aml_model::request::Request {
    http::Request::builder()
        .method(method)
        .uri(target.as_ref())
        .body(aml_model::request::Body::json(body).unwrap())
        .unwrap()
}

/// Per-call options on a request, as callers attach them: in its extensions.
pub(crate) trait WithOptions: Sized {
    fn options(self, options: aml_arm::RequestOptions) -> Self;

    fn with_header(self, name: &'static str, value: &'static str) -> Self;

    fn api_version(self, api_version: &str) -> Self {
        self.options(aml_arm::RequestOptions {
            api_version: Some(api_version.to_owned()),
            ..aml_arm::RequestOptions::default()
        })
    }
}

impl WithOptions for aml_model::request::Request {
    fn options(mut self, options: aml_arm::RequestOptions) -> Self {
        self.extensions_mut().insert(options);
        self
    }

    fn with_header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers_mut()
            .append(name, http::HeaderValue::from_static(value));
        self
    }
}
