//! The `aml` binary: parses the command line, runs it, prints a failure and exits with its
//! code (see `aml --help` and the crate README).

use std::process::ExitCode;

use aml_cli::Exit;
use clap::Parser as _;

fn main() -> ExitCode {
    // `--help` and `--version` print and exit 0; a usage error prints why and exits 2.
    let cli = aml_cli::Cli::parse();
    let json = cli.json();
    let stats = cli.stats();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("aml: cannot start the async runtime: {e}");
            return ExitCode::from(Exit::Runtime.code());
        }
    };
    let outcome = runtime.block_on(aml_cli::run(cli));
    if stats {
        eprintln!(
            "stats: peak_rss_kib={}",
            peak_rss_kib().map_or_else(|| "-".to_owned(), |k| k.to_string())
        );
    }
    match outcome {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(failure) => {
            if json {
                eprintln!("{}", failure.to_json());
            } else {
                eprintln!("aml: {failure}");
                if let Some(token) = failure.resume_token() {
                    eprintln!("resume with: aml wait {token}");
                }
            }
            ExitCode::from(failure.exit().code())
        }
    }
}

/// The process's peak resident memory (`VmHWM` of `/proc/self/status`), in KiB, on Linux.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
