//! Honest messages (issue 22, item 3): each bad input is named once, with what is wrong with
//! it: a ballot file whose name is not UTF-8, a signing key given where a guardian's secret
//! belongs and the other way round, a sealed file cut short (not a "wrong passphrase"), a
//! record's file that is missing or not JSON (its path said once).

mod common;

use std::path::Path;

use common::{entente, failed_with, ok, s};

#[test]
fn a_ballot_file_whose_name_is_not_utf8_is_named_not_skipped() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("record");
    common::copy_dir(&common::conformance_record(), &dir);
    let ballot = common::a_ballot(&dir);
    let device = ballot.parent().unwrap().to_owned();
    let odd = device.join(std::ffi::OsStr::from_bytes(b"eballot-\xff.json"));
    std::fs::rename(&ballot, &odd).unwrap();
    let out = entente("").args(["verify", s(&dir)]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("its name is not UTF-8"), "{report}");
    assert!(report.contains("eballot-\u{fffd}.json"), "{report}");
}

/// A record that cannot be read names the file once, with what is wrong with it.
#[test]
fn an_unreadable_record_names_its_file_once() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-record");
    let out = entente("").args(["verify", s(&missing)]).output().unwrap();
    let err = failed_with(&out, 2);
    let constants = missing.join("constants.json").display().to_string();
    assert_eq!(err.matches(&constants).count(), 1, "{err}");
    assert!(err.contains("No such file"), "{err}");

    let dir = tmp.path().join("record");
    common::copy_dir(&common::conformance_record(), &dir);
    std::fs::write(dir.join("election_config.json"), "{").unwrap();
    let out = entente("").args(["verify", s(&dir)]).output().unwrap();
    let err = failed_with(&out, 2);
    let config = dir.join("election_config.json").display().to_string();
    assert_eq!(err.matches(&config).count(), 1, "{err}");
    assert!(err.contains("EOF while parsing"), "{err}");
}

/// A small election with its guardians' secrets sealed (scrypt 2^4: a throwaway).
fn sealed_election(tmp: &Path) -> std::path::PathBuf {
    let dir = tmp.join("election");
    ok(&entente("pw")
        .args(["demo", "--in-process", "--ballots", "2", "--seal-guardians"])
        .args(["--scrypt-log-n", "4", "--dir", s(&dir)])
        .output()
        .unwrap());
    dir
}

#[test]
fn sealed_files_say_what_is_wrong_with_them_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = sealed_election(tmp.path());
    let secret = dir.join("private_data/guardians/guardian-1.age");
    let witness = tmp.path().join("witness-key");
    ok(&entente("pw")
        .args(["keygen", "--out", s(&witness), "--name", "witness.example"])
        .args(["--role", "witness", "--scrypt-log-n", "4"])
        .output()
        .unwrap());

    // A witness's signing key where a guardian's secret belongs: named as such.
    let out = entente("pw")
        .args([
            "decrypt",
            "commit",
            "--record",
            s(&dir),
            "--guardian",
            s(&witness),
        ])
        .output()
        .unwrap();
    let err = failed_with(&out, 2);
    assert!(err.contains("this is a signing key (witness key"), "{err}");
    assert!(err.contains("not a guardian's secret"), "{err}");
    assert!(!err.contains("missing field"), "{err}");

    // A guardian's secret where a signing key belongs: named as such.
    let state = tmp.path().join("witness-state");
    let out = entente("pw")
        .args([
            "witness",
            "cosign",
            "--state",
            s(&state),
            "--key",
            s(&secret),
        ])
        .arg(s(&dir.join("manifest.json")))
        .output()
        .unwrap();
    let err = failed_with(&out, 2);
    assert!(err.contains("is a guardian's secret"), "{err}");

    // A secret cut short: said once, and the passphrase is not blamed.
    let bytes = std::fs::read(&secret).unwrap();
    for keep in [40, 150, bytes.len() - 20] {
        let cut = tmp.path().join(format!("cut-{keep}.age"));
        std::fs::write(&cut, &bytes[..keep]).unwrap();
        let out = entente("pw")
            .args([
                "decrypt",
                "commit",
                "--record",
                s(&dir),
                "--guardian",
                s(&cut),
            ])
            .output()
            .unwrap();
        let err = failed_with(&out, 2);
        assert!(!err.contains("passphrase"), "{keep}: {err}");
        assert!(
            err.matches("cut short").count() == 1 || err.contains("header does not parse"),
            "{keep}: {err}"
        );
        assert!(err.len() < 1_000, "{keep}: {err}");
    }

    // A wrong passphrase is said to be one.
    let out = entente("not-the-passphrase")
        .args([
            "decrypt",
            "commit",
            "--record",
            s(&dir),
            "--guardian",
            s(&secret),
        ])
        .output()
        .unwrap();
    let err = failed_with(&out, 2);
    assert!(err.contains("the passphrase is wrong"), "{err}");
}
