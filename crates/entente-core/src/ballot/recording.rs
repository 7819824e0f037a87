//! The recording tool of pre-encrypted ballots (spec 2.0 §4.3): from a ballot's style, primary
//! nonce ξ and the short codes the voter marked, it regenerates the ballot's pre-encryptions,
//! takes the marked selection vectors (and null vectors for the votes not made, so that an
//! under-vote does not show, §4.1.4), multiplies them into the contest's selections, adds their
//! nonces, proves the result as a standard ballot (§3.3.5, §3.3.8) and publishes what §4.4 asks:
//! every selection hash sorted, and the L vectors with their short codes.

use std::collections::BTreeMap;

use entente_group::{Group, Scalar};
use entente_record::ballot::hashes::{self, Label};
use entente_record::ballot::preencrypted::{self, PreEncryption, SelectedVector};
use entente_record::ballot::{
    BallotState, Ciphertext, ContestData, ContestStatus, EncryptedBallot, EncryptedContest,
    EncryptedSelection,
};
use entente_record::{HashValue, RecordError};

use super::encrypt::{Encryptor, ProofSite};
use super::preencrypt::{PreEncryptedBallot, PreEncryptedSelection, preencrypt};
use super::{ProofNonces, prove_range};

/// A hand-marked pre-encrypted ballot as a scanning station reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkedBallot {
    /// The ballot's id, as printed.
    pub ballot_id: String,
    /// Its style.
    pub style: String,
    /// ξ, which the station obtains for the ballot (spec 2.0 §4.3.1); wiped when dropped, as
    /// it opens every encryption of the ballot.
    pub primary_nonce: zeroize::Zeroizing<[u8; 32]>,
    /// B_aux its confirmation code was printed with.
    pub code_baux: Vec<u8>,
    /// Per contest id, the short codes of the options marked; a contest left out is not voted.
    pub marks: BTreeMap<String, Vec<String>>,
}

/// Which station recorded a ballot, and when.
pub struct Station<'a> {
    /// The recording device's name.
    pub device: &'a str,
    /// Seconds since the epoch.
    pub timestamp: i64,
}

