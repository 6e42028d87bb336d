//! Rendering rustdoc JSON types, generics and signatures as Rust-like text.
//!
//! The text need not be valid Rust; it must be deterministic and change when a signature
//! changes. Paths are the ones users name: a crate's own items by their public path (found by
//! the walk in `list`), other crates' items by their definition path (`alloc::string::String`
//! shortened to `String` for the prelude's types).

use std::collections::BTreeMap;

use serde_json::Value;

/// The key of an item id in `index` and `paths` (ids are numbers since format 40 or so, strings
/// before).
pub(crate) fn id_key(id: &Value) -> Option<String> {
    match id {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The one entry of an externally tagged enum (`{"function": {...}}`), or a bare string variant.
pub(crate) fn tagged(value: &Value) -> (&str, &Value) {
    match value {
        Value::Object(map) if map.len() == 1 => map
            .iter()
            .next()
            .map_or(("", &Value::Null), |(k, v)| (k.as_str(), v)),
        Value::String(s) => (s.as_str(), &Value::Null),
        _ => ("", &Value::Null),
    }
}

fn str_of<'v>(value: &'v Value, key: &str) -> &'v str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

fn list_of<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn flag(value: &Value, key: &str) -> bool {
    value.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Types of the prelude, written by their short name.
const PRELUDE: &[(&str, &str)] = &[
    ("alloc::string::String", "String"),
    ("alloc::vec::Vec", "Vec"),
    ("alloc::boxed::Box", "Box"),
    ("core::option::Option", "Option"),
    ("core::result::Result", "Result"),
    ("std::string::String", "String"),
    ("std::vec::Vec", "Vec"),
    ("std::boxed::Box", "Box"),
    ("std::option::Option", "Option"),
    ("std::result::Result", "Result"),
];

/// Renders types with the paths users name them by.
pub(crate) struct Renderer<'a> {
    /// The JSON's `paths`: definition paths of every item referred to.
    pub(crate) paths: Option<&'a serde_json::Map<String, Value>>,
    /// The canonical public path of each public item of the crate, by id.
    pub(crate) public: &'a BTreeMap<String, String>,
    /// Public paths of other crates' items, by definition path.
    pub(crate) external: &'a BTreeMap<String, String>,
}

impl Renderer<'_> {
    /// The path of the item `id`, written as `written` in the source.
    pub(crate) fn item_path(&self, id: Option<&Value>, written: &str) -> String {
        let Some(key) = id.and_then(id_key) else {
            return written.to_owned();
        };
        if let Some(public) = self.public.get(&key) {
            return public.clone();
        }
        let segments: Option<Vec<&str>> = self
            .paths
            .and_then(|paths| paths.get(&key))
            .and_then(|summary| summary.get("path"))
            .and_then(Value::as_array)
            .and_then(|path| path.iter().map(Value::as_str).collect());
        match segments {
            Some(segments) if !segments.is_empty() => {
                let full = segments.join("::");
                if let Some(public) = self.external.get(&full) {
                    return public.clone();
                }
                PRELUDE
                    .iter()
                    .find(|(long, _)| *long == full)
                    .map_or(full, |(_, short)| (*short).to_owned())
            }
            _ => written.to_owned(),
        }
    }

    /// A `Path` (`{path, id, args}`): a type or trait with its generic arguments.
    pub(crate) fn path(&self, path: &Value) -> String {
        let written = path
            .get("path")
            .or_else(|| path.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let mut out = self.item_path(path.get("id"), written);
        if let Some(args) = path.get("args").filter(|a| !a.is_null()) {
            out.push_str(&self.generic_args(args));
        }
        out
    }

    /// Generic arguments: `<A, B, Item = C>` or `(A, B) -> C`.
    pub(crate) fn generic_args(&self, args: &Value) -> String {
        let (kind, body) = tagged(args);
        match kind {
            "angle_bracketed" => {
                let mut parts: Vec<String> = list_of(body, "args")
                    .iter()
                    .map(|arg| self.generic_arg(arg))
                    .collect();
                for constraint in list_of(body, "constraints")
                    .iter()
                    .chain(list_of(body, "bindings"))
                {
                    parts.push(self.constraint(constraint));
                }
                if parts.is_empty() {
                    String::new()
                } else {
                    format!("<{}>", parts.join(", "))
                }
            }
            "parenthesized" => {
                let inputs: Vec<String> =
                    list_of(body, "inputs").iter().map(|t| self.ty(t)).collect();
                let output = body
                    .get("output")
                    .filter(|o| !o.is_null())
                    .map(|o| format!(" -> {}", self.ty(o)))
                    .unwrap_or_default();
                format!("({}){output}", inputs.join(", "))
            }
            "return_type_notation" => "(..)".to_owned(),
            _ => String::new(),
        }
    }

    fn generic_arg(&self, arg: &Value) -> String {
        let (kind, body) = tagged(arg);
        match kind {
            "lifetime" => body.as_str().unwrap_or("'_").to_owned(),
            "type" => self.ty(body),
            "const" => constant(body),
            _ => "_".to_owned(),
        }
    }

    fn constraint(&self, constraint: &Value) -> String {
        let name = str_of(constraint, "name");
        let args = constraint
            .get("args")
            .filter(|a| !a.is_null())
            .map(|a| self.generic_args(a))
            .unwrap_or_default();
        let binding = constraint.get("binding").unwrap_or(&Value::Null);
        let (kind, body) = tagged(binding);
        match kind {
            "equality" => {
                let (term, value) = tagged(body);
                let value = if term == "constant" {
                    constant(value)
                } else {
                    self.ty(value)
                };
                format!("{name}{args} = {value}")
            }
            "constraint" => format!(
                "{name}{args}: {}",
                self.bounds(body.as_array().map_or(&[], Vec::as_slice))
            ),
            _ => format!("{name}{args}"),
        }
    }

    /// A type.
    pub(crate) fn ty(&self, ty: &Value) -> String {
        let (kind, body) = tagged(ty);
        match kind {
            "resolved_path" => self.path(body),
            "dyn_trait" => {
                let mut parts: Vec<String> = list_of(body, "traits")
                    .iter()
                    .map(|poly| {
                        let hrtb = self.for_lifetimes(list_of(poly, "generic_params"));
                        format!(
                            "{hrtb}{}",
                            self.path(poly.get("trait").unwrap_or(&Value::Null))
                        )
                    })
                    .collect();
                if let Some(lifetime) = body.get("lifetime").and_then(Value::as_str) {
                    parts.push(lifetime.to_owned());
                }
                format!("dyn {}", parts.join(" + "))
            }
            "generic" | "primitive" => body.as_str().unwrap_or("").to_owned(),
            "function_pointer" => {
                let hrtb = self.for_lifetimes(list_of(body, "generic_params"));
                let header = header(body.get("header").unwrap_or(&Value::Null));
                let sig = body
                    .get("sig")
                    .or_else(|| body.get("decl"))
                    .unwrap_or(&Value::Null);
                format!("{hrtb}{header}fn{}", self.signature(sig, false))
            }
            "tuple" => {
                let items: Vec<String> = body
                    .as_array()
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .map(|t| self.ty(t))
                    .collect();
                if items.len() == 1 {
                    format!("({},)", items[0])
                } else {
                    format!("({})", items.join(", "))
                }
            }
            "slice" => format!("[{}]", self.ty(body)),
            "array" => format!(
                "[{}; {}]",
                self.ty(body.get("type").unwrap_or(&Value::Null)),
                str_of(body, "len")
            ),
            "pat" => self.ty(body.get("type").unwrap_or(&Value::Null)),
            "impl_trait" => format!(
                "impl {}",
                self.bounds(body.as_array().map_or(&[], Vec::as_slice))
            ),
            "infer" => "_".to_owned(),
            "raw_pointer" => format!(
                "*{} {}",
                if flag(body, "is_mutable") {
                    "mut"
                } else {
                    "const"
                },
                self.ty(body.get("type").unwrap_or(&Value::Null))
            ),
            "borrowed_ref" => {
                let lifetime = body
                    .get("lifetime")
                    .and_then(Value::as_str)
                    .map(|l| format!("{l} "))
                    .unwrap_or_default();
                let mutability = if flag(body, "is_mutable") { "mut " } else { "" };
                format!(
                    "&{lifetime}{mutability}{}",
                    self.ty(body.get("type").unwrap_or(&Value::Null))
                )
            }
            "qualified_path" => {
                let self_type = self.ty(body.get("self_type").unwrap_or(&Value::Null));
                let name = str_of(body, "name");
                let args = body
                    .get("args")
                    .filter(|a| !a.is_null())
                    .map(|a| self.generic_args(a))
                    .unwrap_or_default();
                match body.get("trait").filter(|t| !t.is_null()) {
                    Some(tr) if !str_of(tr, "path").is_empty() || tr.get("id").is_some() => {
                        let trait_path = self.path(tr);
                        if trait_path.is_empty() {
                            format!("{self_type}::{name}{args}")
                        } else {
                            format!("<{self_type} as {trait_path}>::{name}{args}")
                        }
                    }
                    _ => format!("{self_type}::{name}{args}"),
                }
            }
            other => format!("<{other}>"),
        }
    }

    /// Bounds joined by ` + `.
    pub(crate) fn bounds(&self, bounds: &[Value]) -> String {
        let parts: Vec<String> = bounds.iter().map(|b| self.bound(b)).collect();
        parts.join(" + ")
    }

    fn bound(&self, bound: &Value) -> String {
        let (kind, body) = tagged(bound);
        match kind {
            "trait_bound" => {
                let hrtb = self.for_lifetimes(list_of(body, "generic_params"));
                let modifier = match str_of(body, "modifier") {
                    "maybe" => "?",
                    "maybe_const" => "~const ",
                    _ => "",
                };
                format!(
                    "{hrtb}{modifier}{}",
                    self.path(body.get("trait").unwrap_or(&Value::Null))
                )
            }
            "outlives" => body.as_str().unwrap_or("").to_owned(),
            "use" => {
                let args: Vec<String> = body
                    .as_array()
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .map(|arg| match arg {
                        Value::String(s) => s.clone(),
                        other => {
                            let (_, name) = tagged(other);
                            name.as_str().unwrap_or("").to_owned()
                        }
                    })
                    .collect();
                format!("use<{}>", args.join(", "))
            }
            other => format!("<{other}>"),
        }
    }

    /// `for<'a, 'b> ` of higher-ranked bounds, or nothing.
    fn for_lifetimes(&self, params: &[Value]) -> String {
        if params.is_empty() {
            return String::new();
        }
        let params: Vec<String> = params
            .iter()
            .filter_map(|p| self.generic_param(p))
            .collect();
        format!("for<{}> ", params.join(", "))
    }

    /// One generic parameter, or `None` for the synthetic ones of `impl Trait` arguments.
    fn generic_param(&self, param: &Value) -> Option<String> {
        let name = str_of(param, "name");
        let (kind, body) = tagged(param.get("kind").unwrap_or(&Value::Null));
        match kind {
            "lifetime" => {
                let outlives: Vec<&str> = list_of(body, "outlives")
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                if outlives.is_empty() {
                    Some(name.to_owned())
                } else {
                    Some(format!("{name}: {}", outlives.join(" + ")))
                }
            }
            "type" => {
                if flag(body, "is_synthetic") || flag(body, "synthetic") {
                    return None;
                }
                let mut out = name.to_owned();
                let bounds = list_of(body, "bounds");
                if !bounds.is_empty() {
                    out.push_str(": ");
                    out.push_str(&self.bounds(bounds));
                }
                if let Some(default) = body.get("default").filter(|d| !d.is_null()) {
                    out.push_str(" = ");
                    out.push_str(&self.ty(default));
                }
                Some(out)
            }
            "const" => {
                let mut out = format!(
                    "const {name}: {}",
                    self.ty(body.get("type").unwrap_or(&Value::Null))
                );
                if let Some(default) = body.get("default").and_then(Value::as_str) {
                    out.push_str(" = ");
                    out.push_str(default);
                }
                Some(out)
            }
            _ => Some(name.to_owned()),
        }
    }

    /// `<T: Bound, 'a>` of a generics block, or nothing.
    pub(crate) fn generic_params(&self, generics: &Value) -> String {
        let params: Vec<String> = list_of(generics, "params")
            .iter()
            .filter_map(|p| self.generic_param(p))
            .collect();
        if params.is_empty() {
            String::new()
        } else {
            format!("<{}>", params.join(", "))
        }
    }

    /// ` where T: Bound, ...` of a generics block, or nothing.
    pub(crate) fn where_clause(&self, generics: &Value) -> String {
        let predicates: Vec<String> = list_of(generics, "where_predicates")
            .iter()
            .map(|predicate| {
                let (kind, body) = tagged(predicate);
                match kind {
                    "bound_predicate" => {
                        let hrtb = self.for_lifetimes(list_of(body, "generic_params"));
                        format!(
                            "{hrtb}{}: {}",
                            self.ty(body.get("type").unwrap_or(&Value::Null)),
                            self.bounds(list_of(body, "bounds"))
                        )
                    }
                    "lifetime_predicate" => {
                        let outlives: Vec<&str> = list_of(body, "outlives")
                            .iter()
                            .filter_map(Value::as_str)
                            .collect();
                        format!("{}: {}", str_of(body, "lifetime"), outlives.join(" + "))
                    }
                    "eq_predicate" => {
                        let (term, rhs) = tagged(body.get("rhs").unwrap_or(&Value::Null));
                        let rhs = if term == "constant" {
                            constant(rhs)
                        } else {
                            self.ty(rhs)
                        };
                        format!(
                            "{} = {rhs}",
                            self.ty(body.get("lhs").unwrap_or(&Value::Null))
                        )
                    }
                    other => format!("<{other}>"),
                }
            })
            .collect();
        if predicates.is_empty() {
            String::new()
        } else {
            format!(" where {}", predicates.join(", "))
        }
    }

    /// `(inputs) -> output` of a function signature; `self` parameters in their short forms
    /// when `methods` is set.
    pub(crate) fn signature(&self, sig: &Value, methods: bool) -> String {
        let inputs: Vec<String> = list_of(sig, "inputs")
            .iter()
            .map(|input| {
                let name = input.get(0).and_then(Value::as_str).unwrap_or("_");
                let ty = input.get(1).unwrap_or(&Value::Null);
                if methods
                    && name == "self"
                    && let Some(short) = self_param(ty)
                {
                    return short;
                }
                format!("{name}: {}", self.ty(ty))
            })
            .collect();
        let variadic = if flag(sig, "is_c_variadic") {
            ", ..."
        } else {
            ""
        };
        let output = sig
            .get("output")
            .filter(|o| !o.is_null())
            .map(|o| format!(" -> {}", self.ty(o)))
            .unwrap_or_default();
        format!("({}{variadic}){output}", inputs.join(", "))
    }
}

/// `self`, `&self`, `&mut self`, `&'a self`, or `None` for other receiver types.
fn self_param(ty: &Value) -> Option<String> {
    let (kind, body) = tagged(ty);
    match kind {
        "generic" if body.as_str() == Some("Self") => Some("self".to_owned()),
        "borrowed_ref" => {
            let inner = body.get("type")?;
            let (inner_kind, inner_body) = tagged(inner);
            if inner_kind != "generic" || inner_body.as_str() != Some("Self") {
                return None;
            }
            let lifetime = body
                .get("lifetime")
                .and_then(Value::as_str)
                .map(|l| format!("{l} "))
                .unwrap_or_default();
            let mutability = if flag(body, "is_mutable") { "mut " } else { "" };
            Some(format!("&{lifetime}{mutability}self"))
        }
        _ => None,
    }
}

/// `const `, `async `, `unsafe `, `extern "C" ` of a function header.
pub(crate) fn header(header: &Value) -> String {
    let mut out = String::new();
    if flag(header, "is_const") || flag(header, "const_") {
        out.push_str("const ");
    }
    if flag(header, "is_async") || flag(header, "async_") {
        out.push_str("async ");
    }
    if flag(header, "is_unsafe") || flag(header, "unsafe_") {
        out.push_str("unsafe ");
    }
    let (abi, _) = tagged(header.get("abi").unwrap_or(&Value::Null));
    if !abi.is_empty() && abi != "Rust" {
        out.push_str("extern \"");
        out.push_str(abi);
        out.push_str("\" ");
    }
    out
}

/// A constant expression as written.
pub(crate) fn constant(constant: &Value) -> String {
    match constant {
        Value::String(s) => s.clone(),
        other => str_of(other, "expr").to_owned(),
    }
}
