//! The lifecycles the tasks drive: create or attach, wait, update twice, detach or delete.

use aml_compute::config::{
    AksAttachConfiguration, AksProvisioningConfiguration, AksUpdateConfiguration,
    LoadBalancerSettings,
};
use aml_compute::{AksCompute, AttachOptions, Completion, ComputeOperation, Error, OperationKind};
use aml_emulator::{STANDARD_CLUSTER_RESOURCE_GROUP, STANDARD_SUBSCRIPTION};
use aml_model::wire::ClusterPurpose;

use crate::faults::Stage;
use crate::record::{Lro, Reported, may_have_been_sent, variant};
use crate::rng::Rng;
use crate::{ATTACHED_ELSEWHERE, CONTENDED, Soak, lock};

fn provisioning(production: bool) -> aml_compute::config::AksProvisioningBuilder {
    if production {
        AksProvisioningConfiguration::builder()
            .agent_count(3)
            .vm_size("Standard_D3_v2")
    } else {
        AksProvisioningConfiguration::builder()
            .agent_count(2)
            .vm_size("Standard_D2_v3")
            .cluster_purpose(ClusterPurpose::DevTest)
    }
}

/// The same cluster spelled in one of the ways users write ids: R10 must see through case.
fn attach_config(
    cluster: &str,
    purpose: ClusterPurpose,
    spelling: u64,
) -> aml_compute::config::AksAttachBuilder {
    let builder = AksAttachConfiguration::builder().cluster_purpose(purpose);
    let id = |group: &str, rg: &str| {
        format!(
            "/subscriptions/{STANDARD_SUBSCRIPTION}/{group}/{rg}/providers/Microsoft.ContainerService/managedClusters/{cluster}"
        )
    };
    match spelling % 3 {
        0 => builder.cluster(STANDARD_CLUSTER_RESOURCE_GROUP, cluster),
        1 => builder.resource_id(id("resourcegroups", STANDARD_CLUSTER_RESOURCE_GROUP)),
        _ => builder.resource_id(id(
            "RESOURCEGROUPS",
            &STANDARD_CLUSTER_RESOURCE_GROUP.to_ascii_uppercase(),
        )),
    }
}

fn wait_step(kind: OperationKind) -> &'static str {
    match kind {
        OperationKind::Create => "wait create",
        OperationKind::Attach => "wait attach",
        OperationKind::Update => "wait update",
        OperationKind::Detach => "wait detach",
        OperationKind::Delete => "wait delete",
        _ => "wait other",
    }
}

impl Soak {
    /// Waits for an operation; on an error other than the operation's own failure, resumes from
    /// the token (as a caller that saved it would) a few times.
    async fn wait(&self, rng: &mut Rng, op: ComputeOperation) -> Result<Completion, Error> {
        let token = op
            .resume_token()
            .expect("an operation starts with its first write sent");
        let kind = op.kind();
        let name = op.name().to_owned();
        self.inject(rng, &name, Stage::Wait, None);
        let mut result = op.await;
        self.record(wait_step(kind), &name, &result);
        let mut resumes = 0;
        while let Err(e) = &result
            && !matches!(e, Error::OperationFailed { .. })
            && resumes < 3
        {
            resumes += 1;
            result = match self.ws.resume(&token, &name, kind) {
                Ok(op) => op.await,
                Err(e) => Err(e),
            };
            self.record("resume", &name, &result);
        }
        let reported = match &result {
            Ok(_) => Reported::Succeeded,
            Err(Error::OperationFailed { status, .. }) => Reported::Ended(status.to_string()),
            Err(e) => Reported::GaveUp(variant(e)),
        };
        lock(&self.lros).push(Lro {
            name,
            kind,
            token,
            reported,
        });
        result
    }

