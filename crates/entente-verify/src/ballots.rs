//! Verifications 5, 6 and 7 on every encrypted ballot (15 to 18 on those recorded from
//! pre-encrypted ballots), streamed in chunks and checked on all
//! cores; the running product of the cast ballots for Verification 8; and the record's own
//! consistency (unique ids, every cast ballot in the tally's list once, no challenged one).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use entente_group::Group;
use entente_record::ballot::chain::BallotChainJson;
use entente_record::ballot::json::{EncryptedBallotJson, UncheckedBallot};
use entente_record::ballot::{BallotState, Ciphertext, EncryptedBallot};
use entente_record::election::read_json;
use entente_record::{HashValue, Layout, RecordError, Revision};
use rand::TryRngCore;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::setup::Setup;
use crate::{BallotSource, Check, ReadError};

/// Ballots read and checked at a time: enough to keep every core busy, few enough that memory
/// does not grow with the record.
pub(crate) const CHUNK: usize = 256;

/// What is kept of one ballot once its own checks are done.
pub(crate) struct Summary {
    /// Its place in the record's list of ballot files (devices in name order, each device's
    /// files in chain order).
    pub at: u64,
    /// Its device, an index into the record's devices.
    pub device: usize,
    /// Its ballot id.
    pub id: String,
    /// What its checks found.
    pub read: Read,
}

/// What a ballot's own checks found.
pub(crate) enum Read {
    /// An element outside the group (5.A) at this JSON path: the ballot is not checked further.
    NotInGroup { path: String },
    /// Checked: its failures, and what the whole-record checks need.
    Checked(Box<Seen>),
}

/// A ballot that was checked.
pub(crate) struct Seen {
    /// Its own failures (and, in a single run, how many objects were checked).
    pub own: OwnChecks,
    /// Its confirmation code H(B).
    pub code: HashValue,
    /// B_aux as the ballot states it.
    pub baux: Vec<u8>,
    /// Recorded from a pre-encrypted ballot.
    pub pre: bool,
    /// Cast (else challenged).
    pub cast: bool,
}

/// One device's files in chain order, with what its chain file says.
pub(crate) struct Device {
    pub name: String,
    pub chain: Option<BallotChainJson>,
    pub files: Vec<PathBuf>,
}

