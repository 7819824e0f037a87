//! Timing the verifier, as `entente bench --verify` reports it: one run in ballots per second;
//! rounds that alternate two ways of verifying the same record (one thread against several,
//! one arithmetic backend against another, one process against shards on several), so that a
//! busier or quieter moment of a shared machine touches both sides of each ratio alike.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use entente_group::Backend;

use crate::error::{Context, Result, RolesError};

/// The median of `v` (0 when empty).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// One round of an alternating comparison: ballots per second of each side.
#[derive(Debug, Clone, Copy)]
pub struct PairRound {
    /// The side measured first in the round (one thread, or the process's backend).
    pub first: f64,
    /// The side compared with it.
    pub second: f64,
}

/// One verification of `record` on `threads`, in ballots per second (also what `entente bench
/// --verify RECORD --single` prints for `verify_backends`' child processes).
pub fn verify_once(record: &Path, threads: usize) -> Result<f64> {
    let opts = entente_verify::Options { threads };
    let report = entente_verify::verify(record, opts, &entente_verify::Quiet)
        .with_context(|| format!("verifying {}", record.display()))?;
    if !report.holds() {
        return Err(RolesError::Refused(format!(
            "{} does not verify: measure a record that does",
            record.display()
        )));
    }
    Ok(report.ballots as f64 / report.seconds)
}

/// Runs `rounds` rounds of `first` then `second`, so that a busier or quieter moment of a
/// shared machine touches both sides of each ratio alike.
fn alternate(
    rounds: usize,
    mut first: impl FnMut() -> Result<f64>,
    mut second: impl FnMut() -> Result<f64>,
) -> Result<Vec<PairRound>> {
    (0..rounds.max(1))
        .map(|round| {
            eprintln!("round {} of {}…", round + 1, rounds.max(1));
            Ok(PairRound {
                first: first()?,
                second: second()?,
            })
        })
        .collect()
}

/// Verifies `record` alternately on one thread and on `threads`, `rounds` times.
pub fn verify_scaling(record: &Path, threads: usize, rounds: usize) -> Result<Vec<PairRound>> {
    alternate(
        rounds,
        || verify_once(record, 1),
        || verify_once(record, threads),
    )
}

