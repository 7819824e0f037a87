//! The conformance harness on egk's published vectors, and on corrupted copies of them.

use std::path::{Path, PathBuf};
use std::process::Command;

use entente_conformance::{Outcome, check_file, summary, vector_files};
use serde_json::Value;

const IMPLEMENTED: [&str; 13] = [
    "ParametersTestVector.json",
    "KeyCeremonyTestVector.json",
    "ShareEncryptionTestVector.json",
    "BallotEncryptionTestVector.json",
    "ConfirmationCodeTestVector.json",
    "BallotChainingTestVector.json",
    "DecryptWithNonceTestVector.json",
    "BallotAggregationTestVector.json",
    "TallyPartialDecryptionTestVector.json",
    "TallyDecryptionTestVector.json",
    "DecryptBallotTestVector.json",
    "PreEncryptionTestVector.json",
    "PreEncryptionRecordedTestVector.json",
];

fn vectors_dir() -> PathBuf {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/egk/testvectors");
    assert!(
        dir.is_dir(),
        "conformance data missing: {} (the project expects ../shared beside it)",
        dir.display()
    );
    dir
}

#[test]
fn implemented_vectors_pass() {
    for name in IMPLEMENTED {
        let result = check_file(&vectors_dir().join(name));
        assert!(matches!(result.outcome, Outcome::Pass(_)), "{result}");
    }
}

#[test]
fn the_whole_directory_has_no_failure() {
    let results: Vec<_> = vector_files(&vectors_dir())
        .unwrap()
        .iter()
        .map(|f| check_file(f))
        .collect();
    let (passed, failed, skipped) = summary(&results);
    assert_eq!((passed, failed), (IMPLEMENTED.len(), 0), "{results:#?}");
    assert_eq!(skipped, results.len() - IMPLEMENTED.len());
}

/// JSON paths of every hex string (16 digits or more) in a value.
fn hex_fields(v: &Value, path: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, v)| hex_fields(v, format!("{path}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| hex_fields(v, format!("{path}/{i}"), out)),
        Value::String(s) if s.len() >= 16 && s.chars().all(|c| c.is_ascii_hexdigit()) => {
            out.push(path)
        }
        _ => {}
    }
}

/// Whether a field enters no expected value, so that no check can notice a change to it: the
/// range-proof nonce c_ℓ at the true value ℓ, which eq. (47) replaces by c minus the others.
/// The ballot-encryption vector gives a c_nonce for every j, the true one included.
fn unused(original: &Value, field: &str) -> bool {
    // The tally-decryption vectors' H_E enters only the proofs of the decryption, which the
    // vectors do not give; their H_B is not given either, so nothing can check H_E there.
    if field == "/extended_base_hash" && original.get("expected_decrypted_tally").is_some() {
        return true;
    }
    let Some(rest) = field.strip_suffix("/c_nonce") else {
        return false;
    };
    let Some((proof, j)) = rest.rsplit_once("/proofs/") else {
        return false;
    };
    let j: i64 = j.parse().unwrap();
    // .../contests/C/selections/S/expected_proof or .../contests/C/expected_proof
    let parts: Vec<&str> = proof.split('/').collect();
    let ballot: usize = parts[2].parse().unwrap();
    let contest: usize = parts[4].parse().unwrap();
    let plain = &original["ballots"][ballot]["contests"][contest]["selections"];
    let true_value = if parts.get(5) == Some(&"selections") {
        let s: usize = parts[6].parse().unwrap();
        plain[s]["vote"].as_i64().unwrap()
    } else {
        plain
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["vote"].as_i64().unwrap())
            .sum()
    };
    j == true_value
}

/// Changes one hex digit of one field in each of `stride`-spaced fields and checks that the
/// harness fails the copy.
fn corrupted_copies_fail(name: &str, stride: usize) {
    let original: Value =
        serde_json::from_str(&std::fs::read_to_string(vectors_dir().join(name)).unwrap()).unwrap();
    let mut fields = Vec::new();
    hex_fields(&original, String::new(), &mut fields);
    fields.retain(|f| !unused(&original, f));
    assert!(!fields.is_empty());
    let dir = tempfile::tempdir().unwrap();
    for (n, field) in fields.iter().enumerate().step_by(stride) {
        let mut copy = original.clone();
        let Some(Value::String(s)) = copy.pointer_mut(field) else {
            unreachable!("the path was just collected")
        };
        // Vary the position so that leading, middle and trailing digits are all exercised.
        let pos = (n * 7) % s.len();
        let digit = s.as_bytes()[pos];
        let replacement = if digit == b'0' { '1' } else { '0' };
        s.replace_range(pos..=pos, &replacement.to_string());
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_string_pretty(&copy).unwrap()).unwrap();
        let result = check_file(&path);
        assert!(
            matches!(result.outcome, Outcome::Fail(_)),
            "digit {pos} of {field} changed, but: {result}"
        );
    }
}