impl<G: Group> Encryptor<'_, G> {
    /// Records a marked pre-encrypted ballot as cast (spec 2.0 §4.3). Marks that are not an
    /// option's short code in their contest, a mark given twice, or a contest the style does
    /// not hold are errors (the station shows the ballot to a person); more marks than the
    /// contest's limit is an overvote, recorded as L null vectors with the marked options in the
    /// contest data (§3.3.3). The proofs' nonces come from `proof_nonces`.
    pub fn record_preencrypted(
        &self,
        marked: &MarkedBallot,
        station: Station<'_>,
        mut proof_nonces: impl FnMut(ProofSite<'_>) -> ProofNonces<G::Scalar>,
    ) -> Result<EncryptedBallot<G>, RecordError> {
        let pre: PreEncryptedBallot<G> = preencrypt(
            self.revision,
            &self.h_e,
            self.key,
            self.manifest,
            &marked.style,
            &marked.primary_nonce,
            &marked.code_baux,
        )?;
        let b = &marked.ballot_id;
        if let Some(unknown) = marked
            .marks
            .keys()
            .find(|id| !pre.contests.iter().any(|c| &c.contest_id == *id))
        {
            return Err(RecordError::Invalid(format!(
                "ballot {b}: contest {unknown:?} is not on ballot style {:?}",
                marked.style
            )));
        }
        let mut contests = Vec::with_capacity(pre.contests.len());
        for pc in &pre.contests {
            let c = self.manifest.contest(&pc.contest_id).ok_or_else(|| {
                RecordError::Invalid(format!("contest {:?} left the manifest", pc.contest_id))
            })?;
            let m = c.options.len();
            let codes = marked.marks.get(&c.id).map_or(&[][..], Vec::as_slice);
            // A mark is an option's code or, where the station fills an under-vote itself (as
            // egk's vectors do), a null vote's.
            let mut options: Vec<&PreEncryptedSelection<G>> = Vec::with_capacity(codes.len());
            let mut nulls: Vec<&PreEncryptedSelection<G>> = Vec::new();
            for code in codes {
                let at = pc.selections.iter().position(|s| &s.short_code == code);
                let s = at.map(|i| &pc.selections[i]).ok_or_else(|| {
                    RecordError::Invalid(format!(
                        "ballot {b}, contest {}: {code:?} is not a short code of this contest",
                        c.id
                    ))
                })?;
                if options.iter().chain(&nulls).any(|o| o.index == s.index) {
                    return Err(RecordError::Invalid(format!(
                        "ballot {b}, contest {}: {code:?} is marked twice",
                        c.id
                    )));
                }
                if at.is_some_and(|i| i < m) {
                    options.push(s);
                } else {
                    nulls.push(s);
                }
            }
            let limit = c.limit as usize;
            let overvote = options.len() > limit;
            if !overvote && options.len() + nulls.len() > limit {
                return Err(RecordError::Invalid(format!(
                    "ballot {b}, contest {}: {} options and {} null votes marked, more than the \
                     limit {limit}",
                    c.id,
                    options.len(),
                    nulls.len()
                )));
            }
            // The status counts the null votes the station marked as votes made, as egk's
            // recording does; those it fills in itself are the under-vote.
            let data = ContestData {
                status: match options.len() + nulls.len() {
                    _ if overvote => ContestStatus::OverVote,
                    0 => ContestStatus::NullVote,
                    n if n < limit => ContestStatus::UnderVote,
                    _ => ContestStatus::Normal,
                },
                over_votes: if overvote {
                    let mut o: Vec<u32> = options.iter().map(|s| s.index).collect();
                    o.sort_unstable();
                    o
                } else {
                    Vec::new()
                },
                write_ins: Vec::new(),
            };
            // §3.3.3: an overvote counts nothing, so all L vectors are null ones.
            let mut chosen: Vec<&PreEncryptedSelection<G>> = if overvote {
                Vec::new()
            } else {
                options.into_iter().chain(nulls).collect()
            };
            for s in &pc.selections[m..] {
                if chosen.len() == limit {
                    break;
                }
                if !chosen.iter().any(|o| o.index == s.index) {
                    chosen.push(s);
                }
            }

            let clabel = Label {
                id: &c.id,
                index: c.index,
            };
            // §4.3: the selections are the product of the chosen vectors, their nonces the sums.
            let mut nonces = vec![G::Scalar::zero(); m];
            let mut cts = vec![Ciphertext::<G>::zero(); m];
            for s in &chosen {
                let vector = Label {
                    id: &s.selection_id,
                    index: s.index,
                };
                for (k, o) in c.options.iter().enumerate() {
                    let position = Label {
                        id: &o.id,
                        index: o.index,
                    };
                    let nonce = preencrypted::nonce::<G>(
                        self.revision,
                        &self.h_e,
                        &marked.primary_nonce,
                        clabel,
                        vector,
                        position,
                    );
                    nonces[k] = nonces[k].add(&nonce);
                    cts[k] = cts[k].add(&s.vector[k]);
                }
            }
            let mut selections = Vec::with_capacity(m);
            let mut total = 0u32;
            for (k, o) in c.options.iter().enumerate() {
                let vote = u32::from(chosen.iter().any(|s| s.index == o.index));
                total += vote;
                let proof = prove_range(
                    &self.h_e,
                    self.key,
                    &cts[k],
                    vote,
                    c.option_limit,
                    &nonces[k],
                    &proof_nonces(ProofSite::Selection {
                        contest: &c.id,
                        option: &o.id,
                        limit: c.option_limit,
                    }),
                )?;
                selections.push(EncryptedSelection {
                    selection_id: o.id.clone(),
                    sequence_order: o.index,
                    ciphertext: cts[k].clone(),
                    proof,
                });
            }
            let aggregate = nonces.iter().fold(G::Scalar::zero(), |acc, n| acc.add(n));
            let sum = cts.iter().fold(Ciphertext::zero(), |acc, ct| acc.add(ct));
            let proof = prove_range(
                &self.h_e,
                self.key,
                &sum,
                total,
                c.limit,
                &aggregate,
                &proof_nonces(ProofSite::Contest {
                    contest: &c.id,
                    limit: c.limit,
                }),
            )?;
            let mut selection_hashes: Vec<HashValue> =
                pc.selections.iter().map(|s| s.selection_hash).collect();
            selection_hashes.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
            let mut selected: Vec<SelectedVector<G>> = chosen
                .iter()
                .map(|s| SelectedVector {
                    selection_hash: s.selection_hash,
                    short_code: s.short_code.clone(),
                    encryptions: s.vector.clone(),
                })
                .collect();
            // §4.4: published in the order of their hashes, which says nothing of the marks.
            selected.sort_by(|x, y| x.selection_hash.as_bytes().cmp(y.selection_hash.as_bytes()));
            contests.push(EncryptedContest {
                contest_id: c.id.clone(),
                sequence_order: c.index,
                votes_allowed: c.limit,
                contest_hash: hashes::contest_hash::<G>(
                    self.revision,
                    &self.h_e,
                    clabel,
                    self.key.element(),
                    cts.iter(),
                ),
                selections,
                proof,
                contest_data: self.encrypt_contest_data(&data, c, &marked.primary_nonce),
                pre_encryption: Some(PreEncryption {
                    contest_hash: pc.contest_hash,
                    selection_hashes,
                    selected,
                }),
            });
        }
        Ok(EncryptedBallot {
            ballot_id: marked.ballot_id.clone(),
            ballot_style_id: marked.style.clone(),
            encrypting_device: station.device.to_owned(),
            timestamp: station.timestamp,
            code_baux: marked.code_baux.clone(),
            confirmation_code: pre.confirmation_code,
            election_id: Some(self.h_e),
            contests,
            state: BallotState::Cast,
            encrypted_sn: None,
            is_preencrypt: true,
            primary_nonce: None,
        })
    }
}
