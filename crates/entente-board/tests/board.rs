//! The board over SQLite: appends in batches agree with the reference log, survive reopening,
//! are found by their keys; one checkpoint per size; cosignatures make a checkpoint published;
//! group commit from many threads; the tlog-tiles export verifies and catches tampering; and a
//! board that shows two witnesses two histories is caught with the evidence kept.

use std::path::Path;

use ed25519_dalek::SigningKey;
use entente_board::note::{Checkpoint, NoteSigner, NoteVerifier};
use entente_board::tiles;
use entente_board::witness::CosignatureVerifier;
use entente_board::witness_dir::WitnessDir;
use entente_board::{
    Board, BoardConfig, BoardError, Entry, MemoryStore, MerkleLog, Sequencer, SqliteStorage,
    verify_consistency, verify_inclusion,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ORIGIN: &str = "board.example/riverside-2026";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[7; 32])).unwrap()
}

fn witness_key(party: u8) -> (String, SigningKey) {
    (
        format!("witness.party-{party}.example"),
        SigningKey::from_bytes(&[party; 32]),
    )
}

fn witness_vkey(party: u8) -> String {
    let (name, key) = witness_key(party);
    entente_board::witness::Witness::new(&name, key, vec![]).verifier_key()
}

fn new_board(path: &Path, witnesses: &[u8]) -> Board<SqliteStorage> {
    Board::init(
        SqliteStorage::open(path).unwrap(),
        BoardConfig {
            origin: ORIGIN.into(),
            log_key: signer().verifier_key(),
            witnesses: witnesses.iter().map(|&p| witness_vkey(p)).collect(),
        },
    )
    .unwrap()
}

fn entry(i: u64) -> Entry {
    Entry::new(
        "ballot",
        format!("ballot {i} {}", "x".repeat((i % 7) as usize)).into_bytes(),
    )
    .with_key("ballot_id", format!("b-{i}"))
    .with_key("confirmation_code", format!("{:064x}", i * 7919))
}

#[test]
fn batched_appends_agree_with_the_reference_log_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.db");
    let mut board = new_board(&path, &[]);
    let mut reference = MerkleLog::new(MemoryStore::default());
    let mut rng = StdRng::seed_from_u64(9162);
    let mut n = 0u64;
    while n < 300 {
        let k = rng.random_range(1..20u64);
        let batch: Vec<Entry> = (n..n + k).map(entry).collect();
        assert_eq!(board.append(&batch).unwrap(), n);
        for e in &batch {
            reference.append(&e.data).unwrap();
        }
        n += k;
        assert_eq!(board.size(), n);
        assert_eq!(
            board.root(n).unwrap(),
            reference.root(n).unwrap(),
            "size {n}"
        );
        if rng.random_bool(0.3) {
            // Reopen: the frontier comes back from storage, and appends go on from it.
            drop(board);
            board = Board::open(SqliteStorage::open(&path).unwrap()).unwrap();
        }
    }
    let root = board.root(n).unwrap();
    for _ in 0..50 {
        let size = rng.random_range(1..=n);
        let index = rng.random_range(0..size);
        let proof = board.inclusion_proof(index, size).unwrap();
        let leaf = entente_board::leaf_hash(&board.entry(index).unwrap().unwrap().entry.data);
        verify_inclusion(index, size, &leaf, &proof, &board.root(size).unwrap()).unwrap();
        let proof = board.consistency_proof(size, n).unwrap();
        verify_consistency(size, n, &board.root(size).unwrap(), &root, &proof).unwrap();
    }
    // Entries come back byte for byte, found by their keys.
    let found = board.find("ballot_id", "b-123").unwrap();
    assert_eq!(found, vec![123]);
    let stored = board.entry(123).unwrap().unwrap();
    assert_eq!(stored.entry, entry(123));
    assert_eq!(
        board
            .find("confirmation_code", &format!("{:064x}", 42 * 7919))
            .unwrap(),
        vec![42]
    );
    assert!(board.find("ballot_id", "b-9999").unwrap().is_empty());
    assert!(board.entry(n).unwrap().is_none());
    // A proof outside the log is an error, not a panic.
    assert!(
        board
            .inclusion_proof(n, n + 1)
            .is_err_and(|e| e.is_outside_the_log())
    );
}

