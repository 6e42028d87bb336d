//! The rule catalogue, `docs/rules.md`, against the codes the crates can emit.
//!
//! - every [`Rule`] has exactly one entry, and every entry is a [`Rule`];
//! - every entry says what the rule is, why (with a public documentation link), where it is
//!   checked, its severity and the fix;
//! - every code a message of the workspace's sources shows (`[area.rule]`, the one form codes
//!   take in messages) is in the catalogue, and no message cites a requirement number (`R10`)
//!   instead of a code;
//! - the guide's requirements R1..R23, which comments refer to, each have a row.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use aml_model::Rule;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn catalogue() -> String {
    let path = repository().join("docs/rules.md");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Each `### `code`` heading with the text of its entry.
fn entries(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if line.starts_with('#') {
            if let Some((code, body)) = current.take() {
                assert!(
                    out.insert(code.clone(), body).is_none(),
                    "{code} has two entries"
                );
            }
            if let Some(code) = line
                .strip_prefix("### `")
                .and_then(|rest| rest.strip_suffix('`'))
            {
                current = Some((code.to_owned(), String::new()));
            }
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    if let Some((code, body)) = current {
        assert!(
            out.insert(code.clone(), body).is_none(),
            "{code} has two entries"
        );
    }
    out
}

#[test]
fn every_rule_has_one_complete_entry_and_every_entry_is_a_rule() {
    let entries = entries(&catalogue());
    let rules: BTreeSet<&str> = Rule::ALL.iter().map(|r| r.code()).collect();
    let documented: BTreeSet<&str> = entries.keys().map(String::as_str).collect();
    let missing: Vec<_> = rules.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&rules).collect();
    assert!(
        missing.is_empty(),
        "rules without an entry in docs/rules.md: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "entries of docs/rules.md that are no rule: {unknown:?}"
    );

    let mut incomplete = Vec::new();
    for (code, body) in &entries {
        for field in ["Rule", "Why", "Checked", "Severity", "Fix"] {
            if !body.contains(&format!("- **{field}:**")) {
                incomplete.push(format!("{code}: no {field}"));
            }
        }
        let why = body
            .lines()
            .find(|l| l.starts_with("- **Why:**"))
            .unwrap_or("");
        if !why.contains("](https://") {
            incomplete.push(format!("{code}: Why has no documentation link"));
        }
        let severity = body
            .lines()
            .find_map(|l| l.strip_prefix("- **Severity:** "))
            .unwrap_or("");
        if !["error", "warning"].iter().any(|s| severity.starts_with(s)) {
            incomplete.push(format!(
                "{code}: severity {severity:?} is neither error nor warning"
            ));
        }
    }
    assert!(incomplete.is_empty(), "{incomplete:#?}");
}

#[test]
fn the_guides_requirements_each_have_a_row_naming_known_codes() {
    let text = catalogue();
    let section = text
        .split("## The guide's requirements")
        .nth(1)
        .expect("docs/rules.md has a section \"The guide's requirements\"");
    for n in 1..=23 {
        let row = format!("| R{n} |");
        assert!(
            section.contains(&row),
            "no row {row} in the guide's requirements"
        );
    }
    for code in backticked_codes(section) {
        assert!(
            Rule::from_code(&code).is_some(),
            "the requirements table names {code}, which is no rule"
        );
    }
}

/// `area.rule` codes written between backticks.
fn backticked_codes(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| looks_like_code(s))
        .map(str::to_owned)
        .collect()
}

fn looks_like_code(s: &str) -> bool {
    let Some((area, rule)) = s.split_once('.') else {
        return false;
    };
    [area, rule].iter().all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    })
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The sources whose strings reach users: every crate's `src`, and the examples.
fn message_sources() -> Vec<PathBuf> {
    let root = repository();
    let mut files = Vec::new();
    let crates = fs::read_dir(root.join("crates")).expect("crates/");
    for krate in crates.flatten() {
        rust_files(&krate.path().join("src"), &mut files);
    }
    rust_files(&root.join("examples"), &mut files);
    assert!(files.len() > 20, "found only {} source files", files.len());
    files
}

/// The string literals on a line that is not a comment (a rough lexer: enough for messages).
fn string_literals(line: &str) -> Vec<&str> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return Vec::new();
    }
    let code = code.split(" // ").next().unwrap_or(code);
    code.split('"').skip(1).step_by(2).collect()
}

#[test]
fn every_code_a_message_shows_is_in_the_catalogue_and_none_cites_a_requirement_number() {
    let mut problems = Vec::new();
    let mut shown = BTreeSet::new();
    for file in message_sources() {
        let text = fs::read_to_string(&file).unwrap();
        let name = file
            .strip_prefix(repository())
            .unwrap_or(&file)
            .display()
            .to_string();
        for (n, line) in text.lines().enumerate() {
            for literal in string_literals(line) {
                for candidate in literal.split('[').skip(1) {
                    let Some(code) = candidate.split(']').next() else {
                        continue;
                    };
                    if looks_like_code(code) {
                        shown.insert(code.to_owned());
                        if Rule::from_code(code).is_none() {
                            problems.push(format!(
                                "{name}:{}: [{code}] is not in the catalogue",
                                n + 1
                            ));
                        }
                    }
                }
                let cites_requirement =
                    literal
                        .split(|c: char| !c.is_ascii_alphanumeric())
                        .any(|word| {
                            word.len() >= 2
                                && word.starts_with('R')
                                && word[1..].chars().all(|c| c.is_ascii_digit())
                        });
                if cites_requirement {
                    problems.push(format!(
                        "{name}:{}: a message cites a requirement number instead of a rule code: {literal:?}",
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // The scan sees the codes the library's own messages carry.
    for code in [
        "compute.exists",
        "attach.cluster_attached",
        "cluster.kubernetes_version",
    ] {
        assert!(shown.contains(code), "no message shows [{code}]");
    }
}
