//! A record read from a board over HTTP for one shard of a verification
//! (`entente verify --board URL --shard I/N`), fetching only what the shard needs.
//!
//! The log's entries are small: each signed write is logged as its headers (author, kind,
//! nonce, the SHA-256 of its body and the signature over them), and the body is beside the tiles
//! (`entente/bodies/…`). The bulk of a record is its ballots' bodies. So a shard reads every
//! entry bundle (a few hundred bytes an entry), checks them against the checkpoint's root (no
//! hash tile is needed: the root is computed from the entries), reads the whole log as an
//! election's (every signature, nonce and protocol step, as an export is read; a ballot by its
//! headers, whose signature covers its body's digest), writes the record's files other than the
//! ballots, and fetches the body of a ballot only when the verifier is about to read it, for
//! its own shard.
//!
//! What the verifier needs besides is every device's list of ballot files, in the record's
//! order, before any ballot is read: it is what fixes each shard's slice and binds a partial to
//! its record. The headers name each ballot's device and nonce, not its id. A device signs its
//! ballots in its chain's order, with rising nonces, so the k-th ballot of a device by nonce
//! is taken to be the one its chain (logged when the device closes) lists k-th. That guess is
//! checked for every ballot that is fetched: the body's id must be the one the chain lists at
//! its place. The shards' slices cover every ballot once, so every ballot is checked by one
//! shard. Where the guess is wrong (a device that re-signed a ballot after a restart), the
//! device's bodies are all fetched and its ballots placed by their ids; where a device has no
//! chain, or more or fewer ballots than its chain lists, that is done from the start. Only a
//! log whose ballots are not those their chains list fails, naming the entry: the listing of
//! its record cannot be known without reading every ballot, and `entente export` then
//! `entente verify` read it whole.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use entente_board::merkle::leaf_hash;
use entente_board::note::Checkpoint;
use entente_board::tiles;
use entente_board::{Hash, RootBuilder};
use serde::Deserialize;

use crate::client::{Client, cosigners};
use crate::error::{Context, Result, ensure, refused};
use crate::files::materialize;
use crate::protocol::LogView;
use crate::protocol::kind;

/// Fetches of ballot bodies at once: enough to hide a distant board's round trips behind the
/// checks of the chunk before (see `entente_verify`'s shard), few enough that hundreds of
/// shards do not swamp the board or the mirror they read.
const FETCHERS: usize = 8;

/// A ballot logged by its headers: where it is and what it must hash to.
#[derive(Debug, Clone, Copy)]
struct Deferred {
    index: u64,
    nonce: u64,
    digest: Hash,
}

/// What was fetched, for the summary line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fetched {
    /// The log's entries (all of them, headers only for ballots).
    pub entries: u64,
    /// Bytes of the entry bundles.
    pub bundle_bytes: u64,
    /// Bodies fetched: the steps' and the ballots' read.
    pub bodies: u64,
    /// Their bytes.
    pub body_bytes: u64,
    /// The ballots the log holds.
    pub ballots: u64,
    /// Of them, those whose bodies were fetched.
    pub ballots_fetched: u64,
    /// Devices whose ballots were all fetched to place them (no chain, or not in its order).
    pub devices_placed: u64,
}

/// A record on a board, its files other than the ballots written to a folder, and the
/// ballots fetched into it on demand (the verifier's [`entente_verify::BallotSource`]).
pub struct BoardRecord {
    client: Client,
    /// The checkpoint read, with its cosignatures.
    pub note: String,
    /// The log's size at that checkpoint.
    pub size: u64,
    /// The witnesses (of the election's definition) who cosigned it.
    pub cosigned_by: Vec<String>,
    listing: BTreeMap<String, Vec<String>>,
    /// Each device's ballots in nonce order.
    ballots: BTreeMap<String, Vec<Deferred>>,
    /// Where each listed file's body is, by device, then file name.
    located: Mutex<HashMap<String, HashMap<String, Deferred>>>,
    /// Devices whose ballots were all fetched to place them.
    resolved: Mutex<BTreeSet<String>>,
    fetched: Counters,
}

