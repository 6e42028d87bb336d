//! The ARM resource id parser and the typed ids on top of it: no panic on any text, and every id
//! that parses prints as text that parses back to an equal id (equal hashes too, since equality
//! ignores ASCII case).
#![no_main]

use std::str::FromStr;

use aml_fuzz::assert_hash_agrees;
use aml_model::resource_id::{check_resource_group, validate_resource_group};
use aml_model::{AksClusterId, ComputeId, ComputeName, ResourceId, SubnetId, WorkspaceId};
use libfuzzer_sys::fuzz_target;

/// `T` parses from `text`; if so, its canonical text parses back to an equal `T`, and serde
/// (a JSON string) agrees with `FromStr`.
fn typed<T>(text: &str) -> Option<T>
where
    T: FromStr + ToString + Eq + std::hash::Hash + std::fmt::Debug + serde::Serialize,
    T: serde::de::DeserializeOwned,
    T::Err: std::fmt::Display,
{
    let from_serde = serde_json::from_value::<T>(serde_json::Value::String(text.to_owned()));
    let Ok(id) = text.parse::<T>() else {
        assert!(
            from_serde.is_err(),
            "serde accepts {text:?} and FromStr refuses it"
        );
        return None;
    };
    assert_eq!(
        from_serde.ok().as_ref(),
        Some(&id),
        "serde and FromStr disagree"
    );
    let canonical = id.to_string();
    let again = canonical
        .parse::<T>()
        .unwrap_or_else(|e| panic!("{canonical:?} (printed from {text:?}) does not parse: {e}"));
    assert_hash_agrees(&id, &again);
    assert_eq!(again.to_string(), canonical, "printing is not stable");
    let json = serde_json::to_string(&id).expect("an id serializes");
    assert_eq!(serde_json::from_str::<T>(&json).ok().as_ref(), Some(&id));
    Some(id)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    if let Some(id) = typed::<ResourceId>(text) {
        let _ = (
            id.subscription_id(),
            id.subscription_is_guid(),
            id.resource_group(),
            id.provider_namespace(),
            id.name(),
            id.path(),
        );
        let resource_type = id.resource_type();
        assert!(id.is_type(&resource_type), "{id:?} is not of its own type");
        assert!(id.is_type(&resource_type.to_ascii_uppercase()));
        let pairs: Vec<_> = id.types_and_names().collect();
        assert!(!pairs.is_empty());
        let _ = id.ensure_subscription(id.subscription_id());
        // Walk up to the subscription; every ancestor prints as a parseable id.
        let mut current = id.clone();
        let mut depth = 0;
        while let Some(parent) = current.parent() {
            depth += 1;
            assert!(
                depth <= text.len(),
                "parent() does not terminate for {text:?}"
            );
            let printed = parent.to_string();
            let again: ResourceId = printed.parse().unwrap_or_else(|e| {
                panic!("parent {printed:?} of {current:?} does not parse: {e}")
            });
            assert_hash_agrees(&parent, &again);
            current = parent;
        }
        // A typed id and the general id of the same text agree.
        if let Ok(ws) = WorkspaceId::try_from(&id) {
            assert_hash_agrees(&ResourceId::from(&ws), &id);
        }
        if let Ok(compute) = ComputeId::try_from(&id) {
            assert_hash_agrees(&compute.to_resource_id(), &id);
            assert_hash_agrees(compute.workspace(), &compute.workspace().clone());
        }
        if let Ok(aks) = AksClusterId::try_from(&id) {
            assert_hash_agrees(&aks.to_resource_id(), &id);
        }
        if let Ok(subnet) = SubnetId::try_from(&id) {
            assert_hash_agrees(&subnet.to_resource_id(), &id);
        }
    }
    let _ = typed::<WorkspaceId>(text);
    let _ = typed::<ComputeId>(text);
    let _ = typed::<AksClusterId>(text);
    let _ = typed::<SubnetId>(text);

    // The pieces: names and resource groups on their own.
    let _ = check_resource_group(text);
    let _ = validate_resource_group(text);
    if let Ok(name) = ComputeName::from_str(text) {
        assert_eq!(name.as_str(), text);
        let _ = name.is_reserved();
    }
    let _ = aml_model::name::check(text);
});