#[test]
fn a_database_is_one_board_and_must_be_initialised() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.db");
    assert!(matches!(
        Board::open(SqliteStorage::open(&path).unwrap()),
        Err(BoardError::NotInitialised)
    ));
    drop(new_board(&path, &[]));
    let again = Board::init(
        SqliteStorage::open(&path).unwrap(),
        BoardConfig {
            origin: "another".into(),
            log_key: NoteSigner::new("another", SigningKey::from_bytes(&[3; 32]))
                .unwrap()
                .verifier_key(),
            witnesses: vec![],
        },
    );
    assert!(matches!(again, Err(BoardError::AlreadyInitialised(o)) if o == ORIGIN));
    // A log key must be named after the origin.
    let other = dir.path().join("other.db");
    let misnamed = Board::init(
        SqliteStorage::open(&other).unwrap(),
        BoardConfig {
            origin: "elsewhere".into(),
            log_key: signer().verifier_key(),
            witnesses: vec![],
        },
    );
    assert!(matches!(misnamed, Err(BoardError::Key(_))));
}

#[test]
fn one_checkpoint_per_size_published_when_every_witness_cosigned() {
    let dir = tempfile::tempdir().unwrap();
    let mut board = new_board(&dir.path().join("board.db"), &[1, 2]);
    let log_key = NoteVerifier::parse(&signer().verifier_key()).unwrap();
    board
        .append(&(0..10).map(entry).collect::<Vec<_>>())
        .unwrap();
    let note = board.checkpoint(&signer()).unwrap();
    assert_eq!(board.checkpoint(&signer()).unwrap(), note);
    let cp = Checkpoint::open(&note, &log_key).unwrap();
    assert_eq!((cp.size, cp.root), (10, board.root(10).unwrap()));
    // Only the log's key signs.
    let impostor = NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[8; 32])).unwrap();
    assert!(matches!(
        board.checkpoint(&impostor),
        Err(BoardError::Key(_))
    ));

    // Not published until both parties' witnesses cosigned.
    assert_eq!(board.published().unwrap(), None);
    let mut witnesses: Vec<WitnessDir> = [1u8, 2]
        .iter()
        .map(|&p| {
            let (name, key) = witness_key(p);
            WitnessDir::open(
                &dir.path().join(format!("w{p}")),
                &name,
                key,
                &[signer().verifier_key()],
            )
            .unwrap()
        })
        .collect();
    let line1 = witnesses[0]
        .add_checkpoint(&note, 0, &[], 1_800_000_000)
        .unwrap();
    assert_eq!(
        board
            .add_cosignatures(&format!("{note}{line1}"))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(board.published().unwrap(), None);
    assert_eq!(
        board
            .missing_cosignatures(&board.checkpoint_at(10).unwrap().unwrap())
            .unwrap(),
        vec!["witness.party-2.example".to_owned()]
    );
    let line2 = witnesses[1]
        .add_checkpoint(&note, 0, &[], 1_800_000_001)
        .unwrap();
    board.add_cosignatures(&format!("{note}{line2}")).unwrap();
    let (size, published) = board.published().unwrap().unwrap();
    assert_eq!(size, 10);
    for p in [1u8, 2] {
        CosignatureVerifier::parse(&witness_vkey(p))
            .unwrap()
            .verify(&published)
            .unwrap();
    }
    // A forged cosignature is not added.
    let forged = format!(
        "{note}\u{2014} witness.party-1.example {}\n",
        "AAAA".repeat(19)
    );
    assert!(board.add_cosignatures(&forged).unwrap().is_empty());

    // The next checkpoint is unpublished until cosigned; the previous stays the published one.
    board
        .append(&(10..15).map(entry).collect::<Vec<_>>())
        .unwrap();
    let next = board.checkpoint(&signer()).unwrap();
    assert_eq!(board.published().unwrap().unwrap().0, 10);
    let proof = board.consistency_proof(10, 15).unwrap();
    let line = witnesses[0]
        .add_checkpoint(&next, 10, &proof, 1_800_000_002)
        .unwrap();
    board.add_cosignatures(&format!("{next}{line}")).unwrap();
    assert_eq!(board.published().unwrap().unwrap().0, 10);

    // A witness restarted from its directory remembers what it cosigned.
    let (name, key) = witness_key(1);
    let reopened = WitnessDir::open(&dir.path().join("w1"), &name, key, &[]).unwrap();
    assert_eq!(reopened.witness().latest(ORIGIN).unwrap().size, 15);
}

