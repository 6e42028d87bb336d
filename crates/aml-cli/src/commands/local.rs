//! Commands that need no workspace (emulator, completions, recover-tls) and `wait`, with the
//! resume token it reads.

use std::path::{Path, PathBuf};

use aml_compute::OperationKind;
use aml_model::WorkspaceId;
use aml_model::plan::{Step, Subject};
use base64::Engine as _;
use clap::CommandFactory as _;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Context;
use crate::cli::CreateClusterArgs;
use crate::exit::{AdmitHint, Exit, Failure};
use crate::output;

/// What an `aml wait` token holds: the workspace, the compute (or, for a cluster's deletion,
/// the cluster), the operation and the ARM resume token; for a create-and-attach, also the
/// plan's step that waits and the `create-cluster` arguments that make the same plan again
/// (TLS files by their absolute paths, never their contents). It holds the operation's URLs:
/// keep it out of public logs.
#[derive(Serialize, Deserialize)]
pub struct ResumeTokenV1 {
    /// The workspace's ARM id.
    pub workspace: String,
    /// The compute's name; the cluster's, for a cluster's deletion.
    pub name: String,
    /// The operation (`create`, `attach`, ...).
    pub kind: String,
    /// The cluster's ARM id, for a cluster's deletion (whose plan is about the cluster, not a
    /// compute); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The plan's step (from 0) whose operation runs, for an operation resumed by making its
    /// plan again (a create-and-attach); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// A create-and-attach's arguments, as given (TLS files as absolute paths).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_cluster: Option<Box<CreateClusterArgs>>,
    /// The ARM resume token.
    pub arm: aml_arm::ResumeToken,
}

const TOKEN_PREFIX: &str = "aml1.";

impl ResumeTokenV1 {
    /// The token of an operation on `subject`.
    pub fn new(subject: &Subject, kind: OperationKind, arm: &aml_arm::ResumeToken) -> Self {
        Self {
            workspace: subject.workspace().to_string(),
            name: subject.name().to_owned(),
            kind: kind.as_str().to_owned(),
            cluster: subject.cluster().map(ToString::to_string),
            step: None,
            create_cluster: None,
            arm: arm.clone(),
        }
    }

