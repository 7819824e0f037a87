//! Ballots as the election record holds them (spec 2.0 §3.3, §3.4): ciphertexts, range proofs,
//! encrypted contest data, contest hashes and confirmation codes, and the public computations on
//! them (hashes, proof checks). Encrypting and decrypting is in `entente-core`.

pub mod chain;
pub mod contest_data;
mod decryption;
mod elgamal;
pub mod hashes;
pub mod json;
mod plaintext;
mod proof;

pub use contest_data::{ContestData, ContestDataDecryption, ContestStatus, EncryptedContestData};
pub use decryption::{Decryption, decryption_challenge};
pub use elgamal::{Ciphertext, PublicKey};
pub use plaintext::{PlaintextBallot, PlaintextContest, PlaintextSelection};
pub use proof::{ProofPair, RangeProof, range_challenge};

use entente_group::Group;
use thiserror::Error;

use crate::HashValue;

/// Why a ballot, or a part of one, was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BallotError {
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

/// Whether a ballot was cast or challenged (the records' `state`: CAST or SPOILED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BallotState {
    /// Cast: counted in the tally.
    Cast,
    /// Challenged (spoiled): never counted; decrypted for the voter.
    Challenged,
}

/// One encrypted selection with its range proof (spec 2.0 §3.3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedSelection<G: Group> {
    /// The option's label.
    pub selection_id: String,
    /// ind_o, the option's sequence order.
    pub sequence_order: u32,
    /// Enc(σ, ξ).
    pub ciphertext: Ciphertext<G>,
    /// Proof that σ is in 0..=R.
    pub proof: RangeProof<G>,
}

/// One encrypted contest (spec 2.0 §3.3.8, §3.3.6, §3.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedContest<G: Group> {
    /// The contest's label.
    pub contest_id: String,
    /// ind_c, the contest's sequence order.
    pub sequence_order: u32,
    /// The contest selection limit L.
    pub votes_allowed: u32,
    /// χ_l, eq. (57).
    pub contest_hash: HashValue,
    /// One per option, in manifest order.
    pub selections: Vec<EncryptedSelection<G>>,
    /// Proof that the selections sum to 0..=L.
    pub proof: RangeProof<G>,
    /// Overvotes, undervotes and write-ins, hashed-ElGamal encrypted.
    pub contest_data: EncryptedContestData<G>,
}

impl<G: Group> EncryptedContest<G> {
    /// (ᾱ, β̄), the product of the selections' ciphertexts (Verification 6.1, 6.2).
    pub fn total(&self) -> Ciphertext<G> {
        self.selections
            .iter()
            .fold(Ciphertext::zero(), |acc, s| acc.add(&s.ciphertext))
    }
}

/// Which part of a ballot a check failed on, for the message.
fn at(contest: &str, selection: Option<&str>) -> String {
    match selection {
        Some(s) => format!("contest {contest}, selection {s}"),
        None => format!("contest {contest}"),
    }
}

impl<G: Group> EncryptedBallot<G> {
    /// The checks a ballot carries in itself (spec 2.0 Verifications 5, 6, 7.A, 7.B): every
    /// selection's and contest's range proof, every contest hash, and the confirmation code from
    /// the ballot's own B_aux. The checks against a manifest and a device chain are the
    /// caller's. The error names the contest and selection.
    pub fn verify_proofs_and_codes(
        &self,
        revision: crate::Revision,
        h_e: &HashValue,
        key: &PublicKey<G>,
    ) -> Result<(), BallotError> {
        let fail = |where_: String, what: String| BallotError::Invalid(format!("{where_}: {what}"));
        for c in &self.contests {
            for s in &c.selections {
                s.proof.verify(h_e, key, &s.ciphertext).map_err(|e| {
                    fail(
                        at(&c.contest_id, Some(&s.selection_id)),
                        format!("{e} (Verification 5)"),
                    )
                })?;
            }
            c.proof
                .verify(h_e, key, &c.total())
                .map_err(|e| fail(at(&c.contest_id, None), format!("{e} (Verification 6)")))?;
            let chi = hashes::contest_hash::<G>(
                revision,
                h_e,
                hashes::Label {
                    id: &c.contest_id,
                    index: c.sequence_order,
                },
                key.element(),
                c.selections.iter().map(|s| &s.ciphertext),
            );
            if chi != c.contest_hash {
                return Err(fail(
                    at(&c.contest_id, None),
                    "the contest hash does not match its encryptions (Verification 7.A)".into(),
                ));
            }
        }
        let code = hashes::confirmation_code(
            h_e,
            self.contests.iter().map(|c| &c.contest_hash),
            &self.code_baux,
        );
        if code != self.confirmation_code {
            return Err(BallotError::Invalid(
                "the confirmation code does not match the ballot's encryptions (Verification 7.B)"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// An encrypted ballot as published (spec 2.0 §3.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedBallot<G: Group> {
    /// The ballot's unique id.
    pub ballot_id: String,
    /// Its ballot style.
    pub ballot_style_id: String,
    /// The device that encrypted it.
    pub encrypting_device: String,
    /// Seconds since the epoch.
    pub timestamp: i64,
    /// B_aux of eq. (58).
    pub code_baux: Vec<u8>,
    /// H(B), eq. (58).
    pub confirmation_code: HashValue,
    /// The election it belongs to: H_E (absent in some test vectors).
    pub election_id: Option<HashValue>,
    /// The contests, in manifest order.
    pub contests: Vec<EncryptedContest<G>>,
    /// Cast or challenged.
    pub state: BallotState,
    /// The encrypted serial number of the paper ballot, where there is one.
    pub encrypted_sn: Option<Ciphertext<G>>,
    /// Whether it came from a pre-encrypted ballot.
    pub is_preencrypt: bool,
}
