//! The log as static files in the C2SP `tlog-tiles` layout: `checkpoint`, the hash tiles
//! `tile/<L>/<N>[.p/<W>]` and the entry bundles `tile/entries/<N>[.p/<W>]`, so that any web
//! server or CDN can mirror the board and any client can check it without trusting the server;
//! and that client check ([`verify_export`]).
//!
//! Entry bundles prefix each entry with a 16-bit length, so an entry holds at most 64 KiB, and
//! an encrypted ballot of a real election is often larger. The server's entries fit: each
//! signed write is logged as a small entry that names its body's SHA-256, and the body is
//! published beside the tiles at `entente/bodies/<aa>/<bb>/<hex SHA-256>` ([`body_path`]),
//! content-addressed, so that a reader checks it against its entry. Only a board fed large
//! files by hand (`entente board append`) can hold a larger entry; a bundle holding one is
//! written at `entente/entries/<N>[.p/<W>]` with 32-bit big-endian lengths (tlog-tiles lets a
//! log serve entries in another format at another path).

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::error::BoardError;

use crate::Hash;
use crate::board::Board;
use crate::merkle::{leaf_hash, node_hash};
use crate::note::{Checkpoint, NoteVerifier};
use crate::store::Storage;

/// Hashes per full tile (tile height 8).
pub const TILE_WIDTH: u64 = 256;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BoardError + '_ {
    move |source| BoardError::Io {
        path: path.to_owned(),
        source,
    }
}

/// `<N>` of a tile path: zero-padded 3-digit elements, all but the last prefixed with `x`.
pub fn index_path(n: u64) -> String {
    let mut parts = vec![format!("{:03}", n % 1000)];
    let mut rest = n / 1000;
    while rest > 0 {
        parts.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    parts.reverse();
    parts.join("/")
}

/// The path of tile `n` at level `level` of width `width` (256: full).
pub fn tile_path(level: u32, n: u64, width: u64) -> String {
    with_width(format!("tile/{level}/{}", index_path(n)), width)
}

/// The path of entry bundle `n` of width `width`.
pub fn bundle_path(n: u64, width: u64) -> String {
    with_width(format!("tile/entries/{}", index_path(n)), width)
}

/// The path of a bundle with 32-bit lengths (for entries beyond 64 KiB).
pub fn large_bundle_path(n: u64, width: u64) -> String {
    with_width(format!("entente/entries/{}", index_path(n)), width)
}

/// The path of the body whose SHA-256 is `digest`: `entente/bodies/<aa>/<bb>/<hex>`, its first
/// two bytes as folders so that no folder of a mirror holds millions of files.
pub fn body_path(digest: &Hash) -> String {
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("entente/bodies/{}/{}/{hex}", &hex[..2], &hex[2..4])
}

/// The digest a body path names, if `path` (after `entente/bodies/`) is one: `aa/bb/<hex>`,
/// lower-case hex whose first bytes are its folders.
pub fn body_of_path(path: &str) -> Option<Hash> {
    let (folders, hex) = path.rsplit_once('/')?;
    if hex.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    for (d, pair) in digest.iter_mut().zip(hex.as_bytes().chunks(2)) {
        *d = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    // The canonical path only (lower case, its own folders): one name per body.
    (body_path(&digest) == format!("entente/bodies/{folders}/{hex}")).then_some(digest)
}

fn with_width(p: String, width: u64) -> String {
    if width == TILE_WIDTH {
        p
    } else {
        format!("{p}.p/{width}")
    }
}

/// The tiles of a tree of `size` leaves: (level, index, width), full ones and the partial
/// rightmost ones (tlog-tiles "Partial Tiles").
pub fn tiles_of(size: u64) -> Vec<(u32, u64, u64)> {
    tiles(size).collect()
}

/// [`tiles_of`], one at a time: a reader goes through them lazily, so that a checkpoint
/// claiming 2^60 leaves (which the log's key can sign as easily as a true one) costs it one
/// missing tile, not a list of 2^52 of them.
pub fn tiles(size: u64) -> impl Iterator<Item = (u32, u64, u64)> {
    // Hashes at tile level l: floor(size / 256^l), while it is not zero.
    std::iter::successors(Some((0u32, size)), |&(level, count)| {
        (count >= TILE_WIDTH).then_some((level + 1, count / TILE_WIDTH))
    })
    .take_while(|&(_, count)| count > 0)
    .flat_map(|(level, count)| {
        let full = (0..count / TILE_WIDTH).map(move |n| (level, n, TILE_WIDTH));
        let partial = (!count.is_multiple_of(TILE_WIDTH)).then_some((
            level,
            count / TILE_WIDTH,
            count % TILE_WIDTH,
        ));
        full.chain(partial)
    })
}

fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<(), BoardError> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io(parent))?;
    }
    // Through a temporary file and a rename, so that a mirror never serves half a tile.
    let tmp = path.with_extension("tmp");
    let mut f = fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    fs::rename(&tmp, &path).map_err(io(&path))
}

