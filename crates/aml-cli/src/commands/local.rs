//! Commands that need no workspace (emulator, completions, recover-tls) and `wait`, with the
//! resume token it reads.

use std::path::{Path, PathBuf};

use aml_compute::OperationKind;
use aml_model::WorkspaceId;
use aml_model::plan::{Step, Subject, UnknownOperationKind};
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
pub(crate) struct ResumeTokenV1 {
    /// The workspace's ARM id.
    pub(crate) workspace: String,
    /// The compute's name; the cluster's, for a cluster's deletion.
    pub(crate) name: String,
    /// The operation, by its stable name ([`OperationKind::name`]: `create`, `attach`, ...,
    /// `create_cluster`, `delete_cluster`). Tokens of earlier versions hold its message text
    /// ([`OperationKind::as_str`], like `create cluster and attach`); both are read.
    pub(crate) kind: String,
    /// The cluster's ARM id, for a cluster's deletion (whose plan is about the cluster, not a
    /// compute); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cluster: Option<String>,
    /// The plan's step (from 0) whose operation runs, for an operation resumed by making its
    /// plan again (a create-and-attach); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) step: Option<usize>,
    /// A create-and-attach's arguments, as given (TLS files as absolute paths).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) create_cluster: Option<Box<CreateClusterArgs>>,
    /// The ARM resume token.
    pub(crate) arm: aml_arm::ResumeToken,
}

const TOKEN_PREFIX: &str = "aml1.";

