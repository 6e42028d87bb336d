//! Drives a fresh in-process emulator with a short script of raw HTTP requests.
//!
//! The emulator crate exposes no `Router`, only [`Emulator::builder`]`().start()`, which binds
//! 127.0.0.1; so the requests go over loopback TCP. Every input gets its own emulator (standard
//! seed, operations that finish at once), so a crash reproduces from the input alone.
//!
//! # Input format
//!
//! Requests are separated by a line `~~~`. Each is written like HTTP/1.1 without the version:
//!
//! ```text
//! PUT /subscriptions/.../computes/web?api-version=2024-04-01
//! x-ms-client-request-id: abc
//!
//! {"properties": {"computeType": "AKS"}}
//! ~~~
//! GET /subscriptions/.../computes/web?api-version=2024-04-01
//! ```
//!
//! The driver adds `Host`, `Content-Length`, `Connection: close` and, unless the request names
//! one, `Authorization: Bearer fuzz`; it percent-encodes bytes of the target that cannot appear
//! in a request line. A `Host` header given by the input replaces the default one.
//!
//! # Properties checked
//!
//! - no panic in the emulator (libFuzzer's panic hook aborts on a panic in any thread) and an
//!   answer to every request within [`ANSWER_TIMEOUT`];
//! - when the script never touches the admin endpoint (so no fault or throttling is armed): no
//!   5xx, and every error answer with a body is the ARM error envelope with a code.

use std::sync::OnceLock;
use std::time::Duration;

use aml_emulator::{Emulator, Fault, FaultRule};
use aml_model::wire::ErrorResponse;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;

/// The most requests one input sends.
pub const MAX_REQUESTS: usize = 8;
/// How long one request may take before the input counts as a hang.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// Injected `delay` faults longer than this are not sent (they would only make the run slow).
const MAX_DELAY: Duration = Duration::from_millis(20);
/// The line between two requests.
pub const SEPARATOR: &[u8] = b"\n~~~\n";

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime starts")
    })
}

/// One request of the script, ready to write.
struct Request {
    bytes: Vec<u8>,
    admin: bool,
    label: String,
}

/// Runs one input: a fresh emulator, the requests in order, the checks above.
pub fn run(data: &[u8]) {
    if data.is_empty() {
        return;
    }
    runtime().block_on(async move {
        let emulator = Emulator::builder()
            .operation_duration(Duration::ZERO)
            .retry_after(Duration::from_millis(1))
            .request_log_capacity(64)
            .start()
            .await
            .expect("the emulator starts");
        let addr = emulator.addr();
        let host = format!("127.0.0.1:{}", addr.port());
        let requests: Vec<Request> = entries(data)
            .take(MAX_REQUESTS)
            .filter_map(|entry| build(entry, &host))
            .collect();
        let faults_possible = requests.iter().any(|request| request.admin);
        for request in &requests {
            let answer = tokio::time::timeout(ANSWER_TIMEOUT, exchange(addr, &request.bytes))
                .await
                .unwrap_or_else(|_| {
                    panic!("no answer within {ANSWER_TIMEOUT:?} to {}", request.label)
                });
            let Some((status, body)) = answer else {
                continue;
            };
            if !faults_possible {
                check(status, &body, &request.label);
            }
        }
        emulator.shutdown().await;
    });
}

/// The ARM contract of an answer when no fault is armed.
fn check(status: u16, body: &[u8], label: &str) {
    assert!(
        status < 500,
        "{status} without an injected fault for {label}: {}",
        String::from_utf8_lossy(body)
    );
    if status >= 400 && !body.is_empty() {
        let envelope: ErrorResponse = serde_json::from_slice(body).unwrap_or_else(|e| {
            panic!(
                "{status} for {label} is not the ARM error envelope ({e}): {}",
                String::from_utf8_lossy(body)
            )
        });
        assert!(
            envelope
                .error
                .as_ref()
                .and_then(|e| e.code.as_ref())
                .is_some(),
            "{status} for {label} has no error code: {}",
            String::from_utf8_lossy(body)
        );
    }
}

