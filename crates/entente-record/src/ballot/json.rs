//! Encrypted ballots in the JSON of the conformance records
//! (`encrypted_ballots/<device>/eballot-<id>.json`, egk's JsonSerializationSpec): read with
//! every value checked and every error naming its JSON path; written back to the same JSON.
//!
//! The structs' fields are the JSON keys one for one (described in egk's
//! `JsonSerializationSpec1.9.md`), so they carry no docs of their own.
#![allow(missing_docs)]

use entente_group::{Group, Scalar};
use serde::{Deserialize, Serialize};

use super::preencrypted::{PreEncryption, SelectedVector};
use super::{
    BallotCiphertexts, BallotCounts, BallotFailure, BallotState, Ciphertext, EncryptedBallot,
    EncryptedContest, EncryptedContestData, EncryptedSelection, ProofPair, PublicKey, RangeProof,
};
use crate::{HashValue, RecordError};

/// An encrypted ballot as the JSON holds it: hex strings, unchecked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncryptedBallotJson {
    pub ballot_id: String,
    pub ballot_style_id: String,
    pub encrypting_device: String,
    pub timestamp: i64,
    pub code_baux: String,
    pub confirmation_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election_id: Option<String>,
    pub contests: Vec<EncryptedContestJson>,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_sn: Option<CiphertextJson>,
    pub is_preencrypt: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_nonce: Option<String>,
}

/// A contest of an encrypted ballot as the JSON holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncryptedContestJson {
    pub contest_id: String,
    pub sequence_order: u32,
    pub votes_allowed: u32,
    pub contest_hash: String,
    pub selections: Vec<EncryptedSelectionJson>,
    pub proof: RangeProofJson,
    pub encrypted_contest_data: ContestDataJson,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_encryption: Option<PreEncryptionJson>,
}

/// A selection of an encrypted ballot as the JSON holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncryptedSelectionJson {
    pub selection_id: String,
    pub sequence_order: u32,
    pub encrypted_vote: CiphertextJson,
    pub proof: RangeProofJson,
}

/// (α, β) as `{pad, data}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CiphertextJson {
    pub pad: String,
    pub data: String,
}

/// A range proof as `{proofs: [{challenge, response}]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RangeProofJson {
    pub proofs: Vec<ProofPairJson>,
}

/// One (c_j, v_j).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProofPairJson {
    pub challenge: String,
    pub response: String,
}

/// Hashed-ElGamal contest data as `{c0, c1, c2, numBytes}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContestDataJson {
    pub c0: String,
    pub c1: String,
    pub c2: String,
    #[serde(rename = "numBytes")]
    pub num_bytes: u32,
}