/// Why a text is not an `aml wait` token (invalid input, exit 2): each says what is wrong,
/// the cause, when there is one, is its source.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    /// The text does not start with `aml1.`.
    #[error(
        "the resume token does not start with aml1.; copy the whole token `aml ... --no-wait` printed"
    )]
    Prefix,
    /// The text after `aml1.` is not base64.
    #[error(
        "the resume token is not base64 after aml1.; copy the whole token `aml ... --no-wait` printed"
    )]
    Base64(#[source] base64::DecodeError),
    /// The base64 is not a token's JSON.
    #[error(
        "the resume token's contents are not a token's; copy the whole token `aml ... --no-wait` printed"
    )]
    Contents(#[source] serde_json::Error),
    /// The workspace is not a workspace's ARM id.
    #[error("the resume token's workspace is not a workspace's ARM id")]
    Workspace(#[source] aml_model::resource_id::ResourceIdError),
    /// The operation is none this `aml` knows.
    #[error("the resume token's operation is none this aml resumes")]
    Kind(#[source] UnknownOperationKind),
    /// The cluster of a cluster's deletion is not a cluster's ARM id.
    #[error("the resume token's cluster is not an AKS cluster's ARM id")]
    Cluster(#[source] aml_model::resource_id::ResourceIdError),
    /// The compute's name is not a compute name.
    #[error("the resume token's compute name is not a compute name")]
    Name(#[source] aml_model::name::InvalidName),
    /// What the token holds does not fit its operation.
    #[error("the resume token of a {kind} {problem}")]
    Mismatch {
        /// The operation's message text.
        kind: &'static str,
        /// What does not fit.
        problem: &'static str,
    },
}

impl From<TokenError> for Failure {
    fn from(error: TokenError) -> Self {
        Failure::invalid(crate::exit::describe(&error))
    }
}

/// The operation `text` names: its stable name ([`OperationKind::name`]), or the message text
/// ([`OperationKind::as_str`]) that tokens of earlier versions hold.
fn operation_kind(text: &str) -> Result<OperationKind, UnknownOperationKind> {
    text.parse().or_else(|unknown| {
        OperationKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == text)
            .ok_or(unknown)
    })
}

impl ResumeTokenV1 {
    /// The token of an operation on `subject`.
    pub(crate) fn new(subject: &Subject, kind: OperationKind, arm: &aml_arm::ResumeToken) -> Self {
        Self {
            workspace: subject.workspace().to_string(),
            name: subject.name().to_owned(),
            kind: kind.name().to_owned(),
            cluster: subject.cluster().map(ToString::to_string),
            step: None,
            create_cluster: None,
            arm: arm.clone(),
        }
    }

    /// The text `aml wait` reads: `aml1.` and the base64 of the JSON.
    pub(crate) fn encode(&self) -> Result<String, Failure> {
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
    pub(crate) fn decode(text: &str) -> Result<(Self, Subject, OperationKind), TokenError> {
        let body = text
            .trim()
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(TokenError::Prefix)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(TokenError::Base64)?;
        let token: Self = serde_json::from_slice(&bytes).map_err(TokenError::Contents)?;
        let workspace: WorkspaceId = token.workspace.parse().map_err(TokenError::Workspace)?;
        let kind = operation_kind(&token.kind).map_err(TokenError::Kind)?;
        let mismatch = |problem| TokenError::Mismatch {
            kind: kind.as_str(),
            problem,
        };
        let subject = match (kind, &token.cluster) {
            (OperationKind::DeleteCluster, Some(cluster)) => Subject::Cluster {
                workspace,
                cluster: cluster.parse().map_err(TokenError::Cluster)?,
            },
            (OperationKind::DeleteCluster, None) => return Err(mismatch("names no cluster")),
            (_, Some(_)) => return Err(mismatch("names a cluster")),
            (_, None) => {
                Subject::Compute(workspace.compute(token.name.parse().map_err(TokenError::Name)?))
            }
        };
        match (kind, &token.create_cluster, token.step) {
            (OperationKind::CreateCluster, Some(args), Some(_)) if args.name == token.name => {}
            (OperationKind::CreateCluster, ..) => {
                return Err(mismatch("lacks the create-cluster arguments"));
            }
            (_, None, _) => {}
            (_, Some(_), _) => return Err(mismatch("holds create-cluster arguments")),
        }
        Ok((token, subject, kind))
    }
}

/// The `aml wait` token of an operation that waits at `step` of its plan on `subject`: with a
/// create-and-attach's arguments, the step and the arguments are kept so that `aml wait` makes
/// the plan again.
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

    use aml_model::AksClusterId;
    use clap::Parser as _;

    /// An ARM resume token (the poller's own JSON).
    const ARM: &str = r#"{"v":1,"method":"PUT","resourceUrl":"http://127.0.0.1:1/r","mode":"resourceState","status":"Creating","elapsedMs":5}"#;
    const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

    fn arm() -> aml_arm::ResumeToken {
        ARM.parse().unwrap()
    }

    fn workspace() -> WorkspaceId {
        WorkspaceId::new(SUBSCRIPTION, "ml-rg", "ml-ws").unwrap()
    }

    /// `create-cluster web ...` as parsed.
    fn create_cluster_args() -> CreateClusterArgs {
        let cli = crate::Cli::try_parse_from([
            "aml",
            "create-cluster",
            "web",
            "--cluster-resource-group",
            "aks-rg",
            "--cluster-name",
            "aks-web",
            "--location",
            "eastus",
        ])
        .unwrap();
        match cli.command {
            crate::cli::Command::CreateCluster(args) => *args,
            other => panic!("{other:?}"),
        }
    }

    /// What an operation of `kind` is about: a cluster for its deletion, else compute `web`.
    fn subject(kind: OperationKind) -> Subject {
        match kind {
            OperationKind::DeleteCluster => Subject::Cluster {
                workspace: workspace(),
                cluster: AksClusterId::new(SUBSCRIPTION, "aks-rg", "aks-web").unwrap(),
            },
            _ => Subject::Compute(workspace().compute("web".parse().unwrap())),
        }
    }

    /// The token `--no-wait` prints for an operation of `kind`.
    fn token(kind: OperationKind) -> ResumeTokenV1 {
        let mut token = ResumeTokenV1::new(&subject(kind), kind, &arm());
        if kind == OperationKind::CreateCluster {
            token.step = Some(6);
            token.create_cluster = Some(Box::new(create_cluster_args()));
        }
        token
    }

    fn failure(text: &str) -> Failure {
        ResumeTokenV1::decode(text)
            .map(|_| ())
            .map_err(Failure::from)
            .unwrap_err()
    }

    #[test]
    fn garbage_is_not_a_token() {
        for bad in ["", "aml1.", "aml1.!!!", "nope", "aml1.e30"] {
            let failure = failure(bad);
            assert_eq!(failure.exit, Exit::Invalid, "{bad}");
            assert!(failure.message.contains("resume token"), "{bad}: {failure}");
        }
    }

    #[test]
    fn a_token_of_every_kind_holds_its_stable_name_and_reads_back() {
        for kind in OperationKind::ALL {
            let text = token(kind).encode().unwrap();
            let (read, subject_read, kind_read) = ResumeTokenV1::decode(&text)
                .unwrap_or_else(|e| panic!("{kind:?}: {}", crate::exit::describe(&e)));
            assert_eq!(kind_read, kind);
            assert_eq!(read.kind, kind.name(), "the stable name is written");
            assert_eq!(subject_read, subject(kind), "{kind:?}");
            assert!(read.arm == arm(), "{kind:?}");
            assert_eq!(read.step, token(kind).step, "{kind:?}");
        }
    }

    #[test]
    fn a_token_of_an_earlier_version_holding_the_message_text_still_reads() {
        for kind in OperationKind::ALL {
            let mut old = token(kind);
            old.kind = kind.as_str().to_owned();
            let (_, _, kind_read) = ResumeTokenV1::decode(&old.encode().unwrap())
                .unwrap_or_else(|e| panic!("{kind:?}: {}", crate::exit::describe(&e)));
            assert_eq!(kind_read, kind);
        }
        // As an earlier aml wrote it, field by field: a re-attach (its text `re-attach`).
        let json = serde_json::json!({
            "workspace": workspace().to_string(),
            "name": "web",
            "kind": "re-attach",
            "arm": ARM,
        });
        let text = format!(
            "aml1.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
        );
        let (_, subject_read, kind_read) = ResumeTokenV1::decode(&text).unwrap();
        assert_eq!(kind_read, OperationKind::Reattach);
        assert_eq!(subject_read, subject(OperationKind::Reattach));
    }

    #[test]
    fn an_unknown_operation_is_invalid_input_naming_it_once() {
        let mut bad = token(OperationKind::Scale);
        bad.kind = "resize".to_owned();
        let text = bad.encode().unwrap();
        let error = ResumeTokenV1::decode(&text).map(|_| ()).unwrap_err();
        assert!(matches!(error, TokenError::Kind(_)), "{error:?}");
        assert_eq!(aml_model::error::repeated_sentence(&error), None);
        let failure = Failure::from(error);
        assert_eq!(failure.exit, Exit::Invalid);
        assert_eq!(failure.exit.code(), 2);
        assert!(
            failure
                .message
                .contains("operation is none this aml resumes")
                && failure
                    .message
                    .contains("\"resize\" is not an operation kind"),
            "{failure}"
        );
    }

    #[test]
    fn no_token_error_repeats_its_cause() {
        let base64 = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode("!!!")
            .unwrap_err();
        let json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let errors = [
            TokenError::Prefix,
            TokenError::Base64(base64),
            TokenError::Contents(json),
            TokenError::Workspace("/nope".parse::<WorkspaceId>().unwrap_err()),
            TokenError::Kind("resize".parse::<OperationKind>().unwrap_err()),
            TokenError::Cluster("/nope".parse::<AksClusterId>().unwrap_err()),
            TokenError::Name("1web".parse::<aml_model::ComputeName>().unwrap_err()),
            TokenError::Mismatch {
                kind: OperationKind::DeleteCluster.as_str(),
                problem: "names no cluster",
            },
        ];
        for error in errors {
            assert_eq!(
                aml_model::error::repeated_sentence(&error),
                None,
                "{error:?}"
            );
        }
    }
}
