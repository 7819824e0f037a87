//! `entente verify`: the independent verifier (crate `entente-verify`) on a record, with a
//! progress bar on a terminal, the report on stdout and, if asked, as JSON in a file.

use std::path::{Path, PathBuf};

use crate::error::{Context, Result};
use entente_verify::{Options, Progress, ReadError, Report, Shard, ShardDone};

use crate::board_record::BoardRecord;
use crate::client::Client;
use crate::observer::LogCheck;
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

/// Runs `f` with a progress bar named `what` (shown if `progress`), cleared when it ends.
fn with_bar<T>(progress: bool, what: &str, f: impl FnOnce(&Bar) -> T) -> T {
    let bar = Bar(crate::progress::bar(progress, 0, what));
    let out = f(&bar);
    bar.0.finish_and_clear();
    out
}

/// Verifies `dir`; `Err` only when the record cannot be read.
pub fn run(dir: &Path, threads: usize, progress: bool) -> Result<Report, ReadError> {
    with_bar(progress, "verifying ballots", |bar| {
        entente_verify::verify(dir, Options { threads }, bar)
    })
}

/// Verifies shard `shard` of `dir` and writes its partial result to `out`; `Err` only when the
/// record cannot be read or the partial written.
pub fn shard(
    dir: &Path,
    shard: Shard,
    out: &Path,
    threads: usize,
    progress: bool,
) -> Result<ShardDone, ReadError> {
    with_bar(progress, &format!("verifying shard {shard}"), |bar| {
        entente_verify::verify_shard(dir, Options { threads }, shard, out, bar)
    })
}

/// Merges the partial results of `dir`'s shards into its report.
pub fn merge(
    dir: &Path,
    partials: &[PathBuf],
    threads: usize,
    progress: bool,
) -> Result<Report, ReadError> {
    with_bar(progress, "merging shards", |bar| {
        entente_verify::merge(dir, partials, Options { threads }, bar)
    })
}

/// Where a board's record is read from, for [`board_shard`] and [`board_merge`]: its files but
/// the ballots, in a folder removed when this is dropped.
pub struct OnBoard {
    /// The record read from the board.
    pub record: BoardRecord,
    folder: tempfile::TempDir,
}

impl OnBoard {
    /// Reads the log at `client`'s server (see [`BoardRecord::open`]), with a progress bar if
    /// `progress`.
    pub fn open(client: Client, pinned: &[String], progress: bool) -> Result<Self> {
        let folder = tempfile::Builder::new()
            .prefix("entente-board-record-")
            .tempdir()
            .context("cannot make a folder for the board's record")?;
        let record = BoardRecord::open(client, folder.path(), pinned, progress)?;
        Ok(Self { record, folder })
    }

    /// The folder that holds the record's files.
    pub fn dir(&self) -> &Path {
        self.folder.path()
    }
}

/// [`shard`] of the record on a board, fetching only the shard's ballots.
pub fn board_shard(
    board: &OnBoard,
    shard: Shard,
    out: &Path,
    threads: usize,
    progress: bool,
) -> Result<ShardDone, ReadError> {
    with_bar(progress, &format!("verifying shard {shard}"), |bar| {
        let opts = Options { threads };
        entente_verify::verify_shard_from(board.dir(), opts, shard, out, bar, &board.record)
    })
}

/// [`merge`] of the shards of the record on a board; the report names the board.
pub fn board_merge(
    board: &OnBoard,
    partials: &[PathBuf],
    threads: usize,
    progress: bool,
) -> Result<Report, ReadError> {
    let mut report = with_bar(progress, "merging shards", |bar| {
        let opts = Options { threads };
        entente_verify::merge_from(board.dir(), partials, opts, bar, &board.record)
    })?;
    report.record = format!(
        "{} (the board's log of {} entries)",
        board.record.server(),
        board.record.size
    );
    Ok(report)
}

/// Writes the report as JSON.
pub fn write_json(report: &Report, path: &Path) -> Result<()> {
    crate::files::write_atomically(path, &serde_json::to_vec_pretty(report)?)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The record's decrypted result with the manifest's names, if it has one that reads.
pub fn result_of(dir: &Path) -> Option<Vec<crate::result::ContestResult>> {
    let kind = entente_record::RecordKind::of_record(dir).ok()?;
    entente_record::with_group!(kind.group, |G| result_in::<G>(dir, kind.layout))
}

fn result_in<G: entente_group::Group>(
    dir: &Path,
    layout: entente_record::Layout,
) -> Option<Vec<crate::result::ContestResult>> {
    let manifest = entente_record::manifest::Manifest::from_json(
        &std::fs::read(dir.join("manifest.json")).ok()?,
    )
    .ok()?;
    let path = dir.join(crate::record::TALLY);
    let tally: entente_record::tally::DecryptedTallyJson = entente_record::layout::parse_for(
        &path.display().to_string(),
        &entente_record::election::read_file(&path).ok()?,
        layout,
        &manifest,
    )
    .ok()?;
    let tally = tally.read::<G>().ok()?;
    Some(crate::result::result_rows(&manifest, &tally))
}

/// Writes the HTML report of `report` (and of the record's log, if checked) to `path`.
pub fn write_html(dir: &Path, report: &Report, log: Option<&LogCheck>, path: &Path) -> Result<()> {
    let result = result_of(dir);
    let checkpoint = std::fs::read_to_string(dir.join(crate::client::LOG_DIR).join("checkpoint"))
        .unwrap_or_default();
    let page = crate::html::report(
        report,
        result.as_deref(),
        log.map(|check| crate::html::LogSection {
            checkpoint: &checkpoint,
            check,
        }),
    );
    crate::files::write_atomically(path, page.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}
