//! `entente verify` on egk-ec's P-256 record (`../shared/conformance/egk-ec/`): Verifications 1
//! to 7 on the curve hold (the setup and every ballot), and tampered copies fail naming the
//! object or are refused naming the file, never a panic. (The tally and decryptions of a P-256
//! record are reported as not checked, so the whole never passes yet.)

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;

fn record() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/egk-ec/records/allAvailableEc")
}

/// `entente verify DIR`: (exit status, stdout and stderr).
fn verify(dir: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .arg("verify")
        .arg(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("panicked"), "{text}");
    (out.status.code().unwrap_or(-1), text)
}

/// The line of Verification `n`.
fn line(text: &str, n: u32) -> String {
    text.lines()
        .find(|l| l.trim_start().starts_with(&format!("{n} ")))
        .unwrap_or_default()
        .to_owned()
}

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

/// Flips the low bit of the last byte of a base64 value.
fn flip(v: &mut Value) {
    let mut b = B64.decode(v.as_str().unwrap()).unwrap();
    let last = b.len() - 1;
    b[last] ^= 1;
    *v = Value::String(B64.encode(b));
}

#[test]
fn the_setup_of_egk_ec_s_p256_record_verifies_on_the_curve() {
    let (status, text) = verify(&record());
    for n in 1..=7 {
        assert!(line(&text, n).ends_with("PASS"), "{n}: {text}");
    }
    assert!(line(&text, 5).contains("700 checked"), "{text}");
    // Not checked is not passed.
    assert!(line(&text, 8).ends_with("FAIL"), "{text}");
    assert!(text.contains("not checked"), "{text}");
    assert_eq!(status, 1, "{text}");
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
