//! The board run by hand: keys, init, append, find, checkpoint, two parties' witnesses
//! cosigning, proofs, the tiles export; a forked board caught by a witness; and the refusals.

use std::path::Path;
use std::process::{Command, Output};

use entente_board::note::NoteVerifier;
use entente_board::{tiles, verify_consistency, verify_inclusion};
use serde_json::Value;

mod common;
use common::{failed_with, hash, hashes, ok, s};

const PASS: &str = "correct horse battery staple";
const ORIGIN: &str = "board.example/riverside-2026";

fn entente(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(args)
        .env("ENTENTE_PASSPHRASE", PASS)
        .output()
        .expect("the entente binary runs")
}

fn keygen(dir: &Path, file: &str, name: &str, role: &str) -> String {
    let out = dir.join(file);
    let run = entente(&[
        "keygen",
        "--out",
        s(&out),
        "--name",
        name,
        "--role",
        role,
        "--scrypt-log-n",
        "2",
    ]);
    let vkey = ok(&run).trim().to_owned();
    // The fingerprint a party pins in its link: SHA-256 of the key's line, first 16 bytes.
    use sha2::Digest;
    let fingerprint = hex::encode(&sha2::Sha256::digest(vkey.as_bytes())[..16]);
    assert!(
        String::from_utf8_lossy(&run.stderr).contains(&format!("(/#pin=…): {fingerprint}\n")),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    vkey
}

#[test]
fn a_board_run_by_hand_with_two_parties_witnesses() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let log_vkey = keygen(d, "log.key", ORIGIN, "log");
    keygen(d, "harbour.key", "witness.harbour.example", "witness");
    keygen(d, "highland.key", "witness.highland.example", "witness");
    assert_eq!(
        std::fs::read_to_string(d.join("log.key.pub"))
            .unwrap()
            .trim(),
        log_vkey
    );
    // A key file is never overwritten.
    let again = entente(&["keygen", "--out", s(&d.join("log.key")), "--name", ORIGIN]);
    assert!(failed_with(&again, 2).contains("never overwritten"));

    let db = d.join("board.db");
    ok(&entente(&[
        "board",
        "init",
        "--db",
        s(&db),
        "--origin",
        ORIGIN,
        "--key",
        s(&d.join("log.key")),
        "--witness",
        s(&d.join("harbour.key.pub")),
        "--witness",
        s(&d.join("highland.key.pub")),
    ]));
    // Artifacts: a manifest and two of the conformance record's ballots (over 64 KiB each).
    let record = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/egk/records/allAvailableJson");
    // The record's ballot files, in a fixed order, as `entente tally` finds them.
    let files = entente_roles::record::ballot_files(&record).unwrap();
    let manifest = record.join("manifest.json");
    assert_eq!(
        ok(&entente(&[
            "board",
            "append",
            "--db",
            s(&db),
            "--kind",
            "manifest",
            s(&manifest)
        ]))
        .trim(),
        "0"
    );
    assert_eq!(
        ok(&entente(&[
            "board",
            "append",
            "--db",
            s(&db),
            "--kind",
            "ballot",
            s(&files[0]),
            s(&files[1]),
        ]))
        .trim(),
        "1"
    );
    // A ballot is found by its confirmation code, however the receipt prints it.
    let ballot: Value = serde_json::from_slice(&std::fs::read(&files[1]).unwrap()).unwrap();
    let code = ballot["confirmation_code"]
        .as_str()
        .unwrap()
        .to_ascii_uppercase();
    let spaced: String = code
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-");
    let found = entente(&[
        "board",
        "find",
        "--db",
        s(&db),
        "--key",
        &format!("confirmation_code={spaced}"),
    ]);
    assert_eq!(ok(&found).trim(), "2");
    let id = ballot["ballot_id"].as_str().unwrap();
    assert_eq!(
        ok(&entente(&[
            "board",
            "find",
            "--db",
            s(&db),
            "--key",
            &format!("ballot_id={id}")
        ]))
        .trim(),
        "2"
    );
    failed_with(
        &entente(&["board", "find", "--db", s(&db), "--key", "ballot_id=nobody"]),
        1,
    );

    // The checkpoint, signed once for its size, cosigned by both parties' witnesses.
    let note = ok(&entente(&["board", "checkpoint", "--db", s(&db)]));
    assert_eq!(ok(&entente(&["board", "checkpoint", "--db", s(&db)])), note);
    let log_key = NoteVerifier::parse(&log_vkey).unwrap();
    let note_file = d.join("cp3");
    std::fs::write(&note_file, &note).unwrap();
    let mut cosigned = Vec::new();
    for w in ["harbour", "highland"] {
        let out = entente(&[
            "witness",
            "cosign",
            "--state",
            s(&d.join(format!("state-{w}"))),
            "--key",
            s(&d.join(format!("{w}.key"))),
            "--log",
            s(&d.join("log.key.pub")),
            s(&note_file),
        ]);
        let c = ok(&out);
        assert!(c.starts_with(&note));
        let f = d.join(format!("cp3-{w}"));
        std::fs::write(&f, &c).unwrap();
        cosigned.push(f);
    }
    let out = entente(&["board", "cosign", "--db", s(&db), s(&cosigned[0])]);
    assert!(
        String::from_utf8_lossy(&ok_stderr(&out))
            .contains("lacks the cosignatures of witness.highland.example")
    );
    let out = entente(&["board", "cosign", "--db", s(&db), s(&cosigned[1])]);
    assert!(String::from_utf8_lossy(&ok_stderr(&out)).contains("published"));
    let published = ok(&entente(&["board", "checkpoint", "--db", s(&db)]));
    assert!(
        published.contains("witness.harbour.example")
            && published.contains("witness.highland.example")
    );

    // Proofs, as JSON, verify against the checkpoint's root.
    let proof: Value = serde_json::from_str(&ok(&entente(&[
        "board",
        "prove",
        "--db",
        s(&db),
        "--index",
        "1",
    ])))
    .unwrap();
    let cp = entente_board::note::Checkpoint::open(&note, &log_key).unwrap();
    assert_eq!(hash(&proof["root"]), cp.root);
    verify_inclusion(
        1,
        3,
        &hash(&proof["leaf_hash"]),
        &hashes(&proof["hashes"]),
        &cp.root,
    )
    .unwrap();
    assert_eq!(
        hash(&proof["leaf_hash"]),
        entente_board::leaf_hash(&std::fs::read(&files[0]).unwrap())
    );

    // The board grows; a witness needs the consistency proof from what it holds.
    ok(&entente(&[
        "board",
        "append",
        "--db",
        s(&db),
        "--kind",
        "ballot",
        s(&files[2]),
    ]));
    let note4 = ok(&entente(&["board", "checkpoint", "--db", s(&db)]));
    let note4_file = d.join("cp4");
    std::fs::write(&note4_file, &note4).unwrap();
    let harbour = |extra: &[&str], note: &Path| {
        let mut args = vec![
            "witness",
            "cosign",
            "--state",
            s(&d.join("state-harbour")).to_owned().leak(),
            "--key",
            s(&d.join("harbour.key")).to_owned().leak(),
        ];
        args.extend_from_slice(extra);
        args.push(s(note).to_owned().leak());
        entente(&args)
    };
    assert!(failed_with(&harbour(&[], &note4_file), 2).contains("--from 3 --to 4"));
    let consistency = ok(&entente(&["board", "prove", "--db", s(&db), "--from", "3"]));
    let proof_file = d.join("3-4.json");
    std::fs::write(&proof_file, &consistency).unwrap();
    let c: Value = serde_json::from_str(&consistency).unwrap();
    let cp4 = entente_board::note::Checkpoint::open(&note4, &log_key).unwrap();
    verify_consistency(3, 4, &cp.root, &cp4.root, &hashes(&c["hashes"])).unwrap();
    assert!(ok(&harbour(&["--proof", s(&proof_file)], &note4_file)).starts_with(&note4));

    // The export verifies as a client would check it, large ballots included.
    let export = d.join("export");
    ok(&entente(&["board", "export", "--db", s(&db), s(&export)]));
    let v = tiles::verify_export(&export, &log_key).unwrap();
    assert_eq!(v.entries.len(), 4);
    assert_eq!(v.entries[3], std::fs::read(&files[2]).unwrap());

    // A fork of the board shows the harbour witness another history of size 5: refused, exit
    // status 1, both notes kept as evidence.
    let fork = d.join("fork.db");
    ok(&entente(&["board", "checkpoint", "--db", s(&db)]));
    std::fs::copy(&db, &fork).unwrap();
    ok(&entente(&["board", "append", "--db", s(&db), s(&files[3])]));
    ok(&entente(&[
        "board",
        "append",
        "--db",
        s(&fork),
        s(&files[4]),
    ]));
    let honest = ok(&entente(&["board", "checkpoint", "--db", s(&db)]));
    let forked = ok(&entente(&["board", "checkpoint", "--db", s(&fork)]));
    assert_ne!(honest, forked);
    let proof_file = d.join("4-5.json");
    std::fs::write(
        &proof_file,
        ok(&entente(&["board", "prove", "--db", s(&db), "--from", "4"])),
    )
    .unwrap();
    let honest_file = d.join("honest");
    std::fs::write(&honest_file, &honest).unwrap();
    ok(&harbour(&["--proof", s(&proof_file)], &honest_file));
    let forked_file = d.join("forked");
    std::fs::write(&forked_file, &forked).unwrap();
    let err = failed_with(&harbour(&[], &forked_file), 1);
    assert!(err.contains("SPLIT VIEW"), "{err}");
    let evidence: Vec<_> = std::fs::read_dir(d.join("state-harbour/evidence"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(evidence.len(), 1);
    assert!(evidence[0].contains(&honest) && evidence[0].contains(&forked));
}

fn ok_stderr(out: &Output) -> Vec<u8> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stderr.clone()
}

#[test]
fn the_board_refuses_bad_input_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let db = d.join("board.db");
    let err = failed_with(
        &entente(&["board", "append", "--db", s(&db), "Cargo.toml"]),
        2,
    );
    assert!(err.contains("board init"), "{err}");
    // A file that holds no board (empty, or another program's database) is refused as it is:
    // nothing is written into it.
    let empty = d.join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let err = failed_with(
        &entente(&["board", "append", "--db", s(&empty), "Cargo.toml"]),
        2,
    );
    assert!(err.contains("holds no board"), "{err}");
    assert_eq!(std::fs::read(&empty).unwrap(), b"");
    let other = d.join("other.db");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine');")
            .unwrap();
    }
    let before = std::fs::read(&other).unwrap();
    let err = failed_with(
        &entente(&["board", "append", "--db", s(&other), "Cargo.toml"]),
        2,
    );
    assert!(err.contains("holds no board"), "{err}");
    assert_eq!(std::fs::read(&other).unwrap(), before);
    keygen(d, "log.key", ORIGIN, "log");
    keygen(d, "w.key", "witness.example", "witness");
    // An origin must be a valid key name; a witness key cannot sign checkpoints.
    let err = failed_with(
        &entente(&[
            "board",
            "init",
            "--db",
            s(&db),
            "--origin",
            "not a name",
            "--key",
            s(&d.join("log.key")),
        ]),
        2,
    );
    assert!(err.contains("cannot name a log"), "{err}");
    assert!(!db.exists());
    let err = failed_with(
        &entente(&[
            "board",
            "init",
            "--db",
            s(&db),
            "--origin",
            "witness.example",
            "--key",
            s(&d.join("w.key")),
        ]),
        2,
    );
    assert!(err.contains("not a log key"), "{err}");
    assert!(!db.exists());
    ok(&entente(&[
        "board",
        "init",
        "--db",
        s(&db),
        "--origin",
        ORIGIN,
        "--key",
        s(&d.join("log.key")),
    ]));
    let err = failed_with(
        &entente(&[
            "board",
            "init",
            "--db",
            s(&db),
            "--origin",
            ORIGIN,
            "--key",
            s(&d.join("log.key")),
        ]),
        2,
    );
    assert!(err.contains("exists"), "{err}");
    // A missing file among several: nothing is appended.
    let a = d.join("a.json");
    std::fs::write(&a, "{}").unwrap();
    let err = failed_with(
        &entente(&[
            "board",
            "append",
            "--db",
            s(&db),
            s(&a),
            s(&d.join("missing.json")),
        ]),
        2,
    );
    assert!(err.contains("missing.json"), "{err}");
    // Proofs outside the log are refused with a message.
    let err = failed_with(
        &entente(&["board", "prove", "--db", s(&db), "--index", "0"]),
        2,
    );
    assert!(err.contains("not in a tree of 0 entries"), "{err}");
    // A wrong passphrase opens nothing and signs nothing.
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(["board", "checkpoint", "--db", s(&db)])
        .env("ENTENTE_PASSPHRASE", "wrong")
        .output()
        .unwrap();
    assert!(failed_with(&out, 2).contains("the passphrase is wrong"));
    ok(&entente(&["board", "append", "--db", s(&db), s(&a)]));
    let note = ok(&entente(&["board", "checkpoint", "--db", s(&db)]));
    assert!(note.contains("\n1\n"), "{note}");
    // Two writers by hand at once take turns on the board's lock: every append succeeds.
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                for _ in 0..6 {
                    ok(&entente(&["board", "append", "--db", s(&db), s(&a)]));
                }
            });
        }
    });
    let note = ok(&entente(&["board", "checkpoint", "--db", s(&db)]));
    assert!(note.contains("\n13\n"), "{note}");
    ok(&entente(&[
        "board",
        "export",
        "--db",
        s(&db),
        s(&d.join("out")),
    ]));
}

#[test]
fn a_key_made_without_a_name_signs_under_the_origin() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let key = d.join("operator.key");
    // `entente keygen --out FILE` alone: the key is named after its file…
    let vkey = ok(&entente(&[
        "keygen",
        "--out",
        s(&key),
        "--scrypt-log-n",
        "2",
    ]));
    assert!(vkey.starts_with("operator+"), "{vkey}");
    // …and a board signs under its origin with it: init prints the log's verifier key.
    let db = d.join("board.db");
    let log_vkey = ok(&entente(&[
        "board",
        "init",
        "--db",
        s(&db),
        "--origin",
        ORIGIN,
        "--key",
        s(&key),
    ]));
    let log = NoteVerifier::parse(log_vkey.trim()).unwrap();
    assert_eq!(log.name(), ORIGIN);
    let note = ok(&entente(&["board", "checkpoint", "--db", s(&db)]));
    let cp = entente_board::note::Checkpoint::open(&note, &log).unwrap();
    assert_eq!(cp.size, 0);
}
