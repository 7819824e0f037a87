//! `entente pages export`: a party's own copy of the voter's page and the board page.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, ensure};
use entente_roles::board::{fingerprint, read_vkey};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Write the voter's page and the board page as static files that check the board at
    /// --board with this party's code: the log's key and the pinned keys baked in, the page
    /// naming who serves it. Serve the folder from any static host over https, or from this
    /// party's witness (`entente witness serve --pages DIR`), and hand voters that address:
    /// a page served by the operator runs the operator's code, this one the party's.
    Export {
        /// The board's URL (https://…), which every read goes to.
        #[arg(long)]
        board: String,
        /// The log's verifier key (or its .pub file): no checkpoint signed with another is
        /// believed.
        #[arg(long)]
        log: String,
        /// A key the board must name (a witness's or the log's, its .pub file or verifier
        /// key, or its 32-hex-digit fingerprint); repeat for each. Default: the log's.
        #[arg(long = "pin")]
        pins: Vec<String>,
        /// Who serves the copy, as the page names it (e.g. witness.harbour.example).
        #[arg(long)]
        served_by: String,
        /// The folder to write (created; the copy's files in it replaced).
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn exec(command: Command) -> Result<ExitCode> {
    match command {
        Command::Export {
            board,
            log,
            pins,
            served_by,
            out,
        } => {
            let log_key = read_vkey(&log)?;
            ensure!(
                board.starts_with("https://")
                    || board.starts_with("http://") && entente_roles::net::insecure_http(),
                "--board must be the board's https:// URL (http:// only with --insecure-http, for \
                 a board on loopback)"
            );
            let mut fps = vec![fingerprint(&log_key)];
            for p in &pins {
                let fp = if p.len() == 32 && p.bytes().all(|b| b.is_ascii_hexdigit()) {
                    p.to_ascii_lowercase()
                } else {
                    fingerprint(&read_vkey(p)?)
                };
                if !fps.contains(&fp) {
                    fps.push(fp);
                }
            }
            let cfg = entente_server::pages::PagesConfig {
                board: &board,
                log_key: &log_key,
                pins: &fps,
                served_by: &served_by,
            };
            entente_server::pages::export(&cfg, &out).map_err(anyhow::Error::msg)?;
            println!(
                "wrote {} and board.html in {}: serve them over https and hand voters that address",
                entente_server::pages::FILES[0],
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
