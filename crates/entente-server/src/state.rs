//! The server's state: the board, its readers, the roles and the election's protocol as the log so far implies it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use entente_board::{
    AnyStorage, Board, BoardDb, Entry, Hash, NodeRead, Sequencer, Storage, StoredEntry,
};
use entente_record::ballot::EncryptedBallot;
use entente_record::ballot::chain::BallotChainJson;
use entente_record::ballot::json::{EncryptedBallotJson, read_batch};
use entente_record::tally::EncryptedTallyJson;
use entente_record::with_group;
use rand::TryRngCore;

use crate::workflow::Workflow;
use entente_roles::RolesError;
use entente_roles::protocol::ROLES_KIND;
use entente_roles::protocol::kind;
use entente_roles::protocol::{Envelope, LoggedEnvelope, Role, Roles, RolesFile};

use crate::election::Election;
use crate::proofs::proof_error;
use crate::respond::{ApiError, ApiResult};
use crate::result::check_result;

/// The service's state.
pub struct AppState {
    pub(crate) sequencer: Sequencer,
    pub(crate) db: BoardDb,
    pub(crate) readers: Mutex<Vec<Board<AnyStorage>>>,
    /// The log's origin line: every write's signature covers it.
    pub(crate) origin: String,
    pub(crate) roles: Roles,
    /// The roles file in force (the election's definition once it is on the log).
    pub(crate) roles_file: RolesFile,
    /// Where the election is in its protocol. Ballots hold it for reading while they are
    /// appended, the protocol's steps for writing: no ballot lands after the ballot box closes.
    pub(crate) workflow: RwLock<Workflow>,
    /// The log's size up to which `workflow` holds every step: those this server logged and
    /// those other servers on the same database did (written only with `workflow` held for
    /// writing; a ballot checked under a read lock was checked against the steps below it).
    pub(crate) followed: AtomicU64,
    /// The nonces each author used recently.
    nonces: Mutex<HashMap<String, NonceWindow>>,
    /// Ballot ids and confirmation codes being appended (so that two submissions of one ballot
    /// at once cannot both pass the uniqueness check).
    pub(crate) pending: Mutex<HashSet<String>>,
    /// The verification report served at GET /report (an `entente verify --html` file, read on
    /// each request so that whoever refreshes it need not restart the server).
    pub(crate) report: std::sync::OnceLock<PathBuf>,
    /// What each connection and request may take (the defaults unless set).
    limits: std::sync::OnceLock<crate::Limits>,
    /// Ballots checked at once (see [`crate::Limits::check_threads`]).
    checks: std::sync::OnceLock<Arc<tokio::sync::Semaphore>>,
}

