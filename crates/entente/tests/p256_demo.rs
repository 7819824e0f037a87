//! Elections on P-256 run by Entente itself: `entente demo --group p256` with every role in its
//! own process (board, witnesses, guardians, administrator, device), its record in egk-ec's JSON
//! 2.1 layout and verified with its log; and a P-256 record written in one process, tampered
//! with as a cheating party would, failing the verification that names what changed (or refused
//! naming the file), never a panic.

mod common;

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;

fn verify(dir: &Path) -> (i32, String) {
    entente(&["verify", dir.to_str().unwrap()])
}

use common::{flip_base64 as flip, status_and_text as entente, verification_line as line};

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn the_networked_demo_runs_a_p256_election_in_the_2_1_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("record");
    let (status, out) = entente(&[
        "demo",
        "--group",
        "p256",
        "--ballots",
        "8",
        "--dir",
        record.to_str().unwrap(),
    ]);
    assert_eq!(status, 0, "{out}");
    for expected in [
        "P-256 curve, egk-ec's JSON 2.1 record layout",
        "every role in its own process",
        "ElectionGuard 2.0 on P-256, egk-ec's JSON 2.1 layout",
        "All 14 verifications that apply hold",
        "cosigned by 2 of 2 witnesses",
    ] {
        assert!(out.contains(expected), "{expected:?} missing:\n{out}");
    }
    // The record says what it is, in egk-ec's shape, and holds base64 values.
    let constants = json(&record.join("constants.json"));
    assert_eq!(constants["type"], "EllipticCurve", "{constants}");
    assert_eq!(constants["name"], "P-256", "{constants}");
    let config = json(&record.join("election_config.json"));
    assert_eq!(config["config_version"], "2.1.0", "{config}");
    let key = json(&record.join("election_initialized.json"))["joint_public_key"].clone();
    assert_eq!(B64.decode(key.as_str().unwrap()).unwrap().len(), 33);
    // Anyone's verifier on the exported record, its log included.
    let (status, report) = verify(&record);
    assert_eq!(status, 0, "{report}");
    assert!(report.contains("Log: the record holds the"), "{report}");
}

/// A P-256 record written in one process by `entente demo --in-process`, kept for the tamper
/// cases (each works on a copy).
fn p256_record(tmp: &Path) -> PathBuf {
    let record = tmp.join("p256");
    let (status, out) = entente(&[
        "demo",
        "--in-process",
        "--group",
        "p256",
        "--ballots",
        "12",
        "--dir",
        record.to_str().unwrap(),
    ]);
    assert_eq!(status, 0, "{out}");
    record
}

/// The record's ballot files, cast and challenged, by state.
fn ballots(record: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let device = record.join("encrypted_ballots/riverside-booth-1");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&device)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("eballot-"))
        .collect();
    files.sort();
    files
        .into_iter()
        .partition(|p| json(p)["state"].as_str() == Some("CAST"))
}

/// A copy of `record` with `edit` applied to the JSON of `file` (a path in the record).
fn tampered(
    record: &Path,
    file: &Path,
    edit: impl FnOnce(&mut Value),
) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("record");
    common::copy_dir(record, &dir);
    let path = dir.join(file.strip_prefix(record).unwrap_or(file));
    let mut v = json(&path);
    edit(&mut v);
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    (tmp, dir)
}

