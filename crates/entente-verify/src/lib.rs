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
mod report;
mod setup;

use std::path::Path;
use std::time::Instant;

pub use error::ReadError;
pub use options::{Options, Progress, Quiet};
pub use report::{Check, Failure, Report, Status};

/// Verifies the record in `dir`.
pub fn verify(dir: &Path, opts: Options, progress: &dyn Progress) -> Result<Report, ReadError> {
    let start = Instant::now();
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
    pool.install(|| match kind.group {
        entente_record::GroupKind::P4096 => {
            run::<entente_group::P4096>(dir, kind, progress, start, threads)
        }
        entente_record::GroupKind::P256 => {
            run::<entente_group::P256>(dir, kind, progress, start, threads)
        }
    })
}

/// Every verification of a record of `kind` in group `G`.
fn run<G: setup::RecordGroup>(
    dir: &Path,
    kind: entente_record::RecordKind,
    progress: &dyn Progress,
    start: Instant,
    threads: usize,
) -> Result<Report, ReadError> {
    let (setup, mut checks) = setup::read_and_check::<G>(dir, kind)?;
    let tally = decrypted::read_encrypted_tally::<G>(dir, kind.layout, &setup.manifest)?;
    let pass = ballots::check_all(dir, &setup, tally.as_ref(), kind.layout, progress)?;
    let mut rest = decrypted::check(dir, &setup, tally.as_ref(), &pass, kind.layout)?;
    let [v5, v6, v7, v15, v16, v17, v18] = pass.own.into_report();
    checks.extend([v5, v6, v7, rest.v8]);
    checks.append(&mut rest.v9_to_v14);
    checks.extend([v15, v16, v17, v18]);
    let mut consistency = pass.v19;
    consistency.absorb(rest.v19);
    checks.push(consistency);
    let group = match kind.group {
        entente_record::GroupKind::P4096 => "",
        entente_record::GroupKind::P256 => " on P-256",
    };
    let layout = match kind.layout {
        entente_record::Layout::Json20 => "",
        entente_record::Layout::Json21 => ", egk-ec's JSON 2.1 layout",
    };
    Ok(Report {
        record: dir.display().to_string(),
        kind: format!("ElectionGuard 2.0{group}{layout}"),
        guardians: setup.quorum.0,
        quorum: setup.quorum.1,
        ballots: pass.ballots,
        checks,
        seconds: start.elapsed().as_secs_f64(),
        threads,
    })
}
