//! Pre-encrypted paper ballots end to end (spec 2.0 §4): `entente demo --in-process --paper N`
//! prints, marks and records paper ballots beside the booth's; its record verifies with
//! Verifications 15 to 18 applicable, and tampered copies fail naming the verification and
//! the equation.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{status_and_text, verification_line as line};
use serde_json::Value;

/// A record of `group` with 3 booth ballots and 8 paper ballots, made once per test binary.
fn record(group: &'static str) -> &'static Path {
    static P4096: OnceLock<tempfile::TempDir> = OnceLock::new();
    static P256: OnceLock<tempfile::TempDir> = OnceLock::new();
    let cell = if group == "p256" { &P256 } else { &P4096 };
    cell.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("record");
        let (code, text) = status_and_text(&[
            "demo",
            "--in-process",
            "--ballots",
            "3",
            "--paper",
            "8",
            "--group",
            group,
            "--dir",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{text}");
        tmp
    })
    .path()
}

fn verify(dir: &Path) -> (i32, String) {
    status_and_text(&["verify", dir.join("record").to_str().unwrap()])
}

/// The scanning station's ballot files, sorted.
fn paper_ballots(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir.join("encrypted_ballots/riverside-scanner-1"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("eballot-")
            })
            .collect();
    files.sort();
    files
}

/// A copy of the record with `edit` applied to its first two paper ballots' JSON.
fn tampered(group: &'static str, edit: impl FnOnce(&mut Value, &Value)) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("record");
    common::copy_dir(&record(group).join("record"), &dir);
    let files = paper_ballots(&dir);
    let mut first: Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    let second: Value = serde_json::from_slice(&std::fs::read(&files[1]).unwrap()).unwrap();
    edit(&mut first, &second);
    std::fs::write(&files[0], serde_json::to_vec(&first).unwrap()).unwrap();
    tmp
}

/// The index of the contest with the largest limit (the council's three seats).
fn widest(ballot: &Value) -> usize {
    let contests = ballot["contests"].as_array().unwrap();
    (0..contests.len())
        .max_by_key(|&i| {
            contests[i]["pre_encryption"]["selected_vectors"]
                .as_array()
                .unwrap()
                .len()
        })
        .unwrap()
}

/// Asserts exit 1 with Verification `n` failing on `equation`, and the others of 15–18 passing
/// unless listed in `also`.
fn fails(tmp: &tempfile::TempDir, n: u32, equation: &str, also: &[u32]) {
    let (code, text) = verify(tmp.path());
    assert_eq!(code, 1, "{text}");
    assert!(line(&text, n).ends_with("FAIL"), "{n}: {text}");
    assert!(text.contains(equation), "{equation}: {text}");
    for other in (15..=18).filter(|m| *m != n && !also.contains(m)) {
        assert!(line(&text, other).ends_with("PASS"), "{other}: {text}");
    }
}

#[test]
fn paper_records_verify_with_15_to_18_on_both_groups() {
    for group in ["p4096", "p256"] {
        let (code, text) =
            status_and_text(&["verify", record(group).join("record").to_str().unwrap()]);
        assert_eq!(code, 0, "{text}");
        for n in 15..=18 {
            let l = line(&text, n);
            assert!(
                l.ends_with("PASS") && !l.contains(" 0 checked"),
                "{group}: {l}"
            );
        }
        // 8 paper ballots: V17 once per ballot.
        assert!(line(&text, 17).contains(" 8 checked"), "{text}");
    }
}

#[test]
fn a_changed_short_code_fails_18() {
    let tmp = tampered("p4096", |b, _| {
        let c = widest(b);
        let code = &mut b["contests"][c]["pre_encryption"]["selected_vectors"][0]["short_code"];
        let s = code.as_str().unwrap();
        let changed = if s.ends_with('0') {
            format!("{}1", &s[..4])
        } else {
            format!("{}0", &s[..4])
        };
        *code = Value::String(changed);
    });
    fails(&tmp, 18, "18.A: short code", &[]);
}

#[test]
fn a_vector_whose_encryptions_do_not_match_its_hash_fails_17() {
    let tmp = tampered("p4096", |b, _| {
        let c = widest(b);
        let e = &mut b["contests"][c]["pre_encryption"]["selected_vectors"][0]["encryptions"];
        let a = e.as_array_mut().unwrap();
        a.swap(0, 1);
    });
    // The product of the vectors no longer gives the selections either (18).
    fails(&tmp, 17, "does not hash to its selection hash", &[18]);
}

#[test]
fn a_contest_proof_that_does_not_hold_fails_16() {
    let tmp = tampered("p4096", |b, other| {
        let c = widest(b);
        b["contests"][c]["proof"] = other["contests"][c]["proof"].clone();
    });
    fails(&tmp, 16, "16.C", &[]);
}

#[test]
fn a_changed_confirmation_code_fails_17() {
    let tmp = tampered("p4096", |b, _| {
        let code = b["confirmation_code"].as_str().unwrap();
        let flipped = if code.starts_with('0') { "1" } else { "0" };
        b["confirmation_code"] = Value::String(format!("{flipped}{}", &code[1..]));
    });
    fails(&tmp, 17, "17.C", &[]);
}

/// A station that records another ballot's vectors for this one (with their selections, proofs
/// and contest hash, so that everything else holds): they are not among this ballot's hashes.
#[test]
fn vectors_of_another_pre_encrypted_ballot_fail_17() {
    let tmp = tampered("p4096", |b, other| {
        let c = widest(b);
        for key in [
            "selections",
            "proof",
            "contest_hash",
            "encrypted_contest_data",
        ] {
            b["contests"][c][key] = other["contests"][c][key].clone();
        }
        b["contests"][c]["pre_encryption"]["selected_vectors"] =
            other["contests"][c]["pre_encryption"]["selected_vectors"].clone();
    });
    fails(&tmp, 17, "is not among the contest's selection hashes", &[]);
}

#[test]
fn a_vector_published_twice_fails_18() {
    let tmp = tampered("p4096", |b, _| {
        let c = widest(b);
        let v = b["contests"][c]["pre_encryption"]["selected_vectors"]
            .as_array_mut()
            .unwrap();
        let first = v[0].clone();
        v.push(first);
    });
    fails(&tmp, 18, "published twice", &[]);
}

/// On P-256, in egk-ec's 2.1 layout: a selection hash changed in the sorted list.
#[test]
fn a_changed_selection_hash_fails_17_on_p256() {
    let tmp = tampered("p256", |b, _| {
        let c = widest(b);
        common::flip_base64(&mut b["contests"][c]["pre_encryption"]["all_selection_hashes"][0]);
    });
    fails(&tmp, 17, "17.B", &[]);
}
