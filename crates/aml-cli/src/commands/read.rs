//! The commands that read: show, list, versions, credentials.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use aml_compute::ComputeTarget;
use futures::TryStreamExt as _;
use serde_json::json;

use super::Context;
use crate::exit::{Exit, Failure};
use crate::output;

pub(super) async fn show(ctx: &Context, name: &str) -> Result<Exit, Failure> {
    let compute = ctx.workspace().await?.get(name).await?;
    if ctx.json() {
        output::print_json(&output::compute_json(&compute))?;
    } else {
        output::print(&output::compute_details(&compute))?;
    }
    Ok(Exit::Success)
}

pub(super) async fn list(ctx: &Context) -> Result<Exit, Failure> {
    let ws = ctx.workspace().await?;
    let computes: Vec<ComputeTarget> = ws.list().try_collect().await?;
    if ctx.json() {
        output::print_json(&json!({
            "workspace": ws.id().to_string(),
            "cloud": ctx.target()?.to_json(),
            "computes": computes.iter().map(output::compute_json).collect::<Vec<_>>(),
        }))?;
    } else if computes.is_empty() {
        output::print(&format!("no computes in workspace {}\n", ws.id().name()))?;
    } else {
        let rows: Vec<Vec<String>> = computes.iter().map(output::compute_row).collect();
        output::print(&output::table(&output::LIST_HEADER, &rows))?;
    }
    Ok(Exit::Success)
}

pub(super) async fn versions(ctx: &Context, location: &str) -> Result<Exit, Failure> {
    let versions = ctx.workspace().await?.kubernetes_versions(location).await?;
    if ctx.json() {
        output::print_json(&json!({
            "location": versions.location,
            "default": versions.default_version().map(|v| v.version.clone()),
            "versions": versions.versions.iter().map(|v| json!({
                "version": v.version,
                "default": v.is_default,
                "preview": v.is_preview,
                "patches": v.patch_versions,
            })).collect::<Vec<_>>(),
        }))?;
    } else {
        let rows: Vec<Vec<String>> = versions
            .versions
            .iter()
            .map(|v| {
                vec![
                    v.version.clone(),
                    if v.is_default { "default" } else { "" }.to_owned(),
                    if v.is_preview { "preview" } else { "" }.to_owned(),
                    v.patch_versions.join(" "),
                ]
            })
            .collect();
        output::print(&output::table(
            &["VERSION", "DEFAULT", "PREVIEW", "PATCHES"],
            &rows,
        ))?;
    }
    Ok(Exit::Success)
}

pub(super) async fn credentials(
    ctx: &Context,
    name: &str,
    file: Option<PathBuf>,
    merge: bool,
    admin: bool,
    show_secrets: bool,
) -> Result<Exit, Failure> {
    let secrets = ctx.workspace().await?.get_credentials(name).await?;
    let which = if admin { "admin" } else { "user" };
    let kubeconfig = if admin {
        secrets.admin_kube_config
    } else {
        secrets.user_kube_config
    }
    .filter(|k| !k.is_empty())
    .ok_or_else(|| {
        Failure::new(
            Exit::NotFound,
            format!("compute {name} has no {which} kubeconfig; try --admin or the other one"),
        )
    })?;
    let (path, merged) = if merge {
        let path = default_kubeconfig();
        merge_kubeconfig(&path, kubeconfig.expose())?;
        (path, true)
    } else {
        let path = file.unwrap_or_else(|| PathBuf::from(format!("{name}.kubeconfig")));
        write_private(&path, kubeconfig.expose())?;
        (path, false)
    };
    if ctx.json() {
        output::print_json(&json!({
            "name": name,
            "kind": which,
            "file": path.display().to_string(),
            "merged": merged,
            "kubeconfig": show_secrets.then(|| kubeconfig.expose().to_owned()),
        }))?;
    } else {
        let verb = if merged { "merged into" } else { "written to" };
        output::print(&format!(
            "{which} kubeconfig of {name} {verb} {}\n",
            path.display()
        ))?;
        if show_secrets {
            output::print(kubeconfig.expose())?;
        }
    }
    Ok(Exit::Success)
}

/// `KUBECONFIG`'s first file, else `~/.kube/config`.
fn default_kubeconfig() -> PathBuf {
    if let Some(first) = std::env::var_os("KUBECONFIG")
        .and_then(|v| std::env::split_paths(&v).next())
        .filter(|p| !p.as_os_str().is_empty())
    {
        return first;
    }
    std::env::var_os("HOME")
        .map_or_else(PathBuf::new, PathBuf::from)
        .join(".kube")
        .join("config")
}

/// Writes `text` to `path`, readable and writable by its owner only (0600 on Unix).
pub(super) fn write_private(path: &Path, text: &str) -> Result<(), Failure> {
    let what = format!("cannot write {}", path.display());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| Failure::io(&what, &e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Failure::io(&what, &e))?;
    }
    file.write_all(text.as_bytes())
        .map_err(|e| Failure::io(&what, &e))
}

/// Merges the clusters, users and contexts of `new` into the kubeconfig at `path` (created when
/// absent), replacing entries of the same name; the current context becomes `new`'s.
fn merge_kubeconfig(path: &Path, new: &str) -> Result<(), Failure> {
    use yaml_serde::Value;
    let parse = |text: &str, what: &str| {
        yaml_serde::from_str::<Value>(text)
            .map_err(|e| Failure::invalid(format!("{what} is not a kubeconfig (YAML): {e}")))
    };
    let incoming = parse(new, "the service's kubeconfig")?;
    let mut merged = match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => parse(&text, &path.display().to_string())?,
        Ok(_) => Value::Null,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Value::Null,
        Err(e) => return Err(Failure::io(&format!("cannot read {}", path.display()), &e)),
    };
    if !merged.is_mapping() {
        merged = parse(
            "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n",
            "a new kubeconfig",
        )?;
    }
    for section in ["clusters", "users", "contexts"] {
        let Some(items) = incoming.get(section).and_then(Value::as_sequence) else {
            continue;
        };
        let Some(map) = merged.as_mapping_mut() else {
            break;
        };
        let entry = map
            .entry(Value::String(section.to_owned()))
            .or_insert_with(|| Value::Sequence(Vec::new()));
        if !entry.is_sequence() {
            *entry = Value::Sequence(Vec::new());
        }
        if let Some(list) = entry.as_sequence_mut() {
            for item in items {
                let name = item.get("name");
                list.retain(|existing| existing.get("name") != name || name.is_none());
                list.push(item.clone());
            }
        }
    }
    if let (Some(current), Some(map)) = (incoming.get("current-context"), merged.as_mapping_mut()) {
        map.insert(Value::String("current-context".to_owned()), current.clone());
    }
    let text = yaml_serde::to_string(&merged)
        .map_err(|e| Failure::new(Exit::Runtime, format!("cannot render the kubeconfig: {e}")))?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| Failure::io(&format!("cannot create {}", parent.display()), &e))?;
    }
    write_private(path, &text)
}
