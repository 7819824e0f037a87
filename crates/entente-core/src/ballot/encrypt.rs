use std::collections::BTreeMap;

use entente_group::{Group, Scalar};
use entente_record::RecordError;
use entente_record::ballot::hashes::{self, Label};
use entente_record::ballot::{
    BallotState, ContestData, ContestStatus, EncryptedBallot, EncryptedContest,
    EncryptedContestData, EncryptedSelection, PlaintextBallot, PublicKey, contest_data,
};
use entente_record::manifest::{Contest, Manifest};
use entente_record::{HashValue, Layout, Revision};

use super::{ProofNonces, prove_range};

/// Where a range proof is made, for whoever supplies its nonces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofSite<'a> {
    /// The proof of one selection (range 0..=R).
    Selection {
        /// Λ.
        contest: &'a str,
        /// λ.
        option: &'a str,
        /// R.
        limit: u32,
    },
    /// The proof of a contest's total (range 0..=L).
    Contest {
        /// Λ.
        contest: &'a str,
        /// L.
        limit: u32,
    },
}

impl ProofSite<'_> {
    /// The range's upper end.
    pub fn limit(&self) -> u32 {
        match self {
            ProofSite::Selection { limit, .. } | ProofSite::Contest { limit, .. } => *limit,
        }
    }
}

/// Encrypts ballots for one election: the manifest, K with its table, H_E.
pub struct Encryptor<'a, G: Group> {
    /// The hash layout (spec 2.0.0; egk's draft for its test vectors).
    pub revision: Revision,
    /// H_E.
    pub h_e: HashValue,
    /// K and its table.
    pub key: &'a PublicKey<G>,
    /// The election's manifest.
    pub manifest: &'a Manifest,
    /// The record layout whose contest-data encoding the ballots use (egk's 2.0 protobuf, or
    /// egk-ec's 2.1 varints).
    pub layout: Layout,
}

/// The votes of one contest of a ballot, checked against the manifest.
pub(crate) struct ContestVotes<'m> {
    pub contest: &'m Contest,
    /// One per manifest option, in manifest order.
    pub votes: Vec<u32>,
    pub write_ins: Vec<String>,
}

/// Checks a plaintext ballot against the manifest (spec 2.0 §3.1.3): its style exists and lists
/// each of its contests, every contest and option is known and appears once, the sequence
/// orders match, every vote is in 0..=R. Returns the votes of every contest of the style, in
/// manifest order (a contest left out is a null vote). Over-votes are not errors (§3.3.3).
pub(crate) fn check_ballot<'m>(
    manifest: &'m Manifest,
    ballot: &PlaintextBallot,
) -> Result<Vec<ContestVotes<'m>>, RecordError> {
    let b = &ballot.ballot_id;
    let listed = manifest.styles.get(&ballot.ballot_style).ok_or_else(|| {
        RecordError::Invalid(format!(
            "ballot {b}: ballot style {:?} is not in the manifest",
            ballot.ballot_style
        ))
    })?;
    let mut given = BTreeMap::new();
    for (ci, pc) in ballot.contests.iter().enumerate() {
        let at = format!("ballot {b}, contests[{ci}] ({})", pc.contest_id);
        let contest = manifest.contest(&pc.contest_id).ok_or_else(|| {
            RecordError::Invalid(format!("{at}: no such contest in the manifest"))
        })?;
        if !listed.contains(&contest.id) {
            return Err(RecordError::Invalid(format!(
                "{at}: ballot style {:?} does not list this contest",
                ballot.ballot_style
            )));
        }
        if pc.sequence_order != i64::from(contest.index) {
            return Err(RecordError::Invalid(format!(
                "{at}: sequence_order {} differs from the manifest's {}",
                pc.sequence_order, contest.index
            )));
        }
        let mut votes = vec![None; contest.options.len()];
        for (si, ps) in pc.selections.iter().enumerate() {
            let sat = format!("{at}, selections[{si}] ({})", ps.selection_id);
            let oi = contest
                .options
                .iter()
                .position(|o| o.id == ps.selection_id)
                .ok_or_else(|| {
                    RecordError::Invalid(format!("{sat}: no such option in the contest"))
                })?;
            if ps.sequence_order != i64::from(contest.options[oi].index) {
                return Err(RecordError::Invalid(format!(
                    "{sat}: sequence_order {} differs from the manifest's {}",
                    ps.sequence_order, contest.options[oi].index
                )));
            }
            if ps.vote < 0 {
                return Err(RecordError::Invalid(format!(
                    "{sat}: negative vote {}",
                    ps.vote
                )));
            }
            if ps.vote > i64::from(contest.option_limit) {
                return Err(RecordError::Invalid(format!(
                    "{sat}: vote {} is above the option selection limit R = {}",
                    ps.vote, contest.option_limit
                )));
            }
            if votes[oi].replace(ps.vote as u32).is_some() {
                return Err(RecordError::Invalid(format!("{sat}: option given twice")));
            }
        }
        let entry = ContestVotes {
            contest,
            votes: votes.into_iter().map(|v| v.unwrap_or(0)).collect(),
            write_ins: pc.write_ins.clone(),
        };
        if given.insert(contest.id.as_str(), entry).is_some() {
            return Err(RecordError::Invalid(format!("{at}: contest given twice")));
        }
    }
    Ok(manifest
        .contests
        .iter()
        .filter(|c| listed.contains(&c.id))
        .map(|c| {
            given.remove(c.id.as_str()).unwrap_or_else(|| ContestVotes {
                contest: c,
                votes: vec![0; c.options.len()],
                write_ins: Vec::new(),
            })
        })
        .collect())
}

