//! Why a decryption could not be completed.

use thiserror::Error;

/// Why a decryption could not be completed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecryptError {
    /// Fewer guardians than the quorum.
    #[error("{present} guardians present, the quorum is {quorum}: {} more needed", quorum - present)]
    NotEnoughGuardians {
        /// Present.
        present: usize,
        /// k.
        quorum: usize,
    },
    /// A guardian the election does not know.
    #[error("guardian {0} is not a guardian of this election")]
    UnknownGuardian(u32),
    /// A guardian twice.
    #[error("guardian {0} is present twice")]
    DuplicateGuardian(u32),
    /// A response that does not match the guardian's commitment (eq. (74), (75) or (83), (84)).
    #[error(
        "guardian {guardian}'s decryption share of item {item} fails its proof (eq. (74)/(75))"
    )]
    BadShare {
        /// The guardian.
        guardian: u32,
        /// Which item of the batch.
        item: usize,
    },
    /// A guardian's message covers another number of items than the batch.
    #[error("guardian {guardian} sent {actual} values for {expected} items")]
    WrongCount {
        /// The guardian.
        guardian: u32,
        /// The batch size.
        expected: usize,
        /// What it sent.
        actual: usize,
    },
    /// Challenges or results that do not match the batch item for item: the caller mixed up
    /// two batches (no guardian is at fault).
    #[error("{actual} values for a batch of {expected} items")]
    BatchMismatch {
        /// The batch size.
        expected: usize,
        /// What was given.
        actual: usize,
    },
    /// A response from a guardian who sent no commitment, or none from one who did.
    #[error("guardian {0}: commitment and response do not pair up")]
    Unpaired(u32),
    /// The value is not below the bound.
    #[error(
        "item {item}: the decrypted value is not in 0..={bound} (not a tally of these ballots)"
    )]
    OutOfBound {
        /// Which item of the batch.
        item: usize,
        /// The bound searched.
        bound: u64,
    },
    /// Contest data whose β is proven but whose MAC does not verify: the ciphertext was not made
    /// under this key, or was changed.
    #[error("item {item}: the contest data does not decrypt: {reason}")]
    ContestData {
        /// Which item of the batch.
        item: usize,
        /// What failed.
        reason: String,
    },
}
