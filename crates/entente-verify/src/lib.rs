//! The independent verifier of an ElectionGuard 2.0 election record (spec 2.0 §6): it reads the
//! public record (never `private_data/`), runs Verifications 1 to 14 (15 to 18 where the record
//! holds pre-encrypted ballots), checks what the spec assumes (unique ballot ids, every cast
//! ballot in the tally exactly once, no challenged ballot in it, every element in the group),
//! and reports each verification with the objects and equations that fail.
//!
//! It depends on `entente-group` and `entente-record` only: it cannot call the code that
//! encrypts or decrypts, so it checks the record, not Entente's own computations. Ballots are
//! streamed in chunks and checked on all cores; what is kept per ballot is its id and
//! confirmation code, and per selection the running product of V8.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod ballots;
mod decrypted;
mod error;
mod fold;
mod options;
mod partial;
mod report;
mod setup;
mod shard;

use std::path::{Path, PathBuf};
use std::time::Instant;

pub use error::ReadError;
pub use options::{BallotSource, Options, Progress, Quiet};
pub use report::{Check, Failure, Report, Status};
pub use shard::{Shard, ShardDone};

/// Verifies the record in `dir`.
pub fn verify(dir: &Path, opts: Options, progress: &dyn Progress) -> Result<Report, ReadError> {
    let start = Instant::now();
    with_record(dir, opts, |kind, threads| match kind.group {
        entente_record::GroupKind::P4096 => {
            run::<entente_group::P4096>(dir, kind, progress, start, threads)
        }
        entente_record::GroupKind::P256 => {
            run::<entente_group::P256>(dir, kind, progress, start, threads)
        }
    })
}

/// Verifies shard `shard` of the record in `dir` (see [`Shard::range`]) and writes its partial
/// result to `out`, for [`merge`]. Its failures are in the partial: the merge names them.
pub fn verify_shard(
    dir: &Path,
    opts: Options,
    shard: Shard,
    out: &Path,
    progress: &dyn Progress,
) -> Result<ShardDone, ReadError> {
    shard_in(dir, opts, shard, out, progress, None)
}

/// [`verify_shard`] of a record whose folder holds only part of its ballot files: `source`
/// lists them all and fetches the shard's own before they are read. Its partial is the one
/// [`verify_shard`] writes on a folder of the whole record.
pub fn verify_shard_from(
    dir: &Path,
    opts: Options,
    shard: Shard,
    out: &Path,
    progress: &dyn Progress,
    source: &dyn BallotSource,
) -> Result<ShardDone, ReadError> {
    shard_in(dir, opts, shard, out, progress, Some(source))
}

fn shard_in(
    dir: &Path,
    opts: Options,
    shard: Shard,
    out: &Path,
    progress: &dyn Progress,
    source: Option<&dyn BallotSource>,
) -> Result<ShardDone, ReadError> {
    with_record(dir, opts, |kind, _| match kind.group {
        entente_record::GroupKind::P4096 => {
            shard::run_shard::<entente_group::P4096>(dir, kind, shard, out, progress, source)
        }
        entente_record::GroupKind::P256 => {
            shard::run_shard::<entente_group::P256>(dir, kind, shard, out, progress, source)
        }
    })
}

/// Merges the partial results of the record's shards into the report a single [`verify`]
/// gives. Fails with [`ReadError::Shards`] unless the partials are this record's shards, each
/// once.
pub fn merge(
    dir: &Path,
    partials: &[PathBuf],
    opts: Options,
    progress: &dyn Progress,
) -> Result<Report, ReadError> {
    merge_with(dir, partials, opts, progress, None)
}

/// [`merge`] for a record whose folder holds only part of its ballot files (see
/// [`verify_shard_from`]); the few the merge reads itself are fetched from `source`.
pub fn merge_from(
    dir: &Path,
    partials: &[PathBuf],
    opts: Options,
    progress: &dyn Progress,
    source: &dyn BallotSource,
) -> Result<Report, ReadError> {
    merge_with(dir, partials, opts, progress, Some(source))
}

fn merge_with(
    dir: &Path,
    partials: &[PathBuf],
    opts: Options,
    progress: &dyn Progress,
    source: Option<&dyn BallotSource>,
) -> Result<Report, ReadError> {
    let start = Instant::now();
    with_record(dir, opts, |kind, threads| match kind.group {
        entente_record::GroupKind::P4096 => {
            merge_in::<entente_group::P4096>(dir, kind, partials, progress, start, threads, source)
        }
        entente_record::GroupKind::P256 => {
            merge_in::<entente_group::P256>(dir, kind, partials, progress, start, threads, source)
        }
    })
}

