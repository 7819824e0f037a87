//! `entente keygen`: an Ed25519 key pair for a log, a witness or a role.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use entente_roles::board;

use crate::args::Passphrase;

/// Make an Ed25519 key pair for a log or a witness: the secret sealed with a passphrase in
/// FILE, the verifier key in FILE.pub.
#[derive(clap::Args)]
pub struct Args {
    /// The key file to write (never overwritten).
    #[arg(long)]
    pub out: PathBuf,
    /// The key's name: a witness's or a device's name (default: the file's name without its
    /// extension). A log's key signs under the log's origin, whatever its name.
    #[arg(long)]
    pub name: Option<String>,
    /// What the key signs: log (checkpoints, or the signed requests of a device, a guardian
    /// or the administrator) or witness (cosignatures).
    #[arg(long, value_enum, default_value = "log")]
    pub role: entente_roles::board::Role,
    /// scrypt work factor (log2 N); default: about a second of work.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=30))]
    pub scrypt_log_n: Option<u8>,
    #[command(flatten)]
    pub passphrase: Passphrase,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    let out = &args.out;
    let passphrase = args
        .passphrase
        .get(&format!("the new key {}", out.display()), true)?;
    let name = match args.name {
        Some(n) => n,
        None => out
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .context("give --name (the file has no name to take one from)")?,
    };
    let vkey = board::keygen(out, &name, args.role, &passphrase, args.scrypt_log_n)?;
    eprintln!(
        "wrote {} (sealed) and {}\nits fingerprint, for a link that pins it (/#pin=…): {}",
        out.display(),
        board::public_path(out).display(),
        board::fingerprint(&vkey)
    );
    println!("{vkey}");
    Ok(ExitCode::SUCCESS)
}
