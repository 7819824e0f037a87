//! `entente demo --serve` as tests use it: the demo runs a small election and keeps its board
//! up; what it prints about the board is read back.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// A demo's board, kept up until this is dropped.
pub struct ServedDemo {
    child: Child,
    /// Held open: the demo serves until the end of its input.
    stdin: Option<ChildStdin>,
    /// The board's URL.
    pub url: String,
    /// The pinned link's fingerprints.
    pub pins: String,
    /// Each party's copy of the pages.
    pub parties: Vec<String>,
    /// The demo's throw-away CA.
    pub ca: PathBuf,
    /// The servers' keys, for Chromium's --ignore-certificate-errors-spki-list.
    pub spki: String,
}

impl Drop for ServedDemo {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// Runs `entente demo --serve` with `ballots` ballots, 3 guardians of quorum 2, exporting its
/// record to `record`.
pub fn serve_demo(record: &Path, ballots: usize) -> ServedDemo {
    serve_demo_in(record, ballots, "p4096")
}

/// [`serve_demo`] of an election in `group` (`p4096` or `p256`).
pub fn serve_demo_in(record: &Path, ballots: usize, group: &str) -> ServedDemo {
    serve_demo_with(record, ballots, group, 0)
}

/// [`serve_demo_in`] with `paper` pre-encrypted paper ballots beside the booth's.
pub fn serve_demo_with(record: &Path, ballots: usize, group: &str, paper: usize) -> ServedDemo {
    let mut child = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(["demo", "--group", group, "--ballots", &ballots.to_string()])
        .args(["--paper", &paper.to_string()])
        .args(["--guardians", "3", "--quorum", "2", "--serve", "--dir"])
        .arg(record)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // What the demo prints about its board, up to "Stop with ctrl-d…".
    let said: Vec<String> = lines
        .by_ref()
        .map_while(Result::ok)
        .take_while(|l| !l.starts_with("Stop with"))
        .collect();
    // The rest of its output is read as it comes, so that it is never written to a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let url = said
        .iter()
        .find_map(|l| Some(l.strip_prefix("Serving the board at ")?.trim().to_owned()))
        .expect("the demo never served its board (see its output above)");
    assert!(url.starts_with("https://"), "the demo serves {url}");
    let pins = said
        .iter()
        .find_map(|l| Some(l.split_once("/#pin=")?.1.trim().to_owned()))
        .expect("the demo printed no pinned link");
    let parties: Vec<String> = said
        .iter()
        .filter_map(|l| {
            let (_, rest) = l.trim().split_once(": https://")?;
            Some(format!("https://{}", rest.trim()))
        })
        .filter(|u| !u.starts_with(&url))
        .collect();
    let (ca, spki) = said
        .iter()
        .find_map(|l| {
            let (_, rest) = l.split_once("--ignore-certificate-errors-spki-list=")?;
            let spki = rest.split_whitespace().next()?.to_owned();
            let (_, ca) = l.split_once("throw-away CA (")?;
            Some((PathBuf::from(ca.split_once(')')?.0), spki))
        })
        .expect("the demo did not say which CA and keys its certificates have");
    ServedDemo {
        child,
        stdin,
        url,
        pins,
        parties,
        ca,
        spki,
    }
}

/// (state, lowercase confirmation code) of every ballot an exported record holds; a ballot
/// recorded from a pre-encrypted one has the state `PAPER`.
pub fn ballot_codes(record: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for device in std::fs::read_dir(record.join("encrypted_ballots")).unwrap() {
        for f in std::fs::read_dir(device.unwrap().path()).unwrap() {
            // Beside the ballots, the device's signed close (`ballot_chain.json`).
            let path = f.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.starts_with("eballot-") {
                continue;
            }
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            let code = code_of(&v);
            let state = if v["is_preencrypt"] == serde_json::Value::Bool(true) {
                "PAPER"
            } else {
                v["state"].as_str().unwrap()
            };
            out.push((state.to_owned(), code));
        }
    }
    out
}

/// A ballot's confirmation code in lower-case hex: hex in egk's 2.0 layout, base64 in
/// egk-ec's 2.1; a voter's receipt shows hex.
fn code_of(v: &serde_json::Value) -> String {
    let code = v["confirmation_code"].as_str().unwrap();
    if code.len() == 64 {
        code.to_ascii_lowercase()
    } else {
        use base64::Engine;
        hex::encode(
            base64::engine::general_purpose::STANDARD
                .decode(code)
                .unwrap(),
        )
    }
}

/// Every short code a paper ballot's record publishes, in its contests' order.
pub fn recorded_short_codes(record: &Path, code: &str) -> Vec<String> {
    let dir = record.join("encrypted_ballots/riverside-scanner-1");
    for f in std::fs::read_dir(dir).unwrap() {
        let path = f.unwrap().path();
        if !path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("eballot-")
        {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        if code_of(&v) != code {
            continue;
        }
        return v["contests"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["pre_encryption"]["selected_vectors"].as_array().unwrap())
            .map(|s| s["short_code"].as_str().unwrap().to_owned())
            .collect();
    }
    panic!("no paper ballot with code {code}")
}