#[test]
fn corrupted_parameters_fail() {
    corrupted_copies_fail("ParametersTestVector.json", 1);
}

#[test]
fn corrupted_key_ceremony_fails() {
    corrupted_copies_fail("KeyCeremonyTestVector.json", 1);
}

#[test]
fn corrupted_share_encryption_fails() {
    corrupted_copies_fail("ShareEncryptionTestVector.json", 1);
}

#[test]
fn corrupted_ballot_encryption_fails() {
    corrupted_copies_fail("BallotEncryptionTestVector.json", 1);
}

#[test]
fn corrupted_confirmation_code_fails() {
    corrupted_copies_fail("ConfirmationCodeTestVector.json", 1);
}

#[test]
fn corrupted_ballot_chaining_fails() {
    corrupted_copies_fail("BallotChainingTestVector.json", 1);
}

#[test]
fn corrupted_decrypt_with_nonce_fails() {
    corrupted_copies_fail("DecryptWithNonceTestVector.json", 1);
}

#[test]
fn corrupted_ballot_aggregation_fails() {
    corrupted_copies_fail("BallotAggregationTestVector.json", 3);
}

#[test]
fn corrupted_tally_decryption_fails() {
    corrupted_copies_fail("TallyDecryptionTestVector.json", 3);
}

#[test]
fn corrupted_partial_tally_decryption_fails() {
    corrupted_copies_fail("TallyPartialDecryptionTestVector.json", 3);
}

#[test]
fn corrupted_ballot_decryption_fails() {
    corrupted_copies_fail("DecryptBallotTestVector.json", 3);
}

#[test]
fn corrupted_preencryption_fails() {
    corrupted_copies_fail("PreEncryptionTestVector.json", 1);
}

#[test]
fn corrupted_recorded_preencryption_fails() {
    corrupted_copies_fail("PreEncryptionRecordedTestVector.json", 2);
}

/// The recorded vector's short codes are five hex digits, too short for [`hex_fields`]: each
/// marked code, and each short code the ballot publishes, changed in turn fails the copy.
#[test]
fn changed_short_codes_fail() {
    let name = "PreEncryptionRecordedTestVector.json";
    let original: Value =
        serde_json::from_str(&std::fs::read_to_string(vectors_dir().join(name)).unwrap()).unwrap();
    let mut fields = Vec::new();
    for (contest, codes) in original["selected_codes"].as_object().unwrap() {
        for i in 0..codes.as_array().unwrap().len() {
            fields.push(format!("/selected_codes/{contest}/{i}"));
        }
    }
    for (c, contest) in original["expected_recorded_ballot"]["contests"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let vectors = contest["pre_encryption"]["selected_vectors"]
            .as_array()
            .unwrap();
        for v in 0..vectors.len() {
            fields.push(format!(
                "/expected_recorded_ballot/contests/{c}/pre_encryption/selected_vectors/{v}/short_code"
            ));
        }
    }
    assert!(fields.len() >= 6, "{fields:?}");
    let dir = tempfile::tempdir().unwrap();
    for field in &fields {
        let mut copy = original.clone();
        let Some(Value::String(s)) = copy.pointer_mut(field) else {
            panic!("{field} is not a string")
        };
        let last = if s.ends_with('0') { "1" } else { "0" };
        s.replace_range(s.len() - 1.., last);
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_string_pretty(&copy).unwrap()).unwrap();
        let result = check_file(&path);
        assert!(
            matches!(result.outcome, Outcome::Fail(_)),
            "{field} changed, but: {result}"
        );
    }
}

#[test]
fn the_command_prints_lines_and_a_summary() {
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .arg("testvectors")
        .arg(vectors_dir())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    for name in IMPLEMENTED {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("PASS {name}"))),
            "{stdout}"
        );
    }
    assert_eq!(
        stdout.lines().last(),
        Some("13 passed, 0 failed, 0 skipped")
    );

    // A failing file makes the exit status 1; an unreadable directory 2.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(vectors_dir().join(IMPLEMENTED[0])).unwrap();
    std::fs::write(
        dir.path().join(IMPLEMENTED[0]),
        text.replacen("AB91D83C", "AB91D83D", 1),
    )
    .unwrap();
    std::fs::write(dir.path().join("BrokenTestVector.json"), "{ not json").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .arg("testvectors")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!(
            "FAIL {}: parameter_base_hash.expected",
            IMPLEMENTED[0]
        )),
        "{stdout}"
    );
    assert!(stdout.contains("SKIP BrokenTestVector.json"), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("0 passed, 1 failed, 1 skipped"));

    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .arg("testvectors")
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("no *TestVector.json files")
    );
}
