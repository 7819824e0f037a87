//! `entente verify --shard I/N --partial FILE`, then `--merge FILE…`: on records of both groups
//! and layouts, chained and not, with challenged ballots, split into more shards than ballots
//! too, the merge reports exactly what a single run reports; a tampered ballot is caught by the
//! shard that holds it and named in the merged report; partials that are not the record's
//! shards, each once, make the merge exit 2.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{copy_dir, json, s, status_and_text};

fn egk(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../../shared/conformance/{name}"))
}

/// The report without the line that says how long it took.
fn timeless(text: &str) -> String {
    text.lines()
        .filter(|l| !l.contains(" s on ") && !l.contains("Shard "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs the N shards of `record` into `dir`; returns the partials.
fn shards(record: &Path, n: u64, dir: &Path) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let out = dir.join(format!("shard-{i}-of-{n}.jsonl"));
            let (code, text) = status_and_text(&[
                "verify",
                s(record),
                "--shard",
                &format!("{i}/{n}"),
                "--partial",
                s(&out),
                "--threads",
                "1",
            ]);
            assert_eq!(code, 0, "{text}");
            assert!(text.contains(&format!("Shard {i}/{n}: ballots ")), "{text}");
            out
        })
        .collect()
}

fn merge(record: &Path, partials: &[PathBuf]) -> (i32, String) {
    let mut args = vec!["verify", s(record), "--merge"];
    args.extend(partials.iter().map(|p| s(p)));
    status_and_text(&args)
}

/// The single run's status and report, and the merge's of `n` shards.
fn both(record: &Path, n: u64) -> ((i32, String), (i32, String)) {
    let tmp = tempfile::tempdir().unwrap();
    let single = status_and_text(&["verify", s(record)]);
    let partials = shards(record, n, tmp.path());
    (single, merge(record, &partials))
}

#[test]
fn merged_shards_report_what_a_single_run_reports() {
    for (record, n) in [
        // 2.0 layout, 4096-bit, one device.
        (egk("egk/records/allAvailableJson"), 4),
        // More shards than ballots: some are empty.
        (egk("egk/records/allAvailableJson"), 16),
        // Chained confirmation codes cut between shards, challenged ballots.
        (egk("egk/records/chainedJson"), 5),
        // egk-ec's 2.1 layout on P-256, challenged ballots.
        (egk("egk-ec/records/allAvailableEc"), 4),
        (egk("egk-ec/records/allAvailableEc"), 1),
    ] {
        let ((code, single), (merged_code, merged)) = both(&record, n);
        assert_eq!(code, 0, "{single}");
        assert_eq!(merged_code, 0, "{merged}");
        assert_eq!(timeless(&single), timeless(&merged), "{}", record.display());
    }
}

#[test]
fn shards_of_a_record_with_paper_ballots_and_two_devices_merge_to_a_single_run() {
    // Verifications 15 to 18 in the shards, a booth and a scanning station, on P-256.
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("record");
    let (code, text) = status_and_text(&[
        "demo",
        "--in-process",
        "--group",
        "p256",
        "--ballots",
        "5",
        "--paper",
        "4",
        "--dir",
        s(&record),
    ]);
    assert_eq!(code, 0, "{text}");
    let ((code, single), (merged_code, merged)) = both(&record, 3);
    assert_eq!((code, merged_code), (0, 0), "{single}\n{merged}");
    assert!(
        common::verification_line(&merged, 15).contains("PASS"),
        "{merged}"
    );
    assert_eq!(timeless(&single), timeless(&merged));
}

/// The record's ballot files, by ballot id.
fn ballot_file(record: &Path, id: &str) -> PathBuf {
    for d in std::fs::read_dir(record.join("encrypted_ballots")).unwrap() {
        let p = d.unwrap().path().join(format!("eballot-{id}.json"));
        if p.exists() {
            return p;
        }
    }
    panic!("no ballot {id}");
}

/// Changes one hex digit in the middle of a string value.
fn flip_digit(v: &mut Value) {
    let mut text = v.as_str().unwrap().to_owned();
    let at = text.len() / 2;
    let c = if &text[at..=at] == "0" { "1" } else { "0" };
    text.replace_range(at..=at, c);
    *v = Value::String(text);
}

fn write(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// The partials whose lines hold a failure of ballot `id`.
fn holders(partials: &[PathBuf], id: &str) -> Vec<usize> {
    partials
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .skip(1)
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .any(|l| l["id"] == id && l["failures"].as_array().is_some_and(|f| !f.is_empty()))
        })
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn a_tampered_ballot_is_caught_by_its_shard_and_named_in_the_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("record");
    copy_dir(&egk("egk/records/allAvailableJson"), &record);
    // A range proof changed in ballot id-5 (place 6 of 11 in file order, id-1, id-10, id-11,
    // id-2, …: shard 2 of 4 holds places 5 to 7).
    let file = ballot_file(&record, "id-5");
    let mut b = json(&file);
    flip_digit(&mut b["contests"][0]["selections"][0]["proof"]["proofs"][0]["challenge"]);
    write(&file, &b);

    let single = status_and_text(&["verify", s(&record)]);
    let partials = shards(&record, 4, tmp.path());
    assert_eq!(holders(&partials, "id-5"), vec![2]);
    let merged = merge(&record, &partials);
    assert_eq!(single.0, 1, "{}", single.1);
    assert_eq!(merged.0, 1, "{}", merged.1);
    assert!(merged.1.contains("ballot id-5"), "{}", merged.1);
    assert!(common::verification_line(&merged.1, 5).contains("FAIL"));
    assert_eq!(timeless(&single.1), timeless(&merged.1));
}

