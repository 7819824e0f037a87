//! `entente serve` over loopback: two devices submit ballots at once, every acknowledged ballot
//! is found by its code with a proof that verifies; the server is killed (SIGKILL) and
//! restarted on the same database, and nothing acknowledged is lost.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::SigningKey;
use entente_board::note::{Checkpoint, NoteSigner, NoteVerifier};
use entente_board::{leaf_hash, verify_inclusion};
use entente_roles::protocol::{Envelope, LoggedEnvelope};
use serde_json::Value;

mod common;
use common::hashes;
use common::{Running, http, ok};

const PASS: &str = "serve test passphrase";
const ORIGIN: &str = "board.example/serve-test";

fn entente() -> std::process::Command {
    common::entente(PASS)
}

fn device(i: u8) -> NoteSigner {
    NoteSigner::new(
        &format!("device.booth-{i}"),
        SigningKey::from_bytes(&[40 + i; 32]),
    )
    .unwrap()
}

/// Starts the server; returns it and its address.
fn start(db: &Path, roles: &Path, record: &Path) -> (Running, String) {
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    common::start(
        PASS,
        &[
            "serve",
            "--db",
            &s(db),
            "--listen",
            "127.0.0.1:0",
            "--roles",
            &s(roles),
            "--record",
            &s(record),
        ],
        false,
    )
}

