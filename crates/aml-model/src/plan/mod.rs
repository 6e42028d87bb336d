//! One plan per operation: the ordered steps (reads, checks, writes, waits) that an operation
//! runs. A dry run shows a [`Plan`] (its `Display`); the real run executes the same steps in the
//! same order (`aml-compute` walks [`Plan::steps`]), so what a dry run shows is what is sent.
//!
//! Plans are pure data built from validated operations ([`CreateCompute`], [`AttachCompute`],
//! an [`AksUpdateConfiguration`], a [`ComputeId`], an [`AksClusterId`]): building one sends
//! nothing and reads nothing. Bodies may hold secrets (a TLS key): `Display` and `Debug` show
//! them redacted.
//!
//! A plan acts on one [`Subject`] in one workspace: a compute, for every operation but one; the
//! AKS cluster itself for [`Plan::delete_cluster`] (whose checks read the workspace's computes).
//!
//! A step may be conditional ([`Plan::condition`]): the dry run shows it with its condition,
//! and a run skips it, with a progress event, when the condition does not hold. Two plans have
//! such steps: attach, its control-plane reads and check (when the cluster has authorized IP ranges)
//! and the write that adds missing prefixes (when some are missing); see [`Plan::attach`]; and
//! [`Plan::admit_control_plane`], whose write runs only when prefixes are missing.

use crate::config::{AksUpdateConfiguration, LoadBalancer, ScaleConfiguration, TlsConfig};
use crate::request::{AttachCompute, CreateCompute, Request, Requests};
use crate::resource_id::{AksClusterId, ComputeId, WorkspaceId};
use crate::validate::Issue;
use crate::wire::ClusterPurpose;

mod cluster;
mod delete_cluster;
mod display;
mod step;
mod subject;

pub use step::{Change, Check, Condition, OperationKind, Read, Step, UnknownOperationKind};
pub use subject::Subject;

/// How a re-attach puts the compute back when attaching again fails after its detach: the
/// attach of the same cluster with the compute's previous settings.
#[derive(Debug)]
pub struct Rollback {
    /// The attach with the previous settings (its body may hold a key: render it redacted).
    pub request: Request,
    /// The previous settings, for a person (no secrets).
    pub previous: String,
    /// What of the previous settings the rollback cannot restore, if anything.
    pub lost: Option<String>,
    /// The internal load balancer to put the compute back on, by an update once attached
    /// again (R20: an attach cannot set one), if it was on one.
    pub load_balancer: Option<LoadBalancer>,
    /// The steps whose failure rolls back: the attach's write and its wait (indices in
    /// [`Plan::steps`]). The detach before them is done then; a failure after them (the
    /// switch to an internal load balancer) leaves the compute attached.
    pub steps: std::ops::Range<usize>,
}

/// The ordered steps of one operation on one [`Subject`] (a compute, or for
/// [`Plan::delete_cluster`] an AKS cluster), and the advice found validating it.
///
/// Built by the constructors below (pure: nothing is sent); `Display` is the dry run, and
/// `aml-compute` runs [`Plan::steps`] in order.
#[derive(Debug)]
pub struct Plan {
    kind: OperationKind,
    subject: Subject,
    warnings: Vec<Issue>,
    steps: Vec<Step>,
    /// Parallel to `steps`: when each runs (`None`: always).
    conditions: Vec<Option<Condition>>,
    /// The condition the steps pushed now get.
    when: Option<Condition>,
    rollback: Option<Rollback>,
    endpoint: String,
}

impl Plan {
    fn new(kind: OperationKind, compute: ComputeId, warnings: Vec<Issue>) -> Self {
        Self::about(kind, Subject::Compute(compute), warnings)
    }

    fn about(kind: OperationKind, subject: Subject, warnings: Vec<Issue>) -> Self {
        Self {
            kind,
            subject,
            warnings,
            steps: Vec::new(),
            conditions: Vec::new(),
            when: None,
            rollback: None,
            endpoint: "https://management.azure.com".to_owned(),
        }
    }

    fn push(&mut self, step: Step) {
        self.steps.push(step);
        self.conditions.push(self.when);
    }

    /// The steps pushed from here on run only when `when` holds (`None`: always).
    fn when(mut self, when: Option<Condition>) -> Self {
        self.when = when;
        self
    }

    fn read(mut self, read: Read, request: Option<Request>) -> Self {
        self.push(Step::Read { read, request });
        self
    }

    fn check(mut self, check: Check) -> Self {
        self.push(Step::Check(check));
        self
    }

    fn write(mut self, purpose: String, request: Request) -> Self {
        self.push(Step::Write { purpose, request });
        self.push(Step::Wait);
        self
    }

