//! Hostile clients: requests whose headers hold absurd values, written byte by byte over a raw
//! TCP connection (no HTTP library would build them). Every one gets a well-formed answer (the
//! normal one, an ARM error envelope, or hyper's own 400/431 for a head it cannot parse) and the
//! emulator keeps serving.

use std::time::Duration;

use aml_emulator::{ADMIN_PREFIX, Emulator, LoggedRequest};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::support::{API, Env, frozen};

/// One raw exchange's answer.
#[derive(Debug)]
struct RawAnswer {
    status: u16,
    /// Header lines, names lower-cased, values as bytes.
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl RawAnswer {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// An ARM error envelope with a code.
    fn arm_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an ARM error: {self:?}"))
            .to_owned()
    }
}

/// Sends `head` (request line and headers, each line ending in CRLF, without the blank line)
/// and `body` with `connection: close`, and reads the whole answer. `None` when the emulator
/// closed the connection without answering. Bounded: 10 s.
async fn exchange(emulator: &Emulator, head: &[u8], body: &[u8]) -> Option<RawAnswer> {
    let mut socket = TcpStream::connect(emulator.addr()).await.unwrap();
    let mut request = head.to_vec();
    request.extend_from_slice(b"connection: close\r\n\r\n");
    request.extend_from_slice(body);
    // The emulator may answer (and close) before reading everything: ignore write errors.
    let _ = socket.write_all(&request).await;
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "no answer within 10 s");
    parse(&out)
}

fn parse(bytes: &[u8]) -> Option<RawAnswer> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = &bytes[..end];
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status_line = std::str::from_utf8(lines.next()?).unwrap();
    assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
    let status = status_line[9..12].parse().unwrap();
    let headers: Vec<(String, Vec<u8>)> = lines
        .filter_map(|l| {
            let colon = l.iter().position(|&b| b == b':')?;
            let name = String::from_utf8_lossy(&l[..colon]).to_ascii_lowercase();
            Some((name, l[colon + 1..].trim_ascii().to_vec()))
        })
        .collect();
    let mut body = bytes[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case(b"chunked"));
    if chunked {
        body = unchunk(&body);
    }
    Some(RawAnswer {
        status,
        headers,
        body,
    })
}

fn unchunk(mut bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = bytes.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&bytes[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&bytes[eol + 2..eol + 2 + size]);
        bytes = &bytes[eol + 2 + size + 2..];
    }
    out
}

fn get_workspace(headers: &[&[u8]]) -> Vec<u8> {
    let mut head = format!(
        "GET {}?{API} HTTP/1.1\r\nhost: 127.0.0.1\r\n",
        Env::workspace()
    )
    .into_bytes();
    for h in headers {
        head.extend_from_slice(h);
        head.extend_from_slice(b"\r\n");
    }
    head
}

