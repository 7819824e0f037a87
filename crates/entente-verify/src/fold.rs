//! What needs the whole record, folded over the ballots in the record's order: unique ids and
//! confirmation codes, each device's chain (7.D to 7.G), and the tally's list of cast ballots.
//!
//! A ballot's own checks (5 to 7, 15 to 18) are the expensive part and need nothing but the
//! ballot; they leave a [`Summary`]. The fold is cheap (hashes and set lookups) and runs on one
//! machine: in a single `verify` right after each chunk is checked, and in `verify --merge` over
//! the summaries the shards wrote. Both feed it the same summaries in the same order, so both
//! report the same failures in the same order.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use entente_group::Group;
use entente_record::ballot::hashes;
use entente_record::tally::EncryptedTallyRecord;
use entente_record::{HashValue, Layout};

use crate::ballots::{
    Aggregate, CHUNK, Device, IdKey, OwnChecks, Read, Seen, Summary, aggregate_into, devices,
    id_key, summarize, work,
};
use crate::setup::Setup;
use crate::{Check, Progress, ReadError};

/// Whether a ballot's encryptions belong in the product of Verification 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counted {
    /// Not counted: challenged, not in the tally's list, or not read.
    No,
    /// A cast ballot in the tally's list, the first with its id.
    Yes,
    /// A cast ballot whose id the tally lists but which an earlier ballot already claimed: not
    /// counted (a shard, which cannot know, counted it; the merge takes it out again).
    Again,
}

/// The fold's state.
pub(crate) struct Fold<'a> {
    devices: &'a [Device],
    chaining: bool,
    baux0: &'a [u8],
    h_e: HashValue,
    h_0: HashValue,
    tally: bool,
    /// The tally's cast ballots, each with whether a ballot claimed it yet.
    listed: HashMap<&'a str, bool>,
    ids: HashSet<IdKey>,
    codes: HashSet<IdKey>,
    /// Each device's last chained confirmation code.
    previous: Vec<Option<HashValue>>,
    pub own: OwnChecks,
    pub v19: Check,
    /// The challenged ballots in the record's order: id and place.
    pub challenged: Vec<(String, u64)>,
}

/// What the fold found.
pub(crate) struct Folded {
    pub own: OwnChecks,
    pub v19: Check,
    pub ids: HashSet<IdKey>,
    pub challenged: Vec<(String, u64)>,
}

impl<'a> Fold<'a> {
    /// A fold over the ballots of `devices` of the election `setup`, whose encrypted tally (if
    /// the record has one) lists its cast ballots. `own` holds the failures found in reading
    /// the devices.
    pub fn new<G: Group>(
        devices: &'a [Device],
        setup: &'a Setup<G>,
        tally: Option<&'a EncryptedTallyRecord<G>>,
        own: OwnChecks,
    ) -> Self {
        let (h_e, baux0) = (&setup.h_e, setup.baux0.as_slice());
        let listed = tally.map(|t| t.cast_ballot_ids.as_slice());
        let total = devices.iter().map(|d| d.files.len()).sum();
        let mut v19 = Check::new(19);
        let mut map = HashMap::new();
        for id in listed.unwrap_or_default() {
            if map.insert(id.as_str(), false).is_some() {
                v19.fail(
                    format!("encrypted_tally.json, ballot {id}"),
                    "listed twice among the cast ballots",
                );
            }
        }
        Self {
            devices,
            chaining: setup.chaining,
            baux0,
            h_e: *h_e,
            h_0: hashes::chain_start(h_e, baux0),
            tally: listed.is_some(),
            listed: map,
            ids: HashSet::with_capacity(total),
            codes: HashSet::with_capacity(total),
            previous: vec![None; devices.len()],
            own,
            v19,
            challenged: Vec::new(),
        }
    }

