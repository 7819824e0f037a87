//! Verification split across machines. `verify --shard I/N` checks the I-th of N contiguous
//! slices of the record's ballot files (their own Verifications 5 to 7 and 15 to 18, the
//! decryptions of their challenged ballots, their product for Verification 8; shard 0 also
//! checks the decrypted tally, 9 to 11) and writes a partial result. `verify --merge` checks
//! that the partials are this record's shards, each once, folds their ballot summaries in the
//! record's order through the same code as a single run ([`crate::fold`]), and reports what a
//! single run reports.
//!
//! A partial is JSON Lines: a header (which record, which shard, the counts, the product of the
//! shard's cast ballots, shard 0's tally checks), then one line per ballot in order (its id,
//! code, B_aux, state and failures). The merge reads the headers first and then one shard at a
//! time, so its memory is that of the fold, as in a single run.
//!
//! What binds a partial to its record is a digest of the record's setup files, both tallies and
//! its list of ballot files. The merge trusts its shards for what the ballot files hold: the
//! shards are the verifying party's own machines, run on copies of the record it checked out.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use entente_group::Group;
use entente_record::ballot::{Ciphertext, EncryptedBallot};
use entente_record::tally::EncryptedTallyRecord;
use entente_record::{Layout, RecordKind};
use rayon::prelude::*;

use crate::ballots::{self, Aggregate, CHUNK, OwnChecks, Read, Summary};
use crate::fold::{Counted, Fold};
use crate::partial::{
    ChallengedJson, CheckJson, FORMAT, Header, Line, Partial, ProductJson, fingerprint,
    open_partial, write_partial,
};
use crate::setup::{RecordGroup, Setup};
use crate::{BallotSource, Check, Progress, ReadError, decrypted};

/// Which of how many shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0 ≤ index < count.
    pub index: u64,
    /// How many shards the record is split into.
    pub count: u64,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?}: give the shard as I/N, e.g. 0/4"))?;
        let index: u64 = i
            .trim()
            .parse()
            .map_err(|_| format!("{text:?}: {i:?} is not a shard number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("{text:?}: {n:?} is not a number of shards"))?;
        if count == 0 || index >= count {
            return Err(format!(
                "{text:?}: the shard number runs from 0 to N - 1, and N is at least 1"
            ));
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The places [first, end) of its ballots among the record's `total`: contiguous, so that a
    /// device's chain is cut at most once per shard, and the same on every machine.
    pub fn range(&self, total: u64) -> (u64, u64) {
        let at = |i: u64| (u128::from(total) * u128::from(i) / u128::from(self.count)) as u64;
        (at(self.index), at(self.index + 1))
    }
}

/// What a shard did, for its summary line.
#[derive(Debug, Clone)]
pub struct ShardDone {
    /// Which shard.
    pub shard: Shard,
    /// Its ballots' places in the record's list.
    pub first: u64,
    /// One past its last ballot.
    pub end: u64,
    /// The record's ballots.
    pub total: u64,
    /// Failures found in its part (the merge names them).
    pub failures: u64,
    /// Wall time.
    pub seconds: f64,
}

/// Where a challenged ballot's decryption is by the record's naming (`dballot-<id>.json`), for
/// an id that is a plain file name; the merge checks that it is the one a single run would use.
fn named_decryption(dir: &Path, id: &str) -> Option<PathBuf> {
    let plain = !id.is_empty()
        && !id.starts_with('.')
        && !id.contains(['/', '\\', '\0', ':'])
        && id.len() <= 200;
    let path = dir
        .join("challenged_ballots")
        .join(format!("dballot-{id}.json"));
    (plain && path.is_file()).then_some(path)
}

/// The files of a slice of the record's ballots.
fn paths_of<'a>(chunk: &[(usize, &'a PathBuf)]) -> Vec<&'a Path> {
    chunk.iter().map(|(_, f)| f.as_path()).collect()
}

