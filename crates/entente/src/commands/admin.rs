//! `entente admin create|print-run|tally`: the administrator's steps on the network.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use entente_roles::protocol::RolesFile;
use entente_roles::{admin, election};

use crate::args::Net;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Publish the election (manifest, configuration for the roles' guardians with quorum k),
    /// wait for the guardians' key ceremony and publish the joint key.
    Create {
        #[command(flatten)]
        net: Net,
        /// The manifest (ElectionGuard JSON; default: the demo's).
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Quorum k.
        #[arg(long)]
        quorum: u32,
        /// The group of the election: `p4096`, ElectionGuard 2.0's standard 4096-bit group
        /// (its record in egk's 2.0 layout), or `p256`, the NIST P-256 curve as egk-ec runs
        /// it (its record in egk-ec's 2.1 layout; elements of 33 bytes instead of 512). Every
        /// other party takes the group from the election the log holds.
        #[arg(long, value_enum, default_value_t = crate::args::GroupArg::P4096)]
        group: crate::args::GroupArg,
        /// B_aux,0 of the confirmation-code chains.
        #[arg(long, default_value = "entente")]
        baux0: String,
        /// Publish the election and return without waiting for the ceremony.
        #[arg(long)]
        no_wait: bool,
        /// The election's definition of who writes and cosigns, as the administrator decided
        /// it: a roles file (administrator, guardians, devices, witnesses, and `styles`:
        /// device name → the ballot styles it may issue; a device left out issues every style
        /// of the manifest; `scanners`: the devices that are scanning stations of paper
        /// ballots). The server refuses it unless its own roles agree. Default: the roles the
        /// board's operator logged.
        #[arg(long)]
        roles: Option<PathBuf>,
    },
    /// Commit a print run of pre-encrypted paper ballots on the log (`print_run.json` of
    /// `entente pre-encrypt`): each ballot's id, style and confirmation code, never its
    /// nonce. Scanning stations may record only committed ballots, each once.
    PrintRun {
        #[command(flatten)]
        net: Net,
        /// The print run's file.
        print_run: PathBuf,
    },
    /// Close the ballot box, publish the encrypted tally, fix the decrypting guardians (when
    /// --guardians of them have committed, or at the timeout if at least k have), combine their
    /// answers and publish the result; prints the result table.
    Tally {
        #[command(flatten)]
        net: Net,
        /// The tally's name in the record.
        #[arg(long, default_value = "tally")]
        tally_id: String,
        /// How many committed guardians to wait for (default: all n).
        #[arg(long)]
        guardians: Option<usize>,
    },
}

pub fn exec(command: Command) -> Result<ExitCode> {
    match command {
        Command::Create {
            net,
            manifest,
            quorum,
            group,
            baux0,
            no_wait,
            roles,
        } => {
            let roles = roles
                .map(|p| -> Result<RolesFile> {
                    let text = std::fs::read(&p)
                        .with_context(|| format!("cannot read {}", p.display()))?;
                    serde_json::from_slice(&text)
                        .with_context(|| format!("{} is not a roles file", p.display()))
                })
                .transpose()?;
            let bytes = match &manifest {
                Some(p) => {
                    std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?
                }
                None => election::DEMO_MANIFEST.as_bytes().to_vec(),
            };
            let admin_options = net.admin()?;
            match admin::create(
                &admin_options,
                &bytes,
                quorum,
                group.kind(),
                &baux0,
                roles.as_ref(),
                !no_wait,
            )? {
                Some(h_e) => println!("election initialized: H_E = {h_e}"),
                None => println!("election published; the guardians' ceremony is next"),
            }
        }
        Command::PrintRun { net, print_run } => {
            let run: entente_roles::paper::PrintRun =
                entente_record::election::read_json(&print_run)?;
            let indices = admin::commit_print_run(&net.admin()?, &run)
                .with_context(|| format!("the print run {}", print_run.display()))?;
            println!(
                "print run of {} ballots committed at log entries {indices:?}",
                run.ballots.len()
            );
        }
        Command::Tally {
            net,
            tally_id,
            guardians,
        } => {
            let t = admin::tally(&net.admin()?, &tally_id, guardians)?;
            print!("{}", t.table);
            println!(
                "{} cast ballots counted, {} challenged ballots decrypted, by guardians {:?} \
                 (absent: {:?})",
                t.counted, t.challenged, t.present, t.absent
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
