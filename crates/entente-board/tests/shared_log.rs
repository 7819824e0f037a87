//! Several writers on one PostgreSQL database (issue 24: several servers, one log). Appends
//! from separate connections interleave into one log in which every append is once, where its
//! writer was told, with the tree of all of them; and what a writer checked before its batch
//! is checked again with the sequencing held, so that two servers cannot both take one ballot
//! id, nor log a write that another's step overtook.

use std::collections::BTreeMap;

use ed25519_dalek::SigningKey;
use entente_board::note::NoteSigner;
use entente_board::pg_cluster::ThrowawayCluster;
use entente_board::sequencer::{Conditions, Setup};
use entente_board::{
    Board, BoardConfig, BoardError, Entry, MemoryStore, MerkleLog, NodeRead, PgStorage, Sequencer,
    Storage,
};

const ORIGIN: &str = "board.example/shared";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[9; 32])).unwrap()
}

fn cluster() -> ThrowawayCluster {
    ThrowawayCluster::start().unwrap_or_else(|e| panic!("the PostgreSQL tests need it: {e}"))
}

/// A new database with an empty board; its URL.
fn board_database(pg: &ThrowawayCluster, name: &str) -> String {
    let url = pg.new_database(name).unwrap();
    let config = BoardConfig {
        origin: ORIGIN.into(),
        log_key: signer().verifier_key(),
        witnesses: vec![],
    };
    Board::init(PgStorage::connect(&url).unwrap(), config).unwrap();
    url
}

#[test]
fn writers_on_separate_connections_make_one_log_with_each_append_once_where_it_was_told() {
    let pg = cluster();
    let url = board_database(&pg, "interleaved");
    let told: BTreeMap<u64, Vec<u8>> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..3u8)
            .map(|w| {
                let url = url.clone();
                scope.spawn(move || {
                    // Each writer its own handle, as each server has: its frontier goes stale
                    // whenever another appends, and must be brought up to date under the hold.
                    let mut board = Board::open(PgStorage::connect(&url).unwrap()).unwrap();
                    let mut told = Vec::new();
                    for batch in 0..30u8 {
                        let entries: Vec<Entry> = (0..=batch % 3)
                            .map(|i| Entry::new("test", vec![w, batch, i]))
                            .collect();
                        let first = board.append(&entries).unwrap();
                        for (i, e) in entries.into_iter().enumerate() {
                            told.push((first + i as u64, e.data));
                        }
                        if batch % 7 == 0 {
                            board.checkpoint(&signer()).unwrap();
                        }
                    }
                    told
                })
            })
            .collect();
        writers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let storage = PgStorage::connect_existing(&url).unwrap();
    let size = storage.size().unwrap();
    assert_eq!(
        told.len() as u64,
        size,
        "no index was told twice, none skipped"
    );
    assert_eq!(
        told.keys().copied().collect::<Vec<_>>(),
        (0..size).collect::<Vec<_>>()
    );
    for (&i, data) in &told {
        assert_eq!(
            &storage.entry(i).unwrap().unwrap().entry.data,
            data,
            "entry {i}"
        );
    }
    // The stored tree is the tree of the entries in log order, at every checkpoint too.
    let board = Board::open(storage).unwrap();
    let mut reference = MerkleLog::new(MemoryStore::default());
    for data in told.values() {
        reference.append(data).unwrap();
    }
    assert_eq!(board.root(size).unwrap(), reference.root(size).unwrap());
    let mut at = u64::MAX;
    while let Some((cp, _)) = board.storage().checkpoint_below(at).unwrap() {
        assert_eq!(
            board.root(cp).unwrap(),
            reference.root(cp).unwrap(),
            "size {cp}"
        );
        at = cp;
    }
}

fn sequencer(url: &str) -> Sequencer {
    let board = Board::open(PgStorage::connect_existing(url).unwrap()).unwrap();
    let setup = Setup {
        max_batch: 16,
        signer: Some(signer()),
        watch: Some("step".into()),
    };
    Sequencer::start_with(board, setup).unwrap().0
}

fn unique(id: &str) -> Conditions {
    Conditions {
        unique: vec![("ballot_id".into(), id.into())],
        ..Conditions::default()
    }
}

