//! The processes of a demo or a bench on one machine: each role started as its own `entente`
//! process with its log in the stage's folder, killed if the run stops early, and the
//! arguments every networked role takes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Context, Result, bail, ensure};

/// A child process of the demo, killed if the demo stops early.
pub(crate) struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// The last lines of its log, for an error message.
    pub(crate) fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n    ")
    }

    /// Its exit, if it has exited: an error naming it if it failed.
    pub(crate) fn finished(&mut self) -> Result<bool> {
        match self.child.try_wait()? {
            None => Ok(false),
            Some(s) if s.success() => Ok(true),
            Some(s) => bail!("{} stopped ({s}):\n    {}", self.name, self.tail()),
        }
    }
}

/// The running demo: its folder, passphrase and processes.
pub(crate) struct Stage {
    dir: PathBuf,
    passphrase_file: PathBuf,
    pub(crate) server: String,
    /// More servers on the same board (on PostgreSQL): each role talks to one of them all.
    pub(crate) others: Vec<String>,
    log_pub: PathBuf,
    /// The CA every process is told to trust (`--ca`), when the stage runs over TLS.
    ca: Option<PathBuf>,
}

impl Stage {
    /// A stage in `dir` whose processes read the passphrase from `passphrase_file` and check
    /// the log with the key in `log_pub`.
    pub(crate) fn new(
        dir: &std::path::Path,
        passphrase_file: &std::path::Path,
        log_pub: &std::path::Path,
    ) -> Self {
        Self {
            dir: dir.to_owned(),
            passphrase_file: passphrase_file.to_owned(),
            server: String::new(),
            others: Vec::new(),
            log_pub: log_pub.to_owned(),
            ca: None,
        }
    }

    /// This stage over TLS: every process it starts trusts the CA in `ca` (and no other).
    pub(crate) fn with_ca(mut self, ca: &Path) -> Self {
        self.ca = Some(ca.to_owned());
        self
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    pub(crate) fn s(&self, rel: &str) -> String {
        self.path(rel).to_string_lossy().into_owned()
    }

    /// Starts `entente ARGS` as `name`, its stdout in logs/NAME.out, its stderr in
    /// logs/NAME.log.
    pub(crate) fn spawn(&self, name: &str, args: &[String]) -> Result<Proc> {
        let exe = std::env::current_exe().context("cannot find the entente executable")?;
        let logs = self.path("logs");
        std::fs::create_dir_all(&logs)?;
        let log = logs.join(format!("{name}.log"));
        let out = std::fs::File::create(log.with_extension("out"))?;
        let err = std::fs::File::create(&log)?;
        let mut command = Command::new(exe);
        command.args(args);
        match &self.ca {
            Some(ca) => command.arg("--ca").arg(ca),
            None => command.arg("--insecure-http"),
        };
        let child = command
            .env_remove(crate::passphrase::ENV)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        Ok(Proc {
            name: name.to_owned(),
            child,
            log,
        })
    }

    /// Starts a server-like process and reads the address it listens on.
    pub(crate) fn start_listening(&self, name: &str, args: &[String]) -> Result<(Proc, String)> {
        let mut p = self.spawn(name, args)?;
        let out = p.log.with_extension("out");
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            if let Some(addr) = text
                .lines()
                .next()
                .and_then(|l| l.trim().strip_prefix("listening on "))
            {
                return Ok((p, addr.to_owned()));
            }
            p.finished()?;
            ensure!(
                start.elapsed() < Duration::from_secs(60),
                "{name} did not start listening"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server the role with key `key` talks to: with several on one board, a different
    /// one for different roles (the same every time for one role).
    pub(crate) fn server_for(&self, key: &str) -> String {
        let n = self.others.len() + 1;
        let pick = key
            .bytes()
            .fold(0usize, |h, b| h.wrapping_mul(31) ^ b as usize)
            % n;
        match pick {
            0 => self.server.clone(),
            k => self.others[k - 1].clone(),
        }
    }

    /// The arguments every networked role takes.
    pub(crate) fn net(&self, key: &str, state: &str) -> Vec<String> {
        vec![
            "--server".into(),
            self.server_for(key),
            "--log".into(),
            self.log_pub.to_string_lossy().into_owned(),
            "--key".into(),
            self.s(&format!("keys/{key}.key")),
            "--passphrase-file".into(),
            self.passphrase_file.to_string_lossy().into_owned(),
            "--state".into(),
            self.s(&format!("state/{state}")),
        ]
    }
}
