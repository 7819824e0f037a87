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
    /// The worker pool could not start.
    #[error("cannot start {0} worker threads")]
    Threads(usize),
}

impl ReadError {
    pub(crate) fn file(file: &Path, reason: impl std::fmt::Display) -> Self {
        Self::File {
            file: file.to_owned(),
            reason: reason.to_string(),
        }
    }
}