#[test]
fn group_commit_from_many_writers_gives_each_entry_one_index() {
    let dir = tempfile::tempdir().unwrap();
    let board = new_board(&dir.path().join("board.db"), &[]);
    let (seq, thread) = Sequencer::start(board, 1024, Some(signer())).unwrap();
    let writers: Vec<_> = (0..8u64)
        .map(|w| {
            let seq = seq.clone();
            std::thread::spawn(move || {
                (0..100u64)
                    .map(|i| {
                        let e = entry(w * 1000 + i);
                        (seq.append(vec![e.clone()]).unwrap(), e)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let appended: Vec<(u64, Entry)> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let note = seq.checkpoint().unwrap();
    drop(seq);
    let board = thread.join().unwrap();
    assert_eq!(board.size(), 800);
    let mut indices: Vec<u64> = appended.iter().map(|(i, _)| *i).collect();
    indices.sort_unstable();
    assert_eq!(indices, (0..800).collect::<Vec<_>>());
    for (i, e) in &appended {
        assert_eq!(board.entry(*i).unwrap().unwrap().entry, *e);
    }
    let log_key = NoteVerifier::parse(&signer().verifier_key()).unwrap();
    assert_eq!(Checkpoint::open(&note, &log_key).unwrap().size, 800);
}

#[test]
fn the_tiles_export_verifies_and_catches_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let mut board = new_board(&dir.path().join("board.db"), &[]);
    let log_key = NoteVerifier::parse(&signer().verifier_key()).unwrap();
    let out = dir.path().join("tiles");
    assert!(matches!(
        tiles::export(&board, &out),
        Err(BoardError::NoCheckpoint)
    ));
    // Sizes around the tile boundaries, and past one full level-1 tile (65,536 leaves).
    let mut size = 0;
    for target in [1u64, 255, 256, 257, 600, 65_536 + 300] {
        board
            .append(&(size..target).map(entry).collect::<Vec<_>>())
            .unwrap();
        size = target;
        board.checkpoint(&signer()).unwrap();
        let written = tiles::export(&board, &out).unwrap();
        assert_eq!(written.size, target);
        let v = tiles::verify_export(&out, &log_key).unwrap();
        assert_eq!(v.entries.len() as u64, target);
        assert_eq!(v.entries[target as usize - 1], entry(target - 1).data);
    }
    assert!(out.join("tile/0/255").exists() && out.join("tile/1/000").exists());
    assert!(out.join("tile/2/000.p/1").exists());
    // A second export writes only what changed.
    let again = tiles::export(&board, &out).unwrap();
    assert!(again.kept > 250, "{again:?}");

    // One flipped bit in a hash tile or in an entry bundle is caught.
    for rel in [
        "tile/0/017",
        "tile/entries/017",
        "tile/1/000",
        "tile/0/257.p/44",
    ] {
        let path = out.join(rel);
        let good = std::fs::read(&path).unwrap();
        let mut bad = good.clone();
        bad[good.len() / 2] ^= 0x10;
        std::fs::write(&path, &bad).unwrap();
        assert!(
            matches!(
                tiles::verify_export(&out, &log_key),
                Err(BoardError::Mismatch { .. })
            ),
            "{rel}"
        );
        std::fs::write(&path, &good).unwrap();
    }
    tiles::verify_export(&out, &log_key).unwrap();
    // A checkpoint not signed by the log is refused.
    let other = NoteVerifier::parse(
        &NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[9; 32]))
            .unwrap()
            .verifier_key(),
    )
    .unwrap();
    assert!(matches!(
        tiles::verify_export(&out, &other),
        Err(BoardError::Checkpoint(_))
    ));
}

#[test]
fn entries_beyond_64_kib_go_to_wide_bundles_and_still_verify() {
    let dir = tempfile::tempdir().unwrap();
    let mut board = new_board(&dir.path().join("board.db"), &[]);
    let big = Entry::new("ballot", vec![b'7'; 300_000]);
    board.append(&[entry(0), big.clone(), entry(2)]).unwrap();
    board.checkpoint(&signer()).unwrap();
    let out = dir.path().join("tiles");
    tiles::export(&board, &out).unwrap();
    assert!(out.join("entente/entries/000.p/3").exists());
    assert!(!out.join("tile/entries/000.p/3").exists());
    let log_key = NoteVerifier::parse(&signer().verifier_key()).unwrap();
    let v = tiles::verify_export(&out, &log_key).unwrap();
    assert_eq!(v.entries[1], big.data);
}

/// Found by the `log_export` fuzz target: the log's key signs whatever size its operator
/// chooses, and a reader listed every tile of that size before reading one (2^52 of them for
/// 2^60 leaves: the process aborted). Now it stops at the first tile that is not there, and the
/// tiles it does have still verify.
#[test]
fn a_signed_size_beyond_the_tiles_is_refused_at_the_first_missing_tile() {
    let dir = tempfile::tempdir().unwrap();
    let mut board = new_board(&dir.path().join("board.db"), &[]);
    board.append(&[entry(0), entry(1), entry(2)]).unwrap();
    board.checkpoint(&signer()).unwrap();
    let out = dir.path().join("tiles");
    tiles::export(&board, &out).unwrap();
    let log_key = NoteVerifier::parse(&signer().verifier_key()).unwrap();
    let held = tiles::verify_export(&out, &log_key).unwrap().checkpoint;
    for size in [1u64 << 60, u64::MAX, (1 << 40) + 3] {
        let note = Checkpoint {
            origin: ORIGIN.into(),
            size,
            root: held.root,
        }
        .sign(&signer());
        let err = tiles::verify_export_note(&out, note, &log_key).unwrap_err();
        assert!(err.to_string().contains("tile/0/000"), "{size}: {err}");
    }
    assert_eq!(tiles::tiles(u64::MAX).take(3).count(), 3);
    assert_eq!(
        tiles::tiles(70_000).collect::<Vec<_>>(),
        tiles::tiles_of(70_000)
    );
    // 273 full tiles and a partial one of leaves, one full and one partial of level 1, one
    // partial of level 2.
    assert_eq!(tiles::tiles_of(70_000).len(), 274 + 2 + 1);
}

#[test]
fn a_board_that_shows_two_witnesses_two_histories_is_caught_with_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.db");
    let mut board = new_board(&path, &[1, 2]);
    board
        .append(&(0..20).map(entry).collect::<Vec<_>>())
        .unwrap();
    let common = board.checkpoint(&signer()).unwrap();
    let open_witness = |p: u8| {
        let (name, key) = witness_key(p);
        WitnessDir::open(
            &dir.path().join(format!("w{p}")),
            &name,
            key,
            &[signer().verifier_key()],
        )
        .unwrap()
    };
    let (mut w1, mut w2) = (open_witness(1), open_witness(2));
    w1.add_checkpoint(&common, 0, &[], 1).unwrap();
    w2.add_checkpoint(&common, 0, &[], 1).unwrap();

    // The operator forks the database: one history drops ballot 20, the other keeps it.
    drop(board);
    let fork = dir.path().join("fork.db");
    std::fs::copy(&path, &fork).unwrap();
    let mut honest = Board::open(SqliteStorage::open(&path).unwrap()).unwrap();
    let mut forked = Board::open(SqliteStorage::open(&fork).unwrap()).unwrap();
    honest
        .append(&(20..30).map(entry).collect::<Vec<_>>())
        .unwrap();
    forked
        .append(&(21..31).map(entry).collect::<Vec<_>>())
        .unwrap();
    let a = honest.checkpoint(&signer()).unwrap();
    let b = forked.checkpoint(&signer()).unwrap();
    assert_ne!(a, b);

    // Each witness alone sees a consistent history and cosigns it…
    let line1 = w1
        .add_checkpoint(&a, 20, &honest.consistency_proof(20, 30).unwrap(), 2)
        .unwrap();
    w2.add_checkpoint(&b, 20, &forked.consistency_proof(20, 30).unwrap(), 2)
        .unwrap();
    // …but no checkpoint carries both cosignatures: publishing needs the other witness too,
    // and it refuses the other history with the two notes kept as evidence.
    let err = w2
        .add_checkpoint(&a, 30, &[], 3)
        .expect_err("two roots for one size");
    assert!(matches!(err, BoardError::SplitView(_)));
    let files = w2.evidence_files().unwrap();
    assert_eq!(files.len(), 1);
    let evidence = std::fs::read_to_string(&files[0]).unwrap();
    assert!(evidence.contains(&a) && evidence.contains(&b));
    // The fork's checkpoint cannot borrow witness 1's cosignature of the honest one.
    assert!(forked.add_cosignatures(&format!("{a}{line1}")).is_err());
    assert_eq!(forked.published().unwrap().map(|p| p.0), None);
    // The evidence stays across a restart.
    let (name, key) = witness_key(2);
    let reopened = WitnessDir::open(&dir.path().join("w2"), &name, key, &[]).unwrap();
    assert_eq!(reopened.evidence_files().unwrap().len(), 1);
}

/// The checkpoint of `board` as a client parses it.
fn parsed(note: &str) -> entente_board::note::Checkpoint {
    let log_key = NoteVerifier::parse(&signer().verifier_key()).unwrap();
    entente_board::note::Checkpoint::open(note, &log_key).unwrap()
}

#[test]
fn a_checkpoint_is_taken_only_if_its_tiles_extend_the_one_held() {
    let dir = tempfile::tempdir().unwrap();
    let log_key = NoteVerifier::parse(&signer().verifier_key()).unwrap();
    let mut board = new_board(&dir.path().join("board.db"), &[]);
    let out = dir.path().join("tiles");
    // Growth across the tile boundaries (partial to full tiles, one level up) extends.
    let mut size = 0;
    let mut held = None;
    for target in [3u64, 255, 256, 257, 700] {
        board
            .append(&(size..target).map(entry).collect::<Vec<_>>())
            .unwrap();
        size = target;
        let note = board.checkpoint(&signer()).unwrap();
        tiles::export(&board, &out).unwrap();
        if let Some(h) = &held {
            tiles::verify_extension(&out, note.clone(), &log_key, h).unwrap();
            // A client that holds the first entries reads only the new ones.
            let grown = tiles::verify_extension_after(&out, note.clone(), &log_key, h).unwrap();
            assert_eq!(grown.first, h.size);
            let new: Vec<Vec<u8>> = (h.size..target).map(|i| entry(i).data).collect();
            assert_eq!(grown.entries, new);
        }
        held = Some(parsed(&note));
    }
    // The same key over a history that differs in one entry of the held tree's last, partial
    // tile (entry 690 of 700, whose tile a client fetches anew), grown past the held size.
    let held = held.unwrap();
    let mut rewritten = new_board(&dir.path().join("rewritten.db"), &[]);
    let changed: Vec<Entry> = (0..720)
        .map(|i| if i == 690 { entry(9_999) } else { entry(i) })
        .collect();
    rewritten.append(&changed).unwrap();
    let note = rewritten.checkpoint(&signer()).unwrap();
    let other = dir.path().join("rewritten-tiles");
    tiles::export(&rewritten, &other).unwrap();
    // Its tiles verify on their own (it is a well-formed log under the key)…
    tiles::verify_export(&other, &log_key).unwrap();
    // …but not as an extension of what the client held, whether it reads every entry again
    // or only those after the ones it holds.
    for err in [
        tiles::verify_extension(&other, note.clone(), &log_key, &held).unwrap_err(),
        tiles::verify_extension_after(&other, note.clone(), &log_key, &held).unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                BoardError::Inconsistent {
                    held_size: 700,
                    size: 720,
                    ..
                }
            ),
            "{err}"
        );
    }
    // A smaller log is no extension either.
    let mut small = new_board(&dir.path().join("small.db"), &[]);
    small
        .append(&(0..600).map(entry).collect::<Vec<_>>())
        .unwrap();
    let note = small.checkpoint(&signer()).unwrap();
    let small_tiles = dir.path().join("small-tiles");
    tiles::export(&small, &small_tiles).unwrap();
    assert!(matches!(
        tiles::verify_extension(&small_tiles, note, &log_key, &held),
        Err(BoardError::Inconsistent { .. })
    ));
}

