//! What the guardians decrypt at the end of an election, as one batch: every selection of the
//! encrypted tally (§3.6.1–§3.6.3), then every challenged ballot's selections and contest data
//! (§3.6.5, §3.6.4), in a fixed order that every guardian and the combiner derive from the
//! record alone. The results are assembled into the record's decrypted tally and ballots.

use crate::CoreError;
use entente_group::Group;
use entente_record::Layout;
use entente_record::ballot::{BallotState, Ciphertext, ContestData, EncryptedBallot};
use entente_record::tally::{
    DecryptedContest, DecryptedContestData, DecryptedSelection, DecryptedTally,
    EncryptedTallyRecord,
};

use super::{Decrypted, Target};

/// The batch: the tally, the challenged ballots, and the items in order.
pub struct ElectionBatch<G: Group> {
    tally: EncryptedTallyRecord<G>,
    challenged: Vec<EncryptedBallot<G>>,
    targets: Vec<Target<G>>,
    /// How the contest data's plaintext is encoded (the record's layout).
    layout: Layout,
}

/// The decrypted election: `tally.json` and one `dballot-<id>.json` per challenged ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionResult<G: Group> {
    /// The tally.
    pub tally: DecryptedTally<G>,
    /// The challenged ballots, in the batch's order (by ballot id).
    pub challenged: Vec<DecryptedTally<G>>,
}

impl<G: Group> ElectionBatch<G> {
    /// The batch for a tally and the election's challenged ballots (sorted by ballot id, so that
    /// the order does not depend on how they were read), their contest data encoded as a record
    /// of `layout` encodes it. A cast ballot is refused: decrypting one would reveal a vote.
    pub fn new(
        tally: EncryptedTallyRecord<G>,
        mut challenged: Vec<EncryptedBallot<G>>,
        layout: Layout,
    ) -> Result<Self, String> {
        if let Some(b) = challenged
            .iter()
            .find(|b| b.state != BallotState::Challenged)
        {
            return Err(format!(
                "ballot {} was cast: only the tally and challenged ballots are decrypted",
                b.ballot_id
            ));
        }
        challenged.sort_by(|a, b| a.ballot_id.cmp(&b.ballot_id));
        if let Some(w) = challenged
            .windows(2)
            .find(|w| w[0].ballot_id == w[1].ballot_id)
        {
            return Err(format!(
                "challenged ballot {} appears twice",
                w[0].ballot_id
            ));
        }
        let mut targets: Vec<Target<G>> = tally
            .contests
            .iter()
            .flat_map(|c| {
                c.selections
                    .iter()
                    .map(|s| Target::Vote(s.ciphertext.clone()))
            })
            .collect();
        for b in &challenged {
            for c in &b.contests {
                targets.extend(
                    c.selections
                        .iter()
                        .map(|s| Target::Vote(s.ciphertext.clone())),
                );
                targets.push(Target::ContestData {
                    data: c.contest_data.clone(),
                    contest_id: c.contest_id.clone(),
                    contest_index: c.sequence_order,
                });
            }
        }
        Ok(Self {
            tally,
            challenged,
            targets,
            layout,
        })
    }

    /// The items, in order.
    pub fn targets(&self) -> &[Target<G>] {
        &self.targets
    }

    /// The tally.
    pub fn tally(&self) -> &EncryptedTallyRecord<G> {
        &self.tally
    }

    /// The challenged ballots, sorted by id.
    pub fn challenged(&self) -> &[EncryptedBallot<G>] {
        &self.challenged
    }

    /// Where item `item` of the batch is, for messages.
    pub fn describe(&self, item: usize) -> String {
        let mut j = 0;
        for c in &self.tally.contests {
            for s in &c.selections {
                if j == item {
                    return format!(
                        "tally, contest {}, selection {}",
                        c.contest_id, s.selection_id
                    );
                }
                j += 1;
            }
        }
        for b in &self.challenged {
            for c in &b.contests {
                for s in &c.selections {
                    if j == item {
                        return format!(
                            "challenged ballot {}, contest {}, selection {}",
                            b.ballot_id, c.contest_id, s.selection_id
                        );
                    }
                    j += 1;
                }
                if j == item {
                    return format!(
                        "challenged ballot {}, contest {}, contest data",
                        b.ballot_id, c.contest_id
                    );
                }
                j += 1;
            }
        }
        format!("item {item} (beyond the batch)")
    }

