//! `entente verify`: the independent verifier (crate `entente-verify`) on a record, with a
//! progress bar on a terminal, the report on stdout and, if asked, as JSON in a file.

use std::path::Path;

use anyhow::{Context, Result};
use entente_verify::{Options, Progress, ReadError, Report};
use indicatif::ProgressBar;

/// A progress bar that the verifier advances.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn ballots(&self, total: u64) {
        self.0.set_length(total);
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}

/// Verifies `dir`; `Err` only when the record cannot be read.
pub fn run(dir: &Path, threads: usize, progress: bool) -> Result<Report, ReadError> {
    let bar = Bar(crate::progress::bar(progress, 0, "verifying ballots"));
    let report = entente_verify::verify(dir, Options { threads }, &bar);
    bar.0.finish_and_clear();
    report
}

/// Writes the report as JSON.
pub fn write_json(report: &Report, path: &Path) -> Result<()> {
    crate::encrypt::write_atomically(path, &serde_json::to_vec_pretty(report)?)
        .with_context(|| format!("cannot write {}", path.display()))
}
