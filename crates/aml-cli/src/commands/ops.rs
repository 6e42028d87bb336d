//! The commands that change a compute: create, attach, create-cluster, update, scale,
//! reattach, detach, delete; and delete-cluster, which deletes a cluster no compute uses. Each builds its plan first (`--dry-run` prints it and sends nothing), then runs it
//! with progress, or starts it and prints a resume token (`--no-wait`).

use std::collections::BTreeMap;
use std::io::{BufRead as _, IsTerminal as _};

use aml_compute::config::{
    AksAttachBuilder, AksProvisioningBuilder, AksUpdateBuilder, LoadBalancerSettings,
    ManagedClusterBuilder, NodePoolSettings, ScaleBuilder, TlsSettings,
};
use aml_compute::{AttachOptions, CreateClusterOptions, OperationKind, Plan, Workspace};
use aml_model::plan::Subject;
use aml_model::wire::{ClusterPurpose, LoadBalancerSku, LoadBalancerType, OutboundType};
use aml_model::{AksClusterId, PrivateKeyPem, WorkspaceId};
use serde_json::json;

use super::Context;
use super::local::token_at;
use crate::cli::{Command, CreateClusterArgs, LoadBalancerArgs, RunArgs, TlsArgs};
use crate::exit::{AdmitHint, Exit, Failure};
use crate::output;

/// Runs one of the commands that change a compute. A refusal of authorized IP ranges that miss
/// the Azure ML control plane says how the command admits it (`attach` and `create-cluster`
/// have their own `--admit-control-plane`).
pub(super) async fn run(ctx: &Context, command: Command) -> Result<Exit, Failure> {
    let hint = match &command {
        Command::Attach { .. } => Some(AdmitHint::Attach),
        Command::CreateCluster(_) => Some(AdmitHint::CreateCluster),
        _ => None,
    };
    run_command(ctx, command).await.map_err(|f| match hint {
        Some(hint) => f.with_admit_hint(hint),
        None => f,
    })
}