/// What an export wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    /// The tree size of the exported checkpoint.
    pub size: u64,
    /// Tiles and bundles written.
    pub written: u64,
    /// Full tiles and bundles already present (immutable, so not written again).
    pub kept: u64,
}

/// Exports the board's latest checkpoint (with its cosignatures) and every tile and entry
/// bundle it needs into `dir`. Full tiles already in `dir` are kept (they never change), so
/// exporting again after more appends writes only what is new.
pub fn export<S: Storage>(board: &Board<S>, dir: &Path) -> Result<Exported, BoardError> {
    let (size, note) = board.latest_checkpoint()?.ok_or(BoardError::NoCheckpoint)?;
    let mut out = Exported {
        size,
        ..Exported::default()
    };
    let store = board.storage();
    for (level, n, width) in tiles_of(size) {
        let path = tile_path(level, n, width);
        let bundle_kept = level > 0
            || dir.join(bundle_path(n, width)).exists()
            || dir.join(large_bundle_path(n, width)).exists();
        if width == TILE_WIDTH && dir.join(&path).exists() && bundle_kept {
            out.kept += 1;
            continue;
        }
        // A tile hash at level L is the node of merkle level 8L.
        let hashes = store.nodes(8 * level, n * TILE_WIDTH, n * TILE_WIDTH + width)?;
        if hashes.len() as u64 != width {
            return Err(BoardError::Mismatch {
                path,
                reason: format!("the board holds {} of its {width} hashes", hashes.len()),
            });
        }
        write_file(dir, &path, &hashes.concat())?;
        out.written += 1;
        if level == 0 {
            // The bodies before the bundle that names them: a mirror never serves an entry
            // whose body it lacks.
            for digest in store.body_digests(n * TILE_WIDTH, n * TILE_WIDTH + width)? {
                let rel = body_path(&digest);
                if dir.join(&rel).exists() {
                    continue;
                }
                let body = store.body(&digest)?.ok_or_else(|| BoardError::Mismatch {
                    path: rel.clone(),
                    reason: "the board names this body but does not hold it".into(),
                })?;
                write_file(dir, &rel, &body)?;
                out.written += 1;
            }
            let data = store.entry_data(n * TILE_WIDTH, n * TILE_WIDTH + width)?;
            let small = data.iter().all(|d| d.len() <= usize::from(u16::MAX));
            let mut bundle = Vec::with_capacity(data.iter().map(|d| d.len() + 4).sum());
            for d in &data {
                if small {
                    bundle.extend_from_slice(&(d.len() as u16).to_be_bytes());
                } else {
                    bundle.extend_from_slice(&(d.len() as u32).to_be_bytes());
                }
                bundle.extend_from_slice(d);
            }
            let path = if small {
                bundle_path(n, width)
            } else {
                large_bundle_path(n, width)
            };
            write_file(dir, &path, &bundle)?;
            out.written += 1;
        }
    }
    // The checkpoint last: a mirror that serves it has every tile it names.
    write_file(dir, "checkpoint", note.as_bytes())?;
    Ok(out)
}

