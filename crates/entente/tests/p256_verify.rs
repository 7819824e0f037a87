//! `entente verify` on egk-ec's records in its "JSON 2.1" layout (`../shared/conformance/egk-ec/`):
//! the P-256 record and the same election on the 4096-bit group verify whole, and tampered copies
//! of the P-256 one fail naming the object or are refused naming the file, never a panic.

mod common;

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;

fn records() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/egk-ec/records")
}

fn record() -> PathBuf {
    records().join("allAvailableEc")
}

/// `entente verify DIR`: (exit status, stdout and stderr).
fn verify(dir: &Path) -> (i32, String) {
    common::status_and_text(&["verify", dir.to_str().unwrap()])
}

use common::{flip_base64 as flip, verification_line as line};

/// A copy of the record with `edit` applied to the JSON of `file`.
fn tampered(file: &str, edit: impl FnOnce(&mut Value)) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("record");
    common::copy_dir(&record(), &dir);
    let path = dir.join(file);
    let mut v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    (tmp, dir)
}

#[test]
fn egk_ec_s_records_verify_on_p256_and_on_the_4096_bit_group() {
    let (status, text) = verify(&record());
    assert_eq!(status, 0, "{text}");
    assert!(
        text.contains("ElectionGuard 2.0 on P-256, egk-ec's JSON 2.1 layout"),
        "{text}"
    );
    for n in (1..=10).chain(12..=14).chain([19]) {
        assert!(line(&text, n).ends_with("PASS"), "{n}: {text}");
    }
    assert!(line(&text, 5).contains("700 checked"), "{text}");
    let (status, text) = verify(&records().join("allAvailable"));
    assert_eq!(status, 0, "{text}");
    assert!(
        text.contains("(ElectionGuard 2.0, egk-ec's JSON 2.1 layout;"),
        "{text}"
    );
}

#[test]
fn tampered_p256_tallies_and_decryptions_fail_naming_what() {
    // A selection's encrypted tally changed (another selection's): 8 fails.
    let (_t, dir) = tampered("encrypted_tally.json", |v| {
        let other = v["contests"][0]["selections"][1]["encrypted_vote"].clone();
        v["contests"][0]["selections"][0]["encrypted_vote"] = other;
    });
    let (_, text) = verify(&dir);
    assert!(line(&text, 8).ends_with("FAIL"), "{text}");
    // A decrypted count changed: the tally's decryption no longer checks (9 or 10).
    let (_t, dir) = tampered("tally.json", |v| {
        let t = v["contests"][0]["selections"][0]["tally"].as_u64().unwrap();
        v["contests"][0]["selections"][0]["tally"] = (t + 1).into();
    });
    let (_, text) = verify(&dir);
    assert!(
        line(&text, 9).ends_with("FAIL") || line(&text, 10).ends_with("FAIL"),
        "{text}"
    );
    // A cast ballot dropped from the record: the tally is no longer its product (8), and the
    // tally lists a ballot the record lacks (19).
    let (_t, dir) = tampered("encrypted_tally.json", |_| {});
    let dropped = dir.join("encrypted_ballots/runWorkflowDevice/eballot-id-8.json");
    std::fs::remove_file(&dropped).unwrap();
    let (_, text) = verify(&dir);
    assert!(line(&text, 8).ends_with("FAIL"), "{text}");
    assert!(line(&text, 19).ends_with("FAIL"), "{text}");
    // A ballot copied under another file name: its id twice (19) and its code twice (7).
    let (_t, dir) = tampered("encrypted_tally.json", |_| {});
    let device = dir.join("encrypted_ballots/runWorkflowDevice");
    std::fs::copy(
        device.join("eballot-id-8.json"),
        device.join("eballot-id-8b.json"),
    )
    .unwrap();
    let (_, text) = verify(&dir);
    assert!(
        line(&text, 19).ends_with("FAIL") || line(&text, 7).ends_with("FAIL"),
        "{text}"
    );
    // A challenged ballot's stated contest data changed: 14 fails.
    let (_t, dir) = tampered("challenged_ballots/dballot-id-12.json", |v| {
        let data = &mut v["contests"][0]["decrypted_contest_data"]["contest_data"];
        data["status"] = "under_vote".into();
    });
    let (_, text) = verify(&dir);
    assert!(
        line(&text, 14).ends_with("FAIL") || line(&text, 12).ends_with("FAIL"),
        "{text}"
    );
}

