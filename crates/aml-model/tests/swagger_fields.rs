//! The JSON field names of the Network service tag and Resources location wire types are
//! properties of their swagger definitions, read from the swagger documents vendored in the
//! repository's `spec/` folder (provenance in `spec/README.md`). A typo in a wire name (such as
//! `"adressPrefixes"`) fails here, whereas the example round-trips cannot catch it: an unknown
//! field just lands in `extra` and is written back.
//!
//! Each wire type is built below as a struct literal naming every field (no
//! `..Default::default()`), each set to `Some`, and serialized; its keys are the names the type
//! writes. A field added to one of these types therefore stops this test from compiling until
//! it is added here too, and so checked against the swagger.
//!
//! Swagger definitions are resolved within their own file: `properties`, `allOf` and `$ref` to
//! `#/definitions/...`. The test also checks that the definitions nest as the wire types do
//! (`ServiceTagInformation.properties` is a `ServiceTagInformationPropertiesFormat`, and so on),
//! so each type is compared with the right definition.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use aml_model::wire::{
    Location, LocationListResult, LocationMetadata, PairedRegion, ServiceTagInformation,
    ServiceTagInformationProperties, ServiceTagsListResult,
};
use serde::Serialize;
use serde_json::{Map, Value};

/// The Network swagger with the service tag definitions. The 2024-05-01 `serviceTags.json` (the
/// api-version of the example and the wire types) was not available to vendor; the 2024-03-01
/// one stands in (see `spec/README.md`).
const SERVICE_TAGS_SWAGGER: &str =
    "network/resource-manager/Microsoft.Network/stable/2024-03-01/serviceTags.json";

/// The Resources swagger with the location definitions (api-version 2022-12-01).
const SUBSCRIPTIONS_SWAGGER: &str =
    "resources/resource-manager/Microsoft.Resources/stable/2022-12-01/subscriptions.json";

/// Names a wire type writes that its swagger definition does not have, with the reason. Each
/// entry must still be such a name (the test fails on a stale entry).
const NOT_IN_SWAGGER: &[(&str, &str, &str)] = &[];

/// How the swagger definitions nest: (definition, property, definition it refers to).
const NESTING: &[(&str, &str, &str, &str)] = &[
    (
        SERVICE_TAGS_SWAGGER,
        "ServiceTagsListResult",
        "values",
        "ServiceTagInformation",
    ),
    (
        SERVICE_TAGS_SWAGGER,
        "ServiceTagInformation",
        "properties",
        "ServiceTagInformationPropertiesFormat",
    ),
    (
        SUBSCRIPTIONS_SWAGGER,
        "LocationListResult",
        "value",
        "Location",
    ),
    (
        SUBSCRIPTIONS_SWAGGER,
        "Location",
        "metadata",
        "LocationMetadata",
    ),
    (
        SUBSCRIPTIONS_SWAGGER,
        "LocationMetadata",
        "pairedRegion",
        "PairedRegion",
    ),
];

fn specification_root() -> PathBuf {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/azure-rest-api-specs/specification");
    assert!(
        root.is_dir(),
        "the vendored swagger documents were not found at {}: they live in the repository's \
         spec/ folder, so run this test from a checkout of the repository",
        root.display()
    );
    root
}

fn swagger(relative: &str) -> Value {
    let path = specification_root().join(relative);
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not JSON: {err}", path.display()))
}

/// The definition a local `$ref` (`#/definitions/Name`) points to.
fn resolve<'a>(doc: &'a Value, reference: &str, file: &str) -> (&'a str, &'a Value) {
    let name = reference.strip_prefix("#/definitions/").unwrap_or_else(|| {
        panic!("{file}: $ref {reference} points outside this file; vendor that file and follow it")
    });
    let (key, schema) = doc["definitions"]
        .as_object()
        .and_then(|definitions| definitions.get_key_value(name))
        .unwrap_or_else(|| panic!("{file}: $ref {reference}: no such definition"));
    (key.as_str(), schema)
}

/// Adds the property names of `schema` (its `properties`, its `$ref` and its `allOf` parts).
fn collect(doc: &Value, schema: &Value, file: &str, depth: usize, out: &mut BTreeSet<String>) {
    assert!(depth < 32, "{file}: $ref / allOf nest too deep (a cycle?)");
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        collect(doc, resolve(doc, reference, file).1, file, depth + 1, out);
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        out.extend(properties.keys().cloned());
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect(doc, part, file, depth + 1, out);
    }
}

/// Every property name of definition `name` in the swagger `file`.
fn definition_properties(file: &str, name: &str) -> BTreeSet<String> {
    let doc = swagger(file);
    let schema = doc["definitions"]
        .get(name)
        .unwrap_or_else(|| panic!("{file}: no definition {name}"));
    let mut out = BTreeSet::new();
    collect(&doc, schema, file, 0, &mut out);
    assert!(
        !out.is_empty(),
        "{file}: definition {name} has no properties"
    );
    out
}

/// The JSON keys `value` serializes with.
fn wire_names<T: Serialize>(value: &T) -> BTreeSet<String> {
    match serde_json::to_value(value).unwrap_or_else(|err| panic!("serialize: {err}")) {
        Value::Object(map) => map.keys().cloned().collect(),
        other => panic!("expected a JSON object, got {other}"),
    }
}

/// A set text field.
fn text() -> Option<String> {
    "x".to_owned().into()
}

