//! `entente pre-encrypt`: a print run of pre-encrypted paper ballots.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

/// Pre-encrypt paper ballots (spec 2.0 §4): each ballot of the style gets every option
/// encrypted ahead, a short code beside each option and a confirmation code, written as a PDF
/// for the print shop (OUT/ballot-<id>.pdf). OUT/print_run.json holds each ballot's primary
/// nonce, which opens it: give it to the scanning stations only (`entente record-paper`).
#[derive(clap::Args)]
pub struct Args {
    /// The election record (its setup files: manifest, config, constants, key).
    #[arg(long)]
    pub record: PathBuf,
    /// The ballot style to print.
    #[arg(long)]
    pub style: String,
    /// How many ballots to print.
    #[arg(long)]
    pub count: usize,
    /// Where to write the PDFs and print_run.json (must not hold a print run).
    #[arg(long)]
    pub out: PathBuf,
    /// Ballot ids are PREFIX followed by a six-digit number.
    #[arg(long, default_value = "paper-")]
    pub prefix: String,
    /// The number of the first ballot.
    #[arg(long, default_value_t = 1)]
    pub first: usize,
    /// The voter's page: the QR code on each ballot holds this URL followed by the ballot's
    /// confirmation code (e.g. https://board.example/ballot/). Without it, the code alone.
    #[arg(long)]
    pub page_url: Option<String>,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    let run = entente_roles::paper::pre_encrypt(&entente_roles::paper::PreEncryptOptions {
        record: args.record,
        style: args.style,
        count: args.count,
        first: args.first,
        prefix: args.prefix,
        out: args.out.clone(),
        page_url: args.page_url,
    })?;
    println!(
        "{} pre-encrypted ballots written to {} (PDFs, and {} with their nonces: keep it secret)",
        run.ballots.len(),
        args.out.display(),
        entente_roles::paper::PRINT_RUN_FILE
    );
    Ok(ExitCode::SUCCESS)
}
