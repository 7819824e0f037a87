//! Pre-encrypted paper ballots end to end (spec 2.0 §4): `entente demo --paper N` (in one
//! process, and with every role in its own) prints, marks and records paper ballots beside the
//! booth's; its record verifies with Verifications 15 to 18 applicable, and tampered copies
//! fail naming the verification and the equation.

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

/// Two options of a contest whose short codes are equal (a printer that did not draw again)
/// fail 18.A: a scanner could record either for the code the voter kept. The selection hash of
/// an unmarked option is given the first five digits of the next one's (its other digits zero,
/// so the list stays sorted); the contest's pre-encryption hash then fails too (17.B).
#[test]
fn two_options_with_one_short_code_fail_18() {
    let tmp = tampered("p4096", |b, _| {
        let c = widest(b);
        let pre = &mut b["contests"][c]["pre_encryption"];
        let selected: Vec<String> = pre["selected_vectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["selection_hash"].as_str().unwrap().to_owned())
            .collect();
        let hashes = pre["all_selection_hashes"].as_array_mut().unwrap();
        let k = (0..hashes.len() - 1)
            .find(|&k| !selected.iter().any(|s| s == hashes[k].as_str().unwrap()))
            .unwrap();
        let next = hashes[k + 1].as_str().unwrap().to_owned();
        hashes[k] = Value::String(format!("{}{}", &next[..5], "0".repeat(next.len() - 5)));
    });
    fails(
        &tmp,
        18,
        "18.A: two selections of the contest share the short code",
        &[17],
    );
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

/// The style of the demo's records: the first of its manifest.
fn style(record: &Path) -> String {
    let m: Value =
        serde_json::from_slice(&std::fs::read(record.join("manifest.json")).unwrap()).unwrap();
    m["ballot_styles"][0]["object_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `entente pre-encrypt` of two ballots of the record's style into `out`, with `extra`
/// arguments; its print run.
fn print(record: &Path, out: &Path, extra: &[&str]) -> Value {
    let style = style(record);
    let mut args = vec![
        "pre-encrypt",
        "--record",
        record.to_str().unwrap(),
        "--style",
        &style,
        "--count",
        "2",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, text) = status_and_text(&args);
    assert_eq!(code, 0, "{text}");
    serde_json::from_slice(&std::fs::read(out.join("print_run.json")).unwrap()).unwrap()
}

/// `entente pre-encrypt` writes a PDF per ballot that renders, and whose text (read back by
/// poppler's pdftotext, as a print shop's proof would be) holds every option of the style on
/// one line with its short code, the ballot id and the confirmation code; the print run holds
/// the same codes.
#[test]
fn printed_ballots_hold_every_option_with_its_short_code() {
    let record = record("p4096").join("record");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("print");
    let run = print(
        &record,
        &out,
        &["--page-url", "https://board.example/ballot/"],
    );
    let ballots = run["ballots"].as_array().unwrap();
    assert_eq!(ballots.len(), 2);
    for b in ballots {
        let id = b["ballot_id"].as_str().unwrap();
        let pdf = out.join(format!("ballot-{id}.pdf"));
        let read = std::process::Command::new("pdftotext")
            .args(["-layout", pdf.to_str().unwrap(), "-"])
            .output()
            .expect("pdftotext (Debian's poppler-utils, which .ci/run installs)");
        assert!(read.status.success());
        let text = String::from_utf8(read.stdout).unwrap();
        assert!(text.contains(&format!("Ballot id: {id}")), "{text}");
        let code = b["confirmation_code"].as_str().unwrap();
        let grouped: Vec<&str> = (0..8).map(|i| &code[8 * i..8 * i + 8]).collect();
        assert!(text.contains(&grouped.join(" ")), "{text}");
        let mut options = 0;
        for c in b["contests"].as_array().unwrap() {
            assert!(text.contains(c["name"].as_str().unwrap()), "{text}");
            for o in c["options"].as_array().unwrap() {
                let (name, short) = (
                    o["name"].as_str().unwrap(),
                    o["short_code"].as_str().unwrap(),
                );
                let line = text
                    .lines()
                    .find(|l| l.trim_start().starts_with(name))
                    .unwrap_or_else(|| panic!("{name} is not on the ballot: {text}"));
                assert!(
                    line.trim_end().ends_with(short),
                    "{name} is not beside {short}: {line:?}"
                );
                options += 1;
            }
        }
        assert!(options >= 10, "{text}");
        // The page renders (poppler's rasterizer), and is not blank.
        let png = tmp.path().join(id);
        let render = std::process::Command::new("pdftoppm")
            .args([
                "-r",
                "40",
                "-png",
                "-singlefile",
                pdf.to_str().unwrap(),
                png.to_str().unwrap(),
            ])
            .status()
            .expect("pdftoppm (poppler-utils)");
        assert!(render.success());
        let bytes = std::fs::read(png.with_extension("png")).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 2_000,
            "{} bytes",
            bytes.len()
        );
    }
    // A second run into the same folder is refused: its nonces may be in use.
    let (code, text) = status_and_text(&[
        "pre-encrypt",
        "--record",
        record.to_str().unwrap(),
        "--style",
        &style(&record),
        "--count",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("never overwritten"), "{text}");
}

/// `entente record-paper`, the scanning station by hand: bad marks are refused naming the
/// ballot and nothing is written; good ones are recorded and pass Verifications 15 to 18 (the
/// record's tally, made before, then lacks them: Verification 19 says so).
#[test]
fn the_scanning_station_records_marks_and_refuses_bad_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("record");
    common::copy_dir(&self::record("p256").join("record"), &record);
    let out = tmp.path().join("print");
    let r = record.to_str().unwrap();
    let run = print(&record, &out, &["--prefix", "late-"]);
    let b = &run["ballots"][0];
    let c = &b["contests"][0];
    let marks = |codes: Vec<&str>| {
        let contest = c["contest_id"].as_str().unwrap();
        serde_json::json!([{ "ballot_id": b["ballot_id"], "marks": { contest: codes } }])
    };
    let station = |marked: &Value| {
        let file = tmp.path().join("marked.json");
        std::fs::write(&file, marked.to_string()).unwrap();
        status_and_text(&[
            "record-paper",
            "--record",
            r,
            "--device",
            "scanner-2",
            "--print-run",
            out.join("print_run.json").to_str().unwrap(),
            file.to_str().unwrap(),
        ])
    };
    let (code, text) = station(&marks(vec!["ZZZZZ"]));
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("late-000001") && text.contains("not a short code"),
        "{text}"
    );
    assert!(!record.join("encrypted_ballots/scanner-2").exists());

    let first = c["options"][0]["short_code"].as_str().unwrap();
    let (code, text) = station(&marks(vec![first]));
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(b["confirmation_code"].as_str().unwrap()),
        "{text}"
    );
    // Again: the ballot is recorded already.
    let (code, text) = station(&marks(vec![first]));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("recorded already"), "{text}");

    let (code, text) = status_and_text(&["verify", r]);
    assert_eq!(code, 1, "{text}");
    for n in 15..=18 {
        assert!(line(&text, n).ends_with("PASS"), "{text}");
    }
    assert!(line(&text, 19).ends_with("FAIL"), "{text}");
    assert!(text.contains("late-000001"), "{text}");
}

