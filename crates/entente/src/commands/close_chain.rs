//! `entente close-chain`: close a device's confirmation-code chain.

use std::process::ExitCode;

use anyhow::Result;

use crate::args::RecordDevice;

/// Close a device's confirmation-code chain (spec 2.0 eq. (61)); prints the closing hash.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub at: RecordDevice,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    println!(
        "{}",
        entente_roles::encrypt::close(&args.at.record, &args.at.device)?
    );
    Ok(ExitCode::SUCCESS)
}
