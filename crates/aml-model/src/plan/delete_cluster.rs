//! The plan of a cluster's deletion: the explicit way to delete an AKS cluster that
//! [`Plan::create_cluster`] made (or any cluster), once no compute of the workspace uses it.

use super::{Check, OperationKind, Plan, Read, Subject};
use crate::Rule;
use crate::request::Requests;
use crate::resource_id::{AksClusterId, WorkspaceId};
use crate::validate::Issue;

impl Plan {
    /// Delete an AKS cluster (`DELETE .../managedClusters/{name}`, a long-running operation
    /// that deletes its nodes too), on behalf of `workspace`: read the cluster (it must exist),
    /// list the workspace's computes and refuse while one of them uses the cluster
    /// (`cluster.still_attached`: detach it first), then the `DELETE` and its wait.
    ///
    /// Azure ML sees a cluster [`Plan::create_cluster`] made as an attached one: detaching its
    /// compute keeps the cluster, and deleting the compute is refused; this plan is the explicit
    /// deletion. Computes of other workspaces attached to the cluster cannot be seen from this
    /// one and break when it is deleted: the plan always carries that warning
    /// (`cluster.other_workspaces`).
    pub fn delete_cluster(
        requests: &Requests,
        workspace: &WorkspaceId,
        cluster: &AksClusterId,
    ) -> Self {
        let warning = Issue {
            path: "cluster".to_owned(),
            code: Rule::ClusterOtherWorkspaces,
            message: format!(
                "computes of other workspaces cannot be seen from workspace {}: any of them attached to cluster {} breaks when it is deleted; detach them first",
                workspace.name(),
                cluster.name()
            ),
        };
        Self::about(
            OperationKind::DeleteCluster,
            Subject::Cluster {
                workspace: workspace.clone(),
                cluster: cluster.clone(),
            },
            vec![warning],
        )
        .read(
            Read::Cluster(cluster.clone()),
            Some(requests.cluster(cluster)),
        )
        .read(Read::Computes, Some(requests.list(workspace)))
        .check(Check::ClusterUnused(cluster.clone()))
        .write(
            format!(
                "delete AKS cluster {} and its nodes (this cannot be undone)",
                cluster.name()
            ),
            requests.delete_cluster(cluster),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::plan::Step;

    const SUB: &str = "00000000-0000-0000-0000-000000000001";

    fn ids() -> (WorkspaceId, AksClusterId) {
        (
            WorkspaceId::new(SUB, "ml-rg", "ws").unwrap(),
            AksClusterId::new(SUB, "aks-rg", "aks-made").unwrap(),
        )
    }

    #[test]
    fn reads_the_cluster_and_the_computes_and_checks_before_its_only_write() {
        let (ws, cluster) = ids();
        let plan = Plan::delete_cluster(&Requests::default(), &ws, &cluster);
        assert_eq!(plan.kind(), OperationKind::DeleteCluster);
        assert_eq!(plan.subject().cluster(), Some(&cluster));
        assert_eq!(plan.compute(), None);
        assert_eq!(plan.workspace(), &ws);
        assert_eq!(plan.subject().name(), "aks-made");

        let steps = plan.steps();
        assert_eq!(steps.len(), 5);
        assert!(matches!(
            &steps[0],
            Step::Read { read: Read::Cluster(c), request: Some(r) }
                if *c == cluster && r.method() == "GET" && r.uri().path() == cluster.to_string()
        ));
        assert!(matches!(
            &steps[1],
            Step::Read { read: Read::Computes, request: Some(r) }
                if r.uri().path() == format!("{ws}/computes")
        ));
        assert!(matches!(&steps[2], Step::Check(Check::ClusterUnused(c)) if *c == cluster));
        assert!(matches!(&steps[4], Step::Wait));
        let writes: Vec<_> = plan.writes().collect();
        assert_eq!(writes.len(), 1);
        assert_eq!(writes[0].method(), "DELETE");
        assert_eq!(writes[0].uri().path(), cluster.to_string());
        assert!(writes[0].body().is_empty());
        assert!((0..steps.len()).all(|i| plan.condition(i).is_none()));

        let codes: Vec<Rule> = plan.warnings().iter().map(|w| w.code).collect();
        assert_eq!(codes, [Rule::ClusterOtherWorkspaces]);
    }

    #[test]
    fn the_dry_run_names_the_cluster_the_check_and_the_delete() {
        let (ws, cluster) = ids();
        let plan = Plan::delete_cluster(&Requests::default(), &ws, &cluster)
            .with_endpoint("https://arm.example");
        let shown = plan.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(
            lines[0],
            "delete cluster aks-made (resource group aks-rg), for workspace ws"
        );
        assert!(
            lines[1].starts_with("  warning: cluster: computes of other workspaces cannot be seen")
                && lines[1].ends_with("[cluster.other_workspaces]"),
            "{shown}"
        );
        assert_eq!(lines[2], "  1. read: read cluster aks-made");
        assert_eq!(
            lines[3],
            format!("     GET https://arm.example{cluster}?api-version=2024-09-01")
        );
        assert_eq!(lines[4], "  2. read: list the workspace's computes");
        assert_eq!(
            lines[6],
            "  3. check: no compute of this workspace uses cluster aks-made (computes of other workspaces cannot be seen) [cluster.still_attached]"
        );
        assert_eq!(
            lines[7],
            "  4. write: delete AKS cluster aks-made and its nodes (this cannot be undone)"
        );
        assert_eq!(
            lines[8],
            format!("     DELETE https://arm.example{cluster}?api-version=2024-09-01")
        );
        assert_eq!(lines[9], "  5. wait for the operation to finish");
        assert_eq!(lines.len(), 10, "{shown}");
    }

    #[test]
    fn the_subjects_of_other_plans_stay_their_computes() {
        let (ws, _) = ids();
        let id = ws.compute("web".parse().unwrap());
        let plan = Plan::detach(&Requests::default(), &id);
        assert_eq!(plan.compute(), Some(&id));
        assert_eq!(plan.subject(), &Subject::Compute(id.clone()));
        assert_eq!(plan.subject().to_string(), "compute web");
        assert!(
            plan.to_string()
                .starts_with("detach compute web in workspace ws\n")
        );
    }
}