/// Verifies shard `shard` of the record in `dir` and writes its partial result to `out`.
pub(crate) fn run_shard<G: RecordGroup>(
    dir: &Path,
    kind: RecordKind,
    shard: Shard,
    out: &Path,
    progress: &dyn Progress,
    source: Option<&dyn BallotSource>,
) -> Result<ShardDone, ReadError> {
    let start = Instant::now();
    let layout = kind.layout;
    let (setup, _) = crate::setup::read_and_check::<G>(dir, kind)?;
    let tally = decrypted::read_encrypted_tally::<G>(dir, layout, &setup.manifest)?;
    // The devices' own failures are the merge's to report, once.
    let devices = ballots::devices(dir, &mut Check::new(7), source)?;
    let work = ballots::work(&devices);
    let total = work.len() as u64;
    let (first, end) = shard.range(total);
    let part = &work[first as usize..end as usize];
    progress.ballots(part.len() as u64);
    let listed: HashSet<&str> = tally
        .iter()
        .flat_map(|t| t.cast_ballot_ids.iter().map(String::as_str))
        .collect();
    let mut product: Aggregate<G> = HashMap::new();
    let mut counts = [0u64; 7];
    let mut lines = Vec::with_capacity(part.len());
    let mut failures = 0u64;
    let chunks: Vec<&[(usize, &PathBuf)]> = part.chunks(CHUNK).collect();
    if let Some(c) = chunks.first() {
        ballots::fetch(source, &paths_of(c))?;
    }
    for (n, &chunk) in chunks.iter().enumerate() {
        let at = first + (n * CHUNK) as u64;
        // The next chunk is fetched while this one is checked, so that a board's latency
        // hides behind the arithmetic.
        let next = chunks.get(n + 1).filter(|_| source.is_some());
        let (summarized, fetched) = std::thread::scope(|s| {
            let fetching = next.map(|c| s.spawn(move || ballots::fetch(source, &paths_of(c))));
            let summarized = ballots::summarize(&setup, &devices, chunk, at, layout);
            let fetched = fetching.map_or(Ok(()), |h| {
                h.join()
                    .unwrap_or_else(|_| Err(ReadError::Fetch("a fetch of ballots panicked".into())))
            });
            (summarized, fetched)
        });
        let summarized = summarized?;
        fetched?;
        // The challenged ballots' decryptions, each on its own core.
        let challenged: Vec<Option<ChallengedJson>> = summarized
            .par_iter()
            .zip(chunk)
            .map(|((s, _), (_, file))| match &s.read {
                Read::Checked(seen) if !seen.cast => {
                    let Some(path) = named_decryption(dir, &s.id) else {
                        return Ok(None);
                    };
                    let checks =
                        decrypted::challenged_part(&setup, &s.id, file, Some(&path), layout)?;
                    Ok(Some(ChallengedJson {
                        decryption: path
                            .file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned(),
                        checks: checks.iter().map(CheckJson::of).collect(),
                    }))
                }
                _ => Ok(None),
            })
            .collect::<Result<_, ReadError>>()?;
        for ((s, b), c) in summarized.into_iter().zip(challenged) {
            if let (Read::Checked(seen), Some(b)) = (&s.read, &b)
                && seen.cast
                && listed.contains(s.id.as_str())
            {
                ballots::aggregate_into(&mut product, b);
            }
            let line = Line::of(&s, c, &mut counts);
            failures += line.failures.len() as u64
                + u64::from(line.not_in_group.is_some())
                + line.challenged.as_ref().map_or(0, |c| {
                    c.checks.iter().map(|k| k.failures.len() as u64).sum()
                });
            lines.push(line);
        }
        progress.advance(chunk.len() as u64);
    }
    let tally_checks = match (&tally, shard.index) {
        (Some(t), 0) => {
            let checks = decrypted::v9_to_v11(dir, &setup, t, layout)?;
            failures += checks.iter().map(|c| c.failures.len() as u64).sum::<u64>();
            checks.iter().map(CheckJson::of).collect()
        }
        _ => Vec::new(),
    };
    let mut product: Vec<ProductJson> = product
        .into_iter()
        .map(|((contest, selection), ct)| ProductJson {
            contest,
            selection,
            pad: G::element_to_hex(&ct.alpha),
            data: G::element_to_hex(&ct.beta),
        })
        .collect();
    product.sort_by(|a, b| (&a.contest, &a.selection).cmp(&(&b.contest, &b.selection)));
    let seconds = start.elapsed().as_secs_f64();
    let header = Header {
        format: FORMAT.into(),
        record: fingerprint(dir, &devices)?,
        shard: shard.index,
        shards: shard.count,
        first,
        end,
        ballots: total,
        counts,
        product,
        tally: tally_checks,
        seconds,
    };
    write_partial(out, &header, &lines)?;
    Ok(ShardDone {
        shard,
        first,
        end,
        total,
        failures,
        seconds,
    })
}

