//! A log's export as a client checks it (tlog-tiles): hash tiles, entry bundles of both widths
//! and a checkpoint, the checkpoint signed by the harness for a size and root the fuzzer
//! chooses, so that the reader is tried past the signature, on any size a log's key could sign;
//! and the bundle's entries joined with their bodies and read as an election's log.

#![no_main]

use std::sync::LazyLock;

use ed25519_dalek::SigningKey;
use entente_board::note::{Checkpoint, NoteSigner, NoteVerifier};
use entente_board::tiles;
use libfuzzer_sys::fuzz_target;

const ORIGIN: &str = "board.example/fuzz";

static SIGNER: LazyLock<NoteSigner> = LazyLock::new(|| {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[7; 32])).expect("a valid name")
});

static LOG: LazyLock<NoteVerifier> =
    LazyLock::new(|| NoteVerifier::parse(&SIGNER.verifier_key()).expect("its own key parses"));

/// At most this many tiles are written from an input (the reader must stop at the first
/// missing one, however many the size implies).
const MAX_TILES: usize = 8;

fuzz_target!(|data: &[u8]| {
    if data.len() < 41 {
        return;
    }
    let (head, rest) = data.split_at(41);
    let mut size = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
    // Most sizes small enough for every tile to be written, some of any size.
    if head[40] & 0x80 == 0 {
        size %= 1 << 10;
    }
    let mut root = [0u8; 32];
    root.copy_from_slice(&head[8..40]);
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    // The files, in the order the tiles come, each after its 16-bit little-endian length.
    let mut left = rest;
    let mut chunks = std::iter::from_fn(|| {
        let (len, tail) = left.split_at_checked(2)?;
        let len = usize::from(u16::from_le_bytes([len[0], len[1]])).min(tail.len());
        let (file, tail) = tail.split_at(len);
        left = tail;
        Some(file)
    });
    let mut write = |rel: String| {
        let path = dir.path().join(rel);
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = std::fs::write(path, chunks.next().unwrap_or(&[]));
    };
    for (level, n, width) in tiles::tiles(size).take(MAX_TILES) {
        write(tiles::tile_path(level, n, width));
        if level == 0 {
            if head[40] & 1 == 0 {
                write(tiles::bundle_path(n, width));
            } else {
                write(tiles::large_bundle_path(n, width));
            }
        }
    }
    let note = Checkpoint {
        origin: ORIGIN.to_owned(),
        size,
        root,
    }
    .sign(&SIGNER);
    if let Ok(export) = tiles::verify_export_note(dir.path(), note, &LOG) {
        assert_eq!(
            export.entries.len() as u64,
            size,
            "every entry of the size is returned"
        );
    }
    // The input as one bundle, read as an election's log: each logged write joined with the
    // body the export holds under the SHA-256 it names (missing here unless the input wrote
    // it), then the entries read as the election's.
    if let Ok(entries) = tiles::parse_bundle(rest, head[40] & 1 == 1, "fuzz")
        && let Ok(joined) = entente_roles::client::exported_bodies(dir.path(), 0, entries)
    {
        let _ = entente_roles::protocol::LogView::read(ORIGIN, &joined);
    }
});
