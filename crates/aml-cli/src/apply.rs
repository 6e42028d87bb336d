//! `aml apply` of many specs: load every spec, plan each against its workspace (what differs
//! and the plan that converges it), then run the plans with bounded concurrency, one progress
//! line per compute, and summarize. One failing spec does not stop the others unless
//! `fail_fast` is set. This is a library so benchmarks drive exactly what the binary runs.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aml_arm::ArmClient;
use aml_compute::{ComputeTarget, Convergence, Workspace};
use aml_model::WorkspaceId;
use futures::StreamExt as _;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::exit::{Exit, Failure};
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
    pub file: PathBuf,
    /// The compute's name, when the spec could be read.
    pub name: String,
    /// The spec's workspace, when the spec could be read.
    pub workspace: Option<WorkspaceId>,
    /// What differs and the plan, or why there is none.
    pub convergence: Result<Convergence, Failure>,
    workspace_handle: Option<Workspace>,
}

/// What happened to one spec.
#[derive(Debug)]
pub enum Outcome {
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
    pub file: PathBuf,
    /// The compute's name.
    pub name: String,
    /// The spec's workspace.
    pub workspace: Option<WorkspaceId>,
    /// What the plan was (`create`, `attach`, `update`, `scale`, ..., or `none`).
    pub action: String,
    /// What happened.
    pub outcome: Outcome,
}

impl Applied {
    /// Whether the compute is now as its spec says.
    pub fn converged(&self) -> bool {
        matches!(self.outcome, Outcome::UpToDate | Outcome::Applied(_))
    }

    /// The stable JSON of one result: `{"file", "workspace", "name", "action", "outcome"
    /// ("up_to_date" | "applied" | "failed" | "skipped"), "error", "compute"}`.
    pub fn to_json(&self) -> Value {
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
pub fn action(convergence: &Convergence) -> String {
    convergence
        .plan()
        .map_or_else(|| "none".to_owned(), |p| p.kind().as_str().to_owned())
}

/// A spec file and the spec in it, or why it cannot be used.
pub type Loaded = (PathBuf, Result<LoadedSpec, Failure>);

/// Loads every spec under `paths` (files, or folders of `*.yaml|*.yml|*.json`). A spec that
/// cannot be read or is invalid is kept as its failure, so the others still run.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Loaded>, Failure> {
    let files = spec::spec_files(paths)?;
    Ok(files
        .into_iter()
        .map(|file| {
            let loaded = spec::load(&file)
                .and_then(|l| l.plan().map(|_| l))
                .map_err(Failure::from);
            (file, loaded)
        })
        .collect())
}

/// Plans every loaded spec on `arm`: each distinct workspace is read once (its region, unless
/// the spec gives it), then every compute's convergence, `jobs` at a time.
pub async fn plan_all(arm: &ArmClient, specs: Vec<Loaded>, jobs: usize) -> Vec<Planned> {
    let workspaces: Arc<Mutex<HashMap<String, Result<Workspace, Failure>>>> = Arc::default();
    let tasks = specs.into_iter().map(|(file, loaded)| {
        let arm = arm.clone();
        let workspaces = workspaces.clone();
        async move {
            let loaded = match loaded {
                Ok(l) => l,
                Err(f) => {
                    return Planned {
                        name: String::new(),
                        file,
                        workspace: None,
                        convergence: Err(f),
                        workspace_handle: None,
                    };
                }
            };
            let name = loaded.spec().name.clone();
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
                        };
                    }
                };
            let ws = {
                let mut cache = workspaces.lock().await;
                let key = id.to_string().to_ascii_lowercase();
                if !cache.contains_key(&key) {
                    let ws = match &w.location {
                        Some(location) => {
                            Ok(Workspace::new(arm, id.clone()).with_location(location))
                        }
                        None => Workspace::fetch(arm, id.clone())
                            .await
                            .map_err(Failure::from),
                    };
                    cache.insert(key.clone(), ws);
                }
                cache.get(&key).cloned().unwrap_or_else(|| {
                    Err(Failure::new(
                        Exit::Runtime,
                        "the workspace cache lost an entry",
                    ))
                })
            };
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
                convergence,
                workspace_handle: ws.ok(),
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
                        (action, run(&ws, c, &name, progress).await)
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
pub fn plan_text(planned: &[Planned]) -> String {
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
pub fn plan_json(planned: &[Planned]) -> Value {
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
pub fn summary_text(results: &[Applied]) -> String {
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

/// The exit of a run: success when every spec converged; else a single spec's own failure, or
/// [`Exit::Partial`] for several.
pub fn exit_of(results: &[Applied]) -> Exit {
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
