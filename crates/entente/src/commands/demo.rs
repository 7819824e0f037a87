//! `entente demo`: a joint election end to end on this machine.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use entente_roles::{demo, netdemo};

use crate::args::progress;

/// Run a joint election end to end on this machine, every role in its own process over
/// loopback: the board server (SQLite in a temporary folder), two parties' witnesses, n
/// guardians (two parties' and a neutral observer), the administrator and an encryption
/// device that casts random valid ballots and challenges a few; the tally is decrypted with
/// one guardian left out, the record exported with its log (cosigned by both witnesses) and
/// verified. Prints the time of each phase, the result and the verifier's report. With
/// --in-process, the same election in one process, without the board.
#[derive(clap::Args)]
pub struct Args {
    /// Number of guardians n.
    #[arg(long, default_value_t = 5)]
    pub guardians: u32,
    /// Quorum k: how many guardians are needed to decrypt (1 <= k <= n).
    #[arg(long, default_value_t = 3)]
    pub quorum: u32,
    /// Number of ballots to encrypt.
    #[arg(long, default_value_t = 150)]
    pub ballots: usize,
    /// Write the election record here (default: a temporary directory, removed after).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Encryption threads (default: all cores; at most this machine's cores).
    #[arg(long, default_value_t = 0, value_parser = crate::args::threads_in_range)]
    pub threads: usize,
    /// Run the election on this manifest (ElectionGuard JSON) instead of the built-in one;
    /// random ballots use its first ballot style.
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Also write each guardian's secret, passphrase-sealed, to
    /// DIR/private_data/guardians/guardian-<i>.age, for `entente decrypt` by hand.
    #[arg(long, requires_all = ["dir", "in_process"])]
    pub seal_guardians: bool,
    /// The passphrase for --seal-guardians (else ENTENTE_PASSPHRASE, else the terminal).
    #[arg(long, requires = "seal_guardians")]
    pub passphrase_file: Option<PathBuf>,
    /// scrypt work factor (log2 N) for --seal-guardians; default: about a second of work.
    /// Lower values make a stolen file cheaper to attack: for tests and throwaway demos.
    #[arg(long, requires = "seal_guardians", value_parser = clap::value_parser!(u8).range(1..=30))]
    pub scrypt_log_n: Option<u8>,
    /// The election's group: `p4096`, ElectionGuard 2.0's standard 4096-bit group, with its
    /// record in egk's 2.0 layout; or `p256`, the NIST P-256 curve as egk-ec runs it, with its
    /// record in egk-ec's JSON 2.1 layout (elements of 33 bytes instead of 512).
    #[arg(long, value_enum, default_value_t = crate::args::GroupArg::P4096)]
    pub group: crate::args::GroupArg,
    /// Run the election in one process (no server, witnesses or log): the cryptography
    /// alone, faster.
    #[arg(long)]
    pub in_process: bool,
    /// Afterwards, keep the board and its witnesses running and serve its pages: the
    /// voter's page (/ and /ballot/CODE), the board (/board) and the verification report
    /// (/report). Stops at the end of input (ctrl-d) or ctrl-c.
    #[arg(long, conflicts_with = "in_process")]
    pub serve: bool,
    /// A drill: guardian 1 answers the decryption wrongly and guardian 2 never answers
    /// (the administrator waits 20 s for it); the others finish without them, and the log
    /// and the verifier name both. Needs at least quorum + 2 guardians.
    #[arg(long, conflicts_with = "in_process")]
    pub drill: bool,
    /// Also print N pre-encrypted paper ballots (spec 2.0 §4), commit the print run on the
    /// log, mark them at random (some under-voted) and record them by a scanning station
    /// (`entente device --pre-encrypted`); the verifier then checks them with Verifications 15
    /// to 18.
    #[arg(long, default_value_t = 0)]
    pub paper: usize,
    /// Keep the board in this PostgreSQL database (a postgres:// URL of a database that holds
    /// no board yet) instead of a SQLite file in the demo's work folder.
    #[arg(long, value_name = "URL", conflicts_with = "in_process")]
    pub db: Option<entente_board::BoardDb>,
    /// Run this many servers on the one board (needs --db postgres://…); the roles are spread
    /// over them, as an election office spreads its clients over its servers.
    #[arg(long, default_value_t = 1, requires = "db",
          value_parser = clap::value_parser!(u64).range(1..16))]
    pub servers: u64,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    if !args.in_process {
        let outcome = netdemo::run(&netdemo::NetDemoOptions {
            guardians: args.guardians,
            quorum: args.quorum,
            ballots: args.ballots,
            dir: args.dir,
            manifest: args.manifest,
            progress: progress(),
            threads: args.threads,
            serve: args.serve,
            drill: args.drill,
            group: args.group.kind(),
            paper: args.paper,
            board_db: args.db,
            servers: args.servers as usize,
        })?;
        print!("{}", entente_roles::netdemo_report::report(&outcome));
        if let Some(served) = &outcome.served {
            serve_until_end_of_input(served)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let seal_passphrase = if args.seal_guardians {
        Some(entente_roles::passphrase::get(
            args.passphrase_file.as_deref(),
            "the demo's guardian secrets",
            true,
        )?)
    } else {
        None
    };
    let outcome = demo::run(&demo::DemoOptions {
        seal_passphrase,
        scrypt_log_n: args.scrypt_log_n,
        manifest: args.manifest,
        guardians: args.guardians,
        quorum: args.quorum,
        ballots: args.ballots,
        dir: args.dir,
        threads: args.threads,
        progress: progress(),
        group: args.group.kind(),
        paper: args.paper,
    })?;
    print!("{}", demo::report(&outcome));
    Ok(ExitCode::SUCCESS)
}

/// `--serve`: says where the pages are, then keeps the board up until the end of input.
fn serve_until_end_of_input(served: &netdemo::Served) -> Result<()> {
    use std::fmt::Write as _;
    let mut text = format!(
        "\nServing the board at {url}\n  check a ballot:       {url}/\n  \
         the board:            {url}/board\n  verification report:  {url}/report \
         (once the board has verified its record)\n",
        url = served.url
    );
    for (what, code) in &served.examples {
        let pad = " ".repeat(12 - what.len());
        let _ = writeln!(text, "  a {what} ballot:{pad}{}/ballot/{code}", served.url);
    }
    let _ = writeln!(
        text,
        "  with the log's and the witnesses' keys pinned, as a party's link \
         would: {}/#pin={}",
        served.url,
        served.pins.join(","),
    );
    let _ = writeln!(
        text,
        "Each party's own copy of the voter's page, served by its witness (its code, not the \
         operator's, checks the board; hand voters these):"
    );
    for (party, url) in &served.party_pages {
        let _ = writeln!(text, "  {party}: {url}");
    }
    let _ = write!(
        text,
        "The certificates are signed by the demo's throw-away CA ({}), which no browser \
         knows: import it, or start Chromium with \
         --ignore-certificate-errors-spki-list={} (these servers' keys only).\n\
         Stop with ctrl-d or ctrl-c.\n",
        served.ca.display(),
        served.spki_sha256.join(","),
    );
    // Whoever reads the output may stop reading once the board is up: the board is served all
    // the same, so a closed output is no reason to stop.
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    drop(out);
    // Until the end of input: then the board and witnesses are stopped.
    std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink())?;
    Ok(())
}
