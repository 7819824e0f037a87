//! Where the board keeps its log: the entries with their kinds and index keys, the hashes of
//! every complete subtree, and the checkpoints it has signed. [`Storage`] is what the board
//! needs of a database; [`SqliteStorage`] is the embedded default, [`crate::PgStorage`] the
//! same on PostgreSQL.

use std::path::Path;
use std::time::Duration;

use crate::error::BoardError;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::Hash;
use crate::merkle::NodeRead;

/// One entry of the log: an election artifact's bytes, its kind, and the keys it is found by
/// (a ballot's id and confirmation code, say). Only the bytes are hashed into the tree; kind
/// and keys are an index over it.
///
/// An entry may have a body kept beside it, found by its SHA-256 ([`body_path`]): tlog-tiles
/// entry bundles hold at most 64 KiB per entry, and an encrypted ballot is often larger, so the
/// server logs a signed write as a small entry that names its body's SHA-256 (which the
/// author's signature covers) and keeps the body here. The board stores and serves bodies; it
/// is the entry's reader that checks a body against the digest its entry names.
///
/// [`body_path`]: crate::tiles::body_path
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What the artifact is ("ballot", "manifest", …).
    pub kind: String,
    /// (key name, value) pairs the entry is found by.
    pub keys: Vec<(String, String)>,
    /// The artifact's bytes, byte for byte.
    pub data: Vec<u8>,
    /// The body kept beside the entry, if any (not hashed into the tree).
    pub body: Option<Vec<u8>>,
}

impl Entry {
    /// An entry of `kind` with no index keys and no body.
    pub fn new(kind: impl Into<String>, data: Vec<u8>) -> Self {
        Self {
            kind: kind.into(),
            keys: Vec::new(),
            data,
            body: None,
        }
    }

    /// The entry, also found by `name` = `value`.
    pub fn with_key(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.keys.push((name.into(), value.into()));
        self
    }

    /// The entry with `body` kept beside it.
    pub fn with_body(mut self, body: Vec<u8>) -> Self {
        self.body = Some(body);
        self
    }
}

/// The SHA-256 of a body: the name it is stored and served under.
pub fn body_digest(body: &[u8]) -> Hash {
    use sha2::Digest;
    sha2::Sha256::digest(body).into()
}

/// The (level, index) of the complete subtrees of the tree of `size` entries, lowest level
/// first: a subtree of 2^level leaves for each bit set in `size`, the last of its level.
pub(crate) fn frontier_nodes(size: u64) -> impl Iterator<Item = (u32, u64)> {
    (0..64u32)
        .filter(move |level| size >> level & 1 == 1)
        .map(move |level| (level, (size >> level) - 1))
}

/// An entry as stored, with its position and when it was appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Its index in the log.
    pub index: u64,
    /// Seconds since the Unix epoch when it was appended (the server's clock: not part of
    /// what the tree commits to).
    pub appended_at: u64,
    /// The entry.
    pub entry: Entry,
}

