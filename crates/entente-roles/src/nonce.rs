//! A writer's nonces, kept in its state folder: each signed write carries one above the
//! last, within the server's window.

use std::path::Path;

use crate::error::{Context, Result};
use crate::files::write_atomically;

/// The next nonce of a writer whose state is in `state`: one above the last one used (kept in
/// `state/nonce`), so that a few writes in flight stay within the server's window; the first
/// is the clock in µs, so that a writer whose state was lost starts above its old nonces.
pub fn next_nonce(state: &Path) -> Result<u64> {
    reserve_nonces(state, 1).map(|r| r.start)
}

/// Reserves `count` nonces at once (one write of the state's `nonce` file, its high-water
/// mark): a writer with many writes in a row (a device) signs them from the range. Nonces left
/// unused after a crash are skipped, never reused.
pub fn reserve_nonces(state: &Path, count: u64) -> Result<std::ops::Range<u64>> {
    std::fs::create_dir_all(state).with_context(|| format!("cannot create {}", state.display()))?;
    let path = state.join("nonce");
    let last: u64 = match std::fs::read_to_string(&path) {
        Ok(t) => t
            .trim()
            .parse()
            .with_context(|| format!("{} is not a number", path.display()))?,
        Err(_) => 0,
    };
    let next = if last > 0 {
        last + 1
    } else {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_micros() as u64)
    };
    let end = next.saturating_add(count.max(1));
    write_atomically(&path, (end - 1).to_string().as_bytes())?;
    Ok(next..end)
}
