//! The demo's election with every role in its own process over TLS on loopback: the board server,
//! two witnesses, five guardians (quorum 3, one left out of the decryption), the administrator
//! and a device. The exported record verifies, with its log; a record that no longer matches
//! its log, or a log whose tiles were changed, does not.

use std::path::Path;

use sha2::Digest;
use std::process::{Command, Output};

mod common;
use common::copy_dir;

fn entente(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(args)
        .env_remove("ENTENTE_PASSPHRASE")
        .output()
        .unwrap()
}

fn verify(record: &Path) -> (Option<i32>, String) {
    let out = entente(&["verify", record.to_str().unwrap()]);
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn the_demo_runs_every_role_in_its_own_process_and_its_record_verifies_with_its_log() {
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("record");
    let out = entente(&["demo", "--ballots", "6", "--dir", record.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "every role in its own process",
        "guardian 5: guardian-observer",
        "guardian-observer stayed away",
        "key ceremony",
        "tally and decryption",
        "All 14 verifications that apply hold",
        "cosigned by 2 of 2 witnesses",
        "PASS",
    ] {
        assert!(stdout.contains(expected), "{expected:?} missing:\n{stdout}");
    }
    // The record as exported: every check holds, the log's included.
    let (code, report) = verify(&record);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("Log: the record holds the"), "{report}");
    // The log as a stock tlog-tiles client reads it: every entry in a standard bundle, each
    // signed write's body beside the tiles under the SHA-256 its entry names.
    let entries = read_with_a_stock_client(&record.join("log"));
    let mut bodies = 0;
    for (i, e) in entries.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_slice(e).unwrap();
        let Some(digest) = v["digest"].as_str() else {
            assert!(
                v.get("guardians").is_some(),
                "entry {i} is neither a write nor roles"
            );
            continue;
        };
        let path = format!(
            "log/entente/bodies/{}/{}/{digest}",
            &digest[..2],
            &digest[2..4]
        );
        let body = std::fs::read(record.join(&path)).unwrap();
        assert_eq!(hex::encode(sha2::Sha256::digest(&body)), digest, "{path}");
        bodies += 1;
    }
    assert!(
        bodies + 1 >= entries.len() && bodies > 6,
        "{bodies} of {}",
        entries.len()
    );

    // A verifier that saw this checkpoint before finds the record's log extends it.
    let held = tmp.path().join("held.checkpoint");
    std::fs::copy(record.join("log/checkpoint"), &held).unwrap();
    let out = entente(&[
        "verify",
        record.to_str().unwrap(),
        "--since",
        held.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{:?}", out);

    // A ballot of the record changed after the export: the log says otherwise.
    let changed = tmp.path().join("changed");
    copy_dir(&record, &changed);
    let device = std::fs::read_dir(changed.join("encrypted_ballots"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let ballot = std::fs::read_dir(&device)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("eballot-"))
        .unwrap();
    let mut text = std::fs::read_to_string(&ballot).unwrap();
    text.push('\n');
    std::fs::write(&ballot, text).unwrap();
    let (code, report) = verify(&changed);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("differs from the log's"), "{report}");

    // A body beside the tiles changed, or gone: its entry names another SHA-256.
    let bodies_dir = record.join("log/entente/bodies");
    let one_body = |dir: &Path| {
        let d = std::fs::read_dir(dir.join("log/entente/bodies"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let d = std::fs::read_dir(d)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        std::fs::read_dir(d)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
    };
    assert!(bodies_dir.is_dir());
    for (name, damage) in [
        (
            "rebodied",
            (|p: &Path| std::fs::write(p, b"{}").unwrap()) as fn(&Path),
        ),
        ("unbodied", |p: &Path| std::fs::remove_file(p).unwrap()),
    ] {
        let copy = tmp.path().join(name);
        copy_dir(&record, &copy);
        let body = one_body(&copy);
        damage(&body);
        let (code, report) = verify(&copy);
        assert_eq!(code, Some(1), "{name}: {report}");
        let digest = body.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            report.contains("the log's bodies") && report.contains(&digest),
            "{name}: {report}"
        );
    }

    // A tile of the log changed: the log no longer verifies against its checkpoint.
    let forged = tmp.path().join("forged");
    copy_dir(&record, &forged);
    let tile = std::fs::read_dir(forged.join("log/tile/0"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_file() || p.is_dir())
        .unwrap();
    let tile = if tile.is_dir() {
        std::fs::read_dir(&tile)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
    } else {
        tile
    };
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&tile, bytes).unwrap();
    let (code, report) = verify(&forged);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("the log does not verify"), "{report}");
    // Nothing of a log that does not verify is claimed: no count, no signature (issue 22).
    assert!(
        report.contains("Log: the record's log does not verify  FAIL"),
        "{report}"
    );
    assert!(!report.contains("checkpoint signed by the log"), "{report}");
}

/// The export in `log` read as any tlog-tiles client reads it, with code not written here
/// (Cloudflare's `signed_note` and `tlog_tiles`): the checkpoint's signature by the log's key,
/// every hash tile authenticated up to the checkpoint's root, and every entry, from the standard
/// bundles (16-bit lengths) alone, against its leaf hash in the tree. Returns the entries.
fn read_with_a_stock_client(log: &Path) -> Vec<Vec<u8>> {
    use tlog_tiles::{HashReader, Tile, TileHashReader, TileReader};
    let vkey = std::fs::read_to_string(log.join("key")).unwrap();
    let verifier = signed_note::StandardVerifier::new(vkey.trim()).unwrap();
    let note =
        signed_note::Note::from_bytes(&std::fs::read(log.join("checkpoint")).unwrap()).unwrap();
    note.verify(&signed_note::VerifierList::new(vec![Box::new(verifier)]))
        .unwrap();
    let cp = tlog_tiles::Checkpoint::from_bytes(note.text()).unwrap();

    // tlog-tiles paths (the crate's own are the Go sumdb's, with the tile height in them).
    fn index(n: u64, width: u64) -> String {
        let mut parts = vec![format!("{:03}", n % 1000)];
        let mut rest = n / 1000;
        while rest > 0 {
            parts.push(format!("x{:03}", rest % 1000));
            rest /= 1000;
        }
        parts.reverse();
        let partial = if width == 256 {
            String::new()
        } else {
            format!(".p/{width}")
        };
        format!("{}{partial}", parts.join("/"))
    }
    struct Files<'a>(&'a Path);
    impl TileReader for Files<'_> {
        fn height(&self) -> u8 {
            8
        }
        fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
            Ok(tiles
                .iter()
                .map(|t| {
                    let path = format!(
                        "tile/{}/{}",
                        t.level(),
                        index(t.level_index(), u64::from(t.width()))
                    );
                    std::fs::read(self.0.join(path)).unwrap()
                })
                .collect())
        }
        fn save_tiles(&self, _: &[Tile], _: &[Vec<u8>]) {}
    }
    let files = Files(log);
    let hashes = TileHashReader::new(cp.size(), *cp.hash(), &files);
    let mut entries = Vec::new();
    for n in 0..cp.size().div_ceil(256) {
        let width = (cp.size() - 256 * n).min(256);
        let bundle = std::fs::read(log.join(format!("tile/entries/{}", index(n, width)))).unwrap();
        let mut rest = &bundle[..];
        while !rest.is_empty() {
            let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            entries.push(rest[2..2 + len].to_vec());
            rest = &rest[2 + len..];
        }
        assert_eq!(entries.len() as u64, 256 * n + width, "bundle {n}");
    }
    for (i, e) in entries.iter().enumerate() {
        let at = tlog_tiles::stored_hash_index(0, i as u64);
        let leaf = hashes.read_hashes(&[at]).unwrap()[0];
        assert_eq!(leaf, tlog_tiles::record_hash(e), "entry {i}");
    }
    entries
}
