//! Tests of the general resource id parser.

use super::*;
use proptest::prelude::*;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::hash::DefaultHasher;

const SUB: &str = "00000000-0000-0000-0000-000000000000";

fn id(s: &str) -> ResourceId {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> ResourceIdError {
    s.parse::<ResourceId>()
        .expect_err(&format!("{s:?} should not parse"))
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

#[test]
fn the_guides_aks_id_parses_and_displays_canonically() {
    let text = format!(
        "/subscriptions/{SUB}/resourcegroups/myrg/providers/Microsoft.ContainerService/managedClusters/myaks"
    );
    let id = id(&text);
    assert_eq!(id.subscription_id(), SUB);
    assert!(id.subscription_is_guid());
    assert_eq!(id.resource_group(), Some("myrg"));
    assert_eq!(id.provider_namespace(), "Microsoft.ContainerService");
    assert_eq!(
        id.resource_type(),
        "Microsoft.ContainerService/managedClusters"
    );
    assert_eq!(id.name(), "myaks");
    assert_eq!(
        id.to_string(),
        format!(
            "/subscriptions/{SUB}/resourceGroups/myrg/providers/Microsoft.ContainerService/managedClusters/myaks"
        )
    );
    assert_eq!(id.path(), id.to_string());
}

#[test]
fn nested_child_types_are_joined() {
    let id = id(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/aks1",
    );
    assert_eq!(
        id.resource_type(),
        "Microsoft.MachineLearningServices/workspaces/computes"
    );
    assert_eq!(id.name(), "aks1");
    assert_eq!(
        id.types_and_names().collect::<Vec<_>>(),
        [("workspaces", "ws"), ("computes", "aks1")]
    );
    assert!(id.is_type("microsoft.machinelearningservices/WORKSPACES/computes"));
    assert!(!id.is_type("Microsoft.MachineLearningServices/workspaces"));
    assert!(!id.is_type("Microsoft.MachineLearningServices/workspaces/computes/x"));
    assert!(!id.is_type(""));
}

#[test]
fn keywords_namespaces_and_types_match_in_any_case() {
    let a = id(
        "/SUBSCRIPTIONS/s/RESOURCEGROUPS/rg/PROVIDERS/microsoft.network/VIRTUALNETWORKS/v/SUBNETS/x",
    );
    let b = id(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/x",
    );
    assert_eq!(a, b);
    assert_eq!(hash_of(&a), hash_of(&b));
    // canonical keywords, everything else as given
    assert_eq!(
        a.to_string(),
        "/subscriptions/s/resourceGroups/rg/providers/microsoft.network/VIRTUALNETWORKS/v/SUBNETS/x"
    );
}

#[test]
fn equality_and_hash_ignore_case_everywhere_and_agree() {
    let variants = [
        "/subscriptions/ABC/resourceGroups/MyRG/providers/Microsoft.ContainerService/managedClusters/MyAks",
        "/subscriptions/abc/resourcegroups/myrg/providers/microsoft.containerservice/managedclusters/myaks",
        "/Subscriptions/Abc/ResourceGroups/MYRG/Providers/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/MYAKS",
    ];
    let set: HashSet<ResourceId> = variants.iter().map(|s| id(s)).collect();
    assert_eq!(set.len(), 1, "{set:?}");
    let other = id(
        "/subscriptions/abc/resourceGroups/myrg/providers/Microsoft.ContainerService/managedClusters/other",
    );
    assert!(!set.contains(&other));
    let in_other_group = id(
        "/subscriptions/abc/resourceGroups/rg2/providers/Microsoft.ContainerService/managedClusters/myaks",
    );
    assert!(!set.contains(&in_other_group));
}

#[test]
fn subscription_and_resource_group_ids() {
    let sub = id("/subscriptions/s1");
    assert_eq!(sub.subscription_id(), "s1");
    assert_eq!(sub.resource_group(), None);
    assert_eq!(sub.resource_type(), "Microsoft.Resources/subscriptions");
    assert_eq!(sub.name(), "s1");
    assert_eq!(sub.parent(), None);
    assert!(!sub.subscription_is_guid());

    let rg = id("/subscriptions/s1/resourcegroups/g1");
    assert_eq!(rg.to_string(), "/subscriptions/s1/resourceGroups/g1");
    assert_eq!(rg.resource_type(), "Microsoft.Resources/resourceGroups");
    assert_eq!(rg.name(), "g1");
    assert_eq!(rg.parent(), Some(sub));
}

#[test]
fn provider_ids_without_a_resource_group() {
    let registration = id("/subscriptions/s1/providers/Microsoft.MachineLearningServices");
    assert_eq!(
        registration.resource_type(),
        "Microsoft.Resources/providers"
    );
    assert_eq!(registration.name(), "Microsoft.MachineLearningServices");
    assert_eq!(registration.parent(), Some(id("/subscriptions/s1")));

    let operation = id(
        "/subscriptions/s1/providers/Microsoft.MachineLearningServices/locations/eastus/computeOperationsStatus/op-1",
    );
    assert_eq!(operation.resource_group(), None);
    assert_eq!(
        operation.resource_type(),
        "Microsoft.MachineLearningServices/locations/computeOperationsStatus"
    );
    assert_eq!(operation.name(), "op-1");
    let location = operation.parent().unwrap();
    assert_eq!(location.name(), "eastus");
    assert_eq!(location.parent(), Some(id("/subscriptions/s1")));
}

#[test]
fn extension_resources() {
    let lock = id(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks/providers/Microsoft.Authorization/locks/nodelete",
    );
    assert_eq!(lock.resource_type(), "Microsoft.Authorization/locks");
    assert_eq!(lock.provider_namespace(), "Microsoft.Authorization");
    assert_eq!(lock.name(), "nodelete");
    let aks = lock.parent().unwrap();
    assert!(aks.is_type("Microsoft.ContainerService/managedClusters"));
    assert_eq!(aks.name(), "aks");
    assert_eq!(id(&lock.to_string()), lock);
}

#[test]
fn parent_walks_up_to_the_subscription() {
    let mut current = Some(id(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/c",
    ));
    let mut seen = Vec::new();
    while let Some(id) = current {
        seen.push(id.to_string());
        current = id.parent();
    }
    assert_eq!(
        seen,
        [
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/c",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws",
            "/subscriptions/s/resourceGroups/rg",
            "/subscriptions/s",
        ]
    );
}

#[test]
fn empty_input() {
    assert_eq!(err(""), ResourceIdError::Empty);
}

#[test]
fn missing_leading_slash() {
    assert!(matches!(
        err("subscriptions/s/resourceGroups/rg"),
        ResourceIdError::MissingLeadingSlash { .. }
    ));
    assert!(matches!(
        err(" /subscriptions/s"),
        ResourceIdError::MissingLeadingSlash { .. }
    ));
}

#[test]
fn trailing_slash() {
    assert!(matches!(
        err("/subscriptions/s/resourceGroups/rg/"),
        ResourceIdError::TrailingSlash { .. }
    ));
}

#[test]
fn empty_segment_reports_its_position() {
    let e = err("/subscriptions/s//resourceGroups/rg");
    assert_eq!(
        e,
        ResourceIdError::EmptySegment {
            input: "/subscriptions/s//resourceGroups/rg".into(),
            position: 16
        }
    );
    assert!(e.to_string().contains("at byte 16"), "{e}");
    assert!(matches!(
        err("//subscriptions/s"),
        ResourceIdError::EmptySegment { position: 0, .. }
    ));
}

#[test]
fn control_characters() {
    assert!(matches!(
        err("/subscriptions/s\n/resourceGroups/rg"),
        ResourceIdError::ControlCharacter {
            ch: '\n',
            position: 16,
            ..
        }
    ));
}

#[test]
fn must_start_with_subscriptions() {
    for s in [
        "/",
        "/resourceGroups/rg",
        "/providers/Microsoft.Management/managementGroups/mg",
    ] {
        assert!(
            matches!(err(s), ResourceIdError::NotSubscriptionScoped { .. }),
            "{s}"
        );
    }
}

#[test]
fn a_keyword_or_type_without_a_name() {
    for (s, segment) in [
        ("/subscriptions", "subscriptions"),
        ("/subscriptions/s/resourceGroups", "resourceGroups"),
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters",
            "managedClusters",
        ),
        (
            "/subscriptions/s/resourceGroups/rg/providers/Ns/workspaces/ws/computes",
            "computes",
        ),
    ] {
        assert_eq!(
            err(s),
            ResourceIdError::MissingName {
                input: s.into(),
                segment: segment.into()
            }
        );
    }
}

#[test]
fn unexpected_segments_say_which_keyword_was_expected() {
    let e = err("/subscriptions/s/locations/eastus");
    assert!(matches!(
        &e,
        ResourceIdError::UnexpectedSegment { found, expected: "'resourceGroups' or 'providers'", .. } if found == "locations"
    ));
    let e = err("/subscriptions/s/resourceGroups/rg/Microsoft.Network/virtualNetworks");
    assert!(matches!(
        e,
        ResourceIdError::UnexpectedSegment {
            expected: "'providers'",
            ..
        }
    ));
}

#[test]
fn providers_without_a_namespace() {
    for s in [
        "/subscriptions/s/providers",
        "/subscriptions/s/resourceGroups/rg/providers",
        "/subscriptions/s/resourceGroups/rg/providers/Ns/t/n/providers",
    ] {
        assert!(
            matches!(err(s), ResourceIdError::MissingNamespace { .. }),
            "{s}"
        );
    }
}

#[test]
fn a_namespace_without_a_type_where_one_is_needed() {
    for (s, ns) in [
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService",
            "Microsoft.ContainerService",
        ),
        (
            "/subscriptions/s/resourceGroups/rg/providers/Ns/t/n/providers/Microsoft.Authorization",
            "Microsoft.Authorization",
        ),
        ("/subscriptions/s/providers/Ns/providers/Other/t/n", "Ns"),
    ] {
        assert_eq!(
            err(s),
            ResourceIdError::MissingResourceType {
                input: s.into(),
                namespace: ns.into()
            }
        );
    }
}

