//! What the guardians decrypt, and what a decryption yields.

use entente_group::Group;
use entente_record::ballot::contest_data::{ContestDataDecryption, EncryptedContestData};
use entente_record::ballot::{Ciphertext, Decryption};

/// One thing the guardians decrypt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target<G: Group> {
    /// An ElGamal ciphertext (A, B): a tally's or a challenged ballot's selection, §3.6.1.
    Vote(Ciphertext<G>),
    /// A contest's hashed-ElGamal data, §3.6.4; the label and index select the MAC key.
    ContestData {
        /// (C_0, C_1, C_2).
        data: EncryptedContestData<G>,
        /// The contest's label.
        contest_id: String,
        /// The contest's sequence order.
        contest_index: u32,
    },
}

impl<G: Group> Target<G> {
    /// The element the guardians raise to their shares: A, or C_0.
    pub fn base(&self) -> &G::Element {
        match self {
            Target::Vote(ct) => &ct.alpha,
            Target::ContestData { data, .. } => &data.c0,
        }
    }
}

/// A decrypted item with its proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decrypted<G: Group> {
    /// t, T = K^t and the proof (c, v).
    Vote(Decryption<G>),
    /// β = C_0^s with its proof, and the plaintext bytes.
    ContestData {
        /// β and (c, v).
        proof: ContestDataDecryption<G>,
        /// The decrypted bytes (numBytes of them).
        bytes: Vec<u8>,
    },
}
