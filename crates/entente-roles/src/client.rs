//! A client of the election service that trusts only the log's key: it mirrors the log as
//! tlog-tiles (every tile and entry checked up to a checkpoint signed by the log), reads the
//! protocol's writes from the mirror (each signature checked against the roles logged before
//! it), and posts its own steps in signed envelopes, checking that each receipt proves the
//! step in a signed checkpoint.
//!
//! Guardians, the administrator and `entente export` are built on it: none of them acts on
//! anything the server says unless the log proves it. Each holds the log to what it saw: the
//! mirror keeps the last checkpoint it accepted and takes a new one only if its tree extends
//! that one (recomputed from the tiles, partial tiles included); a rewritten history is
//! refused, and both checkpoints are kept as evidence under `<mirror>/evidence/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Context, Result, RolesError, bail, ensure, refused};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use entente_board::note::{Checkpoint, NoteSigner, NoteVerifier, SignedNote};
use entente_board::tiles::{self, TILE_WIDTH};
use entente_board::witness::CosignatureVerifier;
use entente_board::{Hash, leaf_hash, verify_inclusion};

use crate::files::{write_atomically, write_derived};
use crate::protocol::{ConsistencyJson, Envelope, LogView, Receipt, join_bodies};

/// The longest pause between two polls of the log while a role waits for the others: a step
/// is seen at most this long after it is logged. A poll of an unchanged log is one small GET
/// (the signed checkpoint) and reads nothing else; a decryption waits for the others about six
/// times in a row, so each pause adds up in the election's timeline.
const MAX_POLL_PAUSE: Duration = Duration::from_millis(200);

/// The file in an exported record's `log/` that names the log's verifier key the exporter
/// trusted (a verifier may pin another with `--log`).
pub const LOG_KEY_FILE: &str = "key";

/// The folder of a mirror (and of an exported record) that holds the log's tiles.
pub const LOG_DIR: &str = "log";

/// An HTTP client of one server, checking what it reads against the log's key.
pub struct Client {
    agent: ureq::Agent,
    server: String,
    log: NoteVerifier,
    log_key: String,
    /// The log's origin, learnt from its first signed checkpoint (every write signs it).
    origin: std::sync::OnceLock<String>,
    /// The receipt checkpoint each writer's state holds ([`Client::hold_deferred`]), and
    /// whether it is newer than its `receipt-checkpoint` file.
    held: std::sync::Mutex<std::collections::HashMap<PathBuf, (String, bool)>>,
    /// When the whole command must be done: no request outlasts it.
    deadline: Option<Instant>,
    /// The longest one request may take ([`REQUEST_TIMEOUT`] unless less was asked).
    request_limit: Duration,
    /// When the wait in progress ([`Client::wait_for`], [`Client::mirror_witnessed`]) gives
    /// up: no request made meanwhile outlasts it either, so that a server that accepts and
    /// never answers cannot hold a step past its timeout.
    waiting_until: std::sync::Mutex<Option<Instant>>,
    /// Each mirror's checkpoint and view as this client last verified them: a poll that finds
    /// the same tree reads nothing again, and a grown tree reads only its new entries.
    mirrors: std::sync::Mutex<Mirrors>,
}

/// The checkpoint and reading each mirror folder, read one way, was last verified at.
type Mirrors = std::collections::HashMap<(PathBuf, Reading), (Checkpoint, Arc<LogView>)>;

/// What a mirror reads of each entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Reading {
    /// Every write with its body.
    Whole,
    /// The ballots by their headers (author, nonce, signature of their digest), the other
    /// writes whole: the election's steps without fetching every ballot.
    Steps,
}

/// A request that failed, said plainly (a certificate not trusted, no answer in time).
fn unanswered(e: ureq::Error, method: &str, url: &str) -> RolesError {
    crate::net::failed(
        e,
        method,
        url,
        &format!(
            "the command's --timeout, or {} s for one request",
            REQUEST_TIMEOUT.as_secs()
        ),
    )
}

/// The longest a single request may take, deadline or not.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// A wait's bound on a client's requests, lifted when dropped.
struct WaitBound<'a> {
    client: &'a Client,
    before: Option<Instant>,
}

