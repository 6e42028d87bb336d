//! The compute operations of a [`Workspace`]: create, attach, ensure, update, detach, delete,
//! get, list, credentials, Kubernetes versions, and the guide's re-attach-with-TLS flow.
//!
//! Every mutating operation validates everything it can before its first request, checks what
//! only the live service knows (existing names, the cluster's version, size and subscription,
//! an earlier attachment) with reads, and only then writes. Each has a dry run that returns the
//! requests it would send, secrets redacted, without sending anything.

use std::io::Write;

use aml_arm::ResumeToken;
use aml_model::config::{
    AksAttachBuilder, AksUpdateBuilder, AksUpdateConfiguration, TlsConfig, TlsSettings,
};
use aml_model::request::{self as model_request, AttachCompute, CreateCompute};
use aml_model::spec::PlannedRequest;
use aml_model::wire::ClusterPurpose;
use aml_model::wire::{
    AksComputeSecrets, ComputeResource, KubernetesVersionListResult, LoadBalancerSku,
    ManagedCluster, OrchestratorVersionProfileListResult, ProvisioningState,
};
use aml_model::{AksClusterId, ComputeId, ComputeName, Issue, Report, Rule, vm_size};
use aml_tls::OffsetDateTime;
use futures::{Stream, StreamExt, TryStreamExt};

use crate::aks::{AksCompute, ComputeTarget};
use crate::dry_run::DryRun;
use crate::error::{Difference, Error, Result, from_model};
use crate::versions::KubernetesVersions;
use crate::wait::{Completion, ComputeOperation, OperationKind, WaitOptions};
use crate::workspace::Workspace;

/// Options of [`Workspace::attach`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttachOptions {
    /// Attach even when the cluster is already attached to this workspace under another name.
    ///
    /// The guide warns that each new attachment breaks the earlier one (R10): only set this
    /// to move an attachment deliberately, knowing the old compute will fail.
    pub allow_second_attachment: bool,
}

impl AttachOptions {
    /// Allows a second attachment of the same cluster (see the field's warning).
    #[must_use]
    pub fn allow_second_attachment(mut self, allow: bool) -> Self {
        self.allow_second_attachment = allow;
        self
    }
}

/// What [`Workspace::ensure`] should make true.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // built once per call, never stored in bulk
pub enum Desired {
    /// A compute created through the workspace.
    Create(aml_model::config::AksProvisioningBuilder),
    /// An attached existing cluster.
    Attach(AksAttachBuilder),
}

/// What [`Workspace::ensure`] did.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // returned once per call
pub enum Ensured {
    /// An identical compute existed: adopted, nothing written.
    Adopted(AksCompute),
    /// The compute was absent: creating or attaching started.
    Started(ComputeOperation),
}

impl Ensured {
    /// Waits for a started operation; an adopted compute is returned as it is.
    pub async fn wait(self, options: WaitOptions<'_>) -> Result<AksCompute> {
        match self {
            Self::Adopted(c) => Ok(c),
            Self::Started(op) => {
                let name = op.name().to_owned();
                match op.wait(options).await? {
                    Completion::Compute(ComputeTarget::Aks(c)) => Ok(c),
                    _ => Err(Error::Refused {
                        action: "ensure",
                        name,
                        reason: "the service returned a compute that is not AKS".into(),
                        rule: None,
                    }),
                }
            }
        }
    }
}

fn to_arm(r: &model_request::ArmRequest) -> Result<aml_arm::ArmRequest> {
    let method = match r.method {
        model_request::Method::Get => aml_arm::Method::Get,
        model_request::Method::Put => aml_arm::Method::Put,
        model_request::Method::Patch => aml_arm::Method::Patch,
        model_request::Method::Post => aml_arm::Method::Post,
        model_request::Method::Delete => aml_arm::Method::Delete,
    };
    let mut request = aml_arm::ArmRequest::new(method, r.path_and_query());
    if let Some(body) = &r.body {
        request = request.json(body)?;
    }
    Ok(request)
}

/// Whether `e` is a 409 to a `PUT` that was sent more than once: an earlier try may have been
/// handled, its answer lost, and the operation it started may be what the retry ran into.
fn is_retried_conflict(request: &model_request::ArmRequest, e: &aml_arm::Error) -> bool {
    matches!(e, aml_arm::Error::Api(api) if api.status == 409 && api.attempts > 1)
        && request.method == model_request::Method::Put
}

/// What a compute shows after a retried `PUT` was refused with 409 (see `Workspace::conflicted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conflicted {
    /// The operation an earlier try started: follow it.
    Ours,
    /// An update whose compute is at rest without the requested settings: send it again.
    Settled,
    /// No such compute: nothing was written.
    Absent,
    /// The compute could not be read.
    Unreadable,
}

/// Whether `current` has the TLS and load balancer settings the update body asks for.
fn has_requested_settings(body: &serde_json::Value, current: &ComputeResource) -> bool {
    let Ok(current) = serde_json::to_value(current) else {
        return false;
    };
    let want = &body["properties"]["properties"];
    let have = &current["properties"]["properties"];
    let same = |a: &serde_json::Value, b: &serde_json::Value| match (a.as_str(), b.as_str()) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => a == b,
    };
    // An update that leaves TLS alone sends no `sslConfiguration`: nothing to compare.
    let ssl = &want["sslConfiguration"];
    let same_tls = ssl.is_null()
        || (same(&ssl["status"], &have["sslConfiguration"]["status"])
            && (ssl["leafDomainLabel"].is_null()
                || same(
                    &ssl["leafDomainLabel"],
                    &have["sslConfiguration"]["leafDomainLabel"],
                )));
    same(&want["loadBalancerType"], &have["loadBalancerType"])
        && same(&want["loadBalancerSubnet"], &have["loadBalancerSubnet"])
        && same_tls
}

fn parse_name(name: &str) -> Result<ComputeName> {
    name.parse().map_err(|e: aml_model::name::InvalidName| {
        let mut report = Report::new();
        for rule in &e.problems {
            report.error("name", rule.code(), format!("compute name {name:?} {rule}"));
        }
        Error::Validation(report)
    })
}

