//! `entente witness serve|cosign|follow`: a party's witness, run by hand.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, ensure};
use entente_board::witness_dir::WitnessDir;
use entente_roles::board;

use crate::args::{Passphrase, Tls};

/// What every witness command needs: its state, its key, and the logs it follows.
#[derive(clap::Args)]
pub struct WitnessArgs {
    /// The witness's state directory (the logs it follows, what it cosigned, evidence).
    #[arg(long)]
    state: PathBuf,
    /// The witness's key file (`entente keygen --role witness`).
    #[arg(long)]
    key: PathBuf,
    #[command(flatten)]
    passphrase: Passphrase,
    /// Follow this log (its verifier key or .pub file); remembered in STATE.
    #[arg(long = "log")]
    logs: Vec<String>,
}

impl WitnessArgs {
    /// The witness's key, opened with its passphrase.
    fn open_key(&self) -> Result<board::Key> {
        self.passphrase.open_key(&self.key, "witness")
    }
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Run the witness as a service (C2SP tlog-witness, POST /add-checkpoint): it cosigns a
    /// log's checkpoint only if it extends the one it cosigned last. On a split view it answers
    /// as the specification says, keeps both signed notes in STATE/evidence/, and stops with
    /// exit status 1.
    Serve {
        #[command(flatten)]
        witness: WitnessArgs,
        /// The address to listen on (port 0: any free port; the first line printed says which).
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: String,
        #[command(flatten)]
        tls: Tls,
        /// Also serve this party's copy of the pages (`entente pages export --out DIR`) at /,
        /// so that the party's own infrastructure serves its voters' page (read from DIR on
        /// each request).
        #[arg(long)]
        pages: Option<PathBuf>,
    },
    /// Cosign a log's checkpoint by hand: it must be signed by a log this witness follows and
    /// extend the checkpoint it cosigned last (give the consistency proof from that size). On
    /// success the note with this witness's cosignature is printed; on a split view the
    /// witness refuses, keeps both notes in STATE/evidence/ and exits with status 1.
    Cosign {
        #[command(flatten)]
        witness: WitnessArgs,
        /// The consistency proof (`entente board prove --from HELD --to SIZE`).
        #[arg(long)]
        proof: Option<PathBuf>,
        /// The signed checkpoint (a file; "-" or nothing: stdin, as in
        /// `entente board checkpoint --db F | entente witness cosign …`).
        #[arg(default_value = "-")]
        checkpoint: PathBuf,
    },
    /// Follow a log by itself, with no push from the server: look at the board's latest
    /// checkpoint every --interval seconds, cosign it if it extends the checkpoint this witness
    /// cosigned last (the log's consistency proof checked), and hand the cosignature back to
    /// the board (POST /cosignatures). On a split view it refuses, keeps both signed notes in
    /// STATE/evidence/ and exits with status 1.
    Follow {
        #[command(flatten)]
        witness: WitnessArgs,
        /// The board's address (https://…).
        #[arg(long)]
        server: String,
        /// Seconds between two looks at the log.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        interval: u64,
        /// Look once, then stop: exit 0 when the latest checkpoint is cosigned.
        #[arg(long)]
        once: bool,
        /// Seconds each request to the board may take.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
        timeout: u64,
    },
}

/// `entente witness follow`: see [`Command::Follow`].
fn follow(
    witness: &WitnessArgs,
    server: &str,
    interval: u64,
    once: bool,
    timeout: u64,
) -> Result<ExitCode> {
    use entente_roles::follow::{Followed, follow_once};
    let key = witness.open_key()?;
    ensure!(
        key.role == board::Role::Witness,
        "this is a log key; a witness follows with a witness key (`entente keygen --role witness`)"
    );
    let timeout = std::time::Duration::from_secs(timeout);
    loop {
        match follow_once(&witness.state, &key, &witness.logs, server, timeout) {
            Ok(Followed::Cosigned { size, added }) => {
                let took = if added.is_empty() {
                    "it had them already".to_owned()
                } else {
                    format!("it took {}", added.join(", "))
                };
                println!("cosigned the log at size {size}; {took}");
            }
            Ok(Followed::Unchanged { size }) => {
                if once {
                    println!("the log is at size {size}, cosigned already");
                }
            }
            Ok(Followed::SplitView { reason, evidence }) => {
                eprintln!(
                    "SPLIT VIEW: the log showed this witness two histories ({reason}); \
                     refused, evidence kept in {}",
                    evidence.display()
                );
                return Ok(ExitCode::FAILURE);
            }
            Err(e) if once => return Err(e.into()),
            Err(e) => eprintln!("warning: {e:#}; looking again in {interval} s"),
        }
        if once {
            return Ok(ExitCode::SUCCESS);
        }
        use std::io::Write;
        std::io::stdout().flush()?;
        std::thread::sleep(std::time::Duration::from_secs(interval));
    }
}