impl Drop for WaitBound<'_> {
    fn drop(&mut self) {
        if let Ok(mut w) = self.client.waiting_until.lock() {
            *w = self.before;
        }
    }
}

/// The log as of one checkpoint, checked.
#[derive(Clone)]
pub struct Mirrored {
    /// The checkpoint's size.
    pub size: u64,
    /// The signed note, with the cosignatures it had.
    pub note: String,
    /// The roles and signed writes, shared with the client's cache (a poll copies no ballot).
    pub view: Arc<LogView>,
}

fn hashes(list: &[String]) -> Result<Vec<Hash>> {
    list.iter()
        .map(|h| {
            B64.decode(h)
                .ok()
                .and_then(|b| Hash::try_from(b).ok())
                .with_context(|| format!("{h:?} is not a hash"))
        })
        .collect()
}

impl Client {
    /// A client of `server` (e.g. `http://127.0.0.1:8080`) that checks against `log_key`.
    pub fn new(server: &str, log_key: &str) -> Result<Self> {
        let log_key = crate::board::read_vkey(log_key)?;
        let log = NoteVerifier::parse(&log_key).context("--log is not the log's verifier key")?;
        crate::net::check_url(server)?;
        Ok(Self {
            agent: crate::net::agent(REQUEST_TIMEOUT),
            server: server.trim_end_matches('/').to_owned(),
            log,
            log_key,
            origin: std::sync::OnceLock::new(),
            held: Default::default(),
            mirrors: Default::default(),
            deadline: None,
            request_limit: REQUEST_TIMEOUT,
            waiting_until: Default::default(),
        })
    }

    /// This client with a deadline for the whole command: every request is bounded by the time
    /// left (a server that accepts and never answers cannot hold the command past it), and
    /// none starts after it.
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// This client with no request taking longer than `limit` (a role whose `--timeout` bounds
    /// each step: no single request may outlast a step).
    pub fn with_request_limit(mut self, limit: Duration) -> Self {
        self.request_limit = limit.min(REQUEST_TIMEOUT);
        self
    }

    /// How long a request to `url` may take: [`REQUEST_TIMEOUT`], or less when the deadline is
    /// nearer; an error once it has passed.
    fn time_left(&self, url: &str) -> Result<Duration> {
        let waiting = self.waiting_until.lock().ok().and_then(|w| *w);
        let Some(deadline) = [self.deadline, waiting].into_iter().flatten().min() else {
            return Ok(self.request_limit);
        };
        let left = deadline.saturating_duration_since(Instant::now());
        ensure!(
            !left.is_zero(),
            "the time given (--timeout) ran out before {url} could be asked"
        );
        Ok(left.min(self.request_limit))
    }

