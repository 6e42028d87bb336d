//! A raw HTTP/1.1 server for the hostile-server tests: each answer is written as bytes, so
//! header values can hold anything hyper accepts on the wire.

#![allow(
    clippy::unwrap_used,
    reason = "test server: a failure here is a test failure"
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aml_arm::{ArmClient, ArmClientOptions, Cloud};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{API_VERSION, TestCredential};

/// What the raw server does with one request.
pub(crate) enum Raw {
    /// Write these bytes, then close.
    Bytes(Vec<u8>),
    /// Write this head (status line and headers, blank line included), then a chunked body one
    /// byte every 10 ms, forever.
    Endless(Vec<u8>),
}

/// The request line and headers of one request, as text.
type Handler = dyn Fn(usize, &str) -> Raw + Send + Sync;

pub(crate) struct RawServer {
    pub(crate) base: String,
    pub(crate) heads: Arc<Mutex<Vec<String>>>,
}

impl RawServer {
    /// Answers each request (by 0-based index and head) with what `handler` says.
    pub(crate) async fn start(
        handler: impl Fn(usize, &str) -> Raw + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let heads = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let counter = Arc::new(AtomicUsize::new(0));
        let log = Arc::clone(&heads);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (handler, counter, log) =
                    (Arc::clone(&handler), Arc::clone(&counter), Arc::clone(&log));
                tokio::spawn(async move { serve(socket, &*handler, &counter, &log).await });
            }
        });
        Self { base, heads }
    }

    /// Requests received so far.
    pub(crate) fn count(&self) -> usize {
        self.heads.lock().unwrap().len()
    }

    pub(crate) fn client(&self, edit: impl FnOnce(&mut ArmClientOptions)) -> ArmClient {
        let mut options = ArmClientOptions {
            cloud: Cloud::custom(&self.base, "https://management.azure.com/.default").unwrap(),
            api_version: Some(API_VERSION.to_owned()),
            ..ArmClientOptions::default()
        };
        edit(&mut options);
        ArmClient::new(TestCredential::new(), options).unwrap()
    }
}

async fn serve(
    mut socket: TcpStream,
    handler: &Handler,
    counter: &AtomicUsize,
    log: &Mutex<Vec<String>>,
) {
    // The head, then the body (by content-length), so the client sees a complete exchange.
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let len: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut have = buf.len() - end - 4;
    while have < len {
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => have += n,
        }
    }
    let index = counter.fetch_add(1, Ordering::SeqCst);
    log.lock().unwrap().push(head.clone());
    match handler(index, &head) {
        Raw::Bytes(bytes) => {
            socket.write_all(&bytes).await.ok();
            socket.shutdown().await.ok();
        }
        Raw::Endless(head) => {
            if socket.write_all(&head).await.is_err() {
                return;
            }
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                if socket.write_all(b"1\r\n{\r\n").await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A response with these raw headers and body (`content-length` and `connection: close` added).
pub(crate) fn response(status: u16, headers: &[(&str, &[u8])], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    )
    .into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

pub(crate) fn json_response(
    status: u16,
    headers: &[(&str, &[u8])],
    body: &serde_json::Value,
) -> Vec<u8> {
    let mut all = vec![("content-type", &b"application/json"[..])];
    all.extend_from_slice(headers);
    response(status, &all, body.to_string().as_bytes())
}

pub(crate) fn ok() -> Raw {
    Raw::Bytes(json_response(200, &[], &json!({ "name": "ws" })))
}
