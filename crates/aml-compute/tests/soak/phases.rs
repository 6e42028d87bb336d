//! The state checks during the run and after each phase, and the clean-up between phases.

use std::collections::BTreeMap;

use aml_compute::{AksCompute, Error};
use aml_emulator::Fault;
use aml_model::AksClusterId;

use crate::{PER_TRY, Soak, lock};

impl Soak {
    /// Looks at the computes of `names` in the emulator: a cluster with two of them is attached
    /// under two names at once (R10).
    pub(crate) fn note_double_attachments<'a>(
        &self,
        when: &str,
        names: impl Iterator<Item = &'a String>,
    ) {
        let mut by_cluster: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in names {
            let id = self.ws.id().compute(name.parse().unwrap());
            let Some(resource) = self.emu.compute(&id) else {
                continue;
            };
            let compute = AksCompute::from_resource(resource);
            let Some(cluster) = compute.cluster_id() else {
                continue;
            };
            by_cluster
                .entry(cluster.to_string().to_ascii_lowercase())
                .or_default()
                .push(format!(
                    "{name} [{}]",
                    compute
                        .provisioning_state()
                        .map_or("?", aml_model::wire::ProvisioningState::as_str)
                ));
        }
        for (cluster, computes) in by_cluster {
            if computes.len() > 1 {
                let names: Vec<&str> = computes
                    .iter()
                    .map(|c| c.split(' ').next().unwrap_or_default())
                    .collect();
                lock(&self.double_attachments).insert(format!(
                    "cluster {} attached as {} at once (seen by the {when})",
                    cluster.rsplit('/').next().unwrap_or(&cluster),
                    names.join(" and ")
                ));
            }
        }
    }

    /// Seeded clusters, as ids.
    pub(crate) fn seeded_clusters(&self) -> Vec<AksClusterId> {
        let mut ids = Vec::new();
        for subscription in &self.emu.seed().subscriptions {
            for group in &subscription.resource_groups {
                for cluster in &group.clusters {
                    ids.push(
                        AksClusterId::new(
                            subscription.id.as_str(),
                            group.name.as_str(),
                            cluster.name.as_str(),
                        )
                        .unwrap(),
                    );
                }
            }
        }
        ids
    }

    /// After a phase: the state checks, then (faults cleared) every compute left is detached.
    pub(crate) async fn end_phase(&self, phase: u32) {
        let prefix = format!("sk-p{phase:02}-");
        let attach: Vec<String> = lock(&self.attach_names)
            .iter()
            .filter(|n| n.starts_with(&prefix))
            .cloned()
            .collect();
        self.note_double_attachments(&format!("state check after phase {phase}"), attach.iter());
        for id in self.seeded_clusters() {
            assert!(
                self.emu.cluster(&id).is_some(),
                "seed {}: seeded cluster {id} is gone after phase {phase}",
                self.seed
            );
        }
        let long_delays_left = self
            .emu
            .faults()
            .active()
            .iter()
            .filter(|a| matches!(a.rule.fault, Fault::Delay { delay } if delay >= PER_TRY))
            .count();
        *lock(&self.injected)
            .entry("delay past the per-try timeout, never met")
            .or_default() += u32::try_from(long_delays_left).unwrap();
        // Clean up with no faults, so the next phase starts from the seed.
        self.emu.faults().clear();
        let mut names: Vec<String> = lock(&self.create_names)
            .iter()
            .filter(|n| n.starts_with(&prefix))
            .cloned()
            .collect();
        names.extend(attach);
        let mut left = 0;
        for name in &names {
            let id = self.ws.id().compute(name.parse().unwrap());
            if self.emu.compute(&id).is_none() {
                continue;
            }
            left += 1;
            let op = self.ws.begin_detach(name).await;
            let done = match op {
                Ok(op) => op.await.map(|_| ()),
                Err(Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e),
            };
            assert!(
                done.is_ok(),
                "seed {}: cleaning up {name} without faults failed: {done:?}",
                self.seed
            );
        }
        for name in &names {
            let id = self.ws.id().compute(name.parse().unwrap());
            assert!(
                self.emu.compute(&id).is_none(),
                "seed {}: {name} still exists after cleaning up phase {phase}",
                self.seed
            );
        }
        lock(&self.live_attach).retain(|n| !n.starts_with(&prefix));
        println!("phase {phase}: done; {left} computes left by the lifecycles were detached");
    }
}