impl AppState {
    /// The state over the board in `db` (opened by `sequencer`'s board), with the roles and,
    /// for an election set up outside the log, that election. The roles file is put on the
    /// log when it is new or changed (so that anyone can check the writes against it), and the
    /// protocol's state is rebuilt from the log's entries.
    pub fn new(
        db: &BoardDb,
        sequencer: Sequencer,
        roles_file: &RolesFile,
        election: Option<Election>,
    ) -> Result<Arc<Self>, String> {
        let roles = Roles::new(roles_file).map_err(|e| e.to_string())?;
        let reader = open_reader(db)?;
        let origin = reader.config().origin.clone();
        let stored = |index: u64| -> Result<StoredEntry, String> {
            reader
                .entry(index)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| "an indexed entry is missing".to_owned())
        };
        let write = |index: u64| stored(index).and_then(|e| logged_write(&e));
        // Each author's window of recent nonces, from its last writes in the log.
        let mut nonces = HashMap::new();
        for author in roles.authors() {
            let found = reader.find("author", author).map_err(|e| e.to_string())?;
            let mut window = NonceWindow::default();
            let recent = found.len().saturating_sub(NonceWindow::WIDTH as usize);
            for &index in &found[recent..] {
                // An entry indexed under an author that is not an envelope is not one of its
                // writes (storage changed behind the server's back): it holds no nonce to keep.
                match write(index) {
                    Ok(env) => window.take(env.nonce),
                    Err(e) => tracing::warn!(index, author, "not a signed write: {e}"),
                }
            }
            if !found.is_empty() {
                nonces.insert(author.to_owned(), window);
            }
        }
        // The protocol's steps, replayed in log order, up to the size read first: a step
        // another server appends meanwhile is caught up with later (`catch_up`).
        let followed = reader.storage().size().map_err(|e| e.to_string())?;
        let mut steps = Vec::new();
        for k in kind::STEPS {
            steps.extend(reader.find("step", k).map_err(|e| e.to_string())?);
        }
        steps.retain(|&i| i < followed);
        steps.sort_unstable();
        let mut workflow = match election {
            Some(e) => Workflow::with_election(e, roles_file),
            None => Workflow::new(),
        };
        replay(&reader, &origin, &mut workflow, roles_file, &steps)?;
        if let Some((definition, _)) = workflow.definition()
            && let Some(field) = definition.differs_from(roles_file)
        {
            return Err(format!(
                "the roles file changes the {field} that the election's definition on this log \
                 fixed: refusing to start (the election decides who writes and cosigns, not the \
                 board's operator)"
            ));
        }
        let mut logged_roles = roles_file.clone();
        if let Some((definition, _)) = workflow.definition() {
            // The operator may name parties for readers; who writes is the definition's.
            logged_roles = RolesFile {
                parties: roles_file.parties.clone(),
                ..definition.clone()
            };
        }
        let roles = Roles::new(&logged_roles).map_err(|e| e.to_string())?;
        let st = Arc::new(Self {
            sequencer,
            db: db.clone(),
            readers: Mutex::new(vec![reader]),
            origin,
            roles,
            roles_file: logged_roles.clone(),
            workflow: RwLock::new(workflow),
            followed: AtomicU64::new(followed),
            nonces: Mutex::new(nonces),
            pending: Mutex::new(HashSet::new()),
            report: std::sync::OnceLock::new(),
            limits: std::sync::OnceLock::new(),
            checks: std::sync::OnceLock::new(),
        });
        st.log_roles(&logged_roles)?;
        Ok(st)
    }

    /// Appends the roles file unless the log's latest roles entry is the same.
    pub(crate) fn log_roles(&self, roles_file: &RolesFile) -> Result<(), String> {
        let bytes = serde_json::to_vec(roles_file).map_err(|e| e.to_string())?;
        // Servers of one board started at once with one roles file log it once: each appends
        // only if no other server logged a step (the roles among them) since it looked.
        for _ in 0..=3 {
            let (size, same) = self
                .read(|b| {
                    let size = b.storage().size().map_err(ApiError::internal)?;
                    let found = b.find("step", ROLES_KIND).map_err(ApiError::internal)?;
                    let same = match found.last() {
                        Some(&i) => b
                            .entry(i)
                            .map_err(ApiError::internal)?
                            .is_some_and(|e| e.entry.data == bytes),
                        None => false,
                    };
                    Ok((size, same))
                })
                .map_err(|e| e.1)?;
            if same {
                return Ok(());
            }
            let entry = Entry::new(ROLES_KIND, bytes.clone()).with_key("step", ROLES_KIND);
            let since = entente_board::sequencer::Conditions {
                watched_since: Some(size),
                ..Default::default()
            };
            match self.sequencer.append_if(vec![entry], since) {
                Ok(_) => {
                    self.sequencer.checkpoint().map_err(|e| e.to_string())?;
                    return Ok(());
                }
                Err(entente_board::BoardError::Overtaken { .. }) => continue,
                Err(e) => return Err(e.to_string()),
            }
        }
        Err("other servers of this board kept logging steps while this one started".into())
    }

    /// Serves the report in `file` at GET /report (set once, at start).
    pub fn serve_report(&self, file: PathBuf) {
        let _ = self.report.set(file);
    }

    /// Sets what each connection and request may take; once, before the router is built (an
    /// error if they were set already).
    pub fn set_limits(&self, limits: crate::Limits) -> Result<(), String> {
        self.limits
            .set(limits)
            .map_err(|_| "the server's limits were set already".to_owned())
    }

    /// What each connection and request may take.
    pub fn limits(&self) -> crate::Limits {
        self.limits.get().copied().unwrap_or_default()
    }

    /// The permits of the ballots checked at once.
    pub(crate) fn check_permits(&self) -> Arc<tokio::sync::Semaphore> {
        self.checks
            .get_or_init(|| {
                let threads = match self.limits().check_threads {
                    0 => std::thread::available_parallelism().map_or(1, usize::from),
                    n => n,
                };
                Arc::new(tokio::sync::Semaphore::new(threads))
            })
            .clone()
    }

    /// Whether `nonce` would be taken as `author`'s next write (see [`Self::take_nonce`]),
    /// without taking it: a replay is refused before its body is read.
    pub(crate) fn check_nonce(&self, author: &str, nonce: u64, step: bool) -> ApiResult<()> {
        let nonces = self.nonces.lock().map_err(ApiError::internal)?;
        nonces
            .get(author)
            .copied()
            .unwrap_or_default()
            .admit(author, nonce, step)
    }

    /// The report file served at GET /report, if any.
    pub(crate) fn report_file(&self) -> Option<&Path> {
        self.report.get().map(PathBuf::as_path)
    }

    /// The latest checkpoint the log signed (with its cosignatures so far).
    pub fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, String> {
        self.read(|b| b.latest_checkpoint().map_err(ApiError::internal))
            .map_err(|e| e.1)
    }

    /// The consistency proof between two sizes.
    pub fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>, String> {
        self.read(|b| b.consistency_proof(from, to).map_err(proof_error))
            .map_err(|e| e.1)
    }

    /// Adds witnesses' cosignatures to the board's checkpoint (through the sequencer, which
    /// owns the writes).
    pub fn add_cosignatures(&self, note: String) -> Result<Vec<String>, String> {
        self.sequencer
            .add_cosignatures(note)
            .map_err(|e| e.to_string())
    }

    /// Runs `f` on a read-only view of the board (blocking: call from a blocking task).
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Board<AnyStorage>) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let pooled = self.readers.lock().map_err(ApiError::internal)?.pop();
        let reader = match pooled {
            Some(r) => r,
            None => open_reader(&self.db).map_err(ApiError::internal)?,
        };
        let out = f(&reader);
        if let Ok(mut pool) = self.readers.lock() {
            pool.push(reader);
        }
        out
    }

    /// Every ballot on the log (read for the checks that involve all of them; the server
    /// checked each before logging it, so only membership is tested again, in one batch).
    pub(crate) fn logged_ballots(
        &self,
        election: &Election,
    ) -> ApiResult<Vec<EncryptedBallotJson>> {
        let mut jsons = Vec::new();
        self.read(|b| {
            let size = b.storage().size().map_err(ApiError::internal)?;
            for index in 0..size {
                let e = b
                    .entry(index)
                    .map_err(ApiError::internal)?
                    .ok_or_else(|| ApiError::internal("an entry below the size is missing"))?;
                if e.entry.kind != kind::BALLOT {
                    continue;
                }
                let env = logged_write(&e).map_err(ApiError::internal)?;
                let body = B64.decode(&env.body).map_err(ApiError::internal)?;
                jsons.push(election.parse_ballot(&body).map_err(ApiError::internal)?);
            }
            Ok(())
        })?;
        Ok(jsons)
    }

    /// A device's closing chain lists exactly the ballots it has on the log, its last code
    /// that of its last ballot.
    pub(crate) fn check_device_chain(&self, device: &str, body: &[u8]) -> ApiResult<()> {
        let invalid = |what: String| ApiError(StatusCode::UNPROCESSABLE_ENTITY, what);
        let chain: BallotChainJson =
            serde_json::from_slice(body).map_err(|e| invalid(e.to_string()))?;
        // The device's ballots by the board's index of authors, with the id and code each was
        // indexed under when the server checked and logged it: no ballot is read again.
        let logged: BTreeMap<String, String> = self.read(|b| {
            let mut out = BTreeMap::new();
            for i in b.find("author", device).map_err(ApiError::internal)? {
                let e = b
                    .entry(i)
                    .map_err(ApiError::internal)?
                    .ok_or_else(|| ApiError::internal("an indexed entry is missing"))?;
                if e.entry.kind != kind::BALLOT {
                    continue;
                }
                let key = |name: &str| {
                    e.entry
                        .keys
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                };
                if let (Some(id), Some(code)) = (key("ballot_id"), key("confirmation_code")) {
                    out.insert(id, code);
                }
            }
            Ok(out)
        })?;
        let listed: BTreeSet<&str> = chain.ballot_ids.iter().map(String::as_str).collect();
        if listed.len() != chain.ballot_ids.len() {
            return Err(invalid("the chain lists a ballot twice".into()));
        }
        if let Some(id) = listed.iter().find(|id| !logged.contains_key(**id)) {
            return Err(invalid(format!(
                "the chain lists ballot {id}, which device {device:?} has not submitted"
            )));
        }
        if let Some(id) = logged.keys().find(|id| !listed.contains(id.as_str())) {
            return Err(invalid(format!(
                "the chain leaves out ballot {id}, which device {device:?} submitted"
            )));
        }
        let last = chain.ballot_ids.last().and_then(|id| logged.get(id));
        if last.is_some_and(|code| !code.eq_ignore_ascii_case(&chain.last_confirmation_code)) {
            return Err(invalid(
                "last_confirmation_code is not the code of the chain's last ballot".into(),
            ));
        }
        Ok(())
    }

    /// The encrypted tally is the product of exactly the cast ballots on the log (eq. (62)).
    pub(crate) fn check_tally(&self, workflow: &Workflow, body: &[u8]) -> ApiResult<()> {
        let election = workflow
            .election()
            .ok_or_else(|| ApiError::internal("a tally without an election"))?;
        with_group!(election.kind.group, |G| self
            .check_tally_in::<G>(&election, body))
    }

    fn check_tally_in<G: crate::election::ServerGroup>(
        &self,
        election: &Election,
        body: &[u8],
    ) -> ApiResult<()> {
        let invalid = |what: String| ApiError(StatusCode::UNPROCESSABLE_ENTITY, what);
        let json: EncryptedTallyJson = election
            .parse("encrypted_tally.json", body)
            .map_err(|e| invalid(e.to_string()))?;
        let tally = json.read::<G>().map_err(|e| invalid(e.to_string()))?;
        // Their ciphertexts only: this server checked each ballot before it logged it, and a
        // product equal to the (checked) tally needs no membership of its factors.
        let ballots = self
            .logged_ballots(election)?
            .iter()
            .map(|j| j.read_unchecked::<G>().map(|b| b.ciphertexts()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(ApiError::internal)?;
        entente_core::tally::check_is_product(&tally, &ballots)
            .map_err(|e| invalid(format!("encrypted_tally.json: {e} (eq. (62))")))
    }

    /// A `result` against the log: see [`check_result`].
    pub(crate) fn check_logged_result(&self, workflow: &Workflow, body: &[u8]) -> ApiResult<()> {
        let election = workflow
            .election()
            .ok_or_else(|| ApiError::internal("a result without an election"))?;
        with_group!(election.kind.group, |G| self
            .check_logged_result_in::<G>(&election, body))
    }

    fn check_logged_result_in<G: crate::election::ServerGroup>(
        &self,
        election: &Election,
        body: &[u8],
    ) -> ApiResult<()> {
        let invalid = |what: String| ApiError(StatusCode::UNPROCESSABLE_ENTITY, what);
        let tally_body = self.read(|b| {
            let &at = b
                .find("step", kind::ENCRYPTED_TALLY)
                .map_err(ApiError::internal)?
                .last()
                .ok_or_else(|| ApiError::internal("a result without a logged tally"))?;
            let e = b
                .entry(at)
                .map_err(ApiError::internal)?
                .ok_or_else(|| ApiError::internal("an indexed entry is missing"))?;
            let env = logged_write(&e).map_err(ApiError::internal)?;
            B64.decode(&env.body).map_err(ApiError::internal)
        })?;
        let tally = election
            .parse::<EncryptedTallyJson>("encrypted_tally.json", &tally_body)
            .map_err(ApiError::internal)?
            .read::<G>()
            .map_err(ApiError::internal)?;
        let jsons = self.logged_ballots(election)?;
        let refs: Vec<&EncryptedBallotJson> = jsons.iter().filter(|j| j.state != "CAST").collect();
        let challenged: Vec<EncryptedBallot<G>> =
            read_batch::<G, _>(&refs, &mut rand::rngs::OsRng.unwrap_err())
                .into_iter()
                .collect::<Result<_, _>>()
                .map_err(ApiError::internal)?;
        check_result(election, &tally, &challenged, body).map_err(invalid)
    }

    /// Brings the protocol's state up to the log as committed: replays the steps that other
    /// servers on the same database logged since this one last looked (on a board one server
    /// writes there are none, and this is two reads). Returns the writes replayed.
    pub(crate) fn catch_up(&self) -> ApiResult<Vec<Envelope>> {
        let (size, steps) = self.steps_since(self.followed.load(Ordering::Acquire))?;
        if steps.is_empty() {
            self.followed.fetch_max(size, Ordering::AcqRel);
            return Ok(Vec::new());
        }
        let mut workflow = self.workflow.write().map_err(ApiError::internal)?;
        self.catch_up_held(&mut workflow)
    }

    /// The log's size as committed, and the indices of its steps from `from` on.
    fn steps_since(&self, from: u64) -> ApiResult<(u64, Vec<u64>)> {
        self.read(|b| {
            b.storage()
                .keyed_since("step", from)
                .map_err(ApiError::internal)
        })
    }

    /// [`Self::catch_up`] with the protocol's state held for writing.
    pub(crate) fn catch_up_held(&self, workflow: &mut Workflow) -> ApiResult<Vec<Envelope>> {
        let (size, steps) = self.steps_since(self.followed.load(Ordering::Acquire))?;
        let replayed = self.read(|b| {
            replay(b, &self.origin, workflow, &self.roles_file, &steps).map_err(|e| {
                // Only a server that skipped the protocol's checks (or a hand in the database)
                // logs such a step: the board is then no longer an election's, and it says so
                // to every party rather than build on it.
                ApiError::internal(format!(
                    "the log's {e}: a server of this board logged a write the protocol refuses, \
                     so this server takes no more writes; every verifier of the record names \
                     that entry (entente verify)"
                ))
            })
        })?;
        if let Some((definition, _)) = workflow.definition()
            && let Some(field) = definition.differs_from(&self.roles_file)
        {
            return Err(ApiError::internal(format!(
                "another server logged the election's definition, whose {field} differs from \
                 this server's roles file: restart this server with the definition"
            )));
        }
        {
            let mut nonces = self.nonces.lock().map_err(ApiError::internal)?;
            for env in &replayed {
                nonces
                    .entry(env.author.clone())
                    .or_default()
                    .take(env.nonce);
            }
        }
        if !replayed.is_empty() {
            tracing::info!(
                steps = replayed.len(),
                "caught up with steps another server logged"
            );
        }
        self.followed.fetch_max(size, Ordering::AcqRel);
        Ok(replayed)
    }

    /// Takes `nonce` as one of `author`'s writes, or refuses a replay. A protocol step
    /// (`step`) must be above every nonce its author used: steps are written one after
    /// another, and a step refused once can then never be logged later.
    pub(crate) fn take_nonce(&self, author: &str, nonce: u64, step: bool) -> ApiResult<()> {
        let mut nonces = self.nonces.lock().map_err(ApiError::internal)?;
        let window = nonces.entry(author.to_owned()).or_default();
        window.admit(author, nonce, step)?;
        window.take(nonce);
        Ok(())
    }
}

/// The nonces an author has used lately, as an anti-replay window (RFC 4303 §3.4.3): the
/// highest, and a bit for each of the [`Self::WIDTH`] nonces up to it. A nonce above the
/// highest, or within the window and unused, is fresh; so a writer may have several writes in
/// flight that arrive out of order, and none can be accepted twice.
#[derive(Debug, Clone, Copy, Default)]
struct NonceWindow {
    top: u64,
    /// Bit i: nonce `top - i` was used.
    seen: u64,
}

impl NonceWindow {
    const WIDTH: u64 = 64;

    pub(crate) fn fresh(&self, nonce: u64) -> bool {
        if nonce > self.top {
            return true;
        }
        let age = self.top - nonce;
        age < Self::WIDTH && self.seen & (1 << age) == 0
    }

    /// Refuses a replay: a nonce that is not fresh, or a step's nonce not above every nonce
    /// its author used.
    fn admit(&self, author: &str, nonce: u64, step: bool) -> ApiResult<()> {
        if !self.fresh(nonce) || step && self.used() && nonce <= self.top {
            return Err(RolesError::Replay {
                author: author.to_owned(),
                nonce,
                last: self.top,
            }
            .into());
        }
        Ok(())
    }

    /// Whether any nonce was taken.
    pub(crate) fn used(&self) -> bool {
        self.seen != 0 || self.top != 0
    }

    fn take(&mut self, nonce: u64) {
        if nonce > self.top {
            let shift = nonce - self.top;
            self.seen = if shift >= Self::WIDTH {
                0
            } else {
                self.seen << shift
            };
            self.seen |= 1;
            self.top = nonce;
        } else if self.top - nonce < Self::WIDTH {
            self.seen |= 1 << (self.top - nonce);
        }
    }
}

/// Replays the protocol's steps at `steps` (indices in log order) into `workflow`, each under
/// the roles that were in force when it was written: `roles_file` (the operator's) or the
/// latest roles entry before it until the election's definition, the definition after it.
/// Roles entries among `steps` are skipped (they are the roles, not a step). Returns the
/// writes replayed.
fn replay(
    reader: &Board<AnyStorage>,
    origin: &str,
    workflow: &mut Workflow,
    roles_file: &RolesFile,
    steps: &[u64],
) -> Result<Vec<Envelope>, String> {
    let stored = |index: u64| -> Result<StoredEntry, String> {
        reader
            .entry(index)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("entry {index}, below the log's size, is missing"))
    };
    let roles_entries = reader.find("step", ROLES_KIND).map_err(|e| e.to_string())?;
    let mut in_force = match workflow.definition() {
        Some((definition, _)) => definition.clone(),
        None => roles_file.clone(),
    };
    let mut replayed = Vec::new();
    for &index in steps {
        let entry = stored(index)?;
        if entry.entry.kind == ROLES_KIND {
            continue;
        }
        if workflow.definition().is_none()
            && let Some(&at) = roles_entries.iter().rev().find(|&&r| r < index)
        {
            in_force = serde_json::from_slice(&stored(at)?.entry.data)
                .map_err(|e| format!("entry {at} is not a roles file: {e}"))?;
        }
        let env = logged_write(&entry)?;
        let roles = Roles::new(&in_force).map_err(|e| e.to_string())?;
        let (role, body) = roles
            .check(origin, &env, &STEP_AUTHORS)
            .map_err(|e| format!("entry {index} does not replay: {e}"))?;
        let guardian = roles.guardian_index(&env.author);
        let change = workflow
            .check(&env.kind, (&env.author, role, guardian), &body, &in_force)
            .map_err(|e| format!("entry {index} ({}) does not replay: {e}", env.kind))?;
        workflow.apply(change);
        if let Some((definition, _)) = workflow.definition() {
            in_force = definition.clone();
        }
        replayed.push(env);
    }
    Ok(replayed)
}