#[derive(Debug, Default)]
struct Counters {
    bundle_bytes: AtomicU64,
    bodies: AtomicU64,
    body_bytes: AtomicU64,
    ballots_fetched: AtomicU64,
}

/// A name the record's files cannot hold as a folder or file name.
fn unplain(name: &str) -> bool {
    name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.')
}

fn file_of(id: &str) -> String {
    format!("eballot-{id}.json")
}

impl BoardRecord {
    /// Reads the log at `client`'s server (its checkpoint must carry the cosignature of every
    /// witness of the election's definition, and the definition must name each witness of
    /// `pinned`, verifier keys or their files, that the reader trusts) and writes the record's
    /// files, but the ballots, under `dir`; `progress` shows a bar of the entries read.
    pub fn open(client: Client, dir: &Path, pinned: &[String], progress: bool) -> Result<Self> {
        let note = String::from_utf8(client.get_ok("/checkpoint")?)
            .context("the board's checkpoint is not text")?;
        let cp = Checkpoint::open(&note, client.log())
            .context("the board's checkpoint is not signed by the log's key")?;
        let counters = Counters::default();
        let mut view = LogView::default();
        let mut root = RootBuilder::default();
        let mut unread = None;
        let bar = crate::progress::bar(
            progress,
            usize::try_from(cp.size).unwrap_or(usize::MAX),
            "reading the board's log",
        );
        for (level, n, width) in tiles::tiles(cp.size) {
            if level != 0 {
                continue;
            }
            let (small, large) = (
                tiles::bundle_path(n, width),
                tiles::large_bundle_path(n, width),
            );
            let (path, wide, bytes) = match client.get(&format!("/{small}"))? {
                (200, bytes) => (small, false, bytes),
                _ => (large.clone(), true, client.get_ok(&format!("/{large}"))?),
            };
            counters
                .bundle_bytes
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            let bundle = tiles::parse_bundle(&bytes, wide, &path)?;
            ensure!(
                bundle.len() as u64 == width,
                "the board's {path} holds {} entries, not {width}",
                bundle.len()
            );
            bar.inc(width);
            for entry in bundle {
                root.push(leaf_hash(&entry));
                if unread.is_some() {
                    continue;
                }
                // A ballot by its headers, any other write joined with its body.
                unread = view
                    .extend_with_ballot_headers(&cp.origin, vec![entry], |digest| {
                        fetch_body(&client, digest, &counters)
                    })
                    .err();
            }
        }
        bar.finish_and_clear();
        // Nothing read is used before this: the entries are the log's only if they hash to
        // the root its key signed, and an entry that does not read is blamed on the log only
        // then (else on the server that changed it).
        ensure!(
            root.size() == cp.size && root.root() == cp.root,
            "the board's entries do not hash to the root of its checkpoint: it serves other \
             entries than the log its key signed"
        );
        if let Some(e) = unread {
            return Err(e);
        }
        let witnesses = &view.roles.witnesses;
        let cosigned_by = cosigners(&note, witnesses)?;
        ensure!(
            cosigned_by.len() == witnesses.len(),
            "the board's checkpoint of {} entries is cosigned by {} of the {} witnesses of the \
             election's definition: verify it once every witness has cosigned it",
            cp.size,
            cosigned_by.len(),
            witnesses.len()
        );
        for pin in pinned {
            let key = crate::board::read_vkey(pin)?;
            ensure!(
                witnesses.contains(&key),
                "the witness {pin} given with --witness is not a witness of the election's \
                 definition on the board"
            );
        }
        materialize(&view, dir)?;
        let mut ballots: BTreeMap<String, Vec<Deferred>> = BTreeMap::new();
        for w in &view.writes {
            if let Some(digest) = w.deferred {
                ensure!(
                    !unplain(&w.author),
                    "log entry {}: device {:?} cannot name a folder of the record",
                    w.index,
                    w.author
                );
                ballots.entry(w.author.clone()).or_default().push(Deferred {
                    index: w.index,
                    nonce: w.nonce,
                    digest,
                });
            }
        }
        for list in ballots.values_mut() {
            list.sort_by_key(|d| d.nonce);
        }
        let mut record = Self {
            client,
            note,
            size: cp.size,
            cosigned_by,
            listing: BTreeMap::new(),
            ballots,
            located: Mutex::new(HashMap::new()),
            resolved: Mutex::new(BTreeSet::new()),
            fetched: counters,
        };
        record.list(&view)?;
        Ok(record)
    }

