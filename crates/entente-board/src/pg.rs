//! The board on PostgreSQL: the same tables and promises as [`SqliteStorage`], for a board that
//! several servers share (issue 24) or that an operator keeps on the engine it already runs.
//!
//! The client is `postgres`, the blocking face of `tokio-postgres` by the same authors: the
//! [`Storage`] trait is synchronous (the sequencer's thread owns it, readers call it from
//! blocking tasks), so a blocking client fits it without a runtime per call, and the protocol
//! code underneath is the async crate the Rust community relies on. (sqlx was the other choice;
//! its compile-time checked queries need a database at build time, which CI would then need
//! before compiling anything.)
//!
//! Several writers: any number of servers may append to one database. Each batch takes the
//! sequencing with a transaction-scoped advisory lock ([`Storage::hold`]), reads the log's
//! size as committed, appends after it and commits, which releases the lock: appends are
//! ordered by the database, and a writer that dies mid-batch leaves nothing (PostgreSQL rolls
//! its transaction back and frees the lock when the connection drops).
//!
//! Durability: a commit returns only once PostgreSQL has flushed it (`synchronous_commit = on`,
//! set for the session, whatever the cluster's default), so an acknowledged append survives a
//! crash of the server process or of the database host.
//!
//! [`SqliteStorage`]: crate::SqliteStorage

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use postgres::types::ToSql;
use postgres::{Client, GenericClient, NoTls, Row, SimpleQueryMessage, Statement};

use crate::Hash;
use crate::error::BoardError;
use crate::merkle::NodeRead;
use crate::store::{
    Entry, Storage, StoredEntry, body_digest, from_sql, frontier_nodes, hash_of, to_sql,
};

/// The board in a PostgreSQL database.
pub struct PgStorage {
    /// One connection. `postgres::Client` needs `&mut` for every query while the trait reads
    /// through `&self`: a mutex gives each call the connection in turn. (A panic while one
    /// holds it leaves no transaction open: `postgres::Transaction` rolls back when dropped.)
    client: Mutex<Session>,
    /// Whether this connection holds the sequencing, in an open transaction.
    held: bool,
    /// Whether it appended under the hold: until then, every node it reads is committed.
    wrote: bool,
    /// Where it connects, and how each session is set up: to connect again when the
    /// connection is lost (the database restarted, a network cut).
    url: String,
    read_only: bool,
    /// Complete-subtree hashes read before, committed: a node is written once and never
    /// changed, and an inclusion proof reads O(log n) of them, mostly the same large left
    /// subtrees for every ballot, so each is asked of the database once rather than per
    /// proof. Nothing read under a hold after an append is kept: such a node may be the
    /// transaction's own, which a failed release takes back.
    nodes: Mutex<NodeCache>,
}

/// Complete-subtree hashes by (level, index).
type NodeCache = HashMap<(u32, u64), Hash>;

/// Nodes kept by [`PgStorage`] before it forgets them all (about 6 MiB).
const CACHED_NODES: usize = 1 << 17;

/// The transaction-scoped advisory lock that sequences appends ("ents"); not the key of the
/// session locks of [`crate::BoardDb`], which say who serves or writes the board.
const SEQUENCE_KEY: i64 = 0x656e_7473;

