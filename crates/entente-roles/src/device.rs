//! `entente device`: an encryption device on the network. It fetches the election's setup from
//! the server (and checks it: the hashes that bind manifest, config and key), encrypts the
//! plaintext ballots locally with its confirmation-code chain kept in its state directory (a
//! few at a time, submitting those encrypted before meanwhile), submits each one in an
//! envelope signed with its key, and checks each receipt: the inclusion proof of its ballot in
//! a checkpoint signed by the log.
//!
//! Its state directory holds the setup as fetched, `encrypted_ballots/<device>/` (the chain, as
//! `entente encrypt` keeps it), `submitted` (ids acknowledged by the server) and `nonce`
//! (the last nonce reserved). A device that stops between encrypting and submitting submits what
//! is pending when it runs again; a ballot the server already holds counts as submitted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Context, Result, bail, ensure, refused};
use crate::protocol::Envelope;
use crate::protocol::{Receipt, SETUP_FILES};
use entente_board::note::{NoteSigner, NoteVerifier};
use entente_core::ballot::check_plaintext;
use entente_record::ballot::PlaintextBallot;
use entente_record::ballot::chain::BallotChainJson;
use entente_record::election::{ElectionSetup, read_json};
use entente_record::{KnownGroup, with_group};

use crate::board::{Key, Role};
use crate::client::check_receipt;
use crate::encrypt::{Challenge, ballot_paths, check_inputs, encrypt_with_key, open_chain};
use crate::files::write_atomically;
use crate::nonce::reserve_nonces;

/// What `entente device` was asked to do.
pub struct DeviceOptions {
    /// The server's URL.
    pub server: String,
    /// The device's state directory.
    pub state: PathBuf,
    /// The log's verifier key, to check receipts' checkpoints.
    pub log_key: String,
    /// Plaintext ballot files or directories (none: only submit what is pending); for a
    /// scanning station, files of marked paper ballots.
    pub inputs: Vec<PathBuf>,
    /// A scanning station: the print run (`print_run.json`) whose marked ballots `inputs`
    /// holds, recorded (spec 2.0 §4.3) instead of encrypted.
    pub pre_encrypted: Option<PathBuf>,
    /// Cast or challenge.
    pub challenge: Challenge,
    /// Encryption threads (0: all cores).
    pub threads: usize,
    /// Progress bar.
    pub progress: bool,
    /// Ballots in flight at once (the next goes as soon as one is answered).
    pub in_flight: usize,
    /// Close the device's chain on the log once everything is submitted.
    pub close: bool,
    /// When the whole run must be done (no request outlasts it), if ever.
    pub deadline: Option<Instant>,
}

/// One acknowledged ballot.
#[derive(Debug, Clone)]
pub struct Acknowledged {
    /// The ballot's id.
    pub ballot_id: String,
    /// Its confirmation code (hex).
    pub confirmation_code: String,
    /// Its index on the board.
    pub index: u64,
    /// The size of the checkpoint its inclusion was proven in.
    pub checkpoint_size: u64,
}

/// The longest one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

fn agent() -> ureq::Agent {
    crate::net::agent(REQUEST_TIMEOUT)
}

/// What bounds a request, for a message.
const LIMIT: &str = "the command's --timeout, or 120 s for one request";

/// How long a request to `url` may take: [`REQUEST_TIMEOUT`], or less when the deadline is
/// nearer; an error once it has passed.
fn request_time(deadline: Option<Instant>, url: &str) -> Result<Duration> {
    let Some(deadline) = deadline else {
        return Ok(REQUEST_TIMEOUT);
    };
    let left = deadline.saturating_duration_since(Instant::now());
    ensure!(
        !left.is_zero(),
        "the time given (--timeout) ran out before {url} could be asked"
    );
    Ok(left.min(REQUEST_TIMEOUT))
}

/// How often a ballot the server was too busy to take (503) is sent again, the pause doubling
/// from [`BUSY_PAUSE`]: its nonce was not spent (the server refuses before it reads the body).
const BUSY_RETRIES: u32 = 8;
const BUSY_PAUSE: Duration = Duration::from_millis(100);