/// Writes one request on a new connection and reads the answer to the end; `None` when the
/// connection broke (a reset fault, or a request hyper refused before the emulator saw it).
async fn exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> Option<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr)
        .await
        .expect("connect to 127.0.0.1");
    stream.write_all(bytes).await.ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.ok()?;
    let head_end = crate::find(&answer, b"\r\n\r\n")?;
    let head = std::str::from_utf8(&answer[..head_end]).ok()?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let chunked = head.lines().any(|line| {
        line.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        Vec::new()
    } else {
        answer[head_end + 4..].to_vec()
    };
    Some((status, body))
}

/// Turns one script entry into bytes on the wire.
fn build(entry: &[u8], default_host: &str) -> Option<Request> {
    let (head, body) = match crate::find(entry, b"\n\n") {
        Some(at) => (&entry[..at], &entry[at + 2..]),
        None => (entry, &entry[entry.len()..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let request_line = lines.next()?;
    let (method, target) = match crate::find(request_line, b" ") {
        Some(at) => (&request_line[..at], &request_line[at + 1..]),
        None => (&b"GET"[..], request_line),
    };
    let method: Vec<u8> = method.iter().copied().filter(|&b| is_tchar(b)).collect();
    let method = if method.is_empty() {
        b"GET".to_vec()
    } else {
        method
    };
    let mut target = encode_target(target);
    if target.is_empty() {
        target.push(b'/');
    }
    if is_long_delay(body) {
        return None;
    }
    let label = format!(
        "{} {}",
        String::from_utf8_lossy(&method),
        String::from_utf8_lossy(&target)
    );
    let admin = label.to_ascii_lowercase().contains("_emulator");

    let mut bytes = Vec::with_capacity(entry.len() + 128);
    bytes.extend_from_slice(&method);
    bytes.push(b' ');
    bytes.extend_from_slice(&target);
    bytes.extend_from_slice(b" HTTP/1.1\r\n");
    let mut host = None;
    let mut authorization = false;
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name: Vec<u8> = line[..colon]
            .iter()
            .copied()
            .filter(|&b| is_tchar(b))
            .collect();
        let value: Vec<u8> = line[colon + 1..]
            .iter()
            .copied()
            .filter(|&b| b != b'\r' && b != 0)
            .collect();
        if name.is_empty() {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        match lower.as_slice() {
            b"content-length" | b"connection" | b"transfer-encoding" | b"expect" | b"upgrade" => {
                continue;
            }
            b"host" => {
                host = Some(value);
                continue;
            }
            b"authorization" => authorization = true,
            _ => {}
        }
        bytes.extend_from_slice(&name);
        bytes.extend_from_slice(b":");
        bytes.extend_from_slice(&value);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"Host: ");
    match host {
        Some(host) => bytes.extend_from_slice(&host),
        None => bytes.extend_from_slice(default_host.as_bytes()),
    }
    bytes.extend_from_slice(b"\r\n");
    if !authorization {
        bytes.extend_from_slice(b"Authorization: Bearer fuzz\r\n");
    }
    bytes.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    bytes.extend_from_slice(b"Connection: close\r\n\r\n");
    bytes.extend_from_slice(body);
    Some(Request {
        bytes,
        admin,
        label,
    })
}

/// A `delay` fault rule that would hold a request longer than [`MAX_DELAY`]; parsed exactly as
/// the admin endpoint parses it.
fn is_long_delay(body: &[u8]) -> bool {
    matches!(
        serde_json::from_slice::<FaultRule>(body),
        Ok(FaultRule { fault: Fault::Delay { delay }, .. }) if delay > MAX_DELAY
    )
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Percent-encodes what cannot appear in a request target (spaces, controls, non-ASCII).
fn encode_target(target: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(target.len());
    for &b in target {
        if (0x21..0x7f).contains(&b) && b != b'#' {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    out
}

/// The script's entries: `data` split at every [`SEPARATOR`].
fn entries(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let current = rest?;
        match crate::find(current, SEPARATOR) {
            Some(at) => {
                rest = Some(&current[at + SEPARATOR.len()..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}