    /// Bounds every request of this client by `until` (and by the deadline) while the guard
    /// lives; then the bound in force before is restored.
    fn wait_until(&self, until: Instant) -> WaitBound<'_> {
        let mut w = self
            .waiting_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = *w;
        *w = Some(before.map_or(until, |b| b.min(until)));
        WaitBound {
            client: self,
            before,
        }
    }

    /// The server's URL, without a trailing slash.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The log's origin line, from a checkpoint signed by the log.
    pub fn origin(&self) -> Result<String> {
        if let Some(o) = self.origin.get() {
            return Ok(o.clone());
        }
        let note =
            String::from_utf8(self.get_ok("/checkpoint")?).context("the checkpoint is not text")?;
        let cp = Checkpoint::open(&note, &self.log)
            .context("the server's checkpoint is not signed by the log")?;
        Ok(self.origin.get_or_init(|| cp.origin).clone())
    }

    /// The log's verifier.
    pub fn log(&self) -> &NoteVerifier {
        &self.log
    }

    /// The log's verifier key as given.
    pub fn log_key(&self) -> &str {
        &self.log_key
    }

    /// GET a path: the status and the body.
    pub fn get(&self, path: &str) -> Result<(u16, Vec<u8>)> {
        let url = format!("{}{path}", self.server);
        let mut resp = self
            .agent
            .get(&url)
            .config()
            .timeout_global(Some(self.time_left(&url)?))
            .build()
            .call()
            .map_err(|e| unanswered(e, "GET", &url))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .with_context(|| format!("GET {url}"))?;
        Ok((status, body))
    }

    pub(crate) fn get_ok(&self, path: &str) -> Result<Vec<u8>> {
        let (status, body) = self.get(path)?;
        ensure!(
            status == 200,
            "GET {path}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        Ok(body)
    }

    /// Mirrors the log into `dir` (tlog-tiles; full tiles already held are not fetched again)
    /// and reads it. The new checkpoint is taken only if its tree extends the one `dir` held
    /// (see the module's note), so a rewritten history fails here, with its evidence kept.
    pub fn mirror(&self, dir: &Path) -> Result<Mirrored> {
        let note =
            String::from_utf8(self.get_ok("/checkpoint")?).context("the checkpoint is not text")?;
        self.mirror_note(dir, note, Reading::Whole)
    }

    /// [`Self::mirror`] to the checkpoint `note`, reading its entries as `reading` says.
    fn mirror_note(&self, dir: &Path, note: String, reading: Reading) -> Result<Mirrored> {
        let held_path = dir.join("checkpoint");
        let held_text = match std::fs::read_to_string(&held_path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).context(format!("cannot read {}", held_path.display())),
        };
        let held = match &held_text {
            Some(text) => Some(Checkpoint::open(text, &self.log).with_context(|| {
                format!(
                    "{} is not a checkpoint of this log: this mirror belongs to another log",
                    held_path.display()
                )
            })?),
            None => None,
        };
        let cp = Checkpoint::open(&note, &self.log)
            .context("the server's checkpoint is not signed by the log")?;
        let _ = self.origin.set(cp.origin.clone());
        // What this client verified of this mirror before, if the held file is still that.
        let cached = self
            .mirrors
            .lock()
            .map_err(|_| refused!("a mirror's cache was left half-updated"))?
            .remove(&(dir.to_owned(), reading))
            .filter(|(c, _)| held.as_ref().is_some_and(|h| same_tree(h, c)));
        if let Some((c, view)) = cached {
            if same_tree(&c, &cp) {
                // The same tree, perhaps with other cosignatures: nothing to read again.
                if held_text.as_deref() != Some(note.as_str()) {
                    write_atomically(&held_path, note.as_bytes())?;
                }
                return self.remember((dir, reading), cp, note, view);
            }
            self.fetch_tiles(dir, &cp)?;
            return self.extend_mirror((dir, reading), note, cp, c, view);
        }
        self.fetch_tiles(dir, &cp)?;
        let verified = match &held {
            Some(h) => rewritten(
                dir,
                h,
                &note,
                tiles::verify_extension(dir, note.clone(), &self.log, h),
            )?,
            None => tiles::verify_export_note(dir, note.clone(), &self.log),
        }
        .with_context(|| format!("the log mirrored in {} does not verify", dir.display()))?;
        let mut view = LogView::default();
        self.read_into(dir, &mut view, &cp.origin, verified.entries, reading)?;
        write_atomically(&held_path, note.as_bytes())?;
        self.remember((dir, reading), cp, note, Arc::new(view))
    }

    /// Fetches the tiles and entry bundles of `cp` that `dir` lacks (a partial tile always,
    /// since it grows).
    fn fetch_tiles(&self, dir: &Path, cp: &Checkpoint) -> Result<()> {
        // Lazily: a signed size far beyond what the server holds ends at its first missing
        // tile, without a list of every tile it claims.
        for (level, n, width) in tiles::tiles(cp.size) {
            let full = width == TILE_WIDTH;
            let path = tiles::tile_path(level, n, width);
            if !(full && dir.join(&path).exists()) {
                write_atomically(&dir.join(&path), &self.get_ok(&format!("/{path}"))?)?;
            }
            if level != 0 {
                continue;
            }
            let (small, large) = (
                tiles::bundle_path(n, width),
                tiles::large_bundle_path(n, width),
            );
            if full && (dir.join(&small).exists() || dir.join(&large).exists()) {
                continue;
            }
            match self.get(&format!("/{small}"))? {
                (200, bytes) => write_atomically(&dir.join(&small), &bytes)?,
                _ => write_atomically(&dir.join(&large), &self.get_ok(&format!("/{large}"))?)?,
            }
        }
        Ok(())
    }

    /// Reads the logged writes `entries`, those that follow `view`'s, into `view` as `reading`
    /// says, each body from the mirror in `dir` where it holds it, else from the server (and
    /// kept in the mirror once its SHA-256 is the one its entry names).
    fn read_into(
        &self,
        dir: &Path,
        view: &mut LogView,
        origin: &str,
        entries: Vec<Vec<u8>>,
        reading: Reading,
    ) -> Result<()> {
        let body = |digest: &Hash| {
            if let Some(held) = held_body(dir, digest)? {
                return Ok(held);
            }
            let body = self.body(digest)?;
            write_derived(&dir.join(tiles::body_path(digest)), &body)
                .map_err(|e| refused!("{e:#}"))?;
            Ok(body)
        };
        match reading {
            Reading::Whole => view.extend(origin, &join_bodies(view.len(), entries, body)?),
            Reading::Steps => view.extend_with_ballot_headers(origin, entries, body),
        }
        .context("the log is not an election's log")
    }

    /// A write's body from the server by its SHA-256, refused unless it hashes to it.
    pub(crate) fn body(&self, digest: &Hash) -> Result<Vec<u8>> {
        let path = tiles::body_path(digest);
        let body = self
            .get_ok(&format!("/{path}"))
            .map_err(|e| refused!("{e:#}"))?;
        if &entente_board::store::body_digest(&body) != digest {
            return Err(refused!(
                "the server's /{path} is not the body of that SHA-256"
            ));
        }
        Ok(body)
    }

    /// A mirror grown from `held` (whose entries `view` has read) to `cp`: the tree must
    /// extend `held`, and only the new entries are read.
    fn extend_mirror(
        &self,
        (dir, reading): (&Path, Reading),
        note: String,
        cp: Checkpoint,
        held: Checkpoint,
        view: Arc<LogView>,
    ) -> Result<Mirrored> {
        let verified = rewritten(
            dir,
            &held,
            &note,
            tiles::verify_extension_after(dir, note.clone(), &self.log, &held),
        )?
        .with_context(|| format!("the log mirrored in {} does not verify", dir.display()))?;
        ensure!(
            verified.first == view.len(),
            "the mirror in {} read entries out of order",
            dir.display()
        );
        let mut view = Arc::unwrap_or_clone(view); // a copy only if a reading is still held
        self.read_into(dir, &mut view, &cp.origin, verified.entries, reading)?;
        write_atomically(&dir.join("checkpoint"), note.as_bytes())?;
        self.remember((dir, reading), cp, note, Arc::new(view))
    }

    /// Keeps `view` as the mirror's verified state, and returns it.
    fn remember(
        &self,
        (dir, reading): (&Path, Reading),
        cp: Checkpoint,
        note: String,
        view: Arc<LogView>,
    ) -> Result<Mirrored> {
        let m = Mirrored {
            size: cp.size,
            note,
            view: Arc::clone(&view),
        };
        self.mirrors
            .lock()
            .map_err(|_| refused!("a mirror's cache was left half-updated"))?
            .insert((dir.to_owned(), reading), (cp, view));
        Ok(m)
    }

    /// Mirrors the log until `done` says what it waited for is there (or fails), polling;
    /// gives up after `timeout` naming `what`.
    pub fn wait_for<T>(
        &self,
        dir: &Path,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&Mirrored) -> Result<Option<T>>,
    ) -> Result<T> {
        let start = Instant::now();
        let _bound = self.wait_until(start + timeout);
        let mut pause = Duration::from_millis(100);
        loop {
            let m = self
                .mirror(dir)
                .with_context(|| format!("while waiting for {what}"))?;
            if let Some(t) = done(&m).with_context(|| format!("while waiting for {what}"))? {
                return Ok(t);
            }
            if start.elapsed() > timeout {
                bail!("gave up after {} s waiting for {what}", timeout.as_secs());
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(MAX_POLL_PAUSE);
        }
    }

    /// Mirrors the log as of its latest checkpoint that every witness of the election's
    /// definition cosigned (the server's `/checkpoint/published`, each cosignature checked
    /// here), into `<dir>-witnessed` (it may be older than `dir`'s), polling until one holds
    /// `done`: what a client acts on (the tally, the decryption, a device's close) is then
    /// what every party's witness has seen, not a view the server could show this client
    /// alone. Gives up after `timeout`, naming `what`.
    pub fn mirror_witnessed(
        &self,
        dir: &Path,
        what: &str,
        timeout: Duration,
        done: impl Fn(&Mirrored) -> bool,
    ) -> Result<Mirrored> {
        self.witnessed(dir, what, timeout, Reading::Whole, done)
    }

    /// [`Client::mirror_witnessed`], reading the ballots by their headers alone (their
    /// bodies are not fetched; `view`'s ballots have empty bodies): for a writer that waits for
    /// a step of its own to be witnessed (a device's close) and reads no ballot.
    pub fn steps_witnessed(
        &self,
        dir: &Path,
        what: &str,
        timeout: Duration,
        done: impl Fn(&Mirrored) -> bool,
    ) -> Result<Mirrored> {
        self.witnessed(dir, what, timeout, Reading::Steps, done)
    }

    fn witnessed(
        &self,
        dir: &Path,
        what: &str,
        timeout: Duration,
        reading: Reading,
        done: impl Fn(&Mirrored) -> bool,
    ) -> Result<Mirrored> {
        let mut name = dir.as_os_str().to_owned();
        name.push("-witnessed");
        let witnessed = PathBuf::from(name);
        let start = Instant::now();
        let _bound = self.wait_until(start + timeout);
        let mut pause = Duration::from_millis(100);
        loop {
            let (status, body) = self
                .get("/checkpoint/published")
                .with_context(|| format!("while waiting for {what}"))?;
            // 404: no checkpoint has every cosignature yet.
            if status == 200 {
                let note = String::from_utf8(body).context("the checkpoint is not text")?;
                let m = self.mirror_note(&witnessed, note, reading)?;
                let cosigned = crate::client::cosigners(&m.note, &m.view.roles.witnesses)?;
                if cosigned.len() == m.view.roles.witnesses.len() && done(&m) {
                    return Ok(m);
                }
            } else if status != 404 {
                bail!(
                    "GET /checkpoint/published: {status} {}",
                    String::from_utf8_lossy(&body)
                );
            }
            if start.elapsed() > timeout {
                bail!(
                    "gave up after {} s waiting for {what} in a checkpoint cosigned by every \
                     witness",
                    timeout.as_secs()
                );
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(MAX_POLL_PAUSE);
        }
    }

    /// Posts a protocol step signed by `signer` with the next nonce of `state`, and checks the
    /// receipt: the checkpoint is the log's and proves the envelope at the receipt's index.
    pub fn post_step(
        &self,
        signer: &NoteSigner,
        state: &Path,
        kind: &str,
        body: &[u8],
    ) -> Result<Receipt> {
        let env = Envelope::sign(
            signer,
            &self.origin()?,
            kind,
            crate::nonce::next_nonce(state)?,
            body,
        );
        let bytes = serde_json::to_vec(&env)?;
        let url = format!("{}/entries", self.server);
        let (status, text) =
            crate::net::post_write(&self.agent, &url, &env, &bytes, self.time_left(&url)?)
                .map_err(|e| unanswered(e, "POST", &url))?;
        ensure!(
            status == 200,
            "{kind}: the server answered {status}: {}",
            serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_owned))
                .unwrap_or(text)
        );
        let receipt: Receipt = serde_json::from_str(&text)
            .with_context(|| format!("{kind}: the server's receipt is not readable"))?;
        check_receipt(&receipt, &env.logged()?.to_bytes(), &self.log)
            .with_context(|| kind.to_owned())?;
        Ok(receipt)
    }
}