/// Merges aml-tls's findings on the custom certificate into a model validation outcome.
fn with_tls_report<T>(outcome: aml_model::Result<T>, tls: Report) -> Result<T> {
    match outcome {
        Ok(value) if tls.is_ok() => Ok(value),
        Ok(_) => Err(Error::Validation(tls)),
        Err(aml_model::Error::Invalid(mut report)) => {
            report.merge(tls);
            Err(Error::Validation(report))
        }
        Err(other) => Err(Error::Model(other)),
    }
}

/// A valid region used only to validate the rest of a configuration before the workspace's
/// real region is read.
const PROBE_LOCATION: &str = "eastus";

/// A deliberate copy of a provisioning builder, key included, used only for validation.
fn duplicate(
    b: &aml_model::config::AksProvisioningBuilder,
) -> aml_model::config::AksProvisioningBuilder {
    aml_model::config::AksProvisioningBuilder {
        agent_count: b.agent_count,
        vm_size: b.vm_size.clone(),
        location: b.location.clone(),
        cluster_purpose: b.cluster_purpose.clone(),
        vnet: b.vnet.clone(),
        load_balancer: b.load_balancer.clone(),
        tls: TlsSettings {
            disabled: b.tls.disabled,
            cert_pem: b.tls.cert_pem.clone(),
            key_pem: b
                .tls
                .key_pem
                .as_ref()
                .map(|k| aml_model::PrivateKeyPem::new(k.expose())),
            cname: b.tls.cname.clone(),
            leaf_domain_label: b.tls.leaf_domain_label.clone(),
            overwrite_existing_domain: b.tls.overwrite_existing_domain,
            renew: b.tls.renew,
        },
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Total vCPUs and nodes of a managed cluster's agent pools; `None` vCPUs when a pool's size is
/// not in the catalog.
fn cluster_capacity(cluster: &ManagedCluster) -> (Option<u32>, u32, Vec<String>) {
    let mut vcpus = Some(0u32);
    let mut nodes = 0u32;
    let mut unknown = Vec::new();
    for pool in cluster
        .properties
        .iter()
        .flat_map(|p| p.agent_pool_profiles.iter().flatten())
    {
        let count = pool.count.unwrap_or(0);
        nodes = nodes.saturating_add(count);
        if let Some(size) = pool.vm_size.as_deref().and_then(vm_size::lookup) {
            vcpus = vcpus.map(|v| v.saturating_add(count.saturating_mul(size.vcpus)));
        } else {
            vcpus = None;
            unknown.push(pool.vm_size.clone().unwrap_or_default());
        }
    }
    (vcpus, nodes, unknown)
}

impl Workspace {
    fn dry_run(&self, warnings: Vec<Issue>, steps: Vec<PlannedRequest>) -> DryRun {
        DryRun::new(warnings, steps).with_endpoint(self.arm.endpoint().as_str())
    }

    fn compute_id(&self, name: &str) -> Result<ComputeId> {
        Ok(ComputeId::new(self.id.clone(), parse_name(name)?))
    }

    async fn get_resource(&self, id: &ComputeId) -> Result<Option<ComputeResource>> {
        let request = to_arm(&self.requests.get(id))?;
        match self.arm.send(request).await {
            Ok(response) => Ok(Some(response.json()?)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// After a retried `PUT` was refused (409): what the compute says about the operation an
    /// earlier try, whose answer was lost, may have started.
    ///
    /// - [`Conflicted::Ours`]: an operation is in progress or has just failed; or, for a create
    ///   or attach (whose name was free just before), the compute now exists; or, for an update,
    ///   it already has the settings the update asked for.
    /// - [`Conflicted::Settled`]: an update whose compute is at rest without the requested
    ///   settings: the operation that refused the retry is over, so the same PUT can be sent
    ///   again (an update is a whole GET-modify-PUT body: sending it twice is harmless).
    /// - [`Conflicted::Absent`]: no compute of that name: nothing of this PUT was written.
    /// - [`Conflicted::Unreadable`]: the compute could not be read; follow it all the same.
    async fn conflicted(
        &self,
        name: &str,
        kind: OperationKind,
        request: &model_request::ArmRequest,
    ) -> Result<Conflicted> {
        let id = self.compute_id(name)?;
        // The read that decides may itself meet a flaky connection: try it a few times.
        for _ in 0..3 {
            match self.get_resource(&id).await {
                Ok(Some(resource)) => {
                    let state = resource.aks().and_then(|a| a.provisioning_state.as_ref());
                    // Busy, or just ended without success (the handled try's operation failed).
                    let busy_or_failed = state.is_some_and(|s| {
                        !s.is_terminal()
                            || matches!(s, ProvisioningState::Failed | ProvisioningState::Canceled)
                    });
                    let ours = busy_or_failed
                        || matches!(kind, OperationKind::Create | OperationKind::Attach)
                        || request
                            .body
                            .as_ref()
                            .is_some_and(|body| has_requested_settings(body, &resource));
                    return Ok(if ours {
                        Conflicted::Ours
                    } else {
                        Conflicted::Settled
                    });
                }
                Ok(None) => return Ok(Conflicted::Absent),
                Err(_) => {}
            }
        }
        Ok(Conflicted::Unreadable)
    }

    fn not_found(&self, name: &str) -> Error {
        Error::NotFound {
            name: name.to_owned(),
            workspace: self.id.to_string(),
        }
    }

    pub(crate) async fn begin(
        &self,
        request: &model_request::ArmRequest,
        name: &str,
        kind: OperationKind,
        warnings: Vec<Issue>,
    ) -> Result<ComputeOperation> {
        let poller = match self.arm.begin(to_arm(request)?).await {
            Ok(poller) => poller,
            Err(e) if is_retried_conflict(request, &e) => {
                self.after_retried_conflict(request, name, kind, e).await?
            }
            Err(e) => return Err(e.into()),
        };
        Ok(ComputeOperation::new(poller, name, kind, warnings)
            .with_poll_options(self.arm.options().poll))
    }

    /// A `PUT` was sent more than once and the last try was refused with 409: an earlier try
    /// may have been handled (its answer lost) and started the operation the retry ran into.
    /// The caller always gets either a poller for the write that happened, or
    /// [`Error::Rejected`]: nothing was written.
    async fn after_retried_conflict(
        &self,
        request: &model_request::ArmRequest,
        name: &str,
        kind: OperationKind,
        conflict: aml_arm::Error,
    ) -> Result<aml_arm::Poller> {
        let rejected = |source| Error::Rejected {
            action: kind.as_str(),
            name: name.to_owned(),
            source,
        };
        let follow = || -> Result<aml_arm::Poller> {
            Ok(self.arm.follow_resource(
                aml_arm::Method::Put,
                &self.requests.get(&self.compute_id(name)?).path_and_query(),
            )?)
        };
        match self.conflicted(name, kind, request).await? {
            Conflicted::Ours | Conflicted::Unreadable => {
                // Follow that operation (by the compute's provisioning state) instead of losing
                // track of it; an unreadable compute is followed too: the poller keeps reading
                // through transient failures and hands back a resume token.
                tracing::warn!(
                    compute = name,
                    "first answer lost; following the running operation"
                );
                follow()
            }
            Conflicted::Absent => Err(rejected(conflict)),
            Conflicted::Settled => {
                tracing::warn!(
                    compute = name,
                    "update refused while another operation ran; sending it again"
                );
                match self.arm.begin(to_arm(request)?).await {
                    Ok(poller) => Ok(poller),
                    Err(e) if e.status() == Some(409) => Err(rejected(e)),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    /// Validates a create, learning the workspace's region first when nothing else names one.
    ///
    /// The region is read only after the rest of the configuration has passed validation (on a
    /// deliberate copy of it), so an invalid configuration sends nothing.
    async fn prepare_create(
        &self,
        name: &str,
        config: aml_model::config::AksProvisioningBuilder,
        fetch_location: bool,
    ) -> Result<CreateCompute> {
        let tls = crate::tls::check_settings(&config.tls, now());
        let mut ws = self.workspace_ref();
        if ws.location.is_none() && config.location.is_none() && fetch_location {
            let mut probe_ws = self.workspace_ref();
            probe_ws.location = Some(PROBE_LOCATION.to_owned());
            with_tls_report(
                CreateCompute::new(probe_ws, name, duplicate(&config)),
                tls.clone(),
            )?;
            let mut fresh = self.clone();
            fresh.refresh().await?;
            ws.location = fresh.location;
        }
        with_tls_report(CreateCompute::new(ws, name, config), tls)
    }

    fn prepare_attach(&self, name: &str, config: AksAttachBuilder) -> Result<AttachCompute> {
        let tls = crate::tls::check_settings(&config.tls, now());
        with_tls_report(AttachCompute::new(self.workspace_ref(), name, config), tls)
    }

    /// Creates a new AKS cluster through the workspace (R1).
    ///
    /// Validates everything first (aml-model's rules and aml-tls's certificate checks); then
    /// refuses a name that exists (R11) with [`Error::AlreadyExists`]; then sends the `PUT`.
    pub async fn create(
        &self,
        name: &str,
        config: aml_model::config::AksProvisioningBuilder,
    ) -> Result<ComputeOperation> {
        let create = self.prepare_create(name, config, true).await?;
        if let Some(existing) = self.get_resource(create.id()).await? {
            return Err(self.already_exists(name, &existing));
        }
        let request = self.requests.create(&create);
        self.begin(
            &request,
            name,
            OperationKind::Create,
            create.warnings().to_vec(),
        )
        .await
    }

    fn already_exists(&self, name: &str, existing: &ComputeResource) -> Error {
        Error::AlreadyExists {
            name: name.to_owned(),
            workspace: self.id.to_string(),
            compute_type: existing
                .properties
                .as_ref()
                .map(|p| p.compute_type().to_string())
                .unwrap_or_default(),
        }
    }

    /// The requests [`Workspace::create`] would send, without sending anything.
    pub fn dry_run_create(
        &self,
        name: &str,
        config: aml_model::config::AksProvisioningBuilder,
    ) -> Result<DryRun> {
        let tls = crate::tls::check_settings(&config.tls, now());
        let create = with_tls_report(CreateCompute::new(self.workspace_ref(), name, config), tls)?;
        Ok(self.dry_run(
            create.warnings().to_vec(),
            vec![
                PlannedRequest {
                    purpose: format!(
                        "check that compute {name} does not exist yet [compute.exists]: 404 expected"
                    ),
                    request: self.requests.get(create.id()),
                },
                PlannedRequest {
                    purpose: format!("create AKS compute {name}, then poll the operation"),
                    request: self.requests.create(&create),
                },
            ],
        ))
    }

    /// Attaches an existing AKS cluster (R2).
    ///
    /// Validates everything first (including R9: the workspace's subscription); reads the
    /// cluster (a missing one is [`Error::ClusterNotFound`]); checks its Kubernetes version
    /// against the region's supported list (R14), its vCPUs and nodes against the purpose (R8),
    /// and warns about authorized IP ranges without a Standard load balancer (R15); refuses a
    /// cluster attached already under another name (R10, see
    /// [`AttachOptions::allow_second_attachment`]) and a name that exists (R11); then `PUT`s.
    ///
    /// A load balancer other than the public IP is applied by an update once attached (R20):
    /// waiting on the returned operation does that too.
    pub async fn attach(
        &self,
        name: &str,
        config: AksAttachBuilder,
        options: AttachOptions,
    ) -> Result<ComputeOperation> {
        let attach = self.prepare_attach(name, config)?;
        self.attach_prepared(name, attach, options).await
    }

    /// The live checks and the write of an attach whose configuration is validated.
    async fn attach_prepared(
        &self,
        name: &str,
        attach: AttachCompute,
        options: AttachOptions,
    ) -> Result<ComputeOperation> {
        let mut warnings = attach.warnings().to_vec();
        warnings.extend(self.check_cluster(&attach).await?);
        // From the R10 check to the PUT, no other attach through this workspace (or a clone of
        // it) may run: two concurrent attaches of one cluster would both pass the check.
        // Attaches from other processes cannot be seen here.
        let _guard = self.attach_lock.lock().await;
        // One listing answers both: is the name taken (R11), is the cluster attached (R10)?
        let computes: Vec<ComputeTarget> = self.list().try_collect().await?;
        if let Some(existing) = computes
            .iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
        {
            return Err(Error::AlreadyExists {
                name: name.to_owned(),
                workspace: self.id.to_string(),
                compute_type: existing.compute_type().to_owned(),
            });
        }
        if !options.allow_second_attachment
            && let Some(existing) = attached_to(&computes, attach.cluster())
        {
            return Err(Error::AlreadyAttached {
                cluster: attach.cluster().to_string(),
                existing,
            });
        }
        let request = self.requests.attach(&attach);
        let op = self
            .begin(&request, name, OperationKind::Attach, warnings)
            .await?;
        Ok(match attach.follow_up() {
            Some(update) => op.then_update(self.clone(), update),
            None => op,
        })
    }

    /// The requests [`Workspace::attach`] would send, without sending anything.
    pub fn dry_run_attach(&self, name: &str, config: AksAttachBuilder) -> Result<DryRun> {
        let attach = self.prepare_attach(name, config)?;
        let cluster = attach.cluster();
        let mut steps = vec![
            PlannedRequest {
                purpose: format!(
                    "read cluster {}: its nodes, VM sizes and network [purpose.production_vcpus, cluster.authorized_ranges]",
                    cluster.name()
                ),
                request: self.cluster_request(cluster),
            },
            PlannedRequest {
                purpose: "list the region's Kubernetes versions [cluster.kubernetes_version]"
                    .into(),
                request: self.versions_request("{cluster-location}"),
            },
            PlannedRequest {
                purpose: format!(
                    "list the workspace's computes: is {name} taken [compute.exists], is the cluster attached already [attach.cluster_attached]?"
                ),
                request: self.requests.list(&self.id),
            },
            PlannedRequest {
                purpose: format!(
                    "attach cluster {} as compute {name}, then poll",
                    cluster.name()
                ),
                request: self.requests.attach(&attach),
            },
        ];
        if let Some(update) = attach.follow_up() {
            steps.push(PlannedRequest {
                purpose: "read the attached compute back (GET-modify-PUT)".into(),
                request: self.requests.get(attach.id()),
            });
            let current = self.requests.attach(&attach).body.unwrap_or_default();
            let put = self
                .requests
                .update(attach.id(), &current, &update)
                .map_err(from_model)?;
            steps.push(PlannedRequest {
                purpose:
                    "switch to the internal load balancer (an update after attaching), then poll"
                        .into(),
                request: put,
            });
        }
        Ok(self.dry_run(attach.warnings().to_vec(), steps))
    }

    fn aks_get(&self, path: String) -> model_request::ArmRequest {
        model_request::ArmRequest {
            method: model_request::Method::Get,
            path,
            api_version: self.aks_api_version.clone(),
            query: Vec::new(),
            body: None,
        }
    }

    fn cluster_request(&self, cluster: &AksClusterId) -> model_request::ArmRequest {
        self.aks_get(cluster.to_string())
    }

    fn versions_request(&self, location: &str) -> model_request::ArmRequest {
        self.aks_get(format!(
            "/subscriptions/{}/providers/Microsoft.ContainerService/locations/{location}/kubernetesVersions",
            self.id.subscription_id()
        ))
    }

    /// Reads the cluster and checks R14, R8 and R15 against it. Returns warnings.
    async fn check_cluster(&self, attach: &AttachCompute) -> Result<Vec<Issue>> {
        let cluster_id = attach.cluster();
        let Some(cluster) = self.get_cluster(cluster_id).await? else {
            return Err(Error::ClusterNotFound {
                cluster: cluster_id.to_string(),
            });
        };
        let mut report = Report::new();
        let props = cluster.properties.clone().unwrap_or_default();
        // R14: a supported Kubernetes version.
        let version = props
            .current_kubernetes_version
            .clone()
            .or(props.kubernetes_version.clone());
        if let (Some(version), Some(location)) = (version, cluster.location.as_deref()) {
            let versions = self.kubernetes_versions(location).await?;
            if !versions.supports(&version) {
                return Err(Error::UnsupportedKubernetesVersion {
                    cluster: cluster_id.to_string(),
                    version,
                    location: location.to_owned(),
                    supported: versions.supported_list(),
                });
            }
        }
        // R8: capacity for the purpose.
        let purpose = attach.config().cluster_purpose();
        let (vcpus, nodes, unknown) = cluster_capacity(&cluster);
        if purpose.is_production() {
            if nodes < aml_model::config::PRODUCTION_MIN_NODES {
                report.error(
                    "attach.cluster_purpose",
                    Rule::PurposeProductionNodes,
                    format!(
                        "{purpose} needs at least {} nodes and cluster {} has {nodes}; scale it out or attach with cluster_purpose: DevTest",
                        aml_model::config::PRODUCTION_MIN_NODES,
                        cluster_id.name()
                    ),
                );
            }
            if let Some(v) = vcpus
                && v < aml_model::config::PRODUCTION_MIN_VCPUS
            {
                report.error(
                        "attach.cluster_purpose",
                        Rule::PurposeProductionVcpus,
                        format!(
                            "{purpose} needs at least {} vCPUs and cluster {} has {v}; add nodes or attach with cluster_purpose: DevTest",
                            aml_model::config::PRODUCTION_MIN_VCPUS,
                            cluster_id.name()
                        ),
                    );
            }
        } else if let Some(v) = vcpus.filter(|v| *v < aml_model::config::DEVTEST_RECOMMENDED_VCPUS)
        {
            report.warn(
                "attach.cluster_purpose",
                Rule::PurposeDevtestVcpus,
                format!("a dev-test cluster should have at least 2 vCPUs, this one has {v}"),
            );
        }
        if !unknown.is_empty() {
            report.warn(
                "attach.resource_id",
                Rule::VmSizeUnknown,
                format!(
                    "the cluster's VM sizes {} are not in the built-in catalog; its vCPUs were not checked, the service will decide",
                    unknown.join(", ")
                ),
            );
        }
        // R15: authorized IP ranges work only with a Standard load balancer.
        let ranges = props
            .api_server_access_profile
            .as_ref()
            .and_then(|a| a.authorized_ip_ranges.as_ref())
            .is_some_and(|r| !r.is_empty());
        let standard = props
            .network_profile
            .as_ref()
            .and_then(|n| n.load_balancer_sku.as_ref())
            .is_some_and(|s| matches!(s, LoadBalancerSku::Standard));
        if ranges && !standard {
            report.warn(
                "attach.resource_id",
                Rule::ClusterAuthorizedRangesBasicLb,
                "the cluster restricts its API server to authorized IP ranges but does not use a Standard load balancer; authorized ranges work only with a Standard load balancer and must admit the Azure ML control plane",
            );
        } else if ranges {
            report.warn(
                "attach.resource_id",
                Rule::ClusterAuthorizedRanges,
                "the cluster restricts its API server to authorized IP ranges: they must admit the Azure ML control plane",
            );
        }
        report.into_result().map_err(from_model)
    }

    /// Reads a managed cluster (its Kubernetes version, agent pools, network profile, ...);
    /// a missing one is [`Error::ClusterNotFound`].
    pub async fn managed_cluster(&self, id: &AksClusterId) -> Result<ManagedCluster> {
        self.get_cluster(id)
            .await?
            .ok_or_else(|| Error::ClusterNotFound {
                cluster: id.to_string(),
            })
    }

    async fn get_cluster(&self, id: &AksClusterId) -> Result<Option<ManagedCluster>> {
        let target = format!("{id}?api-version={}", self.aks_api_version);
        match self.arm.get_json::<ManagedCluster>(&target).await {
            Ok(c) => Ok(Some(c)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The name under which `cluster` is attached to this workspace, if it is (compared as ARM
    /// ids: case-insensitively).
    pub async fn attached_name(&self, cluster: &AksClusterId) -> Result<Option<String>> {
        let computes: Vec<ComputeTarget> = self.list().try_collect().await?;
        Ok(attached_to(&computes, cluster))
    }

    /// Creates or attaches, idempotently: an absent compute is created or attached; an
    /// identical one is adopted without any write; a different one is an [`Error::Conflict`]
    /// listing every difference; a `Failed` one is [`Error::FailedCompute`], which says how to
    /// recover.
    pub async fn ensure(&self, name: &str, desired: Desired) -> Result<Ensured> {
        match desired {
            Desired::Create(config) => {
                let create = self.prepare_create(name, config, true).await?;
                match self.get_resource(create.id()).await? {
                    None => {
                        let request = self.requests.create(&create);
                        let op = self
                            .begin(
                                &request,
                                name,
                                OperationKind::Create,
                                create.warnings().to_vec(),
                            )
                            .await?;
                        Ok(Ensured::Started(op))
                    }
                    Some(existing) => {
                        let existing = Self::adoptable(name, existing)?;
                        let diffs = differences_create(&existing, &create);
                        Self::adopt_or_conflict(name, existing, diffs)
                    }
                }
            }
            Desired::Attach(config) => {
                let attach = self.prepare_attach(name, config)?;
                match self.get_resource(attach.id()).await? {
                    None => Ok(Ensured::Started(
                        self.attach_prepared(name, attach, AttachOptions::default())
                            .await?,
                    )),
                    Some(existing) => {
                        let existing = Self::adoptable(name, existing)?;
                        let diffs = differences_attach(&existing, &attach);
                        Self::adopt_or_conflict(name, existing, diffs)
                    }
                }
            }
        }
    }

    fn adoptable(name: &str, existing: ComputeResource) -> Result<AksCompute> {
        match ComputeTarget::from_resource(existing) {
            ComputeTarget::Aks(aks) if aks.is_failed() => Err(Error::FailedCompute {
                name: name.to_owned(),
                errors: aks.provisioning_errors(),
            }),
            ComputeTarget::Aks(aks) => Ok(aks),
            ComputeTarget::Other { compute_type, .. } => Err(Error::Conflict {
                name: name.to_owned(),
                differences: vec![Difference {
                    field: "compute_type",
                    existing: compute_type,
                    desired: "AKS".into(),
                }],
            }),
        }
    }

    fn adopt_or_conflict(
        name: &str,
        existing: AksCompute,
        differences: Vec<Difference>,
    ) -> Result<Ensured> {
        if differences.is_empty() {
            Ok(Ensured::Adopted(existing))
        } else {
            Err(Error::Conflict {
                name: name.to_owned(),
                differences,
            })
        }
    }

    /// Changes TLS and/or the load balancer of a compute (R5, R20) by GET-modify-PUT, keeping
    /// every field this library does not know. TLS with an internal load balancer is refused
    /// (R18), judged against the compute's current settings too.
    pub async fn update(&self, name: &str, config: AksUpdateBuilder) -> Result<ComputeOperation> {
        let (id, update) = self.prepare_update(name, config)?;
        let request = self.update_request(&id, &update).await?;
        self.begin(
            &request,
            name,
            OperationKind::Update,
            update.warnings().to_vec(),
        )
        .await
    }

    fn prepare_update(
        &self,
        name: &str,
        config: AksUpdateBuilder,
    ) -> Result<(ComputeId, AksUpdateConfiguration)> {
        let tls = config
            .tls
            .as_ref()
            .map(|t| crate::tls::check_settings(t, now()))
            .unwrap_or_default();
        let mut report = Report::new();
        let id = match self.compute_id(name) {
            Ok(id) => Some(id),
            Err(Error::Validation(r)) => {
                report.merge(r);
                None
            }
            Err(other) => return Err(other),
        };
        let update = config.check(&mut report);
        report.merge(tls);
        match (id, update) {
            (Some(id), Some(update)) if report.is_ok() => Ok((id, update)),
            _ => Err(Error::Validation(report)),
        }
    }

    pub(crate) async fn update_request(
        &self,
        id: &ComputeId,
        update: &AksUpdateConfiguration,
    ) -> Result<model_request::ArmRequest> {
        let name = id.name().as_str();
        let current = self
            .get_resource(id)
            .await?
            .ok_or_else(|| self.not_found(name))?;
        let current = serde_json::to_value(&current).map_err(|source| Error::Decode {
            what: format!("compute {name:?}"),
            source,
        })?;
        self.requests
            .update(id, &current, update)
            .map_err(|e| match e {
                aml_model::Error::Update { reason, rule, .. } => Error::Refused {
                    action: "update",
                    name: name.to_owned(),
                    reason,
                    rule,
                },
                other => from_model(other),
            })
    }

    /// The requests [`Workspace::update`] would send: the `GET`, and the `PUT` built from the
    /// compute as it is now (that read is made; nothing is written).
    pub async fn dry_run_update(&self, name: &str, config: AksUpdateBuilder) -> Result<DryRun> {
        let (id, update) = self.prepare_update(name, config)?;
        let put = self.update_request(&id, &update).await?;
        Ok(self.dry_run(
            update.warnings().to_vec(),
            vec![
                PlannedRequest {
                    purpose: format!("read compute {name} (GET-modify-PUT)"),
                    request: self.requests.get(&id),
                },
                PlannedRequest {
                    purpose: format!("update compute {name}, then poll"),
                    request: put,
                },
            ],
        ))
    }

    /// Detaches a compute (R3): the compute leaves the workspace, the AKS cluster is kept.
    /// Waiting succeeds when the compute is gone.
    pub async fn detach(&self, name: &str) -> Result<ComputeOperation> {
        let id = self.compute_id(name)?;
        let existing = self
            .get_resource(&id)
            .await?
            .ok_or_else(|| self.not_found(name))?;
        if existing.aks().is_none() {
            return Err(Error::Refused {
                action: "detach",
                name: name.to_owned(),
                reason: "it is not an AKS compute; this library manages AKS computes only".into(),
                rule: None,
            });
        }
        let request = self.requests.detach(&id);
        self.begin(&request, name, OperationKind::Detach, Vec::new())
            .await
    }

    /// The request [`Workspace::detach`] would send.
    pub fn dry_run_detach(&self, name: &str) -> Result<DryRun> {
        let id = self.compute_id(name)?;
        Ok(self.dry_run(
            Vec::new(),
            vec![
                PlannedRequest {
                    purpose: format!("read compute {name}"),
                    request: self.requests.get(&id),
                },
                PlannedRequest {
                    purpose: format!("detach compute {name}, keeping the AKS cluster, then poll"),
                    request: self.requests.detach(&id),
                },
            ],
        ))
    }

    /// Deletes a compute the workspace created, and its AKS cluster. This destroys the cluster:
    /// use [`Workspace::detach`] to keep it. Refused for an attached cluster (the service
    /// refuses too): detach it, then delete the cluster with the AKS tools if you mean to.
    pub async fn delete(&self, name: &str) -> Result<ComputeOperation> {
        let id = self.compute_id(name)?;
        let existing = self
            .get_resource(&id)
            .await?
            .ok_or_else(|| self.not_found(name))?;
        let target = ComputeTarget::from_resource(existing);
        let Some(aks) = target.as_aks() else {
            return Err(Error::Refused {
                action: "delete",
                name: name.to_owned(),
                reason: "it is not an AKS compute; this library manages AKS computes only".into(),
                rule: None,
            });
        };
        if aks.is_attached() {
            return Err(Error::Refused {
                action: "delete",
                name: name.to_owned(),
                reason: "its cluster was attached, not created by the workspace, so deleting it through the workspace is not allowed; detach it, then delete the cluster with `az aks delete` if you mean to".into(),
                rule: None,
            });
        }
        let request = self
            .requests
            .delete(&id, model_request::UnderlyingResourceAction::Delete);
        self.begin(&request, name, OperationKind::Delete, Vec::new())
            .await
    }

    /// The requests [`Workspace::delete`] would send.
    pub fn dry_run_delete(&self, name: &str) -> Result<DryRun> {
        let id = self.compute_id(name)?;
        Ok(self.dry_run(
            Vec::new(),
            vec![
                PlannedRequest {
                    purpose: format!("read compute {name}: refuse if its cluster was attached"),
                    request: self.requests.get(&id),
                },
                PlannedRequest {
                    purpose: format!(
                        "delete compute {name} AND its AKS cluster, then poll (use detach to keep the cluster)"
                    ),
                    request: self
                        .requests
                        .delete(&id, model_request::UnderlyingResourceAction::Delete),
                },
            ],
        ))
    }

    /// The requests [`Workspace::reattach_with_tls`] would send. The compute is read (to learn
    /// its cluster); nothing is written.
    pub async fn dry_run_reattach_with_tls(&self, name: &str, tls: TlsSettings) -> Result<DryRun> {
        let (attach, _) = self.prepare_reattach(name, tls).await?;
        Ok(self.dry_run(
            attach.warnings().to_vec(),
            vec![
                PlannedRequest {
                    purpose: format!("read compute {name} (its cluster and purpose)"),
                    request: self.requests.get(attach.id()),
                },
                PlannedRequest {
                    purpose: format!("detach compute {name}, keeping the cluster, and wait"),
                    request: self.requests.detach(attach.id()),
                },
                PlannedRequest {
                    purpose: format!(
                        "attach {} again as {name} with TLS, and wait",
                        attach.cluster()
                    ),
                    request: self.requests.attach(&attach),
                },
            ],
        ))
    }

    /// Reads one compute, of any type.
    pub async fn get(&self, name: &str) -> Result<ComputeTarget> {
        let id = self.compute_id(name)?;
        let resource = self
            .get_resource(&id)
            .await?
            .ok_or_else(|| self.not_found(name))?;
        Ok(ComputeTarget::from_resource(resource))
    }

    /// Reads one AKS compute; another type is [`Error::Refused`].
    pub async fn get_aks(&self, name: &str) -> Result<AksCompute> {
        match self.get(name).await? {
            ComputeTarget::Aks(a) => Ok(a),
            ComputeTarget::Other { compute_type, .. } => Err(Error::Refused {
                action: "read",
                name: name.to_owned(),
                reason: format!("it is of type {compute_type}, not AKS"),
                rule: None,
            }),
        }
    }

    /// Every compute of the workspace, of every type, following `nextLink`.
    pub fn list(&self) -> impl Stream<Item = Result<ComputeTarget>> + Send + 'static {
        let request = aml_arm::ArmRequest::get(self.requests.list(&self.id).path_and_query());
        self.arm
            .list_pages::<ComputeResource>(request)
            .into_items()
            .map(|item| item.map(ComputeTarget::from_resource).map_err(Error::from))
    }

    /// Every AKS compute of the workspace.
    pub fn list_aks(&self) -> impl Stream<Item = Result<AksCompute>> + Send + 'static {
        self.list().filter_map(|item| async move {
            match item {
                Ok(ComputeTarget::Aks(a)) => Some(Ok(a)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            }
        })
    }

    /// The kubeconfigs of an AKS compute (`listKeys`), for debugging with kubectl (R6).
    pub async fn get_credentials(&self, name: &str) -> Result<AksComputeSecrets> {
        let id = self.compute_id(name)?;
        let request = to_arm(&self.requests.list_keys(&id))?;
        match self.arm.send(request).await {
            Ok(r) => Ok(r.json()?),
            Err(e) if e.is_not_found() => Err(self.not_found(name)),
            Err(e) => Err(e.into()),
        }
    }

    /// The Kubernetes versions `location` supports, the default marked (R14). Uses the current
    /// `kubernetesVersions` API and falls back to the older `orchestrators` one.
    pub async fn kubernetes_versions(&self, location: &str) -> Result<KubernetesVersions> {
        let base = format!(
            "/subscriptions/{}/providers/Microsoft.ContainerService/locations/{location}",
            self.id.subscription_id()
        );
        let current = format!(
            "{base}/kubernetesVersions?api-version={}",
            self.aks_api_version
        );
        match self
            .arm
            .get_json::<KubernetesVersionListResult>(&current)
            .await
        {
            Ok(list) => Ok(KubernetesVersions::from_list(location, &list)),
            Err(e) if e.is_not_found() => {
                let old = format!(
                    "{base}/orchestrators?api-version=2019-04-01&resource-type=managedClusters"
                );
                let list: OrchestratorVersionProfileListResult = self.arm.get_json(&old).await?;
                Ok(KubernetesVersions::from_orchestrators(location, &list))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The guide's troubleshooting flow as one call (R19, R22): detach the compute, wait,
    /// attach the same cluster again with `tls`, wait. The plan is written to `output` first,
    /// then the progress. Use [`crate::tls::settings_from_secret`] to recover the material from
    /// an `azuremlfessl` secret dump.
    pub async fn reattach_with_tls(
        &self,
        name: &str,
        tls: TlsSettings,
        output: &mut (dyn Write + Send),
    ) -> Result<AksCompute> {
        let (attach, cluster) = self.prepare_reattach(name, tls).await?;
        let _ = writeln!(
            output,
            "plan for {name}:\n  1. detach {name} (cluster {cluster} is kept) and wait\n  2. attach {cluster} as {name} with TLS ({}) and wait",
            match attach.config().tls() {
                TlsConfig::Custom(c) => format!("custom certificate for {}", c.cname()),
                TlsConfig::Microsoft(m) =>
                    format!("Microsoft certificate for {}", m.leaf_domain_label()),
                _ => "disabled".into(),
            }
        );
        let detach = self
            .begin(
                &self.requests.detach(attach.id()),
                name,
                OperationKind::Detach,
                Vec::new(),
            )
            .await?;
        detach
            .wait(WaitOptions {
                output: Some(&mut *output),
                ..WaitOptions::default()
            })
            .await?;
        let request = self.requests.attach(&attach);
        let guard = self.attach_lock.lock().await;
        let op = self
            .begin(
                &request,
                name,
                OperationKind::Attach,
                attach.warnings().to_vec(),
            )
            .await?;
        drop(guard);
        match op
            .wait(WaitOptions {
                output: Some(output),
                ..WaitOptions::default()
            })
            .await?
        {
            Completion::Compute(ComputeTarget::Aks(c)) => Ok(c),
            _ => Err(self.not_found(name)),
        }
    }

    /// Reads the compute and validates the new attachment (nothing is written).
    async fn prepare_reattach(
        &self,
        name: &str,
        tls: TlsSettings,
    ) -> Result<(AttachCompute, AksClusterId)> {
        let existing = self.get_aks(name).await?;
        let Some(cluster) = existing.cluster_id() else {
            return Err(Error::Refused {
                action: "re-attach",
                name: name.to_owned(),
                reason: "the compute names no AKS cluster (resourceId)".into(),
                rule: None,
            });
        };
        if existing.load_balancer_type().is_internal() {
            return Err(Error::Refused {
                action: "re-attach",
                name: name.to_owned(),
                reason: "it uses an internal load balancer, and TLS termination is not supported with one; switch it to a public IP with update first".into(),
                rule: Some(Rule::TlsInternalLoadBalancer),
            });
        }
        if !existing.is_attached() {
            return Err(Error::Refused {
                action: "re-attach",
                name: name.to_owned(),
                reason: "its cluster was created by the workspace; detaching it would leave an unmanaged cluster. Use update to change TLS instead".into(),
                rule: None,
            });
        }
        let purpose = existing
            .cluster_purpose()
            .filter(|p| !matches!(p, ClusterPurpose::Unknown(_)))
            .cloned()
            .unwrap_or_default();
        let config = AksAttachBuilder::default()
            .resource_id(cluster.to_string())
            .cluster_purpose(purpose)
            .enable_ssl(tls);
        // Validate the new attachment before detaching anything.
        let attach = self.prepare_attach(name, config)?;
        if !attach.config().tls().is_enabled()
            || matches!(attach.config().tls(), TlsConfig::Renew { .. })
        {
            return Err(Error::Refused {
                action: "re-attach",
                name: name.to_owned(),
                reason: "re-attaching with TLS needs a custom certificate (cert, key, cname) or a leaf domain label".into(),
                rule: None,
            });
        }
        Ok((attach, cluster))
    }

    /// Continues an operation from a saved token (see [`ComputeOperation::resume_token`]).
    pub fn resume(
        &self,
        token: &ResumeToken,
        name: &str,
        kind: OperationKind,
    ) -> Result<ComputeOperation> {
        ComputeOperation::resume(&self.arm, token, name, kind)
    }
}

/// The name of the AKS compute among `computes` that `cluster` is attached to (ARM ids compare
/// case-insensitively).
fn attached_to(computes: &[ComputeTarget], cluster: &AksClusterId) -> Option<String> {
    computes.iter().find_map(|c| {
        let aks = c.as_aks()?;
        (aks.cluster_id().as_ref() == Some(cluster)).then(|| aks.name().to_owned())
    })
}

fn eq_opt(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

fn show(v: Option<&str>) -> String {
    v.map_or_else(|| "unset".to_owned(), str::to_owned)
}

fn tls_differences(existing: &AksCompute, tls: &TlsConfig, out: &mut Vec<Difference>) {
    let status = existing.ssl_status().map_or("Disabled", |s| s.as_str());
    let (want_status, want_cname, want_label) = match tls {
        TlsConfig::Disabled => ("Disabled", None, None),
        TlsConfig::Custom(c) => ("Enabled", Some(c.cname()), None),
        TlsConfig::Microsoft(m) => ("Auto", None, Some(m.leaf_domain_label())),
        TlsConfig::Renew { .. } => ("Auto", None, None),
    };
    if !status.eq_ignore_ascii_case(want_status) {
        out.push(Difference {
            field: "tls.status",
            existing: status.to_owned(),
            desired: want_status.to_owned(),
        });
    }
    if want_cname.is_some() && !eq_opt(existing.ssl_cname(), want_cname) {
        out.push(Difference {
            field: "tls.cname",
            existing: show(existing.ssl_cname()),
            desired: show(want_cname),
        });
    }
    if want_label.is_some() && !eq_opt(existing.leaf_domain_label(), want_label) {
        out.push(Difference {
            field: "tls.leaf_domain_label",
            existing: show(existing.leaf_domain_label()),
            desired: show(want_label),
        });
    }
}

fn lb_differences(
    existing: &AksCompute,
    lb: &aml_model::config::LoadBalancer,
    out: &mut Vec<Difference>,
) {
    if existing.load_balancer_type() != lb.kind() {
        out.push(Difference {
            field: "load_balancer.type",
            existing: existing.load_balancer_type().to_string(),
            desired: lb.kind().as_str().to_owned(),
        });
    }
    if lb.subnet().is_some() && !eq_opt(existing.load_balancer_subnet(), lb.subnet()) {
        out.push(Difference {
            field: "load_balancer.subnet",
            existing: show(existing.load_balancer_subnet()),
            desired: show(lb.subnet()),
        });
    }
}

fn purpose_difference(
    existing: &AksCompute,
    purpose: &ClusterPurpose,
    field: &'static str,
    out: &mut Vec<Difference>,
) {
    let fast_prod = ClusterPurpose::FastProd;
    let have = existing.cluster_purpose().unwrap_or(&fast_prod);
    if have != purpose {
        out.push(Difference {
            field,
            existing: have.to_string(),
            desired: purpose.as_str().to_owned(),
        });
    }
}

/// Every difference between an existing compute and a desired create.
fn differences_create(existing: &AksCompute, create: &CreateCompute) -> Vec<Difference> {
    let c = create.config();
    let mut out = Vec::new();
    if existing.is_attached() {
        out.push(Difference {
            field: "create",
            existing: "an attached cluster".into(),
            desired: "a cluster created by the workspace".into(),
        });
    }
    if existing.agent_count() != Some(c.agent_count()) {
        out.push(Difference {
            field: "create.agent_count",
            existing: existing
                .agent_count()
                .map_or_else(|| "unset".into(), |n| n.to_string()),
            desired: c.agent_count().to_string(),
        });
    }
    if !eq_opt(existing.agent_vm_size(), Some(c.vm_size())) {
        out.push(Difference {
            field: "create.vm_size",
            existing: show(existing.agent_vm_size()),
            desired: c.vm_size().to_owned(),
        });
    }
    if !eq_opt(existing.compute_location(), Some(create.compute_location())) {
        out.push(Difference {
            field: "create.location",
            existing: show(existing.compute_location()),
            desired: create.compute_location().to_owned(),
        });
    }
    purpose_difference(
        existing,
        c.cluster_purpose(),
        "create.cluster_purpose",
        &mut out,
    );
    lb_differences(existing, c.load_balancer(), &mut out);
    tls_differences(existing, c.tls(), &mut out);
    out
}

/// Every difference between an existing compute and a desired attach.
fn differences_attach(existing: &AksCompute, attach: &AttachCompute) -> Vec<Difference> {
    let c = attach.config();
    let mut out = Vec::new();
    if existing.cluster_id().as_ref() != Some(attach.cluster()) {
        out.push(Difference {
            field: "attach.resource_id",
            existing: show(existing.cluster_resource_id()),
            desired: attach.cluster().to_string(),
        });
    }
    purpose_difference(
        existing,
        c.cluster_purpose(),
        "attach.cluster_purpose",
        &mut out,
    );
    lb_differences(existing, c.load_balancer(), &mut out);
    tls_differences(existing, c.tls(), &mut out);
    out
}
