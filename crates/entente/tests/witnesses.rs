//! Two parties' witnesses as services (tlog-witness over loopback): the server asks them to
//! cosign each checkpoint, and a checkpoint is published once both have. Then the operator
//! rewrites an entry and re-signs the history with the log's own key: both witnesses refuse,
//! keep the evidence and stop with status 1.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use entente_board::note::NoteSigner;
use entente_board::witness::CosignatureVerifier;
use entente_board::{Board, BoardConfig, Entry, SqliteStorage};
use entente_roles::protocol::Envelope;
use serde_json::Value;

mod common;
use common::s;
use common::{Running, http};

const PASS: &str = "witness test passphrase";
const ORIGIN: &str = "board.example/witnessed";

fn run(args: &[&str]) -> String {
    common::run(PASS, args)
}

fn admin() -> NoteSigner {
    NoteSigner::new("administrator", SigningKey::from_bytes(&[77; 32])).unwrap()
}

fn device() -> NoteSigner {
    NoteSigner::new("booth", SigningKey::from_bytes(&[78; 32])).unwrap()
}

/// The conformance election (set up outside the log) and three of its ballots.
fn record() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/egk/records/allAvailableJson")
}

fn ballots() -> Vec<Vec<u8>> {
    let dir = record().join("encrypted_ballots/runWorkflowAllAvailableJson");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("eballot")
        })
        .collect();
    files.sort();
    files
        .iter()
        .take(3)
        .map(|f| std::fs::read(f).unwrap())
        .collect()
}

fn start(args: &[&str]) -> (Running, String) {
    // The witnesses' stderr is read for the alarm; the server's is left to the terminal.
    common::start(PASS, args, args[0] == "witness")
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn witnesses_cosign_the_board_and_catch_a_rewritten_history() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let log_key = d.join("log.key");
    let log_vkey = run(&[
        "keygen",
        "--out",
        s(&log_key),
        "--name",
        ORIGIN,
        "--scrypt-log-n",
        "2",
    ]);
    let log_vkey = log_vkey.trim();
    let mut witness_vkeys = Vec::new();
    for party in ["harbour", "highland"] {
        let key = d.join(format!("{party}.key"));
        let name = format!("witness.{party}.example");
        let v = run(&[
            "keygen",
            "--out",
            s(&key),
            "--name",
            &name,
            "--role",
            "witness",
            "--scrypt-log-n",
            "2",
        ]);
        witness_vkeys.push(v.trim().to_owned());
    }
    let db = d.join("board.db");
    run(&[
        "board",
        "init",
        "--db",
        s(&db),
        "--origin",
        ORIGIN,
        "--key",
        s(&log_key),
        "--witness",
        &witness_vkeys[0],
        "--witness",
        &witness_vkeys[1],
    ]);
    let roles = d.join("roles.json");
    std::fs::write(
        &roles,
        serde_json::to_vec(&serde_json::json!({
            "administrator": admin().verifier_key(),
            "devices": [device().verifier_key()],
        }))
        .unwrap(),
    )
    .unwrap();

    let mut witnesses: Vec<(Running, String)> = ["harbour", "highland"]
        .iter()
        .map(|party| {
            start(&[
                "witness",
                "serve",
                "--state",
                s(&d.join(format!("state-{party}"))),
                "--key",
                s(&d.join(format!("{party}.key"))),
                "--log",
                log_vkey,
                "--listen",
                "127.0.0.1:0",
            ])
        })
        .collect();
    let witness_urls: Vec<String> = witnesses
        .iter()
        .map(|(_, a)| format!("http://{a}"))
        .collect();
    let serve = |db: &Path| {
        start(&[
            "serve",
            "--db",
            s(db),
            "--roles",
            s(&roles),
            "--record",
            s(&record()),
            "--listen",
            "127.0.0.1:0",
            "--witness",
            &witness_urls[0],
            "--witness",
            &witness_urls[1],
        ])
    };
    let (mut server, addr) = serve(&db);
    // Entry 0 is the roles file; three ballots follow.
    for (n, ballot) in ballots().iter().enumerate() {
        let env = Envelope::sign(&device(), ORIGIN, "ballot", n as u64 + 1, ballot);
        let (status, body) = common::post_write(&addr, "/ballots", &env);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
    // Published once both parties' witnesses have cosigned the checkpoint of all four.
    wait_until("both cosignatures", || {
        let (_, body) = http(&addr, "GET", "/status", b"");
        let st: Value = serde_json::from_slice(&body).unwrap();
        st["published_size"] == 4
    });
    let (_, note) = http(&addr, "GET", "/checkpoint", b"");
    let note = String::from_utf8(note).unwrap();
    for v in &witness_vkeys {
        CosignatureVerifier::parse(v)
            .unwrap()
            .verify(&note)
            .unwrap();
    }
    server.kill().unwrap();
    server.wait().unwrap();

    // The operator rewrites a ballot (entry 2), rebuilds the tree, adds an entry and re-signs with the
    // log's own key: a history every check of the board alone would accept.
    let forged = d.join("forged.db");
    let mut board = Board::init(
        SqliteStorage::open(&forged).unwrap(),
        BoardConfig {
            origin: ORIGIN.into(),
            log_key: log_vkey.to_owned(),
            witnesses: witness_vkeys.clone(),
        },
    )
    .unwrap();
    let original = Board::open(SqliteStorage::open(&db).unwrap()).unwrap();
    for i in 0..4 {
        let mut e = original.entry(i).unwrap().unwrap().entry;
        if i == 2 {
            e.data = b"ballot 2, rewritten".to_vec();
        }
        board.append(&[e]).unwrap();
    }
    board
        .append(&[Entry::new("ballot", b"ballot 4".to_vec())])
        .unwrap();
    drop(board);
    let key = entente_roles::board::open_key(&log_key, &PASS.to_owned().into()).unwrap();
    let mut board = Board::open(SqliteStorage::open(&forged).unwrap()).unwrap();
    board.set_operator_setting("key_file", s(&log_key)).unwrap();
    board
        .checkpoint(&NoteSigner::new(ORIGIN, key.signing).unwrap())
        .unwrap();
    drop(board);

    let (mut server, addr) = serve(&forged);
    // Both witnesses refuse the rewritten history, keep the evidence, and stop with status 1.
    for (party, (w, _)) in ["harbour", "highland"].iter().zip(witnesses.iter_mut()) {
        let status = {
            let start = Instant::now();
            loop {
                if let Some(st) = w.try_wait().unwrap() {
                    break st;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "the {party} witness did not stop"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        };
        assert_eq!(status.code(), Some(1), "{party}");
        let mut stderr = String::new();
        w.stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert!(stderr.contains("SPLIT VIEW"), "{stderr}");
        let evidence: Vec<_> = std::fs::read_dir(d.join(format!("state-{party}/evidence")))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        assert_eq!(evidence.len(), 1, "{party}");
        assert!(evidence[0].contains(&note[..note.find("\n\n").unwrap()]));
    }
    // The forged board is never published.
    let (_, body) = http(&addr, "GET", "/status", b"");
    let st: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(st["published_size"], Value::Null, "{st}");
    server.kill().unwrap();
    server.wait().unwrap();
}
