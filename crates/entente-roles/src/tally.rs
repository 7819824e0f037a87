//! `entente tally`: every encrypted ballot of the record checked (election, style, proofs,
//! contest hashes, confirmation code) on all cores, and the cast ones multiplied into the
//! encrypted tally (spec 2.0 §3.5, eq. (62)), written as `encrypted_tally.json`. A ballot that
//! fails a check, or whose id occurs more than once, is refused and named; the others are
//! counted all the same.

use entente_core::CoreError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Result, bail};
use entente_core::tally::{EncryptedTally, VerifiedBallot, verify_ballot};
use entente_record::ballot::json::EncryptedBallotJson;
use entente_record::ballot::{BallotState, EncryptedBallot};
use entente_record::election::ElectionSetup;
use entente_record::tally::EncryptedTallyJson;
use entente_record::{KnownGroup, RecordKind, with_group};
use rand::TryRngCore;
use rayon::prelude::*;

use crate::record;

/// A ballot that was not counted, and why.
#[derive(Debug, Clone)]
pub struct Refused {
    /// Its file.
    pub file: PathBuf,
    /// Why.
    pub reason: String,
}

/// The outcome of checking and adding up the ballots.
pub struct Aggregate<G: KnownGroup> {
    /// The encrypted tally of the cast ballots that passed.
    pub tally: EncryptedTally<G>,
    /// The challenged ballots that passed (decrypted later, never counted).
    pub challenged: Vec<EncryptedBallot<G>>,
    /// The ballots refused.
    pub refused: Vec<Refused>,
    /// Wall time of the checks.
    pub time: Duration,
    /// Worker threads.
    pub threads: usize,
}

enum Checked<G: KnownGroup> {
    Ok(Box<VerifiedBallot<G>>),
    Refused(Refused),
}

/// Checks `files` on `threads` workers (0: all cores) and adds up the cast ballots.
pub fn aggregate<G: KnownGroup>(
    setup: &ElectionSetup<G>,
    files: &[PathBuf],
    threads: usize,
    progress: bool,
) -> Result<Aggregate<G>> {
    let key = setup.public_key();
    let (pool, threads) = crate::progress::pool(threads)?;
    let bar = crate::progress::bar(progress, files.len(), "checking ballots");
    let start = Instant::now();
    // Each ballot read for range, its elements' membership proven by its proofs' chains.
    let checked: Vec<Checked<G>> = pool.install(|| {
        files
            .par_iter()
            .map(|f| {
                let out = match setup
                    .read_record_file::<EncryptedBallotJson>(f)
                    .map_err(|e| e.to_string())
                    .and_then(|j| {
                        j.read_unchecked::<G>()
                            .map_err(|e| format!("{}: {e}", f.display()))
                    })
                    .and_then(|b| {
                        let mut rng = rand::rngs::OsRng.unwrap_err();
                        verify_ballot(&setup.h_e, &key, &setup.manifest, b, &mut rng)
                            .map_err(|e| e.to_string())
                    }) {
                    Ok(v) => Checked::Ok(Box::new(v)),
                    Err(reason) => Checked::Refused(Refused {
                        file: f.clone(),
                        reason,
                    }),
                };
                bar.inc(1);
                out
            })
            .collect()
    });
    bar.finish_and_clear();
    // A ballot id twice: no copy is counted, since nothing says which one the voter cast.
    let mut copies: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &checked {
        if let Checked::Ok(v) = c {
            *copies.entry(v.ballot().ballot_id.as_str()).or_default() += 1;
        }
    }
    let twice: Vec<String> = copies
        .into_iter()
        .filter(|&(_, n)| n > 1)
        .map(|(id, _)| id.to_owned())
        .collect();
    let mut refused = Vec::new();
    let mut cast = Vec::new();
    let mut challenged = Vec::new();
    for (c, f) in checked.into_iter().zip(files) {
        match c {
            Checked::Refused(r) => refused.push(r),
            Checked::Ok(v) if twice.contains(&v.ballot().ballot_id) => refused.push(Refused {
                file: f.clone(),
                reason: CoreError::DuplicateBallot(v.ballot().ballot_id.clone()).to_string()
                    + " (the id occurs in more than one file; no copy is counted)",
            }),
            Checked::Ok(v) => match v.ballot().state {
                BallotState::Cast => cast.push(*v),
                BallotState::Challenged => challenged.push(v.ballot().clone()),
            },
        }
    }
    let manifest = &setup.manifest;
    let tally = pool.install(|| {
        cast.par_iter()
            .try_fold(
                || EncryptedTally::<G>::new(manifest),
                |mut t, v| t.add(v).map(|()| t),
            )
            .try_reduce(|| EncryptedTally::new(manifest), |a, b| a.merge(b))
    })?;
    Ok(Aggregate {
        tally,
        challenged,
        refused,
        time: start.elapsed(),
        threads,
    })
}

/// What `entente tally` is asked to do.
pub struct TallyOptions {
    /// The record.
    pub record: PathBuf,
    /// The tally's name in the record.
    pub tally_id: String,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Show a progress bar.
    pub progress: bool,
}

/// What [`run`] did.
pub struct TallyReport {
    /// The ballots counted.
    pub counted: usize,
    /// The challenged ballots that passed (decrypted later, never counted).
    pub challenged: usize,
    /// The ballots refused.
    pub refused: Vec<Refused>,
    /// Wall time of the checks.
    pub time: Duration,
    /// Worker threads.
    pub threads: usize,
}

/// Checks and adds up the record's ballots and writes `encrypted_tally.json`.
pub fn run(opts: &TallyOptions) -> Result<TallyReport> {
    let kind = RecordKind::of_record(&opts.record)?;
    with_group!(kind.group, |G| run_in::<G>(opts))
}

fn run_in<G: KnownGroup>(opts: &TallyOptions) -> Result<TallyReport> {
    let dir = &opts.record;
    let setup = ElectionSetup::<G>::read(dir)?;
    if dir.join(record::TALLY).exists() {
        bail!(
            "{} already holds a decrypted tally ({}); the encrypted tally it decrypts is kept \
             as it is. Move the record's tally.json away to tally again.",
            dir.display(),
            record::TALLY
        );
    }
    let files = record::ballot_files(dir)?;
    if files.is_empty() {
        bail!(
            "{} holds no encrypted ballots (encrypted_ballots/<device>/eballot-*.json)",
            dir.display()
        );
    }
    let agg = aggregate(&setup, &files, opts.threads, opts.progress)?;
    write_encrypted_tally(dir, &agg.tally, &opts.tally_id, &setup)?;
    Ok(TallyReport {
        counted: agg.tally.len(),
        challenged: agg.challenged.len(),
        refused: agg.refused,
        time: agg.time,
        threads: agg.threads,
    })
}

/// Writes the record's `encrypted_tally.json`.
pub fn write_encrypted_tally<G: KnownGroup>(
    dir: &Path,
    tally: &EncryptedTally<G>,
    tally_id: &str,
    setup: &ElectionSetup<G>,
) -> Result<()> {
    let json = EncryptedTallyJson::write(&tally.record(tally_id, &setup.h_e));
    crate::files::write_atomically(
        &dir.join(record::ENCRYPTED_TALLY),
        &setup.record_bytes(&json, true)?,
    )
}
