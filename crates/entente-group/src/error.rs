use thiserror::Error;

/// Why a value from outside was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupError {
    /// The encoding does not have the canonical fixed length.
    #[error("wrong length: expected {expected} bytes, got {actual}")]
    Length {
        /// Canonical length in bytes.
        expected: usize,
        /// Length that was given.
        actual: usize,
    },
    /// A hex string held a character that is not a hex digit, or an odd number of digits.
    #[error("not hexadecimal: {0}")]
    Hex(String),
    /// An element is not in `1..p`.
    #[error("element out of range: not in 1..p")]
    ElementRange,
    /// An element is in range but not in the order-`q` subgroup (`x^q mod p != 1`).
    #[error("element is not in the order-q subgroup (x^q mod p != 1)")]
    NotInSubgroup,
    /// A curve point's encoding names no point of the curve (x not below p, or no y for x).
    #[error("not a point of the curve (x is not below p, or no y on the curve has this x)")]
    NotOnCurve,
    /// A scalar is not below the group order `q`.
    #[error("scalar out of range: not below q")]
    ScalarRange,
    /// `ENTENTE_BACKEND` names no backend, or one this CPU cannot run.
    #[error("{0}")]
    Backend(String),
}