    fn modify(mut self, purpose: String, request: Request, change: Change) -> Self {
        self.push(Step::Modify {
            purpose,
            request,
            change,
        });
        self.push(Step::Wait);
        self
    }

    /// Create (R1): the name must be free (R11), then the `PUT`, then the wait.
    pub fn create(requests: &Requests, create: &CreateCompute) -> Self {
        let c = create.config();
        let id = create.id().clone();
        Self::new(
            OperationKind::Create,
            id.clone(),
            create.warnings().to_vec(),
        )
        .read(Read::Compute, Some(requests.get(&id)))
        .check(Check::NameFree)
        .write(
            format!(
                "create AKS compute {} ({} x {} in {}, {})",
                id.name(),
                c.agent_count(),
                c.vm_size(),
                create.compute_location(),
                c.cluster_purpose()
            ),
            requests.create(create),
        )
    }

    /// Attach (R2): read the cluster and its region's versions and check them (R14, R8) and
    /// report what the guide warns about (R12, R15, R16); when the cluster has authorized IP
    /// ranges, read the subscription's locations and the service tags (and the workspace first
    /// when its region is unknown) and check that they admit the Azure ML control plane of the
    /// workspace's region and its pair (R15); with `admit_control_plane`, a GET-modify-PUT of
    /// the cluster adds the missing prefixes instead of refusing; list the workspace's computes
    /// to refuse a taken name (R11) and, unless `allow_second_attachment`, a cluster attached
    /// already (R10); then the `PUT` and the wait. An internal load balancer is applied by an
    /// update once attached (R20).
    ///
    /// Conditional steps (see [`Plan::condition`]): the workspace, locations and service-tag
    /// reads and the control-plane check run only when the cluster has authorized IP ranges;
    /// the cluster's re-read and its `PUT` that adds the prefixes (and its wait) run only when
    /// prefixes are missing. Every other step always runs.
    pub fn attach(
        requests: &Requests,
        attach: &AttachCompute,
        allow_second_attachment: bool,
        admit_control_plane: bool,
    ) -> Self {
        let id = attach.id().clone();
        let cluster = attach.cluster().clone();
        let mut plan = Self::new(
            OperationKind::Attach,
            id.clone(),
            attach.warnings().to_vec(),
        );
        plan = plan
            .cluster_checks(requests, attach)
            .check(Check::Findings {
                created_here: false,
            })
            .when(Some(Condition::ClusterHasAuthorizedRanges))
            .control_plane(requests, attach, admit_control_plane)
            .when(None);
        if admit_control_plane {
            plan = plan
                .when(Some(Condition::ControlPlaneMissing))
                .read(
                    Read::Cluster(cluster.clone()),
                    Some(requests.cluster(&cluster)),
                )
                .modify(
                    format!(
                        "add the missing control-plane prefixes to the authorized IP ranges of cluster {}",
                        cluster.name()
                    ),
                    requests.put_managed_cluster(&cluster, None),
                    Change::AdmitControlPlane,
                )
                .when(None);
        }
        plan = plan
            .read(Read::Computes, Some(requests.list(id.workspace())))
            .check(Check::NameFree);
        if !allow_second_attachment {
            plan = plan.check(Check::NotAttachedElsewhere);
        }
        plan.attach_write(requests, attach)
    }

    /// The attach's `PUT` and wait, then, for an internal load balancer, the update that
    /// switches to it once attached (R20).
    fn attach_write(self, requests: &Requests, attach: &AttachCompute) -> Self {
        self.write(
            format!(
                "attach cluster {} as compute {} ({})",
                attach.cluster().name(),
                attach.id().name(),
                tls_summary(attach.config().tls())
            ),
            requests.attach(attach),
        )
        .internal_load_balancer(requests, attach)
    }

    /// For an attach on an internal load balancer: the update that switches to it once
    /// attached (R20: the attach's body cannot set it).
    fn internal_load_balancer(self, requests: &Requests, attach: &AttachCompute) -> Self {
        let Some(update) = attach.follow_up() else {
            return self;
        };
        let id = attach.id();
        self.read(Read::Compute, Some(requests.get(id))).modify(
            "switch to the internal load balancer (an update once attached)".to_owned(),
            requests.update_target(id),
            Change::Compute(update),
        )
    }

    fn cluster_checks(self, requests: &Requests, attach: &AttachCompute) -> Self {
        let cluster = attach.cluster().clone();
        self.read(
            Read::Cluster(cluster.clone()),
            Some(requests.cluster(&cluster)),
        )
        .read(Read::KubernetesVersions, None)
        .check(Check::KubernetesVersion)
        .check(Check::Capacity(attach.config().cluster_purpose().clone()))
    }

