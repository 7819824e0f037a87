//! What every long command shares: a worker pool of the size asked for, and a progress bar on
//! stderr that is hidden when stderr is not a terminal.

use crate::error::{Result, RolesError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A pool of `threads` workers (0: one per core) and its size.
pub fn pool(threads: usize) -> Result<(rayon::ThreadPool, usize)> {
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(RolesError::other)?;
    Ok((pool, threads))
}

/// A bar counting `len` items of `what` ("encrypting … ballots"), or a hidden one.
pub fn bar(show: bool, len: usize, what: &str) -> ProgressBar {
    let bar = if show {
        ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {what} {{pos}}/{{len}} [{{bar:30}}] {{per_sec}} eta {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}
