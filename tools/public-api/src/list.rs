//! The lines the walk from the crate root produces (the walk is in `walk.rs`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::render::{Renderer, constant, header, id_key, tagged};
use crate::walk::{list_of, walk};

/// One output line and the key it is sorted by: the path segments, so that an item's members
/// follow it, then the text.
pub(crate) type Line = (Vec<String>, String);

/// Sorts after every identifier: puts a type's trait impls after its members.
const IMPLS: &str = "~impl";

/// Traits whose impls are compiler internals, not API: unstable auto traits (which come and go
/// with toolchains) and the marker `derive(PartialEq)` adds.
const INTERNAL_TRAITS: &[&str] = &[
    "core::marker::Freeze",
    "core::marker::UnsafeUnpin",
    "core::marker::StructuralPartialEq",
];

/// The public API of the crate in `json`, one line per item, sorted.
///
/// `external` maps definition paths of other crates' items to their public paths (see
/// [`public_paths`]); other crates' items not in it are written by their definition path.
pub(crate) fn listing(
    json: &Value,
    external: &BTreeMap<String, String>,
) -> Result<Vec<String>, String> {
    let (index, walk, canonical) = walk(json)?;
    let renderer = Renderer {
        paths: json.get("paths").and_then(Value::as_object),
        public: &canonical,
        external,
    };
    let lister = Lister {
        index,
        renderer: &renderer,
    };

    let mut lines: Vec<Line> = walk.foreign;
    for (id, paths) in &walk.public {
        let Some(item) = index.get(id) else { continue };
        let canonical_path = canonical.get(id).map(String::as_str).unwrap_or_default();
        for path in paths {
            let joined = path.join("::");
            lines.push((path.clone(), lister.head(item, &joined)));
            if joined == canonical_path {
                lister.members(item, path, &mut lines);
            }
        }
    }
    lines.sort();
    let mut seen = BTreeSet::new();
    Ok(lines
        .into_iter()
        .filter_map(|(_, text)| seen.insert(text.clone()).then_some(text))
        .collect())
}

/// The public path of each public item of the crate in `json`, by its definition path (such
/// as `aml_tls::report::Code` → `aml_tls::Code`): how a crate that depends on this one writes
/// its items.
pub(crate) fn public_paths(json: &Value) -> Result<BTreeMap<String, String>, String> {
    let (_, _, canonical) = walk(json)?;
    let paths = json.get("paths").and_then(Value::as_object);
    Ok(canonical
        .into_iter()
        .filter_map(|(id, public)| {
            let summary = paths?.get(&id)?;
            let segments: Option<Vec<&str>> = summary
                .get("path")?
                .as_array()?
                .iter()
                .map(Value::as_str)
                .collect();
            Some((segments?.join("::"), public))
        })
        .collect())
}

/// Turns items into lines.
struct Lister<'a> {
    index: &'a Map<String, Value>,
    renderer: &'a Renderer<'a>,
}

