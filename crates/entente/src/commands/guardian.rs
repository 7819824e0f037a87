//! `entente guardian join|ceremony|decrypt`: a guardian on the network.

use std::process::ExitCode;

use anyhow::Result;
use entente_roles::guardian::{self, CeremonyOutcome, DecryptDone};

use crate::args::Net;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Make this guardian's secret polynomial (once, sealed in STATE/guardian.age) and publish
    /// its commitments with Schnorr proofs (spec 2.0 §3.2.1).
    Join {
        #[command(flatten)]
        net: Net,
    },
    /// Run this guardian's whole key ceremony: join if needed, check every key, send each other
    /// guardian its share encrypted to it, check the shares received and publish the verdict
    /// (naming any guardian whose share fails), then check the joint key. Exit status 1 if the
    /// ceremony stopped on a complaint.
    Ceremony {
        #[command(flatten)]
        net: Net,
    },
    /// Decrypt with the other guardians once the tally is on the log: check every logged
    /// ballot (proofs, membership, codes) and that the tally is the product of the cast ones,
    /// reading each ballot once, then commit, and answer the joint challenges if the
    /// administrator chose this guardian.
    Decrypt {
        #[command(flatten)]
        net: Net,
        /// Do not check each logged ballot's proofs: rely on the server, which checks every
        /// ballot before it logs it. A ballot it should have refused is then named only by
        /// `entente verify`, after the decryption. The tally is still checked to be the
        /// product of the logged cast ballots.
        #[arg(long)]
        trust_server_checks: bool,
        /// Play a fault on purpose, for a drill: answer wrongly, or never answer (the others
        /// then finish without this guardian, and name it).
        #[arg(long, value_enum, hide = true)]
        drill: Option<guardian::Drill>,
    },
}

pub fn exec(command: Command) -> Result<ExitCode> {
    match command {
        Command::Join { net } => {
            let i = guardian::join(&net.guardian()?)?;
            println!("guardian {i} joined: its key is on the log");
        }
        Command::Ceremony { net } => match guardian::ceremony(&net.guardian()?)? {
            CeremonyOutcome::Done(done) => println!(
                "guardian {}: key ceremony done; K and H_E = {} checked",
                done.index, done.extended_base_hash
            ),
            CeremonyOutcome::Stopped(accusations) => {
                eprintln!(
                    "error: the key ceremony stopped; the evidence is on the log:\n  {}",
                    accusations.join("\n  ")
                );
                return Ok(ExitCode::FAILURE);
            }
        },
        Command::Decrypt {
            net,
            trust_server_checks,
            drill,
        } => match guardian::decrypt(
            &guardian::GuardianOptions {
                check_ballots: !trust_server_checks,
                ..net.guardian()?
            },
            drill,
        )? {
            DecryptDone::Excluded { index, why } => {
                println!("guardian {index} (drill) was left out: {why}")
            }
            DecryptDone::Responded { index, set } => {
                println!("guardian {index} decrypted with guardians {set:?}")
            }
            DecryptDone::NotChosen { index, set } => println!(
                "guardian {index} committed; the decryption went ahead with guardians {set:?}"
            ),
        },
    }
    Ok(ExitCode::SUCCESS)
}
