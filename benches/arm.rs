//! Per-request overhead of `aml_arm::ArmClient` against a bare `reqwest` GET of the same URL,
//! at 1 and 64 concurrent requests, plus a long-running-operation timing check.
//!
//! `aml-emulator` does not exist yet, so this benchmarks against a minimal axum server started
//! in this file on 127.0.0.1 (its own one-worker runtime). Run with:
//!
//! ```text
//! cargo bench -p aml-benches --bench arm -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! After criterion's report it prints the overhead ratio (ArmClient time / reqwest time)
//! measured in the same run, interleaved, and checks that a create whose server work takes
//! T = 300 ms returns within T + one poll interval (100 ms, from `retry-after-ms`) with exactly
//! the polls the hints imply.

#![allow(clippy::unwrap_used, reason = "a bench may panic on a broken setup")]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aml_arm::{ArmClient, ArmClientOptions, ArmRequest, Cloud};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use criterion::Criterion;

const API_VERSION: &str = "2024-10-01";
const RESOURCE: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/aks1";
const LRO_WORK: Duration = Duration::from_millis(300);
const POLL_HINT_MS: u64 = 100;

#[derive(Debug)]
struct StaticCredential;

#[async_trait::async_trait]
impl TokenCredential for StaticCredential {
    async fn get_token(
        &self,
        _: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            "bench-token",
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

#[derive(Clone, Default)]
struct Lro {
    started: Arc<Mutex<HashMap<String, (Instant, u32)>>>,
}

fn resource_body() -> String {
    serde_json::json!({
        "id": RESOURCE,
        "name": "aks1",
        "type": "Microsoft.MachineLearningServices/workspaces/computes",
        "location": "westeurope",
        "properties": {
            "computeType": "AKS",
            "provisioningState": "Succeeded",
            "properties": { "agentCount": 3, "agentVmSize": "Standard_D3_v2", "clusterPurpose": "FastProd" }
        }
    })
    .to_string()
}

fn json_response(
    status: StatusCode,
    body: String,
    extra: &[(&'static str, String)],
) -> (StatusCode, HeaderMap, String) {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert(
        "x-ms-request-id",
        HeaderValue::from_static("00000000-0000-0000-0000-00000000beef"),
    );
    for (k, v) in extra {
        headers.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    (status, headers, body)
}

fn start_server(lro: Lro) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let body = resource_body();
            let app = Router::new()
                .route(
                    "/subscriptions/{*rest}",
                    get(move || {
                        let body = body.clone();
                        async move { json_response(StatusCode::OK, body, &[]) }
                    }),
                )
                .route("/lro/{id}", get(lro_get).put(lro_put))
                .route("/ops/{id}", get(op_get))
                .with_state(lro);
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

async fn lro_put(
    State(lro): State<Lro>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> impl IntoResponse {
    lro.started
        .lock()
        .unwrap()
        .insert(id.clone(), (Instant::now(), 0));
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    json_response(
        StatusCode::CREATED,
        r#"{"properties":{"provisioningState":"Creating"}}"#.to_owned(),
        &[
            (
                "azure-asyncoperation",
                format!("http://{host}/ops/{id}?api-version={API_VERSION}"),
            ),
            ("retry-after-ms", POLL_HINT_MS.to_string()),
        ],
    )
}

async fn op_get(State(lro): State<Lro>, Path(id): Path<String>) -> impl IntoResponse {
    let mut map = lro.started.lock().unwrap();
    let entry = map.get_mut(&id).unwrap();
    entry.1 += 1;
    if entry.0.elapsed() >= LRO_WORK {
        json_response(StatusCode::OK, r#"{"status":"Succeeded"}"#.to_owned(), &[])
    } else {
        json_response(
            StatusCode::OK,
            r#"{"status":"InProgress"}"#.to_owned(),
            &[("retry-after-ms", POLL_HINT_MS.to_string())],
        )
    }
}

async fn lro_get() -> impl IntoResponse {
    json_response(StatusCode::OK, resource_body(), &[])
}

fn clients(addr: SocketAddr) -> (reqwest::Client, ArmClient) {
    clients_with(addr, aml_arm::Timeouts::default())
}

fn clients_with(addr: SocketAddr, timeouts: aml_arm::Timeouts) -> (reqwest::Client, ArmClient) {
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .no_proxy()
        .build()
        .unwrap();
    let arm = ArmClient::new(
        Arc::new(StaticCredential),
        ArmClientOptions {
            cloud: Cloud::custom(
                &format!("http://{addr}"),
                "https://management.azure.com/.default",
            )
            .unwrap(),
            api_version: Some(API_VERSION.to_owned()),
            timeouts,
            ..ArmClientOptions::default()
        },
    )
    .unwrap();
    (bare, arm)
}

async fn bare_round(bare: &reqwest::Client, url: &str, concurrency: usize) {
    let calls = (0..concurrency).map(|_| async {
        let r = bare
            .get(url)
            .bearer_auth("bench-token")
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap()
    });
    futures::future::join_all(calls).await;
}

/// Like `bare_round`, with the headers `ArmClient` adds (user agent, request ids), so the
/// server does the same work: what remains is the client's own overhead.
async fn headers_round(bare: &reqwest::Client, url: &str, concurrency: usize) {
    let calls = (0..concurrency).map(|_| async {
        let r = bare
            .get(url)
            .bearer_auth("bench-token")
            .header("accept", "application/json")
            .header("user-agent", "aml-arm/0.1.0 (rust; linux; x86_64)")
            .header(
                "x-ms-client-request-id",
                "0b0c3a5e-8f5d-4c7e-9a3b-2d1e4f6a7b8c",
            )
            .header("x-ms-return-client-request-id", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap()
    });
    futures::future::join_all(calls).await;
}

async fn arm_round(arm: &ArmClient, concurrency: usize) {
    let calls = (0..concurrency).map(|_| arm.send(ArmRequest::get(RESOURCE)));
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
}

fn bench_get(c: &mut Criterion, rt: &tokio::runtime::Runtime, addr: SocketAddr) {
    let (bare, arm) = clients(addr);
    let url = format!("http://{addr}{RESOURCE}?api-version={API_VERSION}");
    let mut group = c.benchmark_group("arm_get");
    for concurrency in [1usize, 64] {
        group.bench_function(format!("reqwest/{concurrency}"), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        bare_round(&bare, &url, concurrency).await;
                    }
                    start.elapsed()
                })
            });
        });
        group.bench_function(format!("aml_arm/{concurrency}"), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        arm_round(&arm, concurrency).await;
                    }
                    start.elapsed()
                })
            });
        });
    }
    group.finish();
}