/// The emulator still answers a plain request, and its request log still reads back.
async fn assert_still_serving(emulator: &Emulator) {
    let head = get_workspace(&[b"authorization: Bearer t"]);
    let answer = exchange(emulator, &head, b"").await.unwrap();
    assert_eq!(answer.status, 200, "{answer:?}");
    let log = format!("GET {ADMIN_PREFIX}/requests HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    let answer = exchange(emulator, log.as_bytes(), b"").await.unwrap();
    assert_eq!(answer.status, 200);
    serde_json::from_slice::<Vec<LoggedRequest>>(&answer.body).unwrap();
}

#[tokio::test]
async fn absurd_request_id_and_hint_headers_get_the_normal_answer() {
    let env = Env::start().await;
    let long_id = format!("x-ms-client-request-id: {}", "c".repeat(8 * 1024));
    let cases: Vec<Vec<u8>> = vec![
        b"x-ms-client-request-id: \xff\xfe".to_vec(),
        b"x-ms-correlation-request-id: \xff\xfe\x80".to_vec(),
        long_id.clone().into_bytes(),
        b"x-ms-correlation-request-id: ".to_vec(),
        b"retry-after: 1e30".to_vec(),
        b"retry-after-ms: -inf".to_vec(),
        b"x-ms-retry-after-ms: 99999999999999999999".to_vec(),
        b"content-type: \xff\xfe".to_vec(),
        b"accept: \xff".to_vec(),
        b"if-match: \"\xff\"".to_vec(),
    ];
    for case in &cases {
        let head = get_workspace(&[b"authorization: Bearer t", case]);
        let answer = exchange(&env.emulator, &head, b"").await.unwrap();
        let what = case.escape_ascii().to_string();
        assert_eq!(answer.status, 200, "{what}: {answer:?}");
        assert!(answer.json()["name"].is_string(), "{what}");
        assert!(answer.header("x-ms-request-id").is_some(), "{what}");
    }
    // A text client request id is echoed, however long; bytes that are not text are not.
    let head = get_workspace(&[b"authorization: Bearer t", long_id.as_bytes()]);
    let answer = exchange(&env.emulator, &head, b"").await.unwrap();
    assert_eq!(
        answer.header("x-ms-client-request-id").map(<[u8]>::len),
        Some(8 * 1024)
    );
    let head = get_workspace(&[b"authorization: Bearer t", b"x-ms-client-request-id: \xff"]);
    let answer = exchange(&env.emulator, &head, b"").await.unwrap();
    assert_eq!(answer.header("x-ms-client-request-id"), None);
    assert_still_serving(&env.emulator).await;
}

#[tokio::test]
async fn absurd_authorization_headers_get_a_401_envelope() {
    let emulator = Emulator::builder().token("s3cret").start().await.unwrap();
    let huge = format!("authorization: Bearer {}", "t".repeat(64 * 1024));
    for case in [
        &b"authorization: Bearer \xff\xfe"[..],
        b"authorization: \xc3\xa9",
        b"authorization: Bearer",
        b"authorization: Bear",
        b"authorization: ",
        b"authorization: Bearer s3cret\xff",
        huge.as_bytes(),
    ] {
        let head = get_workspace(&[case]);
        let answer = exchange(&emulator, &head, b"").await.unwrap();
        let what = case.escape_ascii().to_string();
        let what = &what[..what.len().min(80)];
        assert_eq!(answer.status, 401, "{what}: {answer:?}");
        assert!(
            ["AuthenticationFailed", "InvalidAuthenticationToken"]
                .contains(&answer.arm_code().as_str()),
            "{what}"
        );
    }
    // Two Authorization headers: the first counts.
    let head = get_workspace(&[b"authorization: Bearer s3cret", b"authorization: Bearer x"]);
    assert_eq!(exchange(&emulator, &head, b"").await.unwrap().status, 200);
    assert_still_serving_with(&emulator, "s3cret").await;
}

async fn assert_still_serving_with(emulator: &Emulator, token: &str) {
    let auth = format!("authorization: Bearer {token}");
    let head = get_workspace(&[auth.as_bytes()]);
    assert_eq!(exchange(emulator, &head, b"").await.unwrap().status, 200);
}

/// A hostile `Host` cannot reshape the URLs the emulator hands out: they stay on its address.
#[tokio::test]
async fn a_hostile_host_does_not_reach_the_urls_in_answers() {
    let env = Env::with(Emulator::builder().timings(frozen())).await;
    let body = json!({"properties": {"computeType": "AmlCompute", "properties": {"vmSize": "STANDARD_D2_V2"}}})
        .to_string();
    let own = format!("http://{}/", env.emulator.addr());
    let cases: [&[u8]; 6] = [
        b"evil.example/x?",
        b"user@evil.example",
        b"\xff\xfe",
        b"evil.example:99999999999999999999",
        b"evil.example#",
        b"a b",
    ];
    for (i, host) in cases.into_iter().enumerate() {
        let mut head = format!(
            "PUT {}?{API} HTTP/1.1\r\nauthorization: Bearer t\r\ncontent-type: application/json\r\ncontent-length: {}\r\nhost: ",
            Env::compute(&format!("hostile{i}")),
            body.len()
        )
        .into_bytes();
        head.extend_from_slice(host);
        head.extend_from_slice(b"\r\n");
        let what = host.escape_ascii().to_string();
        let answer = exchange(&env.emulator, &head, body.as_bytes())
            .await
            .unwrap();
        assert_eq!(answer.status, 201, "{what}: {answer:?}");
        let operation = answer.header("azure-asyncoperation").unwrap();
        assert!(
            operation.starts_with(own.as_bytes()),
            "{what}: {}",
            operation.escape_ascii()
        );
    }
    assert_still_serving(&env.emulator).await;
}

/// Heads hyper cannot take (absurd lengths, bytes no header may hold, too many or too large
/// headers): hyper's own 400 or 431, and the emulator keeps serving.
#[tokio::test]
async fn unparsable_heads_are_refused_and_the_emulator_keeps_serving() {
    let env = Env::start().await;
    let many: Vec<u8> = (0..500)
        .flat_map(|i| format!("x-h{i}: v\r\n").into_bytes())
        .collect();
    let big = format!("x-big: {}\r\n", "b".repeat(1 << 20)).into_bytes();
    let cases: Vec<Vec<u8>> = vec![
        b"content-length: 99999999999999999999\r\n".to_vec(),
        b"content-length: -1\r\n".to_vec(),
        b"content-length: 1\r\ncontent-length: 2\r\n".to_vec(),
        b"transfer-encoding: \xff\r\n".to_vec(),
        b"x-bad\xff: v\r\n".to_vec(),
        b"x-ctl: a\x01b\r\n".to_vec(),
        many,
        big,
    ];
    for case in cases {
        let mut head = format!(
            "PUT {}?{API} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer t\r\n",
            Env::compute("x")
        )
        .into_bytes();
        head.extend_from_slice(&case);
        let what = case.escape_ascii().to_string();
        let what = &what[..what.len().min(80)];
        let answer = exchange(&env.emulator, &head, b"{}").await.unwrap();
        // hyper's own answer: 431 for too many or too large headers, 400 for the rest.
        assert!(
            matches!(answer.status, 400 | 431) && answer.body.is_empty(),
            "{what}: {answer:?}"
        );
        assert_still_serving(&env.emulator).await;
    }
}

/// The admin endpoint's own inputs: absurd durations and rates are refused with an envelope or
/// taken as given, never a panic; and the request log reads back whatever was logged.
#[tokio::test]
async fn absurd_admin_values_are_refused_or_taken_never_a_panic() {
    let env = Env::start().await;
    let post = |path: &str, method: &str, text: &str| {
        let text = text.to_owned();
        let head = format!(
            "{method} {ADMIN_PREFIX}/{path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
            text.len()
        );
        (head, text)
    };
    let nan = r#"{"reads": {"capacity": 1, "refillPerSecond": NaN},
                  "writes": {"capacity": 1, "refillPerSecond": 1}}"#;
    let overflow = r#"{"reads": {"capacity": 1, "refillPerSecond": 1e400},
                       "writes": {"capacity": 99999999999, "refillPerSecond": 1}}"#;
    for (path, method, body) in [
        (
            "faults",
            "POST",
            json!({"fault": {"kind": "throttle", "retryAfterMs": 1e30}}).to_string(),
        ),
        (
            "faults",
            "POST",
            json!({"fault": {"kind": "throttle", "retryAfterMs": -1}}).to_string(),
        ),
        (
            "faults",
            "POST",
            json!({"fault": {"kind": "delay", "delayMs": "soon"}}).to_string(),
        ),
        (
            "faults",
            "POST",
            json!({"fault": {"kind": "status", "status": 70000}}).to_string(),
        ),
        ("throttling", "PUT", nan.to_owned()),
        ("throttling", "PUT", overflow.to_owned()),
    ] {
        let (head, text) = post(path, method, &body);
        let answer = exchange(&env.emulator, head.as_bytes(), text.as_bytes())
            .await
            .unwrap();
        assert_eq!(answer.status, 400, "{path} {body}: {answer:?}");
        answer.arm_code();
    }
    // The largest wait a fault can hold is advertised as it is (the client caps it).
    let (head, text) = post(
        "faults",
        "POST",
        &json!({"fault": {"kind": "throttle", "retryAfterMs": u64::MAX}, "method": "GET"})
            .to_string(),
    );
    let answer = exchange(&env.emulator, head.as_bytes(), text.as_bytes())
        .await
        .unwrap();
    assert_eq!(answer.status, 201, "{answer:?}");
    let head = get_workspace(&[b"authorization: Bearer t"]);
    let answer = exchange(&env.emulator, &head, b"").await.unwrap();
    assert_eq!(answer.status, 429, "{answer:?}");
    assert_eq!(
        answer.header("retry-after-ms"),
        Some(u64::MAX.to_string().as_bytes())
    );
    // Rates no bucket can have: an instant refill for reads, a negative one for writes.
    let (head, text) = post(
        "throttling",
        "PUT",
        &json!({"reads": {"capacity": 1, "refillPerSecond": 1e308},
               "writes": {"capacity": 0, "refillPerSecond": -1e308}})
        .to_string(),
    );
    let answer = exchange(&env.emulator, head.as_bytes(), text.as_bytes())
        .await
        .unwrap();
    assert_eq!(answer.status, 204, "{answer:?}");
    // The throttling just set (an instant refill for reads, none at all for writes) answers.
    let head = get_workspace(&[b"authorization: Bearer t"]);
    assert_eq!(
        exchange(&env.emulator, &head, b"").await.unwrap().status,
        200
    );
    let put = format!(
        "PUT {}?{API} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer t\r\ncontent-length: 2\r\n",
        Env::compute("x")
    )
    .into_bytes();
    let answer = exchange(&env.emulator, &put, b"{}").await.unwrap();
    assert_eq!(answer.status, 429, "{answer:?}");
    let hint = std::str::from_utf8(answer.header("retry-after").unwrap()).unwrap();
    assert_eq!(hint, "3600");
    assert_still_serving(&env.emulator).await;
}