/// A reader opened before entries were appended still proves them: its leaf hash, root and
/// inclusion proof come from what is stored, not from what it saw when it opened.
#[test]
fn a_reader_proves_entries_appended_after_it_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.db");
    let mut writer = new_board(&path, &[]);
    let reader = Board::open(SqliteStorage::open_read_only(&path).unwrap()).unwrap();
    assert!(reader.leaf_hash(0).is_err_and(|e| e.is_outside_the_log()));
    writer
        .append(&[
            Entry::new("ballot", b"first".to_vec()),
            Entry::new("ballot", b"second".to_vec()),
        ])
        .unwrap();
    assert_eq!(
        reader.leaf_hash(1).unwrap(),
        entente_board::leaf_hash(b"second")
    );
    let proof = reader.inclusion_proof(1, 2).unwrap();
    entente_board::verify_inclusion(
        1,
        2,
        &reader.leaf_hash(1).unwrap(),
        &proof,
        &reader.root(2).unwrap(),
    )
    .unwrap();
    assert!(reader.leaf_hash(2).is_err_and(|e| e.is_outside_the_log()));
}

#[test]
fn an_append_proves_its_entries_without_reading_and_the_proofs_are_the_trees() {
    let dir = tempfile::tempdir().unwrap();
    let mut board = new_board(&dir.path().join("b.db"), &[]);
    let mut rng = StdRng::seed_from_u64(24);
    let mut next = 0u64;
    while next < 200 {
        let n = rng.random_range(1..=6u64);
        let first = board
            .append(&(next..next + n).map(entry).collect::<Vec<_>>())
            .unwrap();
        next += n;
        let size = board.size();
        for index in first..size {
            let proof = board.recent_proof(index).expect("an entry of the append");
            assert_eq!(proof, board.inclusion_proof(index, size).unwrap());
            let leaf = entente_board::leaf_hash(&entry(index).data);
            verify_inclusion(index, size, &leaf, &proof, &board.root(size).unwrap()).unwrap();
        }
        // What it cannot prove from memory it does not make up.
        for index in 0..first {
            if let Some(proof) = board.recent_proof(index) {
                assert_eq!(proof, board.inclusion_proof(index, size).unwrap());
            }
        }
    }
    // Once the handle has read its place again, it proves nothing from memory.
    let mut reopened = Board::open(SqliteStorage::open(&dir.path().join("b.db")).unwrap()).unwrap();
    assert_eq!(reopened.recent_proof(next - 1), None);
    reopened.sync().unwrap();
    assert_eq!(reopened.recent_proof(next - 1), None);
}
