//! The HTTP service: the board's public reads (checkpoint, tlog-tiles, entries, proofs, lookup
//! by confirmation code) and its signed writes (ballots from devices, artifacts from the
//! administrator), each checked before it is appended and acknowledged only once durable.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use entente_board::note::{Checkpoint, SignedNote};
use entente_board::tiles::TILE_WIDTH;
use entente_board::{Board, Entry, Hash, NodeRead, Sequencer, SqliteStorage, Storage};
use entente_group::P4096;
use entente_record::HashValue;
use entente_record::ballot::chain::BallotChainJson;
use entente_record::ballot::json::{EncryptedBallotJson, read_batch};
use entente_record::ballot::{EncryptedBallot, PublicKey};
use entente_record::election::ElectionSetup;
use entente_record::manifest::Manifest;
use entente_record::tally::EncryptedTallyJson;
use rand::TryRngCore;
use serde::Deserialize;

use crate::workflow::{Workflow, WorkflowError};
use entente_roles::protocol::kind;
use entente_roles::protocol::{AuthError, Envelope, Role, Roles, RolesFile};
use entente_roles::protocol::{
    EntryJson, InclusionJson, MAX_BODY, ROLES_KIND, Receipt, SETUP_FILES, normalise_code,
};

type G = P4096;

/// What a ballot is checked against.
pub struct Election {
    /// H_E.
    pub h_e: HashValue,
    /// K.
    pub key: PublicKey<G>,
    /// The manifest.
    pub manifest: Manifest,
    /// The setup files as published, for devices: (name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
}

impl Election {
    /// The election of a record directory: its setup, checked (spec 2.0 1.F–1.H, 4.A), and the
    /// setup files as they are, served to devices at GET /election/<file>.
    pub fn read(dir: &Path) -> Result<Self, String> {
        let setup = ElectionSetup::<G>::read(dir).map_err(|e| e.to_string())?;
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for name in SETUP_FILES {
            let path = dir.join(name);
            match std::fs::read(&path) {
                Ok(bytes) => files.push((name.to_owned(), bytes)),
                Err(e) if name == "constants.json" && e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("{}: {e}", path.display())),
            }
        }
        Ok(Self::from_setup(setup, files))
    }

    /// The election of a checked setup, with its files as published.
    pub fn from_setup(setup: ElectionSetup<G>, files: Vec<(String, Vec<u8>)>) -> Self {
        Self {
            h_e: setup.h_e,
            key: PublicKey::new(setup.joint_key),
            manifest: setup.manifest,
            files,
        }
    }
}

/// The service's state.
pub struct AppState {
    sequencer: Sequencer,
    db: PathBuf,
    readers: Mutex<Vec<Board<SqliteStorage>>>,
    /// The log's origin line: every write's signature covers it.
    origin: String,
    roles: Roles,
    /// The roles file in force (the election's definition once it is on the log).
    roles_file: RolesFile,
    /// Where the election is in its protocol. Ballots hold it for reading while they are
    /// appended, the protocol's steps for writing: no ballot lands after the ballot box closes.
    workflow: RwLock<Workflow>,
    /// The nonces each author used recently.
    nonces: Mutex<HashMap<String, NonceWindow>>,
    /// Ballot ids and confirmation codes being appended (so that two submissions of one ballot
    /// at once cannot both pass the uniqueness check).
    pending: Mutex<HashSet<String>>,
    /// The verification report served at GET /report (an `entente verify --html` file, read on
    /// each request so that whoever refreshes it need not restart the server).
    report: std::sync::OnceLock<PathBuf>,
}

