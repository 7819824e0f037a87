//! The command line as a user meets it.

use std::process::Command;

fn entente(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(args)
        .output()
        .expect("the entente binary runs")
}

#[test]
fn demo_runs_a_key_ceremony_and_encrypts_ballots() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record");
    let out = entente(&[
        "demo",
        "--in-process",
        "--ballots",
        "12",
        "--dir",
        record.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("5 guardians, any 3 of them can decrypt"),
        "{stdout}"
    );
    assert!(
        stdout.contains("20 encrypted key shares exchanged"),
        "{stdout}"
    );
    assert!(
        stdout.contains("H_P (parameter base hash)  2B3B025E50E09C119CBA7E9448ACD1CABC9447EF39BF06327D81C665CDD86296"),
        "{stdout}"
    );
    let k_line = stdout.lines().find(|l| l.starts_with("K ")).unwrap();
    assert_eq!(
        k_line.split("fingerprint ").nth(1).unwrap().len(),
        39,
        "{k_line}"
    );
    let h_e = stdout.lines().find(|l| l.starts_with("H_E")).unwrap();
    assert_eq!(h_e.split_whitespace().last().unwrap().len(), 64, "{h_e}");

    // The encryption device: 12 ballots, one challenged and opened for its voter.
    assert!(
        stdout.contains(": 12 ballots encrypted with proofs"),
        "{stdout}"
    );
    assert!(stdout.contains("11 cast, 1 challenged"), "{stdout}");
    // The tally and its decryption, one guardian absent, matching the ballots.
    assert!(
        stdout.contains("Tally: 11 cast ballots checked"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Decryption by guardians 1, 2, 3, 4 (guardian 5 absent)"),
        "{stdout}"
    );
    assert!(stdout.contains("matches the ballots cast"), "{stdout}");
    assert!(stdout.contains("Mayor of Riverside"), "{stdout}");
    assert!(record.join("tally.json").is_file());
    // And it ends with the verifier's report on its own record.
    assert!(
        stdout.contains("The independent verifier (entente verify) on the record:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("All 14 verifications that apply hold (5 not applicable); 12 ballots"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_dir(record.join("challenged_ballots"))
            .unwrap()
            .count(),
        1
    );
    assert!(
        stdout.contains("Its proofs and confirmation code check out."),
        "{stdout}"
    );
    // The record it wrote is one `entente encrypt` can continue.
    assert!(
        record
            .join("encrypted_ballots/riverside-booth-1/ballot_chain.json")
            .is_file()
    );
    let chain: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            record.join("encrypted_ballots/riverside-booth-1/ballot_chain.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(chain["ballot_ids"].as_array().unwrap().len(), 12);
    // A second demo refuses to overwrite the record.
    let out = entente(&[
        "demo",
        "--in-process",
        "--ballots",
        "1",
        "--dir",
        record.to_str().unwrap(),
    ]);
    assert!(!out.status.success());

    // Randomness comes from the OS: two runs give different keys.
    let again =
        String::from_utf8(entente(&["demo", "--in-process", "--ballots", "0"]).stdout).unwrap();
    assert_ne!(
        again.lines().find(|l| l.starts_with("H_E")),
        stdout.lines().find(|l| l.starts_with("H_E"))
    );
}

#[test]
fn demo_refuses_an_impossible_quorum() {
    for (n, k) in [("5", "0"), ("2", "3"), ("0", "0")] {
        let out = entente(&["demo", "--guardians", n, "--quorum", k]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("invalid --guardians / --quorum"),
            "{stderr}"
        );
    }
}

/// An option that does nothing in a mode is refused, naming what it needs (issue 22):
/// `--seal-guardians` writes the guardians' secrets of the in-process election only.
#[test]
fn demo_refuses_options_that_would_do_nothing() {
    let out = entente(&["demo", "--seal-guardians", "--ballots", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("--in-process") && stderr.contains("--dir"),
        "{stderr}"
    );
}

#[test]
fn every_command_has_help() {
    for cmd in [
        &["--help"][..],
        &["demo", "--help"],
        &["testvectors", "--help"],
        &["bench", "--help"],
        &["tally", "--help"],
        &["verify", "--help"],
        &["decrypt", "--help"],
        &["decrypt", "commit", "--help"],
        &["decrypt", "respond", "--help"],
        &["decrypt", "combine", "--help"],
        &["serve", "--help"],
        &["device", "--help"],
        &["guardian", "join", "--help"],
        &["guardian", "ceremony", "--help"],
        &["guardian", "decrypt", "--help"],
        &["admin", "create", "--help"],
        &["admin", "tally", "--help"],
        &["export", "--help"],
        &["witness", "serve", "--help"],
        &["witness", "follow", "--help"],
    ] {
        let out = entente(cmd);
        assert!(out.status.success());
        assert!(
            String::from_utf8(out.stdout)
                .unwrap()
                .contains("Usage: entente")
        );
    }
}

#[test]
fn demo_runs_on_a_given_manifest_and_refuses_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut m: serde_json::Value = serde_json::from_str(include_str!(
        "../../entente-roles/assets/demo-manifest.json"
    ))
    .unwrap();
    m["election_scope_id"] = "one-measure".into();
    m["contests"]
        .as_array_mut()
        .unwrap()
        .retain(|c| c["object_id"] == "measure-7");
    let manifest = dir.path().join("manifest.json");
    std::fs::write(&manifest, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let out = entente(&[
        "demo",
        "--ballots",
        "3",
        "--manifest",
        manifest.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("Entente demo: election one-measure"),
        "{stdout}"
    );
    assert!(!stdout.contains("Mayor of Riverside"), "{stdout}");
    assert!(stdout.contains("verifications that apply hold"), "{stdout}");

    std::fs::write(&manifest, b"{\"contests\": 3}").unwrap();
    let out = entente(&[
        "demo",
        "--ballots",
        "3",
        "--manifest",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not a usable manifest"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
