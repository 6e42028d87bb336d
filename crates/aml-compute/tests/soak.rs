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

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error as _;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aml_arm::{
    ArmClient, ArmClientOptions, Cloud, PollOptions, RetryOptions, StaticTokenCredential, Timeouts,
};
use aml_compute::config::{
    AksAttachConfiguration, AksProvisioningConfiguration, AksUpdateConfiguration,
    LoadBalancerSettings,
};
use aml_compute::{
    AksCompute, AttachOptions, Completion, ComputeOperation, Error, OperationKind, Workspace,
};
use aml_emulator::{
    Emulator, Fault, FaultRule, LoggedRequest, OperationOutcome, STANDARD_CLUSTER_RESOURCE_GROUP,
    STANDARD_RESOURCE_GROUP, STANDARD_SUBSCRIPTION, STANDARD_WORKSPACE,
};
use aml_model::AksClusterId;
use aml_model::wire::ClusterPurpose;

/// The only bearer token the emulator accepts; it must never show up anywhere else.
const TOKEN: &str = "soak-bearer-7c1e5a9f2d4b";
/// The seed CI uses, so that what is injected is the same on every run.
const DEFAULT_SEED: u64 = 0x00A1_2025_50A4;
/// The clusters attach lifecycles contend for, and the purpose each one can serve (R8).
const CONTENDED: [(&str, ClusterPurpose); 3] = [
    ("aks-prod", ClusterPurpose::FastProd),
    ("aks-gpu", ClusterPurpose::FastProd),
    ("aks-dev", ClusterPurpose::DevTest),
];
/// The client's limit for one try; some injected delays are longer.
const PER_TRY: Duration = Duration::from_millis(250);
/// The error code of the compute the emulator breaks when its cluster is attached again (R10).
const ATTACHED_ELSEWHERE: &str = "ClusterAttachedElsewhere";

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

// ---------------------------------------------------------------------------------------------
// Seed and PRNG

/// The seed: `SOAK_SEED` when set, the fixed default otherwise.
fn seed() -> u64 {
    match std::env::var("SOAK_SEED") {
        Ok(text) => {
            let text = text.trim();
            let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16).ok(),
                None => text.replace('_', "").parse().ok(),
            };
            parsed.unwrap_or_else(|| panic!("SOAK_SEED={text:?} is not a decimal or 0x number"))
        }
        Err(_) => DEFAULT_SEED,
    }
}

/// SplitMix64: small, fast, and the same on every platform.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    /// An independent stream of `seed` for `stream` (one lifecycle).
    fn new(seed: u64, stream: u64) -> Self {
        let mut rng = Self(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next_u64();
        rng
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        let len = u64::try_from(items.len()).unwrap();
        items[usize::try_from(self.below(len)).unwrap()]
    }

    fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(self.range(lo, hi))
    }

    fn times(&mut self, lo: u64, hi: u64) -> u32 {
        u32::try_from(self.range(lo, hi)).unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// What the soak records

/// One library call and what it returned.
#[derive(Debug)]
struct Call {
    step: &'static str,
    name: String,
    /// `None` for success, else the error's variant.
    error: Option<String>,
    /// The error's kind (`Error::kind`).
    kind: Option<aml_compute::ErrorKind>,
    /// The error's text, for the report.
    text: String,
    expected: bool,
    /// The `x-ms-client-request-id` of the request that failed, when the transport knows it.
    client_request_id: Option<String>,
}

/// How the library reported the end of a long-running operation to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reported {
    Succeeded,
    /// `Error::OperationFailed` with this status (`Failed` or `Canceled`).
    Ended(String),
    /// Waiting gave up on another error (after resuming a few times).
    GaveUp(String),
}

/// A long-running operation the soak waited for.
#[derive(Debug)]
struct Lro {
    name: String,
    kind: OperationKind,
    token: aml_arm::ResumeToken,
    reported: Reported,
}

/// Where the next requests of a lifecycle go, to aim faults at them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Create,
    Attach,
    Wait,
    Update,
    Remove,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The shared state of one soak: the one workspace (and so the one ARM client) every task uses,
/// the emulator, and everything recorded.
struct Soak {
    ws: Workspace,
    emu: Emulator,
    seed: u64,
    calls: Mutex<Vec<Call>>,
    lros: Mutex<Vec<Lro>>,
    injected: Mutex<BTreeMap<&'static str, u32>>,
    /// Create and attach lifecycle names, lower case.
    create_names: Mutex<BTreeSet<String>>,
    attach_names: Mutex<BTreeSet<String>>,
    /// Attach names whose compute may exist: what the R10 monitor samples.
    live_attach: Mutex<BTreeSet<String>>,
    /// Every time a cluster was seen attached under two names, described once.
    double_attachments: Mutex<BTreeSet<String>>,
    /// Create names whose create the library reported done.
    created: Mutex<BTreeSet<String>>,
    /// Create names the soak asked to delete, and those the library reported deleted.
    delete_asked: Mutex<BTreeSet<String>>,
    deleted: Mutex<BTreeSet<String>>,
    /// Texts in which the token was found.
    leaks: Mutex<Vec<String>>,
}

