//! `entente encrypt`, `open` and `close-chain` as an encryption device uses them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use entente_group::P4096;
use entente_record::HashValue;
use entente_record::ballot::chain::BallotChainJson;
use entente_record::ballot::hashes;
use entente_record::ballot::json::EncryptedBallotJson;
use entente_record::ballot::{BallotState, EncryptedBallot};
use entente_record::election::{ElectionSetup, read_json};
use serde_json::Value;

fn source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/egk/records/chainedJson")
}

/// A fresh record directory holding the chained record's setup (no ballots).
fn record() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "manifest.json",
        "election_config.json",
        "election_initialized.json",
        "constants.json",
    ] {
        std::fs::copy(source().join(f), dir.path().join(f)).unwrap();
    }
    dir
}

fn input(id: &str) -> PathBuf {
    source().join(format!("private_data/input/pballot-{id}.json"))
}

fn entente(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(args)
        .output()
        .unwrap()
}

fn encrypt(record: &Path, extra: &[&str], ballots: &[PathBuf]) -> Output {
    let mut args = vec![
        "encrypt",
        "--record",
        record.to_str().unwrap(),
        "--device",
        "booth-1",
    ];
    args.extend_from_slice(extra);
    let paths: Vec<String> = ballots.iter().map(|p| p.display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    entente(&args)
}

fn device_dir(record: &Path) -> PathBuf {
    record.join("encrypted_ballots/booth-1")
}

fn chain(record: &Path) -> BallotChainJson {
    read_json(&device_dir(record).join("ballot_chain.json")).unwrap()
}

/// Walks the device's chain from H_0 through every ballot file (Verification 7.D, 7.E).
fn assert_chain_holds(record: &Path) -> Vec<String> {
    let setup = ElectionSetup::<P4096>::read(record).unwrap();
    let c = chain(record);
    let device = &setup.config.baux0;
    let mut previous = hashes::chain_start(&setup.h_e, device);
    assert_eq!(c.baux0, previous.to_hex());
    for (j, id) in c.ballot_ids.iter().enumerate() {
        let b: EncryptedBallotJson =
            read_json(&device_dir(record).join(format!("eballot-{id}.json"))).unwrap();
        assert_eq!(
            hex::decode(&b.code_baux).unwrap(),
            hashes::chain_aux(&previous, j == 0, device),
            "ballot {id}"
        );
        previous = HashValue::from_hex(&b.confirmation_code).unwrap();
    }
    assert_eq!(c.last_confirmation_code, previous.to_hex());
    c.ballot_ids
}

#[test]
fn encrypted_ballots_verify_and_a_challenged_one_opens_to_its_choices() {
    let rec = record();
    let out = encrypt(
        rec.path(),
        &["--challenge", "id-3"],
        &[input("id-1"), input("id-3")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.lines().any(|l| l.starts_with("id-1 CAST ")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("id-3 CHALLENGED ")),
        "{stdout}"
    );

    let setup = ElectionSetup::<P4096>::read(rec.path()).unwrap();
    let key = setup.public_key();
    let cast: EncryptedBallotJson =
        read_json(&device_dir(rec.path()).join("eballot-id-1.json")).unwrap();
    assert_eq!(
        cast.primary_nonce, None,
        "a cast ballot's nonce is never written"
    );
    let typed: EncryptedBallot<P4096> = cast.read().unwrap();
    assert_eq!(typed.state, BallotState::Cast);
    for c in typed.contests.iter().take(3) {
        for s in &c.selections {
            s.proof.verify(&setup.h_e, &key, &s.ciphertext).unwrap();
        }
        c.proof.verify(&setup.h_e, &key, &c.total()).unwrap();
    }
    let challenged: EncryptedBallotJson =
        read_json(&device_dir(rec.path()).join("eballot-id-3.json")).unwrap();
    assert_eq!(challenged.state, "SPOILED");
    assert_eq!(challenged.primary_nonce.as_ref().map(String::len), Some(64));

    // Opening shows exactly the input's choices.
    let out = entente(&[
        "open",
        device_dir(rec.path())
            .join("eballot-id-3.json")
            .to_str()
            .unwrap(),
        "--record",
        rec.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = String::from_utf8(out.stdout).unwrap();
    let plain: Value =
        serde_json::from_str(&std::fs::read_to_string(input("id-3")).unwrap()).unwrap();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(rec.path().join("manifest.json")).unwrap())
            .unwrap();
    for (pc, mc) in plain["contests"]
        .as_array()
        .unwrap()
        .iter()
        .zip(manifest["contests"].as_array().unwrap())
    {
        let chosen: Vec<&str> = pc["selections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["vote"].as_i64() == Some(1))
            .map(|s| {
                let sid = s["selection_id"].as_str().unwrap();
                mc["ballot_selections"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|m| m["object_id"] == sid)
                    .unwrap()["candidate_id"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        for name in &chosen {
            assert!(
                shown.contains(&format!("    {name}\n")),
                "{name} missing from:\n{shown}"
            );
        }
    }

    // A cast ballot cannot be opened.
    let out = entente(&[
        "open",
        device_dir(rec.path())
            .join("eballot-id-1.json")
            .to_str()
            .unwrap(),
        "--record",
        rec.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("was cast, not challenged"));
}

/// A modified copy of ballot id-1.
fn edited(dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut b: Value =
        serde_json::from_str(&std::fs::read_to_string(input("id-1")).unwrap()).unwrap();
    edit(&mut b);
    let p = dir.join(format!("{name}.json"));
    std::fs::write(&p, serde_json::to_string(&b).unwrap()).unwrap();
    p
}

#[test]
fn bad_ballots_are_refused_and_nothing_is_written() {
    let rec = record();
    let tmp = tempfile::tempdir().unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            edited(tmp.path(), "unknown-contest", |b| {
                b["contests"][0]["contest_id"] = "contest99".into()
            }),
            "no such contest",
        ),
        (
            edited(tmp.path(), "unknown-style", |b| {
                b["ballot_style"] = "nope".into()
            }),
            "is not in the manifest",
        ),
        (
            edited(tmp.path(), "negative", |b| {
                b["contests"][0]["selections"][0]["vote"] = (-1).into()
            }),
            "negative vote",
        ),
        (
            edited(tmp.path(), "above-r", |b| {
                b["contests"][0]["selections"][0]["vote"] = 2.into()
            }),
            "option selection limit",
        ),
        (
            edited(tmp.path(), "unknown-option", |b| {
                b["contests"][0]["selections"][0]["selection_id"] = "x".into()
            }),
            "no such option",
        ),
        (
            edited(tmp.path(), "bad-order", |b| {
                b["contests"][0]["sequence_order"] = 7.into()
            }),
            "differs from the manifest",
        ),
        (
            edited(tmp.path(), "not-json", |b| *b = Value::String("x".into())),
            "invalid type",
        ),
    ];
    for (path, why) in cases {
        // The bad ballot comes after a good one: the good one must not be written either.
        let out = encrypt(rec.path(), &[], &[input("id-2"), path.clone()]);
        assert!(!out.status.success(), "{} was accepted", path.display());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(why), "{}: {stderr}", path.display());
        assert!(
            !device_dir(rec.path()).exists(),
            "{} left files behind",
            path.display()
        );
    }
}

#[test]
fn a_restarted_device_continues_its_chain_and_never_forks_it() {
    let rec = record();
    assert!(
        encrypt(rec.path(), &[], &[input("id-1"), input("id-2")])
            .status
            .success()
    );
    assert!(encrypt(rec.path(), &[], &[input("id-3")]).status.success());
    assert_eq!(assert_chain_holds(rec.path()), ["id-1", "id-2", "id-3"]);

    // The same ballot twice on one device is refused, and changes nothing.
    let before = std::fs::read(device_dir(rec.path()).join("ballot_chain.json")).unwrap();
    let out = encrypt(rec.path(), &[], &[input("id-2")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("already encrypted"));
    assert_eq!(
        std::fs::read(device_dir(rec.path()).join("ballot_chain.json")).unwrap(),
        before
    );

    // A crash after the ballot files and before the chain file: the next run finds them.
    assert!(
        encrypt(rec.path(), &[], &[input("id-4"), input("id-5")])
            .status
            .success()
    );
    std::fs::write(device_dir(rec.path()).join("ballot_chain.json"), &before).unwrap();
    assert!(encrypt(rec.path(), &[], &[input("id-6")]).status.success());
    assert_eq!(
        assert_chain_holds(rec.path()),
        ["id-1", "id-2", "id-3", "id-4", "id-5", "id-6"]
    );

    // A closed chain takes no more ballots.
    let out = entente(&[
        "close-chain",
        "--record",
        rec.path().to_str().unwrap(),
        "--device",
        "booth-1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let setup = ElectionSetup::<P4096>::read(rec.path()).unwrap();
    let c = chain(rec.path());
    let last = HashValue::from_hex(&c.last_confirmation_code).unwrap();
    assert_eq!(
        c.closing_hash,
        Some(hashes::chain_close(&setup.h_e, &last, &setup.config.baux0).to_hex())
    );
    let out = encrypt(rec.path(), &[], &[input("id-7")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is closed"));
}

#[test]
fn an_overvote_encrypts_zeros_and_says_so_in_the_contest_data() {
    let rec = record();
    let tmp = tempfile::tempdir().unwrap();
    let over = edited(tmp.path(), "over", |b| {
        b["ballot_id"] = "over".into();
        for s in b["contests"][0]["selections"].as_array_mut().unwrap() {
            s["vote"] = 1.into();
        }
    });
    let out = encrypt(rec.path(), &["--challenge-all"], &[over]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = entente(&[
        "open",
        device_dir(rec.path())
            .join("eballot-over.json")
            .to_str()
            .unwrap(),
        "--record",
        rec.path().to_str().unwrap(),
    ]);
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(
        shown.contains(
            "over-vote: more choices than allowed, so none counts (chose options [1, 2, 3, 4, 5])"
        ),
        "{shown}"
    );
}
