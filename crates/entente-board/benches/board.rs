//! The board's costs: durable appends per second with group commit (many writers, each waiting
//! for its own entry to be on disk), and an inclusion proof from a log of ten million entries
//! read from SQLite. The ten-million-entry database is built once under `target/` and reused;
//! the board's resident memory is printed as it grows, to show that it does not follow the
//! log (hashes and entries live in the database, not in RAM).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use entente_board::note::NoteSigner;
use entente_board::{Board, BoardConfig, Entry, Sequencer, SqliteStorage, verify_inclusion};

const ORIGIN: &str = "bench.example/board";
/// Bytes per entry in the append benchmark: about a small election artifact.
const ENTRY_BYTES: usize = 1024;
/// Concurrent writers in the append benchmark (ballot submissions arrive from many devices).
const WRITERS: usize = 64;
const LARGE_LOG: u64 = 10_000_000;

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[1; 32])).expect("a valid name")
}

fn init(path: &std::path::Path) -> Board<SqliteStorage> {
    Board::init(
        SqliteStorage::open(path).expect("open the database"),
        BoardConfig {
            origin: ORIGIN.into(),
            log_key: signer().verifier_key(),
            witnesses: vec![],
        },
    )
    .expect("a new board")
}

/// The resident set's high-water mark, from /proc (Linux), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn appends(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let board = init(&dir.path().join("board.db"));
    let (seq, _thread) = Sequencer::start(board, 4096, None).expect("the sequencer");
    let per_writer = 200usize;
    let mut g = c.benchmark_group("board");
    g.throughput(Throughput::Elements((WRITERS * per_writer) as u64));
    g.sample_size(10);
    g.bench_function(
        "durable appends with group commit (64 writers, 1 KiB entries)",
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    std::thread::scope(|s| {
                        for w in 0..WRITERS {
                            let seq = seq.clone();
                            s.spawn(move || {
                                for i in 0..per_writer {
                                    let mut data = vec![b'.'; ENTRY_BYTES];
                                    data[..16].copy_from_slice(
                                        &((w * per_writer + i) as u128).to_be_bytes(),
                                    );
                                    seq.append(vec![Entry::new("bench", data)])
                                        .expect("a durable append");
                                }
                            });
                        }
                    });
                    total += start.elapsed();
                }
                total
            })
        },
    );
    g.finish();
}

/// The ten-million-entry board, built once (a few minutes) and kept under target/.
fn large_board() -> Board<SqliteStorage> {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("board-10M.db");
    if let Ok(storage) = SqliteStorage::open(&path)
        && let Ok(board) = Board::open(storage)
        && board.size() == LARGE_LOG
    {
        return board;
    }
    let _ = std::fs::remove_file(&path);
    let mut board = init(&path);
    let batch = 100_000u64;
    eprintln!("building a {LARGE_LOG}-entry board in {}…", path.display());
    for start in (0..LARGE_LOG).step_by(batch as usize) {
        let entries: Vec<Entry> = (start..start + batch)
            .map(|i| Entry::new("bench", format!("entry {i}").into_bytes()))
            .collect();
        board.append(&entries).expect("append");
        if (start + batch).is_multiple_of(1_000_000) {
            eprintln!(
                "  {} entries, peak RSS {:.1} MiB",
                start + batch,
                peak_rss_mib()
            );
        }
    }
    board
}

fn proofs(c: &mut Criterion) {
    let mut board = large_board();
    let size = board.size();
    let note = board.checkpoint(&signer()).expect("a checkpoint");
    let root = board.root(size).expect("the root");
    eprintln!(
        "board of {size} entries opened; peak RSS {:.1} MiB; checkpoint:\n{note}",
        peak_rss_mib()
    );
    let mut g = c.benchmark_group("board");
    let mut i = 0u64;
    g.bench_function(
        "inclusion proof from SQLite, log of 10 million entries",
        |b| {
            b.iter(|| {
                i = (i + 7_919_113) % size;
                board.inclusion_proof(i, size).expect("a proof")
            })
        },
    );
    g.finish();
    // Checked once: the proofs served are real.
    let data = board.entry(i).expect("read").expect("present").entry.data;
    let proof = board.inclusion_proof(i, size).expect("a proof");
    verify_inclusion(i, size, &entente_board::leaf_hash(&data), &proof, &root)
        .expect("the proof verifies");
    eprintln!("after the proofs: peak RSS {:.1} MiB", peak_rss_mib());
}

criterion_group!(benches, appends, proofs);
criterion_main!(benches);