/// (wire type, swagger file, swagger definition, the names the type writes).
type WireType = (&'static str, &'static str, &'static str, BTreeSet<String>);

/// Every wire type this test covers.
fn wire_types() -> Vec<WireType> {
    let mut types = service_tag_types();
    types.extend(location_types());
    types
}

/// The service-tag types, every field set.
fn service_tag_types() -> Vec<WireType> {
    let tag_properties = ServiceTagInformationProperties {
        change_number: text(),
        region: text(),
        system_service: text(),
        address_prefixes: Some(vec!["10.0.0.0/24".to_owned()]),
        state: text(),
        extra: Map::new(),
    };
    let tag = ServiceTagInformation {
        name: text(),
        id: text(),
        service_tag_change_number: text(),
        properties: Some(tag_properties.clone()),
        extra: Map::new(),
    };
    let tags = ServiceTagsListResult {
        name: text(),
        id: text(),
        type_: text(),
        change_number: text(),
        cloud: text(),
        values: Some(vec![tag.clone()]),
        next_link: text(),
        extra: Map::new(),
    };
    vec![
        (
            "ServiceTagsListResult",
            SERVICE_TAGS_SWAGGER,
            "ServiceTagsListResult",
            wire_names(&tags),
        ),
        (
            "ServiceTagInformation",
            SERVICE_TAGS_SWAGGER,
            "ServiceTagInformation",
            wire_names(&tag),
        ),
        (
            "ServiceTagInformationProperties",
            SERVICE_TAGS_SWAGGER,
            "ServiceTagInformationPropertiesFormat",
            wire_names(&tag_properties),
        ),
    ]
}

/// The location types, every field set.
fn location_types() -> Vec<WireType> {
    let paired = PairedRegion {
        name: text(),
        id: text(),
        subscription_id: text(),
        extra: Map::new(),
    };
    let metadata = LocationMetadata {
        region_type: text(),
        region_category: text(),
        geography: text(),
        geography_group: text(),
        longitude: text(),
        latitude: text(),
        physical_location: text(),
        paired_region: Some(vec![paired.clone()]),
        home_location: text(),
        extra: Map::new(),
    };
    let location = Location {
        id: text(),
        subscription_id: text(),
        name: text(),
        type_: text(),
        display_name: text(),
        regional_display_name: text(),
        metadata: Some(metadata.clone()),
        extra: Map::new(),
    };
    let locations = LocationListResult {
        value: Some(vec![location.clone()]),
        extra: Map::new(),
    };
    vec![
        (
            "LocationListResult",
            SUBSCRIPTIONS_SWAGGER,
            "LocationListResult",
            wire_names(&locations),
        ),
        (
            "Location",
            SUBSCRIPTIONS_SWAGGER,
            "Location",
            wire_names(&location),
        ),
        (
            "LocationMetadata",
            SUBSCRIPTIONS_SWAGGER,
            "LocationMetadata",
            wire_names(&metadata),
        ),
        (
            "PairedRegion",
            SUBSCRIPTIONS_SWAGGER,
            "PairedRegion",
            wire_names(&paired),
        ),
    ]
}

#[test]
fn every_wire_name_is_a_property_of_its_swagger_definition() {
    let mut failures = Vec::new();
    let mut exceptions_used = vec![false; NOT_IN_SWAGGER.len()];
    for (wire_type, file, definition, names) in wire_types() {
        assert!(!names.is_empty(), "{wire_type} serialized no fields");
        let properties = definition_properties(file, definition);
        for name in &names {
            if properties.contains(name) {
                continue;
            }
            let exception = NOT_IN_SWAGGER
                .iter()
                .position(|(ty, field, _)| *ty == wire_type && field == name);
            if let Some(index) = exception {
                exceptions_used[index] = true;
                println!(
                    "known {wire_type}.{name}: not in {definition}: {}",
                    NOT_IN_SWAGGER[index].2
                );
            } else {
                failures.push(format!(
                    "{wire_type} writes \"{name}\", which is not a property of {definition} in \
                     {file} (its properties: {properties:?})"
                ));
            }
        }
        println!("ok    {wire_type} {names:?} against {file} #/definitions/{definition}");
    }
    for (used, (ty, field, _)) in exceptions_used.iter().zip(NOT_IN_SWAGGER) {
        if !used {
            failures.push(format!(
                "NOT_IN_SWAGGER entry {ty}.{field} is no longer a name missing from the swagger: \
                 remove it"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_swagger_definitions_nest_as_the_wire_types_do() {
    for (file, definition, property, target) in NESTING {
        let doc = swagger(file);
        let schema = &doc["definitions"][*definition]["properties"][*property];
        assert!(
            schema.is_object(),
            "{file}: {definition} has no property {property}"
        );
        let reference = schema
            .get("$ref")
            .or_else(|| schema.get("items").and_then(|items| items.get("$ref")))
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{file}: {definition}.{property} has no $ref"));
        let (name, _) = resolve(&doc, reference, file);
        assert_eq!(
            name, *target,
            "{file}: {definition}.{property} refers to {name}, not {target}"
        );
    }
}

#[test]
fn a_misspelt_name_is_caught() {
    // The check above really compares names: a typo is not a property.
    let properties = definition_properties(
        SERVICE_TAGS_SWAGGER,
        "ServiceTagInformationPropertiesFormat",
    );
    assert!(properties.contains("addressPrefixes"));
    assert!(!properties.contains("adressPrefixes"));
    let properties = definition_properties(SUBSCRIPTIONS_SWAGGER, "LocationMetadata");
    assert!(properties.contains("pairedRegion"));
    assert!(!properties.contains("pairedRegions"));
}