    /// Every device's files: its chain's ids where the chain lists as many ballots as the log
    /// holds of the device, each once; else the ids of its ballots, all fetched.
    fn list(&mut self, view: &LogView) -> Result<()> {
        #[derive(Deserialize)]
        struct Chain {
            ballot_ids: Vec<String>,
        }
        // The last chain each device logged, as the record's file is.
        let mut chains: BTreeMap<String, Option<Vec<String>>> = BTreeMap::new();
        for w in view.of(kind::DEVICE_CLOSE) {
            let ids = serde_json::from_slice::<Chain>(&w.body)
                .ok()
                .map(|c| c.ballot_ids);
            chains.insert(w.author.clone(), ids);
        }
        let devices: BTreeSet<String> = chains.keys().chain(self.ballots.keys()).cloned().collect();
        for device in devices {
            let held = self.ballots.get(&device).map_or(&[][..], Vec::as_slice);
            let chain = chains.get(&device).cloned().flatten();
            let guess = chain.filter(|ids| {
                ids.len() == held.len()
                    && ids.iter().collect::<BTreeSet<_>>().len() == ids.len()
                    && !ids.iter().any(|id| unplain(id))
            });
            let placed: HashMap<String, Deferred> = match guess {
                Some(ids) => ids
                    .iter()
                    .zip(held)
                    .map(|(id, d)| (file_of(id), *d))
                    .collect(),
                None => self.place(&device)?,
            };
            let mut files: Vec<String> = placed.keys().cloned().collect();
            files.sort();
            self.listing.insert(device.clone(), files);
            self.located
                .lock()
                .map_err(|_| refused!("the board record's index was left half-updated"))?
                .insert(device, placed);
        }
        Ok(())
    }

    /// Fetches every ballot of `device` and places each by its id (of two with one id, the
    /// later in the log, as an export writes them).
    fn place(&self, device: &str) -> Result<HashMap<String, Deferred>> {
        let held = self.ballots.get(device).map_or(&[][..], Vec::as_slice);
        let mut by_index = held.to_vec();
        by_index.sort_by_key(|d| d.index);
        let mut placed = HashMap::new();
        for d in by_index {
            let body = fetch_body(&self.client, &d.digest, &self.fetched)?;
            let id = ballot_id(&body).with_context(|| format!("log entry {}", d.index))?;
            ensure!(
                !unplain(&id),
                "log entry {}: ballot {id:?} of {device:?} cannot name a file",
                d.index
            );
            placed.insert(file_of(&id), d);
        }
        self.resolved
            .lock()
            .map_err(|_| refused!("the board record's index was left half-updated"))?
            .insert(device.to_owned());
        Ok(placed)
    }

    /// The board's URL.
    pub fn server(&self) -> &str {
        self.client.server()
    }

