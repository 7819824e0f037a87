//! The tally as the election record holds it (spec 2.0 §3.5, §3.6): the encrypted tally
//! (`encrypted_tally.json`), the decrypted tally (`tally.json`) and the decrypted challenged
//! ballots (`challenged_ballots/dballot-<id>.json`), in the JSON of the conformance records
//! (egk's JsonSerializationSpec), read with every value checked and every error naming its JSON
//! path, and written back to the same JSON.

use entente_group::{Group, Scalar};
use serde::{Deserialize, Serialize};

use crate::ballot::json::{CiphertextJson, ContestDataJson, element, field, hash, scalar};
use crate::ballot::{
    Ciphertext, ContestData, ContestDataDecryption, ContestStatus, Decryption,
    EncryptedContestData, PublicKey,
};
use crate::{HashValue, RecordError};

/// One selection of the encrypted tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallySelection<G: Group> {
    /// λ.
    pub selection_id: String,
    /// ind_o.
    pub sequence_order: u32,
    /// (A, B), eq. (62).
    pub ciphertext: Ciphertext<G>,
}

/// One contest of the encrypted tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyContest<G: Group> {
    /// Λ.
    pub contest_id: String,
    /// ind_c.
    pub sequence_order: u32,
    /// The options, in manifest order.
    pub selections: Vec<TallySelection<G>>,
}

/// `encrypted_tally.json`: the product of the cast ballots, and which ballots those are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedTallyRecord<G: Group> {
    /// The tally's name.
    pub tally_id: String,
    /// Every contest of the manifest.
    pub contests: Vec<TallyContest<G>>,
    /// The ballots counted.
    pub cast_ballot_ids: Vec<String>,
    /// H_E.
    pub election_id: HashValue,
}

/// One selection decrypted, with its proof (Verification 9, 10; 12, 13 on challenged ballots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptedSelection<G: Group> {
    /// λ.
    pub selection_id: String,
    /// The ciphertext decrypted.
    pub ciphertext: Ciphertext<G>,
    /// t, T and (c, v).
    pub decryption: Decryption<G>,
}

/// A contest's data decrypted, with its proof (Verification 11; 14 on challenged ballots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptedContestData<G: Group> {
    /// What it says.
    pub data: ContestData,
    /// (C_0, C_1, C_2).
    pub encrypted: EncryptedContestData<G>,
    /// β and (c, v).
    pub proof: ContestDataDecryption<G>,
}

/// One contest decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptedContest<G: Group> {
    /// Λ.
    pub contest_id: String,
    /// Its options, in order.
    pub selections: Vec<DecryptedSelection<G>>,
    /// The contest data (challenged ballots only).
    pub contest_data: Option<DecryptedContestData<G>>,
}

/// A decrypted tally (`tally.json`) or challenged ballot (`dballot-<id>.json`): the records use
/// one form for both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptedTally<G: Group> {
    /// The tally's name, or the ballot's id.
    pub id: String,
    /// H_E (absent in the test vectors).
    pub election_id: Option<HashValue>,
    /// The contests.
    pub contests: Vec<DecryptedContest<G>>,
}

