//! The signed writes: ballots from devices and the protocol's steps from the administrator and the guardians, each checked, appended durably and answered with its inclusion proof.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use std::sync::atomic::Ordering;

use entente_board::note::{Checkpoint, SignedNote};
use entente_board::sequencer::Conditions;
use entente_board::{BoardError, Entry, NodeRead};
use entente_record::ballot::json::EncryptedBallotJson;
use entente_record::with_group;
use entente_roles::RolesError;
use http_body_util::BodyExt;
use rand::TryRngCore;

use entente_roles::protocol::kind;
use entente_roles::protocol::{Envelope, Role, WriteHeaders, header};
use entente_roles::protocol::{InclusionJson, Receipt};

use crate::proofs::{inclusion_from, inclusion_in};
use crate::respond::{ApiError, ApiResult, blocking};
use crate::state::{AppState, STEP_AUTHORS};

/// What the cheap rules of a ballot look at: checked before its proofs, and again if another
/// server's step overtook the check (see [`submit_ballot`]).
struct BallotFacts {
    id: String,
    style: String,
    /// Its confirmation code, lower-case hex.
    code: String,
    paper: bool,
}

impl BallotFacts {
    /// The device's right to the ballot: its chain is open, the style allowed, the paper rules.
    fn check_rules(&self, workflow: &crate::workflow::Workflow, author: &str) -> ApiResult<()> {
        workflow.open_election()?;
        workflow.check_device_open(author)?;
        workflow.check_style(author, &self.style)?;
        workflow.check_paper(author, (&self.id, &self.style, &self.code), self.paper)?;
        Ok(())
    }
}

/// Checks a device's ballot, read in its election's group: for range, then the device's right
/// to it (open chain, allowed style, paper rules), then in full (proofs, hashes, code:
/// `verify_ballot`).
fn check_ballot<G: crate::election::ServerGroup>(
    workflow: &crate::workflow::Workflow,
    election: &crate::Election,
    author: &str,
    json: &EncryptedBallotJson,
) -> ApiResult<BallotFacts> {
    let invalid = |what: String| ApiError(StatusCode::UNPROCESSABLE_ENTITY, what);
    // Read for range here; the subgroup membership of its elements is proven by the
    // exponentiations its proofs need (`UncheckedBallot::check`).
    let ballot = json
        .read_unchecked::<G>()
        .map_err(|e| invalid(format!("ballot {}: {e}", json.ballot_id)))?;
    let facts = BallotFacts {
        id: ballot.ballot_id().to_owned(),
        style: ballot.ballot_style_id().to_owned(),
        code: ballot.confirmation_code().to_hex().to_ascii_lowercase(),
        paper: json.is_preencrypt,
    };
    facts.check_rules(workflow, author)?;
    entente_core::tally::verify_ballot(
        &election.h_e,
        election.key::<G>().map_err(ApiError::internal)?,
        &election.manifest,
        ballot,
        &mut rand::rngs::OsRng.unwrap_err(),
    )
    .map_err(|e| invalid(e.to_string()))?;
    Ok(facts)
}

/// How many times a write overtaken by other servers' steps is checked again before the
/// writer is asked to send it again.
const RETRIES: usize = 3;

/// The answer when a write was overtaken [`RETRIES`] times.
fn busy() -> ApiError {
    ApiError(
        StatusCode::SERVICE_UNAVAILABLE,
        "other servers kept logging steps while this write was checked: send it again".into(),
    )
}

