//! `aml apply` of many specs across 20 workspaces against an in-process emulator, through the
//! CLI's own library code (`aml_cli::apply`): wall time and peak memory for 10, 50 and 200
//! specs, as ratios against the 10-spec baseline of the same run.
//!
//! ```text
//! cargo bench -p aml-benches --bench apply_many
//! ```
//!
//! Every operation of the emulator ends at its first poll, so the figures are the client's and
//! the emulator's own costs (load, validate, plan, PUT, poll, GET), `--jobs 8`. Peak memory is
//! the process's `VmHWM` (Linux); it only grows, so the runs go from small to large and each
//! reports the high-water mark after it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use aml_cli::apply::{ApplyOptions, apply_all, load_all, plan_all};
use aml_cli::progress::Progress;
use aml_cli::target::{CloudChoice, Target};
use aml_emulator::{Emulator, ResourceGroupSeed, Seed, SubscriptionSeed, Timings, WorkspaceSeed};

const WORKSPACES: usize = 20;
/// A subscription of its own (the standard seed has `00000000-…` and `11111111-…`).
const SUBSCRIPTION: &str = "22222222-2222-2222-2222-222222222222";

fn seed() -> Seed {
    let mut seed = Seed::standard();
    seed.subscriptions.push(SubscriptionSeed {
        id: SUBSCRIPTION.into(),
        resource_groups: vec![ResourceGroupSeed {
            name: "fleet".into(),
            workspaces: (0..WORKSPACES)
                .map(|i| WorkspaceSeed {
                    name: format!("ws-{i:02}"),
                    location: "eastus".into(),
                })
                .collect(),
            clusters: Vec::new(),
        }],
    });
    seed
}

/// `count` create specs spread over the 20 workspaces, in a fresh folder.
fn specs(count: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aml-bench-apply-{count}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..count {
        std::fs::write(
            dir.join(format!("c{i:04}.yaml")),
            format!(
                "workspace: {{subscription_id: {SUBSCRIPTION}, resource_group: fleet, workspace_name: ws-{:02}, location: eastus}}\n\
                 name: aks-{count}-{i}\n\
                 create: {{agent_count: 1, vm_size: Standard_D3_v2, cluster_purpose: DevTest}}\n",
                i % WORKSPACES
            ),
        )
        .unwrap();
    }
    dir
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let emulator = Emulator::builder()
            .seed(seed())
            .timings(Timings::uniform(Duration::ZERO))
            .start()
            .await
            .unwrap();
        let target = Target::resolve(&CloudChoice {
            endpoint: Some(emulator.base_url().to_owned()),
            ..CloudChoice::default()
        })
        .unwrap();
        let arm = target.arm_client().unwrap();
        let options = ApplyOptions {
            jobs: 8,
            fail_fast: false,
        };
        let mut baseline: Option<(Duration, u64)> = None;
        println!("apply_many: {WORKSPACES} workspaces, --jobs {}", options.jobs);
        for count in [10, 50, 200] {
            let dir = specs(count);
            let start = Instant::now();
            let loaded = load_all(std::slice::from_ref(&dir)).unwrap();
            let planned = plan_all(&arm, loaded, options.jobs).await;
            let results = apply_all(planned, options, &Progress::Silent).await;
            let wall = start.elapsed();
            let converged = results.iter().filter(|r| r.converged()).count();
            assert_eq!(converged, count, "every spec converges");
            let peak = peak_rss_kib().unwrap_or(0);
            let (base_wall, base_peak) = *baseline.get_or_insert((wall, peak));
            println!(
                "{count:>4} specs: wall {:>8.1} ms ({:.2}x the 10-spec run, {:.2} ms/spec), peak RSS {:>7.1} MiB ({:.2}x)",
                wall.as_secs_f64() * 1e3,
                wall.as_secs_f64() / base_wall.as_secs_f64(),
                wall.as_secs_f64() * 1e3 / count as f64,
                peak as f64 / 1024.0,
                peak as f64 / base_peak.max(1) as f64,
            );
            std::fs::remove_dir_all(&dir).ok();
        }
        emulator.shutdown().await;
    });
}