impl Client {
    /// Holds a writer's receipts to one history: the checkpoint of each receipt must be
    /// consistent (RFC 9162 §2.1.4, a proof from the server checked here) with the largest one
    /// this writer held before (`state/receipt-checkpoint`), which it then replaces if larger.
    /// A server that answers two writers, or one writer twice, from two histories is caught
    /// by the writer itself; both checkpoints are kept under `state/evidence/`.
    pub fn hold_consistent(&self, state: &Path, note: &str) -> Result<()> {
        self.hold_deferred(state, note)?;
        self.save_held(state)
    }

    /// [`Client::hold_consistent`], keeping the larger checkpoint in memory only, until
    /// [`Client::save_held`]: a writer with many receipts in a row (a device) saves it now and
    /// then, with what it records of its acknowledged writes.
    pub fn hold_deferred(&self, state: &Path, note: &str) -> Result<()> {
        let path = state.join("receipt-checkpoint");
        let new = Checkpoint::open(note, &self.log)
            .context("the receipt's checkpoint is not signed by the log")?;
        let remembered = self
            .held
            .lock()
            .map_err(|_| refused!("a writer's held checkpoint was left half-updated"))?
            .get(state)
            .map(|(text, _)| text.clone());
        let text = match remembered {
            Some(text) => Some(text),
            None => match std::fs::read_to_string(&path) {
                Ok(text) => Some(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e).context(format!("cannot read {}", path.display())),
            },
        };
        let held = match text {
            Some(text) => Some((
                Checkpoint::open(&text, &self.log)
                    .with_context(|| format!("{} is not this log's", path.display()))?,
                text,
            )),
            None => None,
        };
        if let Some((h, held_note)) = &held {
            let (small, big) = if h.size <= new.size {
                (h, &new)
            } else {
                (&new, h)
            };
            let consistent = if small.size == big.size {
                small.root == big.root
            } else if small.size == 0 {
                true
            } else {
                let (status, body) = self.get(&format!(
                    "/proof/consistency?from={}&to={}",
                    small.size, big.size
                ))?;
                ensure!(
                    status == 200,
                    "GET /proof/consistency: {status} {}",
                    String::from_utf8_lossy(&body)
                );
                let proof: ConsistencyJson = serde_json::from_slice(&body)?;
                let list = proof.hashes;
                entente_board::verify_consistency(
                    small.size,
                    big.size,
                    &small.root,
                    &big.root,
                    &hashes(&list)?,
                )
                .is_ok()
            };
            if !consistent {
                let evidence = state.join("evidence");
                write_atomically(
                    &evidence.join(format!("held-{}.checkpoint", h.size)),
                    held_note.as_bytes(),
                )?;
                write_atomically(
                    &evidence.join(format!("receipt-{}.checkpoint", new.size)),
                    note.as_bytes(),
                )?;
                bail!(
                    "the server's receipt of size {} is not consistent with the checkpoint of \
                     size {} it gave before: two histories of one log. This writer stops; both \
                     are kept in {} as evidence",
                    new.size,
                    h.size,
                    evidence.display()
                );
            }
            if new.size <= h.size {
                return Ok(());
            }
        }
        self.held
            .lock()
            .map_err(|_| refused!("a writer's held checkpoint was left half-updated"))?
            .insert(state.to_owned(), (note.to_owned(), true));
        Ok(())
    }

