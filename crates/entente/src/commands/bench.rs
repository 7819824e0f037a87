//! `entente bench`: the group operations in GMP-me, verification's scaling, the server's load.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use entente_group::Backend;

use crate::args::progress;
use entente_roles::group_bench as bench;
use entente_roles::verify_bench;

/// Measure the group operations in GMP-me (one variable-base 4096-bit exponentiation with
/// a 256-bit exponent by rug's pow_mod = 1), all in one run, on the arithmetic backend
/// chosen for this CPU (ENTENTE_BACKEND=ifma|portable|gmp|ifma-emulated forces one).
#[derive(clap::Args)]
pub struct Args {
    /// Multiply the number of repetitions (1 takes about ten seconds).
    #[arg(long, default_value_t = 1)]
    pub scale: usize,
    /// Instead of the group operations, measure how `entente verify` scales: verify this
    /// record alternately on one thread and on `--threads`, and report ballots per second
    /// and the median ratio of the rounds.
    #[arg(long, value_name = "RECORD")]
    pub verify: Option<PathBuf>,
    /// With --verify: the threads compared with one.
    #[arg(long, default_value_t = 2, requires = "verify")]
    pub threads: usize,
    /// With --verify: the number of rounds (each verifies the record twice); with --load and
    /// several --servers counts, the rounds of runs.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// With --verify: instead of threads, compare backends: verify on one thread
    /// alternately with the chosen backend and with this one (ifma, portable, gmp or
    /// ifma-emulated), each in its own process, and report the median ratio.
    #[arg(long, value_name = "BACKEND", requires = "verify", value_parser = parse_backend)]
    pub against: Option<entente_group::Backend>,
    /// With --verify: instead of threads, compare one process on --threads with this many
    /// shards (`verify --shard`, each on one thread, --parallel at a time) and their merge on
    /// --threads: wall time and peak memory of each side.
    #[arg(long, value_name = "N", requires = "verify", conflicts_with = "against",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub shards: Option<u64>,
    /// With --shards: shards run at a time.
    #[arg(long, default_value_t = 2, requires = "shards")]
    pub parallel: usize,
    /// With --shards: the shards and the merge read the record from this board (`verify
    /// --board`, with --log KEY), the single run from RECORD, the board's export.
    #[arg(long, value_name = "URL", requires_all = ["shards", "log"])]
    pub board: Option<String>,
    /// With --board: the log's verifier key.
    #[arg(long, value_name = "KEY", requires = "board")]
    pub log: Option<String>,
    /// With --verify: verify once on --threads and print ballots per second (for the
    /// child processes of --against).
    #[arg(long, requires = "verify", conflicts_with = "against", hide = true)]
    pub single: bool,
    /// Instead, load the board server on loopback: concurrent devices submit pre-encrypted
    /// ballots, a server is killed and restarted at each quarter; reports ballots per second
    /// and p50/p99 latency, and checks that every acknowledged ballot is in the log and the
    /// tally, and that every checkpoint handed out is the final log's.
    #[arg(long, conflicts_with = "verify")]
    pub load: bool,
    /// With --load: concurrent devices.
    #[arg(long, default_value_t = 4, requires = "load")]
    pub devices: usize,
    /// With --load: ballots per device.
    #[arg(long, default_value_t = 100, requires = "load")]
    pub ballots: usize,
    /// With --load: stop submitting after this many seconds.
    #[arg(long, default_value_t = 240, requires = "load")]
    pub seconds: u64,
    /// With --load: do not kill servers mid-load.
    #[arg(long, requires = "load")]
    pub no_kill: bool,
    /// With --load: servers on the one board (more than one: on PostgreSQL). A list (1,2,3)
    /// runs each count on a new database of a throw-away PostgreSQL cluster, in alternating
    /// --rounds, and compares their rates.
    #[arg(long, value_delimiter = ',', default_value = "1", requires = "load",
          value_parser = clap::value_parser!(u64).range(1..16))]
    pub servers: Vec<u64>,
    /// With --load: ballots each server checks at once (0: one per core).
    #[arg(long, default_value_t = 0, requires = "load")]
    pub check_threads: usize,
    /// With --load: keep the board in this PostgreSQL database (a postgres:// URL of a
    /// database without a board) instead of a SQLite file.
    #[arg(long, value_name = "URL", requires = "load")]
    pub db: Option<entente_board::BoardDb>,
}

pub fn exec(args: Args) -> Result<ExitCode> {
    match args {
        Args {
            verify: Some(record),
            threads,
            single: true,
            ..
        } => println!("{:.3}", verify_bench::verify_once(&record, threads)?),
        Args {
            verify: Some(record),
            against: Some(against),
            rounds,
            ..
        } => {
            let rounds = verify_bench::verify_backends(&record, against, rounds)?;
            print!("{}", bench::backends_report(&rounds, against));
        }
        Args {
            verify: Some(record),
            shards: Some(shards),
            parallel,
            threads,
            rounds,
            board,
            log,
            ..
        } => {
            let split = verify_bench::Split {
                shards,
                parallel,
                threads,
            };
            let board = board.as_deref().zip(log.as_deref());
            let rounds = verify_bench::verify_sharded(&record, split, rounds, board)?;
            print!("{}", verify_bench::sharded_report(&rounds, split));
        }
        Args {
            verify: Some(record),
            threads,
            rounds,
            ..
        } => {
            let rounds = verify_bench::verify_scaling(&record, threads, rounds)?;
            print!("{}", verify_bench::scaling_report(&rounds, threads));
        }
        Args {
            load: true,
            devices,
            ballots,
            seconds,
            no_kill,
            db,
            servers,
            check_threads,
            rounds,
            ..
        } => {
            let servers: Vec<usize> = servers.iter().map(|&n| n as usize).collect();
            let opts = entente_roles::load::LoadOptions {
                devices,
                ballots,
                limit: Duration::from_secs(seconds),
                kill: !no_kill,
                progress: progress(),
                db,
                servers: servers[0],
                check_threads,
            };
            print!(
                "{}",
                entente_roles::load::run_or_compare(opts, &servers, rounds)?
            );
        }
        Args { scale, .. } => {
            eprintln!("measuring (about {} s)…", 10 * scale.max(1));
            print!("{}", bench::report(&bench::run(scale)));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--against`'s value: a backend this CPU can run.
fn parse_backend(value: &str) -> Result<Backend, String> {
    let backend = Backend::parse(value).map_err(|e| e.to_string())?;
    if value.trim().is_empty() {
        return Err("name a backend: ifma, portable, gmp or ifma-emulated".into());
    }
    Ok(backend)
}
