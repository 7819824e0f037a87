use entente_group::GroupError;
use thiserror::Error;

/// Why a step of the key ceremony was refused. Every variant names the guardian (and where it
/// applies the coefficient) concerned.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// n is 0 or does not fit the spec's 31-bit indices.
    #[error("number of guardians n = {n} must be between 1 and 2^31 - 1")]
    GuardianCount {
        /// The number given.
        n: u32,
    },
    /// k = 0 or k > n.
    #[error("quorum k = {k} must satisfy 1 <= k <= n = {n}")]
    QuorumRange {
        /// Number of guardians.
        n: u32,
        /// Quorum given.
        k: u32,
    },
    /// A guardian index outside 1..=n.
    #[error("guardian index {index} is not in 1..={n}")]
    IndexRange {
        /// The index given.
        index: u32,
        /// Number of guardians.
        n: u32,
    },
    /// Two guardians claim the same index.
    #[error("guardian {index}: a key for this index was already published")]
    DuplicateIndex {
        /// The index claimed twice.
        index: u32,
    },
    /// A guardian published the wrong number of commitments or proofs.
    #[error("guardian {index}: {what} has {actual} entries, the quorum needs {expected}")]
    CoefficientCount {
        /// The guardian.
        index: u32,
        /// "commitments" or "proofs".
        what: &'static str,
        /// k.
        expected: usize,
        /// What was given.
        actual: usize,
    },
    /// A Schnorr proof does not verify (spec 2.0 Verification 2).
    #[error(
        "guardian {index}, coefficient {coefficient}: Schnorr proof fails (challenge differs, Verification 2.C)"
    )]
    InvalidProof {
        /// The guardian.
        index: u32,
        /// j.
        coefficient: usize,
    },
    /// A guardian's public key is the identity (spec 2.0 Verification 3.A).
    #[error("guardian {index}: public key K_i is 1 (Verification 3.A)")]
    TrivialKey {
        /// The guardian.
        index: u32,
    },
    /// The product of the guardians' keys is the identity (Verification 3.B).
    #[error("joint key K is 1 (Verification 3.B)")]
    TrivialJointKey,
    /// A share failed decryption or verification: the recipient complains about the sender.
    #[error(
        "complaint: the share guardian {sender} sent to guardian {recipient} is invalid: {reason}"
    )]
    Complaint {
        /// The guardian who sent the bad share.
        sender: u32,
        /// The guardian who received it.
        recipient: u32,
        /// What was wrong.
        reason: ComplaintReason,
    },
    /// A share addressed to someone else, or from a guardian not in the ceremony.
    #[error("share from guardian {sender} to guardian {recipient} does not belong here: {why}")]
    MisdirectedShare {
        /// Claimed sender.
        sender: u32,
        /// Claimed recipient.
        recipient: u32,
        /// What did not match.
        why: &'static str,
    },
    /// A step needs artifacts that are not there yet.
    #[error("the ceremony is not complete: {missing}")]
    Incomplete {
        /// What is missing.
        missing: String,
    },
    /// A value from outside is not a valid group element or scalar.
    #[error("{object}: {source}")]
    Encoding {
        /// What the value was.
        object: String,
        /// Why it was refused.
        source: GroupError,
    },
}

/// What was wrong with a received share (spec 2.0 §3.2.2, "Share decryption" and
/// "Share verification").
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ComplaintReason {
    /// The MAC C_{i,l,2} does not verify under the derived key k_0 (eq. (19)).
    #[error("MAC does not verify (eq. (19))")]
    Mac,
    /// The decrypted value is not an integer below q.
    #[error("decrypted value is not below q")]
    NotAScalar,
    /// g^{P_i(l)} differs from the product of the commitments (eq. (21)).
    #[error("value does not match the sender's commitments (eq. (21))")]
    Commitments,
    /// A share published to answer a complaint (§3.2.2) does not reproduce the encryption the
    /// sender published with its nonce.
    #[error("the published share and nonce do not reproduce the encrypted share (eq. (14)-(19))")]
    Reveal,
}
