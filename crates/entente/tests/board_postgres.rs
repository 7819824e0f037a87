//! The board on PostgreSQL (`--db postgres://…`): a whole networked election whose board is a
//! throw-away PostgreSQL cluster's database, served by three servers with the roles spread over
//! them (each step checked by a server that must first catch up with the others'), its record
//! verified against the log the database holds; the commands by hand on it; one writer at a time, held by an advisory lock that the
//! database releases with its holder; a database that holds a board refused by `board init`.
//! PostgreSQL comes from Debian's `postgresql` package (`.ci/run` installs it); without it the
//! test fails and says so, it is never skipped.

use entente_board::pg_cluster::ThrowawayCluster;
use entente_board::{Board, BoardDb, NodeRead};

mod common;
use common::{s, status_and_text};

const PASS: &str = "correct horse battery staple";

/// `entente ARGS` with a passphrase for its keys: (exit status, stdout and stderr).
fn with_pass(args: &[&str]) -> (i32, String) {
    common::status_and_text_with(args, &[("ENTENTE_PASSPHRASE", PASS)])
}

/// `entente board init` in `url` with a new log key named `origin` in `dir`.
fn init(url: &str, origin: &str, dir: &std::path::Path) -> (i32, String) {
    let key = dir.join(format!("{origin}.key"));
    keygen(&key, origin);
    with_pass(&[
        "board",
        "init",
        "--db",
        url,
        "--origin",
        origin,
        "--key",
        s(&key),
    ])
}

fn keygen(key: &std::path::Path, name: &str) {
    let (code, text) = with_pass(&[
        "keygen",
        "--out",
        s(key),
        "--name",
        name,
        "--role",
        "log",
        "--scrypt-log-n",
        "2",
    ]);
    assert_eq!(code, 0, "{text}");
}

fn cluster() -> ThrowawayCluster {
    ThrowawayCluster::start().unwrap_or_else(|e| {
        panic!("these tests need PostgreSQL (apt-get install postgresql, or run .ci/run): {e}")
    })
}

#[test]
fn an_election_runs_on_three_servers_sharing_a_postgres_board_and_its_record_verifies() {
    let pg = cluster();
    let url = pg.new_database("riverside").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("record");
    let (code, text) = status_and_text(&[
        "demo",
        "--ballots",
        "4",
        "--group",
        "p256",
        "--db",
        &url,
        "--servers",
        "3",
        "--dir",
        s(&record),
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("The board: 3 servers"), "{text}");
    assert!(
        text.contains("All 14 verifications that apply hold"),
        "{text}"
    );
    assert!(text.contains("Log: the record holds"), "{text}");

    // The database is the log the record was exported from.
    let db: BoardDb = url.parse().unwrap();
    let board = Board::open(db.open_read_only().unwrap()).unwrap();
    let checkpoint = std::fs::read_to_string(record.join("log/checkpoint")).unwrap();
    let size: u64 = checkpoint.lines().nth(1).unwrap().parse().unwrap();
    assert!(board.storage().size().unwrap() >= size);
    let (code, text) = status_and_text(&["verify", s(&record)]);
    assert_eq!(code, 0, "{text}");

    // The commands by hand read it.
    let ballot = common::a_ballot(&record);
    let name = ballot.file_name().unwrap().to_string_lossy().into_owned();
    let id = name
        .trim_start_matches("eballot-")
        .trim_end_matches(".json");
    let (code, text) = status_and_text(&[
        "board",
        "find",
        "--db",
        &url,
        "--key",
        &format!("ballot_id={id}"),
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(text.trim().parse::<u64>().is_ok(), "{text}");
    let (code, text) = status_and_text(&["board", "prove", "--db", &url, "--index", "0"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("\"hashes\"") || text.contains("\"proof\""),
        "{text}"
    );

    // A read-only connection cannot write.
    let mut reader = db.open_read_only().unwrap();
    assert!(entente_board::Storage::set_setting(&mut reader, "x", "y").is_err());

    // A database that holds a board is not made a board again.
    let (code, text) = init(&url, "again", tmp.path());
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("holds a board already"), "{text}");
}

/// A cluster with a new board in its database `name`: (the cluster, its URL, the folder of its
/// log key).
fn new_board(name: &str) -> (ThrowawayCluster, String, tempfile::TempDir) {
    let pg = cluster();
    let url = pg.new_database(name).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (code, text) = init(&url, &format!("{name}.example"), tmp.path());
    assert_eq!(code, 0, "{text}");
    (pg, url, tmp)
}

#[test]
fn servers_share_a_postgres_board_and_a_writer_by_hand_has_it_alone() {
    let (_pg, url, tmp) = new_board("held");
    let file = tmp.path().join("manifest.json");
    std::fs::write(&file, b"{}").unwrap();

    let append = || {
        with_pass(&[
            "board",
            "append",
            "--db",
            &url,
            "--kind",
            "manifest",
            s(&file),
        ])
    };
    let db: BoardDb = url.parse().unwrap();
    let held = db.lock_serve().unwrap();
    // Several servers share it (the database sequences their appends); a writer by hand is
    // refused, naming who serves it.
    let second = db.lock_serve().unwrap();
    let (code, text) = append();
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("served by process"), "{text}");
    // Released with its holders' connections.
    drop(held);
    drop(second);
    let (code, text) = append();
    assert_eq!(code, 0, "{text}");
    // A server is refused while a writer by hand holds it.
    let writing = db.lock_write(|_| {}).unwrap();
    assert!(
        db.lock_serve()
            .is_err_and(|e| e.to_string().contains("written by process"))
    );
    drop(writing);
    assert!(db.lock_serve().is_ok());
}

#[test]
fn a_server_on_a_postgres_board_stops_cleanly_when_asked() {
    use std::io::Read;
    let (_pg, url, tmp) = new_board("stopped");
    let roles = tmp.path().join("roles.json");
    std::fs::write(&roles, b"{}").unwrap();
    let args = [
        "serve",
        "--db",
        &url,
        "--roles",
        s(&roles),
        "--listen",
        "127.0.0.1:0",
    ];
    let (mut server, _) = common::start(PASS, &args, true);
    // Ctrl-C: its connections close outside the async runtime, without a panic.
    let killed = std::process::Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = server.wait().unwrap();
    let mut stderr = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn two_inits_at_once_on_one_empty_database_make_one_board() {
    let pg = cluster();
    let url = pg.new_database("raced").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dirs = [tmp.path().join("a"), tmp.path().join("b")];
    for d in &dirs {
        std::fs::create_dir(d).unwrap();
    }
    let outcomes: Vec<(i32, String)> = std::thread::scope(|scope| {
        let runs: Vec<_> = dirs
            .iter()
            .zip(["first.example", "second.example"])
            .map(|(d, origin)| {
                let url = &url;
                scope.spawn(move || init(url, origin, d))
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let made: Vec<_> = outcomes.iter().filter(|(code, _)| *code == 0).collect();
    assert_eq!(made.len(), 1, "{outcomes:?}");
    let refused = outcomes.iter().find(|(code, _)| *code != 0).unwrap();
    assert_eq!(refused.0, 2, "{outcomes:?}");
    assert!(refused.1.contains("holds a board already"), "{outcomes:?}");
}