/// Verifies `record` on one thread alternately with this process's backend and with
/// `against`, each in a child process (the backend is fixed per process), `rounds` times.
pub fn verify_backends(record: &Path, against: Backend, rounds: usize) -> Result<Vec<PairRound>> {
    let exe = std::env::current_exe().context("finding the entente executable")?;
    let run = |backend: Backend| -> Result<f64> {
        let out = std::process::Command::new(&exe)
            .args(["bench", "--single", "--threads", "1", "--verify"])
            .arg(record)
            .env(entente_group::modp::BACKEND_VAR, backend.name())
            .output()
            .with_context(|| format!("running {}", exe.display()))?;
        if !out.status.success() {
            return Err(RolesError::Refused(format!(
                "the verification with the {} backend failed: {}",
                backend.name(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        text.trim().parse::<f64>().map_err(|e| {
            RolesError::Refused(format!("reading ballots per second from {text:?}: {e}"))
        })
    };
    let chosen = Backend::current();
    alternate(rounds, || run(chosen), || run(against))
}

/// The rounds of a comparison, the ratio second/first of each, and their median.
pub fn pair_report(rounds: &[PairRound], first: &str, second: &str) -> String {
    let mut s = format!(
        "{:<8} {:>22} {:>22} {:>8}\n",
        "round",
        format!("{first}, ballot/s"),
        format!("{second}, ballot/s"),
        "ratio"
    );
    for (i, r) in rounds.iter().enumerate() {
        s.push_str(&format!(
            "{:<8} {:>22.2} {:>22.2} {:>8.3}\n",
            i + 1,
            r.first,
            r.second,
            r.second / r.first
        ));
    }
    let ratio = median(rounds.iter().map(|r| r.second / r.first).collect());
    s.push_str(&format!("median ratio {ratio:.3}\n"));
    s
}

/// `verify_scaling`'s report: how many times as many ballots `threads` check as one.
pub fn scaling_report(rounds: &[PairRound], threads: usize) -> String {
    pair_report(rounds, "1 thread", &format!("{threads} threads"))
}

/// A child process's peak resident memory so far (VmHWM, KiB), where Linux says it.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Waits for `child`, reading its peak memory every 10 ms (the high-water mark only grows, so
/// the last reading is its peak but for what it took in its last few milliseconds).
fn wait_with_peak(mut child: Child, what: &str) -> Result<u64> {
    let mut peak = 0;
    loop {
        if let Some(kib) = peak_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                return Err(RolesError::Refused(format!("{what} failed ({status})")));
            }
            return Ok(peak);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// One round of `verify_sharded`.
#[derive(Debug, Clone, Copy)]
pub struct ShardRound {
    /// Wall time of one `entente verify --threads T`, seconds.
    pub single: f64,
    /// Wall time of the N shards, P at a time, then the merge, seconds.
    pub sharded: f64,
    /// Peak memory of the single run, KiB.
    pub single_peak: u64,
    /// The largest peak of a shard, KiB.
    pub shard_peak: u64,
    /// The merge's peak, KiB.
    pub merge_peak: u64,
}

/// How to split a verification for `verify_sharded`.
#[derive(Debug, Clone, Copy)]
pub struct Split {
    /// Shards.
    pub shards: u64,
    /// Shards run at a time.
    pub parallel: usize,
    /// Threads of the single run and of the merge (each shard runs on one).
    pub threads: usize,
}

/// Verifies `record` alternately in one process on `split.threads` and as `split.shards`
/// shards, `split.parallel` at a time on one thread each, then merged; each a child process
/// of the `entente` executable, as a cluster would run them. Checks that both exit 0.
/// With `board` (its URL and its log's key), the shards and the merge read the record from the
/// board (`verify --board`), the single run from the folder `record`, the board's export.
pub fn verify_sharded(
    record: &Path,
    split: Split,
    rounds: usize,
    board: Option<(&str, &str)>,
) -> Result<Vec<ShardRound>> {
    let exe = std::env::current_exe().context("finding the entente executable")?;
    let dir = tempfile::tempdir()?;
    let run = |args: &[String], from_board: bool| -> Result<Child> {
        let mut c = Command::new(&exe);
        c.args(crate::net::child_args()).arg("verify");
        match board.filter(|_| from_board) {
            Some((url, key)) => c.args(["--board", url, "--log", key]),
            None => c.arg(record),
        };
        c.args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("running {}", exe.display()))
    };
    let threads = split.threads.to_string();
    let single = || -> Result<(f64, u64)> {
        let start = Instant::now();
        let peak = wait_with_peak(
            run(&["--threads".into(), threads.clone()], false)?,
            "verify",
        )?;
        Ok((start.elapsed().as_secs_f64(), peak))
    };
    let sharded = || -> Result<(f64, u64, u64)> {
        let start = Instant::now();
        let partials: Vec<PathBuf> = (0..split.shards)
            .map(|i| dir.path().join(format!("shard-{i}.jsonl")))
            .collect();
        let mut shard_peak = 0;
        let mut next = 0u64;
        let mut running: Vec<(u64, Child)> = Vec::new();
        while next < split.shards || !running.is_empty() {
            while next < split.shards && running.len() < split.parallel.max(1) {
                let args = [
                    "--shard".to_owned(),
                    format!("{next}/{}", split.shards),
                    "--partial".into(),
                    partials[next as usize].display().to_string(),
                    "--threads".into(),
                    "1".into(),
                ];
                running.push((next, run(&args, true)?));
                next += 1;
            }
            // The first to finish frees its place; each is watched for its peak meanwhile.
            let mut finished = None;
            while finished.is_none() {
                for (k, (_, child)) in running.iter_mut().enumerate() {
                    if let Some(kib) = peak_kib(child.id()) {
                        shard_peak = shard_peak.max(kib);
                    }
                    if child.try_wait()?.is_some() {
                        finished = Some(k);
                        break;
                    }
                }
                if finished.is_none() {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            if let Some(k) = finished {
                let (i, child) = running.swap_remove(k);
                wait_with_peak(child, &format!("shard {i}"))?;
            }
        }
        let mut args = vec!["--threads".to_owned(), threads.clone(), "--merge".into()];
        args.extend(partials.iter().map(|p| p.display().to_string()));
        let merge_peak = wait_with_peak(run(&args, true)?, "the merge")?;
        Ok((start.elapsed().as_secs_f64(), shard_peak, merge_peak))
    };
    (0..rounds.max(1))
        .map(|round| {
            eprintln!("round {} of {}…", round + 1, rounds.max(1));
            let (single, single_peak) = single()?;
            let (sharded, shard_peak, merge_peak) = sharded()?;
            Ok(ShardRound {
                single,
                sharded,
                single_peak,
                shard_peak,
                merge_peak,
            })
        })
        .collect()
}

/// `verify_sharded`'s report: each round's wall times and peaks, and the median ratio of
/// sharded to single wall time.
pub fn sharded_report(rounds: &[ShardRound], split: Split) -> String {
    let mut s = format!(
        "one process on {t} threads against {n} shards, {p} at a time on 1 thread each, then \
         the merge on {t}\n{:<6} {:>10} {:>11} {:>7} {:>14} {:>14} {:>14}\n",
        "round",
        "single, s",
        "sharded, s",
        "ratio",
        "single, MiB",
        "max shard, MiB",
        "merge, MiB",
        t = split.threads,
        n = split.shards,
        p = split.parallel,
    );
    let mib = |k: u64| k as f64 / 1024.0;
    for (i, r) in rounds.iter().enumerate() {
        s.push_str(&format!(
            "{:<6} {:>10.2} {:>11.2} {:>7.3} {:>14.1} {:>14.1} {:>14.1}\n",
            i + 1,
            r.single,
            r.sharded,
            r.sharded / r.single,
            mib(r.single_peak),
            mib(r.shard_peak),
            mib(r.merge_peak),
        ));
    }
    let ratio = median(rounds.iter().map(|r| r.sharded / r.single).collect());
    s.push_str(&format!(
        "median ratio sharded/single {ratio:.3} (wall time; below 1 is faster)\n"
    ));
    s
}
