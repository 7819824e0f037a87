//! `entente export`: the election record and its log, from the server, as anyone may take it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use entente_roles::client::Client;

use crate::args::Server;

/// Export the election record from the server's log into DIR, with the log itself as
/// tlog-tiles in DIR/log (its checkpoint signed by the log and cosigned by every witness of
/// the roles file). Needs no key: anyone can export, and `entente verify DIR` then checks
/// the record and that it holds what the log holds.
#[derive(clap::Args)]
pub struct Args {
    /// Where to write the record.
    #[arg(long)]
    pub dir: PathBuf,
    /// Seconds the whole export may take, waiting for the witnesses' cosignatures of the
    /// whole log included; a server that does not answer in time fails the export.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    #[command(flatten)]
    pub board: Server,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    let timeout = Duration::from_secs(args.timeout);
    let client = Client::new(&args.board.server, &args.board.log)?
        .with_deadline(std::time::Instant::now() + timeout);
    let e = entente_roles::export::export(&client, &args.dir, timeout)?;
    println!(
        "{} record files written to {} from a log of {} entries; its checkpoint is cosigned by {}",
        e.files,
        args.dir.display(),
        e.size,
        if e.cosigned_by.is_empty() {
            "no witness".to_owned()
        } else {
            e.cosigned_by.join(", ")
        }
    );
    Ok(ExitCode::SUCCESS)
}
