//! The plan of a create-and-attach of a new AKS cluster, and the control-plane steps it shares
//! with attach.

use super::{Change, Check, Condition, OperationKind, Plan, Read};
use crate::request::{AttachCompute, CreateCluster, Requests};

impl Plan {
    /// The control-plane steps (R15): the workspace's region (read first when unknown), the
    /// subscription's locations (the region's pair), the service tags, and the check.
    pub(super) fn control_plane(
        self,
        requests: &Requests,
        attach: &AttachCompute,
        add: bool,
    ) -> Self {
        let subscription = attach.id().workspace().subscription_id().to_owned();
        let workspace = attach.id().workspace().clone();
        let plan = match attach.workspace_location() {
            Some(_) => self,
            None => self.read(Read::Workspace, Some(requests.workspace(&workspace))),
        };
        let tags = attach
            .workspace_location()
            .map(|l| requests.service_tags(&subscription, l));
        plan.read(Read::Locations, Some(requests.locations(&subscription)))
            .read(Read::ServiceTags, tags)
            .check(Check::ControlPlaneAdmitted { add })
    }

    /// Admit the Azure ML control plane into the authorized IP ranges of the cluster `attach`
    /// names (R15), in place: read the cluster, the control-plane steps of
    /// [`Plan::attach`] (the workspace's region when unknown, the subscription's locations, the
    /// service tags, the check that finds the missing prefixes), then a GET-modify-PUT of the
    /// cluster as read with the missing prefixes added to its ranges, its wait, and the
    /// compute's read (what the operation returns). What
    /// converging an existing compute runs when its cluster's ranges lost the control plane
    /// ([`OperationKind::Converge`]). The `PUT` and its wait are conditional
    /// ([`Condition::ControlPlaneMissing`]): when the run finds nothing missing, nothing is
    /// written.
    pub fn admit_control_plane(requests: &Requests, attach: &AttachCompute) -> Self {
        let cluster = attach.cluster().clone();
        Self::new(
            OperationKind::Converge,
            attach.id().clone(),
            Vec::new(),
        )
        .read(
            Read::Cluster(cluster.clone()),
            Some(requests.cluster(&cluster)),
        )
        .control_plane(requests, attach, true)
        .when(Some(Condition::ControlPlaneMissing))
        .modify(
            format!(
                "add the missing control-plane prefixes to the authorized IP ranges of cluster {} (the cluster as read)",
                cluster.name()
            ),
            requests.put_managed_cluster(&cluster, None),
            Change::AdmitControlPlane,
        )
        .when(None)
        .read(Read::Compute, Some(requests.get(attach.id())))
    }

    /// Create a cluster, then attach it (R12, R15, R16, then R2), as one operation: the compute
    /// name must be free (R11); the region's Kubernetes versions are read (R14: the version
    /// asked for must be supported, or the region's default is reported); the cluster must not
    /// exist yet (an existing one is attached instead); with authorized IP ranges, the
    /// subscription's locations and the service tags are read and the ranges must admit the
    /// Azure ML control plane of the workspace's region and its pair (with
    /// `admit_control_plane`, the missing prefixes are added to the ranges the `PUT` sends
    /// instead); then the cluster's `PUT` and its wait; then the attach's checks against the
    /// cluster as created, the computes' listing (R11, R10), the compute's `PUT` and its wait,
    /// and an internal load balancer's update (R20).
    ///
    /// No step of this plan is conditional: the cluster's ranges are known when it is made.
    /// Deleting the cluster stays explicit: detaching the compute keeps it.
    pub fn create_cluster(
        requests: &Requests,
        op: &CreateCluster,
        admit_control_plane: bool,
    ) -> Self {
        let id = op.id().clone();
        let cluster = op.cluster().clone();
        let attach = op.attach();
        let c = op.config();
        let subscription = id.workspace().subscription_id().to_owned();
        let mut plan = Self::new(
            OperationKind::CreateCluster,
            id.clone(),
            op.warnings().to_vec(),
        )
        .read(Read::Compute, Some(requests.get(&id)))
        .check(Check::NameFree)
        .read(
            Read::RegionVersions(c.location().to_owned()),
            Some(requests.kubernetes_versions(&subscription, c.location())),
        )
        .check(Check::VersionAvailable(
            c.kubernetes_version().map(str::to_owned),
        ))
        .read(
            Read::NewCluster(cluster.clone()),
            Some(requests.cluster(&cluster)),
        )
        .check(Check::ClusterAbsent);
        let ranges = !c.authorized_ip_ranges().is_empty();
        if ranges {
            plan = plan.control_plane(requests, attach, admit_control_plane);
        }
        let system = format!(
            "{} x {}",
            c.system_pool().count(),
            c.system_pool().vm_size()
        );
        let pools = match c.accelerator_pool() {
            Some(a) => format!(
                "{system} + {} x {} (pool {}, where Azure ML deploys)",
                a.count(),
                a.vm_size(),
                a.name()
            ),
            None => system,
        };
        let purpose = format!(
            "create AKS cluster {} in {} ({pools}, Kubernetes {})",
            cluster.name(),
            c.location(),
            c.kubernetes_version().unwrap_or("default of the region")
        );
        let put = requests.put_cluster(op);
        plan = if ranges && admit_control_plane {
            plan.modify(purpose, put, Change::AdmitControlPlane)
        } else {
            plan.write(purpose, put)
        };
        plan.read(
            Read::Cluster(cluster.clone()),
            Some(requests.cluster(&cluster)),
        )
        .check(Check::Capacity(attach.config().cluster_purpose().clone()))
        .check(Check::Findings { created_here: true })
        .read(Read::Computes, Some(requests.list(id.workspace())))
        .check(Check::NameFree)
        .check(Check::NotAttachedElsewhere)
        .attach_write(requests, attach)
    }
}