impl<G: Group> DecryptedTally<G> {
    /// Every proof and value (Verifications 9, 10.A and 11, or 12, 13 and 14): the error names
    /// the contest and selection.
    pub fn verify(&self, h_e: &HashValue, key: &PublicKey<G>) -> Result<(), RecordError> {
        let fail = |path: String, e: RecordError| RecordError::Field {
            path,
            reason: e.to_string(),
        };
        for c in &self.contests {
            for s in &c.selections {
                s.decryption.verify(h_e, key, &s.ciphertext).map_err(|e| {
                    fail(
                        format!("contest {}, selection {}", c.contest_id, s.selection_id),
                        e,
                    )
                })?;
            }
            if let Some(d) = &c.contest_data {
                d.encrypted
                    .verify_decryption(
                        h_e,
                        key,
                        &d.proof.beta,
                        &d.proof.challenge,
                        &d.proof.response,
                    )
                    .map_err(|e| fail(format!("contest {}, contest data", c.contest_id), e))?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// JSON. The structs' fields are the JSON keys one for one.

/// `encrypted_tally.json`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncryptedTallyJson {
    pub tally_id: String,
    pub contests: Vec<EncryptedTallyContestJson>,
    pub cast_ballot_ids: Vec<String>,
    pub election_id: String,
}

/// A contest of `encrypted_tally.json`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncryptedTallyContestJson {
    pub contest_id: String,
    pub sequence_order: u32,
    pub selections: Vec<EncryptedTallySelectionJson>,
}

/// A selection of `encrypted_tally.json`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncryptedTallySelectionJson {
    pub selection_id: String,
    pub sequence_order: u32,
    pub encrypted_vote: CiphertextJson,
}

impl EncryptedTallyJson {
    /// The tally, every element checked to be in the group.
    pub fn read<G: Group>(&self) -> Result<EncryptedTallyRecord<G>, RecordError> {
        let contests = self
            .contests
            .iter()
            .enumerate()
            .map(|(ci, c)| {
                let selections = c
                    .selections
                    .iter()
                    .enumerate()
                    .map(|(si, s)| {
                        Ok(TallySelection {
                            selection_id: s.selection_id.clone(),
                            sequence_order: s.sequence_order,
                            ciphertext: s
                                .encrypted_vote
                                .read(&format!("contests[{ci}].selections[{si}].encrypted_vote"))?,
                        })
                    })
                    .collect::<Result<_, RecordError>>()?;
                Ok(TallyContest {
                    contest_id: c.contest_id.clone(),
                    sequence_order: c.sequence_order,
                    selections,
                })
            })
            .collect::<Result<_, RecordError>>()?;
        Ok(EncryptedTallyRecord {
            tally_id: self.tally_id.clone(),
            contests,
            cast_ballot_ids: self.cast_ballot_ids.clone(),
            election_id: hash("election_id", &self.election_id)?,
        })
    }

    /// The JSON of a tally.
    pub fn write<G: Group>(t: &EncryptedTallyRecord<G>) -> Self {
        Self {
            tally_id: t.tally_id.clone(),
            contests: t
                .contests
                .iter()
                .map(|c| EncryptedTallyContestJson {
                    contest_id: c.contest_id.clone(),
                    sequence_order: c.sequence_order,
                    selections: c
                        .selections
                        .iter()
                        .map(|s| EncryptedTallySelectionJson {
                            selection_id: s.selection_id.clone(),
                            sequence_order: s.sequence_order,
                            encrypted_vote: CiphertextJson::write(&s.ciphertext),
                        })
                        .collect(),
                })
                .collect(),
            cast_ballot_ids: t.cast_ballot_ids.clone(),
            election_id: t.election_id.to_hex(),
        }
    }
}

/// `tally.json` and `dballot-<id>.json`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecryptedTallyJson {
    pub id: String,
    pub contests: Vec<DecryptedContestJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election_id: Option<String>,
}

/// A decrypted contest.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecryptedContestJson {
    pub contest_id: String,
    pub selections: Vec<DecryptedSelectionJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decrypted_contest_data: Option<DecryptedContestDataJson>,
}

/// A decrypted selection: the records call T = K^t `b_over_m`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecryptedSelectionJson {
    pub selection_id: String,
    pub tally: u64,
    pub b_over_m: String,
    pub encrypted_vote: CiphertextJson,
    pub proof: ChallengeResponseJson,
}

/// A proof (c, v).
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChallengeResponseJson {
    pub challenge: String,
    pub response: String,
}

/// Decrypted contest data.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecryptedContestDataJson {
    pub contest_data: ContestDataValueJson,
    pub encrypted_contest_data: ContestDataJson,
    pub proof: ChallengeResponseJson,
    pub beta: String,
}

/// What contest data says.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContestDataValueJson {
    pub over_votes: Vec<u32>,
    pub write_ins: Vec<String>,
    pub status: String,
}

impl ChallengeResponseJson {
    fn read<G: Group>(&self, path: &str) -> Result<(G::Scalar, G::Scalar), RecordError> {
        Ok((
            scalar::<G>(&format!("{path}.challenge"), &self.challenge)?,
            scalar::<G>(&format!("{path}.response"), &self.response)?,
        ))
    }
    fn write<G: Group>(c: &G::Scalar, v: &G::Scalar) -> Self {
        Self {
            challenge: c.to_hex(),
            response: v.to_hex(),
        }
    }
}

