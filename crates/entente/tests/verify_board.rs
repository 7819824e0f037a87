//! `entente verify --board URL`: a record read from a board's tlog-tiles over HTTP, served here
//! as static files (as any web server or CDN mirrors a board). Four shards and their merge
//! report what a single run on the exported folder reports, each shard's partial is the one a
//! shard of the folder writes, and each shard fetches no ballot but its own. A board that
//! serves a changed ballot, a changed entry, a checkpoint its witnesses did not cosign or
//! another log's checkpoint is refused with exit 2, naming what is wrong.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

mod common;
use common::{copy_dir, s, serve_files, status_and_text};

const BALLOTS: usize = 16;

/// One demo election's exported record (with its log), made once for the file's tests.
fn record() -> &'static Path {
    static RECORD: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = RECORD.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let record = tmp.path().join("record");
        let (code, text) = status_and_text(&[
            "demo",
            "--ballots",
            &BALLOTS.to_string(),
            "--dir",
            s(&record),
        ]);
        assert_eq!(code, 0, "{text}");
        (tmp, record)
    });
    path
}

fn log_key(record: &Path) -> String {
    std::fs::read_to_string(record.join("log/key"))
        .unwrap()
        .trim()
        .to_owned()
}

/// `entente verify --board URL --log KEY ARGS`.
fn on_board(url: &str, key: &str, args: &[&str]) -> (i32, String) {
    let mut all = vec!["--insecure-http", "verify", "--board", url, "--log", key];
    all.extend(args);
    status_and_text(&all)
}