    /// Writes the checkpoint [`Client::hold_deferred`] holds for `state` to its
    /// `receipt-checkpoint` file, if it is newer.
    pub fn save_held(&self, state: &Path) -> Result<()> {
        let mut held = self
            .held
            .lock()
            .map_err(|_| refused!("a writer's held checkpoint was left half-updated"))?;
        if let Some((note, dirty)) = held.get_mut(state)
            && *dirty
        {
            write_atomically(&state.join("receipt-checkpoint"), note.as_bytes())?;
            *dirty = false;
        }
        Ok(())
    }
}

/// A mirror's check of growth from `held` to `note`, with a rewritten history turned into the
/// client's refusal: both checkpoints kept under `dir/evidence/`. Other outcomes pass through.
fn rewritten(
    dir: &Path,
    held: &Checkpoint,
    note: &str,
    checked: Result<tiles::VerifiedExport, entente_board::BoardError>,
) -> Result<Result<tiles::VerifiedExport, entente_board::BoardError>> {
    match checked {
        Err(e @ entente_board::BoardError::Inconsistent { size, .. }) => {
            let kept = keep_evidence(dir, held.size, size, note)?;
            bail!(
                "{e}: the server rewrote the log it showed before. This client stops; both \
                 checkpoints are kept in {} as evidence",
                kept.display()
            )
        }
        other => Ok(other),
    }
}

