//! Tests of `agent_pool`.

use super::*;

fn profile(json: serde_json::Value) -> AgentPoolProfile {
    serde_json::from_value(json).unwrap_or_default()
}

fn pool(count: u32, autoscale: Option<(u32, u32)>) -> Pool {
    let mut pool = Pool::new("nodepool1", count, "Standard_D3_v2", AgentPoolMode::System);
    pool.autoscale = autoscale;
    pool
}

fn codes(pool: &mut Pool, exists: bool, body: serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    autoscaler(pool, exists, &profile(body), &mut problems);
    problems
        .into_iter()
        .filter_map(|problem| problem.target)
        .collect()
}

#[test]
fn autoscaler_bounds() {
    let mut on = pool(3, None);
    assert!(
        codes(
            &mut on,
            true,
            serde_json::json!({"enableAutoScaling": true, "minCount": 2, "maxCount": 5})
        )
        .is_empty()
    );
    assert_eq!((on.count, on.autoscale), (3, Some((2, 5))));
    // No enableAutoScaling: the autoscaler stays, the count is brought within new bounds.
    assert!(codes(&mut on, true, serde_json::json!({"minCount": 4})).is_empty());
    assert_eq!((on.count, on.autoscale), (4, Some((4, 5))));
    assert_eq!(
        codes(
            &mut pool(3, None),
            true,
            serde_json::json!({"enableAutoScaling": true, "maxCount": 5})
        ),
        ["properties.minCount"]
    );
    assert_eq!(
        codes(
            &mut pool(3, None),
            true,
            serde_json::json!({"enableAutoScaling": true, "minCount": 0, "maxCount": 5})
        ),
        ["properties.minCount"]
    );
    assert_eq!(
        codes(
            &mut pool(3, None),
            true,
            serde_json::json!({"enableAutoScaling": true, "minCount": 4, "maxCount": 2, "count": 3})
        ),
        ["properties.minCount", "properties.count"]
    );
    assert_eq!(
        codes(
            &mut pool(3, Some((1, 5))),
            true,
            serde_json::json!({"enableAutoScaling": false, "minCount": 1})
        ),
        ["properties.minCount"]
    );
    let mut off = pool(3, Some((1, 5)));
    assert!(
        codes(
            &mut off,
            true,
            serde_json::json!({"enableAutoScaling": false, "count": 2})
        )
        .is_empty()
    );
    assert_eq!((off.count, off.autoscale), (2, None));
    let mut new = pool(1, None);
    assert!(
        codes(
            &mut new,
            false,
            serde_json::json!({"enableAutoScaling": true, "minCount": 2, "maxCount": 3})
        )
        .is_empty()
    );
    assert_eq!(new.count, 2);
}

#[test]
fn pool_names() {
    let mut problems = Vec::new();
    for name in ["gpu", "pool12", "abcdefghijkl"] {
        check_name(name, &mut problems);
    }
    assert!(problems.is_empty());
    for name in ["", "1pool", "Pool", "my-pool", "abcdefghijklm"] {
        check_name(name, &mut problems);
    }
    assert_eq!(problems.len(), 5);
}

#[test]
fn refusals_keep_the_first_code() {
    assert!(refused(Vec::new()).is_ok());
    let one = refused(vec![problem(
        "PropertyChangeNotAllowed",
        "properties.vmSize",
        "no".into(),
    )])
    .unwrap_err();
    assert_eq!(one.status, 400);
    assert_eq!(one.detail.code.as_deref(), Some("PropertyChangeNotAllowed"));
    assert_eq!(one.detail.target.as_deref(), Some("properties.vmSize"));
    let two = refused(vec![
        problem("InvalidParameter", "properties.count", "a.".into()),
        problem("InvalidParameter", "properties.minCount", "b.".into()),
    ])
    .unwrap_err();
    assert_eq!(two.detail.message.as_deref(), Some("a. b."));
    assert_eq!(two.detail.target, None);
    assert_eq!(two.detail.details.as_ref().map(Vec::len), Some(2));
}
