//! Running a parsed command line.

use std::fmt::Write as _;
mod local;
mod ops;
mod read;

use std::path::PathBuf;

use aml_compute::Workspace;

use crate::cli::{Cli, Command, Global};
use crate::exit::{Exit, Failure};
use crate::output::Format;
use crate::progress::Progress;
use crate::target::{CloudChoice, Target, WorkspaceChoice};

/// What every command needs: the output format, progress, and how to connect.
pub(crate) struct Context {
    /// `--output`.
    pub(crate) format: Format,
    /// How progress is shown.
    pub(crate) progress: Progress,
    /// The cloud (and the testing endpoint).
    pub(crate) cloud: CloudChoice,
    /// The workspace, as named.
    pub(crate) workspace: WorkspaceChoice,
    /// `--timeout`: how long to wait for a long-running operation.
    pub(crate) timeout: Option<std::time::Duration>,
}

impl Context {
    /// The context of the global options.
    pub(crate) fn new(global: &Global) -> Self {
        Self {
            format: global.output,
            progress: if global.quiet {
                Progress::Silent
            } else {
                Progress::for_terminal()
            },
            cloud: CloudChoice {
                name: global.cloud.clone(),
                resource_manager: global.resource_manager.clone(),
                authority_host: global.authority_host.clone(),
                audience: global.audience.clone(),
                endpoint: global.endpoint.clone(),
                az_config_dir: crate::target::az_config_dir(),
            },
            workspace: WorkspaceChoice {
                subscription: global.subscription.clone(),
                resource_group: global.resource_group.clone(),
                workspace: global.workspace.clone(),
                config: global.config.clone(),
            },
            timeout: global.timeout,
        }
    }

    /// The chosen cloud, with `--timeout`.
    pub(crate) fn target(&self) -> Result<Target, Failure> {
        Ok(Target::resolve(&self.cloud)?.with_poll_timeout(self.timeout))
    }

    /// The ARM client of the chosen cloud.
    pub(crate) fn arm(&self) -> Result<aml_arm::ArmClient, Failure> {
        self.target()?.arm_client()
    }

    /// The chosen workspace on the chosen cloud, its region read.
    pub(crate) async fn workspace(&self) -> Result<Workspace, Failure> {
        let id = self.workspace.resolve()?;
        crate::target::workspace(self.arm()?, id).await
    }

    /// Whether the output is JSON.
    pub(crate) fn json(&self) -> bool {
        self.format == Format::Json
    }
}

/// Runs `cli`; returns the exit code of success (0, or 8 for an apply that did not fully
/// converge) or the failure.
pub async fn run(cli: Cli) -> Result<Exit, Failure> {
    let ctx = Context::new(&cli.global);
    match cli.command {
        Command::Plan {
            paths,
            offline,
            jobs,
        } => plan(&ctx, &paths, offline, jobs).await,
        Command::Apply {
            paths,
            jobs,
            fail_fast,
            dry_run,
        } => {
            let options = crate::apply::ApplyOptions {
                jobs: usize::from(jobs),
                fail_fast,
            };
            apply(&ctx, &paths, options, dry_run).await
        }
        Command::Show { name } => read::show(&ctx, &name).await,
        Command::List => read::list(&ctx).await,
        Command::Versions { location } => read::versions(&ctx, &location).await,
        Command::Credentials {
            name,
            file,
            merge,
            admin,
            show_secrets,
        } => read::credentials(&ctx, &name, file, merge, admin, show_secrets).await,
        Command::RecoverTls {
            secret,
            cname,
            out_dir,
        } => local::recover_tls(&ctx, &secret, &cname, &out_dir),
        Command::Wait { token } => local::wait(&ctx, &token).await,
        Command::Emulator { port, seed } => local::emulator(&ctx, port, seed).await,
        Command::Completions { shell } => local::completions(shell),
        command => ops::run(&ctx, command).await,
    }
}

async fn plan(
    ctx: &Context,
    paths: &[PathBuf],
    offline: bool,
    jobs: usize,
) -> Result<Exit, Failure> {
    let specs = crate::apply::load_all(paths)?;
    if offline {
        let mut all_valid = true;
        let mut text = String::new();
        let mut json = Vec::new();
        for crate::apply::Loaded { file, spec: loaded } in &specs {
            let plan = loaded
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|l| l.plan().map_err(Failure::from));
            all_valid &= plan.is_ok();
            let _ = writeln!(text, "== {}", file.display());
            match &plan {
                Ok(p) => text += &p.to_string(),
                Err(f) => {
                    let _ = writeln!(text, "{}", f.message);
                }
            }
            json.push(serde_json::json!({
                "file": file.display().to_string(),
                "plan": plan.as_ref().ok().map(ToString::to_string),
                "error": plan.as_ref().err().map(|f| f.to_json()["error"].clone()),
            }));
        }
        if ctx.json() {
            crate::output::print_json(&serde_json::json!({ "specs": json }))?;
        } else {
            crate::output::print(&text)?;
        }
        return Ok(if all_valid {
            Exit::Success
        } else if specs.len() == 1 {
            Exit::Invalid
        } else {
            Exit::Partial
        });
    }
    crate::apply::conflicts(&specs)?;
    let arm = ctx.arm()?;
    let planned = crate::apply::plan_all(&arm, specs, jobs).await;
    if ctx.json() {
        crate::output::print_json(&crate::apply::plan_json(&planned))?;
    } else {
        crate::output::print(&crate::apply::plan_text(&planned))?;
    }
    Ok(crate::apply::plan_exit(&planned))
}

async fn apply(
    ctx: &Context,
    paths: &[PathBuf],
    options: crate::apply::ApplyOptions,
    dry_run: bool,
) -> Result<Exit, Failure> {
    let specs = crate::apply::load_all(paths)?;
    crate::apply::conflicts(&specs)?;
    let arm = ctx.arm()?;
    let planned = crate::apply::plan_all(&arm, specs, options.jobs).await;
    if dry_run {
        if ctx.json() {
            crate::output::print_json(&crate::apply::plan_json(&planned))?;
        } else {
            crate::output::print(&crate::apply::plan_text(&planned))?;
        }
        return Ok(crate::apply::plan_exit(&planned));
    }
    if ctx.json() {
        ctx.progress.line(&crate::apply::plan_text(&planned));
    } else {
        crate::output::print(&crate::apply::plan_text(&planned))?;
    }
    let results = crate::apply::apply_all(planned, options, &ctx.progress).await;
    if ctx.json() {
        let converged = results.iter().filter(|r| r.converged()).count();
        crate::output::print_json(&serde_json::json!({
            "results": results.iter().map(crate::apply::Applied::to_json).collect::<Vec<_>>(),
            "converged": converged,
            "total": results.len(),
        }))?;
    } else {
        crate::output::print(&crate::apply::summary_text(&results))?;
    }
    Ok(crate::apply::exit_of(&results))
}
