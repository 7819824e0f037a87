//! The protocol's one error: why a step of the key ceremony, a guardian's secret file, the tally
//! or a decryption was refused. Every variant names the guardian, ballot or item concerned.

use entente_group::GroupError;
use thiserror::Error;

use crate::keys::ComplaintReason;

/// Why a step of the protocol was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoreError {
    // The key ceremony (spec 2.0 §3.2).
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

    // Decryption (spec 2.0 §3.6).
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

    // The tally (spec 2.0 §3.5).
    /// The ballot belongs to another election (its election_id is not H_E).
    #[error("ballot {0}: belongs to another election (election_id is not this H_E)")]
    OtherElection(String),
    /// The ballot does not match the manifest.
    #[error("ballot {ballot}: {what}")]
    BallotStructure {
        /// The ballot.
        ballot: String,
        /// What does not match.
        what: String,
    },
    /// A proof or hash of the ballot does not hold.
    #[error("ballot {ballot}, contest {contest}: {what}")]
    BallotInvalid {
        /// The ballot.
        ballot: String,
        /// The contest.
        contest: String,
        /// What failed.
        what: String,
    },
    /// A challenged ballot offered to the tally.
    #[error("ballot {0} was challenged; challenged ballots are never counted")]
    ChallengedBallot(String),
    /// The same ballot id twice.
    #[error("ballot {0} is already in the tally")]
    DuplicateBallot(String),
    /// A published tally that is not the product of exactly the cast ballots (eq. (62)).
    #[error("the encrypted tally is not the product of the cast ballots: {0}")]
    NotTheProduct(String),

    // A guardian's sealed secret file.
    /// A sealed file (a guardian's secret or a signing key) does not open: the reason, named
    /// once (a wrong passphrase, a file cut short, a changed file, not a sealed file).
    /// (Said as the reason alone: the caller names the file it could not open.)
    #[error("{0}")]
    SecretDecrypt(String),
    /// Encryption failed.
    #[error("cannot encrypt the guardian secret: {0}")]
    SecretEncrypt(String),
    /// Reading or writing the bytes failed.
    #[error("sealed file I/O: {0}")]
    SecretIo(String),
    /// The decrypted content is not a guardian secret of this format.
    #[error("guardian secret content is malformed: {0}")]
    SecretFormat(String),
    /// The content decrypted but describes an impossible guardian.
    #[error("guardian secret content is invalid: {0}")]
    SecretInvalid(Box<CoreError>),
}