/// The report without the lines that say how long it took and where the record was read.
fn report_of(text: &str) -> String {
    text.lines()
        .filter(|l| !l.contains(" s on ") && !l.starts_with("Log:") && !l.starts_with("Fetched"))
        .map(|l| match l.strip_prefix("Verifying ") {
            // Where the record was read from, then what it is.
            Some(rest) => rest.rsplit_once(" (").map_or(rest, |(_, kind)| kind),
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A partial result as JSON lines, its header without the time it took.
fn partial(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            if let Some(h) = v.as_object_mut() {
                h.remove("seconds");
            }
            v
        })
        .collect()
}

#[test]
fn a_board_read_in_shards_verifies_as_its_exported_folder_does() {
    let record = record();
    let url = serve_files(record.join("log"));
    let key = log_key(record);
    let tmp = tempfile::tempdir().unwrap();
    let (code, single) = status_and_text(&["verify", s(record)]);
    assert_eq!(code, 0, "{single}");

    let mut from_board = Vec::new();
    for i in 0..4 {
        let (b, f) = (
            tmp.path().join(format!("board-{i}.jsonl")),
            tmp.path().join(format!("folder-{i}.jsonl")),
        );
        let shard = format!("{i}/4");
        let (code, text) = on_board(
            &url,
            &key,
            &["--shard", &shard, "--partial", s(&b), "--threads", "1"],
        );
        assert_eq!(code, 0, "{text}");
        // Only its own ballots are fetched: a quarter of them.
        let own = BALLOTS / 4;
        assert!(
            text.contains(&format!("{own} of its {BALLOTS} ballots")),
            "{text}"
        );
        let (code, text) =
            status_and_text(&["verify", s(record), "--shard", &shard, "--partial", s(&f)]);
        assert_eq!(code, 0, "{text}");
        // The same partial as a shard of the exported folder writes: the same record digest,
        // the same ballots, in the same order, with the same findings.
        assert_eq!(partial(&b), partial(&f), "shard {shard}");
        from_board.push(b);
    }
    let mut args = vec!["--merge"];
    args.extend(from_board.iter().map(|p| s(p)));
    let (code, merged) = on_board(&url, &key, &args);
    assert_eq!(code, 0, "{merged}");
    assert!(
        merged.contains("0 of its 16 ballots"),
        "the merge fetches no ballot: {merged}"
    );
    assert!(merged.contains("cosigned by witness."), "{merged}");
    assert_eq!(report_of(&single), report_of(&merged));
    // The board's shards merged on the exported folder: the same record.
    let mut args = vec!["verify", s(record), "--merge"];
    args.extend(from_board.iter().map(|p| s(p)));
    let (code, text) = status_and_text(&args);
    assert_eq!(code, 0, "{text}");
    assert_eq!(report_of(&single), report_of(&text));
    // The whole record from the board in one run: every ballot fetched.
    let (code, whole) = on_board(&url, &key, &["--threads", "2"]);
    assert_eq!(code, 0, "{whole}");
    assert!(whole.contains("16 of its 16 ballots"), "{whole}");
    assert_eq!(report_of(&single), report_of(&whole));
}

#[test]
fn a_board_that_serves_what_its_log_does_not_hold_is_refused_naming_it() {
    let record = record();
    let key = log_key(record);
    let tmp = tempfile::tempdir().unwrap();
    let served = |name: &str, change: &dyn Fn(&Path)| {
        let log = tmp.path().join(name);
        copy_dir(&record.join("log"), &log);
        change(&log);
        serve_files(log)
    };
    let partial = tmp.path().join("p.jsonl");
    let shard = |url: &str, i: usize| {
        on_board(
            url,
            &key,
            &["--shard", &format!("{i}/4"), "--partial", s(&partial)],
        )
    };

    // One ballot's body changed: the one shard that fetches it refuses it, the others pass.
    let url = served("ballot", &|log| {
        let body = largest_body(log);
        let mut bytes = std::fs::read(&body).unwrap();
        let at = bytes.len() / 2;
        bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        std::fs::write(&body, bytes).unwrap();
    });
    let outcomes: Vec<(i32, String)> = (0..4).map(|i| shard(&url, i)).collect();
    let refused: Vec<&String> = outcomes
        .iter()
        .filter(|(c, _)| *c != 0)
        .map(|(_, t)| t)
        .collect();
    assert_eq!(refused.len(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|(c, _)| *c == 0 || *c == 2));
    assert!(
        refused[0].contains("is not the body of that SHA-256"),
        "{}",
        refused[0]
    );

    // An entry changed in its bundle: nothing is believed.
    let url = served("entry", &|log| {
        let bundle = log.join("tile/entries/000.p").read_dir().map_or_else(
            |_| log.join("tile/entries/000"),
            |mut d| d.next().unwrap().unwrap().path(),
        );
        let mut bytes = std::fs::read(&bundle).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let at = text.find("\"nonce\":").unwrap() + 8;
        bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
        std::fs::write(&bundle, bytes).unwrap();
    });
    let (code, text) = shard(&url, 0);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("do not hash to the root"), "{text}");

    // The checkpoint without its witnesses' cosignatures: only the log's own signature.
    let url = served("uncosigned", &|log| {
        let note = std::fs::read_to_string(log.join("checkpoint")).unwrap();
        let log_name = key.split('+').next().unwrap();
        let kept: Vec<&str> = note
            .lines()
            .filter(|l| !l.starts_with('—') || l.starts_with(&format!("— {log_name} ")))
            .collect();
        assert!(kept.len() < note.lines().count());
        std::fs::write(log.join("checkpoint"), kept.join("\n") + "\n").unwrap();
    });
    let (code, text) = shard(&url, 0);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("cosigned by 0 of the 2 witnesses"), "{text}");

    // A key of the same name that did not sign this log: its checkpoint is not believed.
    let url = served("same", &|_| {});
    let (code, text) = shard(&url, 0);
    assert_eq!(code, 0, "{text}");
    // A witness the verifier trusts: one of the definition's passes, another is refused.
    let roles = common::json(&record.join("roles.json"));
    let trusted = roles["witnesses"][0].as_str().unwrap();
    let pinned = |w: &str| {
        on_board(
            &url,
            &key,
            &["--witness", w, "--shard", "1/4", "--partial", s(&partial)],
        )
    };
    let (code, text) = pinned(trusted);
    assert_eq!(code, 0, "{text}");
    let stranger = trusted.replacen("witness.", "witness.stranger-", 1);
    let (code, text) = pinned(&stranger);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("is not a witness of the election's definition"),
        "{text}"
    );
    let other = tmp.path().join("other-log.key");
    let (code, text) = common::status_and_text_with(
        &[
            "keygen",
            "--role",
            "log",
            "--name",
            key.split('+').next().unwrap(),
            "--scrypt-log-n",
            "2",
            "--out",
            s(&other),
        ],
        &[("ENTENTE_PASSPHRASE", "not the log's")],
    );
    assert_eq!(code, 0, "{text}");
    let wrong = std::fs::read_to_string(other.with_extension("key.pub")).unwrap();
    let (code, text) = on_board(
        &url,
        wrong.trim(),
        &["--shard", "0/4", "--partial", s(&partial)],
    );
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("not signed by the log's key"), "{text}");
}

/// The largest body beside the log's tiles: a ballot's.
fn largest_body(log: &Path) -> PathBuf {
    common::files_under(&log.join("entente/bodies"))
        .into_iter()
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("\"ballot_id\"")))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap()
}