/// What the board needs of a database. Every write is all or nothing and durable when it
/// returns.
pub trait Storage: NodeRead {
    /// Appends `entries` at indices `first..` with the tree nodes they complete, and the new
    /// size, in one transaction.
    fn append(
        &mut self,
        first: u64,
        entries: &[Entry],
        nodes: &[(u32, u64, Hash)],
        appended_at: u64,
    ) -> Result<(), BoardError>;
    /// The entry at `index`.
    fn entry(&self, index: u64) -> Result<Option<StoredEntry>, BoardError>;
    /// The bytes of the entries `start..end` (for static export), in order.
    fn entry_data(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, BoardError>;
    /// The SHA-256 of the bodies of the entries `start..end` that have one, in order.
    fn body_digests(&self, start: u64, end: u64) -> Result<Vec<Hash>, BoardError>;
    /// The body whose SHA-256 is `digest`, if an entry has it.
    fn body(&self, digest: &Hash) -> Result<Option<Vec<u8>>, BoardError>;
    /// The nodes at `level` with indices `start..end`, in order.
    fn nodes(&self, level: u32, start: u64, end: u64) -> Result<Vec<Hash>, BoardError>;
    /// The indices of the entries found by `name` = `value`, in order.
    fn find(&self, name: &str, value: &str) -> Result<Vec<u64>, BoardError>;
    /// Records the signed checkpoint for `size` unless one is recorded already; returns the
    /// one recorded (so that the log never hands out two notes for one size).
    fn record_checkpoint(&mut self, size: u64, note: &str) -> Result<String, BoardError>;
    /// Replaces the note recorded for `size` by one that carries more signatures on the same
    /// body (the caller checks that it does).
    fn update_checkpoint(&mut self, size: u64, note: &str) -> Result<(), BoardError>;
    /// The checkpoint recorded for `size`.
    fn checkpoint(&self, size: u64) -> Result<Option<String>, BoardError>;
    /// The recorded checkpoint of the largest size below `size` (`u64::MAX`: the latest).
    fn checkpoint_below(&self, size: u64) -> Result<Option<(u64, String)>, BoardError>;
    /// A setting of the log (origin, key, witness policy).
    fn setting(&self, name: &str) -> Result<Option<String>, BoardError>;
    /// Sets a setting.
    fn set_setting(&mut self, name: &str, value: &str) -> Result<(), BoardError>;
    /// The indices in `start..end` of the entries that have a key named `name`, in order.
    fn keyed(&self, name: &str, start: u64, end: u64) -> Result<Vec<u64>, BoardError>;
    /// The first of `pairs` (key name, value) that some entry has, if any: [`Storage::find`]
    /// of each, which a storage with round trips to a server answers in one.
    fn find_any(&self, pairs: &[(String, String)]) -> Result<Option<(String, String)>, BoardError> {
        for (name, value) in pairs {
            if !self.find(name, value)?.is_empty() {
                return Ok(Some((name.clone(), value.clone())));
            }
        }
        Ok(None)
    }
    /// The log's size as committed and [`Storage::keyed`] from `start` up to it, read at
    /// once (a storage with round trips to a server answers both in one).
    fn keyed_since(&self, name: &str, start: u64) -> Result<(u64, Vec<u64>), BoardError> {
        let size = self.size()?;
        Ok((size, self.keyed(name, start, size)?))
    }
    /// The complete subtrees the tree of `size` entries is made of, lowest level first (RFC
    /// 9162 §2.1.1: one a bit set in `size`), as (level, hash): [`NodeRead::node`] of each,
    /// which a storage with round trips to a server reads in one.
    fn frontier(&self, size: u64) -> Result<Vec<(u32, Hash)>, BoardError> {
        frontier_nodes(size)
            .map(|(level, index)| Ok((level, self.node(level, index)?)))
            .collect()
    }
    /// Takes the log's sequencing until [`Storage::release`]: meanwhile no other writer
    /// appends, reads see every append the others committed, and appends join one transaction
    /// that the release commits. A storage only one writer ever opens (a SQLite file, under
    /// its file lock) has nothing to take: each append is its own transaction. Returns the
    /// log's size as committed, read under the hold (with it, on a server: one round trip).
    fn hold(&mut self) -> Result<u64, BoardError> {
        self.size()
    }
    /// Ends a [`Storage::hold`], committing what was appended under it (`commit`) or rolling
    /// it back. When it fails, nothing appended under the hold may be taken as durable.
    fn release(&mut self, _commit: bool) -> Result<(), BoardError> {
        Ok(())
    }
}

/// The board in one SQLite file, in WAL mode with `synchronous = FULL`: a commit returns only
/// once the write-ahead log is on disk, so an append that returned survives a crash of the
/// process or of the machine.
pub struct SqliteStorage {
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    idx INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    appended_at INTEGER NOT NULL,
    data BLOB NOT NULL,
    body_digest BLOB
);
CREATE TABLE IF NOT EXISTS bodies (
    digest BLOB PRIMARY KEY,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS entry_keys (
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    idx INTEGER NOT NULL,
    PRIMARY KEY (name, value, idx)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entry_keys_by_index ON entry_keys (name, idx);
CREATE TABLE IF NOT EXISTS nodes (
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
    size INTEGER PRIMARY KEY,
    note TEXT NOT NULL
);
";

/// An index or size as the databases' signed 64-bit integers (SQLite's and PostgreSQL's).
pub(crate) fn to_sql(n: u64) -> Result<i64, BoardError> {
    i64::try_from(n)
        .map_err(|_| BoardError::Damaged(format!("{n} is beyond the database's integers")))
}

/// A stored index or size; a negative one is damage.
pub(crate) fn from_sql(n: i64) -> Result<u64, BoardError> {
    u64::try_from(n).map_err(|_| BoardError::Damaged(format!("negative index {n}")))
}

/// A stored hash; one of another length is damage.
pub(crate) fn hash_of(blob: Vec<u8>) -> Result<Hash, BoardError> {
    blob.try_into()
        .map_err(|b: Vec<u8>| BoardError::Damaged(format!("a {}-byte node hash", b.len())))
}

impl SqliteStorage {
    /// Opens (creating if need be) the database at `path` for reading and writing.
    pub fn open(path: &Path) -> Result<Self, BoardError> {
        let conn = Connection::open(path)?;
        // WAL: readers do not block the writer; FULL: a commit is on disk when it returns.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.execute_batch(SCHEMA)?;
        // A board made before entries had bodies: the column they are found by.
        let has_bodies: i64 = conn.query_row(
            "SELECT count(*) FROM pragma_table_info('entries') WHERE name = 'body_digest'",
            [],
            |r| r.get(0),
        )?;
        if has_bodies == 0 {
            conn.execute_batch("ALTER TABLE entries ADD COLUMN body_digest BLOB")?;
        }
        Ok(Self { conn })
    }

    /// Opens the board already in the database at `path` for reading and writing. Nothing is
    /// written to a file that holds no board (a new empty file, another program's database):
    /// it is refused as it is, before the journal mode or the schema would change it.
    pub fn open_existing(path: &Path) -> Result<Self, BoardError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(30))?;
        let tables: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('entries', \
             'settings')",
            [],
            |r| r.get(0),
        )?;
        if tables != 2 {
            return Err(BoardError::NotInitialised);
        }
        drop(conn);
        Self::open(path)
    }