#[test]
fn what_a_server_checked_is_checked_again_when_its_write_is_sequenced() {
    let pg = cluster();
    let url = board_database(&pg, "conditions");
    let (a, b) = (sequencer(&url), sequencer(&url));
    let ballot = |id: &str| Entry::new("ballot", id.as_bytes().to_vec()).with_key("ballot_id", id);

    // One ballot id, taken once whichever server sequences it.
    assert_eq!(a.append_if(vec![ballot("b1")], unique("b1")).unwrap(), 0);
    match b.append_if(vec![ballot("b1")], unique("b1")) {
        Err(BoardError::Taken { name, value }) => {
            assert_eq!((&*name, &*value), ("ballot_id", "b1"))
        }
        other => panic!("a second b1 was not refused: {other:?}"),
    }
    // Nor twice in one batch of one server.
    let (one, two) = std::thread::scope(|s| {
        let x = s.spawn(|| b.append_if(vec![ballot("b2")], unique("b2")));
        let y = s.spawn(|| b.append_if(vec![ballot("b2")], unique("b2")));
        (x.join().unwrap(), y.join().unwrap())
    });
    assert!(one.is_ok() != two.is_ok(), "{one:?} {two:?}");

    // A step from the other server overtakes what was checked before it, not what after.
    let step = a
        .append(vec![
            Entry::new("close", b"close".to_vec()).with_key("step", "close"),
        ])
        .unwrap();
    let checked_at = |since| Conditions {
        watched_since: Some(since),
        ..unique(&format!("c{since}"))
    };
    let c = |since: u64| Entry::new("ballot", format!("c{since}").into_bytes());
    match b.append_if(vec![c(step)], checked_at(step)) {
        Err(BoardError::Overtaken { index }) => assert_eq!(index, step),
        other => panic!("an overtaken write was logged: {other:?}"),
    }
    b.append_if(vec![c(step + 1)], checked_at(step + 1))
        .unwrap();
    // The server's own steps are its own state: they overtake nothing.
    let own = b
        .append(vec![
            Entry::new("close", b"again".to_vec()).with_key("step", "close"),
        ])
        .unwrap();
    b.append_if(vec![c(own)], checked_at(step + 1)).unwrap();

    // A device's chain, checked below an index, is overtaken by its ballot at or after it.
    let dev = a
        .append(vec![
            Entry::new("ballot", b"d".to_vec()).with_key("author", "dev-1"),
        ])
        .unwrap();
    let absent = |since| Conditions {
        absent_since: vec![("author".into(), "dev-1".into(), since)],
        ..Conditions::default()
    };
    let close = || Entry::new("device-close", b"chain".to_vec());
    assert!(matches!(
        b.append_if(vec![close()], absent(dev)),
        Err(BoardError::Overtaken { .. })
    ));
    b.append_if(vec![close()], absent(dev + 1)).unwrap();

    // Both servers sign the same checkpoint of what is committed.
    let (ca, cb) = (a.checkpoint().unwrap(), b.checkpoint().unwrap());
    assert_eq!(ca, cb);
    // Either server's checkpoint covers what it appended and is the log's at its size.
    let reader = Board::open(PgStorage::connect(&url).unwrap()).unwrap();
    for (server, covering) in [(&a, dev + 1), (&b, 1), (&a, reader.size())] {
        let note = server.checkpoint().unwrap();
        let text = entente_board::note::SignedNote::parse(&note).unwrap().text;
        let cp = entente_board::note::Checkpoint::parse(&text).unwrap();
        assert!(cp.size >= covering, "{} < {covering}", cp.size);
        assert_eq!(cp.root, reader.root(cp.size).unwrap());
        assert_eq!(reader.checkpoint_at(cp.size).unwrap(), Some(note));
    }
}

#[test]
fn a_writer_whose_connection_is_cut_connects_again_and_appends_each_entry_once() {
    let pg = cluster();
    let url = board_database(&pg, "cut");
    let mut board = Board::open(PgStorage::connect_existing(&url).unwrap()).unwrap();
    board
        .append(&[Entry::new("test", b"before".to_vec())])
        .unwrap();
    // The database ends every other session, as a restart or a network cut would.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .unwrap();
    // The call that finds the connection lost fails (its writer is told, nothing is taken as
    // durable); the next connects again.
    let mut tries = 0;
    while board
        .append(&[Entry::new("test", b"after".to_vec())])
        .is_err()
    {
        tries += 1;
        assert!(tries < 3, "the board did not connect again");
    }
    let storage = PgStorage::connect_existing(&url).unwrap();
    assert_eq!(storage.size().unwrap(), 2);
    assert_eq!(storage.entry(1).unwrap().unwrap().entry.data, b"after");
}

