//! Where a board is, as `--db` names it: a SQLite file (the embedded default) or a PostgreSQL
//! database (`postgres://…`). The server and the commands by hand open either through
//! [`BoardDb`], get an [`AnyStorage`], and hold the board with a [`DbLock`]: the file lock of
//! [`BoardLock`] beside a SQLite file, a session advisory lock in PostgreSQL, which the database
//! releases when the holder's connection ends, however its process ends.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use postgres::NoTls;

use crate::Hash;
use crate::error::BoardError;
use crate::lock::BoardLock;
use crate::merkle::NodeRead;
use crate::pg::PgStorage;
use crate::store::{Entry, SqliteStorage, Storage, StoredEntry};

/// A board's database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardDb {
    /// A SQLite file.
    File(PathBuf),
    /// A PostgreSQL connection string (`postgres://…` or `postgresql://…`; a Unix socket by
    /// `?host=/path`).
    Postgres(String),
}

impl FromStr for BoardDb {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("give a database file or a postgres:// URL".into());
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            postgres::Config::from_str(text).map_err(|e| format!("{}: {e}", redact(text)))?;
            return Ok(Self::Postgres(text.to_owned()));
        }
        Ok(Self::File(PathBuf::from(text)))
    }
}

impl From<PathBuf> for BoardDb {
    fn from(path: PathBuf) -> Self {
        Self::File(path)
    }
}

impl From<&std::path::Path> for BoardDb {
    fn from(path: &std::path::Path) -> Self {
        Self::File(path.to_owned())
    }
}

/// A connection string without its password, for messages and logs.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user, host)) if user.contains(':') => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:…@{host}{tail}")
        }
        _ => url.to_owned(),
    }
}

impl fmt::Display for BoardDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(p) => write!(f, "{}", p.display()),
            Self::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

/// The advisory lock's key in PostgreSQL ("ente"): one board per database.
const LOCK_KEY: i64 = 0x656e_7465;

/// A hold on a board, released when dropped (or when its process ends).
pub enum DbLock {
    /// The file lock beside a SQLite file.
    File(BoardLock),
    /// The connection that holds the advisory lock.
    Postgres(Box<postgres::Client>),
}

impl fmt::Debug for DbLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(l) => l.fmt(f),
            Self::Postgres(_) => f.write_str("DbLock::Postgres"),
        }
    }
}

/// A connection that says who it is, so that a refused holder can be named.
fn lock_client(url: &str, who: &str) -> Result<postgres::Client, BoardError> {
    let mut config = postgres::Config::from_str(url)?;
    config.application_name(&format!("entente, {who} {}", std::process::id()));
    Ok(config.connect(NoTls)?)
}

/// Who holds the advisory lock, as its connection named itself.
fn pg_holder(client: &mut postgres::Client) -> String {
    client
        .query_opt(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objid::bigint = $1 LIMIT 1",
            &[&LOCK_KEY],
        )
        .ok()
        .flatten()
        .and_then(|row| row.try_get::<_, String>(0).ok())
        .map(|name| name.trim_start_matches("entente, ").to_owned())
        .unwrap_or_else(|| "held by another process".to_owned())
}

impl BoardDb {
    /// The text that names it on a command line (`--db`), password included: pass a URL with
    /// a password only to processes of your own.
    pub fn argument(&self) -> String {
        match self {
            Self::File(p) => p.to_string_lossy().into_owned(),
            Self::Postgres(url) => url.clone(),
        }
    }

    /// Opens the board, creating its tables when they are missing (`board init`).
    pub fn open(&self) -> Result<AnyStorage, BoardError> {
        Ok(match self {
            Self::File(p) => AnyStorage::Sqlite(SqliteStorage::open(p)?),
            Self::Postgres(url) => AnyStorage::Postgres(Box::new(PgStorage::connect(url)?)),
        })
    }

    /// Opens the board that is there; a database without one is refused as it is.
    pub fn open_existing(&self) -> Result<AnyStorage, BoardError> {
        Ok(match self {
            Self::File(p) => AnyStorage::Sqlite(SqliteStorage::open_existing(p)?),
            Self::Postgres(url) => {
                AnyStorage::Postgres(Box::new(PgStorage::connect_existing(url)?))
            }
        })
    }

    /// Opens the board for reading only: any write through it fails in the database.
    pub fn open_read_only(&self) -> Result<AnyStorage, BoardError> {
        Ok(match self {
            Self::File(p) => AnyStorage::Sqlite(SqliteStorage::open_read_only(p)?),
            Self::Postgres(url) => {
                AnyStorage::Postgres(Box::new(PgStorage::connect_read_only(url)?))
            }
        })
    }

    /// The server's hold, for as long as it serves. A SQLite file is served by one process: it
    /// is refused if any other holds the board. A PostgreSQL board is served by as many servers
    /// as the operator starts (a shared hold: their appends are sequenced by the database), but
    /// not while a command by hand writes it.
    pub fn lock_serve(&self) -> Result<DbLock, BoardError> {
        match self {
            Self::File(p) => Ok(DbLock::File(BoardLock::serve(p)?)),
            Self::Postgres(url) => {
                let mut client = lock_client(url, "served by process")?;
                let got: bool = client
                    .query_one("SELECT pg_try_advisory_lock_shared($1)", &[&LOCK_KEY])?
                    .try_get(0)?;
                if !got {
                    return Err(BoardError::Busy(format!(
                        "the board in {self} is {}: serve it once that command is done",
                        pg_holder(&mut client)
                    )));
                }
                Ok(DbLock::Postgres(Box::new(client)))
            }
        }
    }

