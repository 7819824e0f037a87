use thiserror::Error;

/// Why public data could not be hashed, read or written.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordError {
    /// A variable-length input to H of 2^32 bytes or more (spec 2.0 §5.1.4, §5.1.5).
    #[error(
        "input of {len} bytes is too long to hash: the spec bounds it below 2^32 bytes (§5.1.5)"
    )]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// The manifest is inconsistent.
    #[error("manifest: {0}")]
    Manifest(String),
    /// JSON that does not parse; the message names the file and the JSON path.
    #[error("{0}")]
    Json(String),
    /// A well-formed element of Z_p that is not in the order-q subgroup: a verifier reports it
    /// as the failure of a verification (5.A, …) rather than as unreadable input.
    #[error("{path}: not in the order-q subgroup of Z_p^*")]
    NotInGroup {
        /// The JSON path of the value.
        path: String,
    },
    /// A value in a record that is not what its field needs; `path` is the JSON path.
    #[error("{path}: {reason}")]
    Field {
        /// The JSON path of the value.
        path: String,
        /// Why it was refused.
        reason: String,
    },
}