pub fn exec(command: Command) -> Result<ExitCode> {
    match command {
        Command::Follow {
            witness,
            server,
            interval,
            once,
            timeout,
        } => follow(&witness, &server, interval, once, timeout),
        Command::Serve {
            witness,
            listen,
            tls,
            pages,
        } => {
            if let Some(dir) = &pages {
                // Read on each request: the folder may be exported (again) while it is served.
                ensure!(
                    dir.is_dir(),
                    "{} is not a folder (`entente pages export --out {}` writes one)",
                    dir.display(),
                    dir.display()
                );
            }
            let tls_config = tls.server_config(&listen)?;
            let key = witness.open_key()?;
            let ok = serve(
                &witness.state,
                key,
                &witness.logs,
                (&listen, pages.as_deref()),
                (tls.scheme(), tls_config),
            )?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Cosign {
            witness,
            proof,
            checkpoint,
        } => {
            let note = if checkpoint.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).context("cannot read stdin")?
            } else {
                std::fs::read_to_string(&checkpoint)
                    .with_context(|| format!("cannot read {}", checkpoint.display()))?
            };
            let key = witness.open_key()?;
            let (state, logs) = (&witness.state, &witness.logs);
            match board::witness_cosign(state, key, logs, &note, proof.as_deref())? {
                board::Cosigned::Note(n) => {
                    print!("{n}");
                    Ok(ExitCode::SUCCESS)
                }
                board::Cosigned::SplitView { reason, evidence } => {
                    eprintln!(
                        "SPLIT VIEW: the log showed this witness two histories ({reason}); \
                         refused, evidence kept in {}",
                        evidence.display()
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

/// `entente witness serve`: the witness as a tlog-witness HTTP service. Returns Ok(false)
/// when it stopped on a split view (the evidence kept in STATE/evidence/).
fn serve(
    state: &Path,
    key: board::Key,
    follow: &[String],
    (listen, pages): (&str, Option<&Path>),
    (scheme, tls): (
        &str,
        Option<std::sync::Arc<entente_server::TlsServerConfig>>,
    ),
) -> Result<bool> {
    ensure!(
        key.role == board::Role::Witness,
        "this is a log key; a witness serves with a witness key (`entente keygen --role witness`)"
    );
    let follow = follow
        .iter()
        .map(|f| board::read_vkey(f))
        .collect::<entente_roles::Result<Vec<_>>>()?;
    let dir = WitnessDir::open(state, &key.name, key.signing, &follow)?;
    let (svc, mut alarm) = entente_server::witness_http::WitnessService::new(dir);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        // Registered before the address is printed (see `serve`): a ctrl-c sent on reading it
        // stops the witness cleanly.
        let mut interrupt =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .context("cannot watch for ctrl-c")?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        println!("listening on {scheme}://{}", listener.local_addr()?);
        use std::io::Write;
        std::io::stdout().flush()?;
        let seen = alarm.clone();
        let stop = async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = alarm.wait_for(Option::is_some) => {}
            }
        };
        let mut app = entente_server::witness_http::witness_router(svc);
        if let Some(dir) = pages {
            app = app.merge(entente_server::pages::routes(dir));
        }
        let limits = entente_server::Limits::default();
        entente_server::listen::serve_app(listener, app, tls, limits, stop).await?;
        let split = seen.borrow().is_some();
        if split {
            eprintln!(
                "SPLIT VIEW: the log showed this witness two histories; both signed notes are \
                 kept in {}",
                state.join("evidence").display()
            );
        }
        anyhow::Ok(!split)
    })
}
