//! `entente serve`: the board over HTTP, with the report it keeps of its own record.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use age::secrecy::SecretString;
use anyhow::{Context, Result, ensure};
use entente_board::{Board, BoardDb};
use entente_roles::board;
use entente_roles::protocol::RolesFile;

use crate::args::{Limits, Passphrase, Tls};

/// Serve the board over HTTP: anyone reads the checkpoint, the tlog-tiles, entries, proofs
/// and a ballot by its confirmation code (GET /checkpoint, /tile/…, /entries/I,
/// /proof/inclusion, /proof/consistency, /lookup?confirmation_code=, /status), and the
/// pages that check them in the browser (/ and /ballot/CODE for voters, /board,
/// /report); the roles of
/// ROLES write in signed envelopes (POST /ballots from devices, checked against the
/// election of --record before they are logged; POST /entries from the administrator).
/// Each write is acknowledged only once durable, with its inclusion proof in a signed
/// checkpoint.
#[derive(clap::Args)]
pub struct Args {
    /// The board's database (`entente board init`): its file, or a postgres:// URL (a Unix
    /// socket by `?host=/path`; a password in the URL shows in the process list, so prefer
    /// the socket's peer authentication).
    #[arg(long)]
    pub db: BoardDb,
    /// The address to listen on (port 0: any free port; the first line printed says which).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The roles file: {"administrator": VKEY, "devices": [VKEY…], "guardians": […],
    /// "witnesses": […]}, each a signed-note verifier key.
    #[arg(long)]
    pub roles: PathBuf,
    /// The election whose ballots are accepted (manifest, config, election initialized).
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Serve the verification report of the election's record at /report, kept in this
    /// file: once the result is in a checkpoint every witness cosigned, the server exports
    /// its record and verifies it as any party would (`entente export`, `entente verify
    /// --html`, one thread), and again whenever that checkpoint grows.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// A witness's tlog-witness URL prefix (its /add-checkpoint is asked to cosign every
    /// new checkpoint); repeat for each party's witness.
    #[arg(long = "witness")]
    pub witnesses: Vec<String>,
    /// The log's key file (default: the one given to `board init`).
    #[arg(long)]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub passphrase: Passphrase,
    #[command(flatten)]
    pub tls: Tls,
    #[command(flatten)]
    pub limits: Limits,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    let passphrase = &args.passphrase;
    serve(
        ServeOptions {
            db: &args.db,
            listen: &args.listen,
            roles: &args.roles,
            record: args.record.as_deref(),
            report: args.report.clone(),
            witnesses: args.witnesses.clone(),
            key_file: args.key.as_deref(),
            tls: &args.tls,
            limits: args.limits.get(),
        },
        |f| passphrase.get(&format!("the log key {}", f.display()), false),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// What `entente serve` serves.
struct ServeOptions<'a> {
    /// The board's database.
    db: &'a BoardDb,
    /// The address to listen on.
    listen: &'a str,
    /// The roles file.
    roles: &'a Path,
    /// An election set up outside the log, whose ballots are taken.
    record: Option<&'a Path>,
    /// A verification report to serve at /report.
    report: Option<PathBuf>,
    /// The witnesses' tlog-witness URL prefixes.
    witnesses: Vec<String>,
    /// The log's key file (default: the one given to `board init`).
    key_file: Option<&'a Path>,
    /// The server's TLS identity.
    tls: &'a Tls,
    /// What each connection and request may take.
    limits: entente_server::Limits,
}

/// `entente serve`: the board over HTTP, signing checkpoints with the log's key, taking writes
/// from the roles and, with a record, ballots of that election. Prints the address it listens
/// on (the port, when 0 was asked) as its first line.
fn serve(
    opts: ServeOptions<'_>,
    passphrase: impl FnOnce(&Path) -> entente_roles::Result<SecretString>,
) -> Result<()> {
    let ServeOptions {
        db,
        listen,
        roles,
        record,
        report,
        witnesses,
        key_file,
        tls,
        limits,
    } = opts;
    let tls_config = tls.server_config(listen)?;
    // Held for as long as this process serves: no other process writes the board meanwhile.
    let _lock = db.lock_serve()?;
    let board = board::open_board(db)?;
    let text = std::fs::read_to_string(roles)
        .with_context(|| format!("cannot read {}", roles.display()))?;
    let roles_file: RolesFile = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a roles file", roles.display()))?;
    entente_server::Roles::new(&roles_file).with_context(|| format!("{}", roles.display()))?;
    let election = match record {
        Some(dir) => Some(
            entente_server::Election::read(dir)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("the election in {}", dir.display()))?,
        ),
        None => None,
    };
    let signer = board::log_signer(&board, key_file, passphrase)?;
    drop(board);
    let (sequencer, _thread) =
        entente_server::start_board(db, signer).map_err(anyhow::Error::msg)?;
    let state = entente_server::AppState::new(db, sequencer, &roles_file, election)
        .map_err(anyhow::Error::msg)?;
    state.set_limits(limits).map_err(anyhow::Error::msg)?;
    if let Some(file) = &report {
        state.serve_report(file.clone());
    }
    entente_server::cosigner::spawn(&state, witnesses).context("cannot start the cosigner")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        // Ctrl-C's handler, registered before the address is printed: whoever reads it (a
        // test, a supervisor) may ask the server to stop at once, and it stops cleanly.
        let mut interrupt =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .context("cannot watch for ctrl-c")?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        let scheme = tls.scheme();
        println!("listening on {scheme}://{addr}");
        if let Some(file) = &report {
            let own = std::net::SocketAddr::new(
                if addr.ip().is_unspecified() {
                    std::net::Ipv4Addr::LOCALHOST.into()
                } else {
                    addr.ip()
                },
                addr.port(),
            );
            spawn_reporter(db, format!("{scheme}://{own}"), file.clone())?;
        }
        use std::io::Write;
        std::io::stdout().flush()?;
        entente_server::serve(listener, state.clone(), tls_config, async move {
            interrupt.recv().await;
        })
        .await?;
        anyhow::Ok(())
    })?;
    // The state's last reference is dropped here, outside the runtime: a PostgreSQL board's
    // connections block when they close, which a runtime's thread must not.
    drop(runtime);
    drop(state);
    Ok(())
}

