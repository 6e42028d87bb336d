//! Compute specs: read a spec (YAML or JSON) and the TLS files it names, validate everything
//! at once (aml-model's rules and aml-tls's certificate checks), build the plan (its `Display`
//! is what `aml plan --offline` prints), and turn it into what
//! [`Workspace::plan_ensure`](aml_compute::Workspace::plan_ensure) takes. A spec names its
//! workspace (`workspace:`), so one directory can hold specs of many workspaces.

use std::path::{Path, PathBuf};

use aml_compute::config::{
    AksAttachBuilder, AksProvisioningBuilder, LoadBalancerSettings, TlsSettings,
};
use aml_compute::tls::check_material;
use aml_compute::{AttachOptions, CreateClusterOptions, Desired};
use aml_model::plan::Plan;
use aml_model::request::Requests;
use aml_model::spec::{ComputeSpec, TlsFiles, WorkspaceSpec, spec_paths};
use aml_model::wire::{ClusterPurpose, LoadBalancerType};
use aml_model::{PrivateKeyPem, Report, Rule};
use aml_tls::OffsetDateTime;
use zeroize::Zeroizing;

use crate::exit::Exit;

/// Why a spec cannot be used. The message names the file and what went wrong; the cause (the
/// I/O error, the parser's error, the rules broken) is its [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SpecError {
    /// A file could not be read: a spec, or a TLS file it names (exit 9).
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A folder of specs could not be listed (exit 9).
    #[error("cannot list the folder {}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A folder holds no spec (exit 2).
    #[error("{} holds no spec (*.yaml, *.yml or *.json)", path.display())]
    NoSpecs {
        /// The folder.
        path: PathBuf,
    },
    /// A spec is not YAML or JSON of a spec's shape (exit 2): the source is
    /// [`aml_model::Error::Spec`], whose own source is the parser's error (the key, line and
    /// column).
    #[error("cannot parse {}", path.display())]
    Parse {
        /// The spec.
        path: PathBuf,
        /// The model's error, rule `spec.invalid`.
        #[source]
        source: aml_model::Error,
    },
    /// A spec breaks rules (exit 2): the source is [`aml_model::Error::Invalid`], with every
    /// problem and warning.
    #[error("{} is not a valid spec (nothing was sent)", path.display())]
    Invalid {
        /// The spec.
        path: PathBuf,
        /// The model's error, with the report.
        #[source]
        source: aml_model::Error,
    },
}

impl SpecError {
    /// The exit code: [`Exit::Io`] for a file or folder that cannot be read, else
    /// [`Exit::Invalid`].
    pub(crate) fn exit(&self) -> Exit {
        match self {
            Self::Read { .. } | Self::Folder { .. } => Exit::Io,
            Self::NoSpecs { .. } | Self::Parse { .. } | Self::Invalid { .. } => Exit::Invalid,
        }
    }

    /// The rule the message carries, when it carries one: `spec.invalid` for a spec that
    /// cannot be parsed.
    pub(crate) fn rule(&self) -> Option<Rule> {
        matches!(self, Self::Parse { .. }).then_some(Rule::SpecInvalid)
    }

    fn invalid(path: &Path, report: Report) -> Self {
        Self::Invalid {
            path: path.to_owned(),
            source: aml_model::Error::Invalid(report),
        }
    }
}