/// Whether two checkpoints name one tree.
fn same_tree(a: &Checkpoint, b: &Checkpoint) -> bool {
    a.origin == b.origin && a.size == b.size && a.root == b.root
}

/// Keeps the checkpoint held (already in `dir`) and the one offered that does not extend it,
/// under `dir/evidence/`; returns that folder.
fn keep_evidence(dir: &Path, held: u64, offered: u64, note: &str) -> Result<PathBuf> {
    let evidence = dir.join("evidence");
    let held_note = std::fs::read(dir.join("checkpoint"))?;
    write_atomically(
        &evidence.join(format!("held-{held}.checkpoint")),
        &held_note,
    )?;
    write_atomically(
        &evidence.join(format!("offered-{offered}.checkpoint")),
        note.as_bytes(),
    )?;
    Ok(evidence)
}

/// The body of SHA-256 `digest` that the mirror or export in `dir` holds, if it holds it
/// whole (a file that is not that body, cut short say, is as good as missing).
fn held_body(dir: &Path, digest: &Hash) -> Result<Option<Vec<u8>>, RolesError> {
    let path = dir.join(tiles::body_path(digest));
    match std::fs::read(&path) {
        Ok(body) if &entente_board::store::body_digest(&body) == digest => Ok(Some(body)),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(refused!("cannot read {}: {e}", path.display())),
    }
}