fn open_reader(db: &BoardDb) -> Result<Board<AnyStorage>, String> {
    let storage = db.open_read_only().map_err(|e| e.to_string())?;
    Board::open(storage).map_err(|e| e.to_string())
}

/// Who writes the protocol's steps (POST /entries).
pub(crate) const STEP_AUTHORS: [Role; 3] = [Role::Administrator, Role::Guardian, Role::Device];

/// The signed write an entry of the log holds, joined with the body the board keeps beside it
/// (see [`LoggedEnvelope`]); a board written before bodies were kept beside entries holds the
/// whole envelope.
pub(crate) fn logged_write(e: &StoredEntry) -> Result<Envelope, String> {
    if let Ok(env) = serde_json::from_slice::<Envelope>(&e.entry.data) {
        return Ok(env);
    }
    let logged: LoggedEnvelope = serde_json::from_slice(&e.entry.data)
        .map_err(|err| format!("entry {} is not a signed write: {err}", e.index))?;
    let body = e
        .entry
        .body
        .as_deref()
        .ok_or_else(|| format!("entry {}: the board lacks its body", e.index))?;
    logged
        .with_body(body)
        .map_err(|err| format!("entry {}: {err}", e.index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nonce_window_takes_each_nonce_once_in_any_order_within_its_width() {
        let mut w = NonceWindow::default();
        // Writes in flight arrive out of order: each is fresh once.
        for n in [5, 3, 4, 9, 6, 8, 7] {
            assert!(w.fresh(n), "{n}");
            w.take(n);
            assert!(!w.fresh(n), "{n} again");
        }
        for n in 3..=9 {
            assert!(!w.fresh(n), "{n} is a replay");
        }
        assert!(w.fresh(2), "2 is unused and within the window");
        // A jump beyond the window forgets what is below it: too old is refused.
        w.take(9 + NonceWindow::WIDTH);
        assert!(!w.fresh(9), "below the window");
        assert!(!w.fresh(2));
        assert!(
            w.fresh(8 + NonceWindow::WIDTH) && w.fresh(10),
            "unused, within the window"
        );
        w.take(10);
        assert!(!w.fresh(10));
        assert!(w.fresh(11));
    }
}