#[test]
fn a_repeated_id_and_a_broken_chain_across_shards_are_reported_as_by_a_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    // Ballot id-9 claims id-2's id: both cast, both in the tally's list once. A single run
    // counts the first in Verification 8; the merge must take the shard's count of the second
    // out again.
    let record = tmp.path().join("repeated");
    copy_dir(&egk("egk/records/allAvailableJson"), &record);
    let file = ballot_file(&record, "id-9");
    let mut b = json(&file);
    b["ballot_id"] = Value::String("id-2".into());
    write(&file, &b);
    let ((code, single), (merged_code, merged)) = both(&record, 4);
    assert_eq!((code, merged_code), (1, 1), "{single}\n{merged}");
    assert!(merged.contains("the ballot id occurs twice"), "{merged}");
    assert_eq!(timeless(&single), timeless(&merged));

    // A chained record whose ballot at a shard's first place has another B_aux: the link to
    // the previous shard's last code is checked in the merge.
    let chained = tmp.path().join("chained");
    copy_dir(&egk("egk/records/chainedJson"), &chained);
    let device = std::fs::read_dir(chained.join("encrypted_ballots"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let chain = json(&device.join("ballot_chain.json"));
    let ids: Vec<&str> = chain["ballot_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    // 12 ballots in 4 shards: place 3 starts shard 1.
    let file = device.join(format!("eballot-{}.json", ids[3]));
    let mut b = json(&file);
    flip_digit(&mut b["code_baux"]);
    write(&file, &b);
    let ((code, single), (merged_code, merged)) = both(&chained, 4);
    assert_eq!((code, merged_code), (1, 1), "{single}\n{merged}");
    assert!(merged.contains("7.E"), "{merged}");
    assert_eq!(timeless(&single), timeless(&merged));
}

#[test]
fn the_merge_takes_the_record_s_shards_each_once_or_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let record = egk("egk/records/allAvailableJson");
    let p = shards(&record, 4, tmp.path());

    // Any order.
    let reversed: Vec<PathBuf> = p.iter().rev().cloned().collect();
    let (code, text) = merge(&record, &reversed);
    assert_eq!(code, 0, "{text}");

    let (code, text) = merge(&record, &[p[0].clone(), p[1].clone(), p[3].clone()]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("shard 2/4 missing"), "{text}");

    let mut twice = p.clone();
    twice.push(p[1].clone());
    let (code, text) = merge(&record, &twice);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("shard 1/4 is given twice"), "{text}");

    // A shard of another record (same split).
    let other = shards(&egk("egk/records/chainedJson"), 4, &tmp.path().join("x"));
    let (code, text) = merge(
        &record,
        &[p[0].clone(), p[1].clone(), other[2].clone(), p[3].clone()],
    );
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("another record"), "{text}");

    // A record changed after its shards were checked.
    let changed = tmp.path().join("changed");
    copy_dir(&record, &changed);
    let mut tally = json(&changed.join("tally.json"));
    tally["tally_id"] = Value::String("another".into());
    write(&changed.join("tally.json"), &tally);
    let (code, text) = merge(&changed, &p);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("another record"), "{text}");

    // Shards of another split.
    let three = shards(&record, 3, &tmp.path().join("y"));
    let (code, text) = merge(&record, &[p[0].clone(), three[1].clone()]);
    assert_eq!(code, 2, "{text}");

    // Cut short, or not a partial at all.
    let cut = tmp.path().join("cut.jsonl");
    let whole = std::fs::read_to_string(&p[3]).unwrap();
    let lines: Vec<&str> = whole.lines().collect();
    std::fs::write(&cut, lines[..lines.len() - 1].join("\n")).unwrap();
    let (code, text) = merge(&record, &[p[0].clone(), p[1].clone(), p[2].clone(), cut]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("cut short"), "{text}");
    let junk = tmp.path().join("junk.jsonl");
    std::fs::write(&junk, "{\"not\": \"a partial\"}\n").unwrap();
    let (code, text) = merge(&record, &[junk]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("not a partial result"), "{text}");

    // Usage errors.
    for args in [
        vec!["verify", s(&record), "--shard", "4/4", "--partial", "x"],
        vec!["verify", s(&record), "--shard", "1/4"],
        vec!["verify", s(&record), "--shard", "a/4", "--partial", "x"],
    ] {
        let (code, text) = status_and_text(&args);
        assert_eq!(code, 2, "{text}");
    }
}