#[test]
fn error_messages_are_lower_case_sentences_showing_the_shape() {
    let cases = [
        "",
        "x",
        "/subscriptions/s/",
        "/subscriptions//s",
        "/subscriptions/\t",
        "/tenants/t",
        "/subscriptions",
        "/subscriptions/s/x/y",
        "/subscriptions/s/providers",
        "/subscriptions/s/resourceGroups/rg/providers/Ns",
    ];
    for s in cases {
        let msg = err(s).to_string();
        assert!(msg.starts_with(|c: char| c.is_lowercase()), "{s:?}: {msg}");
        assert!(!msg.ends_with('.'), "{s:?}: {msg}");
        if !matches!(err(s), ResourceIdError::ControlCharacter { .. }) {
            assert!(
                msg.contains("/subscriptions/{subscription}"),
                "{s:?}: {msg}"
            );
        }
    }
}

#[test]
fn ensure_subscription_compares_ignoring_case() {
    let id = id("/subscriptions/ABC/resourceGroups/rg");
    assert!(id.ensure_subscription("abc").is_ok());
    let e = id.ensure_subscription("def").unwrap_err();
    assert!(matches!(e, ResourceIdError::WrongSubscription { .. }));
    let msg = e.to_string();
    assert!(msg.contains("\"ABC\"") && msg.contains("\"def\""), "{msg}");
}