/// Parses an entry bundle (tlog-tiles: each entry after its big-endian length), with 16-bit
/// lengths (`wide` false) or 32-bit ones (Entente's large bundles); `path` names it in errors.
pub fn parse_bundle(bytes: &[u8], wide: bool, path: &str) -> Result<Vec<Vec<u8>>, BoardError> {
    let bad = |reason: &str| BoardError::Mismatch {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let prefix = if wide { 4 } else { 2 };
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < prefix {
            return Err(bad("a truncated length"));
        }
        let (len, tail) = rest.split_at(prefix);
        let len = len.iter().fold(0usize, |a, &b| a << 8 | usize::from(b));
        if tail.len() < len {
            return Err(bad("a truncated entry"));
        }
        out.push(tail[..len].to_vec());
        rest = &tail[len..];
    }
    Ok(out)
}

/// What a client learns by checking an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedExport {
    /// The checkpoint, verified against the log's key.
    pub checkpoint: Checkpoint,
    /// The signed note as served (with any cosignatures).
    pub note: String,
    /// Every entry from index `first` on, in order, each checked against its leaf hash.
    pub entries: Vec<Vec<u8>>,
    /// The index of `entries[0]`: 0, or the entries a client already held
    /// ([`verify_extension_after`]).
    pub first: u64,
}

/// Checks an export as a client would that trusts only the log's key: the checkpoint's
/// signature, every tile against the tiles above it up to the checkpoint's root, and every
/// entry against its leaf hash. Returns the entries.
pub fn verify_export(dir: &Path, log_key: &NoteVerifier) -> Result<VerifiedExport, BoardError> {
    let note_path = dir.join("checkpoint");
    let note = fs::read_to_string(&note_path).map_err(io(&note_path))?;
    verify_tiles(dir, note, log_key, None, 0)
}

/// [`verify_export`] of the tiles under `dir` against `note`, a checkpoint not yet stored
/// there (a client's first look at a log).
pub fn verify_export_note(
    dir: &Path,
    note: String,
    log_key: &NoteVerifier,
) -> Result<VerifiedExport, BoardError> {
    verify_tiles(dir, note, log_key, None, 0)
}

/// Checks the tiles under `dir` against `note` (a checkpoint not yet stored there) as
/// [`verify_export`] does, and that its tree extends `held`, a checkpoint of the same log that
/// the client accepted before: the tree of `held.size` leaves recomputed from the new tiles
/// (partial tiles included) must have `held.root`. This is the consistency of RFC 9162 §2.1.4,
/// checked from the tiles themselves rather than from a proof the server chooses.
pub fn verify_extension(
    dir: &Path,
    note: String,
    log_key: &NoteVerifier,
    held: &Checkpoint,
) -> Result<VerifiedExport, BoardError> {
    verify_tiles(dir, note, log_key, Some(held), 0)
}

/// [`verify_extension`] for a client that already holds the first `held.size` entries, checked
/// against `held`: their bundles are not read again (the tree's consistency with `held`, checked
/// from the tiles, proves that those entries are unchanged), and only the entries from index
/// `held.size` on are returned, each checked against its leaf hash.
pub fn verify_extension_after(
    dir: &Path,
    note: String,
    log_key: &NoteVerifier,
    held: &Checkpoint,
) -> Result<VerifiedExport, BoardError> {
    verify_tiles(dir, note, log_key, Some(held), held.size)
}