/// A node read while its append is held, then taken back by a failed release, is not kept by
/// the node cache: the next append's node at that place is the one read, and proofs of the
/// log verify against its root. The size and the keyed entries read in one statement agree
/// with each read alone.
#[test]
fn a_node_taken_back_by_a_failed_release_is_never_served_and_keyed_reads_agree() {
    let pg = cluster();
    let url = board_database(&pg, "taken_back");
    let mut board = Board::open(PgStorage::connect(&url).unwrap()).unwrap();
    board
        .append(&[Entry::new("test", b"first".to_vec())])
        .unwrap();
    // Read through the cache once, committed.
    let leaf0 = board.storage().node(0, 0).unwrap();
    assert_eq!(leaf0, entente_board::leaf_hash(b"first"));
    board.hold().unwrap();
    board
        .append_held(&[Entry::new("test", b"taken back".to_vec())])
        .unwrap();
    assert_eq!(
        board.storage().node(0, 1).unwrap(),
        entente_board::leaf_hash(b"taken back")
    );
    board.release(false).unwrap();
    board
        .append(&[Entry::new("test", b"kept".to_vec())])
        .unwrap();
    assert_eq!(
        board.storage().node(0, 1).unwrap(),
        entente_board::leaf_hash(b"kept")
    );
    let mut reference = MerkleLog::new(MemoryStore::default());
    reference.append(b"first").unwrap();
    reference.append(b"kept").unwrap();
    assert_eq!(board.root(2).unwrap(), reference.root(2).unwrap());
    // The size and the keyed entries read at once agree with each read alone.
    board
        .append(&[
            Entry::new("step", b"s".to_vec()).with_key("step", "close"),
            Entry::new("test", b"t".to_vec()),
        ])
        .unwrap();
    let storage = board.storage();
    assert_eq!(storage.keyed_since("step", 0).unwrap(), (4, vec![2]));
    assert_eq!(storage.keyed_since("step", 3).unwrap(), (4, vec![]));
    assert_eq!(storage.keyed("step", 0, 4).unwrap(), vec![2]);
    let pair = |n: &str, v: &str| (n.to_owned(), v.to_owned());
    assert_eq!(
        storage
            .find_any(&[pair("step", "open"), pair("step", "close")])
            .unwrap(),
        Some(pair("step", "close"))
    );
    assert_eq!(storage.find_any(&[pair("step", "open")]).unwrap(), None);
    assert_eq!(storage.find_any(&[]).unwrap(), None);
    assert_eq!(
        board.storage().node(1, 0).unwrap(),
        reference.store().node(1, 0).unwrap()
    );
}