    /// The largest value a selection can decrypt to: the number of cast ballots times the
    /// largest option limit (at least one ballot's worth, for the challenged ballots).
    pub fn bound(&self, option_limit: u32) -> u64 {
        (self.tally.cast_ballot_ids.len().max(1) as u64) * u64::from(option_limit.max(1))
    }

    /// Puts the decrypted items back into the record's shape. Contest data that decrypts but
    /// does not decode is an error naming the item.
    pub fn assemble(&self, results: Vec<Decrypted<G>>) -> Result<ElectionResult<G>, CoreError> {
        if results.len() != self.targets.len() {
            return Err(CoreError::BatchMismatch {
                expected: self.targets.len(),
                actual: results.len(),
            });
        }
        let mut items = results.into_iter().enumerate();
        let tally = DecryptedTally {
            id: self.tally.tally_id.clone(),
            election_id: Some(self.tally.election_id),
            contests: self
                .tally
                .contests
                .iter()
                .map(|c| {
                    Ok(DecryptedContest {
                        contest_id: c.contest_id.clone(),
                        selections: c
                            .selections
                            .iter()
                            .map(|s| take_vote(&mut items, &s.selection_id, &s.ciphertext))
                            .collect::<Result<_, _>>()?,
                        contest_data: None,
                    })
                })
                .collect::<Result<_, CoreError>>()?,
        };
        let mut challenged = Vec::with_capacity(self.challenged.len());
        for b in &self.challenged {
            let mut contests = Vec::with_capacity(b.contests.len());
            for c in &b.contests {
                let selections = c
                    .selections
                    .iter()
                    .map(|s| take_vote(&mut items, &s.selection_id, &s.ciphertext))
                    .collect::<Result<_, _>>()?;
                let contest_data = match items.next() {
                    Some((j, Decrypted::ContestData { proof, bytes })) => DecryptedContestData {
                        data: ContestData::decode_in(self.layout, &bytes).map_err(|e| {
                            CoreError::ContestData {
                                item: j,
                                reason: format!(
                                    "ballot {}, contest {}: {e}",
                                    b.ballot_id, c.contest_id
                                ),
                            }
                        })?,
                        encrypted: c.contest_data.clone(),
                        proof,
                    },
                    other => return Err(mismatch(other.map(|(j, _)| j))),
                };
                contests.push(DecryptedContest {
                    contest_id: c.contest_id.clone(),
                    selections,
                    contest_data: Some(contest_data),
                });
            }
            challenged.push(DecryptedTally {
                id: b.ballot_id.clone(),
                election_id: b.election_id.or(Some(self.tally.election_id)),
                contests,
            });
        }
        Ok(ElectionResult { tally, challenged })
    }
}

/// The next result, which must be a vote: the results come in the targets' order, which `new`
/// laid out from the same tally and ballots; anything else is a caller's mix-up.
fn take_vote<G: Group>(
    items: &mut impl Iterator<Item = (usize, Decrypted<G>)>,
    id: &str,
    ct: &Ciphertext<G>,
) -> Result<DecryptedSelection<G>, CoreError> {
    match items.next() {
        Some((_, Decrypted::Vote(d))) => Ok(DecryptedSelection {
            selection_id: id.to_owned(),
            ciphertext: ct.clone(),
            decryption: d,
        }),
        other => Err(mismatch(other.map(|(j, _)| j))),
    }
}

fn mismatch(item: Option<usize>) -> CoreError {
    CoreError::ContestData {
        item: item.unwrap_or(usize::MAX),
        reason: "the results are not in the batch's order".into(),
    }
}