#[allow(
    clippy::too_many_lines,
    reason = "one arm per command, each building its plan"
)]
async fn run_command(ctx: &Context, command: Command) -> Result<Exit, Failure> {
    // What the library refuses from the flags alone (a scale's VM size, bad autoscaler bounds)
    // is refused before the workspace is read: nothing is sent.
    if let Command::Scale {
        node_count,
        autoscale,
        autoscale_off,
        pool,
        vm_size,
        ..
    } = &command
    {
        scale_builder(
            *node_count,
            autoscale.as_deref(),
            *autoscale_off,
            pool.clone(),
            vm_size.clone(),
        )
        .build()
        .map_err(aml_compute::Error::from)?;
    }
    let ws = ctx.workspace().await?;
    let mut resume_args = None;
    let (name, plan, run) = match command {
        Command::Create {
            name,
            agent_count,
            vm_size,
            location,
            cluster_purpose,
            tls,
            load_balancer,
            run,
        } => {
            let config = AksProvisioningBuilder {
                agent_count,
                vm_size,
                location,
                cluster_purpose: cluster_purpose.as_deref().map(ClusterPurpose::parse),
                vnet: None,
                load_balancer: load_balancer_settings(&load_balancer),
                tls: tls_settings(&tls)?,
            };
            let plan = ws.plan_create(&name, config)?;
            (name, plan, run)
        }
        Command::Attach {
            name,
            cluster_id,
            cluster_resource_group,
            cluster_name,
            cluster_purpose,
            admit_control_plane,
            allow_second_attachment,
            tls,
            load_balancer,
            run,
        } => {
            let options = AttachOptions::default()
                .admit_control_plane(admit_control_plane)
                .allow_second_attachment(allow_second_attachment);
            let config = AksAttachBuilder {
                resource_id: cluster_id,
                resource_group: cluster_resource_group,
                cluster_name,
                cluster_purpose: cluster_purpose.as_deref().map(ClusterPurpose::parse),
                load_balancer: load_balancer_settings(&load_balancer),
                tls: tls_settings(&tls)?,
            };
            let plan = ws.plan_attach(&name, config, options)?;
            (name, plan, run)
        }
        Command::CreateCluster(args) => {
            let (cluster, attach, options) = create_cluster_config(&args)?;
            let plan = ws.plan_create_cluster(&args.name, cluster, attach, options)?;
            resume_args = Some(with_absolute_paths(&args)?);
            let CreateClusterArgs { name, run, .. } = *args;
            (name, plan, run)
        }
        Command::Update {
            name,
            disable_tls,
            tls,
            load_balancer,
            run,
        } => {
            let lb = load_balancer_settings(&load_balancer);
            let tls = if disable_tls {
                Some(TlsSettings::disabled())
            } else {
                Some(tls_settings(&tls)?).filter(|t| !t.is_empty())
            };
            let config = AksUpdateBuilder {
                load_balancer: (!lb.is_empty()).then_some(lb),
                tls,
            };
            let plan = ws.plan_update(&name, config)?;
            (name, plan, run)
        }
        Command::Scale {
            name,
            node_count,
            autoscale,
            autoscale_off,
            pool,
            vm_size,
            run,
        } => {
            let config = scale_builder(
                node_count,
                autoscale.as_deref(),
                autoscale_off,
                pool,
                vm_size,
            );
            let plan = ws.plan_scale(&name, config).await?;
            (name, plan, run)
        }
        Command::Reattach { name, tls, run } => {
            let tls = Some(tls_settings(&tls)?).filter(|t| !t.is_empty());
            let plan = ws.plan_reattach(&name, tls).await?;
            (name, plan, run)
        }
        Command::Detach { name, run } => {
            let plan = ws.plan_detach(&name)?;
            (name, plan, run)
        }
        Command::Delete { name, yes, run } => {
            let plan = ws.plan_delete(&name)?;
            let question = format!(
                "delete compute {name} and the AKS cluster it created? this cannot be undone"
            );
            if !yes && !run.dry_run && !confirm(&question)? {
                return Err(Failure::new(
                    Exit::Declined,
                    format!("not deleting {name}: not confirmed (answer yes, or pass --yes)"),
                ));
            }
            (name, plan, run)
        }
        Command::DeleteCluster {
            cluster_id,
            cluster_resource_group,
            cluster_name,
            yes,
            run,
        } => {
            let cluster = cluster_of(
                ws.id(),
                cluster_id.as_deref(),
                cluster_resource_group.as_deref(),
                cluster_name.as_deref(),
            )?;
            let plan = ws.plan_delete_cluster(&cluster)?;
            let name = cluster.name().to_owned();
            let question = format!(
                "delete AKS cluster {name} (resource group {}) and its nodes? this cannot be undone",
                cluster.resource_group()
            );
            if !yes && !run.dry_run && !confirm(&question)? {
                return Err(Failure::new(
                    Exit::Declined,
                    format!(
                        "not deleting cluster {name}: not confirmed (answer yes, or pass --yes)"
                    ),
                ));
            }
            (name, plan, run)
        }
        other => {
            return Err(Failure::new(
                Exit::Runtime,
                format!("{other:?} is not an operation"),
            ));
        }
    };
    execute(ctx, &ws, &name, plan, run, resume_args.as_ref()).await
}

/// The scale `aml scale`'s flags ask for. A VM size is passed on for the library to refuse
/// (rule `scale.vm_size`), with the reason, rather than ignored.
fn scale_builder(
    node_count: Option<u32>,
    autoscale: Option<&[u32]>,
    autoscale_off: bool,
    pool: Option<String>,
    vm_size: Option<String>,
) -> ScaleBuilder {
    let mut config = ScaleBuilder {
        node_count,
        pool,
        vm_size,
        ..ScaleBuilder::default()
    };
    if let Some([min, max]) = autoscale {
        config = config.autoscale(*min, *max);
    }
    if autoscale_off {
        config = config.autoscale_off();
    }
    config
}

/// `args` with its TLS files' paths made absolute, for a resume token that `aml wait` may read
/// from another folder.
fn with_absolute_paths(args: &CreateClusterArgs) -> Result<CreateClusterArgs, Failure> {
    let mut args = args.clone();
    for path in [&mut args.tls.cert_file, &mut args.tls.key_file]
        .into_iter()
        .flatten()
    {
        *path = std::path::absolute(&*path)
            .map_err(|e| Failure::io(&format!("cannot resolve {}", path.display()), &e))?;
    }
    Ok(args)
}

