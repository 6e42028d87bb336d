//! Recovers the TLS certificate and key of an Azure ML inference cluster from a saved
//! `kubectl get secret/azuremlfessl -o yaml` (or `-o json`) output: decodes them, checks them,
//! prints a summary and writes `cert.pem` and `key.pem`, ready for re-attaching the cluster with
//! TLS after a detach (requirements R19 and R22).
//!
//! ```text
//! kubectl get secret/azuremlfessl -o yaml > azuremlfessl.yaml
//! cargo run -p aml-examples --example recover_tls -- azuremlfessl.yaml --cname api.contoso.com --out recovered
//! cargo run -p aml-examples --example recover_tls      # no file: recovers a generated sample
//! ```
//!
//! Without a file, it writes a throwaway sample secret to a temporary directory and recovers
//! that. The sample's certificate and key are generated at run time with rcgen, so no private key
//! is ever committed. The recovered files go to `--out` (default: `recovered` next to the input);
//! the key file is created with mode 600 on Unix. Exit status: 0 when every check passes, 2 when
//! a check fails (the files are still written so they can be inspected), 1 when the input cannot
//! be read or parsed or the files cannot be written. Nothing is sent anywhere.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aml_compute::describe_error;
use aml_tls::{CheckOptions, Duration, OffsetDateTime, RecoveredSecret};

/// Command-line arguments.
#[derive(Debug, Default, PartialEq, Eq)]
struct Args {
    input: Option<PathBuf>,
    cname: Option<String>,
    out: Option<PathBuf>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--cname" => parsed.cname = Some(args.next().ok_or("--cname needs a host name")?),
            "--out" => parsed.out = Some(args.next().ok_or("--out needs a directory")?.into()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ if parsed.input.is_none() => parsed.input = Some(arg.into()),
            _ => return Err(format!("unexpected argument {arg}")),
        }
    }
    Ok(parsed)
}

/// The outcome of one recovery.
enum Outcome {
    /// Recovered and written; `passed` tells whether every check passed.
    Recovered { text: String, passed: bool },
    /// The input could not be read or parsed, or the files could not be written.
    Failed(String),
}

/// Reads `input`, checks the material at `options`, writes it to `out_dir` and describes it all.
fn recover(input: &Path, out_dir: &Path, options: &CheckOptions) -> Outcome {
    let secret = match RecoveredSecret::read(input) {
        Ok(secret) => secret,
        Err(err) => return Outcome::Failed(format!("error: {}", describe_error(&err))),
    };
    let mut text = summary(input, &secret);
    let report = secret.report(options);
    let _ = writeln!(text, "checks at {}:", rfc3339(options.now));
    for line in report.to_string().lines() {
        let _ = writeln!(text, "  {line}");
    }
    match write_files(&secret, out_dir) {
        Ok((cert_path, key_path)) => {
            let _ = writeln!(
                text,
                "wrote {} (certificate chain, leaf first)",
                cert_path.display()
            );
            let _ = writeln!(
                text,
                "wrote {} (private key; keep it secret)",
                key_path.display()
            );
        }
        Err(err) => {
            let _ = writeln!(
                text,
                "error: could not write to {}: {err}",
                out_dir.display()
            );
            return Outcome::Failed(text);
        }
    }
    let cname = options
        .cname
        .clone()
        .unwrap_or_else(|| "<your CNAME>".to_owned());
    let _ = writeln!(
        text,
        "next: detach the compute, then attach it again with TLS from these files and CNAME {cname}"
    );
    Outcome::Recovered {
        text,
        passed: report.is_ok(),
    }
}

