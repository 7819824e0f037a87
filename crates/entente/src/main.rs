//! `entente`: the command line of an Entente election.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use entente::{bench, demo, testvectors};

/// Entente: election integrity that rival parties can run together (ElectionGuard 2.0).
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an election end to end in one process (for now: the key ceremony) and print K and H_E.
    Demo {
        /// Number of guardians n.
        #[arg(long, default_value_t = 5)]
        guardians: u32,
        /// Quorum k: how many guardians are needed to decrypt (1 <= k <= n).
        #[arg(long, default_value_t = 3)]
        quorum: u32,
    },
    /// Check every *TestVector.json in DIR: one PASS/FAIL/SKIP line per file, then a summary.
    /// Exit status 0 when nothing failed, 1 when something failed, 2 when DIR cannot be read.
    Testvectors {
        /// Directory holding ElectionGuard test-vector files.
        dir: PathBuf,
    },
    /// Measure the group operations in modexp-equivalents (one variable-base 4096-bit
    /// exponentiation with a 256-bit exponent = 1), all in one run.
    Bench {
        /// Multiply the number of repetitions (1 takes about ten seconds).
        #[arg(long, default_value_t = 1)]
        scale: usize,
    },
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
    match cli.command {
        Command::Demo { guardians, quorum } => {
            let outcome = demo::run(guardians, quorum)?;
            print!("{}", demo::report(&outcome));
            Ok(ExitCode::SUCCESS)
        }
        Command::Testvectors { dir } => {
            let files = testvectors::vector_files(&dir)?;
            let mut results = Vec::with_capacity(files.len());
            for file in &files {
                let result = testvectors::check_file(file);
                println!("{result}");
                if let Some(note) = result.layout_note() {
                    eprintln!("{note}");
                }
                results.push(result);
            }
            let (passed, failed, skipped) = testvectors::summary(&results);
            println!("{passed} passed, {failed} failed, {skipped} skipped");
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Bench { scale } => {
            eprintln!("measuring (about {} s)…", 10 * scale.max(1));
            print!("{}", bench::report(&bench::run(scale)));
            Ok(ExitCode::SUCCESS)
        }
    }
}