pub(crate) fn field<T, E: std::fmt::Display>(
    path: &str,
    r: Result<T, E>,
) -> Result<T, RecordError> {
    r.map_err(|e| RecordError::Field {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

pub(crate) fn element<G: Group>(path: &str, hex: &str) -> Result<G::Element, RecordError> {
    field(path, G::element_from_hex(hex))
}

/// Whether elements are checked for subgroup membership one by one as they are read, or only
/// for range, with the membership of the whole ballot proven afterwards in one batch
/// ([`read_batch`]); nothing read unchecked leaves this module.
#[derive(Clone, Copy)]
pub(crate) enum Membership {
    Each,
    Deferred,
}

pub(crate) fn element_as<G: Group>(
    path: &str,
    hex: &str,
    m: Membership,
) -> Result<G::Element, RecordError> {
    match m {
        Membership::Each => element::<G>(path, hex),
        Membership::Deferred => field(
            path,
            ::hex::decode(hex)
                .map_err(|e| e.to_string())
                .and_then(|b| G::element_from_bytes_unchecked(&b).map_err(|e| e.to_string())),
        ),
    }
}

pub(crate) fn scalar<G: Group>(path: &str, hex: &str) -> Result<G::Scalar, RecordError> {
    field(path, G::Scalar::from_hex(hex))
}

pub(crate) fn hash(path: &str, hex: &str) -> Result<HashValue, RecordError> {
    field(path, HashValue::from_hex(hex))
}

impl CiphertextJson {
    /// (α, β), each checked to be in the group; errors name `path`.
    pub fn read<G: Group>(&self, path: &str) -> Result<Ciphertext<G>, RecordError> {
        self.read_as(path, Membership::Each)
    }

    pub(crate) fn read_as<G: Group>(
        &self,
        path: &str,
        m: Membership,
    ) -> Result<Ciphertext<G>, RecordError> {
        Ok(Ciphertext {
            alpha: element_as::<G>(&format!("{path}.pad"), &self.pad, m)?,
            beta: element_as::<G>(&format!("{path}.data"), &self.data, m)?,
        })
    }
    /// The JSON of (α, β).
    pub fn write<G: Group>(ct: &Ciphertext<G>) -> Self {
        Self {
            pad: G::element_to_hex(&ct.alpha),
            data: G::element_to_hex(&ct.beta),
        }
    }
}

impl ContestDataJson {
    /// (C_0, C_1, C_2) with C_0 in the group and C_1 the size numBytes needs; errors name `path`.
    pub fn read<G: Group>(&self, path: &str) -> Result<EncryptedContestData<G>, RecordError> {
        self.read_as(path, Membership::Each)
    }

    fn read_as<G: Group>(
        &self,
        path: &str,
        m: Membership,
    ) -> Result<EncryptedContestData<G>, RecordError> {
        let c1 = field(&format!("{path}.c1"), hex::decode(&self.c1))?;
        let needed = (self.num_bytes as usize).div_ceil(32) * 32;
        if c1.len() != needed {
            return Err(RecordError::Field {
                path: format!("{path}.c1"),
                reason: format!(
                    "{} bytes, but numBytes {} needs {needed}",
                    c1.len(),
                    self.num_bytes
                ),
            });
        }
        Ok(EncryptedContestData {
            c0: element_as::<G>(&format!("{path}.c0"), &self.c0, m)?,
            c1,
            c2: field(
                &format!("{path}.c2"),
                entente_group::hex::decode_array(&self.c2),
            )?,
            num_bytes: self.num_bytes,
        })
    }

    /// The JSON of (C_0, C_1, C_2).
    pub fn write<G: Group>(d: &EncryptedContestData<G>) -> Self {
        Self {
            c0: G::element_to_hex(&d.c0),
            c1: entente_group::hex::encode(&d.c1),
            c2: entente_group::hex::encode(&d.c2),
            num_bytes: d.num_bytes,
        }
    }
}

impl RangeProofJson {
    fn read<G: Group>(&self, path: &str) -> Result<RangeProof<G>, RecordError> {
        let pairs = self
            .proofs
            .iter()
            .enumerate()
            .map(|(j, p)| {
                Ok(ProofPair {
                    challenge: scalar::<G>(&format!("{path}.proofs[{j}].challenge"), &p.challenge)?,
                    response: scalar::<G>(&format!("{path}.proofs[{j}].response"), &p.response)?,
                })
            })
            .collect::<Result<Vec<_>, RecordError>>()?;
        if pairs.is_empty() {
            return Err(RecordError::Field {
                path: format!("{path}.proofs"),
                reason: "a range proof needs at least one challenge/response pair".into(),
            });
        }
        Ok(RangeProof { pairs })
    }
    fn write<G: Group>(p: &RangeProof<G>) -> Self {
        Self {
            proofs: p
                .pairs
                .iter()
                .map(|p| ProofPairJson {
                    challenge: p.challenge.to_hex(),
                    response: p.response.to_hex(),
                })
                .collect(),
        }
    }
}

impl EncryptedBallotJson {
    /// Checks every value: elements in the group, scalars below q, hashes 32 bytes, the state
    /// known. Errors name the JSON path.
    pub fn read<G: Group>(&self) -> Result<EncryptedBallot<G>, RecordError> {
        self.read_as(Membership::Each)
    }

    fn read_as<G: Group>(&self, m: Membership) -> Result<EncryptedBallot<G>, RecordError> {
        let state = match self.state.as_str() {
            "CAST" => BallotState::Cast,
            "SPOILED" | "CHALLENGED" => BallotState::Challenged,
            other => {
                return Err(RecordError::Field {
                    path: "state".into(),
                    reason: format!("unknown ballot state {other:?} (CAST or SPOILED)"),
                });
            }
        };
        let contests = self
            .contests
            .iter()
            .enumerate()
            .map(|(ci, c)| {
                let at = format!("contests[{ci}]");
                let selections = c
                    .selections
                    .iter()
                    .enumerate()
                    .map(|(si, s)| {
                        let sat = format!("{at}.selections[{si}]");
                        Ok(EncryptedSelection {
                            selection_id: s.selection_id.clone(),
                            sequence_order: s.sequence_order,
                            ciphertext: s
                                .encrypted_vote
                                .read_as(&format!("{sat}.encrypted_vote"), m)?,
                            proof: s.proof.read(&format!("{sat}.proof"))?,
                        })
                    })
                    .collect::<Result<Vec<_>, RecordError>>()?;
                Ok(EncryptedContest {
                    contest_id: c.contest_id.clone(),
                    sequence_order: c.sequence_order,
                    votes_allowed: c.votes_allowed,
                    contest_hash: hash(&format!("{at}.contest_hash"), &c.contest_hash)?,
                    selections,
                    proof: c.proof.read(&format!("{at}.proof"))?,
                    contest_data: c
                        .encrypted_contest_data
                        .read_as(&format!("{at}.encrypted_contest_data"), m)?,
                    pre_encryption: c
                        .pre_encryption
                        .as_ref()
                        .map(|p| p.read_as(&format!("{at}.pre_encryption"), m))
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>, RecordError>>()?;
        Ok(EncryptedBallot {
            ballot_id: self.ballot_id.clone(),
            ballot_style_id: self.ballot_style_id.clone(),
            encrypting_device: self.encrypting_device.clone(),
            timestamp: self.timestamp,
            code_baux: field("code_baux", hex::decode(&self.code_baux))?,
            confirmation_code: hash("confirmation_code", &self.confirmation_code)?,
            election_id: self
                .election_id
                .as_ref()
                .map(|h| hash("election_id", h))
                .transpose()?,
            contests,
            state,
            encrypted_sn: self
                .encrypted_sn
                .as_ref()
                .map(|sn| sn.read_as("encrypted_sn", m))
                .transpose()?,
            is_preencrypt: self.is_preencrypt,
            primary_nonce: self
                .primary_nonce
                .as_ref()
                .map(|n| field("primary_nonce", entente_group::hex::decode_array(n)))
                .transpose()?,
        })
    }

    /// The JSON of a ballot, as the records write it.
    pub fn write<G: Group>(b: &EncryptedBallot<G>) -> Self {
        Self {
            ballot_id: b.ballot_id.clone(),
            ballot_style_id: b.ballot_style_id.clone(),
            encrypting_device: b.encrypting_device.clone(),
            timestamp: b.timestamp,
            code_baux: entente_group::hex::encode(&b.code_baux),
            confirmation_code: b.confirmation_code.to_hex(),
            election_id: b.election_id.as_ref().map(HashValue::to_hex),
            contests: b
                .contests
                .iter()
                .map(|c| EncryptedContestJson {
                    contest_id: c.contest_id.clone(),
                    sequence_order: c.sequence_order,
                    votes_allowed: c.votes_allowed,
                    contest_hash: c.contest_hash.to_hex(),
                    selections: c
                        .selections
                        .iter()
                        .map(|s| EncryptedSelectionJson {
                            selection_id: s.selection_id.clone(),
                            sequence_order: s.sequence_order,
                            encrypted_vote: CiphertextJson::write(&s.ciphertext),
                            proof: RangeProofJson::write(&s.proof),
                        })
                        .collect(),
                    proof: RangeProofJson::write(&c.proof),
                    encrypted_contest_data: ContestDataJson::write(&c.contest_data),
                    pre_encryption: c.pre_encryption.as_ref().map(PreEncryptionJson::write),
                })
                .collect(),
            state: match b.state {
                BallotState::Cast => "CAST".into(),
                BallotState::Challenged => "SPOILED".into(),
            },
            encrypted_sn: b.encrypted_sn.as_ref().map(CiphertextJson::write),
            is_preencrypt: b.is_preencrypt,
            primary_nonce: b
                .primary_nonce
                .as_ref()
                .map(|n| entente_group::hex::encode(n)),
        }
    }
}

/// A ballot whose elements were read for range only (1 ≤ x < p, `Group::element_from_bytes_unchecked`),
/// not yet for membership of the order-q subgroup. Nothing but [`UncheckedBallot::check`], which
/// proves that membership on the way, turns it into an [`EncryptedBallot`]; its ciphertexts
/// alone ([`UncheckedBallot::ciphertexts`]) serve a product compared with a checked tally.
#[derive(Debug, Clone)]
pub struct UncheckedBallot<G: Group>(EncryptedBallot<G>);

impl<G: Group> From<EncryptedBallot<G>> for UncheckedBallot<G> {
    /// A ballot already checked is in particular one whose membership is still to prove.
    fn from(b: EncryptedBallot<G>) -> Self {
        Self(b)
    }
}

impl EncryptedBallotJson {
    /// The ballot with every value checked as [`EncryptedBallotJson::read`] checks it except the
    /// subgroup membership of its elements, which [`UncheckedBallot::check`] proves with the
    /// exponentiations its proofs need anyway.
    pub fn read_unchecked<G: Group>(&self) -> Result<UncheckedBallot<G>, RecordError> {
        self.read_as(Membership::Deferred).map(UncheckedBallot)
    }
}

impl<G: Group> UncheckedBallot<G> {
    /// The ballot's id.
    pub fn ballot_id(&self) -> &str {
        &self.0.ballot_id
    }

    /// Cast or challenged.
    pub fn state(&self) -> BallotState {
        self.0.state
    }

    /// The ballot's style.
    pub fn ballot_style_id(&self) -> &str {
        &self.0.ballot_style_id
    }

    /// The ballot's confirmation code H_C (checked against its contests by
    /// [`UncheckedBallot::check`]).
    pub fn confirmation_code(&self) -> &HashValue {
        &self.0.confirmation_code
    }

    /// The ballot's election id, if it names one.
    pub fn election_id(&self) -> Option<&HashValue> {
        self.0.election_id.as_ref()
    }

    /// [`EncryptedBallot::structure_failures`]: the structure needs no membership.
    pub fn structure_failures(&self, manifest: &crate::manifest::Manifest) -> Vec<BallotFailure> {
        self.0.structure_failures(manifest)
    }

    /// The ciphertexts of the selections, for a product that is compared with a checked tally
    /// (eq. (62)): equal products need no membership of their factors.
    pub fn ciphertexts(&self) -> BallotCiphertexts<G> {
        BallotCiphertexts::of(&self.0)
    }

    /// Verification 5.A for every element, then [`EncryptedBallot::check`]: each selection's α
    /// and β exactly by the squaring chains of its range proof (`Group::vartime_pow_many_checked`,
    /// five products more than the proof), the contest data's C_0 and the serial number, which
    /// no proof raises, in one batched test (`Group::batch_is_member`). The first element out of
    /// the subgroup is the error ([`RecordError::NotInGroup`], with its JSON path), and the rest
    /// of the ballot is not checked; otherwise the ballot, now checked, with its counts and the
    /// other checks' failures.
    #[allow(clippy::type_complexity)]
    pub fn check<R: rand::CryptoRng + rand::RngCore + ?Sized>(
        self,
        revision: crate::Revision,
        h_e: &HashValue,
        key: &PublicKey<G>,
        rng: &mut R,
    ) -> Result<(EncryptedBallot<G>, BallotCounts, Vec<BallotFailure>), RecordError> {
        let others: Vec<(String, &G::Element)> = self
            .0
            .elements()
            .filter(|(path, _)| !path.contains(".encrypted_vote."))
            .collect();
        let refs: Vec<&G::Element> = others.iter().map(|(_, e)| *e).collect();
        if !G::batch_is_member(&refs, rng) {
            let outside = others
                .iter()
                .find(|(_, e)| G::element_from_bytes(&G::element_to_bytes(e)).is_err());
            // Every element alone a member means the batch erred (probability 2^-127).
            if let Some((path, _)) = outside {
                return Err(RecordError::NotInGroup { path: path.clone() });
            }
        }
        let (counts, failures) = self
            .0
            .check_with(revision, h_e, key, true)
            .map_err(|path| RecordError::NotInGroup { path })?;
        Ok((self.0, counts, failures))
    }
}

/// Reads many ballots, proving the subgroup membership of all their elements in batches (one
/// randomized test per ballot group, [`Group::batch_is_member`]) instead of one exponentiation
/// per element. A batch that fails is searched ballot by ballot and element by element, so the
/// error names the ballot's JSON path as [`EncryptedBallotJson::read`] would.
pub fn read_batch<G: Group, R: rand::CryptoRng + rand::RngCore + ?Sized>(
    ballots: &[&EncryptedBallotJson],
    rng: &mut R,
) -> Vec<Result<EncryptedBallot<G>, RecordError>> {
    let read: Vec<Result<EncryptedBallot<G>, RecordError>> = ballots
        .iter()
        .map(|b| b.read_as(Membership::Deferred))
        .collect();
    let all: Vec<&G::Element> = read
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .flat_map(|b| b.elements().map(|(_, e)| e))
        .collect();
    if G::batch_is_member(&all, rng) {
        return read;
    }
    read.into_iter()
        .map(|r| {
            let b = r?;
            let mine: Vec<&G::Element> = b.elements().map(|(_, e)| e).collect();
            if G::batch_is_member(&mine, rng) {
                return Ok(b);
            }
            let outside = b
                .elements()
                .find(|(_, e)| G::element_from_bytes(&G::element_to_bytes(e)).is_err())
                .map(|(path, _)| path);
            match outside {
                Some(path) => Err(RecordError::NotInGroup { path }),
                // Every element alone is a member: the batch test erred (probability 2^-127).
                None => Ok(b),
            }
        })
        .collect()
}

/// [`PreEncryption`] as egk's records write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreEncryptionJson {
    /// χ.
    pub preencryption_hash: String,
    /// Every ψ of the contest, sorted.
    pub all_selection_hashes: Vec<String>,
    /// The L published vectors.
    pub selected_vectors: Vec<SelectedVectorJson>,
}

/// [`SelectedVector`] as egk's records write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectedVectorJson {
    /// ψ.
    pub selection_hash: String,
    /// Ω(ψ).
    pub short_code: String,
    /// E_1, …, E_m.
    pub encryptions: Vec<CiphertextJson>,
}

impl PreEncryptionJson {
    pub(crate) fn read_as<G: Group>(
        &self,
        path: &str,
        m: Membership,
    ) -> Result<PreEncryption<G>, RecordError> {
        let selection_hashes = self
            .all_selection_hashes
            .iter()
            .enumerate()
            .map(|(i, h)| hash(&format!("{path}.all_selection_hashes[{i}]"), h))
            .collect::<Result<_, _>>()?;
        let selected = self
            .selected_vectors
            .iter()
            .enumerate()
            .map(|(j, v)| {
                let at = format!("{path}.selected_vectors[{j}]");
                Ok(SelectedVector {
                    selection_hash: hash(&format!("{at}.selection_hash"), &v.selection_hash)?,
                    short_code: v.short_code.clone(),
                    encryptions: v
                        .encryptions
                        .iter()
                        .enumerate()
                        .map(|(k, e)| e.read_as(&format!("{at}.encryptions[{k}]"), m))
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<_, RecordError>>()?;
        Ok(PreEncryption {
            contest_hash: hash(
                &format!("{path}.preencryption_hash"),
                &self.preencryption_hash,
            )?,
            selection_hashes,
            selected,
        })
    }

    /// The JSON of `p`.
    pub fn write<G: Group>(p: &PreEncryption<G>) -> Self {
        Self {
            preencryption_hash: p.contest_hash.to_hex(),
            all_selection_hashes: p.selection_hashes.iter().map(HashValue::to_hex).collect(),
            selected_vectors: p
                .selected
                .iter()
                .map(|v| SelectedVectorJson {
                    selection_hash: v.selection_hash.to_hex(),
                    short_code: v.short_code.clone(),
                    encryptions: v.encryptions.iter().map(CiphertextJson::write).collect(),
                })
                .collect(),
        }
    }
}