/// What the secret holds, as people read it.
fn summary(input: &Path, secret: &RecoveredSecret) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "secret {} (namespace {}) from {}",
        secret.name().unwrap_or("<unnamed>"),
        secret.namespace().unwrap_or("<none>"),
        input.display()
    );
    let chain = secret.chain();
    let _ = writeln!(
        text,
        "certificate chain: {} certificate(s), leaf first",
        chain.len()
    );
    for (index, certificate) in chain.certificates().iter().enumerate() {
        let info = certificate.info();
        let _ = writeln!(text, "  [{index}] {}", info.subject);
        let _ = writeln!(text, "      issuer:      {}", info.issuer);
        let names = if info.dns_names.is_empty() {
            "(none)".to_owned()
        } else {
            info.dns_names.join(", ")
        };
        let _ = writeln!(text, "      DNS names:   {names}");
        let _ = writeln!(
            text,
            "      valid:       {} to {}",
            rfc3339(info.not_before),
            rfc3339(info.not_after)
        );
        let _ = writeln!(text, "      key:         {}", info.key);
        let _ = writeln!(
            text,
            "      self-signed: {}, CA: {}",
            yes_no(info.self_signed),
            yes_no(info.is_ca)
        );
        let _ = writeln!(
            text,
            "      SHA-256:     {}",
            certificate.sha256_fingerprint()
        );
    }
    let key = secret.key();
    let _ = writeln!(
        text,
        "private key: {}, {}, matches the leaf: {}",
        key.format(),
        key.info(),
        yes_no(key.matches(chain.leaf()))
    );
    text
}

/// `2030-01-15T08:21:03Z`, as kubectl and certificates print times (UTC inputs).
fn rfc3339(at: OffsetDateTime) -> String {
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        at.date(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// Writes `cert.pem` and `key.pem` (mode 600 on Unix) into `out_dir`.
fn write_files(secret: &RecoveredSecret, out_dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(out_dir)?;
    let cert_path = out_dir.join("cert.pem");
    std::fs::write(&cert_path, secret.chain().to_pem())?;

    let key_path = out_dir.join("key.pem");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&key_path)?;
    file.write_all(secret.key().to_pem().as_bytes())?;
    Ok((cert_path, key_path))
}

/// A throwaway `kubectl get secret/azuremlfessl -o yaml` output, generated now: an issuing CA
/// and a leaf for `host`, valid from a day ago for 90 days. Returns the file written.
fn write_sample(dir: &Path, host: &str, now: OffsetDateTime) -> std::io::Result<PathBuf> {
    use base64::Engine as _;
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, PKCS_ECDSA_P256_SHA256,
        PKCS_RSA_SHA256, RsaKeySize,
    };

    let invalid = |err: rcgen::Error| std::io::Error::other(err.to_string());
    let validity = |params: &mut CertificateParams| {
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(90);
    };

    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(invalid)?;
    let mut ca_params = CertificateParams::new(Vec::new()).map_err(invalid)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Sample Issuing CA (throwaway)");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    validity(&mut ca_params);
    let ca_cert = ca_params.self_signed(&ca_key).map_err(invalid)?;
    let issuer = Issuer::new(ca_params, &ca_key);

    let leaf_key =
        KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048).map_err(invalid)?;
    let mut leaf_params = CertificateParams::new(vec![host.to_owned()]).map_err(invalid)?;
    leaf_params.distinguished_name = rcgen::DistinguishedName::new();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, host);
    validity(&mut leaf_params);
    let leaf_cert = leaf_params.signed_by(&leaf_key, &issuer).map_err(invalid)?;

    let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    let cert_pem = format!("{}{}", leaf_cert.pem(), ca_cert.pem());
    let key_pem = zeroize::Zeroizing::new(leaf_key.serialize_pem());
    let yaml = format!(
        "# Throwaway sample written by the recover_tls example: its key was generated a moment\n\
         # ago for this demonstration only and protects nothing. Never commit a real secret.\n\
         apiVersion: v1\n\
         data:\n  cert.pem: {}\n  key.pem: {}\n\
         kind: Secret\n\
         metadata:\n  creationTimestamp: \"{}\"\n  name: azuremlfessl\n  namespace: default\n\
         type: Opaque\n",
        b64(&cert_pem),
        b64(&key_pem),
        rfc3339(now),
    );
    std::fs::create_dir_all(dir)?;
    let path = dir.join("azuremlfessl.yaml");
    std::fs::write(&path, yaml)?;
    Ok(path)
}