/// Sends a signed ballot, again while the server answers that it is busy.
fn submit(
    agent: &ureq::Agent,
    url: &str,
    (env, bytes): (&Envelope, &[u8]),
    deadline: Option<Instant>,
) -> Result<(u16, String)> {
    let mut pause = BUSY_PAUSE;
    for attempt in 0.. {
        let (status, text) =
            crate::net::post_write(agent, url, env, bytes, request_time(deadline, url)?)
                .map_err(|e| crate::net::failed(e, "POST", url, LIMIT))?;
        if status != 503 || attempt == BUSY_RETRIES {
            return Ok((status, text));
        }
        std::thread::sleep(pause);
        pause *= 2;
    }
    unreachable!("the loop returns")
}

/// Fetches the setup files into the state directory (or checks that they are unchanged).
pub(crate) fn fetch_setup(
    agent: &ureq::Agent,
    server: &str,
    state: &Path,
    deadline: Option<Instant>,
) -> Result<()> {
    std::fs::create_dir_all(state).with_context(|| format!("cannot create {}", state.display()))?;
    for name in SETUP_FILES {
        let url = format!("{server}/election/{name}");
        let mut resp = agent
            .get(&url)
            .config()
            .timeout_global(Some(request_time(deadline, &url)?))
            .build()
            .call()
            .map_err(|e| crate::net::failed(e, "GET", &url, LIMIT))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .with_context(|| format!("GET {url}"))?;
        ensure!(
            status == 200,
            "GET {url}: {status} {}",
            String::from_utf8_lossy(&bytes)
        );
        let path = state.join(name);
        match std::fs::read(&path) {
            Ok(held) if held != bytes => bail!(
                "the server's {name} is not the one this device began the election with \
                 ({}): refusing to encrypt for another election",
                path.display()
            ),
            Ok(_) => {}
            Err(_) => write_atomically(&path, &bytes)?,
        }
    }
    Ok(())
}

/// Plaintext ballots from stdin: a JSON array of ballots, or one ballot per line.
fn read_stdin() -> Result<Vec<PlaintextBallot>> {
    use std::io::Read;
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read ballots from stdin")?;
    if text.trim_start().starts_with('[') {
        return entente_record::election::parse_json("stdin", text.as_bytes()).map_err(Into::into);
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            entente_record::election::parse_json(&format!("stdin, line {}", n + 1), l.as_bytes())
                .map_err(Into::into)
        })
        .collect()
}

/// A scanning station's step before it submits: records the marked paper ballots of `inputs`
/// into its state, as `entente record-paper` records them into a record (every mark checked
/// before anything is written). The submitters then send them as ballots pending.
fn scan<G: KnownGroup>(
    setup: &ElectionSetup<G>,
    opts: &DeviceOptions,
    device: &str,
    run: &Path,
) -> Result<()> {
    ensure!(
        matches!(opts.challenge, Challenge::None),
        "a scanning station records paper ballots as cast: a pre-encrypted ballot cannot be \
         challenged here (--challenge)"
    );
    let run: crate::paper::PrintRun = read_json(run)?;
    let mut marked = Vec::new();
    for path in &opts.inputs {
        ensure!(
            path.as_os_str() != "-",
            "a scanning station reads marked ballots from files, not stdin"
        );
        let bytes = entente_record::election::read_file(path)?;
        // A file holds one marked ballot or an array of them.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            let list: Vec<crate::paper::MarkedPaper> =
                entente_record::election::parse_json(&path.display().to_string(), &bytes)?;
            marked.extend(list);
        } else {
            marked.push(entente_record::election::parse_json(
                &path.display().to_string(),
                &bytes,
            )?);
        }
    }
    if marked.is_empty() {
        return Ok(());
    }
    // A ballot recorded by an earlier run is pending, not to be recorded again.
    let chain = opts
        .state
        .join("encrypted_ballots")
        .join(device)
        .join("ballot_chain.json");
    if let Ok(chain) = read_json::<BallotChainJson>(&chain)
        && let Some(m) = marked
            .iter()
            .find(|m| chain.ballot_ids.contains(&m.ballot_id))
    {
        bail!(
            "ballot {} was recorded by an earlier run of this station: run it without marked \
             ballots to submit what is pending",
            m.ballot_id
        );
    }
    crate::paper::record_marked(setup, &opts.state, device, &run, &marked, opts.threads)?;
    Ok(())
}

