//! Ballots as the election record holds them (spec 2.0 §3.3, §3.4): ciphertexts, range proofs,
//! encrypted contest data, contest hashes and confirmation codes, and the public computations on
//! them (hashes, proof checks). Encrypting and decrypting is in `entente-core`.

pub mod chain;
mod check;
pub mod contest_data;
mod decryption;
mod elgamal;
pub mod hashes;
pub mod json;
mod plaintext;
pub mod preencrypted;
mod proof;

pub use contest_data::{ContestData, ContestDataDecryption, ContestStatus, EncryptedContestData};
pub use decryption::{Decryption, decryption_challenge};
pub use elgamal::{Ciphertext, PublicKey};
pub use plaintext::{PlaintextBallot, PlaintextContest, PlaintextSelection};
pub use proof::{ProofPair, RangeProof, range_challenge};

use entente_group::Group;

use crate::HashValue;

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
    /// What a contest recorded from a pre-encrypted ballot publishes besides (spec 2.0 §4.4).
    pub pre_encryption: Option<preencrypted::PreEncryption<G>>,
}

impl<G: Group> EncryptedContest<G> {
    /// (ᾱ, β̄), the product of the selections' ciphertexts (Verification 6.1, 6.2).
    pub fn total(&self) -> Ciphertext<G> {
        self.selections
            .iter()
            .fold(Ciphertext::zero(), |acc, s| acc.add(&s.ciphertext))
    }
}

/// What a tally's product (eq. (62)) takes of a ballot: its id, its state and its selections'
/// ciphertexts, contest by contest.
#[derive(Debug, Clone)]
pub struct BallotCiphertexts<G: Group> {
    /// The ballot's id.
    pub ballot_id: String,
    /// Cast or challenged.
    pub state: BallotState,
    /// (contest id, its selections), in the ballot's order.
    pub contests: Vec<(String, Vec<SelectionCiphertext<G>>)>,
}

/// A selection's id and ciphertext.
pub type SelectionCiphertext<G> = (String, Ciphertext<G>);

impl<G: Group> BallotCiphertexts<G> {
    /// The ciphertexts of `b`.
    pub fn of(b: &EncryptedBallot<G>) -> Self {
        Self {
            ballot_id: b.ballot_id.clone(),
            state: b.state,
            contests: b
                .contests
                .iter()
                .map(|c| {
                    (
                        c.contest_id.clone(),
                        c.selections
                            .iter()
                            .map(|s| (s.selection_id.clone(), s.ciphertext.clone()))
                            .collect(),
                    )
                })
                .collect(),
        }
    }
}

/// Which part of a ballot a check failed on, for the message.
fn at(contest: &str, selection: Option<&str>) -> String {
    match selection {
        Some(s) => format!("contest {contest}, selection {s}"),
        None => format!("contest {contest}"),
    }
}

/// One check a ballot fails: the spec's verification, where, and what did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotFailure {
    /// 5, 6 or 7 (spec 2.0 §6); 15 to 18 for a ballot recorded from a pre-encrypted one.
    pub verification: u8,
    /// The contest, if the failure is in one.
    pub contest: Option<String>,
    /// The selection, if the failure is in one.
    pub selection: Option<String>,
    /// The equation or rule, e.g. "5.D: …".
    pub what: String,
}

impl BallotFailure {
    pub(crate) fn new(
        verification: u8,
        contest: Option<&str>,
        selection: Option<&str>,
        what: String,
    ) -> Self {
        Self {
            verification,
            contest: contest.map(str::to_owned),
            selection: selection.map(str::to_owned),
            what,
        }
    }

    /// "contest C, selection S: what".
    pub fn describe(&self) -> String {
        match (&self.contest, &self.selection) {
            (Some(c), Some(s)) => format!("{}: {}", at(c, Some(s)), self.what),
            (Some(c), None) => format!("{}: {}", at(c, None), self.what),
            _ => self.what.clone(),
        }
    }
}

/// How many objects [`EncryptedBallot::check`] looked at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BallotCounts {
    /// Selections whose proof was checked (Verification 5).
    pub selections: u64,
    /// Contests whose proof was checked (Verification 6).
    pub contests: u64,
}

