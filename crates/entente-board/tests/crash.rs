//! Crash safety: a child process appends to the board and signs checkpoints, saying on stdout
//! what returned; it is killed (SIGKILL) at a random moment, hundreds of times. After each
//! restart every acknowledged append is present byte for byte, every checkpoint the log ever
//! handed out verifies against the tree, and no size ever got two different notes.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use entente_board::note::{Checkpoint, NoteSigner, NoteVerifier};
use entente_board::{Board, BoardConfig, Entry, SqliteStorage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ORIGIN: &str = "board.example/crash-test";
const DB_VAR: &str = "ENTENTE_CRASH_TEST_DB";
const RUN_VAR: &str = "ENTENTE_CRASH_TEST_RUN";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[5; 32])).unwrap()
}

fn data(run: u64, k: u64) -> Vec<u8> {
    format!("run {run} entry {k}").into_bytes()
}

/// The child: appends batches until killed. Only does anything when the parent sets DB_VAR.
#[test]
#[ignore = "run by crash_at_random_points_loses_nothing_acknowledged as its child process"]
fn crash_child() {
    let (Ok(db), Ok(run)) = (std::env::var(DB_VAR), std::env::var(RUN_VAR)) else {
        return;
    };
    let run: u64 = run.parse().unwrap();
    let mut board = Board::open(SqliteStorage::open(Path::new(&db)).unwrap()).unwrap();
    let mut rng = StdRng::seed_from_u64(run);
    let mut k = 0u64;
    loop {
        let n = rng.random_range(1..8u64);
        let batch: Vec<Entry> = (k..k + n)
            .map(|k| Entry::new("test", data(run, k)))
            .collect();
        let first = board.append(&batch).unwrap();
        println!("ok {first} {n} {k}");
        k += n;
        if rng.random_bool(0.3) {
            let note = board.checkpoint(&signer()).unwrap();
            let hex: String = note.bytes().map(|b| format!("{b:02x}")).collect();
            println!("cp {hex}");
        }
    }
}

#[test]
fn crash_at_random_points_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("board.db");
    drop(
        Board::init(
            SqliteStorage::open(&db).unwrap(),
            BoardConfig {
                origin: ORIGIN.into(),
                log_key: signer().verifier_key(),
                witnesses: vec![],
            },
        )
        .unwrap(),
    );
    let log_key = NoteVerifier::parse(&signer().verifier_key()).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = StdRng::seed_from_u64(20170713);
    // Every acknowledged entry (index → bytes) and every note handed out (size → note).
    let mut acked: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let mut notes: BTreeMap<u64, String> = BTreeMap::new();
    let runs = 200u64;
    let mut killed_mid_stream = 0;
    for run in 0..runs {
        let mut child = Command::new(&exe)
            .args(["crash_child", "--exact", "--ignored", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(DB_VAR, &db)
            .env(RUN_VAR, run.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(2..40)));
        child.kill().unwrap();
        child.wait().unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        for line in out.lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                ["ok", first, n, k] => {
                    let (first, n, k): (u64, u64, u64) = (
                        first.parse().unwrap(),
                        n.parse().unwrap(),
                        k.parse().unwrap(),
                    );
                    for j in 0..n {
                        assert!(acked.insert(first + j, data(run, k + j)).is_none());
                    }
                    killed_mid_stream += 1;
                }
                ["cp", hex] => {
                    let bytes: Vec<u8> = (0..hex.len())
                        .step_by(2)
                        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                        .collect();
                    let note = String::from_utf8(bytes).unwrap();
                    let cp = Checkpoint::open(&note, &log_key).unwrap();
                    if let Some(earlier) = notes.insert(cp.size, note.clone()) {
                        assert_eq!(earlier, note, "two notes for size {}", cp.size);
                    }
                }
                _ => {}
            }
        }
        // Restart: everything acknowledged is there; every note handed out names this tree.
        let mut board = Board::open(SqliteStorage::open(&db).unwrap()).unwrap();
        for (&i, bytes) in acked.range(
            acked
                .keys()
                .next_back()
                .map_or(0, |&l| l.saturating_sub(20))..,
        ) {
            assert_eq!(
                &board.entry(i).unwrap().unwrap().entry.data,
                bytes,
                "entry {i}"
            );
        }
        let size = board.size();
        for (&s, note) in notes.range(..=size) {
            let cp = Checkpoint::open(note, &log_key).unwrap();
            assert_eq!(cp.root, board.root(s).unwrap(), "size {s}");
            assert_eq!(
                board.checkpoint_at(s).unwrap().as_deref(),
                Some(note.as_str())
            );
        }
        // A checkpoint asked for after the restart agrees with whatever was signed before.
        let note = board.checkpoint(&signer()).unwrap();
        if let Some(earlier) = notes.insert(size, note.clone()) {
            assert_eq!(earlier, note, "two notes for size {size}");
        }
    }
    // The whole log, once more, at the end.
    let board = Board::open(SqliteStorage::open(&db).unwrap()).unwrap();
    for (&i, bytes) in &acked {
        assert_eq!(
            &board.entry(i).unwrap().unwrap().entry.data,
            bytes,
            "entry {i}"
        );
    }
    assert!(notes.keys().all(|&s| s <= board.size()));
    // The kills must have landed mid-stream, or the test proves nothing.
    assert!(
        killed_mid_stream > runs,
        "only {killed_mid_stream} acknowledged batches in {runs} runs"
    );
}
