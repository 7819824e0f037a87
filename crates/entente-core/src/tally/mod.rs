//! Ballot aggregation, spec 2.0 §3.5: the encrypted tally is the product, selection by selection,
//! of the cast ballots' ciphertexts (eq. (62)). Only a [`VerifiedBallot`] can be added: one whose
//! election, structure, proofs and hashes have been checked against the manifest.

use crate::CoreError;
use std::collections::{BTreeMap, BTreeSet};

use entente_group::Group;
use entente_record::ballot::json::UncheckedBallot;
use entente_record::ballot::{
    BallotCiphertexts, BallotState, Ciphertext, EncryptedBallot, PublicKey,
};
use entente_record::manifest::Manifest;
pub use entente_record::tally::{EncryptedTallyRecord, TallyContest, TallySelection};
use entente_record::{HashValue, Revision};

/// Checks that a published encrypted tally is the product (eq. (62)) of exactly the cast
/// ballots of `ballots` (those on the log): each listed once, none left out, no challenged
/// one, and every selection's ciphertext their product. Whoever is asked to decrypt or to log
/// a tally checks this first, since decrypting anything else would reveal something other than
/// the count (a subset of ballots, or a single voter's choices).
pub fn check_is_product<G: Group>(
    tally: &EncryptedTallyRecord<G>,
    ballots: &[BallotCiphertexts<G>],
) -> Result<(), CoreError> {
    let wrong = |what: String| Err(CoreError::NotTheProduct(what));
    let by_id: BTreeMap<&str, &BallotCiphertexts<G>> =
        ballots.iter().map(|b| (b.ballot_id.as_str(), b)).collect();
    let mut seen = BTreeSet::new();
    let mut products: BTreeMap<(&str, &str), Ciphertext<G>> = BTreeMap::new();
    for id in &tally.cast_ballot_ids {
        if !seen.insert(id.as_str()) {
            return wrong(format!("ballot {id} is listed twice"));
        }
        let b = match by_id.get(id.as_str()) {
            Some(b) if b.state == BallotState::Cast => b,
            Some(_) => return wrong(format!("ballot {id} was challenged, not cast")),
            None => return wrong(format!("ballot {id} is not a ballot of the log")),
        };
        for (contest, selections) in &b.contests {
            for (selection, ct) in selections {
                let p = products
                    .entry((contest.as_str(), selection.as_str()))
                    .or_insert_with(Ciphertext::zero);
                *p = p.add(ct);
            }
        }
    }
    if let Some(left_out) = ballots
        .iter()
        .find(|b| b.state == BallotState::Cast && !seen.contains(b.ballot_id.as_str()))
    {
        let count = ballots
            .iter()
            .filter(|b| b.state == BallotState::Cast && !seen.contains(b.ballot_id.as_str()))
            .count();
        return wrong(format!(
            "it leaves out {count} cast ballots, {} among them",
            left_out.ballot_id
        ));
    }
    for c in &tally.contests {
        for s in &c.selections {
            let expected = products
                .remove(&(c.contest_id.as_str(), s.selection_id.as_str()))
                .unwrap_or_else(Ciphertext::zero);
            if expected != s.ciphertext {
                return wrong(format!(
                    "contest {}, selection {} is not the product of the listed ballots",
                    c.contest_id, s.selection_id
                ));
            }
        }
    }
    if let Some(((c, s), _)) = products.into_iter().next() {
        return wrong(format!(
            "the listed ballots vote in contest {c}, selection {s}, which the tally lacks"
        ));
    }
    Ok(())
}

/// A ballot whose checks passed (spec 2.0 Verifications 5, 6, 7.A, 7.B, and its structure
/// against the manifest): what the tally accepts.
#[derive(Debug, Clone)]
pub struct VerifiedBallot<G: Group>(EncryptedBallot<G>);

impl<G: Group> VerifiedBallot<G> {
    /// The ballot.
    pub fn ballot(&self) -> &EncryptedBallot<G> {
        &self.0
    }
}

/// Checks a ballot for the election (H_E, K, manifest): the election id, the style and its
/// contests in manifest order, every option in order, the proofs' ranges (R, L) and the proofs
/// themselves, the contest hashes and the confirmation code (with the ballot's own B_aux; the
/// chain is a device-level check).
pub fn verify_ballot<G: Group, R: rand::CryptoRng + rand::RngCore + ?Sized>(
    h_e: &HashValue,
    key: &PublicKey<G>,
    manifest: &Manifest,
    ballot: UncheckedBallot<G>,
    rng: &mut R,
) -> Result<VerifiedBallot<G>, CoreError> {
    let id = ballot.ballot_id().to_owned();
    let structure = |what: String| CoreError::BallotStructure {
        ballot: id.clone(),
        what,
    };
    if ballot.election_id().is_some_and(|e| e != h_e) {
        return Err(CoreError::OtherElection(id));
    }
    if let Some(f) = ballot.structure_failures(manifest).into_iter().next() {
        return Err(match f.contest {
            Some(contest) => CoreError::BallotInvalid {
                ballot: id,
                contest,
                what: match f.selection {
                    Some(s) => format!("selection {s}: {}", f.what),
                    None => f.what,
                },
            },
            None => structure(f.what),
        });
    }
    // Membership of every element (5.A) with the proofs' own exponentiations.
    let (ballot, _, failures) = ballot
        .check(Revision::V2_0_0, h_e, key, rng)
        .map_err(|e| structure(e.to_string()))?;
    if let Some(f) = failures.into_iter().next() {
        return Err(structure(format!(
            "{} (Verification {})",
            f.describe(),
            f.verification
        )));
    }
    Ok(VerifiedBallot(ballot))
}