/// Appends through the sequencer if `conditions` hold (durable on return), then signs a
/// checkpoint that covers the entry and proves its inclusion in it. `Ok(Err(index))`: entry
/// `index`, another server's, overtook what the write was checked against.
fn append_and_prove(
    st: &AppState,
    entry: Entry,
    conditions: Conditions,
) -> ApiResult<Result<(u64, String, InclusionJson), u64>> {
    let leaf = entente_board::leaf_hash(&entry.data);
    let appended = match st.sequencer.append_proved(vec![entry], conditions) {
        Ok(appended) => appended,
        Err(BoardError::Overtaken { index }) => return Ok(Err(index)),
        Err(BoardError::Taken { name, value }) => {
            return Err(ApiError(
                StatusCode::CONFLICT,
                format!("{} {value} is on the board already", name.replace('_', " ")),
            ));
        }
        Err(e) => return Err(ApiError::internal(e)),
    };
    let index = appended.first;
    let parse = |note: &str| {
        SignedNote::parse(note)
            .ok()
            .and_then(|n| Checkpoint::parse(&n.text).ok())
            .ok_or_else(|| ApiError::internal("the log signed an unreadable checkpoint"))
    };
    if let Some((note, hashes)) = appended.proved {
        // The checkpoint recorded with the entry and the proof from the nodes the append made.
        let cp = parse(&note)?;
        let proof = inclusion_from(index, &leaf, &cp, &note, &hashes);
        return Ok(Ok((index, note, proof)));
    }
    let note = st.sequencer.checkpoint().map_err(ApiError::internal)?;
    let cp = parse(&note)?;
    let proof = st.read(|b| inclusion_in(b, index, &leaf, &cp, &note))?;
    Ok(Ok((index, note, proof)))
}

/// The entry of a signed write: its [`LoggedEnvelope`](entente_roles::protocol::LoggedEnvelope)
/// (a few hundred bytes, so that it fits a standard tlog-tiles bundle) with `body` kept beside
/// it, found by its SHA-256.
fn logged_entry(kind: &str, env: &Envelope, body: Vec<u8>) -> ApiResult<Entry> {
    let logged = env.logged().map_err(ApiError::internal)?;
    Ok(Entry::new(kind, logged.to_bytes()).with_body(body))
}

/// A signed write's headers (see [`entente_roles::protocol::header`]); 401 when one is missing
/// or unreadable.
fn write_headers(headers: &HeaderMap) -> ApiResult<WriteHeaders> {
    let get = |name: &str| -> ApiResult<String> {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError(
                    StatusCode::UNAUTHORIZED,
                    format!(
                        "a write must announce its author and signature before its body: the \
                         {name} header is missing or not text"
                    ),
                )
            })
    };
    let nonce = get(header::NONCE)?;
    Ok(WriteHeaders {
        author: get(header::AUTHOR)?,
        kind: get(header::KIND)?,
        nonce: nonce
            .parse()
            .map_err(|_| ApiError::bad(format!("the {} header is not a number", header::NONCE)))?,
        digest: get(header::DIGEST)?,
        signature: get(header::SIGNATURE)?,
    })
}

/// Reads a signed write, checking what it can before the body: its headers name a registered
/// author of one of the `allowed` roles, whose signature over the announced digest verifies,
/// with a nonce not used yet (`step`: the nonce rule of protocol steps); its declared length
/// is within `limit`. Only then is the body read, within `limit` and the body timeout, and it
/// must be the envelope the headers announced. (The envelope's body is then matched to the
/// digest by `Roles::check`, with the whole signature again.)
async fn read_write(
    st: &AppState,
    headers: &HeaderMap,
    body: Body,
    allowed: &[Role],
    step: bool,
    limit: usize,
) -> ApiResult<(WriteHeaders, Envelope)> {
    let h = write_headers(headers)?;
    st.roles.check_headers(&st.origin, &h, allowed)?;
    st.check_nonce(&h.author, h.nonce, step)?;
    let too_large = |n: String| {
        ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the write is {n} bytes; this server takes at most {limit} for it"),
        )
    };
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|&n| n > limit as u64) {
        return Err(too_large(n.to_string()));
    }
    let bytes = read_body(st, body, limit).await?;
    let env: Envelope = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad(format!("the body is not a signed envelope: {e}")))?;
    if !h.announce(&env) {
        return Err(ApiError::bad(
            "the envelope is not the write its headers announced",
        ));
    }
    Ok((h, env))
}