impl<G: Group> EncryptedBallot<G> {
    /// The ballot against the manifest: its style is listed, its contests are the style's in
    /// manifest order with the manifest's limit L, its selections are each contest's options in
    /// order, and its proofs cover 0..=R and 0..=L. All mismatches, as failures of Verification 5
    /// (selections) or 6 (contests).
    pub fn structure_failures(&self, manifest: &crate::manifest::Manifest) -> Vec<BallotFailure> {
        let Some(listed) = manifest.styles.get(&self.ballot_style_id) else {
            return vec![BallotFailure::new(
                5,
                None,
                None,
                format!(
                    "ballot style {:?} is not in the manifest",
                    self.ballot_style_id
                ),
            )];
        };
        let expected: Vec<_> = manifest
            .contests
            .iter()
            .filter(|c| listed.contains(&c.id))
            .collect();
        if expected.len() != self.contests.len()
            || expected
                .iter()
                .zip(&self.contests)
                .any(|(m, c)| m.id != c.contest_id || m.index != c.sequence_order)
        {
            return vec![BallotFailure::new(
                6,
                None,
                None,
                "its contests are not those of its ballot style, in manifest order".into(),
            )];
        }
        let mut failures = Vec::new();
        for (m, c) in expected.iter().zip(&self.contests) {
            if m.options.len() != c.selections.len()
                || m.options
                    .iter()
                    .zip(&c.selections)
                    .any(|(o, s)| o.id != s.selection_id || o.index != s.sequence_order)
            {
                failures.push(BallotFailure::new(
                    5,
                    Some(&c.contest_id),
                    None,
                    "its selections are not the contest's options, in manifest order".into(),
                ));
                continue;
            }
            if c.votes_allowed != m.limit || c.proof.limit() != m.limit {
                failures.push(BallotFailure::new(
                    6,
                    Some(&c.contest_id),
                    None,
                    format!(
                        "the contest proof's range is 0..={}, the manifest's limit L is {}",
                        c.proof.limit(),
                        m.limit
                    ),
                ));
            }
            for s in &c.selections {
                if s.proof.limit() != m.option_limit {
                    failures.push(BallotFailure::new(
                        5,
                        Some(&c.contest_id),
                        Some(&s.selection_id),
                        format!(
                            "the proof's range is 0..={}, the option limit R is {}",
                            s.proof.limit(),
                            m.option_limit
                        ),
                    ));
                }
            }
        }
        failures
    }
}

impl<G: Group> EncryptedBallot<G> {
    /// Every group element of the ballot with its JSON path: α and β of every selection, C_0 of
    /// every contest's data, and the encrypted serial number.
    pub fn elements(&self) -> impl Iterator<Item = (String, &G::Element)> {
        self.contests
            .iter()
            .enumerate()
            .flat_map(|(ci, c)| {
                c.selections
                    .iter()
                    .enumerate()
                    .flat_map(move |(si, s)| {
                        let at = format!("contests[{ci}].selections[{si}].encrypted_vote");
                        [
                            (format!("{at}.pad"), &s.ciphertext.alpha),
                            (format!("{at}.data"), &s.ciphertext.beta),
                        ]
                    })
                    .chain(std::iter::once((
                        format!("contests[{ci}].encrypted_contest_data.c0"),
                        &c.contest_data.c0,
                    )))
                    .chain(c.pre_encryption.iter().flat_map(move |p| {
                        p.selected.iter().enumerate().flat_map(move |(j, v)| {
                            v.encryptions.iter().enumerate().flat_map(move |(k, e)| {
                                let at = format!(
                                    "contests[{ci}].pre_encryption.selected_vectors[{j}].encryptions[{k}]"
                                );
                                [(format!("{at}.pad"), &e.alpha), (format!("{at}.data"), &e.beta)]
                            })
                        })
                    }))
            })
            .chain(self.encrypted_sn.iter().flat_map(|sn| {
                [
                    ("encrypted_sn.pad".to_owned(), &sn.alpha),
                    ("encrypted_sn.data".to_owned(), &sn.beta),
                ]
            }))
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
    /// A challenged pre-encrypted ballot's primary nonce ξ, which opens all its pre-encryptions
    /// (spec 2.0 §4.4).
    pub primary_nonce: Option<[u8; 32]>,
}
