//! Prints the public API of a library crate, one item per line, from its rustdoc JSON.
//!
//! ```sh
//! RUSTC_BOOTSTRAP=1 cargo rustdoc -p aml-tls --lib -- -Z unstable-options --output-format json
//! cargo run -p public-api -- target/doc/aml_tls.json
//! ```
//!
//! Further JSON files (of dependencies) make their items appear by their public paths
//! (`aml_tls::Code`) rather than their definition paths (`aml_tls::report::Code`).
//!
//! The listing starts at the crate root and follows public items and `pub use` re-exports, so an
//! item that is `pub` inside a private module and never re-exported does not appear, and a
//! re-exported item appears under the path users name it by. Lines are sorted by path, so the
//! output is the same for the same API whatever the order of the JSON. `check.sh` beside this
//! file compares the listings of the workspace's library crates with `api/<crate>.txt`.

mod list;
mod render;
#[cfg(test)]
mod tests;
mod walk;

use std::process::ExitCode;

/// The rustdoc JSON `format_version` this tool was written against. Other versions are read
/// as well (the fields used are old ones), with a note, since a new toolchain may render a few
/// lines differently.
const FORMAT_VERSION: u64 = 57;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((path, dependencies)) = args.split_first() else {
        eprintln!("usage: public-api <rustdoc JSON file> [<rustdoc JSON of a dependency>...]");
        return ExitCode::from(2);
    };
    let json = match read(path) {
        Ok(json) => json,
        Err(err) => {
            eprintln!("public-api: {err}");
            return ExitCode::from(2);
        }
    };
    // Items of the dependencies given are written by their public paths.
    let mut external = std::collections::BTreeMap::new();
    for dependency in dependencies {
        match read(dependency).and_then(|json| list::public_paths(&json)) {
            Ok(paths) => external.extend(paths),
            Err(err) => {
                eprintln!("public-api: {err}");
                return ExitCode::from(2);
            }
        }
    }
    match list::listing(&json, &external) {
        Ok(lines) => {
            let mut out = String::new();
            for line in lines {
                out.push_str(&line);
                out.push('\n');
            }
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("public-api: {path}: {err}");
            ExitCode::from(2)
        }
    }
}

/// Reads a rustdoc JSON file, checking its `format_version`.
fn read(path: &str) -> Result<serde_json::Value, String> {
    let text =
        std::fs::read_to_string(path).map_err(|err| format!("could not read {path}: {err}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|err| format!("{path} is not JSON: {err}"))?;
    match json
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
    {
        Some(FORMAT_VERSION) => {}
        Some(other) => eprintln!(
            "public-api: note: {path} has rustdoc JSON format_version {other}; this tool was \
             written for {FORMAT_VERSION}"
        ),
        None => return Err(format!("{path} has no format_version: not rustdoc JSON")),
    }
    Ok(json)
}