/// Checks a plaintext ballot against the manifest without encrypting it (see [`Encryptor`]):
/// the same checks, so that a batch can be refused before anything is written.
pub fn check_plaintext(manifest: &Manifest, ballot: &PlaintextBallot) -> Result<(), RecordError> {
    check_ballot(manifest, ballot).map(|_| ())
}

/// The contest data of a contest's votes (spec 2.0 §3.3.7) and whether it is an overvote.
fn contest_data_of(v: &ContestVotes<'_>) -> ContestData {
    let chosen: Vec<u32> = v
        .contest
        .options
        .iter()
        .zip(&v.votes)
        .filter(|(_, n)| **n > 0)
        .map(|(o, _)| o.index)
        .collect();
    let total: u64 = v.votes.iter().map(|&n| u64::from(n)).sum::<u64>() + v.write_ins.len() as u64;
    let limit = u64::from(v.contest.limit);
    let status = if total == 0 {
        ContestStatus::NullVote
    } else if total > limit {
        ContestStatus::OverVote
    } else if total < limit {
        ContestStatus::UnderVote
    } else {
        ContestStatus::Normal
    };
    ContestData {
        status,
        over_votes: if status == ContestStatus::OverVote {
            chosen
        } else {
            Vec::new()
        },
        write_ins: v.write_ins.clone(),
    }
}

/// What, besides the plaintext, makes one encrypted ballot.
pub struct BallotContext<'a> {
    /// ξ_B, the primary nonce.
    pub primary_nonce: &'a [u8; 32],
    /// B_aux of the confirmation code.
    pub code_baux: Vec<u8>,
    /// The encrypting device.
    pub device: &'a str,
    /// Seconds since the epoch.
    pub timestamp: i64,
}

