//! Per-request overhead of `aml_arm::ArmClient` against a bare `reqwest` GET of the same URL,
//! at 1 and 64 concurrent requests, plus a long-running-operation timing check, both against
//! `aml-emulator` (the local ARM emulator) on 127.0.0.1, served by its own one-worker runtime.
//! Run with:
//!
//! ```text
//! cargo bench -p aml-benches --bench arm -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! The GET is of one AKS compute the bench creates first. After criterion's report it prints
//! the overhead ratio (ArmClient time / reqwest time) measured in the same run, interleaved (over
//! all rounds, and the median over blocks of rounds), and checks that a create whose server work takes T = 300 ms returns within T + one poll interval
//! (100 ms, from the emulator's `retry-after-ms`) with exactly the polls the hints imply, counted
//! in the emulator's request log.

#![allow(clippy::unwrap_used, reason = "a bench may panic on a broken setup")]

use std::time::{Duration, Instant};

use aml_arm::{ArmClient, ArmClientOptions, Cloud};
use aml_emulator::{Emulator, STANDARD_RESOURCE_GROUP, STANDARD_SUBSCRIPTION, STANDARD_WORKSPACE};
use criterion::Criterion;

/// The emulator's compute api-version.
const API_VERSION: &str = "2024-04-01";
const TOKEN: &str = "bench-token";
/// The compute every GET reads.
const COMPUTE: &str = "bench-aks";
const LRO_WORK: Duration = Duration::from_millis(300);
const POLL_HINT: Duration = Duration::from_millis(100);

fn compute(name: &str) -> String {
    format!(
        "/subscriptions/{STANDARD_SUBSCRIPTION}/resourceGroups/{STANDARD_RESOURCE_GROUP}\
         /providers/Microsoft.MachineLearningServices/workspaces/{STANDARD_WORKSPACE}/computes/{name}"
    )
}

/// A new AKS compute with a new cluster (the emulator's defaults: 3 x Standard_D3_v2).
fn create_body() -> serde_json::Value {
    serde_json::json!({ "properties": { "computeType": "AKS" } })
}

fn clients(emu: &Emulator) -> (reqwest::Client, ArmClient) {
    clients_with(emu, aml_arm::Timeouts::default())
}

fn clients_with(emu: &Emulator, timeouts: aml_arm::Timeouts) -> (reqwest::Client, ArmClient) {
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .no_proxy()
        .build()
        .unwrap();
    let arm = ArmClient::new(
        aml_arm::StaticTokenCredential::new(TOKEN),
        ArmClientOptions {
            cloud: Cloud::custom(emu.base_url(), "https://management.azure.com/.default").unwrap(),
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
            .bearer_auth(TOKEN)
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
            .bearer_auth(TOKEN)
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

async fn arm_round(arm: &ArmClient, target: &str, concurrency: usize) {
    let calls = (0..concurrency).map(|_| {
        arm.send(
            http::Request::get(target)
                .body(aml_model::request::Body::default())
                .unwrap(),
        )
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
}

fn bench_get(c: &mut Criterion, rt: &tokio::runtime::Runtime, emu: &Emulator) {
    let (bare, arm) = clients(emu);
    let target = compute(COMPUTE);
    let url = emu.url(&format!("{target}?api-version={API_VERSION}"));
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
                        arm_round(&arm, &target, concurrency).await;
                    }
                    start.elapsed()
                })
            });
        });
    }
    group.finish();
}

