//! The `aml-emulator` binary: the emulator as a standalone server on 127.0.0.1, for tools and
//! SDKs in other languages.
//!
//! ```text
//! cargo run -p aml-emulator -- --port 8443 --https --seed seed.yaml
//! ```
//!
//! It prints the URL it listens on, where it wrote the CA certificate (with `--https`), and
//! what its seed holds, then serves until Ctrl-C (or SIGTERM).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use aml_emulator::{Emulator, Seed, Timings};
use clap::Parser;

/// A local, stateful emulator of the Azure Resource Manager APIs behind Azure Machine Learning
/// AKS computes, on 127.0.0.1.
///
/// It prints the URL it listens on, the admin endpoint, the operation timings and what its seed
/// holds, then serves until Ctrl-C (or SIGTERM).
#[derive(Debug, Parser)]
#[command(name = "aml-emulator", version)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, value_name = "N", default_value_t = 8443)]
    port: u16,
    /// Serve HTTPS with a certificate generated at start; the CA certificate is written to a
    /// file whose path is printed.
    #[arg(long)]
    https: bool,
    /// Where to write ca.pem with --https (default: a new folder in the system's temporary
    /// directory).
    #[arg(long, value_name = "DIR")]
    cert_dir: Option<PathBuf>,
    /// What the emulator holds at start (YAML, or JSON if FILE ends in .json); default: the
    /// standard seed, printed at start.
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Accept only this bearer token (default: any non-empty token).
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// How long every long-running operation takes, in milliseconds (default: create 2000,
    /// others 1000).
    #[arg(long, value_name = "N")]
    operation_ms: Option<u64>,
    /// The polling interval advertised, in milliseconds (default 200, or a fifth of
    /// --operation-ms).
    #[arg(long, value_name = "N")]
    retry_after_ms: Option<u64>,
    /// Computes per list page (default 20).
    #[arg(long, value_name = "N")]
    page_size: Option<usize>,
    /// Print every request on stderr.
    #[arg(short, long)]
    verbose: bool,
}

/// Why the binary stopped with an error (the emulator's own errors, and writing what it prints).
#[derive(Debug, thiserror::Error)]
enum RunError {
    /// The emulator could not start, or the seed could not be read.
    #[error(transparent)]
    Emulator(#[from] aml_emulator::Error),
    /// The folder for the CA certificate could not be created.
    #[error("cannot create the folder {} for the CA certificate", path.display())]
    CertDir {
        /// The folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The CA certificate could not be written.
    #[error("cannot write the CA certificate to {}", path.display())]
    WriteCa {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// What the binary prints could not be written to stdout.
    #[error("cannot write to standard output")]
    Stdout(#[source] std::io::Error),
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
    // `--help` and `--version` print and exit 0; a bad argument prints why and exits 2.
    let args = Args::parse();
    if args.verbose {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::INFO)
            .init();
    }
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&error);
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), RunError> {
    let seed = match &args.seed {
        Some(path) => Seed::from_path(path)?,
        None => Seed::standard(),
    };
    let mut builder = Emulator::builder()
        .port(args.port)
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

    print_banner(&emulator, &timings, args.cert_dir)?;
    stop_signal().await;
    println!("stopping");
    emulator.shutdown().await;
    println!("stopped");
    Ok(())
}

/// Writes the CA certificate (with `--https`) and prints where everything is.
fn print_banner(
    emulator: &Emulator,
    timings: &Timings,
    cert_dir: Option<PathBuf>,
) -> Result<(), RunError> {
    let ca_path = match emulator.ca_certificate_pem() {
        None => None,
        Some(pem) => {
            let dir = cert_dir.unwrap_or_else(|| {
                std::env::temp_dir().join(format!(
                    "aml-emulator-{}-{}",
                    emulator.addr().port(),
                    std::process::id()
                ))
            });
            std::fs::create_dir_all(&dir).map_err(|source| RunError::CertDir {
                path: dir.clone(),
                source,
            })?;
            let path = dir.join("ca.pem");
            std::fs::write(&path, pem).map_err(|source| RunError::WriteCa {
                path: path.clone(),
                source,
            })?;
            Some(path)
        }
    };
    write_banner(
        &mut std::io::stdout().lock(),
        emulator,
        timings,
        ca_path.as_deref(),
    )
    .map_err(RunError::Stdout)
}

fn write_banner(
    out: &mut impl std::io::Write,
    emulator: &Emulator,
    timings: &Timings,
    ca_path: Option<&std::path::Path>,
) -> std::io::Result<()> {
    if let Some(path) = ca_path {
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
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("aml-emulator").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory as _;
        Args::command().debug_assert();
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
            "-v",
        ])
        .unwrap();
        assert_eq!(args.port, 0);
        assert!(args.https);
        assert_eq!(args.seed, Some(PathBuf::from("s.yaml")));
        assert_eq!(args.operation_ms, Some(50));
        assert!(args.verbose);
        let defaults = parse(&[]).unwrap();
        assert_eq!(defaults.port, 8443);
        assert!(!defaults.https && !defaults.verbose);
        assert_eq!(defaults.page_size, None);
    }

    #[test]
    fn bad_arguments_are_explained() {
        use clap::error::ErrorKind;
        let kind = |args: &[&str]| parse(args).map(|_| ()).unwrap_err().kind();
        assert_eq!(kind(&["--port"]), ErrorKind::InvalidValue);
        assert_eq!(kind(&["--port", "x"]), ErrorKind::ValueValidation);
        assert_eq!(kind(&["--bogus"]), ErrorKind::UnknownArgument);
        assert_eq!(kind(&["--help"]), ErrorKind::DisplayHelp);
        assert_eq!(kind(&["-h"]), ErrorKind::DisplayHelp);
    }

    #[test]
    fn errors_do_not_repeat_their_sources() {
        let io = || std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let errors = [
            RunError::Emulator(aml_emulator::Error::ReadSeed {
                path: PathBuf::from("seed.yaml"),
                source: io(),
            }),
            RunError::CertDir {
                path: PathBuf::from("/certs"),
                source: io(),
            },
            RunError::WriteCa {
                path: PathBuf::from("/certs/ca.pem"),
                source: io(),
            },
            RunError::Stdout(io()),
        ];
        for error in &errors {
            assert_eq!(
                aml_model::error::repeated_sentence(error),
                None,
                "{error:?}"
            );
        }
    }
}