    /// Folds one chunk of the record's ballots (the verifier's chunk, [`crate::ballots::CHUNK`],
    /// so that failures come in the same order however the checking was split): the ballots
    /// not read first, then the others. Returns, for each, whether it counts in the tally.
    pub fn chunk(&mut self, part: Vec<Summary>) -> Vec<Counted> {
        let mut out = vec![Counted::No; part.len()];
        for s in &part {
            if let Read::NotInGroup { path } = &s.read {
                // A pre-encrypted ballot's is 15.A, but whether it is one was not read.
                self.own.v5.fail(
                    format!("device {}, ballot {}, {path}", self.name(s.device), s.id),
                    "5.A: the value is not in Z_p^r (the order-q subgroup)",
                );
                if !self.ids.insert(id_key(&s.id)) {
                    self.v19.fail(
                        format!("ballot {}", s.id),
                        "the ballot id occurs twice in the record",
                    );
                }
                // Counted as seen, never aggregated: Verification 8 then shows the gap.
                if let Some(seen) = self.listed.get_mut(s.id.as_str()) {
                    *seen = true;
                }
                self.v19.checked += 1;
            }
        }
        for (i, s) in part.into_iter().enumerate() {
            if let Read::Checked(seen) = s.read {
                out[i] = self.checked(s.at, s.device, s.id, *seen);
            }
        }
        out
    }

    fn name(&self, device: usize) -> &str {
        self.devices.get(device).map_or("?", |d| d.name.as_str())
    }

    fn checked(&mut self, at: u64, d: usize, id: String, b: Seen) -> Counted {
        self.own.absorb(b.own);
        let devices = self.devices;
        let name = devices.get(d).map_or("?", |dev| dev.name.as_str());
        let who = || format!("device {name}, ballot {id}");
        if !self.ids.insert(id_key(&id)) {
            self.v19
                .fail(who(), "the ballot id occurs twice in the record");
        }
        let mut code = [0u8; 16];
        code.copy_from_slice(&b.code.as_bytes()[..16]);
        if !self.codes.insert(code) {
            if b.pre {
                self.own.v17.fail(
                    who(),
                    "17.D: the confirmation code occurs twice in the record",
                );
            } else {
                self.own.v7.fail(
                    who(),
                    "7.C: the confirmation code occurs twice in the record",
                );
            }
        }
        // 7.D, 7.E: each ballot's B_aux continues its device's chain (eq. (59), (60)).
        let device_chains = devices
            .get(d)
            .is_none_or(|dev| dev.chain.as_ref().is_none_or(|c| c.chaining));
        let chained = self.chaining && device_chains;
        // Only a scanning station of paper ballots, whose codes were fixed at printing, may
        // leave the chain of an election that chains codes; a booth may not claim to.
        if self.chaining && !chained && !b.pre {
            self.own.v7.fail(
                who(),
                "7.E: the election chains confirmation codes, but this ballot's device says \
                 it does not (only pre-encrypted ballots may be recorded outside a chain)",
            );
        }
        if chained && let Some(previous) = self.previous.get_mut(d) {
            let expected = match previous {
                None => hashes::chain_aux(&self.h_0, true, self.baux0),
                Some(prev) => hashes::chain_aux(prev, false, self.baux0),
            };
            *previous = Some(b.code);
            if b.baux != expected {
                self.own.v7.fail(
                    who(),
                    "7.E: B_aux is not the previous confirmation code and B_aux,0 (eq. (60))",
                );
            }
        }
        let counted = if b.cast {
            match self.listed.get_mut(id.as_str()) {
                Some(seen) if !*seen => {
                    *seen = true;
                    Counted::Yes
                }
                Some(_) => Counted::Again,
                None => {
                    if self.tally {
                        self.v19.fail(
                            who(),
                            "a cast ballot that the encrypted tally does not list",
                        );
                    }
                    Counted::No
                }
            }
        } else {
            if self.listed.contains_key(id.as_str()) {
                self.v19.fail(
                    who(),
                    "a challenged ballot listed among the tally's cast ballots",
                );
            }
            self.challenged.push((id, at));
            Counted::No
        };
        self.v19.checked += 1;
        counted
    }