#[test]
fn a_batch_in_one_statement_keeps_shared_bodies_once_and_the_frontier_read_at_once_is_the_tree() {
    let pg = cluster();
    let url = board_database(&pg, "one_statement");
    let mut board = Board::open(PgStorage::connect(&url).unwrap()).unwrap();
    let mut reference = MerkleLog::new(MemoryStore::default());
    let mut bodies = BTreeMap::new();
    for batch in 0..12u8 {
        // Entries with a body (two of them the same body), keyed and not, and one without.
        let shared = vec![b's', batch / 4];
        let entries = [
            Entry::new("ballot", vec![batch, 0])
                .with_key("ballot", format!("b{batch}"))
                .with_body(shared.clone()),
            Entry::new("step", vec![batch, 1]).with_body(shared.clone()),
            Entry::new("note", vec![batch, 2]),
        ];
        let first = board
            .append(&entries[..1 + usize::from(batch) % 3])
            .unwrap();
        for (i, e) in entries[..1 + usize::from(batch) % 3].iter().enumerate() {
            reference.append(&e.data).unwrap();
            if let Some(b) = &e.body {
                bodies.insert(first + i as u64, b.clone());
            }
        }
        // The checkpoint's root, from the handle's frontier, is the tree's.
        let note = board.checkpoint(&signer()).unwrap();
        let size = reference.size().unwrap();
        let text = entente_board::note::SignedNote::parse(&note).unwrap().text;
        let cp = entente_board::note::Checkpoint::parse(&text).unwrap();
        assert_eq!((cp.size, cp.root), (size, reference.root(size).unwrap()));
    }
    let size = reference.size().unwrap();
    let storage = PgStorage::connect(&url).unwrap();
    for n in 0..=size {
        // Read at once (and again, from the cache) as node by node.
        let one_by_one: Vec<(u32, [u8; 32])> = (0..64u32)
            .filter(|l| n >> l & 1 == 1)
            .map(|l| (l, storage.node(l, (n >> l) - 1).unwrap()))
            .collect();
        let fresh = PgStorage::connect(&url).unwrap();
        assert_eq!(fresh.frontier(n).unwrap(), one_by_one, "size {n}");
        assert_eq!(storage.frontier(n).unwrap(), one_by_one, "size {n}");
    }
    // Every body is served by its digest and its entry; a key finds its entry.
    for (index, body) in &bodies {
        let stored = storage.entry(*index).unwrap().unwrap();
        assert_eq!(stored.entry.body.as_ref(), Some(body));
        assert_eq!(
            storage
                .body(&entente_board::store::body_digest(body))
                .unwrap()
                .as_ref(),
            Some(body)
        );
    }
    assert_eq!(storage.find("ballot", "b5").unwrap().len(), 1);
    // The hold reads the size with it.
    let mut held = PgStorage::connect(&url).unwrap();
    assert_eq!(held.hold().unwrap(), size);
    held.release(false).unwrap();
}

#[test]
fn a_batch_records_its_checkpoint_with_its_entries_and_a_stranger_key_signs_none() {
    let pg = cluster();
    let url = board_database(&pg, "recorded");
    let a = sequencer(&url);
    let reader = Board::open(PgStorage::connect(&url).unwrap()).unwrap();
    let first = a.append(vec![Entry::new("test", b"one".to_vec())]).unwrap();
    // Committed with the entry, before anyone asked for it; the receipt's is that note.
    let recorded = reader.checkpoint_at(first + 1).unwrap().expect("recorded");
    assert_eq!(a.checkpoint().unwrap(), recorded);
    let text = entente_board::note::SignedNote::parse(&recorded)
        .unwrap()
        .text;
    let cp = entente_board::note::Checkpoint::parse(&text).unwrap();
    assert_eq!(
        (cp.size, cp.root),
        (first + 1, reader.root(first + 1).unwrap())
    );
    // An append is answered with that checkpoint and its entry's proof in it, from memory.
    for n in 1..6u8 {
        let entries: Vec<Entry> = (0..n).map(|i| Entry::new("test", vec![n, i])).collect();
        let appended = a
            .append_proved(entries.clone(), Conditions::default())
            .unwrap();
        let (note, proof) = appended.proved.expect("proved");
        let text = entente_board::note::SignedNote::parse(&note).unwrap().text;
        let cp = entente_board::note::Checkpoint::parse(&text).unwrap();
        assert_eq!(reader.checkpoint_at(cp.size).unwrap(), Some(note));
        assert_eq!(cp.size, appended.first + u64::from(n));
        entente_board::verify_inclusion(
            appended.first,
            cp.size,
            &entente_board::leaf_hash(&entries[0].data),
            &proof,
            &cp.root,
        )
        .unwrap();
        assert_eq!(
            proof,
            reader.inclusion_proof(appended.first, cp.size).unwrap()
        );
    }

    // A sequencer whose key is not the log's appends, and records no checkpoint.
    let board = Board::open(PgStorage::connect_existing(&url).unwrap()).unwrap();
    let stranger = NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[7; 32])).unwrap();
    let setup = Setup {
        max_batch: 16,
        signer: Some(stranger),
        watch: None,
    };
    let (b, _thread) = Sequencer::start_with(board, setup).unwrap();
    let second = b
        .append_proved(
            vec![Entry::new("test", b"two".to_vec())],
            Conditions::default(),
        )
        .unwrap();
    assert!(second.proved.is_none());
    let second = second.first;
    assert_eq!(reader.checkpoint_at(second + 1).unwrap(), None);
    assert!(b.checkpoint().is_err());
}
