//! The pages in a real browser: `entente demo --serve` runs a small election and keeps its
//! board up; `tests/browser/pages.mjs` drives Debian's chromium (headless, through
//! playwright-core) against it: a cast code typed with the keyboard, a challenged code with its
//! choices, an unknown and a mistyped code, an entry and a checkpoint that the server tampers
//! with, keys that changed since this browser last saw them, a party's link that pins the keys
//! (and one that pins another key), the board page and the served report. Every page is audited for accessibility (axe-core, WCAG 2.1 A and AA). Screenshots
//! of each page are saved in target/tmp/browser-screenshots/.
//!
//! Needs node, chromium (`apt-get install chromium`) and the pinned playwright-core and
//! axe-core (`npm ci --prefix crates/entente/tests/browser`); `.ci/run` installs them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// (state, lowercase confirmation code) of every ballot the record holds.
fn codes(record: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for device in std::fs::read_dir(record.join("encrypted_ballots")).unwrap() {
        for f in std::fs::read_dir(device.unwrap().path()).unwrap() {
            // Beside the ballots, the device's signed close (`ballot_chain.json`).
            let path = f.unwrap().path();
            if !path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("eballot-")
            {
                continue;
            }
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            out.push((
                v["state"].as_str().unwrap().to_owned(),
                v["confirmation_code"]
                    .as_str()
                    .unwrap()
                    .to_ascii_lowercase(),
            ));
        }
    }
    out
}

#[test]
fn the_pages_check_ballots_and_the_board_in_a_real_browser() {
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
    assert!(
        missing.is_empty(),
        "the browser tests need {} (.ci/run installs them)",
        missing.join(" and ")
    );

    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("record");
    let mut demo = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args([
            "demo",
            "--ballots",
            "10",
            "--guardians",
            "3",
            "--quorum",
            "2",
            "--serve",
        ])
        .arg("--dir")
        .arg(&record)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // Its stdin held open keeps the board up; dropped, the demo stops it.
    let stdin = demo.stdin.take().unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    // What the demo prints about its board, up to "Stop with ctrl-d…".
    let said: Vec<String> = lines
        .by_ref()
        .map_while(Result::ok)
        .take_while(|l| !l.starts_with("Stop with"))
        .collect();
    let url = said
        .iter()
        .find_map(|l| Some(l.strip_prefix("Serving the board at ")?.trim().to_owned()))
        .expect("the demo never served its board (see its output above)");
    // The link with the keys pinned, as a party would hand it out.
    let pins = said
        .iter()
        .find_map(|l| Some(l.split_once("/#pin=")?.1.trim().to_owned()))
        .expect("the demo printed no pinned link");
    // Each party's own copy of the pages, served by its witness on another origin.
    let parties: Vec<String> = said
        .iter()
        .filter_map(|l| {
            let (_, rest) = l.trim().split_once(": https://")?;
            Some(format!("https://{}", rest.trim()))
        })
        .filter(|u| !u.starts_with(&url))
        .collect();
    assert_eq!(
        parties.len(),
        2,
        "the demo did not print both parties' pages"
    );
    // The servers' keys, which Chromium is told to trust (and nothing else): the demo serves
    // over TLS with certificates of its own throw-away CA.
    let (ca, spki) = said
        .iter()
        .find_map(|l| {
            let (_, rest) = l.split_once("--ignore-certificate-errors-spki-list=")?;
            let spki = rest.split_whitespace().next()?.to_owned();
            let (_, ca) = l.split_once("throw-away CA (")?;
            Some((ca.split_once(')')?.0.to_owned(), spki))
        })
        .expect("the demo did not say which CA and keys its certificates have");
    assert!(url.starts_with("https://"), "the demo serves {url}");
    // The rest of its output is read as it comes, so that it is never written to a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));

    let codes = codes(&record);
    let cast = &codes.iter().find(|(s, _)| s == "CAST").unwrap().1;
    let challenged = &codes.iter().find(|(s, _)| s != "CAST").unwrap().1;
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    let _ = std::fs::remove_dir_all(&shots); // no screenshot of an earlier run counts
    let out = Command::new("node")
        .current_dir(scripts())
        .arg("pages.mjs")
        .args([&url, cast, challenged])
        .arg(&shots)
        .arg(&pins)
        .env("CHROMIUM", chromium())
        .env("ENTENTE_TRUST_SPKI", &spki)
        .env("ENTENTE_PARTY_PAGES", parties.join(","))
        // The cases that tamper with the server's answers fetch them in node, which is told
        // to trust the demo's CA.
        .env("NODE_EXTRA_CA_CERTS", &ca)
        .output()
        .expect("cannot run node");
    drop(stdin);
    let _ = demo.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the browser cases failed:\n{stdout}");
    for case in [
        "voter-cast",
        "voter-cast-phone",
        "voter-challenged",
        "voter-unknown",
        "voter-mistyped",
        "voter-tampered",
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

/// The pages' checking library, in node, on another implementation's records: every ballot's
/// confirmation code is recomputed from its encryptions, and changed ones are caught.
#[test]
fn the_pages_recompute_the_confirmation_codes_of_another_implementations_records() {
    let records =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/egk/records");
    let out = Command::new("node")
        .current_dir(scripts())
        .arg("logjs.mjs")
        .arg(records.join("allAvailableJson"))
        .arg(records.join("chainedJson"))
        .output()
        .expect("cannot run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("ok ") && stdout.contains("confirmation codes"),
        "{stdout}"
    );
}