    /// The checks that need every ballot seen: each chain's start, last code and closing hash
    /// (7.D, 7.F, 7.G), and every ballot the tally lists found.
    pub fn finish(mut self) -> Folded {
        for (device, last) in self.devices.iter().zip(&self.previous) {
            let Some(ch) = &device.chain else { continue };
            let at = || format!("device {}, ballot_chain.json", device.name);
            if self.chaining && ch.chaining {
                self.own.v7.expect(
                    HashValue::from_hex(&ch.baux0).is_ok_and(|h| h == self.h_0),
                    at,
                    "7.D: baux0 is not H_0 = H(H_E; 0x24, B_aux,0) (eq. (59))",
                );
                if let Some(last) = last {
                    self.own.v7.expect(
                        HashValue::from_hex(&ch.last_confirmation_code).is_ok_and(|h| h == *last),
                        at,
                        "7.F: last_confirmation_code is not the last ballot's confirmation code",
                    );
                    if let Some(closing) = &ch.closing_hash {
                        self.own.v7.expect(
                            HashValue::from_hex(closing).is_ok_and(|h| {
                                h == hashes::chain_close(&self.h_e, last, self.baux0)
                            }),
                            at,
                            "7.G: the closing hash is not H(H_E; 0x24, H(B_l) ‖ B_aux,0 ‖ \"CLOSE\") (eq. (61))",
                        );
                    }
                }
            }
        }
        // In the tally's order, so that the report is the same from run to run.
        let mut missing: Vec<&str> = self
            .listed
            .iter()
            .filter(|(_, seen)| !**seen)
            .map(|(id, _)| *id)
            .filter(|id| !self.challenged.iter().any(|(c, _)| c == id))
            .collect();
        missing.sort_unstable();
        for id in missing {
            self.v19.fail(
                format!("encrypted_tally.json, ballot {id}"),
                "listed as cast, but the record holds no cast ballot with this id",
            );
        }
        Folded {
            own: self.own,
            v19: self.v19,
            ids: self.ids,
            challenged: self.challenged,
        }
    }
}

/// What the ballot pass found.
pub(crate) struct BallotPass<G: Group> {
    /// Verifications 5, 6, 7 and 15 to 18.
    pub own: OwnChecks,
    pub v19: Check,
    pub ballots: u64,
    /// The product of the cast ballots the tally lists, per (contest, selection) (eq. (62)).
    pub aggregate: Aggregate<G>,
    /// Where the challenged ballots are, for Verifications 12 to 14 (read again then, so that
    /// memory does not grow with their number).
    pub challenged: Vec<Challenged>,
    /// Every ballot id of the record, as [`id_key`]s.
    pub ids: HashSet<IdKey>,
}

/// A challenged ballot: its id and file.
pub(crate) struct Challenged {
    pub id: String,
    pub path: PathBuf,
}

/// Reads and checks every ballot of the record.
pub(crate) fn check_all<G: Group>(
    dir: &Path,
    setup: &Setup<G>,
    tally: Option<&EncryptedTallyRecord<G>>,
    layout: Layout,
    progress: &dyn Progress,
) -> Result<BallotPass<G>, ReadError> {
    let mut own = OwnChecks::new();
    let devices = devices(dir, &mut own.v7, None)?;
    let work = work(&devices);
    progress.ballots(work.len() as u64);
    let mut fold = Fold::new(&devices, setup, tally, own);
    let mut aggregate: Aggregate<G> = HashMap::new();
    for (n, chunk) in work.chunks(CHUNK).enumerate() {
        let first = (n * CHUNK) as u64;
        let (summaries, ballots): (Vec<_>, Vec<_>) =
            summarize(setup, &devices, chunk, first, layout)?
                .into_iter()
                .unzip();
        for (counted, b) in fold.chunk(summaries).into_iter().zip(&ballots) {
            if let (Counted::Yes, Some(b)) = (counted, b) {
                aggregate_into(&mut aggregate, b);
            }
        }
        progress.advance(chunk.len() as u64);
    }
    let folded = fold.finish();
    let challenged = folded
        .challenged
        .into_iter()
        .map(|(id, at)| Challenged {
            id,
            path: work[at as usize].1.clone(),
        })
        .collect();
    Ok(BallotPass {
        own: folded.own,
        v19: folded.v19,
        ballots: work.len() as u64,
        aggregate,
        challenged,
        ids: folded.ids,
    })
}
