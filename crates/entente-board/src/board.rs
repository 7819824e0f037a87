//! The board: a Merkle log over a [`Storage`], with its origin, its signing key, the witnesses
//! whose cosignatures make a checkpoint published, and at most one signed checkpoint per size.

use std::ops::Range;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::BoardError;

use crate::Hash;
use crate::merkle::{MerkleLog, leaf_hash, node_hash};
use crate::note::{Checkpoint, NoteSigner, NoteVerifier, SignedNote};
use crate::store::{Entry, Storage, StoredEntry};
use crate::witness::CosignatureVerifier;

/// The settings a board is created with.
const ORIGIN: &str = "origin";
const LOG_KEY: &str = "log_key";
const WITNESSES: &str = "witnesses";
/// The size of the latest checkpoint every witness has cosigned.
const PUBLISHED: &str = "published";

/// The board's identity: what `entente board init` records.
#[derive(Debug, Clone)]
pub struct BoardConfig {
    /// The origin line of its checkpoints (the log's unique name).
    pub origin: String,
    /// The log's signed-note verifier key (its name is the origin).
    pub log_key: String,
    /// The cosignature/v1 verifier keys of the witnesses whose cosignatures publish a
    /// checkpoint (by default one per party).
    pub witnesses: Vec<String>,
}

/// The append-only log with its checkpoints.
pub struct Board<S: Storage> {
    storage: S,
    config: BoardConfig,
    size: u64,
    /// `frontier[l]`: the hash of the complete subtree of 2^l leaves that ends at the log's
    /// size, where bit l of the size is set. An append needs nothing else, so it reads nothing.
    frontier: Vec<Option<Hash>>,
    /// The nodes the last append made and the frontier it started from: enough for the
    /// inclusion proof of any entry it appended, without a read (see [`Self::recent_proof`]).
    recent: Option<Recent>,
}

/// The tree as far as an append's writer knows it without reading: the frontier before the
/// append (the complete subtrees left of its first entry) and the nodes it made.
struct Recent {
    size: u64,
    nodes: std::collections::HashMap<(u32, u64), Hash>,
}

impl crate::merkle::NodeRead for &Recent {
    fn size(&self) -> Result<u64, BoardError> {
        Ok(self.size)
    }

    fn node(&self, level: u32, index: u64) -> Result<Hash, BoardError> {
        self.nodes
            .get(&(level, index))
            .copied()
            .ok_or(BoardError::MissingNode { level, index })
    }
}

