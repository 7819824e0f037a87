//! `entente device`: an encryption device on the network.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use entente_roles::device;
use entente_roles::encrypt::Challenge;

use crate::args::{Passphrase, Server, Threads, progress};

/// An encryption device on the network: fetch the election's setup from the server,
/// encrypt the plaintext ballots (files or directories of pballot-*.json) with this
/// device's confirmation-code chain (kept in --state), submit each in an envelope signed
/// with the device's key, and check each receipt's inclusion proof against a checkpoint
/// signed by the log. Prints one line per ballot: id, confirmation code, board index.
/// Without ballots it submits what an earlier run left pending.
///
/// With --pre-encrypted PRINT_RUN it is a scanning station (the election's definition must
/// name it so): its inputs are marked paper ballots (files of {"ballot_id": …, "marks":
/// {contest id: [short codes]}}, one or an array each), recorded from the print run's nonces
/// (spec 2.0 §4.3) and submitted; the board takes only ballots of a print run it holds.
#[derive(clap::Args)]
pub struct Args {
    /// The device's key file (`entente keygen --name DEVICE`; the name is the device's id).
    #[arg(long)]
    pub key: PathBuf,
    /// The device's state directory (setup, chain, what was submitted).
    #[arg(long)]
    pub state: PathBuf,
    /// A ballot the voter challenged instead of casting (repeatable).
    #[arg(long = "challenge", value_name = "BALLOT_ID")]
    pub challenge: Vec<String>,
    /// Every ballot is challenged.
    #[arg(long, conflicts_with = "challenge")]
    pub challenge_all: bool,
    /// Ballots submitted at once (the server checks them on its cores meanwhile).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub in_flight: u16,
    /// Then close this device: post its signed chain (`ballot_chain.json`, closed with
    /// eq. (61) where the election chains codes), listing every ballot it submitted, so
    /// that none can vanish from the log unnoticed; it submits no ballot after.
    #[arg(long)]
    pub close: bool,
    /// Plaintext ballots: files, directories of pballot-*.json, or - for stdin (a JSON
    /// array of ballots, or one ballot per line); with --pre-encrypted, marked paper ballots.
    pub ballots: Vec<PathBuf>,
    /// Be a scanning station of this print run (`print_run.json` of `entente pre-encrypt`):
    /// record the marked paper ballots given instead of encrypting plaintext ones.
    #[arg(long, value_name = "PRINT_RUN", conflicts_with_all = ["challenge", "challenge_all"])]
    pub pre_encrypted: Option<PathBuf>,
    #[command(flatten)]
    pub board: Server,
    #[command(flatten)]
    pub passphrase: Passphrase,
    #[command(flatten)]
    pub threads: Threads,
    /// Seconds the whole run may take (no request outlasts them; a server that never answers
    /// is named); what was acknowledged by then is kept, the rest stays pending for the next
    /// run. Default: no bound but 120 s for each request.
    #[arg(long)]
    pub timeout: Option<u64>,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    let key = args.passphrase.open_key(&args.key, "device")?;
    let acked = device::run(
        key,
        &device::DeviceOptions {
            server: args.board.server,
            state: args.state,
            log_key: args.board.log,
            inputs: args.ballots,
            pre_encrypted: args.pre_encrypted,
            challenge: Challenge::of(args.challenge_all, args.challenge),
            threads: *args.threads,
            progress: progress(),
            in_flight: usize::from(args.in_flight),
            close: args.close,
            deadline: args
                .timeout
                .map(|t| std::time::Instant::now() + std::time::Duration::from_secs(t)),
        },
    )?;
    for a in &acked {
        println!(
            "{} {} index {} (proven in checkpoint {})",
            a.ballot_id, a.confirmation_code, a.index, a.checkpoint_size
        );
    }
    eprintln!("{} ballots submitted and proven on the board", acked.len());
    Ok(ExitCode::SUCCESS)
}
