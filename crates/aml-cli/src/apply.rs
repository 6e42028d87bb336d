//! `aml apply` of many specs: load every spec, plan each against its workspace (what differs
//! and the plan that converges it), then run the plans with bounded concurrency, one progress
//! line per compute, and summarize. One failing spec does not stop the others unless
//! `fail_fast` is set. This is a library so benchmarks drive exactly what the binary runs.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aml_arm::ArmClient;
use aml_compute::{ComputeTarget, Convergence, Workspace};
use aml_model::WorkspaceId;
use futures::StreamExt as _;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::exit::{AdmitHint, Exit, Failure};
use crate::progress::Progress;
use crate::spec::{self, LoadedSpec};

/// How `apply` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    /// At most this many plans (and, before them, reads) run at once. At least 1.
    pub jobs: usize,
    /// Stop starting new operations after the first failure (those not started are skipped).
    pub fail_fast: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            jobs: 4,
            fail_fast: false,
        }
    }
}

/// One spec after planning.
pub struct Planned {
    /// The spec's file.
    pub(crate) file: PathBuf,
    /// The compute's name, when the spec could be read.
    pub(crate) name: String,
    /// The spec's workspace, when the spec could be read.
    pub(crate) workspace: Option<WorkspaceId>,
    /// What differs and the plan, or why there is none.
    pub(crate) convergence: Result<Convergence, Failure>,
    workspace_handle: Option<Workspace>,
    /// How the spec admits the control plane, for a refusal's message.
    hint: Option<AdmitHint>,
}

/// What happened to one spec.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The compute already matched: nothing written.
    UpToDate,
    /// The plan ran; the compute as it now is, when the operation answers with it.
    Applied(Option<Box<ComputeTarget>>),
    /// Planning or running failed.
    Failed(Failure),
    /// Not started: an earlier failure stopped the run (`fail_fast`).
    Skipped,
}

/// One line of the summary.
#[derive(Debug)]
pub struct Applied {
    /// The spec's file.
    pub(crate) file: PathBuf,
    /// The compute's name.
    pub(crate) name: String,
    /// The spec's workspace.
    pub(crate) workspace: Option<WorkspaceId>,
    /// What the plan was (`create`, `attach`, `update`, `scale`, ..., or `none`).
    pub(crate) action: String,
    /// What happened.
    pub(crate) outcome: Outcome,
}

impl Applied {
    /// Whether the compute is now as its spec says.
    pub fn converged(&self) -> bool {
        matches!(self.outcome, Outcome::UpToDate | Outcome::Applied(_))
    }

    /// The stable JSON of one result: `{"file", "workspace", "name", "action", "outcome"
    /// ("up_to_date" | "applied" | "failed" | "skipped"), "error", "compute"}`.
    pub(crate) fn to_json(&self) -> Value {
        let (outcome, error, compute) = match &self.outcome {
            Outcome::UpToDate => ("up_to_date", Value::Null, Value::Null),
            Outcome::Applied(c) => (
                "applied",
                Value::Null,
                c.as_deref()
                    .map_or(Value::Null, crate::output::compute_json),
            ),
            Outcome::Failed(f) => ("failed", f.to_json()["error"].clone(), Value::Null),
            Outcome::Skipped => ("skipped", Value::Null, Value::Null),
        };
        json!({
            "file": self.file.display().to_string(),
            "workspace": self.workspace.as_ref().map(ToString::to_string),
            "name": self.name,
            "action": self.action,
            "outcome": outcome,
            "error": error,
            "compute": compute,
        })
    }
}

/// The action of a planned spec: its plan's kind, or `none` when up to date.
pub(crate) fn action(convergence: &Convergence) -> String {
    convergence
        .plan()
        .map_or_else(|| "none".to_owned(), |p| p.kind().as_str().to_owned())
}

/// A spec file and the spec in it, or why it cannot be used: what [`load_all`] returns and
/// [`plan_all`] takes.
#[derive(Debug)]
pub struct Loaded {
    pub(crate) file: PathBuf,
    pub(crate) spec: Result<LoadedSpec, Failure>,
}