/// A connection and the statements prepared on it: each query's text is parsed and planned
/// by PostgreSQL once per connection, not at every call (a ballot's append and its proof take
/// a score of them). A connection made again starts with none.
struct Session {
    client: Client,
    prepared: HashMap<&'static str, Statement>,
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl Session {
    fn statement(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.prepared.insert(sql, s.clone());
        Ok(s)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Vec<Row>, postgres::Error> {
        let s = self.statement(sql)?;
        self.client.query(&s, params)
    }

    fn query_opt(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Option<Row>, postgres::Error> {
        let s = self.statement(sql)?;
        self.client.query_opt(&s, params)
    }

    fn query_one(&mut self, sql: &'static str, params: Params<'_>) -> Result<Row, postgres::Error> {
        let s = self.statement(sql)?;
        self.client.query_one(&s, params)
    }

    fn execute(&mut self, sql: &'static str, params: Params<'_>) -> Result<u64, postgres::Error> {
        let s = self.statement(sql)?;
        self.client.execute(&s, params)
    }

    fn batch_execute(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.client.batch_execute(sql)
    }

    fn simple_query(&mut self, sql: &str) -> Result<Vec<SimpleQueryMessage>, postgres::Error> {
        self.client.simple_query(sql)
    }

    fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// The statement of an append's rows (see [`insert`]).
    fn insert_statement(&mut self) -> Result<Statement, postgres::Error> {
        // A batch's bodies, entries, keys and nodes in one statement, each table's rows from
        // arrays: one round trip a batch, where a row a statement took one a row (under the
        // hold, every round trip is time the other servers wait). A body two entries share
        // (two authors' empty steps) is kept once.
        self.statement(
            "WITH b AS (INSERT INTO bodies (digest, data) \
                 SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT (digest) DO NOTHING), \
             e AS (INSERT INTO entries (idx, kind, appended_at, data, body_digest) \
                 SELECT i, k, $3, d, b \
                 FROM unnest($4::bigint[], $5::text[], $6::bytea[], $7::bytea[]) AS t(i, k, d, b)), \
             k AS (INSERT INTO entry_keys (name, value, idx) \
                 SELECT * FROM unnest($8::text[], $9::text[], $10::bigint[]) ON CONFLICT DO NOTHING) \
             INSERT INTO nodes (level, idx, hash) \
             SELECT * FROM unnest($11::int[], $12::bigint[], $13::bytea[])",
        )
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    idx BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    appended_at BIGINT NOT NULL,
    data BYTEA NOT NULL,
    body_digest BYTEA
);
CREATE TABLE IF NOT EXISTS bodies (
    digest BYTEA PRIMARY KEY,
    data BYTEA NOT NULL
);
-- A ballot's body is tens of kilobytes of hexadecimal numbers and signatures, which pglz
-- does not shrink by the quarter it requires: the attempt (a fifth of the database's time
-- under a load of ballots) is spared, and bodies are kept out of line as they are. Altered
-- only once: a server starting while others serve takes no lock on the table.
DO $$ BEGIN
    IF (SELECT attstorage FROM pg_attribute
        WHERE attrelid = 'bodies'::regclass AND attname = 'data') <> 'e' THEN
        ALTER TABLE bodies ALTER COLUMN data SET STORAGE EXTERNAL;
    END IF;
END $$;
CREATE TABLE IF NOT EXISTS entry_keys (
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    idx BIGINT NOT NULL,
    PRIMARY KEY (name, value, idx)
);
CREATE INDEX IF NOT EXISTS entry_keys_by_index ON entry_keys (name, idx);
CREATE TABLE IF NOT EXISTS nodes (
    level INTEGER NOT NULL,
    idx BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE IF NOT EXISTS checkpoints (
    size BIGINT PRIMARY KEY,
    note TEXT NOT NULL
);
";

/// Tree positions (level, index) as the arrays of PostgreSQL's integer types.
fn positions(nodes: impl Iterator<Item = (u32, u64)>) -> Result<(Vec<i32>, Vec<i64>), BoardError> {
    nodes
        .map(|(level, index)| Ok((level_sql(level)?, to_sql(index)?)))
        .collect()
}

fn level_sql(level: u32) -> Result<i32, BoardError> {
    i32::try_from(level).map_err(|_| BoardError::Damaged(format!("tree level {level}")))
}

impl PgStorage {
    /// Connects to the database at `url` (`postgres://…`, or key=value pairs; a Unix socket
    /// by `host=/path`) and creates the board's tables if they are missing.
    pub fn connect(url: &str) -> Result<Self, BoardError> {
        let mut client = session(url, false)?;
        client.batch_execute(SCHEMA)?;
        Ok(Self {
            client: Mutex::new(client),
            held: false,
            wrote: false,
            url: url.to_owned(),
            read_only: false,
            nodes: Mutex::default(),
        })
    }

    /// Connects to the board already in the database at `url`. A database that holds no
    /// board is refused as it is: no table is created in it.
    pub fn connect_existing(url: &str) -> Result<Self, BoardError> {
        let mut client = Client::connect(url, NoTls)?;
        let tables: i64 = client
            .query_one(
                "SELECT count(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name IN ('entries', 'settings')",
                &[],
            )?
            .try_get(0)?;
        if tables != 2 {
            return Err(BoardError::NotInitialised);
        }
        drop(client);
        Self::connect(url)
    }

    /// Connects to the board already in the database at `url` for reading only: the session's
    /// transactions are read-only, so a write through it fails in the database.
    pub fn connect_read_only(url: &str) -> Result<Self, BoardError> {
        let mut storage = Self::connect_existing(url)?;
        storage.read_only = true;
        *storage.client() = session(url, true)?;
        Ok(storage)
    }

    /// The connection. One that was lost is replaced by a new session (a call on the lost
    /// one failed already, and its caller was told), but never under a hold: the hold's
    /// transaction died with it, and a new session must not commit in its place.
    fn client(&self) -> MutexGuard<'_, Session> {
        let mut client = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        if client.is_closed() && !self.held {
            match session(&self.url, self.read_only) {
                Ok(new) => {
                    tracing::warn!("the connection to PostgreSQL was lost; connected again");
                    *client = new;
                }
                Err(e) => tracing::warn!("cannot connect to PostgreSQL again: {e}"),
            }
        }
        client
    }
}

/// A session set up as the board's: commits flushed before they return, statements planned
/// once; a reader's transactions read-only.
fn session(url: &str, read_only: bool) -> Result<Session, BoardError> {
    let mut client = Client::connect(url, NoTls)?;
    // The board's statements are index lookups and array inserts whose plan does not depend
    // on the values: planned once (generic), not again at every call as PostgreSQL otherwise
    // may for statements with array parameters.
    client
        .batch_execute("SET synchronous_commit = on; SET plan_cache_mode = force_generic_plan")?;
    if read_only {
        client.batch_execute("SET default_transaction_read_only = on")?;
    }
    Ok(Session {
        client,
        prepared: HashMap::new(),
    })
}

impl NodeRead for PgStorage {
    fn size(&self) -> Result<u64, BoardError> {
        let max: Option<i64> = self
            .client()
            .query_one("SELECT max(idx) FROM entries", &[])?
            .try_get(0)?;
        max.map_or(Ok(0), |m| from_sql(m).map(|m| m + 1))
    }

    fn node(&self, level: u32, index: u64) -> Result<Hash, BoardError> {
        if let Some(hash) = self.cache()?.get(&(level, index)) {
            return Ok(*hash);
        }
        let row = self.client().query_opt(
            "SELECT hash FROM nodes WHERE level = $1 AND idx = $2",
            &[&level_sql(level)?, &to_sql(index)?],
        )?;
        let blob: Vec<u8> = row
            .ok_or(BoardError::MissingNode { level, index })?
            .try_get(0)?;
        let hash = hash_of(blob)?;
        self.keep((level, index), hash)?;
        Ok(hash)
    }
}

impl PgStorage {
    fn cache(&self) -> Result<MutexGuard<'_, NodeCache>, BoardError> {
        self.nodes
            .lock()
            .map_err(|_| BoardError::Damaged("the node cache was left half-updated".into()))
    }

    /// Keeps a node just read, unless it may be the hold's own (see `nodes`).
    fn keep(&self, key: (u32, u64), hash: Hash) -> Result<(), BoardError> {
        if !(self.held && self.wrote) {
            let mut kept = self.cache()?;
            if kept.len() >= CACHED_NODES {
                kept.clear();
            }
            kept.insert(key, hash);
        }
        Ok(())
    }
}

/// The rows of an append, on a connection already in its transaction, by the statement
/// [`Session::insert_statement`] prepared.
fn insert(
    tx: &mut impl GenericClient,
    statement: &Statement,
    first: u64,
    entries: &[Entry],
    nodes: &[(u32, u64, Hash)],
    appended_at: u64,
) -> Result<(), BoardError> {
    let at = to_sql(appended_at)?;
    let (mut digests, mut bodies) = (Vec::new(), Vec::new());
    let (mut idx, mut kinds, mut data, mut body_digests) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut names, mut values, mut keyed) = (Vec::new(), Vec::new(), Vec::new());
    for (i, e) in entries.iter().enumerate() {
        let n = to_sql(first + i as u64)?;
        let digest = e.body.as_deref().map(|b| body_digest(b).to_vec());
        if let (Some(d), Some(body)) = (&digest, &e.body) {
            digests.push(d.clone());
            bodies.push(body.as_slice());
        }
        idx.push(n);
        kinds.push(e.kind.as_str());
        data.push(e.data.as_slice());
        body_digests.push(digest);
        for (name, value) in &e.keys {
            names.push(name.as_str());
            values.push(value.as_str());
            keyed.push(n);
        }
    }
    let (levels, indices) = positions(nodes.iter().map(|n| (n.0, n.1)))?;
    let hashes: Vec<&[u8]> = nodes.iter().map(|n| &n.2[..]).collect();
    tx.execute(
        statement,
        &[
            &digests,
            &bodies,
            &at,
            &idx,
            &kinds,
            &data,
            &body_digests,
            &names,
            &values,
            &keyed,
            &levels,
            &indices,
            &hashes,
        ],
    )?;
    Ok(())
}

impl Storage for PgStorage {
    fn append(
        &mut self,
        first: u64,
        entries: &[Entry],
        nodes: &[(u32, u64, Hash)],
        appended_at: u64,
    ) -> Result<(), BoardError> {
        let held = self.held;
        self.wrote |= held;
        let mut session = self.client();
        let statement = session.insert_statement()?;
        let lock = session.statement("SELECT pg_advisory_xact_lock($1)")?;
        if held {
            // Inside the hold's transaction, which its release commits.
            return insert(
                &mut session.client,
                &statement,
                first,
                entries,
                nodes,
                appended_at,
            );
        }
        let mut tx = session.client.transaction()?;
        tx.execute(&lock, &[&SEQUENCE_KEY])?;
        insert(&mut tx, &statement, first, entries, nodes, appended_at)?;
        tx.commit()?;
        Ok(())
    }

    fn entry(&self, index: u64) -> Result<Option<StoredEntry>, BoardError> {
        // An index beyond PostgreSQL's integers is simply not there (asked by a client, it is
        // no sign of a damaged database).
        let Ok(idx) = i64::try_from(index) else {
            return Ok(None);
        };
        let mut client = self.client();
        let Some(row) = client.query_opt(
            "SELECT kind, appended_at, e.data, b.data FROM entries e \
             LEFT JOIN bodies b ON b.digest = e.body_digest WHERE idx = $1",
            &[&idx],
        )?
        else {
            return Ok(None);
        };
        let keys = client
            .query(
                "SELECT name, value FROM entry_keys WHERE idx = $1 ORDER BY name",
                &[&idx],
            )?
            .into_iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, postgres::Error>>()?;
        Ok(Some(StoredEntry {
            index,
            appended_at: from_sql(row.try_get(1)?)?,
            entry: Entry {
                kind: row.try_get(0)?,
                keys,
                data: row.try_get(2)?,
                body: row.try_get(3)?,
            },
        }))
    }

    fn entry_data(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, BoardError> {
        Ok(self
            .client()
            .query(
                "SELECT data FROM entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                &[&to_sql(start)?, &to_sql(end)?],
            )?
            .into_iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?)
    }

    fn body_digests(&self, start: u64, end: u64) -> Result<Vec<Hash>, BoardError> {
        self.client()
            .query(
                "SELECT body_digest FROM entries WHERE idx >= $1 AND idx < $2 \
                 AND body_digest IS NOT NULL ORDER BY idx",
                &[&to_sql(start)?, &to_sql(end)?],
            )?
            .into_iter()
            .map(|r| hash_of(r.try_get(0)?))
            .collect()
    }

    fn body(&self, digest: &Hash) -> Result<Option<Vec<u8>>, BoardError> {
        Ok(self
            .client()
            .query_opt(
                "SELECT data FROM bodies WHERE digest = $1",
                &[&digest.to_vec()],
            )?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    fn nodes(&self, level: u32, start: u64, end: u64) -> Result<Vec<Hash>, BoardError> {
        self.client()
            .query(
                "SELECT hash FROM nodes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
                &[&level_sql(level)?, &to_sql(start)?, &to_sql(end)?],
            )?
            .into_iter()
            .map(|r| hash_of(r.try_get(0)?))
            .collect()
    }

    fn find(&self, name: &str, value: &str) -> Result<Vec<u64>, BoardError> {
        self.client()
            .query(
                "SELECT idx FROM entry_keys WHERE name = $1 AND value = $2 ORDER BY idx",
                &[&name, &value],
            )?
            .into_iter()
            .map(|r| from_sql(r.try_get(0)?))
            .collect()
    }

    fn record_checkpoint(&mut self, size: u64, note: &str) -> Result<String, BoardError> {
        let mut session = self.client();
        let size = to_sql(size)?;
        // One statement: the note inserted, or the one already there. One committed by another
        // writer while this statement ran is not in its snapshot: then it is read again.
        let row = session.query_opt(
            "WITH put AS (INSERT INTO checkpoints (size, note) VALUES ($1, $2) \
             ON CONFLICT (size) DO NOTHING RETURNING note) \
             SELECT note FROM put UNION ALL SELECT note FROM checkpoints WHERE size = $1 LIMIT 1",
            &[&size, &note],
        )?;
        let row = match row {
            Some(r) => r,
            None => session.query_one("SELECT note FROM checkpoints WHERE size = $1", &[&size])?,
        };
        Ok(row.try_get(0)?)
    }

    fn update_checkpoint(&mut self, size: u64, note: &str) -> Result<(), BoardError> {
        let changed = self.client().execute(
            "UPDATE checkpoints SET note = $2 WHERE size = $1",
            &[&to_sql(size)?, &note],
        )?;
        if changed != 1 {
            return Err(BoardError::Damaged(format!("no checkpoint of size {size}")));
        }
        Ok(())
    }

    fn checkpoint(&self, size: u64) -> Result<Option<String>, BoardError> {
        Ok(self
            .client()
            .query_opt(
                "SELECT note FROM checkpoints WHERE size = $1",
                &[&to_sql(size)?],
            )?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    fn checkpoint_below(&self, size: u64) -> Result<Option<(u64, String)>, BoardError> {
        let below = i64::try_from(size).unwrap_or(i64::MAX);
        self.client()
            .query_opt(
                "SELECT size, note FROM checkpoints WHERE size < $1 ORDER BY size DESC LIMIT 1",
                &[&below],
            )?
            .map(|r| Ok((from_sql(r.try_get(0)?)?, r.try_get(1)?)))
            .transpose()
    }

    fn setting(&self, name: &str) -> Result<Option<String>, BoardError> {
        Ok(self
            .client()
            .query_opt("SELECT value FROM settings WHERE name = $1", &[&name])?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    fn set_setting(&mut self, name: &str, value: &str) -> Result<(), BoardError> {
        self.client().execute(
            "INSERT INTO settings (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[&name, &value],
        )?;
        Ok(())
    }

    fn keyed(&self, name: &str, start: u64, end: u64) -> Result<Vec<u64>, BoardError> {
        self.client()
            .query(
                "SELECT DISTINCT idx FROM entry_keys WHERE name = $1 AND idx >= $2 AND idx < $3 \
                 ORDER BY idx",
                &[&name, &to_sql(start)?, &to_sql(end)?],
            )?
            .into_iter()
            .map(|r| from_sql(r.try_get(0)?))
            .collect()
    }

    fn find_any(&self, pairs: &[(String, String)]) -> Result<Option<(String, String)>, BoardError> {
        if pairs.is_empty() {
            return Ok(None);
        }
        let names: Vec<&str> = pairs.iter().map(|p| p.0.as_str()).collect();
        let values: Vec<&str> = pairs.iter().map(|p| p.1.as_str()).collect();
        // The pairs in the order given, so that the first found is the one [`Storage::find`]
        // of each in turn would find.
        let row = self.client().query_opt(
            "SELECT p.name, p.value FROM unnest($1::text[], $2::text[]) WITH ORDINALITY \
             AS p(name, value, n) WHERE EXISTS (SELECT 1 FROM entry_keys k \
             WHERE k.name = p.name AND k.value = p.value) ORDER BY p.n LIMIT 1",
            &[&names, &values],
        )?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    fn keyed_since(&self, name: &str, start: u64) -> Result<(u64, Vec<u64>), BoardError> {
        // One statement, one snapshot: the size and the keyed entries below it agree (an
        // entry's keys are committed with it).
        let row = self.client().query_one(
            "SELECT (SELECT max(idx) FROM entries), ARRAY(SELECT DISTINCT idx FROM entry_keys \
             WHERE name = $1 AND idx >= $2 ORDER BY idx)",
            &[&name, &to_sql(start)?],
        )?;
        let max: Option<i64> = row.try_get(0)?;
        let size = max.map_or(Ok(0), |m| from_sql(m).map(|m| m + 1))?;
        let found: Vec<i64> = row.try_get(1)?;
        let keyed = found
            .into_iter()
            .map(from_sql)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((size, keyed))
    }

    fn frontier(&self, size: u64) -> Result<Vec<(u32, Hash)>, BoardError> {
        let wanted: Vec<(u32, u64)> = frontier_nodes(size).collect();
        let mut found: HashMap<(u32, u64), Hash> = HashMap::new();
        {
            let kept = self.cache()?;
            for w in &wanted {
                if let Some(hash) = kept.get(w) {
                    found.insert(*w, *hash);
                }
            }
        }
        let missing: Vec<&(u32, u64)> = wanted.iter().filter(|w| !found.contains_key(w)).collect();
        if !missing.is_empty() {
            let (levels, indices) = positions(missing.into_iter().copied())?;
            let rows = self.client().query(
                "SELECT n.level, n.idx, n.hash FROM nodes n \
                 JOIN unnest($1::int[], $2::bigint[]) AS w(level, idx) \
                 ON n.level = w.level AND n.idx = w.idx",
                &[&levels, &indices],
            )?;
            for row in rows {
                let level: i32 = row.try_get(0)?;
                let level = u32::try_from(level)
                    .map_err(|_| BoardError::Damaged(format!("tree level {level}")))?;
                let key = (level, from_sql(row.try_get(1)?)?);
                let hash = hash_of(row.try_get(2)?)?;
                self.keep(key, hash)?;
                found.insert(key, hash);
            }
        }
        wanted
            .into_iter()
            .map(|(level, index)| {
                found
                    .get(&(level, index))
                    .map(|h| (level, *h))
                    .ok_or(BoardError::MissingNode { level, index })
            })
            .collect()
    }

    fn hold(&mut self) -> Result<u64, BoardError> {
        if self.held {
            return Err(BoardError::Damaged(
                "internal: the sequencing is held already".into(),
            ));
        }
        // READ COMMITTED: each statement after the lock sees every batch committed before it,
        // the size read with it (one round trip) among them.
        let answer = self.client().simple_query(&format!(
            "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({SEQUENCE_KEY}); \
             SELECT max(idx) FROM entries"
        ));
        // From here the transaction is open (or the connection is lost): `release` ends it.
        self.held = true;
        self.wrote = false;
        let size = answer.map_err(BoardError::from).and_then(|messages| {
            let max = messages
                .iter()
                .filter_map(|m| match m {
                    SimpleQueryMessage::Row(row) => Some(row.get(0)),
                    _ => None,
                })
                .next_back()
                .ok_or_else(|| BoardError::Damaged("no size read under the hold".into()))?;
            match max {
                None => Ok(0),
                Some(text) => text
                    .parse::<i64>()
                    .map_err(|_| BoardError::Damaged(format!("the log's last index is {text}")))
                    .and_then(from_sql)
                    .map(|m| m + 1),
            }
        });
        size.inspect_err(|_| {
            let _ = self.release(false);
        })
    }

    fn release(&mut self, commit: bool) -> Result<(), BoardError> {
        if !self.held {
            return Ok(());
        }
        // The connection of the hold, as it is (see `client`), before the hold ends.
        let mut client = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        self.held = false;
        if client.is_closed() {
            return Err(BoardError::AppendFailed(
                "the connection to PostgreSQL was lost before the batch was committed".into(),
            ));
        }
        if commit {
            // A failed COMMIT leaves the transaction aborted: end it, so the connection serves on.
            client.batch_execute("COMMIT").inspect_err(|_| {
                let _ = client.batch_execute("ROLLBACK");
            })?;
        } else {
            client.batch_execute("ROLLBACK")?;
        }
        Ok(())
    }
}
