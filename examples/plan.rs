//! Validates a compute spec (YAML or JSON) and prints its plan: the ARM requests it would send.
//!
//! ```text
//! cargo run -p aml-examples --example plan -- examples/specs/production.yaml
//! ```
//!
//! Every problem is printed at once as `error: <path>: <message>`, then the warnings as
//! `warning: <path>: <message>`, and the program exits with status 2. A valid spec prints its
//! plan as `aml_compute::Plan`'s `Display` renders every plan: the operation, its warnings,
//! then each step (reads and checks; each write with its method, full URL with api-version and
//! pretty JSON body, secrets shown as `[redacted]`), exit status 0. A file that cannot be read
//! is reported with its path (exit status 1). Nothing is sent anywhere.
//!
//! A spec with `tls.cert_file` / `tls.key_file` has its certificate and key checked by `aml-tls`
//! too (key matches certificate, CNAME covered by a SAN, validity now, chain order, key size);
//! those problems are listed under `tls.*` with all the others.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aml_compute::tls::check_material;
use aml_model::request::Requests;
use aml_model::spec::{ComputeSpec, TlsFiles, spec_paths};
use aml_model::{PrivateKeyPem, Report};
use aml_tls::OffsetDateTime;

/// The outcome of planning one spec file.
enum Outcome {
    /// The plan's text (its `Display`).
    Planned(String),
    /// Every problem, already rendered.
    Invalid(String),
    /// A file could not be read.
    Unreadable(String),
}

impl Outcome {
    fn exit_code(&self) -> u8 {
        match self {
            Self::Planned(_) => 0,
            Self::Unreadable(_) => 1,
            Self::Invalid(_) => 2,
        }
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn parse(path: &Path, text: &str) -> Result<ComputeSpec, String> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        serde_json::from_str(text).map_err(|e| format!("error: {}: {e}", path.display()))
    } else {
        yaml_serde::from_str(text).map_err(|e| format!("error: {}: {e}", path.display()))
    }
}

fn plan(path: &Path) -> Outcome {
    let text = match read(path) {
        Ok(t) => t,
        Err(e) => return Outcome::Unreadable(e),
    };
    let spec = match parse(path, &text) {
        Ok(s) => s,
        Err(e) => return Outcome::Invalid(e),
    };
    let base = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    let (cert_file, key_file) = spec.tls_files();
    let cname = spec.tls.as_ref().and_then(|t| t.cname.clone());
    let mut files = TlsFiles::default();
    if let Some(cert) = cert_file {
        match read(&base.join(cert)) {
            Ok(pem) => files.cert_pem = Some(pem),
            Err(e) => return Outcome::Unreadable(e),
        }
    }
    if let Some(key) = key_file {
        match read(&base.join(key)) {
            Ok(pem) => files.key_pem = Some(PrivateKeyPem::new(pem)),
            Err(e) => return Outcome::Unreadable(e),
        }
    }
    let tls_report = match (&files.cert_pem, &files.key_pem) {
        (Some(cert), Some(key)) => spec_paths(check_material(
            cert,
            key,
            cname.as_deref(),
            OffsetDateTime::now_utc(),
        )),
        _ => Report::new(),
    };
    match spec.validate(files) {
        Ok(validated) if tls_report.is_ok() => {
            // The plan a workspace runs to make the spec true, rendered against
            // https://management.azure.com.
            let mut plan = validated.plan(&Requests::default());
            plan.push_warnings(tls_report.warnings);
            Outcome::Planned(plan.to_string())
        }
        Ok(validated) => {
            let mut report = tls_report;
            report.warnings.extend(validated.warnings().iter().cloned());
            Outcome::Invalid(render_report(&report))
        }
        Err(mut report) => {
            report.merge(tls_report);
            Outcome::Invalid(render_report(&report))
        }
    }
}