/// Runs `f` on the record's kind in a pool of the threads asked for.
fn with_record<T: Send>(
    dir: &Path,
    opts: Options,
    f: impl FnOnce(entente_record::RecordKind, usize) -> Result<T, ReadError> + Send,
) -> Result<T, ReadError> {
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|_| ReadError::Threads(threads))?;
    let kind = entente_record::RecordKind::of_record(dir)
        .map_err(|e| ReadError::file(&dir.join("constants.json"), e))?;
    pool.install(|| f(kind, threads))
}

/// Every verification of a record of `kind` in group `G`.
fn run<G: setup::RecordGroup>(
    dir: &Path,
    kind: entente_record::RecordKind,
    progress: &dyn Progress,
    start: Instant,
    threads: usize,
) -> Result<Report, ReadError> {
    let (setup, checks) = setup::read_and_check::<G>(dir, kind)?;
    let tally = decrypted::read_encrypted_tally::<G>(dir, kind.layout, &setup.manifest)?;
    let pass = fold::check_all(dir, &setup, tally.as_ref(), kind.layout, progress)?;
    let mut rest = decrypted::check(dir, &setup, tally.as_ref(), &pass, kind.layout)?;
    let mut consistency = pass.v19;
    consistency.absorb(rest.v19);
    let mut later = vec![rest.v8];
    later.append(&mut rest.v9_to_v14);
    let parts = Parts {
        setup: &setup,
        checks,
        own: pass.own,
        v8_to_v14: later,
        v19: consistency,
        ballots: pass.ballots,
    };
    Ok(parts.report(dir, kind, start, threads))
}

/// The merge of a record's shards.
fn merge_in<G: setup::RecordGroup>(
    dir: &Path,
    kind: entente_record::RecordKind,
    partials: &[PathBuf],
    progress: &dyn Progress,
    start: Instant,
    threads: usize,
    source: Option<&dyn BallotSource>,
) -> Result<Report, ReadError> {
    let (setup, checks) = setup::read_and_check::<G>(dir, kind)?;
    let tally = decrypted::read_encrypted_tally::<G>(dir, kind.layout, &setup.manifest)?;
    let m = shard::merge(
        dir,
        kind.layout,
        &setup,
        tally.as_ref(),
        partials,
        progress,
        source,
    )?;
    let mut later = vec![m.v8];
    later.extend(m.v9_to_v14);
    let parts = Parts {
        setup: &setup,
        checks,
        own: m.own,
        v8_to_v14: later,
        v19: m.v19,
        ballots: m.ballots,
    };
    Ok(parts.report(dir, kind, start, threads))
}

/// What a report is assembled from.
struct Parts<'a, G: entente_group::Group> {
    setup: &'a setup::Setup<G>,
    /// Verifications 1 to 4.
    checks: Vec<Check>,
    own: ballots::OwnChecks,
    v8_to_v14: Vec<Check>,
    v19: Check,
    ballots: u64,
}

impl<G: entente_group::Group> Parts<'_, G> {
    fn report(
        self,
        dir: &Path,
        kind: entente_record::RecordKind,
        start: Instant,
        threads: usize,
    ) -> Report {
        let mut checks = self.checks;
        let [v5, v6, v7, v15, v16, v17, v18] = self.own.into_report();
        checks.extend([v5, v6, v7]);
        checks.extend(self.v8_to_v14);
        checks.extend([v15, v16, v17, v18]);
        checks.push(self.v19);
        let group = match kind.group {
            entente_record::GroupKind::P4096 => "",
            entente_record::GroupKind::P256 => " on P-256",
        };
        let layout = match kind.layout {
            entente_record::Layout::Json20 => "",
            entente_record::Layout::Json21 => ", egk-ec's JSON 2.1 layout",
        };
        Report {
            record: dir.display().to_string(),
            kind: format!("ElectionGuard 2.0{group}{layout}"),
            guardians: self.setup.quorum.0,
            quorum: self.setup.quorum.1,
            ballots: self.ballots,
            checks,
            seconds: start.elapsed().as_secs_f64(),
            threads,
        }
    }
}
