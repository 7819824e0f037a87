//! The scanning station on the network, by the commands a county would run: `entente
//! pre-encrypt` prints a run for the election a board serves, the station (`entente device
//! --pre-encrypted`) records marked ballots and is refused until `entente admin print-run`
//! commits the run; it then submits what it recorded, each ballot once, and the board answers
//! a lookup of each code with the station's signed ballot.

use std::path::Path;

use serde_json::Value;

mod common;
use common::http;

const PASS: &str = "scanner test passphrase";
const ORIGIN: &str = "board.example/scanner-test";

#[test]
fn a_scanning_station_submits_only_what_a_committed_print_run_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let run = |args: &[&str]| {
        let out = common::entente(PASS).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?}: {stderr}");
        String::from_utf8(out.stdout).unwrap()
    };
    let keygen = |file: &str, name: &str| {
        let key = s(&d.join(file));
        run(&[
            "keygen",
            "--out",
            &key,
            "--name",
            name,
            "--scrypt-log-n",
            "2",
        ])
        .trim()
        .to_owned()
    };
    keygen("log.key", ORIGIN);
    let admin = keygen("admin.key", "administrator");
    let scanner = keygen("scanner.key", "county-scanner-1");
    let db = s(&d.join("board.db"));
    let log_key = s(&d.join("log.key"));
    run(&[
        "board", "init", "--db", &db, "--origin", ORIGIN, "--key", &log_key,
    ]);
    let roles = d.join("roles.json");
    let definition = serde_json::json!({
        "administrator": admin,
        "devices": [scanner],
        "scanners": ["county-scanner-1"],
    });
    std::fs::write(&roles, serde_json::to_vec(&definition).unwrap()).unwrap();
    let record = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/egk/records/allAvailableJson");
    let args = [
        "serve",
        "--db",
        &db,
        "--listen",
        "127.0.0.1:0",
        "--roles",
        &s(&roles),
        "--record",
        &s(&record),
    ];
    let (_server, addr) = common::start(PASS, &args, false);
    let server = format!("http://{addr}");
    let log_pub = s(&d.join("log.key.pub"));

    // The printer: two ballots of the election's style; the voters mark the first option of
    // every contest.
    let print = d.join("print");
    run(&[
        "pre-encrypt",
        "--record",
        &s(&record),
        "--style",
        "ballotStyle",
        "--count",
        "2",
        "--out",
        &s(&print),
    ]);
    let print_run = s(&print.join("print_run.json"));
    let printed: Value = serde_json::from_slice(&std::fs::read(&print_run).unwrap()).unwrap();
    let marked: Vec<Value> = printed["ballots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let marks: serde_json::Map<String, Value> = b["contests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    let first = c["options"][0]["short_code"].clone();
                    (
                        c["contest_id"].as_str().unwrap().to_owned(),
                        Value::from(vec![first]),
                    )
                })
                .collect();
            serde_json::json!({ "ballot_id": b["ballot_id"], "marks": marks })
        })
        .collect();
    let marked_file = s(&d.join("marked.json"));
    std::fs::write(&marked_file, serde_json::to_vec(&marked).unwrap()).unwrap();

    let station = |extra: &[&str]| {
        let state = s(&d.join("scanner-state"));
        let key = s(&d.join("scanner.key"));
        let mut args = vec![
            "device", "--server", &server, "--key", &key, "--state", &state, "--log", &log_pub,
        ];
        args.extend(extra);
        common::entente(PASS).args(&args).output().unwrap()
    };
    // Before the run is committed: recorded into the station's state, refused by the board.
    let out = station(&["--pre-encrypted", &print_run, &marked_file]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("in no print run committed on the board"),
        "{stderr}"
    );
    // Challenging a paper ballot is not the station's to do.
    let out = station(&[
        "--pre-encrypted",
        &print_run,
        "--challenge",
        "x",
        &marked_file,
    ]);
    assert_eq!(out.status.code(), Some(2));

    let admin_state = s(&d.join("admin-state"));
    let admin_key = s(&d.join("admin.key"));
    let said = run(&[
        "admin",
        "print-run",
        "--server",
        &server,
        "--log",
        &log_pub,
        "--key",
        &admin_key,
        "--state",
        &admin_state,
        &print_run,
    ]);
    assert!(said.contains("print run of 2 ballots committed"), "{said}");

    // Given the same marks again, the station says they are pending; without marks it submits
    // them.
    let out = station(&["--pre-encrypted", &print_run, &marked_file]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("recorded by an earlier run of this station"),
        "{stderr}"
    );
    let out = station(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for (line, b) in lines.iter().zip(printed["ballots"].as_array().unwrap()) {
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!(words[0], b["ballot_id"].as_str().unwrap());
        // The printed code is the recorded ballot's code, found on the board.
        let code = b["confirmation_code"]
            .as_str()
            .unwrap()
            .to_ascii_lowercase();
        assert_eq!(words[1], code);
        let (status, _) = http(
            &addr,
            "GET",
            &format!("/lookup?confirmation_code={code}"),
            b"",
        );
        assert_eq!(status, 200);
    }
    // Nothing is pending any more.
    let out = station(&[]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 ballots submitted"));
}