    /// What was fetched so far.
    pub fn fetched(&self) -> Fetched {
        let c = &self.fetched;
        Fetched {
            entries: self.size,
            bundle_bytes: c.bundle_bytes.load(Ordering::Relaxed),
            bodies: c.bodies.load(Ordering::Relaxed),
            body_bytes: c.body_bytes.load(Ordering::Relaxed),
            ballots: self.ballots.values().map(|v| v.len() as u64).sum(),
            ballots_fetched: c.ballots_fetched.load(Ordering::Relaxed),
            devices_placed: self.resolved.lock().map_or(0, |r| r.len() as u64),
        }
    }

    /// Fetches the ballot file `path` (of the listing) into the record's folder.
    fn fetch_one(&self, path: &Path) -> Result<()> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let device = path
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let at = |located: &HashMap<String, HashMap<String, Deferred>>| {
            located.get(&device).and_then(|m| m.get(&name)).copied()
        };
        let lock = || {
            self.located
                .lock()
                .map_err(|_| refused!("the board record's index was left half-updated"))
        };
        let d = at(&*lock()?)
            .with_context(|| format!("{device}/{name} is not a ballot of the board's record"))?;
        let body = fetch_body(&self.client, &d.digest, &self.fetched)?;
        let id = ballot_id(&body).with_context(|| format!("log entry {}", d.index))?;
        let body = if file_of(&id) == name {
            body
        } else {
            // Not the ballot the chain lists at its place: the device's ballots placed by id.
            let placed = self.place(&device)?;
            let mut names: Vec<&String> = placed.keys().collect();
            names.sort();
            let listed: Vec<&String> = self
                .listing
                .get(&device)
                .map(|l| l.iter().collect())
                .unwrap_or_default();
            ensure!(
                names == listed,
                "log entry {}: device {device}'s ballot {id:?} is not one its chain lists (it \
                 holds other ballots than its chain names): the record's listing cannot be \
                 read from the log's headers; verify an export of the whole record (entente \
                 export, then entente verify)",
                d.index
            );
            let d = placed
                .get(&name)
                .copied()
                .with_context(|| format!("{device}/{name} is not on the board"))?;
            lock()?.insert(device.clone(), placed);
            fetch_body(&self.client, &d.digest, &self.fetched)?
        };
        self.fetched.ballots_fetched.fetch_add(1, Ordering::Relaxed);
        // A scratch copy, read once and removed with its folder: not synced to disk, which
        // would make each fetch wait on the disk.
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(path, &body).with_context(|| format!("cannot write {}", path.display()))
    }
}

impl entente_verify::BallotSource for BoardRecord {
    fn listing(&self) -> &BTreeMap<String, Vec<String>> {
        &self.listing
    }

    fn fetch(&self, files: &[&Path]) -> std::result::Result<(), String> {
        let next = AtomicU64::new(0);
        let failed: Mutex<Option<String>> = Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..FETCHERS.min(files.len()) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                        let Some(path) = files.get(i) else { break };
                        if let Err(e) = self.fetch_one(path) {
                            if let Ok(mut f) = failed.lock() {
                                f.get_or_insert(format!("{}: {e:#}", path.display()));
                            }
                            break;
                        }
                    }
                });
            }
        });
        match failed.into_inner() {
            Ok(None) => Ok(()),
            Ok(Some(e)) => Err(format!("the board's ballot {e}")),
            Err(_) => Err("a fetch of the board's ballots panicked".into()),
        }
    }
}

/// A body from the board by its SHA-256 ([`Client::body`]), counted.
fn fetch_body(client: &Client, digest: &Hash, counters: &Counters) -> Result<Vec<u8>> {
    let body = client.body(digest)?;
    counters.bodies.fetch_add(1, Ordering::Relaxed);
    counters
        .body_bytes
        .fetch_add(body.len() as u64, Ordering::Relaxed);
    Ok(body)
}

/// A ballot body's id.
fn ballot_id(body: &[u8]) -> Result<String> {
    #[derive(Deserialize)]
    struct Named {
        ballot_id: String,
    }
    Ok(serde_json::from_slice::<Named>(body)
        .context("the ballot's id cannot be read")?
        .ballot_id)
}