    /// Update (R5, R20): read the compute, then `PUT` it back with `update` applied (every
    /// field this crate does not know is kept), then wait.
    pub fn update(requests: &Requests, id: &ComputeId, update: AksUpdateConfiguration) -> Self {
        let mut changes = Vec::new();
        if let Some(tls) = update.tls() {
            changes.push(format!("TLS: {}", tls_summary(tls)));
        }
        if let Some(lb) = update.load_balancer() {
            changes.push(match lb.subnet() {
                Some(subnet) => format!("load balancer: {} in subnet {subnet}", lb.kind()),
                None => format!("load balancer: {}", lb.kind()),
            });
        }
        let warnings = update.warnings().to_vec();
        Self::new(OperationKind::Update, id.clone(), warnings)
            .read(Read::Compute, Some(requests.get(id)))
            .check(Check::IsAks)
            .modify(
                format!(
                    "update compute {} as read, with {}",
                    id.name(),
                    changes.join("; ")
                ),
                requests.update_target(id),
                Change::Compute(update),
            )
    }

    /// Scale (R13): read the compute and the cluster's agent pools, check that the pool exists
    /// and that a production cluster keeps enough nodes and vCPUs (R8), then `PUT` the pool as
    /// read with the new node count or autoscaler (never its VM size), wait, and read the
    /// compute back. `pool` is the pool to scale, `purpose` the compute's.
    pub fn scale(
        requests: &Requests,
        id: &ComputeId,
        cluster: &AksClusterId,
        pool: &str,
        purpose: ClusterPurpose,
        scale: ScaleConfiguration,
    ) -> Self {
        Self::new(OperationKind::Scale, id.clone(), Vec::new())
            .read(Read::Compute, Some(requests.get(id)))
            .check(Check::IsAks)
            .read(
                Read::AgentPools(cluster.clone()),
                Some(requests.agent_pools(cluster)),
            )
            .check(Check::ScaleFits {
                pool: pool.to_owned(),
                scale: scale.clone(),
                purpose,
            })
            .modify(
                format!(
                    "scale pool {pool} of cluster {} as read, to {scale}",
                    cluster.name()
                ),
                requests.put_agent_pool(cluster, pool, None),
                Change::Pool {
                    pool: pool.to_owned(),
                    scale,
                },
            )
            .read(Read::Compute, Some(requests.get(id)))
    }

    /// Detach (R3): the compute leaves the workspace, the cluster is kept.
    pub fn detach(requests: &Requests, id: &ComputeId) -> Self {
        Self::new(OperationKind::Detach, id.clone(), Vec::new())
            .read(Read::Compute, Some(requests.get(id)))
            .check(Check::IsAks)
            .write(
                format!("detach compute {}, keeping its AKS cluster", id.name()),
                requests.detach(id),
            )
    }

    /// Delete: the compute AND the cluster the workspace created; refused for an attached one.
    pub fn delete(requests: &Requests, id: &ComputeId) -> Self {
        Self::new(OperationKind::Delete, id.clone(), Vec::new())
            .read(Read::Compute, Some(requests.get(id)))
            .check(Check::IsAks)
            .check(Check::CreatedByWorkspace)
            .write(
                format!(
                    "delete compute {} AND its AKS cluster (detach keeps the cluster)",
                    id.name()
                ),
                requests.delete(id, crate::request::UnderlyingResourceAction::Delete),
            )
    }

    /// Re-attach (R22, R19): every check of the new attachment runs before the detach (the
    /// compute still on its cluster, the cluster's version and capacity, the findings, and,
    /// when the cluster has authorized IP ranges, the Azure ML control plane in them); then
    /// detach, wait, attach the same cluster with the new settings, wait, and for an internal
    /// load balancer the update that switches to it (R20). If attaching fails after the
    /// detach, `previous` (the attachment as it was) is attached again, and put back on its
    /// internal load balancer if it had one: the plan's [`Rollback`]; `lost` says what of the
    /// previous settings that cannot restore.
    pub fn reattach(
        requests: &Requests,
        attach: &AttachCompute,
        previous: &AttachCompute,
        lost: Option<String>,
    ) -> Self {
        let id = attach.id().clone();
        let cluster = attach.cluster().clone();
        let plan = Self::new(
            OperationKind::Reattach,
            id.clone(),
            attach.warnings().to_vec(),
        )
        .read(Read::Compute, Some(requests.get(&id)))
        .check(Check::Reattachable(cluster.clone()))
        .cluster_checks(requests, attach)
        .check(Check::Findings {
            created_here: false,
        })
        .when(Some(Condition::ClusterHasAuthorizedRanges))
        .control_plane(requests, attach, false)
        .when(None)
        .write(
            format!(
                "detach compute {}, keeping cluster {}",
                id.name(),
                cluster.name()
            ),
            requests.detach(&id),
        );
        let attach_write = plan.steps.len();
        let mut plan = plan
            .write(
                format!(
                    "attach cluster {} again as compute {} ({})",
                    cluster.name(),
                    id.name(),
                    tls_summary(attach.config().tls())
                ),
                requests.attach(attach),
            )
            .internal_load_balancer(requests, attach);
        let lb = previous.config().load_balancer();
        plan.rollback = Some(Rollback {
            request: requests.attach(previous),
            previous: format!(
                "cluster {}, {}, {}{}",
                previous.cluster(),
                previous.config().cluster_purpose(),
                tls_summary(previous.config().tls()),
                lb_summary(lb)
            ),
            lost,
            load_balancer: lb.is_internal().then(|| lb.clone()),
            // The attach's write and its wait.
            steps: attach_write..attach_write + 2,
        });
        plan
    }