/// A hand-made log: a device whose ballots were signed out of its chain's order (as after a
/// restart that re-signed one), a device that never closed (no chain), and a device whose
/// chain lists a ballot the log does not hold. The first two are placed by fetching their
/// ballots; the third is refused when its odd ballot is fetched, naming the entry.
#[test]
fn ballots_signed_out_of_their_chains_order_are_placed_by_their_ids() {
    use ed25519_dalek::SigningKey;
    use entente_board::note::NoteSigner;
    use entente_board::{Board, BoardConfig, Entry, SqliteStorage, tiles};
    use entente_roles::protocol::{ElectionBody, Envelope, RolesFile, kind};
    use entente_verify::BallotSource;

    const ORIGIN: &str = "board.example/placement-test";
    let key = |name: &str, seed: u8| NoteSigner::new(name, SigningKey::from_bytes(&[seed; 32]));
    let log = key(ORIGIN, 9).unwrap();
    let admin = key("administrator", 1).unwrap();
    let devices = [
        key("device.reordered", 2).unwrap(),
        key("device.open", 3).unwrap(),
        key("device.liar", 4).unwrap(),
    ];
    let roles = RolesFile {
        administrator: Some(admin.verifier_key()),
        devices: devices.iter().map(NoteSigner::verifier_key).collect(),
        ..RolesFile::default()
    };
    let election = ElectionBody {
        manifest: "{}".into(),
        election_config: "{}".into(),
        constants: "{}".into(),
        definition: roles.clone(),
    };
    let mut entries = vec![Entry::new("roles", serde_json::to_vec(&roles).unwrap())];
    let mut write = |who: &NoteSigner, what: &str, nonce: u64, body: Vec<u8>| {
        let env = Envelope::sign(who, ORIGIN, what, nonce, &body);
        let mut e = Entry::new(what, env.logged().unwrap().to_bytes());
        e.body = Some(body);
        entries.push(e);
    };
    let ballot = |id: &str| format!(r#"{{"ballot_id":"{id}"}}"#).into_bytes();
    let chain =
        |ids: &[&str]| serde_json::to_vec(&serde_json::json!({ "ballot_ids": ids })).unwrap();
    write(
        &admin,
        kind::ELECTION,
        1,
        serde_json::to_vec(&election).unwrap(),
    );
    // b2 signed (and logged) before b1, though the chain lists b1 first.
    write(&devices[0], kind::BALLOT, 1, ballot("r-b2"));
    write(&devices[0], kind::BALLOT, 2, ballot("r-b1"));
    write(&devices[0], kind::BALLOT, 3, ballot("r-b3"));
    write(
        &devices[0],
        kind::DEVICE_CLOSE,
        4,
        chain(&["r-b1", "r-b2", "r-b3"]),
    );
    write(&devices[1], kind::BALLOT, 1, ballot("o-2"));
    write(&devices[1], kind::BALLOT, 2, ballot("o-1"));
    write(&devices[2], kind::BALLOT, 1, ballot("l-1"));
    write(&devices[2], kind::BALLOT, 2, ballot("l-other"));
    write(&devices[2], kind::DEVICE_CLOSE, 3, chain(&["l-1", "l-2"]));

    let tmp = tempfile::tempdir().unwrap();
    let mut board = Board::init(
        SqliteStorage::open(&tmp.path().join("board.db")).unwrap(),
        BoardConfig {
            origin: ORIGIN.into(),
            log_key: log.verifier_key(),
            witnesses: Vec::new(),
        },
    )
    .unwrap();
    board.append(&entries).unwrap();
    board.checkpoint(&log).unwrap();
    let tiles_dir = tmp.path().join("tiles");
    tiles::export(&board, &tiles_dir).unwrap();
    let url = serve_files(tiles_dir);

    entente_roles::net::configure(entente_roles::net::Trust::system().allow_insecure_http(true));
    let client = entente_roles::client::Client::new(&url, &log.verifier_key()).unwrap();
    let folder = tmp.path().join("record");
    let record =
        entente_roles::board_record::BoardRecord::open(client, &folder, &[], false).unwrap();
    let listed = |device: &str| record.listing()[device].clone();
    assert_eq!(
        listed("device.reordered"),
        [
            "eballot-r-b1.json",
            "eballot-r-b2.json",
            "eballot-r-b3.json"
        ]
    );
    // No chain: its ballots were fetched to list them.
    assert_eq!(
        listed("device.open"),
        ["eballot-o-1.json", "eballot-o-2.json"]
    );
    assert_eq!(record.fetched().devices_placed, 1);
    assert_eq!(
        listed("device.liar"),
        ["eballot-l-1.json", "eballot-l-2.json"]
    );

    let file = |device: &str, name: &str| {
        folder
            .join("encrypted_ballots")
            .join(device)
            .join(format!("eballot-{name}.json"))
    };
    // Fetched by its chain's place, found to hold b2, then placed by id.
    let b1 = file("device.reordered", "r-b1");
    record.fetch(&[b1.as_path()]).unwrap();
    assert_eq!(std::fs::read(&b1).unwrap(), ballot("r-b1"));
    assert_eq!(record.fetched().devices_placed, 2);
    for (device, id) in [("device.reordered", "r-b3"), ("device.open", "o-1")] {
        let f = file(device, id);
        record.fetch(&[f.as_path()]).unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), ballot(id));
    }
    record
        .fetch(&[file("device.liar", "l-1").as_path()])
        .unwrap();
    let refused = record
        .fetch(&[file("device.liar", "l-2").as_path()])
        .unwrap_err();
    assert!(
        refused.contains("log entry 9")
            && refused.contains("\"l-other\" is not one its chain lists"),
        "{refused}"
    );
}