impl DecryptedTallyJson {
    /// The decrypted tally or ballot, every element checked to be in the group.
    pub fn read<G: Group>(&self) -> Result<DecryptedTally<G>, RecordError> {
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
                        let (challenge, response) = s.proof.read::<G>(&format!("{sat}.proof"))?;
                        Ok(DecryptedSelection {
                            selection_id: s.selection_id.clone(),
                            ciphertext: s.encrypted_vote.read(&format!("{sat}.encrypted_vote"))?,
                            decryption: Decryption {
                                value: s.tally,
                                k_to_t: element::<G>(&format!("{sat}.b_over_m"), &s.b_over_m)?,
                                challenge,
                                response,
                            },
                        })
                    })
                    .collect::<Result<_, RecordError>>()?;
                let contest_data = c
                    .decrypted_contest_data
                    .as_ref()
                    .map(|d| d.read::<G>(&format!("{at}.decrypted_contest_data")))
                    .transpose()?;
                Ok(DecryptedContest {
                    contest_id: c.contest_id.clone(),
                    selections,
                    contest_data,
                })
            })
            .collect::<Result<_, RecordError>>()?;
        Ok(DecryptedTally {
            id: self.id.clone(),
            election_id: self
                .election_id
                .as_deref()
                .map(|e| hash("election_id", e))
                .transpose()?,
            contests,
        })
    }

    /// The JSON of a decrypted tally or ballot.
    pub fn write<G: Group>(t: &DecryptedTally<G>) -> Self {
        Self {
            id: t.id.clone(),
            contests: t
                .contests
                .iter()
                .map(|c| DecryptedContestJson {
                    contest_id: c.contest_id.clone(),
                    selections: c
                        .selections
                        .iter()
                        .map(|s| DecryptedSelectionJson {
                            selection_id: s.selection_id.clone(),
                            tally: s.decryption.value,
                            b_over_m: G::element_to_hex(&s.decryption.k_to_t),
                            encrypted_vote: CiphertextJson::write(&s.ciphertext),
                            proof: ChallengeResponseJson::write::<G>(
                                &s.decryption.challenge,
                                &s.decryption.response,
                            ),
                        })
                        .collect(),
                    decrypted_contest_data: c
                        .contest_data
                        .as_ref()
                        .map(DecryptedContestDataJson::write),
                })
                .collect(),
            election_id: t.election_id.map(|e| e.to_hex()),
        }
    }
}

impl DecryptedContestDataJson {
    fn read<G: Group>(&self, path: &str) -> Result<DecryptedContestData<G>, RecordError> {
        let (challenge, response) = self.proof.read::<G>(&format!("{path}.proof"))?;
        let status = field(
            &format!("{path}.contest_data.status"),
            ContestStatus::from_record_name(&self.contest_data.status).ok_or_else(|| {
                format!(
                    "unknown status {:?} (normal, null_vote, over_vote or under_vote)",
                    self.contest_data.status
                )
            }),
        )?;
        Ok(DecryptedContestData {
            data: ContestData {
                status,
                over_votes: self.contest_data.over_votes.clone(),
                write_ins: self.contest_data.write_ins.clone(),
            },
            encrypted: self
                .encrypted_contest_data
                .read(&format!("{path}.encrypted_contest_data"))?,
            proof: ContestDataDecryption {
                beta: element::<G>(&format!("{path}.beta"), &self.beta)?,
                challenge,
                response,
            },
        })
    }

    fn write<G: Group>(d: &DecryptedContestData<G>) -> Self {
        Self {
            contest_data: ContestDataValueJson {
                over_votes: d.data.over_votes.clone(),
                write_ins: d.data.write_ins.clone(),
                status: d.data.status.record_name().to_owned(),
            },
            encrypted_contest_data: ContestDataJson::write(&d.encrypted),
            proof: ChallengeResponseJson::write::<G>(&d.proof.challenge, &d.proof.response),
            beta: G::element_to_hex(&d.proof.beta),
        }
    }
}
