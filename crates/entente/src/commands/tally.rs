//! `entente tally`: check every ballot of a record and multiply the cast ones.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use entente_roles::{record, tally};

use crate::args::{Threads, progress};

/// Check every encrypted ballot of the record (election, ballot style, proofs, contest
/// hashes, confirmation code) on all cores and multiply the cast ones into the encrypted
/// tally (spec 2.0 §3.5), written as RECORD/encrypted_tally.json. A ballot that fails, or
/// whose id occurs twice, is named and not counted; the exit status is then 1.
#[derive(clap::Args)]
pub struct Args {
    /// The election record directory.
    #[arg(long)]
    pub record: PathBuf,
    /// The tally's name in the record.
    #[arg(long, default_value = "tally")]
    pub tally_id: String,
    #[command(flatten)]
    pub threads: Threads,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    let agg = tally::run(&tally::TallyOptions {
        record: args.record.clone(),
        tally_id: args.tally_id,
        threads: *args.threads,
        progress: progress(),
    })?;
    for r in &agg.refused {
        eprintln!("refused {}: {}", r.file.display(), r.reason);
    }
    println!(
        "{} cast ballots counted, {} challenged ballots set aside for decryption, {} refused; \
         checked in {:.2} s on {} threads; written to {}",
        agg.counted,
        agg.challenged,
        agg.refused.len(),
        agg.time.as_secs_f64(),
        agg.threads,
        args.record.join(record::ENCRYPTED_TALLY).display()
    );
    Ok(if agg.refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