/// Checks that `partials` are the shards of this record (`record`, `total` ballots), each once,
/// and returns them in shard order.
fn cover(mut partials: Vec<Partial>, record: &str, total: u64) -> Result<Vec<Partial>, ReadError> {
    let Some(count) = partials.first().map(|p| p.header.shards) else {
        return Err(ReadError::Shards("no partial result given".into()));
    };
    for p in &partials {
        let h = &p.header;
        let name = p.path.display();
        if h.record != record || h.ballots != total {
            return Err(ReadError::Shards(format!(
                "{name} is a shard of another record (or of this one before it changed): its \
                 digest is {}, this record's {record}",
                h.record
            )));
        }
        if h.shards != count {
            return Err(ReadError::Shards(format!(
                "{name} is shard {}/{}, the first partial given is of {count} shards",
                h.shard, h.shards
            )));
        }
        let shard = Shard {
            index: h.shard,
            count,
        };
        if h.shard >= count || (h.first, h.end) != shard.range(total) {
            return Err(ReadError::Shards(format!(
                "{name}: shard {}/{count} covers ballots {}..{}, not this record's split",
                h.shard, h.first, h.end
            )));
        }
    }
    partials.sort_by_key(|p| p.header.shard);
    for pair in partials.windows(2) {
        if pair[0].header.shard == pair[1].header.shard {
            return Err(ReadError::Shards(format!(
                "shard {}/{count} is given twice: {} and {}",
                pair[0].header.shard,
                pair[0].path.display(),
                pair[1].path.display()
            )));
        }
    }
    let have: HashSet<u64> = partials.iter().map(|p| p.header.shard).collect();
    let missing: Vec<String> = (0..count)
        .filter(|i| !have.contains(i))
        .take(20)
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(ReadError::Shards(format!(
            "shard {} missing",
            missing.join(", ")
        )));
    }
    Ok(partials)
}

/// What the merge found, for the report.
pub(crate) struct Merged {
    pub own: OwnChecks,
    pub v8: Check,
    pub v9_to_v14: Vec<Check>,
    pub v19: Check,
    pub ballots: u64,
}