fn render_report(report: &Report) -> String {
    report.to_string().trim_end().to_owned()
}

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: plan SPEC.yaml|SPEC.json   (samples in examples/specs/)");
        return ExitCode::from(1);
    };
    let outcome = plan(Path::new(&path));
    match &outcome {
        Outcome::Planned(text) => print!("{text}"),
        Outcome::Invalid(text) | Outcome::Unreadable(text) => eprintln!("{text}"),
    }
    ExitCode::from(outcome.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("specs")
            .join(name)
    }

    #[test]
    fn production_sample_plans_one_create() {
        let Outcome::Planned(text) = plan(&sample("production.yaml")) else {
            panic!("production sample must be valid");
        };
        assert!(text.contains("PUT https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ml-workspace/computes/prod-aks?api-version=2024-04-01"), "{text}");
        assert!(text.contains("\"dnsServiceIP\": \"10.0.0.10\""), "{text}");
        assert!(text.contains("\"status\": \"Auto\""), "{text}");
        assert!(!text.contains("warning:"), "{text}");
        assert!(text.starts_with("create compute prod-aks"), "{text}");
    }

    #[test]
    fn attach_sample_plans_attach_then_load_balancer_update() {
        let Outcome::Planned(text) = plan(&sample("devtest-attach.json")) else {
            panic!("attach sample must be valid");
        };
        // The attach's PUT, then the update's (GET-modify-PUT) that sets the load balancer.
        assert_eq!(text.matches("PUT https://").count(), 2, "{text}");
        assert!(text.contains("GET https://"), "{text}");
        assert!(
            text.contains("switch to the internal load balancer"),
            "{text}"
        );
        assert!(text.contains("/resourceGroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/dev-cluster"), "{text}");
    }

    #[test]
    fn invalid_sample_lists_every_problem_with_exit_2() {
        let outcome = plan(&sample("invalid.yaml"));
        assert_eq!(outcome.exit_code(), 2);
        let Outcome::Invalid(text) = outcome else {
            unreachable!()
        };
        for path in [
            "error: name:",
            "error: create.agent_count:",
            "error: create.location:",
            "error: create.vnet.dns_service_ip:",
            "error: create.vnet.docker_bridge_cidr:",
            "error: tls.leaf_domain_label:",
            "error: tls:",
        ] {
            assert!(text.contains(path), "missing {path:?} in\n{text}");
        }
    }

    #[test]
    fn missing_file_exits_1_naming_it() {
        let outcome = plan(&sample("no-such-spec.yaml"));
        assert_eq!(outcome.exit_code(), 1);
        let Outcome::Unreadable(text) = outcome else {
            unreachable!()
        };
        assert!(text.contains("no-such-spec.yaml"), "{text}");
    }

    /// A spec with a custom certificate generated now, valid from `from` to `to` (days from now).
    fn custom_tls_spec(dir: &Path, from: i64, to: i64, cname: &str) -> PathBuf {
        use rcgen::{CertificateParams, KeyPair};
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["www.contoso.com".to_owned()]).unwrap();
        let now = OffsetDateTime::now_utc();
        params.not_before = now + time::Duration::days(from);
        params.not_after = now + time::Duration::days(to);
        let cert = params.self_signed(&key).unwrap();
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
        let spec = dir.join("spec.yaml");
        std::fs::write(
            &spec,
            format!(
                "workspace: {{subscription_id: s, resource_group: r, workspace_name: w, location: eastus}}\n\
                 name: tlsaks\ncreate: {{}}\ntls: {{cert_file: cert.pem, key_file: key.pem, cname: {cname}}}\n"
            ),
        )
        .unwrap();
        spec
    }

    fn temp_dir(tag: &str) -> PathBuf {
        std::env::temp_dir().join(format!("aml-plan-{tag}-{}", std::process::id()))
    }

    #[test]
    fn custom_certificate_is_checked_and_its_key_redacted() {
        let dir = temp_dir("good");
        let spec = custom_tls_spec(&dir, -1, 365, "www.contoso.com");
        let key = std::fs::read_to_string(dir.join("key.pem")).unwrap();
        let Outcome::Planned(text) = plan(&spec) else {
            panic!("a valid certificate must plan");
        };
        assert!(text.contains("\"key\": \"[redacted]\""), "{text}");
        let key_body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(!text.contains(&key_body[..32]), "key material leaked");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn expired_certificate_and_wrong_cname_are_listed_with_the_rest() {
        let dir = temp_dir("bad");
        let spec = custom_tls_spec(&dir, -30, -1, "api.fabrikam.com");
        let outcome = plan(&spec);
        assert_eq!(outcome.exit_code(), 2);
        let Outcome::Invalid(text) = outcome else {
            unreachable!()
        };
        assert!(text.contains("error: tls.cert_file:"), "{text}");
        assert!(text.contains("error: tls.cname:"), "{text}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn unknown_key_is_named() {
        let dir = std::env::temp_dir().join(format!("aml-plan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("typo.yaml");
        std::fs::write(
            &path,
            "workspace: {subscription_id: s, resource_group: r, workspace_name: w}\nname: abc\ncreate: {agnet_count: 3}\n",
        )
        .unwrap();
        let outcome = plan(&path);
        assert_eq!(outcome.exit_code(), 2);
        let Outcome::Invalid(text) = outcome else {
            unreachable!()
        };
        assert!(text.contains("agnet_count"), "{text}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