/// Loads every spec under `paths` (files, or folders of `*.yaml|*.yml|*.json`). A spec that
/// cannot be read or is invalid is kept as its failure, so the others still run. A spec whose
/// region is the workspace's, read from ARM, is validated again once [`plan_all`] read it.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Loaded>, Failure> {
    let files = spec::spec_files(paths)?;
    Ok(files
        .into_iter()
        .map(|file| {
            let loaded = spec::load(&file)
                .and_then(|l| l.check_before_fetch().map(|()| l))
                .map_err(Failure::from);
            Loaded { file, spec: loaded }
        })
        .collect())
}

/// Refuses specs that contradict each other, before anything is sent: two specs of the same
/// compute (the same workspace and name), or two `create_cluster:` specs of the same AKS
/// cluster, would be planned and run at once. Every such pair is named (invalid input, exit 2).
pub(crate) fn conflicts(specs: &[Loaded]) -> Result<(), Failure> {
    let mut computes: HashMap<String, &PathBuf> = HashMap::new();
    let mut clusters: HashMap<String, &PathBuf> = HashMap::new();
    let mut problems = Vec::new();
    for Loaded { file, spec: loaded } in specs {
        let Ok(loaded) = loaded else { continue };
        let spec = loaded.spec();
        let w = &spec.workspace;
        let compute = format!(
            "{}/{}/{}/{}",
            w.subscription_id, w.resource_group, w.workspace_name, spec.name
        )
        .to_ascii_lowercase();
        if let Some(first) = computes.insert(compute, file) {
            problems.push(format!(
                "error: {} and {} both declare compute {} of workspace {}; keep one spec per compute",
                first.display(),
                file.display(),
                spec.name,
                w.workspace_name
            ));
        }
        if let Some(cluster) = &spec.create_cluster
            && let (Some(group), Some(cluster_name)) =
                (&cluster.resource_group, &cluster.cluster_name)
        {
            let key = format!("{}/{group}/{cluster_name}", w.subscription_id).to_ascii_lowercase();
            if let Some(first) = clusters.insert(key, file) {
                problems.push(format!(
                    "error: {} and {} both create AKS cluster {} (resource group {}); keep one create_cluster spec per cluster",
                    first.display(),
                    file.display(),
                    cluster_name,
                    group
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::invalid(problems.join("\n")))
    }
}

/// A workspace read once, however many specs name it.
type WorkspaceCell = Arc<OnceCell<Result<Workspace, Failure>>>;

/// Plans every loaded spec on `arm`: each distinct workspace is read once (its region, unless
/// the spec gives it; specs of different workspaces are read at the same time), then every
/// compute's convergence, `jobs` at a time. A spec whose region is the workspace's is
/// validated with the region read.
pub async fn plan_all(arm: &ArmClient, specs: Vec<Loaded>, jobs: usize) -> Vec<Planned> {
    let workspaces: Arc<Mutex<HashMap<String, WorkspaceCell>>> = Arc::default();
    let tasks = specs.into_iter().map(|Loaded { file, spec: loaded }| {
        let arm = arm.clone();
        let workspaces = workspaces.clone();
        async move {
            let mut loaded = match loaded {
                Ok(l) => l,
                Err(f) => {
                    return Planned {
                        name: String::new(),
                        file,
                        workspace: None,
                        convergence: Err(f),
                        workspace_handle: None,
                        hint: None,
                    };
                }
            };
            let name = loaded.spec().name.clone();
            let hint = admit_hint(&loaded);
            let w = loaded.workspace();
            let id =
                match WorkspaceId::new(&w.subscription_id, &w.resource_group, &w.workspace_name) {
                    Ok(id) => id,
                    Err(e) => {
                        return Planned {
                            name,
                            file,
                            workspace: None,
                            convergence: Err(Failure::invalid(format!("error: workspace: {e}"))),
                            workspace_handle: None,
                            hint,
                        };
                    }
                };
            // The cell is taken under the lock; the read runs outside it, once per workspace.
            let cell = {
                let mut cache = workspaces.lock().unwrap_or_else(PoisonError::into_inner);
                cache
                    .entry(id.to_string().to_ascii_lowercase())
                    .or_default()
                    .clone()
            };
            let location = w.location.clone();
            let ws = cell
                .get_or_init(|| async {
                    match location {
                        Some(location) => {
                            Ok(Workspace::new(arm, id.clone()).with_location(location))
                        }
                        None => Workspace::fetch(arm, id.clone())
                            .await
                            .map_err(Failure::from),
                    }
                })
                .await
                .clone();
            if let Ok(Some(location)) = ws.as_ref().map(Workspace::location) {
                loaded.set_workspace_location(location);
            }
            let convergence = match (&ws, loaded.desired()) {
                (Err(f), _) => Err(f.clone()),
                (_, Err(e)) => Err(e.into()),
                (Ok(ws), Ok(desired)) => {
                    ws.plan_ensure(&name, desired).await.map_err(Failure::from)
                }
            };
            Planned {
                file,
                name,
                workspace: Some(id),
                convergence: convergence.map_err(|f| with_hint(f, hint)),
                workspace_handle: ws.ok(),
                hint,
            }
        }
    });
    futures::stream::iter(tasks)
        .buffered(jobs.max(1))
        .collect()
        .await
}

/// Runs every plan, `options.jobs` at a time, each watched by `progress` under its compute's
/// name; returns one result per spec, in the specs' order.
pub async fn apply_all(
    planned: Vec<Planned>,
    options: ApplyOptions,
    progress: &Progress,
) -> Vec<Applied> {
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = planned.into_iter().map(|p| {
        let stop = stop.clone();
        async move {
            let Planned {
                file,
                name,
                workspace,
                convergence,
                workspace_handle,
                hint,
            } = p;
            let (action, outcome) = match (convergence, workspace_handle) {
                (Err(f), _) => ("none".to_owned(), Outcome::Failed(f)),
                (Ok(c), _) if c.plan().is_none() => ("none".to_owned(), Outcome::UpToDate),
                (Ok(c), None) => (action(&c), Outcome::Skipped),
                (Ok(c), Some(ws)) => {
                    let action = action(&c);
                    if options.fail_fast && stop.load(Ordering::Acquire) {
                        (action, Outcome::Skipped)
                    } else {
                        let outcome = match run(&ws, c, &name, progress).await {
                            Outcome::Failed(f) => Outcome::Failed(with_hint(f, hint)),
                            other => other,
                        };
                        (action, outcome)
                    }
                }
            };
            if matches!(outcome, Outcome::Failed(_)) {
                stop.store(true, Ordering::Release);
            }
            Applied {
                file,
                name,
                workspace,
                action,
                outcome,
            }
        }
    });
    futures::stream::iter(tasks)
        .buffered(options.jobs.max(1))
        .collect()
        .await
}

/// How a spec admits the Azure ML control plane: the key of its `attach:` or
/// `create_cluster:` section.
fn admit_hint(loaded: &LoadedSpec) -> Option<AdmitHint> {
    let spec = loaded.spec();
    if spec.attach.is_some() {
        Some(AdmitHint::Spec("attach"))
    } else if spec.create_cluster.is_some() {
        Some(AdmitHint::Spec("create_cluster"))
    } else {
        None
    }
}

fn with_hint(failure: Failure, hint: Option<AdmitHint>) -> Failure {
    match hint {
        Some(hint) => failure.with_admit_hint(hint),
        None => failure,
    }
}

async fn run(ws: &Workspace, convergence: Convergence, name: &str, progress: &Progress) -> Outcome {
    let Some(plan) = convergence.into_plan() else {
        return Outcome::UpToDate;
    };
    let operation = match ws.begin_plan(plan).await {
        Ok(op) => op,
        Err(e) => return Outcome::Failed(e.into()),
    };
    match progress.watch(operation, name).await {
        Ok(done) => Outcome::Applied(done.compute().map(Box::new)),
        Err(e) => Outcome::Failed(e.into()),
    }
}

/// The whole plan, as `aml apply` shows it before running: per spec, what differs and the plan.
pub(crate) fn plan_text(planned: &[Planned]) -> String {
    let mut text = String::new();
    for p in planned {
        let ws = p
            .workspace
            .as_ref()
            .map_or_else(|| "-".to_owned(), |w| w.name().to_owned());
        let _ = writeln!(
            text,
            "== {} ({} in workspace {ws})",
            p.file.display(),
            p.name
        );
        match &p.convergence {
            Ok(c) => text += &c.to_string(),
            Err(f) => {
                for line in f.message.lines() {
                    let _ = writeln!(text, "  {line}");
                }
            }
        }
    }
    text
}

/// The plan as JSON: `{"specs": [{"file", "workspace", "name", "action", "differences":
/// [{"field", "existing", "desired", "remedy"}], "plan", "error"}]}`.
pub(crate) fn plan_json(planned: &[Planned]) -> Value {
    let specs: Vec<Value> = planned
        .iter()
        .map(|p| {
            let (action, differences, plan, error) = match &p.convergence {
                Ok(c) => (
                    action(c),
                    c.differences()
                        .iter()
                        .map(|d| {
                            json!({"field": d.field, "existing": d.existing, "desired": d.desired, "remedy": d.remedy.as_str()})
                        })
                        .collect::<Vec<_>>(),
                    c.plan().map(ToString::to_string),
                    Value::Null,
                ),
                Err(f) => ("none".to_owned(), Vec::new(), None, f.to_json()["error"].clone()),
            };
            json!({
                "file": p.file.display().to_string(),
                "workspace": p.workspace.as_ref().map(ToString::to_string),
                "name": p.name,
                "action": action,
                "differences": differences,
                "plan": plan,
                "error": error,
            })
        })
        .collect();
    json!({ "specs": specs })
}

/// The summary table of a run.
pub(crate) fn summary_text(results: &[Applied]) -> String {
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            let outcome = match &r.outcome {
                Outcome::UpToDate => "up to date".to_owned(),
                Outcome::Applied(_) => "applied".to_owned(),
                Outcome::Failed(f) => format!("FAILED ({})", f.exit.name()),
                Outcome::Skipped => "skipped".to_owned(),
            };
            vec![
                r.name.clone(),
                r.workspace
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |w| w.name().to_owned()),
                r.action.clone(),
                outcome,
                r.file.display().to_string(),
            ]
        })
        .collect();
    let converged = results.iter().filter(|r| r.converged()).count();
    let mut text = crate::output::table(&["NAME", "WORKSPACE", "ACTION", "OUTCOME", "FILE"], &rows);
    let _ = writeln!(text, "{converged} of {} converged", results.len());
    for r in results {
        if let Outcome::Failed(f) = &r.outcome {
            let _ = writeln!(text, "{} ({}):", r.name, r.file.display());
            for line in f.message.lines() {
                let _ = writeln!(text, "  {line}");
            }
        }
    }
    text
}

/// The exit of a plan (`aml plan`, `aml apply --dry-run`): success when every spec could be
/// planned; else a single spec's own failure (2 for an invalid spec, 4 for a refusal, ...), or
/// [`Exit::Partial`] for several.
pub(crate) fn plan_exit(planned: &[Planned]) -> Exit {
    let failures: Vec<&Failure> = planned
        .iter()
        .filter_map(|p| p.convergence.as_ref().err())
        .collect();
    match (failures.as_slice(), planned.len()) {
        ([], _) => Exit::Success,
        ([one], 1) => one.exit,
        _ => Exit::Partial,
    }
}

/// The exit of a run: success when every spec converged; else a single spec's own failure, or
/// [`Exit::Partial`] for several.
pub(crate) fn exit_of(results: &[Applied]) -> Exit {
    let failed: Vec<&Applied> = results.iter().filter(|r| !r.converged()).collect();
    match (failed.as_slice(), results.len()) {
        ([], _) => Exit::Success,
        ([one], 1) => match &one.outcome {
            Outcome::Failed(f) => f.exit,
            _ => Exit::Partial,
        },
        _ => Exit::Partial,
    }
}
