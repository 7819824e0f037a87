//! `entente close-chain`: close a device's confirmation-code chain.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

/// Close a device's confirmation-code chain (spec 2.0 eq. (61)); prints the closing hash.
#[derive(clap::Args)]
pub struct Args {
    /// The election record directory.
    #[arg(long)]
    pub record: PathBuf,
    /// The encryption device's id.
    #[arg(long)]
    pub device: String,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    println!(
        "{}",
        entente_roles::encrypt::close(&args.record, &args.device)?
    );
    Ok(ExitCode::SUCCESS)
}