/// A parsed spec and the contents of the TLS files it names. The key is zeroized on drop.
pub(crate) struct LoadedSpec {
    path: PathBuf,
    spec: ComputeSpec,
    cert_pem: Option<String>,
    key_pem: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for LoadedSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedSpec")
            .field("path", &self.path)
            .field("spec", &self.spec)
            .field("key_pem", &self.key_pem.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

fn read(path: &Path) -> Result<String, SpecError> {
    std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Reads and parses `path` (JSON when it ends in `.json`, YAML otherwise) and the
/// certificate and key files it names (relative to the spec).
pub(crate) fn load(path: &Path) -> Result<LoadedSpec, SpecError> {
    let text = read(path)?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let spec = if is_json {
        ComputeSpec::from_json(&text)
    } else {
        yaml_serde::from_str(&text).map_err(|e| aml_model::Error::Spec {
            format: "YAML",
            source: Box::new(e),
        })
    }
    .map_err(|source| SpecError::Parse {
        path: path.to_owned(),
        source,
    })?;
    let base = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    let (cert_file, key_file) = spec.tls_files();
    let cert_pem = cert_file.map(|f| read(&base.join(f))).transpose()?;
    let key_pem = key_file
        .map(|f| read(&base.join(f)).map(Zeroizing::new))
        .transpose()?;
    Ok(LoadedSpec {
        path: path.to_owned(),
        spec,
        cert_pem,
        key_pem,
    })
}

impl LoadedSpec {
    /// The spec as written.
    pub(crate) fn spec(&self) -> &ComputeSpec {
        &self.spec
    }

    /// The workspace the spec names.
    pub(crate) fn workspace(&self) -> &WorkspaceSpec {
        &self.spec.workspace
    }

    fn files(&self) -> TlsFiles {
        TlsFiles {
            cert_pem: self.cert_pem.clone(),
            key_pem: self
                .key_pem
                .as_ref()
                .map(|k| PrivateKeyPem::new(k.as_str())),
        }
    }

    /// Validates everything at once: the model's rules and, for a custom certificate,
    /// aml-tls's checks (key matches, CNAME covered, validity now, chain order). Returns the
    /// plan (what `aml plan` prints: its `Display`) with every warning, or every problem.
    pub(crate) fn plan(&self) -> Result<Plan, SpecError> {
        self.checked()
            .map_err(|report| SpecError::invalid(&self.path, report))
    }

    /// Whether the spec's region is the workspace's, read from ARM: a `create:` section
    /// without `location` in a spec whose `workspace:` has none either.
    pub(crate) fn region_from_workspace(&self) -> bool {
        self.spec.workspace.location.is_none()
            && self
                .spec
                .create
                .as_ref()
                .is_some_and(|c| c.location.is_none())
    }

    /// Validates as [`LoadedSpec::plan`] does, before the workspace is read: when the region
    /// is the workspace's ([`LoadedSpec::region_from_workspace`]), its absence is no problem
    /// yet (every other rule is still checked); validate again once
    /// [`LoadedSpec::set_workspace_location`] gave it.
    pub(crate) fn check_before_fetch(&self) -> Result<(), SpecError> {
        match self.checked() {
            Ok(_) => Ok(()),
            Err(report)
                if self.region_from_workspace()
                    && report
                        .errors
                        .iter()
                        .all(|i| i.code == aml_model::Rule::LocationUnknown) =>
            {
                Ok(())
            }
            Err(report) => Err(SpecError::invalid(&self.path, report)),
        }
    }

    /// Sets the workspace's region, as read from ARM, when the spec does not give it.
    pub(crate) fn set_workspace_location(&mut self, location: &str) {
        self.spec
            .workspace
            .location
            .get_or_insert_with(|| location.to_owned());
    }

    fn checked(&self) -> Result<Plan, Report> {
        let tls_report = match (&self.cert_pem, &self.key_pem) {
            (Some(cert), Some(key)) => spec_paths(check_material(
                cert,
                &PrivateKeyPem::new(key.as_str()),
                self.spec.tls.as_ref().and_then(|t| t.cname.as_deref()),
                OffsetDateTime::now_utc(),
            )),
            _ => Report::new(),
        };
        match self.spec.clone().validate(self.files()) {
            Ok(validated) if tls_report.is_ok() => {
                let mut plan = validated.plan(&Requests::default());
                plan.push_warnings(tls_report.warnings);
                Ok(plan)
            }
            Ok(validated) => {
                let mut report = tls_report;
                report.warnings.extend(validated.warnings().iter().cloned());
                Err(report)
            }
            Err(mut report) => {
                report.merge(tls_report);
                Err(report)
            }
        }
    }

    /// The spec's TLS settings, with the files' contents.
    fn tls_settings(&self) -> TlsSettings {
        let Some(tls) = &self.spec.tls else {
            return TlsSettings::default();
        };
        TlsSettings {
            cert_pem: self.cert_pem.clone(),
            key_pem: self
                .key_pem
                .as_ref()
                .map(|k| PrivateKeyPem::new(k.as_str())),
            cname: tls.cname.clone(),
            leaf_domain_label: tls.leaf_domain_label.clone(),
            overwrite_existing_domain: tls.overwrite_existing_domain,
            ..TlsSettings::default()
        }
    }

    /// What `ensure` should make true, after [`LoadedSpec::plan`] passed.
    pub(crate) fn desired(&self) -> Result<Desired, SpecError> {
        self.plan()?;
        // What validation (passed above) refuses already; kept as the rule it breaks.
        let invalid = |path: &str, rule: Rule, message: &str| {
            let mut report = Report::new();
            report.error(path, rule, message);
            SpecError::invalid(&self.path, report)
        };
        // Open enums: a value this crate does not know is kept, and validation (already
        // passed above) reports it.
        let purpose = |text: &Option<String>| text.as_deref().map(ClusterPurpose::parse);
        let load_balancer = match &self.spec.load_balancer {
            None => LoadBalancerSettings::default(),
            Some(lb) => LoadBalancerSettings {
                kind: lb.kind.as_deref().map(LoadBalancerType::parse),
                subnet: lb.subnet.clone(),
            },
        };
        match (
            &self.spec.create,
            &self.spec.attach,
            &self.spec.create_cluster,
        ) {
            (Some(create), None, None) => {
                let agent_count = create
                    .agent_count
                    .map(|n| {
                        u32::try_from(n).map_err(|_| {
                            invalid(
                                "create.agent_count",
                                Rule::NodesCount,
                                &format!("{n} is not a node count; it must be at least 1"),
                            )
                        })
                    })
                    .transpose()?;
                Ok(Desired::Create(AksProvisioningBuilder {
                    agent_count,
                    vm_size: create.vm_size.clone(),
                    location: create.location.clone(),
                    cluster_purpose: purpose(&create.cluster_purpose),
                    vnet: create.vnet.clone(),
                    load_balancer,
                    tls: self.tls_settings(),
                }))
            }
            (None, None, Some(section)) => {
                let mut report = Report::new();
                let cluster = section.cluster_builder(&mut report);
                if !report.is_ok() {
                    return Err(SpecError::invalid(&self.path, report));
                }
                let mut attach = section.attach_builder();
                attach.load_balancer = load_balancer;
                attach.tls = self.tls_settings();
                Ok(Desired::CreateCluster {
                    cluster,
                    attach,
                    options: CreateClusterOptions::default()
                        .admit_control_plane(section.admit_control_plane),
                })
            }
            (None, Some(attach), None) => Ok(Desired::Attach {
                attach: AksAttachBuilder {
                    resource_id: attach.resource_id.clone(),
                    resource_group: attach.resource_group.clone(),
                    cluster_name: attach.cluster_name.clone(),
                    cluster_purpose: purpose(&attach.cluster_purpose),
                    load_balancer,
                    tls: self.tls_settings(),
                },
                options: AttachOptions::default().admit_control_plane(attach.admit_control_plane),
            }),
            _ => Err(invalid(
                "create",
                Rule::SpecOperation,
                "a spec has exactly one of create, attach and create_cluster",
            )),
        }
    }
}

/// Every spec under `paths`: a file is one spec; a folder holds every `*.yaml`, `*.yml` and
/// `*.json` file directly in it, in name order. Nothing is parsed here.
pub(crate) fn spec_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SpecError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| SpecError::Folder {
                path: path.clone(),
                source,
            })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                            ["yaml", "yml", "json"].contains(&e.to_ascii_lowercase().as_str())
                        })
                })
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(SpecError::NoSpecs { path: path.clone() });
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;
    use crate::exit::Failure;

    const WORKSPACE: &str = "workspace: {subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: ml-rg, workspace_name: ml-ws, location: eastus}\n";

    fn folder(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("aml-cli-spec-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// One error of each kind, as loading and validating real files makes them.
    fn every_error(dir: &Path) -> Vec<SpecError> {
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let typo_yaml = write("typo.yaml", &format!("{WORKSPACE}nme: web\n"));
        let typo_json = write("typo.json", r#"{"nme": "web"}"#);
        let invalid = write(
            "invalid.yaml",
            &format!(
                "{WORKSPACE}name: 1web\ncreate: {{agent_count: 1, cluster_purpose: DevTest}}\n"
            ),
        );
        let missing_cert = write(
            "tls.yaml",
            &format!(
                "{WORKSPACE}name: web\ncreate: {{agent_count: 1, cluster_purpose: DevTest}}\ntls: {{cert_file: gone.pem, key_file: gone.key, cname: web.contoso.com}}\n"
            ),
        );
        let empty = dir.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        vec![
            load(&dir.join("missing.yaml")).unwrap_err(),
            load(&missing_cert).unwrap_err(),
            SpecError::Folder {
                path: dir.to_owned(),
                source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            },
            spec_files(std::slice::from_ref(&empty)).unwrap_err(),
            load(&typo_yaml).unwrap_err(),
            load(&typo_json).unwrap_err(),
            load(&invalid).unwrap().plan().unwrap_err(),
        ]
    }

    #[test]
    fn no_spec_error_repeats_its_cause_and_each_keeps_its_cause_as_source() {
        let dir = folder("errors");
        let errors = every_error(&dir);
        let kinds: Vec<&str> = errors
            .iter()
            .map(|e| match e {
                SpecError::Read { .. } => "read",
                SpecError::Folder { .. } => "folder",
                SpecError::NoSpecs { .. } => "none",
                SpecError::Parse { .. } => "parse",
                SpecError::Invalid { .. } => "invalid",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "read", "read", "folder", "none", "parse", "parse", "invalid"
            ]
        );
        for error in &errors {
            assert_eq!(
                aml_model::error::repeated_sentence(error),
                None,
                "{error:?}"
            );
            let text = error.to_string();
            assert!(
                text.contains(&dir.display().to_string()),
                "names the file: {text}"
            );
            match (error, error.source()) {
                (SpecError::NoSpecs { .. }, None) => {}
                (SpecError::NoSpecs { .. }, Some(source)) => panic!("a cause: {source}"),
                (_, None) => panic!("no source: {error:?}"),
                (_, Some(source)) => {
                    assert!(!text.contains(&source.to_string()), "{text}");
                }
            }
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn the_cli_shows_a_spec_error_with_its_whole_chain_and_exit_code() {
        let dir = folder("chain");
        let errors = every_error(&dir);
        let failures: Vec<Failure> = errors.into_iter().map(Failure::from).collect();
        let codes: Vec<u8> = failures.iter().map(|f| f.exit.code()).collect();
        assert_eq!(codes, [9, 9, 9, 2, 2, 2, 2]);
        let message = |i: usize| failures[i].message.as_str();
        // The I/O error, after the file.
        assert!(
            message(0).contains("missing.yaml\n  caused by: ")
                && message(1).contains("gone.pem\n  caused by: ")
                && message(2).contains("caused by: permission denied"),
            "{}\n{}\n{}",
            message(0),
            message(1),
            message(2)
        );
        // The model's error and the parser's, each on its line, with the rule.
        for i in [4, 5] {
            assert!(
                message(i).contains(
                    "of the expected shape [spec.invalid]\n  caused by: unknown field `nme`"
                ),
                "{}",
                message(i)
            );
            assert_eq!(failures[i].rule.as_deref(), Some("spec.invalid"));
        }
        // Every problem of the report, one per line.
        assert!(
            message(6).ends_with(
                "is not a valid spec (nothing was sent)\n  error: name: compute name \"1web\" must start with a letter [name.start]"
            ),
            "{}",
            message(6)
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
