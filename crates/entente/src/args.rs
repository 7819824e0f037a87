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
    /// Worker threads (default: all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
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
    /// Seconds to wait for the others at each step.
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
            client: entente_roles::client::Client::new(&self.board.server, &self.board.log)?,
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