    /// The plans of `parts`, one after the other, as one operation on compute `id`: what
    /// converging an existing compute to a desired one runs. A part's rollback keeps applying
    /// to that part's own attach. One part is returned as it is.
    pub fn converge(id: &ComputeId, mut parts: Vec<Plan>) -> Self {
        if parts.len() == 1
            && let Some(only) = parts.pop()
        {
            return only;
        }
        let mut plan = Self::new(OperationKind::Converge, id.clone(), Vec::new());
        for part in parts {
            let offset = plan.steps.len();
            plan.warnings.extend(part.warnings);
            plan.steps.extend(part.steps);
            plan.conditions.extend(part.conditions);
            if plan.rollback.is_none()
                && let Some(mut rollback) = part.rollback
            {
                rollback.steps = rollback.steps.start + offset..rollback.steps.end + offset;
                plan.rollback = Some(rollback);
            }
        }
        plan
    }

    /// The rest of an operation continued from a resume token: waiting for the long-running
    /// operation the token names, then, unless the operation removes the compute, reading the
    /// compute (the operation may answer with another resource: a scale's with the agent
    /// pool). Writes a plan had after that one are not part of a token: see
    /// `resume_plan` in aml-compute for those.
    pub fn resumed(requests: &Requests, kind: OperationKind, id: &ComputeId) -> Self {
        let mut plan = Self::new(kind, id.clone(), Vec::new());
        plan.push(Step::Wait);
        if !kind.removes_compute() {
            plan = plan.read(Read::Compute, Some(requests.get(id)));
        }
        plan
    }

    /// Renders URLs against `endpoint` (`https://management.azure.com` by default).
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// The operation.
    pub fn kind(&self) -> OperationKind {
        self.kind
    }

    /// What it acts on: a compute, or the cluster of [`Plan::delete_cluster`].
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// The compute it acts on; `None` for [`Plan::delete_cluster`], whose subject is a cluster.
    pub fn compute(&self) -> Option<&ComputeId> {
        self.subject.compute()
    }

    /// The workspace it runs in.
    pub fn workspace(&self) -> &WorkspaceId {
        self.subject.workspace()
    }

    /// Advice found while validating (never blocking).
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }

    /// Adds advice found after the plan was built (live checks).
    pub fn push_warnings(&mut self, warnings: impl IntoIterator<Item = Issue>) {
        self.warnings.extend(warnings);
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// When step `index` runs: `None` for always (and for an index past the end), or the
    /// condition under which it runs; a run skips it, with a progress event, otherwise.
    pub fn condition(&self, index: usize) -> Option<Condition> {
        self.conditions.get(index).copied().flatten()
    }

    /// What is sent if a re-attach's attach fails after its detach.
    pub fn rollback(&self) -> Option<&Rollback> {
        self.rollback.as_ref()
    }

    /// The writes, in the order they are sent. Bodies may hold secrets.
    pub fn writes(&self) -> impl Iterator<Item = &Request> {
        self.steps.iter().filter_map(Step::write)
    }
}

/// `, internal load balancer in subnet S` for an internal load balancer; nothing for a public IP.
fn lb_summary(lb: &LoadBalancer) -> String {
    match (lb.is_internal(), lb.subnet()) {
        (false, _) => String::new(),
        (true, Some(subnet)) => format!(", internal load balancer in subnet {subnet}"),
        (true, None) => ", internal load balancer".to_owned(),
    }
}

fn tls_summary(tls: &TlsConfig) -> String {
    match tls {
        TlsConfig::Disabled => "TLS disabled".to_owned(),
        TlsConfig::Custom(c) => format!("TLS with a custom certificate for {}", c.cname()),
        TlsConfig::Microsoft(m) => {
            format!(
                "TLS with a Microsoft certificate for label {}",
                m.leaf_domain_label()
            )
        }
        TlsConfig::Renew { leaf_domain_label } => match leaf_domain_label {
            Some(label) => format!("renew the Microsoft certificate, label {label}"),
            None => "renew the Microsoft certificate".to_owned(),
        },
    }
}