/// The encrypted tally of the cast ballots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedTally<G: Group> {
    /// Every contest of the manifest.
    pub contests: Vec<TallyContest<G>>,
    /// The ballots counted, in the order added.
    pub cast_ballot_ids: Vec<String>,
    counted: BTreeSet<String>,
}

impl<G: Group> EncryptedTally<G> {
    /// An empty tally of every contest and option of the manifest.
    pub fn new(manifest: &Manifest) -> Self {
        Self {
            contests: manifest
                .contests
                .iter()
                .map(|c| TallyContest {
                    contest_id: c.id.clone(),
                    sequence_order: c.index,
                    selections: c
                        .options
                        .iter()
                        .map(|o| TallySelection {
                            selection_id: o.id.clone(),
                            sequence_order: o.index,
                            ciphertext: Ciphertext::zero(),
                        })
                        .collect(),
                })
                .collect(),
            cast_ballot_ids: Vec::new(),
            counted: BTreeSet::new(),
        }
    }

    /// The product (eq. (62)) of the cast ballots of a log, in the log's order, from their
    /// ciphertexts alone: what the administrator publishes without checking each ballot again.
    /// It relies on the board's check of every ballot before it logged it; every guardian checks
    /// that the tally is this product before decrypting, and every verifier checks each ballot.
    /// A ballot id twice, or a contest or selection the manifest lacks, is refused.
    pub fn of_logged<'a>(
        manifest: &Manifest,
        ballots: impl IntoIterator<Item = &'a BallotCiphertexts<G>>,
    ) -> Result<Self, CoreError> {
        let mut t = Self::new(manifest);
        for b in ballots {
            if b.state != BallotState::Cast {
                continue;
            }
            if !t.counted.insert(b.ballot_id.clone()) {
                return Err(CoreError::DuplicateBallot(b.ballot_id.clone()));
            }
            for (contest, selections) in &b.contests {
                let structure = |what: String| CoreError::BallotStructure {
                    ballot: b.ballot_id.clone(),
                    what,
                };
                let tc = t
                    .contests
                    .iter_mut()
                    .find(|tc| &tc.contest_id == contest)
                    .ok_or_else(|| structure(format!("contest {contest} is not the manifest's")))?;
                for (selection, ct) in selections {
                    let ts = tc
                        .selections
                        .iter_mut()
                        .find(|ts| &ts.selection_id == selection)
                        .ok_or_else(|| {
                            structure(format!(
                                "contest {contest} has no selection {selection} in the manifest"
                            ))
                        })?;
                    ts.ciphertext = ts.ciphertext.add(ct);
                }
            }
            t.cast_ballot_ids.push(b.ballot_id.clone());
        }
        Ok(t)
    }

    /// Adds a verified cast ballot (eq. (62)). A challenged ballot or a ballot id already
    /// counted is refused, and the tally is unchanged.
    pub fn add(&mut self, ballot: &VerifiedBallot<G>) -> Result<(), CoreError> {
        let b = &ballot.0;
        if b.state == BallotState::Challenged {
            return Err(CoreError::ChallengedBallot(b.ballot_id.clone()));
        }
        if self.counted.contains(&b.ballot_id) {
            return Err(CoreError::DuplicateBallot(b.ballot_id.clone()));
        }
        for c in &b.contests {
            // The verified ballot's contests are the manifest's, so the lookup cannot miss.
            if let Some(t) = self
                .contests
                .iter_mut()
                .find(|t| t.contest_id == c.contest_id)
            {
                for (ts, s) in t.selections.iter_mut().zip(&c.selections) {
                    ts.ciphertext = ts.ciphertext.add(&s.ciphertext);
                }
            }
        }
        self.counted.insert(b.ballot_id.clone());
        self.cast_ballot_ids.push(b.ballot_id.clone());
        Ok(())
    }

    /// Joins a tally of other ballots into this one (for a parallel fold): a ballot counted in
    /// both is refused and neither tally is changed.
    pub fn merge(mut self, other: Self) -> Result<Self, CoreError> {
        if let Some(id) = other.counted.intersection(&self.counted).next() {
            return Err(CoreError::DuplicateBallot(id.clone()));
        }
        for (t, o) in self.contests.iter_mut().zip(&other.contests) {
            for (ts, os) in t.selections.iter_mut().zip(&o.selections) {
                ts.ciphertext = ts.ciphertext.add(&os.ciphertext);
            }
        }
        self.counted.extend(other.counted);
        self.cast_ballot_ids.extend(other.cast_ballot_ids);
        Ok(self)
    }

    /// How many ballots are counted.
    pub fn len(&self) -> usize {
        self.cast_ballot_ids.len()
    }

    /// Whether no ballot is counted.
    pub fn is_empty(&self) -> bool {
        self.cast_ballot_ids.is_empty()
    }

    /// The record's form (`encrypted_tally.json`) under a name, for the election H_E.
    pub fn record(&self, tally_id: &str, h_e: &HashValue) -> EncryptedTallyRecord<G> {
        EncryptedTallyRecord {
            tally_id: tally_id.to_owned(),
            contests: self.contests.clone(),
            cast_ballot_ids: self.cast_ballot_ids.clone(),
            election_id: *h_e,
        }
    }
}