/// Host name of the generated sample (the shape of a Microsoft-generated leaf domain).
const SAMPLE_HOST: &str = "contoso-a1b2c3.eastus.cloudapp.azure.com";

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!(
                "error: {message}\nusage: recover_tls [SECRET.yaml|SECRET.json] [--cname HOST] [--out DIR]"
            );
            return ExitCode::from(1);
        }
    };
    let now = OffsetDateTime::now_utc();
    let (input, cname) = if let Some(input) = args.input {
        (input, args.cname)
    } else {
        let dir = std::env::temp_dir().join(format!("aml-recover-tls-{}", std::process::id()));
        match write_sample(&dir, SAMPLE_HOST, now) {
            Ok(path) => {
                println!("no file given: recovering a generated sample");
                let cname = args.cname.unwrap_or_else(|| SAMPLE_HOST.to_owned());
                (path, Some(cname))
            }
            Err(err) => {
                eprintln!("error: could not write the sample: {err}");
                return ExitCode::from(1);
            }
        }
    };
    let out = args.out.unwrap_or_else(|| {
        input
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("recovered")
    });
    let mut options = CheckOptions::new(now);
    options.cname = cname;
    match recover(&input, &out, &options) {
        Outcome::Recovered { text, passed } => {
            print!("{text}");
            if passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        }
        Outcome::Failed(text) => {
            eprint!("{text}");
            if !text.ends_with('\n') {
                eprintln!();
            }
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "aml-recover-tls-test-{name}-{}",
                std::process::id()
            ));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_generated_sample_is_recovered_checked_and_written() {
        let dir = TempDir::new("sample");
        let now = OffsetDateTime::now_utc();
        let input = write_sample(&dir.0, SAMPLE_HOST, now).unwrap();
        let out = dir.0.join("recovered");
        let options = CheckOptions::new(now).with_cname(SAMPLE_HOST);
        let Outcome::Recovered { text, passed } = recover(&input, &out, &options) else {
            panic!("the sample must be recovered");
        };
        assert!(passed, "{text}");
        assert!(
            text.contains("secret azuremlfessl (namespace default)"),
            "{text}"
        );
        assert!(
            text.contains("certificate chain: 2 certificate(s)"),
            "{text}"
        );
        assert!(text.contains("matches the leaf: yes"), "{text}");
        assert!(text.contains("  no problems"), "{text}");

        let chain = aml_tls::CertificateChain::read(out.join("cert.pem")).unwrap();
        let key = aml_tls::PrivateKey::read(out.join("key.pem")).unwrap();
        assert!(key.matches(chain.leaf()));
        assert_eq!(chain.leaf().info().dns_names, [SAMPLE_HOST]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(out.join("key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_failed_check_still_writes_the_files_and_reports_it() {
        let dir = TempDir::new("expired");
        let then = OffsetDateTime::now_utc() - Duration::days(365);
        let input = write_sample(&dir.0, SAMPLE_HOST, then).unwrap();
        let options = CheckOptions::new(OffsetDateTime::now_utc());
        let Outcome::Recovered { text, passed } = recover(&input, &dir.0.join("out"), &options)
        else {
            panic!("an expired sample is still recovered");
        };
        assert!(!passed);
        assert!(text.contains("[tls.expired]"), "{text}");
        assert!(dir.0.join("out").join("key.pem").exists());
    }

    #[test]
    fn an_unreadable_input_names_the_file() {
        let missing = Path::new("/nonexistent/azuremlfessl.yaml");
        let Outcome::Failed(text) = recover(
            missing,
            Path::new("unused"),
            &CheckOptions::new(OffsetDateTime::now_utc()),
        ) else {
            panic!("a missing file cannot be recovered");
        };
        assert!(
            text.starts_with("error: could not read /nonexistent/azuremlfessl.yaml"),
            "{text}"
        );
    }

    #[test]
    fn arguments_are_parsed() {
        let args = |list: &[&str]| parse_args(list.iter().map(|s| (*s).to_owned()));
        assert_eq!(args(&[]).unwrap(), Args::default());
        assert_eq!(
            args(&["s.yaml", "--cname", "api.contoso.com", "--out", "dir"]).unwrap(),
            Args {
                input: Some("s.yaml".into()),
                cname: Some("api.contoso.com".into()),
                out: Some("dir".into()),
            }
        );
        assert!(args(&["--bogus"]).is_err());
        assert!(args(&["a", "b"]).is_err());
        assert!(args(&["--cname"]).is_err());
    }
}
