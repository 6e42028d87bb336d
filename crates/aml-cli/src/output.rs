//! What commands print: human tables by default, JSON with `--output json`.
//!
//! The JSON field names are stable (documented in the crate README): a compute is
//! `{"name", "type", "provisioning_state", "location", "agent_count", "vm_size",
//! "cluster_purpose", "cluster_id", "cluster_fqdn", "attached", "tls": {"status",
//! "leaf_domain_label", "cname"}, "load_balancer": {"type", "subnet"}, "scoring_ip",
//! "errors": [{"code", "message"}]}`; absent values are `null`.

use std::fmt::Write as _;
use std::io::Write;

use aml_compute::{AksCompute, ComputeTarget};
use serde_json::{Value, json};

use crate::exit::{Exit, Failure};

/// `--output`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Human tables and lines.
    #[default]
    Table,
    /// One JSON document on standard output.
    Json,
}

/// Writes `text` to standard output; a closed pipe is an error, not a panic.
pub(crate) fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::io("cannot write to standard output", &e))
}

/// Writes `value` as pretty JSON and a newline.
pub(crate) fn print_json(value: &Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new(Exit::Runtime, format!("cannot render JSON: {e}")))?;
    print(&format!("{text}\n"))
}

/// A compute as JSON (the stable shape above).
pub(crate) fn compute_json(compute: &ComputeTarget) -> Value {
    match compute.as_aks() {
        Some(aks) => aks_json(aks),
        None => json!({
            "name": compute.name(),
            "type": compute.compute_type(),
        }),
    }
}

fn aks_json(aks: &AksCompute) -> Value {
    let errors: Vec<Value> = aks
        .provisioning_errors()
        .iter()
        .map(|e| json!({"code": e.code, "message": e.message}))
        .collect();
    json!({
        "name": aks.name(),
        "type": "AKS",
        "provisioning_state": aks.provisioning_state().map(ToString::to_string),
        "location": aks.compute_location(),
        "agent_count": aks.agent_count(),
        "vm_size": aks.agent_vm_size(),
        "cluster_purpose": aks.cluster_purpose().map(ToString::to_string),
        "cluster_id": aks.cluster_resource_id(),
        "cluster_fqdn": aks.cluster_fqdn(),
        "attached": aks.is_attached(),
        "tls": {
            "status": aks.ssl_status().map(ToString::to_string),
            "leaf_domain_label": aks.leaf_domain_label(),
            "cname": aks.ssl_cname(),
        },
        "load_balancer": {
            "type": aks.load_balancer_type().to_string(),
            "subnet": aks.load_balancer_subnet(),
        },
        "scoring_ip": aks.scoring_ip(),
        "errors": errors,
    })
}

/// A table: a header row and rows, columns padded to their widest cell.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let pad = widths[i].saturating_sub(cell.chars().count());
                text.push_str(cell);
                text.push_str(&" ".repeat(pad + 2));
            }
        }
        text.trim_end().to_owned() + "\n"
    };
    let mut text = line(header.to_vec());
    for row in rows {
        text += &line(row.iter().map(String::as_str).collect());
    }
    text
}

fn or_dash(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// One row of `aml list`.
pub(crate) fn compute_row(compute: &ComputeTarget) -> Vec<String> {
    match compute.as_aks() {
        Some(aks) => vec![
            aks.name().to_owned(),
            "AKS".to_owned(),
            or_dash(aks.provisioning_state()),
            or_dash(aks.compute_location()),
            or_dash(aks.agent_count()),
            or_dash(aks.agent_vm_size()),
            or_dash(aks.ssl_status()),
            aks.load_balancer_type().to_string(),
            if aks.is_attached() {
                "attached"
            } else {
                "created"
            }
            .to_owned(),
        ],
        None => vec![
            compute.name().to_owned(),
            compute.compute_type().to_owned(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
        ],
    }
}

/// The header of `aml list`.
pub(crate) const LIST_HEADER: [&str; 9] = [
    "NAME",
    "TYPE",
    "STATE",
    "LOCATION",
    "NODES",
    "VM SIZE",
    "TLS",
    "LOAD BALANCER",
    "ORIGIN",
];

/// `aml show`: one compute, a field a line.
pub(crate) fn compute_details(compute: &ComputeTarget) -> String {
    let Some(aks) = compute.as_aks() else {
        return format!("{} ({})\n", compute.name(), compute.compute_type());
    };
    let mut rows = vec![
        vec!["name".to_owned(), aks.name().to_owned()],
        vec!["state".into(), or_dash(aks.provisioning_state())],
        vec!["location".into(), or_dash(aks.compute_location())],
        vec!["nodes".into(), or_dash(aks.agent_count())],
        vec!["vm size".into(), or_dash(aks.agent_vm_size())],
        vec!["purpose".into(), or_dash(aks.cluster_purpose())],
        vec!["cluster".into(), or_dash(aks.cluster_resource_id())],
        vec!["cluster FQDN".into(), or_dash(aks.cluster_fqdn())],
    ];
    let tls = match (aks.ssl_status(), aks.leaf_domain_label(), aks.ssl_cname()) {
        (Some(status), Some(label), _) => {
            format!("{status} (Microsoft certificate, label {label})")
        }
        (Some(status), None, Some(cname)) => format!("{status} (custom certificate for {cname})"),
        (Some(status), ..) => status.to_string(),
        (None, ..) => "Disabled".into(),
    };
    rows.push(vec!["TLS".into(), tls]);
    let lb = match aks.load_balancer_subnet() {
        Some(subnet) => format!("{} in subnet {subnet}", aks.load_balancer_type()),
        None => aks.load_balancer_type().to_string(),
    };
    rows.push(vec!["load balancer".into(), lb]);
    rows.push(vec!["scoring IP".into(), or_dash(aks.scoring_ip())]);
    for e in aks.provisioning_errors() {
        rows.push(vec![
            "error".into(),
            format!(
                "{}: {}",
                e.code.as_deref().unwrap_or("error"),
                e.message.as_deref().unwrap_or("")
            ),
        ]);
    }
    let mut text = String::new();
    for row in rows {
        let _ = writeln!(text, "{:<15}{}", row[0], row[1]);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_columns_to_the_widest_cell() {
        let text = table(
            &["NAME", "STATE"],
            &[vec!["a-long-name".into(), "Succeeded".into()]],
        );
        assert_eq!(text, "NAME         STATE\na-long-name  Succeeded\n");
    }
}
