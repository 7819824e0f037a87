//! How to verify, who is told how far it got, and where ballot files come from when the
//! record's folder does not hold them all.

use std::collections::BTreeMap;
use std::path::Path;

/// How to verify.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Worker threads (0: one per core).
    pub threads: usize,
}

/// Told how far the ballots have got (for a progress bar).
pub trait Progress: Sync {
    /// The number of ballot files found.
    fn ballots(&self, _total: u64) {}
    /// `n` more ballots checked.
    fn advance(&self, _n: u64) {}
}

/// No progress shown.
pub struct Quiet;
impl Progress for Quiet {}

/// A record whose folder holds its setup, tallies and chains but only some of its ballot files
/// (a shard that reads a board fetches only its own): every device's file names, in place of
/// the folder's listing, and each file brought into the folder just before it is read.
pub trait BallotSource: Sync {
    /// Every device's ballot files (`eballot-<id>.json`), by device name; a device whose
    /// chain file is in the folder but that holds no ballot is listed with none.
    fn listing(&self) -> &BTreeMap<String, Vec<String>>;
    /// Writes `files` (paths in the record's folder, of the listing) into the folder; the error
    /// says which could not be fetched and why.
    fn fetch(&self, files: &[&Path]) -> Result<(), String>;
}