/// The seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl<S: Storage> Board<S> {
    /// Creates a board in an empty database.
    pub fn init(mut storage: S, config: BoardConfig) -> Result<Self, BoardError> {
        if let Some(origin) = storage.setting(ORIGIN)? {
            return Err(BoardError::AlreadyInitialised(origin));
        }
        let log = NoteVerifier::parse(&config.log_key)?;
        if log.name() != config.origin {
            return Err(BoardError::Key(format!(
                "the log key is named {:?}; a log's key is named after its origin {:?}",
                log.name(),
                config.origin
            )));
        }
        for w in &config.witnesses {
            CosignatureVerifier::parse(w)?;
        }
        storage
            .set_setting(LOG_KEY, &config.log_key)
            .and_then(|()| storage.set_setting(WITNESSES, &config.witnesses.join("\n")))
            // The origin last: a board whose init was cut short reads as not initialised.
            .and_then(|()| storage.set_setting(ORIGIN, &config.origin))?;
        Self::open(storage)
    }

    /// Opens the board in `storage`: O(log n) reads, whatever the log's size.
    pub fn open(storage: S) -> Result<Self, BoardError> {
        let get = |name| storage.setting(name)?.ok_or(BoardError::NotInitialised);
        let config = BoardConfig {
            origin: get(ORIGIN)?,
            log_key: get(LOG_KEY)?,
            witnesses: get(WITNESSES)?
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        let mut board = Self {
            storage,
            config,
            size: 0,
            frontier: vec![None; 64],
            recent: None,
        };
        board.reload()?;
        Ok(board)
    }

    /// The storage.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// A setting of the operator's own (where its key file is, say), kept beside the board's
    /// own (in a separate namespace, so it cannot change them) and never read by the board.
    pub fn set_operator_setting(&mut self, name: &str, value: &str) -> Result<(), BoardError> {
        self.storage.set_setting(&format!("operator.{name}"), value)
    }

    /// A setting of the operator's own.
    pub fn operator_setting(&self, name: &str) -> Result<Option<String>, BoardError> {
        self.storage.setting(&format!("operator.{name}"))
    }

    /// The board's identity.
    pub fn config(&self) -> &BoardConfig {
        &self.config
    }

    /// The number of entries.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends `entries` in one durable transaction; returns the index of the first. When it
    /// returns Ok, every entry is on disk; when it fails, none was appended.
    pub fn append(&mut self, entries: &[Entry]) -> Result<u64, BoardError> {
        self.under_hold(|board| board.append_held(entries))
    }

    /// Runs `f` holding the sequencing; commits what it wrote if it succeeds.
    fn under_hold<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, BoardError>,
    ) -> Result<T, BoardError> {
        self.hold()?;
        let out = f(self);
        let committed = self.release(out.is_ok());
        let out = out?;
        committed?;
        Ok(out)
    }

    /// Takes the log's sequencing (see [`Storage::hold`]) and brings this handle up to the log
    /// as committed. Returns the indices of the entries other writers appended since this
    /// handle last looked (none on a board one process writes). End it with
    /// [`Self::release`].
    pub fn hold(&mut self) -> Result<Range<u64>, BoardError> {
        let size = self.storage.hold()?;
        self.sync_to(size).inspect_err(|_| {
            let _ = self.storage.release(false);
        })
    }

    /// Ends the hold, committing what [`Self::append_held`] appended under it (`commit`) or
    /// rolling it back. Unless the commit succeeds, this handle reads its place from the
    /// storage again.
    pub fn release(&mut self, commit: bool) -> Result<(), BoardError> {
        let result = self.storage.release(commit);
        if !commit || result.is_err() {
            // What was appended under the hold may or may not be in the log: the storage says.
            self.reload()?;
        }
        result
    }

    /// Brings this handle up to the log as committed: the entries other writers appended
    /// since it last looked are taken into the frontier. Returns their indices.
    pub fn sync(&mut self) -> Result<Range<u64>, BoardError> {
        let size = self.storage.size()?;
        self.sync_to(size)
    }

    /// [`Self::sync`] to `size`, the log's size as committed, just read.
    fn sync_to(&mut self, size: u64) -> Result<Range<u64>, BoardError> {
        let before = self.size;
        if size < before {
            return Err(BoardError::Damaged(format!(
                "the log holds {size} entries, fewer than the {before} it held"
            )));
        }
        if size > before {
            self.reload_at(size)?;
        }
        Ok(before..self.size)
    }

    /// Reads the size and the frontier from the storage.
    fn reload(&mut self) -> Result<(), BoardError> {
        let size = self.storage.size()?;
        self.reload_at(size)
    }

    /// Takes `size` and its frontier (O(log n) nodes, read at once) from the storage.
    fn reload_at(&mut self, size: u64) -> Result<(), BoardError> {
        let mut frontier = vec![None; 64];
        for (level, hash) in self.storage.frontier(size)? {
            let slot = frontier
                .get_mut(level as usize)
                .ok_or_else(|| BoardError::Damaged(format!("tree level {level}")))?;
            *slot = Some(hash);
        }
        self.size = size;
        self.frontier = frontier;
        self.recent = None;
        Ok(())
    }

    /// Appends `entries` under a hold taken by [`Self::hold`]: durable once the hold is
    /// released with a commit. Returns the index of the first.
    pub fn append_held(&mut self, entries: &[Entry]) -> Result<u64, BoardError> {
        let first = self.size;
        let mut frontier = self.frontier.clone();
        let mut nodes = Vec::with_capacity(entries.len() * 2);
        for (i, e) in entries.iter().enumerate() {
            let n = first + i as u64;
            let mut hash = leaf_hash(&e.data);
            nodes.push((0u32, n, hash));
            // RFC 9162 §2.1.1: each completed pair of equal subtrees becomes their parent.
            let (mut level, mut index) = (0usize, n);
            while index % 2 == 1 {
                let left = frontier[level].take().ok_or_else(|| {
                    BoardError::Key(format!("internal: no subtree at level {level}"))
                })?;
                hash = node_hash(&left, &hash);
                level += 1;
                index /= 2;
                nodes.push((level as u32, index, hash));
            }
            frontier[level] = Some(hash);
        }
        self.storage.append(first, entries, &nodes, now())?;
        let mut known: std::collections::HashMap<(u32, u64), Hash> =
            crate::store::frontier_nodes(first)
                .zip(self.frontier.iter().flatten())
                .map(|(at, hash)| (at, *hash))
                .collect();
        known.extend(
            nodes
                .iter()
                .map(|&(level, index, hash)| ((level, index), hash)),
        );
        self.size = first + entries.len() as u64;
        self.frontier = frontier;
        self.recent = Some(Recent {
            size: self.size,
            nodes: known,
        });
        Ok(first)
    }

    /// The inclusion proof of entry `index` in the tree of this handle's size, from what its
    /// last append knew without reading (RFC 9162 §2.1.3.1: the complete subtrees left of that
    /// append's first entry are the frontier it started from, the others are its own). `None`
    /// when the handle has moved on since, or `index` is not among the entries it appended.
    pub fn recent_proof(&self, index: u64) -> Option<Vec<Hash>> {
        let recent = self.recent.as_ref().filter(|r| r.size == self.size)?;
        MerkleLog::new(recent)
            .inclusion_proof(index, recent.size)
            .ok()
    }

    fn log(&self) -> MerkleLog<&S> {
        MerkleLog::new(&self.storage)
    }

    /// The root of the tree of the first `size` entries.
    pub fn root(&self, size: u64) -> Result<Hash, BoardError> {
        self.log().root(size)
    }

    /// The leaf hash of entry `index` (RFC 9162 §2.1.1), as the tree holds it.
    pub fn leaf_hash(&self, index: u64) -> Result<Hash, BoardError> {
        // The stored size, not this handle's: a reader sees what writers appended since.
        let size = self.storage.size()?;
        if index >= size {
            return Err(BoardError::IndexOutOfRange { index, size });
        }
        self.storage.node(0, index)
    }

    /// The inclusion proof of entry `index` in the tree of size `size` (RFC 9162 §2.1.3.1).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, BoardError> {
        self.log().inclusion_proof(index, size)
    }

    /// The consistency proof from size `first` to size `second` (RFC 9162 §2.1.4.1).
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, BoardError> {
        self.log().consistency_proof(first, second)
    }

    /// The entry at `index`.
    pub fn entry(&self, index: u64) -> Result<Option<StoredEntry>, BoardError> {
        self.storage.entry(index)
    }

    /// The indices of the entries found by `name` = `value`.
    pub fn find(&self, name: &str, value: &str) -> Result<Vec<u64>, BoardError> {
        self.storage.find(name, value)
    }

    /// The signed checkpoint of the log's current size. The log signs at most one checkpoint
    /// per size, also across a crash: the note is recorded (durably) before it is returned, and
    /// a size already recorded gets its recorded note back.
    pub fn checkpoint(&mut self, signer: &NoteSigner) -> Result<String, BoardError> {
        if signer.verifier_key() != self.config.log_key {
            return Err(BoardError::Key(format!(
                "this key ({}) is not the log's ({})",
                signer.verifier_key(),
                self.config.log_key
            )));
        }
        // The root from the frontier this handle keeps (no read), signed, and recorded unless
        // a note of that size is recorded already, which is then the one returned.
        let size = self.size;
        let cp = Checkpoint {
            origin: self.config.origin.clone(),
            size,
            root: self.frontier_root()?,
        };
        self.storage.record_checkpoint(size, &cp.sign(signer))
    }

    /// The root of the tree of this handle's size, from its frontier (RFC 9162 §2.1.1: the
    /// complete subtrees, the right-most, smallest, hashed into each larger on its left).
    fn frontier_root(&self) -> Result<Hash, BoardError> {
        let mut subtrees = self.frontier.iter().flatten();
        let Some(first) = subtrees.next() else {
            return self.root(0);
        };
        Ok(subtrees.fold(*first, |right, left| node_hash(left, &right)))
    }

    /// The latest checkpoint the log has signed, with the cosignatures it has gathered.
    pub fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, BoardError> {
        self.storage.checkpoint_below(u64::MAX)
    }

    /// The checkpoint signed for `size`.
    pub fn checkpoint_at(&self, size: u64) -> Result<Option<String>, BoardError> {
        self.storage.checkpoint(size)
    }

    /// Adds the valid cosignatures of the board's witnesses found in `note` (a copy of one of
    /// the log's checkpoints) to the recorded checkpoint; returns the names of the witnesses
    /// added. A note whose text is not the recorded checkpoint's is refused.
    pub fn add_cosignatures(&mut self, note: &str) -> Result<Vec<String>, BoardError> {
        // Under the sequencing: two servers adding two witnesses' lines at once must not each
        // write back a note without the other's.
        self.under_hold(|board| board.add_cosignatures_held(note))
    }

    /// [`Self::add_cosignatures`] under a hold its caller took (and releases).
    pub fn add_cosignatures_held(&mut self, note: &str) -> Result<Vec<String>, BoardError> {
        let offered = SignedNote::parse(note)?;
        let cp = Checkpoint::parse(&offered.text)?;
        let recorded = self.storage.checkpoint(cp.size)?.ok_or_else(|| {
            BoardError::Key(format!("the log signed no checkpoint of size {}", cp.size))
        })?;
        let mut stored = SignedNote::parse(&recorded)?;
        if stored.text != offered.text {
            return Err(BoardError::Key(format!(
                "the note's checkpoint is not the one the log signed for size {}",
                cp.size
            )));
        }
        let mut added = Vec::new();
        for vkey in &self.config.witnesses {
            let w = CosignatureVerifier::parse(vkey)?;
            if w.verify(&recorded).is_ok() || w.verify(note).is_err() {
                continue;
            }
            // The line whose cosignature verifies on its own (a note may carry several).
            let line = offered
                .signatures
                .iter()
                .find(|line| {
                    line.0 == w.name()
                        && w.verify(
                            &SignedNote {
                                text: offered.text.clone(),
                                signatures: vec![(*line).clone()],
                            }
                            .render(),
                        )
                        .is_ok()
                })
                .cloned();
            if let Some(line) = line {
                stored.signatures.retain(|(n, _, _)| *n != w.name());
                stored.signatures.push(line);
                added.push(w.name().to_owned());
            }
        }
        if !added.is_empty() {
            let note = stored.render();
            self.storage.update_checkpoint(cp.size, &note)?;
            let published = self.published()?.map_or(0, |p| p.0);
            if cp.size >= published && self.missing_cosignatures(&note)?.is_empty() {
                self.storage.set_setting(PUBLISHED, &cp.size.to_string())?;
            }
        }
        Ok(added)
    }

    /// The witnesses of the board's policy that have not cosigned `note`.
    pub fn missing_cosignatures(&self, note: &str) -> Result<Vec<String>, BoardError> {
        let mut missing = Vec::new();
        for vkey in &self.config.witnesses {
            let w = CosignatureVerifier::parse(vkey)?;
            if w.verify(note).is_err() {
                missing.push(w.name().to_owned());
            }
        }
        Ok(missing)
    }

    /// The latest checkpoint that carries every cosignature the board's policy names: the
    /// latest *published* state of the board. (Recorded when the last cosignature arrives, so
    /// that finding it does not walk back through every checkpoint.)
    pub fn published(&self) -> Result<Option<(u64, String)>, BoardError> {
        let Some(size) = self
            .storage
            .setting(PUBLISHED)?
            .and_then(|s| s.parse::<u64>().ok())
        else {
            // A board whose policy names no witness publishes every checkpoint it signs.
            if self.config.witnesses.is_empty() {
                return self.latest_checkpoint();
            }
            return Ok(None);
        };
        Ok(self.checkpoint_at(size)?.map(|n| (size, n)))
    }
}
