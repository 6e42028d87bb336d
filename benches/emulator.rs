//! aml-emulator benchmark: GET of one compute and list of a full page (20 computes), over HTTP
//! on 127.0.0.1, with 1, 8 and 64 concurrent clients sharing one reqwest client.
//!
//! ```text
//! cargo bench -p aml-benches --bench emulator
//! ```
//!
//! Target: at least 10,000 GETs/s on a 2-core machine, so the emulator is never the bottleneck
//! of the client benchmarks. Criterion reports the time per request and the throughput
//! (requests/s, all clients together). After the criterion groups, a table gives throughput and
//! per-request latency (p50, p99) for each case, next to a baseline measured in the same run: a
//! bare axum server answering a fixed 1 KiB JSON body to the same client, which is the cost of
//! HTTP on this machine before the emulator does any work.

#![allow(clippy::expect_used)] // benches may panic on broken fixtures

use std::sync::Arc;
use std::time::{Duration, Instant};

use aml_emulator::{Emulator, Timings};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use tokio::runtime::Runtime;

const API: &str = "api-version=2024-04-01";
const WORKSPACE: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/aml-rg/providers/Microsoft.MachineLearningServices/workspaces/aml-ws";
const CONCURRENCY: [u64; 3] = [1, 8, 64];
/// Requests per case in the latency table.
const SAMPLES: u64 = 4000;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(128)
        .build()
        .expect("client")
}

/// The emulator with one attached compute to GET and a full page of computes to list.
async fn emulator(client: &reqwest::Client) -> (Emulator, String, String) {
    let emulator = Emulator::builder()
        .timings(Timings::uniform(Duration::from_secs(3600)))
        .page_size(20)
        .request_log_capacity(0)
        .start()
        .await
        .expect("emulator");
    let attach = json!({"properties": {"computeType": "AKS", "resourceId":
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/aks-prod"}});
    let mut bodies = vec![("bench-get".to_owned(), attach)];
    bodies.extend((0..19).map(|index| {
        (
            format!("cpu-{index:02}"),
            json!({"properties": {"computeType": "AmlCompute", "properties": {"vmSize": "STANDARD_D2_V2"}}}),
        )
    }));
    for (name, body) in bodies {
        let status = client
            .put(emulator.url(&format!("{WORKSPACE}/computes/{name}?{API}")))
            .bearer_auth("bench")
            .json(&body)
            .send()
            .await
            .expect("put")
            .status();
        assert_eq!(status.as_u16(), 201, "{name}");
    }
    emulator.complete_operations();
    let get = emulator.url(&format!("{WORKSPACE}/computes/bench-get?{API}"));
    let list = emulator.url(&format!("{WORKSPACE}/computes?{API}"));
    (emulator, get, list)
}

/// A bare axum server answering a fixed JSON body: the cost of HTTP alone.
async fn baseline() -> (tokio::task::JoinHandle<()>, String) {
    let body = Arc::new(json!({"id": "x".repeat(1000)}).to_string());
    let app = axum::Router::new().fallback(move || {
        let body = Arc::clone(&body);
        async move {
            (
                [("content-type", "application/json; charset=utf-8")],
                body.as_str().to_owned(),
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    (task, format!("http://{addr}/baseline"))
}

/// `clients` tasks make `per_client` GETs each; returns every request's latency.
async fn load(client: &reqwest::Client, url: &str, clients: u64, per_client: u64) -> Vec<Duration> {
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let client = client.clone();
            let url = url.to_owned();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for _ in 0..per_client {
                    let started = Instant::now();
                    let response = client
                        .get(&url)
                        .bearer_auth("bench")
                        .send()
                        .await
                        .expect("request");
                    assert!(response.status().is_success());
                    response.bytes().await.expect("body");
                    latencies.push(started.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("client task"));
    }
    all
}

/// The time of `iters` requests spread over `clients`, for criterion.
fn timed(
    runtime: &Runtime,
    client: &reqwest::Client,
    url: &str,
    clients: u64,
    iters: u64,
) -> Duration {
    let per_client = iters.div_ceil(clients).max(1);
    let started = Instant::now();
    runtime.block_on(load(client, url, clients, per_client));
    #[allow(clippy::cast_precision_loss, reason = "request counts are small")]
    let share = iters as f64 / (per_client * clients) as f64;
    started.elapsed().mul_f64(share)
}

/// Requests/s, p50 and p99 of one case.
fn measure(
    runtime: &Runtime,
    client: &reqwest::Client,
    url: &str,
    clients: u64,
) -> (f64, Duration, Duration) {
    let per_client = SAMPLES.div_ceil(clients);
    let started = Instant::now();
    let mut latencies = runtime.block_on(load(client, url, clients, per_client));
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |quantile: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index into a few thousand samples"
        )]
        let index = ((latencies.len() as f64 - 1.0) * quantile).round() as usize;
        latencies[index]
    };
    #[allow(clippy::cast_precision_loss, reason = "request counts are small")]
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    (rate, at(0.5), at(0.99))
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = client();
    let (emulator, get, list) = runtime.block_on(emulator(&client));
    let (baseline_task, baseline) = runtime.block_on(baseline());

    for (name, url) in [("emulator_get", &get), ("emulator_list", &list)] {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(1));
        for clients in CONCURRENCY {
            group.bench_function(BenchmarkId::new("clients", clients), |b| {
                b.iter_custom(|iters| timed(&runtime, &client, url, clients, iters));
            });
        }
        group.finish();
    }

    println!(
        "\n{:<16}{:>8}{:>12}{:>10}{:>10}{:>12}",
        "case", "clients", "req/s", "p50", "p99", "vs bare"
    );
    for clients in CONCURRENCY {
        let (bare, bare_p50, bare_p99) = measure(&runtime, &client, &baseline, clients);
        println!(
            "{:<16}{clients:>8}{bare:>12.0}{:>10.1?}{:>10.1?}{:>12}",
            "bare axum", bare_p50, bare_p99, "1.00x"
        );
        for (name, url) in [("emulator get", &get), ("emulator list", &list)] {
            let (rate, p50, p99) = measure(&runtime, &client, url, clients);
            println!(
                "{name:<16}{clients:>8}{rate:>12.0}{p50:>10.1?}{p99:>10.1?}{:>11.2}x",
                rate / bare
            );
        }
    }
    baseline_task.abort();
    drop(emulator);
}

criterion_group!(benches, bench);
criterion_main!(benches);
