//! A throw-away PostgreSQL cluster for tests and demos: `initdb` into a temporary folder,
//! `pg_ctl start` listening on a Unix socket in that folder only (no TCP port, no password, no
//! system service), stopped and removed when dropped. It uses Debian's `postgresql` package
//! (`/usr/lib/postgresql/<version>/bin`, or `initdb` on the PATH, or the folder named by
//! `ENTENTE_PG_BIN`).
//!
//! PostgreSQL refuses to run as root; as root the cluster runs as the user `nobody`, who is given
//! the folder.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running cluster, stopped and removed when dropped.
pub struct ThrowawayCluster {
    bin: PathBuf,
    dir: PathBuf,
    as_nobody: bool,
}

/// The folder of PostgreSQL's server programs, if it is installed.
fn pg_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ENTENTE_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
    });
    if on_path.is_some() {
        return on_path;
    }
    // Debian installs each major version beside the others; the newest is taken.
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

impl ThrowawayCluster {
    /// Creates and starts a cluster in a new folder under the system's temporary folder.
    pub fn start() -> Result<Self, String> {
        let bin = pg_bin().ok_or(
            "PostgreSQL is not installed: `apt-get install postgresql` (.ci/run installs it)",
        )?;
        let dir = std::env::temp_dir().join(format!(
            "entente-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let as_nobody = is_root();
        let cluster = Self {
            bin,
            dir,
            as_nobody,
        };
        if as_nobody {
            cluster.run(Command::new("chown").args(["nobody:", &cluster.s(&cluster.dir)]))?;
        }
        let data = cluster.s(&cluster.dir.join("data"));
        cluster.run(cluster.pg("initdb").args([
            "-D",
            &data,
            "-A",
            "trust",
            "-U",
            "entente",
            "-E",
            "UTF8",
            "--no-sync",
        ]))?;
        let options = format!("-k {} -c listen_addresses=", cluster.s(&cluster.dir));
        let log = cluster.s(&cluster.dir.join("server.log"));
        cluster.run(
            cluster
                .pg("pg_ctl")
                .args(["-D", &data, "-l", &log, "-o", &options, "-w", "start"]),
        )?;
        Ok(cluster)
    }

    /// The connection string of its `postgres` database, over its socket.
    pub fn url(&self) -> String {
        format!("host={} user=entente dbname=postgres", self.dir.display())
    }

    /// A new, empty database in the cluster; its URL (`postgresql://entente@/NAME?host=SOCKET`,
    /// as `--db` takes it).
    pub fn new_database(&self, name: &str) -> Result<String, String> {
        let mut admin =
            postgres::Client::connect(&self.url(), postgres::NoTls).map_err(|e| e.to_string())?;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .map_err(|e| e.to_string())?;
        Ok(format!(
            "postgresql://entente@/{name}?host={}",
            self.dir.display()
        ))
    }

    fn s(&self, p: &Path) -> String {
        p.to_string_lossy().into_owned()
    }

    /// One of PostgreSQL's programs, run as `nobody` when this process is root.
    fn pg(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_nobody {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, command: &mut Command) -> Result<(), String> {
        let out = command.output().map_err(|e| format!("{command:?}: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        Err(format!(
            "{command:?} failed: {}{}\n{log}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

impl Drop for ThrowawayCluster {
    fn drop(&mut self) {
        let data = self.s(&self.dir.join("data"));
        let _ = self.run(
            self.pg("pg_ctl")
                .args(["-D", &data, "-m", "immediate", "-w", "stop"]),
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
