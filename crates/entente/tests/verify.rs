//! `entente verify` on records: both of egk's, a demo's, and a demo's record changed in each way
//! an attacker might (the verifier must exit 1 and name the verification and the object), or
//! broken (exit 2 with a message naming the file, never a panic).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

mod common;
use common::{copy_dir, json};

fn entente(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(args)
        .output()
        .expect("the entente binary runs")
}

fn verify(dir: &Path) -> (Option<i32>, String, String) {
    let out = entente(&["verify", dir.to_str().unwrap()]);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// A 6-ballot demo record (ballot 1 challenged), made once.
fn demo_record() -> &'static Path {
    static RECORD: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = RECORD.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("record");
        let out = entente(&[
            "demo",
            "--in-process",
            "--ballots",
            "6",
            "--dir",
            path.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (tmp, path)
    });
    path
}

/// Changes one hex digit in the middle of a string value.
fn flip_digit(v: &mut Value) {
    let s = v.as_str().unwrap().to_owned();
    let i = s.len() / 2;
    let c = s.as_bytes()[i];
    let new = if c == b'0' { '1' } else { '0' };
    *v = Value::String(format!("{}{new}{}", &s[..i], &s[i + 1..]));
}

/// The report's line for verification `n`, and the failure lines under it.
fn section(stdout: &str, n: u8) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in stdout.lines() {
        let head = line.get(..2).map(str::trim);
        if head.is_some_and(|h| h.parse::<u8>().is_ok()) && !line.starts_with("      ") {
            inside = head == Some(&n.to_string());
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn the_conformance_records_and_a_demo_record_verify() {
    let records =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/egk/records");
    for name in ["allAvailableJson", "chainedJson"] {
        let (code, stdout, stderr) = verify(&records.join(name));
        assert_eq!(code, Some(0), "{name}: {stdout}{stderr}");
        assert!(stdout.contains("verifications that apply hold"), "{stdout}");
    }
    let dir = demo_record();
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("report.json");
    let out = entente(&[
        "verify",
        dir.to_str().unwrap(),
        "--json",
        report.to_str().unwrap(),
        "--threads",
        "1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let r = json(&report);
    assert_eq!(r["checks"].as_array().unwrap().len(), 19);
    assert_eq!(r["checks"][4]["number"], 5);
    assert_eq!(r["checks"][4]["status"], "PASS");
    assert_eq!(r["checks"][4]["checked"], 6 * 13);
    assert_eq!(r["checks"][14]["status"], "NOT_APPLICABLE");
    assert_eq!(r["ballots"], 6);
}

#[test]
fn every_kind_of_tampering_is_caught_and_named() {
    type Tamper = (&'static str, fn(&Path), u8, &'static [&'static str]);
    let cases: Vec<Tamper> = vec![
        (
            "a digit of a selection ciphertext",
            |d| {
                let f = d.join("encrypted_ballots/riverside-booth-1/eballot-ballot-000003.json");
                let mut v = json(&f);
                flip_digit(&mut v["contests"][0]["selections"][0]["encrypted_vote"]["pad"]);
                write(&f, &v);
            },
            5,
            &["ballot ballot-000003, contests[0].selections[0].encrypted_vote.pad: 5.A"],
        ),
        (
            "a proof's response",
            |d| {
                let f = d.join("encrypted_ballots/riverside-booth-1/eballot-ballot-000004.json");
                let mut v = json(&f);
                flip_digit(
                    &mut v["contests"][1]["selections"][2]["proof"]["proofs"][0]["response"],
                );
                write(&f, &v);
            },
            5,
            &["ballot ballot-000004, contest council, selection", "5.D"],
        ),
        (
            "a confirmation code in the chain",
            |d| {
                let f = d.join("encrypted_ballots/riverside-booth-1/eballot-ballot-000003.json");
                let mut v = json(&f);
                flip_digit(&mut v["confirmation_code"]);
                write(&f, &v);
            },
            7,
            &["ballot ballot-000003: 7.B", "ballot ballot-000004: 7.E"],
        ),
        (
            "a guardian's commitment",
            |d| {
                let f = d.join("election_initialized.json");
                let mut v = json(&f);
                flip_digit(&mut v["guardians"][1]["coefficient_proofs"][1]["public_key"]);
                write(&f, &v);
            },
            2,
            &["guardian guardian2 (index 2), coefficient 1: 2."],
        ),
        (
            "a ballot removed from the tally",
            |d| {
                let f = d.join("encrypted_tally.json");
                let mut v = json(&f);
                v["cast_ballot_ids"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|i| i != "ballot-000005");
                write(&f, &v);
            },
            19,
            &["ballot ballot-000005: a cast ballot that the encrypted tally does not list"],
        ),
        (
            "a ballot removed from the tally (its product)",
            |d| {
                let f = d.join("encrypted_tally.json");
                let mut v = json(&f);
                v["cast_ballot_ids"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|i| i != "ballot-000005");
                write(&f, &v);
            },
            8,
            &["8.A/8.B"],
        ),
        (
            "a challenged ballot added to the tally",
            |d| {
                let f = d.join("encrypted_tally.json");
                let mut v = json(&f);
                v["cast_ballot_ids"]
                    .as_array_mut()
                    .unwrap()
                    .push("ballot-000001".into());
                write(&f, &v);
            },
            19,
            &["ballot ballot-000001: a challenged ballot listed among the tally's cast ballots"],
        ),
        (
            "a tally count",
            |d| {
                let f = d.join("tally.json");
                let mut v = json(&f);
                let t = v["contests"][0]["selections"][0]["tally"].as_u64().unwrap();
                v["contests"][0]["selections"][0]["tally"] = (t + 1).into();
                write(&f, &v);
            },
            10,
            &["tally, contest mayor, selection", "10.A"],
        ),
        (
            "a decryption share",
            |d| {
                let f = d.join("tally.json");
                let mut v = json(&f);
                flip_digit(&mut v["contests"][3]["selections"][1]["proof"]["response"]);
                write(&f, &v);
            },
            9,
            &["tally, contest water-board, selection", "9.B"],
        ),
        (
            "a challenged ballot's decrypted choice",
            |d| {
                let f = d.join("challenged_ballots/dballot-ballot-000001.json");
                let mut v = json(&f);
                let t = v["contests"][2]["selections"][0]["tally"].as_u64().unwrap();
                v["contests"][2]["selections"][0]["tally"] = (1 - t).into();
                write(&f, &v);
            },
            13,
            &[
                "challenged ballot ballot-000001, contest measure-7, selection",
                "13.A",
            ],
        ),
    ];
    for (what, tamper, n, expected) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("record");
        copy_dir(demo_record(), &dir);
        tamper(&dir);
        let (code, stdout, stderr) = verify(&dir);
        assert_eq!(code, Some(1), "{what}: {stdout}{stderr}");
        let s = section(&stdout, n);
        assert!(
            s.contains("FAIL"),
            "{what}: verification {n} should fail:\n{stdout}"
        );
        for e in expected {
            assert!(
                s.contains(e),
                "{what}: expected {e:?} under verification {n}:\n{stdout}"
            );
        }
    }
}

#[test]
fn malformed_records_are_refused_with_exit_status_2() {
    type Break = (&'static str, fn(&Path), &'static str);
    let cases: Vec<Break> = vec![
        (
            "truncated JSON",
            |d| {
                let f = d.join("tally.json");
                let text = std::fs::read_to_string(&f).unwrap();
                std::fs::write(&f, &text[..text.len() / 2]).unwrap();
            },
            "tally.json",
        ),
        (
            "a missing file",
            |d| {
                std::fs::remove_file(d.join("manifest.json")).unwrap();
            },
            "manifest.json",
        ),
        (
            "an element outside Z_p",
            |d| {
                let f = d.join("encrypted_ballots/riverside-booth-1/eballot-ballot-000002.json");
                let mut v = json(&f);
                v["contests"][0]["selections"][1]["encrypted_vote"]["data"] =
                    "F".repeat(1024).into();
                write(&f, &v);
            },
            "contests[0].selections[1].encrypted_vote.data",
        ),
        (
            "a non-hex digit",
            |d| {
                let f = d.join("encrypted_ballots/riverside-booth-1/eballot-ballot-000002.json");
                let mut v = json(&f);
                let s = v["contests"][0]["proof"]["proofs"][0]["challenge"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                v["contests"][0]["proof"]["proofs"][0]["challenge"] =
                    format!("G{}", &s[1..]).into();
                write(&f, &v);
            },
            "contests[0].proof.proofs[0].challenge",
        ),
    ];
    for (what, breaks, named) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("record");
        copy_dir(demo_record(), &dir);
        breaks(&dir);
        let (code, stdout, stderr) = verify(&dir);
        assert_eq!(code, Some(2), "{what}: {stdout}{stderr}");
        assert!(
            stderr.contains("cannot be read") && stderr.contains(named),
            "{what}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    }
}

#[test]
fn the_html_report_shows_the_result_and_the_failures_and_stands_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("report.html");
    let html = |dir: &Path| {
        let out = entente(&[
            "verify",
            dir.to_str().unwrap(),
            "--html",
            page.to_str().unwrap(),
        ]);
        (out.status.code(), std::fs::read_to_string(&page).unwrap())
    };
    let (code, text) = html(demo_record());
    assert_eq!(code, Some(0));
    for expected in [
        "<html lang=\"en\">",
        "name=\"viewport\"",
        "Every check holds",
        "<h3>Mayor of Riverside</h3>",
        "Ada Okafor",
        "class=\"bar\"",
        "Well-formedness of selection encryptions",
        "not applicable",
    ] {
        assert!(text.contains(expected), "{expected:?} missing");
    }
    // Self-contained: no script, stylesheet, font, image or link from elsewhere.
    for outside in ["<script", "<link", "<img", "http://", "https://", "url("] {
        assert!(!text.contains(outside), "{outside:?} in the page");
    }

    // A tampered record: the page says so first, then names the failing object and equation.
    let bad = tmp.path().join("bad");
    copy_dir(demo_record(), &bad);
    let f = bad.join("encrypted_ballots/riverside-booth-1/eballot-ballot-000004.json");
    let mut v = json(&f);
    flip_digit(&mut v["contests"][1]["selections"][2]["proof"]["proofs"][0]["response"]);
    write(&f, &v);
    let (code, text) = html(&bad);
    assert_eq!(code, Some(1));
    assert!(text.contains("Some checks fail"), "{text}");
    assert!(text.contains("Failures in detail"), "{text}");
    assert!(
        text.contains("ballot ballot-000004, contest council"),
        "{text}"
    );
    assert!(text.contains("FAILED"), "{text}");
}
