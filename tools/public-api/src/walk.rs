//! The walk from the crate root along public items and `pub use`: every public path of each
//! item, and the canonical one.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::list::Line;
use crate::render::{id_key, tagged};

/// Reads an item's field `key` as an array.
pub(crate) fn list_of<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

pub(crate) type Walked<'a> = (&'a Map<String, Value>, Walk<'a>, BTreeMap<String, String>);

/// Walks `json` from its root; returns the index, the walk and the canonical path of each
/// public item, by id.
pub(crate) fn walk(json: &Value) -> Result<Walked<'_>, String> {
    let index = json
        .get("index")
        .and_then(Value::as_object)
        .ok_or("no `index` object")?;
    let root = json.get("root").and_then(id_key).ok_or("no `root` id")?;
    let root_item = index.get(&root).ok_or("the root id is not in the index")?;
    let crate_name = root_item
        .get("name")
        .and_then(Value::as_str)
        .ok_or("the root item has no name")?;

    let mut walk = Walk {
        index,
        public: BTreeMap::new(),
        foreign: Vec::new(),
        stack: Vec::new(),
    };
    walk.module(&root, &[crate_name.to_owned()]);

    // Each item is listed in full under its canonical path: the shortest, then the first in
    // order. Other paths (re-exports of public items) get the item's own line only.
    let canonical: BTreeMap<String, String> = walk
        .public
        .iter()
        .filter_map(|(id, paths)| {
            let best = paths
                .iter()
                .min_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)))?;
            Some((id.clone(), best.join("::")))
        })
        .collect();
    Ok((index, walk, canonical))
}

/// The walk from the root module along public items and `pub use`.
pub(crate) struct Walk<'a> {
    pub(crate) index: &'a Map<String, Value>,
    /// Every public path of each local item, by id.
    pub(crate) public: BTreeMap<String, BTreeSet<Vec<String>>>,
    /// Lines of re-exports of other crates' items.
    pub(crate) foreign: Vec<Line>,
    /// Modules being walked, against cycles of glob re-exports.
    stack: Vec<String>,
}

impl Walk<'_> {
    fn module(&mut self, id: &str, path: &[String]) {
        if self.stack.iter().any(|open| open == id) {
            return;
        }
        let Some(module) = self.index.get(id) else {
            return;
        };
        self.stack.push(id.to_owned());
        let (_, body) = tagged(module.get("inner").unwrap_or(&Value::Null));
        for child in list_of(body, "items") {
            let Some(child_id) = id_key(child) else {
                continue;
            };
            let Some(item) = self.index.get(&child_id) else {
                continue;
            };
            if item.get("visibility").and_then(Value::as_str) != Some("public") {
                continue;
            }
            let (kind, inner) = tagged(item.get("inner").unwrap_or(&Value::Null));
            match kind {
                "use" | "import" => self.reexport(inner, path),
                _ => {
                    let Some(name) = item.get("name").and_then(Value::as_str) else {
                        continue;
                    };
                    let mut child_path = path.to_vec();
                    child_path.push(name.to_owned());
                    self.item(&child_id, &child_path);
                }
            }
        }
        self.stack.pop();
    }

    /// A public item reached at `path`.
    fn item(&mut self, id: &str, path: &[String]) {
        let is_module = self
            .index
            .get(id)
            .and_then(|item| item.get("inner"))
            .is_some_and(|inner| tagged(inner).0 == "module");
        let new = self
            .public
            .entry(id.to_owned())
            .or_default()
            .insert(path.to_vec());
        if is_module && new {
            self.module(id, path);
        }
    }

    fn local(&self, id: Option<&Value>) -> Option<String> {
        let key = id.and_then(id_key)?;
        let item = self.index.get(&key)?;
        (item.get("crate_id").and_then(Value::as_u64) == Some(0)).then_some(key)
    }

    fn reexport(&mut self, import: &Value, path: &[String]) {
        let name = import.get("name").and_then(Value::as_str).unwrap_or("_");
        let source = import.get("source").and_then(Value::as_str).unwrap_or("");
        let glob = import.get("is_glob").or_else(|| import.get("glob"));
        let is_glob = glob.and_then(Value::as_bool).unwrap_or(false);
        match (self.local(import.get("id")), is_glob) {
            (Some(target), true) => self.module(&target, path),
            (Some(target), false) => {
                let mut reexported = path.to_vec();
                reexported.push(name.to_owned());
                self.item(&target, &reexported);
            }
            (None, glob) => {
                let mut reexported = path.to_vec();
                let text = if glob {
                    reexported.push("*".to_owned());
                    format!("pub use {}::* = {source}::*", path.join("::"))
                } else {
                    reexported.push(name.to_owned());
                    format!("pub use {} = {source}", reexported.join("::"))
                };
                self.foreign.push((reexported, text));
            }
        }
    }
}