/// Encrypts `inputs` (if any) and submits every ballot of the device not yet acknowledged.
pub fn run(key: Key, opts: &DeviceOptions) -> Result<Vec<Acknowledged>> {
    ensure!(
        key.role == Role::Log,
        "a device signs with an Ed25519 signing key (`entente keygen --name DEVICE`), not a \
         witness key"
    );
    let server = opts.server.trim_end_matches('/');
    let log = NoteVerifier::parse(&crate::board::read_vkey(&opts.log_key)?)
        .context("--log is not the log's verifier key")?;
    let agent = agent();
    let mut client = crate::client::Client::new(server, &opts.log_key)?;
    if let Some(d) = opts.deadline {
        client = client.with_deadline(d);
    }
    fetch_setup(&agent, server, &opts.state, opts.deadline)?;
    let kind = entente_record::RecordKind::of_record(&opts.state)
        .context("the election's setup from the server does not check")?;
    with_group!(kind.group, |G| run_in::<G>(key, opts, client, log, agent))
}

fn run_in<G: KnownGroup>(
    key: Key,
    opts: &DeviceOptions,
    client: crate::client::Client,
    log: NoteVerifier,
    agent: ureq::Agent,
) -> Result<Vec<Acknowledged>> {
    let server = opts.server.trim_end_matches('/');
    let origin = client.origin()?;
    let setup = ElectionSetup::<G>::read(&opts.state)
        .context("the election's setup from the server does not check")?;
    let device = key.name.clone();
    let mut ballots = Vec::new();
    if let Some(run) = &opts.pre_encrypted {
        scan(&setup, opts, &device, run)?;
    } else if !opts.inputs.is_empty() {
        let (stdin, files): (Vec<&PathBuf>, Vec<&PathBuf>) =
            opts.inputs.iter().partition(|p| p.as_os_str() == "-");
        if !stdin.is_empty() {
            for (i, b) in read_stdin()?.into_iter().enumerate() {
                check_plaintext(&setup.manifest, &b)
                    .with_context(|| format!("stdin, ballot {} ({})", i + 1, b.ballot_id))?;
                ballots.push(b);
            }
        }
        let files: Vec<PathBuf> = files.into_iter().cloned().collect();
        if !files.is_empty() {
            for p in ballot_paths(&files)? {
                let b: PlaintextBallot = read_json(&p)?;
                check_plaintext(&setup.manifest, &b).with_context(|| format!("{}", p.display()))?;
                ballots.push(b);
            }
        }
    }
    // The chain read once, then kept by the encryption as it adds ballots; everything that
    // would stop the encryption halfway is refused before any of it.
    let mut chain = if ballots.is_empty() {
        None
    } else {
        let chain = open_chain(&setup, &opts.state, &device)?;
        check_inputs(&chain, &ballots, &opts.challenge)?;
        Some(chain)
    };
    let dir = opts.state.join("encrypted_ballots").join(&device);
    let submitted_path = opts.state.join("submitted");
    let mut submitted: BTreeSet<String> = std::fs::read_to_string(&submitted_path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    // An earlier run's ballots not yet acknowledged go first, in chain order.
    let earlier: Vec<String> = match read_json::<BallotChainJson>(&dir.join("ballot_chain.json")) {
        Ok(c) => c
            .ballot_ids
            .into_iter()
            .filter(|id| !submitted.contains(id))
            .collect(),
        Err(_) if ballots.is_empty() => return Ok(Vec::new()),
        Err(_) => Vec::new(),
    };
    let order: std::collections::HashMap<String, usize> = earlier
        .iter()
        .cloned()
        .chain(ballots.iter().map(|b| b.ballot_id.clone()))
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    let signer = NoteSigner::new(&device, key.signing)?;
    let mut acked = Vec::new();
    // The ballots are encrypted a few at a time while those encrypted before are submitted, in
    // chain order, `in_flight` at a time: as soon as one is answered the next is sent, so the
    // server always has ballots to verify on its cores (nonces may arrive out of order; the
    // server's window takes each once). The receipts are checked here, one by one, and what was
    // acknowledged is recorded before an error stops the run.
    let queue = std::sync::Mutex::new(Queue {
        ids: earlier.into(),
        encrypting: !ballots.is_empty(),
        failed: None,
        nonces: 0..0,
    });
    let ready = std::sync::Condvar::new();
    let url = format!("{server}/ballots");
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut failure = None;
    let (tx, rx) = std::sync::mpsc::channel::<(String, Vec<u8>, Result<(u16, String)>)>();
    std::thread::scope(|scope| -> Result<()> {
        if let Some(mut chain) = chain.take() {
            let (queue, ready, stop, setup, device) = (&queue, &ready, &stop, &setup, &device);
            let ballots = &ballots;
            scope.spawn(move || {
                // However this thread ends, even by a panic, the submitters stop waiting for it.
                let _done = Finished { queue, ready };
                let bar = crate::progress::bar(opts.progress, ballots.len(), "encrypting");
                let key = setup.public_key();
                let result = ballots.chunks(ENCRYPT_AT_ONCE).try_for_each(|chunk| {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        return Ok(());
                    }
                    let challenge = match &opts.challenge {
                        Challenge::Ids(ids) => Challenge::Ids(
                            chunk
                                .iter()
                                .filter(|b| ids.contains(&b.ballot_id))
                                .map(|b| b.ballot_id.clone())
                                .collect(),
                        ),
                        other => other.clone(),
                    };
                    let report = encrypt_with_key(
                        setup,
                        &key,
                        &mut chain,
                        device,
                        chunk.to_vec(),
                        &challenge,
                        opts.threads,
                        false,
                    )?;
                    bar.inc(chunk.len() as u64);
                    let mut q = queue
                        .lock()
                        .map_err(|_| refused!("the device's queue was left half-updated"))?;
                    q.ids
                        .extend(report.ballots.into_iter().map(|w| w.ballot_id));
                    ready.notify_all();
                    Ok(())
                });
                bar.finish_and_clear();
                if let Ok(mut q) = queue.lock() {
                    q.failed = result.err();
                }
            });
        }
        for _ in 0..opts.in_flight.max(1) {
            let tx = tx.clone();
            let (agent, url, queue, ready, stop, signer) =
                (&agent, &url, &queue, &ready, &stop, &signer);
            let (dir, origin, state) = (&dir, &origin, &opts.state);
            scope.spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // Taken and signed in turn, so that nonces follow the chain's order.
                    let (id, signed) = {
                        let Ok(mut q) = queue.lock() else { break };
                        let id = loop {
                            if let Some(id) = q.ids.pop_front() {
                                break Some(id);
                            }
                            if !q.encrypting || stop.load(std::sync::atomic::Ordering::Relaxed) {
                                break None;
                            }
                            q = match ready.wait(q) {
                                Ok(q) => q,
                                Err(_) => return,
                            };
                        };
                        let Some(id) = id else { break };
                        let path = dir.join(format!("eballot-{id}.json"));
                        let signed = std::fs::read(&path)
                            .with_context(|| format!("cannot read {}", path.display()))
                            .and_then(|body| {
                                if q.nonces.is_empty() {
                                    q.nonces = reserve_nonces(state, NONCES_AT_ONCE)?;
                                }
                                let nonce = q.nonces.next().unwrap_or_default();
                                let env = Envelope::sign(signer, origin, "ballot", nonce, &body);
                                let bytes = serde_json::to_vec(&env)?;
                                // What the receipt proves: the write as the log keeps it.
                                Ok((env.logged()?.to_bytes(), env, bytes))
                            });
                        (id, signed)
                    };
                    let (entry, answer) = match signed {
                        Ok((entry, env, bytes)) => {
                            let answer = submit(agent, url, (&env, &bytes), opts.deadline);
                            (entry, answer)
                        }
                        Err(e) => (Vec::new(), Err(e)),
                    };
                    if tx.send((id, entry, answer)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut unsaved = 0;
        for (id, entry, answer) in rx {
            let outcome = answer.and_then(|(status, text)| {
                if status == 409 && text.contains("on the board already") {
                    // Acknowledged before, the answer lost: the board holds it.
                    tracing::warn!("ballot {id} was on the board already");
                    return Ok(None);
                }
                ensure!(
                    status == 200,
                    "ballot {id}: the server answered {status}: {text}"
                );
                let receipt: Receipt = serde_json::from_str(&text).with_context(|| {
                    format!("ballot {id}: the server's receipt is not readable")
                })?;
                let checkpoint_size = check_receipt(&receipt, &entry, &log)
                    .with_context(|| format!("ballot {id}"))?;
                client
                    .hold_deferred(&opts.state, &receipt.checkpoint)
                    .with_context(|| format!("ballot {id}"))?;
                Ok(Some(Acknowledged {
                    ballot_id: id.clone(),
                    confirmation_code: receipt.confirmation_code.unwrap_or_default(),
                    index: receipt.index,
                    checkpoint_size,
                }))
            });
            match outcome {
                Ok(ack) => {
                    acked.extend(ack);
                    submitted.insert(id);
                    unsaved += 1;
                }
                Err(e) => {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    ready.notify_all();
                    failure.get_or_insert(e);
                }
            }
            if unsaved >= SAVE_EVERY {
                client.save_held(&opts.state)?;
                save_submitted(&submitted_path, &submitted)?;
                unsaved = 0;
            }
        }
        Ok(())
    })?;
    client.save_held(&opts.state)?;
    save_submitted(&submitted_path, &submitted)?;
    // Answered in any order; reported in the chain's.
    acked.sort_by_key(|a| order.get(&a.ballot_id).copied());
    let encrypting = queue
        .into_inner()
        .map_err(|_| refused!("the device's queue was left half-updated"))?
        .failed;
    if let Some(e) = failure.or(encrypting) {
        return Err(e);
    }
    if opts.close {
        close(&signer, opts, &dir)?;
    }
    Ok(acked)
}

/// Acknowledged ballots between two saves of the `submitted` list (each save is durable, and
/// a ballot acknowledged but not yet saved is only sent again, and answered 409, after a crash).
const SAVE_EVERY: usize = 16;

/// Ballots a device encrypts at once while it submits those encrypted before.
const ENCRYPT_AT_ONCE: usize = 16;

/// What the device's encryption hands to its submitters.
struct Queue {
    /// Encrypted, in chain order, not yet sent.
    ids: std::collections::VecDeque<String>,
    /// Whether more are being encrypted.
    encrypting: bool,
    /// Why the encryption stopped, if it failed.
    failed: Option<crate::error::RolesError>,
    /// Nonces reserved and not yet used.
    nonces: std::ops::Range<u64>,
}

/// Marks the encryption finished when dropped, and wakes the submitters.
struct Finished<'a> {
    queue: &'a std::sync::Mutex<Queue>,
    ready: &'a std::sync::Condvar,
}

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        // A poisoned queue is taken all the same: the flag is all that is written.
        let mut q = self
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        q.encrypting = false;
        drop(q);
        self.ready.notify_all();
    }
}