#[test]
fn a_tampered_p256_record_of_entente_s_own_fails_naming_what() {
    let tmp = tempfile::tempdir().unwrap();
    let record = p256_record(tmp.path());
    let (status, text) = verify(&record);
    assert_eq!(status, 0, "{text}");
    let (cast, challenged) = ballots(&record);
    assert!(cast.len() >= 2 && !challenged.is_empty());
    let first = &cast[0];
    let id = json(first)["ballot_id"].as_str().unwrap().to_owned();

    // A changed byte of a point: off the curve or another point; refused naming the field, or
    // the ballot's proof fails.
    let (_t, dir) = tampered(&record, first, |v| {
        flip(&mut v["contests"][0]["selections"][0]["encrypted_vote"]["data"])
    });
    let (status, text) = verify(&dir);
    assert!(
        status == 2 && text.contains("data") || line(&text, 5).ends_with("FAIL"),
        "{text}"
    );
    assert!(text.contains(&id), "{text}");
    // A point off the curve (x = p - 1 is not on P-256 with either parity: refused) and a
    // point in a non-canonical encoding (uncompressed prefix).
    for bad in [
        B64.encode([[2u8].as_slice(), &[0xFF; 32]].concat()),
        B64.encode([4u8; 33]),
        B64.encode([2u8; 34]),
    ] {
        let (_t, dir) = tampered(&record, first, |v| {
            v["contests"][0]["selections"][0]["encrypted_vote"]["pad"] = Value::String(bad.clone())
        });
        let (status, text) = verify(&dir);
        assert_eq!(status, 2, "{bad}: {text}");
        assert!(text.contains(&id) && text.contains("pad"), "{bad}: {text}");
    }
    // A scalar not below the order n: refused, naming it.
    let (_t, dir) = tampered(&record, first, |v| {
        v["contests"][0]["selections"][0]["proof"]["proofs"][0]["response"] =
            Value::String(B64.encode([0xFF; 32]))
    });
    let (status, text) = verify(&dir);
    assert_eq!(status, 2, "{text}");
    assert!(
        text.contains("response") && text.contains("not below"),
        "{text}"
    );
    // A changed confirmation code: 7 fails on the ballot (the chain breaks with it).
    let (_t, dir) = tampered(&record, first, |v| flip(&mut v["confirmation_code"]));
    let (_, text) = verify(&dir);
    assert!(line(&text, 7).ends_with("FAIL"), "{text}");
    assert!(text.contains(&id), "{text}");
    // A changed tally: the encrypted tally (8), and the decrypted count (9 or 10).
    let (_t, dir) = tampered(&record, &record.join("encrypted_tally.json"), |v| {
        let other = v["contests"][0]["selections"][1]["encrypted_vote"].clone();
        v["contests"][0]["selections"][0]["encrypted_vote"] = other;
    });
    let (_, text) = verify(&dir);
    assert!(line(&text, 8).ends_with("FAIL"), "{text}");
    let (_t, dir) = tampered(&record, &record.join("tally.json"), |v| {
        let t = v["contests"][0]["selections"][0]["tally"].as_u64().unwrap();
        v["contests"][0]["selections"][0]["tally"] = (t + 1).into();
    });
    let (_, text) = verify(&dir);
    assert!(
        line(&text, 9).ends_with("FAIL") || line(&text, 10).ends_with("FAIL"),
        "{text}"
    );
    // A cast ballot dropped: the tally is not its product (8), the chain has a gap (7), the
    // tally counts a ballot the record lacks (19).
    let (_t, dir) = tampered(&record, first, |_| {});
    std::fs::remove_file(dir.join(first.strip_prefix(&record).unwrap())).unwrap();
    let (status, text) = verify(&dir);
    assert_eq!(status, 1, "{text}");
    assert!(line(&text, 8).ends_with("FAIL"), "{text}");
    // A ballot duplicated under another file name: its id twice (19), its code twice (7).
    let (_t, dir) = tampered(&record, first, |_| {});
    let copy = dir.join(first.strip_prefix(&record).unwrap());
    std::fs::copy(&copy, copy.with_file_name("eballot-copy.json")).unwrap();
    let (status, text) = verify(&dir);
    assert_eq!(status, 1, "{text}");
    assert!(
        line(&text, 19).ends_with("FAIL") || line(&text, 7).ends_with("FAIL"),
        "{text}"
    );
    // A challenged ballot's decryption claims another choice: 12 or 13 fails.
    let dballot = std::fs::read_dir(record.join("challenged_ballots"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    let (_t, dir) = tampered(&record, &dballot, |v| {
        let t = v["contests"][0]["selections"][0]["tally"].as_u64().unwrap();
        v["contests"][0]["selections"][0]["tally"] = (1 - t.min(1)).into();
    });
    let (_, text) = verify(&dir);
    assert!(
        line(&text, 12).ends_with("FAIL") || line(&text, 13).ends_with("FAIL"),
        "{text}"
    );
}
