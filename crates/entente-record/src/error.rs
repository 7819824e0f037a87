use thiserror::Error;

/// Why public data could not be hashed, read or written, or a ballot or a part of one was
/// refused.
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

    /// A value to prove is above its limit.
    #[error("value {value} is above the limit {limit}")]
    OutOfRange {
        /// The value.
        value: u32,
        /// The limit R or L.
        limit: u32,
    },
    /// The proof nonces do not cover the range.
    #[error("a range proof 0..=R needs {expected} nonces, got {actual}")]
    ProofNonces {
        /// R + 1.
        expected: usize,
        /// What was given.
        actual: usize,
    },
    /// A range proof with no pairs.
    #[error("range proof has no challenge/response pairs")]
    EmptyProof,
    /// A range proof does not verify (the challenges do not sum to the hash, Verification 5.D / 6.D).
    #[error(
        "range proof fails: the challenges do not sum to the challenge hash (Verification 5/6)"
    )]
    ProofFails,
    /// A range proof's range differs from the manifest's limit.
    #[error("range proof covers 0..={actual}, the manifest says 0..={expected}")]
    ProofRange {
        /// R or L from the manifest.
        expected: u32,
        /// The proof's.
        actual: u32,
    },
    /// Encrypted contest data whose MAC does not verify.
    #[error("contest data MAC does not verify")]
    ContestDataMac,
    /// Contest data that does not decode.
    #[error("contest data does not decode: {0}")]
    ContestDataFormat(String),
    /// A decryption proof does not verify (Verification 9.B).
    #[error("decryption proof fails: the challenge differs (Verification 9.B)")]
    DecryptionProof,
    /// T is not K^t for the stated t (Verification 10.A).
    #[error("the decrypted value {value} does not match T (Verification 10.A)")]
    DecryptedValue {
        /// The stated t.
        value: u64,
    },
    /// A plaintext ballot or its manifest is inconsistent.
    #[error("{0}")]
    Invalid(String),
}
