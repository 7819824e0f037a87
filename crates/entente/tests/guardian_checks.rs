//! What a guardian checks of the logged ballots before it decrypts, from its one reading of
//! them (`entente_roles::record::Logged`, `entente_roles::decrypt::Prepared`): every ballot
//! in full when it checks them itself, only the tally's product when it relies on the
//! server's check, and the subgroup membership of every challenged ballot it decrypts either
//! way.

mod common;

use std::path::{Path, PathBuf};

use common::{json, ok};
use entente_group::P4096;
use entente_record::election::ElectionSetup;
use entente_roles::decrypt::Prepared;
use entente_roles::record::{Election, Logged, ballot_files};
use serde_json::Value;

fn entente(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(args)
        .output()
        .unwrap()
}

/// A demo record of six ballots (the last challenged), its tally encrypted, not decrypted.
fn record(dir: &Path) -> PathBuf {
    let rec = dir.join("record");
    ok(&entente(&[
        "demo",
        "--in-process",
        "--ballots",
        "6",
        "--dir",
        rec.to_str().unwrap(),
    ]));
    rec
}

fn ballot(rec: &Path, n: u32) -> PathBuf {
    rec.join(format!(
        "encrypted_ballots/riverside-booth-1/eballot-ballot-{n:06}.json"
    ))
}

fn edit(path: &Path, change: impl FnOnce(&mut Value)) {
    let mut v = json(path);
    change(&mut v);
    std::fs::write(path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

/// p - x, which is outside the order-q subgroup when x is in it (-1 is not a member).
fn negated(hex: &str) -> String {
    use rug::Integer;
    let p = P4096::constants().p.clone();
    let x = Integer::from_str_radix(hex, 16).unwrap();
    format!("{:01024X}", p - x)
}

fn read(rec: &Path, check: bool) -> Result<Logged<P4096>, String> {
    let setup = ElectionSetup::<P4096>::read(rec).unwrap();
    let files = ballot_files(rec).unwrap();
    Logged::read(&files, &setup, check, 1, false).map_err(|e| format!("{e:#}"))
}

fn prepare(rec: &Path, check: bool) -> Result<Prepared<P4096>, String> {
    let logged = read(rec, check)?;
    Prepared::from_logged(rec, Election::read(rec).unwrap(), &logged).map_err(|e| format!("{e:#}"))
}

#[test]
fn a_guardian_refuses_a_logged_ballot_that_does_not_check_and_a_tally_that_is_not_the_product() {
    let tmp = tempfile::tempdir().unwrap();
    let rec = record(tmp.path());
    let good = prepare(&rec, true).unwrap();
    assert_eq!(
        good.batch.targets().len(),
        prepare(&rec, false).unwrap().batch.targets().len()
    );

    // A cast ballot whose proof fails, its ciphertexts unchanged: a guardian that checks
    // refuses it, naming the file; one that relies on the server finds the product right.
    let original = std::fs::read(ballot(&rec, 2)).unwrap();
    edit(&ballot(&rec, 2), |v| {
        let r = &mut v["contests"][0]["selections"][0]["proof"]["proofs"][0]["response"];
        let hex = r.as_str().unwrap().to_owned();
        let flipped = if hex.starts_with('0') { "1" } else { "0" }.to_owned() + &hex[1..];
        *r = Value::String(flipped);
    });
    let err = prepare(&rec, true).err().unwrap();
    assert!(
        err.contains("eballot-ballot-000002.json") && err.contains("Verification 5"),
        "{err}"
    );
    assert!(prepare(&rec, false).is_ok());
    std::fs::write(ballot(&rec, 2), original).unwrap();

    // A cast ballot's α outside the subgroup: refused by a guardian that checks (5.A, on the
    // proof's chain), and by one that relies on the server because the tally is no longer the
    // product of the logged ballots.
    edit(&ballot(&rec, 3), |v| {
        let pad = &mut v["contests"][1]["selections"][0]["encrypted_vote"]["pad"];
        *pad = Value::String(negated(pad.as_str().unwrap()));
    });
    let err = prepare(&rec, true).err().unwrap();
    assert!(
        err.contains("eballot-ballot-000003.json")
            && err.contains("contests[1].selections[0].encrypted_vote.pad: not in the order-q"),
        "{err}"
    );
    let err = prepare(&rec, false).err().unwrap();
    assert!(err.contains("eq. (62)"), "{err}");
}

#[test]
fn a_challenged_ballot_outside_the_group_is_never_decrypted() {
    let tmp = tempfile::tempdir().unwrap();
    let rec = record(tmp.path());
    let challenged = ballot_files(&rec)
        .unwrap()
        .into_iter()
        .find(|f| json(f)["state"] != "CAST")
        .expect("the demo challenges a ballot");
    edit(&challenged, |v| {
        let c0 = &mut v["contests"][0]["encrypted_contest_data"]["c0"];
        *c0 = Value::String(negated(c0.as_str().unwrap()));
    });
    for check in [true, false] {
        let err = read(&rec, check).err().unwrap();
        assert!(
            err.contains("not in") || err.contains("5.A"),
            "{check}: {err}"
        );
    }
}
