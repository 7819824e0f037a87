//! `entente`: the command line of an Entente election. Each subcommand is one file of
//! `commands/` with its arguments and the function that runs it; this file parses the command
//! line and dispatches. The work is in the libraries: the roles (`entente-roles`), the verifier
//! (`entente-verify`), the server (`entente-server`) and the conformance harness; this crate may
//! depend on every Entente crate and no crate depends on it.

mod args;
mod commands;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

/// Entente: election integrity that rival parties can run together (ElectionGuard 2.0).
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
    /// Trust the servers whose certificates these CA certificates sign (PEM), instead of the
    /// system's roots.
    #[arg(long, global = true, value_name = "FILE")]
    ca: Option<std::path::PathBuf>,
    /// Allow plain HTTP: clients may use http:// URLs, and a server may listen without TLS on
    /// a loopback address. Only for a demo or a test on one machine: across a network, plain
    /// HTTP lets anyone on the path read who writes what and answer in the server's name.
    #[arg(long, global = true)]
    insecure_http: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    // A bad ENTENTE_BACKEND is an error before any work, never a silent fallback.
    let backend = entente_group::Backend::from_env().context("choosing the arithmetic backend")?;
    tracing::debug!(backend = backend.name(), "arithmetic backend");
    let mut trust = entente_roles::net::Trust::system().allow_insecure_http(cli.insecure_http);
    if let Some(ca) = &cli.ca {
        trust = trust.with_ca_file(ca)?;
    }
    entente_roles::net::configure(trust);
    cli.command.exec()
}
