//! Seeded fault soak of the whole compute lifecycle.
//!
//! Several tokio tasks drive create / attach / update / detach (and delete) lifecycles at once,
//! through ONE `ArmClient` and `Workspace`, against the in-process emulator on 127.0.0.1, while
//! faults chosen from a seed are injected: 429 storms with `Retry-After`, 5xx bursts, connection
//! resets before and after the request was handled, slow responses (some beyond the per-try
//! timeout), operations that end `Failed` or `Canceled`, malformed and truncated JSON. The run is
//! split into phases; after each phase and at the end the emulator's state and request log are
//! checked against the invariants listed on [`Soak::final_checks`].
//!
//! The seed is printed, and CI uses a fixed one. `SOAK_SEED` (decimal or `0x` hex) replays a
//! run: every lifecycle draws its plan (create or attach, which cluster, which faults before
//! which step) from its own stream of the seed. The tasks' interleaving is the scheduler's, so
//! which task meets a fault aimed at a shared path, and so the branches a lifecycle takes, can
//! still differ between two runs of one seed:
//!
//! ```text
//! SOAK_SEED=42 cargo test -p aml-compute --test soak -- --nocapture
//! SOAK_SEED=42 cargo test -p aml-compute --test soak -- --ignored --nocapture
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support

mod checks;
mod faults;
mod lifecycles;
mod phases;
mod record;
mod rng;
mod setup;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aml_compute::Workspace;
use aml_emulator::Emulator;
use aml_model::wire::ClusterPurpose;

use crate::record::{Call, Lro};
use crate::rng::{Rng, seed};
use crate::setup::{arm, decoy};
/// The only bearer token the emulator accepts; it must never show up anywhere else.
pub(crate) const TOKEN: &str = "soak-bearer-7c1e5a9f2d4b";
/// The seed CI uses, so that what is injected is the same on every run.
pub(crate) const DEFAULT_SEED: u64 = 0x00A1_2025_50A4;
/// The clusters attach lifecycles contend for, and the purpose each one can serve (R8).
pub(crate) const CONTENDED: [(&str, ClusterPurpose); 3] = [
    ("aks-prod", ClusterPurpose::FastProd),
    ("aks-gpu", ClusterPurpose::FastProd),
    ("aks-dev", ClusterPurpose::DevTest),
];
/// The client's limit for one try; some injected delays are longer.
pub(crate) const PER_TRY: Duration = Duration::from_millis(250);
/// The error code of the compute the emulator breaks when its cluster is attached again (R10).
pub(crate) const ATTACHED_ELSEWHERE: &str = "ClusterAttachedElsewhere";

/// How big a soak is.
#[derive(Debug, Clone, Copy)]
struct Size {
    phases: u32,
    tasks: u32,
    lifecycles_per_task: u32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_fault_soak() {
    run(Size {
        phases: 3,
        tasks: 6,
        lifecycles_per_task: 4,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long soak: run with --ignored"]
async fn seeded_fault_soak_long() {
    run(Size {
        phases: 8,
        tasks: 8,
        lifecycles_per_task: 10,
    })
    .await;
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The shared state of one soak: the one workspace (and so the one ARM client) every task uses,
/// the emulator, and everything recorded.
pub(crate) struct Soak {
    pub(crate) ws: Workspace,
    pub(crate) emu: Emulator,
    pub(crate) seed: u64,
    pub(crate) calls: Mutex<Vec<Call>>,
    pub(crate) lros: Mutex<Vec<Lro>>,
    pub(crate) injected: Mutex<BTreeMap<&'static str, u32>>,
    /// Create and attach lifecycle names, lower case.
    pub(crate) create_names: Mutex<BTreeSet<String>>,
    pub(crate) attach_names: Mutex<BTreeSet<String>>,
    /// Attach names whose compute may exist: what the R10 monitor samples.
    pub(crate) live_attach: Mutex<BTreeSet<String>>,
    /// Every time a cluster was seen attached under two names, described once.
    pub(crate) double_attachments: Mutex<BTreeSet<String>>,
    /// Create names whose create the library reported done.
    pub(crate) created: Mutex<BTreeSet<String>>,
    /// Create names the soak asked to delete, and those the library reported deleted.
    pub(crate) delete_asked: Mutex<BTreeSet<String>>,
    pub(crate) deleted: Mutex<BTreeSet<String>>,
    /// Texts in which the token was found.
    pub(crate) leaks: Mutex<Vec<String>>,
}

async fn run(size: Size) {
    let seed = seed();
    println!(
        "soak seed: {seed} (reproduce with SOAK_SEED={seed}); {} phases x {} tasks x {} lifecycles",
        size.phases, size.tasks, size.lifecycles_per_task
    );
    let started = Instant::now();
    let decoy = decoy().await;
    let emu = Emulator::builder()
        .token(TOKEN)
        .operation_duration(Duration::from_millis(4))
        .retry_after(Duration::from_millis(2))
        .request_log_capacity(2_000_000)
        .start()
        .await
        .unwrap();
    let ws = Workspace::new(arm(&emu), emu.workspace_id().unwrap());
    let soak = Arc::new(Soak {
        ws,
        emu,
        seed,
        calls: Mutex::default(),
        lros: Mutex::default(),
        injected: Mutex::default(),
        create_names: Mutex::default(),
        attach_names: Mutex::default(),
        live_attach: Mutex::default(),
        double_attachments: Mutex::default(),
        created: Mutex::default(),
        delete_asked: Mutex::default(),
        deleted: Mutex::default(),
        leaks: Mutex::default(),
    });

    let stop = Arc::new(AtomicBool::new(false));
    let monitor = tokio::spawn({
        let soak = Arc::clone(&soak);
        let stop = Arc::clone(&stop);
        async move {
            while !stop.load(Ordering::Acquire) {
                let names: Vec<String> = lock(&soak.live_attach).iter().cloned().collect();
                soak.note_double_attachments("monitor", names.iter());
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    });

    let mut panics = Vec::new();
    for phase in 1..=size.phases {
        let mut tasks = tokio::task::JoinSet::new();
        for task in 1..=size.tasks {
            let soak = Arc::clone(&soak);
            tasks.spawn(async move {
                for n in 1..=size.lifecycles_per_task {
                    // Each lifecycle draws from its own stream: what it does and injects does
                    // not depend on how the lifecycles before it went.
                    let stream = (u64::from(phase) << 40) | (u64::from(task) << 20) | u64::from(n);
                    let mut rng = Rng::new(soak.seed, stream);
                    if rng.chance(50) {
                        let name = format!("sk-p{phase:02}-t{task:02}-c{n:02}");
                        soak.create_lifecycle(&mut rng, &name).await;
                    } else {
                        let name = format!("sk-p{phase:02}-t{task:02}-a{n:02}");
                        soak.attach_lifecycle(&mut rng, &name).await;
                    }
                }
            });
        }
        while let Some(joined) = tasks.join_next().await {
            if let Err(e) = joined {
                panics.push(format!("phase {phase}: {e}"));
            }
        }
        soak.end_phase(phase).await;
    }
    stop.store(true, Ordering::Release);
    monitor.await.unwrap();

    let elapsed = started.elapsed();
    soak.final_checks(&decoy, &panics).await;
    decoy.task.abort();
    println!("soak seed {seed}: done in {elapsed:.1?}");
}
