//! The board's one error: why the log, its storage, a note, a proof, an export or a witness
//! refused or failed. Variants that wrap another say where it was found.

use std::path::PathBuf;

use thiserror::Error;

/// Why the board refused or failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BoardError {
    // The storage.
    /// SQLite said no.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL said no (the server's own message, where it sent one).
    #[error("PostgreSQL: {}", pg_message(.0))]
    Postgres(#[from] postgres::Error),
    /// The database holds something the board never writes.
    #[error("the database is damaged: {0}")]
    Damaged(String),
    /// A node asked for is not stored.
    #[error("no tree node at level {level}, index {index}")]
    MissingNode {
        /// The level.
        level: u32,
        /// The index.
        index: u64,
    },

    /// Another process holds the board (see [`crate::BoardLock`]), or its lock cannot be taken.
    #[error("{0}")]
    Busy(String),

    // The board.
    /// The database is not a board (never initialised).
    #[error("this database holds no board: run `entente board init` first")]
    NotInitialised,
    /// The database is a board already.
    #[error("this database already holds the board {0:?}")]
    AlreadyInitialised(String),
    /// A key or note is not the one the board was created with.
    #[error("{0}")]
    Key(String),
    /// The batch holding an append failed: none of its entries was appended.
    #[error("the append failed: {0}")]
    AppendFailed(String),
    /// A write needs a key no entry has yet, and one has it (a ballot's id submitted twice).
    #[error("{name} {value} is on the board already")]
    Taken {
        /// The key's name.
        name: String,
        /// Its value.
        value: String,
    },
    /// Another writer appended, after the write was checked, an entry the check did not see
    /// and that could change its outcome.
    #[error("entry {index}, appended by another server, came after this write was checked")]
    Overtaken {
        /// The entry's index.
        index: u64,
    },
    /// The sequencer has stopped.
    #[error("the board's sequencer has stopped")]
    SequencerStopped,

    // Proofs (RFC 9162 §2.1.3, §2.1.4).
    /// An index at or beyond the tree size.
    #[error("leaf {index} is not in a tree of {size} entries")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A tree size the log has not reached, or sizes in the wrong order.
    #[error("no tree of size {size}: the log has {log_size} entries")]
    SizeOutOfRange {
        /// The size asked for.
        size: u64,
        /// The log's size.
        log_size: u64,
    },
    /// Consistency asked between sizes that have none.
    #[error("consistency is defined from a size in 1..={second} to {second}, not from {first}")]
    BadSizes {
        /// The first size.
        first: u64,
        /// The second size.
        second: u64,
    },
    /// The proof leads to another root.
    #[error("the proof does not verify")]
    ProofMismatch,
    /// The proof has too many or too few hashes.
    #[error("the proof has the wrong length")]
    ProofLength,

    // Signed notes and checkpoints (C2SP signed-note, tlog-checkpoint).
    /// The text breaks the signed-note or checkpoint syntax.
    #[error("malformed note: {0}")]
    MalformedNote(String),
    /// A key name with a space, a plus sign, or nothing in it.
    #[error("invalid key name {0:?}")]
    KeyName(String),
    /// A verifier key that does not parse.
    #[error("invalid verifier key: {0}")]
    VerifierKey(String),
    /// The note carries no valid signature by the key.
    #[error("no valid signature by {0}")]
    NotSigned(String),

    // The tlog-tiles export and its client check.
    /// Writing or reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The board has signed no checkpoint to export.
    #[error("the log has signed no checkpoint yet: run `entente board checkpoint` first")]
    NoCheckpoint,
    /// The exported checkpoint does not verify.
    #[error("checkpoint: {0}")]
    Checkpoint(Box<BoardError>),
    /// The checkpoint does not extend the one a client held: the log's history was rewritten
    /// (or the client was shown another log under the same key).
    #[error(
        "the log's checkpoint of size {size} does not extend the checkpoint of size {held_size} \
         held before: {reason}"
    )]
    Inconsistent {
        /// The size of the checkpoint held.
        held_size: u64,
        /// The size of the checkpoint offered.
        size: u64,
        /// What does not hold.
        reason: String,
    },
    /// A tile or bundle is not what the checkpoint commits to.
    #[error("{path}: {reason}")]
    Mismatch {
        /// The file.
        path: String,
        /// What does not hold.
        reason: String,
    },

    // A witness (C2SP tlog-witness) and its state.
    /// The note is not a checkpoint signed by the log's key.
    #[error("not a checkpoint signed by a known log: {0}")]
    NotFromKnownLog(Box<BoardError>),
    /// The witness follows no log of this origin.
    #[error("this witness follows no log {0:?}")]
    UnknownLog(String),
    /// The old size is larger than the checkpoint's.
    #[error("the old size {old} is larger than the checkpoint's size {size}")]
    OldSize {
        /// The old size sent.
        old: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// The submitter's idea of the witness's size is not the witness's.
    #[error("the witness holds size {held}, not {claimed}")]
    Conflict {
        /// What the witness holds.
        held: u64,
        /// What the request said.
        claimed: u64,
    },
    /// The consistency proof does not verify.
    #[error("the consistency proof does not verify: {0}")]
    ConsistencyFails(Box<BoardError>),
    /// Evidence of a split view: kept by the witness.
    #[error("split view: {0}")]
    SplitView(String),
    /// The witness's state holds something that does not parse or verify.
    #[error("{path}: {reason}")]
    StateDamaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl BoardError {
    /// Whether a proof was asked of sizes or an index the log cannot answer for (the asker's
    /// mistake, not the board's).
    pub fn is_outside_the_log(&self) -> bool {
        matches!(
            self,
            Self::IndexOutOfRange { .. } | Self::SizeOutOfRange { .. } | Self::BadSizes { .. }
        )
    }

    /// Whether the error is one of a note's: syntax, key or signature.
    pub fn is_note(&self) -> bool {
        matches!(
            self,
            Self::MalformedNote(_) | Self::KeyName(_) | Self::VerifierKey(_) | Self::NotSigned(_)
        )
    }
}

impl From<std::convert::Infallible> for BoardError {
    fn from(e: std::convert::Infallible) -> Self {
        match e {}
    }
}

/// Text from outside as an error message shows it: whole when short, else its start and its
/// length (a 20 MB origin line is named, not echoed).
pub(crate) fn shown(text: &str) -> String {
    const SHOWN: usize = 120;
    if text.len() <= SHOWN {
        return text.to_owned();
    }
    let mut end = SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

/// What PostgreSQL said: the client's error, and the server's own message where it sent one
/// (the client's text alone is only "db error").
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{e}: {}", db.message()),
        None => e.to_string(),
    }
}