/// An error answered to the client: a status and a sentence.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl ApiError {
    fn bad(msg: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, msg.into())
    }
    pub(crate) fn internal(msg: impl std::fmt::Display) -> Self {
        tracing::error!("{msg}");
        Self(StatusCode::INTERNAL_SERVER_ERROR, msg.to_string())
    }
    pub(crate) fn not_found(msg: impl Into<String>) -> Self {
        Self(StatusCode::NOT_FOUND, msg.into())
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> Self {
        let status = match e {
            WorkflowError::OutOfOrder(_) | WorkflowError::Stopped(_) => StatusCode::CONFLICT,
            WorkflowError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WorkflowError::NotYours(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        };
        Self(status, e.to_string())
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let status = match e {
            AuthError::UnknownAuthor(_) | AuthError::BadSignature(_) => StatusCode::UNAUTHORIZED,
            AuthError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AuthError::Replay { .. } => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        };
        Self(status, e.to_string())
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl AppState {
    /// The state over the board in `db` (opened by `sequencer`'s board), with the roles and,
    /// for an election set up outside the log, that election. The roles file is put on the
    /// log when it is new or changed (so that anyone can check the writes against it), and the
    /// protocol's state is rebuilt from the log's entries.
    pub fn new(
        db: &Path,
        sequencer: Sequencer,
        roles_file: &RolesFile,
        election: Option<Election>,
    ) -> Result<Arc<Self>, String> {
        let roles = Roles::new(roles_file).map_err(|e| e.to_string())?;
        let reader = open_reader(db)?;
        let origin = reader.config().origin.clone();
        let data = |index: u64| -> Result<Vec<u8>, String> {
            Ok(reader
                .entry(index)
                .map_err(|e| e.to_string())?
                .ok_or("an indexed entry is missing")?
                .entry
                .data)
        };
        // Each author's window of recent nonces, from its last writes in the log.
        let mut nonces = HashMap::new();
        for author in roles.authors() {
            let found = reader.find("author", author).map_err(|e| e.to_string())?;
            let mut window = NonceWindow::default();
            let recent = found.len().saturating_sub(NonceWindow::WIDTH as usize);
            for &index in &found[recent..] {
                // An entry indexed under an author that is not an envelope is not one of its
                // writes (storage changed behind the server's back): it holds no nonce to keep.
                match serde_json::from_slice::<Envelope>(&data(index)?) {
                    Ok(env) => window.take(env.nonce),
                    Err(e) => tracing::warn!(index, author, "not a signed write: {e}"),
                }
            }
            if !found.is_empty() {
                nonces.insert(author.to_owned(), window);
            }
        }
        // The protocol's steps, replayed in log order.
        let mut steps = Vec::new();
        for k in kind::STEPS {
            steps.extend(reader.find("step", k).map_err(|e| e.to_string())?);
        }
        steps.sort_unstable();
        let mut workflow = match election {
            Some(e) => Workflow::with_election(e, roles_file),
            None => Workflow::new(),
        };
        // The steps replay under the roles that were in force when they were written: the
        // operator's roles file until the election's definition, the definition after it.
        // A roles file that is not the definition is refused before anything is logged.
        let roles_entries = reader.find("step", ROLES_KIND).map_err(|e| e.to_string())?;
        let mut in_force = roles_file.clone();
        for index in steps {
            if workflow.definition().is_none()
                && let Some(&at) = roles_entries.iter().rev().find(|&&r| r < index)
            {
                in_force = serde_json::from_slice(&data(at)?)
                    .map_err(|e| format!("entry {at} is not a roles file: {e}"))?;
            }
            let env: Envelope = serde_json::from_slice(&data(index)?).map_err(|e| e.to_string())?;
            let (role, body) = Roles::new(&in_force)
                .and_then(|r| r.check(&origin, &env, &STEP_AUTHORS))
                .map_err(|e| format!("entry {index} does not replay: {e}"))?;
            let guardian = Roles::new(&in_force)
                .map_err(|e| e.to_string())?
                .guardian_index(&env.author);
            let change = workflow
                .check(&env.kind, (&env.author, role, guardian), &body, &in_force)
                .map_err(|e| format!("entry {index} ({}) does not replay: {e}", env.kind))?;
            workflow.apply(change);
            if let Some((definition, _)) = workflow.definition() {
                in_force = definition.clone();
            }
        }
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
            db: db.to_owned(),
            readers: Mutex::new(vec![reader]),
            origin,
            roles,
            roles_file: logged_roles.clone(),
            workflow: RwLock::new(workflow),
            nonces: Mutex::new(nonces),
            pending: Mutex::new(HashSet::new()),
            report: std::sync::OnceLock::new(),
        });
        st.log_roles(&logged_roles)?;
        Ok(st)
    }

    /// Appends the roles file unless the log's latest roles entry is the same.
    fn log_roles(&self, roles_file: &RolesFile) -> Result<(), String> {
        let bytes = serde_json::to_vec(roles_file).map_err(|e| e.to_string())?;
        let same = self
            .read(|b| {
                let found = b.find("step", ROLES_KIND).map_err(ApiError::internal)?;
                Ok(match found.last() {
                    Some(&i) => b
                        .entry(i)
                        .map_err(ApiError::internal)?
                        .is_some_and(|e| e.entry.data == bytes),
                    None => false,
                })
            })
            .map_err(|e| e.1)?;
        if !same {
            self.sequencer
                .append(vec![
                    Entry::new(ROLES_KIND, bytes).with_key("step", ROLES_KIND),
                ])
                .map_err(|e| e.to_string())?;
            self.sequencer.checkpoint().map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Serves the report in `file` at GET /report (set once, at start).
    pub fn serve_report(&self, file: PathBuf) {
        let _ = self.report.set(file);
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
        f: impl FnOnce(&Board<SqliteStorage>) -> ApiResult<T>,
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
    fn logged_ballots(&self) -> ApiResult<Vec<EncryptedBallot<G>>> {
        let mut jsons = Vec::new();
        self.read(|b| {
            let size = b.storage().size().map_err(ApiError::internal)?;
            let mut from = 0;
            while from < size {
                let to = (from + TILE_WIDTH).min(size);
                for data in b
                    .storage()
                    .entry_data(from, to)
                    .map_err(ApiError::internal)?
                {
                    let Ok(env) = serde_json::from_slice::<Envelope>(&data) else {
                        continue;
                    };
                    if env.kind != kind::BALLOT {
                        continue;
                    }
                    let body = B64.decode(&env.body).map_err(ApiError::internal)?;
                    let json: EncryptedBallotJson =
                        serde_json::from_slice(&body).map_err(ApiError::internal)?;
                    jsons.push(json);
                }
                from = to;
            }
            Ok(())
        })?;
        let refs: Vec<&EncryptedBallotJson> = jsons.iter().collect();
        read_batch::<G, _>(&refs, &mut rand::rngs::OsRng.unwrap_err())
            .into_iter()
            .map(|r| r.map_err(ApiError::internal))
            .collect()
    }

    /// A device's closing chain lists exactly the ballots it has on the log, its last code
    /// that of its last ballot.
    fn check_device_chain(&self, device: &str, body: &[u8]) -> ApiResult<()> {
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
    fn check_tally(&self, body: &[u8]) -> ApiResult<()> {
        let invalid = |what: String| ApiError(StatusCode::UNPROCESSABLE_ENTITY, what);
        let json: EncryptedTallyJson =
            serde_json::from_slice(body).map_err(|e| invalid(e.to_string()))?;
        let tally = json.read::<G>().map_err(|e| invalid(e.to_string()))?;
        let ballots = self.logged_ballots()?;
        entente_core::tally::check_is_product(&tally, &ballots)
            .map_err(|e| invalid(format!("encrypted_tally.json: {e} (eq. (62))")))
    }

    /// A `result` against the log: see [`check_result`].
    fn check_logged_result(&self, workflow: &Workflow, body: &[u8]) -> ApiResult<()> {
        let invalid = |what: String| ApiError(StatusCode::UNPROCESSABLE_ENTITY, what);
        let election = workflow
            .election()
            .ok_or_else(|| ApiError::internal("a result without an election"))?;
        let tally_body = self.read(|b| {
            let &at = b
                .find("step", kind::ENCRYPTED_TALLY)
                .map_err(ApiError::internal)?
                .last()
                .ok_or_else(|| ApiError::internal("a result without a logged tally"))?;
            let data = b
                .entry(at)
                .map_err(ApiError::internal)?
                .ok_or_else(|| ApiError::internal("an indexed entry is missing"))?
                .entry
                .data;
            let env: Envelope = serde_json::from_slice(&data).map_err(ApiError::internal)?;
            B64.decode(&env.body).map_err(ApiError::internal)
        })?;
        let tally = serde_json::from_slice::<EncryptedTallyJson>(&tally_body)
            .map_err(ApiError::internal)?
            .read::<G>()
            .map_err(ApiError::internal)?;
        let challenged: Vec<EncryptedBallot<G>> = self
            .logged_ballots()?
            .into_iter()
            .filter(|b| b.state == entente_record::ballot::BallotState::Challenged)
            .collect();
        check_result(&election, &tally, &challenged, body).map_err(invalid)
    }

    /// Takes `nonce` as one of `author`'s writes, or refuses a replay. A protocol step
    /// (`step`) must be above every nonce its author used: steps are written one after
    /// another, and a step refused once can then never be logged later.
    fn take_nonce(&self, author: &str, nonce: u64, step: bool) -> ApiResult<()> {
        let mut nonces = self.nonces.lock().map_err(ApiError::internal)?;
        let window = nonces.entry(author.to_owned()).or_default();
        if !window.fresh(nonce) || step && window.used() && nonce <= window.top {
            return Err(AuthError::Replay {
                author: author.to_owned(),
                nonce,
                last: window.top,
            }
            .into());
        }
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

    fn fresh(&self, nonce: u64) -> bool {
        if nonce > self.top {
            return true;
        }
        let age = self.top - nonce;
        age < Self::WIDTH && self.seen & (1 << age) == 0
    }

    /// Whether any nonce was taken.
    fn used(&self) -> bool {
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

/// A `result` (spec 2.0 §3.6) against what the log holds, before it is logged: `tally.json`
/// decrypts exactly the logged encrypted tally, each challenged ballot on the log is decrypted
/// once from its own ciphertexts, and every decryption proof holds (Verifications 9–14), so a
/// forged count is refused rather than published until someone verifies.
pub fn check_result(
    election: &Election,
    tally: &entente_record::tally::EncryptedTallyRecord<G>,
    challenged: &[EncryptedBallot<G>],
    body: &[u8],
) -> Result<(), String> {
    use entente_record::tally::{DecryptedTally, DecryptedTallyJson};
    let result: entente_roles::protocol::ResultJson =
        serde_json::from_slice(body).map_err(|e| format!("result: {e}"))?;
    let read = |name: &str, text: &str| -> Result<DecryptedTally<G>, String> {
        let d = serde_json::from_str::<DecryptedTallyJson>(text)
            .map_err(|e| format!("{name}: {e}"))?
            .read::<G>()
            .map_err(|e| format!("{name}: {e}"))?;
        d.verify(&election.h_e, &election.key)
            .map_err(|e| format!("{name}: {e} (the decryption's proof fails)"))?;
        Ok(d)
    };
    // The selections of a tally or a ballot, encrypted or decrypted (their contests and
    // selections have the same fields), by (contest, selection).
    macro_rules! selections {
        ($contests:expr) => {
            $contests
                .iter()
                .flat_map(|c| {
                    c.selections.iter().map(move |s| {
                        (
                            (c.contest_id.as_str(), s.selection_id.as_str()),
                            &s.ciphertext,
                        )
                    })
                })
                .collect()
        };
    }
    // The decrypted ciphertexts must be exactly these, selection by selection.
    type Selections<'a> = BTreeMap<(&'a str, &'a str), &'a entente_record::ballot::Ciphertext<G>>;
    let same = |name: &str, d: &DecryptedTally<G>, expected: Selections| -> Result<(), String> {
        let got: Selections = selections!(d.contests);
        if !got.keys().eq(expected.keys()) {
            return Err(format!("{name} does not decrypt the selections it must"));
        }
        match got.iter().find(|(k, ct)| expected.get(*k) != Some(ct)) {
            Some(((c, s), _)) => Err(format!(
                "{name}: contest {c}, selection {s} is not the logged ciphertext decrypted"
            )),
            None => Ok(()),
        }
    };
    let decrypted = read("tally.json", &result.tally)?;
    same("tally.json", &decrypted, selections!(tally.contests))?;
    let mut decrypted_ids = BTreeSet::new();
    for f in &result.challenged {
        let d = read(&f.name, &f.text)?;
        let ballot = challenged
            .iter()
            .find(|b| b.ballot_id == d.id)
            .ok_or_else(|| format!("{}: {} is not a challenged ballot of the log", f.name, d.id))?;
        if f.name != format!("dballot-{}.json", d.id) || !decrypted_ids.insert(d.id.clone()) {
            return Err(format!("{}: not the one file of ballot {}", f.name, d.id));
        }
        same(&f.name, &d, selections!(ballot.contests))?;
    }
    if let Some(b) = challenged
        .iter()
        .find(|b| !decrypted_ids.contains(&b.ballot_id))
    {
        return Err(format!(
            "challenged ballot {} of the log is not decrypted",
            b.ballot_id
        ));
    }
    Ok(())
}

fn open_reader(db: &Path) -> Result<Board<SqliteStorage>, String> {
    let storage = SqliteStorage::open_read_only(db).map_err(|e| e.to_string())?;
    Board::open(storage).map_err(|e| e.to_string())
}

/// Who writes the protocol's steps (POST /entries).
const STEP_AUTHORS: [Role; 3] = [Role::Administrator, Role::Guardian, Role::Device];

/// The router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/checkpoint", get(checkpoint))
        .route("/tile/{*path}", get(tile))
        .route("/entente/entries/{*path}", get(large_bundle))
        .route("/entries/{index}", get(entry))
        .route("/proof/inclusion", get(inclusion))
        .route("/proof/consistency", get(consistency))
        .route("/lookup", get(lookup))
        .route("/status", get(status))
        .route("/election/{file}", get(election_file))
        .route("/ballots", post(submit_ballot))
        .route("/entries", post(submit_entry))
        .merge(crate::web::routes())
        // A ballot of a long general election runs to megabytes of JSON (base64 in its
        // envelope); axum's 2 MB default would refuse it.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

/// GET /checkpoint: the latest checkpoint with its cosignatures (tlog-tiles).
async fn checkpoint(State(st): State<Arc<AppState>>) -> ApiResult<Response> {
    let note = blocking(move || st.read(|b| b.latest_checkpoint().map_err(ApiError::internal)))
        .await?
        .ok_or_else(|| ApiError::not_found("the log has signed no checkpoint yet"))?
        .1;
    Ok(note_response(note))
}

/// A signed checkpoint as served: plain text, never cached (the next one may come any moment).
pub(crate) fn note_response(note: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        note,
    )
        .into_response()
}

/// `<N>[.p/<W>]` of a tile path: the index and width.
fn parse_index(parts: &[&str]) -> Option<(u64, u64)> {
    let (index_parts, width) = match parts {
        [rest @ .., last_index, w_text] if last_index.ends_with(".p") => {
            let w: u64 = w_text
                .parse()
                .ok()
                .filter(|w| (1..TILE_WIDTH).contains(w))?;
            if w.to_string() != *w_text {
                return None; // no leading zeros
            }
            let mut v = rest.to_vec();
            v.push(last_index.strip_suffix(".p")?);
            (v, w)
        }
        _ => (parts.to_vec(), TILE_WIDTH),
    };
    let (last, rest) = index_parts.split_last()?;
    let mut n = 0u64;
    for p in rest {
        let digits = p.strip_prefix('x')?;
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
    }
    if last.len() != 3 || !last.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n = n.checked_mul(1000)?.checked_add(last.parse().ok()?)?;
    Some((n, width))
}

fn octets(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes,
    )
        .into_response()
}

/// The bytes of hash tile (level, n, width), if the board is large enough to have it.
fn tile_bytes(b: &Board<SqliteStorage>, level: u32, n: u64, width: u64) -> ApiResult<Vec<u8>> {
    let size = b.storage().size().map_err(ApiError::internal)?;
    let available = if level >= 8 { 0 } else { size >> (8 * level) };
    if n.saturating_mul(TILE_WIDTH).saturating_add(width) > available {
        return Err(ApiError::not_found("no such tile in the log yet"));
    }
    let hashes = b
        .storage()
        .nodes(8 * level, n * TILE_WIDTH, n * TILE_WIDTH + width)
        .map_err(ApiError::internal)?;
    Ok(hashes.concat())
}

/// The entries of bundle (n, width), if the board has them.
fn bundle_entries(b: &Board<SqliteStorage>, n: u64, width: u64) -> ApiResult<Vec<Vec<u8>>> {
    let size = b.storage().size().map_err(ApiError::internal)?;
    if n.saturating_mul(TILE_WIDTH).saturating_add(width) > size {
        return Err(ApiError::not_found("no such entry bundle in the log yet"));
    }
    b.storage()
        .entry_data(n * TILE_WIDTH, n * TILE_WIDTH + width)
        .map_err(ApiError::internal)
}

/// GET /tile/<L>/<N>[.p/<W>] and /tile/entries/<N>[.p/<W>] (C2SP tlog-tiles), from the
/// database: a mirror of `entente board export` served live.
async fn tile(
    State(st): State<Arc<AppState>>,
    UrlPath(path): UrlPath<String>,
) -> ApiResult<Response> {
    let parts: Vec<&str> = path.split('/').collect();
    let not_tile = || ApiError::not_found(format!("/tile/{path} is not a tile path"));
    let (first, rest) = parts.split_first().ok_or_else(not_tile)?;
    let (n, width) = parse_index(rest).ok_or_else(not_tile)?;
    if *first == "entries" {
        let entries = blocking(move || st.read(|b| bundle_entries(b, n, width))).await?;
        if entries.iter().any(|e| e.len() > usize::from(u16::MAX)) {
            return Err(ApiError::not_found(
                "this bundle holds an entry beyond 64 KiB: it is served at /entente/entries/",
            ));
        }
        let mut out = Vec::new();
        for e in entries {
            out.extend_from_slice(&(e.len() as u16).to_be_bytes());
            out.extend_from_slice(&e);
        }
        return Ok(octets(out));
    }
    let level: u32 = first
        .parse()
        .ok()
        .filter(|l: &u32| *l <= 63 && l.to_string() == *first)
        .ok_or_else(not_tile)?;
    let bytes = blocking(move || st.read(|b| tile_bytes(b, level, n, width))).await?;
    Ok(octets(bytes))
}

/// GET /entente/entries/<N>[.p/<W>]: an entry bundle with 32-bit lengths.
async fn large_bundle(
    State(st): State<Arc<AppState>>,
    UrlPath(path): UrlPath<String>,
) -> ApiResult<Response> {
    let parts: Vec<&str> = path.split('/').collect();
    let (n, width) = parse_index(&parts)
        .ok_or_else(|| ApiError::not_found(format!("/entente/entries/{path} is not a bundle")))?;
    let entries = blocking(move || st.read(|b| bundle_entries(b, n, width))).await?;
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&(e.len() as u32).to_be_bytes());
        out.extend_from_slice(&e);
    }
    Ok(octets(out))
}

async fn entry(
    State(st): State<Arc<AppState>>,
    UrlPath(index): UrlPath<u64>,
) -> ApiResult<Json<EntryJson>> {
    let e = blocking(move || st.read(|b| b.entry(index).map_err(ApiError::internal)))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no entry {index}")))?;
    Ok(Json(EntryJson {
        index: e.index,
        kind: e.entry.kind,
        appended_at: e.appended_at,
        keys: e.entry.keys,
        data: B64.encode(e.entry.data),
    }))
}

#[derive(Deserialize)]
struct InclusionQuery {
    index: u64,
    size: Option<u64>,
}

fn b64s(h: &[Hash]) -> Vec<String> {
    h.iter().map(|h| B64.encode(h)).collect()
}

fn proof_error(e: entente_board::BoardError) -> ApiError {
    match e {
        entente_board::BoardError::Proof(p) => ApiError::bad(p.to_string()),
        other => ApiError::internal(other),
    }
}

fn inclusion_of(b: &Board<SqliteStorage>, index: u64, size: u64) -> ApiResult<InclusionJson> {
    Ok(InclusionJson {
        index,
        size,
        hashes: b64s(&b.inclusion_proof(index, size).map_err(proof_error)?),
        checkpoint: b.checkpoint_at(size).map_err(ApiError::internal)?,
    })
}

/// GET /proof/inclusion?index=I[&size=N] (default: the latest checkpoint's size).
async fn inclusion(
    State(st): State<Arc<AppState>>,
    Query(q): Query<InclusionQuery>,
) -> ApiResult<Json<InclusionJson>> {
    blocking(move || {
        st.read(|b| {
            let size = match q.size {
                Some(s) => s,
                None => latest_size(b)?,
            };
            inclusion_of(b, q.index, size)
        })
    })
    .await
    .map(Json)
}

fn latest_size(b: &Board<SqliteStorage>) -> ApiResult<u64> {
    Ok(b.latest_checkpoint()
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("the log has signed no checkpoint yet"))?
        .0)
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

/// GET /proof/consistency?from=M[&to=N]: RFC 9162 §2.1.4 (default N: the latest checkpoint).
async fn consistency(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    blocking(move || {
        st.read(|b| {
            let to = match q.to {
                Some(t) => t,
                None => latest_size(b)?,
            };
            let hashes = b.consistency_proof(q.from, to).map_err(proof_error)?;
            Ok(Json(serde_json::json!({
                "from": q.from, "to": to, "hashes": b64s(&hashes)
            })))
        })
    })
    .await
}

#[derive(Deserialize)]
struct LookupQuery {
    confirmation_code: Option<String>,
    ballot_id: Option<String>,
}

/// GET /lookup?confirmation_code=… or ?ballot_id=…: the entry and its inclusion proof in the
/// latest checkpoint.
async fn lookup(
    State(st): State<Arc<AppState>>,
    Query(q): Query<LookupQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let (name, value) = match (q.confirmation_code, q.ballot_id) {
        (Some(c), _) => (
            "confirmation_code",
            normalise_code(&c).ok_or_else(|| {
                ApiError::bad(
                    "a confirmation code is 64 hexadecimal digits (spaces and dashes are ignored)",
                )
            })?,
        ),
        (None, Some(id)) => ("ballot_id", id),
        (None, None) => return Err(ApiError::bad("give confirmation_code or ballot_id")),
    };
    blocking(move || {
        st.read(|b| {
            let found = b.find(name, &value).map_err(ApiError::internal)?;
            let &index = found
                .first()
                .ok_or_else(|| ApiError::not_found(format!("no ballot with {name} {value}")))?;
            let e = b
                .entry(index)
                .map_err(ApiError::internal)?
                .ok_or_else(|| ApiError::internal("an indexed entry is missing"))?;
            let size = latest_size(b)?;
            let proof = (index < size)
                .then(|| inclusion_of(b, index, size))
                .transpose()?;
            Ok(Json(serde_json::json!({
                "index": index,
                "kind": e.entry.kind,
                "appended_at": e.appended_at,
                "keys": e.entry.keys,
                "data": B64.encode(&e.entry.data),
                "inclusion": proof,
            })))
        })
    })
    .await
}

/// GET /election/<file>: the election's setup files (manifest, config, election initialized),
/// for devices and anyone else.
async fn election_file(
    State(st): State<Arc<AppState>>,
    UrlPath(file): UrlPath<String>,
) -> ApiResult<Response> {
    let election = st
        .workflow
        .read()
        .map_err(ApiError::internal)?
        .election()
        .ok_or_else(|| ApiError::not_found("the election is not set up yet"))?;
    let (_, bytes) = election
        .files
        .iter()
        .find(|(n, _)| *n == file)
        .ok_or_else(|| ApiError::not_found(format!("no election file {file:?}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes.clone()).into_response())
}

/// GET /status: the log's size, the latest checkpoint's, and the sequencer's queue.
async fn status(State(st): State<Arc<AppState>>) -> ApiResult<Json<serde_json::Value>> {
    let queue = st.sequencer.queue_depth();
    let phase = st.workflow.read().map_err(ApiError::internal)?.phase();
    blocking(move || {
        st.read(|b| {
            let size = b.storage().size().map_err(ApiError::internal)?;
            let cp = b
                .latest_checkpoint()
                .map_err(ApiError::internal)?
                .map(|c| c.0);
            let published = b.published().map_err(ApiError::internal)?.map(|c| c.0);
            Ok(Json(serde_json::json!({
                "origin": b.config().origin,
                "size": size,
                "checkpoint_size": cp,
                "published_size": published,
                "witnesses": b.config().witnesses.len(),
                "queue_depth": queue,
                "phase": phase,
            })))
        })
    })
    .await
}

/// Appends through the sequencer (durable on return), then signs a checkpoint that covers the
/// entry and proves its inclusion in it.
fn append_and_prove(st: &AppState, entry: Entry) -> ApiResult<(u64, String, InclusionJson)> {
    let index = st
        .sequencer
        .append(vec![entry])
        .map_err(ApiError::internal)?;
    let note = st.sequencer.checkpoint().map_err(ApiError::internal)?;
    let size = SignedNote::parse(&note)
        .ok()
        .and_then(|n| Checkpoint::parse(&n.text).ok())
        .map(|c| c.size)
        .ok_or_else(|| ApiError::internal("the log signed an unreadable checkpoint"))?;
    let proof = st.read(|b| inclusion_of(b, index, size))?;
    Ok((index, note, proof))
}

/// Removes reserved keys from the pending set when dropped (also on an early return).
struct Reserved<'a> {
    st: &'a AppState,
    keys: Vec<String>,
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        if let Ok(mut p) = self.st.pending.lock() {
            for k in &self.keys {
                p.remove(k);
            }
        }
    }
}

/// POST /ballots: an encrypted ballot from a registered device, in a signed envelope. The
/// ballot's proofs, election, style and uniqueness are checked before it is appended; the
/// answer is its index, confirmation code and inclusion proof in a signed checkpoint. A bad
/// ballot gets a 4xx naming what failed and is not stored.
async fn submit_ballot(
    State(st): State<Arc<AppState>>,
    Json(env): Json<Envelope>,
) -> ApiResult<Json<Receipt>> {
    if env.kind != "ballot" {
        return Err(ApiError::bad(
            "POST /ballots takes writes of kind \"ballot\"",
        ));
    }
    let (_, body) = st.roles.check(&st.origin, &env, &[Role::Device])?;
    blocking(move || {
        // A signed write's nonce is spent whether or not the write is then accepted, so that
        // nobody can hold a refused write and submit it later.
        st.take_nonce(&env.author, env.nonce, false)?;
        // Held while the ballot is checked and appended: the ballot box cannot close meanwhile.
        let workflow = st.workflow.read().map_err(ApiError::internal)?;
        let election = workflow.open_election()?;
        let json: EncryptedBallotJson = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad(format!("the ballot is not an encrypted ballot: {e}")))?;
        let invalid = |what: String| ApiError(StatusCode::UNPROCESSABLE_ENTITY, what);
        // Subgroup membership of all the ballot's elements in one randomized test (as the
        // verifier reads ballots) instead of one exponentiation per element.
        let ballot = read_batch::<G, _>(&[&json], &mut rand::rngs::OsRng.unwrap_err())
            .pop()
            .ok_or_else(|| ApiError::internal("no ballot read"))?
            .map_err(|e| invalid(format!("ballot {}: {e}", json.ballot_id)))?;
        workflow.check_device_open(&env.author)?;
        workflow.check_style(&env.author, &ballot.ballot_style_id)?;
        let code = ballot.confirmation_code.to_hex().to_ascii_lowercase();
        let id = ballot.ballot_id.clone();
        entente_core::tally::verify_ballot(
            &election.h_e,
            &election.key,
            &election.manifest,
            ballot,
        )
        .map_err(|e| invalid(e.to_string()))?;
        // Unique id and code: reserved while in flight, then checked against the log.
        let keys = vec![format!("id:{id}"), format!("code:{code}")];
        {
            let mut pending = st.pending.lock().map_err(ApiError::internal)?;
            if keys.iter().any(|k| pending.contains(k)) {
                return Err(ApiError(
                    StatusCode::CONFLICT,
                    format!("ballot {id} is being submitted already"),
                ));
            }
            pending.extend(keys.iter().cloned());
        }
        let _reserved = Reserved { st: &st, keys };
        st.read(|b| {
            if !b
                .find("ballot_id", &id)
                .map_err(ApiError::internal)?
                .is_empty()
            {
                return Err(ApiError(
                    StatusCode::CONFLICT,
                    format!("ballot id {id} is on the board already"),
                ));
            }
            if !b
                .find("confirmation_code", &code)
                .map_err(ApiError::internal)?
                .is_empty()
            {
                return Err(ApiError(
                    StatusCode::CONFLICT,
                    format!("confirmation code {code} is on the board already"),
                ));
            }
            Ok(())
        })?;
        let data = serde_json::to_vec(&env).map_err(ApiError::internal)?;
        let entry = Entry::new("ballot", data)
            .with_key("author", env.author.clone())
            .with_key("ballot_id", id)
            .with_key("confirmation_code", code.clone());
        let (index, checkpoint, inclusion) = append_and_prove(&st, entry)?;
        drop(workflow);
        Ok(Json(Receipt {
            index,
            confirmation_code: Some(code),
            checkpoint,
            inclusion,
        }))
    })
    .await
}

/// POST /entries: a step of the election's protocol (see [`crate::workflow`]) from the
/// administrator or a guardian, in a signed envelope, checked against the protocol's state
/// before it is appended.
async fn submit_entry(
    State(st): State<Arc<AppState>>,
    Json(env): Json<Envelope>,
) -> ApiResult<Json<Receipt>> {
    let (role, body) = st.roles.check(&st.origin, &env, &STEP_AUTHORS)?;
    blocking(move || {
        let mut workflow = st.workflow.write().map_err(ApiError::internal)?;
        // Spent even if the step is refused: see submit_ballot.
        st.take_nonce(&env.author, env.nonce, true)?;
        let guardian = st.roles.guardian_index(&env.author);
        let change = workflow.check(
            &env.kind,
            (&env.author, role, guardian),
            &body,
            &st.roles_file,
        )?;
        // What only the log can tell: checked against the ballots on it.
        match env.kind.as_str() {
            kind::DEVICE_CLOSE => st.check_device_chain(&env.author, &body)?,
            kind::ENCRYPTED_TALLY => st.check_tally(&body)?,
            kind::RESULT => st.check_logged_result(&workflow, &body)?,
            _ => {}
        }
        let data = serde_json::to_vec(&env).map_err(ApiError::internal)?;
        let mut entry = Entry::new(env.kind.clone(), data)
            .with_key("author", env.author.clone())
            .with_key("step", env.kind.clone());
        for (k, v) in &change.keys {
            entry = entry.with_key(k.clone(), v.clone());
        }
        let (index, checkpoint, inclusion) = append_and_prove(&st, entry)?;
        workflow.apply(change);
        tracing::info!(
            index,
            kind = env.kind,
            author = env.author,
            "protocol step logged"
        );
        Ok(Json(Receipt {
            index,
            confirmation_code: None,
            checkpoint,
            inclusion,
        }))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use entente_roles::protocol::{FileJson, ResultJson};

    /// The egk record with challenged ballots: its election, logged tally and challenged
    /// ballots as the server would read them, and its published result as a `result` body.
    fn chained() -> (Election, Vec<u8>, Vec<EncryptedBallot<G>>, ResultJson) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/conformance/egk/records/chainedJson");
        let election = Election::read(&dir).unwrap();
        let tally = std::fs::read(dir.join("encrypted_tally.json")).unwrap();
        let mut challenged = Vec::new();
        for device in std::fs::read_dir(dir.join("encrypted_ballots")).unwrap() {
            for f in std::fs::read_dir(device.unwrap().path()).unwrap() {
                let path = f.unwrap().path();
                if !path.to_string_lossy().contains("eballot-") {
                    continue;
                }
                let json: EncryptedBallotJson =
                    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                let b = json.read::<G>().unwrap();
                if b.state == entente_record::ballot::BallotState::Challenged {
                    challenged.push(b);
                }
            }
        }
        let mut files = Vec::new();
        for f in std::fs::read_dir(dir.join("challenged_ballots")).unwrap() {
            let path = f.unwrap().path();
            files.push(FileJson {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                text: std::fs::read_to_string(&path).unwrap(),
            });
        }
        let result = ResultJson {
            tally: std::fs::read_to_string(dir.join("tally.json")).unwrap(),
            challenged: files,
        };
        (election, tally, challenged, result)
    }

    #[test]
    fn a_result_is_logged_only_if_it_decrypts_the_logged_tally_and_challenged_ballots() {
        let (election, tally, challenged, result) = chained();
        assert!(!challenged.is_empty() && !result.challenged.is_empty());
        let tally = serde_json::from_slice::<EncryptedTallyJson>(&tally)
            .unwrap()
            .read::<G>()
            .unwrap();
        let check = |r: &ResultJson, ch: &[EncryptedBallot<G>]| {
            check_result(&election, &tally, ch, &serde_json::to_vec(r).unwrap())
        };
        check(&result, &challenged).unwrap();
        // A forged count: the tally's first value changed, its proof no longer holds.
        let mut forged = result.clone();
        let mut t: serde_json::Value = serde_json::from_str(&forged.tally).unwrap();
        let sel = &mut t["contests"][0]["selections"][0];
        let v = sel["tally"].as_u64().unwrap();
        sel["tally"] = (v + 1).into();
        forged.tally = t.to_string();
        let err = check(&forged, &challenged).unwrap_err();
        assert!(err.contains("tally.json"), "{err}");
        // A challenged ballot left undecrypted, or one decrypted that is not on the log.
        let mut fewer = result.clone();
        fewer.challenged.pop();
        let err = check(&fewer, &challenged).unwrap_err();
        assert!(err.contains("is not decrypted"), "{err}");
        let err = check(&result, &challenged[1..]).unwrap_err();
        assert!(err.contains("not a challenged ballot of the log"), "{err}");
        // A decryption of another ciphertext: one challenged ballot's file under another's id.
        let mut swapped = result.clone();
        let other: serde_json::Value = serde_json::from_str(&swapped.challenged[1].text).unwrap();
        let mut first: serde_json::Value =
            serde_json::from_str(&swapped.challenged[0].text).unwrap();
        first["contests"] = other["contests"].clone();
        swapped.challenged[0].text = first.to_string();
        assert!(check(&swapped, &challenged).is_err());
    }

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