/// The cluster `--cluster-id`, or `--cluster-resource-group` and `--cluster-name` (in the
/// workspace's subscription), name.
fn cluster_of(
    workspace: &WorkspaceId,
    id: Option<&str>,
    resource_group: Option<&str>,
    name: Option<&str>,
) -> Result<AksClusterId, Failure> {
    match (id, resource_group, name) {
        (Some(id), ..) => id
            .parse()
            .map_err(|e| Failure::invalid(format!("--cluster-id {id:?}: {e}"))),
        (None, Some(group), Some(name)) => {
            AksClusterId::new(workspace.subscription_id(), group, name).map_err(|e| {
                Failure::invalid(format!(
                    "--cluster-resource-group {group:?} --cluster-name {name:?}: {e}"
                ))
            })
        }
        _ => Err(Failure::invalid(
            "name the cluster: --cluster-id ID, or --cluster-resource-group RG --cluster-name NAME",
        )),
    }
}

/// Asks `question` on standard error; reads the answer from standard input.
fn confirm(question: &str) -> Result<bool, Failure> {
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::io("cannot read the answer", &e))?;
    if !answer.ends_with('\n') || !std::io::stdin().is_terminal() {
        // no echoed line end: what follows (a JSON error) starts on a line of its own
        eprintln!();
    }
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Runs `plan`, or prints it (`--dry-run`), or starts it and prints its token (`--no-wait`).
/// A create-and-attach's token keeps `resume_args`, from which `aml wait` makes the plan again.
async fn execute(
    ctx: &Context,
    ws: &Workspace,
    name: &str,
    plan: Plan,
    run: RunArgs,
    resume_args: Option<&CreateClusterArgs>,
) -> Result<Exit, Failure> {
    let kind = plan.kind();
    let subject = plan.subject().clone();
    if run.dry_run {
        if ctx.json() {
            output::print_json(&json!({
                "operation": kind.as_str(),
                "name": name,
                "dry_run": true,
                "plan": plan.to_string(),
            }))?;
        } else {
            output::print(&plan.to_string())?;
        }
        return Ok(Exit::Success);
    }
    let mut operation = ws.begin_plan(plan).await?;
    if run.no_wait {
        to_compute_write(&mut operation).await?;
        let token = operation
            .resume_token()
            .map(|token| token_at(&subject, kind, &token, operation.resume_step(), resume_args))
            .transpose()?;
        if ctx.json() {
            output::print_json(&json!({
                "operation": kind.as_str(),
                "name": name,
                "status": "started",
                "resume_token": token,
            }))?;
        } else if let Some(token) = token {
            output::print(&format!(
                "{} of {name} started; resume with:\n  aml wait {token}\n",
                kind.as_str()
            ))?;
        } else {
            output::print(&format!(
                "{} of {name} started; no operation is running, so there is nothing to resume: see `aml show {name}`\n",
                kind.as_str()
            ))?;
        }
        return Ok(Exit::Success);
    }
    let done = ctx.progress.watch_resumable(operation, name).await;
    finished(ctx, &subject, kind, resume_args, done)
}

/// For `--no-wait`: an attach whose plan first admits the Azure ML control plane into the
/// cluster's authorized ranges (a write of the managed cluster) runs that write to its end and
/// starts the compute's own, so that the token `aml wait` reads resumes the attach (a token
/// resumes only the running ARM operation, not the plan's later writes).
async fn to_compute_write(operation: &mut aml_compute::ComputeOperation) -> Result<(), Failure> {
    if operation.kind() != OperationKind::Attach {
        return Ok(());
    }
    loop {
        let plan = operation.plan();
        // Between two writes nothing runs: go on to the next write.
        let compute_write = operation.resume_step().map(|step| {
            step.checked_sub(1)
                .and_then(|i| plan.steps().get(i))
                .and_then(|s| s.write())
                .zip(plan.compute())
                .is_none_or(|(w, id)| w.uri().path().eq_ignore_ascii_case(&id.to_string()))
        });
        if compute_write == Some(true) || operation.next_event().await?.is_none() {
            return Ok(());
        }
    }
}