#[test]
fn guid_detection() {
    assert!(is_guid("0a1B2c3D-0000-4000-8000-00000000abcd"));
    assert!(!is_guid("0a1b2c3d-0000-4000-8000-00000000abc"));
    assert!(!is_guid("0a1b2c3d-0000-4000-8000-00000000abcd-1"));
    assert!(!is_guid("0a1b2c3d00004000800000000000abcd"));
    assert!(!is_guid("g0000000-0000-0000-0000-000000000000"));
    assert!(!is_guid(""));
}

#[test]
fn resource_group_rules() {
    assert!(check_resource_group("my-rg_1.(prod)").is_empty());
    assert!(
        check_resource_group("données").is_empty(),
        "Unicode letters are allowed"
    );
    assert!(check_resource_group(&"a".repeat(90)).is_empty());
    assert_eq!(
        check_resource_group(&"a".repeat(91)),
        [ResourceGroupRule::Length { len: 91 }]
    );
    assert_eq!(
        check_resource_group(""),
        [ResourceGroupRule::Length { len: 0 }]
    );
    assert_eq!(
        check_resource_group("rg."),
        [ResourceGroupRule::EndsWithPeriod]
    );
    assert_eq!(
        check_resource_group("my rg"),
        [ResourceGroupRule::Character { ch: ' ', index: 2 }]
    );
    let e = validate_resource_group("bad/rg.").unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("must not end with '.'") && msg.contains("'/'"),
        "{msg}"
    );
}

#[test]
fn serde_is_a_string() {
    let id = id("/subscriptions/s/resourcegroups/rg");
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, "\"/subscriptions/s/resourceGroups/rg\"");
    let back: ResourceId = serde_json::from_str(&json).unwrap();
    assert_eq!(back, id);
    let bad = serde_json::from_str::<ResourceId>("\"subscriptions/s\"").unwrap_err();
    assert!(bad.to_string().contains("must start with '/'"), "{bad}");
}

// ------------------------------------------------------------------------------------------
// Property tests