/// Merges the partial results `paths` of the record in `dir` (whose setup is `setup`).
pub(crate) fn merge<G: Group>(
    dir: &Path,
    layout: Layout,
    setup: &Setup<G>,
    tally: Option<&EncryptedTallyRecord<G>>,
    paths: &[PathBuf],
    progress: &dyn Progress,
    source: Option<&dyn BallotSource>,
) -> Result<Merged, ReadError> {
    let mut own = OwnChecks::new();
    let devices = ballots::devices(dir, &mut own.v7, source)?;
    let work = ballots::work(&devices);
    let total = work.len() as u64;
    let record = fingerprint(dir, &devices)?;
    let partials = paths
        .iter()
        .map(|p| open_partial(p))
        .collect::<Result<Vec<_>, _>>()?;
    let partials = cover(partials, &record, total)?;
    progress.ballots(total);

    let mut fold = Fold::new(&devices, setup, tally, own);
    let mut counts = [0u64; 7];
    let mut product: Aggregate<G> = HashMap::new();
    let mut again: Vec<u64> = Vec::new();
    let mut parts: HashMap<u64, ChallengedJson> = HashMap::new();
    let mut tally_checks = Vec::new();
    let mut buffer: Vec<Summary> = Vec::with_capacity(CHUNK);
    let mut next = 0u64;
    for p in partials {
        let bad = |reason: String| ReadError::Partial {
            file: p.path.clone(),
            reason,
        };
        for (k, c) in p.header.counts.iter().enumerate() {
            counts[k] += c;
        }
        for s in &p.header.product {
            let element = |text: &str| {
                G::element_from_hex(text).map_err(|e| {
                    bad(format!(
                        "product, contest {}, selection {}: {e}",
                        s.contest, s.selection
                    ))
                })
            };
            let ct = Ciphertext {
                alpha: element(&s.pad)?,
                beta: element(&s.data)?,
            };
            let acc = product
                .entry((s.contest.clone(), s.selection.clone()))
                .or_insert_with(Ciphertext::zero);
            *acc = acc.add(&ct);
        }
        if p.header.shard == 0 {
            tally_checks = p.header.tally;
        }
        for line in p.lines {
            let line = line.map_err(|e| bad(e.to_string()))?;
            let line: Line = serde_json::from_str(&line)
                .map_err(|e| bad(format!("ballot line {}: {e}", next + 1)))?;
            if line.at != next || next >= p.header.end {
                return Err(bad(format!(
                    "a line for ballot {} where ballot {next} of {}..{} belongs",
                    line.at, p.header.first, p.header.end
                )));
            }
            if work.get(next as usize).map(|w| w.0) != Some(line.device) {
                return Err(bad(format!(
                    "ballot {next} is of device {}, this record's is another",
                    line.device
                )));
            }
            let (summary, challenged) = line
                .into_summary()
                .map_err(|e| bad(format!("ballot {next}: {e}")))?;
            if let Some(c) = challenged {
                parts.insert(next, c);
            }
            buffer.push(summary);
            next += 1;
            // The single run's chunks, so that failures come in its order.
            if next.is_multiple_of(CHUNK as u64) {
                fold_chunk(&mut fold, &mut buffer, &mut again);
                progress.advance(CHUNK as u64);
            }
        }
        if next != p.header.end {
            return Err(bad(format!(
                "it ends at ballot {next}, its header says {}: cut short",
                p.header.end
            )));
        }
    }
    let rest = buffer.len() as u64;
    fold_chunk(&mut fold, &mut buffer, &mut again);
    progress.advance(rest);
    let mut folded = fold.finish();
    for (c, n) in [
        &mut folded.own.v5,
        &mut folded.own.v6,
        &mut folded.own.v7,
        &mut folded.own.v15,
        &mut folded.own.v16,
        &mut folded.own.v17,
        &mut folded.own.v18,
    ]
    .into_iter()
    .zip(counts)
    {
        c.checked += n;
    }

    let Some(tally) = tally else {
        let rest = (9..=14)
            .map(|n| Check::new(n).not_applicable("no tally"))
            .collect();
        return Ok(Merged {
            own: folded.own,
            v8: Check::new(8).not_applicable("no encrypted tally"),
            v9_to_v14: rest,
            v19: folded.v19,
            ballots: total,
        });
    };
    // A shard counted every listed cast ballot; one whose id an earlier ballot claimed is
    // taken out again (rare: only a record with a repeated id has one).
    for at in again {
        let file = work[at as usize].1;
        ballots::fetch(source, &[file.as_path()])?;
        let b: EncryptedBallot<G> = decrypted::read_ballot(file, layout, &setup.manifest)?;
        for c in &b.contests {
            for s in &c.selections {
                if let Some(acc) = product.get_mut(&(c.contest_id.clone(), s.selection_id.clone()))
                {
                    let inverse = Ciphertext {
                        alpha: G::inv(&s.ciphertext.alpha),
                        beta: G::inv(&s.ciphertext.beta),
                    };
                    *acc = acc.add(&inverse);
                }
            }
        }
    }
    // A selection only such a ballot voted in is then the identity: a single run never had
    // it (a true product is the identity with probability 1/q).
    product.retain(|_, ct| *ct != Ciphertext::zero());
    let v8 = decrypted::v8(setup, tally, &product);
    let [v9, v10, v11]: [Check; 3] = match <[CheckJson; 3]>::try_from(tally_checks) {
        Ok([a, b, c]) => {
            let shard0 = |e: String| ReadError::Shards(format!("shard 0's tally checks: {e}"));
            [
                a.into_check(9).map_err(shard0)?,
                b.into_check(10).map_err(shard0)?,
                c.into_check(11).map_err(shard0)?,
            ]
        }
        Err(_) => {
            return Err(ReadError::Shards(
                "shard 0's partial holds no checks of the decrypted tally".into(),
            ));
        }
    };

    // 12 to 14: the shards' checks where they used the decryption a single run would, the
    // rest (a decryption under another name, or none) here.
    let (dballots, mut v12) = decrypted::decryptions(dir)?;
    let ids: Vec<&str> = folded
        .challenged
        .iter()
        .map(|(id, _)| id.as_str())
        .collect();
    decrypted::unclaimed_decryptions(&dballots, &ids, &folded.ids, &mut v12);
    let (mut v13, mut v14) = (Check::new(13), Check::new(14));
    for (id, at) in &folded.challenged {
        let decryption = dballots.get(id);
        let used = decryption
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy());
        let part = match parts.remove(at) {
            Some(c) if used.as_deref() == Some(c.decryption.as_str()) => {
                let shard = |e: String| ReadError::Shards(format!("ballot {at}: {e}"));
                let mut checks = c.checks.into_iter();
                let mut take = |n: u8| {
                    checks
                        .next()
                        .ok_or_else(|| shard(format!("no verification {n}")))
                        .and_then(|c| c.into_check(n).map_err(shard))
                };
                [take(12)?, take(13)?, take(14)?]
            }
            _ => {
                let file = work[*at as usize].1;
                ballots::fetch(source, &[file.as_path()])?;
                decrypted::challenged_part(
                    setup,
                    id,
                    file,
                    decryption.map(PathBuf::as_path),
                    layout,
                )?
            }
        };
        let [p12, p13, p14] = part;
        v12.absorb(p12);
        v13.absorb(p13);
        v14.absorb(p14);
    }
    let mut v19 = folded.v19;
    v19.checked += dballots.len() as u64;
    Ok(Merged {
        own: folded.own,
        v8,
        v9_to_v14: decrypted::finish_9_to_14([v9, v10, v11], [v12, v13, v14]),
        v19,
        ballots: total,
    })
}

fn fold_chunk(fold: &mut Fold<'_>, buffer: &mut Vec<Summary>, again: &mut Vec<u64>) {
    let ats: Vec<u64> = buffer.iter().map(|s| s.at).collect();
    for (counted, at) in fold.chunk(std::mem::take(buffer)).into_iter().zip(ats) {
        if counted == Counted::Again {
            again.push(at);
        }
    }
}