// ---------------------------------------------------------------------------------------------
// Set-up

/// A listener on 127.0.0.1 that nothing should ever contact: it counts connections and what
/// they sent.
struct Decoy {
    addr: std::net::SocketAddr,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

async fn decoy() -> Decoy {
    use tokio::io::AsyncReadExt as _;
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(Mutex::new(Vec::new()));
    let (count, store) = (Arc::clone(&connections), Arc::clone(&received));
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                if let Ok(n) = stream.read(&mut buf).await {
                    lock(&store).extend_from_slice(&buf[..n]);
                }
            });
        }
    });
    Decoy {
        addr,
        connections,
        received,
        task,
    }
}

fn arm(emu: &Emulator) -> ArmClient {
    ArmClient::new(
        StaticTokenCredential::new(TOKEN),
        ArmClientOptions {
            cloud: Cloud::custom(emu.base_url(), "https://management.azure.com/.default").unwrap(),
            retry: RetryOptions {
                max_retries: 4,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(25),
                ..RetryOptions::default()
            },
            poll: PollOptions {
                interval: Duration::from_millis(2),
                max_interval: Duration::from_millis(10),
                timeout: None,
            },
            timeouts: Timeouts {
                connect: Duration::from_secs(5),
                // Injected delays of 400 ms go beyond this: the try times out and is retried
                // while the first may still be waiting in the emulator (the report counts
                // whether such an abandoned try was ever handled).
                per_try: Some(PER_TRY),
                operation: None,
            },
            ..ArmClientOptions::default()
        },
    )
    .unwrap()
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

// ---------------------------------------------------------------------------------------------
// Faults

impl Soak {
    fn count_injection(&self, kind: &'static str) {
        *lock(&self.injected).entry(kind).or_default() += 1;
    }

    /// Maybe injects one or two request faults aimed at the next requests of `stage`, and
    /// maybe makes the next long-running operation (whoever starts it) end badly.
    fn inject(&self, rng: &mut Rng, name: &str, stage: Stage, cluster: Option<&str>) {
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

// ---------------------------------------------------------------------------------------------
// Errors

/// The variant of an error, with the transport's variant and status for `Arm`.
fn variant(e: &Error) -> String {
    match e {
        Error::Validation(_) => "Validation".into(),
        Error::AlreadyExists { .. } => "AlreadyExists".into(),
        Error::AlreadyAttached { .. } => "AlreadyAttached".into(),
        Error::NotFound { .. } => "NotFound".into(),
        Error::ClusterNotFound { .. } => "ClusterNotFound".into(),
        Error::UnsupportedKubernetesVersion { .. } => "UnsupportedKubernetesVersion".into(),
        Error::Conflict { .. } => "Conflict".into(),
        Error::FailedCompute { .. } => "FailedCompute".into(),
        Error::Refused { .. } => "Refused".into(),
        Error::Rejected { source, .. } => format!("Rejected({})", arm_variant(source)),
        Error::OperationFailed { status, .. } => format!("OperationFailed({status})"),
        Error::Timeout { .. } => "Timeout".into(),
        Error::Config { .. } => "Config".into(),
        Error::Tls(_) => "Tls".into(),
        Error::Model(_) => "Model".into(),
        Error::Decode { .. } => "Decode".into(),
        Error::Arm(arm) => format!("Arm({})", arm_variant(arm)),
        Error::WaitInterrupted { source, .. } => {
            format!("WaitInterrupted({})", arm_variant(source))
        }
        other => format!("unknown variant: {other:?}"),
    }
}

fn arm_variant(e: &aml_arm::Error) -> String {
    use aml_arm::Error as A;
    match e {
        A::Transport { .. } => "Transport".into(),
        A::Timeout { scope, .. } => format!("Timeout({scope})"),
        A::Api(api) => format!("Api({})", api.status),
        A::Throttled(api) => format!("Throttled({})", api.status),
        A::Decode { .. } => "Decode".into(),
        A::UnexpectedResponse { status, .. } => format!("UnexpectedResponse({status})"),
        A::OperationFailed(_) => "OperationFailed".into(),
        A::OperationTimeout { .. } => "OperationTimeout".into(),
        A::ForeignHost { .. } => "ForeignHost".into(),
        A::Redirect { .. } => "Redirect".into(),
        A::Credential { .. } => "Credential".into(),
        A::ResponseTooLarge { .. } => "ResponseTooLarge".into(),
        other => format!("other: {other}"),
    }
}

/// Whether the injected faults explain the error: contention (R10, R11), a compute already
/// gone, a failed operation, or the transport giving up on injected faults. Anything else
/// (a validation error, a missing seeded cluster, a 4xx the library caused, a foreign host,
/// ...) is a defect.
fn expected(e: &Error) -> bool {
    use aml_arm::Error as A;
    match e {
        Error::AlreadyExists { .. }
        | Error::AlreadyAttached { .. }
        | Error::NotFound { .. }
        | Error::OperationFailed { .. }
        | Error::Rejected { .. }
        | Error::Decode { .. } => true,
        Error::Arm(arm) | Error::WaitInterrupted { source: arm, .. } => match &**arm {
            A::Transport { .. } | A::Timeout { .. } | A::Throttled(_) | A::Decode { .. } => true,
            // 5xx after the retries ran out; 409 when a retried write finds its own first
            // try still running.
            A::Api(api) => api.status >= 500 || api.status == 409,
            _ => false,
        },
        _ => false,
    }
}

/// Whether the first try of a write may have reached the service, so that a careful caller
/// calls again (and the library's R11 check must then say AlreadyExists).
fn may_have_been_sent(e: &Error) -> bool {
    matches!(e, Error::Arm(arm) if arm.may_have_been_sent())
}

// ---------------------------------------------------------------------------------------------
// Lifecycles

fn provisioning(production: bool) -> aml_compute::config::AksProvisioningBuilder {
    if production {
        AksProvisioningConfiguration::builder()
            .agent_count(3)
            .vm_size("Standard_D3_v2")
    } else {
        AksProvisioningConfiguration::builder()
            .agent_count(2)
            .vm_size("Standard_D2_v3")
            .cluster_purpose(ClusterPurpose::DevTest)
    }
}

/// The same cluster spelled in one of the ways users write ids: R10 must see through case.
fn attach_config(
    cluster: &str,
    purpose: ClusterPurpose,
    spelling: u64,
) -> aml_compute::config::AksAttachBuilder {
    let builder = AksAttachConfiguration::builder().cluster_purpose(purpose);
    let id = |group: &str, rg: &str| {
        format!(
            "/subscriptions/{STANDARD_SUBSCRIPTION}/{group}/{rg}/providers/Microsoft.ContainerService/managedClusters/{cluster}"
        )
    };
    match spelling % 3 {
        0 => builder.cluster(STANDARD_CLUSTER_RESOURCE_GROUP, cluster),
        1 => builder.resource_id(id("resourcegroups", STANDARD_CLUSTER_RESOURCE_GROUP)),
        _ => builder.resource_id(id(
            "RESOURCEGROUPS",
            &STANDARD_CLUSTER_RESOURCE_GROUP.to_ascii_uppercase(),
        )),
    }
}

fn wait_step(kind: OperationKind) -> &'static str {
    match kind {
        OperationKind::Create => "wait create",
        OperationKind::Attach => "wait attach",
        OperationKind::Update => "wait update",
        OperationKind::Detach => "wait detach",
        OperationKind::Delete => "wait delete",
        _ => "wait other",
    }
}

impl Soak {
    /// Records a call's result, and looks for the token in everything it printed.
    fn record<T: std::fmt::Debug>(
        &self,
        step: &'static str,
        name: &str,
        result: &Result<T, Error>,
    ) {
        let mut texts = vec![format!("{result:?}"), format!("{result:#?}")];
        if let Err(e) = result {
            texts.push(e.to_string());
            let mut source = e.source();
            while let Some(s) = source {
                texts.push(s.to_string());
                texts.push(format!("{s:?}"));
                source = s.source();
            }
        }
        for text in &texts {
            if text.contains(TOKEN) {
                lock(&self.leaks).push(format!("{step} {name}: {text}"));
            }
        }
        let call = match result {
            Ok(_) => Call {
                step,
                name: name.to_owned(),
                error: None,
                kind: None,
                text: String::new(),
                expected: true,
                client_request_id: None,
            },
            Err(e) => {
                let mut text = e.to_string();
                let mut source = e.source();
                while let Some(s) = source {
                    let _ = write!(text, ": {s}");
                    source = s.source();
                }
                Call {
                    step,
                    name: name.to_owned(),
                    error: Some(variant(e)),
                    kind: Some(e.kind()),
                    text,
                    expected: expected(e),
                    client_request_id: match e {
                        Error::Arm(arm) => arm
                            .request_ids()
                            .and_then(|ids| ids.client_request_id.clone()),
                        _ => None,
                    },
                }
            }
        };
        lock(&self.calls).push(call);
    }

    /// Waits for an operation; on an error other than the operation's own failure, resumes from
    /// the token (as a caller that saved it would) a few times.
    async fn wait(&self, rng: &mut Rng, op: ComputeOperation) -> Result<Completion, Error> {
        let token = op
            .resume_token()
            .expect("an operation starts with its first write sent");
        let kind = op.kind();
        let name = op.name().to_owned();
        self.inject(rng, &name, Stage::Wait, None);
        let mut result = op.await;
        self.record(wait_step(kind), &name, &result);
        let mut resumes = 0;
        while let Err(e) = &result
            && !matches!(e, Error::OperationFailed { .. })
            && resumes < 3
        {
            resumes += 1;
            result = match self.ws.resume(&token, &name, kind) {
                Ok(op) => op.await,
                Err(e) => Err(e),
            };
            self.record("resume", &name, &result);
        }
        let reported = match &result {
            Ok(_) => Reported::Succeeded,
            Err(Error::OperationFailed { status, .. }) => Reported::Ended(status.to_string()),
            Err(e) => Reported::GaveUp(variant(e)),
        };
        lock(&self.lros).push(Lro {
            name,
            kind,
            token,
            reported,
        });
        result
    }

    /// Create, wait, update twice, then detach or delete.
    async fn create_lifecycle(&self, rng: &mut Rng, name: &str) {
        lock(&self.create_names).insert(name.to_owned());
        let production = rng.chance(50);
        self.inject(rng, name, Stage::Create, None);
        let mut begun = self.ws.begin_create(name, provisioning(production)).await;
        self.record("create", name, &begun);
        if let Err(e) = &begun
            && may_have_been_sent(e)
        {
            begun = self.ws.begin_create(name, provisioning(production)).await;
            self.record("create again", name, &begun);
        }
        if let Ok(op) = begun
            && self.wait(rng, op).await.is_ok()
        {
            lock(&self.created).insert(name.to_owned());
            self.updates(rng, name).await;
        }
        let delete = rng.chance(40);
        if delete {
            lock(&self.delete_asked).insert(name.to_owned());
        }
        if self.remove(rng, name, delete).await && delete {
            lock(&self.deleted).insert(name.to_owned());
        }
    }

    /// Attach a contended cluster, wait, read it, update twice, detach.
    async fn attach_lifecycle(&self, rng: &mut Rng, name: &str) {
        lock(&self.attach_names).insert(name.to_owned());
        lock(&self.live_attach).insert(name.to_owned());
        let (cluster, purpose) = &CONTENDED[rng.pick(&[0, 1, 2])];
        let spelling = rng.next_u64();
        self.inject(rng, name, Stage::Attach, Some(cluster));
        let options = AttachOptions::default();
        let mut begun = self
            .ws
            .begin_attach(
                name,
                attach_config(cluster, purpose.clone(), spelling),
                options,
            )
            .await;
        self.record("attach", name, &begun);
        if let Err(e) = &begun
            && may_have_been_sent(e)
        {
            begun = self
                .ws
                .begin_attach(
                    name,
                    attach_config(cluster, purpose.clone(), spelling),
                    options,
                )
                .await;
            self.record("attach again", name, &begun);
        }
        if let Ok(op) = begun
            && self.wait(rng, op).await.is_ok()
        {
            let read = self.ws.get_aks(name).await;
            self.record("get", name, &read);
            if let Ok(compute) = read {
                self.note_broken(name, &compute);
            }
            self.updates(rng, name).await;
        }
        if self.remove(rng, name, false).await {
            lock(&self.live_attach).remove(name);
        }
    }

    /// A compute the emulator broke because its cluster was attached under another name.
    fn note_broken(&self, name: &str, compute: &AksCompute) {
        if compute
            .provisioning_errors()
            .iter()
            .any(|e| e.code.as_deref() == Some(ATTACHED_ELSEWHERE))
        {
            lock(&self.double_attachments).insert(format!(
                "{name} was broken by a second attachment of {} ({ATTACHED_ELSEWHERE})",
                compute.cluster_resource_id().unwrap_or("?")
            ));
        }
    }

    /// Switches to an internal load balancer and back, waiting for each.
    async fn updates(&self, rng: &mut Rng, name: &str) {
        for lb in [
            LoadBalancerSettings::internal("aks-subnet"),
            LoadBalancerSettings::public(),
        ] {
            self.inject(rng, name, Stage::Update, None);
            let begun = self
                .ws
                .begin_update(name, AksUpdateConfiguration::builder().load_balancer(lb))
                .await;
            self.record("update", name, &begun);
            let Ok(op) = begun else { return };
            match self.wait(rng, op).await {
                Ok(Completion::Compute(target)) => {
                    if let Some(compute) = target.as_aks() {
                        self.note_broken(name, compute);
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    }

    /// Detaches (or deletes) until the compute is gone, three tries at most. Returns whether
    /// the library reported it gone.
    async fn remove(&self, rng: &mut Rng, name: &str, delete: bool) -> bool {
        for _ in 0..3 {
            self.inject(rng, name, Stage::Remove, None);
            let begun = if delete {
                self.ws.begin_delete(name).await
            } else {
                self.ws.begin_detach(name).await
            };
            self.record(if delete { "delete" } else { "detach" }, name, &begun);
            match begun {
                Err(Error::NotFound { .. }) => return true,
                Err(_) => {}
                Ok(op) => {
                    if let Ok(done) = self.wait(rng, op).await {
                        assert_eq!(done, Completion::Removed, "{name}");
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Looks at the computes of `names` in the emulator: a cluster with two of them is attached
    /// under two names at once (R10).
    fn note_double_attachments<'a>(&self, when: &str, names: impl Iterator<Item = &'a String>) {
        let mut by_cluster: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in names {
            let id = self.ws.id().compute(name.parse().unwrap());
            let Some(resource) = self.emu.compute(&id) else {
                continue;
            };
            let compute = AksCompute::from_resource(resource);
            let Some(cluster) = compute.cluster_id() else {
                continue;
            };
            by_cluster
                .entry(cluster.to_string().to_ascii_lowercase())
                .or_default()
                .push(format!(
                    "{name} [{}]",
                    compute
                        .provisioning_state()
                        .map_or("?", aml_model::wire::ProvisioningState::as_str)
                ));
        }
        for (cluster, computes) in by_cluster {
            if computes.len() > 1 {
                let names: Vec<&str> = computes
                    .iter()
                    .map(|c| c.split(' ').next().unwrap_or_default())
                    .collect();
                lock(&self.double_attachments).insert(format!(
                    "cluster {} attached as {} at once (seen by the {when})",
                    cluster.rsplit('/').next().unwrap_or(&cluster),
                    names.join(" and ")
                ));
            }
        }
    }

    /// Seeded clusters, as ids.
    fn seeded_clusters(&self) -> Vec<AksClusterId> {
        let mut ids = Vec::new();
        for subscription in &self.emu.seed().subscriptions {
            for group in &subscription.resource_groups {
                for cluster in &group.clusters {
                    ids.push(
                        AksClusterId::new(
                            subscription.id.as_str(),
                            group.name.as_str(),
                            cluster.name.as_str(),
                        )
                        .unwrap(),
                    );
                }
            }
        }
        ids
    }

    /// After a phase: the state checks, then (faults cleared) every compute left is detached.
    async fn end_phase(&self, phase: u32) {
        let prefix = format!("sk-p{phase:02}-");
        let attach: Vec<String> = lock(&self.attach_names)
            .iter()
            .filter(|n| n.starts_with(&prefix))
            .cloned()
            .collect();
        self.note_double_attachments(&format!("state check after phase {phase}"), attach.iter());
        for id in self.seeded_clusters() {
            assert!(
                self.emu.cluster(&id).is_some(),
                "seed {}: seeded cluster {id} is gone after phase {phase}",
                self.seed
            );
        }
        let long_delays_left = self
            .emu
            .faults()
            .active()
            .iter()
            .filter(|a| matches!(a.rule.fault, Fault::Delay { delay } if delay >= PER_TRY))
            .count();
        *lock(&self.injected)
            .entry("delay past the per-try timeout, never met")
            .or_default() += u32::try_from(long_delays_left).unwrap();
        // Clean up with no faults, so the next phase starts from the seed.
        self.emu.faults().clear();
        let mut names: Vec<String> = lock(&self.create_names)
            .iter()
            .filter(|n| n.starts_with(&prefix))
            .cloned()
            .collect();
        names.extend(attach);
        let mut left = 0;
        for name in &names {
            let id = self.ws.id().compute(name.parse().unwrap());
            if self.emu.compute(&id).is_none() {
                continue;
            }
            left += 1;
            let op = self.ws.begin_detach(name).await;
            let done = match op {
                Ok(op) => op.await.map(|_| ()),
                Err(Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e),
            };
            assert!(
                done.is_ok(),
                "seed {}: cleaning up {name} without faults failed: {done:?}",
                self.seed
            );
        }
        for name in &names {
            let id = self.ws.id().compute(name.parse().unwrap());
            assert!(
                self.emu.compute(&id).is_none(),
                "seed {}: {name} still exists after cleaning up phase {phase}",
                self.seed
            );
        }
        lock(&self.live_attach).retain(|n| !n.starts_with(&prefix));
        println!("phase {phase}: done; {left} computes left by the lifecycles were detached");
    }
}

// ---------------------------------------------------------------------------------------------
// Final checks

/// The compute name a created cluster belongs to: the emulator names it
/// `{compute}-{5 digits}-{13 hex}`.
fn creator(cluster: &str) -> Option<&str> {
    let mut parts = cluster.rsplitn(3, '-');
    let hex = parts.next()?;
    let digits = parts.next()?;
    let name = parts.next()?;
    (hex.len() == 13
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && digits.len() == 5
        && digits.bytes().all(|b| b.is_ascii_digit()))
    .then_some(name)
}

/// The query parameter `underlyingResourceAction` of a logged request.
fn delete_action(entry: &LoggedRequest) -> Option<String> {
    entry.query.as_deref().and_then(|q| {
        q.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            k.eq_ignore_ascii_case("underlyingResourceAction")
                .then(|| v.to_ascii_lowercase())
        })
    })
}

impl Soak {
    /// Whether a logged request is one the lifecycles make, to a path of the workspace, a
    /// contended cluster, the version list or an operation status.
    fn expected_request(entry: &LoggedRequest, names: &BTreeSet<String>) -> bool {
        let path = entry.path.to_ascii_lowercase();
        let method = entry.method.as_str();
        let sub = format!("/subscriptions/{STANDARD_SUBSCRIPTION}");
        let ws = format!(
            "{sub}/resourcegroups/{STANDARD_RESOURCE_GROUP}/providers/microsoft.machinelearningservices/workspaces/{STANDARD_WORKSPACE}"
        )
        .to_ascii_lowercase();
        let clusters = format!(
            "{sub}/resourcegroups/{STANDARD_CLUSTER_RESOURCE_GROUP}/providers/microsoft.containerservice/managedclusters/"
        )
        .to_ascii_lowercase();
        if path == ws {
            return method == "GET";
        }
        if let Some(rest) = path.strip_prefix(&format!("{ws}/computes")) {
            return match rest.strip_prefix('/') {
                None => rest.is_empty() && method == "GET",
                Some(name) => names.contains(name) && matches!(method, "GET" | "PUT" | "DELETE"),
            };
        }
        if let Some(cluster) = path.strip_prefix(&clusters) {
            return method == "GET" && CONTENDED.iter().any(|(c, _)| *c == cluster);
        }
        if let Some(rest) = path.strip_prefix(&format!(
            "{sub}/providers/microsoft.containerservice/locations/"
        )) {
            return method == "GET" && rest.ends_with("/kubernetesversions");
        }
        if let Some(rest) = path.strip_prefix(&format!(
            "{sub}/providers/microsoft.machinelearningservices/locations/"
        )) {
            return method == "GET" && rest.contains("/computeoperationsstatus/");
        }
        false
    }

    /// Every invariant, from the emulator's state and request log and from what the library
    /// returned:
    ///
    /// 1. no task panicked;
    /// 2. every call succeeded or returned a typed error the injected faults explain, and no
    ///    write the library made was lost: a retried PUT refused with 409 because an earlier,
    ///    handled try's operation was running gets a poller for that operation, and
    ///    `Error::Rejected` (nothing was written) only when no try was handled;
    /// 3. no compute was created twice: no create name has two clusters, a deleted one has
    ///    none, and one created and only detached has exactly one;
    /// 4. no cluster was attached under two names at once;
    /// 5. nothing only asked to be detached was deleted: every seeded cluster exists, every
    ///    DELETE of an attached compute says Detach, every Delete was asked for;
    /// 6. every operation the emulator ended `Failed` or `Canceled` was never reported as a
    ///    success, and one the caller saw end was reported with the emulator's status;
    /// 7. the token went nowhere but the emulator: the decoy listener was never contacted,
    ///    every logged request is one the lifecycles make, none was refused with 401, and no
    ///    error or value printed the token.
    ///
    /// Every broken invariant is a `FAILURE` line and fails the test, in the CI-size run and in
    /// the long one alike.
    #[allow(clippy::too_many_lines)] // one report, in the order of the list above
    async fn final_checks(&self, decoy: &Decoy, panics: &[String]) {
        let seed = self.seed;
        let log = self.emu.requests().entries();
        self.emu.faults().clear();
        let mut failures: Vec<String> = Vec::new();

        // 1. Panics.
        for p in panics {
            failures.push(format!("a task panicked: {p}"));
        }

        // 2. Typed, explained errors; the summary by step and variant.
        let calls = std::mem::take(&mut *lock(&self.calls));
        let mut summary: BTreeMap<(&str, String), u32> = BTreeMap::new();
        for call in &calls {
            let outcome = call.error.clone().unwrap_or_else(|| "ok".into());
            *summary.entry((call.step, outcome)).or_default() += 1;
            if !call.expected {
                failures.push(format!(
                    "{} {}: unexpected error {}: {}",
                    call.step,
                    call.name,
                    call.error.as_deref().unwrap_or("?"),
                    call.text
                ));
            }
        }
        let mut report = String::new();
        let _ = writeln!(report, "{} library calls:", calls.len());
        for ((step, outcome), n) in &summary {
            let _ = writeln!(report, "  {step:<13} {outcome:<40} {n}");
        }
        let mut kinds: BTreeMap<String, u32> = BTreeMap::new();
        for kind in calls.iter().filter_map(|c| c.kind) {
            *kinds.entry(format!("{kind:?}")).or_default() += 1;
        }
        let _ = writeln!(report, "errors by kind: {kinds:?}");
        let mut samples: BTreeMap<&str, (&str, &str, &str)> = BTreeMap::new();
        for call in &calls {
            if let Some(error) = &call.error {
                samples
                    .entry(error)
                    .or_insert((call.step, &call.name, &call.text));
            }
        }
        let _ = writeln!(report, "one error of each kind:");
        for (error, (step, name, text)) in &samples {
            let _ = writeln!(report, "  {error}: {step} {name}: {text}");
        }
        let _ = writeln!(report, "faults injected: {:?}", lock(&self.injected));
        let faulted = log.iter().filter(|e| e.fault.is_some()).count();
        let _ = writeln!(
            report,
            "{} ARM requests reached the emulator, {faulted} of them met a fault",
            log.len()
        );

        let slow: Vec<&LoggedRequest> = log
            .iter()
            .filter(|e| e.fault.as_deref() == Some("delay") && e.duration >= PER_TRY)
            .collect();
        let _ = writeln!(
            report,
            "{} requests were delayed past the per-try timeout and handled anyway ({} writes)",
            slow.len(),
            slow.iter().filter(|e| e.method != "GET").count()
        );

        // What happened to writes that reached the emulator twice (same client request id):
        // the library retried a PUT or DELETE whose first try had been handled.
        let mut writes: BTreeMap<&str, Vec<&LoggedRequest>> = BTreeMap::new();
        for entry in log.iter().filter(|e| e.method != "GET") {
            if let Some(id) = entry.client_request_id.as_deref() {
                writes.entry(id).or_default().push(entry);
            }
        }
        let mut twice: BTreeMap<String, u32> = BTreeMap::new();
        for tries in writes.values() {
            let handled: Vec<&&LoggedRequest> = tries
                .iter()
                .filter(|e| {
                    matches!(e.status, Some(200..=299))
                        || e.fault.as_deref() == Some("resetAfterHandling")
                })
                .collect();
            if handled.len() > 1 {
                let answers: Vec<String> = tries
                    .iter()
                    .map(|e| {
                        e.status.map_or_else(
                            || e.fault.clone().unwrap_or_else(|| "reset".into()),
                            |s| s.to_string(),
                        )
                    })
                    .collect();
                *twice
                    .entry(format!("{} {}", tries[0].method, answers.join(" -> ")))
                    .or_default() += 1;
            }
        }
        let _ = writeln!(
            report,
            "writes handled twice by the emulator (tries' answers, in order): {twice:?}"
        );

        // A write whose first try was handled (an operation started) but whose answer was lost,
        // and whose retry was refused with 409: the caller must get a poller for that write, or
        // `Rejected` (nothing was written) only when no try was handled.
        for call in calls.iter().filter(|c| {
            c.error.as_deref() == Some("Arm(Api(409))")
                || c.error
                    .as_deref()
                    .is_some_and(|e| e.starts_with("Rejected"))
        }) {
            let Some(tries) = call
                .client_request_id
                .as_deref()
                .and_then(|id| writes.get(id))
            else {
                continue;
            };
            let handled = tries.iter().any(|e| {
                e.fault.as_deref() == Some("resetAfterHandling")
                    || matches!(e.status, Some(200..=299))
            });
            if handled {
                failures.push(format!(
                    "lost operation: {} {}: a try of the {} was handled and its answer lost; the retry was refused with 409, and the library returned {} without a way to follow the operation that try started: {}",
                    call.step, call.name, tries[0].method, call.error.as_deref().unwrap_or("?"), call.text
                ));
            }
        }

        // 3. No compute created twice.
        let clusters: serde_json::Value = self
            .ws
            .arm()
            .get_json(&format!(
                "/subscriptions/{STANDARD_SUBSCRIPTION}/resourceGroups/{STANDARD_RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters?api-version={}",
                aml_model::request::CONTAINER_SERVICE_API_VERSION
            ))
            .await
            .unwrap();
        let mut per_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for cluster in clusters["value"].as_array().unwrap() {
            let cluster = cluster["name"].as_str().unwrap();
            match creator(cluster) {
                Some(name) => per_name
                    .entry(name.to_ascii_lowercase())
                    .or_default()
                    .push(cluster.to_owned()),
                None => failures.push(format!(
                    "cluster {cluster} in the workspace's group was not made by a create"
                )),
            }
        }
        let creates = lock(&self.create_names).clone();
        let done = lock(&self.created).clone();
        let asked = lock(&self.delete_asked).clone();
        let deleted = lock(&self.deleted).clone();
        for name in done.difference(&asked) {
            let made = per_name.get(name).map_or(0, Vec::len);
            if made != 1 {
                failures.push(format!(
                    "compute {name} was created and only detached, yet {made} clusters of it exist"
                ));
            }
        }
        for (name, made) in &per_name {
            if !creates.contains(name) {
                failures.push(format!("cluster(s) {made:?} belong to no create lifecycle"));
            } else if made.len() > 1 {
                failures.push(format!(
                    "compute {name} was created {} times: clusters {made:?}",
                    made.len()
                ));
            } else if deleted.contains(name) {
                failures.push(format!(
                    "compute {name} was reported deleted, yet its cluster {made:?} exists (created again after the delete?)"
                ));
            }
        }
        let _ = writeln!(
            report,
            "{} create lifecycles left {} clusters ({} were deleted through the library)",
            creates.len(),
            per_name.values().map(Vec::len).sum::<usize>(),
            deleted.len()
        );

        // 4. No cluster attached under two names at once.
        let attach = lock(&self.attach_names).clone();
        self.note_double_attachments("final state check", attach.iter());
        let refused = calls
            .iter()
            .filter(|c| c.error.as_deref() == Some("AlreadyAttached"))
            .count();
        let _ = writeln!(
            report,
            "{} attach lifecycles on {} clusters; refused {refused} second attachments [attach.cluster_attached]",
            attach.len(),
            CONTENDED.len()
        );
        for double in lock(&self.double_attachments).iter() {
            // `Workspace::attach` serializes attaches from its listing to the PUT, so two
            // attaches of one cluster through one Workspace never both pass the check.
            failures.push(format!(
                "a cluster attached under two names [attach.cluster_attached]: {double}"
            ));
        }

        // 5. Nothing deleted that was only asked to be detached.
        for id in self.seeded_clusters() {
            if self.emu.cluster(&id).is_none() {
                failures.push(format!("seeded cluster {id} was deleted"));
            }
        }
        for entry in log.iter().filter(|e| e.method == "DELETE") {
            let name = entry
                .path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            match delete_action(entry).as_deref() {
                Some("detach") => {}
                Some("delete") if asked.contains(&name) => {}
                other => failures.push(format!(
                    "DELETE of {name} with underlyingResourceAction={other:?}, though it was only to be detached"
                )),
            }
        }

        // 6. Failed operations were reported as failed.
        let lros = std::mem::take(&mut *lock(&self.lros));
        let mut endings: BTreeMap<(String, String), u32> = BTreeMap::new();
        for lro in &lros {
            let state: serde_json::Value = serde_json::from_str(lro.token.as_str()).unwrap();
            let truth = match state["asyncOperationUrl"].as_str() {
                Some(url) => {
                    let status: serde_json::Value = self.ws.arm().get_json(url).await.unwrap();
                    status["status"].as_str().unwrap_or("?").to_owned()
                }
                // Followed by the compute's provisioning state (its first answer was lost): the
                // state has moved on since, so its ending cannot be read back now.
                None if state["mode"] == "resourceState" => "Followed".to_owned(),
                // A DELETE answered 204 at once: nothing to poll, it succeeded.
                None => "Succeeded".to_owned(),
            };
            *endings
                .entry((truth.clone(), format!("{:?}", lro.reported)))
                .or_default() += 1;
            let consistent = match &lro.reported {
                _ if truth == "Followed" => true,
                Reported::Succeeded => truth == "Succeeded",
                Reported::Ended(status) => *status == truth,
                Reported::GaveUp(_) => true,
            };
            if !consistent {
                failures.push(format!(
                    "the {} of {} ended {truth} in the emulator but the library reported {:?}",
                    lro.kind, lro.name, lro.reported
                ));
            }
        }
        let _ = writeln!(
            report,
            "{} operations waited for; (emulator's ending, reported to the caller): {endings:?}",
            lros.len()
        );

        // 7. The token went nowhere else.
        let names: BTreeSet<String> = creates.union(&attach).cloned().collect();
        for entry in &log {
            if !Self::expected_request(entry, &names) {
                failures.push(format!(
                    "unexpected request {} {}?{}",
                    entry.method,
                    entry.path,
                    entry.query.as_deref().unwrap_or("")
                ));
            }
            if entry.status == Some(401) {
                failures.push(format!(
                    "{} {} was refused with 401: the token was not sent",
                    entry.method, entry.path
                ));
            }
        }
        let connections = decoy.connections.load(Ordering::SeqCst);
        if connections > 0 {
            failures.push(format!(
                "{connections} connection(s) reached the decoy listener on {}: {:?}",
                decoy.addr,
                String::from_utf8_lossy(&lock(&decoy.received))
            ));
        }
        for leak in lock(&self.leaks).iter() {
            failures.push(format!("the token was printed: {leak}"));
        }
        let debug = format!("{:?} {:?}", self.ws, self.ws.arm());
        if debug.contains(TOKEN) {
            failures.push(format!("the workspace's Debug shows the token: {debug}"));
        }

        println!("{report}");
        for failure in &failures {
            println!("FAILURE (seed {seed}): {failure}");
        }
        assert!(
            failures.is_empty(),
            "seed {seed}: {} invariant(s) broken (reproduce with SOAK_SEED={seed}); see FAILURE lines above",
            failures.len()
        );
    }
}
