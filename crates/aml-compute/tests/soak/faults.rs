//! The fault model: which faults are injected, aimed at which requests.

use std::time::Duration;

use aml_emulator::{Fault, FaultRule, OperationOutcome, STANDARD_WORKSPACE};

use crate::rng::Rng;
use crate::{PER_TRY, Soak, lock};

/// Where the next requests of a lifecycle go, to aim faults at them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Create,
    Attach,
    Wait,
    Update,
    Remove,
}

impl Soak {
    fn count_injection(&self, kind: &'static str) {
        *lock(&self.injected).entry(kind).or_default() += 1;
    }

    /// Maybe injects one or two request faults aimed at the next requests of `stage`, and
    /// maybe makes the next long-running operation (whoever starts it) end badly.
    pub(crate) fn inject(&self, rng: &mut Rng, name: &str, stage: Stage, cluster: Option<&str>) {
        if rng.chance(45) {
            for _ in 0..rng.range(1, 2) {
                let (method, path) = target(rng, name, stage, cluster);
                let (fault, times) = fault(rng);
                self.count_injection(match &fault {
                    Fault::Delay { delay } if *delay >= PER_TRY => "delay past the per-try timeout",
                    other => other.kind(),
                });
                self.emu.faults().inject(
                    FaultRule::new(fault)
                        .times(times)
                        .method(method)
                        .path_contains(path),
                );
            }
        }
        if stage != Stage::Wait && rng.chance(12) {
            let outcome = if rng.chance(75) {
                self.count_injection("operationFailed");
                OperationOutcome::failed(
                    "SoakInjectedFailure",
                    format!("seeded failure before {stage:?} of {name}"),
                )
            } else {
                self.count_injection("operationCanceled");
                OperationOutcome::Canceled
            };
            self.emu.faults().end_next_operations(outcome, 1);
        }
    }
}

/// The method and path a fault is aimed at: the lifecycle's own compute, or a path every task
/// uses (then whichever task comes first meets it).
fn target(
    rng: &mut Rng,
    name: &str,
    stage: Stage,
    cluster: Option<&str>,
) -> (&'static str, String) {
    let own = format!("/computes/{name}");
    let shared_reads = [
        format!("/workspaces/{STANDARD_WORKSPACE}/computes"),
        "/computeOperationsStatus/".to_owned(),
    ];
    match stage {
        Stage::Create => match rng.below(4) {
            0 => ("GET", format!("/workspaces/{STANDARD_WORKSPACE}")),
            1 => ("GET", own),
            _ => ("PUT", own),
        },
        Stage::Attach => match rng.below(6) {
            0 => (
                "GET",
                format!("/managedClusters/{}", cluster.unwrap_or("aks-")),
            ),
            1 => ("GET", "/kubernetesVersions".to_owned()),
            2 => ("GET", own),
            3 => ("GET", shared_reads[0].clone()),
            _ => ("PUT", own),
        },
        Stage::Wait => match rng.below(3) {
            0 => ("GET", own),
            _ => ("GET", shared_reads[1].clone()),
        },
        Stage::Update => match rng.below(2) {
            0 => ("GET", own),
            _ => ("PUT", own),
        },
        Stage::Remove => match rng.below(3) {
            0 => ("GET", own),
            _ => ("DELETE", own),
        },
    }
}

/// A fault and how many matching requests it applies to.
fn fault(rng: &mut Rng) -> (Fault, u32) {
    match rng.below(100) {
        // A 429 storm; now and then asking for more than the retry policy waits for.
        0..=19 => {
            let wait = if rng.chance(10) {
                Duration::from_millis(100)
            } else {
                rng.millis(1, 6)
            };
            (Fault::throttle(wait), rng.times(1, 6))
        }
        // A 5xx burst, sometimes with Retry-After.
        20..=37 => {
            let status = rng.pick(&[500, 502, 503, 504]);
            let retry_after = rng.chance(30).then(|| rng.millis(1, 5));
            (
                Fault::Status {
                    status,
                    retry_after,
                },
                rng.times(1, 6),
            )
        }
        38..=49 => (Fault::Reset, rng.times(1, 3)),
        50..=64 => (Fault::ResetAfterHandling, rng.times(1, 2)),
        // Slow responses; some slower than the per-try timeout.
        65..=77 => {
            let delay = if rng.chance(15) {
                Duration::from_millis(400)
            } else {
                rng.millis(1, 25)
            };
            (Fault::delay(delay), rng.times(1, 2))
        }
        78..=88 => (Fault::MalformedJson, rng.times(1, 2)),
        _ => (Fault::TruncatedJson, rng.times(1, 2)),
    }
}
