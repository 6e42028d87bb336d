//! The `aml-emulator` binary: the emulator as a standalone server on 127.0.0.1, for tools and
//! SDKs in other languages.
//!
//! ```text
//! cargo run -p aml-emulator -- --port 8443 --https --seed seed.yaml
//! ```
//!
//! It prints the URL it listens on, where it wrote the CA certificate (with `--https`), and
//! what its seed holds, then serves until Ctrl-C (or SIGTERM).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use aml_emulator::{Emulator, Seed, Timings};

const USAGE: &str = "\
usage: aml-emulator [options]

  --port N             port on 127.0.0.1 (default 8443; 0 picks a free one)
  --https              serve HTTPS with a certificate generated at start; the CA certificate
                       is written to a file whose path is printed
  --cert-dir DIR       where to write ca.pem with --https (default: a new folder in the
                       system's temporary directory)
  --seed FILE          what the emulator holds at start (YAML, or JSON if FILE ends in .json);
                       default: the standard seed, printed at start
  --token TOKEN        accept only this bearer token (default: any)
  --operation-ms N     how long every long-running operation takes (default: create 2000,
                       others 1000)
  --retry-after-ms N   the polling interval advertised (default 200, or a fifth of
                       --operation-ms)
  --page-size N        computes per list page (default 20)
  --verbose            print every request on stderr
  --help               this text";

/// The command line.
#[derive(Debug, Default)]
struct Args {
    port: Option<u16>,
    https: bool,
    cert_dir: Option<PathBuf>,
    seed: Option<PathBuf>,
    token: Option<String>,
    operation_ms: Option<u64>,
    retry_after_ms: Option<u64>,
    page_size: Option<usize>,
    verbose: bool,
    help: bool,
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} needs a number, not {value:?}"))
}

impl Args {
    fn parse(mut raw: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut args = Self::default();
        while let Some(arg) = raw.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    (flag.to_owned(), Some(value.to_owned()))
                }
                _ => (arg.clone(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| raw.next())
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag.as_str() {
                "--port" => args.port = Some(number(&flag, &value()?)?),
                "--https" => args.https = true,
                "--cert-dir" => args.cert_dir = Some(PathBuf::from(value()?)),
                "--seed" => args.seed = Some(PathBuf::from(value()?)),
                "--token" => args.token = Some(value()?),
                "--operation-ms" => args.operation_ms = Some(number(&flag, &value()?)?),
                "--retry-after-ms" => args.retry_after_ms = Some(number(&flag, &value()?)?),
                "--page-size" => args.page_size = Some(number(&flag, &value()?)?),
                "--verbose" | "-v" => args.verbose = true,
                "--help" | "-h" => args.help = true,
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(args)
    }
}

/// Prints an error and its causes.
fn report(error: &dyn std::error::Error) {
    eprintln!("aml-emulator: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        source = cause.source();
    }
}

/// Waits for Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("aml-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if args.verbose {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::INFO)
            .init();
    }
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(error.as_ref());
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let seed = match &args.seed {
        Some(path) => Seed::from_path(path)?,
        None => Seed::standard(),
    };
    let mut builder = Emulator::builder()
        .port(args.port.unwrap_or(8443))
        .https(args.https)
        .seed(seed);
    if let Some(token) = args.token {
        builder = builder.token(token);
    }
    let mut timings = Timings::default();
    if let Some(ms) = args.operation_ms {
        timings = Timings::uniform(Duration::from_millis(ms));
    }
    if let Some(ms) = args.retry_after_ms {
        timings.retry_after = Duration::from_millis(ms);
    }
    builder = builder.timings(timings);
    if let Some(page_size) = args.page_size {
        builder = builder.page_size(page_size);
    }
    let emulator = builder.start().await?;

    let mut out = std::io::stdout().lock();
    if let Some(pem) = emulator.ca_certificate_pem() {
        let dir = args.cert_dir.unwrap_or_else(|| {
            std::env::temp_dir().join(format!(
                "aml-emulator-{}-{}",
                emulator.addr().port(),
                std::process::id()
            ))
        });
        std::fs::create_dir_all(&dir)
            .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
        let path = dir.join("ca.pem");
        std::fs::write(&path, pem)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
        writeln!(out, "CA certificate (PEM): {}", path.display())?;
        writeln!(
            out,
            "  trust it, e.g. REQUESTS_CA_BUNDLE={0} or SSL_CERT_FILE={0}",
            path.display()
        )?;
    }
    writeln!(
        out,
        "aml-emulator {} listening on {}",
        env!("CARGO_PKG_VERSION"),
        emulator.base_url()
    )?;
    writeln!(
        out,
        "admin endpoint: {}",
        emulator.url(aml_emulator::ADMIN_PREFIX)
    )?;
    writeln!(
        out,
        "operations: create {} ms, attach {} ms, update {} ms, delete {} ms; polls every {} ms",
        timings.create.as_millis(),
        timings.attach.as_millis(),
        timings.update.as_millis(),
        timings.delete.as_millis(),
        timings.retry_after.as_millis()
    )?;
    writeln!(out, "seed:")?;
    for line in emulator.seed().describe().lines() {
        writeln!(out, "  {line}")?;
    }
    writeln!(out, "press Ctrl-C to stop")?;
    out.flush()?;
    drop(out);

    stop_signal().await;
    println!("stopping");
    emulator.shutdown().await;
    println!("stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        Args::parse(args.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn flags_take_values_separately_or_inline() {
        let args = parse(&[
            "--port",
            "0",
            "--https",
            "--seed=s.yaml",
            "--operation-ms",
            "50",
        ])
        .unwrap();
        assert_eq!(args.port, Some(0));
        assert!(args.https);
        assert_eq!(args.seed, Some(PathBuf::from("s.yaml")));
        assert_eq!(args.operation_ms, Some(50));
    }

    #[test]
    fn bad_arguments_are_explained() {
        assert!(parse(&["--port"]).unwrap_err().contains("needs a value"));
        assert!(
            parse(&["--port", "x"])
                .unwrap_err()
                .contains("needs a number")
        );
        assert!(
            parse(&["--bogus"])
                .unwrap_err()
                .contains("unknown argument")
        );
    }
}