    /// Create, wait, update twice, then detach or delete.
    pub(crate) async fn create_lifecycle(&self, rng: &mut Rng, name: &str) {
        lock(&self.create_names).insert(name.to_owned());
        let production = rng.chance(50);
        self.inject(rng, name, Stage::Create, None);
        let mut begun = self.ws.begin_create(name, provisioning(production)).await;
        self.record("create", name, &begun);
        if let Err(e) = &begun
            && may_have_been_sent(e)
        {
            begun = self.ws.begin_create(name, provisioning(production)).await;
            self.record("create again", name, &begun);
        }
        if let Ok(op) = begun
            && self.wait(rng, op).await.is_ok()
        {
            lock(&self.created).insert(name.to_owned());
            self.updates(rng, name).await;
        }
        let delete = rng.chance(40);
        if delete {
            lock(&self.delete_asked).insert(name.to_owned());
        }
        if self.remove(rng, name, delete).await && delete {
            lock(&self.deleted).insert(name.to_owned());
        }
    }

    /// Attach a contended cluster, wait, read it, update twice, detach.
    pub(crate) async fn attach_lifecycle(&self, rng: &mut Rng, name: &str) {
        lock(&self.attach_names).insert(name.to_owned());
        lock(&self.live_attach).insert(name.to_owned());
        let (cluster, purpose) = &CONTENDED[rng.pick(&[0, 1, 2])];
        let spelling = rng.next_u64();
        self.inject(rng, name, Stage::Attach, Some(cluster));
        let options = AttachOptions::default();
        let mut begun = self
            .ws
            .begin_attach(
                name,
                attach_config(cluster, purpose.clone(), spelling),
                options,
            )
            .await;
        self.record("attach", name, &begun);
        if let Err(e) = &begun
            && may_have_been_sent(e)
        {
            begun = self
                .ws
                .begin_attach(
                    name,
                    attach_config(cluster, purpose.clone(), spelling),
                    options,
                )
                .await;
            self.record("attach again", name, &begun);
        }
        if let Ok(op) = begun
            && self.wait(rng, op).await.is_ok()
        {
            let read = self.ws.get_aks(name).await;
            self.record("get", name, &read);
            if let Ok(compute) = read {
                self.note_broken(name, &compute);
            }
            self.updates(rng, name).await;
        }
        if self.remove(rng, name, false).await {
            lock(&self.live_attach).remove(name);
        }
    }

    /// A compute the emulator broke because its cluster was attached under another name.
    fn note_broken(&self, name: &str, compute: &AksCompute) {
        if compute
            .provisioning_errors()
            .iter()
            .any(|e| e.code.as_deref() == Some(ATTACHED_ELSEWHERE))
        {
            lock(&self.double_attachments).insert(format!(
                "{name} was broken by a second attachment of {} ({ATTACHED_ELSEWHERE})",
                compute.cluster_resource_id().unwrap_or("?")
            ));
        }
    }

    /// Switches to an internal load balancer and back, waiting for each.
    async fn updates(&self, rng: &mut Rng, name: &str) {
        for lb in [
            LoadBalancerSettings::internal("aks-subnet"),
            LoadBalancerSettings::public(),
        ] {
            self.inject(rng, name, Stage::Update, None);
            let begun = self
                .ws
                .begin_update(name, AksUpdateConfiguration::builder().load_balancer(lb))
                .await;
            self.record("update", name, &begun);
            let Ok(op) = begun else { return };
            match self.wait(rng, op).await {
                Ok(Completion::Compute(target)) => {
                    if let Some(compute) = target.as_aks() {
                        self.note_broken(name, compute);
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    }

    /// Detaches (or deletes) until the compute is gone, three tries at most. Returns whether
    /// the library reported it gone.
    async fn remove(&self, rng: &mut Rng, name: &str, delete: bool) -> bool {
        for _ in 0..3 {
            self.inject(rng, name, Stage::Remove, None);
            let begun = if delete {
                self.ws.begin_delete(name).await
            } else {
                self.ws.begin_detach(name).await
            };
            self.record(if delete { "delete" } else { "detach" }, name, &begun);
            match begun {
                Err(Error::NotFound { .. }) => return true,
                Err(_) => {}
                Ok(op) => {
                    if let Ok(done) = self.wait(rng, op).await {
                        assert_eq!(done, Completion::Removed, "{name}");
                        return true;
                    }
                }
            }
        }
        false
    }
}
