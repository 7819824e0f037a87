//! `entente check`: the voter's check of a ballot, in a terminal.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use entente_roles::client::Client;

use crate::args::Server;

/// Check that the ballot with this confirmation code is on the board, as the voter's page does
/// in a browser, believing nothing the log's key does not prove: the log is mirrored and
/// checked, the ballot found in it, its code recomputed from its encryptions and its proofs
/// verified, its device's signature and the witnesses' cosignatures checked. Exit 0 when the
/// ballot is proven on the board; 1 when it is not there or a proof fails (the reason is
/// printed); 2 when the check could not be made.
#[derive(clap::Args)]
pub struct Args {
    /// The confirmation code on the receipt (any case; spaces and dashes are fine).
    pub code: String,
    #[command(flatten)]
    pub board: Server,
    /// A witness's cosignature key (or .pub file) that must have cosigned the checkpoint the
    /// ballot is proven in (your party's); repeat for each.
    #[arg(long = "witness")]
    pub witnesses: Vec<String>,
    /// Seconds to wait for those cosignatures, and for the board's answers.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    let timeout = Duration::from_secs(args.timeout);
    let client = Client::new(&args.board.server, &args.board.log)?
        .with_deadline(std::time::Instant::now() + timeout + Duration::from_secs(60));
    let witnesses = args
        .witnesses
        .iter()
        .map(|w| entente_roles::board::read_vkey(w))
        .collect::<entente_roles::Result<Vec<_>>>()?;
    let work = tempfile::tempdir().context("cannot create a temporary directory")?;
    let verdict =
        entente_roles::check::check(&client, &args.code, &witnesses, work.path(), timeout)?;
    print!("{}", verdict.text(&args.code));
    Ok(ExitCode::from(verdict.code()))
}