/// Joins the logged writes `entries` of the export in `dir` (the first at index `first`) with
/// the bodies published beside its tiles; an error names an entry whose body is missing there
/// or is not the one the entry names.
pub fn exported_bodies(
    dir: &Path,
    first: u64,
    entries: Vec<Vec<u8>>,
) -> Result<Vec<Vec<u8>>, RolesError> {
    join_bodies(first, entries, |digest| {
        held_body(dir, digest)?.ok_or_else(|| {
            refused!(
                "{} is missing, or is not the body of that SHA-256",
                tiles::body_path(digest)
            )
        })
    })
}

/// Checks a receipt: the checkpoint is the log's, and proves `entry` at its index; returns the
/// checkpoint's size. `entry` is the write as the log keeps it, by its body's SHA-256
/// (`Envelope::logged`), not the envelope as sent.
pub fn check_receipt(r: &Receipt, entry: &[u8], log: &NoteVerifier) -> Result<u64> {
    let cp = Checkpoint::open(&r.checkpoint, log)
        .context("the receipt's checkpoint is not signed by the log")?;
    ensure!(
        r.inclusion.index == r.index && r.inclusion.size == cp.size,
        "the receipt's proof is not for its own index and checkpoint"
    );
    verify_inclusion(
        r.index,
        cp.size,
        &leaf_hash(entry),
        &hashes(&r.inclusion.hashes)?,
        &cp.root,
    )
    .context(
        "the receipt's inclusion proof does not verify: the server did not log the write as sent",
    )?;
    Ok(cp.size)
}

/// The witnesses (of `witnesses`, cosignature verifier keys) whose valid cosignature `note`
/// carries.
pub fn cosigners(note: &str, witnesses: &[String]) -> Result<Vec<String>> {
    SignedNote::parse(note).context("the checkpoint is not a signed note")?;
    let mut out = Vec::new();
    for w in witnesses {
        let v = CosignatureVerifier::parse(w).context("a witness key of the roles file")?;
        if v.verify(note).is_ok() {
            out.push(v.name().to_owned());
        }
    }
    Ok(out)
}
