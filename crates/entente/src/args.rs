//! Argument groups that several commands share, defined once.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use entente_roles::passphrase;

/// Where a command's passphrase comes from.
#[derive(clap::Args)]
pub struct Passphrase {
    /// Read the passphrase from this file (else ENTENTE_PASSPHRASE, else the terminal).
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
}

impl Passphrase {
    /// The passphrase of `what`, asked for once (twice when `new`, to confirm it).
    pub fn get(&self, what: &str, new: bool) -> entente_roles::Result<age::secrecy::SecretString> {
        passphrase::get(self.passphrase_file.as_deref(), what, new)
    }

    /// A key file opened with this passphrase; `role` names what the key is for in messages.
    pub fn open_key(
        &self,
        file: &std::path::Path,
        role: &str,
    ) -> Result<entente_roles::board::Key> {
        Ok(entente_roles::board::open_key_asking(
            file,
            self.passphrase_file.as_deref(),
            role,
        )?)
    }
}

/// A device's part of a record: the record directory and the device's id.
#[derive(clap::Args)]
pub struct RecordDevice {
    /// The election record directory (manifest.json, election_config.json,
    /// election_initialized.json).
    #[arg(long)]
    pub record: PathBuf,
    /// The encryption device's id.
    #[arg(long)]
    pub device: String,
}

/// How many worker threads.
#[derive(clap::Args)]
pub struct Threads {
    /// Worker threads (default: all cores; at most this machine's cores).
    #[arg(long, default_value_t = 0, value_parser = threads_in_range)]
    pub threads: usize,
}

/// `--threads`: 0 (all cores) up to the cores this machine has; more would only add threads
/// that wait (a thousand of them spawned and none working faster).
pub fn threads_in_range(text: &str) -> std::result::Result<usize, String> {
    let n: usize = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of threads"))?;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    if n > cores {
        return Err(format!(
            "{n} threads on a machine with {cores} cores: give at most {cores} (or 0 for all)"
        ));
    }
    Ok(n)
}

/// The board a client talks to, and the key its answers must be signed with.
#[derive(clap::Args)]
pub struct Server {
    /// The server's URL (e.g. http://127.0.0.1:8080).
    #[arg(long)]
    pub server: String,
    /// The log's verifier key (or its .pub file): nothing is believed unless the log proves it.
    #[arg(long)]
    pub log: String,
}

/// What every networked role command needs.
#[derive(clap::Args)]
pub struct Net {
    #[command(flatten)]
    pub board: Server,
    /// This role's key file (`entente keygen --name NAME`; the name is registered in the roles).
    #[arg(long)]
    pub key: PathBuf,
    #[command(flatten)]
    pub passphrase: Passphrase,
    /// The state directory (secrets sealed, nonce, mirrored log, working record).
    #[arg(long)]
    pub state: PathBuf,
    /// Seconds to wait for the others at each step; no request to the server outlasts them (a
    /// server that never answers is named).
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    #[command(flatten)]
    pub threads: Threads,
}

impl Net {
    /// A guardian's options: its key opened, its state directory, its client.
    pub fn guardian(&self) -> Result<entente_roles::guardian::GuardianOptions> {
        entente_roles::guardian::options(
            &self.board.server,
            &self.board.log,
            &self.key,
            self.passphrase.passphrase_file.as_deref(),
            &self.state,
            Duration::from_secs(self.timeout),
            *self.threads,
        )
        .map_err(Into::into)
    }

    /// The administrator's options.
    pub fn admin(&self) -> Result<entente_roles::admin::AdminOptions> {
        Ok(entente_roles::admin::AdminOptions {
            // No request outlasts a step's timeout.
            client: entente_roles::client::Client::new(&self.board.server, &self.board.log)?
                .with_request_limit(Duration::from_secs(self.timeout)),
            key: self.passphrase.open_key(&self.key, "administrator")?,
            state: self.state.clone(),
            timeout: Duration::from_secs(self.timeout),
            threads: *self.threads,
        })
    }
}

/// Whether to draw progress bars: only for a person watching a terminal.
pub fn progress() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stderr())
}

impl std::ops::Deref for Threads {
    type Target = usize;