/// The record's devices (name, folder, ballot files) as its folder lists them.
fn folder_listing(
    root: &Path,
    v7: &mut Check,
) -> Result<Vec<(String, PathBuf, Vec<PathBuf>)>, ReadError> {
    if !root.exists() {
        return Ok(Vec::new());
    }
    let mut names: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| ReadError::file(root, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for d in names {
        let name = d
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut files: Vec<PathBuf> = Vec::new();
        for p in std::fs::read_dir(&d)
            .map_err(|e| ReadError::file(&d, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
        {
            match p.file_name().map(|n| n.to_str()) {
                Some(Some(n)) if n.starts_with("eballot-") && n.ends_with(".json") => files.push(p),
                // Skipped in silence, such a file would leave only the tally to blame.
                Some(None) => v7.fail(
                    format!("device {name}, file {}", p.display()),
                    "its name is not UTF-8, so it is no ballot file of the record \
                     (eballot-<id>.json): not read",
                ),
                _ => {}
            }
        }
        out.push((name, d, files));
    }
    Ok(out)
}

/// Brings `files` into the record's folder from `source`, if the record is read from one.
pub(crate) fn fetch(source: Option<&dyn BallotSource>, files: &[&Path]) -> Result<(), ReadError> {
    match source {
        Some(src) if !files.is_empty() => src.fetch(files).map_err(ReadError::Fetch),
        _ => Ok(()),
    }
}

/// The record's devices in name order, each with its ballot files in its chain's order; what
/// does not fit a chain fails 7.E in `v7`.
pub(crate) fn devices(
    dir: &Path,
    v7: &mut Check,
    source: Option<&dyn BallotSource>,
) -> Result<Vec<Device>, ReadError> {
    let root = dir.join("encrypted_ballots");
    let listed: Vec<(String, PathBuf, Vec<PathBuf>)> = match source {
        Some(src) => src
            .listing()
            .iter()
            .map(|(name, files)| {
                let d = root.join(name);
                let files = files.iter().map(|f| d.join(f)).collect();
                (name.clone(), d, files)
            })
            .collect(),
        None => folder_listing(&root, v7)?,
    };
    let mut out = Vec::new();
    for (name, d, mut files) in listed {
        files.sort();
        let chain_path = d.join("ballot_chain.json");
        let chain: Option<BallotChainJson> = if chain_path.exists() {
            Some(read_json(&chain_path).map_err(|e| ReadError::file(&chain_path, e))?)
        } else {
            None
        };
        if let Some(ch) = &chain {
            // The chain's order; files the chain does not list follow, and are reported.
            let mut by_name: BTreeMap<String, PathBuf> = files
                .into_iter()
                .map(|p| {
                    (
                        p.file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned(),
                        p,
                    )
                })
                .collect();
            let mut ordered = Vec::new();
            for id in &ch.ballot_ids {
                match by_name.remove(&format!("eballot-{id}.json")) {
                    Some(p) => ordered.push(p),
                    None => v7.fail(
                        format!("device {name}, ballot {id}"),
                        "7.E: the device's chain lists a ballot the record does not hold",
                    ),
                }
            }
            for (file, p) in by_name {
                v7.fail(
                    format!("device {name}, {file}"),
                    "7.E: a ballot that is not in its device's chain",
                );
                ordered.push(p);
            }
            files = ordered;
        }
        out.push(Device { name, chain, files });
    }
    Ok(out)
}

/// The verifications a ballot carries in itself: 5, 6 and 7 of every ballot, 15 to 18 in their
/// place for a ballot recorded from a pre-encrypted one (spec 2.0 §6.2.8).
pub(crate) struct OwnChecks {
    pub v5: Check,
    pub v6: Check,
    pub v7: Check,
    pub v15: Check,
    pub v16: Check,
    pub v17: Check,
    pub v18: Check,
}

impl OwnChecks {
    pub fn new() -> Self {
        Self {
            v5: Check::new(5),
            v6: Check::new(6),
            v7: Check::new(7),
            v15: Check::new(15),
            v16: Check::new(16),
            v17: Check::new(17),
            v18: Check::new(18),
        }
    }

    pub fn of(&mut self, verification: u8) -> &mut Check {
        match verification {
            5 => &mut self.v5,
            6 => &mut self.v6,
            15 => &mut self.v15,
            16 => &mut self.v16,
            17 => &mut self.v17,
            18 => &mut self.v18,
            _ => &mut self.v7,
        }
    }

    pub fn absorb(&mut self, other: OwnChecks) {
        self.v5.absorb(other.v5);
        self.v6.absorb(other.v6);
        self.v7.absorb(other.v7);
        self.v15.absorb(other.v15);
        self.v16.absorb(other.v16);
        self.v17.absorb(other.v17);
        self.v18.absorb(other.v18);
    }

    /// The checks in the report's order, each marked not applicable where nothing was checked.
    pub fn into_report(self) -> [Check; 7] {
        let none = "the record holds no ballots";
        let no_pre = "the record holds no pre-encrypted ballots";
        [
            self.v5.not_applicable(none),
            self.v6.not_applicable(none),
            self.v7.not_applicable(none),
            self.v15.not_applicable(no_pre),
            self.v16.not_applicable(no_pre),
            self.v17.not_applicable(no_pre),
            self.v18.not_applicable(no_pre),
        ]
    }
}

/// A ballot's own checks, done in parallel.
struct Checked<G: Group> {
    ballot: EncryptedBallot<G>,
    checks: OwnChecks,
}

/// A ballot's own checks, Verification 5.A first: the first element out of the subgroup is the
/// error (its JSON path), and the ballot is not checked further.
fn check_one<G: Group>(
    setup: &Setup<G>,
    device: &str,
    ballot: UncheckedBallot<G>,
) -> Result<Checked<G>, RecordError> {
    let mut checks = OwnChecks::new();
    let who = format!("device {device}, ballot {}", ballot.ballot_id());
    let mut record = |f: entente_record::ballot::BallotFailure| {
        let object = match (&f.contest, &f.selection) {
            (Some(c), Some(s)) => format!("{who}, contest {c}, selection {s}"),
            (Some(c), None) => format!("{who}, contest {c}"),
            _ => who.clone(),
        };
        checks.of(f.verification).fail(object, f.what);
    };
    let structure = ballot.structure_failures(&setup.manifest);
    // Membership of α, β from the proofs' squaring chains, the other elements batched.
    let mut rng = rand::rngs::OsRng.unwrap_err();
    let (ballot, counts, failures) =
        ballot.check(Revision::V2_0_0, &setup.h_e, &setup.key, &mut rng)?;
    if ballot.election_id.is_some_and(|e| e != setup.h_e) {
        record(entente_record::ballot::BallotFailure {
            verification: 7,
            contest: None,
            selection: None,
            what: "its election_id is not this election's H_E".into(),
        });
    }
    // Structure failures name 5 and 6; a pre-encrypted ballot's are 15 and 16.
    let pre = ballot.is_preencrypt;
    structure
        .into_iter()
        .map(|mut f| {
            if pre && f.verification < 7 {
                f.verification += 10;
            }
            f
        })
        .chain(failures)
        .for_each(&mut record);
    if pre {
        checks.v15.checked = counts.selections;
        checks.v16.checked = counts.contests;
        checks.v17.checked = 1;
        checks.v18.checked = counts.contests;
    } else {
        checks.v5.checked = counts.selections;
        checks.v6.checked = counts.contests;
    }
    checks.v7.checked = 1;
    Ok(Checked { ballot, checks })
}

/// A ballot file as the readers take it.
fn read_ballot_json(
    f: &Path,
    layout: Layout,
    manifest: &entente_record::manifest::Manifest,
) -> Result<EncryptedBallotJson, ReadError> {
    read_as_20(f, layout, manifest)
}

/// A record file as the readers take it: one of the 2.1 layout (base64 values, no
/// `votes_allowed`) is rewritten into the 2.0 layout first.
pub(crate) fn read_as_20<T: serde::de::DeserializeOwned>(
    f: &Path,
    layout: Layout,
    manifest: &entente_record::manifest::Manifest,
) -> Result<T, ReadError> {
    let bytes = entente_record::election::read_file(f).map_err(|e| ReadError::file(f, e))?;
    entente_record::layout::parse_for(&f.display().to_string(), &bytes, layout, manifest)
        .map_err(|e| ReadError::file(f, e))
}

/// What is kept of a ballot id or confirmation code to find repeats: 128 bits of its SHA-256,
/// a fixed 16 bytes whatever the id's length (a false repeat has probability about n^2 / 2^129).
pub(crate) type IdKey = [u8; 16];

/// The [`IdKey`] of a ballot id.
pub(crate) fn id_key(id: &str) -> IdKey {
    let d = Sha256::digest(id.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    k
}

/// The record's ballot files in order: (device index, file).
pub(crate) fn work(devices: &[Device]) -> Vec<(usize, &PathBuf)> {
    devices
        .iter()
        .enumerate()
        .flat_map(|(i, d)| d.files.iter().map(move |f| (i, f)))
        .collect()
}

/// A ballot's summary, with the ballot when it was read.
pub(crate) type Summarized<G> = (Summary, Option<EncryptedBallot<G>>);

/// The running product of Verification 8 per (contest, selection).
pub(crate) type Aggregate<G> = HashMap<(String, String), Ciphertext<G>>;

/// Reads and checks the ballot files `part` (which start at place `first` of the record's
/// list) on all cores, each read for range then checked, membership included (`check_one`).
/// A ballot with an element of Z_p outside the subgroup fails 5.A and is not checked further;
/// anything unreadable stops the verification. Returns each ballot's summary, with the ballot
/// when it was read.
pub(crate) fn summarize<G: Group>(
    setup: &Setup<G>,
    devices: &[Device],
    part: &[(usize, &PathBuf)],
    first: u64,
    layout: Layout,
) -> Result<Vec<Summarized<G>>, ReadError> {
    part.par_iter()
        .enumerate()
        .map(|(i, (d, f))| {
            let at = first + i as u64;
            let json = read_ballot_json(f, layout, &setup.manifest)?;
            let b = json
                .read_unchecked::<G>()
                .map_err(|e| ReadError::file(f, e))?;
            Ok(match check_one(setup, &devices[*d].name, b) {
                Ok(c) => {
                    let b = c.ballot;
                    let summary = Summary {
                        at,
                        device: *d,
                        id: b.ballot_id.clone(),
                        read: Read::Checked(Box::new(Seen {
                            own: c.checks,
                            code: b.confirmation_code,
                            baux: b.code_baux.clone(),
                            pre: b.is_preencrypt,
                            cast: b.state == BallotState::Cast,
                        })),
                    };
                    (summary, Some(b))
                }
                Err(RecordError::NotInGroup { path }) => (
                    Summary {
                        at,
                        device: *d,
                        id: json.ballot_id.clone(),
                        read: Read::NotInGroup { path },
                    },
                    None,
                ),
                Err(e) => return Err(ReadError::file(f, e)),
            })
        })
        .collect()
}

/// Multiplies a ballot's encryptions into the running product of Verification 8 (eq. (62)).
pub(crate) fn aggregate_into<G: Group>(aggregate: &mut Aggregate<G>, b: &EncryptedBallot<G>) {
    for c in &b.contests {
        for s in &c.selections {
            let acc = aggregate
                .entry((c.contest_id.clone(), s.selection_id.clone()))
                .or_insert_with(Ciphertext::zero);
            *acc = acc.add(&s.ciphertext);
        }
    }
}