/// Keeps the report served at /report for the election's record. Each time the log holds the
/// election's result in a checkpoint every witness cosigned, and that checkpoint is not the one
/// last reported, it runs `entente export` and `entente verify --html` against the server, as
/// any party would (child processes, one verification thread, so that serving goes on), and
/// then replaces the file. The verifier reads only a whole record, so there is no report
/// before the result.
fn spawn_reporter(db: &BoardDb, server: String, file: PathBuf) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find the entente executable")?;
    let db = db.clone();
    std::thread::Builder::new()
        .name("reporter".into())
        .spawn(move || {
            let mut reported = None;
            // After a failure, wait longer each time (up to ten minutes) before trying again.
            let mut failures = 0u32;
            loop {
                let outcome = report_due(&db, reported).and_then(|due| match due {
                    Some((size, log_key)) => {
                        make_report(&exe, &server, &log_key, &file)?;
                        tracing::info!(size, file = %file.display(), "report written");
                        reported = Some(size);
                        Ok(())
                    }
                    None => Ok(()),
                });
                match outcome {
                    Ok(()) => failures = 0,
                    Err(e) => {
                        failures += 1;
                        tracing::warn!("cannot write the report (attempt {failures}): {e:#}");
                    }
                }
                let pause = 5u64 << failures.min(7);
                std::thread::sleep(std::time::Duration::from_secs(pause.min(600)));
            }
        })
        .context("cannot start the reporter")?;
    Ok(())
}

/// The published size and log key, when the result is in the published checkpoint and that
/// checkpoint was not reported yet.
fn report_due(db: &BoardDb, reported: Option<u64>) -> Result<Option<(u64, String)>> {
    let board = Board::open(db.open_read_only()?)?;
    let Some((size, _)) = board.published()? else {
        return Ok(None);
    };
    let result = board.find("step", "result")?;
    let due = result.first().is_some_and(|&i| i < size) && reported != Some(size);
    Ok(due.then(|| (size, board.config().log_key.clone())))
}

fn make_report(exe: &Path, server: &str, log_key: &str, file: &Path) -> Result<()> {
    let work = tempfile::tempdir().context("cannot create a temporary directory")?;
    let record = work.path().join("record");
    let run = |args: &[&std::ffi::OsStr], ok: &[i32]| -> Result<()> {
        let out = std::process::Command::new(exe)
            .args(args)
            .args(entente_roles::net::child_args())
            .env_remove(entente_roles::passphrase::ENV)
            .stdin(std::process::Stdio::null())
            .output()
            .context("cannot run entente")?;
        ensure!(
            out.status.code().is_some_and(|c| ok.contains(&c)),
            "{:?} failed ({}): {}",
            args.first(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(())
    };
    run(
        &[
            "export".as_ref(),
            "--server".as_ref(),
            server.as_ref(),
            "--log".as_ref(),
            log_key.as_ref(),
            "--dir".as_ref(),
            record.as_os_str(),
        ],
        &[0],
    )?;
    let partial = work.path().join("report.html");
    // Status 1: verified, and something failed: the report says what, and is served all the same.
    run(
        &[
            "verify".as_ref(),
            record.as_os_str(),
            "--log".as_ref(),
            log_key.as_ref(),
            "--threads".as_ref(),
            "1".as_ref(),
            "--html".as_ref(),
            partial.as_os_str(),
        ],
        &[0, 1],
    )?;
    // Replaced in one rename, so that a reader never gets half a report.
    let beside = file.with_extension("html.partial");
    std::fs::copy(&partial, &beside)
        .with_context(|| format!("cannot write {}", beside.display()))?;
    std::fs::rename(&beside, file).with_context(|| format!("cannot write {}", file.display()))?;
    Ok(())
}