#[test]
fn tampered_p256_setups_fail_naming_what() {
    // A coefficient proof's response changed: Verification 2 names the guardian.
    let (_t, dir) = tampered("election_initialized.json", |v| {
        flip(&mut v["guardians"][1]["coefficient_proofs"][0]["response"])
    });
    let (_, text) = verify(&dir);
    assert!(line(&text, 2).ends_with("FAIL"), "{text}");
    assert!(text.contains("guardian guardian2"), "{text}");
    // H_E changed: Verification 4.
    let (_t, dir) = tampered("election_initialized.json", |v| {
        flip(&mut v["extended_base_hash"])
    });
    let (_, text) = verify(&dir);
    assert!(line(&text, 4).ends_with("FAIL"), "{text}");
    // The joint key replaced by another guardian's key: Verification 3.
    let (_t, dir) = tampered("election_initialized.json", |v| {
        v["joint_public_key"] = v["guardians"][0]["coefficient_proofs"][0]["public_key"].clone()
    });
    let (_, text) = verify(&dir);
    assert!(line(&text, 3).ends_with("FAIL"), "{text}");
    // H_P not P-256's: Verification 1.
    let (_t, dir) = tampered("election_config.json", |v| {
        flip(&mut v["parameter_base_hash"])
    });
    let (_, text) = verify(&dir);
    assert!(line(&text, 1).ends_with("FAIL"), "{text}");
    // Another curve's constant: Verification 1.
    let (_t, dir) = tampered("constants.json", |v| v["constants"]["b"] = "7".into());
    let (_, text) = verify(&dir);
    assert!(line(&text, 1).ends_with("FAIL"), "{text}");
    // The joint key as an uncompressed point, off the curve, or cut short: refused, the file
    // and field named.
    for bad in [
        B64.encode([4u8; 33]),
        B64.encode([[2u8].as_slice(), &[0xFF; 32]].concat()),
        B64.encode([3u8; 20]),
        "not base64!".to_owned(),
    ] {
        let (_t, dir) = tampered("election_initialized.json", |v| {
            v["joint_public_key"] = Value::String(bad.clone())
        });
        let (status, text) = verify(&dir);
        assert_eq!(status, 2, "{bad}: {text}");
        assert!(
            text.contains("election_initialized.json") && text.contains("joint_public_key"),
            "{bad}: {text}"
        );
    }
    // A scalar not below n: refused.
    let (_t, dir) = tampered("election_initialized.json", |v| {
        v["guardians"][0]["coefficient_proofs"][0]["challenge"] =
            Value::String(B64.encode([0xFF; 32]))
    });
    let (status, text) = verify(&dir);
    assert_eq!(status, 2, "{text}");
    assert!(
        text.contains("challenge") && text.contains("not below"),
        "{text}"
    );
}

#[test]
fn tampered_p256_ballots_fail_naming_the_ballot() {
    let ballot = "encrypted_ballots/runWorkflowDevice/eballot-id-1.json";
    // A selection proof's response changed: 5 fails on that selection.
    let (_t, dir) = tampered(ballot, |v| {
        flip(&mut v["contests"][0]["selections"][0]["proof"]["proofs"][0]["response"])
    });
    let (_, text) = verify(&dir);
    assert!(line(&text, 5).ends_with("FAIL"), "{text}");
    assert!(
        text.contains("ballot id-1, contest contest1, selection selection1"),
        "{text}"
    );
    // The confirmation code changed: 7 fails on the ballot.
    let (_t, dir) = tampered(ballot, |v| flip(&mut v["confirmation_code"]));
    let (_, text) = verify(&dir);
    assert!(line(&text, 7).ends_with("FAIL"), "{text}");
    assert!(text.contains("ballot id-1"), "{text}");
    // A contest's limit proof replaced by another contest's: 6 fails.
    let (_t, dir) = tampered(ballot, |v| {
        let other = v["contests"][1]["proof"].clone();
        v["contests"][0]["proof"] = other;
    });
    let (_, text) = verify(&dir);
    assert!(
        line(&text, 6).ends_with("FAIL") || line(&text, 5).ends_with("FAIL"),
        "{text}"
    );
    // An encryption's pad off the curve, or not a point encoding: refused, naming the field.
    for bad in [
        B64.encode([[2u8].as_slice(), &[0xFF; 32]].concat()),
        B64.encode([4u8; 33]),
    ] {
        let (_t, dir) = tampered(ballot, |v| {
            v["contests"][0]["selections"][0]["encrypted_vote"]["pad"] = Value::String(bad.clone())
        });
        let (status, text) = verify(&dir);
        assert_eq!(status, 2, "{text}");
        assert!(
            text.contains("eballot-id-1.json") && text.contains("pad"),
            "{text}"
        );
    }
    // Another valid point as the pad: the proof no longer holds (5 fails).
    let (_t, dir) = tampered(ballot, |v| {
        let other = v["contests"][0]["selections"][1]["encrypted_vote"]["pad"].clone();
        v["contests"][0]["selections"][0]["encrypted_vote"]["pad"] = other;
    });
    let (_, text) = verify(&dir);
    assert!(line(&text, 5).ends_with("FAIL"), "{text}");
}