    fn deref(&self) -> &usize {
        &self.threads
    }
}

/// How a server is reached: its TLS identity, or plain HTTP on loopback when told.
#[derive(clap::Args)]
pub struct Tls {
    /// The server's certificate chain (PEM, its own certificate first): serve HTTPS.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl Tls {
    /// The TLS configuration, or None for plain HTTP: which only the global `--insecure-http`
    /// allows, and only on a loopback address (plain HTTP across a network lets anyone on the
    /// path read who writes what, and answer in the server's name).
    pub fn server_config(
        &self,
        listen: &str,
    ) -> Result<Option<std::sync::Arc<entente_server::TlsServerConfig>>> {
        use anyhow::Context;
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            anyhow::ensure!(
                entente_roles::net::insecure_http(),
                "give the server's certificate and key (--tls-cert, --tls-key), or \
                 --insecure-http to serve plain HTTP on this machine's loopback"
            );
            let loopback = listen
                .parse::<std::net::SocketAddr>()
                .map(|a| a.ip().is_loopback())
                .unwrap_or_else(|_| listen.starts_with("localhost:"));
            anyhow::ensure!(
                loopback,
                "--insecure-http serves plain HTTP on a loopback address only (127.0.0.1, ::1), \
                 not on {listen}: across a network, serve HTTPS (--tls-cert, --tls-key)"
            );
            return Ok(None);
        };
        let read =
            |f: &PathBuf| std::fs::read(f).with_context(|| format!("cannot read {}", f.display()));
        let config = entente_server::tls_config(&read(cert)?, &read(key)?)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("{} and {}", cert.display(), key.display()))?;
        Ok(Some(config))
    }

    /// The URL scheme this server answers on.
    pub fn scheme(&self) -> &'static str {
        if self.tls_cert.is_some() {
            "https"
        } else {
            "http"
        }
    }
}

/// What a server allows each connection and request, and how many at once.
#[derive(clap::Args)]
pub struct Limits {
    /// Seconds a connection may take to send a request's head (the TLS handshake and an idle
    /// kept-alive connection included); then it is closed.
    #[arg(long, default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a write may take to send its body; then 408.
    #[arg(long, default_value_t = 60)]
    pub body_timeout: u64,
    /// Connections served at once (a few more are answered 503, the rest closed).
    #[arg(long, default_value_t = 512)]
    pub max_connections: usize,
    /// Requests handled at once; beyond them, 503 with Retry-After.
    #[arg(long, default_value_t = 128)]
    pub max_requests: usize,
    /// The largest ballot a device may send, in bytes (its signed envelope); beyond, 413.
    #[arg(long, default_value_t = 8 << 20)]
    pub max_ballot_bytes: usize,
    /// The largest protocol step the administrator or a guardian may send, in bytes.
    #[arg(long, default_value_t = 32 << 20)]
    pub max_entry_bytes: usize,
    /// Ballots whose proofs are checked at once (0: one per core); the others wait their turn.
    #[arg(long, default_value_t = 0)]
    pub check_threads: usize,
}

impl Limits {
    /// The server's limits.
    pub fn get(&self) -> entente_server::Limits {
        entente_server::Limits {
            header_timeout: Duration::from_secs(self.header_timeout.max(1)),
            body_timeout: Duration::from_secs(self.body_timeout.max(1)),
            max_connections: self.max_connections.max(1),
            max_requests: self.max_requests.max(1),
            max_ballot_bytes: self.max_ballot_bytes,
            max_entry_bytes: self.max_entry_bytes,
            check_threads: self.check_threads,
        }
    }
}

/// The group of an election, as `--group` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupArg {
    /// ElectionGuard 2.0's standard 4096-bit group (spec 2.0 §3.1.1).
    P4096,
    /// NIST P-256, as egk-ec runs ElectionGuard on it.
    P256,
}

impl GroupArg {
    /// The record's group kind.
    pub fn kind(self) -> entente_record::GroupKind {
        match self {
            GroupArg::P4096 => entente_record::GroupKind::P4096,
            GroupArg::P256 => entente_record::GroupKind::P256,
        }
    }
}
