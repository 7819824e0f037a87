//! `entente encrypt`: an encryption device without the network, writing into a record.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use entente_record::ballot::BallotState;
use entente_roles::encrypt::{self, Challenge, EncryptOptions};

use crate::args::{RecordDevice, Threads, progress};

/// Encrypt plaintext ballots as an encryption device: check each against the manifest,
/// encrypt on all cores, chain the confirmation codes, and write
/// RECORD/encrypted_ballots/DEVICE/eballot-<id>.json and the device's ballot_chain.json.
/// Prints one line per ballot: id, CAST or CHALLENGED, confirmation code.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub at: RecordDevice,
    /// Challenge this ballot instead of casting it (repeatable); its primary nonce is
    /// published so that the voter can open it.
    #[arg(long = "challenge", value_name = "BALLOT_ID")]
    pub challenge: Vec<String>,
    /// Challenge the ballots whose ids this file lists, one per line.
    #[arg(long, value_name = "FILE")]
    pub challenge_list: Option<PathBuf>,
    /// Challenge every ballot of this run.
    #[arg(long, conflicts_with_all = ["challenge", "challenge_list"])]
    pub challenge_all: bool,
    /// Plaintext ballot files (pballot-*.json), or directories of them.
    #[arg(required = true)]
    pub ballots: Vec<PathBuf>,
    #[command(flatten)]
    pub threads: Threads,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    let mut challenge = args.challenge;
    if let Some(list) = args.challenge_list {
        let text = std::fs::read_to_string(&list)
            .with_context(|| format!("cannot read {}", list.display()))?;
        challenge.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        );
    }
    let report = encrypt::run(&EncryptOptions {
        record: args.at.record,
        device: args.at.device,
        inputs: args.ballots,
        challenge: Challenge::of(args.challenge_all, challenge),
        threads: *args.threads,
        progress: progress(),
    })?;
    for b in &report.ballots {
        let state = match b.state {
            BallotState::Cast => "CAST",
            BallotState::Challenged => "CHALLENGED",
        };
        println!("{} {state} {}", b.ballot_id, b.confirmation_code);
    }
    eprintln!(
        "{} ballots encrypted in {:.2} s on {} threads ({:.1} ballots/s), written to {}",
        report.ballots.len(),
        report.encrypt_time.as_secs_f64(),
        report.threads,
        report.ballots.len() as f64 / report.encrypt_time.as_secs_f64().max(1e-9),
        report.device_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
