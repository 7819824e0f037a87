//! `entente tally` and `entente decrypt` as guardians run them: each guardian in its own process
//! from its own sealed secret, two of five absent, and every way it should refuse.

use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::{failed, json, ok};

fn entente(args: &[&str], passphrase: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_entente"));
    cmd.args(args).env_remove("ENTENTE_PASSPHRASE");
    if let Some(p) = passphrase {
        cmd.env("ENTENTE_PASSPHRASE", p);
    }
    cmd.output().expect("the entente binary runs")
}

/// (selection id, tally) of every selection of a decrypted tally.
fn counts(tally: &Value) -> Vec<(String, u64)> {
    tally["contests"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["selections"].as_array().unwrap().clone())
        .map(|s| {
            (
                s["selection_id"].as_str().unwrap().to_owned(),
                s["tally"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn guardians_decrypt_from_their_own_secret_files() {
    let tmp = tempfile::tempdir().unwrap();
    let rec = tmp.path().join("record");
    let r = rec.to_str().unwrap();
    let pass = tmp.path().join("pass");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    ok(&entente(
        &[
            "demo",
            "--in-process",
            "--ballots",
            "8",
            "--dir",
            r,
            "--seal-guardians",
            "--passphrase-file",
            pass.to_str().unwrap(),
            // A light scrypt: this test opens the secrets twenty times.
            "--scrypt-log-n",
            "12",
        ],
        None,
    ));
    let demo_tally = counts(&json(&rec.join("tally.json")));
    let demo_encrypted = json(&rec.join("encrypted_tally.json"));
    std::fs::remove_file(rec.join("tally.json")).unwrap();
    std::fs::remove_dir_all(rec.join("challenged_ballots")).unwrap();
    std::fs::remove_file(rec.join("encrypted_tally.json")).unwrap();
    let secret = |i: u32| {
        rec.join(format!("private_data/guardians/guardian-{i}.age"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let pw = Some("correct horse battery staple");

    // The tally of the record's ballots is the demo's.
    let out = ok(&entente(&["tally", "--record", r], None));
    assert!(
        out.contains("7 cast ballots counted, 1 challenged"),
        "{out}"
    );
    assert_eq!(
        json(&rec.join("encrypted_tally.json"))["contests"],
        demo_encrypted["contests"]
    );

    // Without a passphrase, or with a wrong one, a guardian cannot act; nothing is written.
    let err = failed(&entente(
        &["decrypt", "commit", "--record", r, "--guardian", &secret(1)],
        None,
    ));
    assert!(err.contains("ENTENTE_PASSPHRASE"), "{err}");
    let err = failed(&entente(
        &["decrypt", "commit", "--record", r, "--guardian", &secret(1)],
        Some("wrong"),
    ));
    assert!(err.contains("cannot open"), "{err}");
    assert!(!rec.join("decryption").exists());
    // Responding before committing is refused.
    let err = failed(&entente(
        &[
            "decrypt",
            "respond",
            "--record",
            r,
            "--guardian",
            &secret(1),
        ],
        pw,
    ));
    assert!(err.contains("no open decryption round"), "{err}");

    // Two guardians are not a quorum of three.
    for i in [1, 3] {
        ok(&entente(
            &["decrypt", "commit", "--record", r, "--guardian", &secret(i)],
            pw,
        ));
    }
    let err = failed(&entente(
        &[
            "decrypt",
            "respond",
            "--record",
            r,
            "--guardian",
            &secret(1),
        ],
        pw,
    ));
    assert!(
        err.contains("2 guardians present, the quorum is 3: 1 more needed"),
        "{err}"
    );
    let err = failed(&entente(&["decrypt", "combine", "--record", r], None));
    assert!(err.contains("1 more needed"), "{err}");

    // Guardian 5 joins; 2 and 4 stay away.
    ok(&entente(
        &["decrypt", "commit", "--record", r, "--guardian", &secret(5)],
        pw,
    ));
    // Guardian 1's failed attempt consumed nothing: its round is still open.
    for i in [1, 3, 5] {
        let out = ok(&entente(
            &[
                "decrypt",
                "respond",
                "--record",
                r,
                "--guardian",
                &secret(i),
            ],
            pw,
        ));
        assert!(out.contains("with guardians [1, 3, 5]"), "{out}");
    }
    // A round's nonces answer once.
    let err = failed(&entente(
        &[
            "decrypt",
            "respond",
            "--record",
            r,
            "--guardian",
            &secret(1),
        ],
        pw,
    ));
    assert!(err.contains("no open decryption round"), "{err}");

    let out = ok(&entente(&["decrypt", "combine", "--record", r], None));
    assert!(
        out.contains("Decrypted by guardians [1, 3, 5] (absent: [2, 4])"),
        "{out}"
    );
    assert_eq!(counts(&json(&rec.join("tally.json"))), demo_tally);
    let dballots: Vec<_> = std::fs::read_dir(rec.join("challenged_ballots"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dballots.len(), 1);
    let d = json(&dballots[0]);
    assert_eq!(d["id"], "ballot-000008");
    assert!(d["contests"][0]["decrypted_contest_data"]["beta"].is_string());

    // A guardian's wrong answer is caught by its proof and named; nothing is written.
    std::fs::remove_file(rec.join("tally.json")).unwrap();
    let resp = rec.join("decryption/response-guardian-3.json");
    let mut v = json(&resp);
    v["responses"][2] = Value::String("00".repeat(31) + "07");
    std::fs::write(&resp, serde_json::to_vec(&v).unwrap()).unwrap();
    let err = failed(&entente(&["decrypt", "combine", "--record", r], None));
    assert!(
        err.contains("guardian 3's decryption share of tally, contest")
            && err.contains("fails its proof"),
        "{err}"
    );
    assert!(!rec.join("tally.json").exists());

    // A commitment outside the order-q subgroup (9) is named, though its file's elements are
    // proven members in one batch; nothing is written.
    let commit = rec.join("decryption/commit-guardian-5.json");
    let mut v = json(&commit);
    v["items"][1]["b"] = Value::String("00".repeat(511) + "09");
    std::fs::write(&commit, serde_json::to_vec(&v).unwrap()).unwrap();
    let err = failed(&entente(&["decrypt", "combine", "--record", r], None));
    assert!(
        err.contains("commit-guardian-5.json: items[1].b")
            && err.contains("not in the order-q subgroup"),
        "{err}"
    );
    assert!(!rec.join("tally.json").exists());
}

#[test]
fn the_tally_refuses_bad_and_duplicate_ballots_and_counts_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let rec = tmp.path().join("record");
    let r = rec.to_str().unwrap();
    ok(&entente(
        &["demo", "--in-process", "--ballots", "6", "--dir", r],
        None,
    ));
    // Decrypted already: the tally is not redone under it.
    let err = failed(&entente(&["tally", "--record", r], None));
    assert!(err.contains("already holds a decrypted tally"), "{err}");
    std::fs::remove_file(rec.join("tally.json")).unwrap();

    let device = rec.join("encrypted_ballots/riverside-booth-1");
    // A changed proof response in ballot 2; ballot 3 copied to a second device.
    let b2 = device.join("eballot-ballot-000002.json");
    let mut v = json(&b2);
    let resp = v["contests"][0]["selections"][0]["proof"]["proofs"][0]["response"]
        .as_str()
        .unwrap()
        .to_owned();
    let flipped = if resp.starts_with('0') { "1" } else { "0" }.to_owned() + &resp[1..];
    v["contests"][0]["selections"][0]["proof"]["proofs"][0]["response"] = Value::String(flipped);
    std::fs::write(&b2, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let other = rec.join("encrypted_ballots/other-booth");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(
        device.join("eballot-ballot-000003.json"),
        other.join("eballot-ballot-000003.json"),
    )
    .unwrap();

    let out = entente(&["tally", "--record", r], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("eballot-ballot-000002.json") && stderr.contains("Verification 5"),
        "{stderr}"
    );
    assert_eq!(
        stderr
            .matches("ballot ballot-000003 is already in the tally")
            .count(),
        2,
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "3 cast ballots counted, 1 challenged ballots set aside for decryption, 3 refused"
        ),
        "{stdout}"
    );
    let ids = json(&rec.join("encrypted_tally.json"))["cast_ballot_ids"].clone();
    assert_eq!(ids.as_array().unwrap().len(), 3, "{ids}");
}
