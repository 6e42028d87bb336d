//! Tests of the lister on `tests/fixtures/tiny.json`, the rustdoc JSON of
//! `tests/fixtures/tiny.rs` (see the README there).

use serde_json::Value;

use std::collections::BTreeMap;

use crate::list::{listing, public_paths};

const FIXTURE: &str = include_str!("../tests/fixtures/tiny.json");
const EXPECTED: &str = include_str!("../tests/fixtures/tiny.txt");

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).expect("the fixture is JSON")
}

fn lines(json: &Value) -> Vec<String> {
    listing(json, &BTreeMap::new()).expect("the fixture lists")
}

fn has(lines: &[String], line: &str) -> bool {
    lines.iter().any(|l| l == line)
}

#[test]
fn the_fixture_is_format_57() {
    assert_eq!(
        fixture().get("format_version").and_then(Value::as_u64),
        Some(crate::FORMAT_VERSION)
    );
}

#[test]
fn the_listing_is_the_expected_one() {
    let expected: Vec<&str> = EXPECTED.lines().collect();
    assert_eq!(lines(&fixture()), expected);
}

#[test]
fn items_reachable_only_through_private_modules_are_not_listed() {
    let lines = lines(&fixture());
    for private in [
        "Unreachable",
        "private_helper",
        "crate_helper",
        "internal",
        "hidden",
        "secret",
    ] {
        assert!(
            lines.iter().all(|l| !l.contains(private)),
            "{private} is listed:\n{}",
            lines.join("\n")
        );
    }
}

#[test]
fn reexports_are_listed_at_their_public_path() {
    let lines = lines(&fixture());
    assert!(has(&lines, "pub struct tiny::Reexported"));
    assert!(has(&lines, "pub tiny::Reexported::visible: u8"));
    assert!(has(&lines, "pub fn tiny::from_glob()"));
    assert!(has(
        &lines,
        "pub use tiny::Map = std::collections::BTreeMap"
    ));
}

#[test]
fn methods_signatures_and_trait_impls_render() {
    let lines = lines(&fixture());
    for line in [
        "pub fn tiny::Reexported::new(visible: u8) -> Self",
        "impl core::fmt::Display for tiny::Reexported",
        "pub fn tiny::generic<'a, T, const N: usize>(items: &'a [T; N], into: impl \
         core::convert::Into<String>) -> Option<&'a T> where T: core::clone::Clone + \
         core::fmt::Debug",
        "pub async fn tiny::boxed(flag: bool) -> Box<dyn core::ops::function::Fn(u8) -> u8 + \
         core::marker::Send>",
        "pub trait tiny::shapes::Shape<T: core::marker::Copy>: core::marker::Send",
        "pub fn tiny::shapes::Shape::area(&self) -> T",
        "pub type tiny::shapes::Shape::Unit",
        "impl tiny::shapes::Shape<f64> for tiny::shapes::Pair { type Unit = f64; const SIDES: \
         usize; }",
        "pub struct tiny::shapes::Pair(pub u32, _)",
        "pub tiny::shapes::Kind::Tuple(u8, String) = 2",
        "pub tiny::shapes::Kind::Struct::width: f64",
        "#[non_exhaustive] pub enum tiny::shapes::Kind",
        "pub const tiny::LIMIT: u32 = 7",
        "pub static tiny::NAME: &str",
        "pub type tiny::Result<T, E = core::fmt::Error> = Result<T, E>",
    ] {
        assert!(has(&lines, line), "missing {line}:\n{}", lines.join("\n"));
    }
}

#[test]
fn the_order_of_the_json_does_not_matter() {
    let mut json = fixture();
    let root = json["root"].to_string();
    let items = json["index"][root.as_str()]["inner"]["module"]["items"]
        .as_array_mut()
        .expect("the root module has items");
    items.reverse();
    assert_eq!(lines(&json), lines(&fixture()));
}

#[test]
fn a_changed_signature_changes_the_listing() {
    let mut json = fixture();
    let index = json["index"].as_object_mut().expect("an index");
    let new = index
        .values_mut()
        .find(|item| item["name"] == "new" && item["inner"].get("function").is_some())
        .expect("Reexported::new is in the index");
    new["inner"]["function"]["sig"]["inputs"][0][1] = serde_json::json!({"primitive": "u16"});
    let changed = lines(&json);
    assert!(has(
        &changed,
        "pub fn tiny::Reexported::new(visible: u16) -> Self"
    ));
    assert_ne!(changed, lines(&fixture()));
}

#[test]
fn a_json_without_an_index_is_an_error() {
    assert!(listing(&serde_json::json!({"root": 0}), &BTreeMap::new()).is_err());
}

#[test]
fn public_paths_map_definition_paths_to_reexports() {
    let paths = public_paths(&fixture()).expect("the fixture walks");
    assert_eq!(
        paths.get("tiny::hidden::Reexported").map(String::as_str),
        Some("tiny::Reexported")
    );
    assert!(!paths.keys().any(|p| p.contains("Unreachable")));
}