/// Nonces a device reserves with one write of its `nonce` file.
const NONCES_AT_ONCE: u64 = 64;

fn save_submitted(path: &Path, submitted: &BTreeSet<String>) -> Result<()> {
    let list: Vec<&str> = submitted.iter().map(String::as_str).collect();
    write_atomically(path, (list.join("\n") + "\n").as_bytes())
}

/// How long a device waits for the witnesses to cosign its close.
const CLOSE_WITNESSED_WITHIN: Duration = Duration::from_secs(120);

/// Posts the device's closing chain: every ballot it submitted, the last code, and (when the
/// election chains codes) the closing hash of eq. (61). The server refuses it unless the log
/// holds exactly those ballots of this device; after it, anyone who finds one missing knows
/// the log lost it.
fn close(signer: &NoteSigner, opts: &DeviceOptions, dir: &Path) -> Result<()> {
    let path = dir.join("ballot_chain.json");
    ensure!(
        path.exists(),
        "this device has no ballots: there is no chain to close"
    );
    let chain: BallotChainJson = read_json(&path)?;
    if chain.chaining && chain.closing_hash.is_none() {
        crate::encrypt::close(&opts.state, signer.name())?;
    }
    let body = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut client = crate::client::Client::new(&opts.server, &opts.log_key)?;
    if let Some(d) = opts.deadline {
        client = client.with_deadline(d);
    }
    let receipt = client.post_step(
        signer,
        &opts.state,
        crate::protocol::kind::DEVICE_CLOSE,
        &body,
    )?;
    // Done only once every party's witness has cosigned a checkpoint holding the close (and
    // so every ballot it lists): from then on no history without them can be shown to anyone.
    // The ballots are read by their headers: the device needs the roles and its close, not
    // every ballot of the day.
    client.steps_witnessed(
        &opts.state.join(crate::client::LOG_DIR),
        "the device's close",
        CLOSE_WITNESSED_WITHIN,
        |m| m.size > receipt.index,
    )?;
    eprintln!(
        "device {} closed: {} ballots, proven on the board and cosigned by every witness",
        signer.name(),
        chain.ballot_ids.len()
    );
    Ok(())
}
