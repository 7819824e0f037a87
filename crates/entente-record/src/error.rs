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
}