    /// The text `aml wait` reads: `aml1.` and the base64 of the JSON.
    pub fn encode(&self) -> Result<String, Failure> {
        let bytes = serde_json::to_vec(self).map_err(|e| {
            Failure::new(
                Exit::Runtime,
                format!("cannot encode the resume token: {e}"),
            )
        })?;
        Ok(format!(
            "{TOKEN_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        ))
    }

    /// Reads an `aml wait` token: the token, what the operation is about (a compute, or the
    /// cluster of a cluster's deletion) and the operation.
    pub fn decode(text: &str) -> Result<(Self, Subject, OperationKind), Failure> {
        let invalid = |why: &str| {
            Failure::invalid(format!(
                "the resume token is not one `aml ... --no-wait` printed ({why}); copy it whole"
            ))
        };
        let body = text
            .trim()
            .strip_prefix(TOKEN_PREFIX)
            .ok_or_else(|| invalid("it does not start with aml1."))?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| invalid("bad base64"))?;
        let token: Self = serde_json::from_slice(&bytes).map_err(|_| invalid("bad contents"))?;
        let workspace: WorkspaceId = token
            .workspace
            .parse()
            .map_err(|_| invalid("bad workspace id"))?;
        let kind = operation_kind(&token.kind).ok_or_else(|| invalid("unknown operation"))?;
        let subject = match (kind, &token.cluster) {
            (OperationKind::DeleteCluster, Some(cluster)) => Subject::Cluster {
                workspace,
                cluster: cluster.parse().map_err(|_| invalid("bad cluster id"))?,
            },
            (OperationKind::DeleteCluster, None) => return Err(invalid("no cluster")),
            (_, Some(_)) => return Err(invalid("a cluster for an operation on a compute")),
            (_, None) => Subject::Compute(
                workspace.compute(
                    token
                        .name
                        .parse()
                        .map_err(|_| invalid("bad compute name"))?,
                ),
            ),
        };
        match (kind, &token.create_cluster, token.step) {
            (OperationKind::CreateCluster, Some(args), Some(_)) if args.name == token.name => {}
            (OperationKind::CreateCluster, ..) => {
                return Err(invalid("no create-cluster arguments"));
            }
            (_, None, _) => {}
            (_, Some(_), _) => {
                return Err(invalid("create-cluster arguments for another operation"));
            }
        }
        Ok((token, subject, kind))
    }
}

/// The `aml wait` token of an operation on `subject` started with `--no-wait`.
pub fn encode_token(
    subject: &Subject,
    kind: OperationKind,
    arm: &aml_arm::ResumeToken,
) -> Result<String, Failure> {
    ResumeTokenV1::new(subject, kind, arm).encode()
}

/// Reads an `aml wait` token: what the operation is about (a compute, or the cluster of a
/// cluster's deletion), the operation and the ARM token.
pub fn decode_token(text: &str) -> Result<(Subject, OperationKind, aml_arm::ResumeToken), Failure> {
    let (token, subject, kind) = ResumeTokenV1::decode(text)?;
    Ok((subject, kind, token.arm))
}

/// The token of an operation that waits at `step` of its plan: with a create-and-attach's
/// arguments, the step and the arguments are kept so that `aml wait` makes the plan again.
pub(super) fn token_at(
    subject: &Subject,
    kind: OperationKind,
    arm: &aml_arm::ResumeToken,
    step: Option<usize>,
    create_cluster: Option<&CreateClusterArgs>,
) -> Result<String, Failure> {
    let mut token = ResumeTokenV1::new(subject, kind, arm);
    if let Some(args) = create_cluster {
        token.step = Some(step.ok_or_else(|| {
            Failure::new(
                Exit::Runtime,
                "the create-and-attach's running step is unknown, so it cannot be resumed",
            )
        })?);
        token.create_cluster = Some(Box::new(args.clone()));
    }
    token.encode()
}

fn operation_kind(text: &str) -> Option<OperationKind> {
    [
        OperationKind::Create,
        OperationKind::Attach,
        OperationKind::Update,
        OperationKind::Scale,
        OperationKind::Reattach,
        OperationKind::Detach,
        OperationKind::Delete,
        OperationKind::Converge,
        OperationKind::CreateCluster,
        OperationKind::DeleteCluster,
    ]
    .into_iter()
    .find(|k| k.as_str() == text)
}

/// `aml wait`: continues the operation the token names. A cluster's deletion is resumed with
/// its plan, made again for the cluster the token names, from the plan's wait; a
/// create-and-attach with its plan made again from the token's arguments (its TLS files read
/// again), from the token's step, and runs the rest of the plan (the attach).
pub(super) async fn wait(ctx: &Context, token: &str) -> Result<Exit, Failure> {
    let (token, subject, kind) = ResumeTokenV1::decode(token)?;
    // A create-and-attach resumed runs the attach's checks: a refusal names its flag.
    let create_cluster = token.create_cluster.is_some();
    resume(ctx, token, subject, kind).await.map_err(|f| {
        if create_cluster {
            f.with_admit_hint(AdmitHint::CreateCluster)
        } else {
            f
        }
    })
}

async fn resume(
    ctx: &Context,
    token: ResumeTokenV1,
    subject: Subject,
    kind: OperationKind,
) -> Result<Exit, Failure> {
    let arm_token = &token.arm;
    let operation = match (&subject, &token.create_cluster, token.step) {
        (Subject::Cluster { cluster, .. }, ..) => {
            let ws = aml_compute::Workspace::new(ctx.arm()?, subject.workspace().clone());
            let plan = ws.plan_delete_cluster(cluster)?;
            let mut waits = plan
                .steps()
                .iter()
                .enumerate()
                .filter(|(_, s)| matches!(s, Step::Wait));
            let (Some((step, _)), None) = (waits.next(), waits.next()) else {
                return Err(Failure::new(
                    Exit::Runtime,
                    "the plan of a cluster's deletion does not have exactly one wait; this aml cannot resume it",
                ));
            };
            ws.resume_plan(plan, step, arm_token)?
        }
        (_, Some(args), Some(step)) => {
            // The workspace as `create-cluster` read it (its region), so the plan is the same.
            let ws = crate::target::workspace(ctx.arm()?, subject.workspace().clone()).await?;
            let (cluster, attach, options) =
                super::ops::create_cluster_config(args).map_err(|f| Failure {
                    message: format!(
                        "cannot make the create-and-attach's plan again to resume it: {}; the token keeps the TLS files' paths (never their contents), so put them back and run aml wait again",
                        f.message
                    ),
                    ..f
                })?;
            let plan = ws.plan_create_cluster(&args.name, cluster, attach, options)?;
            ws.resume_plan(plan, step, arm_token)?
        }
        _ => {
            let ws = aml_compute::Workspace::new(ctx.arm()?, subject.workspace().clone());
            ws.resume(arm_token, subject.name(), kind)?
        }
    };
    let done = ctx
        .progress
        .watch_resumable(operation, subject.name())
        .await;
    super::ops::finished(ctx, &subject, kind, token.create_cluster.as_deref(), done)
}

pub(super) fn completions(shell: clap_complete::Shell) -> Result<Exit, Failure> {
    let mut command = crate::cli::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "aml", &mut out);
    output::print(&String::from_utf8_lossy(&out))?;
    Ok(Exit::Success)
}

