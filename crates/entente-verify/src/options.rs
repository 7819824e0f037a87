//! How to verify, and who is told how far it got.

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