fn verify_tiles(
    dir: &Path,
    note: String,
    log_key: &NoteVerifier,
    held: Option<&Checkpoint>,
    known: u64,
) -> Result<VerifiedExport, BoardError> {
    let cp = Checkpoint::open(&note, log_key).map_err(|e| BoardError::Checkpoint(Box::new(e)))?;
    if let Some(h) = held {
        let inconsistent = |reason: &str| BoardError::Inconsistent {
            held_size: h.size,
            size: cp.size,
            reason: reason.to_owned(),
        };
        if h.origin != cp.origin {
            return Err(inconsistent("another origin"));
        }
        if h.size > cp.size {
            return Err(inconsistent("the log is smaller than it was"));
        }
    }
    let read = |rel: &str| -> Result<Vec<u8>, BoardError> {
        let p = dir.join(rel);
        fs::read(&p).map_err(io(&p))
    };
    let mismatch = |path: String, reason: &str| BoardError::Mismatch {
        path,
        reason: reason.to_owned(),
    };
    // Every tile's hashes, level by level; level 0 holds the leaf hashes.
    let mut levels: Vec<Vec<Hash>> = Vec::new();
    for (level, n, width) in tiles(cp.size) {
        let path = tile_path(level, n, width);
        let bytes = read(&path)?;
        if bytes.len() as u64 != width * 32 {
            return Err(mismatch(path, "not width × 32 bytes"));
        }
        if levels.len() <= level as usize {
            levels.push(Vec::new());
        }
        levels[level as usize].extend(bytes.chunks_exact(32).map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        }));
    }
    // Each full tile must hash to its entry in the tile level above (a tile is a complete
    // subtree of height 8 over its hashes).
    for l in 1..levels.len() {
        for (i, above) in levels[l].iter().enumerate() {
            let below = &levels[l - 1][i * 256..(i + 1) * 256];
            if subtree_root(below) != *above {
                return Err(mismatch(
                    tile_path(l as u32 - 1, i as u64, TILE_WIDTH),
                    "does not hash to its entry in the tile above",
                ));
            }
        }
    }
    // The root: the tree's complete subtrees, largest first, each from the lowest tile level
    // that has it, then the RFC 9162 right-to-left fold.
    if root_from_levels(&levels, cp.size) != cp.root {
        return Err(mismatch(
            "tile/".into(),
            "the tiles do not hash to the checkpoint's root",
        ));
    }
    if let Some(h) = held
        && root_from_levels(&levels, h.size) != h.root
    {
        return Err(BoardError::Inconsistent {
            held_size: h.size,
            size: cp.size,
            reason: "its first entries do not hash to the root held: the history was rewritten"
                .to_owned(),
        });
    }
    // Every tile was read above, so the size is backed by files of that many hashes; still,
    // reserve no more than one bundle's worth ahead of what is read.
    let mut entries = Vec::with_capacity(cp.size.saturating_sub(known).min(TILE_WIDTH) as usize);
    for (level, n, width) in tiles(cp.size) {
        if level != 0 || n * TILE_WIDTH + width <= known {
            continue;
        }
        let (path, wide) = if dir.join(bundle_path(n, width)).exists() {
            (bundle_path(n, width), false)
        } else {
            (large_bundle_path(n, width), true)
        };
        let bundle = parse_bundle(&read(&path)?, wide, &path)?;
        if bundle.len() as u64 != width {
            return Err(mismatch(path, "holds the wrong number of entries"));
        }
        for (i, e) in bundle.into_iter().enumerate() {
            if n * TILE_WIDTH + (i as u64) < known {
                continue;
            }
            if leaf_hash(&e) != levels[0][(n * TILE_WIDTH) as usize + i] {
                return Err(mismatch(
                    path.clone(),
                    &format!(
                        "entry {} does not hash to its leaf",
                        n * TILE_WIDTH + i as u64
                    ),
                ));
            }
            entries.push(e);
        }
    }
    Ok(VerifiedExport {
        checkpoint: cp,
        note,
        entries,
        first: known,
    })
}

/// The root of a complete subtree over a power-of-two number of hashes.
fn subtree_root(hashes: &[Hash]) -> Hash {
    let mut layer = hashes.to_vec();
    while layer.len() > 1 {
        layer = layer
            .chunks_exact(2)
            .map(|p| node_hash(&p[0], &p[1]))
            .collect();
    }
    layer[0]
}

/// MTH(D[0:size]) from the tile levels: `size` splits into complete subtrees of 2^k leaves,
/// largest first; each is built from the hashes of the tile level 8·⌊k/8⌋.
fn root_from_levels(levels: &[Vec<Hash>], size: u64) -> Hash {
    if size == 0 {
        return crate::merkle::empty_root();
    }
    let mut subtrees = Vec::new();
    let mut start = 0u64;
    for k in (0..64).rev() {
        if size >> k & 1 == 1 {
            let tile_level = k / 8;
            let per = 1u64 << (8 * tile_level);
            let from = (start / per) as usize;
            let count = 1usize << (k - 8 * tile_level);
            subtrees.push(subtree_root(&levels[tile_level][from..from + count]));
            start += 1 << k;
        }
    }
    let mut root = subtrees.pop().unwrap_or_else(crate::merkle::empty_root);
    while let Some(left) = subtrees.pop() {
        root = node_hash(&left, &root);
    }
    root
}