/// The voter's page's checking library (`log.js`, in node) on the paper records of both
/// groups: each pre-encrypted ballot's printed confirmation code is recomputed from its
/// published vectors, selection hashes and pre-encryption hashes, its short codes from the
/// vectors, and a changed short code, selection hash or pre-encryption is caught.
#[test]
fn the_voters_page_checks_paper_ballots_codes() {
    let (p4096, p256) = (
        record("p4096").join("record"),
        record("p256").join("record"),
    );
    let stdout = common::node_logjs(&[&p4096, &p256]);
    // 3 booth and 8 paper ballots in each record.
    assert!(
        stdout.contains("ok 22 confirmation codes, 16 of pre-encrypted ballots"),
        "{stdout}"
    );
}

/// The scanning station leaves the chain of an election that chains codes; a booth that says it
/// does so too is named under Verification 7.
#[test]
fn a_booth_that_leaves_the_chain_fails_7() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("record");
    common::copy_dir(&record("p4096").join("record"), &dir);
    let config: Value =
        serde_json::from_slice(&std::fs::read(dir.join("election_config.json")).unwrap()).unwrap();
    assert_eq!(config["chain_confirmation_codes"], Value::Bool(true));
    let chain = dir.join("encrypted_ballots/riverside-booth-1/ballot_chain.json");
    let mut v: Value = serde_json::from_slice(&std::fs::read(&chain).unwrap()).unwrap();
    v["chaining"] = Value::Bool(false);
    std::fs::write(&chain, serde_json::to_vec(&v).unwrap()).unwrap();
    let (code, text) = verify(tmp.path());
    assert_eq!(code, 1, "{text}");
    assert!(line(&text, 7).ends_with("FAIL"), "{text}");
    assert!(
        text.contains("only pre-encrypted ballots may be recorded outside a chain"),
        "{text}"
    );
}

/// `entente demo --paper N` with every role in its own process: the printer, the
/// administrator's commitment of the print run and the scanning station on the network; the
/// record verifies with Verifications 15-18, its log holds the run (codes, never a nonce), and
/// the verifier says how many ballots of the run were recorded.
#[test]
fn a_networked_demo_prints_commits_scans_and_verifies_paper_ballots() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("record");
    let (code, text) = status_and_text(&[
        "demo",
        "--group",
        "p256",
        "--ballots",
        "2",
        "--paper",
        "3",
        "--guardians",
        "3",
        "--quorum",
        "2",
        "--dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{text}");
    for n in 15..=18 {
        assert!(line(&text, n).ends_with("PASS"), "{text}");
    }
    assert!(
        text.contains("print run of log entry") && text.contains("3 of its 3 paper ballots"),
        "{text}"
    );
    let run: Value =
        serde_json::from_slice(&std::fs::read(dir.join("print_runs/print-run-1.json")).unwrap())
            .unwrap();
    let ballots = run["ballots"].as_array().unwrap();
    assert_eq!(ballots.len(), 3, "{run}");
    assert!(
        ballots.iter().all(|b| b.get("primary_nonce").is_none()),
        "a nonce on the board: {run}"
    );
    assert_eq!(paper_ballots(&dir).len(), 3);
    // The record verifies on its own too, with the log's rules checked.
    let (code, text) = status_and_text(&["verify", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("3 of its 3 paper ballots recorded"), "{text}");
}