pub(super) fn recover_tls(
    ctx: &Context,
    secret: &Path,
    cname: &str,
    out_dir: &Path,
) -> Result<Exit, Failure> {
    let dump = std::fs::read(secret)
        .map_err(|e| Failure::io(&format!("cannot read {}", secret.display()), &e))?;
    let tls =
        aml_compute::tls::settings_from_secret(&dump, cname, aml_tls::OffsetDateTime::now_utc())?;
    let (Some(cert), Some(key)) = (&tls.cert_pem, &tls.key_pem) else {
        return Err(Failure::invalid(format!(
            "{} holds no certificate and key",
            secret.display()
        )));
    };
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Failure::io(&format!("cannot create {}", out_dir.display()), &e))?;
    let cert_file = out_dir.join("cert.pem");
    let key_file = out_dir.join("key.pem");
    std::fs::write(&cert_file, cert)
        .map_err(|e| Failure::io(&format!("cannot write {}", cert_file.display()), &e))?;
    super::read::write_private(&key_file, key.expose())?;
    if ctx.json() {
        output::print_json(&json!({
            "cname": cname,
            "cert_file": cert_file.display().to_string(),
            "key_file": key_file.display().to_string(),
        }))?;
    } else {
        output::print(&format!(
            "recovered and checked the certificate for {cname}: {} and {} (0600)\nre-attach with: aml reattach NAME --cert-file {} --key-file {} --cname {cname}\n",
            cert_file.display(),
            key_file.display(),
            cert_file.display(),
            key_file.display()
        ))?;
    }
    Ok(Exit::Success)
}

pub(super) async fn emulator(
    ctx: &Context,
    port: u16,
    seed: Option<PathBuf>,
) -> Result<Exit, Failure> {
    let seed = match &seed {
        Some(path) => aml_emulator::Seed::from_path(path)
            .map_err(|e| Failure::invalid(crate::exit::describe(&e)))?,
        None => aml_emulator::Seed::standard(),
    };
    let emulator = aml_emulator::Emulator::builder()
        .port(port)
        .seed(seed)
        .start()
        .await
        .map_err(|e| Failure::new(Exit::Runtime, crate::exit::describe(&e)))?;
    let url = emulator.base_url().to_owned();
    if ctx.json() {
        output::print_json(&json!({ "url": url }))?;
    } else {
        output::print(&format!(
            "emulator listening on {url}\nuse it with: aml --endpoint {url} --subscription {} --resource-group {} --workspace {} list\nCtrl-C stops it\n{}",
            aml_emulator::STANDARD_SUBSCRIPTION,
            aml_emulator::STANDARD_RESOURCE_GROUP,
            aml_emulator::STANDARD_WORKSPACE,
            emulator.seed().describe()
        ))?;
    }
    let _ = tokio::signal::ctrl_c().await;
    emulator.shutdown().await;
    Ok(Exit::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_token() {
        for bad in ["", "aml1.", "aml1.!!!", "nope", "aml1.e30"] {
            assert_eq!(decode_token(bad).unwrap_err().exit, Exit::Invalid, "{bad}");
        }
    }
}