    /// A writer's hold by hand: refused while a server serves the board; behind another
    /// writer it waits (calling `waiting` once, to say so) until that one is done.
    pub fn lock_write(&self, waiting: impl FnOnce(&str)) -> Result<DbLock, BoardError> {
        match self {
            Self::File(p) => Ok(DbLock::File(BoardLock::write(p, waiting)?)),
            Self::Postgres(url) => {
                let mut client = lock_client(url, "written by process")?;
                let got: bool = client
                    .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])?
                    .try_get(0)?;
                if !got {
                    let who = pg_holder(&mut client);
                    if who.starts_with("served") {
                        return Err(BoardError::Busy(format!(
                            "the board in {self} is {who}: write to it through the server, or \
                             stop the server first"
                        )));
                    }
                    waiting(&who);
                    client.execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])?;
                }
                Ok(DbLock::Postgres(Box::new(client)))
            }
        }
    }
}

/// The board's storage on either database.
pub enum AnyStorage {
    /// SQLite.
    Sqlite(SqliteStorage),
    /// PostgreSQL.
    Postgres(Box<PgStorage>),
}

/// The same call on whichever storage it is.
macro_rules! each {
    ($self:expr, $s:ident => $call:expr) => {
        match $self {
            AnyStorage::Sqlite($s) => $call,
            AnyStorage::Postgres($s) => $call,
        }
    };
}

impl NodeRead for AnyStorage {
    fn size(&self) -> Result<u64, BoardError> {
        each!(self, s => s.size())
    }
    fn node(&self, level: u32, index: u64) -> Result<Hash, BoardError> {
        each!(self, s => s.node(level, index))
    }
}

impl Storage for AnyStorage {
    fn append(
        &mut self,
        first: u64,
        entries: &[Entry],
        nodes: &[(u32, u64, Hash)],
        appended_at: u64,
    ) -> Result<(), BoardError> {
        each!(self, s => s.append(first, entries, nodes, appended_at))
    }
    fn entry(&self, index: u64) -> Result<Option<StoredEntry>, BoardError> {
        each!(self, s => s.entry(index))
    }
    fn entry_data(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, BoardError> {
        each!(self, s => s.entry_data(start, end))
    }
    fn body_digests(&self, start: u64, end: u64) -> Result<Vec<Hash>, BoardError> {
        each!(self, s => s.body_digests(start, end))
    }
    fn body(&self, digest: &Hash) -> Result<Option<Vec<u8>>, BoardError> {
        each!(self, s => s.body(digest))
    }
    fn nodes(&self, level: u32, start: u64, end: u64) -> Result<Vec<Hash>, BoardError> {
        each!(self, s => s.nodes(level, start, end))
    }
    fn find(&self, name: &str, value: &str) -> Result<Vec<u64>, BoardError> {
        each!(self, s => s.find(name, value))
    }
    fn record_checkpoint(&mut self, size: u64, note: &str) -> Result<String, BoardError> {
        each!(self, s => s.record_checkpoint(size, note))
    }
    fn update_checkpoint(&mut self, size: u64, note: &str) -> Result<(), BoardError> {
        each!(self, s => s.update_checkpoint(size, note))
    }
    fn checkpoint(&self, size: u64) -> Result<Option<String>, BoardError> {
        each!(self, s => s.checkpoint(size))
    }
    fn checkpoint_below(&self, size: u64) -> Result<Option<(u64, String)>, BoardError> {
        each!(self, s => s.checkpoint_below(size))
    }
    fn setting(&self, name: &str) -> Result<Option<String>, BoardError> {
        each!(self, s => s.setting(name))
    }
    fn set_setting(&mut self, name: &str, value: &str) -> Result<(), BoardError> {
        each!(self, s => s.set_setting(name, value))
    }
    fn keyed(&self, name: &str, start: u64, end: u64) -> Result<Vec<u64>, BoardError> {
        each!(self, s => s.keyed(name, start, end))
    }
    fn keyed_since(&self, name: &str, start: u64) -> Result<(u64, Vec<u64>), BoardError> {
        each!(self, s => s.keyed_since(name, start))
    }
    fn find_any(&self, pairs: &[(String, String)]) -> Result<Option<(String, String)>, BoardError> {
        each!(self, s => s.find_any(pairs))
    }
    fn frontier(&self, size: u64) -> Result<Vec<(u32, Hash)>, BoardError> {
        each!(self, s => s.frontier(size))
    }
    fn hold(&mut self) -> Result<u64, BoardError> {
        each!(self, s => s.hold())
    }
    fn release(&mut self, commit: bool) -> Result<(), BoardError> {
        each!(self, s => s.release(commit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_selects_postgres_and_anything_else_a_file() {
        assert_eq!(
            "board.db".parse::<BoardDb>(),
            Ok(BoardDb::File("board.db".into()))
        );
        let url = "postgres://entente:s3cret@db.example:5432/board";
        let db: BoardDb = url.parse().unwrap();
        assert_eq!(db, BoardDb::Postgres(url.into()));
        // The password never reaches a message.
        assert_eq!(db.to_string(), "postgres://entente:…@db.example:5432/board");
        assert!(!db.to_string().contains("s3cret"));
        assert!(
            "postgresql://x@/board?host=/tmp/sock"
                .parse::<BoardDb>()
                .is_ok()
        );
        assert!("postgres://h/db?sslmode=bogus".parse::<BoardDb>().is_err());
        assert!("".parse::<BoardDb>().is_err());
    }
}
