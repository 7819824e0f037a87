//! `entente witness follow` (issue 22, item 4): a witness that follows a log by itself polls
//! the board, cosigns a checkpoint only when the log proves it extends the one it cosigned
//! last, hands the cosignature back (the board serves it), and on a log that shows it two
//! histories refuses, keeps the evidence and exits 1, with no push from the server.

mod common;

use std::path::Path;

use common::{Running, entente, ok, run, s};

const PASS: &str = "follow-test";
const ORIGIN: &str = "board.example/follow-test";

/// `board append` of one small entry, then `board checkpoint`, by hand (the board not served).
fn grow(db: &Path, d: &Path, text: &str) {
    let entry = d.join(format!("{text}.json"));
    std::fs::write(&entry, format!("{{\"note\": \"{text}\"}}")).unwrap();
    run(PASS, &["board", "append", "--db", s(db), s(&entry)]);
    run(PASS, &["board", "checkpoint", "--db", s(db)]);
}

/// `board init` of a board for ORIGIN under `log_key`, with the witness in its policy.
fn init(db: &Path, log_key: &Path, witness: &str) {
    run(
        PASS,
        &[
            "board",
            "init",
            "--db",
            s(db),
            "--origin",
            ORIGIN,
            "--key",
            s(log_key),
            "--witness",
            witness,
        ],
    );
}

fn serve(db: &Path, roles: &Path) -> (Running, String) {
    common::start(
        PASS,
        &[
            "serve",
            "--db",
            s(db),
            "--listen",
            "127.0.0.1:0",
            "--roles",
            s(roles),
        ],
        false,
    )
}

/// The size in "cosigned the log at size N; …".
fn size_of(out: &str) -> u64 {
    let rest = out.split("at size ").nth(1).unwrap();
    rest.split(';').next().unwrap().trim().parse().unwrap()
}

fn follow_once(state: &Path, key: &Path, log: &str, addr: &str) -> std::process::Output {
    entente(PASS)
        .args([
            "witness",
            "follow",
            "--once",
            "--state",
            s(state),
            "--key",
            s(key),
        ])
        .args(["--log", log, "--server", &format!("http://{addr}")])
        .output()
        .unwrap()
}

#[test]
fn a_following_witness_cosigns_what_extends_its_view_and_refuses_a_split_view() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let wkey = d.join("witness.key");
    let wvkey = run(
        PASS,
        &[
            "keygen",
            "--out",
            s(&wkey),
            "--name",
            "witness.example",
            "--role",
            "witness",
            "--scrypt-log-n",
            "2",
        ],
    )
    .trim()
    .to_owned();
    // The log, with the witness in its policy.
    let log_key = d.join("log.key");
    let log = run(
        PASS,
        &[
            "keygen",
            "--out",
            s(&log_key),
            "--name",
            ORIGIN,
            "--scrypt-log-n",
            "2",
        ],
    )
    .trim()
    .to_owned();
    let db = d.join("board.db");
    init(&db, &log_key, &wvkey);
    let roles = d.join("roles.json");
    std::fs::write(&roles, b"{\"devices\": []}").unwrap();
    grow(&db, d, "first");
    let state = d.join("witness-state");

    // First sight: cosigned, and the board takes the cosignature and serves it.
    let (server, addr) = serve(&db, &roles);
    let out = ok(&follow_once(&state, &wkey, &log, &addr));
    // (The server puts its roles file on the log first: the size is the log's, read back.)
    assert!(out.contains("; it took witness.example"), "{out}");
    let first = size_of(&out);
    let (status, note) = common::http(&addr, "GET", "/checkpoint", b"");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&note).contains("\u{2014} witness.example "));
    // Nothing new: nothing to do.
    let out = ok(&follow_once(&state, &wkey, &log, &addr));
    assert!(out.contains("cosigned already"), "{out}");
    drop(server);

    // The log grows: cosigned again, from the log's consistency proof.
    grow(&db, d, "second");
    let (server, addr) = serve(&db, &roles);
    let out = ok(&follow_once(&state, &wkey, &log, &addr));
    assert!(out.contains("cosigned the log at size "), "{out}");
    assert!(size_of(&out) > first, "{out}");
    drop(server);

    // The same log rebuilt without its first entries (same origin, same key): a split view.
    let forged = d.join("forged.db");
    init(&forged, &log_key, &wvkey);
    for text in ["other", "entries", "here"] {
        grow(&forged, d, text);
    }
    let (_server, addr) = serve(&forged, &roles);
    let out = follow_once(&state, &wkey, &log, &addr);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SPLIT VIEW"), "{err}");
    let evidence: Vec<_> = std::fs::read_dir(state.join("evidence")).unwrap().collect();
    assert!(!evidence.is_empty());
    // Its checkpoint carries no cosignature of this witness.
    let (_, note) = common::http(&addr, "GET", "/checkpoint", b"");
    assert!(!String::from_utf8_lossy(&note).contains("\u{2014} witness.example "));
}