    /// Opens the database at `path` for reading only (a reader beside the writer: WAL lets it
    /// see each committed state without blocking appends).
    pub fn open_read_only(path: &Path) -> Result<Self, BoardError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(30))?;
        Ok(Self { conn })
    }
}

impl NodeRead for SqliteStorage {
    fn size(&self) -> Result<u64, BoardError> {
        let max: Option<i64> = self
            .conn
            .prepare_cached("SELECT max(idx) FROM entries")?
            .query_row([], |r| r.get(0))?;
        max.map_or(Ok(0), |m| from_sql(m).map(|m| m + 1))
    }

    fn node(&self, level: u32, index: u64) -> Result<Hash, BoardError> {
        let blob: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT hash FROM nodes WHERE level = ?1 AND idx = ?2")?
            .query_row(params![level, to_sql(index)?], |r| r.get(0))
            .optional()?;
        hash_of(blob.ok_or(BoardError::MissingNode { level, index })?)
    }
}

impl Storage for SqliteStorage {
    fn append(
        &mut self,
        first: u64,
        entries: &[Entry],
        nodes: &[(u32, u64, Hash)],
        appended_at: u64,
    ) -> Result<(), BoardError> {
        let tx = self.conn.transaction()?;
        {
            let mut put_entry = tx.prepare_cached(
                "INSERT INTO entries (idx, kind, appended_at, data, body_digest) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            // A body two entries share (two authors' empty steps) is kept once.
            let mut put_body =
                tx.prepare_cached("INSERT OR IGNORE INTO bodies (digest, data) VALUES (?1, ?2)")?;
            let mut put_key = tx.prepare_cached(
                "INSERT OR IGNORE INTO entry_keys (name, value, idx) VALUES (?1, ?2, ?3)",
            )?;
            let mut put_node =
                tx.prepare_cached("INSERT INTO nodes (level, idx, hash) VALUES (?1, ?2, ?3)")?;
            let at = to_sql(appended_at)?;
            for (i, e) in entries.iter().enumerate() {
                let idx = to_sql(first + i as u64)?;
                let digest = e.body.as_deref().map(body_digest);
                if let (Some(d), Some(body)) = (&digest, &e.body) {
                    put_body.execute(params![&d[..], body])?;
                }
                put_entry.execute(params![idx, e.kind, at, e.data, digest.map(|d| d.to_vec())])?;
                for (name, value) in &e.keys {
                    put_key.execute(params![name, value, idx])?;
                }
            }
            for (level, index, hash) in nodes {
                put_node.execute(params![level, to_sql(*index)?, &hash[..]])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn entry(&self, index: u64) -> Result<Option<StoredEntry>, BoardError> {
        // No log holds 2^63 entries: an index beyond SQLite's integers is simply not there
        // (asked by a client, it is no sign of a damaged database).
        let Ok(idx) = i64::try_from(index) else {
            return Ok(None);
        };
        type Row = (String, i64, Vec<u8>, Option<Vec<u8>>);
        let row: Option<Row> = self
            .conn
            .prepare_cached(
                "SELECT kind, appended_at, e.data, b.data FROM entries e \
                 LEFT JOIN bodies b ON b.digest = e.body_digest WHERE idx = ?1",
            )?
            .query_row([idx], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let Some((kind, at, data, body)) = row else {
            return Ok(None);
        };
        let keys = self
            .conn
            .prepare_cached("SELECT name, value FROM entry_keys WHERE idx = ?1 ORDER BY name")?
            .query_map([idx], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(StoredEntry {
            index,
            appended_at: from_sql(at)?,
            entry: Entry {
                kind,
                keys,
                data,
                body,
            },
        }))
    }

    fn entry_data(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, BoardError> {
        Ok(self
            .conn
            .prepare_cached("SELECT data FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")?
            .query_map([to_sql(start)?, to_sql(end)?], |r| r.get(0))?
            .collect::<Result<Vec<_>, _>>()?)
    }

    fn body_digests(&self, start: u64, end: u64) -> Result<Vec<Hash>, BoardError> {
        let blobs: Vec<Vec<u8>> = self
            .conn
            .prepare_cached(
                "SELECT body_digest FROM entries WHERE idx >= ?1 AND idx < ?2 \
                 AND body_digest IS NOT NULL ORDER BY idx",
            )?
            .query_map([to_sql(start)?, to_sql(end)?], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        blobs.into_iter().map(hash_of).collect()
    }

    fn body(&self, digest: &Hash) -> Result<Option<Vec<u8>>, BoardError> {
        Ok(self
            .conn
            .prepare_cached("SELECT data FROM bodies WHERE digest = ?1")?
            .query_row([&digest[..]], |r| r.get(0))
            .optional()?)
    }

    fn nodes(&self, level: u32, start: u64, end: u64) -> Result<Vec<Hash>, BoardError> {
        let blobs: Vec<Vec<u8>> = self
            .conn
            .prepare_cached(
                "SELECT hash FROM nodes WHERE level = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx",
            )?
            .query_map(params![level, to_sql(start)?, to_sql(end)?], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        blobs.into_iter().map(hash_of).collect()
    }

    fn find(&self, name: &str, value: &str) -> Result<Vec<u64>, BoardError> {
        let found: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT idx FROM entry_keys WHERE name = ?1 AND value = ?2 ORDER BY idx",
            )?
            .query_map([name, value], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        found.into_iter().map(from_sql).collect()
    }

    fn record_checkpoint(&mut self, size: u64, note: &str) -> Result<String, BoardError> {
        let tx = self.conn.transaction()?;
        tx.prepare_cached("INSERT OR IGNORE INTO checkpoints (size, note) VALUES (?1, ?2)")?
            .execute(params![to_sql(size)?, note])?;
        let stored: String = tx
            .prepare_cached("SELECT note FROM checkpoints WHERE size = ?1")?
            .query_row([to_sql(size)?], |r| r.get(0))?;
        tx.commit()?;
        Ok(stored)
    }

    fn update_checkpoint(&mut self, size: u64, note: &str) -> Result<(), BoardError> {
        let changed = self
            .conn
            .prepare_cached("UPDATE checkpoints SET note = ?2 WHERE size = ?1")?
            .execute(params![to_sql(size)?, note])?;
        if changed != 1 {
            return Err(BoardError::Damaged(format!("no checkpoint of size {size}")));
        }
        Ok(())
    }

    fn checkpoint(&self, size: u64) -> Result<Option<String>, BoardError> {
        Ok(self
            .conn
            .prepare_cached("SELECT note FROM checkpoints WHERE size = ?1")?
            .query_row([to_sql(size)?], |r| r.get(0))
            .optional()?)
    }

    fn checkpoint_below(&self, size: u64) -> Result<Option<(u64, String)>, BoardError> {
        let below = i64::try_from(size).unwrap_or(i64::MAX);
        let row: Option<(i64, String)> = self
            .conn
            .prepare_cached(
                "SELECT size, note FROM checkpoints WHERE size < ?1 ORDER BY size DESC LIMIT 1",
            )?
            .query_row([below], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(s, n)| Ok((from_sql(s)?, n))).transpose()
    }

    fn setting(&self, name: &str) -> Result<Option<String>, BoardError> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    fn keyed(&self, name: &str, start: u64, end: u64) -> Result<Vec<u64>, BoardError> {
        let found: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT idx FROM entry_keys WHERE name = ?1 AND idx >= ?2 AND idx < ?3 \
                 ORDER BY idx",
            )?
            .query_map(params![name, to_sql(start)?, to_sql(end)?], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        found.into_iter().map(from_sql).collect()
    }

    fn set_setting(&mut self, name: &str, value: &str) -> Result<(), BoardError> {
        self.conn
            .prepare_cached(
                "INSERT INTO settings (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )?
            .execute([name, value])?;
        Ok(())
    }
}