#[test]
fn devices_submit_over_loopback_and_a_killed_server_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let key = d.join("log.key");
    let out = entente()
        .args(["keygen", "--out", key.to_str().unwrap(), "--name", ORIGIN])
        .args(["--scrypt-log-n", "2"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log_vkey = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let db = d.join("board.db");
    let out = entente()
        .args([
            "board",
            "init",
            "--db",
            db.to_str().unwrap(),
            "--origin",
            ORIGIN,
        ])
        .args(["--key", key.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let roles = d.join("roles.json");
    std::fs::write(
        &roles,
        serde_json::to_vec(&serde_json::json!({
            "devices": [device(1).verifier_key(), device(2).verifier_key()]
        }))
        .unwrap(),
    )
    .unwrap();
    let record = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/egk/records/allAvailableJson");
    // The record's ballot files, in a fixed order, as `entente tally` finds them.
    let files = entente_roles::record::ballot_files(&record).unwrap();
    let ballots: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(ballots.len() >= 6);

    let (mut server, addr) = start(&db, &roles, &record);
    // Two devices at once, each with its half of the ballots.
    let acknowledged: Vec<(String, Envelope)> = std::thread::scope(|s| {
        let workers: Vec<_> = [1u8, 2]
            .iter()
            .map(|&dev| {
                let (addr, ballots) = (&addr, &ballots);
                s.spawn(move || {
                    let mut acked = Vec::new();
                    for (n, b) in ballots
                        .iter()
                        .skip(usize::from(dev - 1))
                        .step_by(2)
                        .enumerate()
                    {
                        let env = Envelope::sign(&device(dev), ORIGIN, "ballot", n as u64 + 1, b);
                        let (status, body) = common::post_write(addr, "/ballots", &env);
                        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                        let receipt: Value = serde_json::from_slice(&body).unwrap();
                        acked.push((
                            receipt["confirmation_code"].as_str().unwrap().to_owned(),
                            env,
                        ));
                    }
                    acked
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert_eq!(acknowledged.len(), ballots.len());

    // Killed without warning, then restarted on the same database.
    server.kill().unwrap();
    server.wait().unwrap();
    let (mut server, addr) = start(&db, &roles, &record);
    let log = NoteVerifier::parse(&log_vkey).unwrap();
    for (code, env) in &acknowledged {
        let (status, body) = http(
            &addr,
            "GET",
            &format!("/lookup?confirmation_code={code}"),
            b"",
        );
        assert_eq!(status, 200, "{code}: {}", String::from_utf8_lossy(&body));
        let found: Value = serde_json::from_slice(&body).unwrap();
        let data = B64.decode(found["data"].as_str().unwrap()).unwrap();
        assert_eq!(data, env.logged().unwrap().to_bytes());
        assert_eq!(found["body"].as_str(), Some(env.body.as_str()));
        let inclusion = &found["inclusion"];
        let cp = Checkpoint::open(inclusion["checkpoint"].as_str().unwrap(), &log).unwrap();
        verify_inclusion(
            found["index"].as_u64().unwrap(),
            cp.size,
            &leaf_hash(&data),
            &hashes(&inclusion["hashes"]),
            &cp.root,
        )
        .unwrap();
    }
    // A replayed submission is still refused after the restart.
    let (_, env) = &acknowledged[0];
    let (status, _) = common::post_write(&addr, "/ballots", env);
    assert_eq!(status, 409);
    let (status, body) = http(&addr, "GET", "/status", b"");
    assert_eq!(status, 200);
    let st: Value = serde_json::from_slice(&body).unwrap();
    // The ballots and the roles file the server logged when it first started.
    assert_eq!(st["size"].as_u64().unwrap(), ballots.len() as u64 + 1);
    // While it serves, the board has one writer: an append by hand and a second server are
    // refused, naming the process that serves it, and nothing is appended.
    let extra = db.with_file_name("extra.json");
    std::fs::write(&extra, b"{}").unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let pid = server.id();
    let out = entente()
        .args(["board", "append", "--db", &s(&db), &s(&extra)])
        .output()
        .unwrap();
    let err = common::failed_with(&out, 2);
    assert!(err.contains(&format!("served by process {pid}")), "{err}");
    let out = entente()
        .args(["serve", "--db", &s(&db), "--listen", "127.0.0.1:0"])
        .args(["--roles", &s(&roles), "--record", &s(&record)])
        .output()
        .unwrap();
    let err = common::failed_with(&out, 2);
    assert!(err.contains(&format!("served by process {pid}")), "{err}");
    let (_, body) = http(&addr, "GET", "/status", b"");
    let st: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(st["size"].as_u64().unwrap(), ballots.len() as u64 + 1);
    server.kill().unwrap();
    server.wait().unwrap();
    // Once it is gone (killed: the kernel releases its lock), a writer by hand may append.
    ok(&entente()
        .args(["board", "append", "--db", &s(&db), &s(&extra)])
        .output()
        .unwrap());
}

#[test]
fn a_device_encrypts_submits_and_checks_its_receipts() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let run = |args: &[&str]| {
        let out = entente().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    run(&[
        "keygen",
        "--out",
        &s(&d.join("log.key")),
        "--name",
        ORIGIN,
        "--scrypt-log-n",
        "2",
    ]);
    let device_vkey = run(&[
        "keygen",
        "--out",
        &s(&d.join("booth.key")),
        "--name",
        "device.booth-9",
        "--scrypt-log-n",
        "2",
    ]);
    let db = d.join("board.db");
    run(&[
        "board",
        "init",
        "--db",
        &s(&db),
        "--origin",
        ORIGIN,
        "--key",
        &s(&d.join("log.key")),
    ]);
    let roles = d.join("roles.json");
    std::fs::write(
        &roles,
        serde_json::to_vec(&serde_json::json!({ "devices": [device_vkey.trim()] })).unwrap(),
    )
    .unwrap();
    let record = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/egk/records/allAvailableJson");
    let (_server, addr) = start(&db, &roles, &record);
    let inputs: Vec<String> = ["id-1", "id-2", "id-3"]
        .iter()
        .map(|id| s(&record.join(format!("private_data/input/pballot-{id}.json"))))
        .collect();
    let device = |extra: &[&str]| {
        let mut args = vec![
            "device".to_owned(),
            "--server".into(),
            format!("http://{addr}"),
            "--key".into(),
            s(&d.join("booth.key")),
            "--state".into(),
            s(&d.join("booth-state")),
            "--log".into(),
            s(&d.join("log.key.pub")),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        entente().args(&args).output().unwrap()
    };
    let mut args = vec!["--challenge", "id-2"];
    args.extend(inputs.iter().map(String::as_str));
    let out = device(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    for (line, (id, state)) in
        lines
            .iter()
            .zip([("id-1", "CAST"), ("id-2", "SPOILED"), ("id-3", "CAST")])
    {
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!(words[0], id);
        let (status, body) = http(
            &addr,
            "GET",
            &format!("/lookup?confirmation_code={}", words[1]),
            b"",
        );
        assert_eq!(status, 200);
        let found: Value = serde_json::from_slice(&body).unwrap();
        let env: LoggedEnvelope =
            serde_json::from_slice(&B64.decode(found["data"].as_str().unwrap()).unwrap()).unwrap();
        assert_eq!(env.author, "device.booth-9");
        let body = B64.decode(found["body"].as_str().unwrap()).unwrap();
        let env = env.with_body(&body).unwrap();
        let ballot: Value = serde_json::from_slice(&B64.decode(&env.body).unwrap()).unwrap();
        assert_eq!(ballot["ballot_id"], id);
        assert_eq!(
            ballot["state"].as_str().unwrap().to_ascii_uppercase(),
            state
        );
        // A challenged ballot ("SPOILED" in the records' JSON) reveals its nonce; a cast one
        // never does.
        assert_eq!(ballot.get("primary_nonce").is_some(), state == "SPOILED");
    }
    // Nothing pending: a second run submits nothing; a ballot encrypted before is refused.
    let out = device(&[]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 ballots submitted"));
    let out = device(&[&inputs[0]]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already encrypted"));

    // Ballots on stdin, one per line: a mistyped one is refused before anything is encrypted,
    // then the good ones go on.
    let mut ballot: Value = serde_json::from_slice(&std::fs::read(&inputs[0]).unwrap()).unwrap();
    let mut line = |id: &str, contest: &str| {
        ballot["ballot_id"] = id.into();
        ballot["contests"][0]["contest_id"] = contest.into();
        serde_json::to_string(&ballot).unwrap()
    };
    let good = format!(
        "{}\n{}\n",
        line("stdin-1", "contest1"),
        line("stdin-2", "contest1")
    );
    let bad = format!("{good}{}\n", line("stdin-3", "no-such-contest"));
    let pipe = |text: String| {
        use std::io::Write;
        let mut child = entente()
            .args([
                "device",
                "--server",
                &format!("http://{addr}"),
                "--key",
                &s(&d.join("booth.key")),
                "--state",
                &s(&d.join("booth-state")),
                "--log",
                &s(&d.join("log.key.pub")),
                "-",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = pipe(bad);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("stdin, ballot 3 (stdin-3)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = pipe(good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("stdin-1 ") && stdout.contains("\nstdin-2 "),
        "{stdout}"
    );

    // The device closes its chain and waits for the close to be witnessed, reading the
    // ballots by their headers: its mirror holds the close's body and no ballot's.
    let out = device(&["--close"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.contains("closed: 5 ballots"),
        "{stderr}"
    );
    let bodies: Vec<_> = common::files_under(&d.join("booth-state/log-witnessed/entente/bodies"))
        .iter()
        .map(|path| serde_json::from_slice::<Value>(&std::fs::read(path).unwrap()))
        .collect();
    assert!(
        bodies.iter().any(|b| b
            .as_ref()
            .is_ok_and(|v| v["ballot_ids"].as_array().is_some_and(|ids| ids.len() == 5))),
        "{bodies:?}"
    );
    assert!(
        bodies
            .iter()
            .all(|b| b.as_ref().map_or(true, |v| v.get("ballot_id").is_none())),
        "{bodies:?}"
    );
}