/// Interleaved rounds of both clients; the ratio of their total times.
fn ratios(rt: &tokio::runtime::Runtime, addr: SocketAddr) {
    // Each variant has its own client, so each connection pool is used equally often.
    let (bare, arm) = clients(addr);
    let (bare_headers, _) = clients(addr);
    let (_, arm_no_try_timer) = clients_with(
        addr,
        aml_arm::Timeouts {
            per_try: None,
            ..aml_arm::Timeouts::default()
        },
    );
    let url = format!("http://{addr}{RESOURCE}?api-version={API_VERSION}");
    for (concurrency, rounds) in [(1usize, 4000u32), (64, 300)] {
        let mut t = [Duration::ZERO; 4];
        rt.block_on(async {
            // Warm the pools.
            bare_round(&bare, &url, concurrency).await;
            headers_round(&bare_headers, &url, concurrency).await;
            arm_round(&arm, concurrency).await;
            arm_round(&arm_no_try_timer, concurrency).await;
            for i in 0..rounds {
                // Rotate the order, so drift and cache effects cancel out.
                for k in 0..4 {
                    let which = (k + i as usize) % 4;
                    let s = Instant::now();
                    match which {
                        0 => bare_round(&bare, &url, concurrency).await,
                        1 => headers_round(&bare_headers, &url, concurrency).await,
                        2 => arm_round(&arm, concurrency).await,
                        _ => arm_round(&arm_no_try_timer, concurrency).await,
                    }
                    t[which] += s.elapsed();
                }
            }
        });
        let n = f64::from(rounds);
        let us = |d: Duration| d.as_secs_f64() * 1e6 / n;
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        println!(
            "{concurrency:>2} concurrent, us/round: reqwest {:.1} | reqwest + same headers {:.1} | aml-arm {:.1} | aml-arm, per_try None {:.1}",
            us(t[0]),
            us(t[1]),
            us(t[2]),
            us(t[3]),
        );
        println!(
            "{concurrency:>2} concurrent, ratio vs plain reqwest GET (target <= 1.15x): aml-arm {:.3}x, per_try None {:.3}x; vs same headers: {:.3}x, {:.3}x",
            ratio(t[2], t[0]),
            ratio(t[3], t[0]),
            ratio(t[2], t[1]),
            ratio(t[3], t[1]),
        );
    }
}

/// A create whose server work takes `LRO_WORK` returns within `LRO_WORK` + one poll interval,
/// with exactly the polls the `retry-after-ms` hints imply.
fn lro_check(rt: &tokio::runtime::Runtime, addr: SocketAddr, lro: &Lro) {
    let (_, arm) = clients(addr);
    let hint = Duration::from_millis(POLL_HINT_MS);
    // Polls at 100, 200, 300 ms: the third sees the work done.
    let expected_polls = u32::try_from(LRO_WORK.as_millis().div_ceil(hint.as_millis())).unwrap();
    for i in 0..3 {
        let id = format!("op{i}");
        let start = Instant::now();
        rt.block_on(async {
            arm.begin_put(&format!("/lro/{id}"), &serde_json::json!({}))
                .await
                .unwrap()
                .wait()
                .await
                .unwrap();
        });
        let took = start.elapsed();
        let polls = lro.started.lock().unwrap()[&id].1;
        println!(
            "lro {i}: server work {LRO_WORK:?}, returned after {took:.1?} (bound {:?}), {polls} polls (expected {expected_polls})",
            LRO_WORK + hint
        );
        assert!(took >= LRO_WORK && took <= LRO_WORK + hint, "{took:?}");
        assert_eq!(polls, expected_polls);
    }
}

fn main() {
    let lro = Lro::default();
    let addr = start_server(lro.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut c = Criterion::default().configure_from_args();
    bench_get(&mut c, &rt, addr);
    c.final_summary();
    ratios(&rt, addr);
    lro_check(&rt, addr, &lro);
}
