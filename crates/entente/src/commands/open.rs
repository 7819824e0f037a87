//! `entente open`: open a challenged ballot with its revealed nonce.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

/// Open a challenged ballot with the primary nonce the device revealed, after checking its
/// proofs and confirmation code, and print the choices it encrypted.
#[derive(clap::Args)]
pub struct Args {
    /// The challenged ballot (eballot-<id>.json).
    pub ballot: PathBuf,
    /// The election record directory.
    #[arg(long)]
    pub record: PathBuf,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    print!("{}", entente_roles::open::run(&args.ballot, &args.record)?);
    Ok(ExitCode::SUCCESS)
}