/// A request's body, within `limit` bytes and the body timeout.
async fn read_body(st: &AppState, body: Body, limit: usize) -> ApiResult<axum::body::Bytes> {
    let timeout = st.limits().body_timeout;
    let read = http_body_util::Limited::new(body, limit).collect();
    match tokio::time::timeout(timeout, read).await {
        Err(_) => Err(ApiError(
            StatusCode::REQUEST_TIMEOUT,
            format!("the body did not arrive within {} s", timeout.as_secs()),
        )),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is more than {limit} bytes, which this server takes at most"),
        )),
        Ok(Err(e)) => Err(ApiError::bad(format!("the body could not be read: {e}"))),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// The largest cosigned note taken: a checkpoint with dozens of cosignature lines.
const MAX_COSIGNED_NOTE: usize = 64 << 10;

/// POST /cosignatures: a witness that follows the log by itself (`entente witness follow`)
/// hands back one of the log's checkpoints with its cosignature. Nothing of the sender is
/// trusted: the note's text must be the checkpoint the log signed for that size, and only
/// cosignatures that verify under a witness key of the board's policy are kept. The answer
/// names the witnesses whose cosignatures were added.
pub(crate) async fn submit_cosignatures(
    State(st): State<Arc<AppState>>,
    body: Body,
) -> ApiResult<Json<Vec<String>>> {
    let bytes = read_body(&st, body, MAX_COSIGNED_NOTE).await?;
    let note = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::bad("a cosigned checkpoint is text (UTF-8)"))?;
    let added = blocking(move || st.add_cosignatures(note).map_err(ApiError::bad)).await?;
    Ok(Json(added))
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
pub(crate) async fn submit_ballot(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Receipt>> {
    if headers.get(header::KIND).is_some_and(|k| k != "ballot") {
        return Err(ApiError::bad(
            "POST /ballots takes writes of kind \"ballot\"",
        ));
    }
    let limit = st.limits().max_ballot_bytes;
    let (_, env) = read_write(&st, &headers, body, &[Role::Device], false, limit).await?;
    let (_, body) = st.roles.check(&st.origin, &env, &[Role::Device])?;
    let env = {
        let st = st.clone();
        blocking(move || {
            // A signed write's nonce is spent whether or not the write is then accepted, so
            // that nobody can hold a refused write and submit it later.
            st.take_nonce(&env.author, env.nonce, false)?;
            // Before the check's permit: the catch-up waits on the database, not on a core.
            st.catch_up()?;
            Ok(env)
        })
        .await?
    };
    // Bounded: a server told to check with fewer threads than it has (`--check-threads`).
    // Held for the check only: the append waits on the database, not on a core.
    let permit = st
        .check_permits()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    blocking(move || {
        // Held while the ballot is checked and appended: this server logs no step meanwhile
        // (another server's step is caught by the sequencer's conditions).
        let mut workflow = st.workflow.read().map_err(ApiError::internal)?;
        let election = workflow.open_election()?;
        let json: EncryptedBallotJson = election
            .parse_ballot(&body)
            .map_err(|e| ApiError::bad(format!("the ballot is not an encrypted ballot: {e}")))?;
        let facts = with_group!(election.kind.group, |G| check_ballot::<G>(
            &workflow,
            &election,
            &env.author,
            &json
        ))?;
        drop(permit);
        let (id, code) = (facts.id.clone(), facts.code.clone());
        // Reserved while in flight on this server; unique on the log, as the sequencer checks.
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
        let entry = logged_entry("ballot", &env, body)?
            .with_key("author", env.author.clone())
            .with_key("ballot_id", id.clone())
            .with_key("confirmation_code", code.clone());
        for _ in 0..=RETRIES {
            let conditions = Conditions {
                unique: vec![
                    ("ballot_id".into(), id.clone()),
                    ("confirmation_code".into(), code.clone()),
                ],
                watched_since: Some(st.followed.load(Ordering::Acquire)),
                absent_since: Vec::new(),
            };
            match append_and_prove(&st, entry.clone(), conditions)? {
                Ok((index, checkpoint, inclusion)) => {
                    return Ok(Json(Receipt {
                        index,
                        confirmation_code: Some(code),
                        checkpoint,
                        inclusion,
                    }));
                }
                Err(at) => {
                    // Another server's step (the box closed, a device's chain, a print run)
                    // came after the check: the rules again, against the state with it. The
                    // proofs need not be checked again: they depend on the election only.
                    tracing::debug!(at, ballot = id, "overtaken; checking the rules again");
                    drop(workflow);
                    st.catch_up()?;
                    workflow = st.workflow.read().map_err(ApiError::internal)?;
                    facts.check_rules(&workflow, &env.author)?;
                }
            }
        }
        Err(busy())
    })
    .await
}

/// POST /entries: a step of the election's protocol (see [`crate::workflow`]) from the
/// administrator or a guardian, in a signed envelope, checked against the protocol's state
/// before it is appended.
pub(crate) async fn submit_entry(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Receipt>> {
    let limit = st.limits().max_entry_bytes;
    let (_, env) = read_write(&st, &headers, body, &STEP_AUTHORS, true, limit).await?;
    let (role, body) = st.roles.check(&st.origin, &env, &STEP_AUTHORS)?;
    blocking(move || {
        let mut workflow = st.workflow.write().map_err(ApiError::internal)?;
        // Checked against every step on the log, also those other servers logged.
        st.catch_up_held(&mut workflow)?;
        // Spent even if the step is refused: see submit_ballot.
        st.take_nonce(&env.author, env.nonce, true)?;
        let guardian = st.roles.guardian_index(&env.author);
        for _ in 0..=RETRIES {
            let since = st.followed.load(Ordering::Acquire);
            let change = workflow.check(
                &env.kind,
                (&env.author, role, guardian),
                &body,
                &st.roles_file,
            )?;
            // What only the log can tell: checked against the ballots on it.
            let mut absent_since = Vec::new();
            match env.kind.as_str() {
                kind::DEVICE_CLOSE => {
                    // Its chain lists the device's ballots below this size: no other may come
                    // (from another server) before the chain is logged.
                    let size = st.read(|b| b.storage().size().map_err(ApiError::internal))?;
                    st.check_device_chain(&env.author, &body)?;
                    absent_since.push(("author".to_owned(), env.author.clone(), size));
                }
                kind::ENCRYPTED_TALLY => st.check_tally(&workflow, &body)?,
                kind::RESULT => st.check_logged_result(&workflow, &body)?,
                _ => {}
            }
            let mut entry = logged_entry(&env.kind, &env, body.clone())?
                .with_key("author", env.author.clone())
                .with_key("step", env.kind.clone());
            for (k, v) in &change.keys {
                entry = entry.with_key(k.clone(), v.clone());
            }
            let conditions = Conditions {
                unique: Vec::new(),
                watched_since: Some(since),
                absent_since,
            };
            match append_and_prove(&st, entry, conditions)? {
                Ok((index, checkpoint, inclusion)) => {
                    workflow.apply(change);
                    // No other server's step came between `since` and this one.
                    st.followed.fetch_max(index + 1, Ordering::AcqRel);
                    tracing::info!(
                        index,
                        kind = env.kind,
                        author = env.author,
                        "protocol step logged"
                    );
                    return Ok(Json(Receipt {
                        index,
                        confirmation_code: None,
                        checkpoint,
                        inclusion,
                    }));
                }
                Err(at) => {
                    tracing::debug!(at, kind = env.kind, "overtaken; checking the step again");
                    let replayed = st.catch_up_held(&mut workflow)?;
                    // The same write, logged through another server meanwhile.
                    if replayed
                        .iter()
                        .any(|e| e.author == env.author && e.nonce == env.nonce)
                    {
                        return Err(RolesError::Replay {
                            author: env.author.clone(),
                            nonce: env.nonce,
                            last: env.nonce,
                        }
                        .into());
                    }
                }
            }
        }
        Err(busy())
    })
    .await
}