impl<G: Group> Encryptor<'_, G> {
    /// Encrypts a ballot, spec 2.0 §3.3–§3.4. The selection and contest-data nonces come from
    /// the primary nonce (eq. (25), (50)), so the same primary nonce reproduces the same
    /// ciphertexts; the proofs' nonces come from `proof_nonces`.
    pub fn encrypt(
        &self,
        ballot: &PlaintextBallot,
        ctx: BallotContext<'_>,
        mut proof_nonces: impl FnMut(ProofSite<'_>) -> ProofNonces<G::Scalar>,
    ) -> Result<EncryptedBallot<G>, RecordError> {
        let contests = check_ballot(self.manifest, ballot)?;
        let mut encrypted = Vec::with_capacity(contests.len());
        for v in &contests {
            let c = v.contest;
            let data = contest_data_of(v);
            let overvote = data.status == ContestStatus::OverVote;
            let clabel = Label {
                id: &c.id,
                index: c.index,
            };
            let mut selections = Vec::with_capacity(c.options.len());
            let mut aggregate_nonce = G::Scalar::zero();
            let mut total_value = 0u32;
            for (option, &vote) in c.options.iter().zip(&v.votes) {
                // §3.3.3: an overvoted contest encrypts every selection as 0.
                let vote = if overvote { 0 } else { vote };
                let nonce = hashes::selection_nonce::<G>(
                    self.revision,
                    &self.h_e,
                    ctx.primary_nonce,
                    clabel,
                    Label {
                        id: &option.id,
                        index: option.index,
                    },
                );
                let ciphertext = self.key.encrypt(u64::from(vote), &nonce);
                let site = ProofSite::Selection {
                    contest: &c.id,
                    option: &option.id,
                    limit: c.option_limit,
                };
                let proof = prove_range(
                    &self.h_e,
                    self.key,
                    &ciphertext,
                    vote,
                    c.option_limit,
                    &nonce,
                    &proof_nonces(site),
                )?;
                aggregate_nonce = aggregate_nonce.add(&nonce);
                total_value += vote;
                selections.push(EncryptedSelection {
                    selection_id: option.id.clone(),
                    sequence_order: option.index,
                    ciphertext,
                    proof,
                });
            }
            let total = selections
                .iter()
                .fold(entente_record::ballot::Ciphertext::zero(), |acc, s| {
                    acc.add(&s.ciphertext)
                });
            // §3.3.8: the aggregate nonce proves the total is in 0..=L.
            let proof = prove_range(
                &self.h_e,
                self.key,
                &total,
                total_value,
                c.limit,
                &aggregate_nonce,
                &proof_nonces(ProofSite::Contest {
                    contest: &c.id,
                    limit: c.limit,
                }),
            )?;
            let contest_data = self.encrypt_contest_data(&data, c, ctx.primary_nonce);
            let contest_hash = hashes::contest_hash::<G>(
                self.revision,
                &self.h_e,
                clabel,
                self.key.element(),
                selections.iter().map(|s| &s.ciphertext),
            );
            encrypted.push(EncryptedContest {
                contest_id: c.id.clone(),
                sequence_order: c.index,
                votes_allowed: c.limit,
                contest_hash,
                selections,
                proof,
                contest_data,
                pre_encryption: None,
            });
        }
        let confirmation_code = hashes::confirmation_code(
            &self.h_e,
            encrypted.iter().map(|c| &c.contest_hash),
            &ctx.code_baux,
        );
        Ok(EncryptedBallot {
            ballot_id: ballot.ballot_id.clone(),
            ballot_style_id: ballot.ballot_style.clone(),
            encrypting_device: ctx.device.to_owned(),
            timestamp: ctx.timestamp,
            code_baux: ctx.code_baux,
            confirmation_code,
            election_id: Some(self.h_e),
            contests: encrypted,
            state: BallotState::Cast,
            encrypted_sn: None,
            is_preencrypt: false,
            primary_nonce: None,
        })
    }

    /// Hashed-ElGamal encryption of contest data, eq. (50)–(55), with the records' key
    /// derivation (docs/spec-notes.md).
    pub(crate) fn encrypt_contest_data(
        &self,
        data: &ContestData,
        c: &Contest,
        primary: &[u8; 32],
    ) -> EncryptedContestData<G> {
        let nonce = hashes::contest_data_nonce::<G>(
            self.revision,
            &self.h_e,
            primary,
            Label {
                id: &c.id,
                index: c.index,
            },
            true,
        );
        let plain = data.encode_in(self.layout, c.limit);
        let alpha = G::vartime_g_pow(&nonce);
        let beta = self.key.pow(&nonce);
        let k = contest_data::secret_key::<G>(&self.h_e, self.key.element(), &alpha, &beta);
        let num_bytes = plain.len() as u32;
        let keys = contest_data::keys(
            &k,
            contest_data::KdfLayout::Records,
            &c.id,
            c.index,
            num_bytes,
        );
        // C_1 covers whole 32-byte blocks: 2.0's plaintext fills them already, 2.1's
        // numBytes = 32(L + 1) − 2 is padded with zero bytes (egk-ec README, fact 7).
        let mut plain = plain;
        plain.resize((num_bytes as usize).div_ceil(32) * 32, 0);
        let c1 = contest_data::xor_blocks(&plain, &keys);
        let c2 = EncryptedContestData::<G>::mac(&keys[0], &alpha, &c1);
        EncryptedContestData {
            c0: alpha,
            c1,
            c2,
            num_bytes,
        }
    }
}
