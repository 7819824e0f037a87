//! `entente record-paper`: the scanning station of pre-encrypted paper ballots.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use entente_roles::paper::{MarkedPaper, PrintRun};

/// Record marked pre-encrypted ballots as cast (spec 2.0 §4.3): each ballot is regenerated from
/// its primary nonce in the print run, the marked options' vectors are combined and proven,
/// and the ballot is written to RECORD/encrypted_ballots/<device>/. Every mark is checked
/// before anything is written.
#[derive(clap::Args)]
pub struct Args {
    /// The election record.
    #[arg(long)]
    pub record: PathBuf,
    /// The scanning station's id (its directory in the record).
    #[arg(long)]
    pub device: String,
    /// The print run's print_run.json (`entente pre-encrypt`).
    #[arg(long)]
    pub print_run: PathBuf,
    /// The marked ballots: a JSON array of {"ballot_id": …, "marks": {contest id: [short
    /// codes]}}.
    pub marked: PathBuf,
    /// Threads (default: all cores).
    #[arg(long, default_value_t = 0, value_parser = crate::args::threads_in_range)]
    pub threads: usize,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    let run: PrintRun = entente_record::election::read_json(&args.print_run)?;
    let marked: Vec<MarkedPaper> = entente_record::election::read_json(&args.marked)?;
    let written = entente_roles::paper::record_paper(
        &args.record,
        &args.device,
        &run,
        &marked,
        args.threads,
    )?;
    for w in &written {
        println!("{} {}", w.ballot_id, w.confirmation_code.to_hex());
    }
    eprintln!("{} paper ballots recorded", written.len());
    Ok(ExitCode::SUCCESS)
}
