//! The board's two storages keep the same promises: the same appends give the same entries,
//! keys, bodies, tree and checkpoints on SQLite and on a real PostgreSQL (a throw-away cluster
//! started by the test, as `.ci/run` installs Debian's `postgresql`); what was appended is there
//! after reconnecting; a database that holds no board is refused untouched; one checkpoint per
//! size.

use ed25519_dalek::SigningKey;
use entente_board::note::NoteSigner;
use entente_board::pg_cluster::ThrowawayCluster;
use entente_board::{
    Board, BoardConfig, BoardError, Entry, MemoryStore, MerkleLog, PgStorage, SqliteStorage,
    Storage, verify_inclusion,
};

const ORIGIN: &str = "board.example/storage";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[7; 32])).unwrap()
}

fn config() -> BoardConfig {
    BoardConfig {
        origin: ORIGIN.into(),
        log_key: signer().verifier_key(),
        witnesses: vec![],
    }
}

/// Entries of several kinds, some with keys and bodies (two sharing one body).
fn entries() -> Vec<Entry> {
    (0..37u32)
        .map(|i| {
            let e = Entry::new(
                if i % 3 == 0 { "ballot" } else { "step" },
                vec![i as u8; 10 + i as usize],
            )
            .with_key("author", format!("device-{}", i % 4));
            match i % 5 {
                0 => e.with_body(format!("body {i}").into_bytes()),
                1 => e.with_body(b"shared".to_vec()),
                _ => e,
            }
        })
        .collect()
}

fn cluster() -> ThrowawayCluster {
    ThrowawayCluster::start().unwrap_or_else(|e| panic!("the PostgreSQL tests need it: {e}"))
}

/// Appends the entries in uneven batches with a checkpoint after each; returns the board.
fn filled<S: Storage>(storage: S) -> Board<S> {
    let mut board = Board::init(storage, config()).unwrap();
    let all = entries();
    let mut at = 0;
    for size in [1, 5, 2, 13, 16] {
        board.append(&all[at..at + size]).unwrap();
        at += size;
        board.checkpoint(&signer()).unwrap();
    }
    board
}

/// Everything a reader asks of a storage, as one comparable value.
fn contents<S: Storage>(s: &S) -> String {
    let size = s.size().unwrap();
    let mut out = format!("size {size}\n");
    for i in 0..size {
        out.push_str(&format!("{:?}\n", s.entry(i).unwrap().map(|e| e.entry)));
    }
    out.push_str(&format!("{:?}\n", s.entry_data(3, 20).unwrap()));
    out.push_str(&format!("{:?}\n", s.body_digests(0, size).unwrap()));
    out.push_str(&format!("{:?}\n", s.keyed("author", 3, 20).unwrap()));
    for level in 0..6 {
        out.push_str(&format!("{:?}\n", s.nodes(level, 0, size).unwrap()));
    }
    for d in 0..4 {
        out.push_str(&format!(
            "{:?}\n",
            s.find("author", &format!("device-{d}")).unwrap()
        ));
    }
    out.push_str(&format!("{:?}\n", s.find("author", "nobody").unwrap()));
    for size in [1, 6, 8, 21, 37, 38] {
        out.push_str(&format!("{:?}\n", s.checkpoint(size).unwrap().is_some()));
        out.push_str(&format!(
            "{:?}\n",
            s.checkpoint_below(size).unwrap().map(|c| c.0)
        ));
    }
    out.push_str(&format!("{:?}\n", s.setting("origin").unwrap()));
    out
}

#[test]
fn postgres_keeps_what_sqlite_keeps() {
    let pg = cluster();
    let tmp = tempfile::tempdir().unwrap();
    let sqlite = filled(SqliteStorage::open(&tmp.path().join("board.db")).unwrap());
    let url = pg.new_database("board").unwrap();
    let board = filled(PgStorage::connect(&url).unwrap());
    assert_eq!(contents(sqlite.storage()), contents(board.storage()));

    // The tree is the reference log's, and its proofs verify.
    let mut reference = MerkleLog::new(MemoryStore::default());
    for e in entries() {
        reference.append(&e.data).unwrap();
    }
    assert_eq!(board.root(37).unwrap(), reference.root(37).unwrap());
    for i in [0, 17, 36] {
        let proof = board.inclusion_proof(i, 37).unwrap();
        let leaf = entente_board::leaf_hash(&entries()[i as usize].data);
        verify_inclusion(i, 37, &leaf, &proof, &board.root(37).unwrap()).unwrap();
    }

    // Reconnected, everything is there; a checkpoint for a size is recorded once.
    drop(board);
    let mut again = PgStorage::connect_existing(&url).unwrap();
    assert_eq!(contents(sqlite.storage()), contents(&again));
    let first = again.checkpoint(37).unwrap().unwrap();
    assert_eq!(again.record_checkpoint(37, "another note").unwrap(), first);
}

#[test]
fn a_postgres_database_without_a_board_is_refused_untouched() {
    let pg = cluster();
    let url = pg.new_database("empty").unwrap();
    assert!(matches!(
        PgStorage::connect_existing(&url),
        Err(BoardError::NotInitialised)
    ));
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "connect_existing created tables");
    // A board is initialised once.
    let board = filled(PgStorage::connect(&url).unwrap());
    drop(board);
    assert!(matches!(
        Board::init(PgStorage::connect(&url).unwrap(), config()),
        Err(BoardError::AlreadyInitialised(_))
    ));
}
