//! The pages in a real browser: `entente demo --serve` runs a small election and keeps its
//! board up; `tests/browser/pages.mjs` drives Debian's chromium (headless, through
//! playwright-core) against it: a cast code typed with the keyboard, a challenged code with its
//! choices, a hand-marked paper ballot with its short codes and print run, an unknown and a
//! mistyped code, an entry and a checkpoint that the server tampers
//! with, keys that changed since this browser last saw them, a party's link that pins the keys
//! (and one that pins another key), the board page and the served report; and each party's own
//! copy of the pages, served by its witness on another origin, while the board serves a
//! tampered script and tampered answers. Every page is audited for accessibility (axe-core,
//! WCAG 2.1 A and AA). Screenshots of each page are saved in target/tmp/browser-screenshots/.
//!
//! Needs node, chromium (`apt-get install chromium`) and the pinned playwright-core and
//! axe-core (`npm ci --prefix crates/entente/tests/browser`); `.ci/run` installs them.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// What the browser tests need and this machine lacks, if anything.
fn missing() -> Option<String> {
    let missing: Vec<String> = [
        (chromium(), "chromium: apt-get install chromium"),
        (
            scripts().join("node_modules/playwright-core"),
            "playwright-core: npm ci --prefix crates/entente/tests/browser",
        ),
        (
            scripts().join("node_modules/axe-core"),
            "axe-core: npm ci --prefix crates/entente/tests/browser",
        ),
    ]
    .into_iter()
    .filter(|(p, _)| !p.exists())
    .map(|(_, how)| how.to_owned())
    .collect();
    (!missing.is_empty()).then(|| missing.join(" and "))
}

/// Runs `pages.mjs` (the cases in `only`, or all) against a served demo election in `group`,
/// saving screenshots in `shots`; returns what it printed, once every case it ran held.
fn run_pages(group: &str, shots: &Path, only: Option<&[&str]>) -> String {
    // Beside the booth's ballots, two hand-marked paper ballots.
    const PAPER: usize = 2;
    if let Some(why) = missing() {
        panic!("the browser tests need {why} (.ci/run installs them)");
    }
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("record");
    let demo = common::served::serve_demo_with(&record, 10, group, PAPER);
    assert_eq!(
        demo.parties.len(),
        2,
        "the demo did not print both parties' pages"
    );
    let codes = common::served::ballot_codes(&record);
    let cast = &codes.iter().find(|(s, _)| s == "CAST").unwrap().1;
    let challenged = &codes
        .iter()
        .find(|(s, _)| s != "CAST" && s != "PAPER")
        .unwrap()
        .1;
    let paper = &codes.iter().find(|(s, _)| s == "PAPER").unwrap().1;
    let short_codes = common::served::recorded_short_codes(&record, paper);
    let _ = std::fs::remove_dir_all(shots); // no screenshot of an earlier run counts
    let mut node = Command::new("node");
    node.current_dir(scripts())
        .arg("pages.mjs")
        .args([&demo.url, cast, challenged])
        .arg(shots)
        .arg(&demo.pins)
        .env("CHROMIUM", chromium())
        .env("ENTENTE_TRUST_SPKI", &demo.spki)
        .env("ENTENTE_PARTY_PAGES", demo.parties.join(","))
        .env("ENTENTE_PAPER_CODE", paper)
        .env("ENTENTE_PAPER_SHORT_CODES", short_codes.join(","))
        // The cases that tamper with the server's answers fetch them in node, which is told
        // to trust the demo's CA.
        .env("NODE_EXTRA_CA_CERTS", &demo.ca);
    if let Some(cases) = only {
        node.env("ONLY", cases.join(","));
    }
    let out = node.output().expect("cannot run node");
    drop(demo);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the browser cases failed:\n{stdout}");
    stdout
}

#[test]
fn the_pages_check_ballots_and_the_board_in_a_real_browser() {
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    let stdout = run_pages("p4096", &shots, None);
    for case in [
        "voter-cast",
        "voter-cast-phone",
        "voter-challenged",
        "voter-paper",
        "voter-unknown",
        "voter-mistyped",
        "voter-tampered",
        "voter-body-swapped",
        "voter-forged-checkpoint",
        "voter-keys-changed",
        "voter-pinned",
        "voter-pinned-other-key",
        "board",
        "report",
        "party-cast",
        "party-challenged",
        "party-board-script-tampered",
        "party-forged-checkpoint",
        "party-board",
    ] {
        assert!(
            stdout.contains(&format!("ok {case}\n")),
            "{case} did not run"
        );
        assert!(
            shots.join(format!("{case}.png")).exists(),
            "no screenshot of {case}"
        );
    }
}

/// The voter's page on a P-256 election (its record in egk-ec's 2.1 layout): a cast and a
/// challenged ballot proven, the confirmation code recomputed over 33-byte points, a changed
/// encryption caught; on the board's page and a party's own.
#[test]
fn the_voter_s_page_checks_p256_ballots_in_a_real_browser() {
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots-p256");
    let cases = [
        "voter-cast",
        "voter-challenged",
        "voter-paper",
        "voter-tampered",
        "party-cast",
        "party-challenged",
    ];
    let stdout = run_pages("p256", &shots, Some(&cases));
    for case in cases {
        assert!(
            stdout.contains(&format!("ok {case}\n")),
            "{case} did not run"
        );
    }
}

/// The pages' checking library, in node, on other implementations' records (egk's 2.0 ones,
/// egk-ec's 2.1 ones on P-256 and on the 4096-bit group): every ballot's confirmation code is
/// recomputed from its encryptions, and changed ones are caught.
#[test]
fn the_pages_recompute_the_confirmation_codes_of_another_implementations_records() {
    let conformance = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
    let stdout = common::node_logjs(&[
        &conformance.join("egk/records/allAvailableJson"),
        &conformance.join("egk/records/chainedJson"),
        &conformance.join("egk-ec/records/allAvailableEc"),
        &conformance.join("egk-ec/records/allAvailable"),
    ]);
    assert!(
        stdout.starts_with("ok ") && stdout.contains("confirmation codes"),
        "{stdout}"
    );
}