impl Lister<'_> {
    fn get(&self, id: &Value) -> Option<&Value> {
        self.index.get(&id_key(id)?)
    }

    /// The line of the item itself, at `path`.
    fn head(&self, item: &Value, path: &str) -> String {
        let r = self.renderer;
        let (kind, body) = tagged(item.get("inner").unwrap_or(&Value::Null));
        let generics = body.get("generics").unwrap_or(&Value::Null);
        let params = r.generic_params(generics);
        let clause = r.where_clause(generics);
        let attrs = if is_non_exhaustive(item) {
            "#[non_exhaustive] "
        } else {
            ""
        };
        match kind {
            "module" => format!("pub mod {path}"),
            "struct" | "union" => {
                let shape = match tagged(body.get("kind").unwrap_or(&Value::Null)) {
                    ("tuple", fields) => {
                        let fields: Vec<String> = fields
                            .as_array()
                            .map_or(&[][..], Vec::as_slice)
                            .iter()
                            .map(|field| match self.get(field) {
                                Some(field) if is_public(field) => {
                                    format!("pub {}", r.ty(inner_of(field)))
                                }
                                _ => "_".to_owned(),
                            })
                            .collect();
                        format!("({})", fields.join(", "))
                    }
                    _ => String::new(),
                };
                format!("{attrs}pub {kind} {path}{params}{shape}{clause}")
            }
            "enum" => format!("{attrs}pub enum {path}{params}{clause}"),
            "trait" => {
                let unsafety = if flag(body, "is_unsafe") {
                    "unsafe "
                } else {
                    ""
                };
                let auto = if flag(body, "is_auto") { "auto " } else { "" };
                let bounds = list_of(body, "bounds");
                let supertraits = if bounds.is_empty() {
                    String::new()
                } else {
                    format!(": {}", r.bounds(bounds))
                };
                format!("pub {unsafety}{auto}trait {path}{params}{supertraits}{clause}")
            }
            "trait_alias" => format!(
                "pub trait {path}{params} = {}{clause}",
                r.bounds(list_of(body, "params"))
            ),
            "function" => self.function(body, path, false),
            "constant" => {
                let ty = r.ty(body.get("type").unwrap_or(&Value::Null));
                let value = body.get("const").unwrap_or(&Value::Null);
                if flag(value, "is_literal") {
                    format!("pub const {path}: {ty} = {}", constant(value))
                } else {
                    format!("pub const {path}: {ty}")
                }
            }
            "static" => {
                let mutability = if flag(body, "is_mutable") { "mut " } else { "" };
                let ty = r.ty(body.get("type").unwrap_or(&Value::Null));
                format!("pub static {mutability}{path}: {ty}")
            }
            "type_alias" => format!(
                "pub type {path}{params} = {}{clause}",
                r.ty(body.get("type").unwrap_or(&Value::Null))
            ),
            "macro" => format!("pub macro {path}!"),
            "proc_macro" => {
                let kind = body.get("kind").and_then(Value::as_str).unwrap_or("bang");
                let helpers: Vec<&str> = list_of(body, "helpers")
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                if helpers.is_empty() {
                    format!("pub proc_macro({kind}) {path}")
                } else {
                    format!(
                        "pub proc_macro({kind}) {path} helpers({})",
                        helpers.join(", ")
                    )
                }
            }
            other => format!("pub {other} {path}"),
        }
    }

    /// A function or method: `pub const fn path<T>(args) -> out where ...`.
    fn function(&self, body: &Value, path: &str, method: bool) -> String {
        let r = self.renderer;
        let generics = body.get("generics").unwrap_or(&Value::Null);
        let sig = body
            .get("sig")
            .or_else(|| body.get("decl"))
            .unwrap_or(&Value::Null);
        format!(
            "pub {}fn {path}{}{}{}",
            header(body.get("header").unwrap_or(&Value::Null)),
            r.generic_params(generics),
            r.signature(sig, method),
            r.where_clause(generics)
        )
    }

    /// Lines of what belongs to the item listed at `path`: fields, variants, methods, impls,
    /// trait items.
    fn members(&self, item: &Value, path: &[String], lines: &mut Vec<Line>) {
        let r = self.renderer;
        let joined = path.join("::");
        let (kind, body) = tagged(item.get("inner").unwrap_or(&Value::Null));
        let at = |name: &str| {
            let mut key = path.to_vec();
            key.push(name.to_owned());
            key
        };
        match kind {
            "struct" | "union" => {
                let (shape, fields) = tagged(body.get("kind").unwrap_or(&Value::Null));
                if shape == "plain" || kind == "union" {
                    let fields = if kind == "union" {
                        list_of(body, "fields")
                    } else {
                        list_of(fields, "fields")
                    };
                    self.fields(fields, path, lines);
                }
                self.impls(body, path, lines);
            }
            "enum" => {
                for variant in list_of(body, "variants") {
                    let Some(variant) = self.get(variant) else {
                        continue;
                    };
                    let name = variant.get("name").and_then(Value::as_str).unwrap_or("_");
                    let (_, inner) = tagged(variant.get("inner").unwrap_or(&Value::Null));
                    let discriminant = inner
                        .get("discriminant")
                        .filter(|d| !d.is_null())
                        .map(|d| format!(" = {}", constant(d)))
                        .unwrap_or_default();
                    let key = at(name);
                    let shape = match tagged(inner.get("kind").unwrap_or(&Value::Null)) {
                        ("tuple", fields) => {
                            let fields: Vec<String> = fields
                                .as_array()
                                .map_or(&[][..], Vec::as_slice)
                                .iter()
                                .map(|field| {
                                    self.get(field)
                                        .map_or("_".to_owned(), |f| r.ty(inner_of(f)))
                                })
                                .collect();
                            format!("({})", fields.join(", "))
                        }
                        ("struct", fields) => {
                            self.fields(list_of(fields, "fields"), &key, lines);
                            " { .. }".to_owned()
                        }
                        _ => String::new(),
                    };
                    lines.push((key, format!("pub {joined}::{name}{shape}{discriminant}")));
                }
                self.impls(body, path, lines);
            }
            "trait" => {
                for member in list_of(body, "items") {
                    let Some(member) = self.get(member) else {
                        continue;
                    };
                    let name = member.get("name").and_then(Value::as_str).unwrap_or("_");
                    lines.push((
                        at(name),
                        self.associated(member, &format!("{joined}::{name}")),
                    ));
                }
                for implementation in list_of(body, "implementations") {
                    let Some(imp) = self.get(implementation) else {
                        continue;
                    };
                    if imp.get("crate_id").and_then(Value::as_u64) != Some(0) {
                        continue;
                    }
                    if let Some(text) = self.trait_impl(imp) {
                        lines.push((at(IMPLS), text));
                    }
                }
            }
            _ => {}
        }
    }

    fn fields(&self, fields: &[Value], path: &[String], lines: &mut Vec<Line>) {
        for field in fields {
            let Some(field) = self.get(field) else {
                continue;
            };
            if !is_public(field) && !is_default(field) {
                continue;
            }
            let name = field.get("name").and_then(Value::as_str).unwrap_or("_");
            let mut key = path.to_vec();
            key.push(name.to_owned());
            let text = format!(
                "pub {}::{name}: {}",
                path.join("::"),
                self.renderer.ty(inner_of(field))
            );
            lines.push((key, text));
        }
    }

    /// An associated item (method, const, type) at `path`.
    fn associated(&self, member: &Value, path: &str) -> String {
        let r = self.renderer;
        let (kind, body) = tagged(member.get("inner").unwrap_or(&Value::Null));
        match kind {
            "function" => self.function(body, path, true),
            "assoc_const" => {
                let ty = r.ty(body.get("type").unwrap_or(&Value::Null));
                match body
                    .get("value")
                    .or_else(|| body.get("default"))
                    .and_then(Value::as_str)
                {
                    Some(value) if value != "_" => format!("pub const {path}: {ty} = {value}"),
                    _ => format!("pub const {path}: {ty}"),
                }
            }
            "assoc_type" => {
                let generics = body.get("generics").unwrap_or(&Value::Null);
                let bounds = list_of(body, "bounds");
                let bounds = if bounds.is_empty() {
                    String::new()
                } else {
                    format!(": {}", r.bounds(bounds))
                };
                let default = body
                    .get("type")
                    .or_else(|| body.get("default"))
                    .filter(|t| !t.is_null())
                    .map(|t| format!(" = {}", r.ty(t)))
                    .unwrap_or_default();
                format!(
                    "pub type {path}{}{bounds}{default}{}",
                    r.generic_params(generics),
                    r.where_clause(generics)
                )
            }
            other => format!("pub {other} {path}"),
        }
    }

    /// Inherent methods and trait impls of a struct, enum or union.
    fn impls(&self, body: &Value, path: &[String], lines: &mut Vec<Line>) {
        let r = self.renderer;
        for imp in list_of(body, "impls") {
            let Some(imp) = self.get(imp) else { continue };
            let (_, inner) = tagged(imp.get("inner").unwrap_or(&Value::Null));
            if inner.get("blanket_impl").is_some_and(|b| !b.is_null()) {
                continue;
            }
            if inner.get("trait").is_some_and(|t| !t.is_null()) {
                if let Some(text) = self.trait_impl(imp) {
                    let mut key = path.to_vec();
                    key.push(IMPLS.to_owned());
                    lines.push((key, text));
                }
                continue;
            }
            let generics = inner.get("generics").unwrap_or(&Value::Null);
            let self_type = r.ty(inner.get("for").unwrap_or(&Value::Null));
            let params = r.generic_params(generics);
            let clause = r.where_clause(generics);
            if !params.is_empty() || !clause.is_empty() {
                lines.push((path.to_vec(), format!("impl{params} {self_type}{clause}")));
            }
            for member in list_of(inner, "items") {
                let Some(member) = self.get(member) else {
                    continue;
                };
                if !is_public(member) {
                    continue;
                }
                let name = member.get("name").and_then(Value::as_str).unwrap_or("_");
                let mut key = path.to_vec();
                key.push(name.to_owned());
                lines.push((
                    key,
                    self.associated(member, &format!("{self_type}::{name}")),
                ));
            }
        }
    }

    /// `impl<T> Trait<A> for Type where ... { type X = Y; }`; `None` for blanket impls.
    fn trait_impl(&self, imp: &Value) -> Option<String> {
        let r = self.renderer;
        let (_, inner) = tagged(imp.get("inner").unwrap_or(&Value::Null));
        if inner.get("blanket_impl").is_some_and(|b| !b.is_null()) {
            return None;
        }
        let generics = inner.get("generics").unwrap_or(&Value::Null);
        let unsafety = if flag(inner, "is_unsafe") {
            "unsafe "
        } else {
            ""
        };
        let negative = if flag(inner, "is_negative") { "!" } else { "" };
        let trait_value = inner.get("trait").filter(|t| !t.is_null())?;
        let trait_name = r.item_path(trait_value.get("id"), "");
        if INTERNAL_TRAITS.contains(&trait_name.as_str()) {
            return None;
        }
        let trait_path = r.path(trait_value);
        let self_type = r.ty(inner.get("for").unwrap_or(&Value::Null));
        let mut text = format!(
            "{unsafety}impl{} {negative}{trait_path} for {self_type}{}",
            r.generic_params(generics),
            r.where_clause(generics)
        );
        let assoc: Vec<String> = list_of(inner, "items")
            .iter()
            .filter_map(|member| {
                let member = self.get(member)?;
                let (kind, body) = tagged(member.get("inner").unwrap_or(&Value::Null));
                let name = member.get("name").and_then(Value::as_str)?;
                match kind {
                    "assoc_type" => {
                        let ty = body
                            .get("type")
                            .or_else(|| body.get("default"))
                            .filter(|t| !t.is_null())?;
                        Some(format!("type {name} = {};", r.ty(ty)))
                    }
                    "assoc_const" => Some(format!(
                        "const {name}: {};",
                        r.ty(body.get("type").unwrap_or(&Value::Null))
                    )),
                    _ => None,
                }
            })
            .collect();
        if !assoc.is_empty() {
            text.push_str(" { ");
            text.push_str(&assoc.join(" "));
            text.push_str(" }");
        }
        Some(text)
    }
}

fn inner_of(item: &Value) -> &Value {
    tagged(item.get("inner").unwrap_or(&Value::Null)).1
}

fn flag(value: &Value, key: &str) -> bool {
    value.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn is_public(item: &Value) -> bool {
    item.get("visibility").and_then(Value::as_str) == Some("public")
}

/// Fields of enum variants have the default visibility (they are as public as the enum).
fn is_default(item: &Value) -> bool {
    item.get("visibility").and_then(Value::as_str) == Some("default")
}

fn is_non_exhaustive(item: &Value) -> bool {
    list_of(item, "attrs").iter().any(|attr| match attr {
        Value::String(s) => s == "non_exhaustive" || s.contains("#[non_exhaustive]"),
        other => tagged(other).0 == "non_exhaustive",
    })
}
