//! `entente verify RECORD`: the whole election checked from its public record (and its log).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use entente_roles::board_record::Fetched;
use entente_roles::client::Client;
use entente_roles::verify::OnBoard;
use entente_roles::{observer, verify};
use entente_verify::ReadError;

use crate::args::{Threads, progress};

/// Verify a complete ElectionGuard 2.0 election record (spec 2.0 §6, Verifications 1 to
/// 18): one line per verification with how many objects it checked and PASS or FAIL, each
/// failing object and equation under it, and a summary. Reads the public record only.
/// Exit status 0 when everything holds, 1 when a check fails, 2 when the record cannot be
/// read (the message names the file and the JSON path).
///
/// Split across machines: `--shard I/N --partial FILE` on each of N machines (each checks an
/// N-th of the ballots and writes what the whole needs), then `--merge FILE…` on one, which
/// checks that the partials are this record's N shards, each once (else exit 2), and prints
/// the report a single run prints.
///
/// From a board: `--board URL --log KEY` reads the record from the board's log over HTTP
/// (its entries, checked against its checkpoint, which every witness of the election must
/// have cosigned, and the bodies beside them), fetching only the ballots it checks: with
/// `--shard`, the shard's own; with `--merge`, none but a rare few; alone, all of them.
#[derive(clap::Args)]
pub struct Args {
    /// The record directory (or --board URL).
    #[arg(required_unless_present = "board", conflicts_with = "board")]
    pub record: Option<PathBuf>,
    /// Read the record from the board at this URL instead of a folder, checked against the
    /// log's key (--log KEY): only the ballots this run checks are fetched.
    #[arg(long, value_name = "URL", requires = "log", conflicts_with = "since")]
    pub board: Option<String>,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Also write the report as one self-contained HTML page (the result with a chart,
    /// each verification, the failures, the log's checkpoint) to this file.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// The log's verifier key (or its .pub file), for a record exported with its log
    /// (RECORD/log/): its tiles, signatures and cosignatures are checked, and that the
    /// record holds exactly what the log holds. Default: the key RECORD/log/key names.
    #[arg(long)]
    pub log: Option<String>,
    /// A witness this verifier trusts (its cosignature verifier key, or its .pub file;
    /// repeat for several): the election's definition must name it and the log's
    /// checkpoint must carry its cosignature.
    #[arg(long = "witness", value_name = "KEY")]
    pub witnesses: Vec<String>,
    /// A checkpoint of this log that you saw before (your witness's, or the one of the last
    /// record you verified, `RECORD/log/checkpoint`): the record's log must extend it, so a
    /// log rebuilt under the same key since then fails.
    #[arg(long, value_name = "CHECKPOINT")]
    pub since: Option<PathBuf>,
    /// Check only shard I of N (0 ≤ I < N): an N-th of the ballots, contiguous in the
    /// record's order, and (shard 0) the decrypted tally. Writes --partial FILE for --merge;
    /// exits 0 once it is written, whatever it found (the merge reports it).
    #[arg(long, value_name = "I/N", requires = "partial",
          conflicts_with_all = ["merge", "json", "html", "since"])]
    pub shard: Option<entente_verify::Shard>,
    /// Where --shard writes its partial result.
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub partial: Option<PathBuf>,
    /// Merge the partial results of every shard of RECORD into its report (the same as a
    /// single run's), after checking that they are its shards, each once.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub merge: Vec<PathBuf>,
    #[command(flatten)]
    pub threads: Threads,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    if let Some(url) = &args.board {
        return on_board(&args, url);
    }
    let Some(record) = &args.record else {
        anyhow::bail!("give the record's folder, or --board URL");
    };
    if args.shard.is_some() && (args.log.is_some() || !args.witnesses.is_empty()) {
        anyhow::bail!(
            "--log and --witness with --shard pin a board's keys: give --board URL too (a \
             folder's log is checked by the single run or the merge)"
        );
    }
    if let (Some(shard), Some(out)) = (args.shard, &args.partial) {
        return Ok(
            match verify::shard(record, shard, out, *args.threads, progress()) {
                Ok(done) => {
                    shard_done(&done, out);
                    ExitCode::SUCCESS
                }
                Err(e) => unreadable(&e),
            },
        );
    }
    let report = if args.merge.is_empty() {
        verify::run(record, *args.threads, progress())
    } else {
        verify::merge(record, &args.merge, *args.threads, progress())
    };
    let report = match report {
        Ok(r) => r,
        Err(e) => return Ok(unreadable(&e)),
    };
    print!("{}", report.text());
    if let Some(path) = &args.json {
        verify::write_json(&report, path)?;
    }
    // A record exported from the log also holds the log: the two must agree.
    let mut log = match observer::check_log(
        record,
        args.log.as_deref(),
        &args.witnesses,
        args.since.as_deref(),
    ) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: the record's log cannot be read: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(l) = &mut log {
        l.blame(&report);
        print!("{}", l.text());
    }
    if let Some(path) = &args.html {
        verify::write_html(record, &report, log.as_ref(), path)?;
    }
    let log_holds = log.is_none_or(|l| l.failures.is_empty());
    Ok(if report.holds() && log_holds {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The line a shard ends with.
fn shard_done(done: &entente_verify::ShardDone, out: &std::path::Path) {
    println!(
        "Shard {}: ballots {}..{} of {} checked in {:.2} s, {} failures; wrote {} (merge the \
         shards with --merge)",
        done.shard,
        done.first,
        done.end,
        done.total,
        done.seconds,
        done.failures,
        out.display()
    );
}

/// `verify --board URL`: the record read from the board's log, a shard's ballots only for
/// `--shard`, none for `--merge` (but a rare few), all of them alone (one shard, then its
/// merge).
fn on_board(args: &Args, url: &str) -> Result<ExitCode> {
    let key = args.log.as_deref().unwrap_or_default();
    let client = Client::new(url, key)?;
    let board = match OnBoard::open(client, &args.witnesses, progress()) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: the board's record cannot be read: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let threads = *args.threads;
    let whole = tempfile::tempdir()?;
    let (partials, shard) = match (args.shard, &args.partial) {
        (Some(shard), Some(out)) => (vec![out.clone()], Some(shard)),
        _ if !args.merge.is_empty() => (args.merge.clone(), None),
        _ => {
            let out = whole.path().join("shard-0-of-1.jsonl");
            (
                vec![out],
                Some(entente_verify::Shard { index: 0, count: 1 }),
            )
        }
    };
    if let Some(shard) = shard {
        let done = match verify::board_shard(&board, shard, &partials[0], threads, progress()) {
            Ok(done) => done,
            Err(e) => return Ok(unreadable(&e)),
        };
        if args.shard.is_some() {
            shard_done(&done, &partials[0]);
            println!("{}", fetched(&board.record.fetched()));
            return Ok(ExitCode::SUCCESS);
        }
    }
    let report = match verify::board_merge(&board, &partials, threads, progress()) {
        Ok(r) => r,
        Err(e) => return Ok(unreadable(&e)),
    };
    print!("{}", report.text());
    println!(
        "Log: the record is the board's log of {} entries, its checkpoint cosigned by {}. {}",
        board.record.size,
        if board.record.cosigned_by.is_empty() {
            "no witness".to_owned()
        } else {
            board.record.cosigned_by.join(", ")
        },
        fetched(&board.record.fetched())
    );
    if let Some(path) = &args.json {
        verify::write_json(&report, path)?;
    }
    if let Some(path) = &args.html {
        verify::write_html(board.dir(), &report, None, path)?;
    }
    Ok(if report.holds() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// What was read from the board.
fn fetched(f: &Fetched) -> String {
    let kib = |b: u64| b.div_ceil(1024);
    format!(
        "Fetched the log's {} entries ({} KiB), {} of its {} ballots and {} other bodies ({} \
         KiB in all){}.",
        f.entries,
        kib(f.bundle_bytes),
        f.ballots_fetched,
        f.ballots,
        f.bodies.saturating_sub(f.ballots_fetched),
        kib(f.body_bytes),
        if f.devices_placed > 0 {
            format!(
                "; every ballot of {} devices, to place them in their chains",
                f.devices_placed
            )
        } else {
            String::new()
        }
    )
}

/// Exit status 2, with why.
fn unreadable(e: &ReadError) -> ExitCode {
    match e {
        ReadError::File { .. } => eprintln!("error: the record cannot be read: {e}"),
        _ => eprintln!("error: {e}"),
    }
    ExitCode::from(2)
}