/// A keyword rendered in random ASCII case.
fn any_case(word: &'static str) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<bool>(), word.len()).prop_map(move |upper| {
        word.chars()
            .zip(upper)
            .map(|(c, up)| {
                if up {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    })
}

/// A name segment: anything but `/` and control characters.
fn name() -> impl Strategy<Value = String> {
    "[^/\\p{Cc}]{1,12}"
}

/// A resource type segment (never `providers`, which would start an extension).
fn resource_type() -> impl Strategy<Value = String> {
    "[A-Za-z]{1,14}".prop_filter("not the providers keyword", |t| {
        !t.eq_ignore_ascii_case("providers")
    })
}

/// A valid id as text with keywords in random case, and its canonical form.
fn valid_id() -> impl Strategy<Value = (String, String)> {
    let block = (
        any_case("providers"),
        "[A-Za-z]{1,10}\\.[A-Za-z]{1,12}",
        proptest::collection::vec((resource_type(), name()), 1..4),
    );
    (
        any_case("subscriptions"),
        name(),
        proptest::option::of((any_case("resourceGroups"), name())),
        proptest::collection::vec(block, 0..3),
        any::<bool>(),
    )
        .prop_map(|(subs, sub, group, blocks, registration)| {
            let mut text = format!("/{subs}/{sub}");
            let mut canonical = format!("/subscriptions/{sub}");
            if let Some((kw, g)) = &group {
                write!(text, "/{kw}/{g}").unwrap();
                write!(canonical, "/resourceGroups/{g}").unwrap();
            }
            if blocks.is_empty() && group.is_none() && registration {
                text.push_str("/Providers/Microsoft.Compute");
                canonical.push_str("/providers/Microsoft.Compute");
            }
            for (kw, ns, pairs) in &blocks {
                write!(text, "/{kw}/{ns}").unwrap();
                write!(canonical, "/providers/{ns}").unwrap();
                for (t, n) in pairs {
                    write!(text, "/{t}/{n}").unwrap();
                    write!(canonical, "/{t}/{n}").unwrap();
                }
            }
            (text, canonical)
        })
}

/// Text built from id-ish segments (keywords in various cases, names, empty segments),
/// with or without leading and trailing slashes: most of it is almost an id.
fn id_like() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        4 => Just("subscriptions".to_owned()),
        3 => Just("resourceGroups".to_owned()),
        3 => Just("providers".to_owned()),
        1 => Just("PROVIDERS".to_owned()),
        1 => Just("resourcegroups".to_owned()),
        1 => Just(String::new()),
        6 => "[A-Za-z0-9.\u{e9} -]{1,6}",
    ];
    (
        prop::bool::weighted(0.9),
        prop::bool::weighted(0.8),
        proptest::collection::vec((segment.clone(), segment.clone()), 0..6),
        proptest::option::weighted(0.2, segment),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(lead, scoped, pairs, odd, trail)| {
            let mut segments: Vec<String> = Vec::new();
            if scoped {
                segments.extend(["subscriptions".to_owned(), "sub-1".to_owned()]);
            }
            for (a, b) in pairs {
                segments.extend([a, b]);
            }
            segments.extend(odd);
            let mut s = if lead { "/".to_owned() } else { String::new() };
            s.push_str(&segments.join("/"));
            if trail {
                s.push('/');
            }
            s
        })
}

proptest! {
    #[test]
    fn valid_ids_parse_to_their_canonical_form_and_round_trip((text, canonical) in valid_id()) {
        let parsed: ResourceId = text.parse().map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(parsed.to_string(), canonical);
        let again: ResourceId = parsed.to_string().parse().unwrap();
        prop_assert_eq!(&again, &parsed);
        prop_assert_eq!(hash_of(&again), hash_of(&parsed));
    }

    #[test]
    fn case_changes_keep_ids_equal_and_hashes_equal((text, _) in valid_id()) {
        let parsed: ResourceId = text.parse().unwrap();
        let lower: ResourceId = text.to_ascii_lowercase().parse().unwrap();
        let upper: ResourceId = text.to_ascii_uppercase().parse().unwrap();
        prop_assert_eq!(&lower, &parsed);
        prop_assert_eq!(&upper, &parsed);
        prop_assert_eq!(hash_of(&lower), hash_of(&parsed));
        prop_assert_eq!(hash_of(&upper), hash_of(&parsed));
    }

    #[test]
    fn parent_of_a_valid_id_is_valid_and_shorter((text, _) in valid_id()) {
        let parsed: ResourceId = text.parse().unwrap();
        if let Some(parent) = parsed.parent() {
            let shown = parent.to_string();
            prop_assert!(shown.len() < parsed.to_string().len());
            prop_assert_eq!(shown.parse::<ResourceId>().unwrap(), parent);
        } else {
            prop_assert_eq!(parsed.resource_type(), "Microsoft.Resources/subscriptions");
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        if let Ok(id) = s.parse::<ResourceId>() {
            let _ = (id.resource_type(), id.name(), id.parent(), id.is_type(&s));
        }
    }

    #[test]
    fn id_like_strings_never_panic_and_display_is_idempotent(s in id_like()) {
        if let Ok(id) = s.parse::<ResourceId>() {
            let once = id.to_string();
            let reparsed: ResourceId = once.parse().map_err(|e| TestCaseError::fail(format!("{once}: {e}")))?;
            prop_assert_eq!(reparsed.to_string(), once);
            prop_assert_eq!(reparsed, id);
        }
    }
}
