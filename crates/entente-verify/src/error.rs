//! Why a record cannot be read.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// The record cannot be read: the error names the file and, for JSON, the path in it.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReadError {
    /// A file is missing, unreadable, not JSON, or holds a value its field cannot hold (a
    /// non-hex digit, an element outside the group, …).
    #[error("{file}: {reason}")]
    File {
        /// The file.
        file: PathBuf,
        /// What is wrong, with the JSON path.
        reason: String,
    },
    /// A shard's partial result cannot be read or written (`verify --shard`, `--merge`).
    #[error("{file}: {reason}")]
    Partial {
        /// The partial file.
        file: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The partial results given to `--merge` are not the shards of this record, each once.
    #[error("the shards do not make up this record: {0}")]
    Shards(String),
    /// A ballot file could not be fetched from where the record is read ([`crate::BallotSource`]).
    #[error("{0}")]
    Fetch(String),
    /// The worker pool could not start.
    #[error("cannot start {0} worker threads")]
    Threads(usize),
}

impl ReadError {
    pub(crate) fn file(file: &Path, reason: impl std::fmt::Display) -> Self {
        // A reason from a reader that names the file itself (`entente_record::files`) names it
        // once, not twice.
        let reason = reason.to_string();
        let named = format!("{}: ", file.display());
        let reason = reason
            .strip_prefix(&named)
            .map(str::to_owned)
            .unwrap_or(reason);
        Self::File {
            file: file.to_owned(),
            reason,
        }
    }
}