/// Prints the end of an operation (its outcome, and the plan's step that waited when it
/// stopped); when waiting stopped, the failure carries the `aml wait` token that resumes it
/// (for a create-and-attach, with `resume_args`).
pub(super) fn finished(
    ctx: &Context,
    subject: &Subject,
    kind: OperationKind,
    resume_args: Option<&CreateClusterArgs>,
    (done, step): (aml_compute::Result<aml_compute::Completion>, Option<usize>),
) -> Result<Exit, Failure> {
    let done = match done {
        Ok(done) => done,
        Err(e) => {
            let mut failure = Failure::from_compute(&e);
            if let Some(token) = e.resume_token() {
                failure.resume = Some(token_at(subject, kind, token, step, resume_args)?);
            }
            return Err(failure);
        }
    };
    let name = subject.name();
    let kind = kind.as_str();
    let compute = done.compute();
    if ctx.json() {
        output::print_json(&json!({
            "operation": kind,
            "name": name,
            "status": "succeeded",
            "compute": compute.as_ref().map(output::compute_json),
        }))?;
    } else {
        let what = match kind {
            "detach" => format!("detached {name}; its AKS cluster is kept\n"),
            "delete" => format!("deleted {name}\n"),
            "delete cluster" => format!("deleted AKS cluster {name} and its nodes\n"),
            _ => format!("{kind} of {name} succeeded\n"),
        };
        output::print(&what)?;
        if let Some(compute) = &compute {
            output::print(&output::compute_details(compute))?;
        }
    }
    Ok(Exit::Success)
}

/// The cluster, the attach and the options `create-cluster`'s flags say (the TLS files read).
pub(super) fn create_cluster_config(
    args: &CreateClusterArgs,
) -> Result<
    (
        ManagedClusterBuilder,
        AksAttachBuilder,
        CreateClusterOptions,
    ),
    Failure,
> {
    let mut tags = BTreeMap::new();
    for tag in &args.tags {
        let Some((name, value)) = tag.split_once('=') else {
            return Err(Failure::invalid(format!("--tag {tag:?}: write NAME=VALUE")));
        };
        tags.insert(name.to_owned(), value.to_owned());
    }
    let cluster = ManagedClusterBuilder {
        location: Some(args.location.clone()),
        kubernetes_version: args.kubernetes_version.clone(),
        dns_prefix: args.dns_prefix.clone(),
        system_pool: NodePoolSettings {
            name: None,
            vm_size: args.system_pool_vm_size.clone(),
            count: args.system_pool_count,
        },
        accelerator_pool: args
            .accelerator_vm_size
            .as_ref()
            .map(|size| NodePoolSettings {
                name: None,
                vm_size: Some(size.clone()),
                count: args.accelerator_count,
            }),
        load_balancer_sku: args
            .load_balancer_sku
            .as_deref()
            .map(LoadBalancerSku::parse),
        private_cluster: args.private,
        authorized_ip_ranges: args.authorized_ip_ranges.clone(),
        outbound_type: args.outbound_type.as_deref().map(OutboundType::parse),
        subnet_id: args.subnet_id.clone(),
        user_assigned_identity: args.user_assigned_identity.clone(),
        tags,
    };
    let attach = AksAttachBuilder {
        resource_id: None,
        resource_group: Some(args.cluster_resource_group.clone()),
        cluster_name: Some(args.cluster_name.clone()),
        cluster_purpose: args.cluster_purpose.as_deref().map(ClusterPurpose::parse),
        load_balancer: load_balancer_settings(&args.load_balancer),
        tls: tls_settings(&args.tls)?,
    };
    let options = CreateClusterOptions::default().admit_control_plane(args.admit_control_plane);
    Ok((cluster, attach, options))
}

fn load_balancer_settings(args: &LoadBalancerArgs) -> LoadBalancerSettings {
    LoadBalancerSettings {
        kind: args
            .load_balancer_type
            .as_deref()
            .map(LoadBalancerType::parse),
        subnet: args.load_balancer_subnet.clone(),
    }
}

fn tls_settings(args: &TlsArgs) -> Result<TlsSettings, Failure> {
    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::io(&format!("cannot read {}", path.display()), &e))
    };
    let cert_pem = args.cert_file.as_deref().map(read).transpose()?;
    let key_pem = args
        .key_file
        .as_deref()
        .map(|p| read(p).map(PrivateKeyPem::new))
        .transpose()?;
    Ok(TlsSettings {
        cert_pem,
        key_pem,
        cname: args.cname.clone(),
        leaf_domain_label: args.leaf_domain_label.clone(),
        overwrite_existing_domain: args.overwrite_existing_domain.then_some(true),
        ..TlsSettings::default()
    })
}