/// Interleaved rounds of both clients; the ratio of their total times, and the median of the
/// ratios of blocks of rounds (robust to bursts of load from other processes on the machine).
fn ratios(rt: &tokio::runtime::Runtime, emu: &Emulator) {
    // Each variant has its own client, so each connection pool is used equally often.
    let (bare, arm) = clients(emu);
    let (bare_headers, _) = clients(emu);
    let (_, arm_no_try_timer) = clients_with(
        emu,
        aml_arm::Timeouts {
            per_try: None,
            ..aml_arm::Timeouts::default()
        },
    );
    let target = compute(COMPUTE);
    let url = emu.url(&format!("{target}?api-version={API_VERSION}"));
    // (concurrency, rounds, rounds per block)
    for (concurrency, rounds, block) in [(1usize, 10_000u32, 250u32), (64, 300, 20)] {
        let mut t = [Duration::ZERO; 4];
        let mut blocks: Vec<[Duration; 4]> = Vec::new();
        rt.block_on(async {
            // Warm the pools.
            bare_round(&bare, &url, concurrency).await;
            headers_round(&bare_headers, &url, concurrency).await;
            arm_round(&arm, &target, concurrency).await;
            arm_round(&arm_no_try_timer, &target, concurrency).await;
            for i in 0..rounds {
                if i % block == 0 {
                    blocks.push([Duration::ZERO; 4]);
                }
                // Rotate the order, so drift and cache effects cancel out.
                for k in 0..4 {
                    let which = (k + i as usize) % 4;
                    let s = Instant::now();
                    match which {
                        0 => bare_round(&bare, &url, concurrency).await,
                        1 => headers_round(&bare_headers, &url, concurrency).await,
                        2 => arm_round(&arm, &target, concurrency).await,
                        _ => arm_round(&arm_no_try_timer, &target, concurrency).await,
                    }
                    let took = s.elapsed();
                    t[which] += took;
                    if let Some(current) = blocks.last_mut() {
                        current[which] += took;
                    }
                }
            }
        });
        let n = f64::from(rounds);
        let us = |d: Duration| d.as_secs_f64() * 1e6 / n;
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        let median = |of: usize, to: usize| {
            let mut r: Vec<f64> = blocks.iter().map(|b| ratio(b[of], b[to])).collect();
            r.sort_by(f64::total_cmp);
            r[r.len() / 2]
        };
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
        println!(
            "{concurrency:>2} concurrent, median of {} blocks of {block} rounds: aml-arm {:.3}x, per_try None {:.3}x; vs same headers: {:.3}x, {:.3}x",
            blocks.len(),
            median(2, 0),
            median(3, 0),
            median(2, 1),
            median(3, 1),
        );
    }
}

/// A create whose server work takes `LRO_WORK` returns within `LRO_WORK` + one poll interval,
/// with exactly the polls the `retry-after-ms` hints imply, counted in the emulator's log.
fn lro_check(rt: &tokio::runtime::Runtime, emu: &Emulator) {
    let (_, arm) = clients(emu);
    // Polls at 100, 200, 300 ms (each after its hint): the third sees the work done.
    let expected_polls =
        usize::try_from(LRO_WORK.as_millis().div_ceil(POLL_HINT.as_millis())).unwrap();
    for i in 0..3 {
        let name = format!("lro-{i}");
        emu.requests().clear();
        let start = Instant::now();
        rt.block_on(async {
            arm.begin_put(&compute(&name), &create_body())
                .await
                .unwrap()
                .wait()
                .await
                .unwrap();
        });
        let took = start.elapsed();
        let log = emu.requests();
        let polls = log.count("GET", "/computeOperationsStatus/");
        let puts = log.count("PUT", &format!("/computes/{name}"));
        let gets = log.count("GET", &format!("/computes/{name}"));
        println!(
            "lro {i}: server work {LRO_WORK:?}, returned after {took:.1?} (bound {:?}), {polls} polls (expected {expected_polls}), {puts} PUT, {gets} final GET",
            LRO_WORK + POLL_HINT
        );
        assert!(took >= LRO_WORK && took <= LRO_WORK + POLL_HINT, "{took:?}");
        assert_eq!(polls, expected_polls);
        assert_eq!((puts, gets), (1, 1));
        assert_eq!(log.len(), 1 + expected_polls + 1);
    }
}

fn main() {
    // The emulators run on their own one-worker runtime (their thread), the clients on this
    // thread's runtime, as the minimal server of earlier versions did.
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (get_emu, lro_emu) = server.block_on(async {
        let get_emu = Emulator::builder()
            .token(TOKEN)
            .operation_duration(Duration::from_millis(20))
            .retry_after(Duration::from_millis(5))
            .start()
            .await
            .unwrap();
        let lro_emu = Emulator::builder()
            .token(TOKEN)
            .operation_duration(LRO_WORK)
            .retry_after(POLL_HINT)
            .start()
            .await
            .unwrap();
        (get_emu, lro_emu)
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The compute every GET reads.
    rt.block_on(async {
        let (_, arm) = clients(&get_emu);
        arm.begin_put(&compute(COMPUTE), &create_body())
            .await
            .unwrap()
            .wait()
            .await
            .unwrap();
    });
    let mut c = Criterion::default().configure_from_args();
    bench_get(&mut c, &rt, &get_emu);
    c.final_summary();
    ratios(&rt, &get_emu);
    lro_check(&rt, &lro_emu);
    drop((get_emu, lro_emu));
}
