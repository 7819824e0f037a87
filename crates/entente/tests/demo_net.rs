//! The demo's election with every role in its own process over TLS on loopback: the board server,
//! two witnesses, five guardians (quorum 3, one left out of the decryption), the administrator
//! and a device. The exported record verifies, with its log; a record that no longer matches
//! its log, or a log whose tiles were changed, does not.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::copy_dir;

fn entente(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(args)
        .env_remove("ENTENTE_PASSPHRASE")
        .output()
        .unwrap()
}

fn verify(record: &Path) -> (Option<i32>, String) {
    let out = entente(&["verify", record.to_str().unwrap()]);
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn the_demo_runs_every_role_in_its_own_process_and_its_record_verifies_with_its_log() {
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("record");
    let out = entente(&["demo", "--ballots", "6", "--dir", record.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "every role in its own process",
        "guardian 5: guardian-observer",
        "guardian-observer stayed away",
        "key ceremony",
        "tally and decryption",
        "All 14 verifications that apply hold",
        "cosigned by 2 of 2 witnesses",
        "PASS",
    ] {
        assert!(stdout.contains(expected), "{expected:?} missing:\n{stdout}");
    }
    // The record as exported: every check holds, the log's included.
    let (code, report) = verify(&record);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("Log: the record holds the"), "{report}");
    // A verifier that saw this checkpoint before finds the record's log extends it.
    let held = tmp.path().join("held.checkpoint");
    std::fs::copy(record.join("log/checkpoint"), &held).unwrap();
    let out = entente(&[
        "verify",
        record.to_str().unwrap(),
        "--since",
        held.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{:?}", out);

    // A ballot of the record changed after the export: the log says otherwise.
    let changed = tmp.path().join("changed");
    copy_dir(&record, &changed);
    let device = std::fs::read_dir(changed.join("encrypted_ballots"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let ballot = std::fs::read_dir(&device)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("eballot-"))
        .unwrap();
    let mut text = std::fs::read_to_string(&ballot).unwrap();
    text.push('\n');
    std::fs::write(&ballot, text).unwrap();
    let (code, report) = verify(&changed);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("differs from the log's"), "{report}");

    // A tile of the log changed: the log no longer verifies against its checkpoint.
    let forged = tmp.path().join("forged");
    copy_dir(&record, &forged);
    let tile = std::fs::read_dir(forged.join("log/tile/0"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_file() || p.is_dir())
        .unwrap();
    let tile = if tile.is_dir() {
        std::fs::read_dir(&tile)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
    } else {
        tile
    };
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&tile, bytes).unwrap();
    let (code, report) = verify(&forged);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("the log does not verify"), "{report}");
    // Nothing of a log that does not verify is claimed: no count, no signature (issue 22).
    assert!(
        report.contains("Log: the record's log does not verify  FAIL"),
        "{report}"
    );
    assert!(!report.contains("checkpoint signed by the log"), "{report}");
}
