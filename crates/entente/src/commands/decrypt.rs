//! `entente decrypt commit|respond|combine`: the tally's decryption by hand, from files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use entente_roles::{decrypt, record};

use crate::args::{Passphrase, Threads, progress};

#[derive(clap::Subcommand)]
pub enum Step {
    /// Round 1, run by each guardian present: check that the encrypted tally is the product of
    /// the record's cast ballots, then publish this guardian's partial decryptions and
    /// commitments in RECORD/decryption/. Its nonces are sealed beside the secret file.
    Commit {
        #[command(flatten)]
        guardian: GuardianArgs,
    },
    /// Round 2, run by each guardian once a quorum has committed: compute the joint challenges
    /// from every commitment and publish this guardian's answers (its nonces are then erased).
    Respond {
        #[command(flatten)]
        guardian: GuardianArgs,
    },
    /// Check every guardian's answers against its commitments and public share, combine them
    /// with the Lagrange coefficients of the guardians present, and write RECORD/tally.json and
    /// RECORD/challenged_ballots/dballot-<id>.json. Needs no secret; anyone can run it.
    Combine {
        /// The election record directory.
        #[arg(long)]
        record: PathBuf,
        #[command(flatten)]
        threads: Threads,
    },
}

/// A guardian's record and sealed secret.
#[derive(clap::Args)]
pub struct GuardianArgs {
    /// The election record directory.
    #[arg(long)]
    record: PathBuf,
    /// The guardian's secret file (age, passphrase-encrypted).
    #[arg(long)]
    guardian: PathBuf,
    #[command(flatten)]
    passphrase: Passphrase,
    #[command(flatten)]
    threads: Threads,
}

impl GuardianArgs {
    fn secret(&self) -> decrypt::GuardianSecret<'_> {
        decrypt::GuardianSecret {
            path: &self.guardian,
            passphrase_file: self.passphrase.passphrase_file.as_deref(),
        }
    }
}

pub fn exec(step: Step) -> Result<ExitCode> {
    match step {
        Step::Commit { guardian: g } => {
            let i = decrypt::commit(&g.record, &g.secret(), *g.threads, progress())?;
            println!("guardian {i} committed (round 1)");
        }
        Step::Respond { guardian: g } => {
            let (i, answered) = decrypt::respond(&g.record, &g.secret(), *g.threads, progress())?;
            println!("guardian {i} responded (round 2), with guardians {answered:?}");
        }
        Step::Combine { record, threads } => {
            let out = decrypt::combine(&record, *threads, progress())?;
            println!(
                "Decrypted by guardians {:?} (absent: {:?}); every share's proof checked\n",
                out.present, out.absent
            );
            print!("{}", out.table);
            println!(
                "\n{} challenged ballots decrypted; written to {} and {}",
                out.challenged,
                record.join(record::TALLY).display(),
                record.join(record::CHALLENGED).display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
