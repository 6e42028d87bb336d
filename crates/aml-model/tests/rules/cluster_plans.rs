//! The plans of a cluster's creation and of an attach to a cluster with authorized ranges:
//! checks first, the conditional control-plane steps, then the writes in order.

use aml_model::plan::{Change, Check, Condition, Plan, Read, Step};
use aml_model::request::Requests;

use crate::cluster::{attach, create, secure};
use crate::workspace;

fn writes(plan: &Plan) -> Vec<String> {
    plan.writes()
        .map(|r| format!("{} {}", r.method(), r.uri().path()))
        .collect()
}

#[test]
fn the_create_cluster_plan_checks_first_then_creates_then_attaches() {
    let c = create(secure()).unwrap();
    let plan = Plan::create_cluster(&Requests::default(), &c, false);
    let w = writes(&plan);
    assert_eq!(w.len(), 2, "{plan}");
    assert!(w[0].contains("/managedClusters/secure-aks"), "{plan}");
    assert!(w[1].ends_with("/computes/secure"), "{plan}");
    let steps = plan.steps();
    let first_write = steps.iter().position(|s| s.write().is_some()).unwrap();
    let before: Vec<&Step> = steps[..first_write].iter().collect();
    for check in [
        Check::NameFree,
        Check::ClusterAbsent,
        Check::VersionAvailable(None),
        Check::ControlPlaneAdmitted { add: false },
    ] {
        assert!(
            before
                .iter()
                .any(|s| matches!(s, Step::Check(c) if *c == check)),
            "{check} before the cluster's PUT in {plan}"
        );
    }
    assert!(before.iter().any(|s| matches!(
        s,
        Step::Read {
            read: Read::ServiceTags,
            ..
        }
    )));
    assert!((0..steps.len()).all(|i| plan.condition(i).is_none()));
    let shown = plan.to_string();
    assert!(
        shown.starts_with("create cluster and attach compute secure"),
        "{shown}"
    );
    assert!(shown.contains("[cluster.control_plane_missing"), "{shown}");
    assert!(
        shown.contains("serviceTags?api-version=2024-05-01"),
        "{shown}"
    );
    assert!(shown.contains("\"authorizedIPRanges\""), "{shown}");

    // With the add option, the cluster's PUT completes its ranges at run time, and says so.
    let plan = Plan::create_cluster(&Requests::default(), &c, true);
    assert_eq!(writes(&plan), w);
    assert!(plan.steps().iter().any(|s| matches!(
        s,
        Step::Modify {
            change: Change::AdmitControlPlane,
            ..
        }
    )));
    assert!(
        plan.to_string()
            .contains("plus the missing control-plane prefixes")
    );

    // Without ranges there is nothing to compare.
    let mut open = secure();
    open.authorized_ip_ranges.clear();
    let plan = Plan::create_cluster(&Requests::default(), &create(open).unwrap(), false);
    assert!(!plan.to_string().contains("serviceTags"));
}

#[test]
fn the_attach_plan_shows_its_conditional_control_plane_steps() {
    let a = aml_model::request::AttachCompute::new(workspace(), "att", attach()).unwrap();
    let plan = Plan::attach(&Requests::default(), &a, false, true);
    let conditional: Vec<Condition> = (0..plan.steps().len())
        .filter_map(|i| plan.condition(i))
        .collect();
    assert!(conditional.contains(&Condition::ClusterHasAuthorizedRanges));
    assert!(conditional.contains(&Condition::ControlPlaneMissing));
    assert_eq!(plan.writes().count(), 2, "{plan}");
    let shown = plan.to_string();
    assert!(
        shown.contains("(only if the cluster has authorized IP ranges)"),
        "{shown}"
    );
    assert!(
        shown.contains("(only if the authorized IP ranges miss control-plane prefixes)"),
        "{shown}"
    );
    // The prefixes are added before the compute's PUT.
    let admit = shown
        .find("add the missing control-plane prefixes")
        .unwrap();
    assert!(
        admit < shown.find("attach cluster secure-aks").unwrap(),
        "{shown}"
    );
    // Without the option, no write is added and the check refuses instead.
    let plan = Plan::attach(&Requests::default(), &a, false, false);
    assert_eq!(plan.writes().count(), 1);
    // A workspace of unknown region is read first, only when needed.
    let unknown = aml_model::request::WorkspaceRef::new(workspace().id, None);
    let a = aml_model::request::AttachCompute::new(unknown, "att", attach()).unwrap();
    let plan = Plan::attach(&Requests::default(), &a, false, false);
    let i = plan
        .steps()
        .iter()
        .position(|s| {
            matches!(
                s,
                Step::Read {
                    read: Read::Workspace,
                    ..
                }
            )
        })
        .unwrap();
    assert_eq!(
        plan.condition(i),
        Some(Condition::ClusterHasAuthorizedRanges)
    );
    assert!(
        plan.to_string()
            .contains("{workspace's region}/serviceTags")
    );
}
